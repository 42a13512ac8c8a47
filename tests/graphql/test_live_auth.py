"""Subscriptions authenticate on connection_init and keep to the token's tenant and org units."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import jwt
import pytest
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from pulse.graphql.app import create_app
from pulse.settings import Settings
from tests.graphql.conftest import MemoryStore, kafka_up
from tests.graphql.live_client import PROTOCOL, init, receive, subscribe
from tests.graphql.roles_paths import role_token
from tests.graphql.test_roles_matrix import EmptyReads

pytestmark = [pytest.mark.redis, pytest.mark.timeout(60)]

VIEW = "analytics.view"


@pytest.fixture
def client(settings: Settings, redis_url: str) -> Iterator[TestClient]:
    app = create_app(settings, EmptyReads(), MemoryStore(), kafka_up)
    with TestClient(app) as test_client:
        yield test_client


def refused_at_init(client: TestClient, token: str | None) -> int:
    with client.websocket_connect("/graphql", subprotocols=[PROTOCOL]) as socket:
        init(socket, token)
        with pytest.raises(WebSocketDisconnect) as closed:
            socket.receive_json()
    return closed.value.code


def test_a_connection_without_a_token_is_closed(client: TestClient) -> None:
    """connection_init without a payload is answered by a 4403 close, not an ack."""
    assert refused_at_init(client, None) == 4403


def test_a_connection_with_a_bad_token_is_closed(client: TestClient, settings: Settings) -> None:
    """A token signed with another secret, or expired, closes the connection (4403)."""
    assert refused_at_init(client, "not-a-jwt") == 4403
    other = Settings()
    assert refused_at_init(client, role_token(other, None)) == 4403


def first_answer(client: TestClient, token: str, query: str) -> dict[str, Any]:
    with client.websocket_connect("/graphql", subprotocols=[PROTOCOL]) as socket:
        init(socket, token)
        assert receive(socket)["type"] == "connection_ack"
        subscribe(socket, query)
        return receive(socket)


def code(message: dict[str, Any]) -> object:
    """The first error's code, whether sent as an ``error`` message or in a ``next``."""
    payload = message["payload"]
    errors = payload if message["type"] == "error" else payload.get("errors")
    return errors[0]["extensions"]["code"] if errors else None


def test_a_valid_token_subscribes(client: TestClient, settings: Settings) -> None:
    """With the token in connection_init, the subscription answers at once for its tenant."""
    token = role_token(settings, None)
    message = first_answer(client, token, "subscription { activeVisitors { tenantId count } }")
    assert message["type"] == "next"
    assert message["payload"] == {"data": {"activeVisitors": {"tenantId": "acme", "count": 0}}}


def test_another_tenant_is_refused(client: TestClient, settings: Settings) -> None:
    """Naming another tenant is FORBIDDEN on every subscription."""
    token = role_token(settings, None)
    for field in ("activeVisitors", "realtimeMessaging", "unansweredConversations"):
        query = f'subscription {{ {field}(tenantId: "globex") {{ __typename }} }}'
        assert code(first_answer(client, token, query)) == "FORBIDDEN", field


def test_roles_and_org_units_apply(client: TestClient, settings: Settings) -> None:
    """No view role: FORBIDDEN; a confined token gets only the narrowed field, in its units."""
    no_view = role_token(settings, ["analytics.manage"])
    query = "subscription { realtimeMessaging { __typename } }"
    assert code(first_answer(client, no_view, query)) == "FORBIDDEN"
    north = role_token(settings, [VIEW], ["north"])
    assert code(first_answer(client, north, query)) == "FORBIDDEN"
    other = 'subscription { unansweredConversations(orgUnit: "south") { conversationId } }'
    assert code(first_answer(client, north, other)) == "FORBIDDEN"
    own = 'subscription { unansweredConversations(orgUnit: "north") { conversationId } }'
    message = first_answer(client, north, own)
    assert message["payload"] == {"data": {"unansweredConversations": []}}


def test_an_embed_token_subscribes_to_its_dashboard_only(
    client: TestClient, settings: Settings
) -> None:
    """An embed token for r1 is FORBIDDEN on every other subscription, and passes on r1 alone."""
    token = role_token(settings, [VIEW], dashboard="r1")
    for query in (
        "subscription { realtimeMessaging { __typename } }",
        "subscription { activeVisitors { __typename } }",
        "subscription { unansweredConversations { __typename } }",
        'subscription { dashboard(id: "r2") { __typename } }',
        'subscription { dashboard(id: "r1", tenantId: "globex") { __typename } }',
    ):
        assert code(first_answer(client, token, query)) == "FORBIDDEN", query
    own = first_answer(client, token, 'subscription { dashboard(id: "r1") { __typename } }')
    assert code(own) == "UNAVAILABLE"


def test_a_subscription_is_closed_when_its_token_expires(
    client: TestClient, settings: Settings
) -> None:
    """A socket whose token expires two seconds in is closed with 4403 after its first push."""
    claims = {"tenant_id": "acme", "exp": int(time.time()) + 2}
    token = jwt.encode(claims, settings.api.jwt_secret, algorithm="HS256")
    with client.websocket_connect("/graphql", subprotocols=[PROTOCOL]) as socket:
        init(socket, token)
        assert receive(socket)["type"] == "connection_ack"
        subscribe(socket, "subscription { activeVisitors { count } }")
        assert receive(socket)["type"] == "next"
        with pytest.raises(WebSocketDisconnect) as closed:
            receive(socket)
    assert closed.value.code == 4403
    assert time.time() >= claims["exp"]
