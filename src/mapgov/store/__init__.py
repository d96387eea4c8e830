"""The store: the only code in mapgov that speaks SQL.

Everything else receives pandas / GeoPandas frames and plain objects. The embedded default is
one SQLite file (WAL mode, foreign keys on, schema version recorded); a PostgreSQL + PostGIS
backend will sit behind the same :class:`Store` interface, chosen by a ``postgresql://`` URL.
"""

from __future__ import annotations

from pathlib import Path

from mapgov.core.errors import StoreError
from mapgov.store.locks import FormVersion, Rows
from mapgov.store.schema import GEOMETRY_TABLES, TABLES, Table, table
from mapgov.store.sqlite import SQLiteStore, write_database

__all__ = [
    "GEOMETRY_TABLES",
    "TABLES",
    "FormVersion",
    "Rows",
    "SQLiteStore",
    "Store",
    "Table",
    "open_store",
    "table",
    "write_database",
]

Store = SQLiteStore


def open_store(target: str | Path) -> Store:
    """Open an existing database.

    Parameters
    ----------
    target
        A path to a SQLite file, a ``sqlite:///path`` URL, or (later) a ``postgresql://`` URL.

    Raises
    ------
    StoreError
        If the database does not exist, cannot be read, or has another schema version.
    """
    text = str(target)
    if text.startswith(("postgresql://", "postgres://")):
        msg = (
            "PostgreSQL + PostGIS is not supported yet in this release; "
            "give a SQLite path (e.g. data/mapgov.sqlite)"
        )
        raise StoreError(msg)
    if text.startswith("sqlite:///"):
        text = text.removeprefix("sqlite:///")
    return SQLiteStore(Path(text))
