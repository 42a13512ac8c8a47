"""The workflows/sequences/automation dataset of the end-to-end test.

Two tenants (Lisbon, Kolkata) reusing the same workflow, run, sequence, enrollment and flow ids.
Random runs (completed, with or without a goal, failed, still going, ending after ``AS_OF``),
enrollments (steps with and without a number, replies that stop them, completions before and
after ``AS_OF``, never ending) and automation events (with and without a channel) between 20
October and 3 November 2026, plus events in Lisbon's two 01:00 hours of 25 October and around a
Kolkata midnight; ~5 % of events published twice; instants written with assorted offsets.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone

TENANTS = (("of-lisbon", "Europe/Lisbon"), ("of-kolkata", "Asia/Kolkata"))
WORKFLOWS = ("wf-1", "wf-2", "wf-3")
SEQUENCES = ("sq-1", "sq-2")
FLOWS = ("fl-1", "fl-2", "fl-3")
NAMES = {"wf-1": ("Onboarding", "Onboarding v2"), "wf-2": ("Winback",), "wf-3": ()}
START = datetime(2026, 10, 20, tzinfo=UTC)
SPAN = timedelta(days=14)
AS_OF = datetime(2026, 10, 30, tzinfo=UTC)
# Instants around a local oddity: Lisbon's repeated 01:00 hour, a Kolkata midnight.
ODD = (
    datetime(2026, 10, 25, 0, 30, tzinfo=UTC),
    datetime(2026, 10, 25, 1, 30, tzinfo=UTC),
    datetime(2026, 10, 25, 18, 29, tzinfo=UTC),
    datetime(2026, 10, 25, 18, 31, tzinfo=UTC),
)


@dataclass
class FlowsDataset:
    seed: int = 8
    per_tenant: int = 40
    duplicate_rate: float = 0.05
    events: list[dict[str, object]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)
        for tenant, _ in TENANTS:
            for i in range(self.per_tenant):
                self._run(tenant, f"run-{i:03d}", self._when())
                self._enrollment(tenant, f"enr-{i:03d}", self._when())
                self._automation(tenant, self._when())
                self._automation(tenant, self._when())
            for i, at in enumerate(ODD):
                self._run(tenant, f"odd-{i}", at)
                self._enrollment(tenant, f"odd-{i}", at)
                self._automation(tenant, at)
        copies = [dict(e) for e in self.events if self._rng.random() < self.duplicate_rate]
        self.events += copies
        self._rng.shuffle(self.events)

    def _when(self) -> datetime:
        return START + self._rng.random() * SPAN

    def _later(self, at: datetime, hours: float = 30) -> datetime:
        return at + timedelta(hours=self._rng.random() * hours)

    def _emit(self, tenant: str, kind: str, at: datetime, **fields: object) -> None:
        at = at.replace(microsecond=at.microsecond // 1000 * 1000)
        offset = timezone(timedelta(minutes=self._rng.choice((0, 60, -180, 330))))
        event: dict[str, object] = {
            "event_id": str(uuid.UUID(int=self._rng.getrandbits(128), version=4)),
            "tenant_id": tenant,
            "event_type": kind,
            "occurred_at": at.astimezone(offset).isoformat(timespec="milliseconds"),
        }
        event.update({k: v for k, v in fields.items() if v is not None})
        self.events.append(event)

    def _run(self, tenant: str, run: str, at: datetime) -> None:
        rng = self._rng
        workflow = rng.choice(WORKFLOWS)
        names = NAMES[workflow]
        name = rng.choice(names) if names and rng.random() < 0.7 else None
        ids = {"workflow_id": workflow, "run_id": run}
        self._emit(tenant, "workflow.run_started", at, name=name, **ids)
        fate = rng.random()
        if fate < 0.5:
            done = self._later(at)
            self._emit(tenant, "workflow.run_completed", done, **ids)
            if rng.random() < 0.5:
                self._emit(tenant, "workflow.goal_reached", self._later(done, 2), **ids)
        elif fate < 0.75:
            self._emit(tenant, "workflow.run_failed", self._later(at), **ids)
        elif fate < 0.85:
            self._emit(tenant, "workflow.run_completed", AS_OF + timedelta(days=1), **ids)

    def _enrollment(self, tenant: str, enrollment: str, at: datetime) -> None:
        rng = self._rng
        ids = {"sequence_id": rng.choice(SEQUENCES), "enrollment_id": enrollment}
        self._emit(tenant, "sequence.enrolled", at, **ids)
        step_at = at
        for step in range(1, rng.randint(1, 4) + 1):
            step_at = self._later(step_at, 10)
            numbered = step if rng.random() < 0.85 else None
            self._emit(tenant, "sequence.step_executed", step_at, step_number=numbered, **ids)
            if rng.random() < 0.2:
                self._emit(
                    tenant, "sequence.replied", self._later(step_at, 3), step_number=numbered, **ids
                )
                return
        fate = rng.random()
        if fate < 0.5:
            self._emit(tenant, "sequence.completed", self._later(step_at), **ids)
        elif fate < 0.7:
            self._emit(tenant, "sequence.completed", AS_OF + timedelta(hours=5), **ids)

    def _automation(self, tenant: str, at: datetime) -> None:
        rng = self._rng
        kind = "automation.failed" if rng.random() < 0.3 else "automation.executed"
        channel = rng.choice(("email", "sms", None))
        self._emit(tenant, kind, at, flow_id=rng.choice(FLOWS), channel=channel)
