"""Faults of SQLite and of the disk say what happened and what to do, in one line, and
change nothing; reads go on where SQLite allows."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest

from mapgov.cli import main
from mapgov.core.errors import StoreError
from mapgov.core.i18n import error_text
from mapgov.io.importers import backup, load
from mapgov.store import Store, open_store
from mapgov.store import sqlite as backend

from .test_importers import _sha


@pytest.fixture
def quick_locks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(backend, "BUSY_TIMEOUT_S", 0.2)  # 30 s in use


@pytest.fixture
def other_writer(work_store: Store) -> Iterator[sqlite3.Connection]:
    """Another program in the middle of a write transaction on the same database."""
    con = sqlite3.connect(work_store.path)
    con.execute("BEGIN IMMEDIATE")
    yield con
    con.rollback()
    con.close()


def _write(store: Store) -> None:
    with store.transaction() as con:
        con.execute("UPDATE meta SET value = 'x' WHERE key = 'note'")


@pytest.mark.usefixtures("quick_locks")
def test_a_write_while_another_program_writes_says_busy_and_reads_go_on(
    work_store: Store, other_writer: sqlite3.Connection
) -> None:
    before = work_store.data_version()
    with pytest.raises(StoreError, match="the database is busy") as busy:
        _write(work_store)
    assert "请稍后再试" in error_text(busy.value, "zh")
    assert work_store.counts()["building"] > 0  # reading is not blocked by a writer (WAL)
    other_writer.rollback()
    assert work_store.data_version() == before


@pytest.mark.usefixtures("quick_locks")
def test_an_exclusive_lock_is_called_busy_not_a_broken_database(
    work_store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    con = sqlite3.connect(work_store.path)
    con.execute("PRAGMA locking_mode = EXCLUSIVE")
    con.execute("BEGIN EXCLUSIVE")
    con.execute("UPDATE meta SET value = value WHERE key = 'data_version'")
    try:
        with pytest.raises(StoreError, match="busy") as busy:
            open_store(work_store.path)
        assert "not a mapgov database" not in str(busy.value)
        assert main(["info", "--db", str(work_store.path)]) == 1
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "the database is busy" in err[0]
    finally:
        con.rollback()
        con.close()


@pytest.fixture
def full_disk(work_store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every connection may not grow the database by a page: as on a full disk."""
    connect = backend._connect

    def no_room(path: Path, *, readonly: bool = False) -> sqlite3.Connection:
        con = connect(path, readonly=readonly)
        pages = con.execute("PRAGMA page_count").fetchone()[0]
        con.execute(f"PRAGMA max_page_count = {pages}")
        return con

    monkeypatch.setattr(backend, "_connect", no_room)


@pytest.mark.usefixtures("full_disk")
def test_a_write_on_a_full_disk_says_so_and_changes_nothing(work_store: Store) -> None:
    con = sqlite3.connect(work_store.path)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # the database file holds every row
    con.close()
    before = _sha(work_store.path)
    rows = pd.DataFrame({"note": ["楼道灯不亮" * 200] * 2000})
    with (
        pytest.raises(StoreError, match="the disk is full") as full,
        work_store.transaction() as tx,
    ):
        tx.executemany(
            "INSERT INTO meta (key, value) VALUES (?, ?)",
            [(f"k{i}", v) for i, v in enumerate(rows["note"])],
        )
    assert "磁盘已满" in error_text(full.value, "zh")
    con = sqlite3.connect(work_store.path)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    assert _sha(work_store.path) == before


class _NoRoom:
    """A connection whose online backup meets a full disk (the rest as the real one)."""

    def __init__(self, con: sqlite3.Connection) -> None:
        self._con = con

    def __getattr__(self, name: str) -> object:
        return getattr(self._con, name)

    def backup(self, target: object) -> None:  # noqa: ARG002 (the copy it never makes)
        msg = "database or disk is full"
        raise sqlite3.OperationalError(msg)


def test_a_backup_onto_a_full_disk_says_so_and_leaves_no_half_copy(
    work_store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    connect = sqlite3.connect
    shim = SimpleNamespace(
        connect=lambda path: _NoRoom(connect(path)), OperationalError=sqlite3.OperationalError
    )
    monkeypatch.setattr(load, "sqlite3", shim)
    folder = tmp_path / "backups"
    folder.mkdir()
    with pytest.raises(StoreError, match="the disk is full"):
        backup(work_store, folder / "备份.sqlite")
    assert sorted(folder.iterdir()) == []  # neither the backup nor a half-written copy
