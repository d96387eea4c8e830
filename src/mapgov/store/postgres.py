"""PostgreSQL + PostGIS implementation of the store, chosen by a ``postgresql://`` URL.

The store's reading and writing code (:class:`mapgov.store.sqlite.SQLiteStore` and the modules
it uses) is written against Python's DB-API as :mod:`sqlite3` offers it. :class:`PgConnection`
gives a psycopg 3 connection that face: SQLite's SQL is translated (:mod:`mapgov.store.pgsql`),
the key of a new row is read back with ``RETURNING`` (``lastrowid``), and a broken constraint is
raised as :class:`sqlite3.IntegrityError` with SQLite's wording, so that every check above the
connection (a login taken, a history that refuses a change) holds on both backends.

Writes keep their meaning across processes and machines: every write transaction bumps the
``data_version`` row of ``meta``, which orders writers the way SQLite's single writer does and
tells every app server's caches that the data changed (:meth:`PostgresStore.identity`); an
edit's version check is an ``UPDATE ... WHERE version = ?`` that PostgreSQL re-checks on the
row it locks, so of two servers saving the same record one succeeds and one is refused.
"""

from __future__ import annotations

import contextlib
import math
import re
import sqlite3
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, Final, Unpack

import pandas as pd
import psycopg
import psycopg.errors
from psycopg_pool import ConnectionPool, PoolTimeout

from mapgov.core.errors import StaleEditError, StoreError
from mapgov.store import pgsql
from mapgov.store.build import check_tables, insert_rows, meta_rows
from mapgov.store.faults import translate_faults
from mapgov.store.locks import Landing
from mapgov.store.pgsql import is_url, safe_url
from mapgov.store.replace import (
    ENDED_BY_RESTORE,
    HISTORIES,
    KEPT_BY_RESTORE,
    RESTORE_CHANGED,
    Mark,
    refuse_changed,
    set_last_import,
)
from mapgov.store.schema import APPEND_ONLY, TABLES, Table, table
from mapgov.store.sqlite import SQLiteStore, check_version, committed

Frames = Mapping[str, pd.DataFrame]
Progress = Callable[[str, float], None]

__all__ = [
    "PgConnection",
    "PostgresStore",
    "is_url",
    "load_schema",
    "release",
    "safe_url",
    "server_fault",
    "write_pg_database",
]

POOL_SIZE: Final = 8
CONNECT_TIMEOUT_S: Final = 10
_INSERT = re.compile(r"\s*INSERT\s+INTO\s+(\w+)", re.IGNORECASE)
_KEY = re.compile(r"Key \(([^)]*)\)")


def _integrity(err: psycopg.errors.IntegrityError) -> sqlite3.IntegrityError:
    """A broken constraint, worded as SQLite words it (the store's checks read the words)."""
    diag = err.diag
    if isinstance(err, psycopg.errors.UniqueViolation):
        found = _KEY.search(diag.message_detail or "")
        columns = [c.strip() for c in found.group(1).split(",")] if found else ["?"]
        text = "UNIQUE constraint failed: " + ", ".join(f"{diag.table_name}.{c}" for c in columns)
    elif isinstance(err, psycopg.errors.ForeignKeyViolation):
        text = f"FOREIGN KEY constraint failed ({diag.message_detail})"
    elif isinstance(err, psycopg.errors.CheckViolation):
        text = f"CHECK constraint failed: {diag.constraint_name}"
    elif isinstance(err, psycopg.errors.NotNullViolation):
        text = f"NOT NULL constraint failed: {diag.table_name}.{diag.column_name}"
    else:
        text = diag.message_primary or str(err)
    return sqlite3.IntegrityError(text)


@contextlib.contextmanager
def _as_sqlite() -> Iterator[None]:
    try:
        yield
    except psycopg.errors.IntegrityError as err:
        raise _integrity(err) from err


class _Cursor:
    """The part of :class:`sqlite3.Cursor` the store uses, over a psycopg cursor."""

    def __init__(self, cur: psycopg.Cursor[Any] | None, lastrowid: int | None = None) -> None:
        self._cur = cur
        self.lastrowid = lastrowid

    @property
    def rowcount(self) -> int:
        return -1 if self._cur is None else self._cur.rowcount

    @property
    def description(self) -> Any:
        return None if self._cur is None else self._cur.description

    def fetchone(self) -> Any:
        return None if self._cur is None else self._cur.fetchone()

    def fetchall(self) -> list[Any]:
        return [] if self._cur is None else self._cur.fetchall()

    def fetchmany(self, size: int) -> list[Any]:
        return [] if self._cur is None else self._cur.fetchmany(size)


