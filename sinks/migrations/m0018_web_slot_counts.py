"""Web slot rows that a dashboard sums without merging anything: dnt page views as counted rows
of ``web_slots``, visitors by distinct gap.

- dnt page views become rows of ``web_slots``: ``kind`` 2 (the slot's) and 3 (a URL's), their
  count in ``page_views``, written only by the web dnt derivation (``web_dnt_views``) from
  ``events_raw FINAL``. They replace ``web_dnt_slots``, whose ``uniqExact`` states every question
  had to merge (~10 ms of a 30-day dashboard); the counts are taken from those states, so dnt
  page views whose raw events already expired stay counted.
- ``gaps`` now holds a row's distinct gaps, ascending, and ``gap_visitors`` the visitors of each:
  visitors coming back alike share an entry. Every visitor row (kinds 0, 1) is rebuilt in that
  shape from ``web_sessions`` by the code's own statement, as m0016 did before (a later
  migration that reshapes these rows again takes this rebuild over, as this one took it from
  m0016).

Upgrade with the sinks stopped: a sink still running the older code would write visitor rows in
the old shape (read correctly: a gap per visitor) and no dnt rows for its batches;
``pulse recalc --family web_dnt_views`` over that window recounts them. Rolling back expands the
gaps to one per visitor, restores ``web_dnt_slots`` from the dnt rows as ``uniqExact`` states of
distinct placeholders of the same size (a batch replayed afterwards adds its real identities
beside them), and removes the dnt rows.
"""

from pulse.families.web.slots_sql import rewrite_sql
from pulse.sinks.migrations import m0016_web_slots

FORWARDS = [
    "ALTER TABLE {db}.web_slots ADD COLUMN IF NOT EXISTS gap_visitors Array(UInt32) AFTER gaps",
    rewrite_sql("1", "1", "{db}"),
    """
    INSERT INTO {db}.web_slots (tenant_id, slot, kind, url, page_views, version)
    SELECT tenant_id, slot, if(part_url = '', 2, 3), part_url, sum(views),
        toUInt64(toUnixTimestamp64Micro(now64(6)))
    FROM (
        SELECT tenant_id, slot, url, uniqExactMerge(views) AS views
        FROM {db}.web_dnt_slots
        GROUP BY tenant_id, slot, url
    )
    ARRAY JOIN ['', url] AS part_url
    GROUP BY tenant_id, slot, part_url
    """,
    "DROP VIEW IF EXISTS {db}.web_dnt_slots_mv",
    "DROP TABLE IF EXISTS {db}.web_dnt_slots",
]

BACKWARDS = [
    m0016_web_slots.DNT_TABLE,
    m0016_web_slots.DNT_VIEW,
    """
    INSERT INTO {db}.web_dnt_slots
    SELECT tenant_id, slot, url,
        uniqExactState(reinterpretAsUInt128(sipHash128(tenant_id, slot, url, n)))
    FROM {db}.web_slots FINAL ARRAY JOIN range(page_views) AS n
    WHERE kind = 3 AND page_views > 0
    GROUP BY tenant_id, slot, url
    """,
    "DELETE FROM {db}.web_slots WHERE kind IN (2, 3)",
    """
    INSERT INTO {db}.web_slots
    SELECT * REPLACE (
        if(length(gap_visitors) = length(gaps),
           arrayFlatten(arrayMap((g, n) -> arrayWithConstant(n, g), gaps, gap_visitors)),
           gaps) AS gaps,
        version + 1 AS version)
    FROM {db}.web_slots FINAL
    """,
    "ALTER TABLE {db}.web_slots DROP COLUMN IF EXISTS gap_visitors",
]
