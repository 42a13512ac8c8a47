"""The Prometheus metrics of every pulse process, defined once so all processes share the names.

Each process serves the default registry at ``/metrics`` on its HTTP port (README, "Metrics").
The worker handles ~40k events/s, so counters move once per batch by the batch's count, never
once per event; labels are bounded sets (source topics, tables, error codes, partitions).
"""

from __future__ import annotations

from collections.abc import Iterable
from wsgiref.simple_server import WSGIServer

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    start_http_server,
)

from pulse.errors import ConfigError

# Batches take milliseconds to seconds; the defaults' 10 s top is too low for a stalled insert.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)

EVENTS_ACCEPTED = Counter(
    "pulse_worker_events_accepted",
    "Events that passed decode, validation and dedup, by source topic.",
    ["topic"],
)
DUPLICATES_DROPPED = Counter(
    "pulse_worker_duplicates_dropped",
    "Events dropped as an already seen (tenant_id, event_id), by source topic.",
    ["topic"],
)
DEAD_LETTERS = Counter(
    "pulse_dead_letters",
    "Messages sent to a dead-letter topic, by source topic and error code.",
    ["topic", "code"],
)
WORKER_BATCH_SECONDS = Histogram(
    "pulse_worker_batch_duration_seconds",
    "Time from a batch's start to its state, rows and dead letters being durable.",
    buckets=LATENCY_BUCKETS,
)
ROWS_STORED = Counter(
    "pulse_sink_rows_stored",
    "Hand-off rows inserted into ClickHouse, by table.",
    ["table"],
)
ROWS_REJECTED = Counter(
    "pulse_sink_rows_rejected",
    "Hand-off rows the sink could not store, by table and error code.",
    ["table", "code"],
)
MESSAGES_REJECTED = Counter(
    "pulse_sink_messages_rejected",
    "Hand-off messages the sink could not read at all (not JSON, unknown table), by error code.",
    ["code"],
)
SINK_FLUSH_SECONDS = Histogram(
    "pulse_sink_flush_duration_seconds",
    "One sink batch: inserts, derived rows, realtime cache, offsets and Kafka commit.",
    buckets=LATENCY_BUCKETS,
)
SINK_DERIVE_SECONDS = Histogram(
    "pulse_sink_derive_duration_seconds",
    "Time one derivation took to recompute the derived rows a sink batch touched, by family.",
    ["derivation"],
    buckets=LATENCY_BUCKETS,
)
COLLECTOR_EVENTS = Counter(
    "pulse_collector_events",
    "Events the HTTP collector judged, by outcome (accepted, rejected).",
    ["outcome"],
)
COLLECTOR_REQUESTS = Counter(
    "pulse_collector_requests",
    "Requests the HTTP collector answered, by status code.",
    ["status"],
)
CONSUMER_LAG = Gauge(
    "pulse_consumer_lag_messages",
    "Messages of an assigned partition not yet processed: high watermark minus position.",
    ["group", "topic", "partition"],
)


AUDIT_RECORDS = Counter(
    "pulse_api_audit_records",
    "API audit records by outcome: written to ClickHouse, or lost (queue_full, insert_failed;"
    " each lost record is logged in full as audit_record_lost).",
    ["outcome"],
)


def set_lag(group: str, lags: dict[tuple[str, int], int]) -> None:
    """Sets the lag of each ``(topic, partition)`` of ``group``."""
    for (topic, partition), lag in lags.items():
        CONSUMER_LAG.labels(group, topic, str(partition)).set(lag)


def forget_lag(group: str, partitions: Iterable[tuple[str, int]]) -> None:
    """Drops the series of partitions this process no longer owns, so none goes stale."""
    for topic, partition in partitions:
        try:
            CONSUMER_LAG.remove(group, topic, str(partition))
        except KeyError:
            continue  # never set, or already dropped


def exposition() -> tuple[bytes, str]:
    """The current values in Prometheus text format, and its content type."""
    return generate_latest(), CONTENT_TYPE_LATEST


def serve(host: str, port: int, setting: str) -> WSGIServer:
    """Serves the metrics over HTTP from a daemon thread, for a process with no web server of
    its own; the caller shuts it down. ``setting`` names the port's variable in an error."""
    try:
        server, _ = start_http_server(port, addr=host)
    except OSError as exc:
        raise ConfigError(f"cannot serve metrics on {host}:{port}: {exc}", var=setting) from exc
    return server


ALERT_DELIVERIES = Counter(
    "pulse_alert_deliveries",
    "Alert delivery attempts by destination kind (webhook, email, chat) and outcome "
    "(delivered, retry, rate_limited, disabled, dead_lettered, refused, skipped).",
    ["kind", "outcome"],
)
ALERT_EVALUATIONS = Counter(
    "pulse_alert_evaluations",
    "Alert rule evaluations, by trigger (events: the sink stored the tenant's events; sweep).",
    ["trigger"],
)
ALERT_TRANSITIONS = Counter(
    "pulse_alert_transitions",
    "Alert firings and resolutions published, by notification kind.",
    ["kind"],
)
ALERT_EVALUATION_SECONDS = Histogram(
    "pulse_alert_evaluation_seconds",
    "One evaluation pass over the rules of the touched tenants (events) or of all (sweep).",
    ["trigger"],
    buckets=LATENCY_BUCKETS,
)
