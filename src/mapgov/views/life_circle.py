"""What the life-circle page shows, as plain functions over the engine's frames (no Streamlit).

The page (``/life-circle``) asks the engine (:mod:`mapgov.domain.lifecircle.coverage`,
:mod:`mapgov.domain.lifecircle.siting`) one question per setting and shows the answer four ways:
buildings coloured on a map, figures by community, the gap list and the suggested sites. This module
turns the page's settings into thresholds and the engine's per-building table into those views.
Everything here is pure and cheap to test; :mod:`mapgov.ui.life_circle` caches it per data version.

Distances are metres along the walking network (or straight, if asked), measured in the local
UTM zone. Frames that go to a map or a GeoJSON download are in EPSG:4326.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from mapgov.core.errors import ValidationError
from mapgov.core.i18n import count_text, join_items, t
from mapgov.domain.lifecircle import coverage, siting
from mapgov.domain.lifecircle.coverage import Method, Profile
from mapgov.domain.lifecircle.network import WalkGraph, snap

__all__ = [
    "ALL",
    "COMPOUND_GAP_COLUMNS",
    "FIGURE_COLUMNS",
    "GAP_COLUMNS",
    "MAX_SITES",
    "QUERY_KEYS",
    "SITE_COLUMNS",
    "Layers",
    "PageState",
    "Settings",
    "SiteAnswer",
    "ThresholdMode",
    "circle_minutes",
    "circle_title",
    "community_figures",
    "compound_gaps",
    "gap_list",
    "headline",
    "kind_facilities",
    "limits_for",
    "map_buildings",
    "scope_rows",
    "search_box",
    "state_from_query",
    "state_query",
    "suggest_sites",
]

ALL: Final = "ALL"
"""Group id of the whole street in :func:`community_figures` (as in :func:`coverage.summarize`)."""
FIGURE_COLUMNS: Final = (
    "community_id",
    "community",
    "share_residents",
    "share_buildings",
    "share_elderly",
    "share_complete",
    "residents_uncovered",
    "buildings",
    "residents",
    "elderly",
)
GAP_COLUMNS: Final = (
    "building_id",
    "building",
    "compound",
    "community",
    "residents",
    "elderly",
    "distance_m",
)
SITE_COLUMNS: Final = (
    "rank",
    "added_residents",
    "cumulative_residents",
    "buildings",
    "compounds",
    "building_ids",
    "lon",
    "lat",
)


class ThresholdMode(StrEnum):
    """How the page sets the walking threshold."""

    STANDARD = "standard"
    """Each kind at its own GB 50180-2018 tier (canteen 5 minutes, primary school 10 ...)."""
    TIER = "tier"
    """One life-circle tier (5, 10 or 15 minutes) for every kind."""
    METRES = "metres"
    """One distance in metres for every kind."""
    MINUTES = "minutes"
    """Minutes of walking at a speed (m/min) for every kind."""


@dataclass(frozen=True)
class Settings:
    """The page's question: a facility kind, how far is near enough, and how it is measured.

    Hashable, so it can key a cache. Only the fields of the chosen `mode` matter.
    """

    kind: str = "canteen"
    mode: ThresholdMode = ThresholdMode.STANDARD
    tier: int = 10
    metres: float = 500.0
    minutes: float = 10.0
    speed: float = 70.0
    method: Method = "network"


def limits_for(settings: Settings, profile: Profile) -> dict[str, float]:
    """Threshold in metres for every one of the nine kinds under `settings`.

    All nine are needed: the "complete life circle" asks whether a building reaches every
    kind. Under :attr:`ThresholdMode.STANDARD` each kind keeps its own tier; the other modes
    set one distance for all kinds.

    Raises
    ------
    ValidationError
        For an unknown kind or tier, a speed outside the profile's range or a distance that
        is not positive (from :func:`mapgov.domain.lifecircle.coverage.thresholds`).

    Examples
    --------
    >>> p = coverage.load_profile()
    >>> limits_for(Settings(), p)["canteen"], limits_for(Settings(), p)["primary_school"]
    (300.0, 500.0)
    >>> limits_for(Settings(mode=ThresholdMode.MINUTES, minutes=10, speed=60), p)["market"]
    600.0
    """
    if settings.kind not in coverage.KINDS:
        msg = f"unknown facility kind {settings.kind!r}; known: {', '.join(coverage.KINDS)}"
        raise ValidationError(msg)
    mode = ThresholdMode(settings.mode)
    if mode is ThresholdMode.TIER:
        return coverage.thresholds(profile, tier=settings.tier)
    if mode is ThresholdMode.METRES:
        return coverage.thresholds(profile, metres=settings.metres)
    if mode is ThresholdMode.MINUTES:
        return coverage.thresholds(profile, minutes=settings.minutes, speed=settings.speed)
    return coverage.thresholds(profile)


@dataclass(frozen=True)
class Layers:
    """Which optional layers the map draws (the buildings are always drawn)."""

    areas: bool = True
    circles: bool = False
    facilities: bool = True
    sites: bool = True


@dataclass(frozen=True)
class PageState:
    """Everything the page's sidebar sets: what a link to the page must carry."""

    settings: Settings = Settings()
    layers: Layers = Layers()
    k: int = 3


