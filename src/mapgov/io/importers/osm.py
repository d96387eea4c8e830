"""A street from an OpenStreetMap extract (.osm.pbf, or .osm XML): places, roads, facilities.

OpenStreetMap knows buildings, residential areas, the street network and shops and services,
but not the governance above them. :func:`read_osm` maps what it knows through a tag table kept
as data (``standards/osm_tags.toml``, described in ``docs/osm-tags.md``) and derives the rest:

- residential buildings (``building=apartments|residential|house|...``, or ``building=yes``
  inside a residential area) become buildings; ``building:levels`` gives floors (else
  ``height`` / 3 m, else a default), ``building:flats`` households; households without it,
  and residents and elderly residents always, are estimated from footprint x floors and marked
  ``estimated``;
- residential areas (``landuse=residential``, ``place=neighbourhood``, ``residential=*``)
  become compounds (the innermost where they nest); residential buildings outside every one
  are grouped into compounds by the street block they stand in;
- communities are the administrative areas of ``admin_level`` 10 (社区 / 村) where the extract
  has them, else groups of nearby compounds of about 3,000 households; grids are groups of
  nearby compounds of up to 500 households in each community; the street is the whole extract;
- walkable highways become road pieces split at every junction node (so that the walking graph
  of :mod:`mapgov.domain.lifecircle.network` connects where OSM ways share a node, and nowhere else:
  a bridge does not meet the road below it);
- amenities, shops, leisure and social facilities become the nine facility kinds.

pyosmium reads the file: its ways carry their node ids, which is what splitting at shared
nodes needs, and one pass yields nodes, ways and assembled (multi)polygons.

:func:`import_osm` lands the result all or nothing (a new database is written whole, an
existing one is changed only by :func:`mapgov.io.importers.import_layers`). Every step's counts,
and everything left out with the reason, are in the :class:`OsmReport`.

The steps sit in three modules beside this one: :mod:`mapgov.io.importers.osm_read` (the tag
table, the scan of the file, the report), :mod:`mapgov.io.importers.osm_features` (buildings,
roads, facilities and landuse mapped through the tag table) and
:mod:`mapgov.io.importers.osm_places` (compounds, blocks, grids, communities and the street).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from mapgov.core.crs import WGS84, utm_for
from mapgov.core.errors import DataFileError, StoreError
from mapgov.core.i18n import Note
from mapgov.io.importers.load import import_layers
from mapgov.io.importers.osm_features import (
    _areas,
    _buildings,
    _compound_candidates,
    _containing,
    _facilities,
    _landuse,
    _roads,
)
from mapgov.io.importers.osm_places import (
    _communities,
    _compounds,
    _grids,
    _hull,
    _number_buildings,
    _street_name,
    _users,
)
from mapgov.io.importers.osm_read import (
    _STREET_ID,
    SUFFIXES,
    OsmReport,
    TagTable,
    _check_file,
    _scan,
    load_tag_table,
)
from mapgov.io.importers.validate import CHINA
from mapgov.store import TABLES, open_store, write_database

__all__ = [
    "SUFFIXES",
    "OsmReport",
    "TagTable",
    "import_osm",
    "land_osm",
    "load_tag_table",
    "read_osm",
]


# -- the whole mapping ----------------------------------------------------------------------
def _to_wgs(rows: list[dict[str, Any]], geoms: list[Any], crs: pyproj.CRS) -> gpd.GeoDataFrame:
    frame = gpd.GeoDataFrame(pd.DataFrame(rows), geometry=list(geoms), crs=crs)
    return frame.to_crs(WGS84)


def _internal_paths(roads_m: gpd.GeoDataFrame, compounds: gpd.GeoDataFrame) -> np.ndarray:
    """The compound of each road piece of kind path or branch lying wholly inside one."""
    out = np.full(len(roads_m), None, dtype=object)
    small = np.flatnonzero(roads_m["kind"].isin(["path", "branch"]).to_numpy())
    if not len(small) or compounds.empty:
        return out
    ri, ci = shapely.STRtree(compounds.geometry.to_numpy()).query(
        roads_m.geometry.to_numpy()[small], predicate="covered_by"
    )
    out[small[ri]] = compounds["compound_id"].to_numpy()[ci]
    return out


def read_osm(
    path: Path | str, *, street_name: str | None = None, tags: TagTable | None = None
) -> tuple[dict[str, pd.DataFrame], OsmReport]:
    """Read an OSM extract and map it to mapgov's tables; nothing is written.

    Parameters
    ----------
    path : pathlib.Path or str
        A .osm.pbf (or .osm, .osm.gz, .osm.bz2) file.
    street_name : str or None
        Name of the street (default: the level-8 administrative area holding most compounds,
        else the file's name).
    tags : TagTable or None
        Tag table (default: the shipped ``standards/osm_tags.toml``).

    Returns
    -------
    tuple of (dict[str, pandas.DataFrame], OsmReport)
        Frames by table name (street, community, grid, compound, building, road, facility,
        landuse, app_user), GeoDataFrames in EPSG:4326; and what was done.

    Raises
    ------
    DataFileError
        For a missing, empty, oversized, truncated or malformed file, or one without residential
        buildings or walkable roads; the message names the file and what is wrong.
    """
    started = time.perf_counter()
    path = Path(path)
    _check_file(path)
    table = tags or load_tag_table()
    report = OsmReport(path=path)
    est = table.data["estimates"]
    report.notes.append(
        (
            "constants",
            {
                "sqm": est["square_metres_per_household"],
                "share": est["living_share"],
                "persons": est["persons_per_household"],
                "elderly": est["elderly_share"],
            },
        )
    )
    raw = _scan(path)
    areas = _areas(raw)
    if raw.bad_areas:
        report.skipped[("bad_geometry", "")] += raw.bad_areas
    roads = _roads(raw, table, report)
    if roads.empty:
        raise DataFileError(path, Note("import_problem.no_roads"))
    lon, lat = shapely.get_coordinates(roads.geometry.to_numpy()).mean(axis=0)
    crs = utm_for(float(lon), float(lat))
    metric = areas.geometry.to_crs(crs)
    roads_m = roads.to_crs(crs)
    res_pos, inner = _compound_candidates(areas, metric, table, report)
    buildings = _buildings(areas, metric, res_pos, table, report)
    if buildings.empty:
        msg = Note("import_problem.no_homes")
        raise DataFileError(path, msg)
    compounds, buildings = _compounds(
        areas, metric, inner, buildings, roads_m, table=table, report=report
    )
    buildings = _number_buildings(buildings)
    hh = buildings.groupby("compound_id")["households"].sum()
    comp_hh = hh.reindex(compounds["compound_id"]).fillna(0).to_numpy(dtype=float)
    street_geom = _hull(
        np.concatenate([compounds.geometry.to_numpy(), roads_m.geometry.to_numpy()]), 20
    )
    com_rows, com_geoms, owner = _communities(
        areas, metric, compounds, comp_hh, street_geom, table=table, report=report
    )
    community_ids = [r["community_id"] for r in com_rows]
    grid_rows, grid_geoms, grid_of = _grids(
        compounds, owner, community_ids, com_geoms, comp_hh, table=table, report=report
    )
    compounds = compounds.assign(grid_id=grid_of)
    roads_m = roads_m.assign(compound_id=_internal_paths(roads_m, compounds), street_id=_STREET_ID)
    name = street_name or _street_name(areas, metric, compounds) or _stem(path)
    for row in com_rows:
        row["street_id"] = _STREET_ID
    communities = _to_wgs(com_rows, com_geoms, crs)
    facilities = _facilities(raw, areas, table, report)
    if not facilities.empty:
        fac_m = facilities.to_crs(crs)
        polys = np.asarray(com_geoms, dtype=object)
        points = fac_m.geometry.to_numpy()
        where = _containing(points, polys, shapely.area(polys))
        lost = np.flatnonzero(where < 0)  # outside every community: the nearest one
        if len(lost):
            where[lost] = shapely.STRtree(polys).query_nearest(points[lost], all_matches=False)[1]
        facilities = facilities.assign(community_id=np.array(community_ids, dtype=object)[where])
    tables: dict[str, pd.DataFrame] = {
        "street": _to_wgs(
            [{"street_id": _STREET_ID, "name": name, "city": None, "district": None}],
            [street_geom],
            crs,
        ),
        "community": communities,
        "grid": _to_wgs(grid_rows, grid_geoms, crs),
        "compound": compounds.to_crs(WGS84),
        "building": buildings.drop(columns="street").to_crs(WGS84),
        "road": roads_m.drop(columns=["highway", "osm"])
        .to_crs(WGS84)
        .assign(road_id=lambda f: np.arange(1, len(f) + 1)),
        "facility": facilities,
        "landuse": _landuse(areas, table),
        "app_user": _users(_STREET_ID, com_rows),
    }
    _finish_report(report, tables)
    report.seconds = time.perf_counter() - started
    return tables, report


def _stem(path: Path) -> str:
    name = path.name
    for suffix in SUFFIXES:
        if name.lower().endswith(suffix):
            return name[: -len(suffix)] or name
    return path.stem


def _finish_report(report: OsmReport, tables: Mapping[str, pd.DataFrame]) -> None:
    report.counts = {name: len(frame) for name, frame in tables.items()}
    report.facility_kinds = Counter(tables["facility"]["kind"])
    report.road_kinds = Counter(tables["road"]["kind"])
    minx, miny, maxx, maxy = tables["street"].total_bounds
    if minx < CHINA[0] or maxx > CHINA[2] or miny < CHINA[1] or maxy > CHINA[3]:
        report.notes.append(("outside_china", {}))


# -- landing ---------------------------------------------------------------------------------
def _empty(name: str) -> pd.DataFrame:
    spec = next(s for s in TABLES if s.name == name)
    cols = [c for c in spec.column_names if c != "geom"]
    frame = pd.DataFrame({c: pd.Series([], dtype=object) for c in cols})
    if spec.has_geometry:
        return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries([], crs=WGS84), crs=WGS84)
    return frame


def import_osm(
    path: Path | str,
    db: Path | str,
    *,
    street_name: str | None = None,
    replace: bool = False,
    dry_run: bool = False,
    tags: TagTable | None = None,
) -> OsmReport:
    """Read an OSM extract and land it in the database `db`, all or nothing.

    Parameters
    ----------
    path : pathlib.Path or str
        The extract (see :func:`read_osm`).
    db : pathlib.Path or str
        A SQLite database. A new one is written whole; in an existing one the street, its
        places, roads, facilities, landuse and gates are replaced in one step
        (:func:`mapgov.io.importers.import_layers`), and the users too when it has none.
    street_name : str or None
        See :func:`read_osm`.
    replace : bool
        Empty every other table as well (issues, party organisation, property management,
        resident units ...): for a database that held another district, such as the demo.
    dry_run : bool
        Read, map and report only.
    tags : TagTable or None
        See :func:`read_osm`.

    Returns
    -------
    OsmReport
        What was read and mapped (counts, notes).

    Raises
    ------
    DataFileError
        If the extract cannot be read (see :func:`read_osm`).
    StoreError
        If the database cannot be written, or (without `replace`) its other records refer to
        places the extract no longer has. The database is then byte for byte as it was.
    """
    layers, report = read_osm(path, street_name=street_name, tags=tags)
    if not dry_run:
        land_osm(layers, db, source=f"osm:{Path(path).name}", replace=replace)
    return report


def land_osm(
    layers: Mapping[str, pd.DataFrame], db: Path | str, *, source: str, replace: bool = False
) -> None:
    """Land the tables :func:`read_osm` made (the data page keeps them between its check and
    its import, so the extract need not stay on disk) in the database `db`, as
    :func:`import_osm` does; `source` is recorded as the database's ``source``.

    Parameters
    ----------
    layers : Mapping[str, pandas.DataFrame]
        The frames of :func:`read_osm`, by table name.
    db : pathlib.Path or str
        A SQLite database (written whole when it does not exist).
    source : str
        What the data came from (e.g. ``osm:<file name>``).
    replace : bool
        Empty every other table as well (see :func:`import_osm`).

    Raises
    ------
    StoreError
        As :func:`import_osm`.
    """
    db = Path(db)
    produced = dict(layers)
    produced["gate"] = _empty("gate")
    if not db.exists():
        tables = {s.name: produced.get(s.name, _empty(s.name)) for s in TABLES if s.name != "meta"}
        write_database(db, tables, {"generator": "mapgov import osm", "source": source})
        return
    store = open_store(db)
    if replace:  # every table starts afresh but the audit log, which is never erased
        for spec in TABLES:
            if spec.name not in ("meta", "audit_log") and spec.name not in produced:
                produced[spec.name] = _empty(spec.name)
    elif not store.read("app_user", columns=["user_id"]).empty:
        del produced["app_user"]
    described = {"generator": "mapgov import osm", "source": source} if replace else None
    try:
        import_layers(store, produced, source=source, meta=described)
    except StoreError as err:
        if "foreign keys" not in str(err):
            raise
        msg = (
            f"{err}: other records of {db} (issues, party organisation, users ...) refer to "
            "places this extract replaces; import with --replace to start the database afresh "
            "from the extract (make a backup first: mapgov backup)"
        )
        raise StoreError(msg) from err
