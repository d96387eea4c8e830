"""The sign-in gate: who is working, proved by a session (or, on a wall screen, a display token).

The browser holds a session token only: in ``st.session_state`` for this tab and in the cookie
:data:`COOKIE` so that a reload or a second tab stays signed in. The server writes the cookie
(``HttpOnly``, out of any page script's reach): a tiny script hands a one-time ticket for the
token to :mod:`mapgov.session_cookie` once after the sign-in (the token itself is never in the
page), and asks it to clear the cookie at the sign-out.
Each run turns the token back into the account with :func:`mapgov.domain.accounts.session_account`,
which also ends idle sessions; nothing in the session state or the URL names a role or a
user (``?user=`` and ``?role=`` are ignored).

Where ``.streamlit/secrets.toml`` has an ``[auth]`` section, the sign-in form also offers the
organisation's OpenID Connect sign-in (``st.login``, which needs Authlib: the ``oidc`` extra);
the identity it returns opens a local session through :func:`mapgov.domain.oidc.sign_in`, which
refuses an identity without an enabled local account. Local accounts stay the default.

A wall screen signs in with a display token in its URL (``/wall?kiosk=1&token=...``): the
street it opens becomes a read-only, masked display user of that street, for the kiosk wall
only.

Times are real (:func:`mapgov.core.clock.system_now`): lockouts and idle limits count real minutes.
"""

from __future__ import annotations

import json
import time
from typing import Final

import streamlit as st

from mapgov.core import clock
from mapgov.core.errors import MapgovError
from mapgov.core.i18n import error_text, label, t
from mapgov.core.model import Role
from mapgov.core.net import client_address, trusted_proxies
from mapgov.domain import accounts, audit, display_tokens, oidc
from mapgov.domain.places import display_names
from mapgov.domain.users import User, sees_personal_data
from mapgov.session_cookie import COOKIE, PATH, issue_ticket
from mapgov.store import Store
from mapgov.ui import loaders as data

__all__ = [
    "COOKIE",
    "SESSION_KEY",
    "TOKEN_PARAM",
    "change_password_form",
    "display_user",
    "note_personal_view",
    "note_unmasked_view",
    "oidc_configured",
    "request_source",
    "session_user",
    "sign_in_form",
    "signed_in_sidebar",
    "signed_in_user",
]

SESSION_KEY: Final = "mapgov_session"
"""Session-state key of the session token (the token only, never a role or a user id)."""
TOKEN_PARAM: Final = "token"
"""Query parameter of a wall screen's display token."""
_SOURCE: Final = "web"
_TICKET_SENT: Final = "mapgov_cookie_ticket_for"  # the token a ticket was sent for, once each
_TRUSTED: Final = trusted_proxies()  # read once, at the first import
DISPLAY_ID: Final = "display"


def _client_ip() -> str | None:
    """The client's address as this run's connection shows it (None when unknown)."""
    try:
        peer = getattr(st.context, "ip_address", None)
        forwarded = st.context.headers.get("X-Forwarded-For")
    except RuntimeError:  # a download made on Streamlit's own thread, outside a script run
        peer = forwarded = None
    # a string or nothing: AppTest's context answers with a mock, another on every run
    if not isinstance(peer, str) or not peer:
        return None
    return client_address(peer, forwarded if isinstance(forwarded, str) else None, _TRUSTED)


def request_source() -> str:
    """Where a sign-in came from, for the audit log (the client's address when known)."""
    ip = _client_ip()
    return f"{_SOURCE} {ip}" if ip else _SOURCE


def note_personal_view(
    store: Store, user: User, subject: str, detail: str, *, export: bool = False
) -> None:
    """Log that `user` is being shown `subject`'s personal data unmasked (call it only then):
    once per panel within :data:`mapgov.domain.audit.VIEW_WINDOW_MINUTES`, once per `export`ed file.
    """
    audit.personal_view(
        store,
        user,
        subject,
        now=clock.system_now(),
        detail=detail,
        source=request_source(),
        window=None if export else audit.VIEW_WINDOW_MINUTES,
    )


def note_unmasked_view(
    store: Store,
    user: User | None,
    community_id: str | None,
    subject: str,
    detail: str,
    *,
    export: bool = False,
) -> None:
    """:func:`note_personal_view` if `user` sees `community_id`'s personal data in full
    (:func:`mapgov.domain.users.sees_personal_data`, the rule the data was unmasked by)."""
    if user is not None and sees_personal_data(user, community_id, store):
        note_personal_view(store, user, subject, detail, export=export)


