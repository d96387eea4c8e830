"""Streamlit glue of the party members' page (``/members``): ranking, a member's file, forms.

The page calls, in order: :func:`controls` (the sidebar's "who is working"; returns a
:class:`Ctx`), :func:`ranking_section` (the year, headline figures, the community ranking and
its downloads), :func:`record_section` (a chosen member's registration, points by line, tasks)
and :func:`forms_section` (register a member, record a task, mark one done or dropped: for
the community's staff and the street's admins only).

Staff see their own community only; names are masked unless the reader manages the member's
community (:func:`mapgov.domain.users.sees_personal_data`); downloads are always masked. Every
save goes through :mod:`mapgov.domain.members` (rights, dates and versions checked there); a
refusal is shown beside the form and changes nothing. Session state holds ids and widget values.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

import pandas as pd
import streamlit as st

from mapgov.core.errors import MapgovError
from mapgov.core.i18n import error_text, label, t
from mapgov.core.model import ServiceKind, ServiceStatus
from mapgov.domain import member_scores, members
from mapgov.domain.users import User, can_edit, get_user
from mapgov.io.member_scorecard import scorecard_table
from mapgov.store import Store, open_store
from mapgov.ui.loaders import cached
from mapgov.ui.state import StreetView, View
from mapgov.ui.widgets import (
    day_input,
    empty_fields,
    flash,
    md_text,
    metric_row,
    say,
    scope_header,
    show_table,
    street_controls,
    table_downloads,
)
from mapgov.views import members as mv

__all__ = [
    "KEY",
    "Ctx",
    "controls",
    "forms_section",
    "header",
    "ranking_section",
    "record_section",
]

KEY = "mapgov.members.{}"
FLASH: Final = KEY.format("flash")
PERIOD: Final = KEY.format("period")
MEMBER: Final = KEY.format("member")
SCOPE: Final = KEY.format("scope")


@dataclass(frozen=True)
class Ctx(StreetView):
    """The page's run: the street view plus the communities covered and those shown in full."""

    communities: tuple[str, ...] = ()
    reveal: tuple[str, ...] = ()


@cached(max_entries=16)
def _table(
    store: Store,
    *,
    communities: tuple[str, ...],
    lang: str,
    period: str,
    reveal: tuple[str, ...],
    day: dt.date,
) -> pd.DataFrame:
    return scorecard_table(store, communities, lang=lang, period=period, reveal=reveal, today=day)


def _scorecard(ctx: Ctx, period: str, reveal: tuple[str, ...]) -> pd.DataFrame:
    """The scorecard of the communities on screen, names shown in `reveal`'s (none: a file)."""
    return _table(
        ctx.store,
        communities=ctx.communities,
        lang=ctx.lang,
        period=period,
        reveal=reveal,
        day=ctx.today,
    )


def controls(view: View) -> Ctx | None:
    """Sidebar part and the page's context (None without a street)."""
    base = street_controls(view, texts="members_page.", scope_key=SCOPE, forget=[MEMBER])
    if base is None:
        return None
    store = open_store(view.db)
    user = base.user()
    communities = tuple(mv.scope(store, user, base.street_id, base.community_id))
    return Ctx(
        view=view,
        street_id=base.street_id,
        community_id=base.community_id,
        user_id=base.user_id,
        today=base.today,
        communities=communities,
        reveal=tuple(mv.reveal_for(store, user, communities)),
    )


def header(ctx: Ctx) -> None:
    """The place on screen: a staff member's own community even when the sidebar shows the
    street (they see no other)."""
    one = ctx.communities[0] if len(ctx.communities) == 1 else None
    scope_header(dataclasses.replace(ctx.view, community_id=one or ctx.community_id))


def _period(ctx: Ctx) -> str:
    options = mv.years(ctx.today)
    if st.session_state.get(PERIOD) not in options:
        st.session_state[PERIOD] = options[0]
    return str(st.session_state[PERIOD])


