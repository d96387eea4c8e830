"""Streamlit glue of the co-building page (``/co-building``): the three lists on a map.

The page calls, in order: :func:`controls` (the sidebar's "who is working"; returns a
:class:`StreetView`), :func:`headline` (needs waiting, projects, units, wishes, volunteers),
:func:`map_view` (communities, compounds, units, needs coloured by days waiting and lines
from units to the needs they serve), :func:`matching_panel` (a chosen open need's ranked
units with their reasons, and the "pair" button), :func:`record_panel` (a chosen project,
need or wish: its workflow steps and its timeline), :func:`new_records` (file a need or a
resource, post a wish, log volunteer service), :func:`figures_section` (the count tables)
and :func:`lists_section` (the five lists, filtered and downloadable).

State. Session state holds ids and widget values only: the need being matched, the record
being worked on, one message to show after a step. The person working is the signed-in
account, shared with the other pages (:func:`mapgov.ui.widgets.current_user`).

Caching. Loaders are :func:`mapgov.ui.loaders.cached` functions that take the store
(hashed as its path and data version), so every step shows at once in the figures, the map
and the lists. The map is cached too: a cached copy renders to the same Leaflet script, so
streamlit-folium keeps its component until the data change; it sends nothing back (no rerun
on pan or zoom).

Writing. Buttons and forms appear only for those :func:`mapgov.domain.cobuild.allowed_actions` (or
:func:`mapgov.domain.users.can_edit`) allow: the staff of the community concerned and the
administrators of its street.
Every step goes through :mod:`mapgov.domain.cobuild`, which checks the rights again and refuses a
record changed since it was drawn (the version travels in the callback's arguments); a
refusal is shown in the user's language and nothing is written. Form keys carry the record's
version, so after a step the next form starts empty, and a refused one keeps what was typed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from functools import partial
from typing import Any, Final

import folium
import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from mapgov.core import clock
from mapgov.core.errors import MapgovError
from mapgov.core.i18n import error_text, label, t
from mapgov.core.model import (
    CallbackRating,
    CoAction,
    CoEntity,
    CoopKind,
    NeedStatus,
    ProjectStatus,
    VolunteerKind,
    WishStatus,
)
from mapgov.domain import cobuild
from mapgov.domain.users import User, can_edit, get_user, street_admin
from mapgov.io import exports
from mapgov.store import Store, open_store
from mapgov.ui import auth
from mapgov.ui.loaders import cached
from mapgov.ui.state import StreetView, View
from mapgov.ui.widgets import current_user, flash, md_text, say
from mapgov.views import co_building as cm

__all__ = [
    "ENTITY",
    "FLASH",
    "MAP_HEIGHT",
    "MATCH_NEED",
    "PANEL_HEIGHT",
    "StreetView",
    "controls",
    "field_key",
    "figures_section",
    "headline",
    "lists_section",
    "map_view",
    "matching_panel",
    "new_records",
    "record_key",
    "record_panel",
]

MAP_HEIGHT: Final = 560
PANEL_HEIGHT: Final = MAP_HEIGHT + 40
"""Height of the matching panel beside the map (it scrolls inside)."""

_KEY = "mapgov.cob.{}"
MATCH_NEED: Final = _KEY.format("match_need")  # the open need being matched (selectbox)
ENTITY: Final = _KEY.format("entity")  # "project" | "need" | "wish" (segmented control)
FLASH: Final = _KEY.format("flash")  # (kind, text, where): a step's outcome, shown once
SCOPE: Final = _KEY.format("scope")
_RECORD = "mapgov.cob.record.{}"  # the chosen record of an entity (selectbox)
_FIELD = "mapgov.cob.form.{}.{}.{}.{}"  # action, record id, version, field
_NEW = "mapgov.cob.new.{}.{}"  # form, field
_FILTER = "mapgov.cob.filter.{}.{}"  # list, what
_P = "co_building_page."
ENTITIES: Final = (CoEntity.PROJECT, CoEntity.NEED, CoEntity.WISH)
_STATUS: Final[dict[CoEntity, type[StrEnum]]] = {
    CoEntity.PROJECT: ProjectStatus,
    CoEntity.NEED: NeedStatus,
    CoEntity.WISH: WishStatus,
}
_ID_COLUMN: Final = {
    CoEntity.PROJECT: "project_id",
    CoEntity.NEED: "need_id",
    CoEntity.WISH: "wish_id",
}


# -- cached loaders (keys: store identity and plain values, never frames) ------------------
@cached(max_entries=8)
def _frames(store: Store, street_id: str, user_id: str | None) -> cobuild.CoFrames:
    user = get_user(store, user_id) if user_id else None
    return cobuild.load(store, street_id=street_id, user=user)


def _ctx_frames(ctx: StreetView) -> cobuild.CoFrames:
    return _frames(ctx.store, ctx.street_id, ctx.user_id)


@cached(max_entries=16)
def _map(
    store: Store,
    *,
    street_id: str,
    community_id: str | None,
    day: dt.date,
    focus: cm.LinkFocus,
    lang: str,
) -> folium.Map:
    """The map, pickled by the cache: every run gets an identical copy."""
    frames = _frames(store, street_id, None)
    return cm.co_building_map(frames, day, community_id=community_id, focus=focus, lang=lang)


def _focus(ctx: StreetView, every: bool) -> cm.LinkFocus:
    """The projects whose lines the map draws: those of the need being matched and of the
    need or project opened in the record panel (as last chosen), or all when asked."""
    if every:
        return cm.EVERY_LINK
    needs = [st.session_state.get(MATCH_NEED), st.session_state.get(record_key(CoEntity.NEED))]
    units = []
    project_id = st.session_state.get(record_key(CoEntity.PROJECT))
    if project_id:
        projects = _ctx_frames(ctx).projects.set_index("project_id")
        if project_id in projects.index:
            needs.append(projects.at[project_id, "need_id"])
            units.append(projects.at[project_id, "unit_id"])
    return cm.LinkFocus(
        needs=tuple(sorted(str(n) for n in needs if n)), units=tuple(sorted(map(str, units)))
    )


@cached(max_entries=32)
def _ranking(store: Store, street_id: str, need_id: str) -> list[cobuild.Candidate]:
    return cobuild.rank_units(_frames(store, street_id, None), need_id)


@dataclass(frozen=True)
class _ListQuery:
    """Which list, filtered how, for whom and in which language (a cache key)."""

    street_id: str
    user_id: str | None
    name: str
    filters: cm.ListFilter
    day: dt.date
    lang: str


@cached(max_entries=32)
def _list(store: Store, query: _ListQuery) -> pd.DataFrame:
    frames = _frames(store, query.street_id, query.user_id)
    return cm.list_table(frames, query.name, query.day, lang=query.lang, filters=query.filters)


# -- the sidebar ---------------------------------------------------------------------------
def controls(view: View) -> StreetView | None:
    """Draw the page's sidebar part (who is working) and fix the place on screen.

    Returns
    -------
    StreetView or None
        ``None`` when there is no street.
    """
    if view.street_id is None:
        return None
    store = open_store(view.db)
    st.sidebar.divider()
    st.sidebar.subheader(t(_P + "sidebar", view.lang))
    user = current_user(store, view)
    if user is None:
        st.sidebar.caption(t(_P + "no_users", view.lang))
    scope = (view.street_id, view.community_id)
    if st.session_state.get(SCOPE) != scope:
        st.session_state[SCOPE] = scope
        for key in [MATCH_NEED, *(_RECORD.format(e.value) for e in ENTITIES)]:
            st.session_state.pop(key, None)  # a record elsewhere is not on screen
    return StreetView(
        view=view,
        street_id=view.street_id,
        community_id=view.community_id,
        user_id=user.user_id if user else None,
        today=clock.today(store),
    )


# -- messages ------------------------------------------------------------------------------


def _refused(err: MapgovError, lang: str, where: str) -> None:
    say(FLASH, "error", t(_P + "refused", lang, message=error_text(err, lang)), where)


# -- figures -------------------------------------------------------------------------------
def _metrics(items: list[tuple[str, str, str | None]]) -> None:
    for column, (name, value, help_text) in zip(st.columns(len(items)), items, strict=True):
        column.metric(name, value, help=help_text)


def headline(ctx: StreetView) -> None:
    """Two rows of headline figures of the place on screen."""
    lang = ctx.lang
    f = _P + "fig."
    o = cobuild.overview(_ctx_frames(ctx), ctx.today, community_id=ctx.community_id)
    longest = o["longest_wait_days"]
    rate = o["satisfaction_rate"]
    _metrics(
        [
            (
                t(f + "needs_open", lang),
                f"{o['needs_open']:,}",
                t(f + "needs_help", lang, n=o["needs"]),
            ),
            (
                t(f + "longest_wait", lang),
                "—" if longest is None else t(_P + "days", lang, n=longest),
                None,
            ),
            (t(f + "projects_active", lang), f"{o['projects_active']:,}", None),
            (
                t(f + "projects_completed", lang),
                f"{o['projects_completed']:,}",
                t(f + "satisfaction", lang, rate="—" if rate is None else f"{rate:.0%}"),
            ),
            (
                t(f + "units_engaged", lang),
                f"{o['units_engaged']:,} / {o['units']:,}",
                t(f + "units_help", lang),
            ),
        ]
    )
    _metrics(
        [
            (t(f + "wishes", lang), f"{o['wishes']:,}", None),
            (t(f + "wishes_claimed", lang), f"{o['wishes_claimed']:,}", None),
            (t(f + "wishes_completed", lang), f"{o['wishes_completed']:,}", None),
            (
                t(f + "volunteer_events", lang),
                f"{o['volunteer_events']:,}",
                t(f + "year_help", lang),
            ),
            (
                t(f + "volunteer_participants", lang),
                f"{o['volunteer_participants']:,}",
                t(f + "hours_help", lang, hours=f"{o['volunteer_hours']:,.0f}"),
            ),
        ]
    )


def _status_table(
    table: pd.DataFrame, by: str, enum: type[StrEnum], names: dict[str, str], lang: str
) -> pd.DataFrame:
    total = t(_P + "fig.total", lang)
    out = {
        t(_P + f"fig.by_{by}", lang): [total if v == "ALL" else names.get(v, v) for v in table[by]]
    }
    for member in enum:
        out[label(member, lang)] = table[member.value].to_numpy()
    out[t(_P + "fig.total_col", lang)] = table["total"].to_numpy()
    return pd.DataFrame(out)


def figures_section(ctx: StreetView) -> None:
    """Projects and needs by status, the units and their projects, volunteer service by month."""
    lang = ctx.lang
    f = _P + "fig."
    frames = _ctx_frames(ctx)
    names = cm.community_names(frames, lang)
    kinds = {k.value: label(k, lang) for k in CoopKind}
    st.subheader(t(f + "heading", lang))
    tabs = st.tabs(
        [t(f + name, lang) for name in ("tab_projects", "tab_needs", "tab_units", "tab_volunteer")]
    )
    with tabs[0]:
        table = cobuild.projects_by_status(frames, community_id=ctx.community_id)
        st.dataframe(
            _status_table(table, "community_id", ProjectStatus, names, lang), hide_index=True
        )
    with tabs[1]:
        table = cobuild.needs_by_status(frames, by="kind", community_id=ctx.community_id)
        st.dataframe(_status_table(table, "kind", NeedStatus, kinds, lang), hide_index=True)
    with tabs[2]:
        units = cobuild.unit_engagement(frames, community_id=ctx.community_id)
        c = _P + "fig.unit."
        st.dataframe(
            pd.DataFrame(
                {
                    t(c + "name", lang): units["name"],
                    t(c + "community", lang): [
                        names.get(v, "—") if isinstance(v, str) else "—"
                        for v in units["community_id"]
                    ],
                    t(c + "resources", lang): units["resources"],
                    t(c + "projects", lang): units["projects"],
                    t(c + "active", lang): units["active"],
                    t(c + "completed", lang): units["completed"],
                    t(c + "volunteer_events", lang): units["volunteer_events"],
                }
            ),
            hide_index=True,
            height=320,
        )
    with tabs[3]:
        monthly = cobuild.volunteer_monthly(frames, ctx.today, community_id=ctx.community_id)
        per_month = monthly.groupby("month")[["events", "participants"]].sum()
        per_month.columns = [t(f + "volunteer_events", lang), t(f + "volunteer_participants", lang)]
        st.bar_chart(per_month, stack=False, height=260)


# -- the map -------------------------------------------------------------------------------
def map_view(ctx: StreetView) -> None:
    """The map of units, needs and the projects joining them (sends nothing back)."""
    frames = _ctx_frames(ctx)
    if not (len(frames.communities) or len(frames.compounds) or len(frames.units)):
        st.info(t(_P + "no_places", ctx.lang))
        return
    every = st.toggle(t(_P + "map.show_all_links", ctx.lang), key=_KEY.format("all_links"))
    store = ctx.store
    fmap = _map(
        store,
        street_id=ctx.street_id,
        community_id=ctx.community_id,
        day=ctx.today,
        focus=_focus(ctx, every),
        lang=ctx.lang,
    )
    st_folium(
        fmap,
        key=_KEY.format(f"map.{ctx.street_id}"),
        height=MAP_HEIGHT,
        use_container_width=True,
        returned_objects=[],
    )
    st.caption(t(_P + "map.caption", ctx.lang))


# -- matching ------------------------------------------------------------------------------
def _pair(db: str, user_id: str, lang: str, *, street_id: str, need_id: str, version: int) -> None:
    """The pair button's callback: the chosen candidate becomes the need's project."""
    store = open_store(db)
    unit_id = st.session_state.get(_KEY.format(f"candidate.{need_id}"))
    ranked = _ranking(store, street_id, need_id)  # as the panel showed it
    candidates = {c.unit_id: c for c in ranked}
    chosen = candidates.get(str(unit_id))
    try:
        project_id = cobuild.pair(
            store,
            get_user(store, user_id),
            need_id,
            version=version,
            unit_id=str(unit_id),
            resource_id=chosen.resource_id if chosen else None,
        )
    except MapgovError as err:
        _refused(err, lang, "match")
        return
    st.session_state[ENTITY] = CoEntity.PROJECT.value
    st.session_state[_RECORD.format(CoEntity.PROJECT.value)] = project_id
    st.session_state.pop(MATCH_NEED, None)  # the need is matched: off the list of open needs
    name = chosen.unit_name if chosen else unit_id
    say(FLASH, "success", t(_P + "match.paired", lang, unit=name, project=project_id), "match")


def _candidate_text(c: cobuild.Candidate, rank: int, lang: str) -> str:
    return t(_P + "match.candidate", lang, rank=rank, unit=c.unit_name, score=f"{c.score:.2f}")


def matching_panel(ctx: StreetView) -> None:
    """A chosen open need (longest waiting first), its ranked units with their reasons, and
    for the staff of its community (and administrators) the button that pairs them."""
    lang = ctx.lang
    m = _P + "match."
    st.subheader(t(m + "title", lang))
    flash(FLASH, "match")
    frames = _ctx_frames(ctx)
    options = cm.open_need_options(frames, ctx.today, lang=lang, community_id=ctx.community_id)
    if not options:
        st.info(t(m + "none_open", lang), icon=":material/check_circle:")
        return
    if st.session_state.get(MATCH_NEED) not in options:
        st.session_state.pop(MATCH_NEED, None)
    need_id = st.selectbox(
        t(m + "need", lang), list(options), format_func=options.__getitem__, key=MATCH_NEED
    )
    need = cobuild.get(ctx.store, CoEntity.NEED, need_id)
    st.caption(
        t(m + "need_caption", lang, kind=label(CoopKind(need["kind"]), lang), id=need_id)
        + (f" · {md_text(need['description'])}" if need.get("description") else "")
    )
    candidates = _ranking(ctx.store, ctx.street_id, need_id)
    if not candidates:
        st.warning(t(m + "no_candidates", lang))
        return
    shown = candidates[:8]
    st.dataframe(cm.candidate_table(shown, lang=lang), hide_index=True, height=38 + 35 * len(shown))
    st.caption(t(m + "score_help", lang))
    user = ctx.user()
    if user is None or not can_edit(user, need["community_id"], ctx.store):
        if user is not None:
            st.caption(t(_P + "read_only", lang, name=user.name, role=label(user.role, lang)))
        return
    texts = {c.unit_id: _candidate_text(c, i, lang) for i, c in enumerate(shown, start=1)}
    st.selectbox(
        t(m + "choose", lang),
        list(texts),
        format_func=texts.__getitem__,
        key=_KEY.format(f"candidate.{need_id}"),
    )
    st.button(
        t(m + "pair", lang),
        type="primary",
        icon=":material/handshake:",
        on_click=_pair,
        args=(ctx.view.db, user.user_id, lang),
        kwargs={"street_id": ctx.street_id, "need_id": need_id, "version": int(need["version"])},
        key=_KEY.format(f"pair.{need_id}"),
    )


# -- a chosen record: its steps and timeline -----------------------------------------------
def record_key(entity: CoEntity | str) -> str:
    """Streamlit key of the picker of `entity`'s records."""
    return _RECORD.format(CoEntity(entity).value)


