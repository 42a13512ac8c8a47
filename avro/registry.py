"""The schema registry side of the Confluent wire format: ids for our schemas, schemas for ids.

Subjects follow a record-name-per-type strategy: every version of ``message.sent`` is registered
under ``message.sent-value``, whatever topic carries it, because one topic carries many event
types (TopicNameStrategy would allow only one). A registry in BACKWARD mode then checks each new
version against the previous one, as ``tests/avro/test_evolution.py`` does locally.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from typing import Any

import httpx
from fastavro import parse_schema
from fastavro.schema import SchemaParseException

from pulse.avro.compiled_reader import Reader, compile_reader
from pulse.avro.errors import DecodeError, EncodeError
from pulse.avro.schemas import (
    SchemaCatalog,
    SchemaVersion,
    crc64_fingerprint,
    without_logical_types,
)
from pulse.errors import ServiceUnavailableError


def registry_client(url: str) -> Any | None:
    """A registry client for ``url`` ("mock://…" for an in-memory one), or None when empty."""
    if not url:
        return None
    from confluent_kafka.schema_registry import SchemaRegistryClient

    return SchemaRegistryClient.new_client({"url": url})


def subject_of(event_type: str) -> str:
    return f"{event_type}-value"


@dataclass(frozen=True)
class ReadPlan:
    """How to read a body of one writer schema into the latest field set of its type.

    When the writer differs from the latest version only by fields added or removed (the usual
    evolution), the body is read with the writer alone and the differences are patched in
    Python, which is about twice as fast as fastavro's per-record schema resolution; any other
    difference (a promoted type, changed enum symbols) goes through ``reader``. A body read
    with the writer alone is read by ``compiled`` when the writer compiles
    (:mod:`pulse.avro.compiled_reader`, with the fill and drop built in), by fastavro and
    :meth:`patch` otherwise.
    """

    event_type: str
    writer: Any
    reader: Any | None = None
    fill: tuple[tuple[str, Any], ...] = ()
    drop: tuple[str, ...] = ()
    compiled: Reader | None = None

    @classmethod
    def between(cls, event_type: str, raw: Any, writer: Any, latest: SchemaVersion) -> ReadPlan:
        """The plan from a writer schema (raw JSON and parsed reading form) to ``latest``."""
        theirs = {f["name"]: f for f in raw["fields"]}
        ours = {f["name"]: f for f in latest.raw["fields"]}
        same_types = all(
            without_logical_types(theirs[n]["type"]) == without_logical_types(ours[n]["type"])
            for n in theirs.keys() & ours.keys()
        )
        added = [f for n, f in ours.items() if n not in theirs]
        if not same_types or any("default" not in f for f in added):
            return cls(event_type, writer, latest.reading)
        fill = tuple((f["name"], f["default"]) for f in added)
        drop = tuple(n for n in theirs if n not in ours)
        return cls(
            event_type,
            writer,
            fill=fill,
            drop=drop,
            compiled=compile_reader(without_logical_types(raw), fill, drop),
        )

    @classmethod
    def for_version(cls, version: SchemaVersion, latest: SchemaVersion) -> ReadPlan:
        return cls.between(version.event_type, version.raw, version.reading, latest)

    def patch(self, record: dict[str, Any]) -> dict[str, Any]:
        """``record``, read with the writer alone, given the latest field set."""
        for name in self.drop:
            record.pop(name, None)
        for name, default in self.fill:
            # Only a container default needs a copy of its own per record.
            record[name] = copy.copy(default) if isinstance(default, list | dict) else default
        return record


class RegistrySchemas:
    """Schema ids of our versions and read plans of ids, each fetched once and cached."""

    def __init__(self, client: Any, catalog: SchemaCatalog) -> None:
        self._client = client
        self._catalog = catalog
        self._ids: dict[tuple[str, int], int] = {}
        self._plans: dict[int, ReadPlan] = {}

    def id_of(self, version: SchemaVersion) -> int:
        """The registry id of ``version``, registering it under its subject the first time."""
        key = (version.event_type, version.version)
        found = self._ids.get(key)
        if found is None:
            from confluent_kafka.schema_registry import Schema, SchemaRegistryError

            subject = subject_of(version.event_type)
            try:
                found = int(self._client.register_schema(subject, Schema(version.text, "AVRO")))
            except SchemaRegistryError as exc:
                raise EncodeError(
                    f"the registry refused {subject}: {exc}",
                    reason="registry_rejected",
                    status=exc.http_status_code,
                ) from exc
            except (httpx.HTTPError, OSError) as exc:
                raise ServiceUnavailableError(f"schema registry unreachable: {exc}") from exc
            self._ids[key] = found
        return found

    def plan_of(self, schema_id: int) -> ReadPlan:
        """How to read a body written with registry schema ``schema_id``."""
        plan = self._plans.get(schema_id)
        if plan is None:
            plan = self._fetch(schema_id)
            self._plans[schema_id] = plan
        return plan

    def _fetch(self, schema_id: int) -> ReadPlan:
        from confluent_kafka.schema_registry import SchemaRegistryError

        try:
            text = self._client.get_schema(schema_id).schema_str
        except SchemaRegistryError as exc:
            if exc.http_status_code == 404:
                message = f"unknown schema id {schema_id}"
                raise DecodeError(message, reason="unknown_schema_id", schema_id=schema_id) from exc
            raise ServiceUnavailableError(f"schema registry error: {exc}") from exc
        except (httpx.HTTPError, OSError) as exc:
            raise ServiceUnavailableError(f"schema registry unreachable: {exc}") from exc
        try:
            raw = json.loads(text)
            _, fingerprint = crc64_fingerprint(raw)
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise DecodeError(
                f"schema {schema_id} is not Avro JSON", reason="bad_writer_schema"
            ) from exc
        known = self._catalog.find_fingerprint(fingerprint)
        if known is not None:
            return ReadPlan.for_version(known, self._catalog.latest(known.event_type))
        return self._foreign_plan(schema_id, raw)

    def _foreign_plan(self, schema_id: int, raw: Any) -> ReadPlan:
        """A writer version this catalog lacks (e.g. a newer one): read it into our latest."""
        try:
            name = f"{raw['namespace']}.{raw['name']}" if "namespace" in raw else raw["name"]
            event_type = self._catalog.find_record(name)
            if event_type is None:
                raise DecodeError(
                    f"schema {schema_id} ({name}) is no event type of ours",
                    reason="unknown_schema",
                    schema_id=schema_id,
                )
            writer = parse_schema(without_logical_types(raw))
            return ReadPlan.between(event_type, raw, writer, self._catalog.latest(event_type))
        except (SchemaParseException, ValueError, TypeError, KeyError) as exc:
            raise DecodeError(
                f"schema {schema_id} is not an Avro record", reason="bad_writer_schema"
            ) from exc
