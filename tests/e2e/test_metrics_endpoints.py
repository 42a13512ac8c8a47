"""``pulse worker`` and ``pulse serve`` answer ``/metrics`` on their HTTP ports, counters moved."""

from __future__ import annotations

import re
import time
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from pulse.settings import Settings
from tests.e2e.harness import Pipeline, free_port
from tests.streams.worker_run import prepare_topics, produce, workload

pytestmark = [pytest.mark.kafka, pytest.mark.clickhouse, pytest.mark.redis, pytest.mark.slow]

GARBAGE = b"\x00not avro"


def scrape(port: int) -> httpx.Response:
    response = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=")
    return response


def value(text: str, series: str) -> float:
    """The sample of ``series`` (name and labels as exposed) in a Prometheus text page."""
    match = re.search(rf"^{re.escape(series)} (\S+)$", text, re.MULTILINE)
    assert match, f"{series} is not exposed"
    return float(match.group(1))


def test_worker_and_serve_expose_their_counters_and_lag(
    settings: Settings, kafka: str, redis_url: str, tmp_path: Path
) -> None:
    """After a small workload the worker counts accepted events and dead letters, serve counts
    stored rows, and both report their groups' lag in Prometheus text format."""
    settings = replace(
        settings,
        api=replace(settings.api, port=free_port()),
        stream=replace(settings.stream, web_port=free_port()),
    )
    pipeline = Pipeline(settings, tmp_path)
    prepare_topics(settings)
    events = workload(5)
    produce(settings, events, [GARBAGE])
    try:
        pipeline.serve.start()
        pipeline.worker.start()
        pipeline.wait_api()
        pipeline.wait_caught_up(timeout=240)
        worker = scrape(settings.stream.web_port).text
        # The sink counts a batch just after the commit wait_caught_up saw.
        stored = f'pulse_sink_rows_stored_total{{table="events_raw"}} {float(len(events))}'
        deadline = time.monotonic() + 30
        while stored not in (served := scrape(settings.api.port).text):
            assert time.monotonic() < deadline, served
            time.sleep(0.5)
    finally:
        pipeline.stop()

    conversations = settings.topic("events.conversations")
    accepted = sum(
        value(worker, f'pulse_worker_events_accepted_total{{topic="{settings.topic(t)}"}}')
        for t in ("events.conversations", "events.web", "events.contacts")
    )
    assert accepted == len(events)
    dead = f'pulse_dead_letters_total{{code="decode_error",topic="{conversations}"}}'
    assert value(worker, dead) == 1
    assert value(worker, "pulse_worker_batch_duration_seconds_count") >= 1
    assert f'pulse_consumer_lag_messages{{group="{settings.stream.app_id}"' in worker
    assert value(served, "pulse_sink_flush_duration_seconds_count") >= 1
    assert f'pulse_consumer_lag_messages{{group="{settings.sink.group_id}"' in served
