"""Photos of reported issues: checked, stripped of their metadata, kept by content (issue 20).

A photo from a phone carries EXIF: where it was taken (GPS), the device, the time. A resident's
report must not hand that on, so a photo is decoded and written again as a new JPEG without
any metadata before it is stored; what is stored is only what the picture shows. The type is
judged from the content (Pillow decodes it), never from the name or the browser's word; sizes
are bounded before and after decoding (a small file can unpack into a huge image).

Photos are kept outside the tables, in a content-addressed folder beside the database: the
name of a photo is the SHA-256 of its stored bytes (``ab/abcdef....jpg``), so the same photo
is kept once and a name cannot be guessed from an issue. For PostgreSQL the folder is the app
servers' shared data folder (:func:`photo_folder`); the tables keep only the names.

The folder only grows while mapgov serves: a report refused after its photos were kept (a
rate limit, a wrong field) and a restore of an older backup leave photos that no issue names.
:func:`prune` (``mapgov prune-photos``) deletes those, once they have gone unkept for a day:
keeping a photo again (the same picture in a new report) marks it kept now, so a photo a
report is about to name is never taken from under it.
"""

from __future__ import annotations

import errno
import hashlib
import io
import os
import re
import tempfile
import warnings
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from PIL import Image, ImageOps, UnidentifiedImageError

from mapgov.core.config import project_root
from mapgov.core.errors import ValidationError

__all__ = [
    "ACCEPTED",
    "MAX_BYTES",
    "MAX_PIXELS",
    "MAX_SIDE",
    "THUMB_SIDE",
    "Photo",
    "PhotoFolder",
    "Pruned",
    "intake",
    "photo_folder",
    "prune",
    "thumbnail",
]

MAX_BYTES: Final = 12_000_000
"""The largest upload taken (a phone's full-size photo is 2-8 MB)."""
MAX_PIXELS: Final = 50_000_000
"""The most pixels decoded (a 50-megapixel camera); more is refused as a decompression bomb."""
MAX_SIDE: Final = 2048
"""The longest side of a stored photo, in pixels (enough to read a meter or a crack)."""
THUMB_SIDE: Final = 320
"""The longest side of a thumbnail (the timeline and the building panel)."""
ACCEPTED: Final = frozenset({"JPEG", "PNG", "WEBP", "HEIF", "MPO"})
"""Formats taken, as Pillow names what it decoded (MPO: some phones' multi-picture JPEG)."""
_QUALITY: Final = 85


@dataclass(frozen=True)
class Photo:
    """A photo ready to keep: its JPEG bytes without metadata, a thumbnail, and its name."""

    data: bytes
    thumbnail: bytes
    width: int
    height: int

    @property
    def name(self) -> str:
        """The photo's name in the folder and the tables.

        Returns
        -------
        str
            The SHA-256 of the stored bytes, in hexadecimal.
        """
        return hashlib.sha256(self.data).hexdigest()


