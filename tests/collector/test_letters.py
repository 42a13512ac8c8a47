"""Refused events of an authenticated request become dead letters on the real broker: a letter in
``collector.dlq``, its ``dead_letters`` row through the hand-off topic into ClickHouse, listed,
shown and replayed by ``pulse dlq``."""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from pulse.avro.codec import EventDecoder
from pulse.avro.schemas import SchemaCatalog
from pulse.settings import Settings
from pulse.sinks.clickhouse import ClickHouse, connect
from pulse.sinks.migrator import Migrator
from pulse.sinks.sink import SinkRunner
from pulse.streams.dlq_cli import add_arguments, run
from tests.collector.conftest import Running, iso, message_event, page_view
from tests.fuzz.pipeline import letter_headers, read_topics

pytestmark = [pytest.mark.kafka, pytest.mark.redis]


def dlq(settings: Settings, *argv: str) -> int:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return run(parser.parse_args(list(argv)), settings)


def letters_of(settings: Settings) -> list[Any]:
    found = read_topics(settings, [settings.topic("collector.dlq")])
    return sorted(found, key=lambda m: int(letter_headers(m)["pulse.source.row"]))


def hand_off_rows(settings: Settings) -> list[dict[str, Any]]:
    """The dead_letters rows in the hand-off topic."""
    messages = read_topics(settings, [settings.topic("rows")])
    return [row for m in messages if m.key() == b"dead_letters" for row in json.loads(m.value())]


def refused_bulk(now: datetime) -> list[Any]:
    """A good event, then one refused for each of four reasons."""
    return [
        message_event(),
        message_event("globex"),
        message_event(direction="sideways"),
        {**message_event(), "event_type": "message.teleported"},
        42,
        message_event(occurred_at=iso(now + timedelta(days=2))),
    ]


@pytest.fixture
def sent(collector: Running) -> list[Any]:
    """The bulk posted with acme's server key, answered 207."""
    bulk = refused_bulk(datetime.now(UTC))
    answer = collector.client.post("/v1/events/bulk", json=bulk, headers=collector.bearer("acme"))
    assert answer.status_code == 207, answer.text
    assert [f["status"] for f in answer.json()["results"]] == ["accepted"] + ["rejected"] * 5
    return bulk


def test_each_refused_event_is_a_letter_with_reason_headers_and_its_json(
    collector: Running, sent: list[Any]
) -> None:
    """Five refusals, five letters keyed by the API key, the key's tenant, the index as row."""
    settings = collector.settings
    letters = letters_of(settings)
    headers = [letter_headers(m) for m in letters]
    assert [(h["pulse.error.code"], h["pulse.error.field"]) for h in headers] == [
        ("tenant_not_allowed", "tenant_id"),
        ("contract_error", "direction"),
        ("contract_error", "event_type"),
        ("contract_error", ""),
        ("from_future", "occurred_at"),
    ]
    key_id = collector.keys.lookup(collector.keys.secrets["acme"])
    assert key_id is not None
    for h, index in zip(headers, range(1, 6), strict=True):
        assert h["pulse.source.row"] == str(index)
        assert h["pulse.tenant_id"] == "acme"
        assert h["pulse.collector.key_id"] == key_id.key_id
        assert h["pulse.collector.key_kind"] == "server"
        assert h["pulse.source.topic"] == settings.topic("collector")
    assert [json.loads(m.value()) for m in letters] == sent[1:]
    assert {m.key() for m in letters} == {key_id.key_id.encode()}
    assert "globex" in headers[0]["pulse.error.reason"]


def test_each_letter_hands_off_one_row_at_its_own_coordinates(
    collector: Running, sent: list[Any]
) -> None:
    """The rows name the letters' topic, partition and offset, the index in the bulk as row."""
    settings = collector.settings
    letters = letters_of(settings)
    rows = sorted(hand_off_rows(settings), key=lambda r: r["source_row"])
    assert [
        (r["source_topic"], r["source_partition"], r["source_offset"], r["source_row"])
        for r in rows
    ] == [
        (m.topic(), m.partition(), m.offset(), int(letter_headers(m)["pulse.source.row"]))
        for m in letters
    ]
    assert {r["tenant_id"] for r in rows} == {"acme"}
    assert [r["code"] for r in rows] == [letter_headers(m)["pulse.error.code"] for m in letters]


