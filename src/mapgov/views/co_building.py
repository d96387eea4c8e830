"""The co-building page without Streamlit: its map, its list tables and its pickers' texts.

The map (:func:`co_building_map`) shows the street's communities and compounds, the resident
units as points, the needs as points coloured by how long they have waited (the longest
waiting drawn larger, with a dark ring) and a line from each unit to the need its project
serves. It is built on :func:`mapgov.views.maps.base_map`: Leaflet from the app's own static folder
and nothing from the internet. Every text in a tooltip or the legend is HTML-escaped here
(names and titles come from data files and people's typing; Leaflet tooltips are HTML).
The stylers are module-level functions, so the map pickles and the UI may cache it.

The tables (:func:`list_table`) are the three lists plus micro-wishes and volunteer events,
filtered by community, status and kind, with translated headers and labels, ready to show and
to download. Helpers give the texts of the page's pickers (:func:`open_need_options`,
:func:`record_options`), the ranking of candidate units (:func:`candidate_table`) and a
record's history (:func:`timeline_steps`).
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from mapgov.core import model
from mapgov.core.crs import WGS84
from mapgov.core.errors import ValidationError
from mapgov.core.i18n import label, t
from mapgov.domain.cobuild import (
    Candidate,
    CoFrames,
    need_points,
    project_links,
    reason_text,
    waiting_needs,
)
from mapgov.domain.places import display_name
from mapgov.views.maps import (
    HEADING,
    LEGEND_BOX_LARGE,
    LegendRow,
    MapLegend,
    base_map,
    legend_html,
    swatch,
)
from mapgov.views.markup import Step, history_steps

__all__ = [
    "COMMUNITY_CLASS",
    "COMPOUND_CLASS",
    "EMPTY",
    "EVERY_LINK",
    "HIGHLIGHT_CLASS",
    "LINK_CLASS",
    "LINK_COLORS",
    "LISTS",
    "NEED_CLASS",
    "SCORE_DECIMALS",
    "UNIT_CLASS",
    "WAIT_BREAKS",
    "WAIT_COLORS",
    "LinkFocus",
    "ListFilter",
    "ListSpec",
    "candidate_table",
    "co_building_map",
    "column_help",
    "community_names",
    "list_table",
    "open_need_options",
    "own_need",
    "record_options",
    "timeline_steps",
    "wait_class",
]

COMMUNITY_CLASS: Final = "mapgov-cob-community"
COMPOUND_CLASS: Final = "mapgov-cob-compound"
LINK_CLASS: Final = "mapgov-cob-link"
UNIT_CLASS: Final = "mapgov-cob-unit"
NEED_CLASS: Final = "mapgov-cob-need"
HIGHLIGHT_CLASS: Final = "mapgov-cob-need-longest"

WAIT_BREAKS: Final = (30, 90, 180)
"""Days waiting that start the 2nd, 3rd and 4th colour of an open need."""
WAIT_COLORS: Final = ("#F6D55C", "#F29E38", "#E4572E", "#8E1B1B")
CLOSED_COLOR: Final = "#9AA0A6"
"""A need that is not waiting (matched, done or cancelled)."""
UNIT_COLOR: Final = "#1F4E9E"
LINK_COLORS: Final[dict[str, str]] = {
    model.ProjectStatus.PAIRED.value: "#7E57C2",
    model.ProjectStatus.CLAIMED.value: "#7E57C2",
    model.ProjectStatus.IN_PROGRESS.value: "#E8731A",
    model.ProjectStatus.COMPLETED.value: "#2E7D32",
    model.ProjectStatus.RATED.value: "#2E7D32",
    model.ProjectStatus.CANCELLED.value: "#9AA0A6",
}
_LINKED: Final = tuple(
    s.value for s in model.ProjectStatus if s is not model.ProjectStatus.CANCELLED
)
_COORD_DECIMALS: Final = 6
_P = "co_building_page."


def wait_class(days: float | None) -> int:
    """Colour class of an open need by its days waiting (0 to 3); -1 for a need not waiting.

    Examples
    --------
    >>> [wait_class(d) for d in (None, 0, 30, 120, 400)]
    [-1, 0, 1, 2, 3]
    """
    if days is None or (isinstance(days, float) and np.isnan(days)):
        return -1
    return int(np.searchsorted(WAIT_BREAKS, days, side="right"))


def _esc(value: object) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    return html.escape(str(value))


def community_names(frames: CoFrames, lang: str) -> dict[str, str]:
    """community_id -> its name in `lang`."""
    c = frames.communities
    return {
        cid: display_name(n, e, lang)
        for cid, n, e in zip(c["community_id"], c["name"], c["name_en"], strict=True)
    }


# -- the map -------------------------------------------------------------------------------
def _community_style(_feature: dict[str, Any]) -> dict[str, Any]:
    return {"color": "#C8161D", "weight": 2, "fillColor": "#C8161D", "fillOpacity": 0.03}


def _compound_style(_feature: dict[str, Any]) -> dict[str, Any]:
    return {"color": "#B8860B", "weight": 1, "fillColor": "#E9D9A6", "fillOpacity": 0.45}


def _compound_highlight(_feature: dict[str, Any]) -> dict[str, Any]:
    return {**_compound_style(_feature), "weight": 2.5}


def _link_style(feature: dict[str, Any]) -> dict[str, Any]:
    props = feature["properties"]
    return {"color": props["_colour"], "weight": 3, "opacity": 0.85, "dashArray": props["_dash"]}


def _link_highlight(feature: dict[str, Any]) -> dict[str, Any]:
    return {**_link_style(feature), "weight": 6}


def _unit_style(_feature: dict[str, Any]) -> dict[str, Any]:
    return {
        "radius": 6,
        "color": "#FFFFFF",
        "weight": 1.5,
        "fillColor": UNIT_COLOR,
        "fillOpacity": 0.95,
    }


def _need_style(feature: dict[str, Any]) -> dict[str, Any]:
    props = feature["properties"]
    longest = bool(props["_longest"])
    return {
        "radius": 10 if longest else 7,
        "color": "#1F2329" if longest else "#FFFFFF",
        "weight": 3 if longest else 1.5,
        "fillColor": props["_colour"],
        "fillOpacity": 0.95,
    }


def _light(frame: gpd.GeoDataFrame, data: Mapping[str, Sequence[Any]]) -> gpd.GeoDataFrame:
    geoms = shapely.set_precision(frame.geometry.to_numpy(), 10.0**-_COORD_DECIMALS)
    return gpd.GeoDataFrame({k: list(v) for k, v in data.items()}, geometry=list(geoms), crs=WGS84)


def _tooltip(fields: Sequence[str], lang: str) -> folium.GeoJsonTooltip:
    aliases = [_esc(t(f"{_P}map.{f}", lang)) for f in fields]
    return folium.GeoJsonTooltip(fields=list(fields), aliases=aliases)


_DOT: Final = (
    "display:inline-block;width:12px;height:12px;border-radius:50%;margin-right:6px;"
    "vertical-align:-1px;background:{c};border:{b}"
)
_BAR: Final = "display:inline-block;width:18px;height:0;margin-right:6px;vertical-align:3px;"


def _legend_rows(lang: str) -> list[LegendRow]:
    m = f"{_P}map."

    def dot(key: str, colour: str, border: str = "1px solid #fff", **values: object) -> LegendRow:
        return LegendRow(t(m + key, lang, **values), swatch(_DOT.format(c=colour, b=border)))

    rows = [LegendRow(t(m + "legend_wait", lang), style=HEADING)]
    lows = (0, *WAIT_BREAKS)
    for i, colour in enumerate(WAIT_COLORS):
        if i + 1 < len(lows):
            rows.append(dot("wait_range", colour, low=lows[i], high=lows[i + 1] - 1))
        else:
            rows.append(dot("wait_over", colour, low=lows[i]))
    rows.append(dot("legend_longest", WAIT_COLORS[-1], "3px solid #1F2329"))
    rows.append(dot("legend_closed", CLOSED_COLOR))
    rows.append(dot("legend_unit", UNIT_COLOR))
    for key, colour, style in (
        ("legend_paired", LINK_COLORS["paired"], "dashed"),
        ("legend_active", LINK_COLORS["in_progress"], "dashed"),
        ("legend_done", LINK_COLORS["completed"], "solid"),
    ):
        rows.append(LegendRow(t(m + key, lang), swatch(f"{_BAR}border-top:3px {style} {colour}")))
    return rows


def _bounds(frames: CoFrames) -> tuple[float, float, float, float]:
    for frame in (frames.communities, frames.compounds, frames.units):
        if len(frame):
            return tuple(float(v) for v in frame.total_bounds)  # type: ignore[return-value]
    msg = "the co-building map needs a community, a compound or a unit"
    raise ValidationError(msg)


def _need_layer(needs: gpd.GeoDataFrame, highlight: int, lang: str) -> folium.GeoJson:
    waiting = needs["days_waiting"]
    longest = set(
        needs[waiting.notna()]
        .sort_values(["days_waiting", "need_id"], ascending=[False, True])
        .head(highlight)["need_id"]
    )
    colours = [
        CLOSED_COLOR if wait_class(d) < 0 else WAIT_COLORS[wait_class(d)]
        for d in waiting.astype(float)
    ]
    days = ["—" if pd.isna(d) else t(f"{_P}days", lang, n=int(d)) for d in waiting]
    data = _light(
        needs,
        {
            "need_id": needs["need_id"],
            "need": [_esc(v) for v in needs["title"]],
            "kind": [_esc(label(model.CoopKind(k), lang)) for k in needs["kind"]],
            "status": [_esc(label(model.NeedStatus(s), lang)) for s in needs["status"]],
            "waiting": [_esc(d) for d in days],
            "_colour": colours,
            "_longest": [n in longest for n in needs["need_id"]],
        },
    )
    # longest-waiting last, so they are drawn on top
    data = data.sort_values(["_longest", "need_id"], kind="stable").reset_index(drop=True)
    return folium.GeoJson(
        data,
        name=_esc(t(f"{_P}map.needs_layer", lang)),
        marker=folium.CircleMarker(className=NEED_CLASS, fill=True),
        style_function=_need_style,
        tooltip=_tooltip(["need", "kind", "status", "waiting"], lang),
    )


def _unit_layer(frames: CoFrames, lang: str) -> folium.GeoJson:
    units = frames.units
    live = frames.projects[frames.projects["status"] != model.ProjectStatus.CANCELLED.value]
    count = units["unit_id"].map(live["unit_id"].value_counts()).fillna(0).astype(int)
    data = _light(
        units,
        {
            "unit_id": units["unit_id"],
            "unit": [_esc(v) for v in units["name"]],
            "unit_kind": [
                _esc(label(model.UnitKind(k), lang)) if k in set(model.UnitKind) else _esc(k)
                for k in units["kind"]
            ],
            "projects": [str(n) for n in count],
        },
    )
    return folium.GeoJson(
        data,
        name=_esc(t(f"{_P}map.units_layer", lang)),
        marker=folium.CircleMarker(className=UNIT_CLASS, fill=True),
        style_function=_unit_style,
        tooltip=_tooltip(["unit", "unit_kind", "projects"], lang),
    )


def _link_layer(frames: CoFrames, links: gpd.GeoDataFrame, lang: str) -> folium.GeoJson:
    units = frames.units.set_index("unit_id")["name"]
    needs = frames.needs.set_index("need_id")["title"]
    titles = frames.projects.set_index("project_id")["title"]
    data = _light(
        links,
        {
            "project_id": links["project_id"],
            "project": [_esc(titles.get(p)) for p in links["project_id"]],
            "unit": [_esc(units.get(u)) for u in links["unit_id"]],
            "need": [_esc(needs.get(n)) for n in links["need_id"]],
            "status": [_esc(label(model.ProjectStatus(s), lang)) for s in links["status"]],
            "_colour": [LINK_COLORS[s] for s in links["status"]],
            "_dash": [
                ""
                if s in (model.ProjectStatus.COMPLETED.value, model.ProjectStatus.RATED.value)
                else "6 4"
                for s in links["status"]
            ],
        },
    )
    return folium.GeoJson(
        data,
        name=_esc(t(f"{_P}map.links_layer", lang)),
        style_function=_link_style,
        highlight_function=_link_highlight,
        tooltip=_tooltip(["project", "unit", "need", "status"], lang),
        className=LINK_CLASS,
    )


@dataclass(frozen=True)
class LinkFocus:
    """Which projects the map draws as lines: those of the chosen needs or units, or all.

    Every line at once crosses the street in a tangle; the page draws the lines of what the
    user chose (a need being matched, a project or need opened) unless asked for all.
    """

    needs: tuple[str, ...] = ()
    units: tuple[str, ...] = ()
    every: bool = False

    def pick(self, links: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        """The rows of `links` (:func:`mapgov.domain.cobuild.project_links`) in focus."""
        if self.every:
            return links
        chosen = links["need_id"].isin(self.needs) | links["unit_id"].isin(self.units)
        return links[chosen]


EVERY_LINK: Final = LinkFocus(every=True)


def co_building_map(
    frames: CoFrames,
    today: dt.date,
    *,
    community_id: str | None = None,
    statuses: Sequence[str] = _LINKED,
    focus: LinkFocus = EVERY_LINK,
    highlight: int = 3,
    lang: str = "zh",
) -> folium.Map:
    """The co-building map of a street, or of one of its communities.

    Layers, bottom to top: community outlines (class :data:`COMMUNITY_CLASS`), compounds
    (:data:`COMPOUND_CLASS`), lines from units to the needs their projects serve
    (:data:`LINK_CLASS`: purple and dashed once paired or claimed, orange and dashed while
    the project runs, green and solid once completed; only those in `focus`), the resident
    units (:data:`UNIT_CLASS`) and the needs (:data:`NEED_CLASS`): open ones coloured by days
    waiting (:data:`WAIT_BREAKS`, :data:`WAIT_COLORS`), the `highlight` longest waiting drawn
    larger with a dark ring, the others grey. A legend and a layer control sit on the map.

    Parameters
    ----------
    frames
        The street's records (:func:`mapgov.domain.cobuild.load`).
    today
        The day days waiting are counted to.
    community_id
        Show only this community's needs and projects (units and places stay, for context).
    statuses
        Project statuses drawn as lines (default: all but cancelled).
    focus
        Whose projects are drawn as lines (default: every project).
    highlight
        How many of the longest-waiting needs stand out.
    lang
        Language of tooltips and legend.

    Returns
    -------
    folium.Map
        Built on :func:`mapgov.views.maps.base_map` (local Leaflet only), fitted to the street.

    Raises
    ------
    ValidationError
        If the street has no community, compound or unit to draw.
    """
    min_lon, min_lat, max_lon, max_lat = _bounds(frames)
    fmap = base_map(bounds=(min_lon, min_lat, max_lon, max_lat))
    names = community_names(frames, lang)
    com = frames.communities
    if len(com):
        folium.GeoJson(
            _light(com, {"community": [_esc(names[c]) for c in com["community_id"]]}),
            name=_esc(t(f"{_P}map.communities_layer", lang)),
            style_function=_community_style,
            tooltip=_tooltip(["community"], lang),
            className=COMMUNITY_CLASS,
        ).add_to(fmap)
    comp = frames.compounds
    if len(comp):
        folium.GeoJson(
            _light(comp, {"compound": [_esc(n) for n in comp["name"]]}),
            name=_esc(t(f"{_P}map.compounds_layer", lang)),
            style_function=_compound_style,
            highlight_function=_compound_highlight,
            tooltip=_tooltip(["compound"], lang),
            className=COMPOUND_CLASS,
        ).add_to(fmap)
    links = focus.pick(project_links(frames, statuses=list(statuses), community_id=community_id))
    if len(links):
        _link_layer(frames, links, lang).add_to(fmap)
    if len(frames.units):
        _unit_layer(frames, lang).add_to(fmap)
    needs = need_points(frames, today, community_id=community_id)
    needs = needs[~needs.geometry.is_empty & needs.geometry.notna()]
    if len(needs):
        _need_layer(needs, highlight, lang).add_to(fmap)
    MapLegend(legend_html(_legend_rows(lang), box=LEGEND_BOX_LARGE)).add_to(fmap)
    folium.LayerControl(collapsed=True).add_to(fmap)
    return fmap


# -- the lists -----------------------------------------------------------------------------
@dataclass(frozen=True)
class ListSpec:
    """One list of the page: its frame in :class:`CoFrames`, status and kind enums (None:
    the list has no such filter)."""

    frame: str
    status: type[StrEnum] | None
    kind: type[StrEnum] | None


LISTS: Final[dict[str, ListSpec]] = {
    "needs": ListSpec("needs", model.NeedStatus, model.CoopKind),
    "resources": ListSpec("resources", None, model.CoopKind),
    "projects": ListSpec("projects", model.ProjectStatus, model.CoopKind),
    "wishes": ListSpec("wishes", model.WishStatus, None),
    "volunteer": ListSpec("volunteer", None, model.VolunteerKind),
}
"""The five lists, in the page's order."""


