"""The party-coverage page without Streamlit: its map, figure tables and governance cards.

The map (:func:`party_map`) shows compounds coloured by a :class:`CompoundLayer` (branch
status, stars, property mode, three-nos), buildings coloured by a :class:`BuildingLayer`
(party group, building head, responsibility zone) and, with the zone layer, every
responsibility zone as the buffered outline of its buildings (:func:`zone_outlines`). It is
built on :func:`mapgov.views.maps.base_map`, so it loads Leaflet from the app's own static folder
and nothing from the internet. Every text shown in the map (names from data files, people's
typing, translated labels) is HTML-escaped here: Leaflet tooltips and the legend are HTML.

The stylers are module-level functions, not lambdas, so a map pickles and the UI may cache it
(a cached copy renders to the same script, and streamlit-folium keeps the same component).

What the page shows next to the map (figure tables, governance cards, zones, place names) is in
:mod:`mapgov.views.party_cards`.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from enum import StrEnum
from typing import Any, Final

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from mapgov.core.crs import WGS84, local_metric, require_wgs84
from mapgov.core.errors import ValidationError
from mapgov.core.model import PropertyMode
from mapgov.views.maplabels import FitClear, MapLabels
from mapgov.views.maps import (
    FILL,
    HEADING,
    LEGEND_BOX_LARGE,
    LegendRow,
    MapLegend,
    Styler,
    base_map,
    legend_html,
    swatch,
)

__all__ = [
    "BUILDING_CLASS",
    "BUILDING_COLORS",
    "COMPOUND_CLASS",
    "COMPOUND_COLORS",
    "DEFAULT_LABELS",
    "GAP_COLOR",
    "ZONE_BUFFER_M",
    "ZONE_CLASS",
    "ZONE_CLOSE_M",
    "ZONE_COLORS",
    "BuildingLayer",
    "CompoundLayer",
    "building_classes",
    "compound_classes",
    "legend_rows",
    "party_map",
    "stars_text",
    "zone_outlines",
]


class CompoundLayer(StrEnum):
    """What the compound fills of :func:`party_map` show."""

    BRANCH = "branch"
    """Own branch, joint branch, or none."""
    STARS = "stars"
    """Stars of the compound's branch, 0-5 (no branch apart)."""
    PROPERTY = "property"
    """Property management mode."""
    THREE_NOS = "three_nos"
    """Three-nos compounds highlighted, the rest grey."""


class BuildingLayer(StrEnum):
    """What the building fills of :func:`party_map` show."""

    GROUP = "group"
    """Building party group or none."""
    HEAD = "head"
    """Building head or none."""
    ZONE = "zone"
    """Responsibility zone (one colour per zone) or none; zones outlined."""


