"""``mapgov import | export | backup | restore | prune-photos | migrate``: files in and out of a
database.

Each is a function ``_run_<name>(args) -> int``, its docstring its help, registered in
:data:`COMMANDS` with the function that adds its arguments.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from mapgov.cli.common import (
    EXIT_ERROR,
    EXIT_OK,
    PROG,
    Commands,
    _check_writable_db,
    _db_file,
    _db_option,
    _db_path,
    _open,
    _path,
    _target,
)
from mapgov.core.errors import ValidationError

if TYPE_CHECKING:  # the CLI starts fast: geopandas only when a command needs it
    from mapgov.io.importers import Problem
    from mapgov.store import Store

COMMANDS = Commands()
"""``import``, ``export``, ``backup``, ``restore``, ``prune-photos``, ``migrate``."""

# -- import / export / backup / restore ------------------------------------------------------
_IMPORT_TABLES = ("building", "compound", "facility", "road")
_TABLE_KINDS = ("figures", "ledger")  # spreadsheets matched to buildings
_OSM = "osm"  # `mapgov import osm EXTRACT.osm.pbf`: a whole street from OpenStreetMap


def _file_arguments(p: argparse.ArgumentParser) -> None:
    """``FILE [--db PATH]``."""
    p.add_argument("file", type=_path)
    _db_option(p)


def _import_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("table", choices=(*_IMPORT_TABLES, *_TABLE_KINDS, _OSM))
    _file_arguments(p)
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

    path = _db_file(args, "import osm")
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
        _say_who_cannot_sign_in(path, args.lang)
    return EXIT_OK


def _say_who_cannot_sign_in(path: Path, lang: str) -> None:
    """Name the enabled accounts without a password: those an import made (a new database,
    or ``--replace``, whose accounts are the extract's street's), which nobody can use yet."""
    from mapgov.core.i18n import t
    from mapgov.domain.accounts import list_accounts
    from mapgov.store import open_store

    waiting = [a.login for a in list_accounts(open_store(path)) if a.enabled and not a.has_password]
    if waiting:
        print(t("osm.report.no_password", lang, logins=", ".join(waiting)))


def _import_mapping(
    store: Store, table: str, columns: list[str], items: list[str]
) -> dict[str, str]:
    """Those remembered for this database, guessed for the other fields
    (:func:`mapgov.views.data.starting_mapping`), then ``--map`` FIELD=COLUMN."""
    from mapgov.views import data as dataio

    mapping = dataio.starting_mapping(store, table, columns)
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


@COMMANDS.register("import", _import_arguments)
def _run_import(args: argparse.Namespace) -> int:
    """replace a layer with one from a file, after checking it

    Read a layer (GeoJSON, GeoPackage, zipped Shapefile, GeoParquet, CSV with coordinates or
    WKT, Excel), map its columns, check it, and replace the layer in the database all or
    nothing. Every problem names file, row and field. `import figures FILE` updates households,
    residents, party members ... per building and `import ledger FILE` adds an old issue ledger,
    from CSV or Excel, matched to buildings by id, compound and number, or address; rows that
    match nothing are listed and refuse the import. `import osm EXTRACT.osm.pbf` builds a whole
    street (communities, grids, compounds, buildings, roads, facilities) from an OpenStreetMap
    extract and prints a report of what was mapped, estimated and left out.
    """
    if args.table == _OSM:
        return _run_import_osm(args)
    if args.replace or args.street_name or args.tags:
        msg = "--replace, --street-name and --tags are for `import osm` only"
        raise ValidationError(msg)
    from mapgov.io.importers import read_layer, read_table
    from mapgov.io.importers.plan import land_layer, plan_layer
    from mapgov.io.importers.tables import land_table, plan_table
    from mapgov.views import data as dataio

    store = _open(args)
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
        print(f"{args.file}: {written} {args.table} rows imported into {store.identity()[0]}")
    else:
        land_layer(store, layer_plan)
        print(f"{args.file}: {rows} {args.table} rows imported into {store.identity()[0]}")
    return EXIT_OK


def _qr_arguments(p: argparse.ArgumentParser) -> None:
    place = p.add_mutually_exclusive_group(required=True)
    place.add_argument("--compound", help="the buildings of one compound (its id)")
    place.add_argument("--community", help="every building of a community (its id)")
    p.add_argument("--base-url", required=True, help="where residents open mapgov (https://...)")
    p.add_argument("--hotline", help="the community's phone number, printed on every page")
    p.add_argument("--lang", choices=("zh", "en"), default="zh", help="the sheets' language")
    p.add_argument("--out", type=_path, required=True, help="the PDF to write")
    _db_option(p)


@COMMANDS.register("qr", _qr_arguments)
def _run_qr(args: argparse.Namespace) -> int:
    """print A4 QR sheets, one per building, for reporting issues by phone (扫码报事)

    Write a PDF with one A4 page per building of the compound or community: its name, the
    community office, the hotline, and a QR code of /report?building=ID under --base-url.
    """
    from mapgov.io.qrsheets import qr_pdf, sheets_of

    if args.out.suffix.lower() != ".pdf":
        msg = f"--out must end in .pdf, not {args.out.name!r}"
        raise ValidationError(msg)
    sheets = sheets_of(_open(args), compound_id=args.compound, community_id=args.community)
    pdf = qr_pdf(sheets, base_url=args.base_url, hotline=args.hotline, lang=args.lang)
    args.out.write_bytes(pdf)
    print(f"{args.out}: {len(sheets)} pages, one per building")
    return EXIT_OK


def _export_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("table")
    _file_arguments(p)


@COMMANDS.register("export", _export_arguments)
def _run_export(args: argparse.Namespace) -> int:
    """write a table as .gpkg, .geojson, .xlsx or .csv, residents' personal data masked"""
    from mapgov.io.exports import write_file
    from mapgov.store import TABLES
    from mapgov.store.accounts import ACCOUNT_TABLES
    from mapgov.views import data as dataio

    if args.table not in {t.name for t in TABLES}:
        msg = f"no table {args.table!r}"
        raise ValidationError(msg)
    if args.table in ACCOUNT_TABLES:  # password and token hashes never leave in a file
        msg = f"{args.table} is not exported; use `mapgov user list` or `mapgov audit --out`"
        raise ValidationError(msg)
    # the data page's export: residents' names and phones masked, the same checks
    print(write_file(dataio.export_bytes(_open(args), args.table, args.file.suffix), args.file))
    return EXIT_OK


