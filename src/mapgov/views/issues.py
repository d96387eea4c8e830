"""The issue map: buildings coloured by open issues, an issue heat layer and one pin per open issue.

:func:`issue_map` draws the page's folium map on :func:`mapgov.views.maps.base_map` (buildings
coloured by open count or overdue share, compound outlines, an optional heat layer, the pins);
:func:`issue_classes` and :func:`legend_rows` are its classes and legend.
:func:`open_issue_pins` reads the open issues the map's filters select, each at its own
location, with what its tooltip says (category, status, days since it was reported);
:func:`pin_layer` draws them as small filled circles coloured by status (Leaflet's own
CircleMarker: no plugin, nothing from a CDN), :func:`pin_legend_rows` are their legend rows.
:func:`photo_tiles` reads an issue's photos from the photo folder for the panel.
The texts come translated and are HTML-escaped here.
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

from mapgov.core.crs import WGS84
from mapgov.core.errors import ValidationError
from mapgov.core.i18n import label
from mapgov.core.model import IssueCategory, IssueStatus
from mapgov.domain.issues import OPEN_STATUSES, community_issues
from mapgov.io.photos import PhotoFolder
from mapgov.store import Store
from mapgov.views.mapcontrols import MapLegend
from mapgov.views.maplabels import FitClear, MapLabels
from mapgov.views.maps import (
    FILL,
    HEADING,
    SWATCH,
    LegendRow,
    Styler,
    base_map,
    escaped,
    legend_html,
    light_copy,
    swatch,
)

__all__ = [
    "BUILDING_CLASS",
    "HEAT_COLORS",
    "ISSUE_COLORS",
    "NO_OPEN_COLOR",
    "OPEN_BREAKS",
    "OVERDUE_BREAKS",
    "PIN_CLASS",
    "PIN_COLORS",
    "ColourBy",
    "IssueMapLabels",
    "PhotoTile",
    "issue_classes",
    "issue_map",
    "legend_rows",
    "open_issue_pins",
    "photo_tiles",
    "pin_layer",
    "pin_legend_rows",
]

PIN_COLORS: Final[Mapping[str, str]] = {
    IssueStatus.REPORTED.value: "#D7301F",
    IssueStatus.ASSIGNED.value: "#F16913",
    IssueStatus.IN_PROGRESS.value: "#6A51A3",
    IssueStatus.RESOLVED.value: "#2171B5",
    IssueStatus.CALLBACK.value: "#238B45",
}
"""Fill of a pin by the issue's status (every open status; closed issues get no pin)."""
PIN_CLASS: Final = "mapgov-issue-pin"
"""CSS class of every pin (browser tests count ``path.mapgov-issue-pin``)."""
_PIN_RADIUS: Final = 4


def open_issue_pins(
    store: Store, community_id: str, *, today: dt.date, lang: str, **filters: Any
) -> gpd.GeoDataFrame:
    """The open issues of a community that `filters` select, one point each (EPSG:4326).

    Parameters
    ----------
    filters
        As for :func:`mapgov.domain.issues.community_issues` (categories, statuses, levels, dates).

    Returns
    -------
    GeoDataFrame
        [issue_id, status, category_text, status_text, days, geometry]: texts in `lang`,
        not escaped; `days` since the report, to `today`. Issues without a location are left
        out.
    """
    frame = community_issues(store, community_id, **filters)
    frame = frame[frame["status"].isin(OPEN_STATUSES) & frame["lon"].notna()]
    frame = frame[frame["lat"].notna()].reset_index(drop=True)
    reported = pd.to_datetime(frame["reported_at"].str.slice(0, 10))
    days = (pd.Timestamp(today) - reported).dt.days.clip(lower=0)
    return gpd.GeoDataFrame(
        {
            "issue_id": frame["issue_id"],
            "status": frame["status"],
            "category_text": [label(IssueCategory(c), lang) for c in frame["category"]],
            "status_text": [label(IssueStatus(s), lang) for s in frame["status"]],
            "days": days.astype(int),
        },
        geometry=gpd.points_from_xy(frame["lon"], frame["lat"]),
        crs=WGS84,
    )


