"""What an administrator does on the account page, with the rights checked here.

Every function takes the acting user first and refuses anyone but an administrator
(:func:`require_admin`), whatever the page shows or hides. An administrator of a street
manages the accounts, wall-screen tokens and audit entries of that street only; one with no
street (made on the command line) manages every street. Nobody changes their own account
here (a slip would lock them out; another administrator or ``mapgov user`` does it), and the
last enabled administrator of a street can be neither disabled nor given another role or
street (:meth:`~mapgov.store.accounts.AccountRecords.update_account` checks it inside the
write).

Every edit carries the version of the account the form was drawn from and is refused
(:class:`~mapgov.core.errors.StaleEditError`, ``error.account.stale``) if the account changed in
between. Passwords the system makes are one-time: shown once, changed at the first sign-in.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Final, NotRequired, TypedDict, TypeVar, Unpack
from urllib.parse import urlsplit

import pandas as pd

from mapgov.core.errors import PermissionDeniedError, StaleEditError, ValidationError
from mapgov.core.i18n import label, t
from mapgov.core.model import AuditKind, Role
from mapgov.domain import accounts, display_tokens
from mapgov.domain.audit import Stamp, actor_of, read_audit
from mapgov.domain.users import User
from mapgov.store import Store
from mapgov.views.markup import minute

__all__ = [
    "AUDIT_COLUMNS",
    "PAGE_ROLES",
    "SEEN_BUILDING",
    "SEEN_WISH",
    "SEEN_WISHES",
    "Edit",
    "TokenEdit",
    "add",
    "add_token",
    "audit_file",
    "audit_table",
    "change_role",
    "disable",
    "enable",
    "is_admin",
    "minute",
    "require_admin",
    "reset_password",
    "revoke_token",
    "street_accounts",
    "street_audit",
    "street_tokens",
    "wall_address",
]

T = TypeVar("T")
PAGE_ROLES: Final = (Role.LEADER, Role.PLANNER, Role.ADMIN, Role.STAFF)
"""Roles given on the page; a wall screen gets a display token instead of an account."""
AUDIT_COLUMNS: Final = ("at", "actor", "kind", "subject", "detail", "source")
"""Columns of the audit log as the page shows and exports it (``account_page.audit.col.*``)."""


class Edit(TypedDict):
    """What every change of an account on the page carries: the account's `version` the form
    was drawn from, the time `now` and the `source` (the page)."""

    version: int
    now: dt.datetime
    source: NotRequired[str | None]


class TokenEdit(TypedDict):
    """What issuing or revoking a wall-screen token carries: the time `now`, the `street_id`
    (for an administrator of every street) and the `source` (the page)."""

    now: dt.datetime
    street_id: NotRequired[str | None]
    source: NotRequired[str | None]


def is_admin(user: User | None) -> bool:
    """Whether `user` may manage accounts (an administrator)."""
    return user is not None and user.role == Role.ADMIN


def require_admin(user: User | None) -> User:
    """`user` if an administrator.

    Raises
    ------
    PermissionDeniedError
        Otherwise (``error.account.admin_only``).
    """
    if user is None or not is_admin(user):
        msg = "only an administrator manages accounts"
        raise PermissionDeniedError(msg, key="error.account.admin_only")
    return user


def _street(admin: User, street_id: str | None) -> str:
    """The street `admin` works on: their own; one with no street names it."""
    if admin.street_id is not None:
        if street_id not in (None, admin.street_id):
            msg = f"{admin.user_id!r} manages street {admin.street_id!r} only"
            raise PermissionDeniedError(msg, key="error.account.other_street")
        return admin.street_id
    if street_id is None:
        msg = "choose a street first"
        raise ValidationError(msg, key="error.no_street")
    return street_id


def _target(store: Store, admin: User, login: str) -> accounts.Account:
    """The account `admin` may change: of their street, not their own."""
    require_admin(admin)
    account = accounts.get_account(store, login)
    if admin.street_id is not None and account.street_id != admin.street_id:
        msg = f"{login!r} is not an account of street {admin.street_id!r}"
        raise PermissionDeniedError(msg, key="error.account.other_street")
    if account.login == actor_of(admin):
        msg = "nobody changes their own account here: ask another administrator"
        raise PermissionDeniedError(msg, key="error.account.self")
    return account


@contextlib.contextmanager
def _stale_as_account(login: str) -> Iterator[None]:
    """Say a stale account form in the account's words (not the table's)."""
    try:
        yield
    except StaleEditError as err:
        if err.key != "error.edit.stale":
            raise
        msg = f"the account {login!r} was changed by someone else: reload and try again"
        raise StaleEditError(msg, key="error.account.stale", login=login) from err


def _as_admin(change: Callable[..., T], store: Store, admin: User, login: str, edit: Edit) -> T:
    """`change` (a :mod:`mapgov.domain.accounts` edit) of `login` by `admin`, rights checked."""
    _target(store, admin, login)
    with _stale_as_account(login):
        return change(store, login, actor=actor_of(admin), **edit)


def _token_stamp(admin: User, edit: TokenEdit) -> tuple[str, Stamp]:
    """The street whose token `admin` issues or revokes, and the audit stamp of the change."""
    street = _street(require_admin(admin), edit.get("street_id"))
    return street, Stamp(now=edit["now"], actor=actor_of(admin), source=edit.get("source"))


def _check_page_scope(role: Role, community_id: str | None) -> None:
    if role not in PAGE_ROLES:
        msg = "a wall screen gets a display token, not an account"
        raise ValidationError(msg, key="error.account.no_display_account")
    if role == Role.STAFF and community_id is None:
        msg = "community staff need a community"
        raise ValidationError(msg, key="error.account.need_community")


# -- reading ---------------------------------------------------------------------------------
def street_accounts(
    store: Store, admin: User, street_id: str | None = None
) -> list[accounts.Account]:
    """The accounts of the street `admin` manages (no wall-screen accounts), in the order of
    :func:`mapgov.domain.accounts.list_accounts`."""
    street = _street(require_admin(admin), street_id)
    return [
        a for a in accounts.list_accounts(store) if a.street_id == street and a.role != Role.DISPLAY
    ]


def street_tokens(store: Store, admin: User, street_id: str | None = None) -> pd.DataFrame:
    """The display tokens of the street `admin` manages (no hashes), live ones first."""
    street = _street(require_admin(admin), street_id)
    tokens = display_tokens.list_display_tokens(store)
    tokens = tokens[tokens["street_id"] == street]
    live = tokens["revoked_at"].isna()
    return (
        tokens.assign(_live=live)
        .sort_values(["_live", "created_at"], ascending=[False, False])
        .drop(columns="_live")
        .reset_index(drop=True)
    )


# -- accounts --------------------------------------------------------------------------------
def add(
    store: Store,
    admin: User,
    login: str,
    *,
    role: Role | str,
    now: dt.datetime,
    name: str | None = None,
    street_id: str | None = None,
    community_id: str | None = None,
    source: str | None = None,
) -> tuple[accounts.Account, str]:
    """Add an account to `admin`'s street with a one-time password.

    Returns
    -------
    (Account, str)
        The account and its one-time password (show it once; it must be changed at the
        first sign-in).

    Raises
    ------
    PermissionDeniedError
        For anyone but an administrator, or another street.
    ValidationError
        For a bad login, role or scope (staff need a community of the street).
    StaleEditError
        If the login is taken (``error.account.login_taken``).
    """
    street = _street(require_admin(admin), street_id)
    role = Role(role)
    accounts.check_login(store, login.strip())  # the login first: the form's first field
    _check_page_scope(role, community_id)
    name = (name or "").strip() or None
    by = Stamp(now=now, actor=actor_of(admin), source=source)
    scope = {"street_id": street, "community_id": community_id}
    account, one_time = accounts.add_account(
        store, login.strip(), role=role, name=name, **scope, **by
    )
    assert one_time is not None  # no password given: the system made one
    return account, one_time


def disable(store: Store, admin: User, login: str, **edit: Unpack[Edit]) -> accounts.Account:
    """Disable `login` (seen at `version`); its sessions end now.

    Raises
    ------
    ValidationError
        If it is the last enabled administrator of its street (``error.account.last_admin``).
    """
    return _as_admin(accounts.disable, store, admin, login, edit)


def enable(store: Store, admin: User, login: str, **edit: Unpack[Edit]) -> accounts.Account:
    """Enable `login` again (seen at `version`)."""
    return _as_admin(accounts.enable, store, admin, login, edit)


def reset_password(store: Store, admin: User, login: str, **edit: Unpack[Edit]) -> str:
    """Give `login` (seen at `version`) a new one-time password; its sessions end.

    Returns
    -------
    str
        The one-time password: show it once; the person must change it at sign-in.
    """
    one_time = _as_admin(accounts.set_password, store, admin, login, edit)
    assert one_time is not None
    return one_time


def change_role(
    store: Store,
    admin: User,
    login: str,
    *,
    role: Role | str,
    community_id: str | None,
    **edit: Unpack[Edit],
) -> accounts.Account:
    """Give `login` (seen at `version`) another role and community in the same street; its
    sessions end so that the new rights apply from its next sign-in.

    Raises
    ------
    ValidationError
        For a role and scope that do not fit, or the street's last enabled administrator
        given another role (``error.account.last_admin``).
    """
    account = _target(store, admin, login)
    role = Role(role)
    _check_page_scope(role, community_id)
    scope = {"street_id": account.street_id, "community_id": community_id}
    with _stale_as_account(login):
        return accounts.change_role_and_scope(
            store, login, role=role, actor=actor_of(admin), **scope, **edit
        )


# -- wall-screen tokens ----------------------------------------------------------------------
def add_token(store: Store, admin: User, label_text: str, **edit: Unpack[TokenEdit]) -> str:
    """Issue a display token for `admin`'s street; returns it (show it once)."""
    street, by = _token_stamp(admin, edit)
    return display_tokens.add_display_token(store, label_text, street, **by)


