"""Figures as the API publishes them, computed in SQL, so that rows are ranked by what they
show: two rows showing the same rate or mean tie, and ties go to the smaller key.

``round`` of a ``Decimal`` rounds half away from zero, as ``pulse.graphql.numbers`` does; the
division truncates at 10 decimals, which never moves a value across a rounding half (the half
itself has fewer decimals).
"""

from __future__ import annotations


def rate_sql(numerator: str, denominator: str) -> str:
    """The published rate (percent, 2 decimals) of two count expressions, NULL over 0."""
    return (
        f"if(({denominator}) = 0, NULL,"
        f" round(toDecimal128({numerator}, 10) * 100 / ({denominator}), 2))"
    )


def mean_sql(total: str, count: str, per: int = 1) -> str:
    """The published mean (3 decimals) of ``count`` values summing to ``total``, in units of
    ``per`` (1000: milliseconds shown as seconds), NULL when there are none."""
    return f"if(({count}) = 0, NULL, round(toDecimal128({total}, 10) / ({count}) / {per}, 3))"
