"""Refuses webhook URLs that reach loopback, private, link-local or otherwise special addresses.

A URL is checked when a destination is added and again before every send, on every address its
host resolves to at that moment: a name that resolved to a public address at creation may point
inside the network later (DNS rebinding). Settings may allow loopback (tests, a local receiver)
or a list of CIDRs (an internal chat server).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from pulse.alerts.errors import UnsafeUrlError
from pulse.settings import AlertSettings

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class UrlPolicy:
    allow_loopback: bool = False
    allowed: tuple[Network, ...] = ()

    @classmethod
    def from_settings(cls, settings: AlertSettings) -> UrlPolicy:
        try:
            allowed = tuple(
                ipaddress.ip_network(c.strip(), strict=False)
                for c in settings.allow_cidrs.split(",")
                if c.strip()
            )
        except ValueError as exc:
            raise UnsafeUrlError(
                f"PULSE_ALERTS_ALLOW_CIDRS is not a list of CIDRs: {exc}",
                var="PULSE_ALERTS_ALLOW_CIDRS",
            ) from exc
        return cls(settings.allow_loopback, allowed)

    def check_address(self, address: Address, url: str) -> None:
        if any(address in network for network in self.allowed):
            return
        if address.is_loopback and self.allow_loopback:
            return
        special = (
            address.is_loopback
            or address.is_private
            or address.is_link_local
            or address.is_multicast
            or address.is_unspecified
            or address.is_reserved
        )
        if special:
            raise UnsafeUrlError(
                f"{_host(url)} resolves to {address}, a loopback, private or link-local "
                "address; set PULSE_ALERTS_ALLOW_LOOPBACK or PULSE_ALERTS_ALLOW_CIDRS to allow it",
                host=_host(url),
                address=str(address),
            )

    def check_url(self, url: str) -> None:
        """Resolves the URL's host now and checks every address (blocking)."""
        host, port = _host_port(url)
        try:
            infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
        except OSError as exc:
            raise UnsafeUrlError(f"cannot resolve {host}: {exc}", host=host) from exc
        self._check_infos(infos, url)

    async def check_url_async(self, url: str) -> None:
        """As :meth:`check_url`, without blocking the event loop."""
        host, port = _host_port(url)
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(
                host, port, proto=socket.IPPROTO_TCP
            )
        except OSError as exc:
            raise UnsafeUrlError(f"cannot resolve {host}: {exc}", host=host) from exc
        self._check_infos(infos, url)

    def _check_infos(self, infos: Sequence[tuple[Any, ...]], url: str) -> None:
        for info in infos:
            self.check_address(ipaddress.ip_address(str(info[4][0]).split("%")[0]), url)


def _host(url: str) -> str:
    return urlsplit(url).hostname or ""


def _host_port(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise UnsafeUrlError(
            "only http(s) URLs with a host are delivered to", url_scheme=parts.scheme
        )
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise UnsafeUrlError(f"bad port in URL: {exc}", host=parts.hostname) from exc
    return parts.hostname, port
