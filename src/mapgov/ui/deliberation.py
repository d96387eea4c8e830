"""Streamlit glue of the deliberation page (``/deliberation``, 议事协商): the four-step
deliberation of the compounds (四步法民主议事协商).

The page calls, in order: :func:`controls` (who is working; staff are kept to their own
community), :func:`figures_section` (figures by community), :func:`list_section` (the matters
by step, overdue answers highlighted), :func:`matter_section` (a chosen matter's card:
question, rounds with the three positions, minutes, attendance, decision, answer, rating,
linked issues and history; and a form for each step the user may take now) and
:func:`propose_section` (a new matter for a compound).

Every step goes through :mod:`mapgov.domain.deliberation`, which checks the rights again and
refuses a matter changed since the form was drawn (its version travels in the callback's
arguments); the outcome is shown once beside the form, in the user's language. Session state
holds ids and widget values only. Loaders are :func:`~mapgov.ui.loaders.cached` on the store,
so a step shows at once everywhere.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import partial
from typing import Any, Final

import pandas as pd
import streamlit as st

from mapgov.core import clock
from mapgov.core.errors import MapgovError
from mapgov.core.i18n import error_text, label, t
from mapgov.core.model import CallbackRating, MatterAction, MatterStatus
from mapgov.domain import deliberation as delib
from mapgov.domain.locating import street_compounds
from mapgov.domain.places import display_name
from mapgov.domain.users import User, can_edit, get_user, sees_personal_data
from mapgov.store import Store, open_store
from mapgov.ui.loaders import cached
from mapgov.ui.state import StreetView, View
from mapgov.ui.widgets import (
    action_forms,
    bulk_select,
    choice_box,
    day_input,
    facts,
    flash,
    md_text,
    say,
    show_table,
    staff_at_home,
    street_controls,
)
from mapgov.views import deliberation as dv
from mapgov.views.markup import history_steps, steps_markdown

__all__ = [
    "FLASH",
    "KEY",
    "MATTER",
    "controls",
    "field_key",
    "figures_section",
    "list_section",
    "matter_section",
    "propose_section",
]

KEY: Final = "mapgov.delib.{}"
MATTER: Final = KEY.format("matter")  # the chosen matter (selectbox)
FLASH: Final = KEY.format("flash")  # (kind, text, where): a step's outcome, shown once
SCOPE: Final = KEY.format("scope")
_FIELD: Final = "mapgov.delib.form.{}.{}.{}.{}"  # action, matter, version, field
_NEW: Final = "mapgov.delib.new.{}"  # field of the new-matter form
TEXTS: Final = "deliberation_page."
_STEPS: Final = (
    MatterStatus.PROPOSED,
    MatterStatus.DECIDED,
    MatterStatus.ANSWERED,
    MatterStatus.SETTLED,
    MatterStatus.WITHDRAWN,
)


# -- cached loaders ------------------------------------------------------------------------
@cached(max_entries=8)
def _frames(store: Store, street_id: str, community_id: str | None) -> delib.DelibFrames:
    return delib.load(store, street_id=street_id, community_id=community_id)


@cached(max_entries=8)
def _names(store: Store, street_id: str, lang: str) -> dict[str, str]:
    com = store.read("community", where={"street_id": street_id})
    return {r.community_id: display_name(r.name, r.name_en, lang) for r in com.itertuples()}


def _compound_table(store: Store, street_id: str, community_id: str | None) -> pd.DataFrame:
    return street_compounds(
        store, ["compound_id", "grid_id", "name"], street_id=street_id, community_id=community_id
    )


def _frames_of(ctx: StreetView) -> delib.DelibFrames:
    return _frames(ctx.store, ctx.street_id, ctx.community_id)


# -- the sidebar ---------------------------------------------------------------------------
def controls(view: View) -> StreetView | None:
    """The page's sidebar part (who is working) and the place on screen; staff see their
    own community whatever the picker says (the returned view says so too).

    Parameters
    ----------
    view
        The shell's view.

    Returns
    -------
    StreetView or None
        ``None`` when there is no street.
    """
    ctx = street_controls(view, texts=TEXTS, scope_key=SCOPE, forget=[MATTER])
    return None if ctx is None else staff_at_home(ctx, TEXTS)


def _refused(err: MapgovError, lang: str, where: str) -> None:
    say(FLASH, "error", t(TEXTS + "refused", lang, message=error_text(err, lang)), where)


# -- figures and the list -------------------------------------------------------------------
def figures_section(ctx: StreetView) -> None:
    """The figures of each community (matters, settled, days per step, satisfied, overdue)."""
    lang = ctx.lang
    st.subheader(t(TEXTS + "fig.heading", lang))
    frames = _frames_of(ctx)
    if frames.matters.empty:
        st.info(t(TEXTS + "none", lang))
        return
    names = _names(ctx.store, ctx.street_id, lang)
    show_table(dv.figure_table(frames, ctx.today, names=names, lang=lang), hide_index=True)
    st.caption(t(TEXTS + "fig.help", lang))


def list_section(ctx: StreetView) -> None:
    """The matters by step (a tab each, and all), overdue answers highlighted."""
    lang = ctx.lang
    st.subheader(t(TEXTS + "list.heading", lang))
    frames = _frames_of(ctx)
    counts = frames.matters["status"].value_counts()
    tabs = st.tabs(
        [t(TEXTS + "list.all", lang, n=len(frames.matters))]
        + [
            t(TEXTS + "list.step", lang, step=label(s, lang), n=int(counts.get(s.value, 0)))
            for s in _STEPS
        ]
    )
    for tab, status in zip(tabs, [None, *_STEPS], strict=True):
        with tab:
            table = dv.matter_table(
                frames, ctx.today, lang=lang, status=None if status is None else status.value
            )
            if table.empty:
                st.caption(t(TEXTS + "list.empty", lang))
                continue
            show_table(
                dv.overdue_style(table, lang=lang),
                hide_index=True,
                width="stretch",
                height=38 + 35 * min(len(table), 10),
            )
    overdue = int(delib.matter_list(frames, ctx.today)["overdue"].sum())
    if overdue:
        st.warning(t(TEXTS + "list.overdue_note", lang, n=overdue), icon=":material/schedule:")


# -- a chosen matter ------------------------------------------------------------------------
def field_key(action: str, matter_id: str, version: int, name: str) -> str:
    """Streamlit key of a step form's field (the matter's version in it)."""
    return _FIELD.format(action, matter_id, version, name)


def _run_step(
    db: str, user_id: str, lang: str, *, matter_id: str, version: int, action: str
) -> None:
    """A step form's callback: one step with the version the form was drawn with."""
    store = open_store(db)

    def value(name: str) -> Any:
        return st.session_state.get(field_key(action, matter_id, version, name))

    at = clock.now(store)
    # each step's function and its own arguments from the form (the rest are the same)
    steps: dict[MatterAction, tuple[Callable[..., int], Callable[[], dict[str, Any]]]] = {
        MatterAction.DELIBERATE: (
            delib.deliberate,
            lambda: {
                "meeting": delib.Meeting(
                    held_on=value("held_on") or at.date(),
                    branch=value("branch") or "",
                    committee=value("committee") or "",
                    residents=value("residents") or "",
                    decision=value("decision") or "",
                    answer_unit=value("answer_unit") or "",
                    answer_due=value("answer_due") or at.date(),
                    attendance=int(value("attendance") or 0),  # left empty: refused
                    members=list(value("members") or []),
                    minutes=value("minutes") or "",
                )
            },
        ),
        MatterAction.ANSWER: (delib.answer, lambda: {"reply": value("answer") or ""}),
        MatterAction.RATE: (
            delib.rate,
            lambda: {"rating": value("rating") or "", "note": value("note") or ""},
        ),
        MatterAction.WITHDRAW: (delib.withdraw, lambda: {"reason": value("reason") or ""}),
        MatterAction.LINK_ISSUE: (
            delib.link_issue,
            lambda: {"issue_id": int(value("issue_id") or 0)},
        ),
    }
    a = MatterAction(action)
    step, given = steps[a]
    try:
        step(store, get_user(store, user_id), matter_id, **given(), version=version, at=at)
    except MapgovError as err:
        _refused(err, lang, "matter")
        return
    say(FLASH, "success", t(TEXTS + "stepped", lang, id=matter_id, action=label(a, lang)), "matter")


