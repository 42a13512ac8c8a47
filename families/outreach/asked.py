"""What the campaign, template and traffic fields keep of their question for the nested fields
(``top``, ``worst``, ``campaign``, ``template``) that read ClickHouse only when selected."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import strawberry

from pulse.families.helpdesk.model import Bucket
from pulse.families.messaging.model import Filters, MessagingAnswer, MessagingQuery
from pulse.families.messaging.query import messaging_answer
from pulse.families.questions import GRANULARITY
from pulse.graphql.errors import InvalidArgumentError
from pulse.graphql.queries import Reader
from pulse.graphql.types import Granularity

MAX_RANKED = 1000

Limit = Annotated[
    int, strawberry.argument(description=f"How many rows, 1 to {MAX_RANKED}; default 10.")
]
ChannelFilter = Annotated[
    str | None, strawberry.argument(description="Only messages (and events) of this channel.")
]


@dataclass(frozen=True)
class Asked:
    """A framed question: whose, which zone and grid, which channel, read through ``db``."""

    db: Reader
    tenant_id: str
    time_zone: str
    granularity: Granularity
    buckets: tuple[Bucket, ...]
    channel: str | None

    @property
    def from_ms(self) -> int:
        return self.buckets[0].start_ms

    @property
    def to_ms(self) -> int:
        return self.buckets[-1].end_ms

    def messaging(self, filters: Filters) -> MessagingAnswer:
        """Messaging's own answer (same SQL as ``messagingMetrics``) under ``filters``."""
        query = MessagingQuery(
            self.tenant_id, self.buckets, self.time_zone, GRANULARITY[self.granularity], filters
        )
        return messaging_answer(self.db, query)


def checked_limit(limit: int) -> int:
    """``limit`` when within 1..MAX_RANKED, else an :class:`InvalidArgumentError`."""
    if not 1 <= limit <= MAX_RANKED:
        raise InvalidArgumentError(
            f"'limit' must be between 1 and {MAX_RANKED}.",
            suggestion="Ask for fewer rows.",
            argument="limit",
            limit=MAX_RANKED,
        )
    return limit
