"""The session cookie, written by the server so that no script in the page can read it.

A cookie written by a script (``document.cookie``) cannot be ``HttpOnly``: any script that
ever ran in the page, an injected one included, could read the session token and use it from
elsewhere. So the sign-in (:mod:`mapgov.ui.auth`) hands the token to this route instead, once,
with a same-origin request, and the route answers with ``Set-Cookie: ...; HttpOnly;
SameSite=Strict`` (``Secure`` over HTTPS); the browser then sends the cookie with each new
connection, where :mod:`mapgov.ui.auth` reads it. The route sets a cookie only for a live
session of an enabled account that is not a wall screen's, and only for a request from a page
of the same site (``Sec-Fetch-Site``, else ``Origin`` against ``Host``): a page of another site
cannot plant its own session in a visitor's browser. ``DELETE`` clears the cookie (signing out).

``app.py`` serves :data:`ROUTES` beside Streamlit's own through ``st.App``. The module imports
no Streamlit: ``streamlit run`` imports it before Streamlit's runtime exists.
"""

from __future__ import annotations

import secrets
import threading
import time
from typing import Final
from urllib.parse import urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mapgov.core import clock
from mapgov.core.config import default_db_path
from mapgov.core.model import Role
from mapgov.core.net import client_address, is_proxy, trusted_proxies
from mapgov.domain import accounts
from mapgov.store import open_store

__all__ = [
    "COOKIE",
    "COOKIE_SECONDS",
    "PATH",
    "ROUTES",
    "TICKET_SECONDS",
    "issue_ticket",
    "live_token",
    "redeem_ticket",
    "same_site",
]

COOKIE: Final = "mapgov_session"
"""The cookie that keeps the session token across reloads and tabs."""
COOKIE_SECONDS: Final = 12 * 3600
"""How long the browser keeps the cookie; the server ends idle sessions much sooner."""
PATH: Final = "/mapgov/session"
"""Where the page sends the token (``POST``) or asks for the cookie's end (``DELETE``)."""
TICKET_SECONDS: Final = 60.0
"""How long a ticket waits for the page's request before it is void."""
_MAX_TOKEN: Final = 200
_TRUSTED: Final = trusted_proxies()  # read once, at the first import
_tickets: dict[str, tuple[str, float, str | None]] = {}
"""Ticket -> (session token, when it is void by :func:`time.monotonic`, client address)."""
_tickets_lock: Final = threading.Lock()


def issue_ticket(token: str, *, now: float, address: str | None) -> str:
    """A ticket that the page posts in place of `token` (good once, for a while, from one address).

    Parameters
    ----------
    token : str
        The session token the cookie is to hold.
    now : float
        Seconds by :func:`time.monotonic`.
    address : str or None
        The client's address as the page's run saw it (None: unknown, any address).

    Returns
    -------
    str
        A random ticket (43 characters, URL-safe).
    """
    ticket = secrets.token_urlsafe(32)
    with _tickets_lock:
        for old, (_, void_at, _) in list(_tickets.items()):
            if void_at <= now:
                del _tickets[old]
        _tickets[ticket] = (token, now + TICKET_SECONDS, address)
    return ticket


def redeem_ticket(ticket: str, *, now: float, address: str | None) -> str | None:
    """The session token `ticket` stands for, once; None for a spent, void or unknown one, or
    one issued to another address.

    Parameters
    ----------
    ticket : str
        What the page posted.
    now : float
        Seconds by :func:`time.monotonic`.
    address : str or None
        The client's address as the route sees it.

    Returns
    -------
    str or None
        The token, or None.
    """
    with _tickets_lock:
        kept = _tickets.pop(ticket, None)  # spent, whatever follows
    if kept is None:
        return None
    token, void_at, issued_to = kept
    if void_at <= now or (issued_to is not None and issued_to != address):
        return None
    return token


def same_site(headers: dict[str, str]) -> bool:
    """Whether a request comes from a page of this site.

    Parameters
    ----------
    headers : dict of str to str
        The request's headers, names in lower case.

    Returns
    -------
    bool
        ``Sec-Fetch-Site: same-origin`` where the browser sends it; else an ``Origin`` whose
        host is the ``Host`` the request was sent to (a proxy may drop the port).
    """
    fetch_site = headers.get("sec-fetch-site")
    if fetch_site is not None:
        return fetch_site == "same-origin"
    origin = urlsplit(headers.get("origin", "")).hostname
    host = urlsplit(f"//{headers.get('host', '')}").hostname
    return origin is not None and origin == host


def live_token(token: str) -> bool:
    """Whether `token` opens a live session of an enabled account other than a display's.

    Parameters
    ----------
    token : str
        The session token the page sent.

    Returns
    -------
    bool
        True for a token the sign-in form would accept on the next run.
    """
    if not token or len(token) > _MAX_TOKEN:
        return False
    store = open_store(default_db_path())
    account = accounts.session_account(store, token, now=clock.system_now())
    return account is not None and account.role != Role.DISPLAY


async def _session(request: Request) -> Response:
    """``POST`` a ticket (:func:`issue_ticket`): the cookie is set; ``DELETE``: it is cleared."""
    headers = {k.lower(): v for k, v in request.headers.items()}
    if not same_site(headers):
        return Response("not from this site", status_code=403)
    peer = request.client.host if request.client else None
    # TLS ends at our proxy (deploy/nginx), which says so; a visitor saying so is not believed
    secure = request.url.scheme == "https" or (
        headers.get("x-forwarded-proto") == "https" and is_proxy(peer, _TRUSTED)
    )
    response = Response(status_code=204, headers={"Cache-Control": "no-store"})
    if request.method == "DELETE":
        response.delete_cookie(COOKIE, path="/", secure=secure, httponly=True, samesite="strict")
        return response
    body = b""
    async for chunk in request.stream():  # never more than a token's length is read
        body += chunk
        if len(body) > _MAX_TOKEN:
            return Response("no such session", status_code=403)
    address = client_address(peer, headers.get("x-forwarded-for"), _TRUSTED)
    ticket = body.decode("ascii", "replace").strip()
    token = redeem_ticket(ticket, now=time.monotonic(), address=address)
    if token is None or not await run_in_threadpool(live_token, token):
        return Response("no such session", status_code=403)
    response.set_cookie(
        COOKIE,
        token,
        max_age=COOKIE_SECONDS,
        path="/",
        secure=secure,
        httponly=True,
        samesite="strict",
    )
    return response


ROUTES: Final = [Route(PATH, _session, methods=["POST", "DELETE"])]
"""The routes ``app.py`` adds to Streamlit's server."""
