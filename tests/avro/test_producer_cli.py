"""`pulse produce`: good lines are published, bad ones are reported by line, field and reason."""

from __future__ import annotations

import argparse
import json
import re
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import AdminClient
from hypothesis import given
from hypothesis import strategies as st

from pulse.avro import produce_cli
from pulse.avro.codec import EventDecoder
from pulse.avro.contract import validate
from pulse.avro.schemas import SchemaCatalog
from pulse.settings import Settings
from pulse.topics import cli
from pulse.topics.declarations import DEFAULT_PATH
from tests.avro.test_producer import read_all

DOMAINS = ["events.conversations", "events.outreach", "events.web", "events.contacts"]


def good(n: int) -> dict[str, Any]:
    return {
        "event_id": str(uuid.UUID(int=n + 1)),
        "tenant_id": "acme",
        "event_type": "csat.submitted",
        "occurred_at": "2026-03-01T10:00:00Z",
        "conversation_id": f"c{n}",
        "score": 1 + n % 5,
    }


BAD = {
    "json": ('{"event_id": "x"', re.compile(r"^line \d+: invalid JSON: ")),
    "array": ("[1, 2]", re.compile(r"^line \d+: not a JSON object$")),
    "score": (
        json.dumps({**good(0), "score": "5"}),
        re.compile(r"^line \d+: field score: \S"),
    ),
    "missing": (
        json.dumps({k: v for k, v in good(0).items() if k != "conversation_id"}),
        re.compile(r"^line \d+: field conversation_id: \S"),
    ),
}


class Recorder:
    """A publisher that keeps what it is given."""

    def __init__(self) -> None:
        self.events: list[Mapping[str, Any]] = []

    def publish(self, event: Mapping[str, Any]) -> None:
        self.events.append(event)


@given(st.lists(st.sampled_from(["good", "blank", *BAD]), max_size=30))
def test_every_line_is_either_published_or_reported(kinds: list[str]) -> None:
    """Good lines are published in order; each bad one is reported once with its line number."""
    lines = [
        (json.dumps(good(i)) if k == "good" else "  " if k == "blank" else BAD[k][0]).encode()
        + b"\n"
        for i, k in enumerate(kinds)
    ]
    recorder = Recorder()
    reports: list[str] = []
    summary = produce_cli.publish_lines(lines, validate, recorder, reports.append)
    good_lines = [i for i, k in enumerate(kinds) if k == "good"]
    assert [e["conversation_id"] for e in recorder.events] == [f"c{i}" for i in good_lines]
    bad = [(i, k) for i, k in enumerate(kinds) if k in BAD]
    assert (summary.sent, summary.rejected) == (len(good_lines), len(bad))
    assert len(reports) == len(bad)
    for report, (i, kind) in zip(reports, bad, strict=True):
        assert report.startswith(f"line {i + 1}: ")
        assert BAD[kind][1].match(report), report


def test_progress_counts_every_byte() -> None:
    """The progress callback is given the size of the whole input, in batches."""
    lines = [json.dumps(good(i)).encode() + b"\n" for i in range(5000)]
    seen: list[int] = []
    produce_cli.publish_lines(lines, validate, Recorder(), print, progress=seen.append)
    assert sum(seen) == sum(len(line) for line in lines)
    assert len(seen) < 10


@pytest.fixture
def topics(settings: Settings, kafka: str) -> Iterator[Settings]:
    """The declared topics under the test's prefix, deleted afterwards."""
    assert cli.run(argparse.Namespace(action="apply", file=DEFAULT_PATH), settings) == 0
    yield settings
    admin = AdminClient({"bootstrap.servers": kafka})
    prefix = settings.kafka.topic_prefix + "."
    mine = [t for t in admin.list_topics(timeout=10).topics if t.startswith(prefix)]
    for future in admin.delete_topics(mine, operation_timeout=30).values():
        future.result()


def produce(path: Path, settings: Settings) -> int:
    args = argparse.Namespace(file=str(path), registry=None, quiet=True)
    return produce_cli.run(args, settings)


