"""Embed tokens: minted by a manager for one dashboard it sees, read-only, expiring, and refused
everything but that dashboard; and the page they open, the same static HTML for every id."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Any

import jwt
import pytest
from starlette.testclient import TestClient

from pulse.settings import ROOT, Settings
from tests.dashboards.conftest import CREATE, MANAGE, VIEW, Caller, caller, code
from tests.dashboards.test_widgets import DAY, ONE_DAY, SHOW, TOTALS, WEB, overview, widget

pytestmark = [pytest.mark.kafka, pytest.mark.clickhouse]

EMBED = """mutation($id: ID!, $ttl: Int!) {
  embedToken(dashboardId: $id, ttlSeconds: $ttl) { token dashboardId expiresAt } }"""
EMBED_FIXED = """mutation($id: ID!, $ttl: Int!, $filters: JSON, $units: [String!]) {
  embedToken(dashboardId: $id, ttlSeconds: $ttl, filters: $filters, orgUnits: $units) {
    token expiresAt } }"""


def mint(by: Caller, dashboard_id: str, ttl: int = 900) -> str:
    body = by(EMBED, id=dashboard_id, ttl=ttl)
    assert code(body) is None, body
    token: str = body["data"]["embedToken"]["token"]
    return token


def claims_of(token: str, settings: Settings) -> dict[str, Any]:
    decoded: dict[str, Any] = jwt.decode(token, settings.api.jwt_secret, algorithms=["HS256"])
    return decoded


def sales_board(client: TestClient, settings: Settings) -> str:
    """An org-unit dashboard of sales, made by a sales manager."""
    given = {
        "name": "sales",
        "visibility": "ORG_UNIT",
        "orgUnit": "sales",
        "filters": ONE_DAY,
        "widgets": [widget("whatsapp", TOTALS, channel="whatsapp"), widget("web", WEB)],
    }
    body = caller(client, settings, "bob", [VIEW, MANAGE], ["sales"])(CREATE, input=given)
    dashboard_id: str = body["data"]["createDashboard"]["id"]
    return dashboard_id


def test_an_embed_token_shows_its_dashboard_and_nothing_else(
    api: TestClient, settings: Settings
) -> None:
    """The token reads its dashboard as its minter would and is FORBIDDEN everywhere else."""
    ana = caller(api, settings)
    board, other = overview(api, settings), overview(api, settings)
    token = mint(ana, board)
    assert claims_of(token, settings)["roles"] == [VIEW]
    embedded = Caller(api, token)
    shown = embedded(SHOW, id=board)
    assert code(shown) is None
    assert shown["data"]["dashboard"] == ana(SHOW, id=board)["data"]["dashboard"]
    assert all(w["errors"] == [] for w in shown["data"]["dashboard"]["widgets"])
    assert code(embedded(SHOW, id=other)) == "FORBIDDEN"
    assert code(embedded("query { dashboards { id } }")) == "FORBIDDEN"
    assert code(embedded(TOTALS, **ONE_DAY)) == "FORBIDDEN"
    assert code(embedded(EMBED, id=board, ttl=60)) == "FORBIDDEN"
    renamed = {"name": "x", "visibility": "TENANT"}
    assert code(embedded(CREATE, input=renamed)) == "FORBIDDEN"
    exported = api.post(
        "/export",
        json={"kind": "events", "format": "csv", "arguments": ONE_DAY},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert exported.status_code == 403


def test_an_embed_token_keeps_its_minters_scope(api: TestClient, settings: Settings) -> None:
    """A sales manager's token stays narrowed to sales; an unseen dashboard is not minted."""
    board = sales_board(api, settings)
    bob = caller(api, settings, "bob", [VIEW, MANAGE], ["sales"])
    token = mint(bob, board)
    assert claims_of(token, settings)["org_units"] == ["sales"]
    widgets = {
        w["id"]: w for w in Caller(api, token)(SHOW, id=board)["data"]["dashboard"]["widgets"]
    }
    # tests/graphql/conftest.py: whatsapp sent 3 of org unit sales in H1.
    assert widgets["whatsapp"]["data"]["messagingMetrics"]["totals"]["sent"] == 3
    assert [e["code"] for e in widgets["web"]["errors"]] == ["FORBIDDEN"]
    north = caller(api, settings, "cy", [VIEW, MANAGE], ["north"])
    assert code(north(EMBED, id=board, ttl=60)) == "INVALID_ARGUMENT"


def test_only_a_manager_mints_and_for_a_bounded_life(api: TestClient, settings: Settings) -> None:
    """Only a manager mints, for a life within the API's limit, expiring when it says."""
    board = overview(api, settings)
    ana = caller(api, settings)
    assert code(caller(api, settings, roles=[VIEW])(EMBED, id=board, ttl=60)) == "FORBIDDEN"
    assert code(ana(EMBED, id=board, ttl=0)) == "INVALID_ARGUMENT"
    too_long = settings.api.embed_max_ttl_seconds + 1
    assert code(ana(EMBED, id=board, ttl=too_long)) == "INVALID_ARGUMENT"
    before = int(time.time())
    minted = ana(EMBED, id=board, ttl=120)["data"]["embedToken"]
    exp = claims_of(minted["token"], settings)["exp"]
    assert before + 120 <= exp <= int(time.time()) + 120
    assert minted["expiresAt"] == datetime.fromtimestamp(exp, UTC).isoformat()