def _jpeg(image: Image.Image, side: int) -> tuple[bytes, tuple[int, int]]:
    """`image` no longer than `side` on its longest side, as a JPEG with no metadata, and
    its size."""
    copy = image.copy()
    copy.thumbnail((side, side), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    # a fresh image holds pixels only: no EXIF, no XMP, no ICC profile, no comment
    clean = Image.new(copy.mode, copy.size)
    clean.paste(copy)
    clean.save(out, format="JPEG", quality=_QUALITY, optimize=True)
    return out.getvalue(), clean.size


def intake(data: bytes, *, name: str = "photo") -> Photo:
    """Check an uploaded photo and make what is kept of it.

    The picture is turned upright as the phone meant it (its EXIF orientation), then written
    again without any metadata, at most :data:`MAX_SIDE` pixels long, with a thumbnail.

    Parameters
    ----------
    data : bytes
        The uploaded file, as received.
    name : str
        The file's name, for messages only.

    Returns
    -------
    Photo
        The stored form of the photo.

    Raises
    ------
    ValidationError
        If the file is empty, too large, not a picture, of a format not taken, or too many
        pixels, saying which (keys ``error.photo.*``).
    """
    size = len(data)  # a phone's full-size photo is 2-8 MB
    if not 0 < size <= MAX_BYTES:
        why = "the file is empty" if not size else f"{size / 1e6:.1f} MB, more than 12 MB"
        key = "error.photo.too_large" if size else "error.photo.empty"
        msg = f"{name}: {why}"
        raise ValidationError(msg, key=key, file=name, limit=MAX_BYTES)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            kind = image.format or ""
            if image.width * image.height > MAX_PIXELS:
                pixels = f"{image.width} x {image.height} pixels"
                raise Image.DecompressionBombError(pixels)
            image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as err:
        msg = f"{name}: the picture is too large to open ({err})"
        raise ValidationError(msg, key="error.photo.too_many_pixels", file=name) from err
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as err:
        msg = f"{name}: not a photo (JPEG, PNG, WebP or HEIF)"
        raise ValidationError(msg, key="error.photo.not_image", file=name) from err
    if kind not in ACCEPTED:
        msg = f"{name}: a {kind or 'unknown'} picture; take JPEG, PNG, WebP or HEIF"
        raise ValidationError(msg, key="error.photo.format", file=name, format=kind)
    upright = ImageOps.exif_transpose(image).convert("RGB")
    kept, (width, height) = _jpeg(upright, MAX_SIDE)
    thumbnail, _ = _jpeg(upright, THUMB_SIDE)
    return Photo(data=kept, thumbnail=thumbnail, width=width, height=height)


class PhotoFolder:
    """Photos by name in a folder: ``<folder>/ab/<name>.jpg`` and ``<name>.thumb.jpg``.

    Parameters
    ----------
    folder : pathlib.Path
        Where the photos are kept (made when the first one is).
    """

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    def _path(self, name: str, suffix: str) -> Path:
        if len(name) != 64 or not all(c in "0123456789abcdef" for c in name):
            msg = f"not a photo name: {name!r}"
            raise ValidationError(msg, key="error.photo.name")
        return self.folder / name[:2] / f"{name}{suffix}"

    def keep(self, photo: Photo) -> str:
        """Store `photo` (once: the same photo twice is one file) and return its name.

        Parameters
        ----------
        photo : Photo
            A photo from :func:`intake`.

        Returns
        -------
        str
            Its name, to record in the tables.
        """
        name = photo.name
        for suffix, data in ((".jpg", photo.data), (".thumb.jpg", photo.thumbnail)):
            target = self._path(name, suffix)
            if target.exists():
                # kept again now, by the disk's clock (the one new files' times come from):
                # not pruned while a report is about to name it
                stamp = self.now()
                try:
                    os.utime(target, (stamp, stamp))
                    continue
                except FileNotFoundError:  # taken by a prune meanwhile: written anew below
                    pass
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".", suffix=".tmp")
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            Path(tmp).replace(target)  # a reader never sees half a photo
        return name

    def path(self, name: str, *, thumbnail: bool = False) -> Path:
        """Where the photo called `name` (or its thumbnail) is kept, whether it is or not.

        Parameters
        ----------
        name : str
            A photo's name (64 hexadecimal digits).
        thumbnail : bool
            The thumbnail's file instead of the photo's.

        Returns
        -------
        pathlib.Path
            ``<folder>/ab/<name>.jpg`` (``.thumb.jpg``).

        Raises
        ------
        ValidationError
            If `name` is not a photo's name.
        """
        return self._path(name, ".thumb.jpg" if thumbnail else ".jpg")

    def add(self, name: str, data: bytes, *, thumbnail: bool = False) -> bool:
        """Add one file of the photo `name` if it is not kept yet; never replace one.

        The bytes are written to a temporary file beside the target, then linked into place,
        which fails rather than overwrite a file that appeared meanwhile: the folder only
        grows (restores and copies bring photos in this way; the caller checks the content).

        Parameters
        ----------
        name : str
            The photo's name (the SHA-256 of the photo's bytes).
        data : bytes
            The photo's (or its thumbnail's) bytes.
        thumbnail : bool
            Whether `data` is the thumbnail.

        Returns
        -------
        bool
            Whether the file was added (False: it was there already).
        """
        target = self.path(name, thumbnail=thumbnail)
        if target.exists():
            return False
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            return _link(Path(tmp), target)
        finally:
            Path(tmp).unlink(missing_ok=True)

    def read(self, name: str, *, thumbnail: bool = False) -> bytes:
        """The stored bytes of the photo called `name`.

        Parameters
        ----------
        name : str
            A name :meth:`keep` returned.
        thumbnail : bool
            The thumbnail instead of the photo.

        Returns
        -------
        bytes
            A JPEG without metadata.

        Raises
        ------
        ValidationError
            If `name` is not a photo's name or no such photo is kept.
        """
        path = self._path(name, ".thumb.jpg" if thumbnail else ".jpg")
        if not path.is_file():
            msg = f"no photo {name[:12]}… is kept in {self.folder}"
            raise ValidationError(msg, key="error.photo.missing")
        return path.read_bytes()

    def names(self) -> list[str]:
        """The names of the photos kept in the folder.

        Returns
        -------
        list of str
            Sorted; thumbnails and anything else in the folder left out.
        """
        if not self.folder.is_dir():
            return []
        stems = (p.name.removesuffix(".jpg") for p in self.folder.glob("??/*.jpg"))
        return sorted(s for s in stems if _NAME.fullmatch(s))

    def now(self) -> float:
        """The time by the clock of the disk the folder is on (the one its files' times come
        from, whatever this process's clock says), in seconds since the epoch.

        Returns
        -------
        float
            The modification time of a file written in the folder just now.
        """
        self.folder.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=self.folder, prefix=".", suffix=".now")
        try:
            return os.fstat(fd).st_mtime
        finally:
            os.close(fd)
            Path(probe).unlink(missing_ok=True)

    def _unkept(self, name: str, kept_before: float) -> bool:
        """Whether the photo `name` is there and was last kept before `kept_before`."""
        try:
            return self.path(name).stat().st_mtime < kept_before
        except FileNotFoundError:
            return False

    def remove(self, name: str, *, kept_before: float) -> int:
        """Delete the photo `name` and its thumbnail, unless it was kept at `kept_before` or
        later.

        A file is first renamed out of the way and its time read again: a photo kept again
        just before (a report about to name it) is put back, and one kept after finds no file
        and is written anew (:meth:`keep`), so a prune never takes a photo from under a report.

        Parameters
        ----------
        name : str
            A photo's name.
        kept_before : float
            A time (seconds since the epoch): a photo last kept then or later stays.

        Returns
        -------
        int
            The bytes freed (0: the photo stays, or was not there).
        """
        if not self._unkept(name, kept_before):
            return 0
        freed = _take(self.path(name), kept_before)
        if freed is None:  # kept again meanwhile: the photo and its thumbnail stay
            return 0
        return freed + (_take(self.path(name, thumbnail=True), kept_before) or 0)


