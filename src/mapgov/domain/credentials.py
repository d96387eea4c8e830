"""Credentials: passwords (argon2id), the hashes tokens are kept as, and the lockout of a login
after failed sign-ins.

Used by :mod:`mapgov.domain.accounts`, which names all of it again; every function takes
``now`` where it needs the time, none reads the clock.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import math
import re
import secrets
from typing import Any, Final, NoReturn

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from mapgov.core.errors import SignInError, StaleEditError, ValidationError
from mapgov.core.model import AuditKind
from mapgov.domain.audit import entry as _entry
from mapgov.domain.audit import stamp as _stamp
from mapgov.store import Store

__all__ = [
    "DUMMY_HASH",
    "LOCK_FAILURES",
    "LOCK_MINUTES",
    "MIN_PASSWORD_LENGTH",
    "check_login",
    "check_password_rules",
    "failure_reason",
    "hash_password",
    "locked_minutes",
    "new_password",
    "refuse_sign_in",
    "token_hash",
    "verify_password",
]

LOCK_FAILURES: Final = 5
"""Failed sign-ins of one login within :data:`LOCK_MINUTES` that lock it."""
LOCK_MINUTES: Final = 15
"""The window failures are counted in, and how long a lock lasts."""
MIN_PASSWORD_LENGTH: Final = 10
_HASHER: Final = PasswordHasher()  # argon2id, RFC 9106 low-memory profile (argon2-cffi)
DUMMY_HASH: Final = _HASHER.hash("not a password of anyone")
"""Verified against when a login has no hash, so that every refusal takes the same time."""


# -- passwords ---------------------------------------------------------------------------------
def hash_password(password: str, *, salt: bytes | None = None) -> str:
    """The argon2id hash of `password` (PHC string ``$argon2id$v=19$m=...``).

    Parameters
    ----------
    password : str
        The password to hash.
    salt : bytes, optional
        Only for reproducible builds (the demo given ``--password``); default a random salt.

    Returns
    -------
    str
        The hash to store.
    """
    return _HASHER.hash(password, salt=salt)


def verify_password(stored: str | None, password: str) -> tuple[bool, str | None]:
    """Whether `password` matches the hash `stored`, and a new hash if it should be renewed.

    Parameters
    ----------
    stored : str or None
        The stored hash (None or empty: nothing matches).
    password : str
        The password given.

    Returns
    -------
    (bool, str or None)
        True when it matches; the second item is a fresh hash when the hasher's parameters
        changed since `stored` was made (store it), else None.
    """
    if not stored:
        return False, None
    try:
        _HASHER.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False, None
    return True, (_HASHER.hash(password) if _HASHER.check_needs_rehash(stored) else None)


@functools.cache
def _common_passwords() -> frozenset[str]:
    """zxcvbn's list of the 30,000 most common passwords (MIT licence), lower case."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS  # lazy: 1 MB of words

    return frozenset(FREQUENCY_LISTS["passwords"])


