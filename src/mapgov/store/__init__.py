"""The store: the only code in mapgov that speaks SQL.

Everything else receives pandas / GeoPandas frames and plain objects. The embedded default is
one SQLite file (WAL mode, foreign keys on, schema version recorded); a PostgreSQL + PostGIS
backend sits behind the same :class:`Store` interface, chosen by a ``postgresql://`` URL
(:mod:`mapgov.store.postgres`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from mapgov.store.build import write_database as _write_sqlite
from mapgov.store.locks import FormVersion, Rows
from mapgov.store.pgsql import is_url
from mapgov.store.schema import GEOMETRY_TABLES, TABLES, Table, table
from mapgov.store.sqlite import SQLiteStore

if TYPE_CHECKING:
    from mapgov.store.postgres import PostgresStore

__all__ = [
    "GEOMETRY_TABLES",
    "TABLES",
    "FormVersion",
    "PostgresStore",
    "Rows",
    "SQLiteStore",
    "Store",
    "Table",
    "is_url",
    "open_store",
    "table",
    "write_database",
]

Store = SQLiteStore


def __getattr__(name: str) -> object:
    """:class:`PostgresStore`, imported on first use (psycopg loads in 0.2 s)."""
    if name == "PostgresStore":
        from mapgov.store.postgres import PostgresStore

        return PostgresStore
    msg = f"module {__name__!r} has no attribute {name!r}"
    raise AttributeError(msg)


def open_store(target: str | Path) -> Store:
    """Open an existing database.

    Parameters
    ----------
    target : str or Path
        A path to a SQLite file, a ``sqlite:///path`` URL, or a ``postgresql://`` URL.

    Returns
    -------
    Store
        The store (:class:`SQLiteStore` or :class:`PostgresStore`).

    Raises
    ------
    StoreError
        If the database does not exist, cannot be read, or has another schema version.
    """
    text = str(target)
    if is_url(text):
        from mapgov.store.postgres import PostgresStore  # psycopg: only for a URL

        return PostgresStore(text)
    if text.startswith("sqlite:///"):
        text = text.removeprefix("sqlite:///")
    return SQLiteStore(Path(text))


def write_database(
    target: str | Path,
    tables: Mapping[str, pd.DataFrame],
    meta: Mapping[str, str],
    *,
    progress: Callable[[str, float], None] | None = None,
) -> str | Path:
    """Write a complete new database, all or nothing, into a SQLite file or PostgreSQL.

    Parameters
    ----------
    target : str or Path
        A SQLite path (or ``sqlite:///`` URL): :func:`mapgov.store.build.write_database`
        builds the file beside it and moves it into place. A ``postgresql://`` URL:
        :func:`mapgov.store.postgres.write_pg_database` writes it in one transaction.
    tables, meta, progress
        The frames by table name, the extra ``meta`` pairs and the progress callback, as
        both of those take them.

    Returns
    -------
    str or Path
        Where the database was written.
    """
    text = str(target)
    if is_url(text):
        from mapgov.store.postgres import write_pg_database

        return write_pg_database(text, tables, meta, progress or (lambda _stage, _share: None))
    return _write_sqlite(Path(text.removeprefix("sqlite:///")), tables, meta, progress=progress)
