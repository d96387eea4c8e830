"""Streamlit glue of the co-building page (``/co-building``): the three lists on a map.

The page calls, in order: :func:`controls` (the sidebar's "who is working"; returns a
:class:`StreetView`), :func:`headline` (needs waiting, projects, units, wishes, volunteers),
:func:`map_view` (communities, compounds, units, needs coloured by days waiting and lines
from units to the needs they serve), :func:`matching_panel` (a chosen open need's ranked
units with their reasons, and the "pair" button), the record panel and the new-record forms
of :mod:`mapgov.ui.co_building_forms` (a chosen project, need or wish with its workflow
steps and timeline; file a need or a resource, post a wish, log volunteer service),
:func:`lists_section` (the five lists, filtered and downloadable) and
:func:`figures_section` (the count tables).

State. Session state holds ids and widget values only: the need being matched, the record
being worked on, one message to show after a step. The person working is the signed-in
account, shared with the other pages (:func:`mapgov.ui.widgets.current_user`).

Caching. Loaders are :func:`mapgov.ui.loaders.cached` functions that take the store
(hashed as its path and data version), so every step shows at once in the figures, the map
and the lists. The map is cached too: a cached copy renders to the same Leaflet script, so
streamlit-folium keeps its component until the data change; it sends nothing back (no rerun
on pan or zoom).

Writing happens in :mod:`mapgov.ui.co_building_forms` (and the "pair" button here): every
step goes through :mod:`mapgov.domain.cobuild`, which checks the rights again and refuses a
record changed since it was drawn.
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

from mapgov.core.errors import MapgovError
from mapgov.core.i18n import error_text, label, t
from mapgov.core.model import (
    CoEntity,
    CoopKind,
    NeedStatus,
    ProjectStatus,
)
from mapgov.domain import cobuild
from mapgov.domain.users import User, can_edit, get_user, street_admin
from mapgov.store import Store, open_store
from mapgov.ui import auth
from mapgov.ui.loaders import cached
from mapgov.ui.state import StreetView, View
from mapgov.ui.widgets import (
    choice_box,
    flash,
    md_text,
    metric_row,
    say,
    show_table,
    street_controls,
    table_downloads,
)
from mapgov.views import accounts as av
from mapgov.views import co_building as cm

__all__ = [
    "ENTITY",
    "FLASH",
    "KEY",
    "MAP_HEIGHT",
    "MATCH_NEED",
    "TEXTS",
    "StreetView",
    "co_frames",
    "controls",
    "enum_text",
    "figures_section",
    "headline",
    "lists_section",
    "map_view",
    "matching_panel",
    "record_key",
    "refused",
]

MAP_HEIGHT: Final = 560

KEY: Final = "mapgov.cob.{}"
MATCH_NEED: Final = KEY.format("match_need")  # the open need being matched (selectbox)
ENTITY: Final = KEY.format("entity")  # "project" | "need" | "wish" (segmented control)
FLASH: Final = KEY.format("flash")  # (kind, text, where): a step's outcome, shown once
SCOPE: Final = KEY.format("scope")
_RECORD = "mapgov.cob.record.{}"  # the chosen record of an entity (selectbox)
_FILTER = "mapgov.cob.filter.{}.{}"  # list, what
TEXTS: Final = "co_building_page."
ENTITIES: Final = (CoEntity.PROJECT, CoEntity.NEED, CoEntity.WISH)


# -- cached loaders (keys: store identity and plain values, never frames) ------------------
@cached(max_entries=8)
def _frames(store: Store, street_id: str, user_id: str | None) -> cobuild.CoFrames:
    user = get_user(store, user_id) if user_id else None
    return cobuild.load(store, street_id=street_id, user=user)


def co_frames(ctx: StreetView) -> cobuild.CoFrames:
    """The street's cached co-building frames, as `ctx`'s user may see them."""
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
        projects = co_frames(ctx).projects.set_index("project_id")
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
    """Draw the page's sidebar part (who is working) and fix the place on screen
    (:func:`mapgov.ui.widgets.street_controls`; a record chosen elsewhere is forgotten).

    Returns
    -------
    StreetView or None
        ``None`` when there is no street.
    """
    records = [_RECORD.format(e.value) for e in ENTITIES]
    return street_controls(view, texts=TEXTS, scope_key=SCOPE, forget=[MATCH_NEED, *records])


# -- messages ------------------------------------------------------------------------------


def refused(err: MapgovError, lang: str, where: str) -> None:
    """Show a refused step's reason once, at `where`, in `lang`."""
    say(FLASH, "error", t(TEXTS + "refused", lang, message=error_text(err, lang)), where)


