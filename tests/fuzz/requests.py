"""Hypothesis strategies of bad GraphQL requests: arguments, queries, variables, tokens, bodies.

A request is drawn as what goes on the wire (an Authorization header and a body), so the
strategies can send what no client library would. Tokens are made with the test's secret where
the point is something else (a range, an enum), so each request breaks one thing.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import jwt
from hypothesis import strategies as st

from tests.fuzz.strategies import draw_many

QUERY = """
query($from: DateTime!, $to: DateTime!, $granularity: Granularity!, $channel: String,
      $tenant: String) {
  messagingMetrics(from: $from, to: $to, granularity: $granularity, channel: $channel,
                   tenantId: $tenant) {
    tenantId granularity
    buckets { start end sent delivered read received deliveryRate
              firstResponse { conversations frtAvgSeconds frtP50Seconds frtP90Seconds } }
  }
}
"""
GOOD_VARIABLES = {
    "from": "2025-03-01T00:00:00Z",
    "to": "2025-04-01T00:00:00Z",
    "granularity": "HOUR",
}
WRONG_SECRET = "another-secret-of-at-least-32-bytes!!"


@dataclass(frozen=True)
class Request:
    authorization: str | None
    body: bytes


def token(secret: str, **claims: Any) -> str:
    return jwt.encode({"tenant_id": "acme", "exp": int(time.time()) + 3600, **claims}, secret)


def _body(query: str, variables: Any) -> bytes:
    return json.dumps({"query": query, "variables": variables}).encode()


def _instants() -> st.SearchStrategy[str]:
    offsets = st.integers(-(23 * 60 + 59), 23 * 60 + 59).map(
        lambda m: timezone(timedelta(minutes=m))
    )
    return st.datetimes(
        min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59), timezones=offsets
    ).map(datetime.isoformat)


def ranges(secret: str) -> st.SearchStrategy[Request]:
    """Any two instants from year 1 to 9999 at any offset, inverted and empty windows too."""
    edges = st.sampled_from(
        ["0001-01-01T00:00:00+23:59", "9999-12-31T23:59:59-23:59", "1970-01-01T00:00:00Z"]
    )
    bearer = f"Bearer {token(secret)}"
    return st.tuples(edges | _instants(), edges | _instants()).map(
        lambda pair: Request(
            bearer, _body(QUERY, {**GOOD_VARIABLES, "from": pair[0], "to": pair[1]})
        )
    )


def unknown_enums(secret: str) -> st.SearchStrategy[Request]:
    bearer = f"Bearer {token(secret)}"
    names = st.sampled_from(["YEAR", "hour", "", "Day", "MINUTE"]) | st.text(max_size=12).filter(
        lambda t: t not in ("HOUR", "DAY", "WEEK", "MONTH")
    )
    return names.map(lambda g: Request(bearer, _body(QUERY, {**GOOD_VARIABLES, "granularity": g})))


def wrong_variable_types(secret: str) -> st.SearchStrategy[Request]:
    bearer = f"Bearer {token(secret)}"
    wrong = st.one_of(
        st.integers(),
        st.floats(allow_nan=False),
        st.booleans(),
        st.lists(st.integers(), max_size=2),
        st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
        st.none(),
    )
    names = st.sampled_from(["from", "to", "granularity", "channel", "tenant"])
    return (
        st.tuples(names, wrong)
        .filter(lambda p: not (p[0] in ("channel", "tenant") and p[1] is None))
        .map(lambda p: Request(bearer, _body(QUERY, {**GOOD_VARIABLES, p[0]: p[1]})))
    )


def malformed_queries(secret: str) -> st.SearchStrategy[Request]:
    bearer = f"Bearer {token(secret)}"
    texts = st.one_of(
        st.text(max_size=80),
        st.integers(1, len(QUERY) - 1).map(lambda n: QUERY[:n]),
        st.integers(1, 5_000).map(lambda n: "{" * n + "}" * n),
        st.integers(1, 3_000).map(lambda n: "query { " + "messagingMetrics { " * n),
        st.sampled_from(
            ["{ nope }", "mutation { x }", "subscription { y }", "{ __typename @skip }"]
        ),
    )
    return texts.map(lambda q: Request(bearer, _body(q, GOOD_VARIABLES)))


def bad_tokens(secret: str) -> st.SearchStrategy[Request]:
    """Expired, unsigned (alg none), wrongly signed, claim-less, garbage, foreign tenant."""
    now = int(time.time())
    unsigned = jwt.encode({"tenant_id": "acme", "exp": now + 3600}, None, algorithm="none")
    fixed = [
        f"Bearer {token(secret, exp=now - 10)}",
        f"Bearer {unsigned}",
        f"Bearer {token(WRONG_SECRET)}",
        f"Bearer {jwt.encode({'tenant_id': 'acme'}, secret)}",
        f"Bearer {jwt.encode({'exp': now + 60}, secret)}",
        f"Bearer {token(secret, tenant_id=7)}",
        f"Bearer {token(secret, tenant_id='')}",
        f"Bearer {token(secret, exp='soon')}",
        f"Bearer {token(secret, tenant_id='globex')}",
        f"Basic {token(secret)}",
        "Bearer",
        "Bearer ",
        "",
        f"Bearer {'a' * 100_000}",
    ]
    printable = st.text(
        alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=200
    )
    headers = st.sampled_from(fixed) | printable.map(lambda t: f"Bearer {t}") | printable
    body = _body(QUERY, {**GOOD_VARIABLES, "tenant": None})
    foreign = Request(
        f"Bearer {token(secret)}", _body(QUERY, {**GOOD_VARIABLES, "tenant": "globex"})
    )
    return headers.map(lambda h: Request(h, body)) | st.just(foreign)


def bad_bodies(secret: str) -> st.SearchStrategy[Request]:
    bearer = f"Bearer {token(secret)}"
    bodies = st.one_of(
        st.binary(max_size=100),
        st.sampled_from([b"[]", b"{}", b'{"query": 5}', b'{"query": null}', b"null", b'"{}"']),
        st.sampled_from([{"query": QUERY, "variables": v} for v in ([], "x", 5)]).map(
            lambda b: json.dumps(b).encode()
        ),
    )
    return bodies.map(lambda b: Request(bearer, b))


BAD_REQUESTS: list[Callable[[str], st.SearchStrategy[Request]]] = [
    ranges,
    unknown_enums,
    wrong_variable_types,
    malformed_queries,
    bad_tokens,
    bad_bodies,
]


def bad_requests(secret: str, count: int) -> list[Request]:
    """``count`` bad requests split evenly over :data:`BAD_REQUESTS`."""
    share = -(-count // len(BAD_REQUESTS))
    return [r for family in BAD_REQUESTS for r in draw_many(family(secret), share)][:count]
