"""Bad HTTP requests for the collector, drawn as what goes on the wire: path, headers, body.

Each family breaks one thing (the key, the body, an event, a limit, the tenant, the origin)
and says which statuses are a clean answer to it; a 5xx is never one.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st

from tests.fuzz.lines import bad_lines, corpus_lines
from tests.fuzz.strategies import draw_many

SHOP = "https://shop.example"
MAX_BODY_BYTES = 64 * 1024
MAX_BULK_EVENTS = 50


@dataclass(frozen=True)
class Call:
    path: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    allowed: frozenset[int] = frozenset({400, 422})
    method: str = "POST"


@dataclass(frozen=True)
class Secrets:
    acme: str
    revoked: str
    site: str


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def single_bad_events(keys: Secrets, lines: list[str]) -> list[Call]:
    """Each bad line of `pulse produce`'s fuzz as one event: 400 (no JSON) or 422 (rejected)."""
    return [
        Call("/v1/events", line.encode("utf-8", errors="surrogatepass"), bearer(keys.acme))
        for line in lines
    ]


def bulks_of_bad_events(keys: Secrets, lines: list[str], count: int) -> list[Call]:
    """Arrays of 1-5 bad events (the JSON ones), or a bad line inside an array: 207 or 400."""
    calls = []
    for i in range(count):
        chunk = [lines[(i * 5 + j) % len(lines)] for j in range(1 + i % 5)]
        body = ("[" + ",".join(chunk) + "]").encode("utf-8", errors="surrogatepass")
        calls.append(Call("/v1/events/bulk", body, bearer(keys.acme), frozenset({207, 400})))
    return calls


def bad_keys(keys: Secrets, event: dict[str, Any], count: int) -> list[Call]:
    """Garbage, revoked, unknown, foreign-scheme keys; a server key in the URL: 401, or 403
    for a site key without its origin."""
    body = json.dumps(event).encode()
    fixed: list[Call] = [
        Call("/v1/events", body, {}, frozenset({401})),
        Call("/v1/events", body, bearer(keys.revoked), frozenset({401})),
        Call("/v1/events", body, {"Authorization": f"Basic {keys.acme}"}, frozenset({401})),
        Call(f"/v1/events?key={keys.acme}", body, {}, frozenset({401})),
        Call("/v1/events", body, {"X-Pulse-Key": keys.site}, frozenset({403})),
        Call("/v1/events", body, {"X-Pulse-Key": keys.site, "Origin": "null"}, frozenset({403})),
        Call("/v1/events", body, bearer(keys.acme + "x"), frozenset({401})),
        Call("/v1/events", body, bearer("a" * 100_000), frozenset({401})),
    ]
    printable = st.text(alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=80)
    drawn = draw_many(printable, count)
    return (fixed * (1 + count // 40))[: count // 5] + [
        Call("/v1/events", body, bearer(text), frozenset({401})) for text in drawn
    ][: count - count // 5]


def bad_bodies(keys: Secrets, count: int) -> list[Call]:
    """Random bytes, broken gzip, unknown encodings: 400, 413, 415 or 422 (a JSON non-event)."""
    good = json.dumps([{"event_type": "x"}]).encode()
    zipped = gzip.compress(good)
    fixed = [
        Call("/v1/events", zipped[:-5], {**bearer(keys.acme), "Content-Encoding": "gzip"}),
        Call("/v1/events", zipped + b"junk", {**bearer(keys.acme), "Content-Encoding": "gzip"}),
        Call("/v1/events", good, {**bearer(keys.acme), "Content-Encoding": "br"}, frozenset({415})),
        Call("/v1/events/bulk", b"", bearer(keys.acme), frozenset({400})),
        Call("/v1/events/bulk", b"{}", bearer(keys.acme), frozenset({400})),
    ]
    drawn = draw_many(st.binary(max_size=200), count - len(fixed))
    gz = {**bearer(keys.acme), "Content-Encoding": "gzip"}
    allowed = frozenset({400, 413, 415, 422})
    return fixed + [
        Call("/v1/events", data, gz if i % 2 else bearer(keys.acme), allowed)
        for i, data in enumerate(drawn)
    ]


def over_limits(keys: Secrets, event: dict[str, Any], count: int) -> list[Call]:
    """Bodies over the byte limit (plain or inflated) and bulks over the event limit: 413."""
    calls = []
    for i in range(count):
        if i % 3 == 0:
            body = json.dumps({**event, "attributes": {"x": "y" * (MAX_BODY_BYTES + i)}}).encode()
            calls.append(Call("/v1/events", body, bearer(keys.acme), frozenset({413})))
        elif i % 3 == 1:
            bomb = gzip.compress(b"[" + b" " * (MAX_BODY_BYTES + i) + b"]")
            headers = {**bearer(keys.acme), "Content-Encoding": "gzip"}
            calls.append(Call("/v1/events/bulk", bomb, headers, frozenset({413})))
        else:
            body = json.dumps([event] * (MAX_BULK_EVENTS + 1 + i % 7)).encode()
            calls.append(Call("/v1/events/bulk", body, bearer(keys.acme), frozenset({413})))
    return calls


def foreign_tenants(keys: Secrets, make: Callable[[str], dict[str, Any]], count: int) -> list[Call]:
    """Valid events of globex under acme's key: 422, each dead-lettered, none published."""
    return [
        Call("/v1/events", json.dumps(make("globex")).encode(), bearer(keys.acme), frozenset({422}))
        for _ in range(count)
    ]


def site_key_misuse(keys: Secrets, make: Callable[[str], dict[str, Any]], count: int) -> list[Call]:
    """Non-web events under a site key (422) and site requests from foreign origins (403)."""
    calls = []
    for i in range(count):
        body = json.dumps(make("acme")).encode()
        if i % 2:
            headers = {"X-Pulse-Key": keys.site, "Origin": SHOP}
            calls.append(Call("/v1/events", body, headers, frozenset({422})))
        else:
            headers = {"X-Pulse-Key": keys.site, "Origin": f"https://x{i}.example"}
            calls.append(Call("/v1/events", body, headers, frozenset({403})))
    return calls


def bad_calls(
    keys: Secrets,
    now_ms: int,
    web_event: Callable[[str], dict[str, Any]],
    message_event: Callable[[str], dict[str, Any]],
) -> list[Call]:
    """10,000 bad requests and more: every family above, and the hand-written corpus."""
    lines = bad_lines(now_ms, 4_000)
    return [
        *single_bad_events(keys, lines + corpus_lines()),
        *bulks_of_bad_events(keys, lines, 1_000),
        *bad_keys(keys, message_event("acme"), 1_500),
        *bad_bodies(keys, 1_500),
        *over_limits(keys, message_event("acme"), 300),
        *foreign_tenants(keys, web_event, 1_000),
        *site_key_misuse(keys, message_event, 700),
        Call("/v1/events", b"", bearer(keys.acme), frozenset({405}), method="GET"),
        Call("/v1/nothing", b"{}", bearer(keys.acme), frozenset({404})),
    ]
