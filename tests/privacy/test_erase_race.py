"""An erasure beside a sink refresh on a ClickHouse server: the refresh's rows written after
the repair, from facts read before it, are removed once the refresh has ended."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import pytest

from pulse.families.helpdesk.moments_sql import COLUMNS
from pulse.families.recalc import ChunkDone, RecalcRequest, recalc
from pulse.families.registry import DERIVATIONS, REALTIME
from pulse.privacy.erase import ErasureRequest, erase
from pulse.privacy.subject import Subject
from pulse.privacy.writers import IS_INSERT, RUNNING_SQL, running_inserts, wait_out
from pulse.sinks.clickhouse import ClickHouse
from pulse.sinks.realtime import RealtimeCache
from tests.privacy.dataset import now_ms, store, tenant_events

pytestmark = [pytest.mark.clickhouse, pytest.mark.redis]

_MOMENTS_SQL = (
    f"SELECT {COLUMNS} FROM helpdesk_moments FINAL"
    " WHERE tenant_id = {t:String} AND event_id IN {ids:Array(String)}"
)


class LateRefresh:
    """The embedded ClickHouse as a server would be, with one sink refresh beside the erasure
    that writes ``rows`` (read before it) once the repair is done: listed among the running
    inserts until it writes and ends, or (``listed`` false) ended just before the list is
    read."""

    shared = True

    def __init__(self, db: ClickHouse, rows: list[dict[str, Any]], listed: bool) -> None:
        self._db, self._rows, self._listed, self.polls = db, rows, listed, 0

    def query(self, sql: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        if "system.processes" not in sql:
            return self._db.query(sql, params)
        self.polls += 1
        if self._listed and self.polls == 1:
            return [{"query_id": "sink-refresh"}]
        if self.polls == (2 if self._listed else 1):
            self._db.insert("helpdesk_moments", self._rows, [c.strip() for c in COLUMNS.split(",")])
        return []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._db, name)


@pytest.fixture
def cache(redis_url: str) -> Iterator[RealtimeCache]:
    store_ = RealtimeCache(redis_url, 600)
    yield store_
    store_.close()


@pytest.mark.parametrize("listed", [True, False], ids=["still-running", "just-ended"])
def test_moments_a_refresh_writes_back_during_an_erasure_are_erased_once_it_ends(
    db: ClickHouse, cache: RealtimeCache, listed: bool
) -> None:
    """Moments of erased events written back by a refresh beside the erasure are gone, whether
    it was still running once the repair was done or had just ended."""
    acme = f"acme-{uuid.uuid4().hex[:8]}"
    now = now_ms()
    rows = tenant_events(acme, now)
    store(db, rows)
    erased = [r["event_id"] for r in rows if r["contact_id"] == "k1"]
    stale = db.query(_MOMENTS_SQL, {"t": acme, "ids": erased})
    assert stale, "the dataset gives the erased contact helpdesk moments"
    server = LateRefresh(db, stale, listed)

    report = erase(
        server,  # type: ignore[arg-type]
        ErasureRequest(Subject(acme, "contact", "k1"), "dpo@example.com"),
        DERIVATIONS,
        REALTIME,
        cache,
        "test-audit-key",
        clock=lambda: now / 1000,
    )

    assert server.polls >= (2 if listed else 1), "the late refresh wrote its rows"
    assert (report.inserts_waited, report.inserts_unsettled) == (int(listed), 0)
    assert db.query(_MOMENTS_SQL, {"t": acme, "ids": erased}) == []
    events = list(recalc(db, DERIVATIONS, RecalcRequest(tenant_id=acme, verify=True)))
    assert [d for e in events if isinstance(e, ChunkDone) for d in e.differences] == []


def test_embedded_clickhouse_runs_alone_and_lists_no_insert_beside_a_statement(
    db: ClickHouse,
) -> None:
    """chdb runs one statement at a time: an erasure there neither waits nor repairs twice."""
    assert db.shared is False
    assert running_inserts(db) == set()


def test_running_inserts_are_those_of_this_database_whatever_leads_their_text(
    db: ClickHouse,
) -> None:
    """The filter keeps inserts of the eraser's database, their text led by spaces or lines."""
    texts = ["\n  INSERT INTO t SELECT 1", "insert into t values", "SELECT 1 -- INSERT"]
    found = db.query(
        f"SELECT {IS_INSERT} AS insert FROM (SELECT arrayJoin({{texts:Array(String)}}) AS query)",
        {"texts": texts},
    )
    assert [r["insert"] for r in found] == [1, 1, 0]
    assert "current_database = currentDatabase()" in RUNNING_SQL


class Listed:
    """Running inserts as a server would list them, one list per poll."""

    def __init__(self, polls: Sequence[Sequence[str]]) -> None:
        self._polls = list(polls)

    def query(self, sql: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        ids = self._polls.pop(0) if len(self._polls) > 1 else self._polls[0]
        return [{"query_id": i} for i in ids]


def test_the_wait_ignores_inserts_begun_after_it_and_gives_up_at_its_timeout() -> None:
    """Only the inserts waited for count; one still running at the timeout is returned."""
    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    begun_after = Listed([["a", "b"], ["b", "c"], ["c"]])
    assert wait_out(begun_after, {"a", "b"}, 5, lambda: now[0], sleep) == set()  # type: ignore[arg-type]
    stuck = Listed([["a"]])
    assert wait_out(stuck, {"a"}, 1, lambda: now[0], sleep) == {"a"}  # type: ignore[arg-type]
    assert now[0] >= 1
