"""Landing an import, backing up and restoring the database and its photos.

A backup is a zip archive of the database (``mapgov.sqlite``) and every photo its issues name
(:mod:`mapgov.io.archive`); a restore takes such an archive, or an older backup that is a bare
SQLite file, and adds the photos to the live photo folder only after the database is restored.

An import replaces whole layers in one write transaction on the live database, which commits
only if every foreign key holds (:func:`mapgov.store.replace.replace_tables`); a restore puts a
checked backup's rows in place of every table the same way, and only if nobody saved an edit
since it began (:func:`mapgov.store.replace.restore_database`). Neither swaps in a copy of the
database, so an edit saved while they run is never lost; until they commit, the previous data
stays as it was.
"""

from __future__ import annotations

import datetime as dt
import errno
import shutil
import sqlite3
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd

from mapgov.core import clock
from mapgov.core.errors import DataFileError, StoreError
from mapgov.core.model import SCHEMA_VERSION
from mapgov.domain.tenure import tenure_after
from mapgov.io.archive import (
    DATABASE_ENTRY,
    PhotosAdded,
    copy_photos,
    is_archive,
    missing_photos,
    open_archive,
    photo_names,
    write_archive,
)
from mapgov.io.photos import PhotoFolder, photo_folder
from mapgov.store import TABLES, Store, open_store
from mapgov.store.copy import copy_database
from mapgov.store.faults import translate_faults
from mapgov.store.pgsql import is_url
from mapgov.store.replace import Mark
from mapgov.store.sqlite import database_problems, fault_of

__all__ = ["Backup", "Restored", "backup", "copy_database_photos", "import_layers", "restore"]


