"""What the data page does around its imports: who may do them, uploads as files that do not
outlive the work, exports with personal data masked, backups as bytes, restores, and the
column mappings remembered between imports.

Uploads: the readers take a path, so an upload is written to a private folder
(``mapgov-upload-*`` under the system's temporary directory) for as long as one step reads it
(:func:`upload_file`) and removed when the step ends, whatever its outcome: residents' ledgers
do not stay on the server's disk, and a refused upload leaves nothing behind.

Rights: only an administrator imports, restores or takes a full backup (a backup holds every
resident's name and phone). Everyone may export a table; residents' names and phones in it are
masked (``张**`` / ``138****5678``) whoever asks, since an exported file leaves the system.
"""

from __future__ import annotations

import contextlib
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Final, Protocol, TypeVar, Unpack

import geopandas as gpd
import pandas as pd

from mapgov.core.config import project_root
from mapgov.core.errors import MapgovError, PermissionDeniedError, ValidationError
from mapgov.core.i18n import field_label, label, t
from mapgov.core.model import Role
from mapgov.core.privacy import PERSONAL, mask_frame, without_secrets
from mapgov.domain.issues import community_compounds
from mapgov.domain.users import User
from mapgov.io.exports import FORMATS, frame_bytes
from mapgov.io.importers.load import Restored, backup, restore
from mapgov.io.importers.mapping import guess_mapping, load_mapping, save_mapping
from mapgov.io.importers.plan import LayerOptions, LayerPlan, plan_layer
from mapgov.io.qrsheets import Sheet, qr_pdf, report_url, sheets_of
from mapgov.store import TABLES, Store, open_store
from mapgov.store import table as schema_table
from mapgov.store.accounts import ACCOUNT_TABLES
from mapgov.store.pgsql import is_url

__all__ = [
    "BACKUP_NAME",
    "BACKUP_TYPES",
    "EXPORT_FORMATS",
    "EXPORT_TABLES",
    "PERSONAL",
    "Upload",
    "backup_bytes",
    "backup_file_name",
    "can_manage",
    "check_qr",
    "export_bytes",
    "export_choice",
    "export_file_name",
    "in_words",
    "mapping_path",
    "masked",
    "plan_upload",
    "qr_compounds",
    "qr_sheet_bytes",
    "read_upload",
    "remember_mapping",
    "remembered_mapping",
    "require_manager",
    "restore_upload",
    "starting_mapping",
    "upload_file",
]

# accounts hold password and token hashes, the audit log is read through mapgov.domain.accounts
_HIDDEN: Final = ("meta", "change_log", *ACCOUNT_TABLES)
EXPORT_TABLES: Final = tuple(t.name for t in TABLES if t.name not in _HIDDEN)
EXPORT_FORMATS: Final = (".xlsx", ".csv", ".geojson", ".gpkg")
EXPORT_MIME: Final = {**FORMATS, ".gpkg": "application/geopackage+sqlite3"}
EXCEL_ROWS: Final = 1_048_575
"""Data rows an Excel sheet holds (1,048,576 rows, one of them the header)."""
MAPPING_FILE: Final = "mappings.json"
BACKUP_NAME: Final = "mapgov-backup.zip"
BACKUP_TYPES: Final = ("zip", "sqlite", "db")
"""What the restore takes: a backup archive, or an older backup (a bare SQLite file)."""
UPLOAD_PREFIX: Final = "mapgov-upload-"
T = TypeVar("T")


class Upload(Protocol):
    """An uploaded file as Streamlit hands it over (``UploadedFile``, a ``BytesIO``): its
    name as the user's computer called it, and its bytes."""

    name: str

    def seek(self, offset: int, whence: int = 0, /) -> int: ...

    def read(self, size: int | None = -1, /) -> bytes: ...


def export_choice(table: str, rows: int, lang: str) -> str:
    """How the export list names `table`: what it holds, in `lang`, and its row count.

    Examples
    --------
    >>> export_choice("co_event", 1234, "zh"), export_choice("issue", 5, "en")
    ('共建办理记录（1,234 行）', 'issue ledger (5 rows)')
    """
    return t(
        "data_page.export_choice", lang, name=t(f"data_page.export_name.{table}", lang), rows=rows
    )