def _step_fields(
    ctx: StreetView, record: dict[str, Any], members: dict[str, str], action: MatterAction
) -> None:
    lang = ctx.lang
    f = TEXTS + "form."
    key = partial(field_key, action.value, str(record["matter_id"]), int(record["version"]))
    if action is MatterAction.DELIBERATE:
        left, right = st.columns(2)
        day_input(left, t(f + "held_on", lang), value=ctx.today, key=key("held_on"))
        right.number_input(  # empty until typed: at least one attendee (the domain refuses 0)
            t(f + "attendance", lang),
            min_value=1,
            max_value=10_000,
            value=None,
            step=1,
            key=key("attendance"),
        )
        for party in ("branch", "committee", "residents"):
            st.text_area(t(f + party, lang), height=68, key=key(party))
        st.text_area(t(f + "minutes", lang), height=90, key=key("minutes"))
        st.multiselect(
            t(f + "members", lang),
            list(members),
            format_func=members.__getitem__,
            placeholder=t(f + "members_placeholder", lang),
            key=key("members"),
            select_all=bulk_select(lang),
        )
        st.text_area(t(f + "decision", lang), height=68, key=key("decision"))
        left, right = st.columns(2)
        left.text_input(t(f + "answer_unit", lang), max_chars=80, key=key("answer_unit"))
        day_input(
            right,
            t(f + "answer_due", lang),
            value=ctx.today + dt.timedelta(days=14),
            key=key("answer_due"),
        )
    elif action is MatterAction.ANSWER:
        st.text_area(t(f + "answer", lang), height=90, key=key("answer"))
    elif action is MatterAction.RATE:
        st.radio(
            t(f + "rating", lang),
            [r.value for r in CallbackRating],
            format_func=lambda v: label(CallbackRating(v), lang),
            horizontal=True,
            key=key("rating"),
        )
        st.text_area(t(f + "note", lang), height=68, key=key("note"))
    elif action is MatterAction.WITHDRAW:
        st.text_area(t(f + "reason", lang), height=68, key=key("reason"))
    else:
        st.number_input(t(f + "issue_id", lang), min_value=0, step=1, key=key("issue_id"))


