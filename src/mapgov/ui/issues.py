"""Streamlit glue of the issue map (``/issues``): click a building, work its issue ledger.

The page calls three functions in order: :func:`controls` (the sidebar: who is working, the
map's filters; returns an :class:`IssueView`), :func:`issue_map_view` (the map; a click picks
a building or a compound) and :func:`mapgov.ui.issues_panel.issue_panel` (the chosen
building's profile, issues, timeline and workflow forms, or a compound's summary, plus a
search box).

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

New field reports (issue 20: from a phone, not yet assigned) are counted in a badge above the
filters; their toggle (:attr:`MapFilters.new_only`) limits the map, its pins and heat and the
exported ledger to them, and the panel lists them to open one by one. The count is a cached
loader like the rest: a report filed in another session bumps the data version, so it shows
at the next run.

The panel and its workflow forms live in :mod:`mapgov.ui.issues_panel`. Loaders
(:func:`mapgov.ui.loaders.cached`) take the store, hashed as its path and data version, which
changes with every write.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import partial
from typing import Any, Final

import folium
import streamlit as st

from mapgov.core import clock
from mapgov.core.i18n import catalogue, label, t
from mapgov.core.model import (
    IssueCategory,
    IssueStatus,
    Level,
)
from mapgov.domain import field_reports, issues
from mapgov.domain.places import display_names
from mapgov.domain.users import get_user
from mapgov.io import exports, ledger
from mapgov.store import Store, open_store
from mapgov.ui import auth
from mapgov.ui import loaders as data
from mapgov.ui.loaders import cached, cached_resource
from mapgov.ui.state import PageView, View
from mapgov.ui.widgets import click_map, current_user
from mapgov.views import issues as issuepins
from mapgov.views import maps as layers

__all__ = [
    "MAP_HEIGHT",
    "PANEL_HEIGHT",
    "IssueView",
    "MapFilters",
    "choose_target",
    "chosen_target",
    "controls",
    "issue_map_labels",
    "issue_map_view",
    "map_key",
]

"""Query parameter naming who is working."""
MAP_HEIGHT: Final = 640
PANEL_HEIGHT: Final = MAP_HEIGHT + 40
"""Height of the panel beside the map (it scrolls inside, the map stays in view)."""
HEAT_CELL_M: Final = 40.0

KEY = "mapgov.issues.{}"
TARGET: Final = KEY.format("target")  # ("building" | "compound", id) or absent
CLICK: Final = KEY.format("click")  # (lat, lng) of the last click handled
ISSUE: Final = KEY.format("issue")  # the chosen issue id (selectbox)
FLASH: Final = KEY.format("flash")  # (kind, text, where): a form's outcome, shown once
SEARCH: Final = KEY.format("search")
SEARCH_PICK: Final = KEY.format("search_pick")
_FILTER = "mapgov.issues.filter.{}"

BUILDING: Final = "building"
COMPOUND: Final = "compound"
COMPOUND_PARAM: Final = "compound"
"""Query parameter of a link that opens the page on a compound (its community's too)."""


# -- the sidebar ---------------------------------------------------------------------------
@dataclass(frozen=True)
class MapFilters:
    """What the map counts: enum values (empty: all) and a report-date range (inclusive)."""

    categories: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    levels: tuple[str, ...] = ()
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    new_only: bool = False
    """Only the new field reports (:func:`mapgov.domain.issues.is_new_report`)."""

    def kwargs(self) -> dict[str, Any]:
        """Keyword arguments of the :mod:`mapgov.domain.issues` count and heat functions."""
        return {
            "categories": list(self.categories),
            "statuses": list(self.statuses),
            "levels": list(self.levels),
            "date_from": self.date_from,
            "date_to": self.date_to,
            "new_only": self.new_only,
        }


@dataclass(frozen=True)
class IssueView(PageView):
    """Everything the map and the panel need for this run (ids and small values only)."""

    community_id: str
    community_name: str
    user_id: str
    filters: MapFilters
    colour_by: issuepins.ColourBy
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
        select_all=False,  # none chosen is all; Streamlit's "Select all" is English only
    )
    return tuple(chosen)


