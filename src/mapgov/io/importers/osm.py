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
"""

from __future__ import annotations

import re
import tempfile
import time
import tomllib
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Final

import geopandas as gpd
import numpy as np
import osmium
import pandas as pd
import pyproj
import shapely

from mapgov.core.crs import WGS84, utm_for
from mapgov.core.errors import DataFileError, StoreError
from mapgov.core.i18n import label, t
from mapgov.core.model import FacilityKind, RoadKind
from mapgov.io.importers.load import import_layers
from mapgov.io.importers.partition import partition
from mapgov.io.importers.read import MAX_BYTES
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

SUFFIXES: Final = (".osm.pbf", ".pbf", ".osm", ".osm.gz", ".osm.bz2")
_KEYS: Final = (
    "building",
    "landuse",
    "place",
    "residential",
    "highway",
    "amenity",
    "shop",
    "leisure",
    "social_facility",
    "social_facility:for",
    "healthcare",
    "office",
    "craft",
    "natural",
    "waterway",
    "boundary",
)
_REPORT_KEYS: Final = ("amenity", "shop", "leisure", "healthcare", "social_facility")
_MAX_FLOORS: Final = 120
_STREET_ID: Final = "OSM-S1"


# -- the tag table ---------------------------------------------------------------------------
@dataclass(frozen=True)
class _Rule:
    kind: str
    tags: tuple[str, ...] = ()
    names: tuple[str, ...] = ()
    unless_names: tuple[str, ...] = ()


@dataclass(frozen=True)
class TagTable:
    """The tag table (``standards/osm_tags.toml``) as read; see ``docs/osm-tags.md``."""

    data: Mapping[str, Any]
    rules: tuple[_Rule, ...]

    def get(self, section: str, key: str) -> Any:
        """One entry, e.g. ``get("estimates", "persons_per_household")``."""
        return self.data[section][key]


def load_tag_table(path: Path | None = None) -> TagTable:
    """Read a tag table: the shipped one, or a copy at `path` that a user changed.

    Raises
    ------
    DataFileError
        If the table cannot be read or names a facility kind that does not exist.
    """
    try:
        if path is None:
            text = (
                resources.files("mapgov.domain.lifecircle.standards")
                .joinpath("osm_tags.toml")
                .read_text("utf-8")
            )
        else:
            text = Path(path).read_text("utf-8")
        data = tomllib.loads(text)
        rules = tuple(
            _Rule(
                kind=r["kind"],
                tags=tuple(r.get("tags", ())),
                names=tuple(r.get("names", ())),
                unless_names=tuple(r.get("unless_names", ())),
            )
            for r in data["facility"]
        )
    except (OSError, tomllib.TOMLDecodeError, KeyError, TypeError) as err:
        raise DataFileError(path or "osm_tags.toml", f"cannot read the tag table: {err}") from err
    known = {k.value for k in FacilityKind}
    for rule in rules:
        if rule.kind not in known:
            msg = f"unknown facility kind {rule.kind!r}; kinds: {', '.join(sorted(known))}"
            raise DataFileError(path or "osm_tags.toml", msg, field="kind")
    for kind in set(data["roads"]["kinds"].values()) - {k.value for k in RoadKind}:
        raise DataFileError(path or "osm_tags.toml", f"unknown road kind {kind!r}", field="kind")
    return TagTable(data=data, rules=rules)


def _has(tags: Mapping[str, str], specs: Iterable[str]) -> str | None:
    """The first "key=value" (or "key=*") of `specs` that `tags` has."""
    for spec in specs:
        key, _, value = spec.partition("=")
        if key in tags and value in ("*", tags[key]):
            return spec
    return None


def _facility_kind(tags: Mapping[str, str], table: TagTable) -> str | None:
    name = tags.get("name:zh") or tags.get("name") or ""
    poi = any(k in tags for k in table.get("facilities", "poi_keys"))
    for rule in table.rules:
        if poi and name and any(w in name for w in rule.names):
            return rule.kind
        if _has(tags, rule.tags) and not any(w in name for w in rule.unless_names):
            return rule.kind
    return None


# -- the report ------------------------------------------------------------------------------
@dataclass
class OsmReport:
    """What an OSM import mapped, estimated, derived and left out.

    Attributes
    ----------
    path
        The extract.
    counts
        Rows per table.
    facility_kinds, road_kinds
        Rows per kind.
    households_from_flats, households_estimated, floors_guessed
        Buildings whose households came from ``building:flats``, were estimated from the
        footprint, and whose floors were not tagged.
    skipped
        (reason, tag) -> number of OSM objects left out; reasons are the catalogue keys
        ``osm.skip.<reason>``.
    notes
        (catalogue key below ``osm.note``, its values): how places were derived.
    seconds
        Time to read and map the extract.
    """

    path: Path
    counts: dict[str, int] = field(default_factory=dict)
    facility_kinds: Counter[str] = field(default_factory=Counter)
    road_kinds: Counter[str] = field(default_factory=Counter)
    households_from_flats: int = 0
    households_estimated: int = 0
    floors_guessed: int = 0
    skipped: Counter[tuple[str, str]] = field(default_factory=Counter)
    notes: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    seconds: float = 0.0

    def lines(self, lang: str = "en", *, top: int = 12) -> list[str]:
        """The report as text in `lang`; at most `top` tags per reason of leaving out."""
        c = self.counts
        out = [
            t("osm.report.title", lang, file=self.path.name, seconds=self.seconds),
            t(
                "osm.report.counts",
                lang,
                communities=c.get("community", 0),
                grids=c.get("grid", 0),
                compounds=c.get("compound", 0),
                buildings=c.get("building", 0),
                roads=c.get("road", 0),
                facilities=c.get("facility", 0),
            ),
        ]
        kinds = ", ".join(
            f"{label(FacilityKind(k), lang)} {n}" for k, n in sorted(self.facility_kinds.items())
        )
        out.append(t("osm.report.facility_kinds", lang, kinds=kinds or "-"))
        roads = ", ".join(
            f"{label(RoadKind(k), lang)} {n}" for k, n in sorted(self.road_kinds.items())
        )
        out.append(t("osm.report.road_kinds", lang, kinds=roads or "-"))
        out.append(
            t(
                "osm.report.estimates",
                lang,
                estimated=self.households_estimated,
                flats=self.households_from_flats,
                floors=self.floors_guessed,
            )
        )
        out += ["  " + t(f"osm.note.{key}", lang, **values) for key, values in self.notes]
        if self.skipped:
            out.append(t("osm.report.skipped", lang, n=sum(self.skipped.values())))
            by_reason: dict[str, list[tuple[str, int]]] = {}
            for (reason, tag), n in self.skipped.most_common():
                by_reason.setdefault(reason, []).append((tag, n))
            for reason, items in sorted(by_reason.items()):
                shown = ", ".join(f"{tag} {n}" if tag else str(n) for tag, n in items[:top])
                more = len(items) - top
                if more > 0:
                    shown += ", " + t("osm.report.more", lang, n=more)
                out.append("  " + t(f"osm.skip.{reason}", lang) + ": " + shown)
        return out


# -- reading ---------------------------------------------------------------------------------
@dataclass
class _Raw:
    nodes: list[tuple[str, dict[str, str], float, float]] = field(default_factory=list)
    ways: list[tuple[int, dict[str, str], list[int], list[tuple[float, float] | None]]] = field(
        default_factory=list
    )
    areas: list[tuple[str, dict[str, str], str]] = field(default_factory=list)
    bad_areas: int = 0


def _check_file(path: Path) -> None:
    if not path.is_file():
        raise DataFileError(path, "no such file")
    name = path.name.lower()
    if not name.endswith(SUFFIXES):
        msg = f"not an OpenStreetMap file name; use one of {', '.join(SUFFIXES)}"
        raise DataFileError(path, msg)
    size = path.stat().st_size
    if size == 0:
        raise DataFileError(path, "the file is empty")
    if size > MAX_BYTES:
        msg = (
            f"the file is larger than {MAX_BYTES // 2**20} MB; cut the district out of the "
            "extract first (e.g. osmium extract --bbox)"
        )
        raise DataFileError(path, msg)


def _sorted_copy(path: Path, out: Path) -> Path:
    """`path` rewritten to `out` with nodes, ways and relations each sorted by id, as
    libosmium's location and area handlers need (pyosmium; no external tool). Every object is
    held in memory once, which the file size limit keeps within a district's extract."""
    mutable = osmium.osm.mutable
    nodes: list[Any] = []
    ways: list[Any] = []
    relations: list[Any] = []
    for o in osmium.FileProcessor(str(path)):
        tags = dict(o.tags)
        if isinstance(o, osmium.osm.Node):
            loc = (o.location.lon, o.location.lat) if o.location.valid() else None
            nodes.append(mutable.Node(id=o.id, location=loc, tags=tags))
        elif isinstance(o, osmium.osm.Way):
            ways.append(mutable.Way(id=o.id, nodes=[n.ref for n in o.nodes], tags=tags))
        elif isinstance(o, osmium.osm.Relation):
            members = [(m.type, m.ref, m.role) for m in o.members]
            relations.append(mutable.Relation(id=o.id, members=members, tags=tags))
    writer = osmium.SimpleWriter(str(out))
    try:
        for group, add in ((nodes, writer.add_node), (ways, writer.add_way),
                           (relations, writer.add_relation)):  # fmt: skip
            for obj in sorted(group, key=lambda o: o.id):
                add(obj)
    finally:
        writer.close()
    return out


