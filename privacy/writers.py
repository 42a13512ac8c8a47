"""The inserts running on ClickHouse beside an erasure, and waiting them out.

On a ClickHouse server the sink's refreshes run beside an erasure. A refresh is one
``INSERT … SELECT``: it reads facts when it starts and writes when it ends, so one that read
before the erasure rebuilt the facts and wrote after it repaired the derived rows stores the
erased events' rows again. Once every insert running when the repair ended has finished, every
later one reads what the erasure left, and repairing again removes what the earlier ones wrote,
whether they were still running then or not. The embedded engine runs one statement at a time
in its one process, so there the first repair is the last.

``system.processes`` lists the statements of every user only to a user allowed to see them
(the sink and the eraser normally share pulse's user); only inserts into the eraser's database
are waited for.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from pulse.graphql.queries import Reader

# An insert's text, led by any spaces or lines (the sink's statements begin with a newline).
IS_INSERT = "match(query, '(?i)^\\s*INSERT')"
RUNNING_SQL = f"""
SELECT query_id
FROM system.processes
WHERE {IS_INSERT} AND current_database = currentDatabase() AND query_id != queryID()
"""
POLL_SECONDS = 0.05


def running_inserts(db: Reader) -> set[str]:
    """The ids of the inserts running now, but this statement's own."""
    return {str(row["query_id"]) for row in db.query(RUNNING_SQL)}


def wait_out(
    db: Reader,
    query_ids: set[str],
    timeout_seconds: float,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> set[str]:
    """Wait until none of ``query_ids`` (just found running) is running, at most
    ``timeout_seconds``; those still running then."""
    deadline = clock() + timeout_seconds
    left = set(query_ids)
    while left and clock() < deadline:
        sleep(POLL_SECONDS)
        left &= running_inserts(db)
    return left
