"""Judges a collector letter again for ``pulse dlq replay``, as the collector would judge it.

A collector letter holds the client's JSON event, not a domain topic's bytes, so a replay cannot
hand it to the worker: it is judged again under the key that sent it (the tenant and kind in its
headers) by the collector's own :class:`~pulse.collector.verdicts.Judge`, against today's
contract and clock. An accepted verdict is the encoded event for its domain topic; a rejected
one says why it is still refused (a ``tenant_not_allowed`` letter always is: a replay never lets
a key write another tenant). The stored JSON is already scrubbed, so the request's IP, used for a
site key's event without one, is not available: such an event is replayed without an IP.
"""

from __future__ import annotations

import json

from pulse.collector.keys import PREFIXES, ApiKey
from pulse.collector.verdicts import Judge, Rejected, Verdict
from pulse.streams.dlq_letters import Letter

BAD_LETTER = "bad_letter"


class CollectorReplay:
    def __init__(self, judge: Judge) -> None:
        self._judge = judge

    def verdict(self, letter: Letter) -> Verdict:
        """``letter``'s event judged again under its key."""
        kind = next((k for k in PREFIXES if k == letter.collector_key_kind), None)
        if kind is None or letter.truncated:
            why = (
                "its payload is truncated"
                if letter.truncated
                else f"unknown key kind {letter.collector_key_kind!r}"
            )
            return Rejected(0, None, BAD_LETTER, "", BAD_LETTER, f"cannot be judged: {why}")
        try:
            event = json.loads(letter.value)
        except ValueError as exc:
            return Rejected(0, None, BAD_LETTER, "", BAD_LETTER, f"payload is no JSON: {exc}")
        key = ApiKey(letter.collector_key_id, letter.tenant_id, kind, "", 0)
        return self._judge.judge(0, event, key, "")