def field_key(action: str, record_id: str, version: int, name: str) -> str:
    """Streamlit key of a workflow form's field (the record's version in it)."""
    return _FIELD.format(action, record_id, version, name)


def _value(action: str, record_id: str, version: int, name: str) -> Any:
    return st.session_state.get(field_key(action, record_id, version, name))


def _run_step(
    db: str, user_id: str, lang: str, *, entity: str, record_id: str, version: int, action: str
) -> None:
    """A workflow form's callback: one step with the version the form was drawn with."""
    store = open_store(db)
    a, e = CoAction(action), CoEntity(entity)

    def value(name: str) -> Any:
        return _value(action, record_id, version, name)

    note = value("note") or ""
    calls = {
        (CoEntity.PROJECT, CoAction.CLAIM): lambda u: cobuild.claim_project(
            store, u, record_id, version=version, note=note
        ),
        (CoEntity.PROJECT, CoAction.PROGRESS): lambda u: cobuild.progress_project(
            store, u, record_id, version=version, note=note
        ),
        (CoEntity.PROJECT, CoAction.COMPLETE): lambda u: cobuild.complete_project(
            store, u, record_id, version=version, note=note
        ),
        (CoEntity.PROJECT, CoAction.RATE): lambda u: cobuild.rate_project(
            store, u, record_id, version=version, rating=value("rating"), note=note
        ),
        (CoEntity.PROJECT, CoAction.CANCEL): lambda u: cobuild.cancel_project(
            store, u, record_id, version=version, reason=note
        ),
        (CoEntity.NEED, CoAction.CANCEL): lambda u: cobuild.cancel_need(
            store, u, record_id, version=version, reason=note
        ),
        (CoEntity.WISH, CoAction.CLAIM): lambda u: cobuild.claim_wish(
            store, u, record_id, version=version, claimed_by=value("claimed_by") or "", note=note
        ),
        (CoEntity.WISH, CoAction.COMPLETE): lambda u: cobuild.complete_wish(
            store, u, record_id, version=version, note=note
        ),
        (CoEntity.WISH, CoAction.CANCEL): lambda u: cobuild.cancel_wish(
            store, u, record_id, version=version, reason=note
        ),
    }
    try:
        calls[(e, a)](get_user(store, user_id))
    except MapgovError as err:
        _refused(err, lang, "record")
        return
    text = t(_P + "stepped", lang, entity=label(e, lang), id=record_id, action=label(a, lang))
    say(FLASH, "success", text, "record")


