"""Logging set-up: lines go where stderr is when they are written."""

from __future__ import annotations

import io
import sys

import pytest
import structlog

from pulse.log import configure_logging


def test_log_lines_follow_the_current_stderr(monkeypatch: pytest.MonkeyPatch) -> None:
    """A stream that was stderr at set-up and is closed since (a test's capture) is not written."""
    first = io.StringIO()
    monkeypatch.setattr(sys, "stderr", first)
    configure_logging()
    first.close()
    second = io.StringIO()
    monkeypatch.setattr(sys, "stderr", second)
    structlog.get_logger("pulse.test").info("still heard")
    assert "still heard" in second.getvalue()
