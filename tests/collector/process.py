"""`pulse collect` as a real process on a free port, for tests and the benchmark."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import httpx

from pulse.settings import Settings
from tests.e2e.harness import Process, free_port


def with_free_port(settings: Settings) -> Settings:
    return replace(settings, collector=replace(settings.collector, port=free_port()))


@contextmanager
def collect_process(settings: Settings, log: Path, timeout: float = 60) -> Iterator[str]:
    """Starts `pulse collect` and yields its base URL once /health answers; stops it after."""
    process = Process("collect", ["collect"], settings, log)
    process.start()
    url = f"http://127.0.0.1:{settings.collector.port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            process.assert_alive()
            try:
                if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"pulse collect did not answer /health:\n{log.read_text()}")
            time.sleep(0.2)
        yield url
    finally:
        process.stop()
