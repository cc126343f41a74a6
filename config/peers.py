"""Who may connect to the FastAGI port. FastAGI has no authentication: anyone who reaches
the port can drive calls' routing. A non-loopback `agi_host` therefore needs
`agi_allowed_peers`, the Asterisk addresses (IPs or CIDRs) the server accepts.

Pure: parsing and matching only.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
LOOPBACK_NAMES = ("localhost",)


def parse_peers(value: object) -> tuple[str, ...]:
    """A TOML list of strings, or one comma-separated string (environment), as normalised
    networks; raises ValueError naming the first bad entry."""
    if isinstance(value, str):
        items = [part.strip() for part in value.split(",")] if value.strip() else []
    elif isinstance(value, list) and all(isinstance(item, str) for item in value):
        items = [item.strip() for item in value]
    else:
        raise ValueError(f"expected a list of IP addresses or networks, got {value!r}")
    networks = []
    for item in items:
        try:
            # strict: "10.0.0.7/24" may mean the host or the network; say which.
            networks.append(str(ipaddress.ip_network(item)))
        except ValueError as exc:
            raise ValueError(f"{item!r} is not an IP address or network (CIDR): {exc}") from None
    return tuple(networks)


def networks(peers: Iterable[str]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(peer, strict=False) for peer in peers)


def is_loopback_host(host: str) -> bool:
    """True when only this machine can reach a server bound to `host`."""
    if host.strip().lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to any interface


def peer_allowed(address: str, allowed: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # a dual-stack socket reports IPv4 peers as ::ffff:a.b.c.d
    return any(ip in network for network in allowed)
