"""Accounts, sign-in, sessions and the audit log.

Only the people a street office names get in. An account has a login, a role and a scope
(street, community), an enabled flag and an argon2id password hash (``argon2-cffi``; never
the password). A sign-in gives a session token: the browser keeps it, the database keeps its
SHA-256 (``auth_session``), and :func:`session_account` turns it back into the account until
it is idle for :func:`~mapgov.core.config.session_idle_minutes`, signed out, or the account is
disabled. A wall screen signs in with a display token (:mod:`mapgov.domain.display_tokens`, also
kept as a SHA-256 only) that opens its street, read-only and masked.

Failed sign-ins are throttled per login (known or not, so that a refusal never tells which
logins exist): the :data:`LOCK_FAILURES`-th failure within :data:`LOCK_MINUTES` minutes locks
the login for :data:`LOCK_MINUTES` minutes, during which even the right password is refused.
Every sign-in, failure, lockout, sign-out and account change is appended to ``audit_log``.
Wall-screen tokens are :mod:`mapgov.domain.display_tokens`; passwords, token hashes and the lockout
are :mod:`mapgov.domain.credentials` (named here again).

Time
----
Every function takes ``now``; none reads the clock. Pass the real time,
:func:`mapgov.core.clock.system_now`: idle limits and lockouts count real minutes, whereas a demo
street's calendar (:func:`mapgov.core.clock.now`) stays on its data date and would never let a
lockout end or a session go idle.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import secrets
from typing import Any, Final, Unpack

from mapgov.core.config import session_idle_minutes
from mapgov.core.errors import SignInError, ValidationError
from mapgov.core.model import ACCOUNT_ROLES, AuditKind, Role
from mapgov.domain.audit import Stamp, audit, read_audit
from mapgov.domain.audit import entry as _entry
from mapgov.domain.audit import stamp as _stamp
from mapgov.domain.credentials import (
    DUMMY_HASH,
    LOCK_FAILURES,
    LOCK_MINUTES,
    MIN_PASSWORD_LENGTH,
    check_login,
    check_password_rules,
    failure_reason,
    hash_password,
    locked_minutes,
    new_password,
    refuse_sign_in,
    token_hash,
    verify_password,
)
from mapgov.domain.users import User
from mapgov.store import Store

__all__ = [
    "LOCK_FAILURES",
    "LOCK_MINUTES",
    "MIN_PASSWORD_LENGTH",
    "Account",
    "add_account",
    "audit",
    "change_own_password",
    "change_role_and_scope",
    "check_login",
    "check_password_rules",
    "check_scope",
    "disable",
    "enable",
    "get_account",
    "hash_password",
    "list_accounts",
    "new_password",
    "read_audit",
    "session_account",
    "set_password",
    "sign_in",
    "sign_out",
    "token_hash",
    "verify_password",
]

_TOUCH_SECONDS: Final = 60  # a session's last use is written at most once a minute
_SCOPE_REASONS: Final = {  # in English for logs; error_text says them from the catalogue
    "staff_community": "community staff need a community (--community)",
    "display_street": "a wall screen needs a street (--street) and no community",
    "street_role": "a leader, planner or administrator works for the whole street, no community",
}
_STREET_ROLES: Final = (Role.LEADER, Role.PLANNER, Role.ADMIN)


@dataclasses.dataclass(frozen=True)
class Account(User):
    """A person's (or a wall screen's) account: a :class:`~mapgov.domain.users.User` that signs in.

    Holds no password or hash: `has_password` only says whether one is set.
    """

    login: str = ""
    enabled: bool = True
    has_password: bool = False
    must_change_password: bool = False
    created_at: str | None = None
    changed_at: str | None = None
    version: int = 1


# -- accounts ----------------------------------------------------------------------------------
def _account(row: dict[str, Any]) -> Account:
    def text(value: Any) -> str | None:
        return value if isinstance(value, str) and value else None

    return Account(
        user_id=row["user_id"],
        name=row["name"],
        role=Role(row["role"]),
        street_id=text(row["street_id"]),
        community_id=text(row["community_id"]),
        login=row["login"],
        enabled=bool(row["enabled"]),
        has_password=bool(text(row["password_hash"])),
        must_change_password=bool(row["must_change_password"]),
        created_at=text(row["created_at"]),
        changed_at=text(row["changed_at"]),
        version=int(row["version"]),
    )


def _row(store: Store, login: str) -> dict[str, Any] | None:
    frame = store.read("app_user", where={"login": login})
    return None if frame.empty else frame.iloc[0].to_dict()


def get_account(store: Store, login: str) -> Account:
    """The account signing in as `login`.

    Parameters
    ----------
    store : Store
        The database (its ``app_user`` table).
    login : str
        The account's login.

    Returns
    -------
    Account
        The account (no hashes).

    Raises
    ------
    ValidationError
        If there is none.
    """
    row = _row(store, login)
    if row is None:
        msg = f"no account {login!r}"
        raise ValidationError(msg, key="error.account.unknown", login=login)
    return _account(row)


def list_accounts(store: Store) -> list[Account]:
    """Every account (no hashes), by role (:data:`~mapgov.core.model.ACCOUNT_ROLES`), street,
    community and login.

    Parameters
    ----------
    store : Store
        The database of accounts.

    Returns
    -------
    list of Account
        In that order.
    """
    order = {role: k for k, role in enumerate(ACCOUNT_ROLES)}
    accounts = [_account(r) for r in store.read("app_user").to_dict("records")]
    return sorted(
        accounts, key=lambda a: (order[a.role], a.street_id or "", a.community_id or "", a.login)
    )


def check_scope(
    store: Store, role: Role, street_id: str | None, community_id: str | None
) -> tuple[str | None, str | None]:
    """The (street, community) of an account of `role`, checked; a community names its
    street when none is given.

    Parameters
    ----------
    store : Store
        The database that knows the streets and communities.
    role : Role
        The account's role.
    street_id : str or None
        The street asked for.
    community_id : str or None
        The community asked for (its street must be `street_id`, when given).

    Returns
    -------
    (str or None, str or None)
        The street and the community.

    Raises
    ------
    ValidationError
        For an unknown street or community, or a scope the role cannot have
        (``error.account.bad_scope``, its ``reason`` one of ``error.account.bad_scope_reason``).
    """
    if community_id is not None:
        found = store.read("community", where={"community_id": community_id})
        if found.empty or (street_id is not None and found["street_id"].iloc[0] != street_id):
            msg = f"street {street_id!r} has no community {community_id!r}"
            raise ValidationError(
                msg, key="error.account.no_community", street=street_id, community=community_id
            )
        street_id = str(found["street_id"].iloc[0])
    elif street_id is not None and store.read("street", where={"street_id": street_id}).empty:
        msg = f"no street {street_id!r}"
        raise ValidationError(msg, key="error.account.no_street", street=street_id)
    reason = None
    if role == Role.STAFF and community_id is None:
        reason = "staff_community"
    elif role == Role.DISPLAY and (street_id is None or community_id is not None):
        reason = "display_street"
    elif role in _STREET_ROLES and community_id is not None:
        reason = "street_role"  # their rights ignore it: the account list would misstate them
    if reason:
        msg = f"role {role.value}: {_SCOPE_REASONS[reason]}"
        raise ValidationError(msg, key="error.account.bad_scope", reason=reason)
    return street_id, community_id


def add_account(
    store: Store,
    login: str,
    *,
    role: Role | str,
    name: str | None = None,
    street_id: str | None = None,
    community_id: str | None = None,
    password: str | None = None,
    **by: Unpack[Stamp],
) -> tuple[Account, str | None]:
    """Add an account.

    Parameters
    ----------
    store : Store
        The database to add it to.
    login : str
        Letters, digits, ``.``, ``-``, ``_``; 2 to 64 characters; unique.
    role : Role or str
        The account's role.
    name : str, optional
        Display name (default the login).
    street_id, community_id : str, optional
        The scope: staff need a community (its street is filled in), a display account a
        street.
    password : str, optional
        Checked by :func:`check_password_rules`. None: a one-time password is made, returned,
        and must be changed at the first sign-in.
    **by : Stamp
        ``now``, ``actor``, ``source``: when, by whom and from where (the audit log).

    Returns
    -------
    (Account, str or None)
        The account and the one-time password (None when `password` was given).

    Raises
    ------
    ValidationError
        For a bad login, role, scope or password.
    StaleEditError
        If the login is taken.
    """
    check_login(store, login)
    role = Role(role)
    street_id, community_id = check_scope(store, role, street_id, community_id)
    one_time = None
    if password is None:
        one_time = password = new_password()
    else:
        check_password_rules(login, password)
    stamp = _stamp(by["now"])
    row = {
        "user_id": login,
        "login": login,
        "name": name or login,
        "role": role.value,
        "street_id": street_id,
        "community_id": community_id,
        "enabled": 1,
        "password_hash": hash_password(password),
        "must_change_password": int(one_time is not None),
        "created_at": stamp,
        "changed_at": stamp,
        "version": 1,
    }
    entry = _entry(AuditKind.ACCOUNT_ADDED, subject=login, detail=_scope(role, row), **by)
    store.insert_account(row, [entry])
    return get_account(store, login), one_time


def _scope(role: Role, scope: dict[str, Any]) -> str:
    """The audit detail of an account's role and scope."""
    street, community = scope["street_id"] or "-", scope["community_id"] or "-"
    return f"role={role.value} street={street} community={community}"


