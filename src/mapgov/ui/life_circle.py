"""Streamlit glue of the life-circle page (``/life-circle``): who can walk to what, and where
to build next.

The page calls :func:`controls` (the sidebar: facility kind, threshold, method, map layers,
number of new sites; returns a :class:`LifeView`), its :func:`title`, :func:`answerable`
(roads and buildings to answer with), then :func:`headline`, :func:`map_view`,
:func:`figures`, :func:`gap_panel` and :func:`site_panel`.

Caching. The walking graph is a :func:`~mapgov.ui.loaders.cached_resource` per data version
(read-only, shared by sessions). The per-building coverage table is
:func:`~mapgov.ui.loaders.cached`, keyed by the store (its path and data version),
the street, the method and the nine thresholds; it answers every kind at once, so changing
only the kind reuses it. Service areas, facilities, suggested sites and the map are cached on
their own keys (the map also on the layers and the language), so switching a map layer only
rebuilds (or reuses) the map and recomputes nothing else. Keys are plain values and frozen
dataclasses, never frames.

State. Session state holds the widgets' values (keys ``mapgov.life.*``) and the page's query
as last drawn (``mapgov.life.query``). The settings live in the address (``kind``, ``mode``,
``tier`` ..., see :func:`mapgov.views.life_circle.state_query`), so a link reopens them; widgets
that the session does not hold yet (a first visit, or back from another page, whose switch
drops the query string) take the link's settings, else the ones last drawn.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any, Final

import folium
import geopandas as gpd
import pandas as pd
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from mapgov.core.i18n import catalogue, label, t
from mapgov.core.model import FacilityKind
from mapgov.domain.lifecircle import coverage, network
from mapgov.domain.lifecircle.network import WalkGraph
from mapgov.domain.places import display_names
from mapgov.io.exports import FORMATS, frame_bytes
from mapgov.store import Store
from mapgov.ui import loaders as data
from mapgov.ui.loaders import cached, cached_resource
from mapgov.ui.state import PageView, View, arrived, write_params
from mapgov.ui.widgets import scope_title, show_map, show_table
from mapgov.views import life_circle as lv
from mapgov.views import life_circle_map as life_map
from mapgov.views import life_circle_whatif_map as wimap
from mapgov.views.life_circle import (
    MAX_SITES,
    Layers,
    PageState,
    Settings,
    SiteAnswer,
    ThresholdMode,
)

__all__ = [
    "KEY",
    "MAP_HEIGHT",
    "Layers",
    "LifeView",
    "answerable",
    "controls",
    "figures",
    "gap_panel",
    "headline",
    "life_map_labels",
    "map_view",
    "page_map",
    "site_panel",
    "street_table",
    "title",
]

KEY: Final = "mapgov.life.{}"
"""Session-state key of each widget (``KEY.format("kind")`` ...)."""
QUERY: Final = "mapgov.life.query"
"""Session-state key of the page's query as last drawn."""
MAP_HEIGHT: Final = 600
LimitItems = tuple[tuple[str, float], ...]


@dataclass(frozen=True)
class LifeView(PageView):
    """Everything the page's panels need for this run (ids and small values only)."""

    settings: Settings
    limits: LimitItems
    layers: Layers
    k: int

    @property
    def street_id(self) -> str:
        """The street on screen (``controls`` returns no view without one)."""
        assert self.view.street_id is not None
        return self.view.street_id

    @property
    def metres(self) -> float:
        """Threshold of the chosen kind, in metres."""
        return dict(self.limits)[self.settings.kind]

    @property
    def kind_label(self) -> str:
        """The chosen kind's name in the page's language."""
        return label(FacilityKind(self.settings.kind), self.lang)


# -- the sidebar ---------------------------------------------------------------------------
_NUMBERS: Final = {"metres": (50.0, 3000.0, 50.0), "minutes": (1.0, 30.0, 1.0)}
"""Lowest, highest and step of the threshold typed as a number, by mode."""


