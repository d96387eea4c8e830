"""What every ``mapgov`` subcommand shares: exit codes, the parser class, the registry of
subcommands, argument types, the database option, the checks on the file system made before any
work, and progress on stderr.

A subcommand is a function ``_run_<name>(args) -> int`` registered in its module's
:class:`Commands` with the function that adds its arguments; the run function's docstring is its
help (first line: the one-line help in the command list; the rest, if any: the description).
"""

from __future__ import annotations

import argparse
import datetime as dt
import inspect
import os
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn, TextIO, TypeVar

from mapgov.core.config import default_db_path
from mapgov.core.errors import StoreError, ValidationError

if TYPE_CHECKING:  # the CLI starts fast: geopandas only when a command needs it
    from mapgov.store import Store

Arguments = Callable[[argparse.ArgumentParser], None]
"""Adds a subcommand's arguments to its parser."""
Run = Callable[[argparse.Namespace], int]
"""Runs a subcommand with the parsed arguments; returns the exit status."""
_N = TypeVar("_N", int, float)

PROG = "mapgov"
MAX_SCALE = 1000
EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2

_SQLITE_HEADER = b"SQLite format 3\x00"
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors are one line: ``mapgov: error: ...``."""

    def error(self, message: str) -> NoReturn:
        hint = f" (see `{self.prog} --help`)"
        self.exit(EXIT_USAGE, f"{PROG}: error: {message}{hint}\n")


class Commands(dict[str, tuple[Arguments, Run]]):
    """Subcommands by name, in the order they are registered: (arguments, run)."""

    def register(self, name: str, arguments: Arguments) -> Callable[[Run], Run]:
        """Decorate ``_run_<name>`` to register it as subcommand `name`, whose arguments
        `arguments` adds."""

        def add(run: Run) -> Run:
            self[name] = (arguments, run)
            return run

        return add

    def install(self, sub: argparse._SubParsersAction[_Parser]) -> None:
        """Add a parser to `sub` for every command, its help from the run function's docstring."""
        for name, (arguments, run) in self.items():
            summary, _, rest = inspect.cleandoc(run.__doc__ or "").partition("\n\n")
            description = " ".join(rest.split()) or None
            arguments(sub.add_parser(name, help=summary, description=description))


# -- the database ------------------------------------------------------------------------------
def _db_option(p: argparse.ArgumentParser, help_text: str | None = None) -> None:
    """Add ``--db PATH|URL`` (default: :func:`~mapgov.core.config.default_db_path`)."""
    p.add_argument("--db", type=_target, default=None, help=help_text)


def _db_path(args: argparse.Namespace) -> Path | str:
    """The database ``--db`` names (a SQLite path or a ``postgresql://`` URL), else the
    default one."""
    target: Path | str = args.db if args.db is not None else default_db_path()
    return target


def _db_file(args: argparse.Namespace, step: str) -> Path:
    """The SQLite file of ``--db`` for a `step` that works on a file only.

    Raises
    ------
    ValidationError
        For a PostgreSQL URL, saying what to do instead.
    """
    target = _db_path(args)
    if isinstance(target, Path):
        return target
    msg = (
        f"{step} works on a SQLite file; for PostgreSQL, {step} into a SQLite file and bring "
        "it over with `mapgov copy FILE URL --replace`"
    )
    raise ValidationError(msg)


def _open(args: argparse.Namespace) -> Store:
    """Open the database of ``--db`` (or the default one)."""
    from mapgov.store import open_store  # lazy: pulls in geopandas

    return open_store(_db_path(args))


# -- argument types (each raises ArgumentTypeError with a message that says what is wrong) -----
def _checked(text: str, convert: Callable[[str], _N], ok: Callable[[_N], bool], wanted: str) -> _N:
    """`text` converted, if it converts to a value that is `ok`; else it must be `wanted`."""
    try:
        value = convert(text)
    except ValueError:
        pass
    else:
        if ok(value):
            return value
    msg = f"must be {wanted}, not {text!r}"
    raise argparse.ArgumentTypeError(msg)


def _seed(text: str) -> int:
    return _checked(text, int, lambda value: value >= 0, "a non-negative integer")


def _scale(text: str) -> int:
    return _checked(
        text, int, lambda value: 1 <= value <= MAX_SCALE, f"an integer from 1 to {MAX_SCALE}"
    )


def _positive(text: str) -> float:
    return _checked(text, float, lambda value: value > 0, "a positive number of metres")


def _date(text: str) -> dt.date:
    msg = f"must be a real date written YYYY-MM-DD, not {text!r}"
    if not _ISO_DATE.fullmatch(text):
        raise argparse.ArgumentTypeError(msg)
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(msg) from None


def _path(text: str) -> Path:
    if not text.strip():
        msg = "must not be empty"
        raise argparse.ArgumentTypeError(msg)
    return Path(text).expanduser()


def _target(text: str) -> Path | str:
    """A database: a ``postgresql://`` URL as given, else a SQLite path."""
    if text.startswith(("postgresql://", "postgres://")):
        return text
    return _path(text)


# -- checks on the file system, before any work ------------------------------------------------
def _check_writable_db(path: Path) -> None:
    """Raise StoreError unless a new database can replace `path`.

    The directory must exist and be writable (the database is built in a temporary file there
    and moved over `path`). An existing `path` must be a writable SQLite file: mapgov never
    overwrites anything else.
    """
    directory = path.parent
    if not directory.is_dir():
        what = "is not a directory" if directory.exists() else "does not exist"
        msg = f"cannot write database {path}: directory {directory} {what}"
        raise StoreError(msg)
    if not os.access(directory, os.W_OK | os.X_OK):
        msg = f"cannot write database {path}: directory {directory} is not writable"
        raise StoreError(msg)
    if path.is_dir():
        msg = f"cannot write database {path}: it is a directory"
        raise StoreError(msg)
    if path.exists():
        try:
            with path.open("rb") as handle:
                header = handle.read(len(_SQLITE_HEADER))
        except OSError as err:
            msg = f"cannot write database {path}: {err.strerror}"
            raise StoreError(msg) from err
        if header and header != _SQLITE_HEADER:
            msg = f"refusing to replace {path}: it exists and is not a SQLite database"
            raise StoreError(msg)
        if not os.access(path, os.W_OK):
            msg = f"cannot write database {path}: the file is not writable"
            raise StoreError(msg)


class _Progress:
    """Progress callback for :func:`mapgov.demo.build_demo`: one stderr line per step.

    Steps named ``group:detail`` count as one step; within a step a line is written every ten
    points of progress, and always at 100%.
    """

    def __init__(self, stream: TextIO, started: float) -> None:
        self.stream = stream
        self.started = started
        self._last: tuple[str, float] | None = None

    def __call__(self, step: str, share: float) -> None:
        group = step.split(":", 1)[0]  # "write:building" and "write:issue" are one step
        if (
            self._last is not None
            and self._last[0] == group
            and share - self._last[1] < 0.1
            and share < 1
        ):
            return  # same step, less than 10 points further: not worth a line
        self._last = (group, share)
        seconds = time.perf_counter() - self.started
        self.stream.write(f"{PROG} demo: {seconds:6.1f} s {share:4.0%}  {step}\n")
        self.stream.flush()
