"""``pulse token`` prints a bearer token the API accepts."""

from __future__ import annotations

import time

import pytest

from pulse.cli import main
from pulse.graphql.auth import verify_token
from pulse.settings import Settings


def test_token_is_signed_for_the_tenant_with_the_ttl(capsys: pytest.CaptureFixture[str]) -> None:
    """The printed token verifies with the configured secret, for the tenant, expiring in 2 h."""
    assert main(["token", "acme", "--ttl-hours", "2"]) == 0
    printed = capsys.readouterr().out.strip()
    claims = verify_token(printed, Settings.from_env().api.jwt_secret)
    assert claims.tenant_id == "acme"
    assert abs(claims.expires_at - (time.time() + 7200)) < 60


def test_non_positive_ttl_is_refused() -> None:
    """A token that is born expired is refused at the command line."""
    with pytest.raises(SystemExit, match="positive"):
        main(["token", "acme", "--ttl-hours", "0"])


def test_roles_org_units_and_subject_are_carried(capsys: pytest.CaptureFixture[str]) -> None:
    """--role and --org-unit repeat into the token's claims; without them it has both roles."""
    argv = ["token", "acme", "--role", "analytics.view", "--org-unit", "n", "--org-unit", "s"]
    assert main([*argv, "--subject", "ana"]) == 0
    secret = Settings.from_env().api.jwt_secret
    claims = verify_token(capsys.readouterr().out.strip(), secret)
    assert (claims.roles, claims.org_units, claims.subject) == (
        frozenset({"analytics.view"}),
        frozenset({"n", "s"}),
        "ana",
    )
    assert main(["token", "acme"]) == 0
    plain = verify_token(capsys.readouterr().out.strip(), secret)
    assert (plain.roles, plain.org_units) == (
        frozenset({"analytics.view", "analytics.manage"}),
        None,
    )


def test_the_pii_role_is_granted_by_name_only(capsys: pytest.CaptureFixture[str]) -> None:
    """--role analytics.pii is carried; a token without --role has view and manage, not pii."""
    argv = ["token", "acme", "--role", "analytics.view", "--role", "analytics.pii"]
    assert main(argv) == 0
    secret = Settings.from_env().api.jwt_secret
    claims = verify_token(capsys.readouterr().out.strip(), secret)
    assert claims.roles == frozenset({"analytics.view", "analytics.pii"})
    assert main(["token", "acme"]) == 0
    assert "analytics.pii" not in verify_token(capsys.readouterr().out.strip(), secret).roles


def test_a_dashboard_token_is_view_only(capsys: pytest.CaptureFixture[str]) -> None:
    """--dashboard mints an embed token: the dashboard claim and the view role alone."""
    assert main(["token", "acme", "--dashboard", "d1", "--ttl-hours", "0.25"]) == 0
    claims = verify_token(capsys.readouterr().out.strip(), Settings.from_env().api.jwt_secret)
    assert (claims.dashboard, claims.roles) == ("d1", frozenset({"analytics.view"}))
    assert abs(claims.expires_at - (time.time() + 900)) < 60
    with pytest.raises(SystemExit, match="view only"):
        main(["token", "acme", "--dashboard", "d1", "--role", "analytics.manage"])
