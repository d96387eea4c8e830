"""Settings read from the environment, with the defaults the project uses.

``MAPGOV_DB``
    The database the app and the CLI open when none is named. A relative path is taken from the
    current directory (as a shell user means it). Unset or empty: ``data/mapgov.sqlite`` in the
    project root.

``MAPGOV_SESSION_IDLE_MINUTES``
    Minutes a signed-in session may stay unused before it ends (default 30).

The project root is the nearest directory, from the current one upwards, that holds a
``pyproject.toml`` naming the ``mapgov`` project; failing that, the source checkout that this
module was imported from (an editable install); failing that, the current directory. So
``mapgov info`` in a subdirectory of the checkout, or ``streamlit run /path/to/app.py`` from
elsewhere, still finds the same database as ``make run``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Final

from mapgov.core.errors import ValidationError

__all__ = [
    "DB_ENV",
    "DEFAULT_DB",
    "DEFAULT_IDLE_MINUTES",
    "IDLE_ENV",
    "LOOPBACK",
    "default_db_path",
    "project_root",
    "session_idle_minutes",
]

DB_ENV: Final = "MAPGOV_DB"
DEFAULT_DB: Final = Path("data") / "mapgov.sqlite"
LOOPBACK: Final = "127.0.0.1"
"""Where ``mapgov serve`` listens unless told otherwise: this machine only."""
IDLE_ENV: Final = "MAPGOV_SESSION_IDLE_MINUTES"
DEFAULT_IDLE_MINUTES: Final = 30

_PROJECT_NAME = re.compile(r"""^\s*name\s*=\s*["']mapgov["']""", re.MULTILINE)


def _is_project_root(directory: Path) -> bool:
    pyproject = directory / "pyproject.toml"
    try:
        return bool(_PROJECT_NAME.search(pyproject.read_text(encoding="utf-8")))
    except (OSError, UnicodeDecodeError):
        return False


def project_root(start: Path | None = None) -> Path:
    """The mapgov checkout to take default paths from.

    Parameters
    ----------
    start
        Directory to search upwards from (default: the current directory).

    Returns
    -------
    Path
        Absolute path of the project root (see the module docstring for the order of search).
    """
    here = (start or Path.cwd()).resolve()
    for directory in (here, *here.parents):
        if _is_project_root(directory):
            return directory
    source_checkout = Path(__file__).resolve().parents[3]  # <root>/src/mapgov/core/config.py
    if _is_project_root(source_checkout):
        return source_checkout
    return here


def default_db_path(*, start: Path | None = None) -> Path | str:
    """The database to use when none is named: ``$MAPGOV_DB`` or ``data/mapgov.sqlite``.

    ``$MAPGOV_DB`` may be a ``postgresql://`` URL (several app servers on one database).

    Parameters
    ----------
    start
        Directory that relative paths and the project search start from (default: the current
        directory).

    Returns
    -------
    Path or str
        Absolute path (the file need not exist yet), or the URL as given.
    """
    base = (start or Path.cwd()).resolve()
    from_env = os.environ.get(DB_ENV, "").strip()
    if from_env.startswith(("postgresql://", "postgres://")):
        return from_env
    if from_env:
        return base / Path(from_env).expanduser()
    return project_root(base) / DEFAULT_DB


def session_idle_minutes() -> int:
    """Minutes a session may stay unused: ``$MAPGOV_SESSION_IDLE_MINUTES`` or 30.

    Raises
    ------
    ValidationError
        If the variable is set but not a whole number of minutes from 1 to 1440.
    """
    text = os.environ.get(IDLE_ENV, "").strip()
    if not text:
        return DEFAULT_IDLE_MINUTES
    if not text.isdigit() or not 1 <= int(text) <= 1440:
        msg = f"{IDLE_ENV}={text!r}: give whole minutes from 1 to 1440"
        raise ValidationError(msg)
    return int(text)
