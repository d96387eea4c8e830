"""Landing an import, backing up and restoring the database.

An import replaces whole layers in one write transaction on the live database, which commits
only if every foreign key holds (:func:`mapgov.store.replace.replace_tables`); a restore puts a
checked backup's rows in place of every table the same way, and only if nobody saved an edit
since it began (:func:`mapgov.store.replace.restore_database`). Neither swaps in a copy of the
database, so an edit saved while they run is never lost; until they commit, the previous data
stays as it was.
"""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Mapping
from pathlib import Path

import geopandas as gpd
import pandas as pd

from mapgov.core.errors import DataFileError, StoreError
from mapgov.core.model import SCHEMA_VERSION
from mapgov.store import TABLES, Store, open_store
from mapgov.store.copy import copy_database
from mapgov.store.pgsql import is_url
from mapgov.store.replace import Mark
from mapgov.store.sqlite import database_problems, fault_of

__all__ = ["backup", "import_layers", "restore"]


def import_layers(
    store: Store,
    layers: Mapping[str, gpd.GeoDataFrame],
    *,
    source: str = "import",
    meta: Mapping[str, str] | None = None,
    since_change: int | None = None,
) -> Store:
    """Replace whole layers (e.g. "facility", "road") in one transaction; all or nothing.

    Every other table, and every edit saved while the import runs, is kept. The database's
    ``meta`` is kept (with ``last_import`` = `source`), unless `meta` is given: then it
    replaces the old description (generator, seed, as-of day ...) because the data is no
    longer what it says, e.g. an OpenStreetMap street imported over the demo.

    Parameters
    ----------
    store : Store
        The database to import into.
    layers : Mapping[str, geopandas.GeoDataFrame]
        The new rows of each replaced table, by table name (``meta`` is ignored); columns
        the table lacks are dropped.
    source : str
        What the import was (kept as ``last_import``).
    meta : Mapping[str, str] or None
        A new description of the database (``None``: keep the old one).
    since_change : int or None
        The newest ``change_log`` id when the layers were checked; an edit of a replaced
        table saved since refuses the import (it would be overwritten). ``None``: not checked.

    Returns
    -------
    Store
        The store reopened on the imported database.

    Raises
    ------
    StaleEditError
        If a replaced table was edited after `since_change`.
    StoreError
        If the result would break a reference (e.g. a building whose compound is gone), or the
        database is busy; the database is then exactly as it was.
    """
    tables: dict[str, pd.DataFrame] = {}
    for spec in TABLES:
        if spec.name == "meta" or spec.name not in layers:
            continue
        frame = layers[spec.name]
        keep = [c for c in spec.column_names if c in frame.columns and c != "geom"]
        frame = frame[[*keep, frame.geometry.name]] if spec.has_geometry else frame[keep]
        if spec.name == "road" and "road_id" not in frame.columns:
            frame = frame.assign(road_id=range(1, len(frame) + 1))
        tables[spec.name] = frame
    store.replace_tables(tables, source=source, meta=meta, since_change=since_change)
    return open_store(store.url)


def backup(store: Store, path: Path) -> Path:
    """A consistent copy of the live database in a SQLite file, safe while in use (SQLite's
    online backup; from PostgreSQL, every table read in one go: :mod:`mapgov.store.copy`).

    Parameters
    ----------
    store : Store
        The database to copy (either backend).
    path : pathlib.Path
        The backup file to write (replaced only when the copy is whole).

    Returns
    -------
    pathlib.Path
        `path`.
    """
    path = Path(path)
    if is_url(store.url):
        copy_database(store, path)
        return path
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


def _live_mark(target: Path | str) -> Mark | None:
    """Where the live database stands (:func:`mapgov.store.replace.high_water`); None when
    there is no mapgov database of this version at `target` (missing, damaged, another
    schema), which no one can be editing."""
    try:
        return open_store(target).high_water()
    except StoreError as err:
        if err.key in ("error.store.busy", "error.store.full", "error.store.io"):
            raise
        return None


def restore(backup_path: Path, target: Path | str) -> Path | str:
    """Put a backup in place of the database at `target`, after checking it is a whole mapgov
    database of this schema version (:func:`mapgov.store.sqlite.database_problems`: schema,
    integrity, foreign keys); the target is untouched otherwise.

    A live database gets the backup's rows in one transaction, and only if no edit was saved
    in it after the restore began (:func:`mapgov.store.replace.restore_database`): an edit
    saved meanwhile refuses the restore (:class:`~mapgov.core.errors.StaleEditError`) rather than
    vanish. A missing or unreadable database is replaced by a copy of the file.

    Parameters
    ----------
    backup_path : pathlib.Path
        The backup file (a mapgov database).
    target : pathlib.Path or str
        The database to restore: a SQLite file, or a ``postgresql://`` URL of a mapgov
        database (there the rows are put in place the same way).

    Returns
    -------
    pathlib.Path or str
        The restored database (`target`).

    Raises
    ------
    DataFileError
        If the backup is not a whole mapgov database of this schema version.
    """
    since = _live_mark(target)  # before the checks: an edit saved while they run counts
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
        msg = f"not a whole mapgov database: {'; '.join(map(str, problems))}"
        raise DataFileError(
            backup_path, msg, key="error.restore.not_whole", problems=tuple(problems)
        )
    if since is not None:
        open_store(target).restore_from(open_store(backup_path), since=since)
        return target
    if is_url(str(target)):
        msg = f"{target}: no mapgov database to restore into; `mapgov copy` the backup there"
        raise StoreError(msg)
    target = Path(target)
    tmp = target.with_name(f".{target.name}.restore")
    try:
        shutil.copyfile(backup_path, tmp)
        for suffix in ("-wal", "-shm"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        tmp.replace(target)
    finally:
        tmp.unlink(missing_ok=True)
    return target