MAX_SITES: Final = 10
QUERY_KEYS: Final = ("kind", "mode", "tier", "metres", "minutes", "speed", "method", "k", "layers")
"""Query parameters of the life-circle page (besides the shell's ``lang``, ``street`` ...)."""


def _number(text: str | None, low: float, high: float) -> float | None:
    try:
        value = float(text) if text is not None else None
    except ValueError:
        return None
    return value if value is not None and low <= value <= high else None


def state_from_query(query: Mapping[str, str], profile: Profile) -> PageState:
    """The page's settings named by a URL query; a missing or unusable value takes its default.

    A link is read leniently (a hand-edited or stale link opens the page, never an error), and
    strictly enough that nothing out of the sidebar's ranges gets in.

    Examples
    --------
    >>> p = coverage.load_profile()
    >>> s = state_from_query({"kind": "market", "mode": "tier", "tier": "15", "k": "5"}, p)
    >>> s.settings.kind, s.settings.mode.value, s.settings.tier, s.k
    ('market', 'tier', 15, 5)
    >>> state_from_query({"kind": "casino", "tier": "7", "k": "99"}, p) == PageState()
    True
    """
    base = Settings()
    kind = query.get("kind", base.kind)
    mode = query.get("mode", base.mode.value)
    tier = _number(query.get("tier"), min(profile.tiers), max(profile.tiers))
    low, high = profile.speed_range
    settings = Settings(
        kind=kind if kind in coverage.KINDS else base.kind,
        mode=ThresholdMode(mode) if mode in ThresholdMode._value2member_map_ else base.mode,
        tier=int(tier) if tier is not None and int(tier) in profile.tiers else base.tier,
        metres=_number(query.get("metres"), 50.0, 3000.0) or base.metres,
        minutes=_number(query.get("minutes"), 1.0, 30.0) or base.minutes,
        speed=_number(query.get("speed"), low, high) or profile.walking_speed,
        method="straight" if query.get("method") == "straight" else "network",
    )
    layers = Layers()
    if "layers" in query:
        named = set(query["layers"].split(","))
        layers = Layers(**{name: name in named for name in Layers.__dataclass_fields__})
    k = _number(query.get("k"), 1, MAX_SITES)
    return PageState(settings, layers, int(k) if k is not None else PageState.k)


def state_query(state: PageState, profile: Profile) -> dict[str, str]:
    """The query that :func:`state_from_query` reads back as `state`: defaults left out, and
    only the threshold fields of the chosen mode.

    Examples
    --------
    >>> p = coverage.load_profile()
    >>> state_query(PageState(), p)
    {}
    >>> wide = Settings(kind="market", mode=ThresholdMode.METRES, metres=800.0)
    >>> q = state_query(PageState(wide, Layers(sites=False), 5), p)
    >>> q
    {'kind': 'market', 'mode': 'metres', 'metres': '800', 'k': '5', 'layers': 'areas,facilities'}
    >>> state_from_query(q, p) == PageState(wide, Layers(sites=False), 5)
    True
    """
    settings, default = state.settings, Settings(speed=profile.walking_speed)
    fields: dict[str, object] = {
        "kind": settings.kind,
        "mode": settings.mode.value,
        "method": settings.method,
    }
    by_mode: dict[ThresholdMode, dict[str, object]] = {
        ThresholdMode.TIER: {"tier": settings.tier},
        ThresholdMode.METRES: {"metres": settings.metres},
        ThresholdMode.MINUTES: {"minutes": settings.minutes, "speed": settings.speed},
    }
    fields |= by_mode.get(ThresholdMode(settings.mode), {})
    query = {
        name: f"{value:g}" if isinstance(value, float) else str(value)
        for name, value in fields.items()
        if value != getattr(default, name)
    }
    if state.k != PageState.k:
        query["k"] = str(state.k)
    if state.layers != Layers():
        shown = [name for name in Layers.__dataclass_fields__ if getattr(state.layers, name)]
        query["layers"] = ",".join(shown) or "none"
    return query


