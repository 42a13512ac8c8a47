"""``helpdesk_changes``: per tenant and UTC day, when its helpdesk figures last changed.

A question's answer per bucket is kept by ``answers.AnswerCache`` and reused while nothing it
rests on changed. What a bucket rests on lands in it by the UTC day of an event of its
conversations (an event, a first reply, a resolution), or of a creation up to the longest SLA
target earlier (a deadline); the backlog opening rests on every earlier day. So every helpdesk
refresh, once it has rewritten the moments and the backlog rows, writes a row here for every UTC
day holding any event of the conversations it refreshed (``backlog_days.days_of``), versioned by
the statement's clock; an erasure or a retention run that deleted a tenant's helpdesk rows
writes its :data:`EVERY_DAY` row. A cached bucket is reused only while the greatest version of
the days it rests on is the one it was computed with: whatever changed after that read wrote a
newer row once its moments were stored. A ReplacingMergeTree keeps one row per tenant and day,
so the table stays as small as the days of history (retention leaves it be).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

from pulse.graphql.queries import Reader
from pulse.sinks.clickhouse import ClickHouse

TABLE = "helpdesk_changes"
# A row of this day stands for every day of its tenant (an erasure or a retention run may
# touch any). It must stay the epoch: ``answers`` numbers days from it and counts the row in
# every opening of the backlog.
EVERY_DAY = date(1970, 1, 1)

# The rows come from arrays of parameters, the version from the statement's clock, so every
# row of one refresh holds the same version and a later refresh a greater one.
_MARK_SQL = f"""
INSERT INTO {TABLE} (tenant_id, day, version)
SELECT pair.1, pair.2, toUInt64(toUnixTimestamp64Micro(now64(6)))
FROM (SELECT arrayJoin(arrayZip({{tenants:Array(String)}}, {{days:Array(Date)}})) AS pair)
"""

_VERSIONS_SQL = f"""
SELECT day, max(version) AS version
FROM {TABLE}
WHERE tenant_id = {{tenant_id:String}}
GROUP BY day
ORDER BY day
"""


def mark(db: ClickHouse, days: Mapping[str, Sequence[date]]) -> None:
    """Record that the figures of each tenant's ``days`` changed (one statement for all)."""
    pairs = [(tenant, day) for tenant, some in sorted(days.items()) for day in sorted(set(some))]
    if pairs:
        db.execute(_MARK_SQL, {"tenants": [p[0] for p in pairs], "days": [p[1] for p in pairs]})


def mark_every_day_of(db: ClickHouse, tenant_ids: Sequence[str]) -> None:
    """Record that any figure of those tenants may have changed."""
    mark(db, {tenant_id: [EVERY_DAY] for tenant_id in tenant_ids})


def versions(db: Reader, tenant_id: str) -> list[tuple[date, int]]:
    """The tenant's days with their latest version, oldest first (:data:`EVERY_DAY` first)."""
    return [
        (r["day"], int(r["version"])) for r in db.query(_VERSIONS_SQL, {"tenant_id": tenant_id})
    ]
