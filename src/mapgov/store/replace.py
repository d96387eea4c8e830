"""Replacing whole tables of a database in use: an import's layers, or every table from a backup.

Both happen in one write transaction on the live file (``BEGIN IMMEDIATE``), never by building
a copy and renaming it over the database: a copy read before an edit and swapped in after it
loses that edit (issue 16: 142 of 185 saved party edits vanished from the append-only
``change_log`` while an import ran). Inside the transaction other programs go on reading the
old data, and an edit saved at the same time either commits before the transaction starts (an
import keeps it; a restore that began before it refuses, see :func:`restore_database`) or
waits for the lock and lands on the new data. A failure rolls everything back.
"""

from __future__ import annotations

import contextlib
import re
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Final

import pandas as pd

from mapgov.core.errors import StaleEditError, StoreError
from mapgov.store import sqlite as backend
from mapgov.store.build import check_tables, insert_frame
from mapgov.store.faults import translate_faults
from mapgov.store.locks import shown_record
from mapgov.store.schema import APPEND_ONLY, TABLES, TRIGGERS, Table, table

__all__ = [
    "ENDED_BY_RESTORE",
    "HISTORIES",
    "KEPT_BY_RESTORE",
    "RESTORE_CHANGED",
    "Mark",
    "connection",
    "high_water",
    "last_change",
    "refuse_changed",
    "replace_tables",
    "restore_database",
    "set_last_import",
    "writing",
]

Mark = tuple[int, ...]
"""Where a database's data stands: its ``data_version`` (bumped by every edit a page shows)
and the last row of each history of edits (``issue_event``, ``change_log``, ``co_event``).
Any saved edit moves it; a sign-in does not (the audit log is not data a restore replaces)."""

KEPT_BY_RESTORE: Final = ("audit_log",)
"""Tables a restore leaves as they are: the audit trail goes on through a restore (it records
who restored what; a backup's older trail would erase the rows written since)."""
ENDED_BY_RESTORE: Final = ("auth_session",)
"""Tables a restore empties: every session ends and everyone signs in again (a backup's
sessions would revive old ones, or name accounts the backup does not hold)."""
HISTORIES: Final = tuple(name for name in APPEND_ONLY if name not in KEPT_BY_RESTORE)
"""The histories of edits whose last rows, with ``data_version``, make a :data:`Mark`."""
RESTORE_CHANGED: Final = (
    "the database changed while the restore was being checked (an edit was saved after the "
    "restore began); nothing was restored, so nothing is lost: restore again to replace that "
    "edit too, or take a new backup first to keep it"
)
_MARK_SQL = "SELECT (SELECT CAST(value AS INTEGER) FROM {db}meta WHERE key = 'data_version'), " + (
    ", ".join(f"(SELECT COALESCE(MAX(rowid), 0) FROM {{db}}{name})" for name in HISTORIES)
)
_TRIGGER = re.compile(r"CREATE TRIGGER (\w+) BEFORE \w+ ON (\w+)")
_REFERENCE = re.compile(r"REFERENCES (\w+) \((\w+)\)")
_EXAMPLES = 3
_COUNTED = ("schema_version", "data_version")  # meta keys an import never takes from a file


def high_water(path: Path) -> Mark:
    """The :data:`Mark` of the database at `path`, read in one statement (one snapshot)."""
    with connection(path) as con:
        return _mark(con)


def _mark(con: sqlite3.Connection, db: str = "") -> Mark:
    row = con.execute(_MARK_SQL.format(db=db)).fetchone()
    return tuple(int(v or 0) for v in row)


@contextlib.contextmanager
def connection(path: Path, attach: Path | None = None) -> Iterator[sqlite3.Connection]:
    """A connection to `path` (foreign keys off: the callers check them once at the end),
    `attach` attached read-only as ``bak``; SQLite's and the disk's faults as a
    :class:`StoreError` that says what to do."""
    with translate_faults(sqlite3.OperationalError, lambda err: backend.fault_of(err, Path(path))):
        con = sqlite3.connect(
            Path(path).resolve().as_uri(),
            uri=True,
            timeout=backend.BUSY_TIMEOUT_S,
            isolation_level=None,  # BEGIN, COMMIT and ROLLBACK as written here
        )
        try:
            con.execute("PRAGMA foreign_keys = OFF")
            if attach is not None:  # ATTACH cannot be run inside a transaction
                con.execute(
                    "ATTACH DATABASE ? AS bak", (f"{Path(attach).resolve().as_uri()}?mode=ro",)
                )
            yield con
        finally:
            con.close()