def _new_reports_toggle(store: Store, community_id: str, lang: str) -> bool:
    """The count of new field reports, as a badge, and the toggle that shows only them."""
    n = _new_count(store, community_id)
    colour = "red" if n else "gray"
    st.sidebar.markdown(f":{colour}-badge[{t('issues.field_report.badge', lang, n=n)}]")
    return bool(
        st.sidebar.toggle(
            t("issues.field_report.toggle", lang),
            value=False,
            help=t("issues.field_report.help", lang),
            key=_FILTER.format("new_only"),
        )
    )


def _filters(
    store: Store, community_id: str, lang: str
) -> tuple[MapFilters, issuepins.ColourBy, bool]:
    side = st.sidebar
    side.caption(t("issues.filters", lang))
    new_only = _new_reports_toggle(store, community_id, lang)
    categories = _enum_filter("categories", IssueCategory, lang)
    statuses = _enum_filter("statuses", IssueStatus, lang)
    levels = _enum_filter("levels", Level, lang)
    dates = side.date_input(t("issues.dates", lang), value=[], key=_FILTER.format("dates"))
    picked = [d for d in (dates if isinstance(dates, tuple | list) else [dates]) if d]
    date_from = picked[0] if picked else None
    date_to = picked[1] if len(picked) > 1 else None
    colour_by = side.radio(
        t("issues.colour_by", lang),
        [c.value for c in issuepins.ColourBy],
        format_func=lambda v: t(f"issues.colour.{v}", lang),
        horizontal=True,
        key=_FILTER.format("colour_by"),
    )
    heat = side.toggle(t("issues.heat", lang), value=False, key=_FILTER.format("heat"))
    filters = MapFilters(categories, statuses, levels, date_from, date_to, new_only)
    return filters, issuepins.ColourBy(colour_by), bool(heat)


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
    community_id = view.community_id
    if community_id is None:
        own = user.community_id if user.community_id in communities else None
        community_id = own or next(iter(communities))
        st.info(t("issues.one_community", view.lang, community=communities[community_id]))
    filters, colour_by, heat = _filters(store, community_id, view.lang)
    if st.session_state.get(KEY.format("community")) != community_id:
        st.session_state[KEY.format("community")] = community_id
        st.session_state.pop(TARGET, None)  # a building of another community is not shown
        st.session_state.pop(CLICK, None)  # so a click on the same spot opens it again
    _linked_compound(store, community_id)
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


def _linked_compound(store: Store, community_id: str) -> None:
    """A link naming a compound of the community (``?compound=ID``, as the compound health
    card's) chooses it, once: the parameter then leaves the URL."""
    wanted = st.query_params.get(COMPOUND_PARAM)
    if wanted is None:
        return
    del st.query_params[COMPOUND_PARAM]
    if wanted in set(_compounds(store, community_id)["compound_id"]):
        choose_target(COMPOUND, wanted)


# -- cached loaders (keys: store identity and plain values, never frames) ------------------
_buildings = cached(max_entries=16)(issues.community_buildings)
_compounds = cached(max_entries=16)(issues.community_compounds)
_new_count = cached(max_entries=16)(field_reports.new_report_count)


@cached_resource(max_entries=16)
def _locator(store: Store, community_id: str) -> issues.BuildingLocator:
    """Read-only spatial index of a community (shared by sessions: never mutated)."""
    return issues.BuildingLocator(_buildings(store, community_id), _compounds(store, community_id))


def _community_locator(db: str, community_id: str) -> issues.BuildingLocator:
    """The community's locator, from the store as it is when a click is handled."""
    return _locator(open_store(db), community_id)