class PgConnection:
    """A psycopg connection with the face of :class:`sqlite3.Connection` (see the module)."""

    def __init__(self, con: psycopg.Connection[Any]) -> None:
        self.raw = con

    def execute(self, sql: str, params: Sequence[Any] = ()) -> _Cursor:
        """Run one statement of SQLite's SQL.

        Parameters
        ----------
        sql : str
            The statement, with ``?`` placeholders.
        params : sequence
            Its parameters.

        Returns
        -------
        _Cursor
            The result, with ``lastrowid`` set after an insert into a table with a number key.
        """
        if sql.strip().upper() in ("BEGIN", "BEGIN IMMEDIATE"):
            return _Cursor(None)  # psycopg opens the transaction itself
        text = pgsql.translate(sql)
        insert = _INSERT.match(sql)
        key = pgsql.IDENTITY.get(insert.group(1).lower()) if insert else None
        if key and "RETURNING" not in sql.upper():
            text += f" RETURNING {key}"
        with _as_sqlite():
            cur = self.raw.execute(text, list(params))
        if key:
            row = cur.fetchone()
            return _Cursor(cur, int(row[0]) if row else None)
        return _Cursor(cur)

    def executemany(self, sql: str, rows: Any) -> _Cursor:
        """Run one statement of SQLite's SQL for each row of parameters.

        Parameters
        ----------
        sql : str
            The statement, with ``?`` placeholders.
        rows : iterable of sequence
            One sequence of parameters a run.

        Returns
        -------
        _Cursor
            The cursor (its ``rowcount`` counts all runs).
        """
        cur = self.raw.cursor()
        with _as_sqlite():
            cur.executemany(pgsql.translate(sql), [list(r) for r in rows])
        return _Cursor(cur)

    def commit(self) -> None:
        """Commit the transaction."""
        self.raw.commit()

    def rollback(self) -> None:
        """Roll the transaction back."""
        self.raw.rollback()


_pools: dict[str, ConnectionPool[Any]] = {}
_pools_lock = threading.Lock()


def _pool(url: str) -> ConnectionPool[Any]:
    """One pool of connections a database and process, opened on first use."""
    with _pools_lock:
        if url not in _pools:
            _pools[url] = _new_pool(url)
        return _pools[url]


def _new_pool(url: str) -> ConnectionPool[Any]:
    # one connection first, so that a server out of reach is said at once, not retried
    psycopg.connect(url, connect_timeout=CONNECT_TIMEOUT_S).close()
    pool: ConnectionPool[Any] = ConnectionPool(
        url,
        min_size=1,
        max_size=POOL_SIZE,
        kwargs={"connect_timeout": CONNECT_TIMEOUT_S},
        open=False,
        name=safe_url(url),
    )
    pool.open(wait=True, timeout=CONNECT_TIMEOUT_S)
    return pool


def server_fault(err: psycopg.OperationalError, shown: str) -> StoreError | None:
    """What a fault of the server or the connection means for the person who met it, in one
    line; None for an error that is mapgov's own."""
    state = err.sqlstate or ""
    if not state or state.startswith(("08", "57P")):  # no connection, server shutting down
        msg = f"cannot reach PostgreSQL at {shown}: {err}".strip()
        return StoreError(msg, key="error.store.io", reason=str(err))
    if state in ("40001", "40P01", "55P03"):  # serialization, deadlock, lock not available
        msg = f"{shown}: the database is busy (another change holds it); try again"
        return StoreError(msg, key="error.store.busy")
    if state.startswith("53"):  # insufficient resources: disk full, out of memory
        msg = (
            f"{shown}: the database server is out of space or memory ({err}). Nothing was changed."
        )
        return StoreError(msg, key="error.store.full")
    return None


def release(url: str) -> None:
    """Close the connections this process holds to the database at `url` (before it is
    dropped or copied as a template); the next store opened on it opens new ones.

    Parameters
    ----------
    url : str
        The database's ``postgresql://`` URL.
    """
    if url in _pools:
        _pools.pop(url).close()


