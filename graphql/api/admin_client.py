"""The client side of ``pulse serve``'s admin routes, shared by the CLIs that ask the process
holding the embedded ClickHouse (recalc, privacy, alert history, exports): where it listens as
seen from this machine, and how its refusal reads."""

from __future__ import annotations

import json

from pulse.settings import ApiSettings

# A server bound to every address is reached on loopback.
_ANY_ADDRESS = {"0.0.0.0", "::", ""}


def admin_url(api: ApiSettings, path: str) -> str:
    """``path`` on ``pulse serve`` as seen from this machine."""
    host = "127.0.0.1" if api.host in _ANY_ADDRESS else api.host
    host = f"[{host}]" if ":" in host else host
    return f"http://{host}:{api.port}{path}"


def refusal_message(body: bytes) -> str:
    """The ``message`` of a refusal's JSON body, else the body's start as text."""
    try:
        return str(json.loads(body).get("message", body[:200]))
    except (ValueError, AttributeError):
        return body[:200].decode(errors="replace")


def refusal_hint(status: int) -> str:
    """Where to look for why the serving process refused with ``status``."""
    if status in (401, 403):
        return "PULSE_API_JWT_SECRET must be the serving process's"
    return "see the serving process's log"
