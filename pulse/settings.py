"""One typed settings object per process, built once at the entry point from the environment.

Nothing below the entry point reads ``os.environ``: it is handed a :class:`Settings` (or the part
of it it needs). Every variable is documented in the README's configuration table.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pulse.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class KafkaSettings:
    bootstrap_servers: str = "127.0.0.1:9092"
    # Empty: Avro single-object encoding. "mock://…" or "http://…": Confluent wire format.
    schema_registry_url: str = ""
    topic_prefix: str = "pulse"
    # Partitions of every domain topic; the worker's tables and changelogs follow it.
    partitions: int = 4
    replication_factor: int = 1


@dataclass(frozen=True)
class StreamSettings:
    app_id: str = "pulse-worker"
    # How long an event id is remembered for deduplication (METRICS.md §4: 30 days).
    dedup_horizon_seconds: int = 30 * 24 * 3600
    # The most bytes one fetch returns per partition (about 10k events per MiB).
    fetch_bytes: int = 4 * 1024 * 1024
    # The most events in one batch: a fetched chunk is split into batches of at most this many.
    # Each batch costs one changelog wait and one hand-off flush, so larger batches cost less
    # per event; but the sink stores a batch's rows only once it is durable, so a batch of a
    # whole fetch (40k events) leaves the sink idle while the worker works, then the worker idle.
    batch_events: int = 5000
    # How often Faust commits each partition's transaction. Nothing a batch hands off is
    # visible to the sink (read_committed) before that commit, so this bounds how late a
    # figure and an alert can be; Faust's default, 2.8 s, was most of the alert latency.
    commit_interval_seconds: float = 1.0
    data_dir: Path = ROOT / ".local" / "faust"
    web_port: int = 6066
    # Static group membership (Kafka's group.instance.id): a restarted worker takes its
    # partitions back without a rebalance. Empty: the host name, set by `pulse worker`.
    # Give each replica a stable, distinct value (a StatefulSet's pod name).
    instance_id: str = ""


@dataclass(frozen=True)
class ContractSettings:
    # The earliest accepted ``occurred_at`` (ISO-8601 with an offset), and how far past "now"
    # one may be: clocks drift, but a later instant is a unit mistake (µs or ns for ms).
    floor: str = "2000-01-01T00:00:00Z"
    future_skew_seconds: int = 24 * 3600


@dataclass(frozen=True)
class ClickHouseSettings:
    # "chdb:///abs/path" (embedded, the default) or "clickhouse://user:pass@host:9000/db".
    url: str = "chdb://" + str(ROOT / ".local" / "chdb")
    database: str = "pulse"

    @property
    def embedded(self) -> bool:
        """Whether ``url`` names the embedded engine (a chdb data directory)."""
        return self.url.startswith("chdb://")


@dataclass(frozen=True)
class RedisSettings:
    url: str = "redis://127.0.0.1:6379/0"
    realtime_ttl_seconds: int = 60


@dataclass(frozen=True)
class ApiSettings:
    host: str = "127.0.0.1"
    port: int = 8000
    # Local development only; every deployment sets PULSE_API_JWT_SECRET (≥ 32 bytes for HS256).
    jwt_secret: str = "dev-only-secret-change-me-0123456789abcdef"
    jwt_algorithm: str = "HS256"
    # The most buckets one query may ask for; a longer range needs a coarser granularity.
    max_buckets: int = 10_000
    # How long after a bucket's end late events are expected: until the tenant's newest stored
    # event is this far past it, a bucket is provisional (pulse.families.freshness).
    late_window_seconds: int = 3600
    # The audit log (graphql/api/audit.py): records waiting for ClickHouse at most, rows per
    # insert, seconds between flushes, and inserts tried per batch before its records are lost.
    audit_queue_size: int = 10_000
    audit_batch_rows: int = 500
    audit_flush_seconds: float = 1.0
    audit_attempts: int = 3
    # The most rows one export (`/export`, `pulse export`) writes; the rest is left out.
    export_row_limit: int = 1_000_000
    # The longest life of a token minted to embed one dashboard (`embedToken`); shorter is safer,
    # as it cannot be revoked before it expires.
    embed_max_ttl_seconds: int = 86_400
    # The products that may frame the dashboard page: CSP frame-ancestors sources, space-separated
    # (e.g. "https://app.example.com https://*.example.com"); empty: any product may.
    embed_frame_ancestors: str = ""
    # Query limits (graphql/api/limits.py), each refused before any ClickHouse work: the deepest
    # selection, aliases and lexical tokens of a document, and its estimated cost (figures x
    # buckets x rows, graphql/api/cost.py).
    max_depth: int = 10
    max_aliases: int = 30
    max_tokens: int = 5000
    max_cost: int = 100_000
    # Token bucket per tenant in Redis (graphql/api/query_rate.py): one token per request (a
    # GraphQL request, a subscription, an export), refilled at this rate, holding at most burst.
    rate_per_second: float = 20.0
    rate_burst: int = 60
    # ClickHouse's max_execution_time of every API read, and the most one operation may take.
    clickhouse_timeout_seconds: float = 10.0
    operation_timeout_seconds: float = 30.0
    # Helpdesk answers kept per bucket until a day they rest on changes
    # (families/helpdesk/answers.py): the most memory they take (0: none kept), and the longest
    # one is used (a bound should a change go unmarked: rows deleted by hand).
    helpdesk_cache_mb: int = 256
    helpdesk_cache_seconds: float = 900.0
    # Where the API owns the engine (embedded chdb), each tenant's helpdesk moments since the UTC
    # day this many days back, kept in the process (families/helpdesk/hot_rows.py) so that a live
    # dashboard's stale recent buckets are figured without reading them again; the most memory
    # they take (0: none kept; answers must be kept too).
    helpdesk_hot_days: int = 4
    helpdesk_hot_mb: int = 128


@dataclass(frozen=True)
class SinkSettings:
    group_id: str = "pulse-sink"
    batch_rows: int = 20000
    batch_seconds: float = 0.5
    # A batch is also stored once no message came for this long: the worker's transaction is
    # drained, and waiting out `batch_seconds` would only delay figures and alerts. A sink
    # behind its stream never sees such a gap, so it keeps gathering large batches.
    quiet_seconds: float = 0.05
    # `pulse sink` alone serves /metrics here (`pulse serve` serves them on the API's port).
    metrics_host: str = "127.0.0.1"
    metrics_port: int = 9464


@dataclass(frozen=True)
class CollectorSettings:
    # `pulse collect`: logical JSON events over HTTP (README, "Sending events over HTTP").
    host: str = "127.0.0.1"
    port: int = 8100
    # Bounds the body as sent and, for gzip, as inflated (a small bomb stays small).
    max_body_bytes: int = 2 * 1024 * 1024
    max_bulk_events: int = 1000
    # Token bucket per API key, in events: refilled at `rate_per_second`, holding at most
    # `burst` (at least `max_bulk_events`, or a full bulk request could never pass).
    rate_per_second: float = 1000.0
    burst: int = 2000
    # Comma-separated addresses or CIDRs whose X-Forwarded-For is believed (load balancers).
    trusted_proxies: str = ""
    # How long a request waits for Kafka's acknowledgement before it is answered 503.
    ack_timeout_seconds: float = 10.0


@dataclass(frozen=True)
class AlertSettings:
    # `pulse alerts deliver` (README, "Alerts: deliveries"): its consumer group, and the most
    # sends (a notification to a destination) in flight at once.
    group_id: str = "pulse-alerts-deliver"
    concurrency: int = 16
    # Retries: attempt n waits a uniform random time in [0, min(max, base * 2^(n-1))] ("full
    # jitter"); jitter off waits the whole bound. A 429's Retry-After wins, up to max_backoff.
    max_attempts: int = 8
    base_backoff_seconds: float = 1.0
    max_backoff_seconds: float = 300.0
    jitter: bool = True
    connect_timeout_seconds: float = 5.0
    request_timeout_seconds: float = 10.0
    # Webhook and chat URLs to loopback, private or link-local addresses are refused unless
    # allowed: `allow_loopback` (tests, a local receiver) or CIDRs, comma-separated.
    allow_loopback: bool = False
    allow_cidrs: str = ""
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_starttls: bool = False
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_from: str = "pulse-alerts@localhost"
    # Links in e-mails and chat messages: "<base>/<tenant>/<rule>".
    chat_link_base: str = "http://127.0.0.1:8000/alerts"
    metrics_host: str = "127.0.0.1"
    metrics_port: int = 9465
    # The evaluator (README "Alerts: evaluation"): a thread of `pulse serve` unless `evaluate` is
    # off (then run `pulse alerts evaluate`); every active rule is evaluated at least every
    # `sweep_seconds`, and at once when the sink stores events of its tenant. One evaluator acts
    # at a time, holding a Redis lease of `lease_seconds`.
    evaluate: bool = True
    sweep_seconds: float = 15.0
    lease_seconds: float = 10.0
    evaluate_metrics_port: int = 9466


@dataclass(frozen=True)
class PrivacySettings:
    # README "Privacy": default retention windows per kind of data (a tenant may set its own with
    # `pulse tenants set --retention`), and how often `pulse serve` applies them (0: never).
    retention_raw: str = "90d"
    retention_aggregates: str = "24M"
    retention_csat: str = "24M"
    retention_dead_letters: str = "30d"
    retention_interval_seconds: float = 3600.0
    # Keys the HMAC that names a subject in the audit log (privacy_requests); keep it secret.
    audit_key: str = "dev-only-audit-key-change-me"
    # Rows an export reads per query, so a large subject never sits in memory at once.
    export_page_rows: int = 5000
    # On a ClickHouse server, the longest an erasure waits for the inserts running beside its
    # repair (a sink refresh may write erased rows back) before it repairs again.
    erase_settle_seconds: float = 120.0


@dataclass(frozen=True)
class FaultSettings:
    # Crash tests only (pulse/faults.py): the named point where the process SIGKILLs itself,
    # on its `after`-th hit, having appended the point's name to `marker` (if set).
    point: str = ""
    after: int = 1
    marker: str = ""


@dataclass(frozen=True)
class Settings:
    kafka: KafkaSettings = field(default_factory=KafkaSettings)
    stream: StreamSettings = field(default_factory=StreamSettings)
    contract: ContractSettings = field(default_factory=ContractSettings)
    clickhouse: ClickHouseSettings = field(default_factory=ClickHouseSettings)
    redis: RedisSettings = field(default_factory=RedisSettings)
    api: ApiSettings = field(default_factory=ApiSettings)
    sink: SinkSettings = field(default_factory=SinkSettings)
    collector: CollectorSettings = field(default_factory=CollectorSettings)
    fault: FaultSettings = field(default_factory=FaultSettings)
    alerts: AlertSettings = field(default_factory=AlertSettings)
    privacy: PrivacySettings = field(default_factory=PrivacySettings)
    log_level: str = "INFO"
    log_format: str = "console"  # or "json"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Build settings from ``PULSE_*`` variables; unknown values raise :class:`ConfigError`."""
        env = os.environ if env is None else env
        s = cls()
        sections = {
            section: _override(getattr(s, section), env, prefix)
            for section, prefix in _SECTIONS.items()
        }
        return replace(
            s,
            **sections,
            log_level=env.get("PULSE_LOG_LEVEL", s.log_level),
            log_format=env.get("PULSE_LOG_FORMAT", s.log_format),
        )

    def to_env(self) -> dict[str, str]:
        """The ``PULSE_*`` variables that :meth:`from_env` turns back into these settings."""
        env = {"PULSE_LOG_LEVEL": self.log_level, "PULSE_LOG_FORMAT": self.log_format}
        for section, prefix in _SECTIONS.items():
            for name, value in vars(getattr(self, section)).items():
                env[f"{prefix}{name.upper()}"] = str(value)
        return env

    def topic(self, name: str) -> str:
        """The full name of a declared topic, e.g. ``topic("events.conversations")``."""
        return f"{self.kafka.topic_prefix}.{name}"


