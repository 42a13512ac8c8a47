"""The web figures of a question, computed by ClickHouse in one statement (``figures_sql``).

Bucket starts come back as UTC seconds and are matched to the grid; this module adds up the
rows into the grid and the totals.
"""

from __future__ import annotations

from bisect import bisect_right
from typing import Any

from pulse.families.web.figures_sql import COUNTS, figures_sql
from pulse.families.web.filters_sql import filter_params
from pulse.families.web.model import WebAnswer, WebCounts, WebQuery
from pulse.families.web.rollup_sql import answers_from_slots, slot_figures_sql
from pulse.graphql.queries import Reader


def web_answer(db: Reader, q: WebQuery) -> WebAnswer:
    """Counts of every bucket of ``q`` (empty ones zero) and of the whole range."""
    if answers_from_slots(q):
        sql = slot_figures_sql(q.granularity)
    else:
        sql = figures_sql(q.granularity, q.filters)
    rows = db.query(sql, question_params(q))
    starts = [b.start_ms for b in q.buckets]
    per_bucket = [WebCounts() for _ in starts]
    totals = WebCounts()
    for row in rows:
        counts = WebCounts(**{c: int(row[c]) for c in COUNTS})
        start = int(row["start_s"])
        if start < 0:
            totals = counts
        else:
            # A ClickHouse start that is no grid start (a zone whose offset moves by a
            # non-whole hour) goes to the grid bucket it falls in.
            index = max(bisect_right(starts, start * 1000) - 1, 0)
            per_bucket[index] = _add(per_bucket[index], counts)
    return WebAnswer(buckets=tuple(per_bucket), totals=totals)


def question_params(q: WebQuery) -> dict[str, Any]:
    return {
        "tenant_id": q.tenant_id,
        "tz": q.time_zone,
        "from_ms": q.from_ms,
        "to_ms": q.to_ms,
        "engaged": list(q.engaged),
        **filter_params(q.filters),
    }


def _add(a: WebCounts, b: WebCounts) -> WebCounts:
    # Only a non-grid start lands two rows in one bucket; its visitors cannot be de-duplicated
    # across them, a limit of zones like Australia/Lord_Howe (hour buckets only).
    return WebCounts(*(getattr(a, c) + getattr(b, c) for c in COUNTS))
