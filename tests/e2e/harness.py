"""Runs the real processes of the pipeline for end-to-end tests: `pulse worker` and `pulse serve`.

Each runs as a subprocess with the test's settings passed as PULSE_* variables, exactly as a user
would run them, so a test can SIGKILL one and start it again.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import jwt
from confluent_kafka import Consumer, ConsumerGroupState, KafkaException, TopicPartition
from confluent_kafka.admin import AdminClient

from pulse.settings import Settings

REPO = Path(__file__).resolve().parents[2]
DOMAIN_TOPICS = ("events.conversations", "events.outreach", "events.web", "events.contacts")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def env_for(settings: Settings, **extra: str) -> dict[str, str]:
    """The environment that rebuilds ``settings`` in a child process."""
    return {**os.environ, **settings.to_env(), "PULSE_LOG_LEVEL": "WARNING", **extra}


def pulse(settings: Settings, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run one `pulse` command to completion."""
    return subprocess.run(
        [sys.executable, "-m", "pulse", *args],
        cwd=REPO,
        env=env_for(settings),
        capture_output=True,
        text=True,
        check=check,
        timeout=600,
    )


@dataclass
class Process:
    name: str
    args: list[str]
    settings: Settings
    log: Path
    popen: subprocess.Popen[bytes] | None = None

    def start(self, env: Mapping[str, str] | None = None) -> None:
        """Start the process; ``env`` adds variables to this run only (a fault point)."""
        with self.log.open("ab") as log:
            self.popen = subprocess.Popen(
                [sys.executable, "-m", "pulse", *self.args],
                cwd=REPO,
                env=env_for(self.settings, **(env or {})),
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def exited(self) -> int | None:
        """The exit code if the process has ended (negative: the signal that ended it)."""
        return self.popen.poll() if self.popen else None

    def wait_exit(self, timeout: float) -> int:
        """Until the process ends; its exit code. Fails with the log's tail if it does not."""
        assert self.popen is not None
        try:
            return self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired as exc:
            message = f"{self.name} still runs after {timeout} s:\n{self.tail()}"
            raise AssertionError(message) from exc

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]

    def kill(self) -> None:
        """SIGKILL: no clean-up, no flush, no commit."""
        if self.popen and self.popen.poll() is None:
            self.popen.send_signal(signal.SIGKILL)
            self.popen.wait(timeout=30)

    def stop(self) -> None:
        if self.popen and self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.kill()

    def assert_alive(self) -> None:
        assert self.popen is not None
        code = self.popen.poll()
        if code is not None:
            raise AssertionError(f"{self.name} exited with {code}:\n{self.tail()}")


def fault_env(point: str, after: int, marker: Path) -> dict[str, str]:
    """The variables that make a process SIGKILL itself at ``point``'s ``after``-th hit."""
    return {
        "PULSE_FAULT_POINT": point,
        "PULSE_FAULT_AFTER": str(after),
        "PULSE_FAULT_MARKER": str(marker),
    }


