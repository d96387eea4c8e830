"""Upgrading a database made by an older mapgov keeps every record.

The schema-2 database is made here from today's demo the way schema 2 had it: without the
co-building history tables and step columns, and with a 1-5 project rating.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from mapgov import cli
from mapgov.core.errors import StaleEditError, StoreError
from mapgov.core.i18n import t
from mapgov.core.model import SCHEMA_VERSION
from mapgov.domain import display_tokens
from mapgov.store import open_store
from mapgov.store.migrate import migrate, schema_version_of
from mapgov.store.sqlite import database_problems
from tests.apptest import sign_in

_RATING = {"satisfied": 5, "basically_satisfied": 3, "unsatisfied": 1}


_SCHEMA_THREE_USER = (
    "CREATE TABLE app_user (user_id TEXT PRIMARY KEY, name TEXT NOT NULL, role TEXT NOT NULL "
    "CHECK (role IN ('leader', 'planner', 'staff', 'admin')), "
    "street_id TEXT REFERENCES street (street_id), "
    "community_id TEXT REFERENCES community (community_id), "
    "CHECK (role <> 'staff' OR community_id IS NOT NULL))"
)


def _as_schema_five(demo_db: Path, path: Path) -> Path:
    """Today's demo as schema 5 had it: issues without a channel or a ticket, no photos."""
    shutil.copyfile(demo_db, path)
    con = sqlite3.connect(path)
    try:
        con.execute("PRAGMA foreign_keys = OFF")
        con.execute("PRAGMA legacy_alter_table = ON")  # issue_event keeps naming "issue"
        sql = dict(con.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table'"))
        ddl = " ".join(sql["issue"].split())
        five = re.sub(
            r", channel TEXT NOT NULL DEFAULT 'desk' CHECK \(channel IN \([^)]*\)\), "
            r"ticket TEXT UNIQUE",
            "",
            ddl,
        )
        assert five != ddl
        columns = ", ".join(
            r[1]
            for r in con.execute("PRAGMA table_info(issue)")
            if r[1] not in ("channel", "ticket")
        )
        con.execute("DROP TABLE issue_photo")
        con.execute("ALTER TABLE issue RENAME TO issue_6")
        con.execute(five)
        con.execute(f"INSERT INTO issue SELECT {columns} FROM issue_6")
        con.execute("DROP TABLE issue_6")
        con.execute("UPDATE meta SET value = '5' WHERE key = 'schema_version'")
        con.commit()
    finally:
        con.close()
    return path


def _as_schema_three(demo_db: Path, path: Path) -> Path:
    """Today's demo as schema 3 had it: users without logins or passwords, no accounts'
    tables."""
    _as_schema_five(demo_db, path)
    con = sqlite3.connect(path)
    try:
        for name in ("display_token", "auth_session", "audit_log"):
            con.execute(f"DROP TABLE {name}")
        con.execute("ALTER TABLE app_user RENAME TO app_user_4")
        con.execute(_SCHEMA_THREE_USER)
        con.execute(
            "INSERT INTO app_user SELECT user_id, name, role, street_id, community_id "
            "FROM app_user_4"
        )
        con.execute("DROP TABLE app_user_4")
        con.execute("UPDATE meta SET value = '3' WHERE key = 'schema_version'")
        con.commit()
    finally:
        con.close()
    return path


def _as_schema_two(demo_db: Path, path: Path) -> Path:
    _as_schema_three(demo_db, path)
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
    pd.testing.assert_frame_equal(store.query("SELECT * FROM issue")[ledger.columns], ledger)
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


def test_a_schema_three_database_gets_accounts_without_passwords(
    demo_db: Path, tmp_path: Path
) -> None:
    old = _as_schema_three(demo_db, tmp_path / "street.sqlite")
    users = _rows(old, "app_user")
    ledger = _rows(old, "issue")
    assert "password_hash" not in users.columns
    assert migrate(old) == (3, SCHEMA_VERSION)
    store = open_store(old)
    after = store.read("app_user")
    assert sorted(after["user_id"]) == sorted(users["user_id"])
    assert (after["login"] == after["user_id"]).all()  # the login is the old user id
    assert after["password_hash"].isna().all()  # nobody signs in until `mapgov user passwd`
    assert (after["enabled"] == 1).all() and (after["version"] == 1).all()
    assert (after["must_change_password"] == 0).all()
    pd.testing.assert_frame_equal(store.query("SELECT * FROM issue")[ledger.columns], ledger)
    counts = store.counts()
    assert counts["audit_log"] == counts["auth_session"] == counts["display_token"] == 0
    con = sqlite3.connect(old)
    try:
        con.execute(
            "INSERT INTO audit_log (at, actor, kind) VALUES ('2026-01-01T00:00:00', 'x', 'sign_in')"
        )
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):  # its triggers hold
            con.execute("DELETE FROM audit_log")
    finally:
        con.close()
    assert schema_version_of(tmp_path / "street.v3.sqlite") == 3


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
    assert f"schema version 2 -> {SCHEMA_VERSION}" in capsys.readouterr().out
    assert cli.main(["migrate", "--db", str(old)]) == 0
    assert f"already at schema version {SCHEMA_VERSION}" in capsys.readouterr().out