def ranking_section(ctx: Ctx) -> None:
    """The year, the scheme, headline figures, the ranking table and its downloads."""
    lang, store = ctx.lang, ctx.store
    scheme = members.load_scheme()
    left, right = st.columns([1, 3])
    left.selectbox(t("members_page.period", lang), mv.years(ctx.today), key=PERIOD)
    period = _period(ctx)
    right.caption(
        t("members_page.scheme", lang, name=scheme.title(lang), total=f"{scheme.total_cap:g}"),
        help=t("members_page.scheme_help", lang),
    )
    points = member_scores.points_table(
        store, ctx.communities, scheme=scheme, period=period, today=ctx.today
    )
    figures = mv.headline(store, ctx.communities, points, scheme)
    metric_row([(t(f"members_page.{k}", lang), v, None) for k, v in figures.items()])
    st.subheader(t("members_page.ranking", lang))
    table = _scorecard(ctx, period, ctx.reveal)
    if table.empty:
        st.info(t("members_page.ranking_none", lang))
        return
    show_table(table, hide_index=True, width="stretch", key=KEY.format("ranking"))
    st.caption(t("members_page.masked_note", lang))
    masked = _scorecard(ctx, period, ())
    table_downloads(
        masked,
        texts="members_page.",
        lang=lang,
        stem=t("members_page.file_stem", lang, period=period),
        key=KEY.format("download"),
    )


def record_section(ctx: Ctx) -> None:
    """A chosen member's file: registration, points by line over the year, tasks."""
    lang, store = ctx.lang, ctx.store
    st.subheader(t("members_page.record", lang))
    options = mv.member_options(store, ctx.communities, ctx.reveal, lang)
    if st.session_state.get(MEMBER) not in options:
        st.session_state.pop(MEMBER, None)
    chosen = st.selectbox(
        t("members_page.pick", lang),
        list(options),
        format_func=lambda k: options[k],
        index=None,
        placeholder=t("members_page.pick_placeholder", lang),
        key=MEMBER,
    )
    if chosen is None:
        return
    scheme = members.load_scheme()
    period = _period(ctx)
    record = member_scores.member_record(
        store, chosen, scheme=scheme, period=period, reveal=ctx.reveal, today=ctx.today
    )
    member = record.member
    flash(FLASH, "correct")
    if member["registered"]:
        unit, day = member["work_unit"], member["registered_on"]
        st.markdown(t("members_page.registered_on", lang, day=day, unit=md_text(unit)))
        user = ctx.user()
        if user is not None and can_edit(user, member["community_id"], store):
            _correct_form(ctx, user, chosen, member)
    else:
        st.info(t("members_page.not_registered", lang))
    left, right = st.columns([2, 3])
    with left:
        st.metric(t("members_page.total", lang, period=period), f"{record.total:g}")
        st.caption(t("members_page.lines", lang))
        show_table(mv.points_lines(record, lang), hide_index=True, key=KEY.format("lines"))
        st.caption(t("members_page.attendance", lang, period=period, n=len(record.attendance)))
    with right:
        st.caption(t("members_page.tasks", lang, period=period))
        if record.tasks.empty:
            st.info(t("members_page.tasks_none", lang))
        else:
            show_table(mv.task_rows(record, lang), hide_index=True, key=KEY.format("tasks"))


def _correct_form(ctx: Ctx, user: User, member_id: str, member: dict[str, Any]) -> None:
    """Correct a registration's day and work unit; the form is drawn from its version, so a
    registration changed meanwhile is refused, not overwritten."""
    lang, version = ctx.lang, int(member["version"])
    prefix = f"fix.{member_id}.{version}"
    with (
        st.expander(t("members_page.correct", lang)),
        st.form(KEY.format(prefix)),
    ):
        day_input(
            st,
            t("members_page.register_day", lang),
            value=dt.date.fromisoformat(str(member["registered_on"])),
            key=KEY.format(f"{prefix}.day"),
        )
        st.text_input(
            t("members_page.register_unit", lang),
            value=str(member["work_unit"]),
            max_chars=members.MAX_WORK_UNIT,
            key=KEY.format(f"{prefix}.unit"),
        )
        st.form_submit_button(
            t("members_page.correct_submit", lang),
            on_click=_correct,
            args=(ctx.view.db, user.user_id, lang, member_id, version),
        )