def _scan(path: Path) -> _Raw:
    """One pass over the file: tagged nodes, highway ways with node ids, assembled areas. A
    valid file whose objects are not sorted by id is sorted into a temporary copy first."""
    try:
        return _scan_sorted(path, path)
    except DataFileError as err:
        if "out of order" not in str(err):
            raise
    with tempfile.TemporaryDirectory(prefix="mapgov-osm-") as tmp:
        try:
            copy = _sorted_copy(path, Path(tmp) / "sorted.osm.pbf")
        except RuntimeError as err:
            msg = f"cannot read the OpenStreetMap data: {err}"
            raise DataFileError(path, msg) from err
        return _scan_sorted(copy, path)


def _scan_sorted(path: Path, named: Path) -> _Raw:
    raw = _Raw()
    wkb = osmium.geom.WKBFactory()
    processor = (
        osmium.FileProcessor(str(path))
        .with_locations()
        .with_areas()
        .with_filter(osmium.filter.KeyFilter(*_KEYS))
    )
    try:
        for obj in processor:
            if isinstance(obj, osmium.osm.Node):
                loc = obj.location
                raw.nodes.append((f"n{obj.id}", dict(obj.tags), loc.lon, loc.lat))
            elif isinstance(obj, osmium.osm.Way):
                if "highway" not in obj.tags:
                    continue
                refs = [n.ref for n in obj.nodes]
                xy = [(n.lon, n.lat) if n.location.valid() else None for n in obj.nodes]
                raw.ways.append((obj.id, dict(obj.tags), refs, xy))
            elif isinstance(obj, osmium.osm.Area):
                osm_id = f"{'w' if obj.from_way() else 'r'}{obj.orig_id()}"
                try:
                    geom = wkb.create_multipolygon(obj)
                except RuntimeError:
                    raw.bad_areas += 1
                    continue
                raw.areas.append((osm_id, dict(obj.tags), geom))
    except RuntimeError as err:  # libosmium: "PBF error: ...", "XML parsing error at line ..."
        msg = f"cannot read the OpenStreetMap data: {err}"
        raise DataFileError(named, msg) from err
    return raw


