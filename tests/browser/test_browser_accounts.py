"""Accounts and permissions in headless chromium, offline (issue 15's done-when, point b and
the account page): staff of one community click a building of another and see its residents
masked, with no way to change its issues; an administrator adds an account on /accounts, and
the new person signs in with the one-time password and must change it first.

The server runs on a private copy of the demo database (these tests write an issue, an
account, sessions and audit rows); browser and server helpers come from
``tests/browser/conftest.py``, the map's helpers from ``tests/browser/helpers.py``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from mapgov.core.i18n import label, t
from mapgov.core.model import AuditKind, CoAction, CoEntity, EventAction, ProjectStatus, Role
from mapgov.core.privacy import mask_phone
from mapgov.domain import accounts, cobuild, issues, party
from mapgov.domain import issues_workflow as workflow
from mapgov.domain.users import get_user
from mapgov.store import open_store
from mapgov.views.issues import BUILDING_CLASS
from tests.conftest import DEMO_PASSWORD

from . import helpers as tb
from .helpers import _aim_at, _choose, _expect_panel, _panel_title

pytestmark = [pytest.mark.browser, pytest.mark.slow]

STAFF = "S001-C1-staff1"
OTHER = "S001-C2"
ADMIN = "S001-admin"
PHONE = "13912345678"
REPORTER = "欧阳明远"


def _no_errors(page: Page) -> None:
    expect(page.get_by_test_id("stException")).to_have_count(0)
    expect(page.get_by_test_id("stAlertContentError")).to_have_count(0)


def test_staff_see_another_communitys_building_masked_and_cannot_change_its_issues(
    db: Path, server: tb.Server, visit: tb.Visit
) -> None:
    store = open_store(db)
    building = issues.community_buildings(store, OTHER).iloc[0]
    issue_id = workflow.log_issue(  # a resident of the other community reported something
        store,
        get_user(store, f"{OTHER}-staff1"),
        building_id=building["building_id"],
        category="parking",
        source="walk_in",
        title="消防通道被占",
        reporter_name=REPORTER,
        reporter_phone=PHONE,
    )
    page = visit.page
    tb.sign_in(page, server, STAFF)
    page.goto(f"{server.url}/issues?lang=zh&community={OTHER}")
    count = len(issues.community_buildings(store, OTHER))
    expect(page.frame_locator(tb.FOLIUM_IFRAME).locator(f"path.{BUILDING_CLASS}")).to_have_count(
        count
    )
    x, y = _aim_at(page, building)
    page.mouse.click(x, y)  # what a person clicks: the building on the map
    _expect_panel(page, _panel_title(store, building))
    _no_errors(page)
    staff = get_user(store, STAFF)
    read_only = t("issues.read_only", name=staff.name, role=label(staff.role))
    expect(page.get_by_text(read_only)).to_be_visible()
    panel = page.get_by_test_id("stMain")
    expect(panel.get_by_text("消防通道被占").first).to_be_visible()
    expect(panel.get_by_text(mask_phone(PHONE) or "").first).to_be_visible()
    assert PHONE not in panel.inner_text()
    assert REPORTER not in panel.inner_text()
    # no form to log or work an issue of that community
    expect(page.get_by_text(t("issues.form.log"))).to_have_count(0)
    expect(page.get_by_test_id("stForm")).to_have_count(0)
    expect(page.get_by_role("tab", name=label(EventAction.ASSIGN))).to_have_count(0)
    # nor on the data page: importing there is for administrators only
    page.goto(f"{server.url}/data?lang=zh")
    expect(page.get_by_text(t("data_page.admin_only")).first).to_be_visible()
    assert store.read("issue", where={"issue_id": issue_id})["status"].tolist() == ["reported"]
    log = accounts.read_audit(store)
    seen = log[(log["actor"] == STAFF) & (log["kind"] == AuditKind.PERSONAL_DATA_VIEWED)]
    assert seen.empty  # nothing was shown unmasked to them


def test_an_administrator_adds_an_account_whose_person_must_change_the_password(
    db: Path, server: tb.Server, visit: tb.Visit, browser: Browser
) -> None:
    store = open_store(db)
    page = visit.page
    tb.sign_in(page, server, ADMIN)
    page.goto(f"{server.url}/?lang=zh")
    page.get_by_test_id("stSidebarNavLink").filter(has_text=t("page.accounts.nav")).click()
    expect(page.locator("h1").first).to_have_text(t("page.accounts.title"))
    page.get_by_label(t("account_page.login"), exact=True).fill("wang.xiaohong")
    page.get_by_label(t("account_page.name"), exact=True).fill("王小红")
    community = store.read("community", where={"community_id": "S001-C1"}).iloc[0]["name"]
    add_form = page.get_by_test_id("stForm").filter(has=page.get_by_label("用户名", exact=True))
    _choose(page, add_form.get_by_role("combobox", name=t("account_page.community")), community)
    page.get_by_role("button", name=t("account_page.add_submit"), exact=True).click()
    expect(
        page.get_by_test_id("stAlertContentSuccess").filter(
            has_text=t("account_page.added", login="wang.xiaohong")
        )
    ).to_be_visible()
    one_time = page.get_by_test_id("stCode").inner_text().strip()
    made = accounts.get_account(store, "wang.xiaohong")
    assert (made.role, made.community_id, made.must_change_password) == (
        Role.STAFF,
        "S001-C1",
        True,
    )
    # the new person, in a browser of their own
    context = browser.new_context(viewport=tb.VIEWPORT, locale="zh-CN")
    try:
        person = context.new_page()
        person.set_default_timeout(tb.UI_TIMEOUT_MS)
        person.goto(f"{server.url}/?lang=zh")
        person.get_by_label(t("auth.login")).fill("wang.xiaohong")
        person.get_by_label(t("auth.password")).fill(one_time)
        person.get_by_role("button", name=t("auth.submit"), exact=True).click()
        expect(person.locator("h1").first).to_have_text(t("auth.change_title"))
        expect(person.get_by_test_id("stSidebarNavLink")).to_have_count(0)
        expect(person.get_by_test_id("stMetric")).to_have_count(0)
        new = "Morning-orchard-lamp-4"
        person.get_by_label(t("auth.old"), exact=True).fill(one_time)
        person.get_by_label(t("auth.new"), exact=True).fill(new)
        person.get_by_label(t("auth.again"), exact=True).fill(new)
        person.get_by_role("button", name=t("auth.change_submit"), exact=True).click()
        expect(person.locator("h1").first).to_have_text(t("page.wall.title"))
        _no_errors(person)
    finally:
        context.close()
    assert not accounts.get_account(store, "wang.xiaohong").must_change_password
    log = accounts.read_audit(store)
    kinds = log.loc[log["subject"] == "wang.xiaohong", "kind"].tolist()
    assert kinds == ["account_added", "sign_in", "password_changed"]
    assert log.loc[log["subject"] == "wang.xiaohong", "actor"].iloc[0] == ADMIN
    assert re.fullmatch(r"[A-Za-z0-9_-]{16}", one_time)


def test_a_wall_screen_token_opens_the_wall_from_its_whole_address(
    server: tb.Server, visit: tb.Visit, browser: Browser
) -> None:
    """The address shown once was the path alone ("/wall?kiosk=1&token=..."): the screen's
    browser needs the host too. Revoking it asks first; answered yes, the address opens the
    sign-in page."""
    page = visit.page
    tb.sign_in(page, server, ADMIN)
    page.goto(f"{server.url}/accounts?lang=zh")
    expect(page.locator("h1").first).to_have_text(t("page.accounts.title"))
    # a wall screen's token: its whole address, to type into the screen's browser
    page.get_by_role("tab", name=t("account_page.tab.tokens")).click()
    page.get_by_label(t("account_page.token_label"), exact=True).fill("会议室大屏")
    page.get_by_role("button", name=t("account_page.token_add"), exact=True).click()
    address = page.get_by_test_id("stCode").filter(has_text="kiosk=1").inner_text().strip()
    assert address.startswith(f"{server.url}/wall?kiosk=1&token=")  # not the path alone
    wall = browser.new_context(viewport=tb.VIEWPORT, locale="zh-CN")
    try:
        screen = wall.new_page()
        screen.set_default_timeout(tb.UI_TIMEOUT_MS)
        screen.goto(address)
        expect(screen.get_by_label(t("auth.login"))).to_have_count(0)
        expect(screen.locator(".mg-tile").first).to_be_visible()
        _choose(
            page, page.get_by_role("combobox", name=t("account_page.token_choose")), "会议室大屏"
        )
        page.get_by_role("button", name=t("account_page.token_revoke"), exact=True).click()
        question = t("account_page.confirm.revoke", label="会议室大屏")
        expect(page.get_by_test_id("stAlertContentWarning")).to_contain_text(question)
        page.get_by_role("button", name=t("account_page.confirm.yes.revoke"), exact=True).click()
        revoked = t("account_page.token_revoked", label="会议室大屏")
        expect(page.get_by_test_id("stAlertContentSuccess")).to_contain_text(revoked)
        screen.goto(address)
        expect(screen.get_by_label(t("auth.login"))).to_be_visible()
        expect(screen.locator(".mg-tile")).to_have_count(0)
    finally:
        wall.close()
    _no_errors(page)


def test_staff_cannot_change_another_communitys_party_or_co_building_records(
    db: Path, server: tb.Server, visit: tb.Visit
) -> None:
    """Staff of S001-C1 open S001-C2 on /party and /co-building: they read its compound's
    card and a project of it in progress, with no form and no step to take there."""
    store = open_store(db)
    staff = get_user(store, STAFF)
    comps = party.load(store, street_id="S001").compounds
    compound = comps[comps["community_id"] == OTHER].sort_values("compound_id").iloc[0]
    before = store.counts()
    page = visit.page
    tb.sign_in(page, server, STAFF)
    page.goto(f"{server.url}/party?lang=zh&community={OTHER}")
    tb.expect_compounds(page, int((comps["community_id"] == OTHER).sum()))
    tb.click_compound(page, store, compound["compound_id"])  # what a person clicks
    tb.expect_card(page, compound["name"])
    _no_errors(page)
    expect(
        page.get_by_text(t("party_page.read_only", name=staff.name, role=label(staff.role)))
    ).to_be_visible()
    expect(page.get_by_test_id("stForm")).to_have_count(0)
    expect(page.get_by_role("button", name=t("party_page.form.save"))).to_have_count(0)

    projects = cobuild.load(store, street_id="S001").projects
    running = projects[
        (projects["community_id"] == OTHER)
        & (projects["status"] == ProjectStatus.IN_PROGRESS.value)
    ].iloc[0]
    assert cobuild.allowed_actions(
        store, CoEntity.PROJECT, running, get_user(store, f"{OTHER}-staff1")
    )  # its own staff could take steps on it
    page.goto(f"{server.url}/co-building?lang=zh&community={OTHER}")
    expect(page.locator("h1").first).to_have_text(t("page.co_building.title"))
    picker = page.get_by_role(
        "combobox", name=t("co_building_page.record.choose", entity=label(CoEntity.PROJECT))
    )
    option = t("co_building_page.record.option", id=running["project_id"], title=running["title"])
    _choose(page, picker, option)
    expect(picker).to_have_value(option)
    _no_errors(page)
    read_only = t("co_building_page.read_only", name=staff.name, role=label(staff.role))
    expect(page.get_by_text(read_only).first).to_be_visible()
    for action in (CoAction.PROGRESS, CoAction.COMPLETE, CoAction.CANCEL):
        expect(page.get_by_role("tab", name=label(action), exact=True)).to_have_count(0)
    expect(page.get_by_text(t("co_building_page.new.heading"), exact=True)).to_have_count(0)
    expect(page.get_by_role("button", name=t("co_building_page.match.pair"))).to_have_count(0)
    expect(page.get_by_test_id("stForm")).to_have_count(0)
    after = store.counts()
    for table in ("change_log", "co_event", "community_need", "micro_wish", "co_project"):
        assert after[table] == before[table], table


def test_a_link_to_the_account_page_tells_anyone_else_it_is_for_administrators(
    server: tb.Server, visit: tb.Visit
) -> None:
    """A leader follows a shared link or a bookmark to /accounts: the page says, in Chinese,
    that it is for administrators, and shows nothing else; it is not in their menu.
    (Streamlit had shown its English "Page not found" over the wall screen.)"""
    page = visit.page
    tb.sign_in(page, server, "S001-leader")
    page.goto(f"{server.url}/accounts?lang=zh")
    expect(page.get_by_text(t("account_page.admin_only"))).to_be_visible()
    tb.settle(page)
    expect(page.get_by_text("Page not found")).to_have_count(0)
    expect(page.get_by_test_id("stDataFrame")).to_have_count(0)
    expect(page.get_by_role("tab")).to_have_count(0)
    nav = page.get_by_test_id("stSidebarNavLink")
    expect(nav.filter(has_text=t("page.wall.nav"))).to_have_count(1)
    expect(nav.filter(has_text=t("page.accounts.nav"))).to_have_count(0)
    _no_errors(page)


def test_the_audit_log_reads_in_chinese_with_its_exports_side_by_side(
    server: tb.Server, visit: tb.Visit
) -> None:
    """An administrator signs in on the form and reads the audit log: times as the other
    pages show them, sources in words, nothing written "None"; both exports together."""
    page = visit.page
    page.goto(f"{server.url}/?lang=zh")
    page.get_by_label(t("auth.login")).fill(ADMIN)
    page.get_by_label(t("auth.password")).fill(DEMO_PASSWORD)
    page.get_by_role("button", name=t("auth.submit"), exact=True).click()
    page.get_by_test_id("stSidebarNavLink").filter(has_text=t("page.accounts.nav")).click()
    page.get_by_role("tab", name=t("account_page.tab.audit")).click()
    grid = page.get_by_test_id("stDataFrame").filter(has_text=t("account_page.audit.col.at"))
    expect(grid).to_be_visible()
    cells = grid.locator("[role=gridcell]")  # the grid's accessible cells (drawn on a canvas)
    expect(cells.first).to_have_text(re.compile(r"^\d{4}-"))
    texts = cells.all_inner_texts()
    rows = [texts[i : i + 6] for i in range(0, len(texts), 6)]
    assert rows and all(re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", r[0]) for r in rows)
    signed_in = [r for r in rows if r[1] == ADMIN and r[2] == label(AuditKind.SIGN_IN)]
    assert signed_in and signed_in[-1][5].startswith(t("account_page.audit.source.web"))
    assert not {"None", "web", "nan"} & {c.strip() for c in texts}
    excel, csv = (
        page.get_by_role("button", name=t(f"account_page.audit.download_{s}"))
        for s in ("xlsx", "csv")
    )
    left, right = excel.bounding_box(), csv.bounding_box()
    assert left is not None and right is not None
    assert abs(left["y"] - right["y"]) < 2
    assert 0 <= right["x"] - (left["x"] + left["width"]) < 40  # side by side, not mid-page
    _no_errors(page)
