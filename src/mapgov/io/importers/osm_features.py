"""OpenStreetMap elements mapped through the tag table: buildings, roads, facilities, landuse.

Areas become compound candidates, residential buildings (floors, households, estimates) and
landuse; walkable highways become road pieces split at every shared node; amenities, shops,
leisure and social facilities become the facility kinds. Used by
:func:`mapgov.io.importers.osm.read_osm`.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from mapgov.core.crs import WGS84
from mapgov.core.i18n import label
from mapgov.core.model import FacilityKind, RoadKind
from mapgov.io.importers.osm_read import (
    _MAX_FLOORS,
    _REPORT_KEYS,
    _STREET_ID,
    OsmReport,
    TagTable,
    _address,
    _facility_kind,
    _has,
    _name,
    _number,
    _Raw,
)


# -- areas: compounds, buildings, landuse ----------------------------------------------------
def _areas(raw: _Raw) -> gpd.GeoDataFrame:
    if not raw.areas:
        return gpd.GeoDataFrame({"osm": [], "tags": []}, geometry=[], crs=WGS84)
    ids, tags, hexes = zip(*raw.areas, strict=True)
    geoms = shapely.from_wkb(np.asarray(hexes, dtype=object))
    single = shapely.get_num_geometries(geoms) == 1
    geoms[single] = shapely.get_geometry(geoms[single], 0)
    bad = ~shapely.is_valid(geoms)
    if bad.any():
        geoms[bad] = [_polygonal(shapely.make_valid(g)) for g in geoms[bad]]
    frame = gpd.GeoDataFrame({"osm": ids, "tags": tags}, geometry=geoms, crs=WGS84)
    keep = frame.geometry.notna() & ~frame.geometry.is_empty
    raw.bad_areas += int((~keep).sum())
    return frame[keep].reset_index(drop=True)


def _polygonal(geom: shapely.Geometry) -> shapely.Geometry | None:
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [g for g in getattr(geom, "geoms", []) if g.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else None


def _containing(points: np.ndarray, polys: np.ndarray, areas: np.ndarray) -> np.ndarray:
    """For each point, the position of the smallest polygon containing it, else -1."""
    out = np.full(len(points), -1, dtype=np.int64)
    if not len(polys) or not len(points):
        return out
    pi, gi = shapely.STRtree(polys).query(points, predicate="within")
    if len(pi):
        order = np.lexsort((areas[gi], pi))
        first = np.unique(pi[order], return_index=True)[1]
        out[pi[order][first]] = gi[order][first]
    return out


def _compound_candidates(
    areas: gpd.GeoDataFrame, metric: gpd.GeoSeries, table: TagTable, report: OsmReport
) -> tuple[np.ndarray, np.ndarray]:
    """(positions of all residential areas, positions of the innermost ones) in `areas`."""
    specs = table.get("compounds", "tags")
    is_res = np.array(
        [bool(_has(tg, specs)) and "building" not in tg for tg in areas["tags"]], dtype=bool
    )
    pos = np.flatnonzero(is_res)
    if not len(pos):
        return pos, pos
    polys = metric.to_numpy()[pos]
    area = shapely.area(polys)
    points = shapely.point_on_surface(polys)
    pi, gi = shapely.STRtree(polys).query(points, predicate="within")
    outer = np.unique(gi[(pi != gi) & (area[gi] > area[pi])])
    for _ in outer:
        report.skipped[("nested", "")] += 1
    inner = np.setdiff1d(np.arange(len(pos)), outer)
    return pos, pos[inner]


def _is_residential(tags: Mapping[str, str], table: TagTable) -> str:
    """Whether a building is a home: "yes" (anywhere), "inside" (inside a residential area)
    or "no"."""
    value = tags.get("building", "")
    if value in table.get("buildings", "residential") or _has(
        tags, table.get("buildings", "residential_tags")
    ):
        return "yes"
    if value in table.get("buildings", "residential_inside"):
        return "inside"
    return "no"


def _floors(tags: Mapping[str, str], table: TagTable) -> tuple[int, bool]:
    """(floors, whether they were guessed)."""
    levels = _number(tags.get("building:levels"))
    if levels is not None and 1 <= round(levels) <= _MAX_FLOORS:
        return round(levels), False
    height = _number(tags.get("height"))
    if height is not None and height > 0:
        floors = round(height / float(table.get("floors", "metres_per_floor")))
        if 1 <= floors <= _MAX_FLOORS:
            return floors, True
    house = tags.get("building") in table.get("buildings", "houses")
    return int(table.get("floors", "default_house" if house else "default")), True


def _buildings(
    areas: gpd.GeoDataFrame,
    metric: gpd.GeoSeries,
    res_pos: np.ndarray,
    table: TagTable,
    report: OsmReport,
) -> gpd.GeoDataFrame:
    """Residential buildings with floors and (estimated) households, residents, elderly."""
    est = table.data["estimates"]
    houses = table.get("buildings", "houses")
    res_polys = metric.to_numpy()[res_pos]
    rows: list[dict[str, Any]] = []
    keep: list[int] = []
    kinds = [_is_residential(tg, table) if "building" in tg else "-" for tg in areas["tags"]]
    inside = np.zeros(len(areas), dtype=bool)
    maybe = np.flatnonzero(np.array([k == "inside" for k in kinds], dtype=bool))
    if len(maybe) and len(res_polys):
        pts = shapely.point_on_surface(metric.to_numpy()[maybe])
        hit = _containing(pts, res_polys, shapely.area(res_polys))
        inside[maybe[hit >= 0]] = True
    footprint = shapely.area(metric.to_numpy())
    for i, (tags, kind) in enumerate(zip(areas["tags"], kinds, strict=True)):
        if kind == "-":
            continue
        if kind == "no" or (kind == "inside" and not inside[i]):
            why = "not_residential" if kind == "no" else "outside_residential"
            report.skipped[(why, f"building={tags.get('building')}")] += 1
            continue
        floors, guessed = _floors(tags, table)
        report.floors_guessed += guessed
        flats = _number(tags.get("building:flats"))
        if flats is not None and flats >= 1:
            households = round(flats)
            report.households_from_flats += 1
        elif tags.get("building") in houses:
            households = 1
            report.households_estimated += 1
        else:
            gross = footprint[i] * floors * float(est["living_share"])
            households = max(1, round(gross / float(est["square_metres_per_household"])))
            report.households_estimated += 1
        residents = round(households * float(est["persons_per_household"]))
        rows.append(
            {
                "building_id": f"OSM-{areas['osm'].iat[i]}",
                "name": _name(tags) or _address(tags),
                "floors": floors,
                "households": households,
                "residents": residents,
                "elderly": min(residents, round(residents * float(est["elderly_share"]))),
                "built_year": _year(tags.get("start_date")),
                "estimated": 1,
                "street": tags.get("addr:street"),
            }
        )
        keep.append(i)
    frame = pd.DataFrame(
        rows,
        columns=[
            "building_id",
            "name",
            "floors",
            "households",
            "residents",
            "elderly",
            "built_year",
            "estimated",
            "street",
        ],
    )
    return gpd.GeoDataFrame(frame, geometry=list(metric.to_numpy()[keep]), crs=metric.crs)


def _year(text: str | None) -> int | None:
    m = re.match(r"\s*(\d{4})", text or "")
    return int(m.group(1)) if m else None


# -- roads -----------------------------------------------------------------------------------
def _walkable(tags: Mapping[str, str], table: TagTable, report: OsmReport) -> str | None:
    """The road kind of a highway way, or None (and the reason counted)."""
    highway = tags["highway"]
    kind = table.data["roads"]["kinds"].get(highway)
    if kind is None:
        report.skipped[("not_walkable", f"highway={highway}")] += 1
        return None
    blocked = _has(tags, table.get("roads", "no_foot"))
    if blocked and not _has(tags, table.get("roads", "foot_ok")):
        report.skipped[("no_access", blocked)] += 1
        return None
    if _has(tags, table.get("roads", "bridge")):
        return RoadKind.BRIDGE.value
    return str(kind)


def _roads(raw: _Raw, table: TagTable, report: OsmReport) -> gpd.GeoDataFrame:
    """Walkable ways cut into pieces at every node shared with another kept way."""
    kept = []
    for way_id, tags, refs, xy in raw.ways:
        kind = _walkable(tags, table, report)
        if kind is not None:
            kept.append((way_id, tags, refs, xy, kind))
    uses = Counter(ref for _, _, refs, _, _ in kept for ref in refs)
    rows: list[dict[str, Any]] = []
    lines: list[list[tuple[float, float]]] = []
    clipped = 0
    for way_id, tags, refs, xy, kind in kept:
        piece: list[tuple[float, float]] = []
        cut = False
        for ref, point in zip(refs, xy, strict=True):
            if point is None:  # a node outside the extract: the way is cut there
                cut = True
                if len(set(piece)) > 1:
                    lines.append(piece)
                    rows.append(_road_row(way_id, tags, kind))
                piece = []
                continue
            piece.append(point)
            if uses[ref] > 1 and len(piece) > 1:
                if len(set(piece)) > 1:
                    lines.append(piece)
                    rows.append(_road_row(way_id, tags, kind))
                piece = [point]
        if len(set(piece)) > 1:
            lines.append(piece)
            rows.append(_road_row(way_id, tags, kind))
        clipped += cut
    if clipped:
        report.skipped[("clipped", "")] += clipped
    frame = pd.DataFrame(rows, columns=["kind", "name", "highway", "osm"])
    if not lines:
        return gpd.GeoDataFrame(frame, geometry=[], crs=WGS84)
    owner = np.repeat(np.arange(len(lines)), [len(line) for line in lines])
    coords = np.array([xy for line in lines for xy in line], dtype=float)
    geoms = shapely.linestrings(coords, indices=owner)
    return gpd.GeoDataFrame(frame, geometry=geoms, crs=WGS84)


def _road_row(way_id: int, tags: Mapping[str, str], kind: str) -> dict[str, Any]:
    return {"kind": kind, "name": _name(tags), "highway": tags["highway"], "osm": f"w{way_id}"}


# -- facilities and landuse -------------------------------------------------------------------
def _facilities(
    raw: _Raw, areas: gpd.GeoDataFrame, table: TagTable, report: OsmReport
) -> gpd.GeoDataFrame:
    rows: list[dict[str, Any]] = []
    geoms: list[shapely.Geometry] = []
    sources = [(osm, tags, shapely.Point(x, y), True) for osm, tags, x, y in raw.nodes]
    sources += [
        (osm, tags, geom, False)
        for osm, tags, geom in zip(areas["osm"], areas["tags"], areas.geometry, strict=True)
    ]
    for osm, tags, geom, is_node in sources:
        kind = _facility_kind(tags, table)
        if kind is None:
            key = next((k for k in _REPORT_KEYS if k in tags), None)
            if key is not None and (is_node or "building" not in tags):
                report.skipped[("no_kind", f"{key}={tags[key]}")] += 1
            continue
        capacity = _number(tags.get("capacity"))
        rows.append(
            {
                "facility_id": f"OSM-{osm}",
                "kind": kind,
                "name": _name(tags) or label(FacilityKind(kind), "zh"),
                "address": _address(tags),
                "capacity": None if capacity is None else int(capacity),
                "is_node": is_node,
                "area": geom,
            }
        )
        geoms.append(geom if is_node else geom.representative_point())
    frame = gpd.GeoDataFrame(
        pd.DataFrame(
            rows, columns=["facility_id", "kind", "name", "address", "capacity", "is_node", "area"]
        ),
        geometry=geoms,
        crs=WGS84,
    )
    return _drop_doubles(frame, report)


def _drop_doubles(frame: gpd.GeoDataFrame, report: OsmReport) -> gpd.GeoDataFrame:
    """Drop a facility area that holds a facility node of the same kind (one place, twice)."""
    nodes = frame[frame["is_node"]]
    polys = frame[~frame["is_node"]]
    drop: set[int] = set()
    if len(nodes) and len(polys):
        pi, ai = shapely.STRtree(polys["area"].to_numpy()).query(
            nodes.geometry.to_numpy(), predicate="within"
        )
        same = nodes["kind"].to_numpy()[pi] == polys["kind"].to_numpy()[ai]
        drop = set(polys.index[ai[same]])
    for _ in drop:
        report.skipped[("double", "")] += 1
    return frame.drop(index=list(drop)).drop(columns=["is_node", "area"]).reset_index(drop=True)


def _landuse(areas: gpd.GeoDataFrame, table: TagTable) -> gpd.GeoDataFrame:
    rows, geoms = [], []
    for osm, tags, geom in zip(areas["osm"], areas["tags"], areas.geometry, strict=True):
        for kind, specs in table.data["landuse"].items():
            if _has(tags, specs):
                rows.append(
                    {
                        "landuse_id": f"OSM-{osm}",
                        "kind": kind,
                        "name": _name(tags),
                        "street_id": _STREET_ID,
                    }
                )
                geoms.append(geom)
                break
    frame = pd.DataFrame(rows, columns=["landuse_id", "kind", "name", "street_id"])
    return gpd.GeoDataFrame(frame, geometry=geoms, crs=WGS84)
