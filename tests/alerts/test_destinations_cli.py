"""`pulse alerts destinations add|list|rotate|remove` on the real broker, and the directory."""

from __future__ import annotations

import subprocess
import sys

import pytest

from pulse.alerts.directory import DestinationDirectory
from pulse.settings import Settings
from tests.e2e.harness import REPO, env_for, pulse

pytestmark = [pytest.mark.kafka]


def test_add_list_rotate_remove_and_the_directory_follows(
    alert_settings: Settings, kafka: str
) -> None:
    """A secret is printed once; list never shows one; rotate keeps the old one signing."""
    settings = alert_settings
    pulse(settings, "topics", "apply")
    added = pulse(
        settings, "alerts", "destinations", "add", "acme", "webhook", "http://127.0.0.1:9/h"
    )
    destination_id, kind, secret = added.stdout.splitlines()[0].split("\t")
    assert kind == "webhook" and secret.startswith("whsec_")
    mail = pulse(settings, "alerts", "destinations", "add", "acme", "email", "ops@acme.example")
    assert "whsec_" not in mail.stdout
    listed = pulse(settings, "alerts", "destinations", "list", "acme").stdout
    assert destination_id in listed and "ops@acme.example" in listed and secret not in listed
    assert pulse(settings, "alerts", "destinations", "list", "globex").stdout == ""
    rotated = pulse(settings, "alerts", "destinations", "rotate", "acme", destination_id)
    new_secret = rotated.stdout.splitlines()[0].split("\t")[1]
    with DestinationDirectory.from_settings(settings) as directory:
        directory.wait_until_caught_up(30)
        found = directory.get(destination_id)
        assert found is not None and found.secrets == (new_secret, secret)
        pulse(settings, "alerts", "destinations", "rotate", "acme", destination_id, "--finish")
        directory.wait_until_caught_up(30)
        found = directory.get(destination_id)
        assert found is not None and found.secrets == (new_secret,)
        pulse(settings, "alerts", "destinations", "remove", "acme", destination_id)
        directory.wait_until_caught_up(30)
        assert directory.get(destination_id) is None


def test_a_loopback_webhook_is_refused_without_the_setting(
    alert_settings: Settings, kafka: str
) -> None:
    """Without PULSE_ALERTS_ALLOW_LOOPBACK, adding a 127.0.0.1 URL exits 1 and stores nothing."""
    pulse(alert_settings, "topics", "apply")
    env = env_for(alert_settings, PULSE_ALERTS_ALLOW_LOOPBACK="false")
    refused = subprocess.run(
        [
            sys.executable,
            "-m",
            "pulse",
            "alerts",
            "destinations",
            "add",
            "acme",
            "webhook",
            "http://127.0.0.1:9/h",
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert refused.returncode == 1 and "127.0.0.1" in refused.stderr
    assert pulse(alert_settings, "alerts", "destinations", "list", "acme").stdout == ""
