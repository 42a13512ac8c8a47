"""The inserts running on ClickHouse beside an erasure, and waiting them out.

On a ClickHouse server the sink's refreshes run beside an erasure. A refresh is one
``INSERT … SELECT``: it reads facts when it starts and writes when it ends, so one that read
before the erasure rebuilt the facts and wrote after it repaired the derived rows stores the
erased events' rows again. Once every insert running when the repair ended has finished, every
later one reads what the erasure left, and repairing again removes what the earlier ones wrote.
Embedded chdb runs one statement at a time in its one process, so none is ever found running.

``system.processes`` lists the statements of every user only to a user allowed to see them
(the sink and the eraser normally share pulse's user).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from pulse.graphql.queries import Reader

_RUNNING_SQL = """
SELECT query_id
FROM system.processes
WHERE startsWith(upper(trimLeft(query)), 'INSERT') AND query_id != queryID()
"""
POLL_SECONDS = 0.05


def running_inserts(db: Reader) -> set[str]:
    """The ids of the inserts running now, but this statement's own."""
    return {str(row["query_id"]) for row in db.query(_RUNNING_SQL)}


def wait_out(
    db: Reader,
    query_ids: set[str],
    timeout_seconds: float,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> set[str]:
    """Wait until none of ``query_ids`` is running, at most ``timeout_seconds``; those still
    running then."""
    deadline = clock() + timeout_seconds
    left = query_ids & running_inserts(db)
    while left and clock() < deadline:
        sleep(POLL_SECONDS)
        left &= running_inserts(db)
    return left
