"""The fuzz suite sends at least 10,000 bad inputs through the pipeline's entries in each run."""

from __future__ import annotations

import time

from tests.fuzz import lines, strategies, test_graphql, test_produce, test_worker


def test_the_suite_sends_at_least_ten_thousand_bad_inputs() -> None:
    """Worker messages, hand-off messages and rows, produce lines and API requests add up."""
    now_ms = int(time.time() * 1000)
    worker = (
        test_worker.MALFORMED_MESSAGES
        + len(strategies.corpus_messages())
        + 1  # the tombstone
        + len(test_worker.bad_handoff_messages())
        + test_worker.BAD_INSTANTS
        + len(strategies.huge_messages(now_ms))
        + len(test_worker.bad_rows(now_ms))
    )
    produce = (
        test_produce.BAD_LINES
        + len(lines.oversized_lines(now_ms))
        + len(lines.corpus_lines())
        + test_produce.BAD_BOUNDS
    )
    api = test_graphql.BAD_REQUESTS
    assert worker >= 6_000 and produce >= 3_000 and api >= 1_500
    assert worker + produce + api >= 10_000
