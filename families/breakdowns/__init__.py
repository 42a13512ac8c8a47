"""Breakdowns: a family's figures grouped by one or two of its dimensions, top N and the rest.

A family declares a :class:`~pulse.families.breakdowns.spec.BreakdownSpec` (its dimensions as
column expressions, its partial aggregates, its sortable figures) and the statement of the rows
its totals are computed from; ``sql`` groups those rows, ``run`` reads the answer back.
"""
