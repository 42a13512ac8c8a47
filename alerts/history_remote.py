"""``pulse alerts history`` asking the process that holds the embedded ClickHouse: a short-lived
``admin:alerts`` token minted with the shared ``PULSE_API_JWT_SECRET`` and a POST to its
``/admin/alerts/history`` (as ``pulse privacy`` does, ``privacy/remote.py``)."""

from __future__ import annotations

import json

import httpx

from pulse.alerts.errors import AlertError
from pulse.alerts.history import HistoryEntry, HistoryQuery
from pulse.alerts.history_route import PATH, SCOPE
from pulse.alerts.history_wire import entry_from_json
from pulse.graphql.admin_auth import issue_admin_token
from pulse.graphql.admin_client import admin_url, refusal_hint
from pulse.settings import ApiSettings

TOKEN_TTL_SECONDS = 300
TIMEOUT_SECONDS = 60.0


def remote_history(api: ApiSettings, q: HistoryQuery) -> list[HistoryEntry]:
    """The entries of ``q`` as the serving process reads them."""
    url = admin_url(api, PATH)
    token = issue_admin_token(SCOPE, api.jwt_secret, TOKEN_TTL_SECONDS, api.jwt_algorithm)
    body = {"tenant_id": q.tenant_id, "rule_id": q.rule_id, "from_ms": q.from_ms, "limit": q.limit}
    try:
        response = httpx.post(
            url, json=body, headers={"Authorization": f"Bearer {token}"}, timeout=TIMEOUT_SECONDS
        )
    except httpx.HTTPError as exc:
        raise AlertError(
            f"the ClickHouse directory is held by another process, and no `pulse serve` "
            f"answers at {url} ({exc})",
            url=url,
            hint="run the command where `pulse serve` runs, with the same PULSE_API_* settings",
        ) from exc
    if response.status_code != 200:
        raise AlertError(
            f"{url} refused the request ({response.status_code}): {response.text[:200]}",
            hint=refusal_hint(response.status_code),
        )
    try:
        return [entry_from_json(e) for e in json.loads(response.content)["entries"]]
    except (ValueError, KeyError, TypeError) as exc:
        raise AlertError(f"{url} answered what is no history: {exc}", url=url) from exc
