"""Privacy and retention requests sent to the process that owns the embedded ClickHouse.

Like ``pulse recalc`` (``pulse.recalc_remote``): a short-lived admin token of the route's scope,
minted with the shared ``PULSE_API_JWT_SECRET``, and a POST to ``pulse serve``'s admin route.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx

from pulse.graphql.admin_auth import issue_admin_token
from pulse.graphql.admin_client import admin_url, refusal_hint, refusal_message
from pulse.privacy.errors import BadPrivacyRequestError, PrivacyError
from pulse.settings import ApiSettings

TOKEN_TTL_SECONDS = 300
CONNECT_SECONDS = 10.0
# The longest wait for an answer (an erasure of a large subject, a retention run).
READ_SECONDS = 1800.0


def post_json(api: ApiSettings, path: str, scope: str, body: dict[str, Any]) -> dict[str, Any]:
    """The serving process's JSON answer to ``body``."""
    with _Post(api, path, scope, body) as response:
        answer: dict[str, Any] = json.loads(response.read())
        return answer


def post_lines(api: ApiSettings, path: str, scope: str, body: dict[str, Any]) -> Iterator[bytes]:
    """The serving process's answer, line by line, as it streams."""
    with _Post(api, path, scope, body) as response:
        try:
            for line in response.iter_lines():
                if line:
                    yield line.encode() + b"\n"
        except httpx.HTTPError as exc:
            raise PrivacyError(f"the answer from {admin_url(api, path)} broke off: {exc}") from exc


class _Post:
    """A POST whose response is open inside the ``with``; refusals become errors."""

    def __init__(self, api: ApiSettings, path: str, scope: str, body: dict[str, Any]) -> None:
        self.url = admin_url(api, path)
        token = issue_admin_token(scope, api.jwt_secret, TOKEN_TTL_SECONDS, api.jwt_algorithm)
        self._stream = httpx.stream(
            "POST",
            self.url,
            json=body,
            headers={"Authorization": f"Bearer {token}"},
            timeout=httpx.Timeout(CONNECT_SECONDS, read=READ_SECONDS),
        )

    def __enter__(self) -> httpx.Response:
        try:
            response = self._stream.__enter__()
        except httpx.HTTPError as exc:
            raise PrivacyError(
                f"the ClickHouse directory is held by another process, and no `pulse serve` "
                f"answers at {self.url} ({exc})",
                url=self.url,
                hint="run the command where `pulse serve` runs, with the same PULSE_API_* settings",
            ) from exc
        if response.status_code != 200:
            _refused(self.url, response.status_code, response.read())
        return response

    def __exit__(self, *exc: object) -> None:
        self._stream.__exit__(None, None, None)


def _refused(url: str, status: int, body: bytes) -> None:
    message = refusal_message(body)
    if status == 400:
        raise BadPrivacyRequestError(message, url=url)
    raise PrivacyError(
        f"{url} refused the request ({status}): {message}", hint=refusal_hint(status)
    )
