"""Loads ``topics.toml`` into typed, validated :class:`TopicSpec` objects.

Every mistake in the file is a :class:`DeclarationError` naming the offending field, so a typo
fails ``pulse topics plan`` instead of silently creating a wrong topic.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from pulse.topics.errors import DeclarationError

DEFAULT_PATH = Path(__file__).with_name("topics.toml")

_NAME = re.compile(r"^[A-Za-z0-9._-]+$")
_TOPIC_KEYS = {
    "name", "partitions", "replication", "config", "event_types", "key_fields", "dead_letter",
    "dead_letter_of",
}  # fmt: skip
_DEAD_LETTER_KEYS = {"suffix", "config"}


@dataclass(frozen=True)
class TopicSpec:
    """One declared topic; ``name`` is short (without the prefix)."""

    name: str
    # None: the cluster-wide setting (KafkaSettings.partitions / replication_factor) applies.
    partitions: int | None = None
    replication: int | None = None
    config: Mapping[str, str] = field(default_factory=dict)
    event_types: tuple[str, ...] = ()
    key_fields: tuple[str, ...] = ()
    # The short name of the topic this one is the dead-letter twin of, or of a source that is no
    # topic (``collector``: the HTTP collector's refused events).
    dead_letter_of: str | None = None
    # Whether it has a dead-letter twin: every domain topic does, others when declared so.
    has_dead_letter: bool = False

    @property
    def is_domain(self) -> bool:
        """True for an input topic that producers route events to."""
        return bool(self.event_types)


@dataclass(frozen=True)
class Declarations:
    """All declared topics, dead-letter twins included, in declaration order."""

    topics: tuple[TopicSpec, ...]
    dead_letter_suffix: str

    def get(self, name: str) -> TopicSpec:
        for spec in self.topics:
            if spec.name == name:
                return spec
        raise DeclarationError(f"topic {name!r} is not declared", field="name", value=name)

    def domain_topics(self) -> tuple[TopicSpec, ...]:
        return tuple(spec for spec in self.topics if spec.is_domain)

    def dead_letter_name(self, name: str) -> str:
        """The short name of a topic's dead-letter twin."""
        if not self.get(name).has_dead_letter:
            raise DeclarationError(f"{name!r} has no dead-letter twin", field="name", value=name)
        return name + self.dead_letter_suffix


@cache
def default_declarations() -> Declarations:
    """The packaged ``topics.toml``, parsed once per process."""
    return load(DEFAULT_PATH)


def load(path: Path) -> Declarations:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise DeclarationError(f"cannot read {path}: {exc}", field="", path=str(path)) from exc
    return parse(text, source=str(path))


def parse(text: str, source: str = "topics.toml") -> Declarations:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise DeclarationError(f"{source}: {exc}", field="", path=source) from exc
    _only_keys(data, {"dead_letter", "topic"}, "")
    dead_letter = _table(data.get("dead_letter", {}), "dead_letter")
    _only_keys(dead_letter, _DEAD_LETTER_KEYS, "dead_letter")
    suffix = _string(dead_letter.get("suffix", ".dlq"), "dead_letter.suffix")
    dead_letter_config = _config(dead_letter.get("config", {}), "dead_letter.config")

    raw_topics = data.get("topic", [])
    if not isinstance(raw_topics, list) or not raw_topics:
        raise DeclarationError("declare at least one [[topic]]", field="topic")
    declared = [_topic(raw, f"topic[{i}]") for i, raw in enumerate(raw_topics)]

    topics: list[TopicSpec] = []
    for spec in declared:
        if spec.dead_letter_of is not None and spec.name != spec.dead_letter_of + suffix:
            raise DeclarationError(
                f"{spec.name!r} holds the dead letters of {spec.dead_letter_of!r}, so its name"
                f" is {spec.dead_letter_of + suffix!r}",
                field="dead_letter_of",
                value=spec.name,
            )
        topics.append(spec)
        if spec.has_dead_letter:
            twin = TopicSpec(
                name=spec.name + suffix,
                partitions=spec.partitions,
                replication=spec.replication,
                config=dead_letter_config,
                dead_letter_of=spec.name,
            )
            topics.append(twin)
    _check_unique(topics)
    return Declarations(topics=tuple(topics), dead_letter_suffix=suffix)


