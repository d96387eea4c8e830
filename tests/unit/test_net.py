"""The client's address behind the reverse proxy: what the phone page's limit per address
counts, so one visitor cannot hold back the street nor dodge the limit with a forged header."""

from __future__ import annotations

from mapgov.core.net import client_address, trusted_proxies

NETS = trusted_proxies({})


def test_behind_the_proxy_each_visitor_is_told_apart() -> None:
    # nginx on the same machine connects from the loopback and appends who it saw
    assert client_address("127.0.0.1", "203.0.113.7", NETS) == "203.0.113.7"
    assert client_address("127.0.0.1", "198.51.100.9", NETS) == "198.51.100.9"
    assert client_address("::1", "2001:db8::5", NETS) == "2001:db8::5"


def test_a_forged_header_does_not_make_one_visitor_many() -> None:
    # what a visitor writes comes first; what our proxy appends comes last and is believed
    for forged in ("1.1.1.1", "1.1.1.2, 10.0.0.1", "garbage, 1.1.1.3", "127.0.0.1"):
        assert client_address("127.0.0.1", f"{forged}, 203.0.113.7", NETS) == "203.0.113.7"
    # a visitor who reaches the server directly is its own address, whatever it claims
    assert client_address("203.0.113.7", "1.1.1.1", NETS) == "203.0.113.7"


def test_without_a_header_or_an_address() -> None:
    assert client_address("127.0.0.1", None, NETS) == "127.0.0.1"  # a local visitor
    assert client_address("127.0.0.1", "not an address", NETS) == "127.0.0.1"
    assert client_address("", "203.0.113.7", NETS) is None
    assert client_address(None, None, NETS) is None


def test_more_proxies_are_trusted_when_named() -> None:
    nets = trusted_proxies({"MAPGOV_TRUSTED_PROXIES": "10.0.0.0/8, bad entry, 192.0.2.1"})
    # a load balancer 10.0.0.5 in front of nginx 192.0.2.1
    assert client_address("192.0.2.1", "203.0.113.7, 10.0.0.5", nets) == "203.0.113.7"
    assert client_address("192.0.2.1", "203.0.113.7", NETS) == "192.0.2.1"  # not trusted
