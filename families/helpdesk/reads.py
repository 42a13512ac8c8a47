"""The reads the helpdesk resolvers make, held by the API's ``Services`` so tests inject fakes.

Production binds the ClickHouse queries of ``answers.py`` (answers kept per bucket, as the API's
settings say) and ``unanswered.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from pulse.families.helpdesk.answers import AnswerCache, HelpdeskAnswers, helpdesk_answer
from pulse.families.helpdesk.hot_rows import HotWindows
from pulse.families.helpdesk.model import HelpdeskAnswer, HelpdeskQuery, UnansweredConversation
from pulse.families.helpdesk.unanswered import unanswered
from pulse.graphql.queries import Reader
from pulse.settings import ApiSettings

AnswerFn = Callable[[Reader, HelpdeskQuery], HelpdeskAnswer]


class UnansweredFn(Protocol):
    def __call__(
        self,
        db: Reader,
        tenant_id: str,
        as_of_ms: int,
        sla_ms: Mapping[str, int],
        at_risk_ms: int,
        limit: int,
        *,
        channel: str | None = None,
        org_unit: str | None = None,
        agent: str | None = None,
        priority: str | None = None,
        org_units: Sequence[str] | None = None,
    ) -> list[UnansweredConversation]: ...


@dataclass(frozen=True)
class HelpdeskReads:
    answer: AnswerFn = helpdesk_answer
    unanswered: UnansweredFn = unanswered


def helpdesk_reads(api: ApiSettings, embedded: bool = False) -> HelpdeskReads:
    """The production reads, answers kept as ``api`` says (none with a size of 0), and where
    the API owns the engine (``embedded``) the tenants' recent moments too."""
    if api.helpdesk_cache_mb <= 0:
        return HelpdeskReads()
    cache = AnswerCache(api.helpdesk_cache_mb << 20, api.helpdesk_cache_seconds)
    hot = None
    if embedded and api.helpdesk_hot_mb > 0:
        # Half the answers' age: an answer figured from a window that old is kept as long again.
        age = api.helpdesk_cache_seconds / 2
        hot = HotWindows(api.helpdesk_hot_days, api.helpdesk_hot_mb << 20, age)
    return HelpdeskReads(answer=HelpdeskAnswers(cache, hot).answer)
