"""Streamlit glue of the issue map (``/issues``): click a building, work its issue ledger.

The page calls three functions in order: :func:`controls` (the sidebar: who is working, the
map's filters; returns an :class:`IssueView`), :func:`issue_map_view` (the map; a click picks
a building or a compound) and :func:`issue_panel` (the chosen building's profile, issues,
timeline and workflow forms, or a compound's summary, plus a search box).

State. Session state holds ids only: the chosen target ``(kind, id)``, the last click handled,
the chosen issue and one message to show after an action. The person working is the
signed-in account (:func:`mapgov.ui.widgets.current_user`), never a query parameter.

The map. It is built once per (data version, community, filters, colouring, language) by a
``cache_data`` loader: a cached copy renders to the same Leaflet script every time, so
streamlit-folium keeps the same component (its key is a hash of that script) and the map keeps
its view across reruns. It only sends clicks back (``returned_objects``), so panning and
zooming cause no rerun. The chosen building's outline is sent as ``feature_group_to_add``,
which streamlit-folium adds to the map already on the page without redrawing it. A click
arrives as a point; :class:`mapgov.domain.issues.BuildingLocator` (cached per community and data
version) finds the building or compound under it, in the map's ``on_change`` callback so that
the same run already shows the panel and the outline.

The workflow. Every form's submit button carries, in its callback arguments, the issue's
version as it was when the form was drawn: a second tab that saves later is refused by the
domain (:class:`~mapgov.core.errors.StaleEditError`) and nothing changes. Refusals are shown with
``st.error`` in the user's language; the form keeps what was typed. Loaders are keyed by
``store.identity()``, which changes with every write, so the panel shows the new state at once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import partial
from typing import Any, Final

import folium
import geopandas as gpd
import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from mapgov.core import clock
from mapgov.core.errors import MapgovError
from mapgov.core.i18n import catalogue, coded_note, error_text, label, t, value_label
from mapgov.core.model import (
    LEVEL_ORDER,
    CallbackRating,
    EventAction,
    IssueCategory,
    IssueSource,
    IssueStatus,
    Level,
    PropertyMode,
)
from mapgov.domain import issues
from mapgov.domain.places import display_names
from mapgov.domain.users import User, can_edit, get_user
from mapgov.io import exports, ledger
from mapgov.store import Store, open_store
from mapgov.ui import auth
from mapgov.ui import loaders as data
from mapgov.ui.state import PageView, View
from mapgov.ui.widgets import click_point, current_user, flash, md_text, say
from mapgov.views import issues as issuepins
from mapgov.views import maps as layers

__all__ = [
    "MAP_HEIGHT",
    "PANEL_HEIGHT",
    "IssueView",
    "MapFilters",
    "controls",
    "issue_map_labels",
    "issue_map_view",
    "issue_panel",
    "map_key",
]

"""Query parameter naming who is working."""
MAP_HEIGHT: Final = 640
PANEL_HEIGHT: Final = MAP_HEIGHT + 40
"""Height of the panel beside the map (it scrolls inside, the map stays in view)."""
HEAT_CELL_M: Final = 40.0

_KEY = "mapgov.issues.{}"
TARGET: Final = _KEY.format("target")  # ("building" | "compound", id) or absent
CLICK: Final = _KEY.format("click")  # (lat, lng) of the last click handled
ISSUE: Final = _KEY.format("issue")  # the chosen issue id (selectbox)
FLASH: Final = _KEY.format("flash")  # (kind, text, where): a form's outcome, shown once
SEARCH: Final = _KEY.format("search")
SEARCH_PICK: Final = _KEY.format("search_pick")
_FILTER = "mapgov.issues.filter.{}"
_FORM = "mapgov.issues.form.{}.{}"  # action, field

BUILDING: Final = "building"
COMPOUND: Final = "compound"


# -- the sidebar ---------------------------------------------------------------------------
@dataclass(frozen=True)
class MapFilters:
    """What the map counts: enum values (empty: all) and a report-date range (inclusive)."""

    categories: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    levels: tuple[str, ...] = ()
    date_from: dt.date | None = None
    date_to: dt.date | None = None

    def kwargs(self) -> dict[str, Any]:
        """Keyword arguments of the :mod:`mapgov.domain.issues` count and heat functions."""
        return {
            "categories": list(self.categories),
            "statuses": list(self.statuses),
            "levels": list(self.levels),
            "date_from": self.date_from,
            "date_to": self.date_to,
        }


@dataclass(frozen=True)
class IssueView(PageView):
    """Everything the map and the panel need for this run (ids and small values only)."""

    community_id: str
    community_name: str
    user_id: str
    filters: MapFilters
    colour_by: layers.ColourBy
    heat: bool
    today: dt.date


def _community_names(store: Store, street_id: str, lang: str) -> dict[str, str]:
    communities = data.community_list(store, street_id)
    return dict(zip(communities["community_id"], display_names(communities, lang), strict=True))


def _enum_filter(name: str, enum: type[Any], lang: str) -> tuple[str, ...]:
    chosen = st.sidebar.multiselect(
        t(f"issues.{name}", lang),
        [m.value for m in enum],
        format_func=lambda v: label(enum(v), lang),
        placeholder=t("issues.all", lang),
        key=_FILTER.format(name),
    )
    return tuple(chosen)


def _filters(lang: str) -> tuple[MapFilters, layers.ColourBy, bool]:
    side = st.sidebar
    side.caption(t("issues.filters", lang))
    categories = _enum_filter("categories", IssueCategory, lang)
    statuses = _enum_filter("statuses", IssueStatus, lang)
    levels = _enum_filter("levels", Level, lang)
    dates = side.date_input(t("issues.dates", lang), value=[], key=_FILTER.format("dates"))
    picked = [d for d in (dates if isinstance(dates, tuple | list) else [dates]) if d]
    date_from = picked[0] if picked else None
    date_to = picked[1] if len(picked) > 1 else None
    colour_by = side.radio(
        t("issues.colour_by", lang),
        [c.value for c in layers.ColourBy],
        format_func=lambda v: t(f"issues.colour.{v}", lang),
        horizontal=True,
        key=_FILTER.format("colour_by"),
    )
    heat = side.toggle(t("issues.heat", lang), value=False, key=_FILTER.format("heat"))
    filters = MapFilters(categories, statuses, levels, date_from, date_to)
    return filters, layers.ColourBy(colour_by), bool(heat)


def controls(view: View) -> IssueView | None:
    """Draw the page's sidebar (who is working, map filters) and choose the community.

    The page works on one community: the one chosen in the shell, else the working staff
    member's own, else the street's first (and says so).

    Returns
    -------
    IssueView or None
        ``None`` (after saying why) when the street has no community or no user.
    """
    if view.street_id is None:
        return None
    store = open_store(view.db)
    communities = _community_names(store, view.street_id, view.lang)
    if not communities:
        st.info(t("issues.no_community", view.lang))
        return None
    st.sidebar.divider()
    st.sidebar.subheader(t("issues.sidebar", view.lang))
    user = current_user(store, view)
    if user is None:
        st.info(t("issues.no_users", view.lang))
        return None
    filters, colour_by, heat = _filters(view.lang)
    community_id = view.community_id
    if community_id is None:
        own = user.community_id if user.community_id in communities else None
        community_id = own or next(iter(communities))
        st.info(t("issues.one_community", view.lang, community=communities[community_id]))
    if st.session_state.get(_KEY.format("community")) != community_id:
        st.session_state[_KEY.format("community")] = community_id
        st.session_state.pop(TARGET, None)  # a building of another community is not shown
        st.session_state.pop(CLICK, None)  # so a click on the same spot opens it again
    return IssueView(
        view=view,
        community_id=community_id,
        community_name=communities.get(community_id, community_id),
        user_id=user.user_id,
        filters=filters,
        colour_by=colour_by,
        heat=heat,
        today=clock.today(store),
    )


# -- cached loaders (keys: store identity and plain values, never frames) ------------------
@st.cache_data(max_entries=16, show_spinner=False)
def _buildings(path: str, version: int, community_id: str) -> gpd.GeoDataFrame:  # noqa: ARG001
    return issues.community_buildings(open_store(path), community_id)


@st.cache_data(max_entries=16, show_spinner=False)
def _compounds(path: str, version: int, community_id: str) -> gpd.GeoDataFrame:  # noqa: ARG001
    return issues.community_compounds(open_store(path), community_id)


@st.cache_resource(max_entries=16, show_spinner=False)
def _locator(path: str, version: int, community_id: str) -> issues.BuildingLocator:
    """Read-only spatial index of a community (shared by sessions: never mutated)."""
    return issues.BuildingLocator(
        _buildings(path, version, community_id), _compounds(path, version, community_id)
    )


def issue_map_labels(lang: str) -> layers.IssueMapLabels:
    """The map's texts from the catalogue (raw: ``heat_legend`` keeps its placeholders)."""
    texts = catalogue(lang)
    fields = layers.IssueMapLabels.__dataclass_fields__
    return layers.IssueMapLabels(**{name: texts[f"issues.map.{name}"] for name in fields})


