"""The ``mapgov`` command line.

::

    mapgov demo   [--seed S] [--scale K] [--db PATH] [--as-of YYYY-MM-DD] [--quiet]
    mapgov assets [--static DIR] [--quiet]
    mapgov info   [--db PATH]
    mapgov serve  [--app PATH] [--port P] [--address A] [--db PATH]
    mapgov user   add LOGIN --role ROLE [--name N] [--street ID] [--community ID]
                  [--password-stdin] | list | disable LOGIN | passwd LOGIN [--password-stdin]
    mapgov token  add LABEL --street ID | revoke LABEL
    mapgov audit  [--since YYYY-MM-DD] [--out FILE.csv|.xlsx]
    mapgov --version

Account commands are audited as actor ``cli:<OS user>``; passwords and tokens they make are
printed once and stored only as hashes.

Every argument is checked before any work starts. A wrong argument or an error that mapgov
reports (:class:`~mapgov.core.errors.MapgovError`, or a file the system refuses) prints one line,
``mapgov: error: <what and where>``, on stderr and exits non-zero: 2 for a wrong argument
(argparse's convention), 1 for anything else. A failed ``demo`` leaves an existing database
byte-for-byte as it was.

Progress goes to stderr (unless ``--quiet``); results go to stdout.

A subcommand is a function ``_run_<name>(args) -> int``, whose docstring is its help,
registered with the function that adds its arguments in its module's ``COMMANDS``
(:class:`~mapgov.cli.common.Commands`). This module holds ``demo``, ``assets``, ``info``,
``coverage`` and ``serve`` and the entry point; :mod:`mapgov.cli.data` the file commands
(``import``, ``export``, ``backup``, ``restore``, ``migrate``), :mod:`mapgov.cli.accounts`
``user``, ``token`` and ``audit``, and :mod:`mapgov.cli.common` what they share (exit codes,
the registry, argument types, checks).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from mapgov import __version__
from mapgov.cli import accounts, data, health, scorecard, whatif
from mapgov.cli.common import (
    EXIT_ERROR,
    EXIT_OK,
    EXIT_USAGE,
    MAX_SCALE,
    PROG,
    Commands,
    _check_writable_db,
    _date,
    _db_option,
    _db_path,
    _open,
    _Parser,
    _path,
    _positive,
    _Progress,
    _scale,
    _seed,
)
from mapgov.core import clock
from mapgov.core.config import DB_ENV, LOOPBACK
from mapgov.core.errors import MapgovError, StoreError, ValidationError

if TYPE_CHECKING:  # the CLI starts fast: geopandas only when a command needs it
    from mapgov.demo import SignIn

__all__ = ["MAX_SCALE", "main"]

COMMANDS = Commands()
"""The commands of this module (the others are in :mod:`mapgov.cli.data` and
:mod:`mapgov.cli.accounts`)."""


# -- demo ----------------------------------------------------------------------------------
def _demo_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--seed", type=_seed, default=42, help="random seed (default 42)")
    p.add_argument(
        "--scale",
        type=_scale,
        default=1,
        help=f"size: 1 is one street; K is about K times as much (1..{MAX_SCALE}, default 1)",
    )
    _db_option(p, f"target database (default ${DB_ENV} or data/mapgov.sqlite)")
    p.add_argument(
        "--as-of",
        type=_date,
        default=None,
        metavar="YYYY-MM-DD",
        help="the day the demo data ends (default today)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress on stderr")
    p.add_argument(
        "--password",
        default=None,
        help=(
            "every account of the first street signs in with it (for tests; the build stays "
            "reproducible); default: random one-time passwords, printed once"
        ),
    )


@COMMANDS.register("demo", _demo_arguments)
def _run_demo(args: argparse.Namespace) -> int:
    """build the demo street into a database

    Build a synthetic street (communities, grids, compounds, buildings, party organisations,
    facilities and two years of issues) into a SQLite database. The database is built beside
    the target and replaces it only when complete.
    """
    path = _db_path(args)
    if isinstance(path, Path):
        _check_writable_db(path)
    # lazy: these pull in geopandas
    from mapgov.demo import build_demo, issue_sign_ins, sign_in_sheet, wall_token
    from mapgov.store import open_store

    started = time.perf_counter()
    progress = None if args.quiet else _Progress(sys.stderr, started)
    as_of = args.as_of or clock.system_now().date()  # the street's today (Asia/Shanghai)
    built = build_demo(
        path,
        seed=args.seed,
        scale=args.scale,
        as_of=as_of,
        password=args.password,
        progress=progress,
    )
    store = open_store(built)
    if args.password is None:
        sheet, token = issue_sign_ins(store, now=clock.system_now())
    else:
        sheet, token = sign_in_sheet(store, args.password), wall_token(args.seed, args.password)
    seconds = time.perf_counter() - started
    counts = store.counts()
    print(
        f"{built}: {counts['community']} communities, {counts['compound']} compounds, "
        f"{counts['building']} buildings, {counts['issue']} issues in {seconds:.1f} s"
    )
    _print_sign_ins(sheet, token, one_time=args.password is None)
    return EXIT_OK


def _print_sign_ins(sheet: Sequence[SignIn], token: str, *, one_time: bool) -> None:
    """The demo's sign-ins, once: login, role, scope, password; then the wall's address."""
    if not sheet:
        return
    note = " (one-time: each must be changed at the first sign-in)" if one_time else ""
    print(f"sign in with these accounts{note}; they are shown only now:")
    width = max(len(s.login) for s in sheet)
    print(f"  {'login':<{width}}  {'role':<8} {'scope':<10} password")
    for s in sheet:
        print(f"  {s.login:<{width}}  {s.role:<8} {s.scope:<10} {s.password}")
    print(f"wall screen, no sign-in: /wall?kiosk=1&token={token}")


# -- assets --------------------------------------------------------------------------------
def _assets_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--static",
        type=_path,
        default=Path("static"),
        help="static folder beside app.py (default: ./static)",
    )
    p.add_argument("--quiet", action="store_true", help="do not list the files on stderr")


@COMMANDS.register("assets", _assets_arguments)
def _run_assets(args: argparse.Namespace) -> int:
    """copy Leaflet into the static folder the app serves

    Copy the web assets the maps need (Leaflet) from installed packages into the folder
    Streamlit serves, so that maps render with no internet.
    """
    static: Path = args.static
    if static.exists() and not static.is_dir():
        msg = f"cannot install assets into {static}: it is not a directory"
        raise StoreError(msg)
    from mapgov.io.assets import install_assets  # lazy: only this command needs it

    files = install_assets(static)
    if not args.quiet:
        for file in files:
            print(f"{PROG} assets: {file}", file=sys.stderr)
    print(f"{static}: {len(files)} asset files installed")
    return EXIT_OK


# -- info ----------------------------------------------------------------------------------
def _info_arguments(p: argparse.ArgumentParser) -> None:
    _db_option(p, f"database (default ${DB_ENV} or data/mapgov.sqlite)")


@COMMANDS.register("info", _info_arguments)
def _run_info(args: argparse.Namespace) -> int:
    """show the metadata and row counts of a database

    Print the meta table and the number of rows in every table.
    """
    path = _db_path(args)
    store = _open(args)
    meta = store.meta()
    counts = store.counts()
    width = max(map(len, [*meta, *counts]))
    width = max(width, len("database"))
    lines = [f"{'database':<{width}}  {store.identity()[0]}"]
    if isinstance(path, Path):
        lines.append(f"{'size':<{width}}  {path.stat().st_size / 1e6:.1f} MB")
    lines += ["", "[meta]"]
    lines += [f"{key:<{width}}  {value}" for key, value in sorted(meta.items())]
    lines += ["", "[rows]"]
    lines += [f"{name:<{width}}  {n:>9,}" for name, n in counts.items()]
    print("\n".join(lines))
    return EXIT_OK


# -- coverage -------------------------------------------------------------------------------
def _coverage_arguments(p: argparse.ArgumentParser) -> None:
    _db_option(p, "database (default: data/…)")
    p.add_argument(
        "--kind",
        action="append",
        default=None,
        metavar="K",
        help="facility kind (repeat for several; default all nine)",
    )
    limit = p.add_mutually_exclusive_group()
    limit.add_argument(
        "--tier", type=int, choices=(5, 10, 15), help="life-circle tier in minutes for every kind"
    )
    limit.add_argument("--metres", type=_positive, help="one threshold in metres for every kind")
    p.add_argument(
        "--method",
        choices=("network", "straight"),
        default="network",
        help="walking network (default) or straight line",
    )
    p.add_argument(
        "--out",
        type=_path,
        default=None,
        help="write the per-building table (.csv, .xlsx or .geojson)",
    )


@COMMANDS.register("coverage", _coverage_arguments)
def _run_coverage(args: argparse.Namespace) -> int:
    """life-circle coverage: who can walk to each kind of facility

    Walking distance along the street network from every building to the nearest facility of
    each kind, against the GB 50180-2018 thresholds (or the tier or metres given). Writes the
    per-building table and prints the summary by community.
    """
    from mapgov.domain.lifecircle import coverage  # lazy: pulls in geopandas
    from mapgov.io.exports import FORMATS, write_frame

    if args.out is not None and args.out.suffix.lower() not in FORMATS:
        msg = f"--out must end in {', '.join(FORMATS)}, not {args.out.name!r}"
        raise ValidationError(msg)
    store = _open(args)
    limits = coverage.thresholds(
        coverage.load_profile(), kinds=args.kind, tier=args.tier, metres=args.metres
    )
    table = coverage.coverage_table(store, limits, method=args.method)
    if args.out is not None:
        write_frame(table, args.out)
    summary = coverage.summarize(table, limits)
    wide = summary.pivot(index="community_id", columns="kind", values="share_residents")
    wide = wide[list(limits)]
    complete = summary.groupby("community_id")["share_complete"].first()
    names = dict(store.read("community", columns=["community_id", "name"]).values)
    lines = [
        f"life-circle coverage ({args.method}), share of residents within reach:",
        "  ".join(f"{k}={m:g}m" for k, m in limits.items()),
        "",
    ]
    head = f"{'community':<14}" + "".join(f"{k[:12]:>13}" for k in limits) + f"{'complete':>10}"
    lines.append(head)
    for cid, row in wide.iterrows():
        label = "ALL" if cid == "ALL" else names.get(cid, cid)
        lines.append(
            f"{label:<14}" + "".join(f"{v:>13.0%}" for v in row) + f"{complete[cid]:>10.0%}"
        )
    if args.out is not None:
        lines += ["", f"per-building table: {args.out} ({len(table)} buildings)"]
    print("\n".join(lines))
    return EXIT_OK


def _serve_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--app", type=_path, default=Path("app.py"), help="default: ./app.py")
    p.add_argument("--port", type=int, default=8501)
    p.add_argument(
        "--address",
        default=LOOPBACK,
        help=(
            f"address to listen on (default: {LOOPBACK}, this machine only; give the office "
            "network's address, behind TLS, to serve other machines)"
        ),
    )
    _db_option(p, f"database (default: ${DB_ENV})")


@COMMANDS.register("serve", _serve_arguments)
def _run_serve(args: argparse.Namespace) -> int:
    """serve the dashboard (streamlit run app.py, with mapgov loaded first)

    Serve the dashboard like `streamlit run app.py`, after loading mapgov and its libraries
    (geopandas, pydeck ...: about 2 s), so that the first visitor, say the command room's wall
    screen after a reboot, does not wait for them.
    """
    app: Path = args.app
    if not app.is_file():
        msg = f"{app}: no such app script (run from the folder of app.py, or give --app)"
        raise ValidationError(msg)
    if not 0 < args.port < 65536:
        msg = f"--port {args.port}: not a port number (1-65535)"
        raise ValidationError(msg)
    if args.db is not None:
        os.environ[DB_ENV] = str(args.db if isinstance(args.db, str) else args.db.resolve())
    from mapgov.serve import serve  # lazy: streamlit, geopandas and the pages' code

    return serve(app, port=args.port, address=args.address)


_COMMANDS = Commands(
    {
        **COMMANDS,
        **data.COMMANDS,
        **accounts.COMMANDS,
        **health.COMMANDS,
        **scorecard.COMMANDS,
        **whatif.COMMANDS,
    }
)


def _parser() -> _Parser:
    parser = _Parser(
        prog=PROG,
        description="One map (一张图) of residential compound governance: command line.",
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    _COMMANDS.install(sub)
    return parser


def _one_line(text: str) -> str:
    return " ".join(text.split())


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``mapgov`` command line.

    Parameters
    ----------
    argv
        Arguments without the program name (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        Exit status: 0 on success, 1 for an error mapgov reports, 2 for a wrong argument, 130
        when interrupted.
    """
    parser = _parser()
    try:
        args = parser.parse_args(argv)
        _, run = _COMMANDS[args.command]
        return run(args)
    except SystemExit as stop:  # argparse: --help, --version and usage errors
        code = stop.code
        return code if isinstance(code, int) else EXIT_USAGE if code else EXIT_OK
    except MapgovError as err:
        print(f"{PROG}: error: {_one_line(str(err))}", file=sys.stderr)
        return EXIT_ERROR
    except OSError as err:  # refused by the system outside mapgov's own checks
        where = f": {err.filename}" if err.filename else ""
        print(f"{PROG}: error: {_one_line(err.strerror or str(err))}{where}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print(f"{PROG}: error: interrupted", file=sys.stderr)
        return 130
