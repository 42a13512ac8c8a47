"""``pulse recalc`` through the process that owns the embedded ClickHouse (``pulse serve``).

It mints a short-lived ``admin:recalc`` token with the shared ``PULSE_API_JWT_SECRET``, posts
the request to ``/admin/recalc`` on ``PULSE_API_HOST:PULSE_API_PORT`` and reads the events back
line by line, as the recalculation produces them.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx

from pulse.families.recalc import BadRecalcRequestError, Event, RecalcError, RecalcRequest
from pulse.families.recalc_wire import event_from_line, request_to_json
from pulse.graphql.admin_auth import RECALC_SCOPE, issue_admin_token
from pulse.graphql.admin_client import admin_url, refusal_hint, refusal_message
from pulse.graphql.recalc_route import PATH
from pulse.settings import ApiSettings

# The token is checked once, when the request arrives.
TOKEN_TTL_SECONDS = 300
CONNECT_SECONDS = 10.0
# The longest wait for one chunk of keys to be recomputed.
CHUNK_SECONDS = 600.0


def remote_events(api: ApiSettings, request: RecalcRequest) -> Iterator[Event]:
    """The serving process's events for ``request``; RecalcError if it cannot be asked or
    fails part-way, BadRecalcRequestError if it refuses the request."""
    url = admin_url(api, PATH)
    token = issue_admin_token(RECALC_SCOPE, api.jwt_secret, TOKEN_TTL_SECONDS, api.jwt_algorithm)
    timeout = httpx.Timeout(CONNECT_SECONDS, read=CHUNK_SECONDS)
    headers = {"Authorization": f"Bearer {token}"}
    try:
        with httpx.stream(
            "POST", url, json=request_to_json(request), headers=headers, timeout=timeout
        ) as response:
            if response.status_code != 200:
                _refused(url, response.status_code, response.read())
            for line in response.iter_lines():
                if line.strip():
                    yield event_from_line(line)
    except httpx.HTTPError as exc:
        raise RecalcError(
            f"the ClickHouse directory is held by another process, and no `pulse serve` "
            f"answers at {url} ({exc})",
            url=url,
            hint="run `pulse recalc` where `pulse serve` runs, with the same PULSE_API_* settings",
        ) from exc


def _refused(url: str, status: int, body: bytes) -> None:
    message = refusal_message(body)
    if status == 400:
        raise BadRecalcRequestError(message, url=url)
    raise RecalcError(
        f"{url} refused the recalculation ({status}): {message}", hint=refusal_hint(status)
    )