GAP_COLOR: Final = "#F2B705"
"""Fill of whatever is still uncovered: amber, on every layer."""
_COVERED: Final = "#C8161D"
COMPOUND_COLORS: Final[dict[CompoundLayer, dict[str, str]]] = {
    CompoundLayer.BRANCH: {"own": _COVERED, "joint": "#F08A5D", "none": GAP_COLOR},
    CompoundLayer.STARS: {
        "no_branch": GAP_COLOR,
        "0": "#F3E3E0",
        "1": "#FCBBA1",
        "2": "#FC9272",
        "3": "#FB6A4A",
        "4": "#DE2D26",
        "5": "#A50F15",
    },
    CompoundLayer.PROPERTY: {
        PropertyMode.COMPANY.value: "#3B7DD8",
        PropertyMode.OWNERS_COMMITTEE.value: "#2E9E6A",
        PropertyMode.SELF_MANAGED.value: "#9C6ADE",
        PropertyMode.NONE.value: "#A3A3A3",
        "unknown": "#F4F1EA",
    },
    CompoundLayer.THREE_NOS: {"three_nos": "#E8590C", "other": "#DADADA", "unknown": "#F4F1EA"},
}
"""Fill of each compound class, per layer, in legend order."""
BUILDING_COLORS: Final[dict[BuildingLayer, dict[str, str]]] = {
    BuildingLayer.GROUP: {"group_yes": _COVERED, "group_no": GAP_COLOR},
    BuildingLayer.HEAD: {"head_yes": _COVERED, "head_no": GAP_COLOR},
    BuildingLayer.ZONE: {"zone_in": _COVERED, "zone_out": GAP_COLOR},
}
"""Fill of each building class, per layer, in legend order (zones: see :data:`ZONE_COLORS`)."""
ZONE_COLORS: Final = (
    "#C8161D",
    "#1F77B4",
    "#2CA02C",
    "#9467BD",
    "#8C564B",
    "#E377C2",
    "#17BECF",
    "#5B5B5B",
)
"""Buildings in a zone, one colour per zone, cycling (neighbouring zones differ)."""
ZONE_BUFFER_M: Final = 5.0
"""A zone's outline is the union of its buildings grown by this many metres ..."""
ZONE_CLOSE_M: Final = 8.0
"""... after closing gaps narrower than twice this plus the growth (about 26 m, the spacing of
neighbouring blocks), so that a zone reads as one shape, not as scattered rings."""
COMPOUND_CLASS: Final = "mapgov-party-compound"
BUILDING_CLASS: Final = "mapgov-party-building"
ZONE_CLASS: Final = "mapgov-party-zone"
"""CSS classes of the map's polygons (browser tests find them by these)."""
_COORD_DECIMALS: Final = 6

DEFAULT_LABELS: Final[Mapping[str, str]] = {
    "legend_branch": "Compounds: party branch",
    "legend_stars": "Compounds: branch stars",
    "legend_property": "Compounds: property management",
    "legend_three_nos": "Compounds: three-nos",
    "legend_group": "Buildings: party group",
    "legend_head": "Buildings: building head",
    "legend_zone": "Buildings: responsibility zone",
    "own": "Own branch",
    "joint": "Joint branch",
    "branch_kind": "{name} ({kind})",
    "none": "No branch",
    "no_branch": "No branch",
    "company": "Property company",
    "owners_committee": "Owners' committee",
    "self_managed": "Self-managed",
    "no_property": "No property management",
    "three_nos": "Three-nos compound",
    "other": "Other compounds",
    "unknown": "Property not on record",
    "group_yes": "Party group",
    "group_no": "No party group",
    "head_yes": "Building head",
    "head_no": "No building head",
    "zone_in": "In a zone (one colour per zone)",
    "zone_out": "In no zone",
    "zone_outline": "Zone outline",
    "compound": "Compound",
    "building": "Building",
    "branch": "Party branch",
    "stars": "Stars",
    "property": "Property",
    "group": "Party group",
    "head": "Building head",
    "zone": "Responsibility zone",
    "member": "Member in charge",
    "yes": "yes",
    "no": "no",
    "compounds_layer": "Compounds",
    "buildings_layer": "Buildings",
    "zones_layer": "Responsibility zones",
    "names_layer": "Compound names",
}
"""English texts of :func:`party_map` by key; the UI passes its catalogue's instead."""


# -- classes and legend --------------------------------------------------------------------
def stars_text(n: int) -> str:
    """Stars as glyphs, e.g. ``★★★☆☆`` for 3 (readable in every language).

    Examples
    --------
    >>> stars_text(3), stars_text(0)
    ('★★★☆☆', '☆☆☆☆☆')
    """
    n = max(0, min(5, int(n)))
    return "★" * n + "☆" * (5 - n)


def _flags(values: pd.Series) -> np.ndarray:
    """True where a flag column is true (``True`` or 1); missing values are false."""
    return values.eq(True).to_numpy(dtype=bool)


