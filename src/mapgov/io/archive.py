"""Backup archives: the database and the photos of its issues in one zip (issue 20).

A backup (:func:`mapgov.io.importers.backup`) is always a zip archive holding

- ``mapgov.sqlite``: the whole database, a SQLite file whichever backend it came from;
- ``photos/ab/<name>.jpg`` and ``photos/ab/<name>.thumb.jpg``: every photo the database's
  ``issue_photo`` table names, with its thumbnail, as :class:`~mapgov.io.photos.PhotoFolder`
  keeps them (``<name>`` is the SHA-256 of the photo's bytes, ``ab`` its first two digits).

A photo the table names but the folder no longer holds (or holds damaged: its bytes no longer
its name) does not stop the backup: it is left out and named in what :func:`write_archive`
returns (the command line prints it). A lost or damaged thumbnail is left out too and made
again from its photo on restore. So every archive written here passes the restore's checks.

An archive to restore comes from outside, so :func:`open_archive` reads it as hostile and
checks all of it before anything is changed: the number of entries (read from the archive's
end record before the directory is parsed), every entry's name (only the two kinds above, no
``..``, no absolute path, no link, nothing twice, nothing encrypted), its size (a photo at most
:data:`MAX_PHOTO_BYTES` and :data:`MAX_RATIO` times its packed size: a zip bomb is refused; the
database at most :data:`MAX_DATABASE_BYTES` and what the disk has room for; all together at
most :data:`MAX_TOTAL_BYTES`), each photo's bytes against its name (SHA-256) and as a picture
(Pillow decodes it as a JPEG). Every refusal is a :class:`~mapgov.core.errors.DataFileError`
naming the archive and the entry. Photos are then only ever added to the live folder
(:meth:`CheckedArchive.add_photos`), never replaced or removed: photos are kept by content, so
the photos of reports filed since the backup stay.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import io
import re
import shutil
import sqlite3
import stat
import struct
import tempfile
import time
import warnings
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, NoReturn

from PIL import Image, UnidentifiedImageError

from mapgov.core.errors import DataFileError, StoreError, ValidationError
from mapgov.io import photos as photo_files
from mapgov.io.photos import PhotoFolder

__all__ = [
    "DATABASE_ENTRY",
    "MAX_DATABASE_BYTES",
    "MAX_ENTRIES",
    "MAX_PHOTOS",
    "MAX_PHOTO_BYTES",
    "MAX_RATIO",
    "MAX_TOTAL_BYTES",
    "CheckedArchive",
    "PhotosAdded",
    "copy_photos",
    "is_archive",
    "missing_photos",
    "open_archive",
    "photo_names",
    "write_archive",
]

DATABASE_ENTRY: Final = "mapgov.sqlite"
"""The database's entry in a backup archive."""
MAX_PHOTOS: Final = 200_000
"""The most photos one archive holds (years of a busy street's reports)."""
MAX_ENTRIES: Final = 1 + 2 * MAX_PHOTOS + 1 + 256
"""The most entries: the database, each photo and its thumbnail, and folder entries."""
MAX_PHOTO_BYTES: Final = photo_files.MAX_BYTES
"""The largest photo (or thumbnail) entry: the largest upload taken."""
MAX_DATABASE_BYTES: Final = 64 * 2**30
"""The largest database entry."""
MAX_TOTAL_BYTES: Final = 256 * 2**30
"""The most an archive unpacks to, all entries together."""
MAX_RATIO: Final = 200
"""How many times its packed size a photo entry may unpack to (a JPEG hardly shrinks; a zip
bomb by a thousand). Not the database's: its empty pages (after deletions) pack 600 times and
more, so it is bounded by :data:`MAX_DATABASE_BYTES` and the free space of the disk."""

