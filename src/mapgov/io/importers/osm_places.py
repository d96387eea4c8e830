"""The street built from OpenStreetMap buildings: compounds, blocks, grids, communities, street.

Buildings outside every residential area are grouped by street block; communities come from
``admin_level`` 10 areas or groups of about 3,000 households, grids from groups of up to 500;
the street is the whole extract, with its name and its users. Used by
:func:`mapgov.io.importers.osm.read_osm`.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from mapgov.io.importers.osm_features import (
    _containing,
    _polygonal,
    _year,
)
from mapgov.io.importers.osm_read import (
    OsmReport,
    TagTable,
    _address,
    _name,
)
from mapgov.io.importers.partition import partition


# -- places: compounds, blocks, grids, communities, street ------------------------------------
def _bisect(xy: np.ndarray, weight: np.ndarray, limit: float) -> list[np.ndarray]:
    """Split points into spatially compact groups of at most `limit` total weight (a single
    point may weigh more): halve the heavier-spread axis at the weighted median, recursively."""
    groups: list[np.ndarray] = []
    stack = [np.arange(len(xy))]
    while stack:
        idx = stack.pop()
        if len(idx) <= 1 or weight[idx].sum() <= limit:
            groups.append(idx)
            continue
        pts = xy[idx]
        axis = int(np.ptp(pts[:, 1]) > np.ptp(pts[:, 0]))
        order = idx[np.argsort(pts[:, axis], kind="stable")]
        cum = np.cumsum(weight[order])
        cut = int(np.clip(np.searchsorted(cum, cum[-1] / 2) + 1, 1, len(order) - 1))
        stack += [order[cut:], order[:cut]]
    return groups


def _hull(geoms: np.ndarray, buffer_m: float) -> shapely.Geometry:
    return shapely.buffer(shapely.convex_hull(shapely.union_all(shapely.envelope(geoms))), buffer_m)


def _block_compounds(
    buildings: gpd.GeoDataFrame,
    roads: gpd.GeoDataFrame,
    compounds: np.ndarray,
    table: TagTable,
    report: OsmReport,
) -> tuple[list[dict[str, Any]], list[shapely.Geometry], np.ndarray]:
    """Compounds for residential buildings outside every residential area, one per street
    block (the faces that the block roads and the extract's edge cut).

    Returns
    -------
    (rows, geometries, block of each given building)
    """
    geoms = buildings.geometry.to_numpy()
    block_roads = roads[roads["highway"].isin(table.get("compounds", "block_roads"))]
    edge = shapely.buffer(shapely.envelope(shapely.union_all(geoms)), 200).exterior
    noded = shapely.union_all([*block_roads.geometry.to_numpy(), edge])
    faces = np.asarray(shapely.get_parts(shapely.polygonize(shapely.get_parts(noded))))
    pts = shapely.point_on_surface(geoms)
    face = _containing(pts, faces, shapely.area(faces)) if len(faces) else np.full(len(pts), -1)
    rows, polys = [], []
    block = np.full(len(geoms), -1, dtype=np.int64)
    taken = shapely.union_all(compounds) if len(compounds) else None
    for n, f in enumerate(np.unique(face), start=1):
        members = np.flatnonzero(face == f)
        block[members] = n - 1
        poly = shapely.buffer(shapely.convex_hull(shapely.union_all(geoms[members])), 5)
        if f >= 0:
            poly = shapely.intersection(poly, faces[f])
        if taken is not None:
            poly = shapely.difference(poly, taken)
        poly = _polygonal(poly) if poly is not None and not poly.is_empty else None
        if poly is None or poly.is_empty:
            poly = shapely.buffer(shapely.union_all(geoms[members]), 2)
        streets = buildings["street"].iloc[members].dropna()
        street = streets.mode().iat[0] if len(streets) else None
        rows.append(
            {
                "compound_id": f"OSM-B{n:04d}",
                "name": f"{street} 街区" if street else f"街区 {n}",
                "address": street,
            }
        )
        polys.append(poly)
    report.notes.append(("blocks", {"compounds": len(rows), "buildings": len(geoms)}))
    return rows, polys, block


def _compounds(
    areas: gpd.GeoDataFrame,
    metric: gpd.GeoSeries,
    inner: np.ndarray,
    buildings: gpd.GeoDataFrame,
    roads_m: gpd.GeoDataFrame,
    *,
    table: TagTable,
    report: OsmReport,
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Compounds (in the metric CRS) and the buildings with their compound."""
    polys = metric.to_numpy()[inner]
    where = _containing(
        shapely.point_on_surface(buildings.geometry.to_numpy()), polys, shapely.area(polys)
    )
    used = np.unique(where[where >= 0])
    for _ in range(len(inner) - len(used)):
        report.skipped[("empty_compound", "")] += 1
    rows = []
    for k in used:
        tags = areas["tags"].iat[inner[k]]
        osm = areas["osm"].iat[inner[k]]
        rows.append(
            {
                "compound_id": f"OSM-{osm}",
                "name": _name(tags) or f"住宅区 {osm}",
                "address": _address(tags),
                "built_year": _year(tags.get("start_date")),
            }
        )
    comp_ids = np.array([r["compound_id"] for r in rows], dtype=object)
    remap = np.full(len(inner), -1, dtype=np.int64)
    remap[used] = np.arange(len(used))
    b_comp = np.empty(len(buildings), dtype=object)
    inside = where >= 0
    b_comp[inside] = comp_ids[remap[where[inside]]]
    comp_geoms = list(polys[used])
    outside = np.flatnonzero(~inside)
    if len(outside):
        extra, extra_geoms, block = _block_compounds(
            buildings.iloc[outside], roads_m, polys[used], table, report
        )
        b_comp[outside] = np.array([r["compound_id"] for r in extra], dtype=object)[block]
        rows += extra
        comp_geoms += extra_geoms
    cols = ["compound_id", "name", "address", "built_year"]
    compounds = gpd.GeoDataFrame(
        pd.DataFrame(rows, columns=cols), geometry=comp_geoms, crs=metric.crs
    )
    return compounds, buildings.assign(compound_id=b_comp)


def _number_buildings(buildings: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Number buildings 1.. within their compound (north to south, west to east) and name
    the unnamed ones "<n>号楼"."""
    pts = shapely.point_on_surface(buildings.geometry.to_numpy())
    order = pd.DataFrame(
        {
            "c": buildings["compound_id"].to_numpy(),
            "y": -shapely.get_y(pts),
            "x": shapely.get_x(pts),
        }
    ).sort_values(["c", "y", "x"], kind="stable")
    number = order.groupby("c").cumcount().add(1).reindex(range(len(buildings))).to_numpy()
    names = buildings["name"].to_numpy(dtype=object)
    missing = pd.isna(names)
    names[missing] = [f"{n}号楼" for n in number[missing]]
    return buildings.assign(number=number, name=names)


def _communities(
    areas: gpd.GeoDataFrame,
    metric: gpd.GeoSeries,
    compounds: gpd.GeoDataFrame,
    households: np.ndarray,
    street: shapely.Geometry,
    *,
    table: TagTable,
    report: OsmReport,
) -> tuple[list[dict[str, Any]], list[shapely.Geometry], np.ndarray]:
    """Communities (rows, metric geometries) and the community of each compound.

    The areas share the `street` out without overlap (:func:`partition`): each community
    holds its compounds, an administrative one its boundary, a derived one the ground nearest
    to its compounds within its hull; each compound then belongs to the community whose area
    holds its representative point.
    """
    level = str(table.get("places", "community_admin_level"))
    admin = np.flatnonzero(
        [
            tg.get("boundary") == "administrative" and tg.get("admin_level") == level
            for tg in areas["tags"]
        ]
    )
    polys = metric.to_numpy()[admin]
    pts = shapely.point_on_surface(compounds.geometry.to_numpy())
    where = _containing(pts, polys, shapely.area(polys))
    rows: list[dict[str, Any]] = []
    geoms: list[shapely.Geometry] = []
    owner = np.full(len(compounds), -1, dtype=np.int64)
    for k in np.unique(where[where >= 0]):
        owner[where == k] = len(rows)
        osm = areas["osm"].iat[admin[k]]
        rows.append({"community_id": f"OSM-{osm}", "name": _name(areas["tags"].iat[admin[k]])})
        geoms.append(polys[k])
    if rows:
        report.notes.append(("communities_admin", {"n": len(rows), "level": level}))
    n_admin = len(rows)
    rest = np.flatnonzero(owner < 0)
    if len(rest):
        limit = float(table.get("places", "households_per_community"))
        xy = np.column_stack([shapely.get_x(pts[rest]), shapely.get_y(pts[rest])])
        groups = _bisect(xy, households[rest], limit)
        for n, group in enumerate(groups, start=1):
            owner[rest[group]] = len(rows)
            rows.append({"community_id": f"OSM-C{n:02d}", "name": f"社区 {n}"})
            geoms.append(_hull(compounds.geometry.to_numpy()[rest[group]], 30))
        report.notes.append(("communities_derived", {"n": len(groups), "households": limit}))
    for row in rows:
        row["name"] = row["name"] or row["community_id"]
    fixed = [*geoms[:n_admin], *([None] * (len(rows) - n_admin))]
    territory = shapely.intersection(shapely.union_all(geoms), street)
    comp = compounds.geometry.to_numpy()
    parts = partition(territory, comp, owner, len(rows), fixed=fixed)
    where = _containing(pts, np.asarray(parts, dtype=object), shapely.area(parts))
    owner = np.where(where >= 0, where, owner)
    used = np.unique(owner)  # a community whose compounds all stand in another's: none
    remap = np.full(len(rows), -1, dtype=np.int64)
    remap[used] = np.arange(len(used))
    return [rows[k] for k in used], [parts[k] for k in used], remap[owner]


def _grids(
    compounds: gpd.GeoDataFrame,
    owner: np.ndarray,
    community_ids: list[str],
    community_areas: list[shapely.Geometry],
    households: np.ndarray,
    *,
    table: TagTable,
    report: OsmReport,
) -> tuple[list[dict[str, Any]], list[shapely.Geometry], np.ndarray]:
    limit = float(table.get("places", "households_per_grid"))
    pts = shapely.point_on_surface(compounds.geometry.to_numpy())
    xy = np.column_stack([shapely.get_x(pts), shapely.get_y(pts)])
    rows, geoms = [], []
    grid_of = np.empty(len(compounds), dtype=object)
    polys = compounds.geometry.to_numpy()
    for c, cid in enumerate(community_ids):
        members = np.flatnonzero(owner == c)
        groups = _bisect(xy[members], households[members], limit)
        label = np.empty(len(members), dtype=np.int64)
        for n, group in enumerate(groups, start=1):
            label[group] = n - 1
            gid = f"{cid}-G{n:02d}"
            grid_of[members[group]] = gid
            rows.append({"grid_id": gid, "community_id": cid, "name": f"网格 {n}"})
        # the grids share their community's area out, as the communities share the street's
        geoms += partition(community_areas[c], polys[members], label, len(groups))
    report.notes.append(("grids", {"n": len(rows), "households": limit}))
    return rows, geoms, grid_of


def _street_name(
    areas: gpd.GeoDataFrame, metric: gpd.GeoSeries, compounds: gpd.GeoDataFrame
) -> str | None:
    """The name of the level-8 administrative area (街道 / 乡镇) holding most compounds."""
    admin = np.flatnonzero(
        [
            tg.get("boundary") == "administrative"
            and tg.get("admin_level") == "8"
            and bool(_name(tg))
            for tg in areas["tags"]
        ]
    )
    if not len(admin):
        return None
    polys = metric.to_numpy()[admin]
    where = _containing(
        shapely.point_on_surface(compounds.geometry.to_numpy()), polys, shapely.area(polys)
    )
    if not (where >= 0).any():
        return None
    best = int(np.bincount(where[where >= 0]).argmax())
    return _name(areas["tags"].iat[admin[best]])


def _users(street_id: str, communities: list[dict[str, Any]]) -> pd.DataFrame:
    """A leader, a planner and an administrator for the street, one staff per community: the
    pages need someone to work as; rename them in the database. Their login is their id and
    they have no password: ``mapgov user passwd LOGIN`` lets one sign in."""
    rows = [
        {"user_id": f"{street_id}-{role}", "name": name, "role": role, "street_id": street_id}
        for role, name in (("leader", "街道书记"), ("planner", "规划员"), ("admin", "管理员"))
    ]
    rows += [
        {
            "user_id": f"{c['community_id']}-staff1",
            "name": f"{c['name']}工作人员",
            "role": "staff",
            "street_id": street_id,
            "community_id": c["community_id"],
        }
        for c in communities
    ]
    frame = pd.DataFrame(rows, columns=["user_id", "name", "role", "street_id", "community_id"])
    return frame.assign(login=frame["user_id"])