@dataclass(frozen=True)
class ListFilter:
    """What a list shows: community ids, statuses and kinds (each empty: all)."""

    communities: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()


def _day(value: object) -> str:
    return "" if value is None or value != value else str(value)[:10]  # noqa: PLR0124


def _labels(values: pd.Series, enum: type[StrEnum], lang: str) -> list[str]:
    known = {m.value: m for m in enum}
    return [label(known[v], lang) if v in known else ("" if v != v else str(v)) for v in values]  # noqa: PLR0124


def _raw_list(frames: CoFrames, name: str, today: dt.date) -> pd.DataFrame:
    """The list's rows with ``community_id`` (a resource's: its unit's) and its columns."""
    spec = LISTS[name]
    frame = getattr(frames, spec.frame)
    units = frames.units.set_index("unit_id")
    if name == "resources":
        return frame.assign(
            community_id=frame["unit_id"].map(units["community_id"]),
            unit=frame["unit_id"].map(units["name"]),
        )
    if name == "needs":
        waits = waiting_needs(frames, today).set_index("need_id")
        return frame.assign(
            waiting_since=frame["need_id"].map(waits["waiting_since"]),
            days_waiting=frame["need_id"].map(waits["days_waiting"]),
        )
    if name == "projects":
        return frame.assign(unit=frame["unit_id"].map(units["name"]))
    return frame


