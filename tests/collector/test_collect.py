"""POST /v1/events and /v1/events/bulk on the real broker: fates, acks, gzip, limits, tenants."""

from __future__ import annotations

import gzip
import json
import time
from dataclasses import replace

import pytest

from pulse.avro.codec import EventDecoder
from pulse.avro.schemas import SchemaCatalog
from pulse.settings import Settings
from pulse.streams.dlq_letters import CODE, FIELD, REASON, SOURCE_TOPIC, TENANT_ID
from tests.collector.conftest import (
    Keys,
    Running,
    collector_settings,
    message_event,
    page_view,
    running,
)
from tests.e2e.harness import pulse
from tests.fuzz.pipeline import read_topics

pytestmark = [pytest.mark.kafka, pytest.mark.redis]

DOMAINS = ("events.conversations", "events.outreach", "events.web", "events.contacts")


def published_in(settings: Settings) -> list[dict[str, object]]:
    """Every event in the domain topics of ``settings``, decoded."""
    decoder = EventDecoder(SchemaCatalog())
    topics = [settings.topic(t) for t in DOMAINS]
    return [decoder.decode(m.value()) for m in read_topics(settings, topics)]


def published(running: Running) -> list[dict[str, object]]:
    return published_in(running.settings)


def test_one_event_is_answered_after_kafka_has_it(collector: Running) -> None:
    """A valid event gets 200 with its id accepted, and is in its domain topic, keyed."""
    event = message_event()
    answer = collector.client.post("/v1/events", json=event, headers=collector.bearer("acme"))
    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "accepted": 1,
        "rejected": 0,
        "results": [{"index": 0, "event_id": event["event_id"], "status": "accepted"}],
    }
    [stored] = published(collector)
    assert stored["event_id"] == event["event_id"] and stored["tenant_id"] == "acme"


def test_a_bulk_of_good_and_bad_events_answers_each_fate(collector: Running) -> None:
    """207 lists each event's fate by index; only the good ones are published."""
    good = [message_event() for _ in range(3)]
    bad = [
        {**message_event(), "direction": "sideways"},
        {**message_event(), "occurred_at": "yesterday"},
        {"event_type": "nope.nope"},
        "not an object",
        {**message_event(), "score": 9, "event_type": "csat.submitted", "conversation_id": "c"},
    ]
    batch = [good[0], bad[0], good[1], bad[1], bad[2], bad[3], good[2], bad[4]]
    answer = collector.client.post("/v1/events/bulk", json=batch, headers=collector.bearer("acme"))
    assert answer.status_code == 207, answer.text
    body = answer.json()
    assert (body["accepted"], body["rejected"]) == (3, 5)
    fates = {r["index"]: r for r in body["results"]}
    assert [fates[i]["status"] for i in range(8)] == [
        "accepted", "rejected", "accepted", "rejected", "rejected", "rejected", "accepted",
        "rejected",
    ]  # fmt: skip
    assert (fates[1]["field"], fates[1]["reason"]) == ("direction", "not_in_enum")
    assert (fates[3]["field"], fates[3]["reason"]) == ("occurred_at", "bad_timestamp")
    assert (fates[4]["field"], fates[4]["reason"]) == ("event_type", "unknown_event_type")
    assert fates[5]["reason"] == "not_an_object" and fates[5]["event_id"] is None
    assert (fates[7]["field"], fates[7]["reason"]) == ("score", "out_of_range")
    assert fates[1]["event_id"] == bad[0]["event_id"]
    assert sorted(str(e["event_id"]) for e in published(collector)) == sorted(
        str(e["event_id"]) for e in good
    )


def test_a_gzipped_bulk_is_accepted(collector: Running) -> None:
    """Content-Encoding: gzip bodies are inflated and judged like plain ones."""
    events = [message_event() for _ in range(50)]
    body = gzip.compress(json.dumps(events).encode())
    headers = {**collector.bearer("acme"), "Content-Encoding": "gzip"}
    answer = collector.client.post("/v1/events/bulk", content=body, headers=headers)
    assert answer.status_code == 200, answer.text
    assert answer.json()["accepted"] == 50
    assert len(published(collector)) == 50


def test_a_duplicate_event_id_is_accepted_again_and_harmless(collector: Running) -> None:
    """Re-sending an event is accepted (the worker deduplicates by tenant and event id)."""
    event = message_event()
    for _ in range(2):
        answer = collector.client.post("/v1/events", json=event, headers=collector.bearer("acme"))
        assert answer.status_code == 200
    assert {str(e["event_id"]) for e in published(collector)} == {event["event_id"]}