def _step_forms(ctx: StreetView, record: dict[str, Any], user: User) -> None:
    lang = ctx.lang
    allowed = delib.allowed_actions(ctx.store, record, user)
    if not allowed:
        if not can_edit(user, record["community_id"], ctx.store):
            st.caption(t(TEXTS + "read_only", lang, name=user.name, role=label(user.role, lang)))
        return
    reveal = sees_personal_data(user, record["community_id"], ctx.store)
    pool = delib.community_members(ctx.store, str(record["community_id"]))
    members = dict(
        zip(pool["member_id"], pool["name"] if reveal else pool["member_id"], strict=True)
    )
    matter_id, version = str(record["matter_id"]), int(record["version"])
    action_forms(
        allowed,
        lang,
        form_key=lambda a: KEY.format(f"form.{a}.{matter_id}.{version}"),
        fields=partial(_step_fields, ctx, record, members),
        on_click=_run_step,
        args=(ctx.view.db, user.user_id, lang),
        kwargs={"matter_id": matter_id, "version": version},
    )
    st.caption(t(TEXTS + "version", lang, version=version))


def matter_section(ctx: StreetView) -> None:
    """A chosen matter: its card, rounds, linked issues and history, and the step forms."""
    lang = ctx.lang
    st.subheader(t(TEXTS + "matter.heading", lang))
    flash(FLASH, "matter")
    frames = _frames_of(ctx)
    options = dv.matter_options(frames, lang=lang)
    if not options:
        st.info(t(TEXTS + "none", lang))
        return
    matter_id = choice_box(t(TEXTS + "matter.choose", lang), options, key=MATTER)
    record = delib.matter(ctx.store, matter_id)
    user = ctx.user()
    reveal = user is not None and sees_personal_data(user, record["community_id"], ctx.store)
    events = delib.history(ctx.store, matter_id)
    left, right = st.columns([1, 1], gap="medium")
    with left:
        st.markdown(f"#### {md_text(record['title'])}")
        facts(dv.card_lines(record, lang=lang), lang)
        for heading, lines in dv.round_lines(
            delib.rounds(ctx.store, matter_id, reveal=reveal, events=events),
            lang=lang,
            present=int(record["round_no"]),
        ):
            with st.expander(heading, expanded=True):
                facts(lines, lang)
        if user is not None:
            _step_forms(ctx, record, user)
    with right:
        issues = delib.linked_issues(ctx.store, matter_id, reveal=reveal)
        st.markdown(f"**{md_text(t(TEXTS + 'matter.issues', lang, n=len(issues)))}**")
        if not issues.empty:
            show_table(dv.issue_table(issues, lang=lang), hide_index=True)
        st.markdown(f"**{md_text(t(TEXTS + 'matter.history', lang))}**")
        steps = history_steps(events, actions=MatterAction, states=MatterStatus, lang=lang)
        st.markdown(steps_markdown(steps))


