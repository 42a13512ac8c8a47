"""Refuses webhook URLs that reach loopback, private, link-local or otherwise special addresses.

A URL is checked when a destination is added, and every connection a delivery opens is checked
again by :mod:`pulse.alerts.pinning`: the host is resolved once, every address it resolves to is
checked, and the connection goes to a checked address, never to a second lookup's answer. A name
that resolved to a public address at creation may point inside the network later (DNS
rebinding), and between two lookups too. Settings may allow loopback (tests, a local receiver)
or a list of CIDRs (an internal chat server).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from pulse.alerts.errors import UnsafeUrlError
from pulse.settings import AlertSettings

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address
# (host, port) → the addresses the host resolves to, as text; tests inject their own names.
Resolver = Callable[[str, int], Awaitable[list[str]]]


async def system_resolver(host: str, port: int) -> list[str]:
    """The operating system's answer (getaddrinfo in a thread, so the loop never blocks)."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    return [str(info[4][0]) for info in infos]


@dataclass(frozen=True)
class UrlPolicy:
    allow_loopback: bool = False
    allowed: tuple[Network, ...] = ()
    resolver: Resolver = system_resolver

    @classmethod
    def from_settings(
        cls, settings: AlertSettings, resolver: Resolver = system_resolver
    ) -> UrlPolicy:
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
        return cls(settings.allow_loopback, allowed, resolver)

    def check_address(self, address: Address, host: str) -> None:
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
                f"{host} resolves to {address}, a loopback, private or link-local "
                "address; set PULSE_ALERTS_ALLOW_LOOPBACK or PULSE_ALERTS_ALLOW_CIDRS to allow it",
                host=host,
                address=str(address),
            )

    async def checked_addresses(self, host: str, port: int) -> list[Address]:
        """Resolves ``host`` once and answers its addresses, every one of them allowed: one
        refused address refuses the host, since a client could be sent to any of them."""
        try:
            answers = await self.resolver(host, port)
        except OSError as exc:
            raise UnsafeUrlError(f"cannot resolve {host}: {exc}", host=host) from exc
        addresses = [ipaddress.ip_address(answer.split("%")[0]) for answer in answers]
        if not addresses:
            raise UnsafeUrlError(f"{host} resolves to no address", host=host)
        for address in addresses:
            self.check_address(address, host)
        return addresses

    def check_url(self, url: str) -> None:
        """Resolves the URL's host now and checks every address (blocking; not in a loop)."""
        asyncio.run(self.checked_addresses(*url_host_port(url)))


def url_host_port(url: str) -> tuple[str, int]:
    """The host and port of an http(s) URL; anything else is refused."""
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
