"""Metric families: each one a small unit of its own (tables by migration, query, GraphQL types).

A family computes its historical answers in ClickHouse at query time, in the zone the query
names, from what the sink stores; the API iterates the families, none of its modules names one.
"""