def circle_minutes(settings: Settings, profile: Profile) -> float | None:
    """The minutes of walking that the page's circle stands for (None: set in metres).

    Under the standard each kind keeps its own tier, so the circle is the chosen kind's.

    Examples
    --------
    >>> p = coverage.load_profile()
    >>> circle_minutes(Settings(), p), circle_minutes(Settings(kind="market"), p)
    (5.0, 10.0)
    >>> circle_minutes(Settings(mode=ThresholdMode.METRES, metres=800.0), p) is None
    True
    """
    mode = ThresholdMode(settings.mode)
    if mode is ThresholdMode.STANDARD:
        return float(profile.kind_tier[settings.kind])
    if mode is ThresholdMode.TIER:
        return float(settings.tier)
    if mode is ThresholdMode.MINUTES:
        return float(settings.minutes)
    return None


def circle_title(settings: Settings, profile: Profile, lang: str) -> str:
    """The page's title for `settings`: "十分钟生活圈" at 10 minutes, "步行 800 米生活圈" at 800 m;
    under the standard, where each kind keeps its own tier, the standard's name.

    Examples
    --------
    >>> p = coverage.load_profile()
    >>> circle_title(Settings(mode=ThresholdMode.TIER, tier=10), p, "zh")
    '十分钟生活圈'
    >>> circle_title(Settings(mode=ThresholdMode.MINUTES, minutes=15), p, "en")
    '15-minute life circle'
    >>> circle_title(Settings(), p, "zh")
    '生活圈（GB 50180-2018 分级：5、10、15 分钟）'
    >>> circle_title(Settings(mode=ThresholdMode.METRES, metres=800.0), p, "zh")
    '步行 800 米生活圈'
    """
    if ThresholdMode(settings.mode) is ThresholdMode.STANDARD:  # each kind at its own tier
        tiers = join_items((f"{m:g}" for m in sorted(profile.tiers)), lang)
        return t("life.title_standard", lang, standard=profile.name, tiers=tiers)
    minutes = circle_minutes(settings, profile)
    if minutes is None:
        return t("life.title_metres", lang, metres=f"{settings.metres:,.0f}")
    return t("life.title_minutes", lang, minutes=count_text(minutes, lang))


def scope_rows(table: pd.DataFrame, community_id: str | None) -> pd.DataFrame:
    """The rows of one community (all rows when `community_id` is ``None``)."""
    if community_id is None:
        return table
    return table[table["community_id"] == community_id]


COMPOUND_GAP_COLUMNS: Final = (
    "kind",
    "metres",
    "buildings",
    "buildings_uncovered",
    "residents_uncovered",
    "elderly_uncovered",
)


def compound_gaps(
    table: pd.DataFrame, compound_id: str, limits: Mapping[str, float]
) -> pd.DataFrame:
    """One compound's reach of every kind: which of its homes do not walk to it in time.

    Parameters
    ----------
    table
        :func:`mapgov.domain.lifecircle.coverage.coverage_table` output.
    compound_id
        The compound asked about.
    limits
        Each kind's threshold in metres (the kinds listed, in this order).

    Returns
    -------
    DataFrame
        :data:`COMPOUND_GAP_COLUMNS`, one row per kind: its threshold, the compound's
        buildings with residents, those of them beyond the threshold, and their residents and
        elderly. Empty when the compound has no building in `table`.

    Examples
    --------
    >>> t = pd.DataFrame({"compound_id": ["K", "K", "K"], "residents": [30, 20, 0],
    ...     "elderly": [5, 4, 0], "covered_market": [True, False, False]})
    >>> row = compound_gaps(t, "K", {"market": 500.0}).iloc[0]
    >>> row["kind"], float(row["metres"]), int(row["buildings"]), int(row["residents_uncovered"])
    ('market', 500.0, 2, 20)
    """
    homes = table[(table["compound_id"] == compound_id) & (table["residents"] > 0)]
    if homes.empty:
        return pd.DataFrame(columns=list(COMPOUND_GAP_COLUMNS))
    rows = []
    for kind, metres in limits.items():
        out = homes[~homes[f"covered_{kind}"].astype(bool)]
        rows.append(
            {
                "kind": kind,
                "metres": float(metres),
                "buildings": len(homes),
                "buildings_uncovered": len(out),
                "residents_uncovered": int(out["residents"].sum()),
                "elderly_uncovered": int(out["elderly"].sum()),
            }
        )
    return pd.DataFrame(rows, columns=list(COMPOUND_GAP_COLUMNS))


