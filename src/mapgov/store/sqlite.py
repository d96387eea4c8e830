"""SQLite implementation of the store."""

from __future__ import annotations

import contextlib
import functools
import sqlite3
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Unpack

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from mapgov.core.errors import StaleEditError, StoreError, ValidationError
from mapgov.core.model import SCHEMA_VERSION
from mapgov.store import locks
from mapgov.store.accounts import ACCOUNT_TABLES, AccountRecords, append_audit_rows
from mapgov.store.build import CRS, check_frame, write_database
from mapgov.store.faults import translate_faults
from mapgov.store.locks import FormVersion, Landing, Report, Rows
from mapgov.store.pgsql import is_url
from mapgov.store.schema import TABLES, table

__all__ = [
    "Problem",
    "SQLiteStore",
    "check_frame",
    "check_version",
    "committed",
    "database_problems",
    "fault_of",
    "write_database",
]


_METRES_PER_DEGREE: Final = 111_195.0  # of a great circle on a sphere of the mean radius
BUSY_TIMEOUT_S = 30.0
"""How long a connection waits for another one's lock before it says the database is busy."""


def _connect(path: Path, *, readonly: bool = False) -> sqlite3.Connection:
    if readonly:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_S)
    else:
        con = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S)
    con.execute("PRAGMA foreign_keys = ON")
    return con


def fault_of(err: sqlite3.OperationalError, path: Path) -> StoreError | None:
    """What a fault of SQLite or of the disk under it means for the person who met it, in one
    line that says what to do; None for an error that is mapgov's own (a bad query).

    Examples
    --------
    >>> str(fault_of(sqlite3.OperationalError("database is locked"), Path("a.sqlite")))[:36]
    'a.sqlite: the database is busy (anot'
    >>> fault_of(sqlite3.OperationalError("no such column: x"), Path("a.sqlite")) is None
    True
    """
    text = str(err).lower()
    if "locked" in text or "busy" in text:
        msg = (
            f"{path}: the database is busy (another program holds it: an import, a backup or a "
            "restore); try again in a moment. Nothing was changed."
        )
        return StoreError(msg, key="error.store.busy")
    if "full" in text:
        msg = f"{path}: the disk is full; free some space and try again. Nothing was changed."
        return StoreError(msg, key="error.store.full")
    if "i/o" in text or "unable to open" in text or "readonly" in text:
        msg = (
            f"{path}: the database could not be read or written ({err}); check the disk and "
            "the file's permissions. Nothing was changed."
        )
        return StoreError(msg, key="error.store.io", reason=str(err))
    return None


def _schema_of(path: Path) -> dict[tuple[str, str], str]:
    """(type, name) -> SQL, whitespace folded, of every table, index, trigger and view."""
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows = con.execute(
            "SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'"
        ).fetchall()
    finally:
        con.close()
    return {(kind, name): " ".join(str(sql or "").split()) for kind, name, sql in rows}


@functools.cache
def _reference_schema() -> dict[tuple[str, str], str]:
    """The schema this mapgov writes, read off an empty database it builds."""
    with tempfile.TemporaryDirectory(prefix="mapgov-schema-") as folder:
        return _schema_of(write_database(Path(folder) / "reference.sqlite", {}, {}))


@dataclass(frozen=True)
class Problem:
    """One thing that keeps a file from being a whole mapgov database.

    ``code`` names it for the catalogue (``error.restore.problem.<code>``): ``<kinds>.missing``,
    ``<kinds>.extra`` or ``<kinds>.different`` (kinds: tables, triggers, views, indexes),
    ``integrity`` or ``references``; ``names`` the tables (or objects) concerned, ``count``
    how many rows or lines. ``str()`` gives the English sentence (logs, the CLI).
    """

    code: str
    names: tuple[str, ...] = ()
    count: int = 0
    detail: str = ""

    def __str__(self) -> str:
        if self.code == "integrity":
            return f"integrity check: {self.detail}"
        if self.code == "references":
            return f"{self.count:,} broken references (in {', '.join(self.names)})"
        kinds, what = self.code.split(".")
        return f"{kinds} {_WHAT[what]}: {', '.join(self.names)}"


