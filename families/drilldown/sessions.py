"""The web sessions behind a web figure: one row per session started in a range.

A session is its entry row in ``web_sessions`` (``is_entry``), which carries the session's start,
page views, length, pages and entry attributes (``families/web/sessions_sql``); the web filters
read as they do for the session figures (``filters_sql.session_filter``), and a bounce is the
figures' own rule (``figures_sql.BOUNCE``) under the tenant's engaged events. Read in the table's
key order ``(t, event_id)`` under the tenant.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pulse.families.drilldown.rows import MAX_PAGE, Page, decode, paged
from pulse.families.web.figures_sql import BOUNCE, FINAL_SETTINGS
from pulse.families.web.filters_sql import filter_params, session_filter
from pulse.families.web.model import Dimension
from pulse.graphql.queries import Reader

KIND = "sessions"
COLUMNS = (
    "session_key",
    "visitor_id",
    "started_at_ms",
    "ended_at_ms",
    "length_ms",
    "page_views",
    "bounce",
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
_KEY = ("started_at_ms", "session_key")

_SQL = f"""
SELECT event_id AS session_key, visitor_id, toUnixTimestamp64Milli(t) AS started_at_ms,
    started_at_ms + length_ms AS ended_at_ms, length_ms, page_views,
    toBool({BOUNCE}) AS bounce, entry_page, referrer, toString(utm_source) AS utm_source,
    toString(utm_medium) AS utm_medium, utm_campaign, toString(device) AS device,
    toString(browser) AS browser, toString(os) AS os, toString(country) AS country
FROM web_sessions FINAL
WHERE tenant_id = {{tenant_id:String}} AND is_entry = 1
  AND t >= fromUnixTimestamp64Milli({{from_ms:Int64}}, 'UTC')
  AND t < fromUnixTimestamp64Milli({{to_ms:Int64}}, 'UTC')
  AND {{filters}} {{after}}
ORDER BY t, event_id
LIMIT {{limit:UInt32}}
{FINAL_SETTINGS}
"""
# The first clause alone is what the primary key can skip granules by.
_AFTER = (
    " AND t >= fromUnixTimestamp64Milli({after_ms:Int64}, 'UTC')"
    " AND (t, event_id) > (fromUnixTimestamp64Milli({after_ms:Int64}, 'UTC'), {after_id:String})"
)


def _none() -> Mapping[Dimension, str]:
    return {}


@dataclass(frozen=True)
class SessionRows:
    """The sessions of ``tenant_id`` started in ``[from_ms, to_ms)`` matching ``filters``."""

    db: Reader
    tenant_id: str
    from_ms: int
    to_ms: int
    engaged: Sequence[str] = ()
    filters: Mapping[Dimension, str] = field(default_factory=_none)
    columns: tuple[str, ...] = COLUMNS

    def page(self, after: str | None, limit: int) -> Page:
        """Up to ``limit`` sessions after the cursor ``after``, earliest started first."""
        params: dict[str, Any] = {
            "tenant_id": self.tenant_id,
            "from_ms": self.from_ms,
            "to_ms": self.to_ms,
            "engaged": list(self.engaged),
            "limit": min(limit, MAX_PAGE) + 1,
            **filter_params(self.filters),
        }
        clause = ""
        if after is not None:
            params["after_ms"], params["after_id"] = decode(KIND, after, (int, str))
            clause = _AFTER
        sql = _SQL.replace("{filters}", session_filter(self.filters)).replace("{after}", clause)
        return paged(KIND, self.db.query(sql, params), min(limit, MAX_PAGE), _KEY)