def compound_classes(compounds: pd.DataFrame, layer: CompoundLayer | str) -> list[str]:
    """The class (a key of :data:`COMPOUND_COLORS` ``[layer]``) of every compound.

    Parameters
    ----------
    compounds
        Rows of :attr:`mapgov.domain.party.GovFrames.compounds` (reads ``branch_id``, ``is_joint``,
        ``stars``, ``mode``, ``three_nos``).
    layer
        What to classify by.

    Examples
    --------
    >>> frame = pd.DataFrame({"branch_id": ["B", "J", None], "is_joint": [False, True, False],
    ...     "stars": [5, 2, 0], "mode": ["company", "none", None], "three_nos": [0, 1, 0]})
    >>> compound_classes(frame, "branch"), compound_classes(frame, "stars")
    (['own', 'joint', 'none'], ['5', '2', 'no_branch'])
    >>> compound_classes(frame, "property"), compound_classes(frame, "three_nos")
    (['company', 'none', 'unknown'], ['other', 'three_nos', 'unknown'])

    A compound without property management on record is "unknown" on both layers: not "none"
    (no property management) and not "other" (known not to be three-nos).
    """
    layer = CompoundLayer(layer)
    has = compounds["branch_id"].notna().to_numpy()
    if layer is CompoundLayer.BRANCH:
        joint = _flags(compounds["is_joint"])
        return np.where(~has, "none", np.where(joint, "joint", "own")).tolist()
    if layer is CompoundLayer.STARS:
        stars = compounds["stars"].fillna(0).astype(int).clip(0, 5).astype(str).to_numpy()
        return np.where(has, stars, "no_branch").tolist()
    unknown = compounds["mode"].isna().to_numpy()
    if layer is CompoundLayer.PROPERTY:
        return [_property_class(m) for m in compounds["mode"]]
    three = _flags(compounds["three_nos"])
    return np.where(three, "three_nos", np.where(unknown, "unknown", "other")).tolist()


def _property_class(mode: Any) -> str:
    """The PROPERTY class of a compound's mode: "unknown" where none is on record."""
    if not isinstance(mode, str) or not mode:
        return "unknown"
    return mode if mode in COMPOUND_COLORS[CompoundLayer.PROPERTY] else PropertyMode.NONE.value


def building_classes(buildings: pd.DataFrame, layer: BuildingLayer | str) -> list[str]:
    """The class (a key of :data:`BUILDING_COLORS` ``[layer]``) of every building.

    Reads ``has_group``, ``has_head`` or ``in_zone`` of
    :attr:`mapgov.domain.party.GovFrames.buildings`.

    Examples
    --------
    >>> frame = pd.DataFrame({"has_group": [True, False], "in_zone": [False, True]})
    >>> building_classes(frame, "group"), building_classes(frame, "zone")
    (['group_yes', 'group_no'], ['zone_out', 'zone_in'])
    """
    layer = BuildingLayer(layer)
    column = {"group": "has_group", "head": "has_head", "zone": "in_zone"}[layer.value]
    yes, no = list(BUILDING_COLORS[layer])
    return np.where(_flags(buildings[column]), yes, no).tolist()


def _label(labels: Mapping[str, str], key: str) -> str:
    return labels.get(key, DEFAULT_LABELS.get(key, key))


def _class_text(cls: str, layer: CompoundLayer | BuildingLayer, labels: Mapping[str, str]) -> str:
    if layer is CompoundLayer.STARS and cls.isdigit():
        return stars_text(int(cls))
    if layer is CompoundLayer.PROPERTY and cls == PropertyMode.NONE.value:
        return _label(labels, "no_property")
    return _label(labels, cls)


def legend_rows(
    layer: CompoundLayer | BuildingLayer, labels: Mapping[str, str] | None = None
) -> list[tuple[str, str]]:
    """(colour, text) of every class of `layer`, in legend order (texts not escaped).

    Examples
    --------
    >>> legend_rows(CompoundLayer.BRANCH)
    [('#C8161D', 'Own branch'), ('#F08A5D', 'Joint branch'), ('#F2B705', 'No branch')]
    >>> [text for _, text in legend_rows(CompoundLayer.STARS)][:3]
    ['No branch', '☆☆☆☆☆', '★☆☆☆☆']
    """
    labels = labels or DEFAULT_LABELS
    if isinstance(layer, CompoundLayer):
        colours = COMPOUND_COLORS[layer]
    else:
        colours = BUILDING_COLORS[BuildingLayer(layer)]
    return [(colour, _class_text(cls, layer, labels)) for cls, colour in colours.items()]


