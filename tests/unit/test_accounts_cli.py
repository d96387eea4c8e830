"""`mapgov user | token | audit` end to end, and `mapgov export` keeping hashes inside."""

from __future__ import annotations

import datetime as dt
import io
import shutil
from pathlib import Path

import pandas as pd
import pytest

from mapgov import cli
from mapgov.core import clock
from mapgov.core.errors import SignInError
from mapgov.domain import accounts, display_tokens
from mapgov.store import Store, open_store
from tests.conftest import DEMO_PASSWORD

NOW = dt.datetime(2026, 11, 16, 9, 0)
GOOD = "Blue-river-bridge-7"


@pytest.fixture
def db(demo_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private copy of the demo; the CLI's clock at NOW; the OS user "ops"."""
    path = tmp_path / "street.sqlite"
    shutil.copyfile(demo_db, path)
    monkeypatch.setattr(clock, "system_now", lambda: NOW)
    monkeypatch.setattr("getpass.getuser", lambda: "ops")
    return path


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = cli.main(args)
    out, err = capsys.readouterr()
    return code, out, err


def _stdin(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(text))


def _store(db: Path) -> Store:
    return open_store(db)


def test_user_add_with_a_password_from_stdin(
    db: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _stdin(monkeypatch, GOOD + "\n")
    code, out, err = _run(
        [
            "user",
            "add",
            "li.na",
            "--role",
            "admin",
            "--street",
            "S001",
            "--name",
            "李娜",
            "--password-stdin",
            "--db",
            str(db),
        ],
        capsys,
    )
    assert (code, err) == (0, "")
    assert out == "li.na: added (admin, S001)\n"  # no password printed: the person chose it
    account = accounts.get_account(_store(db), "li.na")
    assert (account.name, account.role.value, account.must_change_password) == (
        "李娜",
        "admin",
        False,
    )
    assert accounts.sign_in(_store(db), "li.na", GOOD, now=NOW, source="t")
    entry = accounts.read_audit(_store(db)).iloc[-2]  # before the sign-in
    assert (entry["actor"], entry["kind"], entry["subject"], entry["source"]) == (
        "cli:ops",
        "account_added",
        "li.na",
        "cli",
    )


def test_user_add_without_a_password_prints_a_one_time_one(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = _run(
        ["user", "add", "zhou.qi", "--role", "staff", "--community", "S001-C3", "--db", str(db)],
        capsys,
    )
    assert code == 0
    added, line = out.splitlines()
    assert added == "zhou.qi: added (staff, S001-C3)"
    one_time = line.rsplit(": ", 1)[1]
    assert len(one_time) >= 16
    account = accounts.get_account(_store(db), "zhou.qi")
    assert account.must_change_password and account.street_id == "S001"
    accounts.sign_in(_store(db), "zhou.qi", one_time, now=NOW, source="t")


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["user", "add", "x.y", "--role", "staff"], "need a community"),
        (["user", "add", "S001-admin", "--role", "admin"], "is taken"),
        (["user", "add", "x.y", "--role", "king"], "invalid choice"),
        (["user", "disable", "nobody"], "no account 'nobody'"),
        (["user", "passwd", "nobody"], "no account 'nobody'"),
        (["token", "revoke", "no such wall"], "no live display token"),
        (["token", "add", "墙", "--street", "S404"], "no street 'S404'"),
        (["audit", "--out", "log.geojson"], "--out must end in .csv or .xlsx"),
        (["audit", "--since", "yesterday"], "YYYY-MM-DD"),
        (["export", "app_user", "users.csv"], "app_user is not exported"),
        (["export", "audit_log", "log.csv"], "audit_log is not exported"),
    ],
)
def test_errors_are_one_line(
    args: list[str], says: str, db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _run([*args, "--db", str(db)], capsys)
    assert code in (1, 2) and out == ""
    assert err.startswith("mapgov: error: ") and says in err and err.count("\n") == 1


def test_a_refused_password_from_stdin_is_one_line(
    db: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _stdin(monkeypatch, "password1\n")
    code, _, err = _run(
        ["user", "passwd", "S001-admin", "--password-stdin", "--db", str(db)], capsys
    )
    assert code == 1 and "at least 10 characters" in err
    _stdin(monkeypatch, "")
    code, _, err = _run(
        ["user", "passwd", "S001-admin", "--password-stdin", "--db", str(db)], capsys
    )
    assert code == 1 and "no password on standard input" in err
    accounts.sign_in(_store(db), "S001-admin", DEMO_PASSWORD, now=NOW, source="t")  # unchanged


def test_user_list_shows_no_hashes(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(["user", "list", "--db", str(db)], capsys)
    assert code == 0
    rows = [line.split("\t") for line in out.splitlines()]
    assert [r[0] for r in rows][:3] == ["S001-leader", "S001-planner", "S001-admin"]
    assert all(r[5] == "enabled" and r[6] == "password set" for r in rows)
    assert "$argon2" not in out


def test_user_disable_and_passwd(
    db: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    store = _store(db)
    token = accounts.sign_in(store, "S001-C1-staff1", DEMO_PASSWORD, now=NOW, source="t")
    code, out, _ = _run(["user", "disable", "S001-C1-staff1", "--db", str(db)], capsys)
    assert code == 0 and "disabled" in out
    assert accounts.session_account(store, token, now=NOW) is None
    code, out, _ = _run(["user", "passwd", "S001-C2-staff1", "--db", str(db)], capsys)
    one_time = out.splitlines()[-1].rsplit(": ", 1)[1]
    assert accounts.get_account(store, "S001-C2-staff1").must_change_password
    accounts.sign_in(store, "S001-C2-staff1", one_time, now=NOW, source="t")
    _stdin(monkeypatch, GOOD + "\n")
    code, out, _ = _run(
        ["user", "passwd", "S001-C2-staff1", "--password-stdin", "--db", str(db)], capsys
    )
    assert code == 0 and "one-time" not in out
    assert not accounts.get_account(store, "S001-C2-staff1").must_change_password
    kinds = accounts.read_audit(store).query("actor == 'cli:ops'")["kind"].tolist()
    assert kinds == ["account_disabled", "password_reset", "password_reset"]


def test_token_add_prints_it_once_and_revoke_stops_it(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = _run(["token", "add", "会议室", "--street", "S001", "--db", str(db)], capsys)
    assert code == 0
    first, wall = out.splitlines()
    token = first.rsplit(": ", 1)[1]
    assert wall == f"wall screen: /wall?kiosk=1&token={token}"
    store = _store(db)
    assert display_tokens.token_street(store, token, now=NOW) == "S001"
    code, out, _ = _run(["token", "revoke", "会议室", "--db", str(db)], capsys)
    assert code == 0 and out == "会议室: revoked\n"
    assert display_tokens.token_street(store, token, now=NOW + dt.timedelta(seconds=1)) is None


def test_audit_prints_and_writes_the_log(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = _store(db)
    with pytest.raises(SignInError):
        accounts.sign_in(store, "S001-admin", "wrong-pass-xx", now=NOW, source="10.0.0.9")
    _run(["token", "add", "会议室", "--street", "S001", "--db", str(db)], capsys)
    code, out, _ = _run(["audit", "--since", "2026-11-16", "--db", str(db)], capsys)
    assert code == 0
    lines = [line.split("\t") for line in out.splitlines()]
    assert [(r[1], r[2], r[3]) for r in lines] == [
        ("S001-admin", "sign_in_failed", "S001-admin"),
        ("cli:ops", "token_added", "会议室"),
    ]
    assert _run(["audit", "--since", "2026-11-17", "--db", str(db)], capsys)[1] == ""
    for suffix in (".csv", ".xlsx"):
        target = tmp_path / f"audit{suffix}"
        code, out, _ = _run(["audit", "--out", str(target), "--db", str(db)], capsys)
        assert code == 0 and out == f"{target}: 2 audit entries\n"
        frame = pd.read_csv(target) if suffix == ".csv" else pd.read_excel(target)
        assert frame["kind"].tolist() == ["sign_in_failed", "token_added"]
        assert b"$argon2id$" not in target.read_bytes()
