"""The one definition of a slot row: what ``messaging_slots`` holds, recomputed from raw events.

The migration's backfill and the derivation's refresh both run :func:`slot_counts_sql`, so the
rows they write cannot disagree. After raw events are deleted (an erasure), :func:`retiring_sql`
also retires the rows a recomputation no longer finds: a dimension row whose events all went
would otherwise keep its counts. Absolute counts over ``FINAL`` (every stored event once); the
version is the statement's clock in microseconds, so a later recomputation, which saw a superset
of raw events, replaces an earlier one.
"""

from __future__ import annotations

from pulse.families.messaging.model import COUNTS, DIMENSIONS, EVENT_TYPES

_TYPES = ", ".join(f"'{t}'" for t in EVENT_TYPES)
_COUNTS = ",\n    ".join(f"countIf(event_type = 'message.{name}') AS {name}" for name in COUNTS)
_DIMENSIONS = ", ".join(DIMENSIONS)

# Column order of ``messaging_slots``: the INSERT … SELECT relies on it.
COLUMNS = ("tenant_id", "slot", *DIMENSIONS, *COUNTS, "version")


def slot_counts_sql(source: str, where: str = "") -> str:
    """``SELECT`` of slot rows over ``source`` (a qualified ``events_raw``), narrowed by
    ``where`` (fixed text, ``AND …``, maybe with ``{name:Type}`` parameters)."""
    return f"""
SELECT
    tenant_id,
    toDateTime(toStartOfFifteenMinutes(occurred_at), 'UTC') AS slot,
    {_DIMENSIONS},
    {_COUNTS},
    toUInt64(toUnixTimestamp64Micro(now64(6))) AS version
FROM {source} FINAL
WHERE event_type IN ({_TYPES}) {where}
GROUP BY tenant_id, slot, {_DIMENSIONS}
"""


_ZEROS = ", ".join(f"toUInt64(0) AS {name}" for name in COUNTS)
_SUMS = ", ".join(f"sum({name}) AS {name}" for name in COUNTS)
_ANY = " + ".join(COUNTS)


def retiring_sql(recomputed: str, stored: str, where: str) -> str:
    """The rows of ``recomputed`` (a :func:`slot_counts_sql`), and a row of zero counts for each
    row of ``stored`` (a qualified ``messaging_slots``, narrowed by ``where``) that still counts
    something and that ``recomputed`` no longer has. Rows already zero are not written again, so
    the sink's refreshes, which never lose raw events, write what they wrote before."""
    return f"""
SELECT tenant_id, slot, {_DIMENSIONS}, {_SUMS},
       toUInt64(toUnixTimestamp64Micro(now64(6))) AS version
FROM (
    SELECT tenant_id, slot, {_DIMENSIONS}, {", ".join(COUNTS)} FROM ({recomputed})
    UNION ALL
    SELECT tenant_id, slot, {_DIMENSIONS}, {_ZEROS}
    -- Nested: ClickHouse would read the zeros' aliases in this WHERE.
    FROM (SELECT tenant_id, slot, {_DIMENSIONS} FROM {stored} FINAL WHERE ({_ANY}) > 0 {where})
)
GROUP BY tenant_id, slot, {_DIMENSIONS}
"""
