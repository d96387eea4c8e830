"""The life-circle map: buildings coloured by walking access to one kind of facility.

:func:`life_circle_map` draws the life-circle page's folium map on
:func:`mapgov.views.maps.base_map`: buildings green (within reach), red (a gap) or grey (no
residents), the service area along the streets, a straight-line circle for comparison, the
existing facilities and the suggested new sites; :func:`life_circle_legend_rows` is its legend.
The figures it draws come from :mod:`mapgov.views.life_circle`. Texts come translated
(:class:`LifeCircleLabels`) and are HTML-escaped here, like every data value shown.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import folium
import geopandas as gpd
import numpy as np
import pandas as pd

from mapgov.core.errors import ValidationError
from mapgov.views import maps

# -- the life-circle map -------------------------------------------------------------------
__all__ = [
    "CIRCLE_COLOR",
    "COVERED_COLOR",
    "EMPTY_COLOR",
    "FACILITY_COLOR",
    "LIFE_BUILDING_CLASS",
    "ROAD_COLOR",
    "SERVICE_AREA_COLOR",
    "SITE_COLOR",
    "UNCOVERED_COLOR",
    "WATER_COLOR",
    "LifeCircleLabels",
    "life_circle_legend_rows",
    "life_circle_map",
]

COVERED_COLOR: Final = "#1A9850"
"""Fill of a building that reaches the chosen kind in time."""
UNCOVERED_COLOR: Final = "#D73027"
"""Fill of a building that does not (a gap)."""
EMPTY_COLOR: Final = "#D9D6D0"
"""Fill of a building without residents (not counted as a gap)."""
SERVICE_AREA_COLOR: Final = "#4575B4"
CIRCLE_COLOR: Final = "#4D4D4D"
FACILITY_COLOR: Final = "#1F3A93"
SITE_COLOR: Final = "#7B2CBF"
WATER_COLOR: Final = "#BFD9EE"
ROAD_COLOR: Final = "#A8A29A"
LIFE_BUILDING_CLASS: Final = "mapgov-life-building"
"""CSS class of every building polygon of :func:`life_circle_map` (browser tests count them)."""
_LIFE_COMPOUND_LINE: Final = "#8A6D1F"


@dataclass(frozen=True)
class LifeCircleLabels:
    """Translated texts of :func:`life_circle_map` (English defaults; the UI passes the
    catalogue's). They are HTML-escaped by the map, like every data value it shows.

    ``title`` heads the legend (e.g. "Community canteen · 300 m on foot"); ``beyond`` is
    shown as the distance of a building with no facility within the search distance.
    """

    title: str = "Walking access"
    building: str = "Building"
    compound: str = "Compound"
    residents: str = "Residents"
    elderly: str = "Elderly residents"
    distance: str = "Walk to the nearest"
    status: str = "Status"
    covered: str = "Within reach"
    uncovered: str = "Not within reach (gap)"
    no_residents: str = "No residents"
    beyond: str = "farther than the search distance"
    metres: str = "m"
    service_area: str = "Service area along the streets"
    circle: str = "Straight-line circle (for comparison)"
    facility: str = "Existing facility"
    site: str = "Suggested new site"
    added: str = "Residents it would add"
    water: str = "River"
    buildings_layer: str = "Buildings"
    compounds_layer: str = "Compounds"


# Stylers that pickle (not lambdas), so the UI can cache a map.
_life_building_style = maps.Styler(
    {"color": "#4D4D4D", "weight": 1, "fillColor": maps.FILL, "fillOpacity": 0.85}
)
_life_building_highlight = _life_building_style.but(color="#1F2329", weight=3)
_life_compound_style = maps.Styler(
    {
        "color": _LIFE_COMPOUND_LINE,
        "weight": 1.5,
        "dashArray": "5 4",
        "fillColor": _LIFE_COMPOUND_LINE,
        "fillOpacity": 0.04,
    }
)
_service_area_style = maps.Styler(
    {
        "color": SERVICE_AREA_COLOR,
        "weight": 1,
        "opacity": 0.7,
        "fillColor": SERVICE_AREA_COLOR,
        "fillOpacity": 0.18,
    }
)
_water_style = maps.Styler({"stroke": False, "fillColor": WATER_COLOR, "fillOpacity": 0.9})
_road_style = maps.Styler({"color": ROAD_COLOR, "weight": 1.5, "opacity": 0.9})


def _js_text(value: object) -> str:
    """Text safe inside folium's tooltip: HTML-escaped, and no backtick, ``$`` or backslash
    (folium puts tooltip text in a JavaScript template literal)."""
    text = html.escape(str(value))
    return text.replace("`", "&#96;").replace("$", "&#36;").replace("\\", "&#92;")


def _life_status(
    covered: np.ndarray, residents: np.ndarray, labels: LifeCircleLabels
) -> tuple[list[str], list[str]]:
    """Fill colour and status text of each building."""
    fills = np.where(covered, COVERED_COLOR, UNCOVERED_COLOR)
    texts = np.where(covered, labels.covered, labels.uncovered).astype(object)
    empty = residents <= 0
    fills = np.where(empty, EMPTY_COLOR, fills)
    texts[empty] = labels.no_residents
    return fills.tolist(), texts.tolist()


def life_circle_legend_rows(
    labels: LifeCircleLabels | None = None,
    *,
    water: bool = False,
    areas: bool = False,
    circles: bool = False,
    facilities: bool = False,
    sites: bool = False,
) -> list[tuple[str, str]]:
    """(swatch kind, text) of the legend of :func:`life_circle_map`, top to bottom.

    Swatch kinds are ``covered``, ``uncovered``, ``empty``, ``water``, ``area``,
    ``circle``, ``facility`` and ``site``; the texts are not escaped.

    Examples
    --------
    >>> [kind for kind, _ in life_circle_legend_rows(sites=True)]
    ['covered', 'uncovered', 'empty', 'site']
    """
    labels = labels or LifeCircleLabels()
    rows = [
        ("covered", labels.covered),
        ("uncovered", labels.uncovered),
        ("empty", labels.no_residents),
    ]
    if water:
        rows.append(("water", labels.water))
    if areas:
        rows.append(("area", labels.service_area))
    if circles:
        rows.append(("circle", labels.circle))
    if facilities:
        rows.append(("facility", labels.facility))
    if sites:
        rows.append(("site", labels.site))
    return rows


_LIFE_SWATCH = {
    "covered": f"background:{COVERED_COLOR}",
    "uncovered": f"background:{UNCOVERED_COLOR}",
    "empty": f"background:{EMPTY_COLOR}",
    "water": f"background:{WATER_COLOR};border-color:{WATER_COLOR}",
    "area": f"background:{SERVICE_AREA_COLOR}40;border-color:{SERVICE_AREA_COLOR}",
    "circle": f"background:transparent;border:1.5px dashed {CIRCLE_COLOR};border-radius:50%",
    "facility": f"background:{FACILITY_COLOR};border:2px solid #fff;border-radius:50%",
    "site": f"background:{SITE_COLOR};border:2px solid #fff;border-radius:50%",
}
_SITE_ICON = (
    '<div style="transform:translate(-50%,-50%);width:22px;height:22px;border-radius:50%;'
    f"background:{SITE_COLOR};color:#fff;border:2px solid #fff;box-shadow:0 0 3px #333;"
    'font:700 12px/22px sans-serif;text-align:center">{rank}</div>'
)


def _life_legend_rows(rows: list[tuple[str, str]], title: str) -> list[maps.LegendRow]:
    """The legend: `title`, then a swatch of each kind of :func:`life_circle_legend_rows`."""
    base = maps.SWATCH.format(colour="transparent")
    lines = [maps.LegendRow(title, style=maps.HEADING)]
    lines += [
        maps.LegendRow(text, maps.swatch(f"{base};{_LIFE_SWATCH[kind]}")) for kind, text in rows
    ]
    return lines


def _distance_texts(distance: pd.Series, labels: LifeCircleLabels) -> list[str]:
    values = distance.to_numpy(dtype=float)
    return [f"{v:,.0f} {labels.metres}" if np.isfinite(v) else labels.beyond for v in values]


def life_circle_map(
    buildings: gpd.GeoDataFrame,
    *,
    compounds: gpd.GeoDataFrame | None = None,
    facilities: gpd.GeoDataFrame | None = None,
    show_facilities: bool = True,
    service_areas: gpd.GeoDataFrame | None = None,
    circle_m: float | None = None,
    sites: gpd.GeoDataFrame | None = None,
    water: gpd.GeoDataFrame | None = None,
    roads: gpd.GeoDataFrame | None = None,
    labels: LifeCircleLabels | None = None,
    legend_room: float = 0.3,
    more_legend: Sequence[maps.LegendRow] = (),
) -> folium.Map:
    """The life-circle map: buildings coloured by whether they reach one facility kind.

    Layers, bottom to top: water (pale blue, e.g. a river the walk must cross by a bridge),
    the walking network (thin grey lines), service areas along the network (light blue),
    straight-line circles of `circle_m` around the facilities (dashed, for comparison),
    compound outlines,
    buildings (green within reach, red not, grey without residents; tooltip with name,
    compound, residents, elderly, walking distance and status; CSS class
    :data:`LIFE_BUILDING_CLASS`), the facilities (dark blue dots with their name) and the
    suggested sites (purple dots numbered by rank, with the residents each adds). A legend
    lists what is drawn. Everything shown is HTML-escaped here.

    Parameters
    ----------
    buildings
        EPSG:4326; columns ``building_id``, ``label``, ``compound``, ``residents``,
        ``elderly``, ``covered`` (bool) and ``distance_m`` (NaN or inf: beyond the search
        distance), as from :func:`mapgov.views.life_circle.map_buildings`.
    compounds
        EPSG:4326 polygons with ``label``, or ``None``.
    facilities
        EPSG:4326 points with ``label``: the facilities of the kind, or ``None``.
    show_facilities
        Draw the facilities' dots (the circles need `facilities` even when this is off).
    service_areas
        EPSG:4326 polygons (any columns), or ``None``.
    circle_m
        Radius in metres of a circle around every facility, or ``None`` for no circles.
    sites
        EPSG:4326 points with ``rank`` and ``added_residents``, or ``None``.
    water
        EPSG:4326 polygons (any columns), or ``None``.
    roads
        EPSG:4326 lines of the walking network (any columns), or ``None``.
    labels
        Translated texts; English if ``None``.
    legend_room
        Share of the buildings' width left free east of them, so that the legend (bottom
        right) does not cover buildings or sites.
    more_legend
        Lines added at the end of the legend (e.g. the what-if mode's, for a layer added
        to the map later).

    Returns
    -------
    folium.Map
        Built on :func:`maps.base_map` (local Leaflet only, no tiles), fitted to the buildings. It
        holds no lambdas, so it can be pickled (and cached).

    Raises
    ------
    ValidationError
        If a frame is not in EPSG:4326 or lacks a column, or there are no buildings.
    """
    labels = labels or LifeCircleLabels()
    columns = ["building_id", "label", "compound", "residents", "elderly", "covered"]
    data = maps.light_copy(buildings, [*columns, "distance_m"])
    if data.empty:
        msg = "the life-circle map needs at least one building"
        raise ValidationError(msg)
    min_lon, min_lat, max_lon, max_lat = (float(v) for v in data.total_bounds)
    max_lon += max(legend_room, 0.0) * (max_lon - min_lon)
    fmap = maps.base_map(bounds=(min_lon, min_lat, min(max_lon, 180.0), max_lat))
    shown = {
        "water": _plain_layer(fmap, water, labels.water, _water_style),
        "roads": _plain_layer(fmap, roads, "roads", _road_style),
        "areas": _plain_layer(fmap, service_areas, labels.service_area, _service_area_style),
    }
    places = maps.light_copy(facilities, ["label"]) if facilities is not None else None
    shown["circles"] = circle_m is not None and places is not None and not places.empty
    if shown["circles"]:
        _circle_layer(places, float(circle_m), labels.circle).add_to(fmap)  # type: ignore[arg-type]
    if compounds is not None and not compounds.empty:
        outline = maps.light_copy(compounds, ["label"])
        outline["label"] = maps.escaped(outline["label"])
        folium.GeoJson(
            outline,
            name=html.escape(labels.compounds_layer),
            style_function=_life_compound_style,
            tooltip=folium.GeoJsonTooltip(fields=["label"], aliases=[html.escape(labels.compound)]),
        ).add_to(fmap)
    _life_buildings_layer(data, labels).add_to(fmap)
    shown["facilities"] = show_facilities and places is not None and not places.empty
    if shown["facilities"]:
        _facility_layer(places, labels).add_to(fmap)  # type: ignore[arg-type]
    shown["sites"] = sites is not None and not sites.empty
    if shown["sites"]:
        _site_layer(sites, labels).add_to(fmap)  # type: ignore[arg-type]
    rows = life_circle_legend_rows(
        labels,
        water=shown["water"],
        areas=shown["areas"],
        circles=shown["circles"],
        facilities=shown["facilities"],
        sites=shown["sites"],
    )
    lines = [*_life_legend_rows(rows, labels.title), *more_legend]
    maps.MapLegend(maps.legend_html(lines)).add_to(fmap)
    return fmap


def _plain_layer(
    fmap: folium.Map,
    frame: gpd.GeoDataFrame | None,
    name: str,
    style: maps.Styler,
) -> bool:
    """Add `frame`'s shapes as one unclickable layer; False if there is nothing to draw."""
    if frame is None or frame.empty:
        return False
    folium.GeoJson(
        maps.light_copy(frame, []), name=html.escape(name), style_function=style, interactive=False
    ).add_to(fmap)
    return True


