"""The committed schemas and the catalog that loads them."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastavro.schema import fingerprint, to_parsing_canonical_form

from pulse.avro.errors import UnknownSchemaError
from pulse.avro.schema_source import rendered_files
from pulse.avro.schemas import SCHEMA_DIR, SchemaCatalog
from tests.avro.strategies import ALL_VERSIONS, CATALOG

# METRICS.md §1, restated here on purpose: the test is that the schemas cover the user's list.
CATALOGUE = [
    *(f"message.{t}" for t in ["sent", "delivered", "read", "clicked", "failed", "complained"]),
    "message.unsubscribed",
    "message.received",
    *(f"conversation.{t}" for t in ("created", "assigned", "resolved", "reopened")),
    "csat.submitted",
    "campaign.started",
    "campaign.completed",
    *(f"workflow.{t}" for t in ("run_started", "run_completed", "run_failed", "goal_reached")),
    *(f"sequence.{t}" for t in ("enrolled", "step_executed", "replied", "completed")),
    "automation.executed",
    "automation.failed",
    "web.page_view",
    "web.event",
    "contact.created",
]
IDS = [f"{v.event_type}-v{v.version}" for v in ALL_VERSIONS]


def _fields(raw: dict[str, Any]) -> dict[str, Any]:
    return {f["name"]: f for f in raw["fields"]}


def test_every_catalogue_type_has_a_schema() -> None:
    """The catalog holds exactly the event types of METRICS.md §1."""
    assert CATALOG.event_types() == sorted(CATALOGUE)


def test_committed_files_match_their_source() -> None:
    """The .avsc files are what schema_source renders (regenerate and commit both)."""
    committed = {p.relative_to(SCHEMA_DIR): p.read_text() for p in SCHEMA_DIR.glob("*/*.avsc")}
    assert committed == rendered_files()


@pytest.mark.parametrize("version", ALL_VERSIONS, ids=IDS)
def test_common_fields(version: Any) -> None:
    """Every schema has the namespace and the common fields with their types and defaults."""
    raw = version.raw
    assert raw["namespace"] == "pulse.events" and raw["type"] == "record"
    fields = _fields(raw)
    assert fields["event_id"]["type"] == {"type": "string", "logicalType": "uuid"}
    assert fields["tenant_id"]["type"] == "string"
    assert fields["event_type"]["type"] == "string"
    assert fields["occurred_at"]["type"] == {"type": "long", "logicalType": "timestamp-millis"}
    assert (fields["schema_version"]["type"], fields["schema_version"]["default"]) == ("int", 1)
    assert fields["attributes"]["default"] == {} and fields["tags"]["default"] == []
    for field in raw["fields"]:
        if isinstance(field["type"], list):
            assert field["type"][0] == "null" and field["default"] is None


def test_type_specific_fields() -> None:
    """Enums, the score range, and optional ints and booleans are as the contract says."""
    sent = _fields(CATALOG.get("message.sent", 1).raw)
    assert sent["direction"]["type"]["symbols"] == ["inbound", "outbound"]
    assert sent["sender_type"]["type"]["symbols"] == ["contact", "agent", "bot", "system"]
    assert sent["sequence_step"]["type"] == ["null", "int"]
    priority = _fields(CATALOG.latest("conversation.created").raw)["priority"]
    assert priority["type"][1]["symbols"] == ["low", "normal", "high", "urgent"]
    assert priority["default"] is None
    score = _fields(CATALOG.latest("csat.submitted").raw)["score"]
    assert (score["type"], score["pulse.range"]) == ("int", [1, 5])
    web = _fields(CATALOG.latest("web.event").raw)
    assert web["dnt"]["type"] == ["null", "boolean"] and "name" in web
    assert "name" not in _fields(CATALOG.latest("web.page_view").raw)
    steps = _fields(CATALOG.latest("sequence.step_executed").raw)["step_number"]
    assert steps["type"] == ["null", "int"]


@pytest.mark.parametrize("version", ALL_VERSIONS, ids=IDS)
def test_fingerprints_are_crc64_of_canonical_form(version: Any) -> None:
    """Each version's fingerprint is the CRC-64-AVRO of its Parsing Canonical Form."""
    canonical = to_parsing_canonical_form(json.loads(version.text))
    assert version.fingerprint == bytes.fromhex(fingerprint(canonical, "CRC-64-AVRO"))
    assert CATALOG.by_fingerprint(version.fingerprint) is version


def test_lookups_and_their_errors() -> None:
    """latest/get/by_fingerprint find versions and raise UnknownSchemaError otherwise."""
    assert CATALOG.latest("message.sent").version == 2
    assert CATALOG.get("message.sent", 1).version == 1
    assert CATALOG.find_record("pulse.events.WorkflowRunStarted") == "workflow.run_started"
    with pytest.raises(UnknownSchemaError):
        CATALOG.latest("message.Sent")
    with pytest.raises(UnknownSchemaError):
        CATALOG.get("message.sent", 3)
    with pytest.raises(UnknownSchemaError):
        CATALOG.get("message.sent", 0)
    with pytest.raises(UnknownSchemaError):
        CATALOG.by_fingerprint(b"\x00" * 8)


def test_catalog_is_loaded_once() -> None:
    """Two catalogs share the parsed schemas instead of parsing the files again."""
    assert SchemaCatalog().latest("contact.created") is CATALOG.latest("contact.created")
