"""API keys: made once, shown once, stored as a SHA-256 hash on the compacted ``keys`` topic.

A key is 32 random bytes (``secrets.token_urlsafe``) behind a prefix saying its kind:
``pk_`` a server key (any event of its tenant, ``Authorization: Bearer``), ``ps_`` a public
site key (``web.*`` events from its allowed origins only). A plain SHA-256 is enough to store
such a key: with 256 bits of entropy there is no dictionary to try, so a slow password hash
would buy nothing but latency on every request. A record is key = key id, value = JSON of
:class:`ApiKey`; revoking rewrites the record with ``revoked_ms`` set, so ``list`` still shows it.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from dataclasses import asdict, dataclass, replace
from typing import Literal

from pulse.collector.errors import KeyStoreError
from pulse.settings import KafkaSettings
from pulse.topics.compacted import acknowledged_producer, publish_record

Kind = Literal["server", "site"]
PREFIXES: dict[Kind, str] = {"server": "pk_", "site": "ps_"}


def hash_key(presented: str) -> str:
    return hashlib.sha256(presented.encode("utf-8", errors="surrogatepass")).hexdigest()


@dataclass(frozen=True)
class ApiKey:
    """What the store keeps of a key: never the key itself."""

    key_id: str
    tenant_id: str
    kind: Kind
    sha256: str
    created_ms: int
    allowed_origins: tuple[str, ...] = ()
    revoked_ms: int | None = None

    @property
    def active(self) -> bool:
        return self.revoked_ms is None

    def revoked(self, now_ms: int) -> ApiKey:
        return self if self.revoked_ms is not None else replace(self, revoked_ms=now_ms)

    def to_json(self) -> bytes:
        return json.dumps({**asdict(self), "allowed_origins": list(self.allowed_origins)}).encode()

    @classmethod
    def from_json(cls, raw: bytes) -> ApiKey:
        try:
            data = json.loads(raw)
            kind = data["kind"]
            if kind not in PREFIXES:
                raise ValueError(f"unknown kind {kind!r}")
            revoked = data.get("revoked_ms")
            return cls(
                key_id=str(data["key_id"]),
                tenant_id=str(data["tenant_id"]),
                kind=kind,
                sha256=str(data["sha256"]),
                created_ms=int(data["created_ms"]),
                allowed_origins=tuple(str(o) for o in data.get("allowed_origins") or ()),
                revoked_ms=None if revoked is None else int(revoked),
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise KeyStoreError(f"not a key record: {exc}", field="value") from exc


def new_key(
    tenant_id: str, kind: Kind, allowed_origins: tuple[str, ...] = ()
) -> tuple[str, ApiKey]:
    """A fresh key (shown to its owner once) and the record that stores its hash."""
    if not tenant_id:
        raise KeyStoreError("tenant_id must not be empty", field="tenant_id")
    if kind == "site" and not allowed_origins:
        raise KeyStoreError("a site key needs at least one allowed origin", field="origin")
    for origin in allowed_origins:
        check_origin(origin)
    secret = PREFIXES[kind] + secrets.token_urlsafe(32)
    record = ApiKey(
        key_id=secrets.token_hex(6),
        tenant_id=tenant_id,
        kind=kind,
        sha256=hash_key(secret),
        created_ms=int(time.time() * 1000),
        allowed_origins=allowed_origins,
    )
    return secret, record


def check_origin(origin: str) -> str:
    """``scheme://host[:port]`` as a browser sends it in ``Origin``; anything else refused."""
    scheme, sep, rest = origin.partition("://")
    if (
        scheme not in ("http", "https")
        or not sep
        or not rest
        or "/" in rest
        or origin != origin.strip()
    ):
        raise KeyStoreError(
            f"{origin!r} is not an origin like https://shop.example", field="origin"
        )
    return origin


def publish_key(kafka: KafkaSettings, topic: str, record: ApiKey) -> None:
    """Writes ``record`` to ``topic`` and waits for the broker's acknowledgement."""
    publish_record(
        acknowledged_producer(kafka),
        topic,
        record.key_id,
        record.to_json(),
        KeyStoreError,
        f"key {record.key_id}",
    )
