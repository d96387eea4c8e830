"""The session cookie's route: set by the server, HttpOnly, for a live session and a request of
this site only, from a one-time ticket (the page never holds the token); cleared on request.
Driven as an ASGI app, the way uvicorn calls it."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from starlette.applications import Starlette

from mapgov.core import clock
from mapgov.core.config import DB_ENV
from mapgov.domain import accounts
from mapgov.session_cookie import (
    COOKIE,
    COOKIE_SECONDS,
    PATH,
    ROUTES,
    TICKET_SECONDS,
    issue_ticket,
    redeem_ticket,
    same_site,
)
from mapgov.store import Store
from tests.conftest import DEMO_PASSWORD

SAME = {"sec-fetch-site": "same-origin"}
CLIENT = "10.0.0.7"
"""The address every request of :func:`_call` comes from."""


def _ticket(token: str, address: str | None = CLIENT) -> str:
    """What the page's script posts for `token`, issued now to `address`."""
    return issue_ticket(token, now=time.monotonic(), address=address)


def _call(
    method: str,
    headers: dict[str, str],
    body: str = "",
    scheme: str = "http",
    unread: list[int] | None = None,
    client: str = CLIENT,
) -> tuple[int, list[str]]:
    """Send one request to the routes, its body in chunks of 100 bytes; the status and the
    Set-Cookie headers (and in `unread`, how many chunks the route left unread)."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": scheme,
        "path": PATH,
        "raw_path": PATH.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [
            (k.encode(), v.encode()) for k, v in {"host": "gov.example", **headers}.items()
        ],
        "client": (client, 50000),
        "server": ("gov.example", 443 if scheme == "https" else 80),
    }
    data = body.encode()
    pieces = [data[i : i + 100] for i in range(0, len(data), 100)] or [b""]
    inbox: list[dict[str, object]] = [
        {"type": "http.request", "body": p, "more_body": i < len(pieces) - 1}
        for i, p in enumerate(pieces)
    ]
    sent: list[dict[str, object]] = []

    async def receive() -> dict[str, object]:
        return inbox.pop(0) if inbox else {"type": "http.disconnect"}

    async def send(message: dict[str, object]) -> None:
        sent.append(message)

    asyncio.run(Starlette(routes=ROUTES)(scope, receive, send))
    if unread is not None:
        unread.append(len(inbox))
    start = next(m for m in sent if m["type"] == "http.response.start")
    raw = start["headers"]
    assert isinstance(raw, list)
    cookies = [v.decode() for k, v in raw if k.decode().lower() == "set-cookie"]
    return int(start["status"]), cookies  # type: ignore[call-overload]


@pytest.fixture
def token(work_store: Store, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv(DB_ENV, str(work_store.path))
    now = clock.system_now()  # sessions count real minutes
    return accounts.sign_in(work_store, "S001-C1-staff1", DEMO_PASSWORD, now=now, source="test")


def test_a_live_session_gets_a_cookie_no_script_can_read(token: str) -> None:
    status, (cookie,) = _call("POST", SAME, _ticket(token))
    assert status == 204
    parts = [p.strip().lower() for p in cookie.split(";")]
    assert parts[0] == f"{COOKIE}={token}".lower()
    assert {"httponly", "samesite=strict", "path=/", f"max-age={COOKIE_SECONDS}"} <= set(parts)
    assert "secure" not in parts  # plain HTTP: a Secure cookie would never come back
    # behind our proxy (the loopback), which ends TLS and says so: Secure
    proxied = {**SAME, "x-forwarded-proto": "https", "x-forwarded-for": CLIENT}
    _, (over_tls,) = _call("POST", proxied, _ticket(token), client="127.0.0.1")
    assert "secure" in [p.strip().lower() for p in over_tls.split(";")]
    # a visitor on plain HTTP saying the same is not believed (it is not our proxy)
    _, (forged,) = _call("POST", {**SAME, "x-forwarded-proto": "https"}, _ticket(token))
    assert "secure" not in [p.strip().lower() for p in forged.split(";")]


def test_a_ticket_sets_the_cookie_once_and_the_token_itself_is_refused(token: str) -> None:
    """What a script injected into the page could find there is worth nothing: the ticket is
    spent by the page's own request, and the route takes no token."""
    ticket = _ticket(token)
    assert _call("POST", SAME, ticket)[0] == 204
    assert _call("POST", SAME, ticket) == (403, [])  # spent
    assert _call("POST", SAME, token) == (403, [])  # a token is not a ticket
    assert _ticket(token) != _ticket(token)


def test_a_ticket_is_void_after_its_minute_and_from_another_address(token: str) -> None:
    issued = time.monotonic() - TICKET_SECONDS - 1
    assert _call("POST", SAME, issue_ticket(token, now=issued, address=CLIENT)) == (403, [])
    assert _call("POST", SAME, _ticket(token, "10.0.0.8")) == (403, [])  # exfiltrated
    assert _call("POST", SAME, _ticket(token, None))[0] == 204  # the run knew no address
    now = time.monotonic()
    fresh = issue_ticket(token, now=now, address=CLIENT)
    assert redeem_ticket(fresh, now=now + TICKET_SECONDS - 1, address=CLIENT) == token
    late = issue_ticket(token, now=now, address=CLIENT)
    assert redeem_ticket(late, now=now + TICKET_SECONDS, address=CLIENT) is None


def test_another_site_cannot_plant_a_session(token: str) -> None:
    # a page of another site posting a real ticket (of the attacker's own session) gets nothing
    assert _call("POST", {"sec-fetch-site": "cross-site"}, _ticket(token)) == (403, [])
    assert _call("POST", {"origin": "https://evil.example"}, _ticket(token)) == (403, [])
    assert _call("POST", {}, _ticket(token)) == (403, [])  # neither header: not shown to be ours
    assert _call("DELETE", {"sec-fetch-site": "same-site"}) == (403, [])


def test_only_a_live_session_is_written(token: str, work_store: Store) -> None:
    assert _call("POST", SAME, "not-a-ticket") == (403, [])
    assert _call("POST", SAME, "") == (403, [])
    assert _call("POST", SAME, _ticket(token) + "x" * 500) == (403, [])
    left: list[int] = []
    assert _call("POST", SAME, "x" * 50_000, unread=left) == (403, [])
    assert left[0] > 490  # refused after the first few hundred bytes, not read whole
    ticket = _ticket(token)
    accounts.sign_out(work_store, token, now=clock.system_now(), source="test")
    assert _call("POST", SAME, ticket) == (403, [])  # signed out since the ticket was issued


def test_signing_out_clears_the_cookie(work_store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(DB_ENV, str(Path(work_store.path)))
    status, (cookie,) = _call("DELETE", SAME)
    parts = [p.strip().lower() for p in cookie.split(";")]
    assert status == 204 and parts[0] == f'{COOKIE}=""' and "max-age=0" in parts


def test_a_proxy_that_drops_the_port_is_still_this_site() -> None:
    assert same_site({"origin": "http://127.0.0.1:8080", "host": "127.0.0.1"})
    assert same_site({"origin": "https://gov.example", "host": "gov.example:443"})
    assert not same_site({"origin": "null", "host": "gov.example"})
    assert not same_site({"origin": "https://gov.example.evil", "host": "gov.example"})
