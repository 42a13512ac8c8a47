"""The catalog of event schemas: every committed ``schemas/<event_type>/v<N>.avsc``, parsed once.

Each version is held three ways: the raw JSON (the contract validator reads its rules from it),
the fastavro-parsed schema (for writing), and a parsed copy without logical types (for reading:
``occurred_at`` stays an int of milliseconds and ``event_id`` a string, which is the logical form
the pipeline works in and decodes ~30 % faster than building datetimes and UUIDs).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from fastavro import parse_schema
from fastavro.schema import fingerprint as _fingerprint
from fastavro.schema import to_parsing_canonical_form

from pulse.avro.errors import UnknownSchemaError

SCHEMA_DIR = Path(__file__).resolve().parent / "schemas"
_VERSION_FILE = re.compile(r"v([1-9][0-9]*)\.avsc")


@dataclass(frozen=True)
class SchemaVersion:
    """One version of one event type's schema."""

    event_type: str
    version: int
    raw: dict[str, Any]
    parsed: Any
    reading: Any
    canonical: str
    fingerprint: bytes

    @property
    def full_name(self) -> str:
        return f"{self.raw['namespace']}.{self.raw['name']}"

    @property
    def text(self) -> str:
        """The schema as JSON text, custom properties included (what a registry is given)."""
        return json.dumps(self.raw, separators=(",", ":"), ensure_ascii=False)


def crc64_fingerprint(schema: dict[str, Any]) -> tuple[str, bytes]:
    """The Parsing Canonical Form of ``schema`` and its 8-byte CRC-64-AVRO fingerprint."""
    canonical = to_parsing_canonical_form(schema)
    return canonical, bytes.fromhex(_fingerprint(canonical, "CRC-64-AVRO"))


def without_logical_types(schema: Any) -> Any:
    """A copy of ``schema`` read as its underlying Avro types (logical types dropped)."""
    if isinstance(schema, list):
        return [without_logical_types(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: without_logical_types(v) for k, v in schema.items() if k != "logicalType"}
    if "logicalType" in schema and set(out) == {"type"}:
        return out["type"]
    return out


def build_version(raw: dict[str, Any], event_type: str, version: int) -> SchemaVersion:
    """Parse one raw schema into a :class:`SchemaVersion`."""
    canonical, fp = crc64_fingerprint(raw)
    return SchemaVersion(
        event_type=event_type,
        version=version,
        raw=raw,
        parsed=parse_schema(raw),
        reading=parse_schema(without_logical_types(raw)),
        canonical=canonical,
        fingerprint=fp,
    )


@cache
def _load(root: Path) -> dict[str, tuple[SchemaVersion, ...]]:
    catalog: dict[str, tuple[SchemaVersion, ...]] = {}
    for type_dir in sorted(p for p in root.iterdir() if p.is_dir()):
        found = []
        for path in type_dir.glob("v*.avsc"):
            match = _VERSION_FILE.fullmatch(path.name)
            if match is None:
                raise UnknownSchemaError(f"badly named schema file {path}", path=str(path))
            raw = json.loads(path.read_text(encoding="utf-8"))
            version = int(match.group(1))
            if raw.get("pulse.event_type") != type_dir.name or raw.get("pulse.version") != version:
                raise UnknownSchemaError(f"{path} does not declare itself", path=str(path))
            found.append(build_version(raw, type_dir.name, version))
        found.sort(key=lambda v: v.version)
        if [v.version for v in found] != list(range(1, len(found) + 1)):
            raise UnknownSchemaError(
                f"versions of {type_dir.name} are not 1..N", path=str(type_dir)
            )
        catalog[type_dir.name] = tuple(found)
    return catalog


class SchemaCatalog:
    """Every event schema by type and version, by fingerprint and by record name.

    Loading is cached per directory, so building several catalogs costs one parse.
    """

    def __init__(self, root: Path = SCHEMA_DIR) -> None:
        self._versions = _load(root.resolve())
        self._by_fingerprint: dict[bytes, SchemaVersion] = {}
        self._by_name: dict[str, str] = {}
        for event_type, versions in self._versions.items():
            for v in versions:
                if v.fingerprint in self._by_fingerprint:
                    other = self._by_fingerprint[v.fingerprint]
                    raise UnknownSchemaError(
                        f"{event_type} v{v.version} has the fingerprint of "
                        f"{other.event_type} v{other.version}",
                        event_type=event_type,
                    )
                self._by_fingerprint[v.fingerprint] = v
                self._by_name[v.full_name] = event_type

    def event_types(self) -> list[str]:
        """Every event type of the catalogue, sorted."""
        return sorted(self._versions)

    def versions(self, event_type: str) -> tuple[SchemaVersion, ...]:
        """Every version of ``event_type``, oldest first."""
        try:
            return self._versions[event_type]
        except KeyError:
            raise UnknownSchemaError(
                f"unknown event type {event_type!r}", event_type=event_type
            ) from None

    def latest(self, event_type: str) -> SchemaVersion:
        return self.versions(event_type)[-1]

    def get(self, event_type: str, version: int) -> SchemaVersion:
        versions = self.versions(event_type)
        if not 1 <= version <= len(versions):
            raise UnknownSchemaError(
                f"{event_type} has no schema version {version}",
                event_type=event_type,
                version=version,
            )
        return versions[version - 1]

    def by_fingerprint(self, fp: bytes) -> SchemaVersion:
        """The version whose CRC-64-AVRO fingerprint (8 bytes, little-endian) is ``fp``."""
        found = self.find_fingerprint(fp)
        if found is None:
            raise UnknownSchemaError(
                f"no schema has fingerprint {bytes(fp).hex()}", fingerprint=bytes(fp).hex()
            )
        return found

    def find_fingerprint(self, fp: bytes) -> SchemaVersion | None:
        """Like :meth:`by_fingerprint`, None when unknown."""
        return self._by_fingerprint.get(bytes(fp))

    def find_record(self, full_name: str) -> str | None:
        """The event type whose records are named ``full_name`` (``pulse.events.MessageSent``)."""
        return self._by_name.get(full_name)

    def __iter__(self) -> Iterator[SchemaVersion]:
        for versions in self._versions.values():
            yield from versions