def _name(tags: Mapping[str, str]) -> str | None:
    return tags.get("name:zh") or tags.get("name") or None


def _address(tags: Mapping[str, str]) -> str | None:
    street = tags.get("addr:street")
    if not street:
        return None
    number = tags.get("addr:housenumber")
    return f"{street} {number}" if number else street


def _number(text: str | None) -> float | None:
    """The first number in a tag value ("5", "5;6", "4.5", "12 m"), or None."""
    if not text:
        return None
    m = re.match(r"\s*(\d+(?:\.\d+)?)", text)
    return float(m.group(1)) if m else None


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
    path
        A .osm.pbf (or .osm, .osm.gz, .osm.bz2) file.
    street_name
        Name of the street (default: the level-8 administrative area holding most compounds,
        else the file's name).
    tags
        Tag table (default: the shipped ``standards/osm_tags.toml``).

    Returns
    -------
    (tables, report)
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
        raise DataFileError(path, "no walkable roads (highway=*) in the extract")
    lon, lat = shapely.get_coordinates(roads.geometry.to_numpy()).mean(axis=0)
    crs = utm_for(float(lon), float(lat))
    metric = areas.geometry.to_crs(crs)
    roads_m = roads.to_crs(crs)
    res_pos, inner = _compound_candidates(areas, metric, table, report)
    buildings = _buildings(areas, metric, res_pos, table, report)
    if buildings.empty:
        msg = "no residential buildings (building=apartments|residential|house|...) in the extract"
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
    path
        The extract (see :func:`read_osm`).
    db
        A SQLite database. A new one is written whole; in an existing one the street, its
        places, roads, facilities, landuse and gates are replaced in one step
        (:func:`mapgov.io.importers.import_layers`), and the users too when it has none.
    street_name
        See :func:`read_osm`.
    replace
        Empty every other table as well (issues, party organisation, property management,
        resident units ...): for a database that held another district, such as the demo.
    dry_run
        Read, map and report only.
    tags
        See :func:`read_osm`.

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
