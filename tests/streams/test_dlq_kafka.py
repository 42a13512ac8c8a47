"""`pulse dlq` on the real broker: letters written as the worker writes them, listed, replayed."""

from __future__ import annotations

import argparse
import json
import time
import uuid
from dataclasses import replace
from typing import Any

import pytest
from confluent_kafka import Consumer, TopicPartition

from pulse.avro.codec import EventEncoder
from pulse.avro.schemas import SchemaCatalog
from pulse.settings import Settings
from pulse.streams.deadletter import DeadLetter
from pulse.streams.dlq_cli import add_arguments, run
from pulse.streams.dlq_errors import BadLetterIdError
from pulse.streams.handoff import RowsHandoff
from pulse.streams.source import SourceRecord
from pulse.topics.admin import apply
from pulse.topics.cli import make_plan

pytestmark = [pytest.mark.kafka, pytest.mark.timeout(180)]

T1 = 1_764_504_000_000  # 2025-11-30T12:00:00Z
T2 = T1 + 3600_000
EVENT = {
    "event_id": "e-ahead",
    "tenant_id": "acme",
    "event_type": "message.sent",
    "occurred_at": 1_600_000_000_000,
    "message_id": "m1",
    "channel": "sms",
    "direction": "outbound",
    "sender_type": "agent",
}


OLD_HEADERS = {f"pulse.error.{n}" for n in ("code", "field", "reason")} | {
    f"pulse.source.{n}" for n in ("topic", "partition", "offset")
}


def newer(tenant: str, failed_at: int, value: bytes, **extra: str) -> list[tuple[str, bytes]]:
    """The headers the lead adds to every letter (absent from letters written before)."""
    found = {"pulse.tenant_id": tenant, "pulse.failed_at": str(failed_at), **extra}
    return [(name, text.encode()) for name, text in found.items()] + [
        ("pulse.payload.bytes", str(len(value)).encode())
    ]


@pytest.fixture
def letters(settings: Settings, kafka: str) -> Settings:
    """Declared topics, and four letters sent as the worker sends them (one partition each)."""
    settings = replace(settings, kafka=replace(settings.kafka, partitions=1))
    plan, admin = make_plan(settings)
    apply(admin, plan)
    conversations, web = settings.topic("events.conversations"), settings.topic("events.web")
    ahead = EventEncoder(SchemaCatalog()).encode(EVENT)
    out = RowsHandoff(settings.kafka, settings.topic("rows"))
    sent: list[tuple[DeadLetter, list[tuple[str, bytes]] | None]] = [
        (
            DeadLetter(SourceRecord(conversations, 0, 10, T1), b"acme:m1", ahead, "from_future",
                       "occurred_at", "later than the broker time plus the skew", "acme"),
            newer("acme", T1, ahead),
        ),
        (
            DeadLetter(SourceRecord(conversations, 0, 11, T2), b"t1:bad", b"\x07junk",
                       "decode_error", "", "unknown magic byte 0x07"),
            newer("", T2, b"\x07junk"),
        ),
        # Written before the newer headers existed: tenant unknown, time = the message's.
        (
            DeadLetter(SourceRecord(web, 0, 5, T1), b"beta:v1", b"\x07web", "contract_error",
                       "url", "must not be empty"),
            None,
        ),
        (
            DeadLetter(SourceRecord(web, 0, 6, T2), b"acme:v2", b"\xc3\x01prefix", "too_big", "",
                       "message larger than the bound", "acme"),
            newer("acme", T2, b"x" * 9000, **{"pulse.payload.truncated": "true"}),
        ),
    ]  # fmt: skip
    for letter, extra in sent:
        if extra is None:
            headers = [(k, v) for k, v in letter.headers() if k in OLD_HEADERS]
        else:
            headers = letter.headers() + extra  # type: ignore[operator]
        out.send_raw(letter.topic, letter.key, letter.value, headers)
    out.flush()
    out.close()
    return settings


def dlq(settings: Settings, *argv: str) -> int:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return run(parser.parse_args(list(argv)), settings)