def _copy_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("source", type=_target, help="the database to copy: a SQLite file or a URL")
    p.add_argument("target", type=_target, help="where to: a SQLite file or a postgresql:// URL")
    p.add_argument(
        "--replace",
        action="store_true",
        help="replace a mapgov database that is there already (its data is lost)",
    )


@COMMANDS.register("copy", _copy_arguments)
def _run_copy(args: argparse.Namespace) -> int:
    """copy a whole database between SQLite and PostgreSQL, all or nothing

    Copy every table of SOURCE into TARGET (a SQLite file or a postgresql:// URL of an
    existing, empty database with PostGIS available) in one step: a failed copy leaves the
    target as it was. Prints the row count of each table copied. Then the photos the issues
    name are copied from SOURCE's photo folder into TARGET's (beside a SQLite file, data/photos
    for PostgreSQL): only those it lacks, none replaced; a missing one is named on stderr.
    """
    from mapgov.io.importers.load import copy_database_photos
    from mapgov.store import open_store
    from mapgov.store.copy import copy_database, holds_mapgov

    if holds_mapgov(args.target) and not args.replace:
        msg = (
            f"{args.target} holds a mapgov database already; add --replace to put the copy "
            "in its place (its data is lost)"
        )
        raise ValidationError(msg)
    if isinstance(args.target, Path):
        _check_writable_db(args.target)
    source = open_store(args.source)
    counts = copy_database(source, args.target)
    width = max(map(len, counts))
    print("\n".join(f"{name:<{width}}  {n:>9,}" for name, n in counts.items()))
    copied = copy_database_photos(source, args.target)
    print(f"photos: {copied.added} copied, {copied.kept} there already")
    _say_photos(copied.missing, "the source's photo folder (not copied)")
    return EXIT_OK


def _say_photos(missing: Sequence[str], where: str) -> None:
    """Name on stderr the photos a database names that `where` does not hold."""
    if missing:
        shown = ", ".join(f"{name[:12]}…" for name in missing[:10])
        more = f" and {len(missing) - 10} more" if len(missing) > 10 else ""
        print(
            f"warning: {len(missing)} photo(s) named by issues are not in {where}: {shown}{more}",
            file=sys.stderr,
        )


