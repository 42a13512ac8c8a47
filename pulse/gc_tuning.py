"""Garbage-collector settings for the processes that move events in bulk (worker, sink).

A batch keeps thousands of freshly decoded events and rows alive at once, so CPython's default
young-generation threshold (700 container objects) runs a collection every few events and
promotes the whole batch into older generations, whose collections then walk the worker's state
as well. Measured with ``gc.callbacks`` in a worker taking 200k events: 1.6 s of collections
with the defaults (a third of its run), 0.23 s with a threshold of 50k, 0.11 s with 200k.
Cycles are still collected, only less often; older generations keep their thresholds.
"""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 200_000


def tune_for_batches() -> None:
    """Collect the young generation every ``YOUNG_THRESHOLD`` allocations, and leave the objects
    that exist now (modules, settings, clients) out of every future collection."""
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)
