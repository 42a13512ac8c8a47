"""Numbered ClickHouse migrations: ``mNNNN_<name>.py`` with ``FORWARDS`` and ``BACKWARDS`` lists.

Each is a list of SQL statements; ``{db}`` stands for the database. The same SQL runs on chdb and
on a ClickHouse server. A migration, once committed, is history: change the schema with a new one.
"""