def _change(
    store: Store,
    login: str,
    changes: dict[str, Any],
    kind: AuditKind,
    *,
    version: int | None,
    end_sessions: bool = False,
    detail: str | None = None,
    **by: Unpack[Stamp],
) -> Account:
    """Apply `changes` to `login` (seen at `version`, None: the current one), audited as
    `kind`; end its sessions if asked."""
    account = get_account(store, login)
    entry = _entry(kind, subject=login, detail=detail, **by)
    at = entry["at"]
    store.update_account(
        account.user_id,
        version=account.version if version is None else version,
        changes={**changes, "changed_at": at},
        audit=[entry],
        end_sessions_at=at if end_sessions else None,
    )
    return get_account(store, login)


def set_password(
    store: Store,
    login: str,
    *,
    password: str | None = None,
    version: int | None = None,
    **by: Unpack[Stamp],
) -> str | None:
    """Reset `login`'s password (an administrator, or the command line); end its sessions.

    Parameters
    ----------
    store : Store
        The database of accounts.
    login : str
        Whose password is set.
    password : str, optional
        The new password (rules checked; no change asked at sign-in). None: a one-time
        password is made and returned, and must be changed at the next sign-in.
    version : int, optional
        The account's version the form was drawn from (default: the current one).
    **by : Stamp
        When it is set, by whom, from where (the audit log).

    Returns
    -------
    str or None
        The one-time password, or None when `password` was given.

    Raises
    ------
    ValidationError
        For an unknown login or a password the rules refuse.
    StaleEditError
        If the account changed since `version`.
    """
    one_time = None
    if password is None:
        one_time = password = new_password()
    else:
        check_password_rules(login, password)
    changes = {
        "password_hash": hash_password(password),
        "must_change_password": int(bool(one_time)),
    }
    detail = "one-time password" if one_time else "password set"
    _change(
        store,
        login,
        changes,
        AuditKind.PASSWORD_RESET,
        version=version,
        end_sessions=True,
        detail=detail,
        **by,
    )
    return one_time


