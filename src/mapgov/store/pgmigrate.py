"""Bring a PostgreSQL database written by an older mapgov up to this schema, keeping every record.

The same steps as on SQLite (:data:`mapgov.store.migrate.STEPS`), in one transaction of the
server, whose DDL is transactional: :func:`migrate_pg` locks every mapgov table (``ACCESS
EXCLUSIVE``: other writers and readers wait), reads them, applies the steps, moves the old
tables as they are into a schema of their own (``mapgov_v<old version>``, the safety copy),
creates this schema's tables, GiST indexes and append-only triggers
(:func:`mapgov.store.postgres.load_schema`) and loads the migrated rows. A failure rolls
everything back and leaves the database as it was.

Another server writing meanwhile (an older mapgov still serving the office) either commits
before the locks are granted, and its edit is migrated, or waits for them; its statement then
runs on the new tables of the same names (PostgreSQL looks a table's name up again once the
lock it waited for is granted). The migration takes its locks only when every table is free at
once (``NOWAIT``) and tries again a moment later otherwise, for :data:`NOWAIT_S`: it never
waits while holding a table, so it never deadlocks with a writer holding another, which
PostgreSQL would break by refusing one of the two. Only after that does it queue for the
locks; if a deadlock is then broken against it, it tries again, and an edit refused instead is
told so and not saved.

The kept schema is part of the same database (a ``pg_dump`` holds it too); once the upgrade is
checked, ``DROP SCHEMA mapgov_v<old> CASCADE`` frees its space.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from typing import Any, Final

import pandas as pd
import psycopg
import psycopg.errors
from psycopg import sql

from mapgov.core.errors import StoreError
from mapgov.core.model import SCHEMA_VERSION
from mapgov.store.faults import translate_faults
from mapgov.store.migrate import refuse_unknown, upgraded
from mapgov.store.pgsql import safe_url
from mapgov.store.postgres import CONNECT_TIMEOUT_S, load_schema, server_fault
from mapgov.store.schema import TABLES

__all__ = ["GIVE_UP_S", "KEPT_SCHEMA", "LOCK_WAIT_S", "NOWAIT_S", "migrate_pg"]

KEPT_SCHEMA: Final = "mapgov_v{version}"
"""The schema the old tables are moved to (a number is added if it is taken)."""
NOWAIT_S: Final = 15
"""For so long a try takes the locks only if every table is free at once (``NOWAIT``), and
lets go at once otherwise: waiting while holding some tables could deadlock with a writer
holding another, and PostgreSQL might then refuse the writer's edit."""
LOCK_WAIT_S: Final = 5
"""After :data:`NOWAIT_S`, how long one try waits for the locks before it tries again."""
GIVE_UP_S: Final = 120
"""How long the migration goes on trying for its locks before it says the database is busy."""
_KNOWN: Final = tuple(t.name for t in TABLES)  # every schema so far only added tables

Frames = dict[str, pd.DataFrame]


def _version(con: psycopg.Connection[Any], shown: str) -> int:
    try:
        row = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        if row is None:
            msg = "meta has no schema_version"
            raise ValueError(msg)
        return int(row[0])
    except (psycopg.errors.UndefinedTable, ValueError) as err:
        msg = f"{shown} is not a mapgov database ({err})"
        raise StoreError(msg) from err


@contextlib.contextmanager
def _faults(shown: str) -> Iterator[None]:
    """The server's faults, and rows that break the schema, as a :class:`StoreError`."""
    try:
        with translate_faults(psycopg.OperationalError, lambda err: server_fault(err, shown)):
            yield
    except psycopg.errors.IntegrityError as err:
        msg = f"{shown}: the migrated rows break the schema ({err}); nothing was changed"
        raise StoreError(msg) from err
    except psycopg.errors.InsufficientPrivilege as err:
        msg = (
            f"{shown}: this role may not upgrade the database ({err}); nothing was changed. "
            "Run `mapgov migrate` as the role that owns mapgov's tables, with CREATE on the "
            "database (for the schema that keeps the old tables)"
        )
        raise StoreError(msg) from err


class _TablesChangedError(Exception):
    """The mapgov tables changed while the locks were awaited."""


def _tables(con: psycopg.Connection[Any]) -> list[str]:
    """The mapgov tables of the current schema, in the schema's order."""
    found = {
        r[0]
        for r in con.execute(
            "SELECT c.relname FROM pg_class c WHERE c.relkind IN ('r', 'p') "
            "AND c.relnamespace = current_schema()::regnamespace AND c.relname = ANY(%s)",
            [list(_KNOWN)],
        )
    }
    return [name for name in _KNOWN if name in found]


