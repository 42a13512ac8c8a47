"""Fixtures of the family tests."""

from tests.families.events import db

__all__ = ["db"]