_WHAT: Final = {
    "missing": "missing",
    "extra": "not mapgov's",
    "different": "different from mapgov's",
}


def database_problems(path: Path, *, most: int = 8) -> list[Problem]:
    """What keeps the SQLite file `path` from being a whole mapgov database of this schema:
    tables, columns, indexes, triggers and views that differ from the ones mapgov writes
    (a dropped table, a renamed column, an append-only trigger replaced), grouped by kind; a
    failed ``integrity_check`` (CHECK and NOT NULL constraints, damaged pages) and broken
    foreign keys. Empty when it is whole. At most `most` problems are named.

    Raises
    ------
    sqlite3.DatabaseError
        If `path` is not an SQLite database at all.
    """
    want, have = _reference_schema(), _schema_of(path)
    differ = [k for k in sorted(want.keys() & have.keys()) if want[k] != have[k]]
    problems: list[Problem] = []
    for what, keys in (
        ("missing", sorted(want.keys() - have.keys())),
        ("extra", sorted(have.keys() - want.keys())),
        ("different", differ),
    ):
        for kind, kinds in (
            ("table", "tables"),
            ("trigger", "triggers"),
            ("view", "views"),
            ("index", "indexes"),
        ):
            names = tuple(name for k, name in keys if k == kind)
            if names:
                problems.append(Problem(f"{kinds}.{what}", names, len(names)))
    # a read-write connection held to reading: a read-only one (mode=ro) skips the CHECKs
    con = sqlite3.connect(path)
    try:
        con.execute("PRAGMA query_only = ON")
        checked = [row[0] for row in con.execute("PRAGMA integrity_check(20)").fetchall()]
        broken = con.execute("PRAGMA foreign_key_check").fetchall()
    finally:
        con.close()
    if checked != ["ok"]:
        problems += [Problem("integrity", count=1, detail=line) for line in checked]
    if broken:
        tables = tuple(sorted({row[0] for row in broken}))
        problems.append(Problem("references", tables, len(broken)))
    return problems[:most]


@contextlib.contextmanager
def committed(con: Any, *, bump: bool) -> Iterator[None]:
    """Commit `con`'s transaction after the block, counting ``data_version`` up first if
    `bump` (every page's cache key); roll it back if the block raises anything."""
    try:
        yield
        if bump:
            con.execute(
                "UPDATE meta SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) "
                "WHERE key = 'data_version'"
            )
        con.commit()
    except BaseException:
        con.rollback()
        raise


def check_version(version: int, where: str) -> None:
    """Raise unless a database at `where` with schema `version` is one this mapgov reads.

    Raises
    ------
    StoreError
        Saying whether to migrate the database (older) or update mapgov (newer).
    """
    if version == SCHEMA_VERSION:
        return
    older = version < SCHEMA_VERSION
    if is_url(where):  # the app upgrades a SQLite file at its start, not a server's database
        how = "`mapgov migrate --db URL` (the app does not upgrade a server database by itself)."
        old_key = "error.store.schema_old_server"
    else:
        how = f"`mapgov migrate --db {where}` (the app does this at its start)."
        old_key = "error.store.schema_old"
    msg = f"{where} has schema version {version}; this mapgov reads version {SCHEMA_VERSION}. " + (
        f"The database is older: upgrade it, keeping every record, with {how}"
        if older
        else "The database was written by a newer mapgov: update mapgov to open it."
    )
    raise StoreError(
        msg,
        key=old_key if older else "error.store.schema_new",
        path=where,
        found=version,
        expected=SCHEMA_VERSION,
    )