@st.cache_data(max_entries=16, show_spinner=False)
def _map(
    path: str,
    version: int,
    *,
    community_id: str,
    filters: MapFilters,
    colour_by: str,
    heat: bool,
    day: dt.date,
    lang: str,
) -> folium.Map:
    """The community's issue map, pickled by the cache: every run gets an identical copy."""
    store = open_store(path)
    buildings = _buildings(path, version, community_id)
    compounds = _compounds(path, version, community_id)
    counts = issues.building_issue_counts(store, community_id, today=day, **filters.kwargs())
    names = compounds.set_index("compound_id")["name"]
    shown = buildings.merge(counts, on="building_id", how="left").fillna({"open": 0, "overdue": 0})
    shown["label"] = shown["compound_id"].map(names).fillna("") + " " + shown["name"].fillna("")
    cells = None
    if heat:
        cells = issues.heat_cells(store, community_id, cell_m=HEAT_CELL_M, **filters.kwargs())
    pins = issuepins.open_issue_pins(store, community_id, today=day, lang=lang, **filters.kwargs())
    return layers.issue_map(
        shown,
        compounds.assign(label=compounds["name"]),
        colour_by=colour_by,
        heat=cells,
        pins=pins,
        labels=issue_map_labels(lang),
    )


def map_key(community_id: str) -> str:
    """Streamlit key of the community's map (its click value is copied there)."""
    return _KEY.format(f"map.{community_id}")