def revoke_token(store: Store, admin: User, label_text: str, **edit: Unpack[TokenEdit]) -> None:
    """Revoke the live display token `label_text` of `admin`'s street.

    Raises
    ------
    ValidationError
        If the street has no live token of that label (revoked meanwhile, or another
        street's: ``error.account.token_unknown``).
    """
    street, by = _token_stamp(admin, edit)
    # a label names one live token: of this street (a revoked one here may be live elsewhere)
    display_tokens.revoke_display_token(store, label_text, street, **by)


# -- the audit log ---------------------------------------------------------------------------
def street_audit(
    store: Store,
    admin: User,
    *,
    since: dt.date,
    until: dt.date,
    street_id: str | None = None,
) -> pd.DataFrame:
    """The audit entries from day `since` to day `until` (both whole) that concern `admin`'s
    street: done by or to one of its accounts or tokens. An administrator of every street
    reads every entry.

    Returns
    -------
    DataFrame
        :data:`AUDIT_COLUMNS`, oldest first.
    """
    require_admin(admin)
    log = read_audit(store, since=since, until=until + dt.timedelta(days=1))
    if admin.street_id is not None or street_id is not None:
        street = _street(admin, street_id)
        names = {a.login for a in accounts.list_accounts(store) if a.street_id == street}
        tokens = display_tokens.list_display_tokens(store)
        names |= set(tokens.loc[tokens["street_id"] == street, "label"])
        log = log[log["actor"].isin(names) | log["subject"].isin(names)]
    return log.loc[:, list(AUDIT_COLUMNS)].reset_index(drop=True)