# -- a new matter ---------------------------------------------------------------------------
def _propose(db: str, user_id: str, lang: str) -> None:
    """The new-matter form's callback: the branch's question on a compound."""
    store = open_store(db)
    values = {n: st.session_state.get(_NEW.format(n)) for n in ("compound", "title", "question")}
    try:
        matter_id = delib.propose(
            store,
            get_user(store, user_id),
            compound_id=str(values["compound"] or ""),
            title=str(values["title"] or ""),
            question=str(values["question"] or ""),
            at=clock.now(store),
        )
    except MapgovError as err:
        _refused(err, lang, "new")
        return
    st.session_state[MATTER] = matter_id
    for name in ("title", "question"):
        st.session_state[_NEW.format(name)] = ""
    say(FLASH, "success", t(TEXTS + "new.proposed", lang, id=matter_id), "new")


def propose_section(ctx: StreetView) -> None:
    """The form that sets a new question for a compound (staff of its community, admins)."""
    user = ctx.user()
    if user is None:
        return
    comp = _compound_table(ctx.store, ctx.street_id, ctx.community_id)
    mine = comp[[can_edit(user, c, ctx.store) for c in comp["community_id"]]]
    if mine.empty:
        return
    lang = ctx.lang
    n = TEXTS + "new."
    st.subheader(t(n + "heading", lang))
    flash(FLASH, "new")
    names = dict(zip(mine["compound_id"], mine["name"], strict=True))
    with st.form(KEY.format("new")):
        st.selectbox(
            t(n + "compound", lang),
            list(names),
            format_func=names.__getitem__,
            key=_NEW.format("compound"),
        )
        st.text_input(t(n + "title", lang), max_chars=delib.MAX_TITLE, key=_NEW.format("title"))
        st.text_area(t(n + "question", lang), height=90, key=_NEW.format("question"))
        st.form_submit_button(
            label(MatterAction.PROPOSE, lang),
            type="primary",
            on_click=_propose,
            args=(ctx.view.db, user.user_id, lang),
        )
    st.caption(t(n + "logged", lang, name=user.name))
