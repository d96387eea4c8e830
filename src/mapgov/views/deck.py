"""pydeck (deck.gl) maps of the wall screen: dark, tile-free and light to send.

The wall map is drawn on a dark background with no basemap: the street's own land use
(river, parks), roads and community outlines are the background. On top: compounds coloured
by a figure, buildings extruded by their floors (3 m a floor), the issues of the last 30 days
as hexagonal columns (binned here, so a few hundred cells travel instead of the points) and
the facilities as circles with a one-character glyph (no icon images, nothing from a CDN).

Few layer types, on purpose: in a browser without a GPU (a headless test, a kiosk PC with
software WebGL) every layer type adds its shader setup to the first frame (0.3 to 2 s each
on a loaded 2-core machine, see docs/benchmarks.md). The hexagon
columns are extruded polygons like the buildings (not a ColumnLayer), and community names
and facility glyphs share one TextLayer.

Everything is sent as compact JSON (:class:`CompactDeck`: no indentation, coordinates rounded
to 6 decimals, polygons without their repeated closing vertex, short property names), and
every layer has a stable id (Streamlit matches layers by id and deck.gl updates a layer with
the same id in place, so a data refresh does not redraw the map from scratch).

Without a basemap the deck keeps pydeck's ``mapStyle`` placeholder, which Streamlit drops,
so neither Streamlit nor deck.gl fetches a style (``map_style=None`` would make Streamlit load
a CARTO style from the internet). An optional basemap style
URL adds online tiles under the layers; offline its request fails and the layers still draw.

Metric scales and colours, geometry rows and the hexagon bins are in
:mod:`mapgov.views.deck_data`. Pure functions: frames in (EPSG:4326), pydeck objects out; no
store, no Streamlit.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

import geopandas as gpd
import numpy as np
import pandas as pd
import pydeck as pdk
import shapely
from pydeck.bindings.json_tools import default_serialize

from mapgov.core.crs import require_wgs84
from mapgov.views.deck_data import (
    _BG_RGBA,
    COORD_DECIMALS,
    METRICS,
    RGBA,
    _buffered,
    _disc_rows,
    _points,
    hex_bins,
    metres_per_pixel,
    metric_colours,
    polygon_parts,
    polygon_rows,
)
from mapgov.views.maps import Bounds, zoom_for_bounds

__all__ = [
    "BACKGROUND",
    "CARTO_DARK",
    "CONTROLLER",
    "FACILITY_COLOURS",
    "FACILITY_RADIUS_PX",
    "FLOOR_HEIGHT_M",
    "HEAT_COLOURS",
    "ISSUE_COVERAGE",
    "ISSUE_MAX_HEIGHT_M",
    "LAYER_IDS",
    "METRICS",
    "CompactDeck",
    "DeckJson",
    "WallMapData",
    "hex_rings",
    "remote_urls",
    "wall_deck",
    "wall_view",
]

FLOOR_HEIGHT_M: Final = 3.0

ISSUE_MAX_HEIGHT_M: Final = 220.0
"""Height of the busiest hexagon's column (the others in proportion to their counts)."""

ISSUE_COVERAGE: Final = 0.5
"""Share of a hexagon's radius that its column fills (thin columns hide fewer buildings)."""

CONTROLLER: Final = {"scrollZoom": False}
"""How a person moves the wall map (deck.gl's controller): dragging pans, Ctrl-drag tilts, a
double click zooms in and Shift with it out; the mouse wheel scrolls the page, not the map (a
wheel over the map beside the sidebar zoomed it, and the page would not scroll past it)."""

BACKGROUND: Final = "#0B1426"
"""Colour behind the layers (the page paints it; the deck itself is transparent)."""

CARTO_DARK: Final = "https://basemaps.cartocdn.com/gl/dark-matter-gl-style/style.json"
"""The optional online basemap (CARTO Dark Matter, no key needed)."""

LAYER_IDS: Final = (
    "wall-landuse",
    "wall-roads",
    "wall-compounds",
    "wall-communities",
    "wall-buildings",
    "wall-issues",
    "wall-facilities",
    "wall-labels",
)
"""Layer ids, bottom to top."""

