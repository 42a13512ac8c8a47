"""`pulse topics plan|apply` against the real broker: additive, idempotent, never destructive."""

from __future__ import annotations

import argparse
import time
from dataclasses import replace

import pytest
from confluent_kafka.admin import AdminClient, NewTopic

from pulse.settings import Settings
from pulse.topics import admin as topic_admin
from pulse.topics import cli
from pulse.topics.declarations import DEFAULT_PATH, default_declarations
from pulse.topics.planner import AddPartitions, AlterConfig, CreateTopic, Plan

pytestmark = pytest.mark.kafka


def apply(settings: Settings) -> None:
    assert cli.run(argparse.Namespace(action="apply", file=DEFAULT_PATH), settings) == 0


def live(client: AdminClient, settings: Settings) -> dict[str, topic_admin.LiveTopic]:
    names = [settings.topic(s.name) for s in default_declarations().topics]
    return topic_admin.read_live(client, names)


def creations(plan: Plan) -> set[str]:
    return {a.topic.name for a in plan.actions if isinstance(a, CreateTopic)}


def test_apply_creates_everything_and_a_second_apply_plans_nothing(
    settings: Settings, admin: AdminClient, capsys: pytest.CaptureFixture[str]
) -> None:
    """The first apply creates all declared topics with their configs; the second is a no-op."""
    apply(settings)
    topics = live(admin, settings)
    assert len(topics) == len(default_declarations().topics)
    conversations = topics[settings.topic("events.conversations")]
    assert conversations.partitions == settings.kafka.partitions
    assert conversations.config["retention.ms"] == "604800000"
    assert topics[settings.topic("tenants")].config["cleanup.policy"] == "compact"
    assert topics[settings.topic("events.web.dlq")].config["retention.ms"] == "2592000000"
    capsys.readouterr()
    second, _ = cli.make_plan(settings)
    assert second.empty and not second.drifts
    apply(settings)
    assert "nothing to change" in capsys.readouterr().out


def test_partitions_are_raised_but_never_lowered(settings: Settings, admin: AdminClient) -> None:
    """A higher declared count is applied; a lower one is reported and leaves the topic as is."""
    apply(settings)
    more = replace(
        settings, kafka=replace(settings.kafka, partitions=settings.kafka.partitions + 2)
    )
    raised, _ = cli.make_plan(more)
    assert {a.name for a in raised.actions if isinstance(a, AddPartitions)} == {
        more.topic(s.name) for s in default_declarations().topics if s.partitions is None
    }
    apply(more)
    assert live(admin, more)[more.topic("events.web")].partitions == more.kafka.partitions
    fewer = replace(settings, kafka=replace(settings.kafka, partitions=1))
    lowered, _ = cli.make_plan(fewer)
    assert lowered.empty
    assert any("never lowered" in d.message for d in lowered.drifts)
    apply(fewer)
    assert live(admin, fewer)[fewer.topic("events.web")].partitions == more.kafka.partitions


def test_differing_config_is_altered_in_place(settings: Settings, admin: AdminClient) -> None:
    """A topic created by hand with another retention gets the declared one, nothing else."""
    name = settings.topic("rows")
    topic = NewTopic(
        name,
        num_partitions=2,
        replication_factor=1,
        config={"retention.ms": "1000", "max.message.bytes": "2000000"},
    )
    admin.create_topics([topic])[name].result()
    before, _ = cli.make_plan(settings)
    deadline = time.monotonic() + 10
    while name in creations(before) and time.monotonic() < deadline:
        before, _ = cli.make_plan(settings)  # until the broker's metadata shows the new topic
    assert AlterConfig(name, {"retention.ms": ("1000", "604800000")}) in before.actions
    apply(settings)
    rows = live(admin, settings)[name]
    assert rows.config["retention.ms"] == "604800000"
    assert rows.config["max.message.bytes"] == "2000000"  # undeclared configs are left alone
    after, _ = cli.make_plan(settings)
    assert after.empty


def test_undeclared_topics_are_never_deleted(settings: Settings, admin: AdminClient) -> None:
    """A topic under the same prefix that nobody declared survives apply."""
    stray = settings.topic("stray")
    admin.create_topics([NewTopic(stray, num_partitions=1, replication_factor=1)])[stray].result()
    apply(settings)
    assert stray in admin.list_topics(timeout=10).topics


def test_plan_prints_without_changing_anything(
    settings: Settings, admin: AdminClient, capsys: pytest.CaptureFixture[str]
) -> None:
    """`plan` lists the creations and leaves the cluster untouched."""
    assert cli.run(argparse.Namespace(action="plan", file=DEFAULT_PATH), settings) == 0
    out = capsys.readouterr().out
    assert f"+ create {settings.topic('events.conversations')} (partitions=" in out
    assert live(admin, settings) == {}