_COLUMNS: Final[dict[str, tuple[str, ...]]] = {
    "needs": (
        "need_id", "community", "compound", "kind", "title", "status", "filed_at",
        "waiting_since", "days_waiting", "filed_by",
    ),
    "resources": (
        "resource_id", "unit", "community", "kind", "title", "capacity", "filed_at",
    ),
    "projects": (
        "project_id", "title", "unit", "community", "kind", "status", "paired_at",
        "claimed_at", "started_at", "completed_at", "satisfaction",
    ),
    "wishes": (
        "wish_id", "community", "compound", "title", "poster_name", "status", "posted_at",
        "claimed_by", "completed_at",
    ),
    "volunteer": (
        "volunteer_event_id", "held_on", "community", "compound", "title", "kind",
        "participants", "hours", "organiser",
    ),
}  # fmt: skip
_DATES: Final = frozenset(
    {"filed_at", "waiting_since", "paired_at", "claimed_at", "started_at", "completed_at"}
    | {"posted_at", "held_on"}
)
# numbers sort and export as such: a missing one stays missing (the page shows a dash)
_NUMBERS: Final = frozenset({"days_waiting", "capacity", "participants", "hours"})
EMPTY: Final = ""
"""What a text or date cell without a value shows (a missing number is the page's dash)."""