def _topic(raw: Any, where: str) -> TopicSpec:
    table = _table(raw, where)
    _only_keys(table, _TOPIC_KEYS, where)
    if "name" not in table:
        raise DeclarationError(f"{where}: missing name", field=f"{where}.name")
    name = _string(table["name"], f"{where}.name")
    if not _NAME.match(name):
        raise DeclarationError(
            f"{where}.name {name!r} may only hold letters, digits, '.', '_' and '-'",
            field=f"{where}.name",
        )
    event_types = _strings(table.get("event_types", []), f"{where}.event_types")
    key_fields = _strings(table.get("key_fields", []), f"{where}.key_fields")
    if event_types and not key_fields:
        raise DeclarationError(
            f"{where}: a topic with event_types needs key_fields", field=f"{where}.key_fields"
        )
    if key_fields and not event_types:
        raise DeclarationError(
            f"{where}: key_fields without event_types route nothing", field=f"{where}.event_types"
        )
    letters_of = table.get("dead_letter_of")
    if letters_of is not None and (event_types or "dead_letter" in table):
        raise DeclarationError(
            f"{where}: a dead-letter topic routes no events and has no twin",
            field=f"{where}.dead_letter_of",
        )
    dead_letter = table.get("dead_letter", bool(event_types))
    if not isinstance(dead_letter, bool) or (event_types and not dead_letter):
        raise DeclarationError(
            f"{where}.dead_letter must be true or false (true for a domain topic)",
            field=f"{where}.dead_letter",
        )
    return TopicSpec(
        name=name,
        has_dead_letter=dead_letter,
        partitions=_positive(table.get("partitions"), f"{where}.partitions"),
        replication=_positive(table.get("replication"), f"{where}.replication"),
        config=_config(table.get("config", {}), f"{where}.config"),
        event_types=event_types,
        key_fields=key_fields,
        dead_letter_of=(
            None if letters_of is None else _string(letters_of, f"{where}.dead_letter_of")
        ),
    )


def _check_unique(topics: list[TopicSpec]) -> None:
    names: set[str] = set()
    owner: dict[str, str] = {}
    for spec in topics:
        if spec.name in names:
            raise DeclarationError(f"topic {spec.name!r} is declared twice", field="name")
        names.add(spec.name)
        for event_type in spec.event_types:
            if event_type in owner:
                raise DeclarationError(
                    f"event type {event_type!r} is routed to both {owner[event_type]!r} "
                    f"and {spec.name!r}",
                    field="event_types",
                )
            owner[event_type] = spec.name


def _only_keys(table: Mapping[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        place = f"{where}." if where else ""
        raise DeclarationError(
            f"unknown key {place}{unknown[0]} (allowed: {', '.join(sorted(allowed))})",
            field=place + unknown[0],
        )


def _table(raw: Any, where: str) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise DeclarationError(f"{where} must be a table", field=where)
    return raw


def _string(raw: Any, where: str) -> str:
    if not isinstance(raw, str) or not raw:
        raise DeclarationError(f"{where} must be a non-empty string", field=where)
    return raw


def _strings(raw: Any, where: str) -> tuple[str, ...]:
    if not isinstance(raw, list):
        raise DeclarationError(f"{where} must be a list of strings", field=where)
    values = tuple(_string(item, where) for item in raw)
    if len(set(values)) != len(values):
        raise DeclarationError(f"{where} lists a value twice", field=where)
    return values


def _positive(raw: Any, where: str) -> int | None:
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int) or raw < 1:
        raise DeclarationError(f"{where} must be a positive integer", field=where)
    return raw


def _config(raw: Any, where: str) -> dict[str, str]:
    table = _table(raw, where)
    config: dict[str, str] = {}
    for key, value in table.items():
        # Kafka configs are strings on the wire; integers are accepted for readability.
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise DeclarationError(f"{where}.{key} must be a string or an integer", field=where)
        config[key] = str(value)
    return config
