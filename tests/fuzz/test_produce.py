"""`pulse produce` on thousands of bad lines among good ones, run as the real command.

Every bad line is reported once, with its number; the good lines are published; the exit code is
1 as documented; no traceback.
"""

from __future__ import annotations

import json
import random
import re
import time
from pathlib import Path

import pytest

from pulse.avro.codec import EventDecoder
from pulse.settings import Settings
from tests.e2e.harness import DOMAIN_TOPICS, pulse
from tests.fuzz import lines
from tests.fuzz.pipeline import fuzz_settings, good_events, read_topics
from tests.fuzz.strategies import CATALOG, draw_many

pytestmark = [pytest.mark.kafka]

BAD_LINES = 2_700
BAD_BOUNDS = 300
GOOD_LINES = 500
_REPORT = re.compile(r"^line (\d+): ", re.M)


def run_produce(settings: Settings, tmp_path: Path, bad: list[str]) -> tuple[set[int], list[str]]:
    """Writes good and bad lines shuffled (fixed seed), runs `pulse produce`, checks the
    outcome shared by every file; returns the bad line numbers and the good event ids."""
    good = good_events(GOOD_LINES, int(time.time() * 1000))
    tagged = [(True, json.dumps(e)) for e in good] + [(False, line) for line in bad]
    random.Random(7).shuffle(tagged)
    path = tmp_path / "fuzz.jsonl"
    path.write_text("".join(line + "\n" for _, line in tagged), encoding="utf-8")
    result = pulse(settings, "produce", "--quiet", str(path), check=False)
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    assert result.returncode == 1, result.stderr[-3000:]
    assert f"sent {len(good)} event(s), rejected {len(bad)} line(s)" in result.stdout
    reported = [int(n) for n in _REPORT.findall(result.stderr)]
    want = {n for n, (ok, _) in enumerate(tagged, start=1) if not ok}
    assert len(reported) == len(set(reported)), "a line is reported twice"
    assert set(reported) == want
    return want, [str(e["event_id"]) for e in good]


def assert_only_good_published(settings: Settings, good_ids: list[str]) -> None:
    decoder = EventDecoder(CATALOG)
    published = read_topics(settings, [settings.topic(t) for t in DOMAIN_TOPICS])
    assert sorted(decoder.decode(m.value())["event_id"] for m in published) == sorted(good_ids)


def test_every_bad_line_is_reported_and_only_good_lines_are_published(
    settings: Settings, kafka: str, tmp_path: Path
) -> None:
    """2,700 lines of bad JSON, non-objects, wrong types, missing fields, refused values,
    unknown types and versions, malformed instants, lone surrogates and events over 1 MB."""
    settings = fuzz_settings(settings)
    pulse(settings, "topics", "apply")
    now_ms = int(time.time() * 1000)
    bad = [
        *lines.bad_lines(now_ms, BAD_LINES),
        *lines.oversized_lines(now_ms),
        *lines.corpus_lines(),
    ]
    _, good_ids = run_produce(settings, tmp_path, bad)
    assert_only_good_published(settings, good_ids)


def test_instants_out_of_bounds_are_reported_by_line_and_field(
    settings: Settings, kafka: str, tmp_path: Path
) -> None:
    """Well-formed instants before 2000 or after now plus a day are line errors of occurred_at."""
    settings = fuzz_settings(settings)
    pulse(settings, "topics", "apply")
    bad = draw_many(lines.out_of_bounds_instants(int(time.time() * 1000)), BAD_BOUNDS)
    _, good_ids = run_produce(settings, tmp_path, bad)
    assert_only_good_published(settings, good_ids)
