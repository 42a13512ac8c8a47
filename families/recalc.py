"""Recomputes, or checks, the derived rows of a range from ``events_raw`` (``pulse recalc``).

For each chosen :class:`~pulse.families.derivation.Derivation` it walks the keys with raw
events in the range (``keys_in``, chunk by chunk) and either refreshes them or, to verify,
lists where the stored rows differ from a recomputation (writing nothing). It reports as it goes,
as a stream of events, so the same stream can drive a progress bar in this process or travel as
NDJSON from the process that owns an embedded ClickHouse (``pulse.graphql.recalc_route``).

Safe while the stream runs: a refresh writes absolute rows recomputed from everything stored,
versioned by the moment of the read, so it can neither double count nor go back in time behind
a refresh of the sink that saw more events.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from pulse.cli_instants import parse_option_instant
from pulse.families.derivation import Derivation, Difference
from pulse.families.errors import FamilyError
from pulse.sinks.clickhouse import ClickHouse


class RecalcError(FamilyError):
    """A recalculation could not run, or did not finish."""

    code = "recalc_error"


class BadRecalcRequestError(RecalcError):
    """The request itself is wrong (an instant, an empty range, a family); nothing was done."""

    code = "bad_recalc_request"


@dataclass(frozen=True)
class RecalcRequest:
    """What to recompute: a tenant (or all), ``[from_ms, to_ms)`` (open ends: everything),
    some families (none named: all), and whether only to compare."""

    tenant_id: str | None = None
    from_ms: int | None = None
    to_ms: int | None = None
    families: tuple[str, ...] = ()
    verify: bool = False

    def check(self) -> None:
        if self.tenant_id == "":
            raise BadRecalcRequestError("--tenant must not be empty", option="--tenant")
        if self.from_ms is not None and self.to_ms is not None and self.from_ms >= self.to_ms:
            raise BadRecalcRequestError(
                "--from must be before --to", from_ms=self.from_ms, to_ms=self.to_ms
            )


@dataclass(frozen=True)
class ChunkDone:
    """One chunk of keys refreshed (``rows`` written) or verified (``differences`` found)."""

    family: str
    keys: int
    rows: int
    differences: tuple[Difference, ...] = ()


@dataclass(frozen=True)
class FamilyDone:
    """A family's summary, once all its chunks are done."""

    family: str
    keys: int
    rows: int
    differences: int
    seconds: float


Event = ChunkDone | FamilyDone


def parse_instant(text: str, option: str) -> int:
    """Milliseconds since the epoch of an ISO-8601 date or date-time; UTC unless it has a zone."""
    return parse_option_instant(text, option, BadRecalcRequestError)


def choose(derivations: Sequence[Derivation], names: Sequence[str]) -> list[Derivation]:
    """The derivations named (all of them when none is), in registry order."""
    known = {d.name: d for d in derivations}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise BadRecalcRequestError(
            f"unknown family {unknown[0]!r}; known: {', '.join(known) or '(none registered)'}",
            family=unknown[0],
        )
    return [d for d in derivations if not names or d.name in names]


def recalc(
    db: ClickHouse,
    derivations: Sequence[Derivation],
    request: RecalcRequest,
    clock: Callable[[], float] = time.monotonic,
) -> Iterator[Event]:
    """Refreshes (or verifies) every key of the range, family by family, reporting each chunk
    and then each family's summary. Checks the request before touching anything."""
    request.check()
    chosen = choose(derivations, request.families)
    for derivation in chosen:
        started = clock()
        keys = rows = differences = 0
        chunks = derivation.keys_in(db, request.tenant_id, request.from_ms, request.to_ms)
        for chunk in chunks:
            if not chunk:
                continue
            if request.verify:
                found = tuple(derivation.differences(db, chunk))
                done = ChunkDone(derivation.name, len(chunk), 0, found)
            else:
                done = ChunkDone(derivation.name, len(chunk), derivation.refresh(db, chunk))
            keys += done.keys
            rows += done.rows
            differences += len(done.differences)
            yield done
        yield FamilyDone(derivation.name, keys, rows, differences, clock() - started)