def _cookie_token() -> str | None:
    try:
        value = st.context.cookies.get(COOKIE)
    except (AttributeError, RuntimeError):  # no browser behind this run
        return None
    return value if isinstance(value, str) and value else None  # AppTest: no real cookies


def _cookie_request(token: str | None) -> None:
    """Have the server set the session cookie to `token` (None: clear it) in the browser: the
    page's script posts a one-time ticket for it, never the token."""
    if token:
        ticket = issue_ticket(token, now=time.monotonic(), address=_client_ip())
        method, body = "POST", ticket
    else:
        method, body = "DELETE", ""
    options = {"method": method, "body": body, "credentials": "same-origin", "cache": "no-store"}
    script = f"<script>fetch({json.dumps(PATH)}, {json.dumps(options)});</script>"
    st.html(script, unsafe_allow_javascript=True)


def oidc_configured() -> bool:
    """Whether an OpenID Connect provider is configured (``[auth]`` in ``secrets.toml``)."""
    try:
        return st.secrets.load_if_toml_exists() and "auth" in st.secrets
    except (FileNotFoundError, KeyError, RuntimeError):
        return False


def _oidc_claims() -> dict[str, object]:
    """``st.user`` as a plain mapping (empty without a provider or a signed-in identity)."""
    if not oidc_configured():
        return {}
    return dict(st.user.to_dict())


def _oidc_session(store: Store, lang: str) -> None:
    """Turn an identity the provider signed in into a local session, once per identity and
    tab (a refusal is said and audited once, not on every rerun)."""
    claims = _oidc_claims()
    if not claims.get("is_logged_in"):
        return
    tried = f"{claims.get('iss')} {claims.get('sub')}"
    if st.session_state.get("auth.oidc_tried") == tried:
        return
    st.session_state["auth.oidc_tried"] = tried
    try:
        token = oidc.sign_in(store, claims, now=clock.system_now(), source=request_source())
    except MapgovError as err:
        st.session_state["auth.error"] = error_text(err, lang)
        return
    st.session_state[SESSION_KEY] = token
    st.rerun()


def session_user(store: Store) -> accounts.Account | None:
    """The account signed in in this tab (session state) or browser (cookie), or None.

    A token that no longer opens a session (signed out, idle, disabled) is forgotten.
    Display accounts never sign in this way.
    """
    kept = st.session_state.get(SESSION_KEY)
    token = kept if isinstance(kept, str) and kept else _cookie_token()
    account = accounts.session_account(store, token, now=clock.system_now())
    if account is None or account.role == Role.DISPLAY:
        st.session_state.pop(SESSION_KEY, None)
        if token and _oidc_claims().get("is_logged_in"):
            st.logout()  # the session ended (idle, disabled): the provider's sign-in too
        return None
    st.session_state[SESSION_KEY] = token
    return account


def display_user(store: Store, lang: str) -> User | None:
    """The wall screen's read-only, masked user of the street its display token opens."""
    token = st.query_params.get(TOKEN_PARAM)
    street_id = display_tokens.token_street(store, token, now=clock.system_now())
    if street_id is None:
        return None
    return User(DISPLAY_ID, t("auth.display_name", lang), Role.DISPLAY, street_id=street_id)


def signed_in_user(store: Store, lang: str) -> User | None:
    """Who is working in this run: the signed-in account, else a wall screen's display user.

    The pages take their user from here (the shell has already refused a run without one).
    """
    return session_user(store) or display_user(store, lang)


def _do_sign_in(store: Store, lang: str) -> None:
    login = str(st.session_state.get("auth.login") or "").strip()
    password = str(st.session_state.get("auth.password") or "")
    st.session_state["auth.password"] = ""
    try:
        token = accounts.sign_in(
            store, login, password, now=clock.system_now(), source=request_source()
        )
    except MapgovError as err:
        st.session_state["auth.error"] = error_text(err, lang)
        return
    st.session_state.pop("auth.error", None)
    st.session_state[SESSION_KEY] = token


def sign_in_form(store: Store, lang: str) -> None:
    """The sign-in form, alone on the page (nothing of the street is drawn).

    A stale cookie (an ended session) is cleared in the browser.
    """
    if _cookie_token():
        _cookie_request(None)
    if oidc_configured():
        _oidc_session(store, lang)
    _, middle, _ = st.columns([1, 2, 1])
    with middle:
        st.title(t("auth.title", lang))
        st.caption(t("auth.lead", lang))
        message = st.session_state.pop("auth.error", None)
        if message:
            st.error(message, icon=":material/block:")
        if oidc_configured():
            _oidc_buttons(lang)
        with st.form("auth.sign_in"):
            st.text_input(t("auth.login", lang), key="auth.login", autocomplete="username")
            st.text_input(
                t("auth.password", lang),
                type="password",
                key="auth.password",
                autocomplete="current-password",
            )
            st.form_submit_button(
                t("auth.submit", lang), type="primary", on_click=_do_sign_in, args=(store, lang)
            )


