"""The dashboard record: what is written to the topic reads back equal, and a bad one is refused."""

from __future__ import annotations

import pytest

from pulse.dashboards.errors import InvalidDashboardError
from pulse.dashboards.model import Dashboard, Position, Widget


def board(**changes: object) -> Dashboard:
    fields: dict[str, object] = {
        "dashboard_id": "d1",
        "tenant_id": "acme",
        "name": "overview",
        "visibility": "org_unit",
        "org_unit": "north",
        "created_by": "ana",
        "created_ms": 1,
        "updated_ms": 2,
        "filters": {"channel": "email"},
        "widgets": (
            Widget("w1", "Sent", "number", "{ __typename }", {"x": 1}, "last_7d", Position(6, 1)),
        ),
    }
    fields.update(changes)
    return Dashboard(**fields)  # type: ignore[arg-type]


def test_a_record_reads_back_equal() -> None:
    """to_json then from_json gives the same dashboard, widgets and layout included."""
    made = board()
    assert Dashboard.from_json(made.to_json()) == made


@pytest.mark.parametrize(
    "value",
    [b"not json", b"{}", b'{"dashboard_id": "d1"}', board(name="ok").to_json().replace(b"ok", b"")],
)
def test_a_bad_record_is_refused(value: bytes) -> None:
    """A record that is not a valid dashboard raises InvalidDashboardError, never anything else."""
    with pytest.raises(InvalidDashboardError):
        Dashboard.from_json(value)


def test_a_private_dashboard_needs_an_author() -> None:
    """Without created_by nobody could ever see a private dashboard, so it is refused."""
    with pytest.raises(InvalidDashboardError) as raised:
        board(visibility="private", org_unit=None, created_by="")
    assert raised.value.field == "visibility"
