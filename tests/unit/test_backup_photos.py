"""Backups carry the photos of issues, restores bring them back (issue 20).

A backup is a zip of the database and its photos; a restore checks the whole archive before
it changes anything, restores the database as before (refused if an edit was saved
meanwhile) and only then adds the photos the folder lacks, never replacing or removing one.
A hostile archive is refused with what and where, and changes nothing.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import stat
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image

from mapgov.cli import main
from mapgov.core.errors import DataFileError, StaleEditError
from mapgov.core.i18n import error_text
from mapgov.io import archive
from mapgov.io.importers import backup, load, restore
from mapgov.io.photos import Photo, PhotoFolder, intake, photo_folder, prune
from mapgov.store import Store, open_store
from tests.archives import add_photo, database_of, jpeg

from .test_importers import _sha


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project root of its own as the current folder: PostgreSQL's photos go to its
    ``data/photos`` (never the checkout's)."""
    root = tmp_path / "project"
    root.mkdir()
    (root / "pyproject.toml").write_text('[project]\nname = "mapgov"\n', encoding="utf-8")
    monkeypatch.chdir(root)
    return root


def _tree(folder: PhotoFolder) -> dict[str, str]:
    """Every file under the folder (hidden ones too) -> the SHA-256 of its bytes."""
    if not folder.folder.exists():
        return {}
    return {
        str(p.relative_to(folder.folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.folder.rglob("*"))
        if p.is_file()
    }


@pytest.mark.usefixtures("project")
def test_a_backup_brings_its_photos_back_byte_for_byte(
    any_work_store: Store, tmp_path: Path
) -> None:
    store = any_work_store
    folder = photo_folder(store.url)
    name = add_photo(store, folder)
    photo, thumb = folder.read(name), folder.read(name, thumbnail=True)
    made = backup(store, tmp_path / "b.zip")
    assert (made.photos, made.missing) == (1, ())
    with zipfile.ZipFile(made.path) as zipped:
        assert sorted(zipped.namelist()) == [
            "mapgov.sqlite",
            f"photos/{name[:2]}/{name}.jpg",
            f"photos/{name[:2]}/{name}.thumb.jpg",
        ]
    shutil.rmtree(folder.folder)  # the server's photos are lost
    target = store.url if store.url.startswith("postgresql") else store.path
    done = restore(made.path, target)
    assert (done.photos.added, done.photos.kept, done.photos.missing) == (1, 0, ())
    assert folder.read(name) == photo
    assert folder.read(name, thumbnail=True) == thumb
    assert set(open_store(store.url).read("issue_photo")["name"]) == {name}


def test_a_restore_into_a_new_file_brings_the_photos_beside_it(
    work_store: Store, tmp_path: Path
) -> None:
    name = add_photo(work_store, photo_folder(work_store.path))
    made = backup(work_store, tmp_path / "b.zip")
    target = tmp_path / "new" / "street.sqlite"
    target.parent.mkdir()
    assert restore(made.path, target).photos.added == 1
    assert (tmp_path / "new" / "street.photos" / name[:2] / f"{name}.jpg").is_file()
    assert open_store(target).counts() == work_store.counts()


def test_a_restore_refused_for_an_edit_saved_meanwhile_leaves_the_photo_folder_as_it_was(
    work_store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = photo_folder(work_store.path)
    gone = add_photo(work_store, folder, (10, 200, 30))
    made = backup(work_store, tmp_path / "b.zip")
    folder.path(gone).unlink()
    folder.path(gone, thumbnail=True).unlink()
    add_photo(work_store, folder, (30, 30, 220))  # a report filed after the backup
    before, db = _tree(folder), _sha(work_store.path)
    check = load.database_problems

    def busy_check(path: Path) -> list[str]:  # someone saves an edit while it checks
        work_store.edit(
            [("update", "party_org", {"org_id": _first_org(work_store)}, {"secretary": "新"})],
            actor="someone",
            at="2026-11-15T10:00:00",
        )
        return check(path)

    monkeypatch.setattr(load, "database_problems", busy_check)
    with pytest.raises(StaleEditError):
        restore(made.path, work_store.path)
    assert _tree(folder) == before  # the lost photo not added, nothing removed
    assert _sha(work_store.path) != db  # the edit is kept
    assert not folder.path(gone).exists()


def _first_org(store: Store) -> str:
    return str(store.read("party_org", columns=["org_id"])["org_id"].iloc[0])


def test_photos_are_only_added_never_replaced_or_removed(work_store: Store, tmp_path: Path) -> None:
    folder = photo_folder(work_store.path)
    kept = add_photo(work_store, folder, (10, 200, 30))
    lost = add_photo(work_store, folder, (200, 200, 30))
    made = backup(work_store, tmp_path / "b.zip")
    later = add_photo(work_store, folder, (30, 30, 220))  # filed after the backup
    folder.path(kept).write_bytes(b"the file that is there stays")  # never overwritten
    folder.path(lost).unlink()
    folder.path(lost, thumbnail=True).unlink()
    done = restore(made.path, work_store.path)
    assert (done.photos.added, done.photos.kept) == (1, 1)
    assert folder.path(kept).read_bytes() == b"the file that is there stays"
    assert hashlib.sha256(folder.read(lost)).hexdigest() == lost
    assert folder.path(later).is_file() and folder.path(later, thumbnail=True).is_file()
    assert not list(folder.folder.rglob(".*"))  # no temporary file left


def test_a_missing_photo_is_named_and_the_backup_still_made(
    work_store: Store, tmp_path: Path
) -> None:
    folder = photo_folder(work_store.path)
    there = add_photo(work_store, folder, (10, 200, 30))
    gone = add_photo(work_store, folder, (200, 10, 30))
    spoilt = add_photo(work_store, folder, (200, 200, 200))
    smudged = add_photo(work_store, folder, (20, 20, 20))
    folder.path(gone).unlink()
    folder.path(spoilt).write_bytes(b"half a photo")  # its bytes no longer its name
    folder.path(there, thumbnail=True).unlink()  # a lost thumbnail is made again
    folder.path(smudged, thumbnail=True).write_bytes(b"not a picture")  # so is a damaged one
    made = backup(work_store, tmp_path / "b.zip")
    assert (made.photos, set(made.missing)) == (2, {gone, spoilt})
    shutil.rmtree(folder.folder)
    done = restore(made.path, work_store.path)  # every archive written here restores
    assert (done.photos.added, set(done.photos.missing)) == (2, {gone, spoilt})
    for name in (there, smudged):
        small = Image.open(io.BytesIO(folder.read(name, thumbnail=True)))
        assert small.format == "JPEG" and max(small.size) == 320


def test_an_older_backup_a_bare_sqlite_file_still_restores(
    work_store: Store, tmp_path: Path
) -> None:
    folder = photo_folder(work_store.path)
    name = add_photo(work_store, folder)
    old = database_of(backup(work_store, tmp_path / "b.zip").path, tmp_path, "old.sqlite")
    counts = work_store.counts()
    with work_store.transaction() as con:
        con.execute("DELETE FROM zone_building")
    before = _tree(folder)
    done = restore(old, work_store.path)
    assert open_store(work_store.path).counts() == counts
    assert (done.photos.added, done.photos.missing) == (0, ())
    assert _tree(folder) == before and folder.path(name).is_file()


# -- hostile archives ----------------------------------------------------------------------


def _entry(name: str, *, mode: int = stat.S_IFREG | 0o644) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=(2026, 11, 15, 10, 0, 0))
    info.create_system = 3
    info.external_attr = mode << 16
    return info


def _photo_entry(data: bytes, name: str | None = None, suffix: str = ".jpg") -> tuple[str, bytes]:
    name = name or hashlib.sha256(data).hexdigest()
    return f"photos/{name[:2]}/{name}{suffix}", data


GOOD_JPEG = jpeg((90, 90, 90))
GOOD = hashlib.sha256(GOOD_JPEG).hexdigest()


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (20, 20)).save(out, format="PNG")
    return out.getvalue()