FACILITY_COLOURS: Final[dict[str, RGBA]] = {
    "party_service_center": (248, 113, 113, 255),
    "canteen": (251, 146, 60, 255),
    "clinic": (45, 212, 191, 255),
    "kindergarten": (244, 114, 182, 255),
    "primary_school": (96, 165, 250, 255),
    "elderly_care": (192, 132, 252, 255),
    "market": (74, 222, 128, 255),
    "sports_culture": (250, 204, 21, 255),
    "convenience_service": (203, 213, 225, 255),
}

_ROAD_STYLE: Final[dict[str, tuple[float, RGBA]]] = {  # width in metres, colour
    "arterial": (16.0, (88, 112, 152, 255)),
    "secondary": (11.0, (76, 98, 136, 255)),
    "branch": (7.0, (64, 84, 118, 255)),
    "bridge": (14.0, (104, 132, 178, 255)),
    "gate_link": (3.0, (48, 64, 94, 255)),
    "path": (3.0, (48, 64, 94, 255)),
}

_MINOR_ROADS: Final = frozenset({"gate_link", "path"})

_LANDUSE_COLOURS: Final[dict[str, RGBA]] = {"water": (22, 64, 112, 255), "park": (20, 62, 48, 255)}
_LANDUSE_OTHER: Final[RGBA] = (32, 42, 66, 255)
"""Land of any other use (school, service, market)."""

_BUILDING_COLOUR: Final[RGBA] = (178, 196, 222, 235)

_COMMUNITY_LINE: Final[RGBA] = (94, 200, 250, 200)

_COMMUNITY_FOCUS: Final[RGBA] = (125, 249, 255, 255)

HEAT_COLOURS: Final[tuple[RGBA, ...]] = (
    (125, 211, 252, 200),
    (167, 139, 250, 210),
    (232, 121, 249, 215),
    (244, 63, 94, 225),
    (225, 29, 72, 235),
)

_TEXT_FONT: Final = '"Noto Sans CJK SC", "Noto Sans CJK", "Source Han Sans SC", sans-serif'

_LABEL_COLOUR: Final[RGBA] = (230, 238, 248, 255)

_ON_TOP: Final = {"depthCompare": "always", "depthWriteEnabled": False}

_URL = re.compile(r"\b(?:https?:)?//[A-Za-z0-9.-]+\.[A-Za-z]{2,}", re.IGNORECASE)


# -- colours by figure ---------------------------------------------------------------------


# -- the deck ------------------------------------------------------------------------------
class CompactDeck(pdk.Deck):
    """A pydeck Deck whose JSON has no indentation (pydeck indents by two spaces, which
    doubles the size of coordinate lists) and refuses NaN (not valid JSON)."""

    def to_json(self) -> str:
        """The deck as compact JSON, keys sorted (the same deck gives the same text)."""
        return json.dumps(
            self,
            sort_keys=True,
            default=default_serialize,
            separators=(",", ":"),
            ensure_ascii=False,
            allow_nan=False,
        )


@dataclass(frozen=True)
class DeckJson:
    """A deck already written as JSON: what ``st.pydeck_chart`` reads of a deck, and no more.

    A page that draws the same deck again (the wall screen at every visit and refresh) keeps
    this in its cache instead of building the deck from its frames and writing its JSON each
    time. ``st.pydeck_chart`` takes it as it takes a ``pydeck.Deck``: it calls
    :meth:`to_json`, and reads the tooltip from ``_tooltip`` (pydeck's own attribute name).

    Attributes
    ----------
    text
        The deck's JSON (:meth:`CompactDeck.to_json`).
    tooltip
        The deck's tooltip (``False``: none).

    Examples
    --------
    >>> deck = CompactDeck(layers=[], tooltip={"html": "<b>{n}</b>"}, map_provider=None)
    >>> frozen = DeckJson.of(deck)
    >>> frozen.to_json() == deck.to_json(), frozen._tooltip
    (True, {'html': '<b>{n}</b>'})
    """

    text: str
    tooltip: dict[str, Any] | bool = False

    @classmethod
    def of(cls, deck: pdk.Deck) -> DeckJson:
        """The JSON and tooltip of `deck`."""
        return cls(deck.to_json(), getattr(deck, "_tooltip", False))

    def to_json(self) -> str:
        """The deck's JSON, as written when it was frozen."""
        return self.text

    @property
    def _tooltip(self) -> dict[str, Any] | bool:
        return self.tooltip


