"""What every resolver gets in ``info.context``: the caller's verified identity and the services."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pulse.graphql.auth import Claims
from pulse.graphql.errors import UnauthenticatedError
from pulse.graphql.queries import Reader
from pulse.graphql.realtime import RealtimeReader


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


@dataclass(frozen=True)
class Services:
    """Shared by all requests of one app."""

    clickhouse: Reader
    realtime: RealtimeReader
    now_ms: Callable[[], int] = field(default=_now_ms)


@dataclass
class ApiContext:
    """One request's context; ``auth`` is the verified claims or why the token was refused."""

    services: Services
    auth: Claims | UnauthenticatedError
    request: Any = None
    response: Any = None

    @property
    def claims(self) -> Claims:
        if isinstance(self.auth, UnauthenticatedError):
            raise self.auth
        return self.auth
