"""Numbered ClickHouse migrations; each module has ``forwards`` and ``backwards`` SQL."""