def remote_urls(text: str) -> list[str]:
    """Absolute URLs (``http(s)://host`` or ``//host``) in a deck's JSON or any text.

    Examples
    --------
    >>> remote_urls('{"mapStyle":"https://basemaps.cartocdn.com/x.json","n":"光明苑"}')
    ['https://basemaps.cartocdn.com']
    """
    return _URL.findall(text)


def wall_view(
    bounds: Bounds,
    *,
    width_px: int,
    height_px: int,
    pitch: float = 40.0,
    bearing: float = 0.0,
    transition_ms: int = 0,
) -> pdk.ViewState:
    """The camera looking at `bounds` from the south at `pitch` degrees.

    Numbers are rounded (6 decimals, zoom to 2), so the same bounds always give the same
    view: Streamlit's chart keeps the user's view while the view in the JSON is unchanged.

    Parameters
    ----------
    bounds
        (min_lon, min_lat, max_lon, max_lat) to fit.
    width_px, height_px
        Size of the chart.
    pitch, bearing
        Tilt and rotation in degrees.
    transition_ms
        Fly from the previous view in this many milliseconds (for the tour).
    """
    zoom = zoom_for_bounds(bounds, width_px=width_px, height_px=height_px, tile_px=512)
    # Tilted, the north of the area shrinks into the distance: move a little closer, and
    # look a little south of the centre so that the area sits in the middle of the chart.
    zoom += 0.15 * pitch / 40.0
    min_lon, min_lat, max_lon, max_lat = bounds
    extra: dict[str, Any] = {"transition_duration": int(transition_ms)} if transition_ms else {}
    return pdk.ViewState(
        longitude=round((min_lon + max_lon) / 2, COORD_DECIMALS),
        latitude=round(
            (min_lat + max_lat) / 2 - (max_lat - min_lat) * 0.06 * pitch / 40.0, COORD_DECIMALS
        ),
        zoom=round(max(zoom, 0.0), 2),
        pitch=pitch,
        bearing=bearing,
        max_pitch=60,
        **extra,
    )


@dataclass(frozen=True)
class WallMapData:
    """What the wall map draws, each frame in EPSG:4326.

    Attributes
    ----------
    communities
        community_id, label, polygons.
    compounds
        compound_id, label, value (the figure, NaN unknown), value_text, polygons.
    buildings
        floors, polygons.
    roads
        kind (:class:`mapgov.core.model.RoadKind`), lines.
    landuse
        kind, polygons.
    facilities
        kind, label, glyph (one character), points.
    issues
        lon, lat of the issues to bin (the last 30 days).
    """

    communities: gpd.GeoDataFrame
    compounds: gpd.GeoDataFrame
    buildings: gpd.GeoDataFrame
    roads: gpd.GeoDataFrame
    landuse: gpd.GeoDataFrame
    facilities: gpd.GeoDataFrame
    issues: pd.DataFrame


def _layer(
    kind: str,
    layer_id: str,
    data: list[Any],
    literal: Mapping[str, str] | None = None,
    **props: Any,
) -> pdk.Layer:
    """A pydeck layer; `literal` holds string props that pydeck must not read as accessors."""
    layer = pdk.Layer(kind, data=data, id=layer_id, **props)
    for name, value in (literal or {}).items():
        setattr(layer, name, value)  # set after: pydeck turns string kwargs into "@@=" code
    return layer


def _flat_layer(
    layer_id: str, rows: list[Any], *, pickable: bool = False, **props: Any
) -> pdk.Layer:
    """A flat PolygonLayer of `rows` ``{"p": ring, "c": colour, ...}``, filled, not stroked."""
    return _layer(
        "PolygonLayer",
        layer_id,
        rows,
        get_polygon="p",
        get_fill_color="c",
        filled=True,
        stroked=False,
        pickable=pickable,
        **props,
    )


