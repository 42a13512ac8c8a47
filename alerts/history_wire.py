"""A history entry as JSON and back: what ``pulse alerts history --json`` prints and what the
serving process's admin route answers (``history_route.py``), times in ms, the rule as its
record."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any, cast

from pulse.alerts.history import DeliveryAttempt, EpisodeStatus, HistoryEntry
from pulse.alerts.rules import AlertRule


def entry_to_json(entry: HistoryEntry) -> dict[str, Any]:
    data = asdict(entry)
    data["rule"] = None if entry.rule is None else entry.rule.to_dict()
    return data


def entry_from_json(data: dict[str, Any]) -> HistoryEntry:
    """The entry ``entry_to_json`` gave (the rule record validated again)."""
    rule = data["rule"]
    return HistoryEntry(
        **{
            **data,
            "rule": None if rule is None else AlertRule.from_dict(rule),
            "status": cast(EpisodeStatus, data["status"]),
            "deliveries": tuple(DeliveryAttempt(**d) for d in data["deliveries"]),
        }
    )
