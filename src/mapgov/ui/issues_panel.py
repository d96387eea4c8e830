"""The issue map's panel (``/issues``): the chosen building's profile, issues, timeline and
workflow forms, or a compound's summary, plus a search box (and, with the "new reports only"
filter on, the list of new field reports). An issue's details say how it was reported (source
and channel) and show its photos as thumbnails, each opening the full photo, read from the
database's photo folder (:func:`mapgov.io.photos.photo_folder`); a missing file shows a
placeholder. Nothing here ever shows a report's ticket.

:func:`issue_panel` is the page's third call, after :func:`mapgov.ui.issues.controls` and
:func:`mapgov.ui.issues.issue_map_view`; the choice it shows is the one the map or the search
box put in session state (:data:`mapgov.ui.issues.TARGET`). Every form's submit button
carries, in its callback arguments, the issue's version as it was when the form was drawn: a
second tab that saves later is refused by the domain
(:class:`~mapgov.core.errors.StaleEditError`) and nothing changes. Loaders
(:func:`mapgov.ui.loaders.cached`) take the store, hashed as its path and data version, so
the panel shows the new state at once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, Final

import pandas as pd
import streamlit as st

from mapgov.core import model
from mapgov.core.errors import MapgovError
from mapgov.core.i18n import error_text, label, t, value_label
from mapgov.domain import field_reports, issue_reads, issues, reports
from mapgov.domain import issues_workflow as flow
from mapgov.domain.users import User, can_edit, get_user
from mapgov.io.photos import photo_folder
from mapgov.store import Store, open_store
from mapgov.ui import auth
from mapgov.ui import help_circle as help_ui
from mapgov.ui.issues import (
    BUILDING,
    COMPOUND,
    FLASH,
    ISSUE,
    KEY,
    SEARCH,
    SEARCH_PICK,
    IssueView,
    choose_target,
    chosen_target,
)
from mapgov.ui.loaders import cached
from mapgov.ui.widgets import (
    action_forms,
    choice_box,
    day_input,
    empty_fields,
    facts,
    flash,
    md_text,
    say,
    show_table,
)
from mapgov.views import accounts as av
from mapgov.views.issues import photo_tiles
from mapgov.views.markup import history_steps, steps_markdown

__all__ = ["issue_panel"]

_HELP: Final = frozenset(c.value for c in model.HELP_CATEGORIES)

_FORM = "mapgov.issues.form.{}.{}"  # action, field
_NEW: Final = "issues.field_report."
NEW_PICK: Final = KEY.format("new_pick")

# -- the panel -----------------------------------------------------------------------------


@cached(max_entries=64)
def _search(store: Store, text: str, community_id: str) -> pd.DataFrame:
    return issues.search_buildings(store, text, community_id=community_id)


def _on_search_pick() -> None:
    building_id = st.session_state.get(SEARCH_PICK)
    if building_id:
        choose_target(BUILDING, building_id)


def _search_box(ctx: IssueView) -> None:
    text = st.text_input(
        t("issues.panel.search", ctx.lang),
        placeholder=t("issues.panel.search_placeholder", ctx.lang),
        key=SEARCH,
    )
    if not text.strip():
        return
    found = _search(ctx.store, text.strip(), ctx.community_id)
    if found.empty:
        st.caption(t("issues.panel.search_none", ctx.lang, text=text.strip()))
        return
    names = dict(
        zip(found["building_id"], found["compound_name"] + " " + found["name"], strict=True)
    )
    if st.session_state.get(SEARCH_PICK) not in names:
        st.session_state[SEARCH_PICK] = None
    st.selectbox(
        t("issues.panel.search_results", ctx.lang),
        list(names),
        index=None,
        format_func=names.__getitem__,
        placeholder=t("issues.panel.search_pick", ctx.lang),
        key=SEARCH_PICK,
        on_change=_on_search_pick,
    )


@cached(max_entries=64)
def _profile(store: Store, building_id: str, user_id: str, day: dt.date) -> dict:
    return issue_reads.building_profile(
        store, building_id, user=get_user(store, user_id), today=day
    )


@cached(max_entries=64)
def _building_issues(
    store: Store,
    building_id: str,
    user_id: str,
    day: dt.date,
) -> pd.DataFrame:
    return issue_reads.building_issues(store, building_id, user=get_user(store, user_id), today=day)


@cached(max_entries=64)
def _issue(store: Store, issue_id: int, user_id: str, day: dt.date) -> dict:
    return issue_reads.get_issue(store, issue_id, user=get_user(store, user_id), today=day)


@cached(max_entries=64)
def _timeline(store: Store, issue_id: int, user_id: str) -> pd.DataFrame:
    return issue_reads.issue_timeline(store, issue_id, user=get_user(store, user_id))


@cached(max_entries=64)
def _compound(store: Store, compound_id: str, day: dt.date) -> dict:
    return issue_reads.compound_summary(store, compound_id, today=day)


_photos = cached(max_entries=64)(reports.issue_photos)
_new_reports = cached(max_entries=16)(field_reports.new_reports)


def _metric_row(record: dict[str, Any], names: tuple[str, ...], lang: str) -> None:
    """Counts of a building or compound profile, a column each, named by the catalogue."""
    for column, name in zip(st.columns(len(names)), names, strict=True):
        value = record[name]
        column.metric(t(f"issues.panel.{name}", lang), "—" if value is None else f"{value:,}")


def _facts(rows: list[tuple[str, object]], lang: str) -> None:
    facts([(name, md_text(value)) for name, value in rows], lang, bullets=True)


def _property_text(record: dict[str, Any], lang: str) -> str:
    """Property management of a building or compound profile, on one line."""
    mode, company = record["property_mode"], record["property_company"]
    parts = [value_label(model.PropertyMode, mode, lang) or t("issues.panel.none", lang)]
    if isinstance(company, str) and company:
        parts.append(company)
    if record["red_property"]:
        parts.append(t("issues.panel.red_property", lang))
    return " · ".join(parts)


def _building_profile(ctx: IssueView, p: dict[str, Any]) -> None:
    lang = ctx.lang
    p_ = "issues.panel."
    st.subheader(t(p_ + "building_title", lang, compound=p["compound_name"], building=p["name"]))
    _metric_row(p, ("open_issues", "overdue_issues", "households", "residents"), lang)
    none = t(p_ + "none", lang)
    head = " ".join(str(v) for v in (p["building_head"], p["building_head_phone"]) if v) or none
    zone = " · ".join(str(v) for v in (p["zone_name"], p["zone_member"]) if v) or none
    sizes = (
        f"{t(p_ + 'floors', lang)} {p['floors']} · {t(p_ + 'units', lang)} {p['units']} · "
        f"{t(p_ + 'elderly', lang)} {p['elderly']} · {t(p_ + 'party_members', lang)} "
        f"{p['party_members']}"
    )
    st.caption(sizes)
    _facts(
        [
            (t(p_ + "head", lang), head),
            (t(p_ + "party_group", lang), p["party_group"] or none),
            (t(p_ + "zone", lang), zone),
            (t(p_ + "property", lang), _property_text(p, lang)),
        ],
        lang,
    )


@cached(max_entries=32)
def _compound_issues(store: Store, compound_id: str, user_id: str, day: dt.date) -> pd.DataFrame:
    return issue_reads.compound_issues(store, compound_id, user=get_user(store, user_id), today=day)


def _compound_issue_list(ctx: IssueView, compound_id: str, user: User) -> None:
    """The compound's issues, open ones first (the link from the compound health card)."""
    frame = _compound_issues(ctx.store, compound_id, user.user_id, ctx.today)
    if frame.empty:
        st.caption(t("compounds_page.issues.none", ctx.lang))
        return
    st.markdown(f"**{md_text(t('compounds_page.issues.heading', ctx.lang, n=len(frame)))}**")
    show_table(_issue_table(frame, ctx.lang), hide_index=True, width="stretch")


