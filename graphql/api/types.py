"""The GraphQL types every family shares (Strawberry)."""

from __future__ import annotations

from enum import Enum

import strawberry


@strawberry.enum(description="Bucket size; buckets follow the tenant's time zone.")
class Granularity(Enum):
    HOUR = "hour"
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