_PHOTO_ENTRY: Final = re.compile(r"photos/([0-9a-f]{2})/([0-9a-f]{64})(\.thumb)?\.jpg")
_FOLDER_ENTRY: Final = re.compile(r"photos/(?:[0-9a-f]{2}/)?")
_METHODS: Final = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
_CHUNK: Final = 1 << 20
_NAME: Final = re.compile(r"[0-9a-f]{64}")
_SQLITE_MAGIC: Final = b"SQLite format 3\x00"
_ZIP_MAGIC: Final = (b"PK\x03\x04", b"PK\x05\x06")
_EOCD: Final = struct.Struct("<4s4H2LH")  # the end of central directory record
_DIRECTORY_ENTRY_MOST: Final = 256
"""Bytes the central directory holds for one entry of a backup at most (46 fixed, a name of
84 characters at most, extra fields of zip64 and of the tools that add times and owners)."""
_ZIP64_LOCATOR: Final = struct.Struct("<4sLQL")
_ZIP64_EOCD: Final = struct.Struct("<4sQ2H2L4Q")


def is_archive(path: Path) -> bool:
    """Whether `path` is a zip archive (a backup of this kind) by its first bytes, not its
    name; an older backup is a bare SQLite file.

    Parameters
    ----------
    path : pathlib.Path
        A backup file.

    Returns
    -------
    bool
        True for a zip archive, False for anything else (a SQLite file, or neither).
    """
    with Path(path).open("rb") as file:
        return file.read(4) in _ZIP_MAGIC


def photo_names(database: Path) -> list[str]:
    """The photos a SQLite mapgov database names (``issue_photo.name``), each once, sorted.

    Parameters
    ----------
    database : pathlib.Path
        A SQLite file of this schema.

    Returns
    -------
    list of str
        The names, as the table holds them (a damaged one is not a photo's name).
    """
    con = sqlite3.connect(f"file:{Path(database).as_posix()}?mode=ro", uri=True)
    try:
        rows = con.execute("SELECT DISTINCT name FROM issue_photo ORDER BY name").fetchall()
    finally:
        con.close()
    return [str(name) for (name,) in rows]


def _entry_info(name: str, compress_type: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=time.localtime()[:6])
    info.compress_type = compress_type
    info.create_system = 3  # unix: the mode below is what it says
    info.external_attr = (stat.S_IFREG | 0o644) << 16
    return info


def _write_photos(
    out: zipfile.ZipFile, names: Iterable[str], folder: PhotoFolder
) -> tuple[int, list[str]]:
    """Write the photos (and thumbnails) of `names` that `folder` holds; those it holds."""
    held, missing = 0, []
    for name in names:
        try:
            data = folder.path(name).read_bytes()
        except (ValidationError, OSError):  # not a photo's name, or the file is gone
            missing.append(name)
            continue
        if hashlib.sha256(data).hexdigest() != name:  # damaged: it would refuse the restore
            missing.append(name)
            continue
        out.writestr(_entry_info(f"photos/{name[:2]}/{name}.jpg", zipfile.ZIP_STORED), data)
        with contextlib.suppress(OSError):  # a lost thumbnail is made again on restore
            small = folder.path(name, thumbnail=True).read_bytes()
            if _is_jpeg(small):  # a damaged one too
                info = _entry_info(f"photos/{name[:2]}/{name}.thumb.jpg", zipfile.ZIP_STORED)
                out.writestr(info, small)
        held += 1
    return held, missing


