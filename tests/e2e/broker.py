"""A private Kafka broker for a test that must stop and start it (scripts/kafka/kafka.sh).

The shared broker on 9092 serves other engineers' runs, so a broker restart gets a broker of its
own: free ports, data under the test's directory, and the repo's jars (`make services-up` fetches
them into `.local/kafka/libs`) instead of a second download.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from tests.e2e.harness import REPO, free_port

SCRIPT = REPO / "scripts" / "kafka" / "kafka.sh"
LIBS = REPO / ".local" / "kafka" / "libs"


@dataclass
class PrivateBroker:
    local: Path
    port: int = 0
    controller_port: int = 0

    def __post_init__(self) -> None:
        self.port = self.port or free_port()
        self.controller_port = self.controller_port or free_port()

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> None:
        """Start (formatting the storage the first time) and wait until it answers."""
        self._run("start")

    def stop(self) -> None:
        """A clean stop (SIGTERM, SIGKILL after 30 s), as a rolling restart does."""
        self._run("stop")

    def _run(self, action: str) -> None:
        env = {
            **os.environ,
            "KAFKA_PORT": str(self.port),
            "KAFKA_CONTROLLER_PORT": str(self.controller_port),
            "PULSE_LOCAL": str(self.local),
            "KAFKA_LIBS": str(LIBS),
        }
        done = subprocess.run(
            [str(SCRIPT), action], env=env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, f"kafka.sh {action} failed:\n{done.stdout}{done.stderr}"
