"""Who is on the other end of a request: the client's address behind a reverse proxy.

Streamlit sees the address of whatever connected to it. Behind nginx (``deploy/nginx``) that is
the proxy, the same for every visitor, so that a limit per address (anonymous reports on the
phone page) would hold back the whole street at once. A proxy we trust (the loopback by
default, more through ``MAPGOV_TRUSTED_PROXIES``) appends the address it saw to
``X-Forwarded-For``; the client is the rightmost address there that is not itself a trusted
proxy. Anything a visitor writes into that header is to the left of what our proxy appended,
so a forged header cannot make one client look like many.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from typing import Final

__all__ = ["TRUSTED_ENV", "client_address", "is_proxy", "trusted_proxies"]

TRUSTED_ENV: Final = "MAPGOV_TRUSTED_PROXIES"
"""Comma-separated addresses or networks of the reverse proxies in front of mapgov (the
loopback is always trusted)."""
_LOOPBACK: Final = ("127.0.0.0/8", "::1/128")


def trusted_proxies(
    env: Mapping[str, str] | None = None,
) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """The networks whose requests may name their client in ``X-Forwarded-For``.

    Parameters
    ----------
    env : mapping, optional
        The environment (default: the process's).

    Returns
    -------
    tuple of networks
        The loopback and every valid entry of ``MAPGOV_TRUSTED_PROXIES`` (others ignored).
    """
    text = (os.environ if env is None else env).get(TRUSTED_ENV, "")
    nets = []
    for item in (*_LOOPBACK, *text.split(",")):
        try:
            nets.append(ipaddress.ip_network(item.strip(), strict=False))
        except ValueError:
            continue
    return tuple(nets)


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def is_proxy(
    peer: str | None, trusted: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]
) -> bool:
    """Whether `peer` (the address that connected) is one of the `trusted` proxies, whose
    ``X-Forwarded-*`` headers are believed (a visitor's own are not: a forged
    ``X-Forwarded-Proto: https`` on plain HTTP is not a TLS connection).

    Examples
    --------
    >>> nets = trusted_proxies({"MAPGOV_TRUSTED_PROXIES": "10.9.0.0/16"})
    >>> is_proxy("127.0.0.1", nets), is_proxy("10.9.1.1", nets), is_proxy("10.1.2.3", nets)
    (True, True, False)
    >>> is_proxy(None, nets), is_proxy("not an address", nets)
    (False, False)
    """
    here = _address(peer or "")
    return here is not None and _within(here, trusted)


def _within(
    ip: ipaddress.IPv4Address | ipaddress.IPv6Address,
    trusted: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...],
) -> bool:
    return any(ip in net for net in trusted if ip.version == net.version)


def client_address(
    peer: str | None,
    forwarded_for: str | None,
    trusted: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...],
) -> str | None:
    """The client's address: `peer`, or, when `peer` is a trusted proxy, the rightmost
    address of `forwarded_for` that is not a trusted proxy.

    Parameters
    ----------
    peer : str or None
        The address that connected to the server.
    forwarded_for : str or None
        The request's ``X-Forwarded-For`` header.
    trusted : tuple of networks
        The trusted proxies (:func:`trusted_proxies`).

    Returns
    -------
    str or None
        The address (None when nothing is known).

    Examples
    --------
    >>> nets = trusted_proxies({})
    >>> client_address("127.0.0.1", "6.6.6.6, 10.1.2.3", nets)
    '10.1.2.3'
    >>> client_address("10.1.2.3", "6.6.6.6", nets)  # not a proxy: its header is not believed
    '10.1.2.3'
    """
    here = _address(peer or "")
    if here is None:
        return None
    if not _within(here, trusted) or not forwarded_for:
        return str(here)
    for item in reversed(forwarded_for.split(",")):
        ip = _address(item)
        if ip is None:
            break  # not an address: stop believing the header here
        if not _within(ip, trusted):
            return str(ip)
    return str(here)