# -- frames for the map --------------------------------------------------------------------
def _light(frame: gpd.GeoDataFrame, data: dict[str, Any]) -> gpd.GeoDataFrame:
    """A new frame of `data` columns plus `frame`'s geometry rounded to about 0.1 m."""
    geoms = shapely.set_precision(frame.geometry.to_numpy(), 10.0**-_COORD_DECIMALS)
    return gpd.GeoDataFrame(
        {name: list(values) for name, values in data.items()},
        geometry=list(geoms),
        crs=WGS84,
    )


def _esc(value: object) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    return html.escape(str(value))


def zone_outlines(
    buildings: gpd.GeoDataFrame,
    zones: pd.DataFrame | None = None,
    *,
    buffer_m: float = ZONE_BUFFER_M,
    close_m: float = ZONE_CLOSE_M,
) -> gpd.GeoDataFrame:
    """One outline per responsibility zone: the union of its buildings, grown by `buffer_m`.

    Parameters
    ----------
    buildings
        :attr:`mapgov.domain.party.GovFrames.buildings` (EPSG:4326; reads ``zone_id`` and
        ``zone_member``, the member's masked name).
    zones
        :func:`zone_table` rows (reads ``zone_id`` and ``name``) for the zones' names; without
        it the name is the zone id.
    buffer_m
        Growth in metres (measured in the local UTM zone).
    close_m
        The union is grown by another `close_m` and shrunk back by it (a morphological
        closing), so that buildings of one zone up to ``2 * (buffer_m + close_m)`` apart
        merge into one shape.

    Returns
    -------
    GeoDataFrame
        [zone_id, name, member, buildings, geometry] in EPSG:4326, ordered by zone id;
        ``member`` stays masked.
    """
    require_wgs84(buildings)
    inside = buildings[buildings["zone_id"].notna()]
    columns = ["zone_id", "name", "member", "buildings"]
    if inside.empty:
        return gpd.GeoDataFrame(columns=[*columns, "geometry"], geometry="geometry", crs=4326)
    metric = local_metric(inside)
    grown = inside.to_crs(metric).buffer(buffer_m + close_m, quad_segs=4)
    shapes = gpd.GeoDataFrame({"zone_id": inside["zone_id"].to_numpy()}, geometry=list(grown))
    shapes = shapes.set_crs(metric).dissolve(by="zone_id")
    shapes = shapes.set_geometry(shapes.buffer(-close_m, quad_segs=4)).to_crs(4326)
    members = inside.groupby("zone_id")["zone_member"].first()
    counts = inside.groupby("zone_id").size()
    names = {}
    if zones is not None and not zones.empty:
        names = dict(zip(zones["zone_id"], zones["name"], strict=True))
    ids = list(shapes.index)
    return gpd.GeoDataFrame(
        {
            "zone_id": ids,
            "name": [names.get(z) or z for z in ids],
            "member": [members.get(z) for z in ids],
            "buildings": [int(counts.get(z, 0)) for z in ids],
        },
        geometry=list(shapes.geometry),
        crs=WGS84,
    )


def _zone_colours(zone_ids: pd.Series) -> dict[str, str]:
    """A colour per zone, cycling through :data:`ZONE_COLORS` in id order."""
    ordered = sorted(zone_ids.dropna().unique())
    return {z: ZONE_COLORS[i % len(ZONE_COLORS)] for i, z in enumerate(ordered)}


