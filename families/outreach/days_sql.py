"""What an ``outreach_days`` row is: the one ``SELECT`` the migration's backfill and the
derivation's refresh both run.

A row sums one UTC day of ``messaging_slots`` for a campaign, template and channel (org unit,
workflow and sequence summed away), so a ranking over 30 days reads about a row per live
campaign and day instead of one per slot and dimension combination.
"""

from __future__ import annotations

from pulse.families.messaging.model import COUNTS

COLUMNS = ("tenant_id", "day", "campaign_id", "template_id", "channel", *COUNTS, "version")


def day_counts_sql(slots_table: str, where: str = "") -> str:
    """The rows of the days of ``slots_table`` (``FINAL``) that ``where`` (``AND …``) keeps;
    the version is the statement's clock, so a later recomputation wins."""
    sums = ", ".join(f"sum({c}) AS {c}" for c in COUNTS)
    return (
        f"SELECT tenant_id, toStartOfDay(slot) AS day, campaign_id, template_id, channel, {sums},"
        " toUInt64(toUnixTimestamp64Micro(now64(6))) AS version"
        f" FROM {slots_table} FINAL"
        f" WHERE (campaign_id != '' OR template_id != '') {where}"
        " GROUP BY tenant_id, day, campaign_id, template_id, channel"
    )
