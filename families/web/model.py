"""What a web question is and what its answer holds; the query and the API share these."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

from pulse.families.helpdesk.model import Bucket, Granularity

# The dimensions a web analyst breaks figures down by and filters on (Plausible's).
Dimension = Literal[
    "page",
    "entry_page",
    "referrer",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "device",
    "browser",
    "os",
    "country",
]
DIMENSIONS: tuple[Dimension, ...] = (
    "page",
    "entry_page",
    "referrer",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "device",
    "browser",
    "os",
    "country",
)

ACTIVE_WINDOW_MS = 5 * 60_000


def _no_filters() -> Mapping[Dimension, str]:
    return MappingProxyType({})


@dataclass(frozen=True)
class WebQuery:
    """One tenant's web figures over ``[from_ms, to_ms)``, by ``buckets`` (contiguous, oldest
    first, covering the range; none for a breakdown), in ``time_zone``.

    ``engaged``: names of ``web.event`` that make a session engaged (not a bounce), the tenant's
    setting; ``filters``: equality on dimensions, applied to every figure.
    """

    tenant_id: str
    from_ms: int
    to_ms: int
    time_zone: str
    granularity: Granularity = "day"
    buckets: tuple[Bucket, ...] = ()
    engaged: tuple[str, ...] = ()
    filters: Mapping[Dimension, str] = field(default_factory=_no_filters)


@dataclass(frozen=True)
class WebCounts:
    """What the statement counts for one bucket, the range or one dimension value."""

    page_views: int = 0
    visitors: int = 0
    sessions: int = 0
    bounces: int = 0
    length_ms: int = 0


@dataclass(frozen=True)
class WebAnswer:
    """Counts of every bucket of the query (aligned with its grid) and of the whole range."""

    buckets: tuple[WebCounts, ...]
    totals: WebCounts


@dataclass(frozen=True)
class BreakdownRow:
    """One value of a dimension with its counts."""

    value: str
    counts: WebCounts


@dataclass(frozen=True)
class ActiveVisitors:
    """Distinct non-dnt visitors with an event in ``(as_of - 5 min, as_of]``, and who said so."""

    count: int
    source: Literal["redis", "clickhouse"]