def _compound_panel(ctx: IssueView, compound_id: str) -> None:
    lang = ctx.lang
    p_ = "issues.panel."
    s = _compound(ctx.store, compound_id, ctx.today)
    st.subheader(t(p_ + "compound_title", lang, name=s["name"]))
    _metric_row(s, ("open_issues", "overdue_issues", "buildings", "households"), lang)
    none = t(p_ + "none", lang)
    branch = s["branch_name"] or none
    if s["branch_name"]:
        branch = f"{branch} · {'★' * int(s['stars'])}{'☆' * (5 - int(s['stars']))}"
    _facts(
        [
            (t(p_ + "address", lang), s["address"] or none),
            (t(p_ + "built_year", lang), s["built_year"] or none),
            (
                t(p_ + "residents", lang),
                f"{s['residents']:,} · {t(p_ + 'elderly', lang)} {s['elderly']:,}",
            ),
            (t(p_ + "property", lang), _property_text(s, lang)),
            (t(p_ + "branch", lang), branch),
        ],
        lang,
    )


def _issue_table(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The building's issues for display: translated labels, overdue ones marked ⚠, new
    field reports marked, photos counted."""
    c = "issues.col."
    n = _NEW
    return pd.DataFrame(
        {
            t(c + "issue_id", lang): frame["issue_id"].astype(int),
            t(c + "status", lang): [
                value_label(model.IssueStatus, s, lang) for s in frame["status"]
            ],
            t(c + "overdue", lang): ["⚠" if o else "" for o in frame["overdue"]],
            t(n + "col_new", lang): [t(n + "new_mark", lang) if v else "" for v in frame["new"]],
            t(n + "col_photos", lang): [str(k) if k else "" for k in frame["photos"]],
            t(c + "title", lang): frame["title"],
            t(c + "deadline", lang): frame["deadline"].fillna(""),
            t(c + "category", lang): [
                value_label(model.IssueCategory, v, lang) for v in frame["category"]
            ],
            t(c + "reported_at", lang): frame["reported_at"].str.slice(0, 10),
        }
    )


def _issue_details(ctx: IssueView, issue: dict[str, Any]) -> None:
    lang = ctx.lang
    c = "issues.col."
    st.markdown(
        f"**{md_text(t('issues.panel.details', lang, issue_id=issue['issue_id']))}** "
        f"{md_text(issue['title'])}"
    )
    status = value_label(model.IssueStatus, issue["status"], lang)
    if issue["overdue"]:
        status += f" · ⚠ {t('issues.panel.overdue_mark', lang)}"
    reporter = " ".join(str(v) for v in (issue["reporter_name"], issue["reporter_phone"]) if v)
    rows: list[tuple[str, object]] = [
        (t(c + "status", lang), status),
        (t(c + "level", lang), value_label(model.Level, issue["level"], lang)),
        (t(c + "category", lang), value_label(model.IssueCategory, issue["category"], lang)),
        (t(c + "source", lang), value_label(model.IssueSource, issue["source"], lang)),
        (t(_NEW + "channel", lang), value_label(model.IssueChannel, issue["channel"], lang)),
        (t(c + "responsible_unit", lang), issue["responsible_unit"]),
        (t(c + "deadline", lang), issue["deadline"]),
        (t(c + "reporter", lang), reporter or None),
        (t(c + "description", lang), issue["description"]),
    ]
    if issue.get("satisfaction"):
        rating = value_label(model.CallbackRating, issue["satisfaction"], lang)
        rows.append((t(c + "satisfaction", lang), rating))
    events = _timeline(ctx.store, int(issue["issue_id"]), ctx.user_id)
    if issue["category"] in _HELP:  # a help request: how fast it was answered
        rows.append(help_ui.response_row(ctx.store, issue["reported_at"], events, lang))
    _facts(rows, lang)
    _issue_photos(ctx, int(issue["issue_id"]))
    st.markdown(f"**{md_text(t('issues.panel.timeline', lang))}**")
    if events.empty:
        st.caption(t("issues.panel.no_events", lang))
    else:
        steps = history_steps(
            events,
            actions=model.EventAction,
            states=model.IssueStatus,
            levels=model.Level,
            lang=lang,
        )
        st.markdown(steps_markdown(steps))


def _issue_photos(ctx: IssueView, issue_id: int) -> None:
    """The issue's photos as thumbnails, each with a button that opens the full photo; a
    photo whose file is missing says so."""
    rows = _photos(ctx.store, issue_id)
    if rows.empty:
        return
    lang = ctx.lang
    st.markdown(f"**{md_text(t(_NEW + 'photos', lang, n=len(rows)))}**")
    tiles = photo_tiles(rows, photo_folder(ctx.view.db))
    for column, tile in zip(st.columns(max(len(tiles), 3)), tiles, strict=False):
        caption = t(_NEW + "photo_caption", lang, width=tile.width, height=tile.height,
                    at=tile.added_at)  # fmt: skip
        with column:
            if tile.thumbnail is None:
                st.info(t(_NEW + "photo_missing", lang), icon=":material/broken_image:")
                continue
            st.image(tile.thumbnail, caption=caption, width="stretch")
            if tile.full is not None:
                with st.popover(t(_NEW + "photo_full", lang), icon=":material/zoom_in:"):
                    st.image(tile.full, caption=caption)


def _new_report_list(ctx: IssueView) -> None:
    """With the "new reports only" filter on: the community's new field reports, oldest
    first; picking one opens its building and the report."""
    lang = ctx.lang
    frame = _new_reports(ctx.store, ctx.community_id)
    st.markdown(f"**{md_text(t(_NEW + 'list', lang, n=len(frame)))}**")
    if frame.empty:
        st.caption(t(_NEW + "none", lang))
        return
    ids = [int(i) for i in frame["issue_id"]]
    rows = frame.set_index(frame["issue_id"].astype(int))
    if st.session_state.get(NEW_PICK) not in ids:
        st.session_state[NEW_PICK] = None

    def option(issue_id: int) -> str:
        row = rows.loc[issue_id]
        return t(
            _NEW + "option",
            lang,
            issue_id=issue_id,
            compound=row["compound"] if isinstance(row["compound"], str) else "",
            building=row["building"] if isinstance(row["building"], str) else "",
            category=value_label(model.IssueCategory, row["category"], lang),
            title=row["title"],
        )

    st.selectbox(
        t(_NEW + "pick", lang),
        ids,
        index=None,
        format_func=option,
        placeholder=t(_NEW + "pick_placeholder", lang),
        key=NEW_PICK,
        on_change=_on_new_pick,
        args=(dict(zip(ids, frame["building_id"], strict=True)),),
    )


def _on_new_pick(buildings: dict[int, str]) -> None:
    issue_id = st.session_state.get(NEW_PICK)
    if issue_id is None or not isinstance(buildings.get(issue_id), str):
        return
    choose_target(BUILDING, buildings[issue_id])
    st.session_state[ISSUE] = issue_id


def _issue_list(ctx: IssueView, building_id: str, user: User) -> None:
    lang = ctx.lang
    frame = _building_issues(ctx.store, building_id, user.user_id, ctx.today)
    st.markdown(f"**{md_text(t('issues.panel.issues', lang, n=len(frame)))}**")
    if frame.empty:
        st.caption(t("issues.panel.no_issues", lang))
        return
    c = "issues.col."
    narrow = {
        t(c + "issue_id", lang): st.column_config.NumberColumn(width="small", format="%d"),
        t(c + "overdue", lang): st.column_config.TextColumn(width="small"),
    }
    show_table(
        _issue_table(frame, lang),
        hide_index=True,
        width="stretch",
        height=min(36 + 35 * len(frame), 250),
        column_config=narrow,
    )
    options = {
        int(i): t(
            "issues.panel.issue_option",
            lang,
            issue_id=int(i),
            status=value_label(model.IssueStatus, status, lang),
            title=title,
        )
        for i, status, title in zip(frame["issue_id"], frame["status"], frame["title"], strict=True)
    }
    issue_id = choice_box(t("issues.panel.issue_pick", lang), options, key=ISSUE)
    issue = _issue(ctx.store, int(issue_id), user.user_id, ctx.today)
    _issue_details(ctx, issue)
    _action_forms(ctx, issue, user)


# -- the workflow forms --------------------------------------------------------------------
def _field(action: str, name: str) -> str:
    return _FORM.format(action, name)


def _value(action: str, name: str) -> Any:
    return st.session_state.get(_field(action, name))


_TEXT_FIELDS: Final = frozenset(
    {"title", "description", "reporter_name", "reporter_phone", "note", "reason",
     "responsible_unit"}
)  # fmt: skip


def _clear(action: str, *names: str) -> None:
    """Empty a saved form's fields (text set to "", so the browser's copy empties too)."""
    empty_fields(*(_field(action, n) for n in names if n in _TEXT_FIELDS))
    for name in names:
        if name not in _TEXT_FIELDS:
            st.session_state.pop(_field(action, name), None)


_STEPS: Final[dict[model.EventAction, Callable[..., object]]] = {
    model.EventAction.ASSIGN: flow.assign,
    model.EventAction.START: flow.start,
    model.EventAction.ESCALATE: flow.escalate,
    model.EventAction.RESOLVE: flow.resolve,
    model.EventAction.CALLBACK: flow.callback,
    model.EventAction.CLOSE: flow.close,
}
"""The workflow call of each action form."""


def _step_fields(a: model.EventAction) -> dict[str, Any]:
    """What the form of action `a` sends to its workflow call (:data:`_STEPS`)."""

    def value(name: str) -> Any:
        return _value(a.value, name)

    if a is model.EventAction.ESCALATE:
        return {
            "reason": value("reason") or "",
            "responsible_unit": value("responsible_unit") or None,
            "deadline": value("deadline"),
        }
    fields = {"note": value("note") or ""}
    if a is model.EventAction.ASSIGN:
        fields["level"] = value("level")
        fields["responsible_unit"] = value("responsible_unit") or ""
        fields["deadline"] = value("deadline")
    elif a is model.EventAction.CALLBACK:
        fields["rating"] = value("rating")
    return fields


def _run_action(
    db: str, user_id: str, lang: str, *, action: str, issue_id: int, version: int
) -> None:
    """Submit callback: one workflow call with the version the form was drawn with."""
    store = open_store(db)
    a = model.EventAction(action)
    try:
        user = get_user(store, user_id)
        step = _STEPS.get(a)
        if step is not None:
            step(store, user, issue_id, version=version, **_step_fields(a))
    except MapgovError as err:
        say(FLASH, "error", t("issues.refused", lang, message=error_text(err, lang)), "actions")
        return
    _clear(action, "note", "reason", "responsible_unit", "deadline")
    # the issue stays open: its label in the issue picker changed with its status, and a
    # picker whose options read differently starts again at the building's first issue
    st.session_state[ISSUE] = issue_id
    say(
        FLASH,
        "success",
        t("issues.saved", lang, issue_id=issue_id, action=label(a, lang)),
        "actions",
    )


def _log_issue(db: str, user_id: str, lang: str, building_id: str) -> None:
    """Submit callback of the "log a new issue" form."""
    store = open_store(db)
    action = model.EventAction.REPORT.value
    try:
        issue_id = flow.log_issue(
            store,
            get_user(store, user_id),
            building_id=building_id,
            category=_value(action, "category"),
            source=_value(action, "source"),
            title=_value(action, "title") or "",
            description=_value(action, "description") or "",
            reporter_name=_value(action, "reporter_name") or None,
            reporter_phone=_value(action, "reporter_phone") or None,
        )
    except MapgovError as err:
        say(FLASH, "error", t("issues.refused", lang, message=error_text(err, lang)), "report")
        return
    _clear(action, "title", "description", "reporter_name", "reporter_phone")
    st.session_state[ISSUE] = issue_id
    say(FLASH, "success", t("issues.logged", lang, issue_id=issue_id), "report")


def _log_form(ctx: IssueView, building_id: str) -> None:
    lang = ctx.lang
    f = "issues.form."
    action = model.EventAction.REPORT.value
    with (
        st.expander(t(f + "log", lang), icon=":material/add_circle:"),
        st.form(KEY.format("form.report")),
    ):
        left, right = st.columns(2)
        left.selectbox(
            t(f + "category", lang),
            [c.value for c in model.IssueCategory],
            format_func=lambda v: label(model.IssueCategory(v), lang),
            key=_field(action, "category"),
        )
        right.selectbox(
            t(f + "source", lang),
            [s.value for s in model.DESK_SOURCES],
            format_func=lambda v: label(model.IssueSource(v), lang),
            key=_field(action, "source"),
        )
        st.text_input(t(f + "title", lang), max_chars=120, key=_field(action, "title"))
        st.text_area(t(f + "description", lang), height=80, key=_field(action, "description"))
        left, right = st.columns(2)
        left.text_input(
            t(f + "reporter_name", lang), max_chars=40, key=_field(action, "reporter_name")
        )
        right.text_input(
            t(f + "reporter_phone", lang), max_chars=20, key=_field(action, "reporter_phone")
        )
        st.form_submit_button(
            t(f + "submit_log", lang),
            type="primary",
            on_click=_log_issue,
            args=(ctx.view.db, ctx.user_id, lang, building_id),
        )


def _default_deadline(level: str | None, day: dt.date) -> dt.date:
    lvl = model.Level(level) if level in {v.value for v in model.Level} else model.Level.COMPOUND
    return day + dt.timedelta(days=flow.SLA_DAYS[lvl])


def _action_fields(action: model.EventAction, issue: dict[str, Any], ctx: IssueView) -> None:
    lang = ctx.lang
    f = "issues.form."
    a = action.value
    if action is model.EventAction.ASSIGN:
        st.selectbox(
            t(f + "level", lang),
            [lv.value for lv in model.LEVEL_ORDER],
            index=model.LEVEL_ORDER.index(model.Level(issue["level"])) if issue["level"] else 0,
            format_func=lambda v: label(model.Level(v), lang),
            key=_field(a, "level"),
        )
        st.text_input(
            t(f + "responsible_unit", lang), max_chars=80, key=_field(a, "responsible_unit")
        )
        day_input(
            st,
            t(f + "deadline", lang),
            value=_default_deadline(issue["level"], ctx.today),
            key=_field(a, "deadline"),
        )
    elif action is model.EventAction.ESCALATE:
        st.text_area(t(f + "reason", lang), height=68, key=_field(a, "reason"))
        st.text_input(t(f + "escalate_unit", lang), max_chars=80, key=_field(a, "responsible_unit"))
        day_input(st, t(f + "escalate_deadline", lang), value=None, key=_field(a, "deadline"))
    elif action is model.EventAction.CALLBACK:
        st.radio(
            t(f + "rating", lang),
            [r.value for r in model.CallbackRating],
            format_func=lambda v: label(model.CallbackRating(v), lang),
            horizontal=True,
            key=_field(a, "rating"),
        )
    note = "resolve_note" if action is model.EventAction.RESOLVE else "note"
    if action is not model.EventAction.ESCALATE:
        st.text_area(t(f + note, lang), height=68, key=_field(a, "note"))


def _action_forms(ctx: IssueView, issue: dict[str, Any], user: User) -> None:
    allowed = flow.allowed_actions(ctx.store, issue, user)
    flash(FLASH, "actions")  # also after the last action, which leaves none allowed
    if not allowed:
        return
    lang = ctx.lang
    st.markdown(f"**{md_text(t('issues.form.actions', lang))}**")
    version = int(issue["version"])
    action_forms(
        allowed,
        lang,
        form_key=lambda a: KEY.format(f"form.{a}.{issue['issue_id']}"),
        fields=lambda a: _action_fields(a, issue, ctx),
        on_click=_run_action,
        args=(ctx.view.db, user.user_id, lang),
        kwargs={"issue_id": int(issue["issue_id"]), "version": version},
    )
    st.caption(t("issues.form.version", lang, version=version))


def _target_panel(ctx: IssueView, user: User) -> None:
    target = chosen_target()
    if target is None:
        st.info(t("issues.panel.hint", ctx.lang), icon=":material/touch_app:")
        return
    kind, target_id = target
    if kind == COMPOUND:
        _compound_panel(ctx, target_id)
        _compound_issue_list(ctx, target_id, user)
        return
    profile = _profile(ctx.store, target_id, user.user_id, ctx.today)
    seen = av.SEEN_BUILDING
    auth.note_unmasked_view(ctx.store, user, profile["community_id"], f"building:{target_id}", seen)
    _building_profile(ctx, profile)
    if can_edit(user, profile["community_id"], ctx.store):
        _log_form(ctx, target_id)
        flash(FLASH, "report")
    else:
        role = label(user.role, ctx.lang)
        st.caption(t("issues.read_only", ctx.lang, name=user.name, role=role))
    _issue_list(ctx, target_id, user)


def issue_panel(ctx: IssueView) -> None:
    """The panel beside the map: a search box, then the chosen building or compound.

    A building shows its profile, the form to log an issue (for those who may), its issues
    and the chosen issue's details, history and workflow forms.
    """
    user = get_user(ctx.store, ctx.user_id)
    if ctx.filters.new_only:
        _new_report_list(ctx)
    _search_box(ctx)
    try:
        _target_panel(ctx, user)
    finally:
        st.session_state.pop(FLASH, None)  # an outcome not shown by now is out of date
