"""Backup archives in tests: the database inside one, and photos to put in a street."""

from __future__ import annotations

import io
import sqlite3
import zipfile
from pathlib import Path

from PIL import Image

from mapgov.io.archive import DATABASE_ENTRY
from mapgov.io.photos import PhotoFolder, intake
from mapgov.store import Store


def database_of(archive: Path | bytes, folder: Path, name: str = "db.sqlite") -> Path:
    """The database inside a backup archive, as a bare SQLite file (an older backup) in
    `folder`."""
    source = io.BytesIO(archive) if isinstance(archive, bytes) else archive
    with zipfile.ZipFile(source) as zipped:
        data = zipped.read(DATABASE_ENTRY)
    path = folder / name
    path.write_bytes(data)
    return path


def jpeg(colour: tuple[int, int, int], size: tuple[int, int] = (640, 480)) -> bytes:
    """A plain picture as a phone might send it."""
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format="JPEG")
    return out.getvalue()


def add_photo(
    store: Store, folder: PhotoFolder, colour: tuple[int, int, int] = (200, 60, 40)
) -> str:
    """Keep a photo in `folder` and name it in ``issue_photo`` of the first issue, as a
    field report does; its name."""
    photo = intake(jpeg(colour))
    name = folder.keep(photo)
    with store.transaction() as con:
        issue = con.execute("SELECT min(issue_id) FROM issue").fetchone()[0]
        con.execute(
            "INSERT INTO issue_photo (issue_id, name, width, height, added_at, added_by) "
            "VALUES (?, ?, ?, ?, '2026-11-15T10:00:00', 'test')",
            (issue, name, photo.width, photo.height),
        )
    return name


def integrity_of(path: Path) -> str:
    """SQLite's own check of a file (``ok`` for a whole one)."""
    con = sqlite3.connect(path)
    try:
        return str(con.execute("PRAGMA integrity_check").fetchone()[0])
    finally:
        con.close()
