"""Reading an OpenStreetMap extract: the tag table, one pass over the file, and the report.

:func:`load_tag_table` reads the table that maps OSM tags to mapgov (``standards/osm_tags.toml``,
described in ``docs/osm-tags.md``); the scan reads nodes, ways and assembled areas with
pyosmium (sorting the file first when it needs to); :class:`OsmReport` collects every step's
counts and everything left out, with the reason. Used by :mod:`mapgov.io.importers.osm`.
"""

from __future__ import annotations

import re
import tempfile
import tomllib
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Final

import osmium

from mapgov.core.errors import DataFileError
from mapgov.core.i18n import Note, label, t
from mapgov.core.model import FacilityKind, RoadKind
from mapgov.io.importers.read import MAX_BYTES

__all__ = [
    "SUFFIXES",
    "OsmReport",
    "TagTable",
    "load_tag_table",
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
        """One entry, e.g. ``get("estimates", "persons_per_household")``.

        Parameters
        ----------
        section : str
            The table's section (``[estimates]`` ...).
        key : str
            The entry in that section.

        Returns
        -------
        Any
            The entry's value as TOML gives it.
        """
        return self.data[section][key]


def load_tag_table(path: Path | None = None) -> TagTable:
    """Read a tag table: the shipped one, or a copy at `path` that a user changed.

    Parameters
    ----------
    path : pathlib.Path or None
        A TOML tag table (``None``: the shipped ``standards/osm_tags.toml``).

    Returns
    -------
    TagTable
        The table and its tag rules.

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
        """The report as text in `lang`; at most `top` tags per reason of leaving out.

        Parameters
        ----------
        lang : str
            The language of the text.
        top : int
            Most tags listed per reason of leaving out.

        Returns
        -------
        list of str
            The report's lines.
        """
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
        raise DataFileError(path, Note("import_problem.no_file"))
    name = path.name.lower()
    if not name.endswith(SUFFIXES):
        msg = Note("import_problem.not_osm_name", suffixes=", ".join(SUFFIXES))
        raise DataFileError(path, msg)
    size = path.stat().st_size
    if size == 0:
        raise DataFileError(path, Note("import_problem.file_empty"))
    if size > MAX_BYTES:
        msg = Note("import_problem.osm_too_large", mb=MAX_BYTES // 2**20)
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
            msg = Note("import_problem.unreadable_osm", err=str(err))
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
        msg = Note("import_problem.unreadable_osm", err=str(err))
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
