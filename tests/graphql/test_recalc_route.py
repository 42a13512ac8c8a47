"""``POST /admin/recalc``: admin tokens only, requests checked up front, progress as NDJSON."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, cast

import jwt
import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from pulse.families.recalc import ChunkDone, FamilyDone, RecalcError, RecalcRequest
from pulse.families.recalc_wire import event_from_line, request_to_json
from pulse.graphql.admin_auth import RECALC_SCOPE, issue_admin_token, verify_admin_header
from pulse.graphql.auth import verify_header
from pulse.graphql.errors import ForbiddenError, UnauthenticatedError
from pulse.graphql.recalc_route import recalc_route
from pulse.sinks.clickhouse import ClickHouse
from tests.families.recalc_fakes import FakeDerivation, fake

SECRET = "route-secret-" + "x" * 32


def client_for(derivation: FakeDerivation) -> TestClient:
    route = recalc_route(cast(ClickHouse, None), [derivation], SECRET, "HS256")
    return TestClient(Starlette(routes=[route]))


def admin(scope: str = RECALC_SCOPE) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_admin_token(scope, SECRET, 60)}"}


def post(client: TestClient, body: Any, headers: dict[str, str]) -> Any:
    return client.post("/admin/recalc", json=body, headers=headers)


def test_the_stream_is_the_local_recalculation_line_by_line() -> None:
    """An admin token gets one NDJSON event per chunk, then the family's summary."""
    derivation = fake(count=3)
    response = post(
        client_for(derivation), request_to_json(RecalcRequest(tenant_id="acme")), admin()
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/x-ndjson")
    events = [event_from_line(line) for line in response.text.splitlines()]
    assert events[:2] == [ChunkDone("fake", 2, 2), ChunkDone("fake", 1, 1)]
    assert isinstance(events[2], FamilyDone) and events[2].keys == 3
    assert derivation.refreshed == [[("acme", "k0"), ("acme", "k1")], [("acme", "k2")]]


def tenant_token() -> dict[str, str]:
    """A tenant's GraphQL token: valid, but it grants no admin scope."""
    token = jwt.encode({"tenant_id": "acme", "exp": int(time.time()) + 60}, SECRET)
    return {"Authorization": f"Bearer {token}"}


# Headers are made when the test runs: a token minted at collection would expire before a test
# that runs minutes later in the whole suite.
@pytest.mark.parametrize(
    ("headers_of", "status"),
    [
        (dict, 401),
        (lambda: {"Authorization": "Bearer not-a-jwt"}, 401),
        (tenant_token, 403),
        (lambda: admin("admin:other"), 403),
    ],
)
def test_only_a_token_with_the_recalc_scope_may_run_it(
    headers_of: Callable[[], dict[str, str]], status: int
) -> None:
    """No token or a bad one is 401; a valid token without ``admin:recalc`` is 403; nothing runs."""
    headers = headers_of()
    derivation = fake()
    response = post(client_for(derivation), request_to_json(RecalcRequest()), headers)
    assert response.status_code == status
    assert derivation.asked == []


@pytest.mark.parametrize(
    "body",
    [
        {"families": ["nope"]},
        {"from_ms": 10, "to_ms": 10},
        {"tenant_id": 7},
        ["not", "an", "object"],
    ],
)
def test_a_bad_request_is_a_400_before_any_work(body: Any) -> None:
    """Unknown family, empty range or a malformed body answer 400 with a message."""
    derivation = fake()
    response = post(client_for(derivation), body, admin())
    assert response.status_code == 400
    assert response.json()["code"] == "bad_recalc_request"
    assert derivation.asked == []


def test_a_failure_part_way_ends_the_stream_with_an_error_line() -> None:
    """Chunks done before a ClickHouse error are reported, then an error line that raises."""
    derivation = fake(count=5, fail_after=1)
    response = post(client_for(derivation), request_to_json(RecalcRequest()), admin())
    lines = response.text.splitlines()
    assert event_from_line(lines[0]) == ChunkDone("fake", 2, 2)
    with pytest.raises(RecalcError, match="the engine went away"):
        event_from_line(lines[-1])


def test_admin_and_tenant_tokens_do_not_stand_in_for_each_other() -> None:
    """An admin token reads no tenant through /graphql, and an expired one is refused."""
    with pytest.raises(UnauthenticatedError, match="tenant_id"):
        verify_header(admin()["Authorization"], SECRET)
    expired = issue_admin_token(RECALC_SCOPE, SECRET, -10)
    with pytest.raises(UnauthenticatedError, match="expired"):
        verify_admin_header(f"Bearer {expired}", SECRET, RECALC_SCOPE)
    with pytest.raises(ForbiddenError):
        verify_admin_header(admin("admin:recalcx")["Authorization"], SECRET, RECALC_SCOPE)
