"""The dashboard page in Debian's headless Chromium: it draws each widget's figures from the API,
redraws when the sink stores rows (the subscription), re-asks on a picked range and filter, and
shows a refused token's reason instead of any figure. A screenshot is kept in the test's tmp dir.
"""

from __future__ import annotations

import json
import shutil
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
import redis
import uvicorn
from playwright.sync_api import Browser, Page, sync_playwright

from pulse.dashboards.book import DashboardBook
from pulse.graphql.app import create_app
from pulse.settings import Settings
from pulse.sinks.clickhouse import ClickHouse
from tests.dashboards.conftest import CREATE, MANAGE, VIEW, apply_topics
from tests.graphql.conftest import H3, RAW_ROWS, MemoryStore, kafka_up, messages, store_raw
from tests.graphql.roles_paths import role_token

pytestmark = [
    pytest.mark.kafka,
    pytest.mark.redis,
    pytest.mark.clickhouse,
    pytest.mark.timeout(300),
]

# As the machine notes say Chromium runs here: no sandbox as root, nothing fetched in background.
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WAIT_MS = 30_000
DAY = {"from": "2025-03-10T00:00:00Z", "to": "2025-03-11T00:00:00Z"}
HOURLY = """query H($from: DateTime!, $to: DateTime!, $channel: String) {
  messagingMetrics(from: $from, to: $to, granularity: HOUR, channel: $channel) {
    buckets { start sent %s } } }"""
TOTALS = """query T($from: DateTime!, $to: DateTime!, $channel: String) {
  messagingMetrics(from: $from, to: $to, granularity: HOUR, channel: $channel) {
    totals { sent delivered } } }"""
CAMPAIGNS = """query C($from: DateTime!, $to: DateTime!) {
  campaignMetrics(from: $from, to: $to, granularity: DAY) { top(by: READ_RATE) { %s } } }"""
EMBED = """mutation($id: ID!, $filters: JSON) {
  embedToken(dashboardId: $id, ttlSeconds: 600, filters: $filters) { token } }"""


def counted(kind: str, channel: str | None = None, **fields: str) -> Counter[datetime]:
    """acme's stored events of ``kind`` by hour, counted from the rows themselves."""
    hours: Counter[datetime] = Counter()
    for row in RAW_ROWS:
        if row["tenant_id"] != "acme" or row["event_type"] != f"message.{kind}":
            continue
        if channel is not None and row["channel"] != channel:
            continue
        if all(row[k] == v for k, v in fields.items()):
            at = datetime.fromtimestamp(row["occurred_at"] / 1000, UTC)
            hours[at.replace(minute=0, second=0, microsecond=0)] += 1
    return hours


def widget(wid: str, kind: str, query: str, x: int, y: int, w: int, **variables: str) -> Any:
    position = {"x": x, "y": y, "w": w, "h": 5}
    return {"id": wid, "title": wid, "kind": kind, "query": query, "variables": variables,
            "position": position}  # fmt: skip


BOARD = {
    "name": "Messaging overview",
    "visibility": "TENANT",
    "filters": {"channel": "email", **DAY},
    "widgets": [
        widget("email-hourly", "TIMESERIES", HOURLY % "delivered", 0, 0, 8),
        widget("totals", "NUMBER", TOTALS, 8, 0, 4),
        widget("whatsapp-hourly", "BARS", HOURLY % "received", 0, 5, 6, channel="whatsapp"),
        widget("campaigns", "TOP", CAMPAIGNS % "campaignId sent readRate", 6, 5, 3),
        widget("campaign-table", "TABLE", CAMPAIGNS % "campaignId sent delivered read", 9, 5, 3),
    ],
}


@pytest.fixture
def api_url(
    settings: Settings, kafka: str, redis_url: str, clickhouse: ClickHouse
) -> Iterator[str]:
    """The API over the test's chdb, dashboards topic and Redis, served by uvicorn in a thread."""
    apply_topics(settings)
    book = DashboardBook.open(settings)
    app = create_app(settings, clickhouse, MemoryStore(), kafka_up, dashboards=book)
    port = settings.api.port  # the test's own (tests/conftest.py)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        book.close()