def _step_fields(
    entity: CoEntity, action: CoAction, record_id: str, version: int, lang: str
) -> None:
    f = _P + "form."
    a = action.value
    if entity is CoEntity.PROJECT and action is CoAction.RATE:
        st.radio(
            t(f + "rating", lang),
            [r.value for r in CallbackRating],
            format_func=lambda v: label(CallbackRating(v), lang),
            horizontal=True,
            key=field_key(a, record_id, version, "rating"),
        )
    if entity is CoEntity.WISH and action is CoAction.CLAIM:
        st.text_input(
            t(f + "claimed_by", lang),
            max_chars=80,
            key=field_key(a, record_id, version, "claimed_by"),
        )
    note = (
        "reason"
        if action is CoAction.CANCEL
        else ("report" if action is CoAction.PROGRESS else "note")
    )
    st.text_area(t(f + note, lang), height=68, key=field_key(a, record_id, version, "note"))


def _step_forms(ctx: StreetView, entity: CoEntity, record: dict[str, Any], user: User) -> None:
    lang = ctx.lang
    allowed = [
        a
        for a in cobuild.allowed_actions(ctx.store, entity, record, user)
        if a is not CoAction.PAIR
    ]
    if (
        entity is CoEntity.NEED
        and record["status"] == "open"
        and can_edit(user, record["community_id"], ctx.store)
    ):
        st.caption(t(_P + "pair_hint", lang))
    if not allowed:
        if not can_edit(user, record.get("community_id"), ctx.store):
            st.caption(t(_P + "read_only", lang, name=user.name, role=label(user.role, lang)))
        return
    key_id = str(record[_ID_COLUMN[entity]])
    version = int(record["version"])
    tabs = st.tabs([label(a, lang) for a in allowed])
    for tab, action in zip(tabs, allowed, strict=True):
        with tab, st.form(_KEY.format(f"form.{entity.value}.{action.value}.{key_id}")):
            _step_fields(entity, action, key_id, version, lang)
            st.form_submit_button(
                label(action, lang),
                type="primary",
                on_click=_run_step,
                args=(ctx.view.db, user.user_id, lang),
                kwargs={
                    "entity": entity.value,
                    "record_id": key_id,
                    "version": version,
                    "action": action.value,
                },
            )
    st.caption(t(_P + "version", lang, version=version))