def write_archive(database: Path, folder: PhotoFolder, path: Path) -> tuple[int, list[str]]:
    """Write a backup archive of the SQLite file `database` and the photos it names.

    The archive is written beside `path` and moved into place only when whole. The database
    is packed (deflate); photos are stored as they are (a JPEG does not pack).

    Parameters
    ----------
    database : pathlib.Path
        A consistent SQLite copy of the database (nobody writes to it).
    folder : PhotoFolder
        Where the database's photos are kept.
    path : pathlib.Path
        The archive to write (replaced only when the new one is whole).

    Returns
    -------
    tuple of (int, list of str)
        How many photos the archive holds, and the names of those the database names but
        `folder` does not hold, or holds damaged (left out).

    Raises
    ------
    ValidationError
        If the database names more than :data:`MAX_PHOTOS` photos.
    """
    names = photo_names(database)
    if len(names) > MAX_PHOTOS:
        msg = (
            f"{len(names):,} photos, more than one backup holds ({MAX_PHOTOS:,}): copy the "
            f"photo folder {folder.folder} with a file backup tool and the database with "
            "`mapgov copy`"
        )
        raise ValidationError(msg, key="error.archive.too_many_photos", limit=MAX_PHOTOS)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        with zipfile.ZipFile(tmp, "w", allowZip64=True) as out:
            out.write(database, DATABASE_ENTRY, compress_type=zipfile.ZIP_DEFLATED)
            held, missing = _write_photos(out, names, folder)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return held, missing


def _within_ratio(info: zipfile.ZipInfo, ratio: int) -> bool:
    return info.file_size <= ratio * max(info.compress_size, 1) + 4096


