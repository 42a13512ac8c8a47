"""The sink on the real broker: rows land once, offsets are recorded, restarts resume exactly."""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Iterable
from dataclasses import replace

import pytest
import redis
from prometheus_client import REGISTRY

from pulse.alerts.wakeup import Touched, TouchedTenants
from pulse.families.messaging.model import MessagingCounts
from pulse.settings import Settings
from pulse.sinks.clickhouse import ClickHouse
from pulse.sinks.errors import ClickHouseError
from pulse.sinks.offsets import SinkOffsets
from pulse.sinks.realtime import RealtimeCache, SlotChannel
from pulse.sinks.sink import SinkRunner
from tests.sinks.kafka_util import committed, create_rows_topic, produce, read_topic
from tests.sinks.rows import HOUR, T0, dead_letter, event

pytestmark = [pytest.mark.kafka, pytest.mark.clickhouse]

IDLE = 1.5


def counts(client: ClickHouse) -> dict[str, int]:
    tables = ("events_raw", "dead_letters")
    return {t: client.query(f"SELECT count() AS n FROM {t} FINAL")[0]["n"] for t in tables}


def test_hand_off_messages_become_rows_and_offsets(
    settings: Settings, kafka: str, migrated: ClickHouse
) -> None:
    """Produced messages are stored by table, and both ClickHouse and Kafka record the offsets."""
    create_rows_topic(settings)
    produce(
        settings,
        [
            ("events_raw", [event(event_id="e1"), event(event_id="e2")]),
            ("dead_letters", [dead_letter(1)]),
            ("dead_letters", [dead_letter(2)]),
            ("events_raw", [event(event_id="e3")]),
        ],
        partition=1,
    )
    stats = SinkRunner(settings, migrated).run_until_idle(IDLE)
    assert (stats.messages, stats.rows, stats.bad_messages) == (4, 5, 0)
    assert counts(migrated) == {"events_raw": 3, "dead_letters": 2}
    stored = SinkOffsets(migrated).load(settings.sink.group_id, settings.topic("rows"))
    assert stored == {1: 3}
    assert committed(settings)[1] == 4


def test_a_restarted_runner_resumes_after_the_stored_offset(
    settings: Settings, kafka: str, migrated: ClickHouse
) -> None:
    """A second runner reads only new messages, and from sink_offsets even when Kafka lags."""
    create_rows_topic(settings)
    produce(settings, [("events_raw", [event(event_id=f"a{i}")]) for i in range(3)], partition=0)
    SinkRunner(settings, migrated).run_until_idle(IDLE)
    produce(settings, [("events_raw", [event(event_id="b0")])], partition=0)
    # A different Kafka group has committed nothing: only sink_offsets can tell where to resume.
    fresh_kafka_group = replace(settings, sink=replace(settings.sink, group_id="other"))
    SinkOffsets(migrated).save("other", {(settings.topic("rows"), 0): 2}, 0)
    stats = SinkRunner(fresh_kafka_group, migrated).run_until_idle(IDLE)
    assert stats.messages == 1
    assert counts(migrated)["events_raw"] == 4


def test_kafka_catches_up_with_sink_offsets_when_nothing_new_arrives(
    settings: Settings, kafka: str, migrated: ClickHouse
) -> None:
    """A sink killed after sink_offsets but before its Kafka commit leaves Kafka behind; the next
    runner commits the stored position on assignment, so the group's lag reaches 0."""
    create_rows_topic(settings)
    produce(settings, [("events_raw", [event(event_id=f"k{i}")]) for i in range(3)], partition=0)
    SinkOffsets(migrated).save(settings.sink.group_id, {(settings.topic("rows"), 0): 2}, 0)
    stats = SinkRunner(settings, migrated).run_until_idle(IDLE)
    assert stats.messages == 0
    assert committed(settings)[0] == 3


def test_replaying_stored_messages_changes_nothing(
    settings: Settings, kafka: str, migrated: ClickHouse
) -> None:
    """A group with no record replays every message; FINAL counts and the slot counts derived
    from the raw events stay the same."""
    create_rows_topic(settings)
    produce(
        settings,
        [
            ("events_raw", [event(event_id=f"e{i}") for i in range(20)]),
            ("dead_letters", [dead_letter(1)]),
            ("dead_letters", [dead_letter(1), dead_letter(2)]),
        ],
        partition=2,
    )
    SinkRunner(settings, migrated).run_until_idle(IDLE)
    before = counts(migrated)
    replay = replace(settings, sink=replace(settings.sink, group_id=settings.sink.group_id + "-2"))
    stats = SinkRunner(replay, migrated).run_until_idle(IDLE)
    assert stats.messages == 3
    assert counts(migrated) == before
    sent = "SELECT toInt64(sum(sent)) AS sent FROM messaging_slots FINAL"
    assert migrated.query(sent) == [{"sent": 20}]