def _record_card(ctx: StreetView, entity: CoEntity, record: dict[str, Any]) -> None:
    lang = ctx.lang
    c = _P + "card."
    frames = _ctx_frames(ctx)
    names = cm.community_names(frames, lang)
    status = _STATUS[entity](record["status"])
    rows = [
        (t(c + "status", lang), md_text(label(status, lang))),
        (t(c + "title", lang), md_text(record.get("title"))),
        (t(c + "community", lang), md_text(names.get(record.get("community_id") or "", "—"))),
    ]
    if entity is CoEntity.PROJECT:
        units = frames.units.set_index("unit_id")["name"]
        need = record["need"]
        rows += [
            (t(c + "unit", lang), md_text(units.get(record["unit_id"], record["unit_id"]))),
            (t(c + "need", lang), md_text(f"{need['need_id']} · {need['title']}")),
            (t(c + "kind", lang), md_text(label(CoopKind(need["kind"]), lang))),
        ]
        if record.get("satisfaction"):
            rows.append(
                (
                    t(c + "satisfaction", lang),
                    md_text(label(CallbackRating(record["satisfaction"]), lang)),
                )
            )
    elif entity is CoEntity.NEED:
        rows.append((t(c + "kind", lang), md_text(label(CoopKind(record["kind"]), lang))))
        rows.append((t(c + "description", lang), md_text(record.get("description"))))
    else:
        rows += [
            (t(c + "description", lang), md_text(record.get("description"))),
            (t(c + "poster", lang), md_text(record.get("poster_name"))),
            (t(c + "claimed_by", lang), md_text(record.get("claimed_by"))),
        ]
    st.markdown("  \n".join(f"**{md_text(k)}**：{v}" for k, v in rows))