def test_the_app_upgrades_an_old_database_at_its_start(
    demo_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from streamlit.testing.v1 import AppTest

    from mapgov.core.config import DB_ENV

    old = _as_schema_two(demo_db, tmp_path / "app.sqlite")
    monkeypatch.setenv(DB_ENV, str(old))
    root = Path(__file__).resolve().parents[2]
    at = AppTest.from_file(str(root / "app.py"), default_timeout=120)
    at.query_params["lang"] = "en"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    assert schema_version_of(old) == SCHEMA_VERSION
    assert any("upgraded from schema version 2" in toast.value for toast in at.toast)
    assert at.title[0].value == t("auth.title", "en")  # the sign-in form, on upgraded data
    sign_in(at)
    from mapgov.ui.shell import PAGES

    for spec in PAGES[1:]:  # every other page on the upgraded data
        page = at.switch_page(spec.script).run()
        assert not page.exception, (spec.key, [e.value for e in page.exception])
        assert not page.error, (spec.key, [e.value for e in page.error])


# An older mapgov still serving the office: a party edit after another, in plain SQL on the
# schema both versions share, each written down once committed.
_OLD_EDITOR = """
import sqlite3, sys
from pathlib import Path

db, out, stop = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
orgs = [r[0] for r in sqlite3.connect(db).execute("SELECT org_id FROM party_org LIMIT 3")]
with out.open("a", encoding="utf-8") as log:
    i = 0
    while not stop.exists() and i < 5000:
        org, value = orgs[i % len(orgs)], f"old-{i}"
        con = sqlite3.connect(db, timeout=30)
        try:
            with con:
                con.execute("UPDATE party_org SET secretary = ? WHERE org_id = ?", (value, org))
                con.execute(
                    "INSERT INTO change_log (at, actor, op, table_name, record_key, field, "
                    "new_value) VALUES ('2026-11-15T10:00:00', 'old-editor', 'update', "
                    "'party_org', ?, 'secretary', ?)",
                    (org, value),
                )
        except sqlite3.Error as err:  # busy: told so, not saved
            log.write(f"refused {i} {err}\\n")
        else:
            log.write(f"saved {org} {value}\\n")
        finally:
            con.close()
        log.flush()
        i += 1
"""


def test_edits_saved_while_a_migration_runs_are_all_kept(demo_db: Path, tmp_path: Path) -> None:
    old = _as_schema_three(demo_db, tmp_path / "street.sqlite")
    log, stop = tmp_path / "edits.log", tmp_path / "stop"
    log.touch()
    editor = subprocess.Popen([sys.executable, "-c", _OLD_EDITOR, str(old), str(log), str(stop)])

    def saved() -> list[tuple[str, str]]:
        lines = log.read_text(encoding="utf-8").split("\n")[:-1]  # whole lines only
        return [(p[1], p[2]) for line in lines if (p := line.split())[0] == "saved"]

    def wait_for(count: int) -> None:
        end = time.monotonic() + 60
        while len(saved()) < count:
            assert editor.poll() is None and time.monotonic() < end
            time.sleep(0.02)  # the poll interval: the edits come from another process's log

    try:
        wait_for(5)
        assert migrate(old) == (3, SCHEMA_VERSION)
        wait_for(len(saved()) + 5)  # and the edits go on, on the upgraded file
    finally:
        stop.touch()
        assert editor.wait(timeout=60) == 0
    edits = saved()
    store = open_store(old)
    logged = store.query(
        "SELECT record_key, new_value FROM change_log WHERE actor = 'old-editor' ORDER BY rowid"
    )
    assert list(logged.itertuples(index=False, name=None)) == edits
    last = dict(edits)
    now = store.read("party_org", where={"org_id": list(last)}, columns=["org_id", "secretary"])
    assert dict(zip(now["org_id"], now["secretary"], strict=True)) == last
    assert schema_version_of(old) == SCHEMA_VERSION


def _as_schema_four(demo_db: Path, path: Path) -> Path:
    """Today's demo as schema 4 had it: accounts without e-mail or OpenID subject, a display
    token's label unique among all tokens, one token "大屏" revoked."""
    _as_schema_five(demo_db, path)
    con = sqlite3.connect(path)
    try:
        sql = dict(con.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table'"))
        con.execute("PRAGMA foreign_keys = OFF")
        con.execute("DROP INDEX ux_display_token_live")
        for name, old, new in (
            ("app_user", ", email TEXT UNIQUE, oidc_subject TEXT UNIQUE", ""),
            ("display_token", "label TEXT NOT NULL,", "label TEXT NOT NULL UNIQUE,"),
        ):
            four = " ".join(sql[name].split()).replace(old, new)
            assert four != " ".join(sql[name].split()), name
            columns = (
                "*"
                if name == "display_token"
                else ", ".join(
                    r[1]
                    for r in con.execute(f"PRAGMA table_info({name})")
                    if r[1] not in ("email", "oidc_subject")
                )
            )
            con.execute(f"ALTER TABLE {name} RENAME TO {name}_5")
            con.execute(four)
            con.execute(f"INSERT INTO {name} SELECT {columns} FROM {name}_5")
            con.execute(f"DROP TABLE {name}_5")
        con.execute(
            "INSERT INTO display_token (label, street_id, token_hash, created_at, created_by, "
            "revoked_at) VALUES ('大屏', 'S001', 'x', '2026-01-01T00:00:00', 't', "
            "'2026-02-01T00:00:00')"
        )
        con.execute("UPDATE meta SET value = '4' WHERE key = 'schema_version'")
        con.commit()
    finally:
        con.close()
    return path


def test_a_schema_four_database_reuses_a_revoked_token_label(demo_db: Path, tmp_path: Path) -> None:
    old = _as_schema_four(demo_db, tmp_path / "street.sqlite")
    logins = sorted(_rows(old, "app_user")["login"])
    assert migrate(old) == (4, SCHEMA_VERSION)
    store = open_store(old)
    assert database_problems(old) == []
    users = store.read("app_user")
    assert sorted(users["login"]) == logins
    assert users["email"].isna().all() and users["oidc_subject"].isna().all()
    now = dt.datetime(2026, 3, 1, 9, 0)
    display_tokens.add_display_token(
        store, "大屏", "S001", now=now, actor="t"
    )  # revoked: free again
    with pytest.raises(StaleEditError):  # but two live tokens do not share a label
        display_tokens.add_display_token(store, "大屏", "S001", now=now, actor="t")
    labels = store.read("display_token")["label"]
    assert (labels == "大屏").sum() == 2


def test_a_schema_five_ledger_is_all_desk_work_without_photos(
    demo_db: Path, tmp_path: Path
) -> None:
    old = _as_schema_five(demo_db, tmp_path / "street.sqlite")
    ledger = _rows(old, "issue")
    assert "ticket" not in ledger.columns
    assert migrate(old) == (5, SCHEMA_VERSION)
    assert database_problems(old) == []
    store = open_store(old)
    after = store.query("SELECT * FROM issue ORDER BY issue_id")
    pd.testing.assert_frame_equal(after[ledger.columns], ledger)
    assert (after["channel"] == "desk").all() and after["ticket"].isna().all()
    assert store.counts()["issue_photo"] == 0