def _solid_layer(
    layer_id: str, rows: list[Any], *, fill: str | list[int] = "c", pickable: bool = False
) -> pdk.Layer:
    """An extruded PolygonLayer of `rows` ``{"p": ring, "h": height, ...}`` filled with `fill`
    (a colour, or the rows' key of their colour)."""
    return _layer(
        "PolygonLayer",
        layer_id,
        rows,
        get_polygon="p",
        get_elevation="h",
        get_fill_color=fill,
        extruded=True,
        filled=True,
        wireframe=False,
        pickable=pickable,
    )


def _colour_rows(colours: np.ndarray) -> list[list[int]]:
    return np.asarray(colours, dtype=int).tolist()


def _landuse_layer(landuse: gpd.GeoDataFrame) -> pdk.Layer:
    rings, src = polygon_rows(landuse)
    kinds = landuse["kind"].to_numpy()[src]
    rows = [
        {"p": ring, "c": list(_LANDUSE_COLOURS.get(str(k), _LANDUSE_OTHER))}
        for ring, k in zip(rings, kinds, strict=True)
    ]
    return _flat_layer("wall-landuse", rows)


def _road_layer(roads: gpd.GeoDataFrame, *, detail: bool, pixel_m: float) -> pdk.Layer:
    """Roads as ribbons (lines buffered by half their width, at least a pixel wide)."""
    if not detail:
        roads = roads[~roads["kind"].isin(_MINOR_ROADS)]
    require_wgs84(roads, "lines")
    styles = [_ROAD_STYLE.get(str(k), _ROAD_STYLE["branch"]) for k in roads["kind"]]
    widths = np.array([max(w, pixel_m) for w, _ in styles], dtype=float)
    # square caps and mitred joins: four corners a straight segment, and no notch where
    # two segments meet at an angle
    ribbons = _buffered(
        roads.geometry.to_numpy(), widths / 2, cap_style="square", join_style="mitre"
    )
    polygons, src = polygon_parts(ribbons)
    rows = [{"p": p, "c": list(styles[i][1])} for p, i in zip(polygons, src.tolist(), strict=True)]
    return _flat_layer("wall-roads", rows)


def _compound_layer(compounds: gpd.GeoDataFrame, metric: str, *, pixel_m: float) -> pdk.Layer:
    """Compounds filled by their figure, each shrunk by half a pixel: neighbours stay apart."""
    require_wgs84(compounds, "polygons")
    geoms = compounds.geometry.to_numpy()
    shrunk = _buffered(geoms, -0.5 * pixel_m, join_style="mitre")
    shrunk = np.where(shapely.is_empty(shrunk), geoms, shrunk)  # too thin to shrink: as is
    polygons, src = polygon_parts(shrunk)
    colours = _colour_rows(metric_colours(compounds["value"].to_numpy(dtype=float)[src], metric))
    labels = compounds["label"].astype(str).to_numpy()[src]
    texts = compounds["value_text"].astype(str).to_numpy()[src]
    rows = [
        {"p": p, "c": c, "n": n, "v": v}
        for p, c, n, v in zip(polygons, colours, labels, texts, strict=True)
    ]
    return _flat_layer("wall-compounds", rows, pickable=True, auto_highlight=True)


def _community_layer(
    communities: gpd.GeoDataFrame, focus: str | None, *, pixel_m: float
) -> pdk.Layer:
    """Community outlines as bands along their boundaries (the focus wider and brighter)."""
    require_wgs84(communities, "polygons")
    ids = communities["community_id"].astype(str).to_numpy()
    widths = np.array([max(14 if c == focus else 5, 1.5 * pixel_m) for c in ids], dtype=float)
    bands = _buffered(
        shapely.boundary(communities.geometry.to_numpy()), widths / 2, cap_style="flat",
        join_style="mitre",
    )  # fmt: skip
    polygons, src = polygon_parts(bands)
    rows = [
        {
            "p": p,
            "c": list(_COMMUNITY_FOCUS if ids[i] == focus else _COMMUNITY_LINE),
            "w": 14 if ids[i] == focus else 5,
        }
        for p, i in zip(polygons, src.tolist(), strict=True)
    ]
    return _flat_layer("wall-communities", rows)