def record_panel(ctx: StreetView) -> None:
    """A project, need or wish chosen from the lists: what it is, the steps the user may
    take on it now (a form each), and its timeline."""
    lang = ctx.lang
    r = _P + "record."
    st.subheader(t(r + "heading", lang))
    frames = _ctx_frames(ctx)
    entity_value = st.segmented_control(
        t(r + "entity", lang),
        [e.value for e in ENTITIES],
        format_func=lambda v: label(CoEntity(v), lang),
        default=CoEntity.PROJECT.value,
        key=ENTITY,
    )
    entity = CoEntity(entity_value or CoEntity.PROJECT.value)
    user = ctx.user()
    options = cm.record_options(
        frames,
        entity,
        lang=lang,
        community_id=ctx.community_id,
        first=user.community_id if user else None,
    )
    flash(FLASH, "record")
    if not options:
        st.info(t(r + "none", lang))
        return
    key = record_key(entity)
    if st.session_state.get(key) not in options:
        st.session_state.pop(key, None)
    record_id = st.selectbox(
        t(r + "choose", lang, entity=label(entity, lang)),
        list(options),
        format_func=options.__getitem__,
        key=key,
    )
    record = cobuild.get(ctx.store, entity, record_id, user=user)
    if entity is CoEntity.WISH:
        subject = f"micro_wish:{record_id}"
        auth.note_unmasked_view(ctx.store, user, record["community_id"], subject, "poster")
    left, right = st.columns([1, 1], gap="medium")
    with left:
        _record_card(ctx, entity, record)
        if user is not None:
            _step_forms(ctx, entity, record, user)
    with right:
        st.markdown(f"**{md_text(t(r + 'timeline', lang))}**")
        events = cobuild.timeline(ctx.store, entity, record_id)
        st.dataframe(cm.timeline_table(events, entity, lang=lang), hide_index=True)


