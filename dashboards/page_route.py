"""The dashboard page: ``GET /dashboards/{id}`` serves one static HTML page, the same for every id
and every viewer, and ``/dashboards/static/…`` its script and style (``static/``).

The page holds no data: its script reads the id from the path and the bearer token from the
fragment (``#token=…``, never sent to a server; a ``?token=…`` it moves there at once), then asks
``/graphql`` for the dashboard and subscribes to it over the WebSocket. So the route needs no
token, and what a viewer sees is exactly what their token may read through GraphQL.
"""

from __future__ import annotations

import re
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from pulse.errors import ConfigError

STATIC = Path(__file__).parent / "static"
# Scripts, styles and connections from this API only: 'self' also covers ws:/wss: of the page's
# own origin (CSP Level 3, as Chromium applies it; tests/dashboards/test_page.py subscribes under
# it). No referrer (a ?token= must not leak to a link's target).
POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:;"
    " connect-src 'self'; base-uri 'none'; form-action 'none'"
)
HEADERS = {
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}
# A source list only: a ';' or ',' would start another directive or policy.
_SOURCE = re.compile(
    r"^(?:'self'|'none'|[A-Za-z][A-Za-z0-9+.-]*:(?://[^\s;,']+)?|[^\s;,':]+(?::\d+)?)$"
)


def page_headers(frame_ancestors: str) -> dict[str, str]:
    """The page's headers; ``frame_ancestors`` (PULSE_API_EMBED_FRAME_ANCESTORS) limits which
    products may frame it, empty lets any."""
    sources = frame_ancestors.split()
    bad = [s for s in sources if not _SOURCE.match(s)]
    if bad:
        raise ConfigError(
            f"PULSE_API_EMBED_FRAME_ANCESTORS: {bad[0]!r} is not a CSP source"
            " (e.g. https://app.example.com, 'self', 'none')",
            var="PULSE_API_EMBED_FRAME_ANCESTORS",
        )
    policy = POLICY + (f"; frame-ancestors {' '.join(sources)}" if sources else "")
    return {"Content-Security-Policy": policy, **HEADERS}


def page_routes(frame_ancestors: str = "") -> list[BaseRoute]:
    headers = page_headers(frame_ancestors)

    async def dashboard_page(_: Request) -> Response:
        return FileResponse(STATIC / "dashboard.html", media_type="text/html", headers=headers)

    return [
        Mount("/dashboards/static", StaticFiles(directory=STATIC), name="dashboard-static"),
        Route("/dashboards/{id}", dashboard_page, methods=["GET"]),
    ]