def _circle_layer(places: gpd.GeoDataFrame, metres: float, name: str) -> folium.FeatureGroup:
    group = folium.FeatureGroup(name=html.escape(name))
    for point in places.geometry:
        folium.Circle(
            (point.y, point.x),
            radius=metres,
            color=CIRCLE_COLOR,
            weight=1.5,
            dash_array="6 5",
            fill=False,
            interactive=False,
        ).add_to(group)
    return group


def _life_buildings_layer(data: gpd.GeoDataFrame, labels: LifeCircleLabels) -> folium.GeoJson:
    esc = html.escape
    residents = data["residents"].to_numpy(dtype=int)
    fills, status = _life_status(data["covered"].to_numpy(dtype=bool), residents, labels)
    shown = gpd.GeoDataFrame(
        {
            "building_id": data["building_id"].astype(str),
            "label": maps.escaped(data["label"]),
            "compound": maps.escaped(data["compound"]),
            "residents": residents,
            "elderly": data["elderly"].to_numpy(dtype=int),
            "distance": [esc(t) for t in _distance_texts(data["distance_m"], labels)],
            "status": [esc(t) for t in status],
            maps.FILL: fills,
        },
        geometry=data.geometry,
        crs=data.crs,
    )
    fields = ["label", "compound", "residents", "elderly", "distance", "status"]
    aliases = [
        labels.building,
        labels.compound,
        labels.residents,
        labels.elderly,
        labels.distance,
        labels.status,
    ]
    return folium.GeoJson(
        shown,
        name=esc(labels.buildings_layer),
        style_function=_life_building_style,
        highlight_function=_life_building_highlight,
        tooltip=folium.GeoJsonTooltip(fields=fields, aliases=[esc(a) for a in aliases]),
        className=LIFE_BUILDING_CLASS,
    )


