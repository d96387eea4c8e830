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
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
import shapely

from mapgov import cli
from mapgov.core.errors import StaleEditError, StoreError
from mapgov.core.i18n import error_text, t
from mapgov.core.model import SCHEMA_VERSION
from mapgov.domain import display_tokens, scorecard
from mapgov.store import Store, open_store
from mapgov.store.migrate import migrate, schema_version_of
from mapgov.store.schema_governance import UNKNOWN_START
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


SEVEN_TABLES = (
    "deliberation_event",
    "deliberation_issue",
    "deliberation_attendee",
    "deliberation_round",
    "deliberation",
    "property_evaluation",
    "property_company",
    "member_service",
    "member_registration",
)
"""The tables schema 7 added (deliberation and evaluation), children first."""
EIGHT_TABLES = ("property_tenure",)
"""The table schema 8 added (which company served a compound when)."""


def _as_schema_seven(demo_db: Path, path: Path) -> Path:
    """Today's demo as schema 7 had it: no record of which company served a compound when."""
    shutil.copyfile(demo_db, path)
    con = sqlite3.connect(path)
    try:
        for name in EIGHT_TABLES:
            con.execute(f"DROP TABLE {name}")
        con.execute("UPDATE meta SET value = '7' WHERE key = 'schema_version'")
        con.commit()
    finally:
        con.close()
    return path


def _as_schema_six(demo_db: Path, path: Path) -> Path:
    """Today's demo as schema 6 had it: no deliberation, scorecards or members' service, and
    no help requests in the ledger (schema 6's categories did not have them)."""
    _as_schema_seven(demo_db, path)
    con = sqlite3.connect(path)
    try:
        con.execute("PRAGMA foreign_keys = OFF")
        for name in SEVEN_TABLES:
            con.execute(f"DROP TABLE {name}")
        helps = "(SELECT issue_id FROM issue WHERE category LIKE 'help_%')"
        for name in ("issue_event", "issue_photo"):
            for op in ("update", "delete"):
                con.execute(f"DROP TRIGGER {name}_no_{op}")
            con.execute(f"DELETE FROM {name} WHERE issue_id IN {helps}")
        con.execute("DELETE FROM issue WHERE category LIKE 'help_%'")
        con.execute("UPDATE meta SET value = '6' WHERE key = 'schema_version'")
        con.commit()
    finally:
        con.close()
    return path


def _as_schema_five(demo_db: Path, path: Path) -> Path:
    """Today's demo as schema 5 had it: issues without a channel or a ticket, no photos."""
    _as_schema_six(demo_db, path)
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
from collections.abc import Callable
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


# An older mapgov server on PostgreSQL: a party edit after another on its pooled connection,
# each a transaction that counts data_version up, as the store's do; written down once
# committed. A few milliseconds between edits (people make them): back to back, every edit
# could be made while the migration waits for a moment when no table is held.
_OLD_PG_EDITOR = """
import sys
import time
from pathlib import Path
import psycopg

url, out, stop = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
con = psycopg.connect(url)
orgs = [r[0] for r in con.execute("SELECT org_id FROM party_org ORDER BY org_id LIMIT 3")]
con.commit()
with out.open("a", encoding="utf-8") as log:
    i = 0
    while not stop.exists() and i < 20000:
        org, value = orgs[i % len(orgs)], f"old-{i}"
        try:
            with con.transaction():
                con.execute("UPDATE party_org SET secretary = %s WHERE org_id = %s", (value, org))
                con.execute(
                    "INSERT INTO change_log (at, actor, op, table_name, record_key, field, "
                    "new_value) VALUES ('2026-11-15T10:00:00', 'old-editor', 'update', "
                    "'party_org', %s, 'secretary', %s)",
                    (org, value),
                )
                con.execute(
                    "UPDATE meta SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) "
                    "WHERE key = 'data_version'"
                )
        except psycopg.Error as err:  # refused (a deadlock broken): told so, not saved
            log.write(f"refused {i} {type(err).__name__}\\n")
        else:
            log.write(f"saved {org} {value}\\n")
        log.flush()
        i += 1
        time.sleep(0.003)
"""


