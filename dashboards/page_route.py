"""The dashboard page: ``GET /dashboards/{id}`` serves one static HTML page, the same for every id
and every viewer, and ``/dashboards/static/…`` its script and style (``static/``).

The page holds no data: its script reads the id from the path and the bearer token from the
fragment (``#token=…``, never sent to a server; a ``?token=…`` it moves there at once), then asks
``/graphql`` for the dashboard and subscribes to it over the WebSocket. So the route needs no
token, and what a viewer sees is exactly what their token may read through GraphQL.
"""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

STATIC = Path(__file__).parent / "static"
# Scripts, styles and connections from this API only: 'self' also covers ws:/wss: of the page's
# own origin (CSP Level 3, as Chromium applies it; tests/dashboards/test_page.py subscribes under
# it). No referrer (a ?token= must not leak to a link's target); any product may frame it.
HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:;"
        " connect-src 'self'; base-uri 'none'; form-action 'none'"
    ),
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}


async def dashboard_page(_: Request) -> Response:
    return FileResponse(STATIC / "dashboard.html", media_type="text/html", headers=HEADERS)


def page_routes() -> list[BaseRoute]:
    return [
        Mount("/dashboards/static", StaticFiles(directory=STATIC), name="dashboard-static"),
        Route("/dashboards/{id}", dashboard_page, methods=["GET"]),
    ]
