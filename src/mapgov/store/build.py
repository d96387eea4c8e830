"""Building a whole new database file: the schema and the bulk load of frames, all or nothing.

:func:`write_database` writes a complete database beside its target and renames it over the
target only when it is whole: for a new database (the demo, a first OpenStreetMap import) and a
migration. An existing database that is in use is never swapped: imports and restores change
it in one transaction on the live file (:mod:`mapgov.store.replace`).
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from mapgov.core.crs import WGS84
from mapgov.core.errors import StoreError
from mapgov.core.model import SCHEMA_VERSION
from mapgov.store.schema import BULK_TABLES, INDEXES, TABLES, TRIGGERS, Table, table

__all__ = [
    "CRS",
    "check_frame",
    "check_tables",
    "insert_frame",
    "insert_rows",
    "meta_rows",
    "write_database",
]

CRS = WGS84
_WKB_ROUNDING = 7  # decimal places of degrees kept in stored geometry (about 1 cm)


def _column_values(
    series: pd.Series, *, geometry: bool, integer: bool = False, srid: bool = False
) -> list[Any]:
    """Python values for one column, NULL for missing, WKB for geometry (hex EWKB with SRID
    4326 if `srid`, as PostGIS reads it), whole floats of an `integer` column as int (as
    SQLite stores them; PostgreSQL refuses "40.0" for a whole number)."""
    if geometry:
        geoms = np.asarray(series, dtype=object)
        if len(geoms) and not all(isinstance(g, shapely.Geometry) for g in geoms):
            msg = "every row needs a geometry"
            raise StoreError(msg)
        geoms = shapely.set_precision(geoms, 10**-_WKB_ROUNDING)
        if srid:
            return list(shapely.to_wkb(shapely.set_srid(geoms, 4326), hex=True, include_srid=True))
        return list(shapely.to_wkb(geoms))
    if pd.api.types.is_bool_dtype(series.dtype):
        return series.astype(int).tolist()
    if integer and pd.api.types.is_float_dtype(series.dtype):
        whole = series.dropna()
        if (whole == whole.round()).all():
            return series.astype("Int64").astype(object).where(series.notna(), None).tolist()
    if series.hasnans:  # NaN, None, NA -> NULL
        return series.astype(object).where(series.notna(), None).tolist()
    return series.tolist()


def insert_rows(
    spec: Table, frame: pd.DataFrame, *, srid: bool = False
) -> tuple[list[str], Iterator[tuple[Any, ...]]]:
    """The columns of `spec` that `frame` fills, and its rows as Python values for them
    (NULL for missing, WKB for geometry: hex EWKB with SRID 4326 if `srid`)."""
    if isinstance(frame, gpd.GeoDataFrame) and "geom" not in frame.columns:
        frame = pd.DataFrame(frame).rename(columns={frame.geometry.name: "geom"})
    unknown = set(frame.columns) - set(spec.column_names)
    if unknown:
        msg = f"table {spec.name}: unknown columns {sorted(unknown)}"
        raise StoreError(msg)
    cols = [c for c in spec.column_names if c in frame.columns]
    kinds = dict(spec.columns)
    values = [
        _column_values(
            frame[c], geometry=c == "geom", integer=kinds[c].startswith("INTEGER"), srid=srid
        )
        for c in cols
    ]
    return cols, zip(*values, strict=True)


def check_frame(spec: Table, frame: pd.DataFrame) -> None:
    """Verify a frame against the table's enumerated and non-negative columns.

    Raises
    ------
    StoreError
        Naming the table, the first bad row (0-based position) and the column.
    """
    for col, values in spec.enums.items():
        if col not in frame.columns:
            continue
        series = frame[col]
        bad = series.notna() & ~series.isin(list(values))
        if bad.any():
            pos = int(np.flatnonzero(bad.to_numpy())[0])
            msg = (
                f"table {spec.name}, row {pos}, field {col!r}: {series.iloc[pos]!r} is not "
                f"one of {sorted(values)}"
            )
            raise StoreError(msg)
    for col in spec.non_negative:
        if col in frame.columns:
            bad = frame[col].to_numpy() < 0
            if bad.any():
                pos = int(np.flatnonzero(bad)[0])
                msg = f"table {spec.name}, row {pos}, field {col!r}: must not be negative"
                raise StoreError(msg)


def insert_frame(con: sqlite3.Connection, spec: Table, frame: pd.DataFrame) -> None:
    cols, rows = insert_rows(spec, frame)
    sql = f"INSERT INTO {spec.name} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
    con.executemany(sql, rows)


def meta_rows(meta: Mapping[str, str]) -> list[tuple[str, str]]:
    """The ``meta`` rows of a new database: its schema version, data version 1, and `meta`."""
    rows = {"schema_version": str(SCHEMA_VERSION), "data_version": "1"}
    rows.update({k: str(v) for k, v in meta.items()})
    return sorted(rows.items())


def _check_target(path: Path) -> Path:
    """The directory of `path`, after checking that a database can be written there."""
    directory = path.parent if str(path.parent) else Path()
    if not directory.is_dir():
        msg = f"cannot write database {path}: directory {directory} does not exist"
        raise StoreError(msg)
    if not os.access(directory, os.W_OK):
        msg = f"cannot write database {path}: directory {directory} is not writable"
        raise StoreError(msg)
    if path.exists() and not os.access(path, os.W_OK):
        msg = f"cannot write database {path}: file is not writable"
        raise StoreError(msg)
    return directory


def check_tables(tables: Mapping[str, pd.DataFrame]) -> None:
    for name, frame in tables.items():
        spec = table(name)
        is_geo = isinstance(frame, gpd.GeoDataFrame)
        if spec.has_geometry and not is_geo:
            msg = f"table {name} needs a GeoDataFrame"
            raise StoreError(msg)
        if is_geo and frame.crs is not None and not frame.crs.equals(CRS):
            msg = f"table {name} must be in {CRS}, not {frame.crs}"
            raise StoreError(msg)
        check_frame(spec, frame)


def _load(
    con: sqlite3.Connection,
    tables: Mapping[str, pd.DataFrame],
    meta: Mapping[str, str],
    say: Callable[[str, float], None],
) -> None:
    """Create the schema and bulk-load the frames into an empty database."""
    # bulk load: no journal, no per-row foreign-key look-ups (checked once at the end)
    for pragma in (
        "journal_mode = OFF",
        "synchronous = OFF",
        "cache_size = -262144",
        "temp_store = MEMORY",
        "foreign_keys = OFF",
    ):
        con.execute(f"PRAGMA {pragma}")
    with con:
        for spec in TABLES:
            con.execute(spec.ddl())
        con.executemany("INSERT INTO meta (key, value) VALUES (?, ?)", meta_rows(meta))
        ordered = [s for s in TABLES if s.name in tables]
        for i, spec in enumerate(ordered):
            say(spec.name, 0.9 * i / max(len(ordered), 1))
            # enums and counts of the bulk tables were checked in pandas (check_tables)
            bulk = spec.name in BULK_TABLES
            con.execute(f"PRAGMA ignore_check_constraints = {'ON' if bulk else 'OFF'}")
            insert_frame(con, spec, tables[spec.name])
        con.execute("PRAGMA ignore_check_constraints = OFF")
        say("indexes", 0.92)
        for sql in (*INDEXES, *TRIGGERS):
            con.execute(sql)
    say("foreign keys", 0.95)
    bad = con.execute("PRAGMA foreign_key_check").fetchmany(5)
    if bad:
        msg = f"foreign keys do not hold, e.g. (table, rowid, parent, key) {bad}"
        raise StoreError(msg)
    say("analyze", 0.98)
    con.execute("PRAGMA analysis_limit = 1000")
    con.execute("ANALYZE")
    con.execute("PRAGMA journal_mode = WAL")


def write_database(
    path: Path,
    tables: Mapping[str, pd.DataFrame],
    meta: Mapping[str, str],
    *,
    progress: Callable[[str, float], None] | None = None,
) -> Path:
    """Write a complete new database at `path`, all or nothing.

    The database is built in a temporary file beside `path` and moved over it only when it is
    complete, so an existing database is left untouched by any failure.

    Parameters
    ----------
    path
        Target SQLite file.
    tables
        Frames by table name; columns named as in :mod:`mapgov.store.schema`. Geometry is the
        active geometry of a GeoDataFrame, in EPSG:4326.
    meta
        Extra key/value pairs for the ``meta`` table (seed, scale, as_of ...).
    progress
        Called with (stage, share done) while writing.

    Raises
    ------
    StoreError
        If the directory cannot be written or a table is wrong (naming table, row and field).
    """
    path = Path(path)
    say = progress or (lambda _stage, _share: None)
    directory = _check_target(path)
    check_tables(tables)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        con = sqlite3.connect(tmp)
        try:
            _load(con, tables, meta, say)
        except sqlite3.Error as err:
            msg = f"cannot write database {path}: {err}"
            raise StoreError(msg) from err
        finally:
            con.close()
        umask = os.umask(0)
        os.umask(umask)
        tmp.chmod(0o666 & ~umask)  # mkstemp makes 0600; a database is as readable as any file
        for suffix in ("-wal", "-shm"):  # never let a stale WAL meet the new file
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        tmp.replace(path)
        say("done", 1.0)
    finally:
        tmp.unlink(missing_ok=True)
        for suffix in ("-wal", "-shm", "-journal"):
            Path(f"{tmp}{suffix}").unlink(missing_ok=True)
    return path