class SQLiteStore(AccountRecords):
    """A mapgov database in one SQLite file.

    A connection is opened per operation, so one store may be shared by Streamlit's threads.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            msg = f"no database at {self.path}; build one with `mapgov demo --db {self.path}`"
            raise StoreError(msg)
        try:
            version = int(self.meta()["schema_version"])
        except (sqlite3.DatabaseError, KeyError, ValueError) as err:
            msg = f"{self.path} is not a mapgov database ({err})"
            raise StoreError(msg) from err
        check_version(version, str(self.path))

    def __repr__(self) -> str:
        return f"SQLiteStore({str(self.path)!r})"

    @property
    def url(self) -> str:
        """``sqlite:///`` URL of the database."""
        return f"sqlite:///{self.path}"

    def _faults(self) -> contextlib.AbstractContextManager[None]:
        """SQLite's and the disk's faults as a :class:`StoreError` that says what to do."""
        return translate_faults(sqlite3.OperationalError, lambda err: fault_of(err, self.path))

    @contextlib.contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        with self._faults():
            con = _connect(self.path)
            try:
                yield con
            finally:
                con.close()

    @contextlib.contextmanager
    def transaction(self, *, bump: bool = True) -> Iterator[sqlite3.Connection]:
        """One write transaction; commits and bumps ``data_version`` only if it succeeds.

        `bump` False leaves ``data_version`` (and so every page's cache) alone: for writes
        that no page shows, such as a session's last use or an audit row."""
        with self._faults():
            con = _connect(self.path)
            try:
                con.execute("BEGIN IMMEDIATE")
                with committed(con, bump=bump):
                    yield con
            finally:
                con.close()

    # -- whole layers -----------------------------------------------------------------------
    def replace_tables(self, tables: Mapping[str, pd.DataFrame], **how: Unpack[Landing]) -> None:
        """Replace whole tables in one transaction (:func:`mapgov.store.replace.replace_tables`,
        which says what `how` holds: the source, a new meta, the change the check saw)."""
        from mapgov.store.replace import replace_tables  # the module imports this one

        replace_tables(self.path, tables, **how)

    def high_water(self) -> tuple[int, ...]:
        """Where the data stands (:data:`mapgov.store.replace.Mark`), read in one statement."""
        from mapgov.store.replace import high_water  # the module imports this one

        return high_water(self.path)

    def restore_from(self, backup: SQLiteStore, *, since: tuple[int, ...]) -> None:
        """Put the checked `backup`'s rows in place of these, if the data still stands at
        `since` (:func:`mapgov.store.replace.restore_database`)."""
        from mapgov.store.replace import restore_database

        restore_database(self.path, backup.path, since=since)

    def last_change(self) -> int:
        """The newest ``change_log`` id (0 when none): where an import's check stood."""
        with self._read() as con:
            return int(
                con.execute("SELECT COALESCE(MAX(change_id), 0) FROM change_log").fetchone()[0]
            )

    # -- metadata -------------------------------------------------------------------------
    def meta(self) -> dict[str, str]:
        """All key/value pairs of the ``meta`` table."""
        with self._read() as con:
            return dict(con.execute("SELECT key, value FROM meta").fetchall())

    def data_version(self) -> int:
        """Counter bumped by every write: part of every cache key."""
        with self._read() as con:
            row = con.execute("SELECT value FROM meta WHERE key = 'data_version'").fetchone()
        return int(row[0])

    def identity(self) -> tuple[str, int]:
        """(resolved path, data version): hashable key for caches."""
        return (str(self.path.resolve()), self.data_version())

    def counts(self) -> dict[str, int]:
        """Row count of every table."""
        with self._read() as con:
            return {
                s.name: con.execute(f"SELECT COUNT(*) FROM {s.name}").fetchone()[0]
                for s in TABLES
                if s.name != "meta"
            }

    # -- generic reading ------------------------------------------------------------------
    def query(self, sql: str, params: Sequence[Any] = ()) -> pd.DataFrame:
        """Run a read-only SELECT and return a frame (geometry left as WKB)."""
        with self._read() as con:
            cur = con.execute(sql, params)
            names = [d[0] for d in cur.description]
            return pd.DataFrame.from_records(cur.fetchall(), columns=names)

    def read(
        self,
        name: str,
        *,
        where: Mapping[str, Any] | None = None,
        columns: Sequence[str] | None = None,
        order_by: str | None = None,
    ) -> pd.DataFrame:
        """Rows of a table, as a GeoDataFrame (EPSG:4326) if it has geometry.

        Parameters
        ----------
        name
            Table name.
        where
            Column equalities; a list or tuple value means ``IN``.
        columns
            Columns to return (default all).
        order_by
            Column to sort by (default the primary key's columns).
        """
        spec = table(name)
        cols = list(columns) if columns else list(spec.column_names)
        for c in [*cols, *(where or {}), *([order_by] if order_by else [])]:
            if c not in spec.column_names:
                msg = f"table {name} has no column {c!r}"
                raise StoreError(msg)
        sql = f"SELECT {', '.join(cols)} FROM {name}"
        params: list[Any] = []
        if where:
            clauses = []
            for col, value in where.items():
                if isinstance(value, list | tuple | set | frozenset):
                    values = list(value)
                    if not values:
                        clauses.append("1 = 0")
                        continue
                    clauses.append(f"{col} IN ({', '.join('?' * len(values))})")
                    params.extend(values)
                else:
                    clauses.append(f"{col} = ?")
                    params.append(value)
            sql += " WHERE " + " AND ".join(clauses)
        sql += f" ORDER BY {order_by or ', '.join(spec.key)}"
        frame = self.query(sql, params)
        if "geom" in frame.columns:
            geoms = shapely.from_wkb(frame.pop("geom").to_numpy(dtype=object))
            return gpd.GeoDataFrame(frame, geometry=geoms, crs=CRS)
        return frame

    def nearest(
        self, name: str, lon: float, lat: float, *, reach_m: float, limit: int = 1
    ) -> pd.DataFrame:
        """The rows of `name` whose geometry lies within `reach_m` metres of (lon, lat),
        nearest first: [<key>, metres] (ties by key). Here every geometry is read and measured
        on a local flat projection of the point's latitude (good to a fraction of a percent
        over a street); PostgreSQL asks PostGIS (its GiST index, then geography distances).
        """
        spec = table(name)
        if not spec.has_geometry or len(spec.key) != 1:
            msg = f"table {name} has no geometry or no single key"
            raise StoreError(msg)
        (key,) = spec.key
        frame = self.read(name, columns=[key, "geom"])
        if frame.empty:
            return pd.DataFrame({key: [], "metres": []})
        scale = np.cos(np.radians(lat))
        shapes = shapely.transform(frame.geometry.to_numpy(), lambda xy: xy * [scale, 1.0])
        metres = shapely.distance(shapes, shapely.Point(lon * scale, lat)) * _METRES_PER_DEGREE
        out = pd.DataFrame({key: frame[key].to_numpy(), "metres": metres})
        out = out[out["metres"] <= reach_m].sort_values(["metres", key], kind="stable")
        return out.head(limit).reset_index(drop=True)

    # -- the issue ledger: the only writes of the workflow -------------------------------
    def insert_issue(self, issue: Mapping[str, Any], events: Sequence[Mapping[str, Any]]) -> int:
        """Insert a new issue and its first events in one transaction; return its id."""
        return self.insert_issues([(issue, events)])[0]

    def insert_report(self, issue: Mapping[str, Any], report: Report) -> int:
        """Insert a report from the field in one transaction: the issue, its first events,
        its photos (rows of ``issue_photo`` without ``issue_id``) and its audit entries,
        after `report`'s ``guard`` (given the connection: a rate limit counts there, inside
        the write lock) let it through. All or nothing; returns the issue's id."""
        check_frame(table("issue"), pd.DataFrame([issue]))
        with self.transaction() as con:
            guard = report.get("guard")
            if guard is not None:
                guard(con)
            issue_id = self._insert_one(con, issue)
            self._append_events(con, issue_id, report.get("events", ()))
            cols = [c for c in table("issue_photo").column_names if c != "photo_id"]
            con.executemany(
                f"INSERT INTO issue_photo ({', '.join(cols)}) "
                f"VALUES ({', '.join('?' * len(cols))})",
                [
                    [issue_id if c == "issue_id" else photo[c] for c in cols]
                    for photo in report.get("photos", ())
                ],
            )
            audit_rows = report.get("audit", ())
            if audit_rows:
                append_audit_rows(con, audit_rows)
        return issue_id

    @staticmethod
    def _insert_one(con: sqlite3.Connection, issue: Mapping[str, Any]) -> int:
        cols = [c for c in table("issue").column_names if c in issue and c != "issue_id"]
        cur = con.execute(
            f"INSERT INTO issue ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
            [issue[c] for c in cols],
        )
        return int(cur.lastrowid or 0)

    def insert_issues(
        self, rows: Sequence[tuple[Mapping[str, Any], Sequence[Mapping[str, Any]]]]
    ) -> list[int]:
        """Insert issues, each with its events, in one transaction (an imported ledger): all
        or none. Returns the new ids in order."""
        spec = table("issue")
        check_frame(spec, pd.DataFrame([issue for issue, _ in rows]))
        ids: list[int] = []
        with self.transaction() as con:
            for issue, events in rows:
                ids.append(self._insert_one(con, issue))
                self._append_events(con, ids[-1], events)
        return ids

    def update_issue(
        self,
        issue_id: int,
        *,
        version: int,
        changes: Mapping[str, Any],
        events: Sequence[Mapping[str, Any]],
    ) -> int:
        """Change an issue the user saw at `version` and append its events, all or nothing.

        Returns
        -------
        int
            The issue's new version.

        Raises
        ------
        StaleEditError
            If the issue changed since `version` (someone else saved first); nothing is written.
        ValidationError
            If there is no such issue.
        """
        spec = table("issue")
        bad = set(changes) - set(spec.column_names) | ({"issue_id", "version"} & set(changes))
        if bad:
            msg = f"cannot change issue columns {sorted(bad)}"
            raise StoreError(msg)
        check_frame(spec, pd.DataFrame([dict(changes)]))
        sets = "".join(f"{c} = ?, " for c in changes)
        with self.transaction() as con:
            cur = con.execute(
                f"UPDATE issue SET {sets}version = version + 1 WHERE issue_id = ? AND version = ?",
                [*changes.values(), issue_id, version],
            )
            if cur.rowcount == 0:
                row = con.execute(
                    "SELECT version FROM issue WHERE issue_id = ?", (issue_id,)
                ).fetchone()
                if row is None:
                    msg = f"no issue #{issue_id}"
                    raise ValidationError(msg, key="error.issue.not_found", issue_id=issue_id)
                msg = (
                    f"issue #{issue_id} was changed by someone else (version {row[0]}, you "
                    f"saw {version}); reload it and try again"
                )
                raise StaleEditError(msg, key="error.issue.stale", issue_id=issue_id)
            self._append_events(con, issue_id, events)
        return version + 1

    @staticmethod
    def _append_events(
        con: sqlite3.Connection, issue_id: int, events: Sequence[Mapping[str, Any]]
    ) -> None:
        cols = [c for c in table("issue_event").column_names if c not in ("event_id",)]
        con.executemany(
            f"INSERT INTO issue_event ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
            [[issue_id if c == "issue_id" else e.get(c) for c in cols] for e in events],
        )

    # -- audited edits of any table ---------------------------------------------------------
    _bump_version = staticmethod(locks.bump_version)  # also what AccountRecords locks with

    def form_version(self, groups: Sequence[Rows]) -> FormVersion:
        """What a form drawn now from these groups of rows is drawn from (for :meth:`edit`)."""
        with self._read() as con:
            return locks.form_version(con, groups)

    def edit(
        self,
        ops: Sequence[tuple[str, str, Mapping[str, Any], Mapping[str, Any]]],
        *,
        actor: str,
        at: str,
        expect: Sequence[tuple[str, Mapping[str, Any], int]] = (),
        unchanged: Sequence[Rows] = (),
        seen: FormVersion | None = None,
        append: Sequence[tuple[str, Mapping[str, Any]]] = (),
    ) -> int:
        """Apply inserts, updates and deletes in one transaction, logging every changed field.

        Parameters
        ----------
        ops
            (op, table, key, values): ``("update", "compound", {"compound_id": "K1"},
            {"branch_id": None})``; for "insert" the key columns are merged into the row; for
            "delete" values is ignored.
        actor, at
            Who and when, written to ``change_log``.
        expect
            Optimistic locking: (table, key, version) of each record the change was drawn
            from. Each must still have that ``version`` inside the transaction, and gets
            ``version + 1``; otherwise nothing is written.
        unchanged, seen
            Optimistic locking of records without a version: the groups of rows the change was
            drawn from, each still as in `seen` (:meth:`form_version`) inside the
            transaction; otherwise nothing is written (:mod:`mapgov.store.locks`).
        append
            (table, row) rows for an append-only history table (``co_event``), written after
            the ops; they are the log themselves, so ``change_log`` does not copy them.

        Returns
        -------
        int
            The number of ``change_log`` rows written.

        Raises
        ------
        ValidationError
            If a record to update or delete, or an expected record, does not exist.
        StaleEditError
            If an expected record has another version, an unchanged group changed, or a record
            to insert exists already (someone else saved first). Nothing is written.
        """
        hidden = sorted({name for _, name, _, _ in ops} & set(ACCOUNT_TABLES))
        if hidden:  # hashes must never reach change_log
            msg = f"accounts are changed through mapgov.domain.accounts, not edit(): {hidden}"
            raise StoreError(msg)
        logged = 0
        with self.transaction() as con:
            if unchanged:
                locks.check_unchanged(con, unchanged, seen or FormVersion())
            for name, key, version in expect:
                locks.bump_version(con, name, key, version)
            for op, name, key, values in ops:
                spec = table(name)
                cols = [*key, *values]
                unknown = [c for c in cols if c not in spec.column_names]
                if unknown or op not in ("insert", "update", "delete"):
                    msg = f"cannot {op} {name} with columns {unknown or cols}"
                    raise StoreError(msg)
                where = " AND ".join(f"{c} = ?" for c in key)
                record = ",".join(str(v) for v in key.values())
                old = (
                    con.execute(
                        f"SELECT * FROM {name} WHERE {where}", list(key.values())
                    ).fetchone()
                    if key
                    else None
                )
                names = list(spec.column_names)
                if op in ("update", "delete") and old is None:
                    msg = f"no {name} {record}"
                    raise ValidationError(
                        msg, key="error.edit.not_found", table=name, record=record
                    )
                before = {} if old is None else dict(zip(names, old, strict=True))
                if op == "insert" and old is not None:
                    msg = f"{name} {record} exists already: someone else saved it first"
                    shown = locks.shown_record(con, key)
                    raise StaleEditError(msg, key="error.edit.exists", table=name, record=shown)
                if op == "insert":
                    row = {**key, **values}
                    con.execute(
                        f"INSERT INTO {name} ({', '.join(row)}) "
                        f"VALUES ({', '.join('?' * len(row))})",
                        list(row.values()),
                    )
                    changes = [(c, None, v) for c, v in row.items()]
                elif op == "update":
                    changes = [(c, before[c], v) for c, v in values.items() if before[c] != v]
                    if changes:
                        con.execute(
                            f"UPDATE {name} SET {', '.join(f'{c} = ?' for c, _, _ in changes)} "
                            f"WHERE {where}",
                            [v for _, _, v in changes] + list(key.values()),
                        )
                else:
                    con.execute(f"DELETE FROM {name} WHERE {where}", list(key.values()))
                    changes = [(c, v, None) for c, v in before.items() if c != "geom"]
                con.executemany(
                    "INSERT INTO change_log (at, actor, op, table_name, record_key, field, "
                    "old_value, new_value) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [
                        (
                            at,
                            actor,
                            op,
                            name,
                            record,
                            c,
                            None if o is None else str(o),
                            None if n is None else str(n),
                        )
                        for c, o, n in changes
                        if c != "geom"
                    ],
                )
                logged += len(changes)
            for name, fields in append:
                cols = [c for c in table(name).column_names if c in fields]
                con.execute(
                    f"INSERT INTO {name} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                    [fields[c] for c in cols],
                )
        return logged
