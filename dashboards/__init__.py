"""Dashboards as data: layouts of widgets, each a saved GraphQL query, kept on ``dashboards``."""
