"""The account page under AppTest: only administrators have it; forms add, change and refuse
stale edits; a one-time password or display token is shown once."""

from __future__ import annotations

import re

import pytest
from streamlit.testing.v1 import AppTest

from mapgov.core import clock
from mapgov.core.i18n import label, t
from mapgov.core.model import AuditKind, Role
from mapgov.domain import accounts, display_tokens
from mapgov.store import Store
from tests.apptest import ok, open_page
from tests.conftest import DEMO_PASSWORD as PASSWORD

ADMIN = "S001-admin"
STAFF = "S001-C2-staff2"
TIMEOUT = 90


def _button(at: AppTest, text: str) -> object:
    (button,) = [b for b in at.button if b.label == text]
    return button


def _confirmed(at: AppTest, what: str, lang: str = "en") -> AppTest:
    """Click `what`'s button, then the question's "yes" (disable, reset, revoke ask first)."""
    action = "token_revoke" if what == "revoke" else f"action.{what}"
    _button(at, t(f"account_page.{action}", lang)).click().run()
    ok(at)
    return _button(at, t(f"account_page.confirm.yes.{what}", lang)).click().run()


def _open(login: str = ADMIN, lang: str = "en") -> AppTest:
    return open_page("accounts", user=login, lang=lang, timeout=TIMEOUT)


def test_an_administrator_has_the_page_with_the_streets_accounts(app_db: Store) -> None:
    at = _open()
    ok(at)
    assert at.title[0].value == t("page.accounts.title", "en")
    shown = set(at.dataframe[0].value[t("account_page.col.login", "en")])
    assert shown == {a.login for a in accounts.list_accounts(app_db) if a.role != Role.DISPLAY}
    changed = at.dataframe[0].value[t("account_page.col.changed_at", "en")]
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", v) for v in changed)  # as elsewhere


@pytest.mark.parametrize(
    ("login", "lang"), [("S001-leader", "zh"), ("S001-planner", "en"), ("S001-C1-staff1", "zh")]
)
def test_anyone_else_opening_the_page_is_told_it_is_for_administrators(
    app_db: Store, login: str, lang: str
) -> None:
    """A shared link or a bookmark: the page answers in the reader's language and shows nothing
    of the accounts (Streamlit had said "Page not found" in English over the wall screen)."""
    at = _open(login, lang=lang)
    ok(at)
    assert [i.value for i in at.info] == [t("account_page.admin_only", lang)]
    assert not at.dataframe and not at.tabs and not at.get("download_button")
    mine = [w for w in (*at.text_input, *at.selectbox, *at.button) if "accounts." in str(w.key)]
    assert not mine


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_an_administrator_adds_an_account_and_sees_its_password_once(
    app_db: Store, lang: str
) -> None:
    at = _open(lang=lang)
    at.text_input(key="accounts.add.login").input("li.na")
    at.text_input(key="accounts.add.name").input("李娜<b>")
    at.selectbox(key="accounts.add.role").set_value("staff")
    at.selectbox(key="accounts.add.community").set_value("S001-C2")
    _button(at, t("account_page.add_submit", lang)).click().run()
    ok(at)
    assert [s.value for s in at.success] == [t("account_page.added", lang, login="li.na")]
    (shown,) = [c.value for c in at.code]
    made = accounts.get_account(app_db, "li.na")
    assert (made.name, made.role, made.community_id) == ("李娜<b>", Role.STAFF, "S001-C2")
    assert made.must_change_password
    token = accounts.sign_in(app_db, "li.na", shown, now=clock.system_now(), source="test")
    assert token
    at.run()  # the next run forgets the password
    assert not at.code


def test_an_edit_drawn_before_someone_else_saved_is_refused(app_db: Store) -> None:
    at = _open()
    at.selectbox(key="accounts.chosen").set_value(STAFF).run()
    before = accounts.get_account(app_db, STAFF)
    assert before.enabled
    _button(at, t("account_page.action.disable", "en")).click().run()  # the question
    # another administrator resets the password while this page asks about the old version
    accounts.set_password(app_db, STAFF, now=clock.system_now(), actor="someone")
    _button(at, t("account_page.confirm.yes.disable", "en")).click().run()
    (message,) = [e.value for e in at.error]
    assert message.startswith(f"The account “{STAFF}” was changed by someone else")
    assert accounts.get_account(app_db, STAFF).enabled
    # redrawn, the form holds the new version and works
    _confirmed(at, "disable")
    ok(at)
    assert not accounts.get_account(app_db, STAFF).enabled


def test_a_click_that_comes_with_another_choice_is_not_taken_on_the_account_before(
    app_db: Store,
) -> None:
    """An administrator chooses another account and clicks before the page has redrawn: the
    click comes from the button drawn for the account chosen before, and enabled that one (a
    CI run saw the same race on the token list). It now does nothing; the new account's
    buttons follow."""
    other = "S001-C1-staff1"
    at = _open()
    at.selectbox(key="accounts.chosen").set_value(STAFF).run()
    _confirmed(at, "disable")
    ok(at)
    assert not accounts.get_account(app_db, STAFF).enabled
    # the disabled account's "enable" drawn; the choice changes and the click comes with it
    at.selectbox(key="accounts.chosen").set_value(other)
    _button(at, t("account_page.action.enable", "en")).click().run()
    ok(at)
    assert not accounts.get_account(app_db, STAFF).enabled  # not enabled behind the new choice
    assert accounts.get_account(app_db, other).enabled
    assert [b.label for b in at.button if b.label == t("account_page.action.disable", "en")]


