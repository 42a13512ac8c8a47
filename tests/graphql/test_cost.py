"""The cost estimate of an operation, on the real schema, worked out by hand."""

from __future__ import annotations

from typing import Any

from graphql import parse

from pulse.graphql.cost import estimate
from pulse.graphql.schema import build_schema

SCHEMA = build_schema()._schema
DAY = 'from: "2025-03-10T00:00:00Z", to: "2025-03-11T00:00:00Z"'


def cost(query: str, variables: dict[str, Any] | None = None, max_buckets: int = 10_000) -> int:
    found = estimate(SCHEMA, parse(query), None, variables, max_buckets)
    assert found is not None
    return found


def test_figures_times_buckets_plus_totals() -> None:
    """A day of hours (24 + 1 buckets) x 3 figures, plus 2 totals and a scalar: 78."""
    query = (
        f"{{ messagingMetrics({DAY}, granularity: HOUR) "
        "{ timeZone buckets { sent read failed } totals { sent read } } }"
    )
    assert cost(query) == 25 * 3 + 2 + 1


def test_fragments_and_aliases_count_where_they_are_used() -> None:
    """A fragment spread in two aliased fields counts twice; __typename costs nothing."""
    query = (
        f"query {{ a: messagingMetrics({DAY}, granularity: DAY) {{ ...F }}"
        f" b: messagingMetrics({DAY}, granularity: DAY) {{ ...F __typename }} }}"
        " fragment F on MessagingMetrics { buckets { sent delivered } }"
    )
    assert cost(query) == 2 * (2 * 2)


def test_rows_come_from_first_or_limit_and_stop_at_the_list() -> None:
    """A page of 50 rows x 2 fields costs 100; the list's own bound is used up by it."""
    query = f"{{ eventRows({DAY}, first: 50) {{ hasMore rows {{ eventId channel }} }} }}"
    assert cost(query) == 1 + 50 * 2


def test_variables_set_the_range_and_bad_ones_leave_it_to_execution() -> None:
    """Buckets follow variables; variables that do not coerce give no estimate."""
    query = (
        "query Q($from: DateTime!, $to: DateTime!) "
        "{ messagingMetrics(from: $from, to: $to, granularity: DAY) { buckets { sent } } }"
    )
    week = {"from": "2025-03-01T00:00:00Z", "to": "2025-03-08T00:00:00Z"}
    assert cost(query, week) == 7 + 1
    assert estimate(SCHEMA, parse(query), None, {"from": 5}, 10_000) is None


def test_a_range_over_the_bucket_limit_counts_one_bucket() -> None:
    """The bucket limit refuses such a range with its own error, so the cost does not."""
    query = f"{{ messagingMetrics({DAY}, granularity: HOUR) {{ buckets {{ sent }} }} }}"
    assert cost(query, max_buckets=10) == 1


def test_introspection_costs_nothing() -> None:
    """GraphiQL's schema queries read no ClickHouse."""
    assert cost("{ __schema { types { name fields { name } } } }") == 0
