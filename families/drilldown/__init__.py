"""Drill-down: the rows behind a figure (events, conversations, sessions), page by page."""