@contextlib.contextmanager
def writing(con: sqlite3.Connection) -> Iterator[None]:
    """One write transaction, taken at once (another writer waits, readers go on): committed
    if the block ends normally, rolled back otherwise."""
    con.execute("BEGIN IMMEDIATE")
    try:
        yield
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


@contextlib.contextmanager
def _histories_open(con: sqlite3.Connection, names: Sequence[str]) -> Iterator[None]:
    """The append-only triggers of the tables `names` dropped for the block and made again,
    word for word, at its end (inside the same transaction: nobody sees them missing)."""
    dropped = [
        (m.group(1), sql)
        for sql in TRIGGERS
        if (m := _TRIGGER.match(sql)) is not None and m.group(2) in names
    ]
    for name, _ in dropped:
        con.execute(f"DROP TRIGGER IF EXISTS {name}")
    yield
    for _, sql in dropped:
        con.execute(sql)


def _references(spec: Table) -> list[tuple[str, str]]:
    """(column, parent table) of each foreign key of `spec`."""
    return [(col, m.group(1)) for col, ddl in spec.columns if (m := _REFERENCE.search(ddl))]


def _check_references(con: sqlite3.Connection, replaced: Sequence[str]) -> None:
    """Refuse (roll back) if a record of a replaced table, or one pointing into it, names a
    parent that is not there, saying which records and which parents."""
    for spec in TABLES:
        refs = _references(spec)
        if spec.name not in replaced and not any(p in replaced for _, p in refs):
            continue
        bad = con.execute(f"PRAGMA foreign_key_check({spec.name})").fetchall()
        if not bad:
            continue
        parent = bad[0][2]
        column = next(c for c, p in refs if p == parent)
        key = spec.column_names[0]
        rowids = [row[1] for row in bad if row[2] == parent][:_EXAMPLES]
        named = con.execute(
            f"SELECT {key}, {column} FROM {spec.name} WHERE rowid IN "
            f"({', '.join('?' * len(rowids))})",
            rowids,
        ).fetchall()
        examples = ", ".join(f"{k} → {v}" for k, v in named)
        msg = (
            f"foreign keys do not hold: {len(bad):,} {spec.name} record(s) would name a "
            f"{parent} that is not there (e.g. {examples}); nothing was imported"
        )
        raise StoreError(
            msg,
            key="error.import.broken_refs",
            table=spec.name,
            parent=parent,
            count=len(bad),
            examples=examples,
        )


def _bump(con: sqlite3.Connection, to: int | None = None) -> None:
    if to is None:
        con.execute(
            "UPDATE meta SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) "
            "WHERE key = 'data_version'"
        )
    else:
        con.execute("UPDATE meta SET value = ? WHERE key = 'data_version'", (str(to),))


def set_last_import(con: sqlite3.Connection, source: str, meta: Mapping[str, str] | None) -> None:
    """Inside an import's transaction: ``meta`` gets ``last_import`` = `source`, and `meta`
    (when given) in place of the old description."""
    if meta is not None:
        con.execute("DELETE FROM meta WHERE key NOT IN ('schema_version', 'data_version')")
        con.executemany(
            "INSERT INTO meta (key, value) VALUES (?, ?)",
            [(k, str(v)) for k, v in meta.items() if k not in _COUNTED],
        )
    con.execute(
        "INSERT INTO meta (key, value) VALUES ('last_import', ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (source,),
    )


def last_change(path: Path) -> int:
    """The newest ``change_log`` id (0 when none): where an import's check stood."""
    with connection(path) as con:
        return int(con.execute("SELECT COALESCE(MAX(change_id), 0) FROM change_log").fetchone()[0])