# -- stylers (they pickle, unlike lambdas, so that a map pickles) --------------------------
_compound_style = Styler({"color": "#6B5A2A", "weight": 1.5, "fillColor": FILL, "fillOpacity": 0.5})
_compound_highlight = _compound_style.but(weight=3.5, color="#1F2329")
_building_style = Styler({"color": "#3D3D3D", "weight": 0.8, "fillColor": FILL, "fillOpacity": 0.9})
_building_highlight = _building_style.but(color="#000000", weight=2.5)
_zone_style = Styler(
    {"color": FILL, "weight": 2.5, "dashArray": "5 3", "fillColor": FILL, "fillOpacity": 0.12}
)
_zone_highlight = _zone_style.but(weight=4, fillOpacity=0.25)
_LAYERS: Final[dict[str, tuple[Styler, Styler, str, tuple[str, ...]]]] = {
    "compounds": (
        _compound_style,
        _compound_highlight,
        COMPOUND_CLASS,
        ("compound", "branch", "stars", "property"),
    ),
    "zones": (_zone_style, _zone_highlight, ZONE_CLASS, ("zone", "member")),
    "buildings": (
        _building_style,
        _building_highlight,
        BUILDING_CLASS,
        ("building", "group", "head", "zone"),
    ),
}
"""Polygon layer -> style, hover style, CSS class and the label keys of its tooltip fields
(the first labels the field ``label``, the others name their own field)."""


def _polygons_layer(
    data: gpd.GeoDataFrame, layer: str, labels: Mapping[str, str]
) -> folium.GeoJson:
    """The polygons of `data` (escaped tooltip columns and :data:`FILL`) as `layer` of the map."""
    style, highlight, class_name, keys = _LAYERS[layer]
    esc = html.escape
    return folium.GeoJson(
        data,
        name=esc(_label(labels, f"{layer}_layer")),
        style_function=style,
        highlight_function=highlight,
        tooltip=folium.GeoJsonTooltip(
            fields=["label", *keys[1:]], aliases=[esc(_label(labels, k)) for k in keys]
        ),
        className=class_name,
    )


# -- legend --------------------------------------------------------------------------------
_SWATCH = (
    "display:inline-block;width:15px;height:12px;margin-right:6px;vertical-align:-1px;"
    "border:1px solid #707070;background:{colour}"
)
_ZONE_SWATCH = (
    "display:inline-block;width:15px;height:12px;margin-right:6px;vertical-align:-1px;"
    "border:2px dashed {colour}"
)


def _swatch_row(colour: str, text: str) -> LegendRow:
    return LegendRow(text, swatch(_SWATCH.format(colour=colour)))


def _legend_rows(
    compound_layer: CompoundLayer, building_layer: BuildingLayer, labels: Mapping[str, str]
) -> list[LegendRow]:
    rows = [LegendRow(_label(labels, f"legend_{compound_layer.value}"), style=HEADING)]
    if compound_layer is CompoundLayer.STARS:  # 0-5 stars on one line: a short legend
        colours = COMPOUND_COLORS[CompoundLayer.STARS]
        no_branch = _class_text("no_branch", compound_layer, labels)
        rows.append(_swatch_row(colours["no_branch"], no_branch))
        ramp = "".join(
            swatch(f"{_SWATCH.format(colour=colours[str(n)])};margin-right:2px")
            + f'<span style="margin-right:5px">{n}</span>'
            for n in range(6)
        )
        rows.append(LegendRow("★", ramp))
    else:
        rows += [_swatch_row(colour, text) for colour, text in legend_rows(compound_layer, labels)]
    title = _label(labels, f"legend_{building_layer.value}")
    rows.append(LegendRow(title, style=f"{HEADING};margin-top:6px"))
    for cls, colour in BUILDING_COLORS[building_layer].items():
        text = _class_text(cls, building_layer, labels)
        if cls == "zone_in":  # one colour per zone: show a few of them, the last one spaced
            ramp = "".join(
                swatch(f"{_SWATCH.format(colour=c)};width:5px;margin-right:{6 if i == 3 else 0}px")
                for i, c in enumerate(ZONE_COLORS[:4])
            )
            rows.append(LegendRow(text, ramp))
        else:
            rows.append(_swatch_row(colour, text))
    if building_layer is BuildingLayer.ZONE:
        outline = swatch(_ZONE_SWATCH.format(colour="#5B5B5B"))
        rows.append(LegendRow(_label(labels, "zone_outline"), outline))
    return rows