Build = Callable[[zipfile.ZipFile], None]


def _with(*entries: tuple[str, bytes], mode: int = stat.S_IFREG | 0o644) -> Build:
    def build(out: zipfile.ZipFile) -> None:
        for name, data in entries:
            out.writestr(_entry(name, mode=mode), data)

    return build


def _twice(out: zipfile.ZipFile) -> None:
    name, data = _photo_entry(GOOD_JPEG)
    out.writestr(_entry(name), data)
    with pytest.warns(UserWarning, match="Duplicate name"):
        out.writestr(_entry(name), data)


def _bomb(out: zipfile.ZipFile) -> None:
    info = _entry(_photo_entry(GOOD_JPEG)[0])
    info.compress_type = zipfile.ZIP_DEFLATED
    out.writestr(info, GOOD_JPEG + b"\0" * 10_000_000)


# (what, how the archive's photos are made, the key of the refusal, the entry it names)
HOSTILE: list[tuple[str, Build, str, str | None]] = [
    ("a name climbing out", _with(("../../evil.jpg", GOOD_JPEG)), "name", "../../evil.jpg"),
    ("an absolute path", _with(("/etc/cron.d/evil", b"x")), "name", "/etc/cron.d/evil"),
    (
        "a photo path climbing out",
        _with((f"photos/{GOOD[:2]}/../../{GOOD}.jpg", GOOD_JPEG)),
        "name",
        f"photos/{GOOD[:2]}/../../{GOOD}.jpg",
    ),
    (
        "a photo in another's folder",
        _with((f"photos/00/{GOOD}.jpg", GOOD_JPEG)),
        "name",
        f"photos/00/{GOOD}.jpg",
    ),
    (
        "bytes that are not the photo named",
        _with(_photo_entry(jpeg((1, 2, 3)), GOOD)),
        "hash",
        _photo_entry(GOOD_JPEG)[0],
    ),
    ("a PNG named .jpg", _with(_photo_entry(_png())), "not_jpeg", _photo_entry(_png())[0]),
    (
        "a script named .jpg",
        _with(_photo_entry(b"<script>alert(1)</script>")),
        "not_jpeg",
        _photo_entry(b"<script>alert(1)</script>")[0],
    ),
    (
        "a symlink",
        _with(_photo_entry(b"/etc/passwd", GOOD), mode=stat.S_IFLNK | 0o777),
        "link",
        _photo_entry(GOOD_JPEG)[0],
    ),
    ("an entry twice", _twice, "duplicate", _photo_entry(GOOD_JPEG)[0]),
    ("a zip bomb", _bomb, "ratio", _photo_entry(GOOD_JPEG)[0]),
    (
        "a thumbnail without its photo",
        _with(_photo_entry(GOOD_JPEG, GOOD, ".thumb.jpg")),
        "orphan_thumbnail",
        _photo_entry(GOOD_JPEG, GOOD, ".thumb.jpg")[0],
    ),
    (
        "a photo too large",
        _with(_photo_entry(os.urandom(archive.MAX_PHOTO_BYTES + 1))),
        "too_large",
        None,
    ),
]


