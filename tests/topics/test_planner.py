"""The planner only adds: it creates, raises partitions and sets configs, and reports the rest."""

from __future__ import annotations

from dataclasses import replace

from pulse.settings import Settings
from pulse.topics.declarations import default_declarations
from pulse.topics.planner import (
    AddPartitions,
    AlterConfig,
    CreateTopic,
    DesiredTopic,
    LiveTopic,
    desired_topics,
    plan,
)

WANT = DesiredTopic("p.events.web", 4, 1, {"retention.ms": "100", "cleanup.policy": "delete"})


def live(partitions: int = 4, replication: int = 1, **config: str) -> LiveTopic:
    base = {"retention.ms": "100", "cleanup.policy": "delete", "segment.bytes": "1073741824"}
    return LiveTopic("p.events.web", partitions, replication, {**base, **config})


def test_missing_topic_is_created() -> None:
    """A declared topic the cluster lacks becomes a CreateTopic action."""
    result = plan([WANT], {})
    assert result.actions == (CreateTopic(WANT),)


def test_matching_topic_plans_nothing() -> None:
    """A topic equal to its declaration (extra live configs aside) needs no change."""
    result = plan([WANT], {WANT.name: live()})
    assert result.empty and not result.drifts
    assert result.unchanged == (WANT.name,)
    assert "nothing to change" in result.render()


def test_fewer_live_partitions_are_raised() -> None:
    """A live count below the declared one is raised to it."""
    result = plan([WANT], {WANT.name: live(partitions=2)})
    assert result.actions == (AddPartitions(WANT.name, 2, 4),)


def test_more_live_partitions_are_reported_not_lowered() -> None:
    """A declared count below the live one is a drift, never an action."""
    result = plan([WANT], {WANT.name: live(partitions=8)})
    assert result.empty
    assert "never lowered" in result.drifts[0].message


def test_replication_difference_is_reported() -> None:
    """The planner cannot change replication; it says so instead."""
    result = plan([WANT], {WANT.name: live(replication=3)})
    assert result.empty and "replication" in result.drifts[0].message


def test_differing_config_is_altered_with_its_old_value() -> None:
    """Only declared keys whose live value differs are set, showing old and new."""
    result = plan([WANT], {WANT.name: live(**{"retention.ms": "5"})})
    assert result.actions == (AlterConfig(WANT.name, {"retention.ms": ("5", "100")}),)
    assert "retention.ms 5 -> 100" in result.render()


def test_undeclared_live_topics_are_ignored() -> None:
    """A live topic nobody declared produces no action (in particular, no deletion)."""
    stray = LiveTopic("p.stray", 1, 1, {})
    result = plan([WANT], {WANT.name: live(), "p.stray": stray})
    assert result.empty and not result.drifts


def test_desired_topics_resolve_names_and_defaults(settings: Settings) -> None:
    """Short names get the prefix; open partition counts take the settings' value."""
    settings = replace(settings, kafka=replace(settings.kafka, partitions=6))
    desired = {t.name: t for t in desired_topics(default_declarations(), settings)}
    prefix = settings.kafka.topic_prefix
    assert desired[f"{prefix}.events.web"].partitions == 6
    assert desired[f"{prefix}.events.web.dlq"].partitions == 6
    assert desired[f"{prefix}.tenants"].partitions == 1
    assert all(t.replication == settings.kafka.replication_factor for t in desired.values())