@pytest.fixture
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless; missing, the test fails (`make setup` installs it)."""
    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail("Debian's chromium is not installed: run `make setup` (scripts/chromium.sh)")
    with sync_playwright() as driver:
        launched = driver.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        yield launched
        launched.close()


def ask(api_url: str, bearer: str, query: str, **variables: Any) -> dict[str, Any]:
    answer = httpx.post(
        f"{api_url}/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {bearer}"},
        timeout=60,
    )
    body: dict[str, Any] = answer.json()
    assert not body.get("errors"), body
    return body["data"]


def board_and_embed_token(
    api_url: str, settings: Settings, manager: str | None = None, **fixed: str
) -> tuple[str, str]:
    manager = manager or role_token(settings, [VIEW, MANAGE], subject="ana")
    board = ask(api_url, manager, CREATE, input=BOARD)["createDashboard"]["id"]
    minted = ask(api_url, manager, EMBED, id=board, filters=fixed or None)
    return board, minted["embedToken"]["token"]


def drawn(page: Page, selector: str, key: str) -> dict[str, str]:
    """``data-<key>`` → ``data-value`` of the drawn elements matching ``selector``."""
    pairs = page.eval_on_selector_all(
        selector, f"els => els.map(e => [e.dataset.{key}, e.dataset.value])"
    )
    return dict(pairs)


def by_hour(points: dict[str, str]) -> dict[datetime, int]:
    return {datetime.fromisoformat(k).astimezone(UTC): int(v) for k, v in points.items()}


def hours(first: datetime, count: int, values: Counter[datetime]) -> dict[datetime, int]:
    return {first + timedelta(hours=n): values[first + timedelta(hours=n)] for n in range(count)}


def wait_for_figure(page: Page, widget_id: str, field: str, value: int) -> None:
    page.wait_for_function(
        """([w, f, v]) => {
          const node = document.querySelector(`[data-widget="${w}"] [data-field="${f}"]`);
          return node !== null && node.dataset.value === v;
        }""",
        arg=[widget_id, field, str(value)],
        timeout=WAIT_MS,
    )


def open_page(browser: Browser, url: str) -> Page:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(url)
    page.wait_for_selector("body:not([data-state='loading'])", timeout=WAIT_MS)
    return page


def test_the_page_draws_the_widgets_figures_live_and_filtered(
    api_url: str,
    settings: Settings,
    clickhouse: ClickHouse,
    browser: Browser,
    tmp_path: Path,
) -> None:
    """An embed token's page draws the stored figures, redraws live and re-asks a picked range."""
    board, token = board_and_embed_token(api_url, settings)
    page = open_page(browser, f"{api_url}/dashboards/{board}#token={token}")
    assert page.get_attribute("body", "data-state") == "ready", page.inner_text("#status")
    day = datetime(2025, 3, 10, tzinfo=UTC)
    email_sent = counted("sent", "email")

    timeseries = "[data-widget='email-hourly'] circle[data-series='%s']"
    assert by_hour(drawn(page, timeseries % "sent", "x")) == hours(day, 24, email_sent)
    email_delivered = counted("delivered", "email")
    assert by_hour(drawn(page, timeseries % "delivered", "x")) == hours(day, 24, email_delivered)
    assert drawn(page, "[data-widget='totals'] .figure", "field") == {
        "sent": str(sum(email_sent.values())),
        "delivered": str(sum(email_delivered.values())),
    }
    bars = "[data-widget='whatsapp-hourly'] rect[data-series='%s']"
    whatsapp_sent, received = counted("sent", "whatsapp"), counted("received", "whatsapp")
    assert by_hour(drawn(page, bars % "sent", "label")) == hours(day, 24, whatsapp_sent)
    assert by_hour(drawn(page, bars % "received", "label")) == hours(day, 24, received)
    spring = {k: sum(counted(k, campaign_id="spring").values()) for k in ("sent", "delivered")}
    assert drawn(page, "[data-widget='campaigns'] li", "label") == {"spring": str(spring["sent"])}
    table = drawn(page, "[data-widget='campaign-table'] td", "column")
    assert (table["campaignId"], table["sent"], table["delivered"]) == (
        "spring",
        str(spring["sent"]),
        str(spring["delivered"]),
    )
    screenshot = tmp_path / "dashboard.png"
    page.screenshot(path=str(screenshot), full_page=True)
    assert screenshot.stat().st_size > 10_000
    print(f"screenshot: {screenshot}")

    page.wait_for_function("() => document.getElementById('status').textContent.startsWith('Live')")
    store_raw(clickhouse, messages("sent", 2, H3.replace(minute=5), "email"))
    announce(settings, "acme")
    wait_for_figure(page, "totals", "sent", sum(email_sent.values()) + 2)
    assert by_hour(drawn(page, timeseries % "sent", "x"))[H3] == 2

    page.select_option("#range", "custom")
    page.fill("#from", "2025-03-10T10:00:00Z")
    page.fill("#to", "2025-03-10T12:00:00Z")
    # An embed token's filters were fixed when it was minted: the page offers none.
    assert page.query_selector_all("#filters input") == []
    page.click("button[type=submit]")
    window = hours(day + timedelta(hours=10), 2, email_sent)
    wait_for_figure(page, "totals", "sent", sum(window.values()))
    assert by_hour(drawn(page, timeseries % "sent", "x")) == window
    assert "from=2025-03-10T10" in page.url
    assert page.url.endswith(f"#token={token}")
    page.screenshot(path=str(tmp_path / "dashboard-filtered.png"), full_page=True)

    page.select_option("#range", "last_24h")
    page.click("button[type=submit]")
    wait_for_figure(page, "totals", "sent", 0)  # the stored rows are of 2025
    last_day = drawn(page, timeseries % "sent", "x")
    assert len(last_day) == 24
    assert set(last_day.values()) == {"0"}
    assert "range=last_24h" in page.url


