"""ClickHouse and Redis: migrations, writers, and the sink process that owns them."""