def _oidc_buttons(lang: str) -> None:
    """The organisation's sign-in (or, for an identity refused here, its sign-out)."""
    if _oidc_claims().get("is_logged_in"):
        st.button(t("auth.oidc_sign_out", lang), key="auth.oidc_out", on_click=st.logout)
    else:
        st.button(
            t("auth.oidc_submit", lang),
            key="auth.oidc",
            type="primary",
            icon=":material/badge:",
            on_click=st.login,
        )
    st.caption(t("auth.oidc_or", lang))


def _do_change(store: Store, login: str, lang: str) -> None:
    old = str(st.session_state.get("auth.old") or "")
    new = str(st.session_state.get("auth.new") or "")
    again = str(st.session_state.get("auth.again") or "")
    for key in ("auth.old", "auth.new", "auth.again"):
        st.session_state[key] = ""
    if new != again:
        st.session_state["auth.error"] = t("auth.mismatch", lang)
        return
    try:
        accounts.change_own_password(
            store, login, old, new, now=clock.system_now(), source=request_source()
        )
    except MapgovError as err:
        st.session_state["auth.error"] = error_text(err, lang)
        return
    st.session_state.pop("auth.error", None)


def change_password_form(store: Store, account: accounts.Account, lang: str) -> None:
    """The only thing shown until a one-time password is replaced by the person's own."""
    _, middle, _ = st.columns([1, 2, 1])
    with middle:
        st.title(t("auth.change_title", lang))
        st.caption(t("auth.change_lead", lang, min=accounts.MIN_PASSWORD_LENGTH))
        message = st.session_state.pop("auth.error", None)
        if message:
            st.error(message, icon=":material/block:")
        with st.form("auth.change"):
            st.text_input(t("auth.old", lang), type="password", key="auth.old")
            st.text_input(t("auth.new", lang), type="password", key="auth.new")
            st.text_input(t("auth.again", lang), type="password", key="auth.again")
            st.form_submit_button(
                t("auth.change_submit", lang),
                type="primary",
                on_click=_do_change,
                args=(store, account.login, lang),
            )
        st.button(t("auth.sign_out", lang), on_click=_do_sign_out, args=(store,))


def _do_sign_out(store: Store) -> None:
    token = st.session_state.pop(SESSION_KEY, None) or _cookie_token()
    accounts.sign_out(store, token, now=clock.system_now(), source=request_source())
    if _oidc_claims().get("is_logged_in"):
        st.logout()  # and out of the provider's sign-in, or it would sign in again


def _scope_text(store: Store, user: User, lang: str) -> str:
    if user.community_id and user.street_id:
        communities = data.community_list(store, user.street_id)
        names = dict(
            zip(communities["community_id"], display_names(communities, lang), strict=True)
        )
        return names.get(user.community_id, user.community_id)
    if user.street_id:
        streets = data.street_list(store)
        names = dict(zip(streets["street_id"], display_names(streets, lang), strict=True))
        return names.get(user.street_id, user.street_id)
    return t("auth.all_streets", lang)


def signed_in_sidebar(store: Store, account: accounts.Account, lang: str) -> None:
    """Who is signed in (name, role, scope) and the sign-out button; keeps the cookie set."""
    side = st.sidebar
    side.markdown(
        t(
            "auth.signed_in",
            lang,
            name=_md(account.name),
            role=label(account.role, lang),
            scope=_md(_scope_text(store, account, lang)),
        )
    )
    side.button(
        t("auth.sign_out", lang),
        key="auth.sign_out",
        icon=":material/logout:",
        on_click=_do_sign_out,
        args=(store,),
    )
    token = st.session_state.get(SESSION_KEY)
    if token and _cookie_token() != token and st.session_state.get(_TICKET_SENT) != token:
        st.session_state[_TICKET_SENT] = token  # once: the next run's page drops the script
        with side:
            _cookie_request(token)
    side.divider()


def _md(value: str) -> str:
    from mapgov.ui.widgets import md_text  # widgets imports this module's neighbours

    return md_text(value)
