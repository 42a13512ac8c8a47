"""Applies and rolls back the numbered migrations, recording each move in ``schema_migrations``.

The record is append-only (``applied`` 1 or 0 with a growing ``seq``) so it needs neither
mutations nor FINAL, and it reads the same on chdb and on a server. A migration is recorded only
after all its statements succeeded; statements are written to be re-runnable (``IF NOT EXISTS``),
so a half-applied migration is finished by running ``up`` again.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass

from pulse.sinks import migrations as migrations_package
from pulse.sinks.clickhouse import ClickHouse, identifier
from pulse.sinks.errors import MigrationError

_MODULE = re.compile(r"m(\d{4})_(\w+)")


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    forwards: tuple[str, ...]
    backwards: tuple[str, ...]


@dataclass(frozen=True)
class MigrationState:
    version: int
    name: str
    applied: bool


def discover() -> list[Migration]:
    """Every migration module of :mod:`pulse.sinks.migrations`, by version."""
    found: list[Migration] = []
    for info in pkgutil.iter_modules(migrations_package.__path__):
        match = _MODULE.fullmatch(info.name)
        if not match:
            continue
        module = importlib.import_module(f"{migrations_package.__name__}.{info.name}")
        found.append(
            Migration(
                int(match.group(1)),
                match.group(2),
                tuple(module.FORWARDS),
                tuple(module.BACKWARDS),
            )
        )
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise MigrationError("two migrations share a version number", versions=versions)
    return found


class Migrator:
    """Moves one database's schema up or down the migration sequence."""

    def __init__(
        self,
        client: ClickHouse,
        database: str,
        migrations: Sequence[Migration] | None = None,
    ) -> None:
        self.client = client
        self.database = identifier(database)
        self.migrations = list(discover() if migrations is None else migrations)
        self._bootstrapped = False

    def status(self) -> list[MigrationState]:
        """Each known migration and whether it is applied."""
        applied = self._applied()
        return [MigrationState(m.version, m.name, m.version in applied) for m in self.migrations]

    def up(self, target: int | None = None) -> list[int]:
        """Apply pending migrations up to ``target`` (all when None); the versions applied."""
        applied = self._applied()
        done: list[int] = []
        for migration in self.migrations:
            if migration.version in applied or (target is not None and migration.version > target):
                continue
            self._run(migration.forwards)
            self._record(migration, applied=True)
            done.append(migration.version)
        return done

    def down(self, target: int) -> list[int]:
        """Roll back applied migrations above ``target``, newest first; the versions undone."""
        applied = self._applied()
        done: list[int] = []
        for migration in reversed(self.migrations):
            if migration.version <= target or migration.version not in applied:
                continue
            self._run(migration.backwards)
            self._record(migration, applied=False)
            done.append(migration.version)
        return done

    def _run(self, statements: Sequence[str]) -> None:
        for sql in statements:
            self.client.execute(sql.format(db=self.database))

    def _bootstrap(self) -> None:
        if self._bootstrapped:
            return
        self.client.execute(f"CREATE DATABASE IF NOT EXISTS {self.database}")
        self.client.execute(
            f"""
            CREATE TABLE IF NOT EXISTS {self.database}.schema_migrations
            (
                version UInt32,
                name String,
                applied UInt8,
                seq UInt64,
                recorded_at DateTime64(3, 'UTC')
            )
            ENGINE = MergeTree
            ORDER BY (version, seq)
            """
        )
        self._bootstrapped = True

    def _applied(self) -> set[int]:
        self._bootstrap()
        rows = self.client.query(
            f"SELECT version, argMax(applied, seq) AS applied "
            f"FROM {self.database}.schema_migrations GROUP BY version"
        )
        return {int(r["version"]) for r in rows if r["applied"]}

    def _record(self, migration: Migration, applied: bool) -> None:
        rows = self.client.query(f"SELECT max(seq) AS seq FROM {self.database}.schema_migrations")
        seq = int(rows[0]["seq"] or 0) + 1 if rows else 1
        self.client.insert(
            f"{self.database}.schema_migrations",
            [
                {
                    "version": migration.version,
                    "name": migration.name,
                    "applied": int(applied),
                    "seq": seq,
                    "recorded_at": int(time.time() * 1000),
                }
            ],
            ["version", "name", "applied", "seq", "recorded_at"],
        )