def test_bad_messages_are_dead_letters_and_counted(
    settings: Settings, kafka: str, migrated: ClickHouse
) -> None:
    """Invalid JSON, an unknown table, a non-array and a bad row become dead letters (table and
    topic) with their reason; good rows land."""
    create_rows_topic(settings)
    produce(
        settings,
        [
            ("events_raw", b"{not json"),
            ("users", [event()]),
            ("events_raw", b'{"an": "object"}'),
            ("events_raw", [event(event_id="ok"), event(event_id="bad", occurred_at="noon")]),
        ],
        partition=0,
    )
    stats = SinkRunner(settings, migrated).run_until_idle(IDLE)
    # The four letters' rows come back through the hand-off topic and are stored too.
    assert (stats.messages, stats.bad_messages, stats.bad_rows, stats.rows) == (8, 3, 1, 5)
    assert counts(migrated)["events_raw"] == 1
    letters = migrated.query(
        "SELECT source_offset, source_row, code, field, reason, payload_b64 FROM dead_letters"
        " FINAL ORDER BY source_offset"
    )
    assert [(r["source_offset"], r["code"]) for r in letters] == [
        (0, "bad_message"),
        (1, "unknown_table"),
        (2, "bad_message"),
        (3, "bad_row"),
    ]
    assert letters[3]["source_row"] == 1 and letters[3]["field"] == "occurred_at"
    assert all(r["reason"] for r in letters)
    assert b'"bad"' in base64.b64decode(letters[3]["payload_b64"])
    dlq = read_topic(settings, settings.topic("rows") + ".dlq", timeout=3.0)
    assert sorted(dict(m.headers())["pulse.error.code"] for m in dlq) == [
        b"bad_message",
        b"bad_message",
        b"bad_row",
        b"unknown_table",
    ]
    # Its letters' rows came back through the hand-off topic, maybe after the four messages.
    assert SinkOffsets(migrated).load(settings.sink.group_id, settings.topic("rows"))[0] >= 3


def test_an_old_workers_retired_table_is_a_counted_dead_letter(
    settings: Settings, kafka: str, migrated: ClickHouse
) -> None:
    """A messaging_counters message from a worker older than m0009 is an unknown_table dead
    letter, counted, and the runner stores the rows after it."""
    create_rows_topic(settings)
    old_counter = {
        "tenant_id": "t1",
        "granularity": "hour",
        "bucket_start": T0,
        "bucket_end": T0 + HOUR,
        "channel": "whatsapp",
        "slice": "pulse.events.messages:0",
        "version": 5,
        "sent": 2,
    }
    produce(
        settings,
        [("messaging_counters", [old_counter]), ("events_raw", [event(event_id="after")])],
        partition=0,
    )
    rejected = {"code": "unknown_table"}
    before = REGISTRY.get_sample_value("pulse_sink_messages_rejected_total", rejected) or 0.0
    stats = SinkRunner(settings, migrated).run_until_idle(IDLE)
    assert stats.bad_messages == 1
    assert REGISTRY.get_sample_value("pulse_sink_messages_rejected_total", rejected) == before + 1
    assert counts(migrated)["events_raw"] == 1
    [letter] = migrated.query(
        "SELECT source_offset, code, reason, payload_b64 FROM dead_letters FINAL"
    )
    assert (letter["source_offset"], letter["code"]) == (0, "unknown_table")
    assert "messaging_counters" in letter["reason"]
    assert json.loads(base64.b64decode(letter["payload_b64"])) == [old_counter]
    [dlq] = read_topic(settings, settings.topic("rows") + ".dlq", timeout=3.0)
    assert dlq.key() == b"messaging_counters"


def test_a_quiet_stream_is_stored_without_waiting_out_the_batch_time(
    settings: Settings, kafka: str, migrated: ClickHouse
) -> None:
    """With batch_seconds at 30 s, rows followed by silence are stored after quiet_seconds."""
    create_rows_topic(settings)
    patient = replace(settings, sink=replace(settings.sink, batch_seconds=30.0, quiet_seconds=0.05))
    runner = SinkRunner(patient, migrated)
    stop = threading.Event()
    thread = threading.Thread(target=runner.run, args=(stop,))
    thread.start()
    try:
        produce(settings, [("events_raw", [event(event_id=f"q{i}")]) for i in range(3)])
        produced = time.monotonic()
        while runner.stats.rows < 3 and time.monotonic() - produced < 20:
            stop.wait(0.05)
        stored_after = time.monotonic() - produced
    finally:
        stop.set()
        thread.join(timeout=30)
    assert runner.stats.rows == 3 and stored_after < 20
    assert counts(migrated)["events_raw"] == 3


