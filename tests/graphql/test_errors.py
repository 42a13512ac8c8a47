"""Unexpected failures reach clients as a bare "Internal error."; the API's own errors do not."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import pytest
from starlette.testclient import TestClient
from structlog.testing import capture_logs

from pulse.graphql.app import create_app
from pulse.settings import Settings
from tests.graphql.conftest import MemoryStore, graphql, kafka_up, token

QUERY = """
{ messagingMetrics(from: "2025-03-01T00:00:00Z", to: "2025-04-01T00:00:00Z", granularity: DAY) {
    buckets { start } } }
"""


class BrokenReader:
    """A ClickHouse whose every read fails with an internal detail a client must not see."""

    def query(self, sql: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        raise RuntimeError("disk /var/lib/secret is corrupt")


def test_unexpected_exception_is_masked(settings: Settings) -> None:
    """A resolver crash becomes "Internal error." with no message, code or path of the cause."""
    app = create_app(settings, BrokenReader(), MemoryStore(), kafka_up)
    with TestClient(app) as client:
        body = graphql(client, QUERY, bearer=token(settings))
    assert body["data"] == {"messagingMetrics": None}
    assert [e["message"] for e in body["errors"]] == ["Internal error."]
    assert "secret" not in str(body)


def test_invalid_window_passes_through_unmasked(settings: Settings) -> None:
    """from after to is the caller's mistake: its message and suggestion reach the client."""
    app = create_app(settings, BrokenReader(), MemoryStore(), kafka_up)
    query = QUERY.replace("2025-03-01", "2025-05-01")
    with TestClient(app) as client:
        body = graphql(client, query, bearer=token(settings))
    (error,) = body["errors"]
    assert error["message"] == "'from' must be before 'to'."
    assert error["extensions"]["code"] == "INVALID_ARGUMENT"


def test_instant_without_offset_is_refused(settings: Settings) -> None:
    """A from without a UTC offset names no instant and is refused with a suggestion."""
    app = create_app(settings, BrokenReader(), MemoryStore(), kafka_up)
    query = QUERY.replace("2025-03-01T00:00:00Z", "2025-03-01T00:00:00")
    with TestClient(app) as client:
        body = graphql(client, query, bearer=token(settings))
    (error,) = body["errors"]
    assert "no UTC offset" in error["message"]
    assert error["extensions"]["argument"] == "from"


def test_query_errors_are_not_masked(settings: Settings) -> None:
    """A query naming an unknown field gets GraphQL's own validation message."""
    app = create_app(settings, BrokenReader(), MemoryStore(), kafka_up)
    with TestClient(app) as client:
        body = graphql(client, "{ nope }", bearer=token(settings))
    assert "Cannot query field 'nope'" in body["errors"][0]["message"]


def test_masked_errors_are_logged_with_their_cause(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    """What the client does not see, the server log keeps: the original exception."""
    app = create_app(settings, BrokenReader(), MemoryStore(), kafka_up)
    with caplog.at_level(logging.ERROR, logger="strawberry.execution"), TestClient(app) as client:
        graphql(client, QUERY, bearer=token(settings))
    assert any("disk /var/lib/secret is corrupt" in r.getMessage() for r in caplog.records)


def test_refusals_are_logged_as_info_without_traceback(settings: Settings) -> None:
    """A refused request is one structured info event with its code, not an error."""
    app = create_app(settings, BrokenReader(), MemoryStore(), kafka_up)
    with capture_logs() as logs, TestClient(app) as client:
        graphql(client, QUERY)
    refusals = [e for e in logs if e["event"] == "request refused"]
    assert len(refusals) == 1
    assert (refusals[0]["log_level"], refusals[0]["code"]) == ("info", "unauthenticated")


@pytest.mark.parametrize("body", [b"\xc4\x80\xff", b'"{}"', b"5", b"null"])
def test_a_body_that_is_no_json_object_is_a_400(settings: Settings, body: bytes) -> None:
    """Bytes that are not UTF-8, or JSON that is no object, are refused as unreadable, not a
    500 (found by tests/fuzz)."""
    app = create_app(settings, BrokenReader(), MemoryStore(), kafka_up)
    with TestClient(app) as client:
        response = client.post(
            "/graphql", content=body, headers={"Content-Type": "application/json"}
        )
    assert response.status_code == 400
    assert "Traceback" not in response.text


@pytest.mark.parametrize(
    ("variables", "said"),
    [
        ({"granularity": "YEAR"}, "does not exist in 'Granularity' enum"),
        ({"from": "x", "granularity": "DAY"}, "cannot represent a DateTime"),
        ({"from": 5, "granularity": "DAY"}, "cannot represent a DateTime"),
    ],
)
def test_bad_variables_are_the_callers_error_not_masked(
    settings: Settings, variables: dict[str, Any], said: str
) -> None:
    """A variable that does not coerce (unknown enum, unparseable DateTime) gets GraphQL's own
    message, not "Internal error." (found by tests/fuzz)."""
    query = """query($from: DateTime!, $granularity: Granularity!) {
      messagingMetrics(from: $from, to: "2025-04-01T00:00:00Z", granularity: $granularity) {
        buckets { start } } }"""
    app = create_app(settings, BrokenReader(), MemoryStore(), kafka_up)
    with TestClient(app) as client:
        body = graphql(
            client, query, {"from": "2025-03-01T00:00:00Z", **variables}, token(settings)
        )
    (error,) = body["errors"]
    assert said in error["message"]
