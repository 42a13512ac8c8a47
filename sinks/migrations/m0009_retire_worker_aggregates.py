"""Drops the worker's old aggregate tables, ``messaging_counters`` and ``conversation_frt``.

The worker no longer writes them and nothing reads them: ClickHouse computes messaging figures
from ``events_raw`` into ``messaging_slots`` (m0008) and helpdesk ones into ``helpdesk_moments``
(m0007), both refreshed by the sink's derivations. Their rows are dropped with them; they were
absolute values the worker folded, so ``events_raw`` still holds everything they summed.

Rolling back recreates both tables as m0002 made them, empty.
"""

from pulse.sinks.migrations import m0002_aggregates

FORWARDS = [
    "DROP TABLE IF EXISTS {db}.conversation_frt",
    "DROP TABLE IF EXISTS {db}.messaging_counters",
]

BACKWARDS = list(m0002_aggregates.FORWARDS)