def test_run_stops_when_asked_and_stores_what_is_pending(
    settings: Settings, kafka: str, migrated: ClickHouse
) -> None:
    """run() in a thread keeps storing rows until its stop event is set."""
    create_rows_topic(settings)
    slow = replace(settings, sink=replace(settings.sink, batch_seconds=0.2))
    runner = SinkRunner(slow, migrated)
    stop = threading.Event()
    thread = threading.Thread(target=runner.run, args=(stop,))
    thread.start()
    try:
        produce(settings, [("events_raw", [event(event_id=f"r{i}")]) for i in range(10)])
        for _ in range(100):
            if runner.stats.rows == 10:
                break
            stop.wait(0.1)
    finally:
        stop.set()
        thread.join(timeout=30)
    assert not thread.is_alive()
    assert counts(migrated)["events_raw"] == 10


@pytest.mark.redis
def test_recent_slots_reach_the_realtime_cache_after_their_refresh(
    settings: Settings, kafka: str, redis_url: str, migrated: ClickHouse
) -> None:
    """Raw message events of a slot within the last two hours of the sink's clock are refreshed
    in messaging_slots and their counts, by channel, are readable from Redis, each tenant's of a
    batch under its own name; older ones are not cached."""
    create_rows_topic(settings)
    tenant = settings.kafka.topic_prefix
    other = f"{tenant}-b"
    rows = [event(tenant, f"r{i}") for i in range(4)] + [
        event(tenant, "old", occurred_at=T0 - 3 * HOUR),
        event(other, "o1", channel="email"),
        event(other, "o2", channel="email"),
    ]
    produce(settings, [("events_raw", rows)])
    cache = RealtimeCache(redis_url, settings.redis.realtime_ttl_seconds)
    now = (T0 + 60_000) / 1000
    SinkRunner(settings, migrated, cache, clock=lambda: now).run_until_idle(IDLE)
    found = cache.read_slots(tenant, [T0, T0 - 3 * HOUR])
    assert found == {T0: {"whatsapp": MessagingCounts(sent=4)}}
    assert cache.read_slots(other, [T0]) == {T0: {"email": MessagingCounts(sent=2)}}
    stored = migrated.query(
        "SELECT toInt64(sum(sent)) AS sent FROM messaging_slots FINAL WHERE tenant_id = {t:String}",
        {"t": tenant},
    )
    assert stored == [{"sent": 5}]


@pytest.mark.redis
def test_a_stored_batch_wakes_the_alert_evaluator(
    settings: Settings, kafka: str, redis_url: str, migrated: ClickHouse
) -> None:
    """The tenants of a stored batch's raw events reach both of the evaluator's wake-up lists:
    raw rows inserted, derivations stored."""
    create_rows_topic(settings)
    prefix = settings.kafka.topic_prefix
    rows = [event("acme", "a1"), event("globex", "g1"), event("acme", "a2")]
    produce(settings, [("events_raw", rows)])
    cache = RealtimeCache(redis_url, settings.redis.realtime_ttl_seconds)
    now = (T0 + 60_000) / 1000
    SinkRunner(settings, migrated, cache, clock=lambda: now).run_until_idle(IDLE)
    touched = TouchedTenants.open(redis_url, prefix)
    try:
        tenants = frozenset({"acme", "globex"})
        assert touched.wait(1.0) == Touched(stored=tenants, derived=tenants)
    finally:
        touched.close()


class FailingCache(RealtimeCache):
    """A cache whose Redis refuses every write."""

    def write_slots(self, rows: Iterable[SlotChannel]) -> int:
        raise redis.ConnectionError("Connection refused")


def test_a_realtime_cache_failure_is_logged_not_fatal(
    settings: Settings, kafka: str, migrated: ClickHouse
) -> None:
    """With Redis refusing writes the batch is still stored and committed, the failure counted."""
    create_rows_topic(settings)
    tenant = settings.kafka.topic_prefix
    produce(settings, [("events_raw", [event(tenant, "r1")])], partition=0)
    cache = FailingCache("redis://127.0.0.1:1/0", 60)
    now = (T0 + 60_000) / 1000
    runner = SinkRunner(settings, migrated, cache, clock=lambda: now)
    stats = runner.run_until_idle(IDLE)
    assert (stats.rows, stats.realtime_errors) == (1, 1)
    assert committed(settings)[0] >= 0


def test_a_clickhouse_failure_stops_the_runner_loudly(
    settings: Settings, kafka: str, clickhouse: ClickHouse
) -> None:
    """Without its tables the sink raises ClickHouseError instead of consuming past the failure."""
    create_rows_topic(settings)
    produce(settings, [("events_raw", [event()])], partition=0)
    with pytest.raises(ClickHouseError):
        SinkRunner(settings, clickhouse).run_until_idle(IDLE, max_seconds=30)
    assert committed(settings)[0] < 0
