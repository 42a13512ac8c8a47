"""The end-to-end scenario of the pipeline and crash tests: traffic, invalid input, checks."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from confluent_kafka import Consumer, Producer, TopicPartition

from pulse.avro.codec import EventEncoder
from pulse.avro.schemas import SchemaCatalog
from pulse.settings import Settings
from pulse.simulate import Simulation, TenantPlan
from pulse.sinks.clickhouse import connect
from tests.e2e.harness import Pipeline, pulse
from tests.e2e.oracle import Expected, parse_instant, recompute

TENANTS = [
    TenantPlan("acme", "America/New_York"),
    TenantPlan("globex", "Europe/Lisbon"),
    TenantPlan("initech", "Asia/Kolkata"),
]
ZONES = {t.tenant_id: t.timezone for t in TENANTS}
GRANULARITIES = ("hour", "day", "week", "month")

FIGURES = """sent delivered read clicked failed complained unsubscribed received
      deliveryRate readRate clickRate failureRate
      firstResponse { conversations frtAvgSeconds frtP50Seconds frtP90Seconds }"""
QUERY = f"""
query Messaging($from: DateTime!, $to: DateTime!, $granularity: Granularity!, $channel: String) {{
  messagingMetrics(from: $from, to: $to, granularity: $granularity, channel: $channel) {{
    timeZone
    buckets {{ start end localStart {FIGURES} }}
    totals {{ {FIGURES} }}
  }}
}}
"""
# Messages of acme this long before the simulation: older than the dedup horizon and than any
# window the stream ever kept, inside the late horizon. They land in their own month.
OLD_BY = timedelta(days=200)


def last_dst_change(zone: str, before: datetime) -> datetime:
    """The most recent instant before ``before`` at which ``zone`` changed its UTC offset."""
    tz = ZoneInfo(zone)
    t = before.replace(minute=0, second=0, microsecond=0)
    offset = t.astimezone(tz).utcoffset()
    while True:
        earlier = t - timedelta(hours=1)
        if earlier.astimezone(tz).utcoffset() != offset:
            return t
        t = earlier


def simulation(conversations: int = 300, seed: int = 11) -> Simulation:
    """≥10k events for three tenants over six days around New York's last DST change."""
    change = last_dst_change("America/New_York", datetime.now(UTC) - timedelta(days=1))
    return Simulation(
        tenants=TENANTS,
        start=change - timedelta(days=3),
        end=change + timedelta(days=3),
        conversations_per_tenant=conversations,
        campaign_messages_per_tenant=conversations * 5 // 3,
        seed=seed,
    )


BAD_LINES = [
    '{"event_id": "not json"',
    json.dumps({"event_type": "message.sent", "tenant_id": "acme"}),
    json.dumps(
        {
            "event_id": str(uuid.uuid4()),
            "tenant_id": "acme",
            "event_type": "csat.submitted",
            "occurred_at": "2026-11-01T10:00:00Z",
            "conversation_id": "c1",
            "score": "5",
        }
    ),
]


def old_events(sim: Simulation) -> list[dict[str, object]]:
    """Three deliveries of acme ``OLD_BY`` before the simulation."""
    old_at = sim.start - OLD_BY
    return [
        {
            "event_id": str(uuid.UUID(int=0xA11CE + n)),
            "tenant_id": "acme",
            "event_type": "message.delivered",
            "occurred_at": iso(old_at + timedelta(minutes=n)),
            "message_id": f"old-{n}",
            "channel": "sms",
            "direction": "outbound",
            "sender_type": "system",
        }
        for n in range(3)
    ]