# -- the map -------------------------------------------------------------------------------
def _handle_click(db: str, community_id: str, value: object) -> bool:
    """Resolve a new click to a building or compound and choose it; True if it was new."""
    point = click_point(value)
    if point is None or st.session_state.get(CLICK) == point:
        return False
    st.session_state[CLICK] = point
    store = open_store(db)
    hit = _locator(*store.identity(), community_id).locate(point[1], point[0])
    if hit.kind is not None and hit.id is not None:
        _choose(hit.kind, hit.id)
    return True


def _choose(kind: str, target_id: str) -> None:
    st.session_state[TARGET] = (kind, target_id)
    st.session_state.pop(ISSUE, None)


def _on_map_change(db: str, community_id: str) -> None:
    """st_folium's on_change: the click value has just been copied to the map's key."""
    if _handle_click(db, community_id, st.session_state.get(map_key(community_id))):
        st.session_state[SEARCH_PICK] = None


def _target() -> tuple[str, str] | None:
    target = st.session_state.get(TARGET)
    return target if isinstance(target, tuple) and len(target) == 2 else None


def _selection(ctx: IssueView) -> folium.FeatureGroup | None:
    target = _target()
    if target is None:
        return None
    path, version = ctx.store.identity()
    kind, target_id = target
    if kind == BUILDING:
        frame = _buildings(path, version, ctx.community_id)
        shape = frame[frame["building_id"] == target_id]
    else:
        frame = _compounds(path, version, ctx.community_id)
        shape = frame[frame["compound_id"] == target_id]
    return layers.selection_layer(shape) if not shape.empty else None


def issue_map_view(ctx: IssueView) -> None:
    """The community's issue map; a click chooses the building or compound under it."""
    path, version = ctx.store.identity()
    fmap = _map(
        path,
        version,
        community_id=ctx.community_id,
        filters=ctx.filters,
        colour_by=ctx.colour_by.value,
        heat=ctx.heat,
        day=ctx.today,
        lang=ctx.lang,
    )
    key = map_key(ctx.community_id)
    value = st_folium(
        fmap,
        key=key,
        height=MAP_HEIGHT,
        use_container_width=True,
        returned_objects=["last_object_clicked"],
        feature_group_to_add=_selection(ctx),
        on_change=partial(_on_map_change, ctx.view.db, ctx.community_id),
    )
    if _handle_click(ctx.view.db, ctx.community_id, value):  # no callback ran (first value)
        st.rerun()  # draw the outline and the panel of the new choice
    st.caption(t("issues.map.caption", ctx.lang))
    ledger_button(ctx)