def test_edits_saved_while_a_migration_runs_are_all_kept(
    backend: str, demo_db: Path, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    if backend == "sqlite":
        old, editor_code = str(_as_schema_three(demo_db, tmp_path / "street.sqlite")), _OLD_EDITOR
    else:
        old, editor_code = request.getfixturevalue("pg_street")(3), _OLD_PG_EDITOR
    log, stop = tmp_path / "edits.log", tmp_path / "stop"
    log.touch()
    editor = subprocess.Popen([sys.executable, "-c", editor_code, old, str(log), str(stop)])

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
        wait_for(len(saved()) + 5)  # and the edits go on, on the upgraded database
    finally:
        stop.touch()
        assert editor.wait(timeout=60) == 0
    edits = saved()
    store = open_store(old)
    logged = store.query(
        "SELECT record_key, new_value FROM change_log WHERE actor = 'old-editor' ORDER BY change_id"
    )
    assert list(logged.itertuples(index=False, name=None)) == edits
    last = dict(edits)
    now = store.read("party_org", where={"org_id": list(last)}, columns=["org_id", "secretary"])
    assert dict(zip(now["org_id"], now["secretary"], strict=True)) == last
    assert store.meta()["schema_version"] == str(SCHEMA_VERSION)


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


def test_a_schema_six_database_gains_deliberation_and_evaluation_empty(
    demo_db: Path, tmp_path: Path
) -> None:
    old = _as_schema_six(demo_db, tmp_path / "street.sqlite")
    ledger = _rows(old, "issue")
    assert migrate(old) == (6, SCHEMA_VERSION)
    assert database_problems(old) == []
    store = open_store(old)
    counts = store.counts()
    assert all(counts[name] == 0 for name in SEVEN_TABLES)
    after = store.query("SELECT * FROM issue ORDER BY issue_id")
    pd.testing.assert_frame_equal(after[ledger.columns], ledger)
    # the new history is append-only like the others
    with store.transaction() as con:
        con.execute(
            "INSERT INTO deliberation (matter_id, compound_id, title, status, proposed_at, "
            "proposed_by) SELECT 'M1', compound_id, 't', 'proposed', '2026-11-15T10:00:00', "
            "'s' FROM compound LIMIT 1"
        )
        con.execute(
            "INSERT INTO deliberation_event (matter_id, at, actor, action) "
            "VALUES ('M1', '2026-11-15T10:00:00', 's', 'propose')"
        )
    with pytest.raises(sqlite3.IntegrityError, match="append-only"), store.transaction() as con:
        con.execute("DELETE FROM deliberation_event")


def _seeded_tenures(store: Store) -> None:
    """One open tenure from before the records per compound a company serves, of that
    company, and no other (what the migration to schema 8 seeds)."""
    rows = store.read("property_tenure")
    prop = store.read("property_management")
    served = prop[(prop["mode"] == "company") & prop["company"].notna()]
    assert len(rows) == len(served) > 0
    merged = rows.merge(served, on="compound_id", suffixes=("", "_now"))
    assert len(merged) == len(rows) and (merged["company"] == merged["company_now"]).all()
    assert (rows["started_on"] == UNKNOWN_START).all() and rows["ended_on"].isna().all()


def test_a_schema_seven_database_gets_one_open_tenure_per_served_compound(
    demo_db: Path, tmp_path: Path
) -> None:
    old = _as_schema_seven(demo_db, tmp_path / "street.sqlite")
    prop = _rows(old, "property_management")
    assert migrate(old) == (7, SCHEMA_VERSION)
    assert database_problems(old) == []
    store = open_store(old)
    _seeded_tenures(store)
    after = store.query("SELECT * FROM property_management ORDER BY compound_id")
    prop = prop.sort_values("compound_id").reset_index(drop=True)
    pd.testing.assert_frame_equal(after[prop.columns], prop)
    # the scorecard of every month counts each compound for its present company, as before
    frames = scorecard.load_scorecard_frames(store)
    assert set(frames.issues["company"].dropna()) <= set(prop["company"].dropna())
    # one open tenure per compound
    with pytest.raises(sqlite3.IntegrityError), store.transaction() as con:
        con.execute(
            "INSERT INTO property_tenure SELECT compound_id, 'x', '2026-11-01', NULL "
            "FROM property_tenure LIMIT 1"
        )


def test_a_schema_seven_postgresql_database_gets_the_same_tenures(
    demo_db: Path, tmp_path: Path, pg_street: Callable[[int], str]
) -> None:
    url = pg_street(7)
    path = _as_schema_seven(demo_db, tmp_path / "street.sqlite")
    assert migrate(url) == migrate(path) == (7, SCHEMA_VERSION)
    ours, theirs = open_store(path), open_store(url)
    _seeded_tenures(theirs)
    key = ["compound_id", "started_on"]
    pd.testing.assert_frame_equal(
        ours.read("property_tenure").sort_values(key).reset_index(drop=True),
        theirs.read("property_tenure").sort_values(key).reset_index(drop=True),
    )


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


# -- PostgreSQL: the same steps, in one transaction of the server ------------------------------
# A database of an older schema is made from a copy of the PostgreSQL demo street by altering
# it back the way the SQLite files above are made (the same columns and tables gone).

_PG_BACK_TO: dict[int, tuple[str, ...]] = {
    7: (f"DROP TABLE {', '.join(EIGHT_TABLES)}",),
    6: (
        f"DROP TABLE {', '.join(SEVEN_TABLES)}",
        *(  # the help requests, with their history (allowed while replacing)
            f"DELETE FROM {name} WHERE issue_id IN "
            "(SELECT issue_id FROM issue WHERE category LIKE 'help_%')"
            for name in ("issue_photo", "issue_event", "issue")
        ),
    ),
    5: (
        "DROP TABLE issue_photo",
        "ALTER TABLE issue DROP COLUMN channel, DROP COLUMN ticket",
    ),
    4: (
        "ALTER TABLE app_user DROP COLUMN email, DROP COLUMN oidc_subject",
        "DROP INDEX ux_display_token_live",
        "ALTER TABLE display_token ADD UNIQUE (label)",
    ),
    3: (
        "DROP TABLE display_token, auth_session, audit_log",
        "ALTER TABLE app_user DROP COLUMN login, DROP COLUMN enabled, DROP COLUMN password_hash, "
        "DROP COLUMN must_change_password, DROP COLUMN created_at, DROP COLUMN changed_at, "
        "DROP COLUMN version",
    ),
    2: (
        "DROP TABLE micro_wish, volunteer_event, co_event",
        "ALTER TABLE unit_resource DROP COLUMN filed_by",
        "ALTER TABLE community_need DROP COLUMN closed_at, DROP COLUMN version",
        "ALTER TABLE co_project ADD COLUMN rating BIGINT "
        "CHECK (rating IS NULL OR rating BETWEEN 1 AND 5)",
        *(
            f"UPDATE co_project SET rating = {score} WHERE satisfaction = '{text}'"
            for text, score in _RATING.items()
        ),
        "ALTER TABLE co_project DROP COLUMN paired_by, DROP COLUMN started_at, "
        "DROP COLUMN rated_at, DROP COLUMN satisfaction, DROP COLUMN cancelled_at, "
        "DROP COLUMN version",
    ),
}


def _pg_as_schema(url: str, version: int) -> str:
    """The PostgreSQL database at `url` (this schema) altered back to schema `version`."""
    import psycopg

    with psycopg.connect(url) as con:
        con.execute("SET LOCAL mapgov.replacing = 'on'")  # co_project's history is kept
        for step in range(SCHEMA_VERSION - 1, version - 1, -1):
            for statement in _PG_BACK_TO[step]:
                con.execute(statement)
        con.execute("UPDATE meta SET value = %s WHERE key = 'schema_version'", [str(version)])
    return url


def _pg_tables(url: str, schema: str = "public") -> dict[str, pd.DataFrame]:
    """Every table of `schema`, rows in key order, geometry as WKB."""
    import psycopg

    frames = {}
    with psycopg.connect(url) as con:
        names = [
            r[0]
            for r in con.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = %s "
                "AND tablename <> 'spatial_ref_sys'",
                [schema],
            )
        ]
        for name in names:
            columns = con.execute(
                "SELECT column_name, udt_name FROM information_schema.columns "
                "WHERE table_schema = %s AND table_name = %s ORDER BY ordinal_position",
                [schema, name],
            ).fetchall()
            picked = ", ".join(
                f"ST_AsBinary({c}) AS {c}" if kind == "geometry" else c for c, kind in columns
            )
            cur = con.execute(f"SELECT {picked} FROM {schema}.{name} ORDER BY 1, 2")
            frames[name] = pd.DataFrame.from_records(
                cur.fetchall(), columns=[c for c, _ in columns]
            )
    return frames


