"""The visitor's address as the collector sees it, and what is left of it once anonymized.

Behind a load balancer the peer is the balancer; its ``X-Forwarded-For`` is believed only when
the peer is one of ``PULSE_COLLECTOR_TRUSTED_PROXIES``, and then read from the right, skipping
further trusted hops: the first address no trusted proxy added is the client. Anything left of it
was written by the client itself and could be anything.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from pulse.errors import ConfigError

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_proxies(text: str) -> tuple[Network, ...]:
    """``"10.0.0.0/8, 192.0.2.7"`` as networks; a :class:`ConfigError` for a bad entry."""
    networks: list[Network] = []
    for item in (x.strip() for x in text.split(",")):
        if not item:
            continue
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError as exc:
            raise ConfigError(
                f"PULSE_COLLECTOR_TRUSTED_PROXIES: {item!r} is no address or network",
                var="PULSE_COLLECTOR_TRUSTED_PROXIES",
            ) from exc
    return tuple(networks)


def _trusted(address: str, proxies: Sequence[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return any(ip in network for network in proxies)


def client_ip(peer: str | None, forwarded_for: str | None, proxies: Sequence[Network]) -> str:
    """The client's address (not yet anonymized); "" when nothing usable is known."""
    if not peer:
        return ""
    if not forwarded_for or not _trusted(peer, proxies):
        return peer
    hops = [h.strip() for h in forwarded_for.split(",")]
    for hop in reversed(hops):
        if not _trusted(hop, proxies):
            return hop
    return hops[0]
