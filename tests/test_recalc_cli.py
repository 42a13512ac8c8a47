"""``pulse recalc``: arguments, exit codes, progress and summary (an in-memory derivation)."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections.abc import Sequence

import pytest

from pulse.families.derivation import Derivation
from pulse.privacy.windows import RETENTION_KINDS, RetentionPolicy, Window
from pulse.recalc_cli import add_arguments, run
from pulse.settings import ROOT, Settings
from tests.families.recalc_fakes import fake

# The fake derivation's keys sit at the epoch: a retention that still holds them.
KEEP_ALL = RetentionPolicy(dict.fromkeys(RETENTION_KINDS, Window(1000, "y")))


def recalc(settings: Settings, derivations: Sequence[Derivation], *argv: str) -> int:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return run(parser.parse_args(list(argv)), settings, derivations, lambda s: KEEP_ALL)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--from", "last tuesday"], "--from 'last tuesday' is not an ISO-8601"),
        (["--from", "2026-11-02", "--to", "2026-11-01"], "--from must be before --to"),
        (["--from", "2026-11-01T00:00Z", "--to", "2026-11-01"], "--from must be before --to"),
        (["--family", "nope"], "unknown family 'nope'; known: fake"),
        (["--tenant", ""], "--tenant must not be empty"),
    ],
)
def test_bad_arguments_exit_2_with_a_message_and_no_traceback(
    settings: Settings, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    """Unparseable instants, an empty range, an unknown family: exit 2, one clear line."""
    derivation = fake()
    assert recalc(settings, [derivation], *argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {message}") and "Traceback" not in err
    assert derivation.asked == []


def test_the_real_command_refuses_an_unknown_family_with_exit_2() -> None:
    """``pulse recalc --family`` checks the registry before opening anything."""
    command = [sys.executable, "-m", "pulse", "recalc", "--family", "no-such-family"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert done.stderr.startswith("error: unknown family 'no-such-family'"), done.stderr


@pytest.mark.clickhouse
def test_a_refresh_reports_progress_and_a_summary_and_exits_0(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every chunk is refreshed; the bar goes to stderr, the totals to stdout."""
    derivation = fake(count=5, rows_per_key=2)
    assert recalc(settings, [derivation], "--tenant", "acme") == 0
    out, err = capsys.readouterr()
    assert [len(chunk) for chunk in derivation.refreshed] == [2, 2, 1]
    assert "fake: " in err and "5/" not in err
    assert out.startswith("fake: 5 keys, 10 rows written, ")


@pytest.mark.clickhouse
def test_verify_exits_1_on_differences_and_0_without(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    """--verify lists each difference and exits 1; with none it exits 0; nothing is written."""
    wrong = fake(count=3, wrong={("acme", "k1")})
    assert recalc(settings, [wrong], "--verify", "--quiet") == 1
    out = capsys.readouterr().out
    row = ["fake", "fake_rows", "acme,", "k1", "total", "1", "2"]
    assert row in [line.split() for line in out.splitlines()]
    assert "fake: 4 keys checked, 1 differ" in out
    right = fake(count=3)
    assert recalc(settings, [right], "--verify", "--quiet") == 0
    assert "0 differ" in capsys.readouterr().out
    assert wrong.refreshed == [] and right.refreshed == []


@pytest.mark.clickhouse
def test_json_prints_one_document_with_the_request_totals_and_differences(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    """--json: the request as understood, each family's totals, every difference."""
    derivation = fake(count=4, wrong={("acme", "k3")})
    argv = ["--verify", "--json", "--quiet", "--from", "2000-01-01T00:00:01Z"]
    assert recalc(settings, [derivation], *argv) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["request"]["from_ms"] == 946_684_801_000
    assert document["families"][0]["keys"] == 0
    assert document["differences"] == []
    assert recalc(settings, [derivation], "--verify", "--json", "--quiet") == 1
    document = json.loads(capsys.readouterr().out)
    assert [f["keys"] for f in document["families"]] == [5]
    assert [d["key"] for d in document["differences"]] == [["acme", "k3"]]


@pytest.mark.clickhouse
def test_only_the_chosen_families_run(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    """--family narrows the run to the named derivations, each with its own summary line."""
    one, two, three = fake("one", count=1), fake("two", count=1), fake("three", count=1)
    assert recalc(settings, [one, two, three], "--family", "three", "--family", "one") == 0
    out = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in out] == ["one", "three"]
    assert two.asked == []
