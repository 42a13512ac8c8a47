"""Reads the live state of topics and applies a :class:`Plan` with the Kafka admin client."""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from concurrent.futures import Future
from typing import Any

from confluent_kafka import KafkaError, KafkaException, TopicPartition

# The admin types are re-exported without __all__, which strict mypy rejects.
from confluent_kafka.admin import (  # type: ignore[attr-defined]
    AdminClient,
    AlterConfigOpType,
    ConfigEntry,
    ConfigResource,
    NewPartitions,
    NewTopic,
    OffsetSpec,
    ResourceType,
)

from pulse.topics.errors import AdminError
from pulse.topics.planner import AddPartitions, AlterConfig, CreateTopic, LiveTopic, Plan

TIMEOUT = 30.0
_LATEST = OffsetSpec.latest()  # type: ignore[no-untyped-call]  # unannotated upstream


def admin_client(bootstrap_servers: str) -> AdminClient:
    return AdminClient({"bootstrap.servers": bootstrap_servers})


def read_live(admin: AdminClient, names: Iterable[str]) -> dict[str, LiveTopic]:
    """The live partitions, replication and configs of those of ``names`` that exist."""
    wanted = set(names)
    try:
        metadata = admin.list_topics(timeout=TIMEOUT)
    except KafkaException as exc:
        raise AdminError(f"cannot list topics: {exc}", operation="list_topics") from exc
    present = {
        name: meta for name, meta in metadata.topics.items() if name in wanted and not meta.error
    }
    if not present:
        return {}
    resources = [ConfigResource(ResourceType.TOPIC, name) for name in present]
    configs: dict[str, dict[str, str]] = {}
    for resource, future in admin.describe_configs(resources, request_timeout=TIMEOUT).items():
        entries = _result(future, "describe_configs", resource.name)
        configs[resource.name] = {k: e.value for k, e in entries.items() if e.value is not None}
    live: dict[str, LiveTopic] = {}
    for name, meta in present.items():
        replicas = [len(p.replicas) for p in meta.partitions.values()]
        live[name] = LiveTopic(
            name=name,
            partitions=len(meta.partitions),
            replication=min(replicas) if replicas else 0,
            config=configs.get(name, {}),
        )
    return live


def apply(admin: AdminClient, plan: Plan, timeout: float = TIMEOUT) -> None:
    """Applies every action of ``plan`` and waits until the cluster's metadata shows them."""
    creates = [a.topic for a in plan.actions if isinstance(a, CreateTopic)]
    if creates:
        new = [
            NewTopic(
                t.name,
                num_partitions=t.partitions,
                replication_factor=t.replication,
                config=dict(t.config),
            )
            for t in creates
        ]
        for name, future in admin.create_topics(new, request_timeout=timeout).items():
            # Another `apply` may have created it meanwhile: the goal is reached either way.
            _result(future, "create_topics", name, ok=KafkaError.TOPIC_ALREADY_EXISTS)
    raises = [a for a in plan.actions if isinstance(a, AddPartitions)]
    if raises:
        parts = [NewPartitions(a.name, a.target) for a in raises]
        for name, future in admin.create_partitions(parts, request_timeout=timeout).items():
            _result(future, "create_partitions", name)
    alters = [a for a in plan.actions if isinstance(a, AlterConfig)]
    if alters:
        # Incremental: a plain alter_configs would reset every config not listed to its default.
        resources = [
            ConfigResource(
                ResourceType.TOPIC,
                a.name,
                incremental_configs=[
                    ConfigEntry(key, new, incremental_operation=AlterConfigOpType.SET)
                    for key, (_, new) in a.changes.items()
                ],
            )
            for a in alters
        ]
        for resource, future in admin.incremental_alter_configs(resources).items():
            _result(future, "incremental_alter_configs", resource.name)
    deadline = time.monotonic() + timeout
    _wait_serving(admin, creates_and_raises(plan), deadline)
    _wait_configs(
        admin, {a.name: {k: new for k, (_, new) in a.changes.items()} for a in alters}, deadline
    )


def creates_and_raises(plan: Plan) -> dict[str, int]:
    """Topic name -> partition count the metadata must show once ``plan`` is applied."""
    want: dict[str, int] = {}
    for action in plan.actions:
        if isinstance(action, CreateTopic):
            want[action.topic.name] = action.topic.partitions
        elif isinstance(action, AddPartitions):
            want[action.name] = action.target
    return want


def _wait_serving(admin: AdminClient, want: dict[str, int], deadline: float) -> None:
    # The controller acknowledges before the broker's metadata cache has caught up and before
    # the partitions' leaders serve requests; waiting here makes whatever runs right after
    # `apply` (a second plan, a consumer asking for watermarks) see working topics.
    while want:
        topics = admin.list_topics(timeout=TIMEOUT).topics
        want = {name: n for name, n in want.items() if not _serving(admin, topics.get(name), n)}
        _check_deadline(want, deadline)


def _wait_configs(admin: AdminClient, want: dict[str, dict[str, str]], deadline: float) -> None:
    # Config changes, too, reach the broker that answers describe_configs a moment later.
    while want:
        resources = [ConfigResource(ResourceType.TOPIC, name) for name in want]
        described = admin.describe_configs(resources, request_timeout=TIMEOUT)
        for resource, future in described.items():
            entries = _result(future, "describe_configs", resource.name)
            expected = want[resource.name]
            if all(k in entries and entries[k].value == v for k, v in expected.items()):
                del want[resource.name]
        _check_deadline(want, deadline)


def _check_deadline(pending: Mapping[str, object], deadline: float) -> None:
    if not pending:
        return
    if time.monotonic() > deadline:
        raise AdminError(
            f"changes not visible in time on: {', '.join(sorted(pending))}",
            operation="wait_applied",
        )
    time.sleep(0.1)


def _serving(admin: AdminClient, meta: Any, partitions: int) -> bool:
    """The topic has ``partitions`` partitions whose leaders answer a list-offsets request."""
    if meta is None or meta.error is not None or len(meta.partitions) < partitions:
        return False
    if any(p.leader < 0 or p.error is not None for p in meta.partitions.values()):
        return False
    requests = {TopicPartition(meta.topic, p): _LATEST for p in meta.partitions}
    try:
        for future in admin.list_offsets(requests, request_timeout=5).values():
            future.result()
    except KafkaException:
        return False
    return True


def _result(future: Future[Any], operation: str, name: str, ok: int | None = None) -> Any:
    try:
        return future.result()
    except KafkaException as exc:
        error = exc.args[0] if exc.args else None
        if ok is not None and isinstance(error, KafkaError) and error.code() == ok:
            return None
        raise AdminError(
            f"{operation} failed for {name}: {exc}", operation=operation, topic=name
        ) from exc