# -- figures -------------------------------------------------------------------------------
def headline(ctx: StreetView) -> None:
    """Two rows of headline figures of the place on screen."""
    lang = ctx.lang
    f = TEXTS + "fig."
    o = cobuild.overview(co_frames(ctx), ctx.today, community_id=ctx.community_id)
    longest = o["longest_wait_days"]
    rate = o["satisfaction_rate"]

    def count(name: str, help_text: str | None = None) -> tuple[str, str, str | None]:
        return t(f + name, lang), f"{o[name]:,}", help_text

    wait = "—" if longest is None else t(TEXTS + "days", lang, n=longest)
    satisfaction = t(f + "satisfaction", lang, rate="—" if rate is None else f"{rate:.0%}")
    hours = t(f + "hours_help", lang, hours=f"{o['volunteer_hours']:,.0f}")
    metric_row(
        [
            count("needs_open", t(f + "needs_help", lang, n=o["needs"])),
            (t(f + "longest_wait", lang), wait, None),
            count("projects_active"),
            count("projects_completed", satisfaction),
            (
                t(f + "units_engaged", lang),
                f"{o['units_engaged']:,} / {o['units']:,}",
                t(f + "units_help", lang),
            ),
        ]
    )
    metric_row(
        [
            count("wishes"),
            count("wishes_claimed"),
            count("wishes_completed"),
            count("volunteer_events", t(f + "year_help", lang)),
            count("volunteer_participants", hours),
        ]
    )


def _status_table(
    table: pd.DataFrame, by: str, enum: type[StrEnum], names: dict[str, str], lang: str
) -> pd.DataFrame:
    total = t(TEXTS + "fig.total", lang)
    out = {
        t(TEXTS + f"fig.by_{by}", lang): [
            total if v == "ALL" else names.get(v, v) for v in table[by]
        ]
    }
    for member in enum:
        out[label(member, lang)] = table[member.value].to_numpy()
    out[t(TEXTS + "fig.total_col", lang)] = table["total"].to_numpy()
    return pd.DataFrame(out)


def figures_section(ctx: StreetView) -> None:
    """Projects and needs by status, the units and their projects, volunteer service by month."""
    lang = ctx.lang
    f = TEXTS + "fig."
    frames = co_frames(ctx)
    names = cm.community_names(frames, lang)
    kinds = {k.value: label(k, lang) for k in CoopKind}
    st.subheader(t(f + "heading", lang))
    tabs = st.tabs(
        [t(f + name, lang) for name in ("tab_projects", "tab_needs", "tab_units", "tab_volunteer")]
    )
    with tabs[0]:
        table = cobuild.projects_by_status(frames, community_id=ctx.community_id)
        show_table(
            _status_table(table, "community_id", ProjectStatus, names, lang),
            hide_index=True,
        )
    with tabs[1]:
        table = cobuild.needs_by_status(frames, by="kind", community_id=ctx.community_id)
        show_table(
            _status_table(table, "kind", NeedStatus, kinds, lang),
            hide_index=True,
        )
    with tabs[2]:
        units = cobuild.unit_engagement(frames, community_id=ctx.community_id)
        c = TEXTS + "fig.unit."
        show_table(
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
    frames = co_frames(ctx)
    if not (len(frames.communities) or len(frames.compounds) or len(frames.units)):
        st.info(t(TEXTS + "no_places", ctx.lang))
        return
    every = st.toggle(t(TEXTS + "map.show_all_links", ctx.lang), key=KEY.format("all_links"))
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
        key=KEY.format(f"map.{ctx.street_id}"),
        height=MAP_HEIGHT,
        use_container_width=True,
        returned_objects=[],
    )
    st.caption(t(TEXTS + "map.caption", ctx.lang))