def _whole_number(side: DeltaGenerator, name: str, lang: str) -> float:
    """A threshold typed as a whole number of metres or minutes (:data:`_NUMBERS`)."""
    low, high, step = _NUMBERS[name]
    return side.number_input(
        t(f"life.{name}", lang),
        min_value=low,
        max_value=high,
        step=step,
        format="%.0f",
        key=KEY.format(name),
    )


def _threshold_inputs(side: DeltaGenerator, lang: str) -> dict[str, object]:
    """The threshold widgets of the chosen mode; returns :class:`Settings` fields."""
    profile = coverage.load_profile()
    mode = ThresholdMode(
        side.radio(
            t("life.mode", lang),
            [m.value for m in ThresholdMode],
            format_func=lambda v: t(f"life.mode_{v}", lang),
            key=KEY.format("mode"),
        )
    )
    values: dict[str, object] = {"mode": mode}
    if mode is ThresholdMode.TIER:
        tiers = sorted(profile.tiers)
        values["tier"] = side.radio(
            t("life.tier", lang),
            tiers,
            format_func=lambda m: t(
                "life.tier_option", lang, minutes=m, metres=f"{profile.tiers[m]:g}"
            ),
            key=KEY.format("tier"),
        )
    elif mode is ThresholdMode.METRES:
        values["metres"] = _whole_number(side, "metres", lang)
    elif mode is ThresholdMode.MINUTES:
        values["minutes"] = _whole_number(side, "minutes", lang)
        low, high = profile.speed_range
        values["speed"] = side.slider(
            t("life.speed", lang),
            min_value=low,
            max_value=high,
            step=1.0,
            format="%.0f",
            key=KEY.format("speed"),
        )
    return values


def _layer_toggles(side: DeltaGenerator, lang: str) -> Layers:
    side.caption(t("life.layers", lang))
    chosen = {
        name: side.toggle(
            t(f"life.layer_{name}", lang),
            key=KEY.format(f"layer_{name}"),
        )
        for name in Layers.__dataclass_fields__
    }
    return Layers(**chosen)


def _restore_widgets() -> None:
    """On arriving at the page, give every widget the link's value, else the last drawn one.

    A link's settings are whole (defaults are left out of it), so they are not mixed with
    the remembered ones: a query naming any setting wins over the session's memory. Later
    runs on the page leave the widgets to the user.
    """
    if not arrived():
        return
    link = {name: st.query_params[name] for name in lv.QUERY_KEYS if name in st.query_params}
    state = lv.state_from_query(link or st.session_state.get(QUERY, {}), coverage.load_profile())
    values: dict[str, object] = {
        name: getattr(state.settings, name)
        for name in ("kind", "tier", "metres", "minutes", "speed", "method")
    }
    values |= {"mode": state.settings.mode.value, "k": state.k}
    values |= {f"layer_{name}": getattr(state.layers, name) for name in Layers.__dataclass_fields__}
    for name, value in values.items():
        st.session_state[KEY.format(name)] = value


def controls(view: View) -> LifeView | None:
    """Draw the page's sidebar and return what it asks.

    Returns
    -------
    LifeView or None
        ``None`` when there is no street to show.

    Raises
    ------
    ValidationError
        If the thresholds are not valid (shown by the shell's error display).
    """
    if view.street_id is None:
        return None
    lang = view.lang
    _restore_widgets()
    side = st.sidebar
    side.divider()
    side.subheader(t("life.sidebar", lang))
    kinds = list(coverage.KINDS)
    kind = side.selectbox(
        t("life.kind", lang),
        kinds,
        format_func=lambda k: label(FacilityKind(k), lang),
        key=KEY.format("kind"),
    )
    threshold = _threshold_inputs(side, lang)
    method = side.radio(
        t("life.method", lang),
        ["network", "straight"],
        format_func=lambda m: t(f"life.method_{m}", lang),
        horizontal=True,
        key=KEY.format("method"),
    )
    shown = _layer_toggles(side, lang)
    k = side.number_input(
        t("life.k", lang), min_value=1, max_value=MAX_SITES, step=1, key=KEY.format("k")
    )
    settings = Settings(kind=kind, method=method, **threshold)  # type: ignore[arg-type]
    profile = coverage.load_profile()
    query = lv.state_query(PageState(settings, shown, int(k)), profile)
    st.session_state[QUERY] = query
    write_params(query, lv.QUERY_KEYS)
    limits = lv.limits_for(settings, profile)
    ctx = LifeView(view, settings, tuple(limits.items()), shown, int(k))
    side.caption(t("life.threshold", lang, kind=ctx.kind_label, metres=f"{ctx.metres:,.0f}"))
    return ctx