# -- new records ---------------------------------------------------------------------------
def _new_key(form: str, name: str) -> str:
    return _NEW.format(form, name)


def _new(form: str, name: str) -> Any:
    return st.session_state.get(_new_key(form, name))


def _text(form: str, name: str) -> str:
    return str(_new(form, name) or "")


def _clear(form: str, *names: str) -> None:
    for name in names:
        st.session_state[_new_key(form, name)] = ""


def _create(db: str, user_id: str, lang: str, form: str) -> None:
    """A "new record" form's callback."""
    store = open_store(db)
    try:
        user = get_user(store, user_id)
        if form == "need":
            new_id = cobuild.file_need(
                store,
                user,
                community_id=_new(form, "community"),
                compound_id=_new(form, "compound") or None,
                kind=_new(form, "kind"),
                title=_text(form, "title"),
                description=_text(form, "description"),
            )
            _clear(form, "title", "description")
        elif form == "resource":
            new_id = cobuild.file_resource(
                store,
                user,
                unit_id=_new(form, "unit"),
                kind=_new(form, "kind"),
                title=_text(form, "title"),
                description=_text(form, "description"),
            )
            _clear(form, "title", "description")
        elif form == "wish":
            new_id = cobuild.post_wish(
                store,
                user,
                compound_id=_new(form, "compound"),
                title=_text(form, "title"),
                description=_text(form, "description"),
                poster_name=_text(form, "poster_name") or None,
                poster_phone=_text(form, "poster_phone") or None,
            )
            _clear(form, "title", "description", "poster_name", "poster_phone")
        else:
            new_id = cobuild.log_volunteer(
                store,
                user,
                held_on=_new(form, "held_on"),
                title=_text(form, "title"),
                kind=_new(form, "kind"),
                participants=int(_new(form, "participants") or 0),
                hours=float(_new(form, "hours") or 0),
                organiser=_text(form, "organiser"),
                compound_id=_new(form, "compound") or None,
                community_id=_new(form, "community"),
            )
            _clear(form, "title", "organiser")
    except MapgovError as err:
        _refused(err, lang, f"new.{form}")
        return
    say(FLASH, "success", t(_P + f"new.done_{form}", lang, id=new_id), f"new.{form}")