# -- matching ------------------------------------------------------------------------------
def _pair(db: str, user_id: str, lang: str, *, street_id: str, need_id: str, version: int) -> None:
    """The pair button's callback: the chosen candidate becomes the need's project."""
    store = open_store(db)
    unit_id = st.session_state.get(KEY.format(f"candidate.{need_id}"))
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
        refused(err, lang, "match")
        return
    st.session_state[ENTITY] = CoEntity.PROJECT.value
    st.session_state[_RECORD.format(CoEntity.PROJECT.value)] = project_id
    st.session_state.pop(MATCH_NEED, None)  # the need is matched: off the list of open needs
    name = chosen.unit_name if chosen else unit_id
    say(FLASH, "success", t(TEXTS + "match.paired", lang, unit=name, project=project_id), "match")


def _candidate_text(c: cobuild.Candidate, rank: int, lang: str) -> str:
    score = f"{c.score:.{cm.SCORE_DECIMALS}f}"
    return t(TEXTS + "match.candidate", lang, rank=rank, unit=c.unit_name, score=score)


def _candidate_columns(lang: str) -> dict[str, Any]:
    """The ranking's figures in one format each: score to :data:`cm.SCORE_DECIMALS` (as the
    unit picker says it), metres and projects as whole numbers."""
    c = TEXTS + "match.col."
    return {
        t(c + "rank", lang): st.column_config.NumberColumn(width="small", format="%d"),
        t(c + "score", lang): st.column_config.NumberColumn(format=f"%.{cm.SCORE_DECIMALS}f"),
        t(c + "distance", lang): st.column_config.NumberColumn(format="%d"),
        t(c + "active", lang): st.column_config.NumberColumn(format="%d"),
    }


def matching_panel(ctx: StreetView) -> None:
    """A chosen open need (longest waiting first), its ranked units with their reasons, and
    for the staff of its community (and administrators) the button that pairs them."""
    lang = ctx.lang
    m = TEXTS + "match."
    st.subheader(t(m + "title", lang))
    flash(FLASH, "match")
    frames = co_frames(ctx)
    options = cm.open_need_options(frames, ctx.today, lang=lang, community_id=ctx.community_id)
    if not options:
        st.info(t(m + "none_open", lang), icon=":material/check_circle:")
        return
    if st.session_state.get(MATCH_NEED) not in options:
        # open on the longest waiting need of the user's own community, if it has one
        user = ctx.user()
        own = cm.own_need(
            frames,
            ctx.today,
            own=user.community_id if user else None,
            community_id=ctx.community_id,
        )
        st.session_state[MATCH_NEED] = own or next(iter(options))
    need_id = choice_box(t(m + "need", lang), options, key=MATCH_NEED)
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
    show_table(
        cm.candidate_table(shown, lang=lang),
        hide_index=True,
        height=38 + 35 * len(shown),
        column_config=_candidate_columns(lang),
    )
    st.caption(t(m + "score_help", lang))
    user = ctx.user()
    if user is None or not can_edit(user, need["community_id"], ctx.store):
        if user is not None:
            st.caption(t(TEXTS + "read_only", lang, name=user.name, role=label(user.role, lang)))
        return
    texts = {c.unit_id: _candidate_text(c, i, lang) for i, c in enumerate(shown, start=1)}
    st.selectbox(
        t(m + "choose", lang),
        list(texts),
        format_func=texts.__getitem__,
        key=KEY.format(f"candidate.{need_id}"),
    )
    st.button(
        t(m + "pair", lang),
        type="primary",
        icon=":material/handshake:",
        on_click=_pair,
        args=(ctx.view.db, user.user_id, lang),
        kwargs={"street_id": ctx.street_id, "need_id": need_id, "version": int(need["version"])},
        key=KEY.format(f"pair.{need_id}"),
    )