# -- the map -------------------------------------------------------------------------------
def _compound_tooltips(compounds: gpd.GeoDataFrame, labels: Mapping[str, str]) -> dict[str, Any]:
    """Escaped tooltip columns of the compounds."""
    branch = []
    for name, joint, has in zip(
        compounds["branch_name"], compounds["is_joint"], compounds["branch_id"].notna(), strict=True
    ):
        if not has:
            branch.append(_esc(_label(labels, "none")))
        else:
            kind = _label(labels, "joint" if joint else "own")
            named = _label(labels, "branch_kind").format(name=name, kind=kind)
            branch.append(_esc(named) if isinstance(name, str) else _esc(kind))
    stars = [
        stars_text(s) if has else "—"
        for s, has in zip(compounds["stars"], compounds["branch_id"].notna(), strict=True)
    ]
    prop = []
    for mode, company in zip(compounds["mode"], compounds["company"], strict=True):
        text = _class_text(_property_class(mode), CompoundLayer.PROPERTY, labels)
        prop.append(_esc(f"{text} · {company}" if isinstance(company, str) and company else text))
    return {
        "compound_id": compounds["compound_id"],
        "label": [_esc(n) for n in compounds["name"]],
        "branch": branch,
        "stars": stars,
        "property": prop,
    }


def _building_tooltips(
    buildings: gpd.GeoDataFrame,
    compound_names: Mapping[str, str],
    zone_names: Mapping[str, str],
    labels: Mapping[str, str],
) -> dict[str, Any]:
    """Escaped tooltip columns of the buildings (the zone member's name stays masked)."""
    yes, no = _esc(_label(labels, "yes")), _esc(_label(labels, "no"))
    zone = []
    for zone_id, member in zip(buildings["zone_id"], buildings["zone_member"], strict=True):
        if not isinstance(zone_id, str):
            zone.append("—")
            continue
        parts = [zone_names.get(zone_id) or zone_id]
        if isinstance(member, str) and member:
            parts.append(member)
        zone.append(_esc(" · ".join(parts)))
    return {
        "building_id": buildings["building_id"],
        "label": [
            _esc(f"{compound_names.get(c, '')} {n}".strip())
            for c, n in zip(buildings["compound_id"], buildings["name"], strict=True)
        ],
        "group": [yes if v else no for v in buildings["has_group"]],
        "head": [yes if v else no for v in buildings["has_head"]],
        "zone": zone,
    }


def _add_names(fmap: folium.Map, compounds: gpd.GeoDataFrame, name: str) -> None:
    points = shapely.point_on_surface(compounds.geometry.to_numpy())
    MapLabels(
        shapely.get_x(points),
        shapely.get_y(points),
        list(compounds["name"]),
        list(compounds["households"]) if "households" in compounds else [0] * len(compounds),
        name=name,
    ).add_to(fmap)