def _pin_style(feature: dict[str, Any]) -> dict[str, Any]:
    fill = PIN_COLORS.get(feature["properties"]["status"], "#555555")
    return {"color": "#FFFFFF", "weight": 1, "fill": True, "fillColor": fill, "fillOpacity": 0.95}


def pin_layer(
    pins: gpd.GeoDataFrame, *, name: str, category: str, status: str, days: str
) -> folium.GeoJson:
    """The pins of :func:`open_issue_pins` as one layer named `name`, with a tooltip of the
    category, status and days (the other arguments are the tooltip's row names)."""
    esc = html.escape
    data = gpd.GeoDataFrame(
        {
            "status": pins["status"],
            "category": [esc(str(v)) for v in pins["category_text"]],
            "state": [esc(str(v)) for v in pins["status_text"]],
            "days": pins["days"].astype(int),
        },
        geometry=pins.geometry.set_precision(1e-7),
        crs=WGS84,
    )
    return folium.GeoJson(
        data,
        name=esc(name),
        marker=folium.CircleMarker(radius=_PIN_RADIUS, className=PIN_CLASS),
        style_function=_pin_style,
        tooltip=folium.GeoJsonTooltip(
            fields=["category", "state", "days"],
            aliases=[esc(category), esc(status), esc(days)],
        ),
    )


_PIN_DOT: Final = (
    "display:inline-block;width:9px;height:9px;border-radius:50%;margin:0 8px 0 3px;"
    "border:1px solid #fff;box-shadow:0 0 0 1px #8A8A8A;background:{colour}"
)


def pin_legend_rows(title: str, names: Mapping[str, str]) -> list[LegendRow]:
    """Legend rows of the pins: `title`, then a dot of each status colour and its name from
    `names` (status → text; statuses not in `names` have no pin on the map and no row)."""
    rows = [LegendRow(title, style=f"margin-top:4px;{HEADING}")]
    for value, colour in PIN_COLORS.items():
        if value in names:
            rows.append(LegendRow(names[value], swatch(_PIN_DOT.format(colour=colour))))
    return rows


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
BUILDING_CLASS: Final = "mapgov-building"
"""CSS class of every building polygon (browser tests click ``path.mapgov-building``)."""


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


# Stylers that pickle (not lambdas), so the UI can cache a map.
_building_style = Styler({"color": "#5B5B5B", "weight": 1, "fillColor": FILL, "fillOpacity": 0.85})
_building_highlight = _building_style.but(color="#1F2329", weight=3)
_compound_style = Styler(
    {
        "color": COMPOUND_LINE,
        "weight": 2,
        "dashArray": "6 4",
        "fillColor": COMPOUND_LINE,
        "fillOpacity": 0.06,
    }
)
_compound_highlight = _compound_style.but(weight=3, fillOpacity=0.12)
_heat_style = Styler({"stroke": False, "fillColor": FILL, "fillOpacity": 0.55})