def refuse_changed(con: sqlite3.Connection, names: Sequence[str], since: int) -> None:
    """Inside the import's transaction: refuse if a replaced table was edited after `since`.

    Raises
    ------
    StaleEditError
        Naming who changed which record when (key ``error.import.changed``): by its name
        where it has one (:func:`~mapgov.store.locks.shown_record`) and its id, which the
        file holds.
    """
    marks = ", ".join("?" * len(names))
    row = con.execute(
        f"SELECT at, actor, table_name, record_key FROM change_log WHERE change_id > ? "
        f"AND table_name IN ({marks}) ORDER BY change_id LIMIT 1",
        (since, *names),
    ).fetchone()
    if row is not None:
        at, actor, name, record = row
        shown = shown_record(con, dict(zip(table(name).key, record.split(","), strict=False)))
        key = record if shown == record else f"{shown} · {record}"  # 1号楼 · S001-C1-01-01
        msg = (
            f"{actor} changed {name} {key} at {at}, after this file was checked: the import "
            "would overwrite it; nothing was imported, check the file again"
        )
        raise StaleEditError(
            msg, key="error.import.changed", actor=actor, at=at, table=name, record=key
        )


def replace_tables(
    path: Path,
    tables: Mapping[str, pd.DataFrame],
    *,
    source: str,
    meta: Mapping[str, str] | None = None,
    since_change: int | None = None,
) -> None:
    """Replace the rows of each table in `tables` with its frame, in one transaction on the
    live database at `path`; every other table, and every edit saved meanwhile, is kept.

    `since_change`: the newest ``change_log`` id when the file was checked (the plan the user
    saw); an edit of a replaced table saved after it would be overwritten, so the import is
    refused (:class:`StaleEditError`, key ``error.import.changed``) and the user checks again.

    ``meta`` gets ``last_import`` = `source`; when `meta` is given it also replaces the old
    description (everything but ``schema_version`` and ``data_version``). ``data_version``
    goes one up.

    Raises
    ------
    StaleEditError
        If a replaced table was edited after `since_change`; nothing is changed then.
    StoreError
        If a table is wrong (naming table, row and field), a reference would break (naming the
        records, key ``error.import.broken_refs``), or the database is busy or cannot be
        written. Nothing is changed then.
    """
    check_tables(tables)
    names = [spec.name for spec in TABLES if spec.name in tables and spec.name != "meta"]
    with connection(path) as con, writing(con):
        if since_change is not None:
            refuse_changed(con, names, since_change)
        with _histories_open(con, names):
            for name in names:
                con.execute(f"DELETE FROM {name}")
                try:
                    insert_frame(con, table(name), tables[name])
                except sqlite3.IntegrityError as err:
                    msg = f"table {name}: {err}; nothing was imported"
                    raise StoreError(msg) from err
        set_last_import(con, source, meta)
        _bump(con)
        _check_references(con, names)
    with contextlib.suppress(sqlite3.Error), connection(path) as con:
        con.execute("PRAGMA optimize")  # the planner's statistics of the new rows


def restore_database(path: Path, backup: Path, *, since: Mark) -> None:
    """Put every row of the checked mapgov database `backup` in place of those of the live
    database at `path`, in one transaction, if the live database still stands at `since`
    (:func:`high_water`, read when the restore began). The audit log is kept as it is
    (:data:`KEPT_BY_RESTORE`) and every session ends (:data:`ENDED_BY_RESTORE`).

    The restored ``data_version`` is above both the backup's and the replaced one's, so no
    page keeps showing what it cached before.

    Raises
    ------
    StaleEditError
        If an edit was saved in the live database after `since` (it would be lost): nothing
        is restored (key ``error.restore.changed``).
    StoreError
        If the database is busy or cannot be written; nothing is changed then.
    """
    names = [spec.name for spec in TABLES if spec.name not in KEPT_BY_RESTORE]
    with connection(path, attach=backup) as con, writing(con):
        now = _mark(con)
        if now != tuple(since):
            raise StaleEditError(RESTORE_CHANGED, key="error.restore.changed")
        restored = _mark(con, "bak.")[0]
        with _histories_open(con, names):
            for spec in TABLES:
                if spec.name in KEPT_BY_RESTORE:
                    continue
                cols = ", ".join(spec.column_names)
                con.execute(f"DELETE FROM main.{spec.name}")
                if spec.name not in ENDED_BY_RESTORE:
                    con.execute(
                        f"INSERT INTO main.{spec.name} ({cols}) SELECT {cols} FROM bak.{spec.name}"
                    )
        _bump(con, to=max(now[0], restored) + 1)
    with contextlib.suppress(sqlite3.Error), connection(path) as con:
        con.execute("PRAGMA optimize")