# -- the ledger as a workbook --------------------------------------------------------------
@st.cache_data(max_entries=64, show_spinner=False)
def _ledger_size(path: str, version: int, community_id: str, filters: MapFilters) -> int:  # noqa: ARG001
    frame = issues.community_issues(
        open_store(path), community_id, columns=("issue_id",), **filters.kwargs()
    )
    return len(frame)


def _ledger_file(  # noqa: PLR0917 (the whole request, for a thread of its own)
    db: str, community_id: str, user_id: str, filters: MapFilters, lang: str, day: dt.date
) -> bytes:
    """The workbook, written when the button is clicked (on Streamlit's download thread)."""
    store = open_store(db)
    user = get_user(store, user_id)
    rows = ledger.community_ledger(store, community_id, user=user, today=day, **filters.kwargs())
    detail = f"issue ledger, reporters of {len(rows)} issues"
    auth.note_unmasked_view(
        store, user, community_id, f"ledger:{community_id}", detail, export=True
    )
    return ledger.ledger_xlsx(rows, lang)


def ledger_button(ctx: IssueView) -> None:
    """Download the community's issue ledger under the map's filters, as an Excel workbook,
    reporters masked as on the page."""
    n = _ledger_size(*ctx.store.identity(), ctx.community_id, ctx.filters)
    name = ctx.community_name
    st.download_button(
        t("issues.ledger.download", ctx.lang, n=f"{n:,}"),
        partial(
            _ledger_file,
            ctx.view.db,
            ctx.community_id,
            ctx.user_id,
            ctx.filters,
            ctx.lang,
            ctx.today,
        ),
        file_name=t("issues.ledger.file", ctx.lang, community=name, day=ctx.today.isoformat()),
        mime=exports.FORMATS[".xlsx"],
        on_click="ignore",
        icon=":material/download:",
        disabled=n == 0,
        key=_KEY.format("ledger"),
    )


# -- the panel -----------------------------------------------------------------------------


@st.cache_data(max_entries=64, show_spinner=False)
def _search(path: str, version: int, text: str, community_id: str) -> pd.DataFrame:  # noqa: ARG001
    return issues.search_buildings(open_store(path), text, community_id=community_id)


def _on_search_pick() -> None:
    building_id = st.session_state.get(SEARCH_PICK)
    if building_id:
        _choose(BUILDING, building_id)


def _search_box(ctx: IssueView) -> None:
    text = st.text_input(
        t("issues.panel.search", ctx.lang),
        placeholder=t("issues.panel.search_placeholder", ctx.lang),
        key=SEARCH,
    )
    if not text.strip():
        return
    found = _search(*ctx.store.identity(), text.strip(), ctx.community_id)
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


@st.cache_data(max_entries=64, show_spinner=False)
def _profile(path: str, version: int, building_id: str, user_id: str, day: dt.date) -> dict:  # noqa: ARG001
    store = open_store(path)
    return issues.building_profile(store, building_id, user=get_user(store, user_id), today=day)


@st.cache_data(max_entries=64, show_spinner=False)
def _building_issues(
    path: str,
    version: int,  # noqa: ARG001 (cache key)
    building_id: str,
    user_id: str,
    day: dt.date,
) -> pd.DataFrame:
    store = open_store(path)
    return issues.building_issues(store, building_id, user=get_user(store, user_id), today=day)


@st.cache_data(max_entries=64, show_spinner=False)
def _issue(path: str, version: int, issue_id: int, user_id: str, day: dt.date) -> dict:  # noqa: ARG001
    store = open_store(path)
    return issues.get_issue(store, issue_id, user=get_user(store, user_id), today=day)


@st.cache_data(max_entries=64, show_spinner=False)
def _timeline(path: str, version: int, issue_id: int, user_id: str) -> pd.DataFrame:  # noqa: ARG001
    store = open_store(path)
    return issues.issue_timeline(store, issue_id, user=get_user(store, user_id))


@st.cache_data(max_entries=64, show_spinner=False)
def _compound(path: str, version: int, compound_id: str, day: dt.date) -> dict:  # noqa: ARG001
    return issues.compound_summary(open_store(path), compound_id, today=day)


def _metric_row(items: list[tuple[str, object]]) -> None:
    for column, (name, value) in zip(st.columns(len(items)), items, strict=True):
        column.metric(name, "—" if value is None else f"{value:,}")


