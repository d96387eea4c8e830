"""A restore puts back only a whole mapgov database: anything else is refused with a reason
and the live database stays byte for byte as it was, whether the database comes bare (an
older backup) or inside a backup archive (``mapgov.sqlite`` of the zip)."""

from __future__ import annotations

import shutil
import sqlite3
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from mapgov.core.errors import DataFileError
from mapgov.core.i18n import error_text
from mapgov.io.importers import backup, restore
from mapgov.store import Store, open_store
from tests.archives import database_of

from .test_importers import _sha


def _sql(*statements: str) -> Callable[[sqlite3.Connection], None]:
    def run(con: sqlite3.Connection) -> None:
        for statement in statements:
            con.execute(statement)

    return run


def _only_meta(con: sqlite3.Connection) -> None:
    con.execute("PRAGMA foreign_keys = OFF")
    names = [
        r[0]
        for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        if r[0] != "meta" and not r[0].startswith("sqlite_")
    ]
    for name in names:
        con.execute(f"DROP TABLE {name}")


# (what was done to a good backup, how, what the refusal names)
CORPUS = [
    ("a database holding only meta", _only_meta, "tables missing: "),
    (
        "a dropped issue table",
        _sql("PRAGMA foreign_keys = OFF", "DROP TABLE issue_event", "DROP TABLE issue"),
        "tables missing: ",
    ),
    (
        "a renamed column",
        _sql("ALTER TABLE facility RENAME COLUMN name TO title"),
        "tables different from mapgov's: facility",
    ),
    (
        "broken foreign keys",
        _sql(
            "PRAGMA foreign_keys = OFF",
            "UPDATE building SET compound_id = 'K-NONE' WHERE rowid <= 49",
        ),
        "49 broken references (in building)",
    ),
    (
        "a CHECK violation",
        _sql(
            "PRAGMA ignore_check_constraints = ON",
            "UPDATE building SET elderly = residents + 5 WHERE rowid = 1",
        ),
        "CHECK constraint failed",
    ),
    (
        "an append-only trigger replaced by one that deletes history",
        _sql(
            "DROP TRIGGER issue_event_no_delete",
            "CREATE TRIGGER issue_event_no_delete AFTER INSERT ON issue_event "
            "BEGIN DELETE FROM issue_event WHERE event_id < NEW.event_id; END",
        ),
        "triggers different from mapgov's: issue_event_no_delete",
    ),
    (
        "an extra trigger",
        _sql("CREATE TRIGGER wipe AFTER UPDATE ON issue BEGIN DELETE FROM change_log; END"),
        "triggers not mapgov's: wipe",
    ),
    (
        "an extra view",
        _sql("CREATE VIEW phones AS SELECT reporter_phone FROM issue"),
        "views not mapgov's: phones",
    ),
    (
        "a dropped index",
        _sql("DROP INDEX ix_building_compound"),
        "indexes missing: ix_building_compound",
    ),
]


@pytest.fixture
def good_backup(work_store: Store, tmp_path: Path) -> Path:
    """A good backup's database, bare (as an older mapgov wrote backups)."""
    return database_of(backup(work_store, tmp_path / "good.zip").path, tmp_path, "good.sqlite")


@pytest.mark.parametrize("packed", [False, True], ids=["bare", "in an archive"])
@pytest.mark.parametrize(("case", "damage", "named"), CORPUS, ids=[c[0] for c in CORPUS])
def test_a_damaged_backup_is_refused_and_the_database_is_untouched(
    work_store: Store,
    good_backup: Path,
    tmp_path: Path,
    case: str,
    damage: Callable[[sqlite3.Connection], None],
    named: str,
    packed: bool,
) -> None:
    bad = tmp_path / "bad.sqlite"
    shutil.copyfile(good_backup, bad)
    con = sqlite3.connect(bad)
    damage(con)
    con.commit()
    con.close()
    if packed:
        with zipfile.ZipFile(tmp_path / "bad.zip", "w", zipfile.ZIP_DEFLATED) as out:
            out.write(bad, "mapgov.sqlite")
        bad = tmp_path / "bad.zip"
    before = _sha(work_store.path)
    with pytest.raises(DataFileError) as refused:
        restore(bad, work_store.path)
    assert named in str(refused.value), str(refused.value)
    assert "当前数据库未作任何改动" in error_text(refused.value, "zh")
    assert _sha(work_store.path) == before


@pytest.mark.parametrize(
    "content", [b"", b"not a database at all" * 100, b"SQLite format 3\x00" + b"\x00" * 500]
)
def test_a_file_that_is_no_database_is_refused(
    work_store: Store, tmp_path: Path, content: bytes
) -> None:
    bad = tmp_path / "bad.sqlite"
    bad.write_bytes(content)
    before = _sha(work_store.path)
    with pytest.raises(DataFileError):
        restore(bad, work_store.path)
    assert _sha(work_store.path) == before


def test_a_truncated_backup_is_refused(
    work_store: Store, good_backup: Path, tmp_path: Path
) -> None:
    bad = tmp_path / "cut.sqlite"
    bad.write_bytes(good_backup.read_bytes()[: good_backup.stat().st_size // 2])
    before = _sha(work_store.path)
    with pytest.raises(DataFileError):
        restore(bad, work_store.path)
    assert _sha(work_store.path) == before


def test_a_whole_backup_is_restored(work_store: Store, good_backup: Path) -> None:
    counts = work_store.counts()
    with work_store.transaction() as con:
        con.execute("DELETE FROM zone_building")
    restore(good_backup, work_store.path)
    assert open_store(work_store.path).counts() == counts