def _column(
    rows: pd.DataFrame, col: str, context: tuple[ListSpec, dict[str, str], pd.Series], lang: str
) -> list[Any]:
    """The values of one shown column of a list."""
    spec, names, compounds = context
    if col == "community":
        return [names.get(c, c) if isinstance(c, str) else "" for c in rows["community_id"]]
    if col == "compound":
        return [compounds.get(c, "") if isinstance(c, str) else "" for c in rows["compound_id"]]
    enums = {"kind": spec.kind, "status": spec.status, "satisfaction": model.CallbackRating}
    if col in enums:
        return _labels(rows[col], enums[col] or model.CoopKind, lang)
    if col in _DATES:
        return [_day(v) for v in rows[col]]
    if col in _NUMBERS:  # whole days: nullable integers
        return list(rows[col]) if col != "days_waiting" else rows[col].astype("Int64").array
    return [EMPTY if v is None or v != v else v for v in rows[col]]  # noqa: PLR0124


_HELP: Final[dict[str, tuple[str, ...]]] = {"needs": ("waiting_since", "days_waiting")}


def column_help(name: str, lang: str) -> dict[str, str]:
    """The shown headers of list `name` (:data:`LISTS`) that carry a tooltip -> its text:
    the needs list says from when a need waits (filed or last reopened)."""
    return {
        t(f"{_P}col.{col}", lang): t(f"{_P}lists.{col}_help", lang) for col in _HELP.get(name, ())
    }


