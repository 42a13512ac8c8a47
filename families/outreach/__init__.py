"""The outreach family (METRICS.md §3 Outreach, seed 001): campaigns, templates, traffic,
workflows, sequences and automation, computed by ClickHouse at query time in the question's zone."""