def test_an_event_of_another_tenant_is_rejected_and_dead_lettered(collector: Running) -> None:
    """acme's key writing globex is rejected (field tenant_id) and lands in collector.dlq as
    acme's letter, its JSON scrubbed (IP anonymized, the dnt visitor replaced by the event id)."""
    foreign = page_view("globex", ip="203.0.113.77", dnt=True, session_id="s-1")
    answer = collector.client.post("/v1/events", json=foreign, headers=collector.bearer("acme"))
    assert answer.status_code == 422, answer.text
    [fate] = answer.json()["results"]
    assert (fate["status"], fate["field"], fate["reason"]) == (
        "rejected",
        "tenant_id",
        "tenant_not_allowed",
    )
    assert published(collector) == []
    [letter] = read_topics(collector.settings, [collector.settings.topic("collector.dlq")])
    headers = {k: v.decode() for k, v in letter.headers()}
    assert headers[CODE] == "tenant_not_allowed" and headers[FIELD] == "tenant_id"
    assert headers[TENANT_ID] == "acme" and "globex" in headers[REASON]
    assert headers[SOURCE_TOPIC] == collector.settings.topic("collector")
    stored = json.loads(letter.value())
    assert stored["event_id"] == foreign["event_id"]
    assert stored["ip"] == "203.0.113.0" and stored["visitor_id"] == foreign["event_id"]
    assert "session_id" not in stored
    listed = pulse(collector.settings, "dlq", "list", "--json", "--code", "tenant_not_allowed")
    [shown] = [json.loads(line) for line in listed.stdout.splitlines() if line.startswith("{")]
    assert shown["tenant_id"] == "acme" and shown["field"] == "tenant_id", shown


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({}, "missing_key"),
        ({"Authorization": "Bearer pk_not-a-key"}, "unknown_key"),
        ({"Authorization": "Basic abc"}, "missing_key"),
    ],
)
def test_a_request_without_a_valid_key_is_401(
    collector: Running, headers: dict[str, str], reason: str
) -> None:
    """Missing, unknown or non-bearer keys get 401 and nothing is published."""
    answer = collector.client.post("/v1/events", json=message_event(), headers=headers)
    assert answer.status_code == 401 and answer.json()["error"] == reason
    assert published(collector) == []


def test_a_revoked_key_is_401(collector: Running) -> None:
    """A revoked key gets 401 revoked_key."""
    answer = collector.client.post(
        "/v1/events", json=message_event(), headers=collector.bearer("revoked")
    )
    assert answer.status_code == 401 and answer.json()["error"] == "revoked_key"


def test_a_server_key_in_the_url_is_refused(collector: Running) -> None:
    """A pk_ key in ?key= is 401: server keys belong in a header, not in logged URLs."""
    secret = collector.keys.secrets["acme"]
    answer = collector.client.post(f"/v1/events?key={secret}", json=message_event())
    assert answer.status_code == 401 and answer.json()["error"] == "key_in_url"


def test_bodies_that_are_no_json_are_400(collector: Running) -> None:
    """Bad JSON, bad UTF-8, bad gzip and a non-array bulk are refused whole with 400."""
    auth = collector.bearer("acme")
    post = collector.client.post
    assert post("/v1/events", content=b"{nope", headers=auth).status_code == 400
    assert post("/v1/events", content=b'"\xff"', headers=auth).status_code == 400
    gz = {**auth, "Content-Encoding": "gzip"}
    assert post("/v1/events", content=b"not gzip", headers=gz).status_code == 400
    assert post("/v1/events/bulk", json={"a": 1}, headers=auth).status_code == 400
    br = {**auth, "Content-Encoding": "br"}
    assert post("/v1/events", content=b"{}", headers=br).status_code == 415


def test_without_kafkas_acknowledgement_the_answer_is_503(
    settings: Settings, redis_url: str, keys: Keys
) -> None:
    """With the broker unreachable a valid event is answered 503 after the ack timeout, not 200."""
    dead = replace(
        collector_settings(settings, ack_timeout_seconds=1.0),
        kafka=replace(settings.kafka, bootstrap_servers="127.0.0.1:1"),
    )
    for running_collector in running(dead, keys):
        started = time.monotonic()
        answer = running_collector.client.post(
            "/v1/events", json=message_event(), headers=running_collector.bearer("acme")
        )
        assert answer.status_code == 503 and answer.json()["error"] == "kafka_timeout"
        assert answer.headers["Retry-After"] == "1"
        assert 1.0 <= time.monotonic() - started < 5
