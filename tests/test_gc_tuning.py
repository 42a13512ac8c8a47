"""The collector settings of the worker and sink processes."""

from __future__ import annotations

import subprocess
import sys

from tests.e2e.harness import REPO


def test_tuning_raises_the_young_threshold_and_freezes_start_up_objects() -> None:
    """After tune_for_batches, young collections wait for 200k objects and start-up objects are
    left out of collections (checked in a child process: the settings are process-wide)."""
    code = (
        "import gc; from pulse.gc_tuning import tune_for_batches; "
        "old = gc.get_threshold(); tune_for_batches(); new = gc.get_threshold(); "
        "print(new[0], new[1:] == old[1:], gc.get_freeze_count() > 0)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert out.stdout.split() == ["200000", "True", "True"]