def change_own_password(
    store: Store, login: str, old: str, new: str, *, now: dt.datetime, source: str | None = None
) -> Account:
    """A person changes their own password (also the one-time one, which clears the flag).

    Parameters
    ----------
    store : Store
        The database of accounts.
    login : str
        The person's login (who is also the actor in the audit log).
    old : str
        The current password.
    new : str
        The new password.
    now : datetime
        The time of the change.
    source : str, optional
        Where from (a page), for the audit log.

    Returns
    -------
    Account
        The account, its password changed.

    Raises
    ------
    ValidationError
        If `old` is wrong, `new` equals it, or the rules refuse `new`.
    """
    row = _row(store, login)
    if row is None or not verify_password(row["password_hash"], old)[0]:
        msg = "the current password is wrong"
        raise ValidationError(msg, key="error.account.wrong_old_password")
    if new == old:
        msg = "the new password must differ from the current one"
        raise ValidationError(msg, key="error.account.same_password")
    check_password_rules(login, new)
    changes = {"password_hash": hash_password(new), "must_change_password": 0}
    kind, version = AuditKind.PASSWORD_CHANGED, int(row["version"])
    return _change(
        store, login, changes, kind, version=version, now=now, actor=login, source=source
    )


def _set_enabled(
    store: Store, login: str, enabled: bool, version: int | None, by: Stamp
) -> Account:
    kind = AuditKind.ACCOUNT_ENABLED if enabled else AuditKind.ACCOUNT_DISABLED
    changes = {"enabled": int(enabled)}
    return _change(store, login, changes, kind, version=version, end_sessions=not enabled, **by)


