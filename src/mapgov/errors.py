"""The exception tree of mapgov.

Every error a user can cause is a :class:`MapgovError` whose message says what is wrong and
where (file, row, field). Pages show them with ``st.error``; the CLI prints them on one line.
"""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "DataFileError",
    "LifecycleError",
    "MapgovError",
    "PermissionDeniedError",
    "StaleEditError",
    "StoreError",
    "ValidationError",
]


class MapgovError(Exception):
    """Base of every error that mapgov reports to a user."""


class StoreError(MapgovError):
    """The database cannot be opened, created or written."""


class ValidationError(MapgovError, ValueError):
    """A value given by a user (argument, field, setting) is not acceptable."""


class DataFileError(MapgovError):
    """A data file is wrong somewhere: the message names the file, row and field."""

    def __init__(
        self, path: Path | str, msg: str, *, row: int | None = None, field: str | None = None
    ) -> None:
        self.path = Path(path)
        self.row = row
        self.field = field
        where = [str(self.path)]
        if row is not None:
            where.append(f"row {row}")
        if field is not None:
            where.append(f"field {field!r}")
        super().__init__(f"{', '.join(where)}: {msg}")


class LifecycleError(MapgovError):
    """An issue action that its lifecycle does not allow from its current state."""


class PermissionDeniedError(MapgovError):
    """The acting user's role does not allow the action."""


class StaleEditError(MapgovError):
    """Somebody else saved the same record first (optimistic locking)."""