def list_table(
    frames: CoFrames, name: str, today: dt.date, *, lang: str, filters: ListFilter = ListFilter()
) -> pd.DataFrame:
    """One of the five lists (:data:`LISTS`) as the page shows and downloads it.

    Rows are filtered by `filters` (a resource's community is its unit's), newest first
    (needs: longest waiting first). Headers are translated (``co_building_page.col.*``), and
    so are kinds, statuses and ratings; dates are shown as days, a missing text or date as
    :data:`EMPTY`; numbers stay numbers (a need not waiting has no days). A need waits since
    it was filed or last reopened (``waiting_since``). Wish posters and claimants are as
    :func:`mapgov.domain.cobuild.load` gave them (masked unless the user may see them).
    """
    spec = LISTS[name]
    rows = _raw_list(frames, name, today)
    if filters.communities:
        rows = rows[rows["community_id"].isin(filters.communities)]
    if filters.statuses and spec.status is not None:
        rows = rows[rows["status"].isin(filters.statuses)]
    if filters.kinds and spec.kind is not None:
        rows = rows[rows["kind"].isin(filters.kinds)]
    if name == "needs":
        rows = rows.sort_values(
            ["days_waiting", "filed_at"], ascending=[False, False], na_position="last"
        )
    else:
        first_date = next(c for c in _COLUMNS[name] if c in _DATES)
        rows = rows.sort_values(first_date, ascending=False, kind="stable")
    context = (
        spec,
        community_names(frames, lang),
        frames.compounds.set_index("compound_id")["name"],
    )
    return pd.DataFrame(
        {t(f"{_P}col.{col}", lang): _column(rows, col, context, lang) for col in _COLUMNS[name]}
    )