def import_layers(
    store: Store,
    layers: Mapping[str, gpd.GeoDataFrame],
    *,
    source: str = "import",
    meta: Mapping[str, str] | None = None,
    since_change: int | None = None,
    on: dt.date | None = None,
) -> Store:
    """Replace whole layers (e.g. "facility", "road") in one transaction; all or nothing.

    Layers that replace ``property_management`` without their own ``property_tenure`` keep
    the tenures in step, in the same transaction (:func:`mapgov.domain.tenure.tenure_after`):
    a compound whose company changed changes it on `on`; the others keep theirs.

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
    on : datetime.date or None
        The day of the import, for the tenures (default: the street's today).

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
    ValidationError
        If a compound's change of company would take effect before its recorded tenure began.
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
    if "property_management" in tables and "property_tenure" not in tables:
        # what the tenures are drawn from must not change before they land
        since_change = since_change if since_change is not None else store.last_change()
        tables["property_tenure"] = tenure_after(
            store.read("property_tenure"),
            store.read("property_management", columns=["compound_id", "mode", "company"]),
            tables["property_management"],
            on or clock.today(store),
        )
    store.replace_tables(tables, source=source, meta=meta, since_change=since_change)
    return open_store(store.url)


@dataclass(frozen=True)
class Backup:
    """A backup written: where, how many photos it holds, and which it had to leave out.

    Attributes
    ----------
    path : pathlib.Path
        The archive.
    photos : int
        Photos it holds (each with its thumbnail).
    missing : tuple of str
        Photos the database names that the photo folder did not hold: not in the backup.
    """

    path: Path
    photos: int
    missing: tuple[str, ...]


@dataclass(frozen=True)
class Restored:
    """A restore done: the database restored and what happened to the photo folder.

    Attributes
    ----------
    target : pathlib.Path or str
        The restored database.
    photos : PhotosAdded
        Photos added to the folder, photos it held already, and those the restored database
        names that are in neither the backup nor the folder.
    """

    target: Path | str
    photos: PhotosAdded


def _snapshot(store: Store, path: Path) -> None:
    """A consistent copy of the live database in the SQLite file `path`, safe while in use
    (SQLite's online backup; from PostgreSQL, every table read in one go:
    :mod:`mapgov.store.copy`), one file with no WAL beside it."""
    if is_url(store.url):
        copy_database(store, path)
    else:
        with translate_faults(sqlite3.OperationalError, lambda err: fault_of(err, path)):
            src = sqlite3.connect(store.path)
            try:
                dst = sqlite3.connect(path)
                try:
                    src.backup(dst)
                finally:
                    dst.close()
            finally:
                src.close()
    con = sqlite3.connect(path)
    try:
        con.execute("PRAGMA journal_mode = DELETE")
    finally:
        con.close()


def backup(store: Store, path: Path, *, photos: PhotoFolder | None = None) -> Backup:
    """Back up the database and its photos into one zip archive, safe while in use.

    The archive holds ``mapgov.sqlite`` (a consistent copy of the whole database, from
    either backend) and ``photos/ab/<name>.jpg`` with ``<name>.thumb.jpg`` for every photo
    that the copy's ``issue_photo`` names (:mod:`mapgov.io.archive`). A photo missing from
    the folder does not stop the backup: it is left out and named in ``missing``. Every
    backup is such an archive, whatever `path` is called (the command line and the data page
    name it ``.zip``); :func:`restore` also takes an older backup that is a bare SQLite file.

    Parameters
    ----------
    store : Store
        The database to copy (either backend).
    path : pathlib.Path
        The archive to write (replaced only when the new one is whole).
    photos : PhotoFolder or None
        Where the photos are kept (default: the database's, :func:`mapgov.io.photos.photo_folder`).

    Returns
    -------
    Backup
        The archive, how many photos it holds and which photos were missing.

    Raises
    ------
    StoreError
        If the disk is full or the database busy; no file is left behind.
    """
    path = Path(path)
    folder = photos if photos is not None else photo_folder(store.url)
    with tempfile.TemporaryDirectory(dir=path.parent, prefix=f".{path.name}.") as tmp:
        snapshot = Path(tmp) / DATABASE_ENTRY
        _snapshot(store, snapshot)
        try:
            held, missing = write_archive(snapshot, folder, path)
        except OSError as err:
            if err.errno != errno.ENOSPC:
                raise
            fault = fault_of(sqlite3.OperationalError("database or disk is full"), path)
            raise StoreError(str(fault), key="error.store.full") from err
    return Backup(path=path, photos=held, missing=tuple(missing))


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


def _check_database(database: Path, shown: Path, entry: str | None) -> None:
    """Refuse `database` unless it is a whole mapgov database of this schema version; the
    refusal names `shown` (the backup as the user knows it) and the archive's `entry`."""
    try:
        version = int(open_store(database).meta()["schema_version"])
    except StoreError as err:
        if err.key in ("error.store.schema_old", "error.store.schema_new"):
            version = int(err.params["found"])  # said below, as a backup's version
        else:
            msg = f"not a mapgov backup: {str(err).replace(str(database), str(shown))}"
            raise DataFileError(shown, msg, entry=entry, key="error.restore.not_backup") from err
    except (KeyError, ValueError) as err:
        msg = f"not a mapgov backup: {err}"
        raise DataFileError(shown, msg, entry=entry, key="error.restore.not_backup") from err
    if version != SCHEMA_VERSION:
        msg = f"schema version {version}, expected {SCHEMA_VERSION}: "
        msg += "upgrade it with `mapgov migrate`"
        if entry is not None:
            msg += f" (unzip {entry}, migrate it, put it back into the archive)"
        msg += "; nothing was restored"
        raise DataFileError(
            shown,
            msg,
            entry=entry,
            # `mapgov migrate` upgrades a bare file: an archive's database is unpacked first
            key="error.restore.schema" if entry is None else "error.archive.schema",
            version=version,
            expected=SCHEMA_VERSION,
        )
    problems = database_problems(database)
    if problems:
        msg = f"not a whole mapgov database: {'; '.join(map(str, problems))}"
        raise DataFileError(
            shown, msg, entry=entry, key="error.restore.not_whole", problems=tuple(problems)
        )


def _restore_database(database: Path, target: Path | str, since: Mark | None) -> None:
    """Put the checked `database` in place of `target` (see :func:`restore`)."""
    if since is not None:
        open_store(target).restore_from(open_store(database), since=since)
        return
    if is_url(str(target)):
        msg = f"{target}: no mapgov database to restore into; `mapgov copy` the backup there"
        raise StoreError(msg)
    target = Path(target)
    tmp = target.with_name(f".{target.name}.restore")
    try:
        shutil.copyfile(database, tmp)
        for suffix in ("-wal", "-shm"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        tmp.replace(target)
    finally:
        tmp.unlink(missing_ok=True)


def restore(
    backup_path: Path, target: Path | str, *, photos: PhotoFolder | None = None
) -> Restored:
    """Put a backup in place of the database at `target`, and add its photos.

    The backup is a zip archive (:func:`backup`) or, from an older mapgov, a bare SQLite file;
    it is told by its content, not its name. An archive is checked whole first
    (:func:`mapgov.io.archive.open_archive`: every entry's name, kind and size, each photo's
    bytes against its name and as a JPEG); then, as for a bare file, its database must be a
    whole mapgov database of this schema version (:func:`mapgov.store.sqlite.database_problems`:
    schema, integrity, foreign keys). Anything else refuses the restore
    (:class:`~mapgov.core.errors.DataFileError`, naming the file and the entry) and nothing is
    changed.

    A live database gets the backup's rows in one transaction, and only if no edit was saved
    in it after the restore began (:func:`mapgov.store.replace.restore_database`): an edit
    saved meanwhile refuses the restore (:class:`~mapgov.core.errors.StaleEditError`) rather than
    vanish. A missing or unreadable database is replaced by a copy of the file. Only once the
    database is restored are the backup's photos added to the photo folder: photos it lacks
    are written, none is replaced or removed (photos of reports filed since stay); a refused
    restore leaves the folder as it was.

    Parameters
    ----------
    backup_path : pathlib.Path
        The backup: a zip archive, or a bare SQLite file (an older backup).
    target : pathlib.Path or str
        The database to restore: a SQLite file, or a ``postgresql://`` URL of a mapgov
        database (there the rows are put in place the same way).
    photos : PhotoFolder or None
        The live photo folder (default: the target's, :func:`mapgov.io.photos.photo_folder`).

    Returns
    -------
    Restored
        The restored database (`target`) and what was added to the photo folder.

    Raises
    ------
    DataFileError
        If the backup is not a whole mapgov backup of this schema version.
    StaleEditError
        If an edit was saved after the restore began (nothing is restored).
    StoreError
        If the photos could not all be written once the database was restored (a full disk):
        restoring the same backup again adds the rest.
    """
    since = _live_mark(target)  # before the checks: an edit saved while they run counts
    backup_path = Path(backup_path)
    folder = photos if photos is not None else photo_folder(target)
    if not (backup_path.is_file() and is_archive(backup_path)):
        _check_database(backup_path, backup_path, None)
        _restore_database(backup_path, target, since)
        missing = missing_photos(photo_names(backup_path), folder)
        return Restored(target=target, photos=PhotosAdded(missing=missing))
    with open_archive(backup_path) as archive:
        _check_database(archive.database, backup_path, DATABASE_ENTRY)
        _restore_database(archive.database, target, since)
        try:
            added = archive.add_photos(folder)
        except OSError as err:  # the database is restored: say so, and how to finish
            msg = (
                f"{target}: the database was restored, but the photos could not all be added "
                f"to {folder.folder} ({err}); restore the same backup again to add them"
            )
            raise StoreError(
                msg, key="error.archive.photos_not_added", reason=err.strerror or str(err)
            ) from err  # the reason without the server's paths
        missing = missing_photos(photo_names(archive.database), folder)
    return Restored(target=target, photos=PhotosAdded(added.added, added.kept, missing))


def copy_database_photos(
    source: Store, target: Path | str, *, photos: PhotoFolder | None = None
) -> PhotosAdded:
    """Bring the photos of `source` along to the database copied from it (``mapgov copy``).

    Each backend keeps photos in its own place (:func:`mapgov.io.photos.photo_folder`: beside
    a SQLite file, ``data/photos/`` for PostgreSQL), so a copy of the tables alone would leave
    the target's issues without their photos. Only the photos the target's folder lacks are
    written (checked against their names), none is replaced or removed
    (:func:`mapgov.io.archive.copy_photos`).

    Parameters
    ----------
    source : Store
        The database copied (either backend).
    target : pathlib.Path or str
        The copy: a SQLite path or a ``postgresql://`` URL.
    photos : PhotoFolder or None
        The target's photo folder (default: :func:`mapgov.io.photos.photo_folder` of `target`).

    Returns
    -------
    PhotosAdded
        Photos added, photos the target's folder held already, and those the source's folder
        does not hold (or holds damaged).
    """
    names = sorted(set(source.read("issue_photo", columns=["name"])["name"].astype(str)))
    folder = photos if photos is not None else photo_folder(target)
    return copy_photos(names, photo_folder(source.url), folder)