def _correct(db: str, user_id: str, lang: str, member_id: str, version: int) -> None:
    store = open_store(db)
    prefix = f"fix.{member_id}.{version}"
    try:
        members.edit_registration(
            store,
            _user(store, user_id),
            member_id,
            version=version,
            registered_on=_value(f"{prefix}.day"),
            work_unit=_value(f"{prefix}.unit") or "",
        )
    except MapgovError as err:
        _refused(lang, err, "correct")
        return
    say(FLASH, "success", t("members_page.corrected", lang), "correct")


def _refused(lang: str, err: MapgovError, where: str) -> None:
    say(FLASH, "error", md_text(error_text(err, lang)), where)


def _value(name: str) -> Any:
    return st.session_state.get(KEY.format(name))


def _register(db: str, user_id: str, lang: str, community: str) -> None:
    store = open_store(db)
    mid = _value("reg.member")
    if mid is None:
        return
    try:
        members.register_member(
            store,
            _user(store, user_id),
            mid,
            community_id=community,
            registered_on=_value("reg.day"),
            work_unit=_value("reg.unit") or "",
        )
    except MapgovError as err:
        _refused(lang, err, "register")
        return
    name = members.member_row(store, mid)["name"]
    say(FLASH, "success", t("members_page.registered_ok", lang, name=md_text(name)), "register")
    empty_fields(KEY.format("reg.unit"))


def _record(db: str, user_id: str, lang: str) -> None:
    store = open_store(db)
    try:
        sid = members.record_service(
            store,
            _user(store, user_id),
            _value("task.member") or "",
            kind=_value("task.kind") or "",
            title=_value("task.title") or "",
            taken_on=_value("task.day"),
            ref_id=_value("task.ref") or None,
        )
    except MapgovError as err:
        _refused(lang, err, "task")
        return
    saved = members.service_row(store, sid)
    text = t(
        "members_page.task_ok",
        lang,
        task=sid,
        name=md_text(members.member_row(store, saved["member_id"])["name"]),
        kind=label(ServiceKind(saved["kind"]), lang),
        title=md_text(saved["title"]),
    )
    say(FLASH, "success", text, "task")
    st.session_state[KEY.format("finish.task")] = sid  # the finish form offers it next
    empty_fields(KEY.format("task.title"), KEY.format("task.ref"))


def _finish(db: str, user_id: str, lang: str, versions: dict[int, int]) -> None:
    store = open_store(db)
    sid = _value("finish.task")
    status = _value("finish.status")
    if sid is None:
        return
    try:
        members.finish_service(
            store,
            _user(store, user_id),
            int(sid),
            version=versions[int(sid)],
            status=status,
            done_on=_value("finish.day") if status == ServiceStatus.DONE.value else None,
        )
    except MapgovError as err:
        _refused(lang, err, "finish")
        return
    saved = members.service_row(store, int(sid))
    text = t(
        "members_page.finish_ok",
        lang,
        task=sid,
        name=md_text(members.member_row(store, saved["member_id"])["name"]),
        title=md_text(saved["title"]),
        status=label(ServiceStatus(status), lang),
    )
    say(FLASH, "success", text, "finish")


def _user(store: Store, user_id: str) -> User:
    return get_user(store, user_id)


def forms_section(ctx: Ctx) -> None:
    """The three forms, for those who may edit the community on screen (one community: a
    staff member's own, or the one an admin chose); a note for everyone else."""
    lang, store = ctx.lang, ctx.store
    user = ctx.user()
    community = ctx.communities[0] if len(ctx.communities) == 1 else None
    st.subheader(t("members_page.forms", lang))
    if user is not None and community is None and can_edit(user, ctx.communities[0], store):
        st.caption(t("members_page.pick_community", lang))  # an admin looking at the street
        return
    if user is None or community is None or not can_edit(user, community, store):
        st.caption(t("members_page.read_only", lang))
        return
    args = (ctx.view.db, user.user_id, lang)
    register, task, finish = st.columns(3, gap="medium")
    with register:
        _register_form(ctx, args, community)
    with task:
        _task_form(ctx, args)
    with finish:
        _finish_form(ctx, args)


def _form_head(ctx: Ctx, form: str, offers: bool) -> bool:
    """A form's title and its last message; False, with a note, when it has nothing to offer."""
    st.markdown(f"**{t(f'members_page.{form}', ctx.lang)}**")
    flash(FLASH, form)
    if not offers:
        st.caption(t(f"members_page.{form}_none", ctx.lang))
    return offers