def export_file_name(table: str, suffix: str, day: str, lang: str) -> str:
    """The name an export of `table` made on `day` (ISO date) is offered under: what it holds,
    in the page's language as the export list names it, and the day.

    Examples
    --------
    >>> export_file_name("issue", ".xlsx", "2026-12-07", "zh")
    '问题台账-2026-12-07.xlsx'
    >>> export_file_name("unit_resource", ".csv", "2026-12-07", "en")
    'units-resources-2026-12-07.csv'
    """
    name = re.sub(r"\W+", "-", t(f"data_page.export_name.{table}", lang)).strip("-")
    return f"{name}-{day}{suffix}"


def _other_streets(store: Store | None, user: User) -> bool:
    """Whether the database holds a street other than `user`'s (an administrator without a
    street manages them all; a missing database holds none)."""
    if user.street_id is None or store is None:
        return False
    streets = set(store.read("street", columns=["street_id"])["street_id"])
    return bool(streets - {user.street_id})


def can_manage(user: User | None, store: Store | None) -> bool:
    """Whether `user` may import, restore and take full backups: an administrator whose
    street is the whole database (or who has no street). These act on the whole file, so a
    street's administrator of a database holding other streets may not: a backup would give
    them every street's residents unmasked, a restore or import would change other streets."""
    return user is not None and user.role == Role.ADMIN and not _other_streets(store, user)


def require_manager(user: User | None, what: str, store: Store | None) -> None:
    """Refuse `what` ("import", "restore", "backup") to anyone :func:`can_manage` refuses."""
    if user is not None and user.role == Role.ADMIN and _other_streets(store, user):
        msg = f"the database holds other streets than {user.street_id}: only an administrator "
        msg += f"of every street may {what}"
        raise PermissionDeniedError(msg, key="error.data.other_streets")
    if not can_manage(user, store):
        msg = f"only an administrator may {what}"
        raise PermissionDeniedError(msg, key=f"error.data.admin_only_{what}")


def masked(frame: pd.DataFrame, table: str) -> pd.DataFrame:
    """`frame` with the residents' personal columns of `table` masked (an export: for
    everyone, :func:`mapgov.core.privacy.mask_frame`) and its secret ones (a report's ticket,
    :data:`mapgov.core.privacy.SECRET`) left out."""
    return without_secrets(mask_frame(frame, table, full=False), table)


def check_export(table: str, suffix: str, rows: int = 0) -> None:
    """Refuse, before any data is read, an export that cannot be made.

    Parameters
    ----------
    rows
        Rows in the table (:meth:`Store.counts`): more than an Excel sheet holds refuses
        ``.xlsx``.

    Raises
    ------
    ValidationError
        For a table that cannot be exported, an unknown format, a map format for a table
        without geometry, or a table too long for one Excel sheet.
    """
    if table not in EXPORT_TABLES:
        msg = f"no table {table!r} to export"
        raise ValidationError(msg, key="error.data.no_table", table=table)
    suffix = suffix.lower()
    if suffix not in EXPORT_FORMATS:
        msg = f"unknown export format {suffix!r}; use one of {', '.join(EXPORT_FORMATS)}"
        raise ValidationError(msg, key="error.data.no_format", suffix=suffix)
    if suffix in (".gpkg", ".geojson") and not schema_table(table).has_geometry:
        msg = f"{table} has no geometry; export it as .xlsx or .csv"
        raise ValidationError(msg, key="error.data.no_geometry", table=table)
    if suffix == ".xlsx" and rows > EXCEL_ROWS:
        msg = f"{table} has {rows:,} rows, more than an Excel sheet holds; export it as .csv"
        raise ValidationError(
            msg, key="error.data.too_long_for_excel", table=table, rows=f"{rows:,}"
        )