def _facility_layer(places: gpd.GeoDataFrame, labels: LifeCircleLabels) -> folium.FeatureGroup:
    group = folium.FeatureGroup(name=html.escape(labels.facility))
    for point, name in zip(places.geometry, places["label"], strict=True):
        folium.CircleMarker(
            (point.y, point.x),
            radius=7,
            color="#FFFFFF",
            weight=2,
            fill=True,
            fill_color=FACILITY_COLOR,
            fill_opacity=1,
            tooltip=folium.Tooltip(_js_text(f"{labels.facility}: {name}")),
        ).add_to(group)
    return group


def _site_layer(sites: gpd.GeoDataFrame, labels: LifeCircleLabels) -> folium.FeatureGroup:
    spots = maps.light_copy(sites, ["rank", "added_residents"])
    group = folium.FeatureGroup(name=html.escape(labels.site))
    for point, rank, added in zip(
        spots.geometry, spots["rank"], spots["added_residents"], strict=True
    ):
        text = f"{labels.site} {int(rank)}: {labels.added} {int(added):,}"
        folium.Marker(
            (point.y, point.x),
            icon=folium.DivIcon(html=_SITE_ICON.format(rank=int(rank)), icon_size=(0, 0)),
            tooltip=folium.Tooltip(_js_text(text)),
        ).add_to(group)
    return group
