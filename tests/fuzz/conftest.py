"""The API fixtures of tests/graphql (a real chdb with known rows, a test client) for the fuzz."""

from tests.graphql.conftest import clickhouse, client, settings, store, tenants

__all__ = ["clickhouse", "client", "settings", "store", "tenants"]
