"""Bearer tokens gate every field, and a token reads its own tenant only."""

from __future__ import annotations

import time

import jwt
import pytest
from starlette.testclient import TestClient

from pulse.graphql.auth import Claims, issue_token, scoped_tenant, verify_header, verify_token
from pulse.graphql.errors import ForbiddenError, UnauthenticatedError
from pulse.settings import Settings
from tests.graphql.conftest import graphql, token

QUERY = """
query($tenant: String) {
  messagingMetrics(from: "2025-03-01T00:00:00Z", to: "2025-04-01T00:00:00Z",
                   granularity: HOUR, tenantId: $tenant) { buckets { start sent } }
}
"""

SECRET = "a-test-secret-of-at-least-32-bytes!!"


def only_error(body: dict[str, object]) -> dict[str, object]:
    errors = body["errors"]
    assert isinstance(errors, list) and len(errors) == 1, body
    assert body["data"] == {"messagingMetrics": None}
    error: dict[str, object] = errors[0]
    return error


@pytest.mark.clickhouse
def test_missing_token_is_refused_with_a_suggestion(client: TestClient) -> None:
    """Without an Authorization header the field fails with UNAUTHENTICATED and how to fix it."""
    error = only_error(graphql(client, QUERY))
    assert "no Authorization header" in str(error["message"])
    extensions = error["extensions"]
    assert isinstance(extensions, dict)
    assert extensions["code"] == "UNAUTHENTICATED"
    assert "pulse token" in extensions["suggestion"]


@pytest.mark.clickhouse
def test_badly_signed_token_is_refused(client: TestClient, settings: Settings) -> None:
    """A token signed with another secret is reported as invalid."""
    forged = jwt.encode({"tenant_id": "acme", "exp": int(time.time()) + 60}, SECRET, "HS256")
    error = only_error(graphql(client, QUERY, bearer=forged))
    assert "invalid" in str(error["message"])


@pytest.mark.clickhouse
def test_expired_token_is_refused(client: TestClient, settings: Settings) -> None:
    """A token past its exp is reported as expired, not as a generic failure."""
    error = only_error(graphql(client, QUERY, bearer=token(settings, ttl=-10)))
    assert "expired" in str(error["message"])


@pytest.mark.clickhouse
def test_other_tenant_is_forbidden(client: TestClient, settings: Settings) -> None:
    """acme's token asking for globex is refused with FORBIDDEN, and no globex data leaks."""
    body = graphql(client, QUERY, {"tenant": "globex"}, bearer=token(settings, "acme"))
    error = only_error(body)
    assert "'acme' only, not 'globex'" in str(error["message"])
    extensions = error["extensions"]
    assert isinstance(extensions, dict)
    assert extensions["code"] == "FORBIDDEN"
    assert "tenantId" in extensions["suggestion"]


@pytest.mark.clickhouse
def test_own_tenant_named_explicitly_is_allowed(client: TestClient, settings: Settings) -> None:
    """Naming the token's own tenant is the same as leaving tenantId out."""
    body = graphql(client, QUERY, {"tenant": "acme"}, bearer=token(settings, "acme"))
    assert "errors" not in body, body
    assert body["data"]["messagingMetrics"]["buckets"]


def test_issued_token_verifies_to_its_tenant() -> None:
    """issue_token and verify_header round-trip the tenant and a future expiry."""
    claims = verify_header(f"Bearer {issue_token('acme', SECRET, 60)}", SECRET)
    assert claims.tenant_id == "acme"
    assert claims.expires_at > time.time()


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("Basic dXNlcjpwYXNz", "not a bearer token"),
        ("Bearer", "not a bearer token"),
        ("Bearer not.a.jwt", "invalid"),
    ],
)
def test_malformed_headers_are_refused(header: str, message: str) -> None:
    """Other schemes, an empty bearer and garbage tokens are refused with their reason."""
    with pytest.raises(UnauthenticatedError, match=message):
        verify_header(header, SECRET)


def test_token_without_tenant_or_expiry_is_refused() -> None:
    """tenant_id and exp are both required claims; a non-string tenant is refused too."""
    with pytest.raises(UnauthenticatedError, match="'exp'"):
        verify_token(jwt.encode({"tenant_id": "acme"}, SECRET, "HS256"), SECRET)
    no_tenant = jwt.encode({"exp": int(time.time()) + 60}, SECRET, "HS256")
    with pytest.raises(UnauthenticatedError, match="'tenant_id'"):
        verify_token(no_tenant, SECRET)
    numeric = jwt.encode({"tenant_id": 7, "exp": int(time.time()) + 60}, SECRET, "HS256")
    with pytest.raises(UnauthenticatedError, match="non-empty string"):
        verify_token(numeric, SECRET)


def test_token_signed_with_another_algorithm_is_refused() -> None:
    """Only HS256 is accepted, so an unsigned ('none') token cannot pass."""
    unsigned = jwt.encode({"tenant_id": "acme", "exp": int(time.time()) + 60}, "", "none")
    with pytest.raises(UnauthenticatedError, match="invalid"):
        verify_token(unsigned, SECRET)


def test_scoped_tenant_defaults_to_the_token_and_refuses_others() -> None:
    """No tenantId means the token's tenant; a different one raises ForbiddenError."""
    claims = Claims(tenant_id="acme", expires_at=0)
    assert scoped_tenant(claims, None) == "acme"
    assert scoped_tenant(claims, "acme") == "acme"
    with pytest.raises(ForbiddenError) as refused:
        scoped_tenant(claims, "globex")
    assert refused.value.extensions["code"] == "FORBIDDEN"


@pytest.mark.clickhouse
def test_get_requests_are_authenticated_too(client: TestClient, settings: Settings) -> None:
    """A query sent by GET is answered with a token and refused without one."""
    params = {
        "query": '{ messagingMetrics(from: "2025-03-10T09:00:00Z", '
        'to: "2025-03-10T10:00:00Z", granularity: HOUR) { buckets { sent } } }'
    }
    headers = {"Authorization": f"Bearer {token(settings)}"}
    answered = client.get("/graphql", params=params, headers=headers).json()
    assert answered["data"]["messagingMetrics"]["buckets"] == [{"sent": 16}]
    refused = client.get("/graphql", params=params).json()
    assert refused["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