def title(ctx: LifeView | None) -> str | None:
    """The page's title for its settings ("十五分钟生活圈"); None without a street."""
    if ctx is None:
        return None
    return lv.circle_title(ctx.settings, coverage.load_profile(), ctx.lang)


def answerable(ctx: LifeView) -> bool:
    """Whether the place has roads and buildings to answer; says what is missing if not."""
    missing = _missing(ctx.store, ctx.street_id, ctx.view.community_id)
    if missing is not None:
        st.info(t(f"life.{missing}", ctx.lang), icon=":material/info:")
    return missing is None


# -- cached answers (keys: store identity and plain values, never frames) ------------------
@cached(max_entries=64)
def _missing(store: Store, street_id: str, community_id: str | None) -> str | None:
    """``"no_roads"`` or ``"no_buildings"`` when the place cannot be answered, else None."""
    if store.read("road", where={"street_id": street_id}, columns=["road_id"]).empty:
        return "no_roads"
    compounds = data.compound_areas(store, street_id, community_id)["compound_id"].tolist()
    buildings = store.read("building", where={"compound_id": compounds}, columns=["building_id"])
    return "no_buildings" if buildings.empty else None


@cached_resource(max_entries=4)
def _graph(store: Store) -> WalkGraph:
    """The walking graph of the whole database: read-only, shared by every session."""
    return network.walk_graph(store.read("road"))


@cached(max_entries=32)
def _table(store: Store, street_id: str, method: str, limits: LimitItems) -> gpd.GeoDataFrame:
    return coverage.coverage_table(
        store,
        dict(limits),
        method=method,  # type: ignore[arg-type]
        graph=_graph(store),
        street_id=street_id,
    )


@cached(max_entries=8)
def _facilities(store: Store) -> gpd.GeoDataFrame:
    return store.read("facility", columns=["facility_id", "kind", "name", "geom"])


@cached(max_entries=16)
def _water(store: Store, street_id: str) -> gpd.GeoDataFrame:
    """The street's water (the river a walk must cross by a bridge), for the map."""
    land = store.read("landuse", where={"street_id": street_id})
    return land[land["kind"] == "water"]


@cached(max_entries=16)
def _roads(store: Store, street_id: str) -> gpd.GeoDataFrame:
    """The street's walking network (roads, gate links, compound paths), for the map."""
    return store.read("road", where={"street_id": street_id}, columns=["geom"])


def _community_names(store: Store, street_id: str, lang: str) -> dict[str, str]:
    communities = data.community_list(store, street_id)
    return dict(zip(communities["community_id"], display_names(communities, lang), strict=True))


@cached(max_entries=64)
def _kind_facilities(
    store: Store, *, street_id: str, community_id: str | None, kind: str, metres: float
) -> gpd.GeoDataFrame:
    """Facilities of `kind` within `metres` of the scope's compounds (they serve it)."""
    compounds = data.compound_areas(store, street_id, community_id)
    graph = _graph(store)
    area = lv.search_box(compounds, graph, metres)
    return lv.kind_facilities(_facilities(store), kind, area, graph.crs)


@cached(max_entries=64)
def _areas(
    store: Store, *, street_id: str, community_id: str | None, kind: str, metres: float
) -> gpd.GeoDataFrame:
    places = _kind_facilities(
        store, street_id=street_id, community_id=community_id, kind=kind, metres=metres
    )
    if places.empty:
        return places
    return coverage.service_areas(_graph(store), places, metres)


@cached(max_entries=64)
def _sites(
    store: Store,
    *,
    street_id: str,
    community_id: str | None,
    limits: LimitItems,
    kind: str,
    k: int,
) -> SiteAnswer:
    """Suggested sites, always along the walking network."""
    table = lv.scope_rows(_table(store, street_id, "network", limits), community_id)
    return lv.suggest_sites(_graph(store), table, kind=kind, metres=dict(limits)[kind], k=k)