def _legend_rows(
    colour_by: ColourBy, labels: IssueMapLabels, heat_range: tuple[int, int] | None
) -> list[LegendRow]:
    title = labels.legend_open if colour_by is ColourBy.OPEN else labels.legend_overdue_share
    rows = [LegendRow(title, style=HEADING)]
    for colour, text in legend_rows(colour_by, labels):
        rows.append(LegendRow(text, swatch(SWATCH.format(colour=colour))))
    if heat_range is not None:
        ramp = "".join(swatch(f"{SWATCH.format(colour=c)};margin-right:0") for c in HEAT_COLORS)
        low, high = heat_range
        text = labels.heat_legend.format(low=low, high=high)
        rows.append(LegendRow(text, f"{ramp}<br>", "margin-top:4px"))
    return rows


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
    building_data = light_copy(buildings, ["building_id", "label", "open", "overdue"])
    compound_data = light_copy(compounds, ["compound_id", "label"])
    extent = compound_data if not compound_data.empty else building_data
    if extent.empty:
        msg = "the issue map needs at least one compound or building"
        raise ValidationError(msg)
    west, south, east, north = (float(v) for v in extent.total_bounds)
    fmap = base_map(center=((west + east) / 2, (south + north) / 2))
    esc = html.escape
    if not compound_data.empty:
        compound_data["label"] = escaped(compound_data["label"])
        folium.GeoJson(
            compound_data,
            name=esc(labels.compounds_layer),
            style_function=_compound_style,
            highlight_function=_compound_highlight,
            tooltip=folium.GeoJsonTooltip(fields=["label"], aliases=[esc(labels.compound)]),
        ).add_to(fmap)
    heat_range = None
    if heat is not None and not heat.empty:
        cells = light_copy(heat, ["count"])
        cells[FILL] = [HEAT_COLORS[c] for c in _heat_classes(cells["count"])]
        heat_range = (int(cells["count"].min()), int(cells["count"].max()))
        folium.GeoJson(
            cells, name=esc(labels.heat), style_function=_heat_style, interactive=False
        ).add_to(fmap)
    if not building_data.empty:
        classes = issue_classes(
            building_data["open"], building_data["overdue"], colour_by=colour_by
        )
        building_data[FILL] = _class_colours(classes, colour_by)
        building_data["label"] = escaped(building_data["label"])
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
    legend = _legend_rows(colour_by, labels, heat_range)
    if pins is not None and not pins.empty:
        pin_layer(
            pins,
            name=labels.pins_layer,
            category=labels.category,
            status=labels.status,
            days=labels.days,
        ).add_to(fmap)
        names = dict(zip(pins["status"], pins["status_text"], strict=True))
        legend += pin_legend_rows(labels.legend_pins, names)
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
    MapLegend(legend_html(legend)).add_to(fmap)
    # after the legend: the fit keeps it off the compounds (or buildings)
    FitClear((west, south, east, north), extent.geometry.bounds.to_numpy()).add_to(fmap)
    folium.LayerControl(collapsed=True).add_to(fmap)
    return fmap


# -- an issue's photos ---------------------------------------------------------------------
@dataclass(frozen=True)
class PhotoTile:
    """One photo of an issue as the panel shows it: the thumbnail and the full photo (None
    when its file is not in the photo folder: the panel shows a placeholder), its size and
    when it was added."""

    name: str
    width: int
    height: int
    added_at: str
    thumbnail: bytes | None
    full: bytes | None


def photo_tiles(photos: pd.DataFrame, folder: PhotoFolder, *, full: bool = True) -> list[PhotoTile]:
    """The photos of :func:`mapgov.domain.reports.issue_photos`, read from `folder`.

    A photo whose file is missing (or whose name is not a photo's) comes back with no bytes,
    never an error: the ledger row stays, the panel says the file is missing.

    Parameters
    ----------
    photos
        [name, width, height, added_at], oldest first.
    folder
        The database's photo folder (:func:`mapgov.io.photos.photo_folder`).
    full
        Read the full photos too (else only the thumbnails; ``full`` is None).

    Returns
    -------
    list of PhotoTile
        One per row, in order; ``added_at`` to the minute.
    """

    def read(name: str, *, thumbnail: bool) -> bytes | None:
        try:
            return folder.read(name, thumbnail=thumbnail)
        except (ValidationError, OSError):
            return None

    tiles = []
    for row in photos.itertuples(index=False):
        name = str(row.name)
        thumb = read(name, thumbnail=True)
        tiles.append(
            PhotoTile(
                name=name,
                width=int(row.width),
                height=int(row.height),
                added_at=str(row.added_at)[:16].replace("T", " "),
                thumbnail=thumb,
                full=read(name, thumbnail=False) if full else None,
            )
        )
    return tiles