@COMMANDS.register("backup", _file_arguments)
def _run_backup(args: argparse.Namespace) -> int:
    """a consistent copy of the database and its photos in one .zip, safe while in use

    Write FILE (a .zip): the whole database (mapgov.sqlite) and every photo its issues name,
    with thumbnails (photos/ab/NAME.jpg). A photo missing from the photo folder is named on
    stderr and left out; the backup is still written. A bare SQLite copy: `mapgov copy`.
    """
    from mapgov.io.importers import backup

    if args.file.suffix.lower() != ".zip":
        msg = (
            f"a backup is a .zip archive (the database and its photos): name it "
            f"{args.file.with_suffix('.zip').name!r}, not {args.file.name!r} "
            "(a bare SQLite copy of the database: `mapgov copy DB FILE.sqlite`)"
        )
        raise ValidationError(msg)
    made = backup(_open(args), args.file)
    print(f"{made.path}: the database and {made.photos} photo(s)")
    _say_photos(made.missing, "the photo folder (left out of the backup)")
    return EXIT_OK


@COMMANDS.register("restore", _file_arguments)
def _run_restore(args: argparse.Namespace) -> int:
    """put a backup in place of the database and add its photos

    FILE is a backup .zip (or an older backup, a bare SQLite file), checked whole before
    anything changes. The database is restored in one step; then the backup's photos that the
    photo folder lacks are added (none is replaced or removed).
    """
    from mapgov.io.importers import restore

    done = restore(args.file, _db_path(args))
    print(
        f"{done.target}: restored; {done.photos.added} photo(s) added, "
        f"{done.photos.kept} there already"
    )
    _say_photos(done.photos.missing, "the backup or the photo folder")
    return EXIT_OK


def _prune_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--days",
        type=float,
        default=1.0,
        help="leave photos kept within this many days (default 1: a report under way)",
    )
    p.add_argument("--dry-run", action="store_true", help="only list what would be deleted")
    _db_option(p)


@COMMANDS.register("prune-photos", _prune_arguments)
def _run_prune_photos(args: argparse.Namespace) -> int:
    """delete the photos no issue names (a refused report's, a restored backup's)

    The photo folder only grows while mapgov serves: a report refused after its photos were
    kept, or a restore of an older backup, leaves photos that no issue names (a resident's
    pictures of a home, kept for nothing). This deletes them with their thumbnails, once
    they have gone unkept for --days; a photo an issue names is never touched.
    """
    from mapgov.io.photos import photo_folder, prune

    if not args.days >= 0:
        msg = f"--days must be 0 or more, not {args.days}"
        raise ValidationError(msg)
    store = _open(args)
    named = store.read("issue_photo", columns=["name"])["name"]
    folder = photo_folder(_db_path(args))
    # the cut by the clock the photos' file times come from (a shared disk's, not this
    # process's): `--days` are real days however this machine's clock is set
    cut = folder.now() - args.days * 86400
    done = prune(folder, named, kept_before=cut, dry_run=args.dry_run)
    for name in done.names:
        print(f"{'would delete' if args.dry_run else 'deleted'}: {name}")
    verb = "would be deleted" if args.dry_run else f"deleted ({done.freed:,} bytes freed)"
    print(f"{len(done.names)} photo(s) no issue names {verb}; {done.kept} kept")
    return EXIT_OK


@COMMANDS.register("migrate", _db_option)
def _run_migrate(args: argparse.Namespace) -> int:
    """upgrade a database made by an older mapgov, keeping every record

    Upgrade the database to this mapgov's schema in one step (all or nothing). A SQLite file is
    kept beside it as <name>.v<old version>.sqlite; on PostgreSQL the old tables are kept in
    the schema mapgov_v<old version> of the same database (drop it once the upgrade is checked).
    """
    path = _db_path(args)
    if isinstance(path, str):  # a postgresql:// URL
        from mapgov.store.pgmigrate import migrate_pg  # lazy: pulls in psycopg and geopandas
        from mapgov.store.pgsql import safe_url

        where = safe_url(path)
        old, new, schema = migrate_pg(path)
        kept = (
            f"the old tables are kept in schema {schema} (DROP SCHEMA {schema} CASCADE once "
            "the upgrade is checked)"
            if schema
            else "another program upgraded it meanwhile"
        )
    else:
        from mapgov.store.migrate import migrate  # lazy: pulls in geopandas

        _check_writable_db(path)
        where = str(path)
        old, new = migrate(path)
        kept = "the old file is kept beside it"
    if old == new:
        print(f"{where}: already at schema version {new}")
    else:
        print(f"{where}: schema version {old} -> {new}; {kept}")
    return EXIT_OK