class PostgresStore(SQLiteStore):
    """A mapgov database in PostgreSQL + PostGIS, named by a ``postgresql://`` URL.

    Connections come from a pool shared by every store of the same URL in the process, so a
    store may be opened on every page run and shared by Streamlit's threads.
    """

    def __init__(self, url: str) -> None:
        self._url = url
        self._shown = safe_url(url)
        try:
            meta = self.meta()
        except psycopg.errors.UndefinedTable as err:
            msg = f"{self._shown} holds no mapgov database; build one with `mapgov demo --db URL`"
            raise StoreError(msg) from err
        try:
            version = int(meta["schema_version"])
        except (KeyError, ValueError) as err:
            msg = f"{self._shown} is not a mapgov database ({err})"
            raise StoreError(msg) from err
        check_version(version, self._shown)

    def __repr__(self) -> str:
        return f"PostgresStore({self._shown!r})"

    @property
    def url(self) -> str:
        """The database's URL (with its password, if it has one)."""
        return self._url

    @property
    def path(self) -> Any:  # type: ignore[override]
        """PostgreSQL has no file: the steps that copy a file refuse with what to do instead."""
        msg = (
            f"{self._shown}: this step works on a SQLite file only for now; do it on a SQLite "
            "copy and bring it over with `mapgov copy`"
        )
        raise StoreError(msg, key="error.store.sqlite_only", path=self._shown)

    def replace_tables(self, tables: Mapping[str, pd.DataFrame], **how: Unpack[Landing]) -> None:
        """Replace whole tables in one transaction; every other table, and every edit saved
        meanwhile, is kept (as :func:`mapgov.store.replace.replace_tables` on SQLite).

        Parameters
        ----------
        tables : mapping of str to DataFrame
            The new rows of each replaced table.
        **how : Unpack[Landing]
            ``source``, ``meta`` and ``since_change`` (:class:`~mapgov.store.locks.Landing`).

        Raises
        ------
        StaleEditError
            If a replaced table was edited after `since_change`.
        StoreError
            If a table is wrong or a reference would break; nothing is changed then.
        """
        check_tables(tables)
        names = [spec.name for spec in TABLES if spec.name in tables and spec.name != "meta"]
        try:
            with self.transaction() as con:
                con.raw.execute("SET CONSTRAINTS ALL DEFERRED")
                since = how.get("since_change")
                if since is not None:
                    refuse_changed(con, names, since)  # type: ignore[arg-type]
                _replace(con, tables, names)
                set_last_import(con, how["source"], how.get("meta"))  # type: ignore[arg-type]
                con.raw.execute("SET CONSTRAINTS ALL IMMEDIATE")  # checked here, by name
        except psycopg.errors.ForeignKeyViolation as err:
            raise _broken_references(err) from err
        except sqlite3.IntegrityError as err:
            msg = f"{err}; nothing was imported"
            raise StoreError(msg) from err

    def high_water(self) -> Mark:
        """Where the data stands (:data:`mapgov.store.replace.Mark`), read in one statement.

        Returns
        -------
        tuple of int
            ``data_version`` and the last row of each history of edits.
        """
        with self._read() as con:
            return _mark(con)

    def restore_from(self, backup: SQLiteStore, *, since: Mark) -> None:
        """Put every row of the checked `backup` in place of this database's, in one
        transaction, if the data still stands at `since`; the audit log is kept and every
        session ends (as :func:`mapgov.store.replace.restore_database` on SQLite).

        Parameters
        ----------
        backup : SQLiteStore
            The checked backup (a whole mapgov database of this schema version).
        since : tuple of int
            :meth:`high_water` when the restore began.

        Raises
        ------
        StaleEditError
            If an edit was saved after `since`: nothing is restored.
        """
        names = [s.name for s in TABLES if s.name not in KEPT_BY_RESTORE and s.name != "meta"]
        frames = {n: backup.read(n) for n in names if n not in ENDED_BY_RESTORE}
        frames.update({n: backup.read(n).iloc[:0] for n in ENDED_BY_RESTORE})
        restored = int(backup.meta()["data_version"])
        with self.transaction(bump=False) as con:
            # every write ends by counting data_version up: holding its row orders them after
            con.execute("SELECT value FROM meta WHERE key = 'data_version' FOR UPDATE")
            now = _mark(con)
            if now != tuple(since):
                raise StaleEditError(RESTORE_CHANGED, key="error.restore.changed")
            con.raw.execute("SET CONSTRAINTS ALL DEFERRED")
            _replace(con, frames, names)
            con.execute("DELETE FROM meta")
            keep = {k: v for k, v in backup.meta().items() if k != "data_version"}
            keep["data_version"] = str(max(now[0], restored) + 1)
            con.executemany("INSERT INTO meta (key, value) VALUES (?, ?)", sorted(keep.items()))

    def nearest(
        self, name: str, lon: float, lat: float, *, reach_m: float, limit: int = 1
    ) -> pd.DataFrame:
        """:meth:`SQLiteStore.nearest` pushed down to PostGIS: the GiST index finds the
        geometries in a box around the point, geography measures them in metres."""
        spec = table(name)
        if not spec.has_geometry or len(spec.key) != 1:
            msg = f"table {name} has no geometry or no single key"
            raise StoreError(msg)
        (key,) = spec.key
        # the box: reach_m in degrees of longitude at this latitude (wider than of latitude)
        box = reach_m / (111_195.0 * max(math.cos(math.radians(lat)), 0.01)) * 1.01
        sql = (
            f"SELECT {key}, metres FROM (SELECT {key}, ST_Distance(geom::geography, "
            "ST_SetSRID(ST_MakePoint(?, ?), 4326)::geography) AS metres FROM "
            f"{name} WHERE geom && ST_Expand(ST_SetSRID(ST_MakePoint(?, ?), 4326), ?)) AS near "
            f"WHERE metres <= ? ORDER BY metres, {key} LIMIT ?"
        )
        frame = self.query(sql, [lon, lat, lon, lat, box, reach_m, int(limit)])
        frame["metres"] = frame["metres"].astype(float)
        return frame

    def identity(self) -> tuple[str, int]:
        """(URL without password, data version): hashable key for caches shared by servers."""
        return (self._shown, self.data_version())

    def _faults(self) -> contextlib.AbstractContextManager[None]:
        """The pool's and the server's faults as a :class:`StoreError` that says what to do."""
        return translate_faults(psycopg.OperationalError, self._fault)

    def _fault(self, err: psycopg.OperationalError) -> StoreError | None:
        """What `err` means (a pool that gives no connection in time is busy), or None."""
        if isinstance(err, PoolTimeout):
            msg = f"{self._shown}: the database is busy or out of reach ({err}); try again"
            return StoreError(msg, key="error.store.busy")
        return server_fault(err, self._shown)

    @contextlib.contextmanager
    def _read(self) -> Iterator[PgConnection]:  # type: ignore[override]
        with self._faults(), _pool(self._url).connection() as con:
            try:
                yield PgConnection(con)
            finally:
                con.rollback()

    @contextlib.contextmanager
    def transaction(self, *, bump: bool = True) -> Iterator[PgConnection]:  # type: ignore[override]
        """One write transaction; commits and bumps ``data_version`` only if it succeeds.

        Parameters
        ----------
        bump : bool
            False leaves ``data_version`` alone (writes that no page shows).

        Yields
        ------
        PgConnection
            The connection, inside the transaction.
        """
        with self._faults(), _pool(self._url).connection() as con:
            wrapped = PgConnection(con)
            with committed(wrapped, bump=bump):
                yield wrapped


