"""The exception tree of mapgov.

Every error a user can cause is a :class:`MapgovError` whose message says what is wrong and
where (file, row, field). Pages show them with ``st.error``; the CLI prints them on one line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = [
    "DataFileError",
    "LifecycleError",
    "MapgovError",
    "PermissionDeniedError",
    "SignInError",
    "StaleEditError",
    "StoreError",
    "ValidationError",
]


class MapgovError(Exception):
    """Base of every error that mapgov reports to a user.

    ``str(err)`` is an English sentence (for logs and the CLI). An error meant for a page may
    also carry a catalogue `key` and its `params`; the UI then shows the sentence in the user's
    language (enum members among the params are shown by their translated labels).
    """

    def __init__(self, msg: str = "", *, key: str | None = None, **params: Any) -> None:
        super().__init__(msg)
        self.key = key
        self.params = params


class StoreError(MapgovError):
    """The database cannot be opened, created or written."""


class ValidationError(MapgovError, ValueError):
    """A value given by a user (argument, field, setting) is not acceptable."""


class DataFileError(MapgovError):
    """A data file is wrong somewhere: the message names the file, row and field (or the
    entry of an archive)."""

    def __init__(
        self,
        path: Path | str,
        msg: str,
        *,
        row: int | None = None,
        field: str | None = None,
        entry: str | None = None,
        key: str | None = None,
        **params: Any,
    ) -> None:
        self.path = Path(path)
        self.row = row
        self.field = field
        self.entry = entry  # an entry of an archive (a backup's photo)
        self.reason = msg  # what is wrong, without the file, row and field
        where = [str(self.path)]
        if entry is not None:
            where.append(f"entry {entry!r}")
        if row is not None:
            where.append(f"row {row}")
        if field is not None:
            where.append(f"field {field!r}")
        super().__init__(f"{', '.join(where)}: {msg}", key=key, **params)


class LifecycleError(MapgovError):
    """An issue action that its lifecycle does not allow from its current state."""


class PermissionDeniedError(MapgovError):
    """The acting user's role does not allow the action."""


class StaleEditError(MapgovError):
    """Somebody else saved the same record first (optimistic locking)."""


class SignInError(MapgovError):
    """A sign-in refused: `reason` is ``"bad_credentials"`` (unknown login, wrong password,
    no password set or a disabled account: one message for all, so that a refusal never
    tells which logins exist) or ``"locked"`` (too many failures; `minutes` left)."""

    def __init__(self, msg: str, *, reason: str, minutes: int = 0) -> None:
        params = {"minutes": minutes} if reason == "locked" else {}
        super().__init__(msg, key=f"error.account.{reason}", **params)
        self.reason = reason
        self.minutes = minutes
