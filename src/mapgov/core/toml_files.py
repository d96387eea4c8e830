"""TOML settings files that mapgov ships a default of and a street may replace with its own
(the party members' points scheme, the compounds' health profile): :func:`read_toml`.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

__all__ = ["read_toml"]


def read_toml(
    path: Path | str | None,
    package: str,
    resource: str,
    unusable: Callable[[str, bool, Exception], Exception],
) -> tuple[str, dict[str, Any]]:
    """Read the TOML file at `path`, or (None) the one shipped as `resource` of `package`.

    Parameters
    ----------
    path : Path or str or None
        The street's own file; None for the shipped one.
    package : str
        The package the shipped file is in (``mapgov.domain``).
    resource : str
        The shipped file's name in `package` (``member_points.toml``).
    unusable : callable
        ``unusable(where, unreadable, err)`` gives the error to raise (from `err`) when the
        file cannot be read (`unreadable` True) or is not TOML (False).

    Returns
    -------
    tuple of (str, dict)
        Where the file is, for messages (the shipped one's as ``mapgov/domain/<resource>``),
        and its tables.
    """
    if path is None:
        where = f"{package.replace('.', '/')}/{resource}"
        text = resources.files(package).joinpath(resource).read_text("utf-8")
    else:
        where = str(path)
        try:
            text = Path(path).read_text("utf-8")
        except (OSError, UnicodeDecodeError) as err:
            raise unusable(where, True, err) from err
    try:
        return where, tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise unusable(where, False, err) from err