def test_a_revoke_clicked_with_a_new_choice_asks_about_that_token(app_db: Store) -> None:
    """The token list showed another token; the administrator picks 会议室大屏 and clicks
    revoke before the page has redrawn: the question is about 会议室大屏 (it never came)."""
    at = _open()
    at.text_input(key="accounts.token.label").input("会议室大屏")
    _button(at, t("account_page.token_add", "en")).click().run()
    ok(at)
    assert at.selectbox(key="accounts.token.revoke").value != "会议室大屏"
    at.selectbox(key="accounts.token.revoke").set_value("会议室大屏")
    _button(at, t("account_page.token_revoke", "en")).click().run()
    assert [w.value for w in at.warning] == [
        t("account_page.confirm.revoke", "en", label="会议室大屏")
    ]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_disabling_and_resetting_ask_first_and_cancel_changes_nothing(
    app_db: Store, lang: str
) -> None:
    at = _open(lang=lang)
    at.selectbox(key="accounts.chosen").set_value(STAFF).run()
    before = accounts.get_account(app_db, STAFF)
    for what in ("disable", "reset"):
        _button(at, t(f"account_page.action.{what}", lang)).click().run()
        ok(at)
        question = t(f"account_page.confirm.{what}", lang, login=STAFF, name=before.name)
        shown = [re.sub(r"\\(.)", r"\1", w.value) for w in at.warning]  # Markdown unescaped
        assert shown == [question]  # what it does, to whom
        assert accounts.get_account(app_db, STAFF) == before  # the first click did nothing
        _button(at, t("account_page.confirm.no", lang)).click().run()
        ok(at)
        assert not at.warning
        assert not [b for b in at.button if b.key and ".yes" in b.key]
    # another account chosen: a question about the first is not carried over to it
    _button(at, t("account_page.action.disable", lang)).click().run()
    at.selectbox(key="accounts.chosen").set_value("S001-C1-staff1").run()
    assert not at.warning
    assert accounts.get_account(app_db, STAFF) == before


def test_a_confirmed_reset_shows_the_one_time_password_once(app_db: Store) -> None:
    at = _open()
    at.selectbox(key="accounts.chosen").set_value(STAFF).run()
    _confirmed(at, "reset")
    ok(at)
    (password,) = [c.value for c in at.code]
    assert accounts.get_account(app_db, STAFF).must_change_password
    assert accounts.sign_in(app_db, STAFF, password, now=clock.system_now(), source="test")
    at.run()
    assert not at.code


def test_the_last_administrator_of_a_street_is_refused_in_words(app_db: Store) -> None:
    at = _open()
    assert ADMIN not in at.selectbox(key="accounts.chosen").options  # nobody edits themself
    # an administrator of every street (made on the command line) manages S001 too
    accounts.add_account(
        app_db, "root.admin", role="admin", now=clock.system_now(), actor="t", password=PASSWORD
    )
    at = _open("root.admin", lang="zh")
    at.selectbox(key="accounts.chosen").set_value(ADMIN).run()
    _confirmed(at, "disable", "zh")
    (message,) = [e.value for e in at.error]
    assert message == t("error.account.last_admin", "zh", login=ADMIN)
    assert accounts.get_account(app_db, ADMIN).enabled


def test_a_display_token_is_issued_shown_once_and_revoked(app_db: Store) -> None:
    at = _open()
    at.text_input(key="accounts.token.label").input("会议室大屏")
    _button(at, t("account_page.token_add", "en")).click().run()
    ok(at)
    (address,) = [c.value for c in at.code]
    assert address.startswith("/wall?kiosk=1&token=")
    token = address.split("token=", 1)[1]
    assert display_tokens.token_street(app_db, token, now=clock.system_now()) == "S001"
    at.selectbox(key="accounts.token.revoke").set_value("会议室大屏").run()
    _button(at, t("account_page.token_revoke", "en")).click().run()
    assert [w.value for w in at.warning] == [
        t("account_page.confirm.revoke", "en", label="会议室大屏")
    ]
    assert display_tokens.token_street(app_db, token, now=clock.system_now()) == "S001"
    _button(at, t("account_page.confirm.yes.revoke", "en")).click().run()
    ok(at)
    assert display_tokens.token_street(app_db, token, now=clock.system_now()) is None


def test_the_audit_log_is_read_and_exported(app_db: Store) -> None:
    at = _open()
    ok(at)
    kind = t("account_page.audit.col.kind", "en")
    (log,) = [d for d in at.dataframe if kind in d.value.columns]
    assert label(AuditKind.SIGN_IN, "en") in set(log.value[kind])  # this test's own sign-in
    labels = [b.proto.label for b in at.get("download_button")]
    assert t("account_page.audit.download_csv", "en") in labels