_CATALOG = {
    "columns": "SELECT table_name, column_name, data_type, udt_name, is_nullable, "
    "column_default, collation_name FROM information_schema.columns "
    "WHERE table_schema = 'public' AND table_name <> 'spatial_ref_sys'",
    "constraints": "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) "
    "FROM pg_constraint WHERE connamespace = 'public'::regnamespace",
    "indexes": "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'",
    "triggers": "SELECT event_object_table, trigger_name, action_timing, event_manipulation, "
    "action_statement FROM information_schema.triggers WHERE trigger_schema = 'public'",
    "schemas": "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'mapgov%%'",
}


def _pg_catalog(url: str) -> dict[str, list[tuple[object, ...]]]:
    """The schema objects of the database at `url` (tables' columns, constraints, indexes,
    GiST ones among them, triggers), as sorted rows: two databases of the same schema have the
    same catalog."""
    import psycopg

    with psycopg.connect(url) as con:
        return {
            what: sorted(con.execute(query).fetchall(), key=repr)
            for what, query in _CATALOG.items()
        }


def _same_rows(a: pd.DataFrame, b: pd.DataFrame, name: str) -> None:
    """The same rows; geometry the same shapes (a migration writes every geometry anew, on
    either backend: a ring may then start at another of its points)."""
    if "geom" in a.columns:
        ours, theirs = (shapely.normalize(shapely.from_wkb(f["geom"].to_numpy())) for f in (a, b))
        assert shapely.equals_exact(ours, theirs, 0).all(), name
        a, b = a.drop(columns="geom"), b.drop(columns="geom")
    pd.testing.assert_frame_equal(a, b, obj=name)


