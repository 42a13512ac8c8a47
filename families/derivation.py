"""Derived tables: rows recomputed from what ClickHouse stores, for the keys a batch touched.

``events_raw`` is the source of truth. A family that keeps derived rows (a conversation's facts,
15-minute slot rollups) gives a :class:`Derivation`, registered once in
``pulse.families.registry``. Whoever stores raw events asks it which keys a block of raw rows
touched and has it recompute exactly those keys from everything stored:

- the sink, after a batch's rows are inserted and before its offsets are saved, so a crash in
  between replays the batch and recomputes again;
- ``pulse recalc``, over the keys of a range (``keys_in``), and ``--verify`` (``differences``).

A recomputation reads everything stored, so repeating it writes the same rows, and a later one
sees a superset of the events of an earlier one: derived tables are ``ReplacingMergeTree`` with a
version that grows with what was read, never counters that a replay would add to twice.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from pulse.sinks.clickhouse import ClickHouse, qualified

# A derived row's key in its family's terms; it starts with the tenant id.
Key = tuple[Any, ...]


@dataclass(frozen=True)
class Difference:
    """One figure where the stored derived row and a recomputation disagree."""

    table: str
    key: Key
    column: str
    stored: Any
    recomputed: Any


class Derivation(Protocol):
    """One family's derived tables, recomputable for any set of keys."""

    name: str

    def touched(self, raw: Mapping[str, Sequence[Any]]) -> set[Key]:
        """The keys whose rows a block of ``events_raw`` rows (column by column) may change."""
        ...

    def keys_in(
        self, db: ClickHouse, tenant_id: str | None, from_ms: int | None, to_ms: int | None
    ) -> Iterator[list[Key]]:
        """Every key with raw events of ``tenant_id`` (or every tenant) in ``[from_ms, to_ms)``,
        in chunks a single recomputation can take."""
        ...

    def refresh(self, db: ClickHouse, keys: Collection[Key]) -> int:
        """Recompute and store the rows of ``keys``; how many rows that wrote, as
        ``ClickHouse.execute`` counts them (a family refreshing through several statements may
        report the entities it recomputed instead)."""
        ...

    def differences(self, db: ClickHouse, keys: Collection[Key]) -> list[Difference]:
        """Where the stored rows of ``keys`` differ from a recomputation (nothing is written)."""
        ...


@runtime_checkable
class Forgets(Protocol):
    """A derivation with rows a refresh cannot rebuild once raw events are deleted (an erasure,
    ``pulse.privacy.erase``): state merged from the deleted events, or rows keyed by them. The
    eraser calls :meth:`forget` after deleting the raw rows, instead of
    :meth:`Derivation.refresh`: it leaves the keys as a refresh from what remains would, so that
    whatever must follow the rewrite (a mark that cached answers are stale) comes last. A
    derivation whose refresh rewrites (or retires) every row of its keys from what is stored
    needs none."""

    def forget(self, db: ClickHouse, keys: Collection[Key], event_ids: Collection[str]) -> int:
        """Drop what ``keys`` hold of the deleted raw events ``event_ids`` and refresh them from
        what remains; how many rows (or entities) that wrote, as :meth:`Derivation.refresh`
        counts."""
        ...


def entity_chunks(keys: Collection[Key], size: int) -> Iterator[tuple[str, list[str]]]:
    """``(tenant_id, entity_id)`` keys as sorted runs of at most ``size`` ids per tenant: the
    ``IN`` list of one recomputation statement."""
    by_tenant: dict[str, list[str]] = defaultdict(list)
    for tenant_id, entity_id in keys:
        by_tenant[str(tenant_id)].append(str(entity_id))
    for tenant_id, ids in sorted(by_tenant.items()):
        ids.sort()
        for start in range(0, len(ids), size):
            yield tenant_id, ids[start : start + size]


# The tenants of a sink batch share a refresh statement, whose cost is mostly fixed (planning,
# reading the tables' parts): a batch of many tenants would otherwise pay one per tenant.
TENANTS_PER_STATEMENT = 16


def tenants_or(clauses: Sequence[str]) -> str:
    """Rows of any of several tenants, each narrowed by its own clause: fixed text where tenant
    ``t`` is the parameter ``{tenant<t>:String}`` and ``clauses[t]`` chooses its rows."""
    return " OR ".join(
        f"(tenant_id = {{tenant{t}:String}} AND {clause})" for t, clause in enumerate(clauses)
    )


def tenants_scope(column: str, tenants: int) -> str:
    """A predicate choosing the ids of ``tenants`` tenants, ``column`` holding the id: fixed text
    whose values are :func:`tenants_params`."""
    return tenants_or([f"{column} IN {{ids{t}:Array(String)}}" for t in range(tenants)])


def tenants_params(ids: Mapping[str, Sequence[str]]) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for t, (tenant_id, tenant_ids) in enumerate(ids.items()):
        params[f"tenant{t}"], params[f"ids{t}"] = tenant_id, list(tenant_ids)
    return params