def _building_layer(buildings: gpd.GeoDataFrame) -> pdk.Layer:
    rings, src = polygon_rows(buildings)
    heights = np.round(buildings["floors"].to_numpy(dtype=float)[src] * FLOOR_HEIGHT_M, 1)
    rows = [{"p": ring, "h": h} for ring, h in zip(rings, heights.tolist(), strict=True)]
    return _solid_layer("wall-buildings", rows, fill=list(_BUILDING_COLOUR))


def hex_rings(bins: pd.DataFrame, *, radius_m: float) -> list[list[list[float]]]:
    """Corners of the hexagons of :func:`hex_bins` (flat-topped, first corner east), rounded.

    Drawn as extruded polygons they share the buildings' shader program, which matters when
    the browser draws WebGL in software (each new program costs a second or so to compile).
    """
    if bins.empty:
        return []
    lat0 = float(bins["lat"].mean())
    kx = 111_320.0 * math.cos(math.radians(lat0))
    angles = np.radians(np.arange(6) * 60.0)
    dx = radius_m * np.cos(angles) / kx
    dy = radius_m * np.sin(angles) / 110_574.0
    lon = bins["lon"].to_numpy()[:, None] + dx[None, :]
    lat = bins["lat"].to_numpy()[:, None] + dy[None, :]
    corners = np.round(np.stack([lon, lat], axis=-1), COORD_DECIMALS)
    return corners.tolist()


def _issue_layer(
    issues: pd.DataFrame, radius_m: float, origin: tuple[float, float], label: str
) -> pdk.Layer:
    bins = hex_bins(issues["lon"], issues["lat"], radius_m=radius_m, origin=origin)
    counts = bins["count"].to_numpy()
    top = max(int(counts.max()) if len(counts) else 1, 1)
    level = np.minimum((counts / top * len(HEAT_COLOURS)).astype(int), len(HEAT_COLOURS) - 1)
    rings = hex_rings(bins, radius_m=radius_m * ISSUE_COVERAGE)
    height = ISSUE_MAX_HEIGHT_M / top
    rows = [
        {"p": ring, "h": round(int(n) * height, 1), "c": list(HEAT_COLOURS[k]), "n": label,
         "v": str(int(n))}
        for ring, n, k in zip(rings, counts, level, strict=True)
    ]  # fmt: skip
    return _solid_layer("wall-issues", rows, pickable=True)


FACILITY_RADIUS_PX: Final = 11
"""Radius of a facility's disc on screen (its one-character glyph is 13 px)."""


def _facility_layer(facilities: gpd.GeoDataFrame, *, pixel_m: float) -> pdk.Layer:
    """Facilities as discs ringed in their kind's colour, drawn above the buildings."""
    require_wgs84(facilities, "points")
    points = shapely.points(_points(facilities))
    kinds = facilities["kind"].astype(str).to_numpy()
    colours = [
        list(FACILITY_COLOURS.get(k, FACILITY_COLOURS["convenience_service"])) for k in kinds
    ]
    rows = _disc_rows(
        points,
        FACILITY_RADIUS_PX * pixel_m,
        2 * pixel_m,
        colours,
        facilities["label"].astype(str).tolist(),
    )
    return _flat_layer("wall-facilities", rows, pickable=True, parameters=_ON_TOP)