def _replace(
    con: PgConnection,
    tables: Mapping[str, pd.DataFrame],
    names: Sequence[str],
) -> None:
    """Inside a transaction with deferred foreign keys: each table of `names` emptied and
    loaded with its frame (the append-only triggers of a history paused for it)."""
    raw = con.raw
    if set(names) & set(APPEND_ONLY):
        raw.execute(pgsql.REPLACING)
    for name in names:
        raw.execute(f"DELETE FROM {name}")
        _copy(raw, table(name), tables[name])
        key = pgsql.IDENTITY.get(name)
        if key:
            _restart_identity(raw, name, key)


def _mark(con: PgConnection) -> Mark:
    """``data_version`` and the last row of each history of edits, in one statement."""
    last = ", ".join(
        f"(SELECT COALESCE(MAX({pgsql.IDENTITY[name]}), 0) FROM {name})" for name in HISTORIES
    )
    sql = f"SELECT (SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'data_version'), {last}"
    return tuple(int(v or 0) for v in con.execute(sql).fetchone())


def _restart_identity(raw: psycopg.Connection[Any], name: str, key: str) -> None:
    raw.execute(
        f"SELECT setval(pg_get_serial_sequence('{name}', '{key}'), "
        f"COALESCE((SELECT MAX({key}) FROM {name}), 0) + 1, false)"
    )


