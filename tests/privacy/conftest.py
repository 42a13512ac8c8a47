"""Fixtures of the privacy tests."""

from tests.families.events import db

__all__ = ["db"]
