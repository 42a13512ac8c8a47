"""Access and portability: a subject's stored events as JSON Lines, locally and through the
serving process's admin route, audited."""

from __future__ import annotations

import argparse
import json
import time
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from pulse.graphql.admin_auth import RECALC_SCOPE, issue_admin_token
from pulse.privacy import privacy_cli
from pulse.privacy.audit import entries
from pulse.privacy.export import export
from pulse.privacy.routes import (
    ERASE_PATH,
    EXPORT_PATH,
    LOG_PATH,
    PRIVACY_SCOPE,
    PrivacyServices,
    privacy_routes,
)
from pulse.privacy.subject import Subject
from pulse.privacy.windows import RETENTION_KINDS, RetentionPolicy, Window
from pulse.settings import Settings
from pulse.sinks.clickhouse import ClickHouse
from tests.privacy.dataset import now_ms, store, tenant_events

pytestmark = pytest.mark.clickhouse

KEY = "test-audit-key"


def tenants() -> tuple[str, str]:
    run = uuid.uuid4().hex[:8]
    return f"acme-{run}", f"globex-{run}"


def test_a_contact_export_holds_every_event_of_the_contact_and_nothing_else(
    db: ClickHouse,
) -> None:
    """A contact's export pages through all its events of the tenant, only those, and is audited."""
    acme, globex = tenants()
    now = now_ms()
    rows = tenant_events(acme, now)
    store(db, rows + tenant_events(globex, now))
    subject = Subject(acme, "contact", "k1")
    found = list(export(db, subject, "dpo", "access request", KEY, 4, now))
    wanted = {r["event_id"] for r in rows if r["contact_id"] == "k1"}
    assert [r["event_id"] for r in found] != [] and len(found) == len(wanted)
    assert {r["event_id"] for r in found} == wanted
    assert {r["tenant_id"] for r in found} == {acme}
    assert all(isinstance(r["occurred_at"], str) for r in found)
    [entry] = entries(db, acme, 10)
    assert (entry.action, entry.rows, entry.requested_by) == ("export", len(wanted), "dpo")
    assert entry.subject_hash == subject.audit_hash(KEY)


def test_a_visitor_export_through_the_command_writes_json_lines(
    db: ClickHouse, settings: Settings, tmp_path: Path
) -> None:
    """pulse privacy export --visitor writes one JSON object per stored event of the visitor."""
    acme, globex = tenants()
    now = now_ms()
    rows = tenant_events(acme, now)
    store(db, rows + tenant_events(globex, now))
    db.close()
    out = tmp_path / "v1.jsonl"
    parser = argparse.ArgumentParser()
    privacy_cli.add_arguments(parser)
    argv = [
        "export",
        "--tenant",
        acme,
        "--visitor",
        "v1",
        "--out",
        str(out),
        "--requested-by",
        "me",
    ]
    assert privacy_cli.run(parser.parse_args(argv), settings) == 0
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert sorted(line["event_id"] for line in lines) == sorted(
        r["event_id"] for r in rows if r["visitor_id"] == "v1"
    )
    assert {line["url"] for line in lines} == {"https://example.com/0", "https://example.com/2"}


def services(db: ClickHouse, settings: Settings) -> PrivacyServices:
    policy = RetentionPolicy(dict.fromkeys(RETENTION_KINDS, Window(90, "d")))
    return PrivacyServices(settings, db, None, lambda: policy, time.time)


def bearer(settings: Settings, scope: str) -> dict[str, str]:
    token = issue_admin_token(scope, settings.api.jwt_secret, 60)
    return {"Authorization": f"Bearer {token}"}


def test_the_admin_routes_export_erase_and_list_with_the_privacy_scope_only(
    db: ClickHouse, settings: Settings
) -> None:
    """The privacy routes refuse without admin:privacy (401/403) and export, erase, list with it."""
    acme, _ = tenants()
    now = now_ms()
    rows = tenant_events(acme, now)
    store(db, rows)
    settings = replace(settings, privacy=replace(settings.privacy, export_page_rows=2))
    client = TestClient(Starlette(routes=privacy_routes(services(db, settings))))
    body: dict[str, Any] = {
        "subject": Subject(acme, "contact", "k2").to_json(),
        "requested_by": "dpo",
    }
    assert client.post(EXPORT_PATH, json=body).status_code == 401
    assert (
        client.post(EXPORT_PATH, json=body, headers=bearer(settings, RECALC_SCOPE)).status_code
        == 403
    )
    headers = bearer(settings, PRIVACY_SCOPE)
    exported = client.post(EXPORT_PATH, json=body, headers=headers)
    assert exported.status_code == 200
    ids = [json.loads(line)["event_id"] for line in exported.text.splitlines()]
    assert sorted(ids) == sorted(r["event_id"] for r in rows if r["contact_id"] == "k2")
    erased = client.post(ERASE_PATH, json=body, headers=headers)
    assert erased.status_code == 200 and erased.json()["events"] == len(ids)
    again = client.post(EXPORT_PATH, json=body, headers=headers)
    assert again.text == ""
    listed = client.post(LOG_PATH, json={"tenant_id": acme}, headers=headers).json()["entries"]
    assert sorted(e["action"] for e in listed) == ["erase", "export", "export"]
    bad = client.post(ERASE_PATH, json={"subject": {"tenant_id": acme}}, headers=headers)
    assert bad.status_code == 400 and bad.json()["code"] == "bad_privacy_request"
