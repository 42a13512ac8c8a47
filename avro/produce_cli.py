"""``pulse produce FILE.jsonl``: validate, encode and publish one event per line.

A bad line (not JSON, breaking the contract, or an event over Kafka's message size) is reported
as ``line N: field F: reason`` and nothing of it is sent; the good lines are still published.
Exit code 1 if any line was bad.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Protocol

from confluent_kafka import KafkaError, KafkaException
from tqdm import tqdm

from pulse.avro.errors import AvroError
from pulse.avro.producer import EventProducer
from pulse.settings import Settings
from pulse.topics.errors import RoutingError

# Progress-bar updates are batched: a tqdm call per line would cost more than encoding it.
PROGRESS_EVERY = 2000


class Publisher(Protocol):
    def publish(self, event: Mapping[str, Any]) -> None: ...


@dataclass
class Summary:
    sent: int = 0
    rejected: int = 0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", help="JSON Lines file of logical events ('-' for stdin)")
    parser.add_argument(
        "--registry",
        default=None,
        help="schema registry URL (Confluent wire format); default PULSE_KAFKA_SCHEMA_REGISTRY_URL",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def rejection(line: int, error: Exception) -> str:
    """``line N: field F: reason (detail)`` for a refused event; ``line N: detail`` otherwise."""
    if not isinstance(error, AvroError | RoutingError):
        return f"line {line}: {error}"
    field = str(error.fields.get("field") or "")
    reason = str(error.fields.get("reason") or "")
    detail = error.message.removeprefix(f"{field}: ") if field else error.message
    head = f"line {line}: field {field}: " if field else f"line {line}: "
    if reason and detail and reason != detail:
        return f"{head}{reason} ({detail})"
    return head + (reason or detail)


def publish_lines(
    lines: Iterable[bytes],
    validate: Callable[[Mapping[str, Any]], dict[str, Any]],
    producer: Publisher,
    reject: Callable[[str], None],
    progress: Callable[[int], None] = lambda _: None,
) -> Summary:
    """Publishes every valid line; each bad one is passed to ``reject`` and not sent."""
    summary = Summary()
    pending_bytes = 0
    for number, raw in enumerate(lines, start=1):
        pending_bytes += len(raw)
        if number % PROGRESS_EVERY == 0:
            progress(pending_bytes)
            pending_bytes = 0
        line = raw.rstrip(b"\r\n")
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except (ValueError, RecursionError) as exc:  # RecursionError: nested too deeply
            summary.rejected += 1
            reject(f"line {number}: invalid JSON: {exc}")
            continue
        if not isinstance(obj, dict):
            summary.rejected += 1
            reject(f"line {number}: not a JSON object")
            continue
        try:
            producer.publish(validate(obj))
        except (AvroError, RoutingError) as exc:
            summary.rejected += 1
            reject(rejection(number, exc))
            continue
        except KafkaException as exc:
            # The client refuses an event over its message size before sending anything: that is
            # the line's fault. Any other Kafka error is the infrastructure's and stops the run.
            error = exc.args[0] if exc.args else None
            if not isinstance(error, KafkaError) or error.code() != KafkaError.MSG_SIZE_TOO_LARGE:
                raise
            summary.rejected += 1
            reject(f"line {number}: too_large (the encoded event is over Kafka's message size)")
            continue
        summary.sent += 1
    progress(pending_bytes)
    return summary


def _make_producer(settings: Settings, registry_url: str) -> EventProducer:
    # Imported here so that `pulse produce --help` stays instant.
    from pulse.avro.codec import EventEncoder
    from pulse.avro.instants import InstantBounds
    from pulse.avro.registry import registry_client
    from pulse.avro.schemas import SchemaCatalog

    encoder = EventEncoder(SchemaCatalog(), registry_client(registry_url))
    bounds = InstantBounds.from_settings(settings.contract)
    return EventProducer(settings.kafka, encoder, bounds=bounds)


def run(args: argparse.Namespace, settings: Settings) -> int:
    from pulse.avro.contract import validate

    registry_url = settings.kafka.schema_registry_url if args.registry is None else args.registry
    producer = _make_producer(settings, registry_url)
    source: IO[bytes]
    if args.file == "-":
        source, total = sys.stdin.buffer, None
    else:
        path = Path(args.file)
        source, total = path.open("rb"), path.stat().st_size
    bar = tqdm(
        total=total,
        unit="B",
        unit_scale=True,
        desc="produce",
        file=sys.stderr,
        disable=args.quiet,
        mininterval=0.5,
    )
    with source, bar:
        summary = publish_lines(
            source,
            validate,
            producer,
            reject=lambda message: bar.write(message, file=sys.stderr),
            progress=bar.update,
        )
        producer.flush()
    print(f"sent {summary.sent} event(s), rejected {summary.rejected} line(s)")
    return 1 if summary.rejected else 0
