"""Map builders: folium maps that work with no internet.

Every folium map starts from :func:`base_map`, which loads Leaflet from the app's own static
folder (:data:`mapgov.io.assets.LEAFLET_URL`) and nothing else: folium's default jQuery, Bootstrap
and Font Awesome links, fetched from public CDNs, are dropped (a GeoJSON map with tooltips
needs none of them; awesome-marker icons and ``keep_in_front`` do, so do not use those). There
is no tile layer unless one is asked for: the map is drawn on a plain light background.

These functions take frames and options and return map objects; they never read the store.
Frames come in EPSG:4326 (as the store returns them). This module holds what every page's map
shares (base map, outline, selection, legend box, light copies); each page's own map sits under
the page's name: :mod:`mapgov.views.issues`, :mod:`mapgov.views.life_circle_map`,
:mod:`mapgov.views.party`, :mod:`mapgov.views.co_building`.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, cast

import folium
import geopandas as gpd
import pandas as pd
import shapely
from branca.element import Figure

from mapgov.core.crs import require_wgs84
from mapgov.core.errors import ValidationError
from mapgov.io.assets import LEAFLET_CSS, LEAFLET_JS, LEAFLET_URL
from mapgov.views.mapcontrols import MapFurniture, MapLegend

__all__ = [
    "BACKGROUND",
    "COORD_DECIMALS",
    "FILL",
    "FILL_COLOR",
    "HEADING",
    "LEGEND_BOX",
    "LEGEND_BOX_LARGE",
    "LINE_COLOR",
    "SELECTION_COLOR",
    "SWATCH",
    "LegendRow",
    "MapFurniture",
    "MapLegend",
    "Styler",
    "base_map",
    "escaped",
    "legend_html",
    "light_copy",
    "outline_layer",
    "remote_resources",
    "selection_layer",
    "swatch",
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


def light_copy(frame: gpd.GeoDataFrame, columns: Sequence[str]) -> gpd.GeoDataFrame:
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
    data = light_copy(frame, tooltip_fields)
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


# -- shared by the page maps ----------------------------------------------------------------
FILL: Final = "_fill"
"""Feature property carrying a polygon's fill colour (read by the pages' stylers)."""
SELECTION_COLOR: Final = "#1F4E9E"


def _selection_style(_feature: dict[str, Any]) -> dict[str, Any]:
    return {"color": SELECTION_COLOR, "weight": 4, "fill": False}


def escaped(values: pd.Series) -> pd.Series:
    """`values` as HTML-escaped text (missing values as empty text), for tooltips and labels."""
    return values.map(lambda v: "" if v is None or v != v else html.escape(str(v)))  # noqa: PLR0124


@dataclass(frozen=True)
class Styler:
    """A folium style function that pickles (a lambda does not, and the UI caches maps).

    Called with a GeoJSON feature it returns `style`, where every value :data:`FILL` is
    replaced by the feature's :data:`FILL` property (its own colour).

    Examples
    --------
    >>> outline = Styler({"color": FILL, "weight": 2})
    >>> outline({"properties": {FILL: "#C8161D"}})
    {'color': '#C8161D', 'weight': 2}
    >>> outline.but(weight=4)({"properties": {FILL: "#C8161D"}})
    {'color': '#C8161D', 'weight': 4}
    """

    style: Mapping[str, Any]

    def __call__(self, feature: dict[str, Any]) -> dict[str, Any]:
        return {
            key: feature["properties"][FILL] if value == FILL else value
            for key, value in self.style.items()
        }

    def but(self, **changes: Any) -> Styler:
        """This style with `changes` (e.g. the highlight of a hovered feature)."""
        return Styler({**self.style, **changes})


# -- the legend box of every page's map -----------------------------------------------------
LEGEND_BOX: Final = (
    "background:rgba(255,255,255,0.92);padding:6px 9px;border-radius:4px;"
    "box-shadow:0 1px 4px rgba(0,0,0,0.3);font:12px/1.5 sans-serif;color:#1F2329"
)
LEGEND_BOX_LARGE: Final = (
    "background:rgba(255,255,255,0.94);padding:7px 10px;border-radius:4px;"
    "box-shadow:0 1px 4px rgba(0,0,0,0.3);font:13px/1.55 sans-serif;color:#1F2329"
)
SWATCH: Final = (
    "display:inline-block;width:14px;height:11px;margin-right:6px;vertical-align:-1px;"
    "border:1px solid #8A8A8A;background:{colour}"
)
"""Inline style of a legend box (:data:`LEGEND_BOX`, or :data:`LEGEND_BOX_LARGE` in a larger
type) and of one colour swatch in it."""
HEADING: Final = "font-weight:bold"
"""Inline style of a heading line of a legend."""


@dataclass(frozen=True)
class LegendRow:
    """One line of a map legend: `lead` (swatches, HTML), then `text` (plain, not escaped).

    A heading is a line without a lead and with `style` :data:`HEADING`.
    """

    text: str
    lead: str = ""
    style: str = ""


def swatch(style: str) -> str:
    """A legend swatch: an empty span with inline `style` (e.g. :data:`SWATCH` formatted)."""
    return f'<span style="{style}"></span>'


def legend_html(rows: Iterable[LegendRow], *, box: str = LEGEND_BOX) -> str:
    """The HTML of a map legend (for :class:`MapLegend`): `rows` top to bottom in a box.

    Every text is HTML-escaped here; the leads are HTML as given.

    Examples
    --------
    >>> rows = [LegendRow("A & B", style=HEADING), LegendRow("red", swatch("color:red"))]
    >>> first, second, *_ = legend_html(rows, box="padding:4px").split("</div>")
    >>> first
    '<div style="padding:4px"><div style="font-weight:bold">A &amp; B'
    >>> second
    '<div><span style="color:red"></span>red'
    """
    parts = [f'<div style="{box}">']
    for row in rows:
        style = f' style="{row.style}"' if row.style else ""
        parts.append(f"<div{style}>{row.lead}{html.escape(row.text)}</div>")
    parts.append("</div>")
    return "".join(parts)


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
    data = light_copy(frame, [])
    if not data.empty:
        folium.GeoJson(data, style_function=_selection_style, interactive=False).add_to(group)
    return group