# -- a chosen record: its steps and timeline -----------------------------------------------
def record_key(entity: CoEntity | str) -> str:
    """Streamlit key of the picker of `entity`'s records."""
    return _RECORD.format(CoEntity(entity).value)


def enum_text(enum: type[StrEnum], lang: str) -> Callable[[str], str]:
    """A `format_func` showing `enum`'s values in `lang`."""

    def text(value: str) -> str:
        return label(enum(value), lang)

    return text


# -- the lists -----------------------------------------------------------------------------
def _list_filters(ctx: StreetView, name: str) -> cm.ListFilter:
    lang = ctx.lang
    spec = cm.LISTS[name]
    l_ = TEXTS + "lists."
    columns = st.columns(3)
    communities: tuple[str, ...] = (ctx.community_id,) if ctx.community_id else ()
    if ctx.community_id is None:
        names = cm.community_names(co_frames(ctx), lang)
        communities = tuple(
            columns[0].multiselect(
                t(l_ + "community", lang),
                list(names),
                format_func=names.__getitem__,
                placeholder=t(l_ + "all", lang),
                key=_FILTER.format(name, "community"),
                select_all=False,  # none chosen is all
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
                format_func=enum_text(enum, lang),
                placeholder=t(l_ + "all", lang),
                key=_FILTER.format(name, what),
                select_all=False,  # none chosen is all
            )
        )
    return cm.ListFilter(communities=communities, statuses=chosen["status"], kinds=chosen["kind"])


def _note_wish_posters(
    store: Store,
    user: User,
    street_id: str | None,
    community_id: str | None,
    *,
    export: bool = False,
) -> None:
    """Log the view (or the download: `export`) of the wish list's posters and claimants,
    where `user` sees them unmasked: staff their community's, an administrator the chosen
    community's or the whole street's."""
    seen = av.SEEN_WISHES
    community = community_id or user.community_id
    if community is not None:
        auth.note_unmasked_view(store, user, community, f"wishes:{community}", seen, export=export)
    elif street_admin(user, street_id):
        auth.note_personal_view(store, user, f"wishes:{street_id}", seen, export=export)


def _wishes_downloaded(
    db: str, user_id: str, street_id: str | None, community_id: str | None
) -> None:
    """The wish list's download, logged as an export (on Streamlit's download thread)."""
    store = open_store(db)
    _note_wish_posters(store, get_user(store, user_id), street_id, community_id, export=True)


def lists_section(ctx: StreetView) -> None:
    """The three lists, the wishes and the volunteer events: filtered, shown, downloadable."""
    lang = ctx.lang
    l_ = TEXTS + "lists."
    store = ctx.store
    user = ctx.user()
    st.subheader(t(l_ + "heading", lang))
    tabs = st.tabs([t(l_ + name, lang) for name in cm.LISTS])
    for tab, name in zip(tabs, cm.LISTS, strict=True):
        with tab:
            filters = _list_filters(ctx, name)
            query = _ListQuery(ctx.street_id, ctx.user_id, name, filters, ctx.today, lang)
            table = _list(store, query)
            made = None
            if name == "wishes" and user is not None and not table.empty:
                _note_wish_posters(store, user, ctx.street_id, ctx.community_id)
                made = partial(
                    _wishes_downloaded, ctx.view.db, user.user_id, ctx.street_id, ctx.community_id
                )
            st.caption(t(l_ + "count", lang, n=len(table)))
            show_table(
                table,
                hide_index=True,
                width="stretch",
                height=38 + 35 * min(len(table), 10),
                column_config={
                    col: st.column_config.Column(help=text)
                    for col, text in cm.column_help(name, lang).items()
                },
            )
            stem = f"co-building-{name}-{ctx.community_id or ctx.street_id}"
            key = KEY.format(f"download.{name}")
            table_downloads(table, texts=l_, lang=lang, stem=stem, key=key, made=made)
