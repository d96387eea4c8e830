"""Sign-in through an organisation's OpenID Connect identity provider (Streamlit's ``st.login``).

The identity provider says who the person is; the local account table says what they may
do. An identity (the claims Streamlit shows in ``st.user``) opens the enabled local account
that carries its subject (``app_user.oidc_subject``, ``<issuer> <sub>``), else the one whose
``email`` (set by :func:`set_email`, ``mapgov user email``) is the identity's e-mail, when
the provider has not said that e-mail is unverified. The first sign-in by e-mail binds the
subject to the account (audited), so that a later change of address at the provider does
not open someone else's account; an account bound to another subject refuses the identity.
An identity with no enabled local account (or one of a wall screen) is refused, with a clear
message, and the refusal is audited.

A sign-in starts an ordinary local session (:func:`mapgov.domain.accounts.session_account`), so
idle limits, sign-out and disabling an account work as for a password. Local accounts stay
the default and work offline; nothing here runs without an ``[auth]`` section in
``.streamlit/secrets.toml``. Every function takes ``now`` (pass
:func:`mapgov.core.clock.system_now`) and no Streamlit object: a mapping of claims.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, NoReturn, Unpack

from mapgov.core.errors import SignInError, ValidationError
from mapgov.core.model import AuditKind, Role
from mapgov.domain.accounts import Account, get_account, token_hash
from mapgov.domain.audit import Stamp
from mapgov.domain.audit import entry as _entry
from mapgov.domain.audit import stamp as _stamp
from mapgov.store import Store

__all__ = ["Identity", "identity_of", "match_account", "set_email", "sign_in"]

_EMAIL: Final = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


@dataclass(frozen=True)
class Identity:
    """Who the identity provider says signed in."""

    subject: str
    """``<issuer> <sub>`` (``sub`` alone when the claims carry no issuer)."""
    email: str | None
    """Lower case; None when absent or said to be unverified."""
    name: str | None = None


def identity_of(claims: Mapping[str, Any]) -> Identity | None:
    """The identity in `claims` (``st.user`` as a mapping), or None when nobody is signed in
    there (``is_logged_in`` false, or no ``sub``).

    Parameters
    ----------
    claims : Mapping
        The identity provider's claims (``is_logged_in``, ``iss``, ``sub``, ``email`` ...).

    Returns
    -------
    Identity or None
        Subject, verified e-mail (lower case) and name.
    """
    if not claims.get("is_logged_in") or not claims.get("sub"):
        return None
    issuer = str(claims.get("iss") or "").strip()
    sub = str(claims["sub"]).strip()
    email = claims.get("email")
    verified = claims.get("email_verified")
    usable = isinstance(email, str) and email.strip() and verified not in (False, "false")
    name = claims.get("name")
    return Identity(
        subject=f"{issuer} {sub}" if issuer else sub,
        email=email.strip().lower() if usable and isinstance(email, str) else None,
        name=name if isinstance(name, str) and name else None,
    )


def _refuse(detail: str) -> NoReturn:
    msg = f"no enabled mapgov account for this identity ({detail}): ask your street office"
    raise SignInError(msg, reason="oidc_no_account")


def match_account(store: Store, identity: Identity) -> tuple[Account, bool]:
    """The enabled local account `identity` opens, and whether its subject is to be bound now.

    Parameters
    ----------
    store : Store
        The database of accounts.
    identity : Identity
        Who the identity provider says signed in.

    Returns
    -------
    (Account, bool)
        The account, found by subject or else by e-mail; True when it was found by e-mail and
        the subject is to be bound to it.

    Raises
    ------
    SignInError
        ``reason="oidc_no_account"`` when no enabled account (other than a wall screen's)
        carries the identity's subject or e-mail, or the e-mail's account is bound to
        another subject.
    """
    users = store.read("app_user")
    by_subject = users[users["oidc_subject"] == identity.subject]
    bind = False
    if by_subject.empty:
        if identity.email is None:
            _refuse("no verified e-mail")
        emails = users["email"].fillna("").str.lower()
        found = users[emails == identity.email]
        if found.empty:
            _refuse("unknown e-mail")
        bound = found["oidc_subject"].iloc[0]
        if isinstance(bound, str) and bound:
            _refuse("account bound to another identity")
        row, bind = found.iloc[0], True
    else:
        row = by_subject.iloc[0]
    account = get_account(store, str(row["login"]))
    if not account.enabled or account.role == Role.DISPLAY:
        _refuse("account disabled" if not account.enabled else "wall-screen account")
    return account, bind


def _of(
    kind: AuditKind, who: str, detail: str, now: dt.datetime, source: str | None
) -> dict[str, Any]:
    """An audit row of `who` about themselves."""
    return _entry(kind, now=now, actor=who, subject=who, detail=detail, source=source)


def sign_in(store: Store, claims: Mapping[str, Any], *, now: dt.datetime, source: str) -> str:
    """Start a local session for the identity in `claims` (``st.user``); return its token.

    The sign-in is audited as ``sign_in`` with detail ``openid connect <subject>`` (and the
    binding of a subject as ``account_changed``); a refusal as ``sign_in_failed``.

    Parameters
    ----------
    store : Store
        The database to sign in to.
    claims : Mapping
        ``st.user`` as a mapping.
    now : datetime
        The time of the sign-in.
    source : str
        Where from (the sign-in page), for the audit log.

    Returns
    -------
    str
        The session token (only its SHA-256 is stored).

    Raises
    ------
    SignInError
        ``reason="oidc_no_account"`` (see :func:`match_account`); nobody signed in at the
        provider gives the same.
    """
    identity = identity_of(claims)
    if identity is None:
        _refuse("not signed in at the identity provider")
    try:
        account, bind = match_account(store, identity)
    except SignInError as err:
        who = identity.email or identity.subject
        detail = f"openid connect {identity.subject}: {err}"
        store.append_audit([_of(AuditKind.SIGN_IN_FAILED, who, detail, now, source)])
        raise
    login = account.login
    entries = [_of(AuditKind.SIGN_IN, login, f"openid connect {identity.subject}", now, source)]
    if bind:
        bound = _of(
            AuditKind.ACCOUNT_CHANGED, login, f"oidc_subject={identity.subject}", now, source
        )
        store.update_account(
            account.user_id,
            version=account.version,
            changes={"oidc_subject": identity.subject, "changed_at": _stamp(now)},
            audit=[bound],
        )
    token = secrets.token_urlsafe(32)
    store.start_session(token_hash(token), account.user_id, _stamp(now), entries)
    return token


def set_email(store: Store, login: str, email: str | None, **by: Unpack[Stamp]) -> Account:
    """Give `login` the e-mail its identity provider knows it by (None: none), so that its
    first OpenID Connect sign-in finds it; a changed e-mail unbinds the subject bound before.

    Parameters
    ----------
    store : Store
        The database of accounts.
    login : str
        The account.
    email : str or None
        The address (stored in lower case); None or blank clears it.
    **by : Stamp
        ``now``, ``actor``, ``source``: when, by whom and from where (the audit log).

    Returns
    -------
    Account
        The account with its new e-mail.

    Raises
    ------
    ValidationError
        For an unknown login or a malformed e-mail (``error.account.bad_email``).
        Another account's e-mail: ``error.account.email_taken``.
    """
    account = get_account(store, login)
    value = email.strip().lower() if email and email.strip() else None
    if value is not None and not _EMAIL.fullmatch(value):
        msg = f"{email!r} is not an e-mail address"
        raise ValidationError(msg, key="error.account.bad_email", email=str(email))
    others = store.read("app_user", where={"email": value}) if value else None
    if others is not None and (others["login"] != login).any():
        msg = f"the e-mail {value!r} belongs to another account"
        raise ValidationError(msg, key="error.account.email_taken", email=str(value))
    kind, detail = AuditKind.ACCOUNT_CHANGED, f"email={value or '-'}"
    entry = _entry(kind, subject=login, detail=detail, **by)
    store.update_account(
        account.user_id,
        version=account.version,
        changes={"email": value, "oidc_subject": None, "changed_at": entry["at"]},
        audit=[entry],
    )
    return get_account(store, login)