@pytest.mark.clickhouse
def test_the_sink_stores_the_letters_rows_in_dead_letters(
    collector: Running, sent: list[Any]
) -> None:
    """The sink reads the hand-off topic and stores one dead_letters row per refused event."""
    settings = collector.settings
    client: ClickHouse = connect(settings.clickhouse)
    try:
        Migrator(client, settings.clickhouse.database).up()
        SinkRunner(settings, client).run_until_idle(1.5)
        SinkRunner(settings, client).run_until_idle(1.0)
        stored = client.query(
            "SELECT source_topic, source_row, tenant_id, code FROM dead_letters FINAL"
            " ORDER BY source_row"
        )
    finally:
        client.close()
    assert [(r["source_row"], r["code"]) for r in stored] == [
        (1, "tenant_not_allowed"),
        (2, "contract_error"),
        (3, "contract_error"),
        (4, "contract_error"),
        (5, "from_future"),
    ]
    assert {(r["source_topic"], r["tenant_id"]) for r in stored} == {
        (settings.topic("collector.dlq"), "acme")
    }


def test_dlq_list_and_show_present_collector_letters_with_their_json(
    collector: Running, sent: list[Any], capsys: pytest.CaptureFixture[str]
) -> None:
    """`pulse dlq list --topic collector` lists the five; `show` prints the event as sent."""
    settings = collector.settings
    assert dlq(settings, "list", "--json", "--topic", "collector") == 0
    listed = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert sorted(x["code"] for x in listed) == sorted(
        ["tenant_not_allowed", "contract_error", "contract_error", "contract_error", "from_future"]
    )
    assert all(x["id"].startswith(settings.topic("collector.dlq") + ":") for x in listed)
    [foreign] = [x for x in listed if x["code"] == "tenant_not_allowed"]
    assert dlq(settings, "show", foreign["id"]) == 0
    shown = capsys.readouterr().out
    assert "event (as sent, JSON)" in shown
    assert f'"event_id": "{sent[1]["event_id"]}"' in shown
    assert "api key" in shown


def test_replay_judges_collector_letters_again_and_sends_what_now_passes(
    collector: Running, sent: list[Any], capsys: pytest.CaptureFixture[str]
) -> None:
    """With a wider future skew the event from the future is replayed, encoded, to its domain
    topic; the other four are refused again and left where they are."""
    settings = collector.settings
    wider = replace(settings, contract=replace(settings.contract, future_skew_seconds=3 * 86400))
    assert dlq(wider, "replay", "--quiet", "--topic", "collector") == 0
    out, err = capsys.readouterr()
    assert "replayed 1 letter(s); skipped 0 truncated; 4 collector letter(s) refused again" in out
    assert f"1 to {settings.topic('events.conversations')}" in out
    assert err.count("refused ") == 4 and "still tenant_not_allowed" in err
    decoder = EventDecoder(SchemaCatalog())
    topic = settings.topic("events.conversations")
    stored = [decoder.decode(m.value())["event_id"] for m in read_topics(settings, [topic])]
    assert sorted(stored) == sorted([sent[0]["event_id"], sent[5]["event_id"]])
    assert len(letters_of(settings)) == 5


def test_whole_request_refusals_are_answered_and_never_stored(collector: Running) -> None:
    """No key, bad JSON, a bulk that is no array: plain HTTP errors, no letter, no row."""
    client = collector.client
    assert client.post("/v1/events", json=page_view()).status_code == 401
    bearer = collector.bearer("acme")
    assert client.post("/v1/events", content=b"{nope", headers=bearer).status_code == 400
    assert client.post("/v1/events/bulk", json={"a": 1}, headers=bearer).status_code == 400
    assert letters_of(collector.settings) == []
    assert hand_off_rows(collector.settings) == []