def _archive(good: Path, path: Path, build: Build, *, database: bool = True) -> Path:
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(path, "w") as out:
        if database:
            out.writestr(_entry("mapgov.sqlite"), source.read("mapgov.sqlite"))
        build(out)
    return path


@pytest.fixture
def good_archive(work_store: Store, tmp_path: Path) -> Path:
    add_photo(work_store, photo_folder(work_store.path))
    return backup(work_store, tmp_path / "good.zip").path


@pytest.mark.parametrize(("case", "build", "key", "entry"), HOSTILE, ids=[c[0] for c in HOSTILE])
def test_a_hostile_archive_is_refused_naming_the_entry_and_changes_nothing(
    work_store: Store,
    good_archive: Path,
    tmp_path: Path,
    case: str,
    build: Build,
    key: str,
    entry: str | None,
) -> None:
    bad = _archive(good_archive, tmp_path / "备份.zip", build)
    folder = photo_folder(work_store.path)
    shutil.rmtree(folder.folder)  # every photo of the good backup would be added
    with work_store.transaction() as con:
        con.execute("DELETE FROM zone_building")  # what a restore would bring back
    before = _sha(work_store.path)
    with pytest.raises(DataFileError) as refused:
        restore(bad, work_store.path)
    assert refused.value.key == f"error.archive.{key}", (case, str(refused.value))
    if entry is not None:
        assert refused.value.entry == entry
    else:
        assert refused.value.entry is not None and refused.value.entry.startswith("photos/")
    for lang, says in (("en", "nothing was restored"), ("zh", "未恢复任何数据")):
        text = error_text(refused.value, lang)
        assert text.startswith("备份.zip") and says in text, text
        assert str(tmp_path) not in text
    assert _sha(work_store.path) == before
    assert not folder.folder.exists()


