"""Compares the declared topics with the live cluster and plans the changes, with no I/O.

A plan only ever adds: create a missing topic, raise a partition count, set a differing config.
It never deletes a topic and never lowers partitions (Kafka cannot, and keys would move); a
declared count below the live one, or a different replication factor, is reported as a drift.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from pulse.settings import Settings
from pulse.topics.declarations import Declarations


@dataclass(frozen=True)
class DesiredTopic:
    """A declared topic resolved against the settings: full name, counts, configs."""

    name: str
    partitions: int
    replication: int
    config: Mapping[str, str]


@dataclass(frozen=True)
class LiveTopic:
    """What the cluster has; ``config`` holds every config it reports for the topic."""

    name: str
    partitions: int
    replication: int
    config: Mapping[str, str]


@dataclass(frozen=True)
class CreateTopic:
    topic: DesiredTopic

    def describe(self) -> str:
        configs = ", ".join(f"{k}={v}" for k, v in sorted(self.topic.config.items()))
        return (
            f"+ create {self.topic.name} (partitions={self.topic.partitions}, "
            f"replication={self.topic.replication}{', ' + configs if configs else ''})"
        )


@dataclass(frozen=True)
class AddPartitions:
    name: str
    current: int
    target: int

    def describe(self) -> str:
        return f"~ {self.name}: partitions {self.current} -> {self.target}"


@dataclass(frozen=True)
class AlterConfig:
    name: str
    # key -> (live value or None, declared value)
    changes: Mapping[str, tuple[str | None, str]]

    def describe(self) -> str:
        parts = [f"{k} {old} -> {new}" for k, (old, new) in sorted(self.changes.items())]
        return f"~ {self.name}: " + ", ".join(parts)


@dataclass(frozen=True)
class Drift:
    """A difference the planner will not apply; printed so an operator can decide."""

    name: str
    message: str

    def describe(self) -> str:
        return f"! {self.name}: {self.message} (not applied)"


Action = CreateTopic | AddPartitions | AlterConfig


@dataclass(frozen=True)
class Plan:
    actions: tuple[Action, ...] = ()
    drifts: tuple[Drift, ...] = ()
    unchanged: tuple[str, ...] = field(default=())

    @property
    def empty(self) -> bool:
        return not self.actions

    def render(self) -> str:
        lines = [a.describe() for a in self.actions] + [d.describe() for d in self.drifts]
        if not self.actions:
            lines.append(f"nothing to change ({len(self.unchanged)} topics up to date)")
        else:
            lines.append(
                f"{len(self.actions)} change(s) planned, {len(self.unchanged)} topics up to date"
            )
        return "\n".join(lines)


def desired_topics(declarations: Declarations, settings: Settings) -> list[DesiredTopic]:
    """Full names and the cluster-wide defaults for counts the declarations leave open."""
    return [
        DesiredTopic(
            name=settings.topic(spec.name),
            partitions=spec.partitions or settings.kafka.partitions,
            replication=spec.replication or settings.kafka.replication_factor,
            config=dict(spec.config),
        )
        for spec in declarations.topics
    ]


def plan(desired: Iterable[DesiredTopic], live: Mapping[str, LiveTopic]) -> Plan:
    """The additive changes that make ``live`` match ``desired``; undeclared topics are ignored."""
    actions: list[Action] = []
    drifts: list[Drift] = []
    unchanged: list[str] = []
    for want in desired:
        have = live.get(want.name)
        if have is None:
            actions.append(CreateTopic(want))
            continue
        before = len(actions)
        if want.partitions > have.partitions:
            actions.append(AddPartitions(want.name, have.partitions, want.partitions))
        elif want.partitions < have.partitions:
            drifts.append(
                Drift(
                    want.name,
                    f"declares {want.partitions} partitions, has {have.partitions}; "
                    "partitions are never lowered",
                )
            )
        if want.replication != have.replication:
            drifts.append(
                Drift(
                    want.name,
                    f"declares replication {want.replication}, has {have.replication}; "
                    "reassign replicas by hand",
                )
            )
        changes = {
            key: (have.config.get(key), value)
            for key, value in sorted(want.config.items())
            if have.config.get(key) != value
        }
        if changes:
            actions.append(AlterConfig(want.name, changes))
        if len(actions) == before:
            unchanged.append(want.name)
    return Plan(actions=tuple(actions), drifts=tuple(drifts), unchanged=tuple(unchanged))