def in_words(frame: pd.DataFrame, table: str, lang: str) -> pd.DataFrame:
    """`frame` as a spreadsheet shows it to a person reading `lang`: each column headed by its
    field's label, coded values by their labels (已销号, not ``closed``), 0/1 flags as yes or
    no; no geometry. A code no label is known for stays as it is."""
    if isinstance(frame, gpd.GeoDataFrame):
        frame = pd.DataFrame(frame.drop(columns=frame.geometry.name))
    else:
        frame = frame.copy()
    spec = schema_table(table)
    for column, enum in spec.coded.items():
        words = {m.value: label(m, lang) for m in enum}
        frame[column] = frame[column].map(lambda v, w=words: w.get(v, v))
    answers = {1: t("data_page.yes", lang), 0: t("data_page.no", lang)}
    for column in spec.flags:
        frame[column] = frame[column].map(lambda v: answers.get(v, v))
    return frame.rename(columns=lambda column: field_label(column, lang))


def export_bytes(store: Store, table: str, suffix: str, lang: str | None = None) -> bytes:
    """A table as a file's bytes (.xlsx, .csv, .geojson or .gpkg), personal data masked.

    Parameters
    ----------
    store : Store
        The database to read.
    table : str
        One of :data:`EXPORT_TABLES`.
    suffix : str
        One of :data:`EXPORT_FORMATS`.
    lang : str or None
        A spreadsheet (.xlsx, .csv) in this language: each column headed by its field's
        label (``楼栋编号``, ``户数``), a coded value by its label (``已销号``), a flag as yes
        or no, all of which the importers read back. None, and in the map formats, columns
        and values by their codes (``building_id``, ``closed``), as other GIS software and
        scripts read them.

    Returns
    -------
    bytes
        The file.

    Raises
    ------
    ValidationError
        As :func:`check_export`.
    """
    check_export(table, suffix, store.counts().get(table, 0) if suffix == ".xlsx" else 0)
    frame = masked(store.read(table), table)
    suffix = suffix.lower()
    if lang is not None and suffix in (".xlsx", ".csv"):
        frame = in_words(frame, table, lang)
    if suffix == ".gpkg":
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / f"{table}.gpkg"
            frame.to_file(path, layer=table, driver="GPKG")
            return path.read_bytes()
    return frame_bytes(frame, suffix)


def backup_bytes(store: Store, user: User | None) -> bytes:
    """A backup of the whole database and its photos, as the bytes of one zip archive
    (administrators only; :func:`mapgov.io.importers.backup`). A photo missing from the
    folder is left out of it."""
    require_manager(user, "backup", store)
    with tempfile.TemporaryDirectory() as tmp:
        return backup(store, Path(tmp) / BACKUP_NAME).path.read_bytes()


def backup_file_name(day: str) -> str:
    """The name a backup downloaded on `day` (ISO date) is offered under: a zip archive.

    Examples
    --------
    >>> backup_file_name("2026-11-15")
    'mapgov-backup-2026-11-15.zip'
    """
    return f"mapgov-backup-{day}.zip"


def mapping_path(store: Store) -> Path:
    """Where the mappings chosen for imports into this database are remembered: beside a
    SQLite file; for PostgreSQL, in the project's ``data/`` folder of the app server."""
    if is_url(store.url):
        return project_root() / "data" / MAPPING_FILE
    return Path(store.path).parent / MAPPING_FILE


def remembered_mapping(store: Store, table: str, columns: list[str]) -> dict[str, str] | None:
    """The saved mapping for `table`, kept only where the file has those columns."""
    saved = load_mapping(mapping_path(store), table)
    if not saved:
        return None
    kept = {field: col for field, col in saved.items() if col in columns}
    return kept or None