def _copy(raw: psycopg.Connection[Any], spec: Table, frame: pd.DataFrame) -> None:
    cols, rows = insert_rows(spec, frame, srid=True)
    if not cols:
        return
    with raw.cursor() as cur, cur.copy(f"COPY {spec.name} ({', '.join(cols)}) FROM STDIN") as cp:
        for row in rows:
            cp.write_row(row)


def _broken_references(err: psycopg.errors.ForeignKeyViolation) -> StoreError:
    """A deferred foreign key that fails at the end of an import, as the import says it."""
    diag = err.diag
    msg = (
        f"foreign keys do not hold: {diag.table_name} record(s) would name a parent that is "
        f"not there ({diag.message_detail}); nothing was imported"
    )
    return StoreError(
        msg,
        key="error.import.broken_refs",
        table=diag.table_name or "",
        parent=(diag.message_detail or "").rsplit('"', 2)[-2] if diag.message_detail else "",
        count=1,
        examples=diag.message_detail or "",
    )


def write_pg_database(url: str, tables: Frames, meta: Mapping[str, str], say: Progress) -> str:
    """Write a complete new mapgov database into the PostgreSQL database at `url`, all or
    nothing: one transaction drops the mapgov tables there, creates the schema and loads the
    frames, so a failure leaves the database as it was.

    Parameters
    ----------
    url : str
        ``postgresql://`` URL of an existing database (PostGIS installed, or installable by
        the connecting role).
    tables : mapping of str to DataFrame
        Frames by table name, as for :func:`mapgov.store.build.write_database`.
    meta : mapping of str to str
        Extra key/value pairs for the ``meta`` table.
    say : callable
        Told (stage, share done) as the writing goes on.

    Returns
    -------
    str
        `url`.

    Raises
    ------
    StoreError
        If the database cannot be reached or a table is wrong.
    """
    check_tables(tables)
    shown = safe_url(url)
    try:
        with psycopg.connect(url, connect_timeout=CONNECT_TIMEOUT_S) as con, con.transaction():
            load_schema(con, tables, meta, say)
    except psycopg.OperationalError as err:
        msg = f"cannot write the database at {shown}: {err}"
        raise StoreError(msg) from err
    except psycopg.errors.IntegrityError as err:
        msg = f"cannot write the database at {shown}: {_integrity(err)}"
        raise StoreError(msg) from err
    say("done", 1.0)
    return url


def load_schema(
    con: psycopg.Connection[Any],
    tables: Mapping[str, pd.DataFrame],
    meta: Mapping[str, str],
    say: Callable[[str, float], None],
) -> None:
    """Inside the caller's transaction: drop the mapgov tables of the current schema, create
    this schema's (tables, GiST indexes, append-only triggers) and load `tables` and `meta`.

    Parameters
    ----------
    con : psycopg.Connection
        The connection, inside a transaction.
    tables : mapping of str to DataFrame
        Checked frames by table name.
    meta : mapping of str to str
        ``meta`` pairs over :func:`mapgov.store.build.meta_rows`'s.
    say : callable
        Told (stage, share done) as the writing goes on.
    """
    con.execute("SET LOCAL client_min_messages = warning")
    for spec in reversed(TABLES):
        con.execute(f"DROP TABLE IF EXISTS {spec.name} CASCADE")
    for sql in pgsql.schema_statements():
        con.execute(sql)
    with con.cursor() as cur:
        cur.executemany("INSERT INTO meta (key, value) VALUES (%s, %s)", meta_rows(meta))
    ordered = [s for s in TABLES if s.name in tables and s.name != "meta"]
    for i, spec in enumerate(ordered):
        say(spec.name, 0.9 * i / max(len(ordered), 1))
        _copy(con, spec, tables[spec.name])
    for name, key in pgsql.IDENTITY.items():
        _restart_identity(con, name, key)
    say("indexes", 0.92)
    for sql in (*pgsql.indexes(), *pgsql.triggers()):
        con.execute(sql)
    say("analyze", 0.98)
    con.execute("ANALYZE")
