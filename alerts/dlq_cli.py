"""``pulse alerts dlq list|replay``: deliveries that exhausted their attempts.

A dead letter is the notification narrowed to the one destination that failed, on
``alerts.notifications.dlq`` with its reason in the ``reason`` header. ``replay`` publishes it
back to ``alerts.notifications`` unchanged, so the receiver sees the same ``webhook-id``. A record
of ``alerts.notifications`` that is no notification is kept there as it came: listed (its fields
``-``), never replayed.
"""

from __future__ import annotations

import argparse
import uuid
from dataclasses import dataclass

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, TopicPartition

from pulse.alerts.errors import DirectoryError, NotificationError
from pulse.alerts.notifications import Notification, publish_notification
from pulse.settings import Settings
from pulse.topics.compacted import acknowledged_producer


@dataclass(frozen=True)
class Letter:
    partition: int
    offset: int
    notification: Notification | None  # None: the record was no notification
    reason: str


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", required=True)
    listing = sub.add_parser("list", help="print the dead-lettered deliveries")
    listing.add_argument("--tenant", help="only this tenant's")
    replay = sub.add_parser("replay", help="deliver dead letters again (same webhook-id)")
    replay.add_argument("--tenant", help="only this tenant's")
    replay.add_argument(
        "--notification-id", action="append", default=[], help="only these (repeatable)"
    )


def run(args: argparse.Namespace, settings: Settings) -> int:
    letters = [
        letter
        for letter in read_letters(settings)
        if args.tenant is None
        or (letter.notification is not None and letter.notification.tenant_id == args.tenant)
    ]
    if args.action == "list":
        for letter in letters:
            n = letter.notification
            fields = (
                (n.notification_id, n.tenant_id, n.rule_id, ",".join(n.destinations))
                if n is not None
                else ("-", "-", "-", "-")
            )
            print("\t".join((f"{letter.partition}:{letter.offset}", *fields, letter.reason)))
        return 0
    wanted = set(args.notification_id)
    producer = acknowledged_producer(settings.kafka)
    replayed = 0
    for letter in letters:
        n = letter.notification
        if n is not None and (not wanted or n.notification_id in wanted):
            publish_notification(producer, settings.topic("alerts.notifications"), n)
            replayed += 1
    print(f"replayed {replayed} dead letter(s)")
    return 0


def read_letters(settings: Settings, timeout: float = 10.0) -> list[Letter]:
    """Every dead letter, oldest first per partition (read without a consumer group)."""
    topic = settings.topic("alerts.notifications") + ".dlq"
    consumer = Consumer(
        {
            "bootstrap.servers": settings.kafka.bootstrap_servers,
            "group.id": f"alerts-dlq-{uuid.uuid4().hex}",
            "enable.auto.commit": False,
            "enable.partition.eof": True,
        }
    )
    try:
        meta = consumer.list_topics(topic, timeout=10).topics.get(topic)
        if meta is None or meta.error is not None or not meta.partitions:
            raise DirectoryError(f"topic {topic} does not exist; run `pulse topics apply`")
        partitions = sorted(meta.partitions)
        consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in partitions])
        at_end: set[int] = set()
        letters: list[Letter] = []
        while len(at_end) < len(partitions):
            messages = consumer.consume(500, timeout=timeout)
            if not messages:
                break
            for msg in messages:
                error = msg.error()
                if error is not None:
                    if error.code() == KafkaError._PARTITION_EOF:
                        at_end.add(msg.partition() or 0)
                    continue
                try:
                    notification: Notification | None = Notification.from_json(msg.value())
                except NotificationError:
                    notification = None
                reason = dict(msg.headers() or []).get("reason") or b""
                if isinstance(reason, bytes):
                    reason = reason.decode("utf-8", errors="replace")
                letters.append(
                    Letter(msg.partition() or 0, msg.offset() or 0, notification, reason)
                )
        return letters
    finally:
        consumer.close()