_SECTIONS = {
    "kafka": "PULSE_KAFKA_",
    "stream": "PULSE_STREAM_",
    "contract": "PULSE_CONTRACT_",
    "clickhouse": "PULSE_CLICKHOUSE_",
    "redis": "PULSE_REDIS_",
    "api": "PULSE_API_",
    "sink": "PULSE_SINK_",
    "collector": "PULSE_COLLECTOR_",
    "fault": "PULSE_FAULT_",
    "alerts": "PULSE_ALERTS_",
    "privacy": "PULSE_PRIVACY_",
}


def _override(section: Any, env: Mapping[str, str], prefix: str) -> Any:
    changes: dict[str, Any] = {}
    for name, current in vars(section).items():
        raw = env.get(prefix + name.upper())
        if raw is None:
            continue
        changes[name] = _parse(raw, current, prefix + name.upper())
    return replace(section, **changes)


def _parse(raw: str, current: Any, var: str) -> Any:
    try:
        if isinstance(current, bool):
            if raw.lower() not in {"1", "0", "true", "false", "yes", "no"}:
                raise ValueError(raw)
            return raw.lower() in {"1", "true", "yes"}
        if isinstance(current, int):
            return int(raw)
        if isinstance(current, float):
            return float(raw)
        if isinstance(current, Path):
            return Path(raw)
    except ValueError as exc:
        raise ConfigError(
            f"{var}={raw!r} is not a valid {type(current).__name__}", var=var
        ) from exc
    return raw
