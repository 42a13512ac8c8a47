"""The helpdesk family (METRICS.md §3): conversations, FRT, resolution, SLA, backlog, CSAT."""