def disable(
    store: Store, login: str, *, version: int | None = None, **by: Unpack[Stamp]
) -> Account:
    """Disable an account: it cannot sign in, and its live sessions end now.

    Parameters
    ----------
    store : Store
        The database to write.
    login : str
        The account to disable.
    version : int, optional
        The version of the account the form was drawn from (default: the current one).
    **by : Stamp
        ``now``, ``actor``, ``source``: when, by whom and from where (the audit log).

    Returns
    -------
    Account
        The account as it is now.
    """
    return _set_enabled(store, login, False, version, by)


def enable(store: Store, login: str, *, version: int | None = None, **by: Unpack[Stamp]) -> Account:
    """Enable a disabled account again.

    Parameters
    ----------
    store : Store
        The database to write.
    login : str
        The disabled account.
    version : int, optional
        Its version as the form saw it (default: the current one).
    **by : Stamp
        When, by whom and from where it is enabled (for the audit log).

    Returns
    -------
    Account
        The account, enabled.
    """
    return _set_enabled(store, login, True, version, by)


def change_role_and_scope(
    store: Store,
    login: str,
    *,
    role: Role | str,
    version: int,
    street_id: str | None = None,
    community_id: str | None = None,
    **by: Unpack[Stamp],
) -> Account:
    """Give an account another role and scope (checked as in :func:`add_account`); its live
    sessions end, so that the new rights apply from its next sign-in.

    Parameters
    ----------
    store : Store
        The database of accounts.
    login : str
        The account to change.
    role : Role or str
        Its new role.
    version : int
        Its version the form was drawn from.
    street_id, community_id : str, optional
        Its new scope.
    **by : Stamp
        ``now``, ``actor``, ``source`` of the change (the audit log).

    Returns
    -------
    Account
        The account as changed.

    Raises
    ------
    ValidationError
        For a role and scope that do not fit.
    StaleEditError
        If the account changed since `version` (the form is stale).
    """
    role = Role(role)
    street_id, community_id = check_scope(store, role, street_id, community_id)
    changes = {"role": role.value, "street_id": street_id, "community_id": community_id}
    return _change(
        store,
        login,
        changes,
        AuditKind.ACCOUNT_CHANGED,
        version=version,
        end_sessions=True,
        detail=_scope(role, changes),
        **by,
    )


