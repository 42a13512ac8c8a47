"""IP anonymization before anything stores an address (METRICS.md §3 Web)."""

from __future__ import annotations

import ipaddress

_IPV6_KEEP = ~((1 << 80) - 1) & ((1 << 128) - 1)


def anonymize_ip(ip: str) -> str:
    """IPv4 with its last octet zeroed, IPv6 with its last 80 bits zeroed; "" if not an address.

    An unparseable value is dropped rather than stored: it might be an address in a form we do
    not recognize, and storing it would defeat the anonymization.
    """
    if not ip:
        return ""
    try:
        address = ipaddress.ip_address(ip.strip())
    except ValueError:
        return ""
    if isinstance(address, ipaddress.IPv4Address):
        return str(ipaddress.IPv4Address(int(address) & 0xFFFFFF00))
    if address.ipv4_mapped is not None:
        return "::ffff:" + anonymize_ip(str(address.ipv4_mapped))
    return str(ipaddress.IPv6Address(int(address) & _IPV6_KEEP))
