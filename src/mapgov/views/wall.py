"""The wall screen (大屏) without Streamlit: settings, map data, tiles, panels.

The wall screen is read from across a command room and nobody clicks it, so it is configured
by its URL (``/wall?kiosk=1&refresh=60&tour=1&tour_every=20&metric=stars``, see
:class:`WallSettings`) and every piece of it is built here: the map's frames
(:func:`map_data`, :func:`compound_figures`, :func:`recent_points`, :func:`life_circle`), the
ranking table, the ticker of recently closed issues, the legends and the category bars; the
headline tiles and the trend chart come from :mod:`mapgov.views.wall_figures` (re-exported here).
Charts are inline SVG and HTML: the browser needs no chart library.
:mod:`mapgov.ui.wall_data` only caches them and :mod:`mapgov.ui.wall` lays them out.

The loaders read the store; everything else is pure over frames. All text passes through the
catalogue (:func:`mapgov.core.i18n.t`, ``[wall_screen]`` section) and all data are HTML-escaped.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from html import escape
from typing import Final

import numpy as np
import pandas as pd

from mapgov.core.errors import MapgovError
from mapgov.core.i18n import t
from mapgov.domain import kpi
from mapgov.domain.places import display_names
from mapgov.store import Store
from mapgov.views.deck import (
    FACILITY_COLOURS,
    HEAT_COLOURS,
    METRICS,
    WallMapData,
)
from mapgov.views.deck_data import NO_DATA_COLOUR, metric_scale
from mapgov.views.wall_figures import (
    BAR_COLOUR,
    CLOSED_COLOUR,
    GRID_LINE,
    KIOSK_TREND,
    MUTED,
    PAGE_TREND,
    PROPERTY_TILE,
    RECEIVED_COLOUR,
    TEXT,
    TILES,
    TileText,
    format_value,
    new_reports_html,
    nice_ticks,
    svg_img,
    tile_label,
    tile_label_key,
    tile_text,
    tiles_html,
    trend_svg,
)

__all__ = [
    "BAR_COLOUR",
    "CLOSED_COLOUR",
    "FACILITY_GLYPH_KINDS",
    "GRID_LINE",
    "KIOSK_TREND",
    "LIFE_TIER",
    "MIN_TICK_S",
    "MUTED",
    "PAGE_TREND",
    "PROPERTY_TILE",
    "RECEIVED_COLOUR",
    "RECENT_DAYS",
    "SETTING_PARAMS",
    "TEXT",
    "TILES",
    "LifeCircle",
    "TileText",
    "WallSettings",
    "categories_html",
    "compound_figures",
    "facility_legend_html",
    "format_value",
    "header_html",
    "legend_html",
    "life_circle",
    "map_data",
    "new_reports_html",
    "nice_ticks",
    "ranking_html",
    "recent_points",
    "svg_img",
    "ticker_html",
    "tile_label",
    "tile_label_key",
    "tile_text",
    "tiles_html",
    "tour_moves",
    "tour_stop",
    "trend_svg",
    "value_texts",
    "with_figures",
]

LIFE_TIER: Final = 15
"""The life-circle tier (minutes) of the completeness tile and colouring."""
RECENT_DAYS: Final = 30
"""The issues on the map: those reported in the last this many days."""

REFRESH_RANGE: Final = (5, 3600)
TOUR_RANGE: Final = (5, 600)
MIN_TICK_S: Final = 5
"""The map never reruns more often than this (a tour's tick: :attr:`WallSettings.map_every_s`)."""
SETTING_PARAMS: Final = ("kiosk", "refresh", "tour", "tour_every", "metric", "basemap")
"""Query parameters of the wall screen (besides the shell's lang, street and community)."""
_TRUE = frozenset({"1", "true", "yes", "on"})

FACILITY_GLYPH_KINDS: Final = tuple(FACILITY_COLOURS)
"""Facility kinds with a one-character glyph (``wall_screen.glyph.<kind>``) on the map."""


# -- settings ------------------------------------------------------------------------------
def _int_param(value: str | None, default: int, bounds: tuple[int, int]) -> int:
    try:
        number = int(float(str(value)))
    except (TypeError, ValueError, OverflowError):
        return default
    return min(max(number, bounds[0]), bounds[1])


def _flag(value: str | None) -> bool:
    return str(value).strip().lower() in _TRUE


@dataclass(frozen=True)
class WallSettings:
    """How the wall screen behaves, read from its URL.

    Attributes
    ----------
    kiosk
        Full screen: no sidebar, no Streamlit chrome (``kiosk=1``).
    refresh_s
        Seconds between data refreshes (``refresh``, 5 to 3600, default 60).
    tour
        Move the map's focus from community to community (``tour=1``).
    tour_s
        Seconds per tour stop (``tour_every``, 5 to 600, default 20).
    metric
        What colours the compounds (``metric``, one of :data:`mapgov.views.deck.METRICS`).
    basemap
        Draw online map tiles under the layers (``basemap=1``; off by default, and without a
        network the layers still draw on the dark background).
    """

    kiosk: bool = False
    refresh_s: int = 60
    tour: bool = False
    tour_s: int = 20
    metric: str = METRICS[0]
    basemap: bool = False

    @classmethod
    def from_query(cls, params: Mapping[str, str]) -> WallSettings:
        """Settings from URL query parameters; anything missing or invalid takes its default.

        Examples
        --------
        >>> WallSettings.from_query({"kiosk": "1", "refresh": "2", "metric": "nonsense"})
        WallSettings(kiosk=True, refresh_s=5, tour=False, tour_s=20, metric='open_per_100_households', basemap=False)
        """  # noqa: E501
        default = cls()
        metric = params.get("metric", default.metric)
        return cls(
            kiosk=_flag(params.get("kiosk")),
            refresh_s=_int_param(params.get("refresh"), default.refresh_s, REFRESH_RANGE),
            tour=_flag(params.get("tour")),
            tour_s=_int_param(params.get("tour_every"), default.tour_s, TOUR_RANGE),
            metric=metric if metric in METRICS else default.metric,
            basemap=_flag(params.get("basemap")),
        )

    def to_query(self) -> dict[str, str]:
        """The query parameters that differ from the defaults (for links and the URL)."""
        default = WallSettings()
        values = {
            "kiosk": "1" if self.kiosk else "",
            "refresh": str(self.refresh_s) if self.refresh_s != default.refresh_s else "",
            "tour": "1" if self.tour else "",
            "tour_every": str(self.tour_s) if self.tour_s != default.tour_s else "",
            "metric": self.metric if self.metric != default.metric else "",
            "basemap": "1" if self.basemap else "",
        }
        return {k: v for k, v in values.items() if v}

    @property
    def map_every_s(self) -> int:
        """Seconds between reruns of the map.

        Without the tour, the refresh. With it the map must rerun when each stop is due and
        at least as often as the refresh asks: every greatest common divisor of the two (15 s
        stops and a 10 s refresh: every 5 s), unless that is under :data:`MIN_TICK_S`; then
        every stop (the map's figures are then as fresh as the last stop).
        """
        if not self.tour:
            return self.refresh_s
        tick = math.gcd(self.refresh_s, self.tour_s)
        return tick if tick >= MIN_TICK_S else self.tour_s


# -- the tour ------------------------------------------------------------------------------
def tour_stop(elapsed_s: float, settings: WallSettings, stops: int) -> int:
    """The stop the tour shows `elapsed_s` seconds after it began (0 to ``stops - 1``).

    The map reruns on its own timer (:attr:`WallSettings.map_every_s`), never exactly on time:
    the elapsed time is taken as that of the nearest scheduled rerun, and the stop changes
    every ``tour_s`` seconds of that schedule, whatever the refresh.

    Examples
    --------
    >>> s = WallSettings(tour=True, tour_s=15, refresh_s=10)
    >>> [tour_stop(e, s, 3) for e in (0, 5.2, 9.8, 14.6, 20.1, 30.3, 45.0)]
    [0, 0, 0, 1, 1, 2, 0]
    """
    if stops <= 0:
        return 0
    tick = settings.map_every_s
    ticks = max(0, round(elapsed_s / tick))
    return (ticks * tick // settings.tour_s) % stops


def tour_moves(settings: WallSettings, stops: int, until_s: float) -> list[int]:
    """Seconds after the tour began at which the map shows a new stop, up to `until_s`,
    when the map reruns on its timer (the tour's schedule as a function of the settings).

    Examples
    --------
    >>> tour_moves(WallSettings(tour=True, tour_s=15, refresh_s=10), stops=5, until_s=60)
    [15, 30, 45, 60]
    """
    tick = settings.map_every_s
    moves: list[int] = []
    shown = tour_stop(0, settings, stops)
    for k in range(1, int(until_s // tick) + 1):
        stop = tour_stop(k * tick, settings, stops)
        if stop != shown:
            moves.append(k * tick)
            shown = stop
    return moves


def header_html(
    title: str, scope: str, counts: Mapping[str, int], stamp: Sequence[str], lang: str
) -> str:
    """The kiosk's title bar: title and place, the place's counts, date and refresh time.

    Parameters
    ----------
    title, scope
        Page title and the place on screen.
    counts
        Place counts by ``metric.<name>`` key (:meth:`mapgov.domain.summary.PlaceCounts.as_dict`).
    stamp
        Texts of the right-hand side (report date, refresh time ...), joined by dots.
    lang
        Language of the count labels.
    """
    count_texts = [f"{v:,} {t(f'metric.{k}', lang)}" for k, v in counts.items()]
    return (
        '<div class="mg-bar">'
        f'<div class="mg-bar-title">{escape(title)}'
        f'<span class="mg-bar-scope">{escape(scope)}</span></div>'
        f'<div class="mg-bar-counts">{_wrapping(count_texts)}</div>'
        f'<div class="mg-bar-stamp">{_wrapping(stamp)}</div>'
        "</div>"
    )


def _wrapping(texts: Sequence[str]) -> str:
    """Texts joined by dots, each whole: a narrow screen breaks the line between two texts,
    never inside one (and never cuts one off)."""
    items = [f'<span class="mg-bar-item">{escape(text)}</span>' for text in texts]
    return '<span class="mg-bar-sep"> · </span>'.join(items)


# -- the map's values, legend --------------------------------------------------------------
def value_texts(values: pd.Series, metric: str, lang: str) -> pd.Series:
    """Each compound's figure as tooltip text (``—`` where it is unknown)."""
    scale = metric_scale(metric)
    none = t("wall_screen.none", lang)

    def one(v: float) -> str:
        if v is None or (isinstance(v, float) and math.isnan(v)):
            return none
        if scale.unit == "share":
            return f"{v * 100:.0f}%"
        if scale.unit == "stars":
            return "★" * round(v) if round(v) else "0★"
        return f"{v:.1f}"

    return values.map(one)


def _class_label(lo: float | None, hi: float | None, unit: str) -> str:
    def fmt(v: float) -> str:
        if unit == "share":
            return f"{v * 100:.0f}%"
        if unit == "stars":
            return f"{math.ceil(v)}★"
        return f"{v:g}"

    if unit == "stars":  # whole stars: a class of 0 up to 2 holds 0 and 1 (it said "0★")
        low = math.ceil(lo if lo is not None else 0)
        top = None if hi is None else math.ceil(hi) - 1
        return f"{low}★" if top is None or top <= low else f"{low}–{top}★"
    if lo is None:
        return f"< {fmt(hi or 0)}"
    if hi is None:
        return f"≥ {fmt(lo)}"
    return f"{fmt(lo)}–{fmt(hi)}"


def _swatch(rgb: Sequence[int], text: str, *, glyph: str = "") -> str:
    colour = "#{:02X}{:02X}{:02X}".format(*rgb[:3])
    mark = (
        f'<span class="mg-glyph" style="border-color:{colour}">{escape(glyph)}</span>'
        if glyph
        else f'<span class="mg-swatch" style="background:{colour}"></span>'
    )
    return f'<span class="mg-key">{mark}{escape(text)}</span>'


def legend_html(metric: str, lang: str) -> str:
    """The map's legend: the compound colour classes of `metric`, then the issue columns."""
    scale = metric_scale(metric)
    edges: list[float | None] = [None, *scale.breaks, None]
    if scale.unit == "stars":
        edges = [0.0, *scale.breaks]
    keys = [
        _swatch(
            colour,
            _class_label(edges[i], edges[i + 1] if i + 1 < len(edges) else None, scale.unit),
        )
        for i, colour in enumerate(scale.colours)
    ]
    keys.append(_swatch(NO_DATA_COLOUR, t("wall_screen.no_data", lang)))
    ramp = "".join(
        f'<span class="mg-swatch" style="background:#{r:02X}{g:02X}{b:02X}"></span>'
        for r, g, b, _ in HEAT_COLOURS
    )
    return (
        '<div class="mg-legend">'
        f'<span class="mg-legend-title">{escape(t(f"wall_screen.metric.{metric}", lang))}</span>'
        f"{''.join(keys)}"
        '<span class="mg-legend-gap"></span>'
        f'<span class="mg-legend-title">{escape(t("wall_screen.issue_cells", lang))}</span>'
        f'<span class="mg-key">{escape(t("wall_screen.few", lang))}{ramp}'
        f"{escape(t('wall_screen.many', lang))}</span>"
        "</div>"
    )


def facility_legend_html(lang: str) -> str:
    """The facility glyphs drawn on the map, with their kinds."""
    keys = "".join(
        _swatch(
            FACILITY_COLOURS[kind],
            t(f"wall_screen.facility.{kind}", lang),
            glyph=t(f"wall_screen.glyph.{kind}", lang),
        )
        for kind in FACILITY_GLYPH_KINDS
    )
    return f'<div class="mg-legend mg-facilities">{keys}</div>'


# -- side panels ---------------------------------------------------------------------------
def categories_html(top: pd.DataFrame, lang: str) -> str:
    """Horizontal bars of the commonest categories (:func:`kpi.top_categories`), in HTML.

    Each row: the category's name, a bar as long as its share of the largest count, the count.
    """
    if top.empty:
        return f'<div class="mg-empty">{escape(t("wall_screen.empty", lang))}</div>'
    largest = max(int(top["count"].max()), 1)
    rows = []
    for category, count in zip(top["category"], top["count"], strict=True):
        name = escape(t(f"issue_category.{category}", lang))
        share = 100 * int(count) / largest
        rows.append(
            f'<div class="mg-cat-name" title="{name}">{name}</div>'
            f'<div class="mg-cat-track"><div class="mg-cat-bar" '
            f'style="width:{share:.1f}%;background:{BAR_COLOUR}"></div></div>'
            f'<div class="mg-cat-n">{int(count):,}</div>'
        )
    return f'<div class="mg-cats">{"".join(rows)}</div>'


def _pct(value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{value * 100:.0f}%"


def ranking_html(ranking: pd.DataFrame, names: Mapping[str, str], lang: str, *, n: int = 6) -> str:
    """The community ranking (:func:`kpi.community_ranking`) as a small HTML table.

    Parameters
    ----------
    ranking
        Reads community_id, received, resolution_rate, satisfaction_rate, overdue.
    names
        Display name by community_id.
    n
        Rows shown (the best first).
    """
    if ranking.empty:
        return f'<div class="mg-empty">{escape(t("wall_screen.empty", lang))}</div>'
    head = "".join(
        f'<th title="{label}">{label}</th>'
        for label in (
            escape(t(f"wall_screen.col.{c}", lang))
            for c in ("rank", "community", "received", "resolution", "satisfaction", "overdue")
        )
    )
    cols = "".join(
        f'<col class="mg-col-{c}">' if c else "<col>"
        for c in ("rank", "", "n", "pct", "pct", "late")
    )
    rows = []
    for i, row in enumerate(ranking.head(n).itertuples(index=False), start=1):
        overdue = int(row.overdue)
        name = escape(names.get(row.community_id, str(row.community_id)))
        rows.append(
            "<tr>"
            f'<td class="mg-rank">{i}</td>'
            f'<td class="mg-name" title="{name}">{name}</td>'
            f"<td>{int(row.received):,}</td>"
            f"<td>{_pct(row.resolution_rate)}</td>"
            f"<td>{_pct(row.satisfaction_rate)}</td>"
            f'<td class="{"mg-bad" if overdue else "mg-good"}">{overdue}</td>'
            "</tr>"
        )
    return (
        f'<div class="mg-rank-wrap"><table class="mg-rank-table"><colgroup>{cols}</colgroup>'
        f"<tr>{head}</tr>{''.join(rows)}</table></div>"
    )


def ticker_html(closed: pd.DataFrame, compound_names: Mapping[str, str], lang: str) -> str:
    """Recently closed issues (:func:`kpi.recent_closed`, reporters masked) as a ticker.

    The list is written twice inside a box that scrolls it upwards forever (CSS animation),
    so the ticker moves without any rerun; only masked names are shown.
    """
    if closed.empty:
        return f'<div class="mg-empty">{escape(t("wall_screen.empty", lang))}</div>'
    items = []
    for row in closed.itertuples(index=False):
        when = str(row.closed_at)[5:16].replace("T", " ")
        rating = (
            t(f"callback_rating.{row.satisfaction}", lang)
            if isinstance(row.satisfaction, str) and row.satisfaction
            else ""
        )
        who = row.reporter if isinstance(row.reporter, str) else ""
        meta = " · ".join(
            x
            for x in (
                compound_names.get(row.compound_id, str(row.compound_id)),
                t(f"issue_category.{row.category}", lang),
                who,
                rating,
            )
            if x
        )
        items.append(
            '<div class="mg-tick">'
            f'<span class="mg-tick-time">{escape(when)}</span>'
            f'<span class="mg-tick-title">{escape(str(row.title))}</span>'
            f'<span class="mg-tick-meta">{escape(meta)}</span>'
            "</div>"
        )
    body = "".join(items)
    seconds = max(20, 5 * len(items))
    return (
        f'<div class="mg-ticker"><div class="mg-ticker-roll" style="animation-duration:{seconds}s">'
        f"{body}{body}</div></div>"
    )


# -- what the map and the life-circle tile read from the store -----------------------------
@dataclass(frozen=True)
class LifeCircle:
    """Per compound: community_id, residents, and ``reached``, the residents who reach every
    kind of facility within the tier's walk."""

    compounds: pd.DataFrame

    def share(self, community_id: str | None = None) -> float | None:
        """Share of residents reaching everything (of one community); None without residents."""
        rows = self.compounds
        if community_id is not None:
            rows = rows[rows["community_id"] == community_id]
        total = float(rows["residents"].sum())
        return float(rows["reached"].sum()) / total if total else None

    def by_compound(self) -> pd.Series:
        """The same share per compound_id (NaN without residents)."""
        rows = self.compounds.set_index("compound_id")
        return (rows["reached"] / rows["residents"].where(rows["residents"] > 0)).rename(
            "life_complete"
        )


def life_circle(store: Store, street_id: str | None, *, tier: int = LIFE_TIER) -> LifeCircle:
    """Who reaches every kind of facility within `tier` minutes, per compound of a street.

    Uses :func:`mapgov.domain.lifecircle.coverage.coverage_table` on the walking graph of all roads
    (people cross street borders), leaving out road rows with an empty geometry. Without roads,
    buildings or a standard there is no figure (an empty table), never an error.
    """
    # Imported here: the engine pulls in scipy (about 1 s), and a wall screen on a cold server
    # should send its map before it is needed (only the life-circle tile and colouring use it).
    from mapgov.domain.lifecircle import coverage
    from mapgov.domain.lifecircle.network import walk_graph

    empty = LifeCircle(
        pd.DataFrame(columns=["compound_id", "community_id", "residents", "reached"])
    )
    roads = store.read("road", columns=["road_id", "kind", "compound_id", "geom"])
    roads = roads[~roads.geometry.is_empty]
    try:
        graph = walk_graph(roads)
        limits = coverage.thresholds(coverage.load_profile(), tier=tier)
        table = coverage.coverage_table(store, limits, graph=graph, street_id=street_id)
    except MapgovError:
        return empty
    if table.empty:
        return empty
    residents = table["residents"].astype(float)
    frame = pd.DataFrame(
        {
            "compound_id": table["compound_id"],
            "community_id": table["community_id"],
            "residents": residents,
            "reached": residents.where(table["complete"].astype(bool), 0.0),
        }
    )
    return LifeCircle(frame.groupby(["compound_id", "community_id"], as_index=False).sum())


def _within(
    store: Store, table: str, places: pd.DataFrame, key: str, columns: list[str]
) -> pd.DataFrame:
    """`columns` of the rows of `table` that lie in `places` (by their `key` column)."""
    return store.read(table, where={key: list(places[key])}, columns=columns)


def map_data(store: Store, street_id: str | None, lang: str) -> WallMapData:
    """Everything the wall map draws but the compound figures and the issues.

    Parameters
    ----------
    store
        Where to read.
    street_id
        The street; None draws every street (the whole city at once).
    lang
        Language of the labels and glyphs.

    Returns
    -------
    WallMapData
        Compounds with ``value`` NaN and ``value_text`` "—" (see :func:`compound_figures`);
        no issues yet (see :func:`recent_points`).
    """
    where = {"street_id": street_id} if street_id else None
    communities = store.read(
        "community", where=where, columns=["community_id", "name", "name_en", "geom"]
    )
    communities = communities.assign(label=display_names(communities, lang))
    grids = _within(store, "grid", communities, "community_id", ["grid_id"])
    compounds = _within(store, "compound", grids, "grid_id", ["compound_id", "name", "geom"])
    compounds = compounds.assign(
        label=compounds["name"], value=np.nan, value_text=t("wall_screen.none", lang)
    )
    buildings = _within(store, "building", compounds, "compound_id", ["floors", "geom"])
    facilities = _within(store, "facility", communities, "community_id", ["kind", "name", "geom"])
    facilities = facilities.assign(
        label=[
            f"{n} · {t(f'facility_kind.{k}', lang)}"
            for n, k in zip(facilities["name"], facilities["kind"], strict=True)
        ],
        glyph=[t(f"wall_screen.glyph.{k}", lang) for k in facilities["kind"]],
    )
    return WallMapData(
        communities=communities[["community_id", "label", "geometry"]],
        compounds=compounds[["compound_id", "label", "value", "value_text", "geometry"]],
        buildings=buildings,
        roads=store.read("road", where=where, columns=["kind", "geom"]),
        landuse=store.read("landuse", where=where, columns=["kind", "geom"]),
        facilities=facilities[["kind", "label", "glyph", "geometry"]],
        issues=pd.DataFrame({"lon": [], "lat": []}),
    )


def recent_points(issues: pd.DataFrame, today: dt.date, days: int = RECENT_DAYS) -> pd.DataFrame:
    """[lon, lat] of the issues reported in the `days` days up to and including `today`."""
    since = (today - dt.timedelta(days=days - 1)).isoformat()
    until = (today + dt.timedelta(days=1)).isoformat()
    day = issues["reported_at"].fillna("").astype(str)
    return issues.loc[(day >= since) & (day < until), ["lon", "lat"]].reset_index(drop=True)


def compound_figures(
    frames: kpi.Frames,
    metric: str,
    *,
    today: dt.date,
    life: LifeCircle | None = None,
) -> pd.Series:
    """The figure that colours each compound (index compound_id).

    "life_complete" comes from `life` (:func:`life_circle`; all NaN without it), the others
    from :func:`mapgov.domain.kpi.compound_values`.
    """
    if metric == "life_complete":
        if life is None:
            return pd.Series(np.nan, index=frames.compounds["compound_id"], name=metric)
        return life.by_compound().reindex(frames.compounds["compound_id"])
    return kpi.compound_values(
        frames.issues, frames.compounds, frames.buildings, frames.stars, metric, today=today
    )


def with_figures(
    base: WallMapData,
    values: pd.Series,
    metric: str,
    recent: pd.DataFrame,
    lang: str,
) -> WallMapData:
    """`base` with each compound's figure (and its text) and the recent issues filled in."""
    compounds = base.compounds.assign(value=base.compounds["compound_id"].map(values))
    compounds["value_text"] = value_texts(compounds["value"], metric, lang)
    return replace(base, compounds=compounds, issues=recent)