# -- sign-in and sessions ----------------------------------------------------------------------
def sign_in(store: Store, login: str, password: str, *, now: dt.datetime, source: str) -> str:
    """Check `login` and `password` and start a session.

    Parameters
    ----------
    store : Store
        The database of accounts and sessions.
    login : str
        The login typed.
    password : str
        The password typed.
    now : datetime
        The time of the sign-in (real time: lockouts count real minutes).
    source : str
        Where from (the sign-in page), for the audit log.

    Returns
    -------
    str
        The session token (shown to the browser once; only its SHA-256 is stored).

    Raises
    ------
    SignInError
        ``reason="bad_credentials"`` for an unknown login, a wrong password, an account with
        no password or a disabled one (one message for all); ``reason="locked"`` with the
        minutes left while the login is locked, even for the right password. The failure
        that makes :data:`LOCK_FAILURES` within :data:`LOCK_MINUTES` locks the login. Every
        refusal is in the audit log.
    """
    minutes, failures = locked_minutes(store, login, now)
    if minutes:
        audit(store, AuditKind.SIGN_IN_LOCKED, now=now, actor=login, subject=login, source=source)
        msg = f"too many failed sign-ins: {login!r} is locked for {minutes} more minutes"
        raise SignInError(msg, reason="locked", minutes=minutes)
    row = _row(store, login)
    stored = row["password_hash"] if row is not None else None
    ok, renewed = verify_password(stored or DUMMY_HASH, password)  # same time for all
    if row is None or not ok or not row["enabled"]:
        refuse_sign_in(
            store, login, failure_reason(row, ok), len(failures) + 1, now=now, source=source
        )
    if renewed is not None:  # the hasher's parameters changed: keep the stronger hash
        store.update_account(
            row["user_id"],
            version=int(row["version"]),
            changes={"password_hash": renewed},
            audit=[],
        )
    token = secrets.token_urlsafe(32)
    entry = _entry(AuditKind.SIGN_IN, now=now, actor=login, subject=login, source=source)
    store.start_session(token_hash(token), row["user_id"], _stamp(now), [entry])
    return token


def session_account(
    store: Store, token: str | None, *, now: dt.datetime, idle_minutes: int | None = None
) -> Account | None:
    """The account a session token signs in, or None.

    None for no token, an unknown or ended session, a disabled account, or a session unused
    for more than `idle_minutes` (default :func:`~mapgov.core.config.session_idle_minutes`): that
    session ends here (audited as a sign-out, detail "idle"). A live session is marked used
    at `now` (written at most once a minute).

    Parameters
    ----------
    store : Store
        The database of sessions.
    token : str or None
        The session token the browser holds.
    now : datetime
        The time of the request.
    idle_minutes : int, optional
        The idle limit (default from the configuration).

    Returns
    -------
    Account or None
        The signed-in account.
    """
    if not token:
        return None
    session = store.live_session(token_hash(token))
    if session is None or not session["enabled"]:
        return None
    limit = dt.timedelta(minutes=idle_minutes or session_idle_minutes())
    last = dt.datetime.fromisoformat(session["last_seen_at"])
    account_row = store.read("app_user", where={"user_id": session["user_id"]})
    account = _account(account_row.iloc[0].to_dict())
    if now - last > limit:
        entry = _entry(
            AuditKind.SIGN_OUT, now=now, actor=account.login, subject=account.login, detail="idle"
        )
        store.end_session(int(session["session_id"]), _stamp(now), [entry])
        return None
    if (now - last).total_seconds() >= _TOUCH_SECONDS:
        store.touch_session(int(session["session_id"]), _stamp(now))
    return account


def sign_out(
    store: Store, token: str | None, *, now: dt.datetime, source: str | None = None
) -> None:
    """End the session of `token` (nothing happens for an unknown or ended one).

    Parameters
    ----------
    store : Store
        The database whose session ends.
    token : str or None
        The token of the session to end (None: there is none).
    now : datetime
        The time of the sign-out.
    source : str, optional
        Where from, for the audit log.
    """
    if not token:
        return
    session = store.live_session(token_hash(token))
    if session is None:
        return
    login = str(store.read("app_user", where={"user_id": session["user_id"]})["login"].iloc[0])
    entry = _entry(AuditKind.SIGN_OUT, now=now, actor=login, subject=login, source=source)
    store.end_session(int(session["session_id"]), _stamp(now), [entry])
