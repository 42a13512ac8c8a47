"""Dedup decisions within a batch and the horizon purge selection."""

from __future__ import annotations

from pulse.streams.dedup import BatchDedup, expired, seen_key


def test_first_occurrence_counts_once_within_and_across_batches() -> None:
    """A key is new once; a copy in the same batch or a later batch is a duplicate."""
    table: dict[str, list[int]] = {seen_key("t1", "e0"): [1, 0]}
    dedup = BatchDedup(table, now_ms=5, partition=2)
    assert dedup.first_time("t1", "e1") is True
    assert dedup.first_time("t1", "e1") is False
    assert dedup.first_time("t1", "e0") is False
    assert dedup.first_time("t2", "e1") is True  # the same id in another tenant is another event
    assert dedup.new == {seen_key("t1", "e1"): [5, 2], seen_key("t2", "e1"): [5, 2]}


def test_keys_cannot_collide_across_tenants() -> None:
    """Tenant and event ids containing the separator still make distinct keys."""
    assert seen_key("a|b", "c") != seen_key("a", "b|c")


def test_expired_only_old_entries_of_owned_partitions() -> None:
    """Purging picks entries past the horizon, and only in partitions this worker owns."""
    entries = [("old-mine", [100, 0]), ("old-theirs", [100, 1]), ("fresh", [950, 0])]
    assert expired(entries, now_ms=1000, horizon_ms=500, partitions={0}) == [("old-mine", 0)]