def _editable(ctx: StreetView, user: User) -> dict[str, str]:
    names = cm.community_names(_ctx_frames(ctx), ctx.lang)
    return {
        c: n
        for c, n in names.items()
        if can_edit(user, c, ctx.store) and ctx.community_id in (None, c)
    }


def _community_and_compound(
    ctx: StreetView, form: str, communities: dict[str, str], *, optional: bool
) -> None:
    lang = ctx.lang
    n = _P + "new."
    left, right = st.columns(2)
    community = left.selectbox(
        t(n + "community", lang),
        list(communities),
        format_func=communities.__getitem__,
        key=_new_key(form, "community"),
    )
    comps = _ctx_frames(ctx).compounds
    comps = comps[comps["community_id"] == community].sort_values("compound_id")
    choices = dict(zip(comps["compound_id"], comps["name"], strict=True))
    if optional:
        choices = {"": t(n + "whole_community", lang), **choices}
    right.selectbox(
        t(n + "compound", lang),
        list(choices),
        format_func=choices.__getitem__,
        key=_new_key(form, "compound"),
    )


def _submit(ctx: StreetView, user: User, form: str) -> None:
    st.form_submit_button(
        t(_P + f"new.submit_{form}", ctx.lang),
        type="primary",
        on_click=_create,
        args=(ctx.view.db, user.user_id, ctx.lang, form),
    )


def _enum_text(enum: type[StrEnum], lang: str) -> Callable[[str], str]:
    def text(value: str) -> str:
        return label(enum(value), lang)

    return text


def _kind_box(ctx: StreetView, form: str, enum: type[StrEnum]) -> None:
    st.selectbox(
        t(_P + "new.kind", ctx.lang),
        [k.value for k in enum],
        format_func=_enum_text(enum, ctx.lang),
        key=_new_key(form, "kind"),
    )


def _title_fields(ctx: StreetView, form: str) -> None:
    st.text_input(t(_P + "new.title", ctx.lang), max_chars=120, key=_new_key(form, "title"))
    st.text_area(t(_P + "new.description", ctx.lang), height=68, key=_new_key(form, "description"))


def new_records(ctx: StreetView) -> None:
    """Forms to file a need or a resource, post a wish and log volunteer service (for the
    staff of a community and administrators; others see none)."""
    user = ctx.user()
    if user is None:
        return
    communities = _editable(ctx, user)
    if not communities:
        return
    lang = ctx.lang
    n = _P + "new."
    st.subheader(t(n + "heading", lang))
    forms = ["need", "resource", "wish", "volunteer"]
    tabs = st.tabs([t(n + f"tab_{form}", lang) for form in forms])
    frames = _ctx_frames(ctx)
    mine = {
        c for c in frames.units["community_id"].dropna().unique() if can_edit(user, c, ctx.store)
    }
    loose = frames.units["community_id"].isna() & frames.units["street_id"].map(
        lambda s: street_admin(user, s if isinstance(s, str) else None)
    )  # units of no community: their street's administrators file for them
    units = frames.units[frames.units["community_id"].isin(mine) | loose]
    for tab, form in zip(tabs, forms, strict=True):
        with tab:
            flash(FLASH, f"new.{form}")
            if form == "resource" and units.empty:
                st.caption(t(n + "no_units", lang))
                continue
            with st.form(_KEY.format(f"new.{form}")):
                if form == "need":
                    _community_and_compound(ctx, form, communities, optional=True)
                    _kind_box(ctx, form, CoopKind)
                    _title_fields(ctx, form)
                elif form == "resource":
                    choices = dict(zip(units["unit_id"], units["name"], strict=True))
                    st.selectbox(
                        t(n + "unit", lang),
                        list(choices),
                        format_func=choices.__getitem__,
                        key=_new_key(form, "unit"),
                    )
                    _kind_box(ctx, form, CoopKind)
                    _title_fields(ctx, form)
                elif form == "wish":
                    _community_and_compound(ctx, form, communities, optional=False)
                    _title_fields(ctx, form)
                    left, right = st.columns(2)
                    left.text_input(
                        t(n + "poster_name", lang), max_chars=40, key=_new_key(form, "poster_name")
                    )
                    right.text_input(
                        t(n + "poster_phone", lang),
                        max_chars=20,
                        key=_new_key(form, "poster_phone"),
                    )
                else:
                    _community_and_compound(ctx, form, communities, optional=True)
                    _kind_box(ctx, form, VolunteerKind)
                    st.text_input(t(n + "title", lang), max_chars=120, key=_new_key(form, "title"))
                    left, mid, right = st.columns(3)
                    left.date_input(
                        t(n + "held_on", lang),
                        value=ctx.today,
                        max_value=ctx.today,
                        key=_new_key(form, "held_on"),
                    )
                    mid.number_input(
                        t(n + "participants", lang),
                        min_value=1,
                        max_value=10_000,
                        value=10,
                        step=1,
                        key=_new_key(form, "participants"),
                    )
                    right.number_input(
                        t(n + "hours", lang),
                        min_value=0.5,
                        max_value=24.0,
                        value=2.0,
                        step=0.5,
                        key=_new_key(form, "hours"),
                    )
                    st.text_input(
                        t(n + "organiser", lang), max_chars=80, key=_new_key(form, "organiser")
                    )
                _submit(ctx, user, form)
    st.caption(t(n + "logged", lang, name=user.name))


