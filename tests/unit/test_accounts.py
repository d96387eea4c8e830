"""Accounts, sign-in, sessions, display tokens and the audit log (mapgov.domain.accounts), without a
page: every time is an explicit `now`."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest

from mapgov.core.config import IDLE_ENV
from mapgov.core.errors import (
    PermissionDeniedError,
    SignInError,
    StaleEditError,
    StoreError,
    ValidationError,
)
from mapgov.core.i18n import error_text, t
from mapgov.core.model import AuditKind, Role
from mapgov.demo import WALL_LABEL, wall_token
from mapgov.domain import accounts, display_tokens
from mapgov.domain.users import can_edit, sees_personal_data
from mapgov.store import Store, open_store
from mapgov.views import data as dataio
from tests.conftest import DEMO_PASSWORD, SEED

NOW = dt.datetime(2026, 11, 16, 9, 0)
ADMIN = "S001-admin"
STAFF = "S001-C1-staff1"
GOOD = "Blue-river-bridge-7"  # passes every rule


def _minutes(n: float) -> dt.datetime:
    return NOW + dt.timedelta(minutes=n)


def _kinds(store: Store, subject: str) -> list[str]:
    log = accounts.read_audit(store)
    return log.loc[log["subject"] == subject, "kind"].tolist()


def _raw_bytes(store: Store) -> bytes:
    """The database file and its write-ahead log, as they lie on disk."""
    wal = Path(f"{store.path}-wal")
    return store.path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


# -- passwords -------------------------------------------------------------------------------
def test_a_password_is_stored_as_an_argon2id_hash_only(work_store: Store) -> None:
    account, one_time = accounts.add_account(
        work_store,
        "wang.li",
        role=Role.PLANNER,
        now=NOW,
        actor="test",
        password=GOOD,
        street_id="S001",
    )
    assert one_time is None and account.has_password and not account.must_change_password
    stored = work_store.read("app_user", where={"login": "wang.li"})["password_hash"].iloc[0]
    assert stored.startswith("$argon2id$")
    assert GOOD not in stored
    assert GOOD.encode() not in _raw_bytes(work_store)
    assert accounts.verify_password(stored, GOOD) == (True, None)
    assert accounts.verify_password(stored, GOOD + "x")[0] is False
    assert accounts.verify_password(None, GOOD)[0] is False
    assert "password_hash" not in {f.name for f in account.__dataclass_fields__.values()}


def test_an_old_hash_is_renewed_at_sign_in(work_store: Store) -> None:
    from argon2 import PasswordHasher

    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(GOOD)
    accounts.add_account(work_store, "old.hash", role="leader", now=NOW, actor="t", password=GOOD)
    version = accounts.get_account(work_store, "old.hash").version
    work_store.update_account(
        "old.hash", version=version, changes={"password_hash": weak}, audit=[]
    )
    assert accounts.verify_password(weak, GOOD)[1] is not None  # parameters changed
    accounts.sign_in(work_store, "old.hash", GOOD, now=NOW, source="test")
    renewed = work_store.read("app_user", where={"login": "old.hash"})["password_hash"].iloc[0]
    assert renewed != weak and accounts.verify_password(renewed, GOOD) == (True, None)


@pytest.mark.parametrize(
    ("password", "key"),
    [
        ("short-1", "too_short"),
        ("zhang.wei", "too_short"),
        ("Zhang.Wei-2026", "like_login"),  # contains the login, any case
        ("ZHANG.WEI12", "like_login"),
        ("1234567890", "common"),
        ("qwertyuiop", "common"),
        ("Password123", "common"),
    ],
)
def test_password_rules_refuse(password: str, key: str) -> None:
    with pytest.raises(ValidationError) as caught:
        accounts.check_password_rules("zhang.wei", password)
    assert caught.value.key == f"error.account.{key}"


def test_password_rules_accept_a_long_uncommon_one_and_made_ones() -> None:
    accounts.check_password_rules("zhang.wei", GOOD)  # raises if refused
    made = {accounts.new_password() for _ in range(20)}
    assert len(made) == 20  # one-time passwords are never handed out twice
    assert min(len(p) for p in made) >= accounts.MIN_PASSWORD_LENGTH
    for password in made:
        accounts.check_password_rules("zhang.wei", password)  # raises if refused


# -- accounts ------------------------------------------------------------------------------
def test_add_account_checks_login_scope_and_uniqueness(work_store: Store) -> None:
    with pytest.raises(ValidationError, match="cannot be used"):
        accounts.add_account(work_store, "has space", role="leader", now=NOW, actor="t")
    with pytest.raises(ValidationError, match="need a community") as refused:
        accounts.add_account(work_store, "staff.x", role="staff", now=NOW, actor="t")
    # said wholly in Chinese (the reason from the catalogue too), and wholly in English
    zh = t("error.account.bad_scope_reason.staff_community", "zh")
    assert error_text(refused.value, "zh") == t("error.account.bad_scope", "zh", reason=zh)
    assert "need a community" not in error_text(refused.value, "zh")
    assert "need a community" in error_text(refused.value, "en")
    with pytest.raises(ValidationError, match="no community"):
        accounts.add_account(
            work_store, "staff.x", role="staff", community_id="S009-C1", now=NOW, actor="t"
        )
    with pytest.raises(ValidationError, match="needs a street"):
        accounts.add_account(work_store, "wall.2", role="display", now=NOW, actor="t")
    with pytest.raises(StaleEditError, match="taken"):
        accounts.add_account(work_store, ADMIN, role="admin", now=NOW, actor="t")
    staff, one_time = accounts.add_account(
        work_store, "staff.x", role="staff", community_id="S001-C2", now=NOW, actor="t"
    )
    assert staff.street_id == "S001"  # the community names its street
    assert one_time is not None and staff.must_change_password
    assert can_edit(staff, "S001-C2", work_store) and not can_edit(staff, "S001-C1", work_store)
    wall, _ = accounts.add_account(
        work_store, "wall.2", role="display", street_id="S001", now=NOW, actor="t"
    )
    assert not can_edit(wall, "S001-C1", work_store)
    assert not sees_personal_data(wall, "S001-C1", work_store)
    assert [a.role for a in accounts.list_accounts(work_store)][-1] == Role.DISPLAY
    assert _kinds(work_store, "staff.x") == [AuditKind.ACCOUNT_ADDED]


def test_a_reset_gives_a_one_time_password_that_must_be_changed(work_store: Store) -> None:
    token = accounts.sign_in(work_store, STAFF, DEMO_PASSWORD, now=NOW, source="test")
    one_time = accounts.set_password(work_store, STAFF, now=_minutes(1), actor=ADMIN)
    assert one_time is not None
    assert accounts.session_account(work_store, token, now=_minutes(2)) is None  # ended
    with pytest.raises(SignInError):
        accounts.sign_in(work_store, STAFF, DEMO_PASSWORD, now=_minutes(3), source="test")
    accounts.sign_in(work_store, STAFF, one_time, now=_minutes(3), source="test")
    assert accounts.get_account(work_store, STAFF).must_change_password
    with pytest.raises(ValidationError, match="current password is wrong"):
        accounts.change_own_password(work_store, STAFF, "not it", GOOD, now=_minutes(4))
    with pytest.raises(ValidationError, match="differ"):
        accounts.change_own_password(work_store, STAFF, one_time, one_time, now=_minutes(4))
    with pytest.raises(ValidationError, match="common"):
        accounts.change_own_password(work_store, STAFF, one_time, "password1234", now=_minutes(4))
    changed = accounts.change_own_password(work_store, STAFF, one_time, GOOD, now=_minutes(4))
    assert not changed.must_change_password
    accounts.sign_in(work_store, STAFF, GOOD, now=_minutes(5), source="test")
    assert _kinds(work_store, STAFF) == [
        AuditKind.SIGN_IN,
        AuditKind.PASSWORD_RESET,
        AuditKind.SIGN_IN_FAILED,
        AuditKind.SIGN_IN,
        AuditKind.PASSWORD_CHANGED,
        AuditKind.SIGN_IN,
    ]


def test_a_stale_form_is_refused(work_store: Store) -> None:
    def move(version: int) -> accounts.Account:
        return accounts.change_role_and_scope(
            work_store,
            STAFF,
            role="staff",
            community_id="S001-C2",
            version=version,
            now=NOW,
            actor=ADMIN,
        )

    seen = accounts.get_account(work_store, STAFF)
    accounts.disable(work_store, STAFF, now=NOW, actor=ADMIN)  # someone else saves first
    with pytest.raises(StaleEditError, match="changed by someone else"):
        move(seen.version)
    fresh = accounts.get_account(work_store, STAFF)
    assert fresh.community_id == "S001-C1"
    moved = move(fresh.version)
    assert moved.community_id == "S001-C2" and moved.version == fresh.version + 1


def test_account_tables_are_not_edited_through_the_change_log(work_store: Store) -> None:
    with pytest.raises(StoreError, match="through mapgov"):
        work_store.edit(
            [("update", "app_user", {"user_id": STAFF}, {"password_hash": "x"})],
            actor="t",
            at=NOW.isoformat(),
        )


# -- sign-in -------------------------------------------------------------------------------
def test_sign_in_gives_a_token_that_resolves_to_the_account(work_store: Store) -> None:
    token = accounts.sign_in(work_store, STAFF, DEMO_PASSWORD, now=NOW, source="10.0.0.5")
    assert len(token) >= 40
    account = accounts.session_account(work_store, token, now=_minutes(1))
    assert account is not None
    assert (account.login, account.role, account.community_id) == (STAFF, Role.STAFF, "S001-C1")
    sessions = work_store.read("auth_session")
    assert token not in set(sessions["token_hash"])
    assert accounts.token_hash(token) in set(sessions["token_hash"])
    assert accounts.session_account(work_store, token + "x", now=_minutes(1)) is None
    assert accounts.session_account(work_store, None, now=_minutes(1)) is None
    entry = accounts.read_audit(work_store).iloc[-1]
    assert (entry["kind"], entry["subject"], entry["source"]) == ("sign_in", STAFF, "10.0.0.5")


def test_unknown_login_and_wrong_password_are_told_alike(work_store: Store) -> None:
    refusals = []
    for login, password in ((STAFF, "wrong-password-1"), ("nobody.here", DEMO_PASSWORD)):
        with pytest.raises(SignInError) as caught:
            accounts.sign_in(work_store, login, password, now=NOW, source="test")
        refusals.append((str(caught.value), caught.value.key, caught.value.params))
    assert refusals[0] == refusals[1]
    assert refusals[0][1] == "error.account.bad_credentials"


def test_five_failures_lock_the_login_even_for_the_right_password(work_store: Store) -> None:
    for k in range(4):
        with pytest.raises(SignInError) as caught:
            accounts.sign_in(work_store, STAFF, f"wrong-{k}-xxxx", now=_minutes(k), source="t")
        assert caught.value.reason == "bad_credentials"
    with pytest.raises(SignInError) as fifth:
        accounts.sign_in(work_store, STAFF, "wrong-4-xxxx", now=_minutes(4), source="t")
    assert (fifth.value.reason, fifth.value.minutes) == ("locked", 15)
    with pytest.raises(SignInError) as sixth:  # the right password, 6 minutes into the lock
        accounts.sign_in(work_store, STAFF, DEMO_PASSWORD, now=_minutes(10), source="t")
    assert (sixth.value.reason, sixth.value.minutes) == ("locked", 9)
    assert sixth.value.key == "error.account.locked" and sixth.value.params == {"minutes": 9}
    with pytest.raises(SignInError, match="locked for 1 more minutes"):
        accounts.sign_in(work_store, STAFF, DEMO_PASSWORD, now=_minutes(18.5), source="t")
    token = accounts.sign_in(work_store, STAFF, DEMO_PASSWORD, now=_minutes(19), source="t")
    assert accounts.session_account(work_store, token, now=_minutes(19)) is not None
    assert _kinds(work_store, STAFF) == [
        *["sign_in_failed"] * 5,
        "lockout",
        "sign_in_locked",
        "sign_in_locked",
        "sign_in",
    ]
    # another login is not locked by these failures
    accounts.sign_in(work_store, ADMIN, DEMO_PASSWORD, now=_minutes(5), source="t")


def test_failures_spread_over_more_than_fifteen_minutes_do_not_lock(work_store: Store) -> None:
    for k in range(6):  # one every four minutes: never five within fifteen
        with pytest.raises(SignInError) as caught:
            accounts.sign_in(work_store, STAFF, "wrong-pass-xx", now=_minutes(4 * k), source="t")
        assert caught.value.reason == "bad_credentials"
    accounts.sign_in(work_store, STAFF, DEMO_PASSWORD, now=_minutes(25), source="t")


def test_an_unknown_login_is_locked_like_a_known_one(work_store: Store) -> None:
    for k in range(5):
        with pytest.raises(SignInError) as caught:
            accounts.sign_in(work_store, "ghost", "wrong-pass-xx", now=_minutes(k), source="t")
    assert caught.value.reason == "locked"
    assert "lockout" in _kinds(work_store, "ghost")


def test_a_success_starts_the_count_again(work_store: Store) -> None:
    for k in range(4):
        with pytest.raises(SignInError):
            accounts.sign_in(work_store, STAFF, "wrong-pass-xx", now=_minutes(k), source="t")
    accounts.sign_in(work_store, STAFF, DEMO_PASSWORD, now=_minutes(4), source="t")
    with pytest.raises(SignInError) as caught:
        accounts.sign_in(work_store, STAFF, "wrong-pass-xx", now=_minutes(5), source="t")
    assert caught.value.reason == "bad_credentials"


# -- sessions ------------------------------------------------------------------------------
def test_an_idle_session_ends_after_thirty_minutes(work_store: Store) -> None:
    token = accounts.sign_in(work_store, STAFF, DEMO_PASSWORD, now=NOW, source="t")
    assert accounts.session_account(work_store, token, now=_minutes(29)) is not None
    assert accounts.session_account(work_store, token, now=_minutes(58)) is not None  # used
    assert accounts.session_account(work_store, token, now=_minutes(88.5)) is None  # idle
    assert accounts.session_account(work_store, token, now=_minutes(89)) is None  # ended
    assert _kinds(work_store, STAFF)[-1] == "sign_out"


def test_the_idle_limit_is_configurable(work_store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(IDLE_ENV, "5")
    token = accounts.sign_in(work_store, STAFF, DEMO_PASSWORD, now=NOW, source="t")
    assert accounts.session_account(work_store, token, now=_minutes(6)) is None
    token = accounts.sign_in(work_store, STAFF, DEMO_PASSWORD, now=NOW, source="t")
    assert accounts.session_account(work_store, token, now=_minutes(6), idle_minutes=10)
    monkeypatch.setenv(IDLE_ENV, "soon")
    with pytest.raises(ValidationError, match=IDLE_ENV):
        accounts.session_account(work_store, token, now=_minutes(7))


def test_sign_out_ends_the_session(work_store: Store) -> None:
    token = accounts.sign_in(work_store, STAFF, DEMO_PASSWORD, now=NOW, source="t")
    other = accounts.sign_in(work_store, STAFF, DEMO_PASSWORD, now=NOW, source="t")  # 2nd tab
    accounts.sign_out(work_store, token, now=_minutes(1), source="t")
    assert accounts.session_account(work_store, token, now=_minutes(2)) is None
    assert accounts.session_account(work_store, other, now=_minutes(2)) is not None
    accounts.sign_out(work_store, token, now=_minutes(3))  # twice: nothing more happens
    assert _kinds(work_store, STAFF).count("sign_out") == 1


def test_sessions_and_audit_rows_leave_the_page_caches_alone(work_store: Store) -> None:
    version = work_store.data_version()
    token = accounts.sign_in(work_store, STAFF, DEMO_PASSWORD, now=NOW, source="t")
    accounts.session_account(work_store, token, now=_minutes(5))
    accounts.sign_out(work_store, token, now=_minutes(6))
    assert work_store.data_version() == version


def test_a_disabled_account_cannot_sign_in_and_its_sessions_stop(work_store: Store) -> None:
    token = accounts.sign_in(work_store, STAFF, DEMO_PASSWORD, now=NOW, source="t")
    accounts.disable(work_store, STAFF, now=_minutes(1), actor=ADMIN)
    assert accounts.session_account(work_store, token, now=_minutes(2)) is None
    with pytest.raises(SignInError) as caught:
        accounts.sign_in(work_store, STAFF, DEMO_PASSWORD, now=_minutes(2), source="t")
    assert caught.value.reason == "bad_credentials"  # told as a wrong password
    assert accounts.session_account(work_store, token, now=_minutes(3)) is None
    accounts.enable(work_store, STAFF, now=_minutes(4), actor=ADMIN)
    assert accounts.session_account(work_store, token, now=_minutes(5)) is None  # stays ended
    accounts.sign_in(work_store, STAFF, DEMO_PASSWORD, now=_minutes(5), source="t")


def test_an_account_without_a_password_cannot_sign_in(work_store: Store) -> None:
    # the demo's second street would be like this; here an account made the migrated way
    version = accounts.get_account(work_store, STAFF).version
    work_store.update_account(STAFF, version=version, changes={"password_hash": None}, audit=[])
    with pytest.raises(SignInError, match="wrong login or password"):
        accounts.sign_in(work_store, STAFF, "", now=NOW, source="t")


# -- display tokens ------------------------------------------------------------------------
def test_a_display_token_opens_its_street_until_revoked(work_store: Store) -> None:
    token = display_tokens.add_display_token(work_store, "会议室大屏", "S001", now=NOW, actor=ADMIN)
    assert display_tokens.token_street(work_store, token, now=_minutes(1)) == "S001"
    assert display_tokens.token_street(work_store, token[:-1], now=_minutes(1)) is None
    assert display_tokens.token_street(work_store, None, now=_minutes(1)) is None
    assert token not in set(work_store.read("display_token")["token_hash"])
    with pytest.raises(StaleEditError, match="is taken"):
        display_tokens.add_display_token(work_store, "会议室大屏", "S001", now=NOW, actor=ADMIN)
    with pytest.raises(ValidationError, match="no street"):
        display_tokens.add_display_token(work_store, "别处", "S404", now=NOW, actor=ADMIN)
    with pytest.raises(ValidationError) as unnamed:  # it said "role and scope do not fit"
        display_tokens.add_display_token(work_store, "  ", "S001", now=NOW, actor=ADMIN)
    assert error_text(unnamed.value, "zh").startswith("请填写大屏名称")
    display_tokens.revoke_display_token(work_store, "会议室大屏", now=_minutes(2), actor=ADMIN)
    assert display_tokens.token_street(work_store, token, now=_minutes(1)) == "S001"  # before it
    assert display_tokens.token_street(work_store, token, now=_minutes(3)) is None
    with pytest.raises(ValidationError, match="no live display token"):
        display_tokens.revoke_display_token(work_store, "会议室大屏", now=_minutes(4), actor=ADMIN)
    assert _kinds(work_store, "会议室大屏") == ["token_added", "token_revoked"]
    again = display_tokens.add_display_token(  # a revoked token's label may be given again
        work_store, "会议室大屏", "S001", now=_minutes(5), actor=ADMIN
    )
    assert display_tokens.token_street(work_store, again, now=_minutes(6)) == "S001"
    assert (
        display_tokens.token_street(work_store, token, now=_minutes(6)) is None
    )  # not the old one
    with pytest.raises(StaleEditError, match="is taken"):  # but one live token per label
        display_tokens.add_display_token(
            work_store, "会议室大屏", "S001", now=_minutes(7), actor=ADMIN
        )
    display_tokens.revoke_display_token(work_store, "会议室大屏", now=_minutes(8), actor=ADMIN)
    assert display_tokens.token_street(work_store, again, now=_minutes(9)) is None
    assert "token_hash" not in display_tokens.list_display_tokens(work_store).columns


def test_the_demo_built_with_a_password_signs_in_and_opens_its_wall(demo_store: Store) -> None:
    signed_in = [a for a in accounts.list_accounts(demo_store) if a.has_password]
    assert {a.role for a in signed_in} == {Role.LEADER, Role.PLANNER, Role.ADMIN, Role.STAFF}
    assert not any(a.must_change_password for a in signed_in)
    stored = demo_store.read("app_user", where={"login": ADMIN})["password_hash"].iloc[0]
    assert accounts.verify_password(stored, DEMO_PASSWORD)[0]
    token = wall_token(SEED, DEMO_PASSWORD)
    assert display_tokens.token_street(demo_store, token, now=NOW) == "S001"
    assert display_tokens.list_display_tokens(demo_store)["label"].tolist() == [WALL_LABEL]


# -- the audit log -------------------------------------------------------------------------
def test_the_audit_log_is_append_only(work_store: Store) -> None:
    accounts.audit(
        work_store,
        AuditKind.PERSONAL_DATA_VIEWED,
        now=NOW,
        actor=STAFF,
        subject="issue #12 reporter",
        source="t",
    )
    con = sqlite3.connect(work_store.path)
    try:
        for sql in ("UPDATE audit_log SET actor = 'someone else'", "DELETE FROM audit_log"):
            with pytest.raises(sqlite3.IntegrityError, match="append-only"):
                con.execute(sql)
    finally:
        con.close()
    log = accounts.read_audit(work_store)
    assert log[["actor", "kind", "subject"]].values.tolist() == [
        [STAFF, "personal_data_viewed", "issue #12 reporter"]
    ]
    assert accounts.read_audit(work_store, since=NOW.date() + dt.timedelta(days=1)).empty
    assert len(accounts.read_audit(work_store, since=NOW.date())) == 1


# -- nothing secret leaves in a file -------------------------------------------------------
def test_exports_never_hold_password_or_token_hashes(work_store: Store) -> None:
    token = accounts.sign_in(work_store, STAFF, DEMO_PASSWORD, now=NOW, source="t")
    secrets = [b"$argon2id$", accounts.token_hash(token).encode()]
    secrets += [h.encode() for h in work_store.read("display_token")["token_hash"]]
    for table in dataio.EXPORT_TABLES:
        for suffix in dataio.EXPORT_FORMATS:
            try:
                data = dataio.export_bytes(work_store, table, suffix)
            except ValidationError:
                continue  # a format that table cannot take (no geometry)
            assert not any(s in data for s in secrets), (table, suffix)
    for table in ("app_user", "display_token", "auth_session", "audit_log"):
        assert table not in dataio.EXPORT_TABLES
        with pytest.raises(ValidationError, match="no table"):
            dataio.export_bytes(work_store, table, ".csv")


def test_a_backup_keeps_the_accounts_and_a_restore_brings_them_back(
    work_store: Store, tmp_path: Path
) -> None:
    from mapgov.io.importers import restore

    accounts.add_account(
        work_store, "li.na", role="admin", street_id="S001", now=NOW, actor="t", password=GOOD
    )
    admin = accounts.get_account(work_store, ADMIN)  # an Account is a User: rights apply
    saved = tmp_path / "backup.sqlite"
    saved.write_bytes(dataio.backup_bytes(work_store, admin))
    with pytest.raises(PermissionDeniedError):
        dataio.backup_bytes(work_store, accounts.get_account(work_store, STAFF))
    target = tmp_path / "restored.sqlite"
    restore(saved, target)
    back = open_store(target)
    accounts.sign_in(back, "li.na", GOOD, now=NOW, source="t")
    assert accounts.read_audit(back)["kind"].tolist() == ["account_added", "sign_in"]