def _declared_entries(file: io.BufferedReader, size: int) -> int | None:
    """How many entries the archive's end record declares (zip64 too), read before Python's
    zipfile parses the whole directory into memory; None if there is no end record.

    A directory larger than :data:`MAX_ENTRIES` entries of a backup's could take counts as
    that many more (:data:`_DIRECTORY_ENTRY_MOST` bytes an entry), so an end record that
    understates the count does not let a huge directory through."""
    tail_size = min(size, _EOCD.size + 0xFFFF)
    file.seek(size - tail_size)
    tail = file.read(tail_size)
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) - at < _EOCD.size:
        return None
    record = _EOCD.unpack_from(tail, at)
    counts = [int(record[3]), int(record[4]), int(record[5]) // _DIRECTORY_ENTRY_MOST]
    locator_at = at - _ZIP64_LOCATOR.size
    if locator_at >= 0 and tail[locator_at : locator_at + 4] == b"PK\x06\x07":
        offset = _ZIP64_LOCATOR.unpack_from(tail, locator_at)[2]
        if offset + _ZIP64_EOCD.size <= size:
            file.seek(offset)
            zip64 = file.read(_ZIP64_EOCD.size)
            if zip64[:4] == b"PK\x06\x06":
                fields = _ZIP64_EOCD.unpack(zip64)
                counts += [int(fields[6]), int(fields[7]), int(fields[8]) // _DIRECTORY_ENTRY_MOST]
    return max(counts)


@dataclass(frozen=True)
class PhotosAdded:
    """What a restore or a copy did to the photo folder.

    Attributes
    ----------
    added : int
        Photos written into the folder.
    kept : int
        Photos the folder held already (left as they were).
    missing : tuple of str
        Photos the database names that neither the source nor the folder holds.
    """

    added: int = 0
    kept: int = 0
    missing: tuple[str, ...] = ()


@dataclass
class CheckedArchive:
    """An archive whose every entry was checked, open for the restore.

    Attributes
    ----------
    path : pathlib.Path
        The archive.
    database : pathlib.Path
        Its database, unpacked into a private temporary folder (removed with the archive).
    photos : dict of str to str or None
        Each photo's name -> the SHA-256 of its thumbnail (None: it has none; one is made).
    """

    path: Path
    database: Path
    photos: dict[str, str | None] = field(default_factory=dict)
    _zip: zipfile.ZipFile | None = None

    def _read(self, entry: str) -> bytes:
        assert self._zip is not None  # open for the block of open_archive
        try:
            return self._zip.read(entry)
        except (zipfile.BadZipFile, KeyError, EOFError) as err:
            msg = f"{self.path}: {entry} changed after it was checked ({err})"
            raise StoreError(msg, key="error.archive.changed") from err

    def add_photos(self, folder: PhotoFolder) -> PhotosAdded:
        """Add the archive's photos that `folder` does not hold; replace and remove nothing.

        Each file is read again and must still be what was checked (its SHA-256).

        Parameters
        ----------
        folder : PhotoFolder
            The live photo folder.

        Returns
        -------
        PhotosAdded
            How many were added and kept (``missing`` is left to the caller).

        Raises
        ------
        StoreError
            If a file could not be written, or the archive changed since it was checked.
        """
        added = kept = 0
        for name, thumb_sha in self.photos.items():
            have_photo = folder.path(name).is_file()
            if have_photo and folder.path(name, thumbnail=True).is_file():
                kept += 1
                continue
            data = self._read(f"photos/{name[:2]}/{name}.jpg")
            if hashlib.sha256(data).hexdigest() != name:
                msg = f"{self.path}: photo {name[:12]}… changed after it was checked"
                raise StoreError(msg, key="error.archive.changed")
            if thumb_sha is None:
                small = photo_files.thumbnail(data)
            else:
                small = self._read(f"photos/{name[:2]}/{name}.thumb.jpg")
                if hashlib.sha256(small).hexdigest() != thumb_sha:
                    msg = f"{self.path}: thumbnail {name[:12]}… changed after it was checked"
                    raise StoreError(msg, key="error.archive.changed")
            folder.add(name, data)
            folder.add(name, small, thumbnail=True)
            added += 0 if have_photo else 1
            kept += 1 if have_photo else 0
        return PhotosAdded(added=added, kept=kept)


def _refuse(path: Path, entry: str | None, what: str, key: str, **params: Any) -> NoReturn:
    msg = f"{what}; nothing was restored"
    raise DataFileError(path, msg, entry=entry, key=f"error.archive.{key}", **params)


def _check_kind(path: Path, info: zipfile.ZipInfo) -> None:
    """Refuse a link, a device, an encrypted entry or one packed in another way."""
    name = info.filename
    kind = stat.S_IFMT(info.external_attr >> 16)  # 0: permissions only (as many tools write)
    if info.create_system == 3 and kind not in (0, stat.S_IFREG, stat.S_IFDIR):
        _refuse(path, name, "a link or special file, not a plain file", "link")
    if info.flag_bits & 0x1:
        _refuse(path, name, "an encrypted entry", "encrypted")
    if info.compress_type not in _METHODS:
        _refuse(
            path, name, f"packed by method {info.compress_type}", "method",
            method=info.compress_type,
        )  # fmt: skip


def _check_size(path: Path, info: zipfile.ZipInfo, limit: int) -> None:
    if info.file_size > limit:
        _refuse(
            path, info.filename, f"{info.file_size:,} bytes, more than {limit:,}", "too_large",
            size=f"{info.file_size / 1e6:,.1f}", limit=f"{limit / 1e6:,.1f}",
        )  # fmt: skip
    if info.filename != DATABASE_ENTRY and not _within_ratio(info, MAX_RATIO):
        ratio = info.file_size // max(info.compress_size, 1)
        _refuse(
            path, info.filename, f"unpacks to {ratio}x its packed size (a zip bomb?)", "ratio",
            ratio=ratio, limit=MAX_RATIO,
        )  # fmt: skip


def _check_listing(path: Path, infos: list[zipfile.ZipInfo]) -> tuple[str | None, list[str]]:
    """Check every entry's name, kind and size; the database entry and the photo entries."""
    seen: set[str] = set()
    total, database, photos = 0, None, []
    for info in infos:
        name = info.filename
        if name in seen:
            _refuse(path, name, "this entry twice", "duplicate")
        seen.add(name)
        _check_kind(path, info)
        if info.is_dir() and _FOLDER_ENTRY.fullmatch(name):
            continue
        match = _PHOTO_ENTRY.fullmatch(name)
        if name == DATABASE_ENTRY:
            database = name
            _check_size(path, info, MAX_DATABASE_BYTES)
        elif match is not None and match[1] == match[2][:2]:
            photos.append(name)
            _check_size(path, info, MAX_PHOTO_BYTES)
        else:
            _refuse(path, name, "not an entry a mapgov backup holds", "name")
        total += info.file_size
    if total > MAX_TOTAL_BYTES:
        _refuse(
            path, None, f"unpacks to {total:,} bytes, more than {MAX_TOTAL_BYTES:,}", "total",
            size=f"{total / 1e9:,.1f}", limit=f"{MAX_TOTAL_BYTES / 1e9:,.0f}",
        )  # fmt: skip
    return database, photos


_NOT_JPEG: Final = (
    UnidentifiedImageError,
    Image.DecompressionBombError,
    Image.DecompressionBombWarning,
    OSError,
    SyntaxError,
    ValueError,
)


def _decode_jpeg(data: bytes) -> None:
    """Decode `data` as a JPEG of at most MAX_PIXELS, or raise one of _NOT_JPEG."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        with Image.open(io.BytesIO(data)) as image:
            if image.format != "JPEG":
                raise UnidentifiedImageError(image.format)
            if image.width * image.height > photo_files.MAX_PIXELS:
                pixels = f"{image.width} x {image.height}"
                raise Image.DecompressionBombError(pixels)
            image.load()


def _is_jpeg(data: bytes) -> bool:
    try:
        _decode_jpeg(data)
    except _NOT_JPEG:
        return False
    return True


def _check_jpeg(path: Path, entry: str, data: bytes) -> None:
    """Refuse an entry that Pillow does not decode as a JPEG of at most MAX_PIXELS."""
    try:
        _decode_jpeg(data)
    except _NOT_JPEG as err:
        msg = "not a JPEG photo; nothing was restored"
        raise DataFileError(path, msg, entry=entry, key="error.archive.not_jpeg") from err


def _check_photos(
    path: Path, archive: zipfile.ZipFile, entries: list[str]
) -> dict[str, str | None]:
    """Read every photo entry: a photo's SHA-256 must be its name; all must be JPEGs."""
    photos: dict[str, str | None] = {}
    thumbs: dict[str, tuple[str, str]] = {}
    for entry in entries:
        match = _PHOTO_ENTRY.fullmatch(entry)
        assert match is not None  # only photo entries are passed
        data = archive.read(entry)
        digest = hashlib.sha256(data).hexdigest()
        _check_jpeg(path, entry, data)
        if match[3]:
            thumbs[match[2]] = (entry, digest)
        elif digest != match[2]:
            msg = "the photo's bytes do not match its name (damaged or altered)"
            _refuse(path, entry, msg, "hash")
        else:
            photos[match[2]] = None
    for name, (entry, digest) in thumbs.items():
        if name not in photos:
            _refuse(path, entry, "a thumbnail without its photo", "orphan_thumbnail")
        photos[name] = digest
    return photos


def _unpack_database(path: Path, archive: zipfile.ZipFile, folder: Path) -> Path:
    """The database entry, unpacked into `folder` in pieces (never whole in memory)."""
    info = archive.getinfo(DATABASE_ENTRY)
    free = shutil.disk_usage(folder).free
    if info.file_size + _CHUNK * 64 > free:
        msg = f"{path}: {info.file_size:,} bytes to unpack, {free:,} free on the disk"
        raise StoreError(msg, key="error.store.full")
    target = folder / DATABASE_ENTRY
    try:
        with archive.open(info) as source, target.open("wb") as out:
            shutil.copyfileobj(source, out, _CHUNK)
    except OSError as err:
        if err.errno != errno.ENOSPC:
            raise
        msg = f"{path}: the disk filled while the database was unpacked; nothing was restored"
        raise StoreError(msg, key="error.store.full") from err
    return target


@contextlib.contextmanager
def open_archive(path: Path) -> Iterator[CheckedArchive]:
    """Check a backup archive whole, and unpack its database for the block.

    Nothing outside a private temporary folder (``mapgov-restore-*``, removed when the block
    ends) is written; the database inside is not checked here (the restore does that).

    Parameters
    ----------
    path : pathlib.Path
        The archive (from outside: it may be damaged or hostile).

    Yields
    ------
    CheckedArchive
        The archive, its unpacked database and its photos by name.

    Raises
    ------
    DataFileError
        If any entry is not what a mapgov backup holds, saying which and why (keys
        ``error.archive.*``).
    StoreError
        If the disk has no room to unpack the database.
    """
    path = Path(path)
    with path.open("rb") as file:
        declared = _declared_entries(file, path.stat().st_size)
    if declared is not None and declared > MAX_ENTRIES:
        _refuse(
            path, None, f"{declared:,} entries, more than {MAX_ENTRIES:,}", "too_many",
            count=declared, limit=MAX_ENTRIES,
        )  # fmt: skip
    with contextlib.ExitStack() as stack:
        try:
            archive = stack.enter_context(zipfile.ZipFile(path))
            infos = archive.infolist()
            if len(infos) > MAX_ENTRIES:
                _refuse(
                    path, None, f"{len(infos):,} entries, more than {MAX_ENTRIES:,}", "too_many",
                    count=len(infos), limit=MAX_ENTRIES,
                )  # fmt: skip
            database, entries = _check_listing(path, infos)
            if database is None:
                _refuse(path, DATABASE_ENTRY, "no database in the archive", "no_database")
            photos = _check_photos(path, archive, entries)
            private = tempfile.TemporaryDirectory(prefix="mapgov-restore-")
            folder = Path(stack.enter_context(private))
            unpacked = _unpack_database(path, archive, folder)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError) as err:
            msg = f"a damaged zip archive ({err}); nothing was restored"
            raise DataFileError(path, msg, key="error.archive.damaged") from err
        yield CheckedArchive(path=path, database=unpacked, photos=photos, _zip=archive)


def missing_photos(names: Iterable[str], folder: PhotoFolder) -> tuple[str, ...]:
    """The names among `names` whose photo `folder` does not hold.

    Parameters
    ----------
    names : Iterable of str
        Photos a database names.
    folder : PhotoFolder
        A photo folder.

    Returns
    -------
    tuple of str
        Those not kept there (a name that is no photo's name counts as missing).
    """
    missing = []
    for name in names:
        if not _NAME.fullmatch(name) or not folder.path(name).is_file():
            missing.append(name)
    return tuple(missing)


def copy_photos(names: Iterable[str], source: PhotoFolder, target: PhotoFolder) -> PhotosAdded:
    """Add the photos `names` from `source` to `target` (what `mapgov copy` brings along).

    Only what `target` lacks is written, never replaced; a photo whose bytes no longer match
    its name in `source` (damaged) is not copied and counts as missing, like one not there.

    Parameters
    ----------
    names : Iterable of str
        The photos the copied database names.
    source : PhotoFolder
        The source database's photo folder.
    target : PhotoFolder
        The target database's photo folder.

    Returns
    -------
    PhotosAdded
        How many were added, kept (there already) and missing.
    """
    added = kept = 0
    missing = []
    same = source.folder.resolve() == target.folder.resolve()
    for name in names:
        try:
            data = source.path(name).read_bytes()
        except (ValidationError, OSError):
            missing.append(name)
            continue
        if same:
            kept += 1
            continue
        if hashlib.sha256(data).hexdigest() != name:
            missing.append(name)
            continue
        try:
            small = source.path(name, thumbnail=True).read_bytes()
        except OSError:
            small = photo_files.thumbnail(data)
        new = target.add(name, data)
        target.add(name, small, thumbnail=True)
        added, kept = added + new, kept + (not new)
    return PhotosAdded(added=added, kept=kept, missing=tuple(missing))