def issue_map_labels(lang: str) -> issuepins.IssueMapLabels:
    """The map's texts from the catalogue (raw: ``heat_legend`` keeps its placeholders)."""
    texts = catalogue(lang)
    fields = issuepins.IssueMapLabels.__dataclass_fields__
    return issuepins.IssueMapLabels(**{name: texts[f"issues.map.{name}"] for name in fields})


@cached(max_entries=16)
def _map(
    store: Store,
    *,
    community_id: str,
    filters: MapFilters,
    colour_by: str,
    heat: bool,
    day: dt.date,
    lang: str,
) -> folium.Map:
    """The community's issue map, pickled by the cache: every run gets an identical copy."""
    buildings = _buildings(store, community_id)
    compounds = _compounds(store, community_id)
    counts = issues.building_issue_counts(store, community_id, today=day, **filters.kwargs())
    names = compounds.set_index("compound_id")["name"]
    shown = buildings.merge(counts, on="building_id", how="left").fillna({"open": 0, "overdue": 0})
    shown["label"] = shown["compound_id"].map(names).fillna("") + " " + shown["name"].fillna("")
    cells = None
    if heat:
        cells = issues.heat_cells(store, community_id, cell_m=HEAT_CELL_M, **filters.kwargs())
    pins = issuepins.open_issue_pins(store, community_id, today=day, lang=lang, **filters.kwargs())
    return issuepins.issue_map(
        shown,
        compounds.assign(label=compounds["name"]),
        colour_by=colour_by,
        heat=cells,
        pins=pins,
        labels=issue_map_labels(lang),
    )


def map_key(community_id: str) -> str:
    """Streamlit key of the community's map (its click value is copied there)."""
    return KEY.format(f"map.{community_id}")


# -- the map -------------------------------------------------------------------------------
def choose_target(kind: str, target_id: str) -> None:
    """Choose a building or a compound (the panel shows it; no issue chosen yet)."""
    st.session_state[TARGET] = (kind, target_id)
    st.session_state.pop(ISSUE, None)


def _forget_search_pick() -> None:
    """A click on the map replaces what the search box picked."""
    st.session_state[SEARCH_PICK] = None


def chosen_target() -> tuple[str, str] | None:
    """The chosen ``(kind, id)``, if any."""
    target = st.session_state.get(TARGET)
    return target if isinstance(target, tuple) and len(target) == 2 else None


def _selection(ctx: IssueView) -> folium.FeatureGroup | None:
    target = chosen_target()
    if target is None:
        return None
    store = ctx.store
    kind, target_id = target
    if kind == BUILDING:
        frame = _buildings(store, ctx.community_id)
        shape = frame[frame["building_id"] == target_id]
    else:
        frame = _compounds(store, ctx.community_id)
        shape = frame[frame["compound_id"] == target_id]
    return layers.selection_layer(shape) if not shape.empty else None


def issue_map_view(ctx: IssueView) -> None:
    """The community's issue map; a click chooses the building or compound under it."""
    store = ctx.store
    fmap = _map(
        store,
        community_id=ctx.community_id,
        filters=ctx.filters,
        colour_by=ctx.colour_by.value,
        heat=ctx.heat,
        day=ctx.today,
        lang=ctx.lang,
    )
    click_map(
        fmap,
        key=map_key(ctx.community_id),
        seen=CLICK,
        locator=partial(_community_locator, ctx.view.db, ctx.community_id),
        choose=choose_target,
        selection=_selection(ctx),
        height=MAP_HEIGHT,
        on_new=_forget_search_pick,
    )
    st.caption(t("issues.map.caption", ctx.lang))
    ledger_button(ctx)


# -- the ledger as a workbook --------------------------------------------------------------
@cached(max_entries=64)
def _ledger_size(store: Store, community_id: str, filters: MapFilters) -> int:
    frame = issues.community_issues(store, community_id, columns=("issue_id",), **filters.kwargs())
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
    n = _ledger_size(ctx.store, ctx.community_id, ctx.filters)
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
        key=KEY.format("ledger"),
    )
