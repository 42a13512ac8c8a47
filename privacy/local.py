"""Where a privacy or retention command runs: here, or in the process that owns the ClickHouse.

With a ClickHouse server, or an embedded directory no process holds, the command opens the store
itself; while ``pulse serve`` holds the embedded directory, it asks that process over HTTP.
"""

from __future__ import annotations

import sys
from pathlib import Path

from pulse.recalc_cli import directory_in_use
from pulse.settings import Settings


def held_by_server(settings: Settings) -> bool:
    """Whether the embedded ClickHouse of ``settings`` is open in another process (and the
    command must ask ``pulse serve``); says so on stderr."""
    url = settings.clickhouse.url
    held = url.startswith("chdb://") and directory_in_use(Path(url.removeprefix("chdb://")))
    if held:
        print(f"note: {url} is in use; asking the serving process", file=sys.stderr)
    return held
