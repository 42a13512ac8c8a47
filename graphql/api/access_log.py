"""uvicorn's access log without bearer tokens.

The access log is kept (who asked for what, and its status), but a ``token=`` in a query
string is replaced by ``[redacted]`` before any handler sees the line: a dashboard page opened
as ``/dashboards/{id}?token=…`` (which its script then moves to the fragment) would otherwise
put a working token in every log store. Authorization headers are never logged.
"""

from __future__ import annotations

import logging
import re

ACCESS_LOGGER = "uvicorn.access"
_TOKEN = re.compile(r"([?&](?:access_)?token=)[^&#\s\"]*", re.IGNORECASE)


def redacted(line: str) -> str:
    return _TOKEN.sub(r"\1[redacted]", line)


class TokenRedactor(logging.Filter):
    """Rewrites the string arguments of uvicorn's access records (their path among them)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(redacted(a) if isinstance(a, str) else a for a in record.args)
        return True


def redact_access_log() -> None:
    """Installs the redaction on uvicorn's access logger, once per process."""
    access = logging.getLogger(ACCESS_LOGGER)
    if not any(isinstance(f, TokenRedactor) for f in access.filters):
        access.addFilter(TokenRedactor())