def _pg_meta(url: str, schema: str = "public") -> dict[str, str]:
    import psycopg

    with psycopg.connect(url) as con:
        return dict(con.execute(f"SELECT key, value FROM {schema}.meta").fetchall())


@pytest.fixture
def pg_street(
    pg_database: Callable[[str | None], str], pg_demo_template: str
) -> Callable[[int], str]:
    """Makes a private PostgreSQL copy of the demo street at an older schema version."""
    return lambda version: _pg_as_schema(pg_database(pg_demo_template), version)


@pytest.fixture
def fresh_catalog(
    pg_database: Callable[[str | None], str], pg_demo_template: str
) -> dict[str, list[tuple[object, ...]]]:
    """The catalog of the demo street built by this mapgov (:func:`_pg_catalog`)."""
    return _pg_catalog(pg_database(pg_demo_template))


def test_a_schema_five_postgresql_database_comes_up_whole(
    pg_street: Callable[[int], str], fresh_catalog: dict[str, list[tuple[object, ...]]]
) -> None:
    url = pg_street(5)
    with pytest.raises(StoreError, match="mapgov migrate --db URL") as refused:
        open_store(url)
    assert refused.value.key == "error.store.schema_old_server"  # the app does not upgrade it
    assert "mapgov migrate --db URL" in error_text(refused.value, "en")
    before = _pg_tables(url)
    meta = _pg_meta(url)
    assert "issue_photo" not in before and "ticket" not in before["issue"].columns
    assert migrate(url) == (5, SCHEMA_VERSION)
    after = _pg_tables(url)
    assert sorted(after) == sorted([*before, "issue_photo", *SEVEN_TABLES, *EIGHT_TABLES])
    for name, rows in before.items():
        if name != "meta":  # every row of every table, as it was
            _same_rows(after[name][rows.columns], rows, name)
    issues = after["issue"]
    assert len(issues) > 0
    assert (issues["channel"] == "desk").all() and issues["ticket"].isna().all()
    assert len(after["issue_photo"]) == 0
    now = _pg_meta(url)
    assert now["schema_version"] == str(SCHEMA_VERSION) and now["migrated_from"] == "5"
    assert int(now["data_version"]) == int(meta["data_version"]) + 1
    # the same schema objects as a database built by this mapgov (tables, keys, foreign keys,
    # checks, indexes, GiST indexes, append-only triggers), plus the kept schema
    fresh = fresh_catalog
    migrated = _pg_catalog(url)
    assert migrated["schemas"] == [("mapgov_v5",)]
    assert {k: v for k, v in migrated.items() if k != "schemas"} == {
        k: v for k, v in fresh.items() if k != "schemas"
    }
    # the old tables, as they were, in their schema
    kept = _pg_tables(url, "mapgov_v5")
    assert sorted(kept) == sorted(before)
    for name, rows in before.items():
        pd.testing.assert_frame_equal(kept[name], rows, obj=name)  # byte for byte
    assert _pg_meta(url, "mapgov_v5") == meta
    # the store opens it; its histories refuse changes; new rows get new keys
    store = open_store(url)
    assert store.counts()["issue"] == len(issues)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"), store.transaction() as con:
        con.execute("DELETE FROM issue_event")
    with store.transaction() as con:
        new = con.execute(
            "INSERT INTO change_log (at, actor, op, table_name, record_key, field, new_value) "
            "VALUES ('2026-11-15T10:00:00', 't', 'update', 'party_org', 'x', 'secretary', 'y')"
        ).lastrowid
    assert new == max(before["change_log"]["change_id"], default=0) + 1
    assert migrate(url) == (SCHEMA_VERSION, SCHEMA_VERSION)  # nothing more to do