def _choice(ctx: Ctx, text: str, choices: dict[str, str], key: str) -> None:
    """A select box of `choices` (id -> what is shown)."""
    st.selectbox(
        t(text, ctx.lang), list[str](choices), format_func=lambda k: choices[k], key=KEY.format(key)
    )


def _day_input(ctx: Ctx, text: str, key: str) -> None:
    """A day, today at the latest (and by default)."""
    day_input(st, t(text, ctx.lang), value=ctx.today, key=KEY.format(key))


def _submit(ctx: Ctx, form: str, on_click: Callable[..., None], args: tuple[Any, ...]) -> None:
    """A form's submit button, calling `on_click(*args)`."""
    text = t(f"members_page.{form}_submit", ctx.lang)
    st.form_submit_button(text, type="primary", on_click=on_click, args=args)


def _register_form(ctx: Ctx, args: tuple[str, str, str], community: str) -> None:
    choices = mv.unregistered(ctx.store, [community], ctx.reveal, ctx.lang)
    if not _form_head(ctx, "register", bool(choices)):
        return
    with st.form(KEY.format("register")):
        _choice(ctx, "members_page.register_member", choices, "reg.member")
        _day_input(ctx, "members_page.register_day", "reg.day")
        st.text_input(
            t("members_page.register_unit", ctx.lang),
            placeholder=t("members_page.register_unit_help", ctx.lang),
            max_chars=members.MAX_WORK_UNIT,
            key=KEY.format("reg.unit"),
        )
        _submit(ctx, "register", _register, (*args, community))


def _task_form(ctx: Ctx, args: tuple[str, str, str]) -> None:
    lang = ctx.lang
    options = mv.member_options(ctx.store, ctx.communities, ctx.reveal, lang)
    frame = members.members_of(ctx.store, ctx.communities)
    registered = set(frame.loc[frame["registered"] == 1, "member_id"])
    choices = {k: v for k, v in options.items() if k in registered}
    if not _form_head(ctx, "task", bool(choices)):
        return
    viewed = st.session_state.get(MEMBER)
    if viewed in choices and st.session_state.get(KEY.format("task.viewed")) != viewed:
        # the member whose file is open above is the one a task is most likely for: the form
        # follows each new choice there (and keeps whatever is picked in it meanwhile)
        st.session_state[KEY.format("task.member")] = viewed
        st.session_state[KEY.format("task.viewed")] = viewed
    with st.form(KEY.format("task")):
        _choice(ctx, "members_page.task_member", choices, "task.member")
        st.selectbox(
            t("members_page.task_kind", lang),
            [k.value for k in ServiceKind],
            format_func=lambda v: label(ServiceKind(v), lang),
            key=KEY.format("task.kind"),
        )
        st.text_input(
            t("members_page.task_title", lang),
            max_chars=members.MAX_TITLE,
            key=KEY.format("task.title"),
        )
        _day_input(ctx, "members_page.task_day", "task.day")
        st.text_input(
            t("members_page.task_ref", lang),
            help=t("members_page.task_ref_help", lang),
            key=KEY.format("task.ref"),
        )
        _submit(ctx, "task", _record, args)


def _finish_form(ctx: Ctx, args: tuple[str, str, str]) -> None:
    lang = ctx.lang
    tasks = mv.open_tasks(ctx.store, ctx.communities, ctx.reveal, lang)
    if not _form_head(ctx, "finish", bool(tasks)):
        return
    versions = {sid: version for sid, (_, version) in tasks.items()}
    with st.form(KEY.format("finish")):
        st.selectbox(
            t("members_page.finish_task", lang),
            list(tasks),
            format_func=lambda sid: tasks[sid][0],
            key=KEY.format("finish.task"),
        )
        st.radio(
            t("members_page.finish_status", lang),
            [ServiceStatus.DONE.value, ServiceStatus.DROPPED.value],
            format_func=lambda v: label(ServiceStatus(v), lang),
            horizontal=True,
            key=KEY.format("finish.status"),
        )
        _day_input(ctx, "members_page.finish_day", "finish.day")
        _submit(ctx, "finish", _finish, (*args, versions))