def _facts(rows: list[tuple[str, object]]) -> None:
    st.markdown("\n".join(f"- **{name}**: {md_text(value)}" for name, value in rows))


def _property_text(mode: object, company: object, red: bool, lang: str) -> str:
    parts = [value_label(PropertyMode, mode, lang) or t("issues.panel.none", lang)]
    if isinstance(company, str) and company:
        parts.append(company)
    if red:
        parts.append(t("issues.panel.red_property", lang))
    return " · ".join(parts)


def _building_profile(ctx: IssueView, p: dict[str, Any]) -> None:
    lang = ctx.lang
    p_ = "issues.panel."
    st.subheader(t(p_ + "building_title", lang, compound=p["compound_name"], building=p["name"]))
    _metric_row(
        [
            (t(p_ + "open_issues", lang), p["open_issues"]),
            (t(p_ + "overdue_issues", lang), p["overdue_issues"]),
            (t(p_ + "households", lang), p["households"]),
            (t(p_ + "residents", lang), p["residents"]),
        ]
    )
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
            (
                t(p_ + "property", lang),
                _property_text(p["property_mode"], p["property_company"], p["red_property"], lang),
            ),
        ]
    )


def _compound_panel(ctx: IssueView, compound_id: str) -> None:
    lang = ctx.lang
    p_ = "issues.panel."
    s = _compound(*ctx.store.identity(), compound_id, ctx.today)
    st.subheader(t(p_ + "compound_title", lang, name=s["name"]))
    _metric_row(
        [
            (t(p_ + "open_issues", lang), s["open_issues"]),
            (t(p_ + "overdue_issues", lang), s["overdue_issues"]),
            (t(p_ + "buildings", lang), s["buildings"]),
            (t(p_ + "households", lang), s["households"]),
        ]
    )
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
            (
                t(p_ + "property", lang),
                _property_text(s["property_mode"], s["property_company"], s["red_property"], lang),
            ),
            (t(p_ + "branch", lang), branch),
        ]
    )


