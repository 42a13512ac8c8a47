"""The real `pulse collect` process over a socket, with keys made by `pulse keys`."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from pulse.settings import Settings
from tests.collector.conftest import message_event
from tests.collector.process import collect_process, with_free_port
from tests.collector.test_collect import published_in
from tests.e2e.harness import pulse

pytestmark = [pytest.mark.kafka, pytest.mark.redis]


def test_pulse_collect_accepts_over_http_and_follows_revocations(
    settings: Settings, kafka: str, redis_url: str, tmp_path: Path
) -> None:
    """A key made by `pulse keys create` works over a socket; once revoked it gets 401."""
    settings = with_free_port(settings)
    pulse(settings, "topics", "apply")
    key_id, _, secret = pulse(settings, "keys", "create", "acme").stdout.splitlines()[0].split("\t")
    auth = {"Authorization": f"Bearer {secret}"}
    with collect_process(settings, tmp_path / "collect.log") as url:
        events = [message_event() for _ in range(20)]
        answer = httpx.post(f"{url}/v1/events/bulk", json=events, headers=auth, timeout=30)
        assert answer.status_code == 200, answer.text
        assert answer.json()["accepted"] == 20
        pulse(settings, "keys", "revoke", "acme", key_id)
        deadline = time.monotonic() + 10
        while True:
            # Until the collector has read the revocation (a poll away) the key still works.
            event = message_event()
            again = httpx.post(f"{url}/v1/events", json=event, headers=auth, timeout=30)
            if again.status_code != 200 or time.monotonic() > deadline:
                break
            events.append(event)
            time.sleep(0.2)
        assert again.status_code == 401 and again.json()["error"] == "revoked_key"
    ids = sorted(str(e["event_id"]) for e in published_in(settings))
    assert ids == sorted(e["event_id"] for e in events)