SEEN_WISHES: Final = "posters and claimants of the wish list"
"""What a view of a community's wish list unmasked shows (the log's detail)."""
SEEN_WISH: Final = "poster and claimant"
"""What a view of one wish's card unmasked shows."""
SEEN_BUILDING: Final = "building head, zone member, reporters of its issues"
"""What a view of a building's profile unmasked shows."""

_FIXED_DETAILS: Final = {
    SEEN_WISHES: "wish_people",
    SEEN_WISH: "poster_claimant",
    SEEN_BUILDING: "building_people",
    "posters of the wish list": "wish_posters",  # as logs written before claimants were masked
    "poster": "poster",
    "whole database": "whole_database",
    "idle": "idle",
    "one-time password": "one_time_password",
    "password set": "password_set",
    "unknown login": "unknown_login",
    "no password set": "no_password",
    "wrong password": "wrong_password",
    "disabled": "disabled",
}
"""Details the log writes in fixed English words, by their ``account_page.audit.detail.*``."""
_SCOPE: Final = re.compile(r"role=(\S+) street=(\S+) community=(\S+)")
_COMPOUND: Final = re.compile(
    r"compound (\S+): branch secretary(?:; building (\S+): head, zone member)?"
)
_COUNTED: Final = {
    "failures": re.compile(r"(\d+) failures"),
    "ledger": re.compile(r"issue ledger, reporters of (\d+) issues"),
}
_SUBJECTS: Final = ("wishes", "micro_wish", "building", "compound", "ledger", "backup")
"""What a view of personal data names as its subject (``<kind>:<id>``, or ``backup``)."""
_SOURCES: Final = ("web", "cli", "demo")
"""Where entries come from: a page (``web``, with the address when known), ``mapgov``'s
command line, the demo's build."""
_CODED: Final = {"subject": (":", _SUBJECTS, " · "), "source": (" ", _SOURCES, " ")}
"""How a subject and a source are written: separator, codes named, joint when shown."""


