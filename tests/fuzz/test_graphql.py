"""Thousands of bad GraphQL requests against the API on a real chdb.

Each is answered with a clean GraphQL error (or data, for a strange but valid window) or a 4xx:
never a 5xx, a traceback or the masked "Internal error." that means our code failed; the server
keeps answering and the good query's answer does not change.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from starlette.testclient import TestClient

from pulse.settings import Settings
from tests.fuzz.requests import GOOD_VARIABLES, QUERY, Request, bad_requests, token

pytestmark = [pytest.mark.clickhouse]

BAD_REQUESTS = 1_500


def send(client: TestClient, request: Request) -> Any:
    headers = {"Content-Type": "application/json"}
    if request.authorization is not None:
        headers["Authorization"] = request.authorization
    return client.post("/graphql", content=request.body, headers=headers)


def problems(response: Any) -> list[str]:
    """What is wrong with the answer to a bad request (nothing, for a clean refusal)."""
    found = []
    if response.status_code >= 500:
        found.append(f"status {response.status_code}")
    if "Traceback" in response.text or 'File "' in response.text:
        found.append("a traceback in the response")
    if response.status_code == 200:
        body = json.loads(response.text)
        if not isinstance(body, dict):
            return [*found, f"not a GraphQL response: {response.text[:200]}"]
        for error in body.get("errors") or []:
            if not error.get("message") or error["message"] == "Internal error.":
                found.append(f"an unclean error: {error}")
    return found


def test_bad_requests_get_clean_errors_and_change_nothing(
    client: TestClient, settings: Settings
) -> None:
    """1,500 bad ranges, enums, variables, queries, tokens and bodies: each a clean GraphQL
    error or a 4xx, and the good query answers the same before and after."""
    good = Request(
        f"Bearer {token(settings.api.jwt_secret)}",
        json.dumps({"query": QUERY, "variables": GOOD_VARIABLES}).encode(),
    )
    before = send(client, good).json()
    assert "errors" not in before and before["data"]["messagingMetrics"]["buckets"]
    failures = {}
    for request in bad_requests(settings.api.jwt_secret, BAD_REQUESTS):
        found = problems(send(client, request))
        if found:
            failures[request.body[-200:]] = (request.authorization or "")[:80], found
    assert not failures, list(failures.items())[:5]
    assert send(client, good).json() == before
    assert client.get("/health").status_code == 200