@pytest.mark.kafka
def test_good_lines_arrive_and_bad_lines_are_reported_not_sent(
    topics: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Exit 1, one report per bad line with its number, and only the good events in Kafka."""
    lines = [json.dumps(good(i)) for i in range(20)]
    lines.insert(3, BAD["json"][0])
    lines.insert(10, BAD["score"][0].replace(str(uuid.UUID(int=1)), str(uuid.uuid4())))
    path = tmp_path / "events.jsonl"
    path.write_text("\n".join(lines) + "\n")
    assert produce(path, topics) == 1
    out, err = capsys.readouterr()
    assert re.search(r"^line 4: invalid JSON: ", err, re.M), err
    assert re.search(r"^line 11: field score: \S", err, re.M), err
    assert "sent 20 event(s), rejected 2 line(s)" in out
    decoder = EventDecoder(SchemaCatalog())
    stored = [decoder.decode(m.value()) for m in read_all(topics, DOMAINS)]
    assert sorted(e["event_id"] for e in stored) == sorted(good(i)["event_id"] for i in range(20))
    assert all(e["score"] in range(1, 6) for e in stored)


@pytest.mark.kafka
def test_an_all_good_file_exits_zero(
    topics: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A file without bad lines publishes everything and exits 0."""
    path = tmp_path / "events.jsonl"
    path.write_text("".join(json.dumps(good(i)) + "\n" for i in range(50)))
    assert produce(path, topics) == 0
    assert "sent 50 event(s), rejected 0 line(s)" in capsys.readouterr().out
    assert len(read_all(topics, DOMAINS)) == 50


@pytest.mark.kafka
def test_registry_option_switches_to_the_confluent_wire_format(
    topics: Settings, tmp_path: Path
) -> None:
    """With --registry the values carry the Confluent magic byte and a schema id."""
    path = tmp_path / "events.jsonl"
    path.write_text(json.dumps(good(0)) + "\n")
    args = argparse.Namespace(file=str(path), registry="mock://produce-test", quiet=True)
    assert produce_cli.run(args, topics) == 0
    (msg,) = read_all(topics, DOMAINS)
    assert msg.value()[:1] == b"\x00"


@pytest.mark.kafka
def test_an_event_over_the_message_size_is_a_line_error(
    topics: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A 1.1 MB identifier is its line's error, not a traceback (found by tests/fuzz); the lines
    around it are still published."""
    huge = {**good(1), "conversation_id": "c" * 1_100_000}
    path = tmp_path / "events.jsonl"
    path.write_text("".join(json.dumps(e) + "\n" for e in (good(0), huge, good(2))))
    assert produce(path, topics) == 1
    out, err = capsys.readouterr()
    assert re.search(r"^line 2: field conversation_id: too_long \(", err, re.M), err
    assert "sent 2 event(s), rejected 1 line(s)" in out
    assert len(read_all(topics, DOMAINS)) == 2


class OversizeKafka:
    """A publisher whose client refuses the message for its size."""

    def publish(self, event: Mapping[str, Any]) -> None:
        raise KafkaException(KafkaError(KafkaError.MSG_SIZE_TOO_LARGE))


def test_a_message_kafka_finds_too_large_is_a_line_error() -> None:
    """Kafka's size refusal names the line (too_large) and the run goes on."""
    errors: list[str] = []
    summary = produce_cli.publish_lines(
        [json.dumps(good(0)).encode()], validate, OversizeKafka(), errors.append
    )
    assert summary.rejected == 1
    assert re.match(r"line 1: too_large \(", errors[0]), errors


class BrokenKafka:
    """A publisher whose client fails for a reason that is no line's fault."""

    def publish(self, event: Mapping[str, Any]) -> None:
        raise KafkaException(KafkaError(KafkaError._TRANSPORT))


def test_a_kafka_failure_other_than_size_stops_the_run() -> None:
    """Only an oversized event is a line error; a transport failure propagates."""
    with pytest.raises(KafkaException):
        produce_cli.publish_lines([json.dumps(good(0)).encode()], validate, BrokenKafka(), print)


def test_json_nested_too_deeply_is_a_line_error() -> None:
    """A line of 100k nested arrays is invalid JSON of its line, not a RecursionError (found
    by tests/fuzz); the next line is still published."""
    recorder = Recorder()
    reports: list[str] = []
    lines = [b"[" * 100_000, json.dumps(good(0)).encode()]
    summary = produce_cli.publish_lines(lines, validate, recorder, reports.append)
    assert (summary.sent, summary.rejected) == (1, 1)
    assert reports[0].startswith("line 1: invalid JSON: maximum recursion depth")
