"""The eight messaging counters of METRICS.md §3, in the one order every part uses.

The worker folds ``message.<name>`` events into them, the sink's ``messaging_counters`` table
has a column for each, and the API sums and rates them.
"""

COUNTERS = (
    "sent",
    "delivered",
    "read",
    "clicked",
    "failed",
    "complained",
    "unsubscribed",
    "received",
)