def _detail(text: object, lang: str, places: Mapping[str, str]) -> str:
    """An audit entry's detail in `lang`: fixed words and known forms translated, place ids
    named; anything else (an OpenID Connect subject, an e-mail) as written."""
    if not isinstance(text, str) or not text:
        return ""
    if text in _FIXED_DETAILS:
        return t("account_page.audit.detail." + _FIXED_DETAILS[text], lang)
    return _formed(text, lang, places) or text


def _formed(text: str, lang: str, places: Mapping[str, str]) -> str | None:
    """A detail the log writes in a known form with values, in `lang`; None for another."""
    d = "account_page.audit.detail."
    for key, pattern in _COUNTED.items():
        if found := pattern.fullmatch(text):
            return t(d + key, lang, n=int(found[1]))
    if found := _SCOPE.fullmatch(text):
        role, street, community = found.groups()
        shown = label(Role(role), lang) if role in set(Role) else role
        named = [places.get(v, v) if v != "-" else "—" for v in (street, community)]
        return t(d + "scope", lang, role=shown, street=named[0], community=named[1])
    if found := _COMPOUND.fullmatch(text):
        said = t(d + "compound", lang, compound=found[1])
        return said if found[2] is None else said + t(d + "and_building", lang, building=found[2])
    if text.startswith("street=") and " " not in text:
        return t(d + "street", lang, street=places.get(text[7:], text[7:]))
    return None


def _coded(text: object, lang: str, entry: str, places: Mapping[str, str] | None = None) -> str:
    """A subject (``<kind>:<id>``: a view's kind named, the place named from `places`) or a
    source (``web 10.0.0.7``: the page's word and the address) in `lang`; a login, a token
    or an unknown code as written; nothing for none."""
    if not isinstance(text, str) or not text:
        return ""
    sep, codes, join = _CODED[entry]
    head, _, rest = text.partition(sep)
    if head not in codes:
        return text
    said = t(f"account_page.audit.{entry}.{head}", lang)
    return f"{said}{join}{(places or {}).get(rest, rest)}" if rest else said


def _headers(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    return frame.rename(columns={c: t(f"account_page.audit.col.{c}", lang) for c in AUDIT_COLUMNS})


def audit_table(
    log: pd.DataFrame, lang: str, places: Mapping[str, str] | None = None
) -> pd.DataFrame:
    """The audit entries as people read them on the page, in `lang`: times to the minute,
    kinds, subjects, details and sources in words, `places` (ids to names) named, nothing
    for a missing value."""
    places = places or {}
    frame = log.loc[:, list(AUDIT_COLUMNS)]
    shown = frame.assign(
        at=[minute(v) for v in frame["at"]],
        actor=frame["actor"].fillna(""),
        kind=[label(AuditKind(k), lang) for k in frame["kind"]],
        subject=[_coded(v, lang, "subject", places) for v in frame["subject"]],
        detail=[_detail(v, lang, places) for v in frame["detail"]],
        source=[_coded(v, lang, "source") for v in frame["source"]],
    )
    return _headers(shown, lang)


def audit_file(log: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The audit entries as exported (CSV, Excel): headers and kinds in `lang`, every other
    value as the log holds it (times to the second, subjects, details and sources as
    written), so that a file is faithful to the log."""
    frame = log.loc[:, list(AUDIT_COLUMNS)]
    return _headers(frame.assign(kind=[label(AuditKind(k), lang) for k in frame["kind"]]), lang)


def wall_address(page_url: str | None, token: str) -> str:
    """The whole address a wall screen's browser opens with `token`: the host and folder of
    the page the administrator is on (`page_url`, as the browser has it), then
    ``/wall?kiosk=1&token=...``; the path alone if the page's address is unknown.

    Examples
    --------
    >>> wall_address("https://jd.example.cn/mapgov/accounts?lang=en", "abc")
    'https://jd.example.cn/mapgov/wall?kiosk=1&token=abc'
    >>> wall_address(None, "abc")
    '/wall?kiosk=1&token=abc'
    """
    path = f"/wall?kiosk=1&token={token}"
    parts = urlsplit(page_url or "")
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return path
    root = parts.path.rsplit("/", 1)[0]  # the app's folder: the page is its last part
    return f"{parts.scheme}://{parts.netloc}{root}{path}"
