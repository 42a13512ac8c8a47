"""`pulse alerts rules` on the real broker: create, list, update, pause, resume, delete."""

from __future__ import annotations

import json
from typing import Any

import pytest

from pulse.alerts.rule_directory import RuleDirectory
from pulse.settings import Settings
from tests.e2e.harness import pulse

pytestmark = [pytest.mark.kafka]

CREATE = (
    "--name", "urgent breaches", "--type", "sla_breach_rate", "--metric", "sla_breached",
    "--window", "15m", "--above", "5", "--priority", "urgent", "--pending", "60",
    "--cooldown", "600", "--recovery", "2",
)  # fmt: skip


def rules(settings: Settings, *args: str) -> list[dict[str, Any]]:
    done = pulse(settings, "alerts", "rules", *args, "--json")
    return [json.loads(line) for line in done.stdout.splitlines()]


def destination(settings: Settings, tenant: str) -> str:
    added = pulse(settings, "alerts", "destinations", "add", tenant, "email", "ops@x.example")
    return added.stdout.split("\t")[0]


def test_create_list_update_pause_resume_delete_through_kafka(
    alert_settings: Settings, kafka: str
) -> None:
    """A created rule is listed and in the directory; update, pause, resume change it; delete
    leaves a tombstone the directory applies."""
    settings = alert_settings
    pulse(settings, "topics", "apply")
    dst = destination(settings, "acme")
    (made,) = rules(settings, "create", "acme", *CREATE, "--destination", dst)
    rule_id = made["rule_id"]
    assert made["status"] == "active" and made["filter"] == {"priority": "urgent"}
    (listed,) = rules(settings, "list", "acme")
    assert listed == made
    assert rules(settings, "list", "globex") == []
    (changed,) = rules(settings, "update", "acme", rule_id, "--window", "1h", "--org-unit", "s1")
    assert changed["window"] == "1h" and changed["filter"] == {
        "org_unit": "s1",
        "priority": "urgent",
    }
    assert changed["condition"] == made["condition"]
    (paused,) = rules(settings, "pause", "acme", rule_id)
    assert paused["status"] == "paused"
    assert rules(settings, "list", "acme", "--status", "active") == []
    text = pulse(settings, "alerts", "rules", "list", "acme").stdout
    assert text.split("\t")[:5] == [rule_id, "paused", "sla_breach_rate", "sla_breached", "above 5"]
    assert rules(settings, "resume", "acme", rule_id)[0]["status"] == "active"
    with RuleDirectory.from_settings(settings) as directory:
        directory.wait_until_caught_up(30)
        found = directory.get(rule_id)
        assert found is not None and found.window == "1h" and found.status == "active"
        rules(settings, "delete", "acme", rule_id)
        directory.wait_until_caught_up(30)
        assert directory.get(rule_id) is None
    assert rules(settings, "list", "acme") == []


def test_invalid_rules_exit_1_naming_the_field_and_store_nothing(
    alert_settings: Settings, kafka: str
) -> None:
    """An unknown metric, a filter the metric lacks, a window out of bounds, a recovery on the
    firing side, an unknown or another tenant's destination, and another tenant's rule id are
    refused with the field named."""
    settings = alert_settings
    pulse(settings, "topics", "apply")
    mine, theirs = destination(settings, "acme"), destination(settings, "globex")
    (their_rule,) = rules(settings, "create", "globex", *CREATE, "--destination", theirs)

    def refused(*args: str) -> str:
        done = pulse(settings, "alerts", "rules", *args, check=False)
        assert done.returncode == 1, done.stdout
        return done.stderr

    create = ("create", "acme", *CREATE)
    assert "field: metric" in refused(*create, "--destination", mine, "--metric", "nope")
    assert "field: filter.channel" in refused(
        *create, "--destination", mine, "--type", "threshold", "--metric", "page_views",
        "--priority", "", "--channel", "sms",
    )  # fmt: skip
    assert "field: window" in refused(*create, "--destination", mine, "--window", "8d")
    assert "field: recovery" in refused(*create, "--destination", mine, "--recovery", "9")
    assert "field: destinations" in refused(*create, "--destination", "dst_nowhere")
    assert "field: destinations" in refused(*create, "--destination", theirs)
    assert "field: rule_id" in refused("pause", "acme", their_rule["rule_id"])
    assert "field: rule_id" in refused("update", "acme", their_rule["rule_id"], "--window", "1h")
    assert rules(settings, "list", "acme") == []
    assert rules(settings, "list", "globex") == [their_rule]


def test_a_rule_whose_destination_was_removed_can_be_paused_not_changed(
    alert_settings: Settings, kafka: str
) -> None:
    """Pausing never depends on the destinations; an update must name existing ones."""
    settings = alert_settings
    pulse(settings, "topics", "apply")
    dst = destination(settings, "acme")
    (made,) = rules(settings, "create", "acme", *CREATE, "--destination", dst)
    pulse(settings, "alerts", "destinations", "remove", "acme", dst)
    assert rules(settings, "pause", "acme", made["rule_id"])[0]["status"] == "paused"
    done = pulse(
        settings,
        "alerts",
        "rules",
        "update",
        "acme",
        made["rule_id"],
        "--window",
        "1h",
        check=False,
    )
    assert done.returncode == 1 and "field: destinations" in done.stderr
