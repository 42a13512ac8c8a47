"""What ``pulse recalc`` shows: a progress bar per family while it runs, then a summary and, when
verifying, every difference (as a table, or as one JSON document with ``--json``)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, TextIO

from tqdm import tqdm

from pulse.families.derivation import Difference
from pulse.families.recalc import ChunkDone, Event, FamilyDone, RecalcError, RecalcRequest
from pulse.families.recalc_wire import difference_to_json, plain, request_to_json

_HEADER = ("family", "table", "key", "column", "stored", "recomputed")


@dataclass
class Summary:
    """Every family's totals and, when verifying, every difference found."""

    families: list[FamilyDone] = field(default_factory=list)
    differences: list[tuple[str, Difference]] = field(default_factory=list)


def follow(
    events: Iterable[Event], families: Sequence[str], bar_file: TextIO, quiet: bool
) -> Summary:
    """Consumes ``events`` with a progress bar (keys done) per family; the summary once every
    family in ``families`` has reported its end, else :class:`RecalcError`."""
    summary = Summary()
    bar: tqdm[Any] | None = None
    rows = 0
    try:
        for event in events:
            if bar is None:
                bar = tqdm(desc=event.family, unit="key", file=bar_file, disable=quiet)
                rows = 0
            if isinstance(event, ChunkDone):
                rows += event.rows
                summary.differences.extend((event.family, d) for d in event.differences)
                bar.set_postfix(rows=rows, differences=len(summary.differences), refresh=False)
                bar.update(event.keys)
            else:
                summary.families.append(event)
                bar.close()
                bar = None
    finally:
        if bar is not None:
            bar.close()
    done = {f.family for f in summary.families}
    missing = [f for f in families if f not in done]
    if missing:
        raise RecalcError(
            f"the recalculation stopped before family {missing[0]!r} finished", family=missing[0]
        )
    return summary


def print_text(summary: Summary, verify: bool, out: TextIO) -> None:
    if verify and summary.differences:
        rows = [_HEADER, *(_cells(family, d) for family, d in summary.differences)]
        widths = [max(len(row[i]) for row in rows) for i in range(len(_HEADER))]
        for row in rows:
            print(
                "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip(),
                file=out,
            )
    for done in summary.families:
        if verify:
            what = f"{done.keys:,} keys checked, {done.differences:,} differ"
        else:
            what = f"{done.keys:,} keys, {done.rows:,} rows written"
        print(f"{done.family}: {what}, {done.seconds:.1f} s", file=out)
    if not summary.families:
        print("no family to recompute (none registered or chosen)", file=out)


def as_json(summary: Summary, request: RecalcRequest) -> dict[str, Any]:
    return {
        "request": request_to_json(request),
        "families": [
            {
                "family": f.family,
                "keys": f.keys,
                "rows": f.rows,
                "differences": f.differences,
                "seconds": round(f.seconds, 3),
            }
            for f in summary.families
        ],
        "differences": [difference_to_json(family, d) for family, d in summary.differences],
    }


def print_json(summary: Summary, request: RecalcRequest, out: TextIO) -> None:
    print(json.dumps(as_json(summary, request)), file=out)


def _cells(family: str, d: Difference) -> tuple[str, ...]:
    key = ", ".join(str(part) for part in plain(d.key))
    return (family, d.table, key, d.column, _text(d.stored), _text(d.recomputed))


def _text(value: Any) -> str:
    return "null" if value is None else str(plain(value))