def write_input(events: list[dict[str, object]], path: Path) -> int:
    """Writes the JSONL with a few bad lines mixed in; returns how many lines are bad."""
    lines = [json.dumps(e) for e in events]
    for i, bad in enumerate(BAD_LINES):
        lines.insert((i + 1) * len(lines) // (len(BAD_LINES) + 1), bad)
    path.write_text("\n".join(lines) + "\n")
    return len(BAD_LINES)


def publish_invalid_messages(pipeline: Pipeline) -> int:
    """Bytes no producer SDK would send: garbage, an unknown schema, a contract breach."""
    settings = pipeline.settings
    encoder = EventEncoder(SchemaCatalog())
    breach = encoder.encode(
        {
            "event_id": str(uuid.uuid4()),
            "tenant_id": "acme",
            "event_type": "csat.submitted",
            "occurred_at": 1_700_000_000_000,
            "schema_version": 1,
            "attributes": {},
            "tags": [],
            "conversation_id": "conv-x",
            "score": 9,
            "agent_id": None,
            "channel": None,
            "org_unit": None,
        }
    )
    messages = [b"\x00garbage", b"\xc3\x01" + b"\x07" * 8 + b"\x02", breach, b""]
    producer = Producer({"bootstrap.servers": settings.kafka.bootstrap_servers})
    for value in messages:
        producer.produce(settings.topic("events.conversations"), key=b"acme:conv-x", value=value)
    assert producer.flush(30) == 0
    return len(messages)


def dead_letters(pipeline: Pipeline) -> list[Any]:
    """Every message of the conversations topic's dead-letter twin."""
    settings = pipeline.settings
    topic = settings.topic("events.conversations.dlq")
    consumer = Consumer(
        {
            "bootstrap.servers": settings.kafka.bootstrap_servers,
            "group.id": f"dlq-reader-{uuid.uuid4().hex}",
            "enable.auto.commit": False,
            "isolation.level": "read_committed",
        }
    )
    meta = consumer.list_topics(topic, timeout=10).topics[topic]
    parts = [TopicPartition(topic, p, 0) for p in meta.partitions]
    ends = {p.partition: consumer.get_watermark_offsets(p, timeout=10)[1] for p in parts}
    consumer.assign(parts)
    out: list[Any] = []
    done = {p for p, end in ends.items() if end == 0}
    while len(done) < len(parts):
        msg = consumer.poll(5)
        if msg is None:
            break
        if msg.error() is None:
            out.append(msg)
            if msg.offset() + 1 >= ends[msg.partition()]:
                done.add(msg.partition())
    consumer.close()
    return out


def prepare(
    pipeline: Pipeline, tmp_path: Path, sim: Simulation
) -> tuple[list[dict[str, object]], Expected]:
    """Topics, tenants' zones, and the input file produced with the CLI; returns the oracle."""
    declare(pipeline)
    return publish(pipeline, tmp_path, sim)


def declare(pipeline: Pipeline) -> None:
    """The topics and the tenants' zones, so processes can start before any event exists."""
    pulse(pipeline.settings, "topics", "apply")
    for tenant in TENANTS:
        pulse(pipeline.settings, "tenants", "set", tenant.tenant_id, "--timezone", tenant.timezone)


def publish(
    pipeline: Pipeline, tmp_path: Path, sim: Simulation
) -> tuple[list[dict[str, object]], Expected]:
    """The simulation's events and a few old ones (with bad lines) produced with the CLI;
    returns the oracle."""
    events = sim.events() + old_events(sim)
    path = tmp_path / "events.jsonl"
    bad = write_input(events, path)
    result = pulse(pipeline.settings, "produce", str(path), check=False)
    assert result.returncode == 1, result.stderr
    assert result.stderr.count("line ") >= bad, result.stderr
    return events, recompute(events, ZONES)


def publish_in_parts(
    pipeline: Pipeline, tmp_path: Path, sim: Simulation, parts: int
) -> tuple[list[dict[str, object]], Expected]:
    """The simulation's events produced by ``parts`` CLI runs one after another, so that the
    load lasts (each run takes a second or two); returns the oracle."""
    events = sim.events()
    for n, part in enumerate(split(events, parts)):
        publish_part(pipeline, tmp_path / f"events-{n}.jsonl", part)
    return events, recompute(events, ZONES)


def split(events: list[dict[str, object]], parts: int) -> list[list[dict[str, object]]]:
    """``events`` in ``parts`` consecutive slices of (nearly) equal size."""
    step = -(-len(events) // parts)
    return [events[start : start + step] for start in range(0, len(events), step)]


def publish_part(pipeline: Pipeline, path: Path, events: list[dict[str, object]]) -> None:
    """``events`` (all valid) produced with one CLI run."""
    path.write_text("".join(json.dumps(e) + "\n" for e in events))
    result = pulse(pipeline.settings, "produce", str(path), check=False)
    assert result.returncode == 0, result.stderr


def assert_raw_rows_exact(settings: Settings, events: list[dict[str, object]]) -> None:
    """``events_raw`` holds each distinct (tenant, event id) once, at its first copy's time."""
    client = connect(settings.clickhouse)
    try:
        rows = client.query(
            "SELECT tenant_id, toString(event_id) AS event_id,"
            " toUnixTimestamp64Milli(occurred_at) AS at"
            f" FROM {settings.clickhouse.database}.events_raw FINAL"
        )
    finally:
        client.close()
    stored = {(r["tenant_id"], r["event_id"]) for r in rows}
    assert len(rows) == len(stored), "a raw event is stored twice"
    distinct = {(str(e["tenant_id"]), str(e["event_id"])) for e in events}
    assert stored == distinct, (
        f"lost {len(distinct - stored)} raw events, {len(stored - distinct)} unexpected"
    )
    first_time: dict[tuple[str, str], object] = {}
    for e in events:
        first_time.setdefault((str(e["tenant_id"]), str(e["event_id"])), e["occurred_at"])
    for r in rows:
        want = parse_instant(str(first_time[(r["tenant_id"], r["event_id"])]))
        assert int(want.timestamp() * 1000) == r["at"]


def assert_raw_counts_match(settings: Settings, events: list[dict[str, object]]) -> None:
    """What the sink stores, counted per tenant, event type and UTC hour by ClickHouse from
    ``events_raw FINAL``, equals the same count over the distinct input events."""
    client = connect(settings.clickhouse)
    try:
        rows = client.query(
            "SELECT tenant_id, event_type, toUnixTimestamp(toStartOfHour(occurred_at)) AS hour,"
            " count() AS n"
            f" FROM {settings.clickhouse.database}.events_raw FINAL"
            " GROUP BY tenant_id, event_type, hour"
        )
    finally:
        client.close()
    stored = {(r["tenant_id"], r["event_type"], r["hour"]): r["n"] for r in rows}
    first: dict[tuple[str, str], dict[str, object]] = {}
    for e in events:
        first.setdefault((str(e["tenant_id"]), str(e["event_id"])), e)
    expected: dict[tuple[str, str, int], int] = {}
    for e in first.values():
        hour = int(parse_instant(str(e["occurred_at"])).timestamp()) // 3600 * 3600
        key = (str(e["tenant_id"]), str(e["event_type"]), hour)
        expected[key] = expected.get(key, 0) + 1
    assert stored == expected, {
        k: (stored.get(k), expected.get(k))
        for k in stored.keys() | expected.keys()
        if stored.get(k) != expected.get(k)
    }


def iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


def assert_metrics_match(
    pipeline: Pipeline,
    expected: Expected,
    sim: Simulation,
    tenants: Iterable[str] = ZONES,
    granularities: Iterable[str] = GRANULARITIES,
) -> None:
    """GraphQL's buckets (every one of the grid) and totals equal the recomputation for every
    tenant, granularity, and a channel."""
    start, end = sim.start - timedelta(days=40), sim.end + timedelta(days=40)
    window = {"from": iso(start), "to": iso(end)}
    for tenant in tenants:
        for granularity in granularities:
            for channel in (None, "whatsapp"):
                label = (tenant, granularity, channel)
                variables = {**window, "granularity": granularity.upper(), "channel": channel}
                body = pipeline.graphql(tenant, QUERY, variables)
                assert "errors" not in body, body
                got = body["data"]["messagingMetrics"]
                assert got["timeZone"] == expected.zones[tenant], label
                buckets, totals = expected.messaging(tenant, granularity, start, end, channel)
                assert len(got["buckets"]) == len(buckets), label
                zone = ZoneInfo(expected.zones[tenant])
                for bucket, (s, e, row) in zip(got["buckets"], buckets, strict=True):
                    assert (_instant(bucket["start"]), _instant(bucket["end"])) == (s, e), label
                    local = datetime.fromisoformat(bucket["localStart"])
                    assert local.utcoffset() == s.astimezone(zone).utcoffset(), (label, s)
                    assert _flatten(bucket) == row, (label, s, _flatten(bucket), row)
                assert _flatten(got["totals"]) == totals, (label, "totals")


def assert_old_events_counted(pipeline: Pipeline, expected: Expected, sim: Simulation) -> None:
    """The old deliveries are in their local month, as the recomputation has it."""
    old_at = sim.start - OLD_BY
    start, end = old_at - timedelta(days=31), old_at + timedelta(days=1)
    window = {"from": iso(start), "to": iso(end), "granularity": "MONTH", "channel": None}
    body = pipeline.graphql("acme", QUERY, window)
    assert "errors" not in body, body
    got = body["data"]["messagingMetrics"]
    buckets, totals = expected.messaging("acme", "month", start, end)
    assert [_flatten(b) for b in got["buckets"]] == [row for _, _, row in buckets]
    assert _flatten(got["totals"]) == totals
    assert totals["delivered"] == 3


def move_tenant(pipeline: Pipeline, tenant: str, zone: str, timeout: float = 60) -> None:
    """Set ``tenant``'s zone and wait until the API buckets in it."""
    pulse(pipeline.settings, "tenants", "set", tenant, "--timezone", zone)
    query = '{ messagingMetrics(from: "2026-01-01T00:00:00Z", to: "2026-01-02T00:00:00Z",'
    query += " granularity: DAY) { timeZone } }"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = pipeline.graphql(tenant, query, {})
        if body["data"]["messagingMetrics"]["timeZone"] == zone:
            return
        time.sleep(0.5)
    raise AssertionError(f"the API never bucketed {tenant} in {zone}")


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def _flatten(bucket: dict[str, Any]) -> dict[str, object]:
    frt = bucket["firstResponse"]
    return {
        "sent": bucket["sent"],
        "delivered": bucket["delivered"],
        "read": bucket["read"],
        "clicked": bucket["clicked"],
        "failed": bucket["failed"],
        "complained": bucket["complained"],
        "unsubscribed": bucket["unsubscribed"],
        "received": bucket["received"],
        "delivery_rate": bucket["deliveryRate"],
        "read_rate": bucket["readRate"],
        "click_rate": bucket["clickRate"],
        "failure_rate": bucket["failureRate"],
        "frt_conversations": frt["conversations"],
        "frt_avg_seconds": frt["frtAvgSeconds"],
        "frt_p50_seconds": frt["frtP50Seconds"],
        "frt_p90_seconds": frt["frtP90Seconds"],
    }
