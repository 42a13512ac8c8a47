"""The API process's access log: requests are logged, bearer tokens in a query string are not."""

from __future__ import annotations

import logging
import threading
import time

import httpx
from starlette.applications import Starlette

from pulse.dashboards.page_route import page_routes
from pulse.graphql.services import server
from pulse.settings import Settings
from tests.graphql.test_serve_cli import free_port


class Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def test_a_token_in_a_query_string_is_redacted_from_the_access_log(settings: Settings) -> None:
    """GET /dashboards/x?token=… is logged with its path and status, the token as [redacted]."""
    api = server(settings, Starlette(routes=page_routes()), "127.0.0.1", free_port())
    access = logging.getLogger("uvicorn.access")
    lines, level = Lines(), access.level
    access.addHandler(lines)
    access.setLevel(logging.INFO)
    thread = threading.Thread(target=api.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not api.started:
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.02)
        port = api.config.port
        url = f"http://127.0.0.1:{port}/dashboards/x?range=last_7d&token=eyJ.SECRET.sig"
        assert httpx.get(url, timeout=10).status_code == 200
    finally:
        api.should_exit = True
        thread.join(timeout=10)
        access.removeHandler(lines)
        access.setLevel(level)
    assert not any("SECRET" in line for line in lines.lines), lines.lines
    assert any("/dashboards/x?range=last_7d&token=[redacted]" in line for line in lines.lines)