def test_a_schema_two_database_migrates_alike_on_both_backends(
    demo_db: Path, tmp_path: Path, pg_street: Callable[[int], str]
) -> None:
    from tests.unit.test_store_postgres import _same

    path = _as_schema_two(demo_db, tmp_path / "street.sqlite")
    url = pg_street(2)
    projects = _pg_tables(url)["co_project"]
    assert projects["rating"].notna().any()
    assert migrate(path) == migrate(url) == (2, SCHEMA_VERSION)
    ours, theirs = open_store(path), open_store(url)
    assert ours.counts() == theirs.counts()
    from mapgov.store.schema import TABLES

    for spec in TABLES:
        _same(ours.read(spec.name), theirs.read(spec.name))
    assert theirs.meta()["migrated_from"] == "2"


def test_a_newer_postgresql_database_is_left_alone(
    pg_database: Callable[[str | None], str], pg_demo_template: str
) -> None:
    import psycopg

    url = pg_database(pg_demo_template)
    with psycopg.connect(url) as con:
        con.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    catalog, rows = _pg_catalog(url), _pg_tables(url)
    with pytest.raises(StoreError, match="cannot migrate schema version 99"):
        migrate(url)
    assert _pg_catalog(url) == catalog
    for name, frame in _pg_tables(url).items():
        pd.testing.assert_frame_equal(frame, rows[name], obj=name)
    empty = pg_database(None)
    with pytest.raises(StoreError, match="not a mapgov database"):
        migrate(empty)


def test_a_failed_postgresql_migration_leaves_the_database_as_it_was(
    pg_street: Callable[[int], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from mapgov.store import pgmigrate

    url = pg_street(3)
    catalog, rows = _pg_catalog(url), _pg_tables(url)
    real = pgmigrate.load_schema

    def load_then_fail(*args: object, **kwargs: object) -> None:
        real(*args, **kwargs)  # type: ignore[arg-type]
        msg = "the disk went away"
        raise StoreError(msg)

    monkeypatch.setattr(pgmigrate, "load_schema", load_then_fail)
    with pytest.raises(StoreError, match="the disk went away"):
        migrate(url)
    assert _pg_catalog(url) == catalog  # no kept schema, the old tables where they were
    for name, frame in _pg_tables(url).items():
        pd.testing.assert_frame_equal(frame, rows[name], obj=name)


def test_cli_migrate_postgresql(
    pg_street: Callable[[int], str], capsys: pytest.CaptureFixture[str]
) -> None:
    url = pg_street(4)
    assert cli.main(["migrate", "--db", url]) == 0
    out = capsys.readouterr().out
    assert f"schema version 4 -> {SCHEMA_VERSION}" in out and "schema mapgov_v4" in out
    assert cli.main(["migrate", "--db", url]) == 0
    assert f"already at schema version {SCHEMA_VERSION}" in capsys.readouterr().out
    assert open_store(url).meta()["schema_version"] == str(SCHEMA_VERSION)


def test_two_postgresql_migrations_at_once_upgrade_it_once(
    pg_street: Callable[[int], str],
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    url = pg_street(5)
    with ThreadPoolExecutor(2) as pool:
        done = list(pool.map(migrate, [url, url]))
    # one upgraded it; the other found it upgraded, before or after waiting for its locks
    assert (5, SCHEMA_VERSION) in done and {new for _, new in done} == {SCHEMA_VERSION}
    assert _pg_catalog(url)["schemas"] == [("mapgov_v5",)]
    assert _pg_meta(url)["schema_version"] == str(SCHEMA_VERSION)


def test_a_postgresql_migration_may_drop_the_old_tables(
    pg_street: Callable[[int], str], fresh_catalog: dict[str, list[tuple[object, ...]]]
) -> None:
    from mapgov.store.pgmigrate import migrate_pg

    url = pg_street(5)
    issues = len(_pg_tables(url)["issue"])
    assert migrate_pg(url, keep_old=False) == (5, SCHEMA_VERSION, None)
    assert _pg_catalog(url) == fresh_catalog  # nothing kept
    assert open_store(url).counts()["issue"] == issues
