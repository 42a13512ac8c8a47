"""A partition commits only the prefix of notifications that reached a final outcome."""

from __future__ import annotations

from pulse.alerts.offsets import OffsetTracker


def test_a_slow_notification_holds_back_the_commit_of_later_ones() -> None:
    """5 and 7 done while 6 retries: commit 6 (not past it); once 6 is done, commit 8."""
    tracker = OffsetTracker()
    for offset in (5, 6, 7):
        tracker.started(0, offset)
    tracker.finished(0, 5)
    tracker.finished(0, 7)
    assert tracker.committable() == {0: 6}
    tracker.mark_committed({0: 6})
    assert tracker.committable() == {}
    tracker.finished(0, 6)
    assert tracker.committable() == {0: 8}


def test_partitions_are_independent_and_forgotten_on_revoke() -> None:
    """One partition's pending notification does not hold another's; a revoked one is dropped."""
    tracker = OffsetTracker()
    tracker.started(0, 1)
    tracker.started(1, 10)
    tracker.finished(1, 10)
    assert tracker.committable() == {0: 1, 1: 11}
    tracker.forget([1])
    assert tracker.committable() == {0: 1} and not tracker.owns(1)
