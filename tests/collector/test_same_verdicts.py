"""The collector and `pulse produce` judge the same bad events alike (field and reason)."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from tests.collector.conftest import Running
from tests.e2e.harness import pulse
from tests.fuzz.lines import bad_lines

pytestmark = [pytest.mark.kafka, pytest.mark.redis]

LINES = 450
_REPORT = re.compile(r"^line (\d+): field (\S*): (\S+)", re.M)


def test_bad_lines_get_the_verdicts_of_pulse_produce(collector: Running, tmp_path: Path) -> None:
    """Every bad line is refused by both; where produce names a field, the collector names the
    same field and reason."""
    lines = bad_lines(int(time.time() * 1000), LINES)
    path = tmp_path / "bad.jsonl"
    path.write_text(
        "".join(line + "\n" for line in lines), encoding="utf-8", errors="surrogatepass"
    )
    produced = pulse(collector.settings, "produce", "--quiet", str(path), check=False)
    assert f"sent 0 event(s), rejected {len(lines)} line(s)" in produced.stdout, produced.stderr
    by_produce = {int(n): (f, r) for n, f, r in _REPORT.findall(produced.stderr)}
    assert len(by_produce) > LINES // 2
    for number, line in enumerate(lines, start=1):
        answer = collector.client.post(
            "/v1/events",
            content=line.encode("utf-8", errors="surrogatepass"),
            headers=collector.bearer("acme"),
        )
        assert answer.status_code in (400, 422), (line[:200], answer.text)
        if number in by_produce:
            assert answer.status_code == 422
            [fate] = answer.json()["results"]
            assert (fate["field"], fate["reason"]) == by_produce[number], line[:200]
