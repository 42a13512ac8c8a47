"""The helpdesk dataset holds the edge cases the end-to-end test exercises (no services)."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from tests.e2e.helpdesk_scenario import LAST_EVENT, TENANTS, HelpdeskDataset
from tests.e2e.oracle import bucket_start
from tests.e2e.oracle_helpdesk import accepted, conversation_facts, conversations, unanswered

DATA = HelpdeskDataset()
EVENTS = accepted(DATA.early + DATA.late)
AS_OF = LAST_EVENT + timedelta(minutes=1)


def test_every_event_is_before_as_of_and_duplicates_are_sent() -> None:
    """asOf follows every event (met/pending read alike either way), and retries exist."""
    assert max(e.at for e in EVENTS) == LAST_EVENT
    assert len(DATA.early) - len(accepted(DATA.early)) > 50


def test_oddities_fall_in_two_local_buckets() -> None:
    """The fall-back pair is two 01:00 local hours; the +05:30 pair straddles local midnight."""
    for tenant in TENANTS:
        zone = ZoneInfo(tenant.zone)
        first, second = tenant.oddity
        assert bucket_start(first, tenant.zone, "hour") != bucket_start(second, tenant.zone, "hour")
        if tenant.zone == "Asia/Kolkata":
            assert first.astimezone(zone).date() != second.astimezone(zone).date()
        else:
            assert first.astimezone(zone).hour == second.astimezone(zone).hour == 1


def test_deadline_cases_meet_exactly_and_breach_by_one_millisecond() -> None:
    """A reply exactly at the deadline is met; 1 ms after, or 1 ms late deadline, breached."""
    for tenant in TENANTS:
        convs = conversations(EVENTS, tenant.tenant_id)
        kinds = {
            name: {f.kind for f in conversation_facts(convs[name], tenant.sla_ms, AS_OF)}
            for name in ("at-deadline", "ms-after", "deadline-before-hour")
        }
        assert "met" in kinds["at-deadline"] and "breached" not in kinds["at-deadline"]
        assert "breached" in kinds["ms-after"] and "met" not in kinds["ms-after"]
        assert "breached" in kinds["deadline-before-hour"]


def test_reopened_agent_first_and_late_created_conversations() -> None:
    """Two resolutions after a reopening; an agent message before creation is not the FRT; the
    late creation is absent from the first publication."""
    for tenant in TENANTS:
        convs = conversations(EVENTS, tenant.tenant_id)
        reopened = conversation_facts(convs["reopened"], tenant.sla_ms, AS_OF)
        assert [f.kind for f in reopened].count("resolution") == 2
        agent_first = conversation_facts(convs["agent-first"], tenant.sla_ms, AS_OF)
        assert [f.value for f in agent_first if f.kind == "frt"] == [7 * 60_000]
        early = conversations(accepted(DATA.early), tenant.tenant_id)
        assert early["late-created"].creation is None
        assert convs["late-created"].creation is not None


def test_unanswered_cases_are_pending_at_risk_and_breached() -> None:
    """At asOf the open cases are listed as designed and the closed one is not."""
    for tenant in TENANTS:
        listed = {
            u.conversation_id: (u.breached, u.at_risk)
            for u in unanswered(
                EVENTS,
                tenant.tenant_id,
                sla_ms=tenant.sla_ms,
                as_of=AS_OF,
                at_risk_ms=20 * 60_000,
                limit=1000,
            )
        }
        assert listed["open-breached"] == (True, False)
        assert listed["open-edge"] == (False, False)
        assert listed["open-urgent"] == (False, True)
        assert "open-bot-only" in listed and "closed-unanswered" not in listed