def _issue_table(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The building's issues for display: translated labels, overdue ones marked ⚠."""
    c = "issues.col."
    return pd.DataFrame(
        {
            t(c + "issue_id", lang): frame["issue_id"].astype(int),
            t(c + "status", lang): [value_label(IssueStatus, s, lang) for s in frame["status"]],
            t(c + "overdue", lang): ["⚠" if o else "" for o in frame["overdue"]],
            t(c + "title", lang): frame["title"],
            t(c + "deadline", lang): frame["deadline"].fillna(""),
            t(c + "category", lang): [
                value_label(IssueCategory, v, lang) for v in frame["category"]
            ],
            t(c + "reported_at", lang): frame["reported_at"].str.slice(0, 10),
        }
    )


def _timeline_table(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    """An issue's events for display, in order."""
    c = "issues.col."

    def change(enum: type[Any], old: object, new: object) -> str:
        a, b = value_label(enum, old, lang), value_label(enum, new, lang)
        return f"{a} → {b}" if a and b and a != b else (b or a)

    return pd.DataFrame(
        {
            t(c + "at", lang): frame["at"].str.replace("T", " ", regex=False),
            t(c + "actor", lang): frame["actor"],
            t(c + "action", lang): [value_label(EventAction, a, lang) for a in frame["action"]],
            t(c + "status_change", lang): [
                change(IssueStatus, a, b)
                for a, b in zip(frame["from_status"], frame["to_status"], strict=True)
            ],
            t(c + "level_change", lang): [
                change(Level, a, b)
                for a, b in zip(frame["from_level"], frame["to_level"], strict=True)
            ],
            t(c + "note", lang): [coded_note(CallbackRating, n, lang) for n in frame["note"]],
        }
    )


def _issue_details(ctx: IssueView, issue: dict[str, Any]) -> None:
    lang = ctx.lang
    c = "issues.col."
    st.markdown(
        f"**{md_text(t('issues.panel.details', lang, issue_id=issue['issue_id']))}** "
        f"{md_text(issue['title'])}"
    )
    status = value_label(IssueStatus, issue["status"], lang)
    if issue["overdue"]:
        status += f" · ⚠ {t('issues.panel.overdue_mark', lang)}"
    reporter = " ".join(str(v) for v in (issue["reporter_name"], issue["reporter_phone"]) if v)
    rows: list[tuple[str, object]] = [
        (t(c + "status", lang), status),
        (t(c + "level", lang), value_label(Level, issue["level"], lang)),
        (t(c + "category", lang), value_label(IssueCategory, issue["category"], lang)),
        (t(c + "source", lang), value_label(IssueSource, issue["source"], lang)),
        (t(c + "responsible_unit", lang), issue["responsible_unit"]),
        (t(c + "deadline", lang), issue["deadline"]),
        (t(c + "reporter", lang), reporter or None),
        (t(c + "description", lang), issue["description"]),
    ]
    if issue.get("satisfaction"):
        rating = value_label(CallbackRating, issue["satisfaction"], lang)
        rows.append((t(c + "satisfaction", lang), rating))
    _facts(rows)
    st.markdown(f"**{md_text(t('issues.panel.timeline', lang))}**")
    events = _timeline(*ctx.store.identity(), int(issue["issue_id"]), ctx.user_id)
    if events.empty:
        st.caption(t("issues.panel.no_events", lang))
    else:
        st.dataframe(_timeline_table(events, lang), hide_index=True, width="stretch")


def _issue_list(ctx: IssueView, building_id: str, user: User) -> None:
    lang = ctx.lang
    frame = _building_issues(*ctx.store.identity(), building_id, user.user_id, ctx.today)
    st.markdown(f"**{md_text(t('issues.panel.issues', lang, n=len(frame)))}**")
    if frame.empty:
        st.caption(t("issues.panel.no_issues", lang))
        return
    c = "issues.col."
    narrow = {
        t(c + "issue_id", lang): st.column_config.NumberColumn(width="small", format="%d"),
        t(c + "overdue", lang): st.column_config.TextColumn(width="small"),
    }
    st.dataframe(
        _issue_table(frame, lang),
        hide_index=True,
        width="stretch",
        height=min(36 + 35 * len(frame), 250),
        column_config=narrow,
    )
    ids = [int(i) for i in frame["issue_id"]]
    titles = dict(zip(ids, frame["title"], strict=True))
    statuses = dict(zip(ids, frame["status"], strict=True))
    if st.session_state.get(ISSUE) not in ids:
        st.session_state[ISSUE] = ids[0]
    issue_id = st.selectbox(
        t("issues.panel.issue_pick", lang),
        ids,
        format_func=lambda i: t(
            "issues.panel.issue_option",
            lang,
            issue_id=i,
            status=value_label(IssueStatus, statuses[i], lang),
            title=titles[i],
        ),
        key=ISSUE,
    )
    issue = _issue(*ctx.store.identity(), int(issue_id), user.user_id, ctx.today)
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
    for name in names:
        if name in _TEXT_FIELDS:
            st.session_state[_field(action, name)] = ""
        else:
            st.session_state.pop(_field(action, name), None)


def _run_action(
    db: str, user_id: str, lang: str, *, action: str, issue_id: int, version: int
) -> None:
    """Submit callback: one workflow call with the version the form was drawn with."""
    store = open_store(db)
    a = EventAction(action)
    try:
        user = get_user(store, user_id)
        if a is EventAction.ASSIGN:
            issues.assign(
                store,
                user,
                issue_id,
                version=version,
                level=_value(action, "level"),
                responsible_unit=_value(action, "responsible_unit") or "",
                deadline=_value(action, "deadline"),
                note=_value(action, "note") or "",
            )
        elif a is EventAction.START:
            issues.start(store, user, issue_id, version=version, note=_value(action, "note") or "")
        elif a is EventAction.ESCALATE:
            issues.escalate(
                store,
                user,
                issue_id,
                version=version,
                reason=_value(action, "reason") or "",
                responsible_unit=_value(action, "responsible_unit") or None,
                deadline=_value(action, "deadline"),
            )
        elif a is EventAction.RESOLVE:
            issues.resolve(
                store, user, issue_id, version=version, note=_value(action, "note") or ""
            )
        elif a is EventAction.CALLBACK:
            issues.callback(
                store,
                user,
                issue_id,
                version=version,
                rating=_value(action, "rating"),
                note=_value(action, "note") or "",
            )
        elif a is EventAction.CLOSE:
            issues.close(store, user, issue_id, version=version, note=_value(action, "note") or "")
    except MapgovError as err:
        say(FLASH, "error", t("issues.refused", lang, message=error_text(err, lang)), "actions")
        return
    _clear(action, "note", "reason", "responsible_unit", "deadline")
    say(
        FLASH,
        "success",
        t("issues.saved", lang, issue_id=issue_id, action=label(a, lang)),
        "actions",
    )


def _log_issue(db: str, user_id: str, lang: str, building_id: str) -> None:
    """Submit callback of the "log a new issue" form."""
    store = open_store(db)
    action = EventAction.REPORT.value
    try:
        issue_id = issues.log_issue(
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
    action = EventAction.REPORT.value
    with (
        st.expander(t(f + "log", lang), icon=":material/add_circle:"),
        st.form(_KEY.format("form.report")),
    ):
        left, right = st.columns(2)
        left.selectbox(
            t(f + "category", lang),
            [c.value for c in IssueCategory],
            format_func=lambda v: label(IssueCategory(v), lang),
            key=_field(action, "category"),
        )
        right.selectbox(
            t(f + "source", lang),
            [s.value for s in IssueSource],
            format_func=lambda v: label(IssueSource(v), lang),
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
    lvl = Level(level) if level in {v.value for v in Level} else Level.COMPOUND
    return day + dt.timedelta(days=issues.SLA_DAYS[lvl])


def _action_fields(action: EventAction, issue: dict[str, Any], ctx: IssueView) -> None:
    lang = ctx.lang
    f = "issues.form."
    a = action.value
    if action is EventAction.ASSIGN:
        st.selectbox(
            t(f + "level", lang),
            [lv.value for lv in LEVEL_ORDER],
            index=LEVEL_ORDER.index(Level(issue["level"])) if issue["level"] else 0,
            format_func=lambda v: label(Level(v), lang),
            key=_field(a, "level"),
        )
        st.text_input(
            t(f + "responsible_unit", lang), max_chars=80, key=_field(a, "responsible_unit")
        )
        st.date_input(
            t(f + "deadline", lang),
            value=_default_deadline(issue["level"], ctx.today),
            min_value=ctx.today,
            key=_field(a, "deadline"),
        )
    elif action is EventAction.ESCALATE:
        st.text_area(t(f + "reason", lang), height=68, key=_field(a, "reason"))
        st.text_input(t(f + "escalate_unit", lang), max_chars=80, key=_field(a, "responsible_unit"))
        st.date_input(
            t(f + "escalate_deadline", lang),
            value=None,
            min_value=ctx.today,
            key=_field(a, "deadline"),
        )
    elif action is EventAction.CALLBACK:
        st.radio(
            t(f + "rating", lang),
            [r.value for r in CallbackRating],
            format_func=lambda v: label(CallbackRating(v), lang),
            horizontal=True,
            key=_field(a, "rating"),
        )
    note = "resolve_note" if action is EventAction.RESOLVE else "note"
    if action is not EventAction.ESCALATE:
        st.text_area(t(f + note, lang), height=68, key=_field(a, "note"))


def _action_forms(ctx: IssueView, issue: dict[str, Any], user: User) -> None:
    allowed = issues.allowed_actions(ctx.store, issue, user)
    flash(FLASH, "actions")  # also after the last action, which leaves none allowed
    if not allowed:
        return
    lang = ctx.lang
    st.markdown(f"**{md_text(t('issues.form.actions', lang))}**")
    version = int(issue["version"])
    tabs = st.tabs([label(a, lang) for a in allowed])
    for tab, action in zip(tabs, allowed, strict=True):
        with tab, st.form(_KEY.format(f"form.{action.value}.{issue['issue_id']}")):
            _action_fields(action, issue, ctx)
            st.form_submit_button(
                label(action, lang),
                type="primary",
                on_click=_run_action,
                args=(ctx.view.db, user.user_id, lang),
                kwargs={
                    "action": action.value,
                    "issue_id": int(issue["issue_id"]),
                    "version": version,
                },
            )
    st.caption(t("issues.form.version", lang, version=version))


def _target_panel(ctx: IssueView, user: User) -> None:
    target = _target()
    if target is None:
        st.info(t("issues.panel.hint", ctx.lang), icon=":material/touch_app:")
        return
    kind, target_id = target
    if kind == COMPOUND:
        _compound_panel(ctx, target_id)
        return
    profile = _profile(*ctx.store.identity(), target_id, user.user_id, ctx.today)
    seen = "building head, zone member, reporters of its issues"
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
    _search_box(ctx)
    try:
        _target_panel(ctx, user)
    finally:
        st.session_state.pop(FLASH, None)  # an outcome not shown by now is out of date
