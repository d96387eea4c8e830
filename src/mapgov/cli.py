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

A subcommand is a pair ``_add_<name>(subparsers)`` / ``_run_<name>(args) -> int`` registered
in ``_COMMANDS``; ``coverage``, ``import`` and ``export`` will join them the same way.
"""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import os
import re
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn, TextIO

from mapgov import __version__
from mapgov.core import clock
from mapgov.core.config import DB_ENV, LOOPBACK, default_db_path
from mapgov.core.errors import MapgovError, StoreError, ValidationError

if TYPE_CHECKING:  # the CLI starts fast: geopandas only when a command needs it
    from mapgov.demo import SignIn
    from mapgov.io.importers import Problem
    from mapgov.store import Store

__all__ = ["MAX_SCALE", "main"]

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


# -- argument types (each raises ArgumentTypeError with a message that says what is wrong) -----
def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        msg = f"must be a non-negative integer, not {text!r}"
        raise argparse.ArgumentTypeError(msg)
    return value


def _scale(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1 <= value <= MAX_SCALE:
        msg = f"must be an integer from 1 to {MAX_SCALE}, not {text!r}"
        raise argparse.ArgumentTypeError(msg)
    return value


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


# -- demo ----------------------------------------------------------------------------------
def _add_demo(sub: argparse._SubParsersAction[_Parser]) -> None:
    p = sub.add_parser(
        "demo",
        help="build the demo street into a database",
        description=(
            "Build a synthetic street (communities, grids, compounds, buildings, party "
            "organisations, facilities and two years of issues) into a SQLite database. The "
            "database is built beside the target and replaces it only when complete."
        ),
    )
    p.add_argument("--seed", type=_seed, default=42, help="random seed (default 42)")
    p.add_argument(
        "--scale",
        type=_scale,
        default=1,
        help=f"size: 1 is one street; K is about K times as much (1..{MAX_SCALE}, default 1)",
    )
    p.add_argument(
        "--db",
        type=_path,
        default=None,
        help=f"target database (default ${DB_ENV} or data/mapgov.sqlite)",
    )
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


def _run_demo(args: argparse.Namespace) -> int:
    path: Path = args.db if args.db is not None else default_db_path()
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
def _add_assets(sub: argparse._SubParsersAction[_Parser]) -> None:
    p = sub.add_parser(
        "assets",
        help="copy Leaflet into the static folder the app serves",
        description=(
            "Copy the web assets the maps need (Leaflet) from installed packages into the "
            "folder Streamlit serves, so that maps render with no internet."
        ),
    )
    p.add_argument(
        "--static",
        type=_path,
        default=Path("static"),
        help="static folder beside app.py (default: ./static)",
    )
    p.add_argument("--quiet", action="store_true", help="do not list the files on stderr")


def _run_assets(args: argparse.Namespace) -> int:
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
def _add_info(sub: argparse._SubParsersAction[_Parser]) -> None:
    p = sub.add_parser(
        "info",
        help="show the metadata and row counts of a database",
        description="Print the meta table and the number of rows in every table.",
    )
    p.add_argument(
        "--db", type=_path, default=None, help=f"database (default ${DB_ENV} or data/mapgov.sqlite)"
    )


def _run_info(args: argparse.Namespace) -> int:
    path: Path = args.db if args.db is not None else default_db_path()
    from mapgov.store import open_store  # lazy: pulls in geopandas

    store = open_store(path)
    meta = store.meta()
    counts = store.counts()
    width = max(map(len, [*meta, *counts]))
    width = max(width, len("database"))
    lines = [
        f"{'database':<{width}}  {path}",
        f"{'size':<{width}}  {path.stat().st_size / 1e6:.1f} MB",
        "",
        "[meta]",
    ]
    lines += [f"{key:<{width}}  {value}" for key, value in sorted(meta.items())]
    lines += ["", "[rows]"]
    lines += [f"{name:<{width}}  {n:>9,}" for name, n in counts.items()]
    print("\n".join(lines))
    return EXIT_OK


# -- coverage -------------------------------------------------------------------------------
def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not value > 0:
        msg = f"must be a positive number of metres, not {text!r}"
        raise argparse.ArgumentTypeError(msg)
    return value


def _add_coverage(sub: argparse._SubParsersAction[_Parser]) -> None:
    p = sub.add_parser(
        "coverage",
        help="life-circle coverage: who can walk to each kind of facility",
        description=(
            "Walking distance along the street network from every building to the nearest "
            "facility of each kind, against the GB 50180-2018 thresholds (or the tier or "
            "metres given). Writes the per-building table and prints the summary by community."
        ),
    )
    p.add_argument("--db", type=_path, default=None, help="database (default: data/…)")
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


def _run_coverage(args: argparse.Namespace) -> int:
    from mapgov.domain.lifecircle import coverage  # lazy: pulls in geopandas
    from mapgov.io.exports import FORMATS, write_frame
    from mapgov.store import open_store

    if args.out is not None and args.out.suffix.lower() not in FORMATS:
        msg = f"--out must end in {', '.join(FORMATS)}, not {args.out.name!r}"
        raise ValidationError(msg)
    store = open_store(args.db if args.db is not None else default_db_path())
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


# -- import / export / backup / restore ------------------------------------------------------
_IMPORT_TABLES = ("building", "compound", "facility", "road")
_TABLE_KINDS = ("figures", "ledger")  # spreadsheets matched to buildings
_OSM = "osm"  # `mapgov import osm EXTRACT.osm.pbf`: a whole street from OpenStreetMap


def _add_import(sub: argparse._SubParsersAction[_Parser]) -> None:
    p = sub.add_parser(
        "import",
        help="replace a layer with one from a file, after checking it",
        description=(
            "Read a layer (GeoJSON, GeoPackage, zipped Shapefile, GeoParquet, CSV with "
            "coordinates or WKT, Excel), map its columns, check it, and replace the layer in "
            "the database all or nothing. Every problem names file, row and field. "
            "`import figures FILE` updates households, residents, party members ... per "
            "building and `import ledger FILE` adds an old issue ledger, from CSV or Excel, "
            "matched to buildings by id, compound and number, or address; rows that match "
            "nothing are listed and refuse the import. "
            "`import osm EXTRACT.osm.pbf` builds a whole street (communities, grids, compounds, "
            "buildings, roads, facilities) from an OpenStreetMap extract and prints a report of "
            "what was mapped, estimated and left out."
        ),
    )
    p.add_argument("table", choices=(*_IMPORT_TABLES, *_TABLE_KINDS, _OSM))
    p.add_argument("file", type=_path)
    p.add_argument("--db", type=_path, default=None)
    p.add_argument("--crs", help="CRS of a file that names none, e.g. EPSG:4326 or EPSG:4490")
    p.add_argument(
        "--shift",
        choices=("gcj02", "bd09"),
        help="undo the offset of coordinates digitised on Gaode/Tencent (gcj02) or "
        "Baidu (bd09) maps",
    )
    p.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="FIELD=COLUMN",
        help="which column holds a field (repeatable); guessed otherwise",
    )
    p.add_argument(
        "--layer", help="the layer of a file that holds several (GeoPackage ...); default: first"
    )
    p.add_argument("--dry-run", action="store_true", help="check only, write nothing")
    p.add_argument(
        "--remember",
        action="store_true",
        help="save the columns used (guessed or --map) for the next import into this database",
    )
    p.add_argument(
        "--actor", default="cli", help="who is importing, recorded in the change log (figures)"
    )
    osm = p.add_argument_group("OpenStreetMap (import osm)")
    osm.add_argument(
        "--replace",
        action="store_true",
        help="empty every other table too (issues, party organisation ...): for a database "
        "that held another district, such as the demo",
    )
    osm.add_argument("--street-name", help="name of the street (default: from the extract)")
    osm.add_argument("--tags", type=_path, help="a changed copy of the OSM tag table (.toml)")
    osm.add_argument(
        "--lang", choices=("zh", "en"), default="en", help="language of the report (default en)"
    )


def _run_import_osm(args: argparse.Namespace) -> int:
    if args.crs or args.shift or args.map or args.layer:
        msg = "--crs, --shift, --map and --layer do not apply to OpenStreetMap data"
        raise ValidationError(msg)
    from mapgov.core.i18n import t
    from mapgov.io.importers.osm import import_osm, load_tag_table

    path: Path = args.db if args.db is not None else default_db_path()
    if not args.dry_run:
        _check_writable_db(path)
    tags = load_tag_table(args.tags) if args.tags is not None else None
    started = time.perf_counter()
    report = import_osm(
        args.file,
        path,
        street_name=args.street_name,
        replace=args.replace,
        dry_run=args.dry_run,
        tags=tags,
    )
    print("\n".join(report.lines(args.lang)))
    if args.dry_run:
        print(t("osm.report.dry_run", args.lang))
    else:
        seconds = time.perf_counter() - started
        print(f"{t('osm.report.landed', args.lang, db=path)} ({seconds:.1f} s)")
    return EXIT_OK


def _import_mapping(
    store: Store, table: str, columns: list[str], items: list[str]
) -> dict[str, str]:
    """Guessed columns, then those remembered for this database, then ``--map`` FIELD=COLUMN."""
    from mapgov.io.importers import guess_mapping
    from mapgov.views import data as dataio

    mapping = guess_mapping(columns, table)
    mapping.update(dataio.remembered_mapping(store, table, columns) or {})
    for item in items:
        field, sep, column = item.partition("=")
        if not sep:
            msg = f"--map takes FIELD=COLUMN, not {item!r}"
            raise ValidationError(msg)
        mapping[field.strip()] = column.strip()
    return mapping


def _refused(problems: Sequence[Problem], path: Path) -> bool:
    """Print the problems on stderr (one error: one line); whether any refuses the import."""
    errors = [p for p in problems if p.severity == "error"]
    for problem in problems:
        if len(errors) != 1 or problem.severity != "error":  # one error: one line, below
            print(f"{problem.severity}: {problem}", file=sys.stderr)
    if errors:
        what = str(errors[0]) if len(errors) == 1 else f"{len(errors)} problem(s) in {path}"
        print(f"{PROG}: error: {what}; nothing was imported", file=sys.stderr)
    return bool(errors)


def _say_layer(path: Path, layer: str | None) -> None:
    """Name the layer read from a file that holds several."""
    from mapgov.io.importers import list_layers

    names = list_layers(path)
    if len(names) > 1:
        name = layer or names[0]
        print(
            f"layer {name} ({names.index(name) + 1} of {len(names)}: {', '.join(names)}; "
            "choose one with --layer)"
        )


def _run_import(args: argparse.Namespace) -> int:
    if args.table == _OSM:
        return _run_import_osm(args)
    if args.replace or args.street_name or args.tags:
        msg = "--replace, --street-name and --tags are for `import osm` only"
        raise ValidationError(msg)
    from mapgov.io.importers import read_layer, read_table
    from mapgov.io.importers.plan import land_layer, plan_layer
    from mapgov.io.importers.tables import land_table, plan_table
    from mapgov.store import open_store
    from mapgov.views import data as dataio

    store = open_store(args.db if args.db is not None else default_db_path())
    tabular = args.table in _TABLE_KINDS
    if tabular and args.layer:
        msg = "--layer is for map layers (building, compound, facility, road)"
        raise ValidationError(msg)
    frame = read_table(args.file) if tabular else read_layer(args.file, layer=args.layer)
    if not tabular:
        _say_layer(args.file, args.layer)
    columns = [str(c) for c in frame.columns if c != getattr(frame, "_geometry_column_name", "")]
    mapping = _import_mapping(store, args.table, columns, args.map)
    print("columns: " + ", ".join(f"{k}<-{v}" for k, v in mapping.items()))
    if tabular:
        plan = plan_table(store, frame, args.table, path=args.file, mapping=mapping)
        for row in plan.skipped.itertuples():
            print(f"skipped: {args.file}, row {row.row}: {row.reason}", file=sys.stderr)
        problems, rows = (
            plan.errors + [p for p in plan.problems if p.severity != "error"],
            len(plan.matched),
        )
    else:
        layer_plan = plan_layer(
            store,
            args.file,
            args.table,
            mapping=mapping,
            crs=args.crs,
            shift=args.shift,
            layer=args.layer,
        )
        problems = layer_plan.problems
        rows = 0 if layer_plan.layer is None else len(layer_plan.layer)
    if _refused(problems, args.file) or (not tabular and not layer_plan.ready):
        return EXIT_ERROR
    if args.remember:
        dataio.remember_mapping(store, args.table, mapping)
    if args.dry_run:
        print(f"{args.file}: {rows} {args.table} rows would be imported (dry run)")
        return EXIT_OK
    if tabular:
        written = land_table(store, plan, actor=args.actor)
        print(f"{args.file}: {written} {args.table} rows imported into {store.path}")
    else:
        land_layer(store, layer_plan)
        print(f"{args.file}: {rows} {args.table} rows imported into {store.path}")
    return EXIT_OK


def _add_export(sub: argparse._SubParsersAction[_Parser]) -> None:
    p = sub.add_parser(
        "export",
        help="write a table as .gpkg, .geojson, .xlsx or .csv, residents' personal data masked",
    )
    p.add_argument("table")
    p.add_argument("file", type=_path)
    p.add_argument("--db", type=_path, default=None)


def _run_export(args: argparse.Namespace) -> int:
    from mapgov.io.exports import write_file
    from mapgov.store import TABLES, open_store
    from mapgov.store.accounts import ACCOUNT_TABLES
    from mapgov.views import data as dataio

    if args.table not in {t.name for t in TABLES}:
        msg = f"no table {args.table!r}"
        raise ValidationError(msg)
    if args.table in ACCOUNT_TABLES:  # password and token hashes never leave in a file
        msg = f"{args.table} is not exported; use `mapgov user list` or `mapgov audit --out`"
        raise ValidationError(msg)
    store = open_store(args.db if args.db is not None else default_db_path())
    # the data page's export: residents' names and phones masked, the same checks
    print(write_file(dataio.export_bytes(store, args.table, args.file.suffix), args.file))
    return EXIT_OK


def _add_backup(sub: argparse._SubParsersAction[_Parser]) -> None:
    p = sub.add_parser("backup", help="a consistent copy of the database, safe while in use")
    p.add_argument("file", type=_path)
    p.add_argument("--db", type=_path, default=None)


def _run_backup(args: argparse.Namespace) -> int:
    from mapgov.io.importers import backup
    from mapgov.store import open_store

    store = open_store(args.db if args.db is not None else default_db_path())
    print(backup(store, args.file))
    return EXIT_OK


def _add_restore(sub: argparse._SubParsersAction[_Parser]) -> None:
    p = sub.add_parser("restore", help="put a backup in place of the database")
    p.add_argument("file", type=_path)
    p.add_argument("--db", type=_path, default=None)


def _run_restore(args: argparse.Namespace) -> int:
    from mapgov.io.importers import restore

    print(restore(args.file, args.db if args.db is not None else default_db_path()))
    return EXIT_OK


def _add_migrate(sub: argparse._SubParsersAction[_Parser]) -> None:
    p = sub.add_parser(
        "migrate",
        help="upgrade a database made by an older mapgov, keeping every record",
        description=(
            "Upgrade the database to this mapgov's schema in one step (all or nothing); the "
            "old file is kept beside it as <name>.v<old version>.sqlite."
        ),
    )
    p.add_argument("--db", type=_path, default=None)


def _run_migrate(args: argparse.Namespace) -> int:
    from mapgov.store.migrate import migrate  # lazy: pulls in geopandas

    path: Path = args.db if args.db is not None else default_db_path()
    _check_writable_db(path)
    old, new = migrate(path)
    if old == new:
        print(f"{path}: already at schema version {new}")
    else:
        print(f"{path}: schema version {old} -> {new}; the old file is kept beside it")
    return EXIT_OK


def _add_serve(sub: argparse._SubParsersAction[_Parser]) -> None:
    p = sub.add_parser(
        "serve",
        help="serve the dashboard (streamlit run app.py, with mapgov loaded first)",
        description=(
            "Serve the dashboard like `streamlit run app.py`, after loading mapgov and its "
            "libraries (geopandas, pydeck ...: about 2 s), so that the first visitor, say the "
            "command room's wall screen after a reboot, does not wait for them."
        ),
    )
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
    p.add_argument("--db", type=_path, default=None, help=f"database (default: ${DB_ENV})")


def _run_serve(args: argparse.Namespace) -> int:
    app: Path = args.app
    if not app.is_file():
        msg = f"{app}: no such app script (run from the folder of app.py, or give --app)"
        raise ValidationError(msg)
    if not 0 < args.port < 65536:
        msg = f"--port {args.port}: not a port number (1-65535)"
        raise ValidationError(msg)
    if args.db is not None:
        os.environ[DB_ENV] = str(args.db.resolve())
    from mapgov.serve import serve  # lazy: streamlit, geopandas and the pages' code

    return serve(app, port=args.port, address=args.address)


# -- accounts, display tokens, audit ---------------------------------------------------------
def _actor() -> str:
    """Who runs an account command: ``cli:<OS user>``."""
    try:
        return f"cli:{getpass.getuser()}"
    except (OSError, KeyError):  # no user name in the environment or password database
        return f"cli:uid{os.getuid()}"


def _stdin_password() -> str:
    password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        msg = "--password-stdin: no password on standard input"
        raise ValidationError(msg)
    return password


def _db_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", type=_path, default=None, help=f"database (default ${DB_ENV})")


def _add_user(sub: argparse._SubParsersAction[_Parser]) -> None:
    p = sub.add_parser("user", help="accounts: add, list, disable, set a password")
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    add = actions.add_parser(
        "add",
        help="add an account",
        description="Add an account. Without --password-stdin a one-time password is printed "
        "once; it must be changed at the first sign-in.",
    )
    add.add_argument("login")
    add.add_argument(
        "--role", required=True, choices=["admin", "leader", "planner", "staff", "display"]
    )
    add.add_argument("--name", default=None, help="display name (default the login)")
    add.add_argument("--street", default=None, metavar="ID")
    add.add_argument("--community", default=None, metavar="ID")
    add.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    _db_option(add)
    _db_option(actions.add_parser("list", help="every account (no passwords)"))
    disable = actions.add_parser("disable", help="stop an account signing in; end its sessions")
    disable.add_argument("login")
    _db_option(disable)
    passwd = actions.add_parser(
        "passwd", help="set a password (default a one-time one, printed once)"
    )
    passwd.add_argument("login")
    passwd.add_argument("--password-stdin", action="store_true")
    _db_option(passwd)
    email = actions.add_parser(
        "email", help="the e-mail an OpenID Connect sign-in finds the account by (none: clear)"
    )
    email.add_argument("login")
    email.add_argument("email", nargs="?", default=None)
    _db_option(email)


def _run_user(args: argparse.Namespace) -> int:
    from mapgov.domain import accounts  # lazy: pulls in geopandas
    from mapgov.store import open_store

    store = open_store(args.db if args.db is not None else default_db_path())
    now, actor = clock.system_now(), _actor()
    if args.action == "list":
        for a in accounts.list_accounts(store):
            state = "enabled" if a.enabled else "disabled"
            password = (
                ("must change" if a.must_change_password else "set") if a.has_password else "none"
            )
            print(
                f"{a.login}\t{a.name}\t{a.role.value}\t{a.street_id or '-'}\t"
                f"{a.community_id or '-'}\t{state}\tpassword {password}\t{a.created_at or '-'}"
            )
        return EXIT_OK
    if args.action == "disable":
        accounts.disable(store, args.login, now=now, actor=actor, source="cli")
        print(f"{args.login}: disabled; its sessions ended")
        return EXIT_OK
    if args.action == "email":
        from mapgov.domain import oidc

        oidc.set_email(store, args.login, args.email, now=now, actor=actor, source="cli")
        print(f"{args.login}: e-mail {args.email or 'cleared'}")
        return EXIT_OK
    given = _stdin_password() if args.password_stdin else None
    if args.action == "add":
        account, one_time = accounts.add_account(
            store,
            args.login,
            role=args.role,
            now=now,
            actor=actor,
            name=args.name,
            street_id=args.street,
            community_id=args.community,
            password=given,
            source="cli",
        )
        scope = account.community_id or account.street_id or "-"
        print(f"{account.login}: added ({account.role.value}, {scope})")
    else:
        one_time = accounts.set_password(
            store, args.login, now=now, actor=actor, password=given, source="cli"
        )
        print(f"{args.login}: password set; its sessions ended")
    if one_time is not None:
        print(f"one-time password (shown once; change it at the first sign-in): {one_time}")
    return EXIT_OK


def _add_token(sub: argparse._SubParsersAction[_Parser]) -> None:
    p = sub.add_parser("token", help="wall-screen display tokens: add, revoke")
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    add = actions.add_parser("add", help="issue a token that opens one street's wall screen")
    add.add_argument("label")
    add.add_argument("--street", required=True, metavar="ID")
    _db_option(add)
    revoke = actions.add_parser("revoke", help="stop a token working")
    revoke.add_argument("label")
    _db_option(revoke)


def _run_token(args: argparse.Namespace) -> int:
    from mapgov.domain import display_tokens  # lazy: pulls in geopandas
    from mapgov.store import open_store

    store = open_store(args.db if args.db is not None else default_db_path())
    now, actor = clock.system_now(), _actor()
    if args.action == "revoke":
        display_tokens.revoke_display_token(store, args.label, now=now, actor=actor, source="cli")
        print(f"{args.label}: revoked")
        return EXIT_OK
    token = display_tokens.add_display_token(
        store, args.label, args.street, now=now, actor=actor, source="cli"
    )
    print(f"{args.label} ({args.street}), shown once: {token}")
    print(f"wall screen: /wall?kiosk=1&token={token}")
    return EXIT_OK


def _add_audit(sub: argparse._SubParsersAction[_Parser]) -> None:
    p = sub.add_parser("audit", help="the audit log (sign-ins, failures, account changes)")
    p.add_argument("--since", type=_date, default=None, metavar="YYYY-MM-DD")
    p.add_argument("--out", type=_path, default=None, metavar="FILE.csv|.xlsx")
    _db_option(p)


def _run_audit(args: argparse.Namespace) -> int:
    from mapgov.domain import accounts  # lazy: pulls in geopandas
    from mapgov.io.exports import write_frame
    from mapgov.store import open_store

    if args.out is not None and args.out.suffix.lower() not in (".csv", ".xlsx"):
        msg = f"--out must end in .csv or .xlsx, not {args.out.name!r}"
        raise ValidationError(msg)
    store = open_store(args.db if args.db is not None else default_db_path())
    log = accounts.read_audit(store, since=args.since)
    if args.out is not None:
        write_frame(log, args.out)
        print(f"{args.out}: {len(log)} audit entries")
        return EXIT_OK
    columns = ["at", "actor", "kind", "subject", "detail", "source"]
    for row in log[columns].itertuples(index=False):
        print("\t".join("-" if v is None else str(v) for v in row))
    return EXIT_OK


_COMMANDS: dict[str, tuple[Callable[..., None], Callable[[argparse.Namespace], int]]] = {
    "demo": (_add_demo, _run_demo),
    "assets": (_add_assets, _run_assets),
    "info": (_add_info, _run_info),
    "coverage": (_add_coverage, _run_coverage),
    "import": (_add_import, _run_import),
    "export": (_add_export, _run_export),
    "backup": (_add_backup, _run_backup),
    "restore": (_add_restore, _run_restore),
    "migrate": (_add_migrate, _run_migrate),
    "serve": (_add_serve, _run_serve),
    "user": (_add_user, _run_user),
    "token": (_add_token, _run_token),
    "audit": (_add_audit, _run_audit),
}


def _parser() -> _Parser:
    parser = _Parser(
        prog=PROG,
        description="One map (一张图) of residential compound governance: command line.",
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for add, _ in _COMMANDS.values():
        add(sub)
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