def _scope(ctx: LifeView) -> gpd.GeoDataFrame:
    store = ctx.store
    table = _table(store, ctx.street_id, ctx.settings.method, ctx.limits)
    return lv.scope_rows(table, ctx.view.community_id)


def street_table(ctx: LifeView) -> gpd.GeoDataFrame:
    """The street's coverage table for the page's method and thresholds (cached)."""
    return _table(ctx.store, ctx.street_id, ctx.settings.method, ctx.limits)


def _site_answer(ctx: LifeView) -> SiteAnswer:
    store = ctx.store
    return _sites(
        store,
        street_id=ctx.street_id,
        community_id=ctx.view.community_id,
        limits=ctx.limits,
        kind=ctx.settings.kind,
        k=ctx.k,
    )


# -- the headline --------------------------------------------------------------------------
def _percent(share: float) -> str:
    return "—" if share != share else f"{share:.0%}"  # noqa: PLR0124 (NaN check)


def headline(ctx: LifeView) -> None:
    """The place on screen and one row of figures for the chosen kind."""
    title = scope_title(ctx.view)
    if title:
        st.subheader(title)
    figures_now = lv.headline(_scope(ctx), ctx.settings.kind)
    items = [
        ("metric_residents", _percent(figures_now["share_residents"])),
        ("metric_uncovered", f"{figures_now['residents_uncovered']:,.0f}"),
        ("metric_gaps", f"{figures_now['buildings_uncovered']:,.0f}"),
    ]
    if ctx.settings.kind == FacilityKind.ELDERLY_CARE:
        items.append(("metric_elderly", _percent(figures_now["share_elderly"])))
    items.append(("metric_complete", _percent(figures_now["share_complete"])))
    for column, (name, value) in zip(st.columns(len(items)), items, strict=True):
        column.metric(t(f"life.{name}", ctx.lang), value)
    st.caption(
        t(
            "life.headline_caption",
            ctx.lang,
            kind=ctx.kind_label,
            metres=f"{ctx.metres:,.0f}",
            method=t(f"life.by_{ctx.settings.method}", ctx.lang),
            standard=coverage.load_profile().name,
        )
    )


# -- the map -------------------------------------------------------------------------------
def life_map_labels(
    lang: str, *, kind: str, metres: float, limit: float
) -> life_map.LifeCircleLabels:
    """The map's texts from the catalogue, with the kind and distances filled in."""
    texts = dict(catalogue(lang))
    fields = life_map.LifeCircleLabels.__dataclass_fields__
    values = {name: texts[f"life.map.{name}"] for name in fields}
    values["title"] = t("life.map.title", lang, kind=kind, metres=f"{metres:,.0f}")
    values["beyond"] = t("life.map.beyond", lang, limit=f"{limit:,.0f}")
    return life_map.LifeCircleLabels(**values)


@cached(max_entries=32)
def _map(
    store: Store,
    *,
    street_id: str,
    community_id: str | None,
    settings: Settings,
    limits: LimitItems,
    shown: Layers,
    k: int,
    lang: str,
    whatif: bool = False,
) -> folium.Map:
    """The life-circle map, pickled by the cache: every run gets an identical copy (with
    the what-if mode's legend lines when `whatif`)."""
    kind, metres = settings.kind, dict(limits)[settings.kind]
    table = lv.scope_rows(_table(store, street_id, settings.method, limits), community_id)
    compounds = data.compound_areas(store, street_id, community_id)
    places = _kind_facilities(
        store, street_id=street_id, community_id=community_id, kind=kind, metres=metres
    )
    areas = None
    if shown.areas:
        areas = _areas(
            store, street_id=street_id, community_id=community_id, kind=kind, metres=metres
        )
    sites = None
    if shown.sites:
        sites = _sites(
            store,
            street_id=street_id,
            community_id=community_id,
            limits=limits,
            kind=kind,
            k=k,
        ).sites
    labels = life_map_labels(
        lang,
        kind=label(FacilityKind(kind), lang),
        metres=metres,
        limit=max(dict(limits).values()),
    )
    return life_map.life_circle_map(
        lv.map_buildings(table, kind),
        compounds=compounds.assign(label=compounds["name"]),
        facilities=places.assign(label=places["name"]),
        show_facilities=shown.facilities,
        service_areas=areas,
        circle_m=metres if shown.circles else None,
        sites=sites,
        water=_water(store, street_id),
        roads=_roads(store, street_id),
        labels=labels,
        more_legend=wimap.whatif_legend_rows(wimap.whatif_map_labels(lang)) if whatif else (),
        legend_room=0.45 if whatif else 0.3,  # the what-if legend is taller
    )