def _text_layer(communities: gpd.GeoDataFrame, facilities: gpd.GeoDataFrame) -> pdk.Layer:
    """Community names and facility glyphs in ONE text layer (one font atlas, one program)."""
    rows: list[dict[str, Any]] = []
    if not facilities.empty:
        kinds = facilities["kind"].astype(str).to_numpy()
        for p, k, g in zip(
            _points(facilities), kinds, facilities["glyph"].astype(str), strict=True
        ):
            colour = FACILITY_COLOURS.get(k, FACILITY_COLOURS["convenience_service"])
            rows.append({"p": p, "t": g, "s": 13, "c": list(colour)})
    if not communities.empty:
        rows.extend(
            {"p": p, "t": str(n), "s": 20, "c": list(_LABEL_COLOUR)}
            for p, n in zip(_points(communities), communities["label"], strict=True)
        )
    return _layer(
        "TextLayer",
        "wall-labels",
        rows,
        {"font_family": _TEXT_FONT, "character_set": "auto"},
        get_position="p",
        get_text="t",
        get_size="s",
        get_color="c",
        font_weight=700,
        font_settings={"sdf": True},
        outline_width=3,
        outline_color=list(_BG_RGBA),
        billboard=True,
        pickable=False,
        parameters=_ON_TOP,
    )


def _hex_radius(bounds: Bounds) -> float:
    min_lon, min_lat, max_lon, max_lat = bounds
    kx = 111_320.0 * math.cos(math.radians((min_lat + max_lat) / 2))
    span = max((max_lon - min_lon) * kx, (max_lat - min_lat) * 110_574.0)
    return float(min(max(round(span / 30.0, -1), 60.0), 2_000.0))


def wall_deck(
    data: WallMapData,
    *,
    metric: str,
    view: pdk.ViewState,
    bounds: Bounds,
    focus: str | None = None,
    issue_label: str = "issues",
    basemap_style: str | None = None,
    building_limit: int | None = None,
    tooltip: bool = True,
) -> CompactDeck:
    """The wall map: every layer of :data:`LAYER_IDS` that has data, on no basemap.

    Parameters
    ----------
    data
        The frames to draw (see :class:`WallMapData`).
    metric
        What ``data.compounds["value"]`` is (one of :data:`METRICS`): sets the colours.
    view
        The camera (:func:`wall_view`).
    bounds
        The whole area drawn (sets the hexagon size and the grid's origin, which therefore
        stay put when the view moves during a tour).
    focus
        community_id outlined brighter (the tour's current stop).
    issue_label
        Tooltip name of a hexagon column (translated by the caller).
    basemap_style
        URL of a MapLibre style to draw under the layers (needs the internet); None for none.
    building_limit
        Leave the buildings out when there are more than this (a whole city at once).
    tooltip
        Show name and figure on hover.

    Returns
    -------
    CompactDeck
        Its JSON holds no URL unless `basemap_style` is given.
    """
    hex_m = _hex_radius(bounds)
    origin = (round((bounds[0] + bounds[2]) / 2, 2), round((bounds[1] + bounds[3]) / 2, 2))
    pixel_m = metres_per_pixel(view)
    layers: list[pdk.Layer] = []
    if not data.landuse.empty:
        layers.append(_landuse_layer(data.landuse))
    if not data.roads.empty:
        layers.append(_road_layer(data.roads, detail=len(data.roads) <= 20_000, pixel_m=pixel_m))
    if not data.compounds.empty:
        layers.append(_compound_layer(data.compounds, metric, pixel_m=pixel_m))
    if not data.communities.empty:
        layers.append(_community_layer(data.communities, focus, pixel_m=pixel_m))
    if not data.buildings.empty and (
        building_limit is None or len(data.buildings) <= building_limit
    ):
        layers.append(_building_layer(data.buildings))
    if not data.issues.empty:
        layers.append(_issue_layer(data.issues, hex_m, origin, issue_label))
    if not data.facilities.empty:
        layers.append(_facility_layer(data.facilities, pixel_m=pixel_m))
    if not (data.communities.empty and data.facilities.empty):
        layers.append(_text_layer(data.communities, data.facilities))
    spec: dict[str, Any] = (
        {"map_provider": "carto", "map_style": basemap_style}
        if basemap_style
        else {"map_provider": None}
    )
    tip: dict[str, Any] | bool = False
    if tooltip:
        tip = {
            "html": "<b>{n}</b><br/>{v}",
            "style": {"backgroundColor": BACKGROUND, "color": "#E6EEF8", "fontSize": "14px"},
        }
    return CompactDeck(
        layers=layers,
        initial_view_state=view,
        tooltip=tip,
        views=[pdk.View(type="MapView", controller=CONTROLLER)],
        **spec,
    )
