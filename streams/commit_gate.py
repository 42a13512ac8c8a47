"""Keeps Faust's periodic commit from landing in the middle of a batch.

Under exactly-once, a batch's changelog records go into the open transaction of its partition
as soon as they are sent, while its input offsets are added only when the batch is acked. Faust
commits on a timer, from another task: a commit between the two would make a batch's state
durable without its offsets, and its replay would then find every event already "seen" and drop
its rows. So a batch holds the gate from its first table write to its ack, and a commit waits
until no batch holds it (and keeps new batches out meanwhile, so it cannot starve).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from pulse.streams.errors import StreamError


class CommitGate:
    def __init__(self) -> None:
        self._batches = 0
        self._committing = False
        self._changed: asyncio.Condition | None = None
        self._installed = False

    def _condition(self) -> asyncio.Condition:
        # Created on first use, inside the worker's running event loop.
        if self._changed is None:
            self._changed = asyncio.Condition()
        return self._changed

    @asynccontextmanager
    async def batch(self) -> AsyncIterator[None]:
        changed = self._condition()
        async with changed:
            await changed.wait_for(lambda: not self._committing)
            self._batches += 1
        try:
            yield
        finally:
            async with changed:
                self._batches -= 1
                changed.notify_all()

    @asynccontextmanager
    async def commit(self) -> AsyncIterator[None]:
        changed = self._condition()
        async with changed:
            await changed.wait_for(lambda: not self._committing)
            self._committing = True
            await changed.wait_for(lambda: self._batches == 0)
        try:
            yield
        finally:
            async with changed:
                self._committing = False
                changed.notify_all()

    def install(self, app: Any) -> None:
        """Makes the started app's consumer commit through the gate (once; idempotent)."""
        if self._installed:
            return
        consumer = app.consumer
        if not (app.in_transaction and consumer.in_transaction):
            raise StreamError("exactly-once processing is not active", app_id=app.conf.id)
        commit: Callable[..., Awaitable[bool]] = consumer.commit

        async def gated(*args: Any, **kwargs: Any) -> bool:
            async with self.commit():
                return await commit(*args, **kwargs)

        # Faust offers no hook around its commit; the consumer's method is the seam.
        consumer.commit = gated
        self._installed = True
