"""``pulse lag``: how far the worker and the sink are behind, from their committed offsets.

With ``--wait`` it returns once the worker's group has committed every domain topic and then the
sink's group every hand-off message (``make demo`` waits on it), or fails after ``--timeout``.
The worker commits a batch only after its rows are in ``pulse.rows``, so once its lag is 0 the
sink has everything it will get.
"""

from __future__ import annotations

import argparse
import sys
import time

from pulse.lag import committed_lag
from pulse.settings import Settings
from pulse.topics.declarations import default_declarations

REQUEST_TIMEOUT_SECONDS = 10.0
POLL_SECONDS = 1.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--wait", action="store_true", help="wait until both lags are 0 (worker first, then sink)"
    )
    parser.add_argument(
        "--timeout", type=float, default=300.0, help="seconds --wait waits (default %(default)s)"
    )


def stages(settings: Settings) -> list[tuple[str, list[str]]]:
    """Each consumer group of the pipeline with its input topics, in pipeline order."""
    domain = [settings.topic(spec.name) for spec in default_declarations().domain_topics()]
    return [
        (settings.stream.app_id, domain),
        (settings.sink.group_id, [settings.topic("rows")]),
    ]


def lag_of(settings: Settings, group: str, topics: list[str]) -> int:
    lags = committed_lag(settings.kafka.bootstrap_servers, group, topics, REQUEST_TIMEOUT_SECONDS)
    return sum(lags.values())


def run(args: argparse.Namespace, settings: Settings) -> int:
    if not args.wait:
        for group, topics in stages(settings):
            print(f"{group}: {lag_of(settings, group, topics)} messages behind")
        return 0
    deadline = time.monotonic() + args.timeout
    for group, topics in stages(settings):
        while (lag := lag_of(settings, group, topics)) > 0:
            if time.monotonic() >= deadline:
                print(
                    f"{group} is still {lag} messages behind after {args.timeout:g} s",
                    file=sys.stderr,
                )
                return 1
            time.sleep(POLL_SECONDS)
        print(f"{group}: caught up")
    return 0