def tenants_chunks(keys: Collection[Key], size: int) -> Iterator[dict[str, list[str]]]:
    """``(tenant_id, entity_id)`` keys by tenant, at most ``size`` ids and
    :data:`TENANTS_PER_STATEMENT` tenants at a time: one :func:`tenants_scope` statement's."""
    chunk: dict[str, list[str]] = {}
    held = 0
    for tenant_id, ids in entity_chunks(keys, size):
        if held + len(ids) > size or len(chunk) == TENANTS_PER_STATEMENT or tenant_id in chunk:
            yield chunk
            chunk, held = {}, 0
        chunk[tenant_id] = ids
        held += len(ids)
    if chunk:
        yield chunk


def row_differences(
    table: str,
    tenant_id: str,
    stored: Mapping[Key, Mapping[str, Any]],
    recomputed: Mapping[Key, Mapping[str, Any]],
    columns: Sequence[str],
) -> list[Difference]:
    """Where rows keyed alike (the key without the tenant) differ: a row only one side has is
    an ``exists`` difference, else one per column that disagrees."""
    found: list[Difference] = []
    for row in sorted(stored.keys() | recomputed.keys()):
        key = (tenant_id, *row)
        have, want = stored.get(row), recomputed.get(row)
        if have is None or want is None:
            found.append(Difference(table, key, "exists", bool(have), bool(want)))
            continue
        found.extend(
            Difference(table, key, column, have[column], want[column])
            for column in columns
            if have[column] != want[column]
        )
    return found


Scope = tuple[str | None, int | None, int | None]


def scope_bounds(at: str, scope: Scope) -> tuple[str, dict[str, Any]]:
    """``AND …`` clauses (fixed text) and their parameters narrowing rows to ``scope``: one tenant
    or every one, and ``[from_ms, to_ms)`` of the time column ``at``."""
    tenant_id, from_ms, to_ms = scope
    where, params = "", dict[str, Any]()
    if tenant_id is not None:
        where += " AND tenant_id = {tenant_id:String}"
        params["tenant_id"] = tenant_id
    if from_ms is not None:
        where += f" AND {at} >= fromUnixTimestamp64Milli({{from_ms:Int64}}, 'UTC')"
        params["from_ms"] = from_ms
    if to_ms is not None:
        where += f" AND {at} < fromUnixTimestamp64Milli({{to_ms:Int64}}, 'UTC')"
        params["to_ms"] = to_ms
    return where, params


def chunked_keys(
    rows: Iterable[Mapping[str, Any]], column: str, size: int, kind: Callable[[Any], Any] = str
) -> Iterator[list[Key]]:
    """``(tenant_id, kind(row[column]))`` of ``rows``, ``size`` at a time: a ``keys_in``."""
    chunk: list[Key] = []
    for row in rows:
        chunk.append((str(row["tenant_id"]), kind(row[column])))
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def time_keys_in(
    db: ClickHouse,
    event_types: Collection[str],
    unit_ms: int,
    scope: Scope,
    size: int,
    only: str = "",
) -> Iterator[list[Key]]:
    """``(tenant_id, start_ms)`` of every UTC time unit (a 15-minute slot, a day) holding raw
    events of ``event_types`` within ``scope`` (and, given, matching ``only``, fixed text), in
    chunks of ``size``: the ``keys_in`` of a derivation keyed by time."""
    where, params = scope_bounds("occurred_at", scope)
    if only:
        where += f" AND ({only})"
    sql = (
        "SELECT DISTINCT tenant_id,"
        f" intDiv(toUnixTimestamp64Milli(occurred_at), {int(unit_ms)}) * {int(unit_ms)} AS start_ms"
        f" FROM {qualified(db.database, 'events_raw')}"
        " WHERE event_type IN {types:Array(String)}" + where + " ORDER BY tenant_id, start_ms"
    )
    rows = db.query(sql, {**params, "types": sorted(event_types)})
    return chunked_keys(rows, "start_ms", size, int)


def time_keys_by_tenant(keys: Collection[Key]) -> dict[str, list[int]]:
    """Each tenant's time units (``(tenant_id, start_ms)`` keys, as ``time_keys_in`` gives),
    sorted and once each."""
    starts: dict[str, set[int]] = defaultdict(set)
    for tenant, start_ms in keys:
        starts[str(tenant)].add(int(start_ms))
    return {tenant: sorted(found) for tenant, found in starts.items()}


def time_keys_in_groups(keys: Collection[Key]) -> Iterator[dict[str, list[int]]]:
    """:func:`time_keys_by_tenant`, :data:`TENANTS_PER_STATEMENT` tenants at a time: the
    tenants one refresh statement of a time-keyed derivation serves."""
    by_tenant = list(time_keys_by_tenant(keys).items())
    for start in range(0, len(by_tenant), TENANTS_PER_STATEMENT):
        yield dict(by_tenant[start : start + TENANTS_PER_STATEMENT])
