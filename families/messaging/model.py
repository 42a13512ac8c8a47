"""What a messaging question is and what its answer holds; the query and the API share these."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from pulse.families.helpdesk.model import Bucket, Granularity

# METRICS.md §3 Messaging's counts, in the one order the table, the query and the API use;
# each counts the events of type ``message.<name>``.
COUNTS = (
    "sent",
    "delivered",
    "read",
    "clicked",
    "failed",
    "complained",
    "unsubscribed",
    "received",
)
EVENT_TYPES = tuple(f"message.{name}" for name in COUNTS)

SLOT_MS = 15 * 60_000

# The dimensions a slot row is kept by, besides tenant and slot; the filters of a question.
DIMENSIONS = ("channel", "org_unit", "campaign_id", "template_id", "workflow_id", "sequence_id")


@dataclass(frozen=True)
class Filters:
    """Only events carrying these values (None: any)."""

    channel: str | None = None
    org_unit: str | None = None
    campaign_id: str | None = None
    template_id: str | None = None
    workflow_id: str | None = None
    sequence_id: str | None = None
    # Any of these org units (a token confined to several, ``pulse.graphql.permissions``).
    org_units: tuple[str, ...] | None = None

    def given(self) -> Mapping[str, str]:
        """The dimensions this filter fixes, by column name."""
        values = {d: getattr(self, d) for d in DIMENSIONS}
        return {d: v for d, v in values.items() if v is not None}

    @property
    def outreach(self) -> bool:
        """Whether a filter names a campaign, template, workflow or sequence: dimensions of
        messages, not of conversations."""
        return any(
            v is not None
            for v in (self.campaign_id, self.template_id, self.workflow_id, self.sequence_id)
        )


@dataclass(frozen=True)
class MessagingQuery:
    """One tenant's messaging counts over ``buckets`` (contiguous, oldest first), bucketed in
    ``time_zone``, of the events ``filters`` keeps."""

    tenant_id: str
    buckets: tuple[Bucket, ...]
    time_zone: str
    granularity: Granularity
    filters: Filters = Filters()

    @property
    def from_ms(self) -> int:
        return self.buckets[0].start_ms

    @property
    def to_ms(self) -> int:
        return self.buckets[-1].end_ms


@dataclass(frozen=True)
class MessagingCounts:
    """The eight counts of one bucket, of the range, or of a realtime hour."""

    sent: int = 0
    delivered: int = 0
    read: int = 0
    clicked: int = 0
    failed: int = 0
    complained: int = 0
    unsubscribed: int = 0
    received: int = 0

    @classmethod
    def of(cls, row: Mapping[str, object]) -> MessagingCounts:
        """The counts named in ``row`` (missing ones 0)."""
        return cls(**{name: int(str(row.get(name, 0))) for name in COUNTS})

    def __add__(self, other: MessagingCounts) -> MessagingCounts:
        return MessagingCounts(
            **{name: getattr(self, name) + getattr(other, name) for name in COUNTS}
        )


@dataclass(frozen=True)
class MessagingAnswer:
    """Counts of every bucket of the query (aligned with its grid) and of the whole range."""

    buckets: tuple[MessagingCounts, ...]
    totals: MessagingCounts