def page_map(ctx: LifeView, *, whatif: bool = False) -> folium.Map:
    """The page's map for its settings (a copy from the cache), with the what-if legend
    when `whatif`."""
    return _map(
        ctx.store,
        street_id=ctx.street_id,
        community_id=ctx.view.community_id,
        settings=ctx.settings,
        limits=ctx.limits,
        shown=ctx.layers,
        k=ctx.k,
        lang=ctx.lang,
        whatif=whatif,
    )


def map_view(ctx: LifeView) -> None:
    """The map of the street or community: buildings coloured by reach, and the layers."""
    store = ctx.store
    show_map(page_map(ctx), key=KEY.format(f"map.{ctx.street_id}"), height=MAP_HEIGHT)
    places = _kind_facilities(
        store,
        street_id=ctx.street_id,
        community_id=ctx.view.community_id,
        kind=ctx.settings.kind,
        metres=ctx.metres,
    )
    if places.empty:
        st.warning(t("life.no_facility", ctx.lang, kind=ctx.kind_label))
    st.caption(t("life.map_caption", ctx.lang, kind=ctx.kind_label, metres=f"{ctx.metres:,.0f}"))


# -- tables and downloads ------------------------------------------------------------------
def _headers(frame: pd.DataFrame, lang: str, **renamed: str) -> dict[str, str]:
    return {c: t(f"life.col.{renamed.get(c, c)}", lang) for c in frame.columns if c != "geometry"}


def _downloads(frame: gpd.GeoDataFrame, stem: str, key: str, lang: str) -> None:
    """CSV, Excel and GeoJSON buttons; the bytes are made only when one is clicked."""
    row = st.container(horizontal=True, vertical_alignment="center")
    row.caption(t("life.download", lang))
    for suffix in FORMATS:
        row.download_button(
            t(f"life.download_{suffix.lstrip('.')}", lang),
            data=partial(frame_bytes, frame, suffix),
            file_name=f"{stem}{suffix}",
            mime=FORMATS[suffix],
            icon=":material/download:",
            on_click="ignore",
            key=KEY.format(f"download.{key}.{suffix.lstrip('.')}"),
        )


def figures(ctx: LifeView) -> None:
    """Coverage of the chosen kind by community, and the street as a whole."""
    st.subheader(t("life.figures", ctx.lang))
    streets = data.street_list(ctx.store).set_index("street_id")
    street = display_names(streets, ctx.lang)[ctx.street_id]
    names = _community_names(ctx.store, ctx.street_id, ctx.lang)
    table = street_table(ctx)
    rows = lv.community_figures(
        table,
        ctx.settings.kind,
        names,
        total=t("life.street_total", ctx.lang, street=street),
    )
    rows = rows.drop(columns="community_id")
    if ctx.settings.kind != FacilityKind.ELDERLY_CARE:
        rows = rows.drop(columns=["elderly", "share_elderly"])
    headers = _headers(rows, ctx.lang)
    config: dict[str, Any] = {}
    for column in rows.columns.drop("community"):
        if column == "share_residents":
            config[headers[column]] = st.column_config.ProgressColumn(
                min_value=0.0, max_value=1.0, format="percent"
            )
        else:
            number = "percent" if column.startswith("share_") else "localized"
            config[headers[column]] = st.column_config.NumberColumn(format=number)
    shown = rows.rename(columns=headers)
    show_table(shown, hide_index=True, column_config=config, width="stretch")
    st.caption(
        t("life.figures_caption", ctx.lang, kind=ctx.kind_label, metres=f"{ctx.metres:,.0f}")
    )
    if ctx.settings.kind == FacilityKind.ELDERLY_CARE:
        st.caption(t("life.elderly_note", ctx.lang))


