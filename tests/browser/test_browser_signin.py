"""The sign-in gate in headless chromium, offline (issue 15's done-when, points a to e).

(a) an anonymous visitor at every page sees the sign-in form and nothing of the street, also
with a crafted query string; (b) signing in through the form opens the page, a reload keeps
the session, signing out returns to the form; (c) five wrong passwords lock the login and the
sixth, right one is refused; (d) a display token opens the kiosk wall and nothing else, and
not after it is revoked; (e) the audit log holds each of these events.

The server runs on the module's copy of the session's demo database (these tests write
sessions, failures and a revocation to it): the ``db`` and ``server`` fixtures of
``tests/browser/conftest.py``, like the browser.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from mapgov.core import clock
from mapgov.core.i18n import label, t
from mapgov.core.model import AuditKind, Role
from mapgov.demo import wall_token
from mapgov.domain import accounts, display_tokens
from mapgov.store import Store, open_store
from tests.conftest import DEMO_PASSWORD, SEED

from . import helpers as tb

pytestmark = [pytest.mark.browser, pytest.mark.slow]


PATHS = [
    "/",
    "/wall",
    "/issues",
    "/life-circle",
    "/party",
    "/compounds",
    "/deliberation",
    "/members",
    "/co-building",
    "/data",
]
CRAFTED = ["", "?user=S001-admin", "?role=admin", "?user=S001-admin&role=admin&kiosk=1"]
STAFF = "S001-C1-staff1"
TOKEN = wall_token(SEED, DEMO_PASSWORD)


def _street_words(store: Store) -> list[str]:
    """The names of the street and its communities: none may show before a sign-in."""
    street = store.read("street").iloc[0]
    communities = store.read("community", where={"street_id": street["street_id"]})
    return [street["name"], *communities["name"]]


def _form(page: Page) -> None:
    """The sign-in form is on the page, and nothing else of the app."""
    expect(page.get_by_role("button", name=t("auth.submit"), exact=True)).to_be_visible()
    expect(page.get_by_label(t("auth.login"))).to_be_visible()
    expect(page.get_by_label(t("auth.password"))).to_be_visible()
    expect(page.get_by_test_id("stSidebarNavLink")).to_have_count(0)
    expect(page.get_by_test_id("stMetric")).to_have_count(0)
    expect(page.locator(tb.FOLIUM_IFRAME)).to_have_count(0)
    expect(page.get_by_test_id("stDeckGlJsonChart")).to_have_count(0)
    expect(page.get_by_test_id("stException")).to_have_count(0)


def _submit(page: Page, login: str, password: str, *, refused: bool = True) -> None:
    """Fill the form and send it; for a refusal, wait until the server has answered (it
    empties the password field in the run that follows the submit)."""
    field = page.get_by_label(t("auth.password"))
    page.get_by_label(t("auth.login")).fill(login)
    field.fill(password)
    page.get_by_role("button", name=t("auth.submit"), exact=True).click()
    if refused:
        expect(field).to_have_value("")


def _kinds(db: Path, login: str) -> list[str]:
    log = accounts.read_audit(open_store(db))
    return log.loc[log["subject"] == login, "kind"].tolist()


# -- (a) nobody signed in ----------------------------------------------------------------------
@pytest.mark.parametrize("path", PATHS)
def test_an_anonymous_visitor_sees_only_the_sign_in_form(
    server: tb.Server, visit: tb.Visit, db: Path, path: str
) -> None:
    words = _street_words(open_store(db))
    page = visit.page
    for query in CRAFTED:
        page.goto(f"{server.url}{path}{query}")
        _form(page)
        text = page.locator("body").inner_text()
        assert [w for w in words if w in text] == [], (path, query)
    assert visit.remote(server.url) == []


# -- (b) the form, a reload, the sign-out --------------------------------------------------------
def test_the_form_signs_in_a_reload_keeps_it_and_sign_out_ends_it(
    server: tb.Server, visit: tb.Visit, db: Path
) -> None:
    store = open_store(db)
    name = accounts.get_account(store, STAFF).name
    page = visit.page
    page.goto(f"{server.url}/issues?user=S001-admin")
    _form(page)
    _submit(page, STAFF, DEMO_PASSWORD, refused=False)
    expect(page.locator("h1").first).to_have_text(t("page.issues.title"))
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar).to_contain_text(name)
    expect(sidebar).to_contain_text(label(Role.STAFF))
    tb.expect_session_cookie(page, present=True)
    page.reload()  # a new connection: the cookie signs in again
    expect(page.locator("h1").first).to_have_text(t("page.issues.title"))
    expect(page.get_by_test_id("stSidebar")).to_contain_text(name)
    second = page.context.new_page()  # a second tab of the same browser
    second.goto(f"{server.url}/party")
    expect(second.locator("h1").first).to_have_text(t("page.party.title"))
    second.close()
    page.get_by_test_id("stSidebar").get_by_role("button", name=t("auth.sign_out")).click()
    _form(page)
    tb.expect_session_cookie(page, present=False)
    page.reload()
    _form(page)
    # (e) the audit log: the sign-in and the sign-out
    kinds = _kinds(db, STAFF)
    assert kinds.count(AuditKind.SIGN_IN) == 1
    assert kinds[-1] == AuditKind.SIGN_OUT


# -- (c) lockout -------------------------------------------------------------------------------
def test_five_wrong_passwords_lock_the_login_and_the_right_one_is_refused(
    server: tb.Server, visit: tb.Visit, db: Path
) -> None:
    login = "S001-C2-staff1"
    page = visit.page
    page.goto(f"{server.url}/")
    _form(page)
    alert = page.get_by_test_id("stAlertContentError")
    for attempt in range(1, accounts.LOCK_FAILURES + 1):
        _submit(page, login, f"wrong-password-{attempt}")
        if attempt < accounts.LOCK_FAILURES:
            expect(alert).to_contain_text(t("error.account.bad_credentials"))
    locked = t("error.account.locked", minutes=accounts.LOCK_MINUTES)
    expect(alert).to_contain_text(locked)
    _submit(page, login, DEMO_PASSWORD)  # the right password, during the lock
    expect(alert).to_contain_text(t("error.account.locked", minutes=99).split("99")[0])
    assert tb.COOKIE not in {c["name"] for c in page.context.cookies()}  # nobody signed in
    _form(page)
    # an unknown login reads exactly like a wrong password
    _submit(page, "no.such.person", "whatever-it-is")
    expect(alert).to_contain_text(t("error.account.bad_credentials"))
    # (e) the audit log: five failures, the lockout, the refused right password
    kinds = _kinds(db, login)
    assert kinds == [AuditKind.SIGN_IN_FAILED] * accounts.LOCK_FAILURES + [
        AuditKind.LOCKOUT,
        AuditKind.SIGN_IN_LOCKED,
    ]
    assert _kinds(db, "no.such.person") == [AuditKind.SIGN_IN_FAILED]


# -- (d) the wall screen's display token ---------------------------------------------------------
def test_a_display_token_opens_the_kiosk_wall_only_until_revoked(
    server: tb.Server, visit: tb.Visit, db: Path
) -> None:
    store = open_store(db)
    page = visit.page
    page.goto(f"{server.url}/wall?kiosk=1&token={TOKEN}")
    expect(page.locator(".mg-tile").first).to_be_visible()
    expect(page.get_by_test_id("stSidebar")).to_have_count(0)
    expect(page.get_by_role("button", name=t("auth.submit"), exact=True)).to_have_count(0)
    for other in ("/issues", "/data", "/party"):
        for query in (f"?token={TOKEN}", f"?kiosk=1&token={TOKEN}"):
            page.goto(f"{server.url}{other}{query}")
            _form(page)
    bad = page.get_by_test_id("stAlertContentWarning").filter(has_text=t("auth.bad_token"))
    expect(bad).to_have_count(0)  # another page with a good token: only the form
    page.goto(f"{server.url}/wall?kiosk=1&token={TOKEN[:-2]}xx")  # a wrong token
    _form(page)
    expect(bad).to_be_visible()  # the screen says why it shows a form
    (label,) = display_tokens.list_display_tokens(store)["label"]
    display_tokens.revoke_display_token(store, label, now=clock.system_now(), actor="test")
    page.goto(f"{server.url}/wall?kiosk=1&token={TOKEN}")
    _form(page)
    expect(bad).to_be_visible()
    kinds = accounts.read_audit(store).query("subject == @label")["kind"].tolist()
    assert kinds[-1] == AuditKind.TOKEN_REVOKED
