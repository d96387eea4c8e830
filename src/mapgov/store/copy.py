"""A whole database copied between backends (SQLite <-> PostgreSQL), all or nothing."""

from __future__ import annotations

from pathlib import Path

from mapgov.core.errors import StoreError
from mapgov.store.build import write_database as write_file
from mapgov.store.pgsql import is_url, safe_url
from mapgov.store.schema import TABLES
from mapgov.store.sqlite import SQLiteStore

__all__ = ["KEPT_META", "copy_database", "holds_mapgov"]

KEPT_META = frozenset({"schema_version", "data_version"})
"""Meta keys the target writes itself (its schema and a fresh data version)."""


def copy_database(source: SQLiteStore, target: str | Path) -> dict[str, int]:
    """Copy every table and the meta of `source` into a new database at `target`.

    The target is written whole or not at all (a new SQLite file moved into place, or one
    PostgreSQL transaction), so a failed copy leaves what was there.

    Parameters
    ----------
    source : SQLiteStore
        The store to copy (either backend).
    target : str or Path
        A SQLite path or a ``postgresql://`` URL.

    Returns
    -------
    dict of str to int
        Row count of each table written, in the schema's order.
    """
    tables = {t.name: source.read(t.name) for t in TABLES if t.name != "meta"}
    meta = {k: v for k, v in source.meta().items() if k not in KEPT_META}
    if is_url(target):
        from mapgov.store.postgres import write_pg_database  # psycopg: only for a URL

        write_pg_database(str(target), tables, meta, lambda _stage, _share: None)
    else:
        write_file(Path(target), tables, meta)
    return {name: len(frame) for name, frame in tables.items()}


def holds_mapgov(target: str | Path) -> bool:
    """Whether `target` holds a database already (a file there; mapgov's tables in
    PostgreSQL), which a copy would replace.

    Parameters
    ----------
    target : str or Path
        A SQLite path or a ``postgresql://`` URL.

    Returns
    -------
    bool
        True if a copy to `target` would replace something.

    Raises
    ------
    StoreError
        If the PostgreSQL server cannot be reached.
    """
    if not is_url(target):
        return Path(target).exists()
    import psycopg  # only for a URL

    from mapgov.store.postgres import CONNECT_TIMEOUT_S

    try:
        with psycopg.connect(str(target), connect_timeout=CONNECT_TIMEOUT_S) as con:
            found = con.execute("SELECT to_regclass('meta')").fetchone()
    except psycopg.OperationalError as err:
        msg = f"cannot reach PostgreSQL at {safe_url(str(target))}: {err}"
        raise StoreError(msg) from err
    return found is not None and found[0] is not None
