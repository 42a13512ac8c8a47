"""The page snippet (collector/snippet.js) run by Node, its beacon posted to the collector."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.collector.conftest import SHOP, Running
from tests.collector.test_collect import published

SNIPPET = Path(__file__).resolve().parents[2] / "collector" / "snippet.js"

# A browser's globals, enough for the snippet; the beacon is printed instead of sent.
HARNESS = """
const store = {};
globalThis.window = globalThis;
globalThis.sessionStorage = {
  getItem: k => store[k] ?? null, setItem: (k, v) => { store[k] = v; },
};
globalThis.location = { href: "https://shop.example/cart" };
globalThis.document = { referrer: "" };
Object.defineProperty(globalThis, "navigator", { value: {
  doNotTrack: process.env.DNT,
  sendBeacon: (url, blob) => {
    blob.text().then(t => console.log(JSON.stringify({url, t})));
    return true;
  },
}});
"""


def beacon(source: str, dnt: str) -> dict[str, Any]:
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is needed to run the page snippet")
    out = subprocess.run(
        [node, "-e", HARNESS + source],
        env={"DNT": dnt},
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    sent: dict[str, Any] = json.loads(out.stdout)
    return sent


@pytest.mark.kafka
@pytest.mark.redis
@pytest.mark.parametrize("dnt", ["0", "1"])
def test_the_snippets_beacon_is_accepted_as_a_page_view(collector: Running, dnt: str) -> None:
    """The beacon's URL carries the site key and its text/plain body is a valid page view."""
    secret = collector.keys.secrets["site"]
    source = (
        SNIPPET.read_text()
        .replace("https://collect.example.com", "http://testserver")
        .replace("ps_replace-me", secret)
        .replace('"replace-me"', '"acme"')
    )
    sent = beacon(source, dnt)
    assert sent["url"].startswith("http://testserver/v1/events?key=ps_")
    answer = collector.client.post(
        sent["url"].removeprefix("http://testserver"),
        content=sent["t"],
        headers={"Origin": SHOP, "Content-Type": "text/plain;charset=UTF-8"},
    )
    assert answer.status_code == 200, answer.text
    [stored] = published(collector)
    assert stored["event_type"] == "web.page_view" and stored["url"] == "https://shop.example/cart"
    assert stored["dnt"] is (dnt == "1")
    assert (stored["visitor_id"] == stored["event_id"]) is (dnt == "1")
    assert stored["ip"] == "198.51.100.0"
