"""Expected helpdesk figures written by hand: zeros and nulls unless a test names a value."""

from __future__ import annotations

from typing import Any

from pulse.families.helpdesk.model import HelpdeskFigures

_EMPTY: dict[str, Any] = {
    "conversations_created": 0,
    "conversations_resolved": 0,
    "conversations_reopened": 0,
    "first_responses": 0,
    "frt_avg_seconds": None,
    "frt_p50_seconds": None,
    "frt_p90_seconds": None,
    "resolutions": 0,
    "resolution_avg_seconds": None,
    "resolution_p50_seconds": None,
    "resolution_p90_seconds": None,
    "sla_met": 0,
    "sla_breached": 0,
    "sla_breach_rate": None,
    "backlog": 0,
    "csat_responses": 0,
    "csat_avg": None,
    "csat_percent": None,
}


def fig(**values: Any) -> HelpdeskFigures:
    """Figures with every field not given empty (0 or None)."""
    return HelpdeskFigures(**{**_EMPTY, **values})


def frt(seconds: float, **more: Any) -> HelpdeskFigures:
    """One created conversation first answered after ``seconds``, still open (backlog 1 unless
    ``more`` says otherwise)."""
    return fig(
        **{
            "conversations_created": 1,
            "first_responses": 1,
            "frt_avg_seconds": seconds,
            "frt_p50_seconds": seconds,
            "frt_p90_seconds": seconds,
            "backlog": 1,
            **more,
        }
    )