@dataclass
class Pipeline:
    settings: Settings
    workdir: Path
    worker: Process = field(init=False)
    serve: Process = field(init=False)

    def __post_init__(self) -> None:
        self.worker = Process("worker", ["worker"], self.settings, self.workdir / "worker.log")
        self.serve = Process("serve", ["serve"], self.settings, self.workdir / "serve.log")

    def topics(self, names: Iterable[str] = DOMAIN_TOPICS) -> list[str]:
        return [self.settings.topic(n) for n in names]

    def lag(self, group: str, topics: Iterable[str]) -> int:
        """Messages of ``topics`` that ``group`` has not committed yet."""
        consumer = Consumer(
            {"bootstrap.servers": self.settings.kafka.bootstrap_servers, "group.id": group}
        )
        try:
            total = 0
            parts: list[TopicPartition] = []
            for topic in topics:
                meta = consumer.list_topics(topic, timeout=10).topics[topic]
                parts += [TopicPartition(topic, p) for p in meta.partitions]
            committed = consumer.committed(parts, timeout=10)
            for tp in committed:
                _, high = consumer.get_watermark_offsets(
                    TopicPartition(tp.topic, tp.partition), timeout=10
                )
                total += max(0, high - max(tp.offset, 0))
            return total
        finally:
            consumer.close()

    def end_offsets(self, topics: Iterable[str]) -> int:
        """The sum of the high watermarks of ``topics``' partitions."""
        consumer = Consumer(
            {"bootstrap.servers": self.settings.kafka.bootstrap_servers, "group.id": "probe"}
        )
        try:
            total = 0
            for topic in topics:
                meta = consumer.list_topics(topic, timeout=10).topics[topic]
                for p in meta.partitions:
                    _, high = consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)
                    total += high
            return total
        finally:
            consumer.close()

    def wait_caught_up(
        self,
        timeout: float = 600,
        processes: Iterable[Process] | None = None,
        restart: bool = False,
    ) -> list[str]:
        """Until the worker has committed every input and the sink every hand-off batch.

        ``processes`` (the worker and serve by default) must stay alive; with ``restart`` one
        that exits is started again, as a supervisor would, and the exits are returned.
        """
        watched = list(processes or (self.worker, self.serve))
        exits: list[str] = []
        last_error: KafkaException | None = None
        deadline = time.monotonic() + timeout
        rows = [self.settings.topic("rows")]
        while time.monotonic() < deadline:
            for process in watched:
                code = process.exited()
                if code is not None and restart:
                    exits.append(f"{process.name} exited with {code}")
                    process.start()
                else:
                    process.assert_alive()
            try:
                if self.lag(self.settings.stream.app_id, self.topics()) == 0:
                    time.sleep(1.0)  # let a final hand-off batch reach the sink's topic
                    if self.lag(self.settings.sink.group_id, rows) == 0:
                        return exits
            except KafkaException as exc:
                # A restarted broker answers NOT_COORDINATOR while it loads the offsets topic.
                last_error = exc
            time.sleep(1.0)
        raise AssertionError(f"pipeline did not catch up in {timeout} s ({last_error!r})")

    def wait_members(self, group: str, count: int, timeout: float = 120) -> None:
        """Until ``group`` is stable with ``count`` members that each own partitions."""
        admin = AdminClient({"bootstrap.servers": self.settings.kafka.bootstrap_servers})
        deadline = time.monotonic() + timeout
        owning = 0
        while time.monotonic() < deadline:
            description = admin.describe_consumer_groups([group])[group].result(timeout=10)
            owning = sum(1 for m in description.members if m.assignment.topic_partitions)
            if description.state == ConsumerGroupState.STABLE and owning == count:
                return
            time.sleep(0.5)
        raise AssertionError(f"{group} has {owning} members owning partitions, not {count}")

    def token(self, tenant: str) -> str:
        claims = {"tenant_id": tenant, "exp": int(time.time()) + 3600}
        return jwt.encode(claims, self.settings.api.jwt_secret, algorithm="HS256")

    def graphql(self, tenant: str, query: str, variables: Mapping[str, Any]) -> dict[str, Any]:
        url = f"http://127.0.0.1:{self.settings.api.port}/graphql"
        response = httpx.post(
            url,
            json={"query": query, "variables": dict(variables)},
            headers={"Authorization": f"Bearer {self.token(tenant)}"},
            timeout=60,
        )
        body: dict[str, Any] = response.json()
        return body

    def wait_api(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.serve.assert_alive()
            try:
                httpx.get(f"http://127.0.0.1:{self.settings.api.port}/health", timeout=5)
                return
            except httpx.HTTPError:
                time.sleep(0.5)
        raise AssertionError("the API did not answer")

    def stop(self) -> None:
        self.worker.stop()
        self.serve.stop()