def check_password_rules(login: str, password: str) -> None:
    """Refuse a password shorter than :data:`MIN_PASSWORD_LENGTH`, one that is or contains
    the login (ignoring case), or one of the common passwords zxcvbn lists.

    Parameters
    ----------
    login : str
        The account's login (empty: not checked against it).
    password : str
        The password to check.

    Raises
    ------
    ValidationError
        Saying which rule (``error.account.too_short`` / ``like_login`` / ``common``).
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        msg = f"a password needs at least {MIN_PASSWORD_LENGTH} characters"
        raise ValidationError(msg, key="error.account.too_short", min=MIN_PASSWORD_LENGTH)
    if login and login.casefold() in password.casefold():
        msg = "the password may not be the login, nor contain it"
        raise ValidationError(msg, key="error.account.like_login")
    if password.casefold() in _common_passwords():
        msg = "this is a common password, easy to guess: choose another"
        raise ValidationError(msg, key="error.account.common")


def new_password() -> str:
    """A strong random password (16 characters from ``secrets``), for one-time use.

    Returns
    -------
    str
        The password; it does not start with ``-`` or ``_``.
    """
    while True:
        candidate = secrets.token_urlsafe(12)
        if candidate[0] not in "-_":  # nothing a shell or a form would take for an option
            return candidate


def token_hash(token: str) -> str:
    """The SHA-256 (hex) under which a session or display token is stored.

    Parameters
    ----------
    token : str
        The token as the browser or the wall screen holds it.

    Returns
    -------
    str
        64 hexadecimal digits.
    """
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


# -- the lockout of failed sign-ins ----------------------------------------------------------
def locked_minutes(store: Store, login: str, now: dt.datetime) -> tuple[int, list[str]]:
    """How long `login` stays locked, and the failures that count towards a lock now.

    Parameters
    ----------
    store : Store
        The database whose audit log counts the failures.
    login : str
        The login (known or not).
    now : datetime
        The time of the sign-in.

    Returns
    -------
    (int, list of str)
        Minutes the login stays locked (0 if not); the times of the failures since the last
        lockout or success within :data:`LOCK_MINUTES`.
    """
    window = dt.timedelta(minutes=LOCK_MINUTES)
    rows = store.audit_rows(
        since=_stamp(now - window + dt.timedelta(seconds=1)),
        subject=login,
        kinds=[AuditKind.SIGN_IN_FAILED, AuditKind.LOCKOUT, AuditKind.SIGN_IN],
    )
    failures: list[str] = []
    for at, kind in zip(rows["at"], rows["kind"], strict=True):
        if kind == AuditKind.SIGN_IN_FAILED:
            failures.append(at)
        else:
            failures = []  # a lockout or a success starts the count again
    lockouts = rows.loc[rows["kind"] == AuditKind.LOCKOUT, "at"]
    if len(lockouts):
        until = dt.datetime.fromisoformat(lockouts.iloc[-1]) + window
        if until > now:
            return math.ceil((until - now).total_seconds() / 60), failures
    return 0, failures


def failure_reason(row: dict[str, Any] | None, ok: bool) -> str:
    """Why a sign-in failed, for the audit log only (the person is told one thing).

    Parameters
    ----------
    row : dict or None
        The account's row (None: unknown login).
    ok : bool
        Whether the password matched.

    Returns
    -------
    str
        ``unknown login``, ``no password set``, ``wrong password`` or ``disabled``.
    """
    if row is None:
        return "unknown login"
    if not row["password_hash"]:
        return "no password set"
    return "wrong password" if not ok else "disabled"


def refuse_sign_in(
    store: Store, login: str, why: str, failures: int, *, now: dt.datetime, source: str
) -> NoReturn:
    """Log a failed sign-in (and the lockout it makes, at `failures` in the window); raise.

    Parameters
    ----------
    store : Store
        The database whose audit log is appended to.
    login : str
        The login that failed (actor and subject of the entries).
    why : str
        The reason, for the log (:func:`failure_reason`).
    failures : int
        The failures in the window, this one included; :data:`LOCK_FAILURES` locks the login.
    now : datetime
        The time of the failure.
    source : str
        Where from (the sign-in page).

    Raises
    ------
    SignInError
        Always: ``reason="locked"`` when this failure locks the login, else
        ``reason="bad_credentials"``.
    """

    def _one(kind: AuditKind, detail: str) -> dict[str, Any]:
        return _entry(kind, now=now, actor=login, subject=login, detail=detail, source=source)

    entries = [_one(AuditKind.SIGN_IN_FAILED, why)]
    locks = failures >= LOCK_FAILURES
    if locks:
        entries.append(_one(AuditKind.LOCKOUT, f"{failures} failures"))
    store.append_audit(entries)
    if locks:
        msg = f"too many failed sign-ins: {login!r} is locked for {LOCK_MINUTES} minutes"
        raise SignInError(msg, reason="locked", minutes=LOCK_MINUTES)
    msg = "wrong login or password"
    raise SignInError(msg, reason="bad_credentials")


_LOGIN: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{1,63}")


def check_login(store: Store, login: str) -> None:
    """Refuse a login that cannot be given: not of letters, digits and ``. - _`` (2-64), or
    another account's but for upper and lower case (``S001-leader`` and ``s001-leader`` would
    be two people signing in with names no one tells apart).

    Parameters
    ----------
    store : Store
        The database of accounts.
    login : str
        The login asked for.

    Raises
    ------
    ValidationError
        For a login of other characters (``error.account.bad_login``).
    StaleEditError
        For a login taken in any case (``error.account.login_taken``, naming the account's).
    """
    if not _LOGIN.fullmatch(login):
        msg = f"the login {login!r} cannot be used: letters, digits, . - _ (2-64 characters)"
        raise ValidationError(msg, key="error.account.bad_login", login=login)
    taken = store.read("app_user", columns=["login"])["login"]
    same = taken[taken.str.lower() == login.lower()]
    if len(same):
        msg = f"the login {login!r} is taken (as {same.iloc[0]!r})"
        raise StaleEditError(msg, key="error.account.login_taken", login=str(same.iloc[0]))