def announce(settings: Settings, tenant: str) -> None:
    """What the sink PUBLISHes once a batch of ``tenant`` is stored (pulse.alerts.wakeup)."""
    client = redis.Redis.from_url(settings.redis.url)
    try:
        client.publish(f"{settings.kafka.topic_prefix}:live:touched", json.dumps([tenant]))
    finally:
        client.close()


def test_a_refused_token_shows_its_reason_and_no_figure(
    api_url: str, settings: Settings, browser: Browser
) -> None:
    """An expired, foreign or missing token, or a malformed path, leaves the error state."""
    board, token = board_and_embed_token(api_url, settings)
    other, _ = board_and_embed_token(api_url, settings)
    claims = {"tenant_id": "acme", "roles": [VIEW], "dashboard": board, "exp": int(time.time()) - 1}
    expired = jwt.encode(claims, settings.api.jwt_secret, algorithm="HS256")
    for url, reason in (
        (f"{api_url}/dashboards/{board}#token={expired}", "expired"),
        (f"{api_url}/dashboards/{other}?token={token}", f"dashboard '{board}' only"),
        (f"{api_url}/dashboards/{board}", "No token"),
        # A malformed %-escape is asked for as written, not left loading.
        (f"{api_url}/dashboards/%E0%A4%A#token={token}", f"dashboard '{board}' only"),
    ):
        page = open_page(browser, url)
        assert page.get_attribute("body", "data-state") == "error"
        assert reason in page.inner_text("#status")
        assert page.query_selector_all("section[data-widget]") == []
        page.close()


def test_a_query_token_moves_to_the_fragment_and_fixed_filters_apply(
    api_url: str, settings: Settings, browser: Browser
) -> None:
    """?token= moves to the fragment; the token's fixed channel shows and cannot be changed."""
    board, token = board_and_embed_token(api_url, settings, channel="whatsapp")
    page = open_page(browser, f"{api_url}/dashboards/{board}?token={token}&channel=email")
    assert page.get_attribute("body", "data-state") == "ready", page.inner_text("#status")
    query = page.url.split("#")[0]
    assert "token" not in query
    assert page.url.endswith(f"#token={token}")
    assert page.query_selector_all("#filters input") == []
    # Widgets saved for email and for whatsapp alike show whatsapp: the token's filter wins.
    whatsapp_sent = sum(counted("sent", "whatsapp").values())
    wait_for_figure(page, "totals", "sent", whatsapp_sent)
    page.close()


def test_the_page_shows_its_error_state_when_the_token_expires(
    api_url: str, settings: Settings, browser: Browser
) -> None:
    """A live page whose embed token expires (with its minter's) turns to its error state."""
    claims = {"tenant_id": "acme", "sub": "ana", "exp": int(time.time()) + 8}
    manager = jwt.encode(claims, settings.api.jwt_secret, algorithm="HS256")
    board, token = board_and_embed_token(api_url, settings, manager)
    page = open_page(browser, f"{api_url}/dashboards/{board}#token={token}")
    assert page.get_attribute("body", "data-state") == "ready", page.inner_text("#status")
    page.wait_for_function("() => document.body.dataset.state === 'error'", timeout=WAIT_MS)
    assert "expired" in page.inner_text("#status")
    assert time.time() >= claims["exp"]
    page.close()


def test_a_widget_kind_the_page_does_not_know_is_drawn_as_a_table(
    api_url: str, settings: Settings, browser: Browser
) -> None:
    """An answer naming an unknown kind draws that widget as a table and the others as usual."""
    board, token = board_and_embed_token(api_url, settings)
    page = browser.new_page(viewport={"width": 1280, "height": 900})

    def newer_kind(route: Any) -> None:
        answer = route.fetch()
        body = answer.json()
        body["data"]["dashboard"]["widgets"][1]["kind"] = "HEATMAP"
        route.fulfill(response=answer, json=body)

    page.route("**/graphql", newer_kind)
    # No live pushes, which would redraw the widget with its real kind.
    page.route_web_socket("**/graphql", lambda socket: None)
    page.goto(f"{api_url}/dashboards/{board}#token={token}")
    page.wait_for_selector("body:not([data-state='loading'])", timeout=WAIT_MS)
    assert page.get_attribute("body", "data-state") == "ready", page.inner_text("#status")
    sent = sum(counted("sent", "email").values())
    cells = page.eval_on_selector_all(
        "[data-widget='totals'] tr", "rows => rows.map(r => [...r.cells].map(c => c.textContent))"
    )
    assert cells[0] == ["field", "value"]
    assert ["sent", f"{sent:,}"] in cells[1:]
    assert page.query_selector("[data-widget='email-hourly'] circle") is not None
    page.close()