# -- pickers, the ranking and the history --------------------------------------------------
def open_need_options(
    frames: CoFrames, today: dt.date, *, lang: str, community_id: str | None = None
) -> dict[str, str]:
    """Open needs, longest waiting first: need_id -> "title · community · waiting N days"."""
    waits = waiting_needs(frames, today, community_id=community_id)
    names = community_names(frames, lang)
    return {
        n: t(
            f"{_P}match.option",
            lang,
            title=title,
            community=names.get(c, c),
            days=int(d),
        )
        for n, title, c, d in zip(
            waits["need_id"], waits["title"], waits["community_id"], waits["days_waiting"],
            strict=True,
        )
    }  # fmt: skip


def own_need(
    frames: CoFrames, today: dt.date, *, own: str | None, community_id: str | None = None
) -> str | None:
    """The need the matching panel opens on for a user of community `own`: the longest
    waiting open need of `own` (among those of `community_id`, if given), None when it has
    none (or `own` is None: the panel opens on the street's longest waiting)."""
    if own is None:
        return None
    waits = waiting_needs(frames, today, community_id=community_id)
    mine = waits[waits["community_id"] == own]["need_id"]
    return str(mine.iloc[0]) if len(mine) else None


SCORE_DECIMALS: Final = 2
"""Decimals of a candidate's score, in the ranking table and the unit picker alike."""