def _take(path: Path, kept_before: float) -> int | None:
    """Delete `path` unless it was last kept at `kept_before` or later; the bytes freed (0 when
    it was not there), None when it stays."""
    aside = path.with_name(f".{path.name}.{os.getpid()}.pruned")
    try:
        path.rename(aside)  # from here on a keep finds no file and writes it anew
    except FileNotFoundError:
        return 0
    stat = aside.stat()
    if stat.st_mtime >= kept_before:  # kept again just before the rename: put it back
        _link(aside, path)  # unless it was written anew meanwhile
        aside.unlink(missing_ok=True)
        return None
    aside.unlink()
    return stat.st_size


def _link(source: Path, target: Path) -> bool:
    """Give `source`'s file the name `target` too, never replacing a file there; whether it
    did (on a file system without hard links, `source` is moved instead)."""
    try:
        os.link(source, target)  # no overwrite: fails if the file appeared meanwhile
    except FileExistsError:
        return False
    except OSError as err:  # a file system without hard links
        if err.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP):
            raise
        if target.exists():
            return False
        source.replace(target)
    return True


_NAME: Final = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class Pruned:
    """What :func:`prune` deleted (or, in a dry run, would delete)."""

    names: list[str]
    """The photos no issue names that were last kept before the cut."""
    freed: int
    """Bytes freed (0 in a dry run)."""
    kept: int
    """Photos the folder keeps (named by an issue, or kept since the cut)."""


def prune(
    folder: PhotoFolder, named: Collection[str], *, kept_before: float, dry_run: bool = False
) -> Pruned:
    """Delete the photos of `folder` that no issue names and that were last kept before
    `kept_before`, with their thumbnails.

    Parameters
    ----------
    folder : PhotoFolder
        The database's photo folder (:func:`photo_folder`).
    named : Collection of str
        Every photo name the database's issues hold (``issue_photo.name``), read after the
        folder may have been written to: a photo named later is kept since `kept_before`.
    kept_before : float
        Seconds since the epoch, by the folder's clock (:meth:`PhotoFolder.now`);
        ``mapgov prune-photos`` passes a day before it.
    dry_run : bool
        Only say which photos would go.

    Returns
    -------
    Pruned
        The names deleted (or to delete), the bytes freed and how many photos stay.
    """
    wanted = set(named)
    everything = folder.names()
    names: list[str] = []
    freed = 0
    for name in everything:
        if name in wanted:
            continue
        if dry_run:
            if folder._unkept(name, kept_before):
                names.append(name)
            continue
        gone = folder.remove(name, kept_before=kept_before)  # checks the time itself
        if gone:
            names.append(name)
            freed += gone
    return Pruned(names=names, freed=freed, kept=len(everything) - len(names))


def thumbnail(data: bytes) -> bytes:
    """The thumbnail of a stored photo, made again (for a photo whose thumbnail was lost).

    Parameters
    ----------
    data : bytes
        A stored photo (a JPEG :func:`intake` made).

    Returns
    -------
    bytes
        A JPEG at most :data:`THUMB_SIDE` pixels long, without metadata.
    """
    with Image.open(io.BytesIO(data)) as image:
        small, _ = _jpeg(image.convert("RGB"), THUMB_SIDE)
    return small


def photo_folder(db: Path | str) -> PhotoFolder:
    """Where the photos of the database `db` are kept: beside a SQLite file
    (``street.sqlite`` -> ``street.photos/``); for a PostgreSQL URL, the project's
    ``data/photos/``, which every app server of that database must share.

    Parameters
    ----------
    db : pathlib.Path or str
        A SQLite path or a ``postgresql://`` URL.

    Returns
    -------
    PhotoFolder
        The folder (not made until a photo is kept).
    """
    text = str(db)
    if text.startswith(("postgresql://", "postgres://")):
        return PhotoFolder(project_root() / "data" / "photos")
    path = Path(text.removeprefix("sqlite:///"))
    return PhotoFolder(path.with_name(f"{path.stem}.photos"))
