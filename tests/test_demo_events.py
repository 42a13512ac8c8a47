"""``pulse demo-events``: a new dataset each run unless a seed replays one."""

from __future__ import annotations

import json
import time
from pathlib import Path

from pulse.cli import main


def _ids(path: Path) -> set[str]:
    return {json.loads(line)["event_id"] for line in path.read_text().splitlines()}


def test_two_runs_without_a_seed_share_no_event_id_and_a_seed_replays(tmp_path: Path) -> None:
    """Runs without --seed write fresh event ids (a second demo is not all duplicates); the same
    --seed writes the same ids."""
    args = ["demo-events", "--days", "1", "--conversations", "5"]
    first, second, a, b = (tmp_path / f"{n}.jsonl" for n in ("first", "second", "a", "b"))
    assert main([*args, str(first)]) == 0
    time.sleep(1.1)  # seeds default to the run's second: keep the two runs apart
    assert main([*args, str(second)]) == 0
    assert not _ids(first) & _ids(second)
    assert main([*args, "--seed", "3", str(a)]) == main([*args, "--seed", "3", str(b)]) == 0
    assert _ids(a) == _ids(b)
