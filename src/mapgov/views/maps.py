"""Map builders: folium maps that work with no internet.

Every folium map starts from :func:`base_map`, which loads Leaflet from the app's own static
folder (:data:`mapgov.io.assets.LEAFLET_URL`) and nothing else: folium's default jQuery, Bootstrap
and Font Awesome links, fetched from public CDNs, are dropped (a GeoJSON map with tooltips
needs none of them; awesome-marker icons and ``keep_in_front`` do, so do not use those). There
is no tile layer unless one is asked for: the map is drawn on a plain light background.

These functions take frames and options and return map objects; they never read the store.
Frames come in EPSG:4326 (as the store returns them).
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final, cast

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import Figure

from mapgov.core.crs import require_wgs84
from mapgov.core.errors import ValidationError
from mapgov.io.assets import LEAFLET_CSS, LEAFLET_JS, LEAFLET_URL
from mapgov.views import issues as issuepins
from mapgov.views.mapcontrols import MapFurniture, MapLegend
from mapgov.views.maplabels import FitClear, MapLabels

__all__ = [
    "BACKGROUND",
    "BUILDING_CLASS",
    "FILL_COLOR",
    "HEAT_COLORS",
    "ISSUE_COLORS",
    "LINE_COLOR",
    "NO_OPEN_COLOR",
    "OPEN_BREAKS",
    "OVERDUE_BREAKS",
    "ColourBy",
    "IssueMapLabels",
    "MapFurniture",
    "MapLegend",
    "base_map",
    "issue_classes",
    "issue_map",
    "legend_rows",
    "outline_layer",
    "remote_resources",
    "selection_layer",
    "zoom_for_bounds",
]

BACKGROUND: Final = "#F5F3EF"
"""Plain light background of a map without tiles."""
LINE_COLOR: Final = "#C8161D"
FILL_COLOR: Final = "#C8161D"
MAX_LAT: Final = 85.05112878  # edge of the square Web-Mercator world
COORD_DECIMALS: Final = 6  # about 0.1 m: enough for display, keeps pages light

Bounds = tuple[float, float, float, float]
"""(min_lon, min_lat, max_lon, max_lat), the order of ``GeoDataFrame.total_bounds``."""
LonLat = tuple[float, float]
"""(lon, lat): x before y, as in shapely and GeoPandas (folium itself wants lat, lon)."""


def zoom_for_bounds(
    bounds: Bounds,
    *,
    width_px: int = 900,
    height_px: int = 600,
    padding: float = 0.1,
    tile_px: int = 256,
) -> float:
    """Web-Mercator zoom level at which `bounds` fills a `width_px` × `height_px` view.

    Parameters
    ----------
    bounds
        (min_lon, min_lat, max_lon, max_lat) in degrees.
    width_px, height_px
        Size of the view in CSS pixels.
    padding
        Share of the view left free around the bounds.
    tile_px
        Width of the world at zoom 0: 256 for Leaflet, 512 for deck.gl.

    Returns
    -------
    float
        Zoom level, between 0 and 20.
    """
    min_lon, min_lat, max_lon, max_lat = _check_bounds(bounds)

    def merc_y(lat: float) -> float:
        return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))

    usable = 1 - 2 * padding
    x_span = max((max_lon - min_lon) / 360, 1e-9)
    y_span = max((merc_y(max_lat) - merc_y(min_lat)) / (2 * math.pi), 1e-9)
    zoom = min(
        math.log2(width_px * usable / tile_px / x_span),
        math.log2(height_px * usable / tile_px / y_span),
    )
    return max(0.0, min(20.0, zoom))


def _check_bounds(bounds: Bounds) -> Bounds:
    values = tuple(float(v) for v in bounds)
    if len(values) != 4 or not all(math.isfinite(v) for v in values):
        msg = f"bounds must be four finite numbers (min_lon, min_lat, max_lon, max_lat): {bounds}"
        raise ValidationError(msg)
    min_lon, min_lat, max_lon, max_lat = values
    if not (-180 <= min_lon <= max_lon <= 180 and -MAX_LAT <= min_lat <= max_lat <= MAX_LAT):
        msg = f"bounds {bounds} are not (min_lon, min_lat, max_lon, max_lat) in degrees"
        raise ValidationError(msg)
    return min_lon, min_lat, max_lon, max_lat


def _center_of(bounds: Bounds | None, center: LonLat | None) -> LonLat:
    if center is not None:
        return float(center[0]), float(center[1])
    if bounds is not None:
        min_lon, min_lat, max_lon, max_lat = _check_bounds(bounds)
        return (min_lon + max_lon) / 2, (min_lat + max_lat) / 2
    msg = "give the map either bounds or a center"
    raise ValidationError(msg)


def base_map(
    *,
    bounds: Bounds | None = None,
    center: LonLat | None = None,
    zoom: int = 15,
    tiles: str | folium.TileLayer | None = None,
    attribution: str | None = None,
    background: str = BACKGROUND,
    leaflet_url: str = LEAFLET_URL,
    height: str | int = "100%",
) -> folium.Map:
    """An empty folium map that loads only the app's own Leaflet.

    Parameters
    ----------
    bounds
        Area to fit, (min_lon, min_lat, max_lon, max_lat); wins over `zoom`.
    center
        (lon, lat) of the initial view when `bounds` is not given.
    zoom
        Initial zoom when fitting no bounds.
    tiles
        A tile layer (URL template, folium name or :class:`folium.TileLayer`); the default
        ``None`` draws no basemap. Remote tiles need the internet, and Gaode tiles the GCJ-02
        shift (see docs/domain.md).
    attribution
        Attribution of a custom tile URL.
    background
        CSS colour behind the layers.
    leaflet_url
        URL folder holding ``leaflet.js`` and ``leaflet.css``.
    height
        Height of the map element (CSS or pixels).

    Returns
    -------
    folium.Map
        Its ``default_js`` / ``default_css`` are Leaflet at `leaflet_url`, nothing else.

    Raises
    ------
    ValidationError
        If neither `bounds` nor `center` is given, or the bounds are not in degrees.
    """
    lon, lat = _center_of(bounds, center)
    fmap = folium.Map(
        location=(lat, lon),
        zoom_start=zoom,
        tiles=tiles,
        attr=attribution,
        height=height,
        control_scale=False,  # MapFurniture draws it in metres only
        # Without tiles a fractional zoom costs nothing and lets bounds fill the view.
        zoom_snap=1 if tiles is not None else 0.25,
    )
    # Instance lists: add_js_link() would otherwise change folium's class-wide defaults.
    fmap.default_js = [("leaflet", f"{leaflet_url}/{LEAFLET_JS}")]
    fmap.default_css = [("leaflet_css", f"{leaflet_url}/{LEAFLET_CSS}")]
    style = f"<style>.leaflet-container {{ background: {background}; }}</style>"
    root = cast(Figure, fmap.get_root())
    root.header.add_child(folium.Element(style), name="mapgov_background")
    fmap.add_child(MapFurniture())
    if bounds is not None:
        min_lon, min_lat, max_lon, max_lat = _check_bounds(bounds)
        fmap.fit_bounds([[min_lat, min_lon], [max_lat, max_lon]])
    return fmap


def _light_copy(frame: gpd.GeoDataFrame, columns: Sequence[str]) -> gpd.GeoDataFrame:
    """Only `columns` plus geometry, coordinates rounded to :data:`COORD_DECIMALS`."""
    require_wgs84(frame)
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        msg = f"frame has no column(s) {', '.join(missing)}"
        raise ValidationError(msg)
    geoms = shapely.set_precision(frame.geometry.to_numpy(), 10.0**-COORD_DECIMALS)
    return gpd.GeoDataFrame(
        frame[list(columns)].reset_index(drop=True), geometry=list(geoms), crs=frame.crs
    )


def outline_layer(
    frame: gpd.GeoDataFrame,
    *,
    name: str,
    tooltip_fields: Sequence[str] = (),
    tooltip_aliases: Sequence[str] | None = None,
    color: str = LINE_COLOR,
    fill_color: str = FILL_COLOR,
    fill_opacity: float = 0.08,
    weight: float = 2,
) -> folium.GeoJson:
    """Polygons of `frame` as one folium GeoJSON layer with hover tooltips.

    Parameters
    ----------
    frame
        Polygons in EPSG:4326. Only `tooltip_fields` and the geometry are sent to the browser.
    name
        Layer name (shown in a layer control).
    tooltip_fields
        Columns shown on hover.
    tooltip_aliases
        Labels of those columns (translated by the caller); default the column names.
    color, fill_color, fill_opacity, weight
        Outline and fill style.

    Returns
    -------
    folium.GeoJson
        Add it to a map from :func:`base_map`.

    Raises
    ------
    ValidationError
        If `frame` is not in EPSG:4326 or lacks a tooltip column.
    """
    data = _light_copy(frame, tooltip_fields)
    style = {"color": color, "weight": weight, "fillColor": fill_color, "fillOpacity": fill_opacity}
    tooltip = None
    if tooltip_fields:
        aliases = list(tooltip_aliases) if tooltip_aliases is not None else list(tooltip_fields)
        tooltip = folium.GeoJsonTooltip(fields=list(tooltip_fields), aliases=aliases)
    return folium.GeoJson(
        data,
        name=name,
        style_function=lambda _feature: style,
        highlight_function=lambda _feature: {**style, "weight": weight + 2},
        tooltip=tooltip,
    )


_TAG = re.compile(r"<(script|link|img|iframe)\b[^>]*>", re.IGNORECASE)
_URL_ATTR = re.compile(r"\b(?:src|href)\s*=\s*[\"']?([^\"'\s>]+)", re.IGNORECASE)


def remote_resources(html: str) -> list[str]:
    """URLs of scripts, stylesheets, images and frames that `html` loads from another host.

    Anything absolute (``http://``, ``https://``) or protocol-relative (``//host``) counts;
    paths on the app's own server (``/app/static/...``) do not.

    Examples
    --------
    >>> remote_resources('<script src="https://cdn.example/x.js"></script>'
    ...                  '<link rel="stylesheet" href="/app/static/leaflet/leaflet.css"/>')
    ['https://cdn.example/x.js']
    """
    urls = []
    for tag in _TAG.finditer(html):
        for url in _URL_ATTR.findall(tag.group(0)):
            if re.match(r"^(?:[a-z][a-z0-9+.-]*:)?//", url, re.IGNORECASE):
                urls.append(url)
    return urls


# -- the issue map -------------------------------------------------------------------------
class ColourBy(StrEnum):
    """What the building fills of :func:`issue_map` show."""

    OPEN = "open"
    """Number of open (not closed) issues."""
    OVERDUE_SHARE = "overdue_share"
    """Share of the open issues that are past their deadline."""


ISSUE_COLORS: Final = ("#D9E8D2", "#FDCC8A", "#FC8D59", "#E34A33", "#B30000")
"""Building fills by open count, calm to alarming (class 0: nothing open)."""
OVERDUE_COLORS: Final = ("#D9E8D2", "#FDCC8A", "#FC8D59", "#B30000")
"""Building fills by overdue share: none, under half, half or more, all overdue."""
NO_OPEN_COLOR: Final = "#E3E1DC"
"""Fill of a building with nothing open, when colouring by overdue share."""
OPEN_BREAKS: Final = (1, 2, 3, 5)
"""Lowest open count of the classes 1 … 4 (class 0 is "nothing open")."""
OVERDUE_BREAKS: Final = (0.5, 1.0)
"""Overdue share: 0 is class 0, (0, 0.5) class 1, [0.5, 1) class 2, 1 class 3."""
HEAT_COLORS: Final = ("#EDF8FB", "#B3CDE3", "#8C96C6", "#8856A7", "#810F7C")
"""Heat cells, few to many issues (blue-purple, apart from the buildings' reds)."""
COMPOUND_LINE: Final = "#8A6D1F"
SELECTION_COLOR: Final = "#1F4E9E"
BUILDING_CLASS: Final = "mapgov-building"
"""CSS class of every building polygon (browser tests click ``path.mapgov-building``)."""
_FILL: Final = "_fill"  # feature property carrying the fill colour (read by the stylers)


@dataclass(frozen=True)
class IssueMapLabels:
    """Translated texts of :func:`issue_map` (English defaults; the UI passes the catalogue's).

    They are HTML-escaped by :func:`issue_map`, like every data value it shows.
    """

    building: str = "Building"
    compound: str = "Compound"
    open: str = "Open issues"
    overdue: str = "Overdue"
    legend_open: str = "Open issues per building"
    legend_overdue_share: str = "Share of open issues overdue"
    no_open: str = "Nothing open"
    heat: str = "Issue heat"
    heat_legend: str = "Issues per cell: {low}–{high}"
    buildings_layer: str = "Buildings"
    compounds_layer: str = "Compounds"
    names_layer: str = "Compound names"
    pins_layer: str = "Open issues (pins)"
    legend_pins: str = "Open issues, by status"
    category: str = "Category"
    status: str = "Status"
    days: str = "Days open"


def issue_classes(
    open_counts: Sequence[int] | pd.Series,
    overdue_counts: Sequence[int] | pd.Series,
    *,
    colour_by: ColourBy | str = ColourBy.OPEN,
) -> np.ndarray:
    """Colour class of each building: an index into :func:`legend_rows`.

    Parameters
    ----------
    open_counts, overdue_counts
        Open and overdue issues per building (overdue issues are open ones).
    colour_by
        :attr:`ColourBy.OPEN`: classes 0 … 4 by :data:`OPEN_BREAKS`.
        :attr:`ColourBy.OVERDUE_SHARE`: 0 for nothing open, then 1 … 4 for none, under half,
        half or more, and all of the open issues overdue.

    Returns
    -------
    numpy.ndarray
        Integer classes, one per building.

    Examples
    --------
    >>> issue_classes([0, 1, 2, 3, 4, 9], [0] * 6).tolist()
    [0, 1, 2, 3, 3, 4]
    >>> issue_classes([0, 4, 4, 4, 4], [0, 0, 1, 2, 4], colour_by="overdue_share").tolist()
    [0, 1, 2, 3, 4]
    """
    opened = np.asarray(open_counts, dtype=float)
    overdue = np.asarray(overdue_counts, dtype=float)
    if ColourBy(colour_by) is ColourBy.OPEN:
        return np.searchsorted(np.asarray(OPEN_BREAKS, dtype=float), opened, side="right")
    share = np.divide(overdue, opened, out=np.zeros_like(opened), where=opened > 0)
    half, whole = OVERDUE_BREAKS
    return np.select(
        [opened <= 0, share <= 0, share < half, share < whole],
        [0, 1, 2, 3],
        default=4,
    )


def legend_rows(
    colour_by: ColourBy | str, labels: IssueMapLabels | None = None
) -> list[tuple[str, str]]:
    """(colour, text) of every class of :func:`issue_classes`, in class order (not escaped).

    Examples
    --------
    >>> [text for _, text in legend_rows("open")]
    ['0', '1', '2', '3–4', '≥ 5']
    >>> [text for _, text in legend_rows("overdue_share")]
    ['Nothing open', '0%', '1–49%', '50–99%', '100%']
    """
    labels = labels or IssueMapLabels()
    if ColourBy(colour_by) is ColourBy.OPEN:
        texts = ["0"]
        for low, high in zip(OPEN_BREAKS, (*OPEN_BREAKS[1:], None), strict=True):
            if high is None:
                texts.append(f"≥ {low}")
            elif high - low == 1:
                texts.append(str(low))
            else:
                texts.append(f"{low}–{high - 1}")
        return list(zip(ISSUE_COLORS, texts, strict=True))
    half = round(OVERDUE_BREAKS[0] * 100)
    texts = ["0%", f"1–{half - 1}%", f"{half}–99%", "100%"]
    return [(NO_OPEN_COLOR, labels.no_open), *zip(OVERDUE_COLORS, texts, strict=True)]


def _class_colours(classes: np.ndarray, colour_by: ColourBy) -> list[str]:
    palette = [colour for colour, _ in legend_rows(colour_by)]
    return [palette[int(c)] for c in classes]


# Module-level stylers (not lambdas): a map built from them pickles, so the UI can cache it.
def _building_style(feature: dict[str, Any]) -> dict[str, Any]:
    fill = feature["properties"][_FILL]
    return {"color": "#5B5B5B", "weight": 1, "fillColor": fill, "fillOpacity": 0.85}


def _building_highlight(feature: dict[str, Any]) -> dict[str, Any]:
    return {**_building_style(feature), "color": "#1F2329", "weight": 3}


def _compound_style(_feature: dict[str, Any]) -> dict[str, Any]:
    return {
        "color": COMPOUND_LINE,
        "weight": 2,
        "dashArray": "6 4",
        "fillColor": COMPOUND_LINE,
        "fillOpacity": 0.06,
    }


def _compound_highlight(feature: dict[str, Any]) -> dict[str, Any]:
    return {**_compound_style(feature), "weight": 3, "fillOpacity": 0.12}


def _heat_style(feature: dict[str, Any]) -> dict[str, Any]:
    fill = feature["properties"][_FILL]
    return {"stroke": False, "fillColor": fill, "fillOpacity": 0.55}


def _selection_style(_feature: dict[str, Any]) -> dict[str, Any]:
    return {"color": SELECTION_COLOR, "weight": 4, "fill": False}


def _escaped(values: pd.Series) -> pd.Series:
    return values.map(lambda v: "" if v is None or v != v else html.escape(str(v)))  # noqa: PLR0124


_LEGEND_BOX = (
    "background:rgba(255,255,255,0.92);padding:6px 9px;border-radius:4px;"
    "box-shadow:0 1px 4px rgba(0,0,0,0.3);font:12px/1.5 sans-serif;color:#1F2329"
)
_SWATCH = (
    "display:inline-block;width:14px;height:11px;margin-right:6px;vertical-align:-1px;"
    "border:1px solid #8A8A8A;background:{colour}"
)


def _legend_html(
    colour_by: ColourBy, labels: IssueMapLabels, heat_range: tuple[int, int] | None
) -> str:
    title = labels.legend_open if colour_by is ColourBy.OPEN else labels.legend_overdue_share
    parts = [f'<div style="{_LEGEND_BOX}"><b>{html.escape(title)}</b>']
    for colour, text in legend_rows(colour_by, labels):
        swatch = _SWATCH.format(colour=colour)
        parts.append(f'<div><span style="{swatch}"></span>{html.escape(text)}</div>')
    if heat_range is not None:
        ramp = "".join(
            f'<span style="{_SWATCH.format(colour=c)};margin-right:0"></span>' for c in HEAT_COLORS
        )
        low, high = heat_range
        text = labels.heat_legend.format(low=low, high=high)
        parts.append(f'<div style="margin-top:4px">{ramp}<br>{html.escape(text)}</div>')
    parts.append("</div>")
    return "".join(parts)


def _heat_classes(counts: pd.Series) -> np.ndarray:
    top = max(float(counts.max()), 1.0)
    steps = np.ceil(counts.to_numpy(dtype=float) / top * len(HEAT_COLORS)).astype(int) - 1
    return np.clip(steps, 0, len(HEAT_COLORS) - 1)


def issue_map(
    buildings: gpd.GeoDataFrame,
    compounds: gpd.GeoDataFrame,
    *,
    colour_by: ColourBy | str = ColourBy.OPEN,
    heat: gpd.GeoDataFrame | None = None,
    pins: gpd.GeoDataFrame | None = None,
    labels: IssueMapLabels | None = None,
) -> folium.Map:
    """The issue map of a community: buildings coloured by their issues, compounds outlined.

    Layers, bottom to top: compounds (dashed outline, hover tooltip with the name), the heat
    cells if given (not clickable, so clicks reach what lies beneath), buildings (fill by
    :func:`issue_classes`, tooltip with name, open and overdue counts, CSS class
    :data:`BUILDING_CLASS`), a pin per open issue if `pins` are given (coloured by status,
    :mod:`mapgov.views.issues`), and compound names placed without overlap
    (:class:`mapgov.views.maplabels.MapLabels`, larger compounds first). A legend box and a layer
    control (to switch the heat, the pins and the names off) sit on the map. Everything shown is
    HTML-escaped here: names come from data files and people's typing.

    Parameters
    ----------
    buildings
        EPSG:4326; columns ``building_id``, ``label`` (the name to show), ``open`` and
        ``overdue`` (counts). Only these columns and the geometry reach the browser.
    compounds
        EPSG:4326; columns ``compound_id`` and ``label``.
    colour_by
        Open count or overdue share (:class:`ColourBy`).
    heat
        Issue cells, EPSG:4326 polygons with a ``count`` column, or ``None`` for no heat layer.
    pins
        :func:`mapgov.views.issues.open_issue_pins`, or ``None`` for no pins.
    labels
        Translated texts; English if ``None``.

    Returns
    -------
    folium.Map
        Built on :func:`base_map` (local Leaflet only), fitted to the compounds (or the
        buildings) as tightly as the legend allows (:class:`mapgov.views.maplabels.FitClear`).
        It holds no lambdas, so it can be pickled (and cached).

    Raises
    ------
    ValidationError
        If a frame is not in EPSG:4326, lacks a column, or there is nothing to draw.
    """
    colour_by = ColourBy(colour_by)
    labels = labels or IssueMapLabels()
    building_data = _light_copy(buildings, ["building_id", "label", "open", "overdue"])
    compound_data = _light_copy(compounds, ["compound_id", "label"])
    extent = compound_data if not compound_data.empty else building_data
    if extent.empty:
        msg = "the issue map needs at least one compound or building"
        raise ValidationError(msg)
    west, south, east, north = (float(v) for v in extent.total_bounds)
    fmap = base_map(center=((west + east) / 2, (south + north) / 2))
    esc = html.escape
    if not compound_data.empty:
        compound_data["label"] = _escaped(compound_data["label"])
        folium.GeoJson(
            compound_data,
            name=esc(labels.compounds_layer),
            style_function=_compound_style,
            highlight_function=_compound_highlight,
            tooltip=folium.GeoJsonTooltip(fields=["label"], aliases=[esc(labels.compound)]),
        ).add_to(fmap)
    heat_range = None
    if heat is not None and not heat.empty:
        cells = _light_copy(heat, ["count"])
        cells[_FILL] = [HEAT_COLORS[c] for c in _heat_classes(cells["count"])]
        heat_range = (int(cells["count"].min()), int(cells["count"].max()))
        folium.GeoJson(
            cells, name=esc(labels.heat), style_function=_heat_style, interactive=False
        ).add_to(fmap)
    if not building_data.empty:
        classes = issue_classes(
            building_data["open"], building_data["overdue"], colour_by=colour_by
        )
        building_data[_FILL] = _class_colours(classes, colour_by)
        building_data["label"] = _escaped(building_data["label"])
        building_data[["open", "overdue"]] = building_data[["open", "overdue"]].astype(int)
        folium.GeoJson(
            building_data,
            name=esc(labels.buildings_layer),
            style_function=_building_style,
            highlight_function=_building_highlight,
            tooltip=folium.GeoJsonTooltip(
                fields=["label", "open", "overdue"],
                aliases=[esc(labels.building), esc(labels.open), esc(labels.overdue)],
            ),
            className=BUILDING_CLASS,
        ).add_to(fmap)
    legend = _legend_html(colour_by, labels, heat_range)
    if pins is not None and not pins.empty:
        issuepins.pin_layer(
            pins,
            name=labels.pins_layer,
            category=labels.category,
            status=labels.status,
            days=labels.days,
        ).add_to(fmap)
        names = dict(zip(pins["status"], pins["status_text"], strict=True))
        legend = legend[: -len("</div>")] + issuepins.pin_legend_html(labels.legend_pins, names)
    if not compound_data.empty:
        points = shapely.point_on_surface(compound_data.geometry.to_numpy())
        area = shapely.area(compound_data.geometry.to_numpy())  # in degrees²: an order only
        MapLabels(
            shapely.get_x(points),
            shapely.get_y(points),
            [str(v) for v in compounds["label"].fillna("")],
            list(area),
            name=esc(labels.names_layer),
        ).add_to(fmap)
    MapLegend(legend).add_to(fmap)
    # after the legend: the fit keeps it off the compounds (or buildings)
    FitClear((west, south, east, north), extent.geometry.bounds.to_numpy()).add_to(fmap)
    folium.LayerControl(collapsed=True).add_to(fmap)
    return fmap


def selection_layer(frame: gpd.GeoDataFrame, *, name: str = "selection") -> folium.FeatureGroup:
    """A thick, unclickable outline of the chosen building or compound.

    Meant for ``st_folium(feature_group_to_add=...)``, which adds it to a map already on the
    page without redrawing that map (so the view stays where the user left it).

    Parameters
    ----------
    frame
        The polygons to outline, EPSG:4326 (any columns; only the geometry is sent).
    name
        Layer name.

    Raises
    ------
    ValidationError
        If `frame` is not in EPSG:4326.
    """
    group = folium.FeatureGroup(name=html.escape(name), control=False)
    data = _light_copy(frame, [])
    if not data.empty:
        folium.GeoJson(data, style_function=_selection_style, interactive=False).add_to(group)
    return group


# -- the life-circle map -------------------------------------------------------------------
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


def _life_building_style(feature: dict[str, Any]) -> dict[str, Any]:
    fill = feature["properties"][_FILL]
    return {"color": "#4D4D4D", "weight": 1, "fillColor": fill, "fillOpacity": 0.85}


def _life_building_highlight(feature: dict[str, Any]) -> dict[str, Any]:
    return {**_life_building_style(feature), "color": "#1F2329", "weight": 3}


def _life_compound_style(_feature: dict[str, Any]) -> dict[str, Any]:
    return {
        "color": _LIFE_COMPOUND_LINE,
        "weight": 1.5,
        "dashArray": "5 4",
        "fillColor": _LIFE_COMPOUND_LINE,
        "fillOpacity": 0.04,
    }


def _service_area_style(_feature: dict[str, Any]) -> dict[str, Any]:
    return {
        "color": SERVICE_AREA_COLOR,
        "weight": 1,
        "opacity": 0.7,
        "fillColor": SERVICE_AREA_COLOR,
        "fillOpacity": 0.18,
    }


def _water_style(_feature: dict[str, Any]) -> dict[str, Any]:
    return {"stroke": False, "fillColor": WATER_COLOR, "fillOpacity": 0.9}


def _road_style(_feature: dict[str, Any]) -> dict[str, Any]:
    return {"color": ROAD_COLOR, "weight": 1.5, "opacity": 0.9}


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


def _life_legend_html(rows: list[tuple[str, str]], title: str) -> str:
    parts = [f'<div style="{_LEGEND_BOX}"><b>{html.escape(title)}</b>']
    for kind, text in rows:
        swatch = _SWATCH.format(colour="transparent") + ";" + _LIFE_SWATCH[kind]
        parts.append(f'<div><span style="{swatch}"></span>{html.escape(text)}</div>')
    parts.append("</div>")
    return "".join(parts)


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

    Returns
    -------
    folium.Map
        Built on :func:`base_map` (local Leaflet only, no tiles), fitted to the buildings. It
        holds no lambdas, so it can be pickled (and cached).

    Raises
    ------
    ValidationError
        If a frame is not in EPSG:4326 or lacks a column, or there are no buildings.
    """
    labels = labels or LifeCircleLabels()
    columns = ["building_id", "label", "compound", "residents", "elderly", "covered"]
    data = _light_copy(buildings, [*columns, "distance_m"])
    if data.empty:
        msg = "the life-circle map needs at least one building"
        raise ValidationError(msg)
    min_lon, min_lat, max_lon, max_lat = (float(v) for v in data.total_bounds)
    max_lon += max(legend_room, 0.0) * (max_lon - min_lon)
    fmap = base_map(bounds=(min_lon, min_lat, min(max_lon, 180.0), max_lat))
    shown = {
        "water": _plain_layer(fmap, water, labels.water, _water_style),
        "roads": _plain_layer(fmap, roads, "roads", _road_style),
        "areas": _plain_layer(fmap, service_areas, labels.service_area, _service_area_style),
    }
    places = _light_copy(facilities, ["label"]) if facilities is not None else None
    shown["circles"] = circle_m is not None and places is not None and not places.empty
    if shown["circles"]:
        _circle_layer(places, float(circle_m), labels.circle).add_to(fmap)  # type: ignore[arg-type]
    if compounds is not None and not compounds.empty:
        outline = _light_copy(compounds, ["label"])
        outline["label"] = _escaped(outline["label"])
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
    MapLegend(_life_legend_html(rows, labels.title)).add_to(fmap)
    return fmap


def _plain_layer(
    fmap: folium.Map,
    frame: gpd.GeoDataFrame | None,
    name: str,
    style: Any,
) -> bool:
    """Add `frame`'s shapes as one unclickable layer; False if there is nothing to draw."""
    if frame is None or frame.empty:
        return False
    folium.GeoJson(
        _light_copy(frame, []), name=html.escape(name), style_function=style, interactive=False
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
            "label": _escaped(data["label"]),
            "compound": _escaped(data["compound"]),
            "residents": residents,
            "elderly": data["elderly"].to_numpy(dtype=int),
            "distance": [esc(t) for t in _distance_texts(data["distance_m"], labels)],
            "status": [esc(t) for t in status],
            _FILL: fills,
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
    spots = _light_copy(sites, ["rank", "added_residents"])
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


# Appended with the life-circle map (the names above keep their own list).
__all__ += [
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