def community_figures(
    table: pd.DataFrame, kind: str, names: Mapping[str, str], *, total: str
) -> pd.DataFrame:
    """Coverage of `kind` per community, plus the whole table as a last row.

    Parameters
    ----------
    table
        :func:`mapgov.domain.lifecircle.coverage.coverage_table` output (one street).
    kind
        The facility kind to report.
    names
        Display name of each community id.
    total
        Name of the last row (e.g. the street's name).

    Returns
    -------
    DataFrame
        :data:`FIGURE_COLUMNS`: buildings and the share covered, residents, those not
        covered and the share covered, elderly and the share covered (NaN where there are
        none), and ``share_complete`` (residents who reach every kind). Shares are 0 to 1.
    """
    summary = coverage.summarize(table, [kind])
    summary = summary[summary["kind"] == kind]
    rows = summary.assign(
        community=[total if c == ALL else names.get(c, c) for c in summary["community_id"]],
        residents_uncovered=summary["residents"] - summary["residents_covered"],
        _last=summary["community_id"] == ALL,
    )
    rows = rows.sort_values(["_last", "community_id"], kind="stable")
    return rows[list(FIGURE_COLUMNS)].reset_index(drop=True)


def headline(table: pd.DataFrame, kind: str) -> dict[str, float]:
    """The few figures a planner reads first, for `kind` over `table`.

    Returns
    -------
    dict
        ``share_residents``, ``share_elderly`` and ``share_complete`` (0 to 1, NaN without
        residents), ``residents_uncovered`` and ``buildings_uncovered`` (buildings with
        residents that are not covered).
    """
    covered = table[f"covered_{kind}"].to_numpy(dtype=bool)
    residents = table["residents"].to_numpy()
    elderly = table["elderly"].to_numpy()
    complete = table["complete"].to_numpy(dtype=bool)
    total, old = residents.sum(), elderly.sum()
    return {
        "share_residents": float(residents[covered].sum() / total) if total else np.nan,
        "share_elderly": float(elderly[covered].sum() / old) if old else np.nan,
        "share_complete": float(residents[complete].sum() / total) if total else np.nan,
        "residents_uncovered": float(residents[~covered].sum()),
        "buildings_uncovered": float(((~covered) & (residents > 0)).sum()),
    }


def gap_list(table: gpd.GeoDataFrame, kind: str, names: Mapping[str, str]) -> gpd.GeoDataFrame:
    """Buildings with residents that do not reach `kind` in time, most residents first.

    Parameters
    ----------
    table
        :func:`mapgov.domain.lifecircle.coverage.coverage_table` output (reads ``dist_<kind>`` and
        ``covered_<kind>``).
    kind
        The facility kind.
    names
        Display name of each community id.

    Returns
    -------
    GeoDataFrame
        :data:`GAP_COLUMNS` plus the building polygons (EPSG:4326). ``distance_m`` is NaN
        where no facility of the kind lies within the search distance.
    """
    gaps = table[~table[f"covered_{kind}"].to_numpy(dtype=bool) & (table["residents"] > 0)]
    gaps = gaps.sort_values(["residents", "building_id"], ascending=[False, True])
    distance = gaps[f"dist_{kind}"].to_numpy(dtype=float)
    out = pd.DataFrame(
        {
            "building_id": gaps["building_id"].to_numpy(),
            "building": gaps["name"].to_numpy(),
            "compound": gaps["compound_name"].to_numpy(),
            "community": [names.get(c, c) for c in gaps["community_id"]],
            "residents": gaps["residents"].to_numpy(dtype=int),
            "elderly": gaps["elderly"].to_numpy(dtype=int),
            "distance_m": np.where(np.isfinite(distance), np.round(distance), np.nan),
        }
    )
    return gpd.GeoDataFrame(out, geometry=gaps.geometry.to_numpy(), crs=table.crs)


def map_buildings(table: gpd.GeoDataFrame, kind: str) -> gpd.GeoDataFrame:
    """The columns :func:`mapgov.views.life_circle_map.life_circle_map` draws, for `kind`.

    Returns
    -------
    GeoDataFrame
        ``building_id``, ``label`` (building name), ``compound``, ``residents``, ``elderly``,
        ``covered`` (bool), ``distance_m`` (NaN beyond the search distance), geometry.
    """
    distance = table[f"dist_{kind}"].to_numpy(dtype=float)
    return gpd.GeoDataFrame(
        {
            "building_id": table["building_id"].to_numpy(),
            "label": table["name"].to_numpy(),
            "compound": table["compound_name"].to_numpy(),
            "residents": table["residents"].to_numpy(dtype=int),
            "elderly": table["elderly"].to_numpy(dtype=int),
            "covered": table[f"covered_{kind}"].to_numpy(dtype=bool),
            "distance_m": np.where(np.isfinite(distance), distance, np.nan),
        },
        geometry=table.geometry.to_numpy(),
        crs=table.crs,
    )


