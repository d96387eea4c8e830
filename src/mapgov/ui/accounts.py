"""The account page (账号管理): an administrator's accounts, wall-screen tokens and audit log.

Every action calls :mod:`mapgov.views.accounts`, which checks the rights again; this module
only draws the forms. A form carries the version of the account it was drawn from, so a
click on a form someone else has made stale is refused. A step that cannot be taken back
(disabling an account, resetting its password, revoking a wall screen's token) asks first, in
words naming what it does to whom, and is taken only on the second click. A one-time password
or a display token is shown once, on the run after the click, and then forgotten.

Times are real (:func:`mapgov.core.clock.system_now`): the log and the accounts' stamps are.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any, Final

import pandas as pd
import streamlit as st

from mapgov.core import clock
from mapgov.core.errors import MapgovError
from mapgov.core.i18n import error_text, label, t
from mapgov.core.model import Role
from mapgov.domain.accounts import Account
from mapgov.domain.audit import actor_of
from mapgov.domain.places import display_names
from mapgov.domain.users import User
from mapgov.io import exports
from mapgov.store import open_store
from mapgov.ui import auth
from mapgov.ui import loaders as data
from mapgov.ui.state import PageView, View
from mapgov.ui.widgets import current_user, flash, md_text, say, show_table, take
from mapgov.views import accounts as admin

__all__ = [
    "ASKING",
    "AccountsView",
    "account_list",
    "add_form",
    "audit_section",
    "controls",
    "edit_section",
    "token_section",
]

_P: Final = "account_page."
FLASH: Final = "accounts.flash"
_SECRET: Final = "accounts.secret"  # (name, value, kind): shown once, then dropped
_ASKED: Final = "accounts.asked"  # (what, name, version): the step waiting to be confirmed
ASKING: Final = ("disable", "reset")
"""The account steps asked about before they are taken (enabling and a role undo themselves)."""
_NO_COMMUNITY: Final = ""
CHOSEN: Final = "accounts.chosen"
"""The account chosen to change (its selectbox's key)."""
TOKEN_CHOSEN: Final = "accounts.token.revoke"
"""The wall-screen token chosen to revoke (its selectbox's key)."""
AUDIT_DAYS: Final = 7
"""The audit log opens on this many days, up to today."""


@dataclass(frozen=True)
class AccountsView(PageView):
    """What the sections need: the view, the administrator and the street."""

    user: User
    street_id: str

    def communities(self) -> dict[str, str]:
        """Community names of the street by id."""
        frame = data.community_list(self.store, self.street_id)
        return dict(zip(frame["community_id"], display_names(frame, self.lang), strict=True))

    def places(self) -> dict[str, str]:
        """Names of the streets and of this street's communities by id (for the audit log)."""
        streets = data.street_list(self.store)
        names = dict(zip(streets["street_id"], display_names(streets, self.lang), strict=True))
        return {**names, **self.communities()}


def controls(view: View) -> AccountsView | None:
    """The administrator on this page, or None (with a notice) for anyone else.

    Who it is comes from the signed-in account (:func:`~mapgov.ui.widgets.current_user`),
    never from the address: the page is registered, hidden, for everyone signed in, so that a
    link to it says in words that it is for administrators."""
    store = open_store(view.db)
    user = current_user(store, view)
    if not admin.is_admin(user):
        st.info(t(_P + "admin_only", view.lang), icon=":material/lock:")
        return None
    assert user is not None
    street_id = user.street_id or view.street_id
    if street_id is None:  # an administrator of every street, and no street yet
        st.info(t("error.no_street", view.lang), icon=":material/lock:")
        return None
    return AccountsView(view, user, street_id)


def _stamp() -> dict[str, Any]:
    """When and from where an account step is taken (the audit log's ``now`` and ``source``)."""
    return {"now": clock.system_now(), "source": auth.request_source()}


def _attempt(where: str, lang: str, action: Callable[[], str]) -> bool:
    """Run `action` (a form's callback); keep its outcome sentence for :func:`flash`."""
    try:
        text = action()
    except MapgovError as err:
        say(FLASH, "error", error_text(err, lang), where)
        return False
    say(FLASH, "success", text, where)
    return True


def _show_secret(where: str, lang: str) -> None:
    """The one-time password or token kept by the last click, shown once."""
    secret = take(_SECRET, where)
    if secret is None:
        return
    name, value, _ = secret
    st.warning(t(_P + f"secret.{where}", lang, name=md_text(name)), icon=":material/key:")
    st.code(value, language=None)


# -- the list ------------------------------------------------------------------------------
def _account_rows(ctx: AccountsView, rows: list[Account]) -> pd.DataFrame:
    lang = ctx.lang
    names = ctx.communities()
    c = _P + "col."
    yes, no = t(_P + "yes", lang), t(_P + "no", lang)
    return pd.DataFrame(
        {
            t(c + "login", lang): [a.login for a in rows],
            t(c + "name", lang): [a.name for a in rows],
            t(c + "role", lang): [label(a.role, lang) for a in rows],
            t(c + "community", lang): [names.get(a.community_id or "", "—") for a in rows],
            t(c + "enabled", lang): [yes if a.enabled else no for a in rows],
            t(c + "must_change", lang): [yes if a.must_change_password else no for a in rows],
            t(c + "changed_at", lang): [admin.minute(a.changed_at) for a in rows],
        }
    )


def account_list(ctx: AccountsView) -> None:
    """The street's accounts."""
    rows = admin.street_accounts(ctx.store, ctx.user, ctx.street_id)
    st.markdown(f"**{md_text(t(_P + 'list', ctx.lang, n=len(rows)))}**")
    show_table(_account_rows(ctx, rows), hide_index=True, width="stretch")


# -- adding --------------------------------------------------------------------------------
def _role_box(ctx: AccountsView, key: str, value: Role = Role.STAFF) -> None:
    st.selectbox(
        t(_P + "role", ctx.lang),
        [r.value for r in admin.PAGE_ROLES],
        index=admin.PAGE_ROLES.index(value),
        format_func=lambda v: label(Role(v), ctx.lang),
        key=key,
    )


def _community_box(ctx: AccountsView, key: str, value: str | None = None) -> None:
    names = {_NO_COMMUNITY: t(_P + "whole_street", ctx.lang), **ctx.communities()}
    options = list(names)
    st.selectbox(
        t(_P + "community", ctx.lang),
        options,
        index=options.index(value) if value in options else 0,
        format_func=names.__getitem__,
        key=key,
        help=t(_P + "community_help", ctx.lang),
    )


def _picked(key: str) -> str | None:
    return str(st.session_state.get(key) or "") or None


def _add(ctx: AccountsView) -> None:
    lang = ctx.lang
    login = str(st.session_state.get("accounts.add.login") or "").strip()

    def act() -> str:
        account, one_time = admin.add(
            ctx.store,
            ctx.user,
            login,
            role=str(st.session_state.get("accounts.add.role")),
            name=str(st.session_state.get("accounts.add.name") or ""),
            street_id=ctx.street_id,
            community_id=_picked("accounts.add.community"),
            **_stamp(),
        )
        st.session_state[_SECRET] = (account.login, one_time, "add")
        return t(_P + "added", lang, login=account.login)

    if _attempt("add", lang, act):
        st.session_state["accounts.add.login"] = ""
        st.session_state["accounts.add.name"] = ""


def add_form(ctx: AccountsView) -> None:
    """Add an account: the system makes its one-time password, shown once."""
    lang = ctx.lang
    st.markdown(f"**{md_text(t(_P + 'add', lang))}**")
    flash(FLASH, "add")
    _show_secret("add", lang)
    with st.form("accounts.add"):
        left, right = st.columns(2)
        with left:
            st.text_input(t(_P + "login", lang), max_chars=64, key="accounts.add.login")
            _role_box(ctx, "accounts.add.role")
        with right:
            st.text_input(t(_P + "name", lang), max_chars=40, key="accounts.add.name")
            _community_box(ctx, "accounts.add.community")
        st.form_submit_button(
            t(_P + "add_submit", lang), type="primary", on_click=_add, args=(ctx,)
        )


# -- changing ------------------------------------------------------------------------------
def _edit(ctx: AccountsView, what: str, login: str, version: int) -> None:
    lang = ctx.lang
    stamp = _stamp()
    store, user = ctx.store, ctx.user

    def act() -> str:
        if what == "disable":
            admin.disable(store, user, login, version=version, **stamp)
        elif what == "enable":
            admin.enable(store, user, login, version=version, **stamp)
        elif what == "reset":
            one_time = admin.reset_password(store, user, login, version=version, **stamp)
            st.session_state[_SECRET] = (login, one_time, "reset")
        else:
            admin.change_role(
                store,
                user,
                login,
                role=str(st.session_state.get(f"accounts.edit.role.{login}")),
                community_id=_picked(f"accounts.edit.community.{login}"),
                version=version,
                **stamp,
            )
        return t(_P + f"done.{what}", lang, login=login)

    _attempt("edit", lang, act)


def _ask(what: str, name: str, version: int) -> None:
    st.session_state[_ASKED] = (what, name, version)


def _ask_revoke() -> None:
    """Ask about the token chosen when the button is clicked, read then: a click that reaches
    the server with a new choice (made just before it) asked about the one chosen before,
    and the question, shown only for the token chosen, never came."""
    _ask("revoke", str(st.session_state.get(TOKEN_CHOSEN)), 0)


def _asked(what: tuple[str, ...], name: str) -> tuple[str, int] | None:
    """The step (one of `what`) waiting to be confirmed on `name`, with the version it was
    asked on; None if none is."""
    asked = st.session_state.get(_ASKED)
    if not asked or asked[0] not in what or asked[1] != name:
        return None
    return asked[0], asked[2]


def _drop_ask() -> None:
    st.session_state.pop(_ASKED, None)


def _yes(on_yes: Callable[[], None]) -> None:
    _drop_ask()
    on_yes()


def _confirm(
    ctx: AccountsView, what: str, question: str, on_yes: Callable[[], None], key: str
) -> None:
    """The question about `what` and its two buttons: take the step (`on_yes`), or not."""
    st.warning(question, icon=":material/help:")
    with st.container(horizontal=True):
        st.button(
            t(_P + f"confirm.yes.{what}", ctx.lang),
            key=f"{key}.yes",
            type="primary",
            on_click=partial(_yes, on_yes),
        )
        st.button(t(_P + "confirm.no", ctx.lang), key=f"{key}.no", on_click=_drop_ask)


def _button(ctx: AccountsView, what: str, account: Account, **kwargs: Any) -> None:
    step: Callable[[], None] = (
        partial(_ask, what, account.login, account.version)  # the click raises the question
        if what in ASKING
        else partial(_edit, ctx, what, account.login, account.version)
    )
    st.button(
        t(_P + f"action.{what}", ctx.lang),
        key=f"accounts.{what}.{account.login}",
        on_click=_if_chosen,
        args=(account.login, step),
        **kwargs,
    )


def _if_chosen(login: str, step: Callable[[], None]) -> None:
    """Take `step`, a button's on `login`, only if `login` is still the account chosen. A click
    that reaches the server with a new choice (made just before it, its run not yet drawn)
    comes from the button drawn for the account chosen before: it does nothing, and the page
    then shows the new account's buttons."""
    if st.session_state.get(CHOSEN) == login:
        step()


def edit_section(ctx: AccountsView) -> None:
    """Choose an account; change its role and community, disable or enable it, reset its
    password. Each form holds the version of the account it shows."""
    lang = ctx.lang
    st.markdown(f"**{md_text(t(_P + 'edit', lang))}**")
    flash(FLASH, "edit")
    _show_secret("reset", lang)
    me = actor_of(ctx.user)
    rows = {a.login: a for a in admin.street_accounts(ctx.store, ctx.user, ctx.street_id)}
    rows.pop(me, None)
    if not rows:
        st.caption(t(_P + "none_to_edit", lang))
        return
    login = st.selectbox(
        t(_P + "choose", lang),
        list(rows),
        format_func=lambda v: f"{v} · {rows[v].name} · {label(rows[v].role, lang)}",
        key=CHOSEN,
    )
    account = rows[login]
    st.caption(t(_P + "self_note", lang))
    with st.form(f"accounts.edit.{login}.{account.version}"):
        left, right = st.columns(2)
        with left:
            _role_box(ctx, f"accounts.edit.role.{login}", account.role)
        with right:
            _community_box(ctx, f"accounts.edit.community.{login}", account.community_id)
        st.form_submit_button(
            t(_P + "action.role", lang),
            type="primary",
            on_click=_edit,
            args=(ctx, "role", login, account.version),
        )
    left, right = st.columns(2)
    with left:
        _button(ctx, "enable" if not account.enabled else "disable", account)
    with right:
        _button(ctx, "reset", account, icon=":material/key:")
    asked = _asked(ASKING, login)
    if asked is not None:  # the version asked on: a change made meanwhile refuses the step
        what, version = asked
        _confirm(
            ctx,
            what,
            t(_P + f"confirm.{what}", lang, login=md_text(login), name=md_text(account.name)),
            partial(_edit, ctx, what, login, version),
            f"accounts.confirm.{what}.{login}",
        )
    st.caption(t(_P + "version", lang, version=account.version))


# -- wall-screen tokens --------------------------------------------------------------------
def _add_token(ctx: AccountsView) -> None:
    lang = ctx.lang
    name = str(st.session_state.get("accounts.token.label") or "").strip()

    def act() -> str:
        token = admin.add_token(
            ctx.store,
            ctx.user,
            name,
            street_id=ctx.street_id,
            **_stamp(),
        )
        address = admin.wall_address(st.context.url, token)
        st.session_state[_SECRET] = (name, address, "token")
        return t(_P + "token_added", lang, label=name)

    if _attempt("token", lang, act):
        st.session_state["accounts.token.label"] = ""


def _revoke_token(ctx: AccountsView, name: str) -> None:
    def act() -> str:
        admin.revoke_token(
            ctx.store,
            ctx.user,
            name,
            street_id=ctx.street_id,
            **_stamp(),
        )
        return t(_P + "token_revoked", ctx.lang, label=name)

    _attempt("token", ctx.lang, act)


def token_section(ctx: AccountsView) -> None:
    """The street's wall-screen tokens: issue one (shown once, as the kiosk address), revoke."""
    lang = ctx.lang
    flash(FLASH, "token")
    _show_secret("token", lang)
    tokens = admin.street_tokens(ctx.store, ctx.user, ctx.street_id)
    c = _P + "token_col."
    live = tokens["revoked_at"].isna()
    show_table(
        pd.DataFrame(
            {
                t(c + "label", lang): tokens["label"],
                t(c + "created_at", lang): [admin.minute(v) for v in tokens["created_at"]],
                t(c + "created_by", lang): tokens["created_by"],
                t(c + "revoked_at", lang): [admin.minute(v) for v in tokens["revoked_at"]],
            }
        ),
        hide_index=True,
        width="stretch",
    )
    with st.form("accounts.token"):
        st.text_input(t(_P + "token_label", lang), max_chars=40, key="accounts.token.label")
        st.form_submit_button(
            t(_P + "token_add", lang), type="primary", on_click=_add_token, args=(ctx,)
        )
    labels = list(tokens.loc[live, "label"])
    if labels:
        name = st.selectbox(t(_P + "token_choose", lang), labels, key=TOKEN_CHOSEN)
        st.button(
            t(_P + "token_revoke", lang),
            key="accounts.token.revoke_button",
            on_click=_ask_revoke,
            icon=":material/block:",
        )
        if _asked(("revoke",), name) is not None:
            _confirm(
                ctx,
                "revoke",
                t(_P + "confirm.revoke", lang, label=md_text(name)),
                partial(_revoke_token, ctx, name),
                "accounts.confirm.revoke",
            )


# -- the audit log -------------------------------------------------------------------------
def audit_section(ctx: AccountsView) -> None:
    """The audit entries of the street between two days, and their export (CSV, Excel)."""
    lang = ctx.lang
    today = clock.system_now().date()
    picked = st.date_input(
        t(_P + "audit.days", lang),
        value=(today - dt.timedelta(days=AUDIT_DAYS - 1), today),
        max_value=today,
        key="accounts.audit.days",
    )
    days = [d for d in (picked if isinstance(picked, tuple | list) else [picked]) if d]
    if not days:
        return
    since, until = days[0], days[-1]
    log = admin.street_audit(ctx.store, ctx.user, since=since, until=until, street_id=ctx.street_id)
    table = admin.audit_table(log, lang, ctx.places())
    st.caption(t(_P + "audit.count", lang, n=f"{len(table):,}"))
    # as high as its rows (Streamlit's own height: up to ten, then it scrolls), no empty rows
    show_table(table, hide_index=True, width="stretch")
    name = t(_P + "audit.file", lang, since=since.isoformat(), until=until.isoformat())
    exported = admin.audit_file(log, lang)  # faithful to the log: times to the second
    with st.container(horizontal=True):  # the two exports side by side
        for suffix in (".xlsx", ".csv"):
            st.download_button(
                t(_P + f"audit.download{suffix.replace('.', '_')}", lang),
                partial(exports.frame_bytes, exported, suffix),
                file_name=f"{name}{suffix}",
                mime=exports.FORMATS[suffix],
                on_click="ignore",
                icon=":material/download:",
                disabled=exported.empty,
                key=f"accounts.audit.download{suffix}",
            )
