"""graphql-transport-ws over Starlette's test WebSocket, for the subscription tests."""

from __future__ import annotations

from typing import Any

from starlette.testclient import WebSocketTestSession

PROTOCOL = "graphql-transport-ws"


def init(socket: WebSocketTestSession, token: str | None) -> None:
    """Sends connection_init, with the token in its payload unless None (no payload)."""
    message: dict[str, Any] = {"type": "connection_init"}
    if token is not None:
        message["payload"] = {"authorization": f"Bearer {token}"}
    socket.send_json(message)


def subscribe(socket: WebSocketTestSession, query: str, op: str = "1") -> None:
    socket.send_json({"id": op, "type": "subscribe", "payload": {"query": query}})


def receive(socket: WebSocketTestSession) -> dict[str, Any]:
    """The next message that is not a ping."""
    while True:
        message: dict[str, Any] = socket.receive_json()
        if message.get("type") != "ping":
            return message