def search_box(frame: gpd.GeoDataFrame, graph: WalkGraph, metres: float) -> shapely.Polygon:
    """The bounding box of `frame` widened by `metres`, in the graph's metric CRS."""
    if frame.empty:
        msg = "there are no buildings here"
        raise ValidationError(msg)
    x0, y0, x1, y1 = frame.to_crs(graph.crs).total_bounds
    return shapely.box(x0 - metres, y0 - metres, x1 + metres, y1 + metres)


def kind_facilities(
    facilities: gpd.GeoDataFrame, kind: str, area: shapely.Polygon, crs: object
) -> gpd.GeoDataFrame:
    """Facilities of `kind` inside `area` (a polygon in `crs`), in EPSG:4326."""
    chosen = facilities[facilities["kind"] == kind]
    if chosen.empty:
        return chosen
    inside = shapely.intersects(area, chosen.to_crs(crs).geometry.to_numpy())
    return chosen[inside]


@dataclass(frozen=True)
class SiteAnswer:
    """Suggested sites for one kind and threshold, as the page shows them.

    Attributes
    ----------
    sites
        GeoDataFrame of :data:`SITE_COLUMNS` plus point geometry (EPSG:4326), best first:
        ``added_residents`` are the residents each site brings within reach after those
        ranked before it; ``buildings`` how many buildings it adds; ``compounds`` their
        compounds' names; ``building_ids`` their ids.
    method
        "exact" (the optimum, proved by HiGHS) or "greedy".
    uncovered_residents
        Residents of the scope not reached before any new site.
    """

    sites: gpd.GeoDataFrame
    method: str
    uncovered_residents: int


def suggest_sites(
    graph: WalkGraph,
    table: gpd.GeoDataFrame,
    *,
    kind: str,
    metres: float,
    k: int,
) -> SiteAnswer:
    """Where `k` new facilities of `kind` would bring the most uncovered residents in reach.

    Candidate sites are the public-road nodes within `metres` of the buildings' bounding box
    (a site further away reaches none of them); the choice is
    :func:`mapgov.domain.lifecircle.siting.best_sites` (exact, or greedy if the solver runs out of
    time).

    Parameters
    ----------
    graph
        The walking network.
    table
        :func:`mapgov.domain.lifecircle.coverage.coverage_table` rows of the scope, measured along
        the network (reads ``covered_<kind>``, ``residents``, ``compound_id``, ``compound_name``).
    kind, metres
        The facility kind and its walking threshold.
    k
        Number of new sites.

    Returns
    -------
    SiteAnswer
        With an empty ``sites`` frame when every resident is already covered.
    """
    area = search_box(table, graph, metres)
    nodes = siting.candidate_nodes(graph)
    x, y = graph.xy[nodes, 0], graph.xy[nodes, 1]
    x0, y0, x1, y1 = area.bounds
    candidates = nodes[(x >= x0) & (x <= x1) & (y >= y0) & (y <= y1)]
    homes = snap(graph, table, table["compound_id"].to_numpy())
    result = siting.best_sites(
        graph,
        homes,
        table["residents"].to_numpy(),
        table[f"covered_{kind}"].to_numpy(dtype=bool),
        metres=metres,
        k=k,
        building_ids=table["building_id"].to_numpy(),
        candidates=candidates,
    )
    compound_of = dict(zip(table["building_id"], table["compound_name"], strict=True))
    sites = result.sites
    out = pd.DataFrame(
        {
            "rank": sites["rank"].to_numpy(dtype=int),
            "added_residents": sites["added_residents"].to_numpy(dtype=int),
            "cumulative_residents": sites["cumulative_residents"].to_numpy(dtype=int),
            "buildings": [len(ids) for ids in sites["buildings"]],
            "compounds": [
                list(dict.fromkeys(compound_of[b] for b in ids)) for ids in sites["buildings"]
            ],
            "building_ids": [list(ids) for ids in sites["buildings"]],
            "lon": np.round(sites.geometry.x.to_numpy(), 7),  # 1e-7 degrees: about 1 cm
            "lat": np.round(sites.geometry.y.to_numpy(), 7),
        }
    )
    frame = gpd.GeoDataFrame(out, geometry=sites.geometry.to_numpy(), crs=sites.crs)
    return SiteAnswer(frame, result.method, result.uncovered_residents)
