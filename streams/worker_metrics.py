"""The worker's Prometheus figures: a batch's counts and latency, its partition's lag, ``/metrics``.

Called once per batch, after the batch is durable. The lag is the partition's high watermark (the
last stable offset inside a transaction), as the consumer's latest fetch saw it, minus the offset
after the batch: the events of that partition the worker has yet to process.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import faust
from faust.types import TP

from pulse.metrics import (
    DUPLICATES_DROPPED,
    EVENTS_ACCEPTED,
    WORKER_BATCH_SECONDS,
    exposition,
    forget_lag,
    set_lag,
)
from pulse.streams.batch import BatchSummary
from pulse.streams.transport import SourceBatch


def observe_batch(
    group: str,
    batch: SourceBatch,
    summary: BatchSummary,
    seconds: float,
    end_offsets: Mapping[Any, int | None],
) -> None:
    """Counts ``batch``'s outcome and sets its partition's lag from ``end_offsets`` (by TP)."""
    EVENTS_ACCEPTED.labels(batch.topic).inc(summary.accepted)
    DUPLICATES_DROPPED.labels(batch.topic).inc(summary.duplicates)
    WORKER_BATCH_SECONDS.observe(seconds)
    high = end_offsets.get(TP(batch.topic, batch.partition))
    if high is not None:
        set_lag(group, {(batch.topic, batch.partition): max(0, high - batch.next_offset)})


def install(app: faust.App, group: str) -> None:
    """Serves ``/metrics`` on the app's web port and drops the lag of revoked partitions."""

    @app.page("/metrics")
    async def metrics(view: Any, request: Any) -> Any:
        body, content_type = exposition()
        # aiohttp refuses a content_type argument that carries a charset; a header may.
        return view.bytes(body, headers={"Content-Type": content_type})

    async def on_revoked(_app: Any, *args: Any, signal: Any, **_kwargs: Any) -> None:
        forget_lag(group, ((tp.topic, tp.partition) for tp in args[0]))

    # Faust's signal calls receivers as (sender, revoked, signal=…); a weak reference (the
    # default) to this closure would die with this call. mode's handler type (built with
    # mypy_extensions' argument constructors) matches no function mypy sees, hence Any.
    receiver: Any = on_revoked
    app.on_partitions_revoked.connect(receiver, weak=False)
