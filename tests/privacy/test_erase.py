"""``pulse privacy erase``: a subject's events leave every table, and every figure is as if
they had never been sent."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import asdict

import pytest

from pulse.families.grid import grid
from pulse.families.helpdesk import changes
from pulse.families.helpdesk.answers import helpdesk_answer
from pulse.families.helpdesk.model import DEFAULT_SLA_MS, HelpdeskQuery
from pulse.families.messaging.model import COUNTS, Filters, MessagingQuery
from pulse.families.messaging.query import messaging_answer
from pulse.families.outreach.automation import AutomationQuery, automation_answer
from pulse.families.recalc import ChunkDone, RecalcRequest, recalc
from pulse.families.registry import DERIVATIONS, REALTIME
from pulse.families.web.model import WebQuery
from pulse.families.web.query import web_answer
from pulse.privacy.audit import entries
from pulse.privacy.erase import ErasureRequest, erase
from pulse.privacy.subject import Subject
from pulse.sinks.clickhouse import ClickHouse
from pulse.sinks.realtime import RealtimeCache
from tests.privacy.dataset import (
    HOUR,
    Row,
    automation_totals,
    helpdesk_totals,
    messaging_totals,
    now_ms,
    store,
    tenant_events,
)

KEY = "test-audit-key"
SLOT = 15 * 60_000

pytestmark = [pytest.mark.clickhouse, pytest.mark.redis]


@pytest.fixture
def cache(redis_url: str) -> Iterator[RealtimeCache]:
    store_ = RealtimeCache(redis_url, 600)
    yield store_
    store_.close()


def figures(db: ClickHouse, tenant: str, now: int) -> dict[str, object]:
    """What the query functions answer over the last two days, in UTC days."""
    buckets = grid(now - 48 * HOUR, now + HOUR, "day", "UTC", 10)
    messaging = messaging_answer(db, MessagingQuery(tenant, buckets, "UTC", "day"))
    only_k1 = messaging_answer(
        db, MessagingQuery(tenant, buckets, "UTC", "day", Filters(campaign_id="only-k1"))
    )
    helpdesk = helpdesk_answer(
        db, HelpdeskQuery(tenant, buckets, "UTC", "day", now + HOUR, DEFAULT_SLA_MS)
    ).totals
    automation = automation_answer(db, AutomationQuery(tenant, buckets, "UTC", "day")).totals
    return {
        "messaging": {c: getattr(messaging.totals, c) for c in COUNTS},
        "only_k1": {c: getattr(only_k1.totals, c) for c in COUNTS},
        "helpdesk": {k: v for k, v in asdict(helpdesk).items() if k in HELPDESK_FIGURES},
        "automation": (automation.executed, automation.failed),
    }


HELPDESK_FIGURES = (
    "conversations_created",
    "first_responses",
    "frt_avg_seconds",
    "resolution_avg_seconds",
    "csat_responses",
    "csat_avg",
)


def expected(rows: list[Row]) -> dict[str, object]:
    totals = messaging_totals(rows)
    only_k1 = messaging_totals(rows, campaign_id="only-k1")
    helpdesk = helpdesk_totals(rows)
    return {
        "messaging": {c: totals[c] for c in COUNTS},
        "only_k1": {c: only_k1[c] for c in COUNTS},
        "helpdesk": {k: helpdesk[k] for k in HELPDESK_FIGURES},
        "automation": automation_totals(rows),
    }


def approx(found: dict[str, object]) -> dict[str, object]:
    """Averages to the hundredth, as the answers round them."""
    helpdesk = found["helpdesk"]
    assert isinstance(helpdesk, dict)
    rounded = {k: round(v, 2) if isinstance(v, float) else v for k, v in helpdesk.items()}
    return {**found, "helpdesk": rounded}


def realtime_counts(
    cache: RealtimeCache, tenant: str, now: int
) -> dict[tuple[int, str], dict[str, int]]:
    slots = list(range(now - now % SLOT - 8 * SLOT, now + 1, SLOT))
    return {
        (slot, channel): {c: getattr(counts, c) for c in COUNTS}
        for slot, by_channel in cache.read_slots(tenant, slots).items()
        for channel, counts in by_channel.items()
        if any(getattr(counts, c) for c in COUNTS)
    }


def expected_realtime(rows: list[Row], now: int) -> dict[tuple[int, str], dict[str, int]]:
    found: dict[tuple[int, str], dict[str, int]] = {}
    for r in rows:
        if not r["event_type"].startswith("message.") or r["occurred_at"] < now - 2 * HOUR:
            continue
        key = (r["occurred_at"] - r["occurred_at"] % SLOT, r["channel"])
        counts = found.setdefault(key, dict.fromkeys(COUNTS, 0))
        counts[r["event_type"].removeprefix("message.")] += 1
    return found


def test_erasing_a_contact_leaves_every_figure_as_if_its_events_never_came(
    db: ClickHouse, cache: RealtimeCache
) -> None:
    """After erasing a contact every figure and Redis slot equals a recount without its events."""
    acme, globex = f"acme-{uuid.uuid4().hex[:8]}", f"globex-{uuid.uuid4().hex[:8]}"
    now = now_ms()
    rows, others = tenant_events(acme, now), tenant_events(globex, now)
    store(db, rows + others)
    for hook in REALTIME:
        raw = {c: [r[c] for r in rows] for c in rows[0]}
        hook.cache(db, cache, raw, now)
    assert approx(figures(db, acme, now)) == approx(expected(rows))
    before_globex = figures(db, globex, now)

    report = erase(
        db,
        ErasureRequest(Subject(acme, "contact", "k1"), "dpo@example.com", "art. 17 request"),
        DERIVATIONS,
        REALTIME,
        cache,
        KEY,
        clock=lambda: now / 1000,
    )

    kept = [r for r in rows if r["contact_id"] != "k1"]
    assert report.events == len(rows) - len(kept)
    assert approx(figures(db, acme, now)) == approx(expected(kept))
    assert figures(db, acme, now)["only_k1"] == dict.fromkeys(COUNTS, 0)
    assert figures(db, globex, now) == before_globex
    assert realtime_counts(cache, acme, now) == expected_realtime(kept, now)
    left = db.query(
        "SELECT toInt64(count()) AS n FROM events_raw WHERE tenant_id = {t:String}"
        " AND contact_id = 'k1'",
        {"t": acme},
    )
    assert left == [{"n": 0}]


def test_erased_helpdesk_moments_and_facts_are_gone_and_recalc_verify_finds_nothing(
    db: ClickHouse, cache: RealtimeCache
) -> None:
    """Erased events leave no moment or fact behind, and recalc --verify finds no difference."""
    acme = f"acme-{uuid.uuid4().hex[:8]}"
    now = now_ms()
    rows = tenant_events(acme, now)
    store(db, rows)
    request = ErasureRequest(Subject(acme, "contact", "k1"), "dpo@example.com")
    erase(db, request, DERIVATIONS, REALTIME, cache, KEY, clock=lambda: now / 1000)

    erased = [r["event_id"] for r in rows if r["contact_id"] == "k1"]
    moments = db.query(
        "SELECT event_id FROM helpdesk_moments FINAL WHERE event_id IN {ids:Array(String)}",
        {"ids": erased},
    )
    assert moments == []
    csat = db.query(
        "SELECT length(csat) AS n FROM helpdesk_conversations FINAL"
        " WHERE tenant_id = {t:String} AND conversation_id = 'c1'",
        {"t": acme},
    )
    assert csat == [{"n": 0}]
    gone = db.query(
        "SELECT conversation_id FROM helpdesk_conversations FINAL WHERE tenant_id = {t:String}"
        " AND conversation_id IN ('c0', 'c3')",
        {"t": acme},
    )
    assert gone == []
    events = list(recalc(db, DERIVATIONS, RecalcRequest(tenant_id=acme, verify=True)))
    assert [d for e in events if isinstance(e, ChunkDone) for d in e.differences] == []
    # The tenant-wide stale mark comes after the refresh's: an answer kept in between, resting
    # on a day only erased events held, is stale too.
    marks = changes.versions(db, acme)
    assert marks[0][0] == changes.EVERY_DAY
    assert marks[0][1] == max(version for _, version in marks)


def test_an_erasure_is_audited_by_an_hmac_of_the_subject_never_its_id(
    db: ClickHouse, cache: RealtimeCache
) -> None:
    """An erasure is audited with who, why, when, rows, and an HMAC of the subject, never its id."""
    acme = f"acme-{uuid.uuid4().hex[:8]}"
    now = now_ms()
    rows = tenant_events(acme, now)
    store(db, rows)
    subject = Subject(acme, "visitor", "v1")
    request = ErasureRequest(subject, "dpo@example.com", "ticket 42")
    erase(db, request, DERIVATIONS, REALTIME, cache, KEY, clock=lambda: now / 1000)

    [entry] = entries(db, acme, 10)
    assert (entry.action, entry.requested_by, entry.reason) == (
        "erase",
        "dpo@example.com",
        "ticket 42",
    )
    assert entry.requested_at == now and entry.subject_kind == "visitor"
    assert entry.rows == sum(1 for r in rows if r["visitor_id"] == "v1") == 2
    assert (
        entry.subject_hash
        == subject.audit_hash(KEY)
        != Subject(acme, "visitor", "v2").audit_hash(KEY)
    )
    stored = db.query("SELECT * FROM privacy_requests")
    assert "v1" not in str(stored)


def test_erasing_a_visitor_takes_its_sessions_out_of_the_web_figures(
    db: ClickHouse, cache: RealtimeCache
) -> None:
    """After erasing a visitor its session rows and event copies are gone and the web figures
    count only the other visitors' page views, visitors and sessions."""
    acme = f"acme-{uuid.uuid4().hex[:8]}"
    now = now_ms()
    rows = tenant_events(acme, now)
    store(db, rows)
    erase(
        db,
        ErasureRequest(Subject(acme, "visitor", "v1"), "dpo@example.com", "art. 17"),
        DERIVATIONS,
        REALTIME,
        cache,
        KEY,
        clock=lambda: now / 1000,
    )

    for table in ("web_sessions", "web_visitor_events"):
        left = db.query(
            f"SELECT toInt64(count()) AS n FROM {table} FINAL"
            " WHERE tenant_id = {t:String} AND visitor_id = 'v1'",
            {"t": acme},
        )
        assert left == [{"n": 0}], table
    views = [r for r in rows if r["event_type"] == "web.page_view" and r["visitor_id"] != "v1"]
    # The dataset's page views of one visitor lie minutes apart: one session each.
    visitors = {r["visitor_id"] for r in views}
    buckets = grid(now - 48 * HOUR, now + HOUR, "day", "UTC", 10)
    question = WebQuery(acme, buckets[0].start_ms, buckets[-1].end_ms, "UTC", "day", buckets)
    answer = web_answer(db, question)
    assert (answer.totals.page_views, answer.totals.visitors, answer.totals.sessions) == (
        len(views),
        len(visitors),
        len(visitors),
    )