# -- the lists -----------------------------------------------------------------------------
def _list_filters(ctx: StreetView, name: str) -> cm.ListFilter:
    lang = ctx.lang
    spec = cm.LISTS[name]
    l_ = _P + "lists."
    columns = st.columns(3)
    communities: tuple[str, ...] = (ctx.community_id,) if ctx.community_id else ()
    if ctx.community_id is None:
        names = cm.community_names(_ctx_frames(ctx), lang)
        communities = tuple(
            columns[0].multiselect(
                t(l_ + "community", lang),
                list(names),
                format_func=names.__getitem__,
                placeholder=t(l_ + "all", lang),
                key=_FILTER.format(name, "community"),
            )
        )
    chosen: dict[str, tuple[str, ...]] = {}
    for column, what, enum in (
        (columns[1], "status", spec.status),
        (columns[2], "kind", spec.kind),
    ):
        if enum is None:
            chosen[what] = ()
            continue
        chosen[what] = tuple(
            column.multiselect(
                t(l_ + what, lang),
                [m.value for m in enum],
                format_func=_enum_text(enum, lang),
                placeholder=t(l_ + "all", lang),
                key=_FILTER.format(name, what),
            )
        )
    return cm.ListFilter(communities=communities, statuses=chosen["status"], kinds=chosen["kind"])


def _note_wish_posters(ctx: StreetView, user: User) -> None:
    """Log the view of the wish list's posters, where `user` sees them unmasked: staff their
    community's, an administrator the chosen community's or the whole street's."""
    seen = "posters of the wish list"
    community = ctx.community_id or user.community_id
    if community is not None:
        auth.note_unmasked_view(ctx.store, user, community, f"wishes:{community}", seen)
    elif street_admin(user, ctx.street_id):
        auth.note_personal_view(ctx.store, user, f"wishes:{ctx.street_id}", seen)


def lists_section(ctx: StreetView) -> None:
    """The three lists, the wishes and the volunteer events: filtered, shown, downloadable."""
    lang = ctx.lang
    l_ = _P + "lists."
    store = ctx.store
    user = ctx.user()
    st.subheader(t(l_ + "heading", lang))
    tabs = st.tabs([t(l_ + name, lang) for name in cm.LISTS])
    for tab, name in zip(tabs, cm.LISTS, strict=True):
        with tab:
            filters = _list_filters(ctx, name)
            query = _ListQuery(ctx.street_id, ctx.user_id, name, filters, ctx.today, lang)
            table = _list(store, query)
            if name == "wishes" and user is not None and not table.empty:
                _note_wish_posters(ctx, user)
            st.caption(t(l_ + "count", lang, n=len(table)))
            st.dataframe(
                cm.blank_missing(table, lang),
                hide_index=True,
                width="stretch",
                height=38 + 35 * min(len(table), 10),
            )
            file_name = f"co-building-{name}-{ctx.community_id or ctx.street_id}"
            with st.container(horizontal=True):
                for suffix, text in ((".xlsx", "excel"), (".csv", "csv")):
                    st.download_button(
                        t(l_ + text, lang),
                        partial(exports.frame_bytes, table, suffix),  # on the click
                        file_name=f"{file_name}{suffix}",
                        mime=exports.FORMATS[suffix],
                        icon=":material/download:",
                        key=_KEY.format(f"download.{name}{suffix}"),
                        on_click="ignore",
                    )
