"""Event counts of workflows, sequences and automation, read from ``events_raw`` at query time.

These events are few next to messages, and ``events_raw`` is ordered by ``(tenant_id,
event_type, occurred_at, …)``: "this tenant, these types, this range" is a primary-key range
read, so no derived table is kept. ``FINAL`` collapses an event stored twice into one row.
Buckets are cut in SQL in the question's zone and matched to the grid by their UTC start.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pulse.families.helpdesk.model import Bucket, Granularity
from pulse.graphql.queries import Reader

# The start of the bucket holding ``occurred_at``, as UTC seconds; the only text chosen by name.
_START = {
    "hour": "toUnixTimestamp(toStartOfHour(occurred_at, {tz:String}))",
    "day": "toUnixTimestamp(toStartOfDay(occurred_at, {tz:String}))",
    "week": "toUnixTimestamp(toDateTime(toMonday(occurred_at, {tz:String}), {tz:String}))",
    "month": "toUnixTimestamp(toDateTime(toStartOfMonth(occurred_at, {tz:String}), {tz:String}))",
}
_OF_TENANT = """
    tenant_id = {tenant_id:String} AND event_type IN {types:Array(String)}"""
_IN_RANGE = f"""{_OF_TENANT}
    AND occurred_at >= fromUnixTimestamp64Milli({{from_ms:Int64}}, 'UTC')
    AND occurred_at < fromUnixTimestamp64Milli({{to_ms:Int64}}, 'UTC')"""

# One scan gives the buckets, the totals and the per-entity counts of the range; ``{keys}``
# are the entity columns (aliased k0, k1, …), each with its grouping set.
_COUNTS_SQL = f"""
SELECT grouping(b) AS no_bucket, {{key_flags}}, b AS start_ms,
       toString(event_type) AS event_type, toInt64(count()) AS n
FROM (
    SELECT toInt64({{bucket_start}}) * 1000 AS b, {{keys}}, event_type
    FROM events_raw FINAL
    WHERE {_IN_RANGE} {{filters}}
)
GROUP BY GROUPING SETS ((b, event_type), (event_type), {{key_sets}})
"""

Counts = dict[str, int]


@dataclass(frozen=True)
class CountsQuery:
    """One tenant's events of ``event_types`` in the buckets' span, bucketed in ``time_zone``;
    ``filters`` fixes columns (names chosen by code, values bound as parameters)."""

    tenant_id: str
    buckets: tuple[Bucket, ...]
    time_zone: str
    granularity: Granularity
    event_types: tuple[str, ...]
    filters: Mapping[str, str] = field(default_factory=dict)

    @property
    def from_ms(self) -> int:
        return self.buckets[0].start_ms

    @property
    def to_ms(self) -> int:
        return self.buckets[-1].end_ms

    def params(self) -> dict[str, Any]:
        """The parameters every statement over this question binds."""
        return {
            "tenant_id": self.tenant_id,
            "types": list(self.event_types),
            "tz": self.time_zone,
            "from_ms": self.from_ms,
            "to_ms": self.to_ms,
            **{f"f_{column}": value for column, value in self.filters.items()},
        }


def where_filters(filters: Mapping[str, str]) -> str:
    """``AND column = {f_column:String}`` for each fixed column."""
    return "".join(f" AND {column} = {{f_{column}:String}}" for column in filters)


@dataclass(frozen=True)
class BucketCounts:
    """Counts by event type of every bucket of a question (aligned with its grid), of the whole
    range, and, per entity column, of each of its values over the range; a type without events
    is absent."""

    buckets: tuple[Counts, ...]
    totals: Counts
    by_key: dict[str, dict[str, Counts]]


def _counts_sql(q: CountsQuery, keys: Sequence[str]) -> str:
    aliases = [f"k{i}" for i in range(len(keys))]
    return (
        _COUNTS_SQL.replace("{bucket_start}", _START[q.granularity])
        .replace(
            "{keys}", ", ".join(f"toString({c}) AS {a}" for c, a in zip(keys, aliases, strict=True))
        )
        .replace("{key_flags}", ", ".join(f"grouping({a}) AS no_{a}, {a}" for a in aliases))
        .replace("{key_sets}", ", ".join(f"({a}, event_type)" for a in aliases))
        .replace("{filters}", where_filters(q.filters))
    )


def bucket_counts(db: Reader, q: CountsQuery, keys: Sequence[str]) -> BucketCounts:
    """Per bucket, over the range, and per value of each column of ``keys`` (chosen by code)
    over the range: how many events of each type."""
    starts = [b.start_ms for b in q.buckets]
    per_bucket: list[Counts] = [{} for _ in starts]
    totals: Counts = {}
    by_key: dict[str, dict[str, Counts]] = {key: {} for key in keys}
    for row in db.query(_counts_sql(q, keys), q.params()):
        kind, n = str(row["event_type"]), int(row["n"])
        grouped = [i for i in range(len(keys)) if not row[f"no_k{i}"]]
        if grouped:
            by_key[keys[grouped[0]]].setdefault(str(row[f"k{grouped[0]}"]), {})[kind] = n
        elif row["no_bucket"]:
            totals[kind] = n
        else:
            # A ClickHouse start that is no grid start (a zone whose offset moves by a
            # non-whole hour) goes to the grid bucket it falls in.
            at = max(bisect_right(starts, int(row["start_ms"])) - 1, 0)
            per_bucket[at][kind] = per_bucket[at].get(kind, 0) + n
    return BucketCounts(tuple(per_bucket), totals, by_key)


def open_at(
    db: Reader,
    tenant_id: str,
    as_of_ms: int,
    entity: tuple[str, str],
    opening: str,
    closing: Sequence[str],
    filters: Mapping[str, str],
) -> dict[str, int]:
    """Per group (``entity[0]``): the entities (``entity`` pairs) with an ``opening`` event at or
    before ``as_of_ms`` and no ``closing`` one at or before it — runs in progress, active
    enrollments. Reads the tenant's whole history of those types up to ``as_of_ms``."""
    group, member = entity
    sql = f"""
    SELECT toString({group}) AS key, toInt64(count()) AS n
    FROM (
        SELECT {group}, {member},
               countIf(event_type = {{opening:String}}) AS opened,
               countIf(event_type != {{opening:String}}) AS closed
        FROM events_raw FINAL
        WHERE {_OF_TENANT}
          AND occurred_at <= fromUnixTimestamp64Milli({{as_of_ms:Int64}}, 'UTC')
          {where_filters(filters)}
        GROUP BY {group}, {member}
    )
    WHERE opened > 0 AND closed = 0
    GROUP BY key
    """
    params = {
        "tenant_id": tenant_id,
        "types": [opening, *closing],
        "opening": opening,
        "as_of_ms": as_of_ms,
        **{f"f_{column}": value for column, value in filters.items()},
    }
    return {str(row["key"]): int(row["n"]) for row in db.query(sql, params)}
