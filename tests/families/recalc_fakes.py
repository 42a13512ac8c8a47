"""A derivation held in memory, for the logic of ``pulse recalc`` without any table."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pulse.families.derivation import Difference, Key
from pulse.sinks.clickhouse import ClickHouse
from pulse.sinks.errors import ClickHouseError


@dataclass
class FakeDerivation:
    """Keys ``(tenant, n)`` with a raw instant each; ``refresh`` writes ``rows_per_key`` rows a
    key; ``wrong`` keys differ from their recomputation in column ``total``."""

    name: str = "fake"
    keys: dict[Key, int] = field(default_factory=dict)
    chunk: int = 2
    rows_per_key: int = 1
    wrong: set[Key] = field(default_factory=set)
    asked: list[tuple[str | None, int | None, int | None]] = field(default_factory=list)
    refreshed: list[list[Key]] = field(default_factory=list)
    verified: list[list[Key]] = field(default_factory=list)
    fail_after: int | None = None

    def touched(self, raw: Mapping[str, Sequence[Any]]) -> set[Key]:
        return set()

    def keys_in(
        self, db: ClickHouse, tenant_id: str | None, from_ms: int | None, to_ms: int | None
    ) -> Iterator[list[Key]]:
        self.asked.append((tenant_id, from_ms, to_ms))
        chosen = [
            key
            for key, at in sorted(self.keys.items())
            if (tenant_id is None or key[0] == tenant_id)
            and (from_ms is None or at >= from_ms)
            and (to_ms is None or at < to_ms)
        ]
        for start in range(0, len(chosen), self.chunk):
            yield chosen[start : start + self.chunk]

    def refresh(self, db: ClickHouse, keys: Collection[Key]) -> int:
        if self.fail_after is not None and len(self.refreshed) >= self.fail_after:
            raise ClickHouseError("the engine went away", table="fake_rows")
        self.refreshed.append(list(keys))
        return self.rows_per_key * len(keys)

    def differences(self, db: ClickHouse, keys: Collection[Key]) -> list[Difference]:
        self.verified.append(list(keys))
        return [Difference("fake_rows", k, "total", 1, 2) for k in keys if k in self.wrong]


def fake(name: str = "fake", count: int = 5, **options: Any) -> FakeDerivation:
    """``count`` keys of tenant ``acme`` at instants 0, 1000, 2000 … and one of ``globex``."""
    keys: dict[Key, int] = {("acme", f"k{i}"): i * 1000 for i in range(count)}
    keys[("globex", "g0")] = 0
    return FakeDerivation(name=name, keys=keys, **options)
