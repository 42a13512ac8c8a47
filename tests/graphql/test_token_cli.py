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
