"""Check a mapped layer before anything is written: CRS, coordinates, geometry, values.

Every problem names the file, the row (spreadsheet rows count the header as row 1; layers count
features from 1) and the field. Geometry that is invalid but safely repairable (the repaired
shape keeps its type and area within 1 %) is repaired and reported; anything else is an error,
and one error refuses the whole import.

Places anywhere on Earth are accepted, as ``import osm`` accepts them (a street exported from
mapgov goes back in); only undoing a GCJ-02 / BD-09 offset outside China is refused, since the
providers apply it only inside China.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from mapgov.core.crs import WGS84
from mapgov.core.errors import DataFileError
from mapgov.core.i18n import Note, catalogue
from mapgov.core.model import FacilityKind, RoadKind
from mapgov.io.importers.chinacrs import bd09_to_wgs84, gauss_kruger_zones, gcj02_to_wgs84, in_china
from mapgov.io.importers.mapping import REQUIRED
from mapgov.store import Table
from mapgov.store import table as schema_table
from mapgov.store.schema import schema_rules

__all__ = [
    "CHINA",
    "MAX_VERTICES",
    "Problem",
    "check_schema",
    "first_per_place",
    "geos_reason",
    "prepare_layer",
    "whole_numbers",
]

CHINA: Final = (73.0, 3.0, 136.0, 54.0)  # lon/lat box of China, for reports (not a refusal)
_GEOM: Final = {
    "building": ("Polygon", "MultiPolygon"),
    "compound": ("Polygon", "MultiPolygon"),
    "facility": ("Point",),
    "road": ("LineString",),
}
_INTS: Final = (
    "number",
    "floors",
    "units",
    "households",
    "residents",
    "elderly",
    "party_members",
    "built_year",
    "capacity",
)
_HIGHWAY: Final = {
    "primary": "arterial",
    "trunk": "arterial",
    "secondary": "secondary",
    "tertiary": "secondary",
    "residential": "branch",
    "unclassified": "branch",
    "living_street": "branch",
    "service": "path",
    "footway": "path",
    "pedestrian": "path",
    "path": "path",
    "steps": "path",
    "track": "path",
    "cycleway": "path",
    "bridge": "bridge",
}
_FACILITY_WORDS: Final = {  # what staff and OSM write for each kind
    "party_service_center": (
        "党群服务中心",
        "党群服务站",
        "党群服务",
        "社区服务站",
        "社区服务中心",
    ),
    "canteen": ("食堂", "幸福食堂", "助餐点", "老年食堂", "社区食堂"),
    "clinic": (
        "卫生服务站",
        "卫生服务中心",
        "社区卫生服务站",
        "卫生站",
        "诊所",
        "clinic",
        "doctors",
    ),
    "kindergarten": ("幼儿园", "托儿所", "kindergarten"),
    "primary_school": ("小学", "school"),
    "elderly_care": ("养老服务站", "日间照料中心", "养老院", "养老", "social_facility"),
    "market": ("菜市场", "农贸市场", "超市", "生鲜超市", "marketplace", "supermarket"),
    "sports_culture": (
        "文体广场",
        "健身场地",
        "文化活动站",
        "体育场",
        "sports_centre",
        "pitch",
        "park",
    ),
    "convenience_service": ("便民服务点", "便利店", "便民", "convenience"),
}
_MAX_PROBLEMS: Final = 200
MAX_VERTICES: Final = 20_000
"""Vertices one feature may have. A compound or building outline of a real street has tens to
hundreds; OpenStreetMap caps a way at 2,000 nodes, and its largest areas (a river, a park) are
assembled from several ways. A million-vertex outline would take the wall screen's server to
gigabytes of memory without drawing."""


@dataclass(frozen=True)
class Problem:
    """One finding: ``severity`` is "error" (refuses the import) or "repaired"."""

    path: str
    row: int | None
    field: str | None
    message: str
    """What is wrong, in English: a :class:`~mapgov.core.i18n.Note` (that a page shows in its
    reader's language with :func:`~mapgov.core.i18n.shown`), or a library's own words."""
    severity: str = "error"

    def __str__(self) -> str:
        return str(DataFileError(self.path, self.message, row=self.row, field=self.field))


def _kind_values(table: str) -> dict[str, str]:
    """Accepted spellings of a kind -> its code (codes, Chinese and English labels)."""
    enum = FacilityKind if table == "facility" else RoadKind
    prefix = "facility_kind" if table == "facility" else "road_kind"
    out = {m.value: m.value for m in enum}
    for lang in ("zh", "en"):
        cat = catalogue(lang)
        for m in enum:
            label = cat.get(f"{prefix}.{m.value}")
            if label:
                out[label.strip().lower()] = m.value
    if table == "road":
        out.update(_HIGHWAY)
    else:
        out.update({w.lower(): k for k, words in _FACILITY_WORDS.items() for w in words})
    return out


def _zone_hint(x: np.ndarray, y: np.ndarray) -> Note:
    zones = gauss_kruger_zones(x, y)
    if not zones:
        return Note("import_problem.hint_crs")
    if len(zones) == 1:
        code, name = zones[0]
        return Note("import_problem.hint_zone", name=name, code=code)
    (first, low), (last, high) = zones[0], zones[-1]
    return Note(
        "import_problem.hint_zones",
        low=low.rsplit(" ", 1)[-1],
        high=high.rsplit(" ", 1)[-1],
        first=first,
        last=last,
    )


def _numbers(frame: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    xy = shapely.get_coordinates(frame.geometry.to_numpy())
    return xy[:, 0], xy[:, 1]


def _in_degrees(x: np.ndarray, y: np.ndarray) -> bool:
    return bool((np.abs(x) <= 180).all() and (np.abs(y) <= 90).all())


def _span(v: np.ndarray) -> str:
    return f"{v.min():,.0f}–{v.max():,.0f}" if len(v) else "—"


def _stray_rows(frame: gpd.GeoDataFrame) -> dict[int, tuple[float, float]]:
    """The features with a coordinate beyond longitude/latitude ranges: position -> the
    first such coordinate."""
    xy, at = shapely.get_coordinates(frame.geometry.to_numpy(), return_index=True)
    beyond = (np.abs(xy[:, 0]) > 180) | (np.abs(xy[:, 1]) > 90)
    stray: dict[int, tuple[float, float]] = {}
    for i, (px, py) in zip(at[beyond], xy[beyond], strict=True):
        stray.setdefault(int(i), (float(px), float(py)))
    return stray


def _without_strays(
    frame: gpd.GeoDataFrame, path: Path, problems: list[Problem], first_row: int
) -> gpd.GeoDataFrame:
    """`frame` of a geographic CRS with the geometry of its stray features taken out, and a
    problem on each of their rows, when they are a few (a typing slip: 200, 95 among points
    in degrees); as it is when most stray (then the CRS is wrong: :func:`_check_numbers`)."""
    stray = _stray_rows(frame)
    if not stray or 2 * len(stray) >= len(frame):
        return frame
    for i, (px, py) in stray.items():
        note = Note("import_problem.out_of_range", x=f"{px:g}", y=f"{py:g}")
        problems.append(Problem(str(path), i + first_row, "geometry", note))
    out = frame.copy()
    out.loc[out.index[list(stray)], out.geometry.name] = None  # the row's problem is said
    return out


def _check_numbers(
    frame: gpd.GeoDataFrame, source: pyproj.CRS, path: Path, problems: list[Problem]
) -> bool:
    """Whether the numbers can be in `source`: degrees within longitude/latitude ranges for a
    geographic CRS, more than degrees for a projected one. One problem when not."""
    x, y = _numbers(frame)
    x, y = x[np.isfinite(x) & np.isfinite(y)], y[np.isfinite(x) & np.isfinite(y)]
    if not len(x):
        return True
    name = f"{source.name} ({source.to_string()})"
    if source.is_geographic and not _in_degrees(x, y):
        if _in_degrees(y, x):
            msg = Note("import_problem.swapped")
        else:
            msg = Note(
                "import_problem.not_degrees",
                crs=name,
                xs=_span(x),
                ys=_span(y),
                hint=_zone_hint(x, y),
            )
        problems.append(Problem(str(path), None, "geometry", msg))
        return False
    if source.is_projected and _in_degrees(x, y):
        msg = Note("import_problem.looks_degrees", crs=name)
        problems.append(Problem(str(path), None, "geometry", msg))
        return False
    return True


def _to_wgs84(
    frame: gpd.GeoDataFrame,
    path: Path,
    crs: str | None,
    shift: str | None,
    problems: list[Problem],
    *,
    first_row: int = 1,
) -> gpd.GeoDataFrame | None:
    """`frame` in EPSG:4326, the GCJ-02 / BD-09 offset undone; None (and a problem) when its
    coordinate system is unknown or its numbers cannot be in it. `crs` (the user's word)
    overrides what the file says or its format assumes (GeoJSON: longitude/latitude)."""
    source = frame.crs
    if crs:
        try:
            source = pyproj.CRS.from_user_input(crs)
        except pyproj.exceptions.CRSError:
            problems.append(
                Problem(str(path), None, None, Note("import_problem.unknown_crs", crs=crs))
            )
            return None
    if source is None:
        problems.append(Problem(str(path), None, None, Note("import_problem.no_crs")))
        return None
    frame = frame.set_crs(source, allow_override=True)
    if source.is_geographic:
        frame = _without_strays(frame, path, problems, first_row)
    if not _check_numbers(frame, source, path, problems):
        return None
    try:
        frame = frame.to_crs(WGS84)
    except (pyproj.exceptions.ProjError, pyproj.exceptions.CRSError, ValueError) as err:
        msg = Note("import_problem.cannot_convert", crs=source.to_string(), err=str(err))
        problems.append(Problem(str(path), None, "geometry", msg))
        return None
    x, y = _numbers(frame)
    if not (np.isfinite(x).all() and np.isfinite(y).all() and _in_degrees(x, y)):
        msg = Note("import_problem.outside_crs", crs=f"{source.name} ({source.to_string()})")
        problems.append(Problem(str(path), None, "geometry", msg))
        return None
    return _unshift(frame, shift, path, problems)


def _unshift(
    frame: gpd.GeoDataFrame, shift: str | None, path: Path, problems: list[Problem]
) -> gpd.GeoDataFrame | None:
    """`frame` (EPSG:4326) with a GCJ-02 / BD-09 offset undone; None (and a problem) when
    coordinates lie outside China, where the providers apply none."""
    x, y = _numbers(frame)
    if shift in ("gcj02", "bd09"):
        outside = ~in_china(x, y)
        if outside.any():
            msg = Note(
                "import_problem.shift_outside",
                shift=shift,
                count=int(outside.sum()),
                x=float(x[outside][0]),
                y=float(y[outside][0]),
            )
            problems.append(Problem(str(path), None, "geometry", msg))
            return None
        inverse = gcj02_to_wgs84 if shift == "gcj02" else bd09_to_wgs84

        def undo(xy: np.ndarray) -> np.ndarray:
            return np.column_stack(inverse(xy[:, 0], xy[:, 1]))

        frame = frame.set_geometry(shapely.transform(frame.geometry.to_numpy(), undo))
    return frame


_GEOS_REASONS: Final = {
    "Self-intersection": "self_intersection",
    "Ring Self-intersection": "ring_self_intersection",
    "Too few points in geometry component": "too_few_points",
    "Too few distinct points in geometry component": "too_few_distinct_points",
    "Hole lies outside shell": "hole_outside_shell",
    "Holes are nested": "holes_nested",
    "Interior is disconnected": "interior_disconnected",
    "Nested shells": "nested_shells",
    "Duplicate Rings": "duplicate_rings",
    "Invalid Coordinate": "invalid_coordinate",
    "Ring is not closed": "ring_not_closed",
    "Repeated Point": "repeated_point",
    "Topology Validation Error": "topology_error",
}
"""GEOS's reasons for an invalid geometry (``TopologyValidationError``), by their catalogue
entry under ``geos_reason``."""
_AT: Final = re.compile(r"(?P<what>[^\[]+?)(?P<at>\[[^\]]*\])")


def geos_reason(reason: str) -> str:
    """GEOS's reason for an invalid geometry as a :class:`~mapgov.core.i18n.Note` a page can
    say in its language, with the place GEOS names (``Self-intersection[113.4 34.6]``).

    Parameters
    ----------
    reason : str
        What ``shapely.is_valid_reason`` says.

    Returns
    -------
    str
        A Note whose English text is `reason` itself, or `reason` unchanged if GEOS said
        something the catalogue does not know (a newer GEOS's words), or named no place.
    """
    found = _AT.fullmatch(reason.strip())
    if found is None or found["what"] not in _GEOS_REASONS:
        return reason
    return Note(f"geos_reason.{_GEOS_REASONS[found['what']]}", at=found["at"])


def _check_geometry(
    frame: gpd.GeoDataFrame, table: str, path: Path, first_row: int, problems: list[Problem]
) -> gpd.GeoDataFrame:
    geoms = frame.geometry.to_numpy().copy()
    allowed = _GEOM[table]
    vertices = shapely.get_num_coordinates(geoms)
    for i, g in enumerate(geoms):
        row = i + first_row
        if g is None or g.is_empty:
            problems.append(Problem(str(path), row, "geometry", Note("import_problem.no_geometry")))
            continue
        if vertices[i] > MAX_VERTICES:
            msg = Note(
                "import_problem.too_many_vertices", count=int(vertices[i]), most=MAX_VERTICES
            )
            problems.append(Problem(str(path), row, "geometry", msg))
            continue
        if g.geom_type not in allowed:
            problems.append(
                Problem(
                    str(path),
                    row,
                    "geometry",
                    Note(
                        "import_problem.wrong_geometry",
                        geometry=g.geom_type,
                        table=table,
                        geometries=" / ".join(allowed),
                    ),
                )
            )
            continue
        if not g.is_valid:
            reason = geos_reason(shapely.is_valid_reason(g))
            fixed = shapely.make_valid(g)
            if fixed.geom_type == "GeometryCollection":
                polys = [p for p in fixed.geoms if p.geom_type in allowed]
                fixed = shapely.union_all(polys) if polys else fixed
            same = (
                fixed.geom_type in allowed
                and not fixed.is_empty
                and (
                    "Polygon" not in g.geom_type
                    or abs(fixed.area - g.area) <= 0.01 * max(fixed.area, g.area)
                )
            )
            if same:
                geoms[i] = fixed
                problems.append(
                    Problem(
                        str(path),
                        row,
                        "geometry",
                        Note("import_problem.repaired", reason=reason),
                        "repaired",
                    )
                )
            else:
                problems.append(
                    Problem(
                        str(path),
                        row,
                        "geometry",
                        Note("import_problem.invalid", reason=reason),
                    )
                )
    return frame.set_geometry(gpd.GeoSeries(geoms, index=frame.index, crs=frame.crs))


def whole_numbers(
    series: pd.Series, field: str, path: Path, first_row: int, problems: list[Problem]
) -> pd.Series:
    """Whole numbers of a text column (nullable ``Int64``); each bad cell, negative number and
    implausible floor count appended to `problems` with its row.

    Parameters
    ----------
    series : pandas.Series
        The column as text.
    field : str
        The field's name, for messages.
    path : pathlib.Path
        The source file, for messages.
    first_row : int
        Row number of the first record in messages.
    problems : list of Problem
        Where the problems found are appended.

    Returns
    -------
    pandas.Series
        The numbers (``Int64``; missing where the cell is empty or bad).
    """
    text = (
        series.astype(str).str.strip().replace({"": None, "nan": None, "None": None, "<NA>": None})
    )
    num = pd.to_numeric(text, errors="coerce")
    bad = text.notna() & (num.isna() | (num % 1 != 0))
    for i in np.flatnonzero(bad.to_numpy())[:20]:
        problems.append(
            Problem(
                str(path),
                int(i) + first_row,
                field,
                Note("import_problem.not_whole_number", text=str(text.iloc[i])),
            )
        )
    for i in np.flatnonzero((num < 0).to_numpy())[:20]:
        problems.append(
            Problem(
                str(path),
                int(i) + first_row,
                field,
                Note("import_problem.negative", value=int(num.iloc[i])),
            )
        )
    if field == "floors":
        for i in np.flatnonzero(((num > 120) | (num == 0)).to_numpy())[:20]:
            problems.append(
                Problem(
                    str(path),
                    int(i) + first_row,
                    field,
                    Note("import_problem.implausible_floors", value=int(num.iloc[i])),
                )
            )
    return num.where(~bad).astype("Int64")


def _check_values(
    frame: pd.DataFrame, table: str, path: Path, first_row: int, problems: list[Problem]
) -> pd.DataFrame:
    out = frame.copy()
    spec = schema_table(table)
    for field in REQUIRED[table]:
        if field not in out.columns:
            problems.append(Problem(str(path), None, field, Note("import_problem.no_column")))
            continue
        empty = out[field].isna() | (out[field].astype(str).str.strip() == "")
        for i in np.flatnonzero(empty.to_numpy())[:20]:
            problems.append(
                Problem(str(path), int(i) + first_row, field, Note("import_problem.empty"))
            )
    key = spec.column_names[0]
    if key in out.columns and key != "road_id":
        ids = out[key].astype(str).str.strip()
        for i in np.flatnonzero(ids.duplicated().to_numpy())[:20]:
            problems.append(
                Problem(
                    str(path),
                    int(i) + first_row,
                    key,
                    Note("import_problem.duplicate_id", id=ids.iloc[i]),
                )
            )
    for field in _INTS:
        if field in out.columns:
            out[field] = whole_numbers(out[field], field, path, first_row, problems)
    if {"elderly", "residents"} <= set(out.columns):
        over = (out["elderly"] > out["residents"]).fillna(False).to_numpy()
        for i in np.flatnonzero(over)[:20]:
            problems.append(
                Problem(
                    str(path), int(i) + first_row, "elderly", Note("import_problem.elderly_over")
                )
            )
    if table in ("facility", "road") and "kind" in out.columns:
        known = _kind_values(table)
        raw = out["kind"].astype(str).str.strip()
        mapped = raw.str.lower().map(known)
        for i in np.flatnonzero(mapped.isna().to_numpy() & (raw != "").to_numpy())[:20]:
            problems.append(
                Problem(
                    str(path),
                    int(i) + first_row,
                    "kind",
                    Note("import_problem.unknown_kind", kind=raw.iloc[i]),
                )
            )
        out["kind"] = mapped
    return out


def prepare_layer(
    frame: gpd.GeoDataFrame,
    table: str,
    *,
    path: Path,
    crs: str | None = None,
    shift: str | None = None,
    first_row: int = 1,
) -> tuple[gpd.GeoDataFrame | None, list[Problem]]:
    """Reproject, unshift, check and clean a mapped layer.

    Parameters
    ----------
    frame : geopandas.GeoDataFrame
        Columns already named as the table's fields (see :func:`apply_mapping`).
    table : str
        "building", "compound", "facility" or "road".
    path : pathlib.Path
        The source file, for messages.
    crs : str or None
        The CRS to assume when the file names none.
    shift : str or None
        "gcj02" (Gaode, Tencent) or "bd09" (Baidu) to undo the provider's offset.
    first_row : int
        Row number of the first record in messages (2 for spreadsheets with a header).

    Returns
    -------
    tuple of (geopandas.GeoDataFrame or None, list of Problem)
        The layer in EPSG:4326 with typed columns (None when the CRS is unknown), and every
        problem found; the import must not go ahead while any has severity "error".
    """
    problems: list[Problem] = []
    wgs = _to_wgs84(frame, path, crs, shift, problems, first_row=first_row)
    if wgs is None:
        return None, problems
    wgs = wgs.reset_index(drop=True)
    wgs = _check_geometry(wgs, table, path, first_row, problems)
    clean = _check_values(wgs, table, path, first_row, problems)
    problems += check_schema(clean, table, path=path, first_row=first_row)
    return gpd.GeoDataFrame(clean, geometry=wgs.geometry.name, crs=WGS84), first_per_place(
        problems
    )[:_MAX_PROBLEMS]


def first_per_place(problems: list[Problem]) -> list[Problem]:
    """`problems` without a second error on the same row and field (checks overlap: the store's
    constraints repeat some of the friendlier checks above).

    Parameters
    ----------
    problems : list of Problem
        The problems, in the order found.

    Returns
    -------
    list of Problem
        The same, in order, keeping only the first error of each (row, field).
    """
    seen: set[tuple[int | None, str | None]] = set()
    out = []
    for p in problems:
        place = (p.row, p.field)
        if p.severity == "error" and p.row is not None and place in seen:
            continue
        if p.severity == "error":
            seen.add(place)
        out.append(p)
    return out


def _defaults(spec: Table) -> dict[str, float]:
    out = {}
    for column, ddl in spec.columns:
        m = re.search(r"DEFAULT (-?\d+)", ddl)
        if m:
            out[column] = float(m.group(1))
    return out


def check_schema(
    layer: gpd.GeoDataFrame, table: str, *, path: Path, first_row: int = 1
) -> list[Problem]:
    """Every row and field of `layer` that the store's NOT NULL and CHECK constraints of
    `table` would refuse, as the import would write it (columns the layer lacks take the
    store's default).

    Parameters
    ----------
    layer : geopandas.GeoDataFrame
        The layer as the import would write it.
    table : str
        The table it goes into.
    path : pathlib.Path
        The source file, for messages.
    first_row : int
        Row number of the first record in messages.

    Returns
    -------
    list of Problem
        One per refused row and field (at most a few per check), or per missing column.
    """
    spec = schema_table(table)
    problems: list[Problem] = []
    frame = pd.DataFrame(layer).reset_index(drop=True)
    defaults = _defaults(spec)

    def _add(mask: pd.Series | np.ndarray, field: str, message: Note) -> None:
        flags = pd.Series(mask).fillna(False).to_numpy(dtype=bool)  # NA: no value to test
        for i in np.flatnonzero(flags)[:_MAX_PROBLEMS]:
            problems.append(Problem(str(path), int(i) + first_row, field, message))

    for column, ddl in spec.columns:
        if "NOT NULL" not in ddl or column == "geom":
            continue
        if column in frame.columns:
            empty = frame[column].isna() | (frame[column].astype(str).str.strip() == "")
            zero = "_zero" if column in defaults else ""
            _add(empty, column, Note(f"import_problem.needs_value{zero}"))
        elif column not in defaults and not (column == "road_id" or column.endswith("_at")):
            problems.append(Problem(str(path), None, column, Note("import_problem.no_column")))

    def _values(column: str) -> pd.Series:
        if column in frame.columns:
            return pd.to_numeric(frame[column], errors="coerce")
        return pd.Series(defaults.get(column, np.nan), index=frame.index)

    for kind, args in schema_rules(spec):
        column = args[0]
        if column not in frame.columns and kind != "le":
            continue
        if kind == "in":
            given = frame[column].notna() & (frame[column].astype(str).str.strip() != "")
            _add(
                given & ~frame[column].isin(args[1:]), column, Note("import_problem.not_known_kind")
            )
        elif kind == "min":
            _add(
                _values(column) < float(args[1]),
                column,
                Note("import_problem.at_least", least=args[1]),
            )
        elif kind == "between":
            v = _values(column)
            _add((v < float(args[1])) | (v > float(args[2])), column,
                 Note("import_problem.between", low=args[1], high=args[2]))  # fmt: skip
        elif column in frame.columns or args[1] in frame.columns:
            more = (_values(column) > _values(args[1])).fillna(False)
            which = "exceeds" if args[1] in frame.columns else "exceeds_default"
            _add(more, column, Note(f"import_problem.{which}", column=args[1]))
    return problems