def candidate_table(candidates: Sequence[Candidate], *, lang: str) -> pd.DataFrame:
    """The ranking as a table: rank, unit, score (:data:`SCORE_DECIMALS`), distance in
    metres (to 10 m), active projects, then the long texts, resource and reasons in `lang`:
    the figures next to the unit, where a narrow panel shows them without scrolling."""
    c = f"{_P}match.col."
    return pd.DataFrame(
        {
            t(c + "rank", lang): range(1, len(candidates) + 1),
            t(c + "unit", lang): [x.unit_name for x in candidates],
            t(c + "score", lang): [round(x.score, SCORE_DECIMALS) for x in candidates],
            t(c + "distance", lang): [int(round(x.distance_m, -1)) for x in candidates],
            t(c + "active", lang): [x.active_projects for x in candidates],
            t(c + "resource", lang): [x.resource_title for x in candidates],
            t(c + "reasons", lang): [
                t(f"{_P}match.separator", lang).join(reason_text(r, lang) for r in x.reasons)
                for x in candidates
            ],
        }
    )


_RECORDS: Final[dict[model.CoEntity, tuple[str, str, type[StrEnum]]]] = {
    model.CoEntity.PROJECT: ("projects", "project_id", model.ProjectStatus),
    model.CoEntity.NEED: ("needs", "need_id", model.NeedStatus),
    model.CoEntity.WISH: ("wishes", "wish_id", model.WishStatus),
}


def record_options(
    frames: CoFrames,
    entity: model.CoEntity | str,
    *,
    lang: str,
    community_id: str | None = None,
    first: str | None = None,
) -> dict[str, str]:
    """The projects, needs or wishes (of `community_id`, if given) for a picker, by id, those
    of community `first` (the user's own) first: id -> "id · title".

    The texts do not carry the status on purpose: a picker whose option texts change with
    every step would be a new widget after each one and lose the user's choice.
    """
    frame_name, key, _ = _RECORDS[model.CoEntity(entity)]
    rows = getattr(frames, frame_name)
    if community_id is not None:
        rows = rows[rows["community_id"] == community_id]
    rows = rows.assign(_other=rows["community_id"] != first).sort_values(["_other", key])
    return {
        i: t(f"{_P}record.option", lang, id=i, title=title)
        for i, title in zip(rows[key], rows["title"], strict=True)
    }


def timeline_steps(events: pd.DataFrame, entity: model.CoEntity | str, *, lang: str) -> list[Step]:
    """A record's history (:func:`mapgov.domain.cobuild.timeline`) as the page lists it
    (:func:`mapgov.views.markup.history_steps`): its steps and the states of its kind."""
    status = _RECORDS.get(model.CoEntity(entity), (None, None, model.NeedStatus))[2]
    return history_steps(events, actions=model.CoAction, states=status, lang=lang)
