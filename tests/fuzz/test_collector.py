"""Over 10,000 bad HTTP requests to the collector among good ones, on the real broker and Redis.

Each bad request gets a clean 4xx (or a 207/422 naming each event's fate), never a 5xx; the
collector keeps answering; and the domain topics end up holding exactly the good events: a bad
event is never published. Each event refused in an authenticated request is a letter in
``collector.dlq`` with its ``dead_letters`` row in the hand-off topic; a whole request refused
leaves nothing.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Iterator

import pytest

from pulse.avro.codec import EventDecoder
from pulse.settings import Settings
from tests.collector.conftest import (
    Keys,
    Running,
    apply_topics,
    collector_settings,
    make_keys,
    message_event,
    page_view,
    running,
)
from tests.e2e.harness import DOMAIN_TOPICS
from tests.fuzz.collector_requests import MAX_BODY_BYTES, MAX_BULK_EVENTS, Secrets, bad_calls
from tests.fuzz.pipeline import letter_headers, read_topics
from tests.fuzz.strategies import CATALOG

pytestmark = [pytest.mark.kafka, pytest.mark.redis]

GOOD_EVENTS = 300


@pytest.fixture
def fuzzed(settings: Settings, kafka: str, redis_url: str) -> Iterator[Running]:
    configured = collector_settings(
        settings,
        max_body_bytes=MAX_BODY_BYTES,
        max_bulk_events=MAX_BULK_EVENTS,
        rate_per_second=1e9,
        burst=10**9,
    )
    apply_topics(configured)
    yield from running(configured, make_keys())


def secrets(keys: Keys) -> Secrets:
    return Secrets(keys.secrets["acme"], keys.secrets["revoked"], keys.secrets["site"])


def test_ten_thousand_bad_requests_get_clean_answers_and_publish_nothing(
    fuzzed: Running,
) -> None:
    """No 5xx, no traceback, every status one its family allows; only good events published."""
    calls = bad_calls(secrets(fuzzed.keys), int(time.time() * 1000), page_view, message_event)
    assert len(calls) >= 10_000
    good = [message_event() for _ in range(GOOD_EVENTS)]
    order = [("bad", i) for i in range(len(calls))] + [("good", i) for i in range(len(good))]
    random.Random(11).shuffle(order)
    wrong: list[str] = []
    refused: list[str] = []
    for kind, i in order:
        if kind == "good":
            answer = fuzzed.client.post("/v1/events", json=good[i], headers=fuzzed.bearer("acme"))
            if answer.status_code != 200:
                wrong.append(f"good event {i}: {answer.status_code} {answer.text[:200]}")
            continue
        call = calls[i]
        answer = fuzzed.client.request(
            call.method, call.path, content=call.body, headers=call.headers
        )
        if answer.status_code not in call.allowed or "Traceback" in answer.text:
            wrong.append(f"{call.path} {call.headers} {call.body[:120]!r}: {answer.status_code}")
        elif answer.status_code in (207, 422):
            fates = json.loads(answer.text)["results"]
            if any(f["status"] != "rejected" for f in fates):
                wrong.append(f"a bad event accepted: {call.body[:200]!r}")
            refused.extend(f["code"] for f in fates)
    assert not wrong, f"{len(wrong)} wrong answers, e.g. {wrong[:5]}"
    decoder = EventDecoder(CATALOG)
    topics = [fuzzed.settings.topic(t) for t in DOMAIN_TOPICS]
    stored = [decoder.decode(m.value())["event_id"] for m in read_topics(fuzzed.settings, topics)]
    assert sorted(stored) == sorted(e["event_id"] for e in good)
    twins = [fuzzed.settings.topic(t + ".dlq") for t in DOMAIN_TOPICS]
    assert read_topics(fuzzed.settings, twins) == []
    letters = read_topics(fuzzed.settings, [fuzzed.settings.topic("collector.dlq")])
    assert sorted(letter_headers(m)["pulse.error.code"] for m in letters) == sorted(refused)
    assert sum(c == "tenant_not_allowed" for c in refused) == 1_000
    placed = {(m.partition(), m.offset()) for m in letters}
    rows = [
        row
        for m in read_topics(fuzzed.settings, [fuzzed.settings.topic("rows")])
        for row in json.loads(m.value())
    ]
    assert {(r["source_partition"], r["source_offset"]) for r in rows} == placed
    assert len(rows) == len(letters)