def _read_all(con: psycopg.Connection[Any], names: list[str]) -> tuple[Frames, dict[str, str]]:
    """Every table's rows, geometry as WKB (as SQLite keeps it), and the ``meta`` pairs."""
    frames: Frames = {}
    for name in names:
        if name == "meta":
            continue
        columns = con.execute(
            "SELECT column_name, udt_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND table_name = %s ORDER BY ordinal_position",
            [name],
        ).fetchall()
        picked = ", ".join(
            f"ST_AsBinary({c}) AS {c}" if kind == "geometry" else c for c, kind in columns
        )
        rows = con.execute(f"SELECT {picked} FROM {name}").fetchall()
        frames[name] = pd.DataFrame.from_records(rows, columns=[c for c, _ in columns])
    meta = dict(con.execute("SELECT key, value FROM meta").fetchall())
    return frames, meta


def _set_aside(con: psycopg.Connection[Any], names: list[str], old: int) -> str:
    """Move the tables `names` (with their indexes, constraints, triggers and sequences) into
    a new schema of their own; return its name."""
    base = KEPT_SCHEMA.format(version=old)
    taken = {r[0] for r in con.execute("SELECT nspname FROM pg_namespace")}
    kept = base
    number = 1
    while kept in taken:
        number += 1
        kept = f"{base}_{number}"
    con.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(kept)))
    for name in names:
        con.execute(
            sql.SQL("ALTER TABLE {} SET SCHEMA {}").format(
                sql.Identifier(name), sql.Identifier(kept)
            )
        )
    return kept


def _drop(con: psycopg.Connection[Any], names: list[str]) -> None:
    con.execute("SET LOCAL client_min_messages = warning")
    for name in reversed(names):
        con.execute(sql.SQL("DROP TABLE {} CASCADE").format(sql.Identifier(name)))


def _migrate_once(
    con: psycopg.Connection[Any], old: int, shown: str, *, keep_old: bool, wait: bool
) -> tuple[int, int, str | None]:
    """One try, in one transaction: lock, read, migrate, replace (see the module)."""
    with con.transaction():
        con.execute(f"SET LOCAL lock_timeout = '{LOCK_WAIT_S}s'")
        names = _tables(con)
        if "meta" not in names:
            msg = f"{shown} holds no mapgov database"
            raise StoreError(msg)
        locked = ", ".join(names)
        how = "" if wait else " NOWAIT"
        con.execute(f"LOCK TABLE {locked} IN ACCESS EXCLUSIVE MODE{how}")
        if _tables(con) != names:  # made or dropped meanwhile: look again
            raise _TablesChangedError
        now = _version(con, shown)
        if now != old:  # another program migrated it meanwhile
            return old, now, None
        frames, meta = _read_all(con, names)
        tables, kept_meta = upgraded(frames, meta, old)
        kept = _set_aside(con, names, old) if keep_old else None
        if not keep_old:
            _drop(con, names)
        load_schema(con, tables, kept_meta, lambda _stage, _share: None)
    return old, SCHEMA_VERSION, kept


def migrate_pg(url: str, *, keep_old: bool = True) -> tuple[int, int, str | None]:
    """Upgrade the PostgreSQL database at `url` to this mapgov's schema, in one transaction.

    Parameters
    ----------
    url : str
        The database's ``postgresql://`` URL.
    keep_old : bool
        Keep the old tables, as they were, in the schema ``mapgov_v<old>`` of the same
        database (:data:`KEPT_SCHEMA`); False drops them.

    Returns
    -------
    (from, to, kept)
        The versions before and after (equal when there was nothing to do) and the schema that
        keeps the old tables (None when nothing was kept).

    Raises
    ------
    StoreError
        If the database cannot be reached, holds no mapgov database, is newer than this mapgov
        or older than any step knows, stays busy for :data:`GIVE_UP_S`, or the migrated rows
        break the schema; the database is then as it was.
    """
    shown = safe_url(url)
    with (
        _faults(shown),
        psycopg.connect(url, connect_timeout=CONNECT_TIMEOUT_S, autocommit=True) as con,
    ):
        old = _version(con, shown)
        if old == SCHEMA_VERSION:
            return old, old, None
        refuse_unknown(old, shown)
        start = time.monotonic()
        pause = 0.01
        while True:
            try:
                wait = time.monotonic() > start + NOWAIT_S
                return _migrate_once(con, old, shown, keep_old=keep_old, wait=wait)
            except (
                psycopg.errors.LockNotAvailable,
                psycopg.errors.DeadlockDetected,
                _TablesChangedError,
            ) as err:
                if time.monotonic() > start + GIVE_UP_S:
                    msg = f"{shown}: the database stayed busy; nothing was migrated, try again"
                    raise StoreError(msg, key="error.store.busy") from err
            time.sleep(pause)
            pause = min(pause * 2, 0.2)