def test_an_embed_token_never_outlives_its_minter(api: TestClient, settings: Settings) -> None:
    """A token minted by one expiring in a minute expires with it, whatever ttlSeconds says."""
    board = overview(api, settings)
    minter_exp = int(time.time()) + 60
    short = {"tenant_id": "acme", "sub": "ana", "roles": [VIEW, MANAGE], "exp": minter_exp}
    shortlived = Caller(api, jwt.encode(short, settings.api.jwt_secret))
    exp = claims_of(mint(shortlived, board, ttl=900), settings)["exp"]
    assert exp == minter_exp


def test_an_embed_tokens_viewer_picks_only_the_range(api: TestClient, settings: Settings) -> None:
    """Filters but from/to are FORBIDDEN to the viewer; the minter's fixed filters win last."""
    board = overview(api, settings)
    ana = caller(api, settings)
    body = ana(EMBED_FIXED, id=board, ttl=60, filters={"channel": "whatsapp"}, units=None)
    assert code(body) is None, body
    embedded = Caller(api, body["data"]["embedToken"]["token"])
    for refused in ({"channel": "email"}, {"orgUnit": "north"}, {"first": 1000, **ONE_DAY}):
        assert code(embedded(SHOW, id=board, filters=refused)) == "FORBIDDEN", refused
    shown = embedded(SHOW, id=board, filters=ONE_DAY)
    assert code(shown) is None, shown
    widgets = {w["id"]: w["data"] for w in shown["data"]["dashboard"]["widgets"]}
    minters = {w["id"]: w["data"] for w in ana(SHOW, id=board)["data"]["dashboard"]["widgets"]}
    # The email widget and the one saved on whatsapp both show whatsapp: the token's filter won.
    assert widgets["email"] == widgets["whatsapp"] == minters["whatsapp"]
    assert minters["email"] != minters["whatsapp"]
    picked = ana(EMBED_FIXED, id=board, ttl=60, filters={"from": DAY}, units=None)
    assert code(picked) == "INVALID_ARGUMENT"


def test_an_embed_token_narrows_its_minters_org_units(api: TestClient, settings: Settings) -> None:
    """orgUnits narrows the token among the minter's units; a unit outside them is refused."""
    board = overview(api, settings)
    ana = caller(api, settings)
    body = ana(EMBED_FIXED, id=board, ttl=60, filters=None, units=["sales"])
    assert code(body) is None, body
    token = body["data"]["embedToken"]["token"]
    assert claims_of(token, settings)["org_units"] == ["sales"]
    widgets = {
        w["id"]: w for w in Caller(api, token)(SHOW, id=board)["data"]["dashboard"]["widgets"]
    }
    # tests/graphql/conftest.py: whatsapp sent 3 of org unit sales in H1.
    assert widgets["whatsapp"]["data"]["messagingMetrics"]["totals"]["sent"] == 3
    assert [e["code"] for e in widgets["web"]["errors"]] == ["FORBIDDEN"]
    bob = caller(api, settings, "bob", [VIEW, MANAGE], ["sales"])
    outside = bob(EMBED_FIXED, id=board, ttl=60, filters=None, units=["north"])
    assert code(outside) == "INVALID_ARGUMENT"


def test_an_expired_or_other_tenants_embed_token_is_refused(
    api: TestClient, settings: Settings
) -> None:
    """An expired token is UNAUTHENTICATED; another tenant's token for this id finds nothing."""
    board = overview(api, settings)
    claims = {"tenant_id": "acme", "roles": [VIEW], "dashboard": board}
    expired = jwt.encode({**claims, "exp": int(time.time()) - 5}, settings.api.jwt_secret)
    assert code(Caller(api, expired)(SHOW, id=board)) == "UNAUTHENTICATED"
    globex = {**claims, "tenant_id": "globex", "exp": int(time.time()) + 60}
    shown = Caller(api, jwt.encode(globex, settings.api.jwt_secret))(SHOW, id=board)
    assert code(shown) == "INVALID_ARGUMENT"
    assert shown["data"] is None


def test_the_page_is_one_static_file_for_every_id(api: TestClient) -> None:
    """/dashboards/{id} answers the same tokenless, tenantless, referrer-free HTML for any id."""
    first, second = api.get("/dashboards/abc"), api.get("/dashboards/other")
    assert first.status_code == second.status_code == 200
    assert first.content == second.content
    assert first.headers["content-type"].startswith("text/html")
    assert first.headers["referrer-policy"] == "no-referrer"
    assert "script-src 'self'" in first.headers["content-security-policy"]
    # Connections to the page's own origin only: no ws:/wss: to any host.
    assert "connect-src 'self';" in first.headers["content-security-policy"]
    assert "ws:" not in first.headers["content-security-policy"]
    assert b"acme" not in first.content
    script = api.get("/dashboards/static/dashboard.js")
    assert script.status_code == 200
    assert "javascript" in script.headers["content-type"]


def test_the_demos_dashboard_is_valid_and_shows(api: TestClient, settings: Settings) -> None:
    """scripts/demo-dashboard.json (what `make demo` creates) saves, and every widget answers."""
    request = json.loads((ROOT / "scripts" / "demo-dashboard.json").read_text())
    ana = caller(api, settings)
    created = ana(request["query"], **request["variables"])
    assert code(created) is None, created
    board = created["data"]["createDashboard"]["id"]
    widgets = ana(SHOW, id=board)["data"]["dashboard"]["widgets"]
    assert [w["errors"] for w in widgets] == [[]] * len(request["variables"]["input"]["widgets"])
