"""The code stays ruff-clean and mypy-strict; CI runs these with the rest of the suite."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=REPO, capture_output=True, text=True, timeout=600, check=False)


def test_ruff_finds_nothing() -> None:
    """ruff's lint rules and formatter agree with every Python file of the repository."""
    lint = run(str(BIN / "ruff"), "check", ".")
    assert lint.returncode == 0, lint.stdout + lint.stderr
    fmt = run(str(BIN / "ruff"), "format", "--check", ".")
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr


def test_package_is_mypy_strict() -> None:
    """mypy --strict passes on the whole `pulse` package (through `make typecheck`)."""
    result = run("make", "--no-print-directory", "typecheck")
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