def party_map(
    compounds: gpd.GeoDataFrame,
    buildings: gpd.GeoDataFrame,
    *,
    compound_layer: CompoundLayer | str = CompoundLayer.BRANCH,
    building_layer: BuildingLayer | str = BuildingLayer.GROUP,
    zones: gpd.GeoDataFrame | None = None,
    labels: Mapping[str, str] | None = None,
) -> folium.Map:
    """The party-coverage map of a street or community.

    Layers, bottom to top: compounds (fill by :func:`compound_classes`, tooltip with name,
    branch, stars and property; CSS class :data:`COMPOUND_CLASS`), responsibility zones when
    `building_layer` is the zone layer (dashed outlines from `zones`, tooltip with the zone's
    name and the member's masked name; class :data:`ZONE_CLASS`), buildings (fill by
    :func:`building_classes`, one colour per zone on the zone layer; tooltip with name, party
    group, head and zone; class :data:`BUILDING_CLASS`) and compound names as plain labels. A
    legend box and a layer control sit on the map.

    Parameters
    ----------
    compounds, buildings
        :class:`mapgov.domain.party.GovFrames` frames (EPSG:4326). Only the tooltip texts, the fill
        colour, the ids and the geometry reach the browser.
    compound_layer, building_layer
        What the fills show.
    zones
        :func:`zone_outlines` of the buildings; drawn on the zone layer only.
    labels
        Translated texts by the keys of :data:`DEFAULT_LABELS` (missing ones in English).

    Returns
    -------
    folium.Map
        Built on :func:`mapgov.views.maps.base_map` (local Leaflet only), fitted to the compounds.

    Raises
    ------
    ValidationError
        If a frame is not in EPSG:4326, or there is no compound to draw.
    """
    compound_layer = CompoundLayer(compound_layer)
    building_layer = BuildingLayer(building_layer)
    labels = {**DEFAULT_LABELS, **(labels or {})}
    require_wgs84(compounds)
    require_wgs84(buildings)
    if compounds.empty:
        msg = "the party map needs at least one compound"
        raise ValidationError(msg)
    esc = html.escape
    min_lon, min_lat, max_lon, max_lat = (float(v) for v in compounds.total_bounds)
    fmap = base_map(center=((min_lon + max_lon) / 2, (min_lat + max_lat) / 2))
    comp = _light(compounds, _compound_tooltips(compounds, labels))
    palette = COMPOUND_COLORS[compound_layer]
    comp[FILL] = [palette[c] for c in compound_classes(compounds, compound_layer)]
    _polygons_layer(comp, "compounds", labels).add_to(fmap)
    zone_colours = _zone_colours(buildings["zone_id"]) if "zone_id" in buildings else {}
    zone_names: dict[str, str] = {}
    if zones is not None and not zones.empty:
        require_wgs84(zones)
        zone_names = dict(zip(zones["zone_id"], zones["name"], strict=True))
    if building_layer is BuildingLayer.ZONE and zones is not None and not zones.empty:
        shapes = _light(
            zones,
            {
                "zone_id": zones["zone_id"],
                "label": [_esc(n) for n in zones["name"]],
                "member": [_esc(m) or "—" for m in zones["member"]],
            },
        )
        shapes[FILL] = [zone_colours.get(z, ZONE_COLORS[-1]) for z in shapes["zone_id"]]
        _polygons_layer(shapes, "zones", labels).add_to(fmap)
    if not buildings.empty:
        names = dict(zip(compounds["compound_id"], compounds["name"], strict=True))
        blds = _light(buildings, _building_tooltips(buildings, names, zone_names, labels))
        colours = BUILDING_COLORS[building_layer]
        fills = [colours[c] for c in building_classes(buildings, building_layer)]
        if building_layer is BuildingLayer.ZONE:
            fills = [
                zone_colours.get(z, GAP_COLOR) if isinstance(z, str) else GAP_COLOR
                for z in buildings["zone_id"]
            ]
        blds[FILL] = fills
        _polygons_layer(blds, "buildings", labels).add_to(fmap)
    _add_names(fmap, compounds, esc(_label(labels, "names_layer")))
    legend = legend_html(_legend_rows(compound_layer, building_layer, labels), box=LEGEND_BOX_LARGE)
    MapLegend(legend, name="MapgovPartyLegend").add_to(fmap)
    # after the legend: the fit measures it, and keeps it off the compounds
    FitClear((min_lon, min_lat, max_lon, max_lat), compounds.geometry.bounds.to_numpy()).add_to(
        fmap
    )
    folium.LayerControl(collapsed=True).add_to(fmap)
    return fmap