def starting_mapping(store: Store, table: str, columns: list[str]) -> dict[str, str]:
    """The columns a file's check starts from: those remembered for `table` where the file
    has them (:func:`remembered_mapping`), and the guess (:func:`guess_mapping`) for every
    other field, unless its column is already taken. A file with a ``facility_id`` column is
    never told it has none because the last file's remembered columns left it out.

    Parameters
    ----------
    store : Store
        The database whose remembered mappings are read.
    table : str
        The layer or table kind being imported.
    columns : list of str
        The file's columns.

    Returns
    -------
    dict
        field -> column.
    """
    remembered = remembered_mapping(store, table, columns) or {}
    taken = set(remembered.values())
    guessed = {
        field: column
        for field, column in guess_mapping(columns, table).items()
        if field not in remembered and column not in taken
    }
    return guessed | remembered


def remember_mapping(store: Store, table: str, mapping: dict[str, str]) -> Path:
    """Save `mapping` for the next import of `table` into this database."""
    path = mapping_path(store)
    save_mapping(path, table, mapping)
    return path


@contextlib.contextmanager
def upload_file(upload: Upload) -> Iterator[Path]:
    """The upload as a file under its own name (messages name it) in a private temporary
    folder, for the block; the folder is removed when the block ends, whatever happens."""
    with tempfile.TemporaryDirectory(prefix=UPLOAD_PREFIX, ignore_cleanup_errors=True) as folder:
        path = Path(folder) / (Path(str(upload.name)).name or "upload")
        upload.seek(0)
        with path.open("wb") as out:
            shutil.copyfileobj(upload, out, 1 << 20)  # in pieces: no second copy in memory
        upload.seek(0)
        yield path


def read_upload(upload: Upload, read: Callable[[Path], T]) -> T:
    """What `read` makes of the upload (a layer's columns, a table), the file gone after."""
    with upload_file(upload) as path:
        return read(path)


def plan_upload(
    store: Store, upload: Upload, table: str, **options: Unpack[LayerOptions]
) -> LayerPlan:
    """The checked plan of an uploaded layer (:func:`mapgov.io.importers.plan.plan_layer`, with
    its keyword `options`), naming the upload by its own name; the file is gone after, the
    plan keeps what landing needs."""
    with upload_file(upload) as path:
        plan = plan_layer(store, path, table, **options)
    plan.path = path.name  # a server's folder in no message and no record
    return plan


def restore_upload(upload: Upload, db: Path | str, user: User | None) -> Restored:
    """Restore the database `db` and add the photos from an uploaded backup (a zip archive,
    or an older bare SQLite file; administrators only; see
    :func:`mapgov.io.importers.restore`); the uploaded copy is removed whatever the outcome."""
    try:
        live: Store | None = open_store(db)
    except MapgovError:  # no database, or not one: nothing of another street to keep
        live = None
    require_manager(user, "restore", live)
    with upload_file(upload) as path:
        return restore(path, db)


def qr_compounds(store: Store, community_id: str) -> dict[str, str]:
    """The compounds of a community, whose buildings a QR sheet can be printed for.

    Returns
    -------
    dict of str to str
        compound id -> name, in the order of their ids.
    """
    found = community_compounds(store, community_id).sort_values("compound_id")
    return dict(zip(found["compound_id"], found["name"], strict=True))


def _qr_sheets(store: Store, community_id: str, compound_id: str | None) -> list[Sheet]:
    if compound_id is not None:
        return sheets_of(store, compound_id=compound_id)
    return sheets_of(store, community_id=community_id)


def check_qr(store: Store, *, community_id: str, compound_id: str | None, base_url: str) -> None:
    """Raise what would keep the QR sheets from being made, without drawing them.

    Raises
    ------
    ValidationError
        For an address residents cannot open, or a place without buildings.
    """
    report_url(base_url, "check")
    _qr_sheets(store, community_id, compound_id)


def qr_sheet_bytes(
    store: Store,
    *,
    community_id: str,
    compound_id: str | None,
    base_url: str,
    hotline: str,
    lang: str,
) -> bytes:
    """The QR sheets (A4 PDF) of one compound, or of every building of the community.

    Raises
    ------
    ValidationError
        For an address residents cannot open, or a place without buildings.
    """
    sheets = _qr_sheets(store, community_id, compound_id)
    return qr_pdf(sheets, base_url=base_url, hotline=hotline.strip() or None, lang=lang)
