"""What an administrator does on the account page (mapgov.views.accounts), without a page:
rights checked below the page, stale forms refused, the street kept with an administrator.
Every time is an explicit `now`."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from mapgov.core.errors import PermissionDeniedError, SignInError, StaleEditError, ValidationError
from mapgov.core.i18n import error_text, label
from mapgov.core.model import AuditKind, Role
from mapgov.domain import accounts, display_tokens
from mapgov.domain.users import User
from mapgov.store import Store
from mapgov.views import accounts as admin
from tests.conftest import DEMO_PASSWORD

NOW = dt.datetime(2026, 11, 16, 9, 0)
ADMIN = "S001-admin"
STAFF = "S001-C1-staff1"
NEW_PASSWORD = "Blue-river-bridge-7"


def _admin(store: Store, login: str = ADMIN) -> accounts.Account:
    return accounts.get_account(store, login)


def _kinds(store: Store, subject: str) -> list[str]:
    log = accounts.read_audit(store)
    return log.loc[log["subject"] == subject, "kind"].tolist()


def test_only_an_administrator_manages_accounts(work_store: Store) -> None:
    for login in ("S001-leader", "S001-planner", STAFF):
        user = accounts.get_account(work_store, login)
        with pytest.raises(PermissionDeniedError, match="only an administrator"):
            admin.street_accounts(work_store, user)
        with pytest.raises(PermissionDeniedError):
            admin.add(work_store, user, "new.one", role=Role.LEADER, now=NOW)
        with pytest.raises(PermissionDeniedError):
            admin.disable(work_store, user, "S001-C2-staff1", version=1, now=NOW)
        with pytest.raises(PermissionDeniedError):
            admin.add_token(work_store, user, "screen", now=NOW)
        with pytest.raises(PermissionDeniedError):
            admin.street_audit(work_store, user, since=NOW.date(), until=NOW.date())
    wall = User("display", "大屏", Role.DISPLAY, street_id="S001")
    with pytest.raises(PermissionDeniedError):
        admin.reset_password(work_store, wall, STAFF, version=1, now=NOW)
    with pytest.raises(PermissionDeniedError):
        admin.require_admin(None)
    assert accounts.get_account(work_store, "S001-C2-staff1").enabled
    assert "new.one" not in {a.login for a in accounts.list_accounts(work_store)}


def test_an_added_account_gets_a_one_time_password_it_must_change(work_store: Store) -> None:
    account, one_time = admin.add(
        work_store,
        _admin(work_store),
        " zhao.min ",
        role=Role.STAFF,
        name="赵敏",
        community_id="S001-C2",
        now=NOW,
        source="test",
    )
    assert (account.login, account.name, account.role) == ("zhao.min", "赵敏", Role.STAFF)
    assert (account.street_id, account.community_id) == ("S001", "S001-C2")
    assert account.must_change_password and len(one_time) >= accounts.MIN_PASSWORD_LENGTH
    token = accounts.sign_in(work_store, "zhao.min", one_time, now=NOW, source="test")
    signed = accounts.session_account(work_store, token, now=NOW)
    assert signed is not None and signed.must_change_password
    accounts.change_own_password(work_store, "zhao.min", one_time, NEW_PASSWORD, now=NOW)
    assert not accounts.get_account(work_store, "zhao.min").must_change_password
    entry = accounts.read_audit(work_store).query("subject == 'zhao.min'").iloc[0]
    assert (entry["kind"], entry["actor"]) == (AuditKind.ACCOUNT_ADDED, ADMIN)
    assert one_time not in accounts.read_audit(work_store).to_string()


def test_an_account_is_added_in_the_administrators_street_only(work_store: Store) -> None:
    boss = _admin(work_store)
    with pytest.raises(PermissionDeniedError, match="manages street 'S001' only"):
        admin.add(work_store, boss, "far.away", role=Role.LEADER, street_id="S002", now=NOW)
    with pytest.raises(ValidationError, match="need a community"):
        admin.add(work_store, boss, "no.community", role=Role.STAFF, now=NOW)
    with pytest.raises(ValidationError, match="display token"):
        admin.add(work_store, boss, "a.screen", role=Role.DISPLAY, now=NOW)
    with pytest.raises(StaleEditError) as taken:
        admin.add(work_store, boss, STAFF, role=Role.LEADER, now=NOW)
    assert "S001-C1-staff1" in error_text(taken.value, "zh")
    # a login another account has but for its case: two people no one tells apart
    with pytest.raises(StaleEditError) as look_alike:
        admin.add(work_store, boss, STAFF.lower(), role=Role.LEADER, now=NOW)
    assert STAFF in error_text(look_alike.value, "zh")
    # a bad login is said first, before the scope the form's default role lacks
    with pytest.raises(ValidationError) as bad:
        admin.add(work_store, boss, "新用户", role=Role.STAFF, now=NOW)
    assert bad.value.key == "error.account.bad_login"
    # a street-wide role with a community: refused (the list would show a scope it has not)
    for role in (Role.LEADER, Role.PLANNER, Role.ADMIN):
        with pytest.raises(ValidationError) as scoped:
            admin.add(work_store, boss, "u3", role=role, community_id="S001-C1", now=NOW)
        assert error_text(scoped.value, "zh").endswith("整个街道，不指定社区")
    assert "u3" not in set(work_store.read("app_user")["login"])
    leader, _ = admin.add(work_store, boss, "jie.dao", role=Role.LEADER, now=NOW)
    assert (leader.street_id, leader.community_id) == ("S001", None)


def test_an_administrator_of_another_street_cannot_touch_this_one(work_store: Store) -> None:
    other = User("S002-admin", "别的管理员", Role.ADMIN, street_id="S002")
    staff = accounts.get_account(work_store, STAFF)
    for act in (
        lambda: admin.disable(work_store, other, STAFF, version=staff.version, now=NOW),
        lambda: admin.reset_password(work_store, other, STAFF, version=staff.version, now=NOW),
        lambda: admin.change_role(
            work_store,
            other,
            STAFF,
            role=Role.LEADER,
            community_id=None,
            version=staff.version,
            now=NOW,
        ),
    ):
        with pytest.raises(PermissionDeniedError, match="not an account of street 'S002'"):
            act()
    assert admin.street_accounts(work_store, other) == []
    assert accounts.get_account(work_store, STAFF) == staff


def test_nobody_changes_their_own_account_on_the_page(work_store: Store) -> None:
    boss = _admin(work_store)
    admin.add(work_store, boss, "second.admin", role=Role.ADMIN, now=NOW)
    with pytest.raises(PermissionDeniedError, match="their own account"):
        admin.disable(work_store, boss, ADMIN, version=boss.version, now=NOW)
    with pytest.raises(PermissionDeniedError, match="their own account"):
        admin.reset_password(work_store, boss, ADMIN, version=boss.version, now=NOW)
    assert accounts.get_account(work_store, ADMIN) == boss


def test_disable_enable_reset_and_change_role(work_store: Store) -> None:
    boss = _admin(work_store)
    staff = accounts.get_account(work_store, STAFF)
    token = accounts.sign_in(work_store, STAFF, DEMO_PASSWORD, now=NOW, source="test")
    off = admin.disable(work_store, boss, STAFF, version=staff.version, now=NOW)
    assert not off.enabled
    assert accounts.session_account(work_store, token, now=NOW) is None  # signed out
    with pytest.raises(SignInError):
        accounts.sign_in(work_store, STAFF, DEMO_PASSWORD, now=NOW, source="test")
    on = admin.enable(work_store, boss, STAFF, version=off.version, now=NOW)
    assert on.enabled
    one_time = admin.reset_password(work_store, boss, STAFF, version=on.version, now=NOW)
    assert accounts.get_account(work_store, STAFF).must_change_password
    with pytest.raises(SignInError):  # the old password no longer opens it
        accounts.sign_in(work_store, STAFF, DEMO_PASSWORD, now=NOW, source="test")
    accounts.sign_in(work_store, STAFF, one_time, now=NOW, source="test")
    seen = accounts.get_account(work_store, STAFF)
    moved = admin.change_role(
        work_store,
        boss,
        STAFF,
        role=Role.STAFF,
        community_id="S001-C3",
        version=seen.version,
        now=NOW,
    )
    assert (moved.role, moved.community_id) == (Role.STAFF, "S001-C3")
    lead = admin.change_role(
        work_store, boss, STAFF, role="leader", community_id=None, version=moved.version, now=NOW
    )
    assert (lead.role, lead.street_id, lead.community_id) == (Role.LEADER, "S001", None)
    assert _kinds(work_store, STAFF)[-9:] == [
        "sign_in",
        "account_disabled",
        "sign_in_failed",
        "account_enabled",
        "password_reset",
        "sign_in_failed",
        "sign_in",
        "account_changed",
        "account_changed",
    ]


def test_every_account_edit_refuses_a_stale_form(work_store: Store) -> None:
    boss = _admin(work_store)
    drawn = accounts.get_account(work_store, STAFF).version  # the forms are drawn
    admin.reset_password(work_store, boss, STAFF, version=drawn, now=NOW)  # someone saves first
    after = accounts.get_account(work_store, STAFF)
    for act in (
        lambda: admin.disable(work_store, boss, STAFF, version=drawn, now=NOW),
        lambda: admin.enable(work_store, boss, STAFF, version=drawn, now=NOW),
        lambda: admin.reset_password(work_store, boss, STAFF, version=drawn, now=NOW),
        lambda: admin.change_role(
            work_store, boss, STAFF, role=Role.PLANNER, community_id=None, version=drawn, now=NOW
        ),
    ):
        with pytest.raises(StaleEditError) as stale:
            act()
        assert stale.value.key == "error.account.stale"
        assert error_text(stale.value, "zh").startswith("账号“S001-C1-staff1”刚被他人修改过")
    assert accounts.get_account(work_store, STAFF) == after


def test_the_last_enabled_administrator_of_a_street_stays(work_store: Store) -> None:
    boss = _admin(work_store)
    second, _ = admin.add(work_store, boss, "second.admin", role=Role.ADMIN, now=NOW)
    # the second administrator may disable the first while the second is there ...
    off = admin.disable(work_store, second, ADMIN, version=boss.version, now=NOW)
    assert not off.enabled
    # ... but nobody may then remove the one left, by disabling, demoting or the command line
    third, _ = admin.add(work_store, second, "third.leader", role=Role.LEADER, now=NOW)
    made_admin = admin.change_role(
        work_store,
        second,
        "third.leader",
        role=Role.ADMIN,
        community_id=None,
        version=third.version,
        now=NOW,
    )
    admin.disable(work_store, second, "third.leader", version=made_admin.version, now=NOW)
    second = accounts.get_account(work_store, "second.admin")
    with pytest.raises(ValidationError) as last:
        accounts.disable(work_store, "second.admin", now=NOW, actor="cli:root")
    assert last.value.key == "error.account.last_admin"
    assert "最后一个启用的系统管理员" in error_text(last.value, "zh")
    with pytest.raises(ValidationError, match="last enabled administrator"):
        accounts.change_role_and_scope(
            work_store,
            "second.admin",
            role=Role.LEADER,
            street_id="S001",
            now=NOW,
            actor="cli:root",
            version=second.version,
        )
    assert accounts.get_account(work_store, "second.admin") == second
    # with the first enabled again, the second may go
    admin.enable(work_store, second, ADMIN, version=off.version, now=NOW)
    assert not accounts.disable(work_store, "second.admin", now=NOW, actor="cli:root").enabled


def test_display_tokens_of_the_street(work_store: Store) -> None:
    boss = _admin(work_store)
    token = admin.add_token(work_store, boss, "党群服务中心大屏", now=NOW)
    assert display_tokens.token_street(work_store, token, now=NOW) == "S001"
    listed = admin.street_tokens(work_store, boss)
    assert "党群服务中心大屏" in set(listed["label"]) and "token_hash" not in listed.columns
    other = User("S002-admin", "别的管理员", Role.ADMIN, street_id="S002")
    with pytest.raises(ValidationError, match="no live display token"):
        admin.revoke_token(work_store, other, "党群服务中心大屏", now=NOW)
    assert display_tokens.token_street(work_store, token, now=NOW) == "S001"
    admin.revoke_token(work_store, boss, "党群服务中心大屏", now=NOW + dt.timedelta(minutes=1))
    assert display_tokens.token_street(work_store, token, now=NOW + dt.timedelta(minutes=2)) is None
    with pytest.raises(ValidationError, match="no live display token"):  # a stale revoke
        admin.revoke_token(work_store, boss, "党群服务中心大屏", now=NOW + dt.timedelta(minutes=3))


def test_the_audit_log_by_days_and_street(work_store: Store) -> None:
    boss = _admin(work_store)
    day = NOW.date()
    accounts.sign_in(work_store, STAFF, DEMO_PASSWORD, now=NOW, source="test")
    later = NOW + dt.timedelta(days=2)
    accounts.sign_in(work_store, "S001-leader", DEMO_PASSWORD, now=later, source="test")
    with pytest.raises(SignInError):
        accounts.sign_in(work_store, "nobody.here", "wrong password!", now=NOW, source="test")
    first = admin.street_audit(work_store, boss, since=day, until=day)
    assert list(first.columns) == list(admin.AUDIT_COLUMNS)
    assert (first["actor"] == STAFF).any()
    assert not (first["actor"] == "S001-leader").any()  # two days later
    assert not (first["subject"] == "nobody.here").any()  # not an account of the street
    both = admin.street_audit(work_store, boss, since=day, until=later.date())
    assert {STAFF, "S001-leader"} <= set(both["actor"])
    everyone = User("root", "root", Role.ADMIN)  # an administrator of every street
    assert (
        admin.street_audit(work_store, everyone, since=day, until=day)["subject"] == "nobody.here"
    ).any()
    table = admin.audit_table(first, "zh")
    assert list(table.columns) == ["时间", "操作人", "事件", "对象", "说明", "来源"]
    assert "登录" in set(table["事件"])


def _log(*rows: tuple[str, str, str, str | None, str | None, str | None]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=list(admin.AUDIT_COLUMNS))


LOG = _log(
    ("2026-12-07T06:09:10", ADMIN, "sign_in", ADMIN, None, "web"),
    ("2026-12-07T06:11:15", ADMIN, "personal_data_viewed", "wishes:S001",
     "posters of the wish list", "web 10.0.0.7"),
    ("2026-12-07T06:12:00", "cli:root", "account_added", "li.na",
     "role=staff street=S001 community=S001-C2", "cli"),
    ("2026-12-07T06:13:00", "nobody", "lockout", "nobody", "5 failures", "web"),
    ("2026-12-07T06:14:00", ADMIN, "personal_data_viewed", "ledger:S001-C1",
     "issue ledger, reporters of 12 issues", "web"),
    ("2026-12-07T06:15:00", ADMIN, "account_changed", ADMIN, "email=a@b.cn", "web"),
    ("2026-12-07T06:16:00", ADMIN, "personal_data_viewed", "wishes:S001", admin.SEEN_WISHES,
     "web"),
    ("2026-12-07T06:17:00", ADMIN, "personal_data_viewed", "micro_wish:W-S001-C1-001",
     admin.SEEN_WISH, "web"),
)  # fmt: skip
PLACES = {"S001": "王城路街道", "S001-C1": "七一路社区", "S001-C2": "纱厂西路社区"}


def test_the_audit_log_reads_in_the_pages_words() -> None:
    """No ``None`` for a missing value, no English or raw codes on the Chinese page, times to
    the minute as the other pages show them; what mapgov cannot translate stays as written."""
    table = admin.audit_table(LOG, "zh", PLACES)
    assert list(table.columns) == ["时间", "操作人", "事件", "对象", "说明", "来源"]
    assert table["时间"].tolist()[:2] == ["2026-12-07 06:09", "2026-12-07 06:11"]
    assert table["说明"].tolist() == [
        "",
        "微心愿发布人",
        "角色：社区工作人员；街道：王城路街道；社区：纱厂西路社区",
        "累计失败 5 次",
        "问题台账：12 件问题的反映人",
        "email=a@b.cn",
        "微心愿发布人和认领人",  # what the page writes since claimants are masked too
        "发布人和认领人",
    ]
    assert table["对象"].tolist()[1] == "微心愿清单 · 王城路街道"
    assert table["对象"].tolist()[4] == "问题台账 · 七一路社区"
    assert table["来源"].tolist()[:3] == ["网页", "网页 10.0.0.7", "命令行"]
    assert table["事件"].tolist()[0] == label(AuditKind.SIGN_IN, "zh")
    assert not table.isna().any().any()
    english = admin.audit_table(LOG, "en", PLACES)
    assert english.iloc[1].tolist()[3:] == [
        "wish list · 王城路街道",
        "posters of the wish list",
        "web page 10.0.0.7",
    ]


def test_the_audit_export_keeps_what_the_log_holds() -> None:
    """The file is the record: times to the second, subjects, details and sources as written
    (headers and kinds in the reader's language)."""
    exported = admin.audit_file(LOG, "zh")
    assert list(exported.columns) == ["时间", "操作人", "事件", "对象", "说明", "来源"]
    assert exported["时间"].tolist() == LOG["at"].tolist()
    assert exported["对象"].tolist() == LOG["subject"].tolist()
    assert exported["说明"].tolist() == LOG["detail"].tolist()
    assert exported["来源"].tolist() == LOG["source"].tolist()
    assert exported["事件"].tolist()[0] == label(AuditKind.SIGN_IN, "zh")


def test_account_and_token_times_read_to_the_minute() -> None:
    assert admin.minute("2026-12-07T18:00:00") == "2026-12-07 18:00"
    assert [admin.minute(v) for v in (None, float("nan"), "")] == ["", "", ""]