def _file_stem(ctx: LifeView, name: str) -> str:
    return f"{t(f'life.file_{name}', ctx.lang)}-{ctx.settings.kind}-{ctx.metres:.0f}m"


def gap_panel(ctx: LifeView) -> None:
    """The gap list: buildings with residents that do not reach the kind in time."""
    st.subheader(t("life.gaps", ctx.lang))
    names = _community_names(ctx.store, ctx.street_id, ctx.lang)
    gaps = lv.gap_list(_scope(ctx), ctx.settings.kind, names)
    if gaps.empty:
        st.success(t("life.gaps_none", ctx.lang, kind=ctx.kind_label))
        return
    st.caption(
        t(
            "life.gaps_caption",
            ctx.lang,
            kind=ctx.kind_label,
            metres=f"{ctx.metres:,.0f}",
            buildings=f"{len(gaps):,}",
            residents=f"{int(gaps['residents'].sum()):,}",
        )
    )
    headers = _headers(gaps, ctx.lang)
    beyond = t("life.map.beyond", ctx.lang, limit=f"{max(dict(ctx.limits).values()):,.0f}")
    shown = pd.DataFrame(gaps.drop(columns="geometry"))
    shown["distance_m"] = [f"{d:,.0f}" if d == d else beyond for d in shown["distance_m"]]  # noqa: PLR0124
    counts = {
        headers[c]: st.column_config.NumberColumn(format="localized")
        for c in ("residents", "elderly")
    }
    show_table(
        shown.rename(columns=headers),
        hide_index=True,
        height=380,
        width="stretch",
        column_config=counts,
    )
    export = gaps.rename(columns=headers)
    _downloads(export, _file_stem(ctx, "gaps"), "gaps", ctx.lang)


def site_panel(ctx: LifeView) -> None:
    """The suggested sites: what each adds, whether the answer is exact, and downloads."""
    st.subheader(t("life.sites", ctx.lang))
    st.caption(
        t(
            "life.sites_caption",
            ctx.lang,
            k=ctx.k,
            kind=ctx.kind_label,
            metres=f"{ctx.metres:,.0f}",
        )
    )
    answer = _site_answer(ctx)
    if answer.uncovered_residents == 0:
        st.success(t("life.sites_none", ctx.lang))
        return
    if answer.sites.empty:
        st.info(t("life.sites_useless", ctx.lang))
        return
    if answer.method == "exact":
        st.success(t("life.sites_exact", ctx.lang), icon=":material/verified:")
    else:
        st.warning(t("life.sites_greedy", ctx.lang), icon=":material/speed:")
    added = int(answer.sites["cumulative_residents"].iloc[-1])
    st.markdown(
        t(
            "life.sites_total",
            ctx.lang,
            count=len(answer.sites),
            added=f"**{added:,}**",
            uncovered=f"{answer.uncovered_residents:,}",
            share=_percent(added / answer.uncovered_residents),
        )
    )
    if ctx.settings.method != "network":
        st.caption(t("life.sites_network", ctx.lang))
    sites = answer.sites
    headers = _headers(sites, ctx.lang, buildings="site_buildings")
    shown = pd.DataFrame(sites.drop(columns=["geometry", "building_ids"]))
    shown["compounds"] = shown["compounds"].map("、".join)
    counts = ("added_residents", "cumulative_residents", "buildings")
    config = {headers[c]: st.column_config.NumberColumn(format="localized") for c in counts}
    config[headers["lon"]] = config[headers["lat"]] = st.column_config.NumberColumn(format="%.6f")
    show_table(
        shown.rename(columns=headers), hide_index=True, width="stretch", column_config=config
    )
    _downloads(sites.rename(columns=headers), _file_stem(ctx, "sites"), "sites", ctx.lang)
