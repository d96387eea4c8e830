"""Landing an import, exporting layers, backing up and restoring the database.

An import replaces whole layers and lands as one new database file: every current table is
read, the imported layers take the place of the old ones, and the complete database is written
beside the old one and renamed over it only when it is whole and its foreign keys hold
(:func:`mapgov.store.write_database`). Until then, the previous data stays as it was.
"""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Mapping
from pathlib import Path

import geopandas as gpd
import pandas as pd

from mapgov.errors import DataFileError, StoreError
from mapgov.model import SCHEMA_VERSION
from mapgov.store import TABLES, Store, open_store, write_database
from mapgov.store.sqlite import database_problems, fault_of

__all__ = ["backup", "import_layers", "restore"]


def import_layers(
    store: Store,
    layers: Mapping[str, gpd.GeoDataFrame],
    *,
    source: str = "import",
    meta: Mapping[str, str] | None = None,
) -> Store:
    """Replace whole layers (e.g. "facility", "road") in one step; all or nothing.

    The database's ``meta`` is kept (with ``last_import`` = `source`), unless `meta` is given:
    then it replaces the old description (generator, seed, as-of day ...) because the data is
    no longer what it says, e.g. an OpenStreetMap street imported over the demo.

    Raises
    ------
    StoreError
        If the result would break a reference (e.g. a building whose compound is gone); the
        database is then exactly as it was.
    """
    tables: dict[str, pd.DataFrame] = {}
    for spec in TABLES:
        if spec.name == "meta":
            continue
        if spec.name in layers:
            frame = layers[spec.name]
            keep = [c for c in spec.column_names if c in frame.columns and c != "geom"]
            frame = frame[[*keep, frame.geometry.name]] if spec.has_geometry else frame[keep]
            if spec.name == "road" and "road_id" not in frame.columns:
                frame = frame.assign(road_id=range(1, len(frame) + 1))
            tables[spec.name] = frame
        else:
            tables[spec.name] = store.read(spec.name)
    old = store.meta() if meta is None else dict(meta)
    new = {k: v for k, v in old.items() if k not in ("schema_version", "data_version")}
    new["data_version"] = str(store.data_version() + 1)
    new["last_import"] = source
    write_database(store.path, tables, new)
    return open_store(store.path)


def backup(store: Store, path: Path) -> Path:
    """A consistent copy of the live database (SQLite's online backup), safe while in use."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.unlink(missing_ok=True)
    try:
        src = sqlite3.connect(store.path)
        try:
            dst = sqlite3.connect(tmp)
            try:
                src.backup(dst)
            finally:
                dst.close()
        finally:
            src.close()
    except sqlite3.OperationalError as err:
        tmp.unlink(missing_ok=True)  # a half-written copy is no backup
        fault = fault_of(err, path)
        if fault is None:
            raise
        raise fault from err
    tmp.replace(path)
    return path


def restore(backup_path: Path, target: Path) -> Path:
    """Put a backup in place of the database at `target`, after checking it is a whole mapgov
    database of this schema version (:func:`mapgov.store.sqlite.database_problems`: schema,
    integrity, foreign keys); the target is untouched otherwise."""
    backup_path = Path(backup_path)
    try:
        version = int(open_store(backup_path).meta()["schema_version"])
    except (StoreError, KeyError, ValueError) as err:
        msg = f"not a mapgov backup: {err}"
        raise DataFileError(backup_path, msg, key="error.restore.not_backup") from err
    if version != SCHEMA_VERSION:
        msg = f"schema version {version}, expected {SCHEMA_VERSION}"
        raise DataFileError(
            backup_path, msg, key="error.restore.schema", version=version, expected=SCHEMA_VERSION
        )
    problems = database_problems(backup_path)
    if problems:
        msg = f"not a whole mapgov database: {'; '.join(problems)}"
        raise DataFileError(
            backup_path, msg, key="error.restore.not_whole", problems="; ".join(problems)
        )
    target = Path(target)
    tmp = target.with_name(f".{target.name}.restore")
    shutil.copyfile(backup_path, tmp)
    for suffix in ("-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    tmp.replace(target)
    return target
