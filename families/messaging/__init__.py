"""The messaging family (METRICS.md §3 Messaging): counts and rates from 15-minute slot rollups."""
