"""The commit gate: a commit never runs while a batch is between its first write and its ack."""

from __future__ import annotations

import asyncio

from pulse.streams.commit_gate import CommitGate


def test_commit_waits_for_batch_in_flight() -> None:
    """A commit requested mid-batch runs only after the batch leaves the gate."""

    async def scenario() -> list[str]:
        gate, order = CommitGate(), []
        inside = asyncio.Event()

        async def batch() -> None:
            async with gate.batch():
                inside.set()
                await asyncio.sleep(0.05)
                order.append("batch acked")

        async def commit() -> None:
            await inside.wait()
            async with gate.commit():
                order.append("commit")

        await asyncio.gather(batch(), commit())
        return order

    assert asyncio.run(scenario()) == ["batch acked", "commit"]


def test_new_batches_wait_for_a_pending_commit() -> None:
    """Once a commit is waiting, later batches queue behind it, so commits cannot starve."""

    async def scenario() -> list[str]:
        gate, order = CommitGate(), []
        first_in = asyncio.Event()
        commit_waiting = asyncio.Event()

        async def first() -> None:
            async with gate.batch():
                first_in.set()
                await commit_waiting.wait()
                await asyncio.sleep(0.02)
                order.append("first")

        async def commit() -> None:
            await first_in.wait()
            task = asyncio.ensure_future(_commit(gate, order))
            await asyncio.sleep(0)
            commit_waiting.set()
            await task

        async def second() -> None:
            await commit_waiting.wait()
            async with gate.batch():
                order.append("second")

        await asyncio.gather(first(), commit(), second())
        return order

    assert asyncio.run(scenario()) == ["first", "commit", "second"]


async def _commit(gate: CommitGate, order: list[str]) -> None:
    async with gate.commit():
        order.append("commit")
