"""Upgrading a database made by an older mapgov keeps every record.

The schema-2 database is made here from today's demo the way schema 2 had it: without the
co-building history tables and step columns, and with a 1-5 project rating.
"""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
from pathlib import Path

import pandas as pd
import pytest

from mapgov import cli
from mapgov.errors import StoreError
from mapgov.model import SCHEMA_VERSION
from mapgov.store import open_store
from mapgov.store.migrate import migrate, schema_version_of

_RATING = {"satisfied": 5, "basically_satisfied": 3, "unsatisfied": 1}


def _as_schema_two(demo_db: Path, path: Path) -> Path:
    shutil.copyfile(demo_db, path)
    con = sqlite3.connect(path)
    try:
        for name in ("micro_wish", "volunteer_event", "co_event"):
            con.execute(f"DROP TABLE {name}")
        con.execute("ALTER TABLE unit_resource DROP COLUMN filed_by")
        for column in ("closed_at", "version"):
            con.execute(f"ALTER TABLE community_need DROP COLUMN {column}")
        con.execute(
            "ALTER TABLE co_project ADD COLUMN rating INTEGER "
            "CHECK (rating IS NULL OR rating BETWEEN 1 AND 5)"
        )
        for text, score in _RATING.items():
            con.execute("UPDATE co_project SET rating = ? WHERE satisfaction = ?", (score, text))
        for column in ("paired_by", "started_at", "rated_at", "satisfaction", "cancelled_at",
                       "version"):  # fmt: skip
            con.execute(f"ALTER TABLE co_project DROP COLUMN {column}")
        con.execute("UPDATE meta SET value = '2' WHERE key = 'schema_version'")
        con.commit()
    finally:
        con.close()
    return path


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _rows(path: Path, table: str) -> pd.DataFrame:
    con = sqlite3.connect(path)
    try:
        return pd.read_sql_query(f"SELECT * FROM {table}", con)
    finally:
        con.close()


def test_a_schema_two_database_comes_up_whole(demo_db: Path, tmp_path: Path) -> None:
    old = _as_schema_two(demo_db, tmp_path / "street.sqlite")
    with pytest.raises(StoreError, match="mapgov migrate"):
        open_store(old)
    ledger = _rows(old, "issue")
    history = _rows(old, "issue_event")
    projects = _rows(old, "co_project")
    assert migrate(old) == (2, SCHEMA_VERSION)
    store = open_store(old)
    pd.testing.assert_frame_equal(store.query("SELECT * FROM issue"), ledger)
    pd.testing.assert_frame_equal(store.query("SELECT * FROM issue_event"), history)
    assert store.counts()["building"] == open_store(demo_db).counts()["building"]
    after = store.read("co_project").set_index("project_id")
    rated = projects.dropna(subset=["rating"]).set_index("project_id")
    assert len(rated) > 0
    expected = rated["rating"].map({5: "satisfied", 3: "basically_satisfied", 1: "unsatisfied"})
    assert after.loc[rated.index, "satisfaction"].tolist() == expected.tolist()
    assert after.loc[rated.index, "rated_at"].tolist() == rated["completed_at"].tolist()
    assert (after["version"] == 1).all()
    assert store.counts()["micro_wish"] == 0 and store.counts()["co_event"] == 0
    assert store.meta()["migrated_from"] == "2"
    kept = tmp_path / "street.v2.sqlite"
    assert schema_version_of(kept) == 2  # the old file, beside it
    assert migrate(old) == (SCHEMA_VERSION, SCHEMA_VERSION)  # nothing more to do


def test_what_cannot_be_migrated_is_left_alone(demo_db: Path, tmp_path: Path) -> None:
    newer = tmp_path / "newer.sqlite"
    shutil.copyfile(demo_db, newer)
    con = sqlite3.connect(newer)
    con.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    con.commit()
    con.close()
    digest = _sha(newer)
    with pytest.raises(StoreError, match="cannot migrate schema version 99"):
        migrate(newer)
    assert _sha(newer) == digest
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"not a database at all" * 100)
    with pytest.raises(StoreError, match="not a mapgov database"):
        migrate(junk)
    with pytest.raises(StoreError, match="no database"):
        migrate(tmp_path / "missing.sqlite")


def test_cli_migrate(demo_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old = _as_schema_two(demo_db, tmp_path / "m.sqlite")
    assert cli.main(["migrate", "--db", str(old)]) == 0
    assert "schema version 2 -> 3" in capsys.readouterr().out
    assert cli.main(["migrate", "--db", str(old)]) == 0
    assert "already at schema version 3" in capsys.readouterr().out


def test_the_app_upgrades_an_old_database_at_its_start(
    demo_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from streamlit.testing.v1 import AppTest

    from mapgov.config import DB_ENV

    old = _as_schema_two(demo_db, tmp_path / "app.sqlite")
    monkeypatch.setenv(DB_ENV, str(old))
    root = Path(__file__).resolve().parents[1]
    at = AppTest.from_file(str(root / "app.py"), default_timeout=120)
    at.query_params["lang"] = "en"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    assert schema_version_of(old) == SCHEMA_VERSION
    assert any("upgraded from schema version 2" in toast.value for toast in at.toast)
    from mapgov.ui.shell import PAGES

    for spec in PAGES[1:]:  # every other page on the upgraded data
        page = at.switch_page(spec.script).run()
        assert not page.exception, (spec.key, [e.value for e in page.exception])
        assert not page.error, (spec.key, [e.value for e in page.error])