@pytest.fixture
def five_entries(good_archive: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An archive of five entries where a backup may hold four at most."""
    monkeypatch.setattr(archive, "MAX_ENTRIES", 4)
    entries = [_photo_entry(jpeg((i, i, i))) for i in range(4)]
    return _archive(good_archive, tmp_path / "many.zip", _with(*entries))


def test_an_archive_of_too_many_entries_is_refused_before_it_is_read(
    work_store: Store, five_entries: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def parse(*_: object, **__: object) -> None:
        pytest.fail("the archive's directory was parsed")

    monkeypatch.setattr(archive.zipfile, "ZipFile", parse)
    before = _sha(work_store.path)
    with pytest.raises(DataFileError) as refused:
        restore(five_entries, work_store.path)
    monkeypatch.undo()
    assert refused.value.key == "error.archive.too_many"
    assert "5 个条目" in error_text(refused.value, "zh")
    assert _sha(work_store.path) == before


def test_an_end_record_that_understates_the_entries_does_not_let_them_through(
    work_store: Store, five_entries: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = bytearray(five_entries.read_bytes())
    end = data.rfind(b"PK\x05\x06")
    data[end + 8 : end + 12] = (1).to_bytes(2, "little") * 2  # "one entry"
    five_entries.write_bytes(bytes(data))
    with pytest.raises(DataFileError) as refused:  # counted once parsed
        restore(five_entries, work_store.path)
    assert refused.value.key == "error.archive.too_many"
    monkeypatch.setattr(archive, "_DIRECTORY_ENTRY_MOST", 10)  # and by the directory's size
    monkeypatch.setattr(archive.zipfile, "ZipFile", None)  # before it is parsed
    with pytest.raises(DataFileError) as refused:
        restore(five_entries, work_store.path)
    assert refused.value.key == "error.archive.too_many"


@pytest.mark.parametrize(
    ("case", "key"),
    [("no database", "no_database"), ("a damaged archive", "damaged")],
)
def test_an_archive_without_a_database_or_damaged_is_refused(
    work_store: Store, good_archive: Path, tmp_path: Path, case: str, key: str
) -> None:
    bad = tmp_path / "bad.zip"
    if key == "no_database":
        _archive(good_archive, bad, _with(_photo_entry(GOOD_JPEG)), database=False)
    else:
        data = good_archive.read_bytes()
        bad.write_bytes(data[: len(data) // 2] + data[-200:])
    before = _sha(work_store.path)
    with pytest.raises(DataFileError) as refused:
        restore(bad, work_store.path)
    assert refused.value.key == f"error.archive.{key}", (case, str(refused.value))
    assert _sha(work_store.path) == before


def _repacked(good: Path, path: Path, *statements: str) -> Path:
    """An archive at `path` of `good`'s database changed by the SQL `statements` alone."""
    import sqlite3

    db = database_of(good, path.parent, f"{path.stem}.sqlite")
    con = sqlite3.connect(db)
    for statement in statements:
        con.execute(statement)
    con.commit()
    con.close()
    with zipfile.ZipFile(path, "w") as out:
        out.write(db, "mapgov.sqlite")
    return path


def test_the_database_inside_an_archive_is_checked_as_a_bare_backup(
    work_store: Store, good_archive: Path, tmp_path: Path
) -> None:
    bad = _repacked(
        good_archive,
        tmp_path / "refs.zip",
        "PRAGMA foreign_keys = OFF",
        "UPDATE building SET compound_id = 'K-NONE' WHERE rowid <= 3",
    )
    before = _sha(work_store.path)
    with pytest.raises(DataFileError) as refused:
        restore(bad, work_store.path)
    assert refused.value.key == "error.restore.not_whole"
    text = error_text(refused.value, "zh")
    assert text.startswith("refs.zip，条目“mapgov.sqlite”") and "当前数据库未作任何改动" in text
    assert _sha(work_store.path) == before


# -- the command line ----------------------------------------------------------------------


def test_the_cli_backs_up_and_restores_the_photos(
    work_store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(work_store.path)
    folder = photo_folder(work_store.path)
    name = add_photo(work_store, folder)
    gone = add_photo(work_store, folder, (1, 99, 200))
    folder.path(gone).unlink()
    photo = folder.read(name)
    zipped = tmp_path / "nightly.zip"
    capsys.readouterr()
    assert main(["backup", str(zipped), "--db", db]) == 0
    out, err = capsys.readouterr()
    assert "1 photo(s)" in out and f"{gone[:12]}…" in err
    assert main(["backup", str(tmp_path / "nightly.sqlite"), "--db", db]) == 1
    assert "nightly.zip" in capsys.readouterr().err
    assert not (tmp_path / "nightly.sqlite").exists()
    shutil.rmtree(folder.folder)
    assert main(["restore", str(zipped), "--db", db]) == 0
    out, err = capsys.readouterr()
    assert "1 photo(s) added" in out and f"{gone[:12]}…" in err
    assert folder.read(name) == photo


@pytest.mark.usefixtures("project")
def test_copy_brings_the_photos_to_the_other_backends_folder(
    work_store: Store,
    pg_database: Callable[[str | None], str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    name = add_photo(work_store, photo_folder(work_store.path))
    url = pg_database(None)
    capsys.readouterr()
    assert main(["copy", str(work_store.path), url]) == 0
    assert "photos: 1 copied, 0 there already" in capsys.readouterr().out
    pg_photos = photo_folder(url)
    assert pg_photos.folder == Path.cwd() / "data" / "photos"
    assert pg_photos.read(name) == photo_folder(work_store.path).read(name)
    back = tmp_path / "back.sqlite"
    assert main(["copy", url, str(back)]) == 0
    assert "photos: 1 copied" in capsys.readouterr().out
    assert photo_folder(back).read(name, thumbnail=True) == pg_photos.read(name, thumbnail=True)
    assert main(["copy", url, str(back), "--replace"]) == 0
    assert "photos: 0 copied, 1 there already" in capsys.readouterr().out


def test_a_database_entry_too_large_for_the_limit_or_the_disk_is_refused(
    work_store: Store, good_archive: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mapgov.core.errors import StoreError

    before = _sha(work_store.path)
    monkeypatch.setattr(archive, "MAX_DATABASE_BYTES", 1000)
    with pytest.raises(DataFileError) as refused:
        restore(good_archive, work_store.path)
    assert (refused.value.key, refused.value.entry) == ("error.archive.too_large", "mapgov.sqlite")
    monkeypatch.undo()
    full = shutil.disk_usage(good_archive.parent)._replace(free=1000)
    monkeypatch.setattr(archive.shutil, "disk_usage", lambda _: full)
    with pytest.raises(StoreError) as no_room:
        restore(good_archive, work_store.path)
    assert no_room.value.key == "error.store.full"
    assert _sha(work_store.path) == before


def test_photos_that_cannot_be_written_after_the_database_is_restored_say_so(
    work_store: Store, good_archive: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mapgov.core.errors import StoreError

    folder = photo_folder(work_store.path)
    shutil.rmtree(folder.folder)

    def full(*_: object, **__: object) -> bool:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(PhotoFolder, "add", full)
    with pytest.raises(StoreError) as half:
        restore(good_archive, work_store.path)
    assert half.value.key == "error.archive.photos_not_added"
    assert "重新恢复同一备份" in error_text(half.value, "zh")
    monkeypatch.undo()
    assert restore(good_archive, work_store.path).photos.added == 1  # again: the rest comes


def test_an_archive_of_an_older_schema_says_how_to_upgrade_it(
    work_store: Store, good_archive: Path, tmp_path: Path
) -> None:
    older = "UPDATE meta SET value = '5' WHERE key = 'schema_version'"
    old = _repacked(good_archive, tmp_path / "old.zip", older)
    with pytest.raises(DataFileError) as refused:
        restore(old, work_store.path)
    assert refused.value.key == "error.archive.schema"
    assert "mapgov migrate" in str(refused.value) and "mapgov-restore-" not in str(refused.value)
    assert "版本为 5" in error_text(refused.value, "zh")


# -- photos no issue names -----------------------------------------------------------------------
def _age(folder: PhotoFolder, name: str, seconds: float) -> None:
    """Make the photo `name` (and its thumbnail) last kept `seconds` ago."""
    for thumbnail in (False, True):
        path = folder.path(name, thumbnail=thumbnail)
        when = path.stat().st_mtime - seconds
        os.utime(path, (when, when))


def test_photos_no_issue_names_are_pruned_once_a_day_old(
    work_store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = photo_folder(work_store.path)
    named = add_photo(work_store, folder, (10, 200, 30))
    made = backup(work_store, tmp_path / "b.zip")
    restored_away = add_photo(work_store, folder, (30, 30, 220))  # filed after the backup
    restore(made.path, work_store.path)  # the restored ledger no longer names it
    refused = folder.keep(intake(jpeg((220, 220, 220))))  # a refused report's photo
    fresh = folder.keep(intake(jpeg((90, 10, 90))))  # a report under way: not named yet
    day = 86400.0
    for name in (named, restored_away, refused):
        _age(folder, name, 2 * day)
    # the same picture in a new report is kept again now: it stays, though old and unnamed
    again = folder.keep(intake(jpeg((220, 220, 220))))
    assert again == refused and folder.path(refused).stat().st_mtime > made.path.stat().st_mtime
    _age(folder, refused, 2 * day)
    before = _tree(folder)
    db = str(work_store.path)
    assert main(["prune-photos", "--db", db, "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert f"would delete: {restored_away}" in out and f"would delete: {refused}" in out
    assert "2 photo(s) no issue names would be deleted; 2 kept" in out
    assert _tree(folder) == before  # a dry run deletes nothing
    assert main(["prune-photos", "--db", db]) == 0
    assert "2 photo(s) no issue names deleted" in capsys.readouterr().out
    assert folder.names() == sorted([named, fresh])
    for gone in (restored_away, refused):
        assert not folder.path(gone).exists() and not folder.path(gone, thumbnail=True).exists()
    assert hashlib.sha256(folder.read(named)).hexdigest() == named  # named: never touched
    # with no wait at all, the report under way's photo goes too; the named one stays
    assert main(["prune-photos", "--db", db, "--days", "0"]) == 0
    assert folder.names() == [named]
    assert main(["prune-photos", "--db", db, "--days", "-1"]) == 1
    assert "--days must be 0 or more" in capsys.readouterr().err


def _unnamed_for_two_days(
    store: Store, colour: tuple[int, int, int]
) -> tuple[PhotoFolder, Photo, str, float]:
    """A photo of `colour` kept two days ago and named by no issue, and a prune's cut a day ago:
    (folder, photo, name, cut)."""
    folder = photo_folder(store.path)
    photo = intake(jpeg(colour))
    name = folder.keep(photo)
    _age(folder, name, 2 * 86400.0)
    return folder, photo, name, folder.now() - 86400.0


def test_a_photo_kept_again_while_the_prune_deletes_it_stays(
    work_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A report names a photo kept again (the same picture) in the instant between the prune's
    check of its time and the deletion: the photo and its thumbnail are still there after."""
    folder, photo, name, cut = _unnamed_for_two_days(work_store, (220, 220, 220))
    checked = folder._unkept

    def kept_right_after_the_check(photo_name: str, kept_before: float) -> bool:
        old = checked(photo_name, kept_before)
        folder.keep(photo)  # a new report's upload, at that instant
        return old

    monkeypatch.setattr(folder, "_unkept", kept_right_after_the_check)
    assert prune(folder, [], kept_before=cut).names == []
    assert folder.read(name) == photo.data and folder.read(name, thumbnail=True)
    assert sorted(p.name for p in folder.path(name).parent.iterdir()) == [
        f"{name}.jpg",
        f"{name}.thumb.jpg",
    ]  # nothing left aside


def test_a_photo_kept_while_the_prune_holds_it_aside_is_written_anew(
    work_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder, photo, name, cut = _unnamed_for_two_days(work_store, (10, 120, 220))
    renamed = Path.rename

    def kept_while_aside(path: Path, target: Path) -> Path:
        moved = renamed(path, target)
        if path.name == f"{name}.jpg":
            folder.keep(photo)  # finds no photo: writes it again
        return moved

    monkeypatch.setattr(Path, "rename", kept_while_aside)
    prune(folder, [], kept_before=cut)
    assert folder.read(name) == photo.data and folder.read(name, thumbnail=True)