def listed(settings: Settings, capsys: pytest.CaptureFixture[str], *argv: str) -> list[Any]:
    assert dlq(settings, "list", "--json", *argv) == 0
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def test_list_reads_every_dead_letter_topic_and_counts_by_code(
    letters: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without filters every letter of every twin is listed once, then a count by code."""
    assert dlq(letters, "list") == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 5
    assert out[-1] == "4 letter(s): contract_error 1, decode_error 1, from_future 1, too_big 1"
    ahead = next(line for line in out if "from_future" in line)
    assert ahead.startswith(f"{letters.topic('events.conversations.dlq')}:0:0  ")
    assert "2025-11-30T12:00:00.000Z  acme  from_future  occurred_at" in ahead


def test_list_filters_by_topic_tenant_code_and_time(
    letters: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each filter narrows the listing; --until is exclusive and --limit stops early."""

    def codes(*argv: str) -> list[str]:
        return sorted(row["code"] for row in listed(letters, capsys, *argv))

    assert codes("--topic", "events.web") == ["contract_error", "too_big"]
    assert codes("--topic", letters.topic("events.conversations.dlq")) == [
        "decode_error",
        "from_future",
    ]
    assert codes("--tenant", "acme") == ["from_future", "too_big"]
    assert codes("--tenant", "") == ["contract_error", "decode_error"]
    assert codes("--code", "decode_error") == ["decode_error"]
    assert codes("--since", "2025-11-30T12:30:00Z", "--until", "2025-11-30T13:00:00Z") == []
    assert codes("--until", "2025-11-30T13:00:00Z") == ["from_future"]
    assert codes("--since", "2025-11-30T13:00:00Z", "--until", "2025-12-01") == [
        "decode_error",
        "too_big",
    ]
    assert len(codes("--limit", "3")) == 3


def test_show_prints_headers_and_the_decoded_event(
    letters: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    """The id printed by list shows the letter's reason, headers, hash and decoded event."""
    (row,) = listed(letters, capsys, "--code", "from_future")
    assert dlq(letters, "show", row["id"]) == 0
    text = capsys.readouterr().out
    assert "reason        later than the broker time plus the skew" in text
    assert f"pulse.source.topic: {letters.topic('events.conversations')}" in text
    assert row["payload_sha256"] in text
    assert '"event_id": "e-ahead"' in text


@pytest.mark.parametrize("name", ["events.web.dlq:0:99", "events.web.dlq:7:0", "nope.dlq:0:0"])
def test_show_of_an_id_that_holds_no_letter_is_a_structured_error(
    letters: Settings, name: str
) -> None:
    """An offset past the end, a partition or a topic that is not there: BadLetterIdError."""
    letter_id = letters.topic(name)
    with pytest.raises(BadLetterIdError) as caught:
        dlq(letters, "show", letter_id)
    assert caught.value.fields["letter_id"] == letter_id


def test_replay_sends_the_original_messages_and_skips_truncated_ones(
    letters: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    """Replay re-publishes key and bytes to the source topic, marked; a dry run sends nothing."""
    assert dlq(letters, "replay", "--dry-run", "--quiet") == 0
    assert "would replay 3 letter(s); skipped 1 truncated" in capsys.readouterr().out
    assert source_messages(letters, "events.web", expect=0) == []

    assert dlq(letters, "replay", "--tenant", "acme") == 0
    captured = capsys.readouterr()
    assert "replayed 1 letter(s); skipped 1 truncated" in captured.out
    assert f"skipped {letters.topic('events.web.dlq')}:0:1: truncated" in captured.err
    (replayed,) = source_messages(letters, "events.conversations", expect=1)
    assert replayed[:2] == (b"acme:m1", EventEncoder(SchemaCatalog()).encode(EVENT))
    assert replayed[2] == {
        "pulse.replay.of": f"{letters.topic('events.conversations.dlq')}:0:0".encode()
    }
    assert source_messages(letters, "events.web", expect=0) == []


def source_messages(settings: Settings, short: str, expect: int) -> list[Any]:
    """(key, value, headers) of every message in a source topic, waiting for ``expect``."""
    consumer = Consumer(
        {"bootstrap.servers": settings.kafka.bootstrap_servers, "group.id": uuid.uuid4().hex}
    )
    consumer.assign([TopicPartition(settings.topic(short), 0, 0)])
    got: list[Any] = []
    deadline = time.monotonic() + (10 if expect else 2)
    try:
        while time.monotonic() < deadline and len(got) <= expect:
            for msg in consumer.consume(10, timeout=0.5):
                if msg.error() is None:
                    got.append((msg.key(), msg.value(), dict(msg.headers() or [])))
        return got
    finally:
        consumer.close()
