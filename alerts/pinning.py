"""Connections pinned to the addresses the URL policy checked (DNS rebinding, alerts/README.md
"URL safety").

httpcore asks its network backend for every new connection with the URL's host name.
:class:`PinnedBackend` resolves that name once, checks every address with the
:class:`UrlPolicy` and connects to a checked address itself, so no second lookup can answer
differently. The connection still belongs to the name: httpcore's pool keys it by the URL's
origin and starts TLS with the name, so the SNI and the certificate check are the name's, and a
pooled connection is never reused for another name.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterable

import httpcore
import httpx

from pulse.alerts.url_safety import UrlPolicy

SocketOption = (
    tuple[int, int, int] | tuple[int, int, bytes | bytearray] | tuple[int, int, None, int]
)
# httpx's own defaults for a client's pool.
LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=20)


class PinnedBackend(httpcore.AsyncNetworkBackend):
    def __init__(self, policy: UrlPolicy, inner: httpcore.AsyncNetworkBackend) -> None:
        self._policy = policy
        self._inner = inner

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[SocketOption] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        """Raises :class:`UnsafeUrlError` (not retried by httpx) when an address is refused."""
        addresses = await self._policy.checked_addresses(host, port)
        failure: httpcore.ConnectError | httpcore.ConnectTimeout | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(
                    str(address),
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        assert failure is not None  # checked_addresses answers at least one address
        raise failure

    async def sleep(self, seconds: float) -> None:  # httpcore's connect retries wait here
        await self._inner.sleep(seconds)


class PinnedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport over a pool whose every connection goes through :class:`PinnedBackend`
    (httpx takes no network backend of its own; its pool is httpcore's)."""

    def __init__(self, policy: UrlPolicy, ssl_context: ssl.SSLContext | None = None) -> None:
        super().__init__(trust_env=False)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context or httpx.create_ssl_context(trust_env=False),
            max_connections=LIMITS.max_connections,
            max_keepalive_connections=LIMITS.max_keepalive_connections,
            keepalive_expiry=LIMITS.keepalive_expiry,
            network_backend=PinnedBackend(policy, httpcore.AnyIOBackend()),
        )
