"""The issue map in headless chromium, offline: a real click on a building, the workflow forms.

The server runs on the module's private copy of the demo database (the ``db`` fixture of
``tests/browser/conftest.py``; these tests write issues) and is started, awaited and stopped
with the helpers of ``tests/browser/helpers.py``. The times from a
click to the panel are printed (run with ``-s`` to see them); the only timed assertion is the
generous UI timeout.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pandas as pd
import pytest
from playwright.sync_api import (
    FrameLocator,
    Page,
    expect,
)

from mapgov.core.i18n import label, t
from mapgov.core.model import EventAction, IssueStatus
from mapgov.domain import issue_reads, issues
from mapgov.domain.users import get_user
from mapgov.store import Store, open_store
from mapgov.views import issues as issuepins
from mapgov.views.issues import BUILDING_CLASS
from tests.conftest import AS_OF

from . import helpers as tb
from .helpers import (
    FOLIUM_IFRAME,
    Server,
    _aim_at,
    _choose,
    _expect_panel,
    _map_frame,
    _panel_title,
    _start,
    _stop,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

COMMUNITY = "S001-C1"
STAFF = "S001-C1-staff1"
XSS = "<img src=x onerror=alert(1)>"
PAGE = f"/issues?lang=zh&community={COMMUNITY}"


@pytest.fixture
def page(visit: tb.Visit) -> Page:
    return visit.page


def _map(page: Page) -> FrameLocator:
    return page.frame_locator(FOLIUM_IFRAME)


def _wait_for_buildings(page: Page, store: Store) -> None:
    count = len(issues.community_buildings(store, COMMUNITY))
    expect(_map(page).locator(f"path.{BUILDING_CLASS}")).to_have_count(count)


def _busiest(store: Store) -> pd.Series:
    counts = issues.building_issue_counts(store, COMMUNITY, today=AS_OF)
    best = counts.sort_values(["open", "total"], ascending=False).iloc[0]
    built = issues.community_buildings(store, COMMUNITY).set_index("building_id")
    return built.loc[best["building_id"]]


def _view(page: Page) -> list[float]:
    return _map_frame(page).evaluate(
        "[window.map.getZoom(), window.map.getCenter().lat, window.map.getCenter().lng]"
    )


def _click_building(page: Page, building: pd.Series) -> float:
    """Click a point inside the building; returns the moment of the click."""
    x, y = _aim_at(page, building)
    started = time.perf_counter()
    page.mouse.click(x, y)
    return started


def _log_issue(page: Page, title: str) -> int:
    page.get_by_text(t("issues.form.log")).click()
    tb.fill_issue_field(page, "title", title)
    tb.fill_issue_field(page, "description", f"楼道里一片黑 {XSS}")
    tb.fill_issue_field(page, "reporter_name", "张三丰")
    tb.fill_issue_field(page, "reporter_phone", "13812345678")
    page.get_by_role("button", name=t("issues.form.submit_log")).click()
    success = page.get_by_test_id("stAlertContentSuccess")
    expect(success).to_contain_text("#")
    return int(re.search(r"#(\d+)", success.inner_text()).group(1))  # type: ignore[union-attr]


def test_click_a_building_log_an_issue_and_find_it_after_a_reload(
    db: Path, page: Page, visit: tb.Visit
) -> None:
    store = open_store(db)
    server = _start(db)
    try:
        tb.sign_in(page, server, STAFF)
        page.goto(f"{server.url}{PAGE}")
        _wait_for_buildings(page, store)
        building = _busiest(store)
        x, y = _aim_at(page, building)
        view = _view(page)
        _map_frame(page).evaluate("window.mapgovMark = 'still the same map'")
        started = time.perf_counter()
        page.mouse.click(x, y)
        _expect_panel(page, _panel_title(store, building))
        elapsed = time.perf_counter() - started
        print(f"\nclick -> panel (scale 1, cold caches): {elapsed:.2f} s")
        expected = issue_reads.building_issues(
            store, building.name, user=get_user(store, STAFF), today=AS_OF
        )
        expect(
            page.get_by_text(t("issues.panel.issues", n=len(expected)), exact=True)
        ).to_be_visible()
        first = expected.iloc[0]
        option = t(
            "issues.panel.issue_option",
            issue_id=int(first["issue_id"]),
            status=label(IssueStatus(first["status"])),
            title=first["title"],
        )
        expect(tb.issue_picker(page)).to_have_value(option)
        # the map kept its view and its page: no redraw after the click
        assert _view(page) == view
        assert _map_frame(page).evaluate("window.mapgovMark") == "still the same map"
        # a second click, on warm caches
        other = issues.community_buildings(store, COMMUNITY).iloc[0]
        started = _click_building(page, other)
        _expect_panel(page, _panel_title(store, other))
        print(f"click -> panel (scale 1, warm): {time.perf_counter() - started:.2f} s")
        tb.find_building(page, store, building)
        # log an issue, with markup in its text
        title = f"楼道灯不亮 {XSS}"
        issue_id = _log_issue(page, title)
        tb.no_errors(page)
        expect(page.get_by_text(t("issues.logged", issue_id=issue_id))).to_be_visible()
        assert page.locator('img[src="x"]').count() == 0
        assert visit.dialogs == []
        # after a reload: a new session, the issue is in the building's list
        page.reload()
        _wait_for_buildings(page, store)
        _click_building(page, building)
        _expect_panel(page, _panel_title(store, building))
        option = t(
            "issues.panel.issue_option",
            issue_id=issue_id,
            status=label(IssueStatus.REPORTED),
            title=title,
        )
        expect(tb.issue_picker(page)).to_have_value(option)
        expect(page.get_by_text("张三丰 13812345678")).to_be_visible()
        assert page.locator('img[src="x"]').count() == 0
        assert visit.dialogs == []
        tb.no_errors(page)
    finally:
        _stop(server)
    assert "Traceback" not in server.log()


def test_one_click_opens_a_building_on_a_small_screen(db: Path, page: Page) -> None:
    """Issue 18.1: at 1366×768 the map runs below the window; the first click on a building
    opens its panel (it used to scroll the page, lose the click and need a second one)."""
    store = open_store(db)
    built = issues.community_buildings(store, COMMUNITY).set_index("building_id")
    points = {str(i): (p.x, p.y) for i, p in built.representative_point().items()}
    page.set_viewport_size({"width": 1366, "height": 768})
    server = _start(db)
    try:
        tb.sign_in(page, server, STAFF)
        page.goto(f"{server.url}{PAGE}")
        _wait_for_buildings(page, store)
        building_id, x, y = tb.point_below_the_fold(page, points, BUILDING_CLASS)
        page.mouse.click(x, y)  # once
        _expect_panel(page, _panel_title(store, built.loc[building_id]))
        tb.no_errors(page)
    finally:
        _stop(server)
    assert "Traceback" not in server.log()


def test_a_pin_for_each_open_issue_with_its_tooltip(db: Path, page: Page) -> None:
    """Issue 18.7: one pin per open issue of the community (FixMyStreet's basic view), as
    many as the open issues in the ledger, each telling its category, status and days."""
    store = open_store(db)
    grids = store.read("grid", where={"community_id": COMMUNITY}, columns=["grid_id"])
    comps = store.read("compound", where={"grid_id": list(grids["grid_id"])})
    ledger = store.read("issue", where={"compound_id": list(comps["compound_id"])})
    open_now = ledger[ledger["status"] != IssueStatus.CLOSED.value]
    server = _start(db)
    try:
        tb.sign_in(page, server, STAFF)
        page.goto(f"{server.url}{PAGE}")
        _wait_for_buildings(page, store)
        pins = _map(page).locator(f"path.{issuepins.PIN_CLASS}")
        expect(pins).to_have_count(len(open_now))
        # the mouse over the first pin; again while the map still moves under it (a fitted
        # map settling, on a loaded machine, put a compound under the mouse instead)
        tip = _map(page).locator(".leaflet-tooltip", has_text=t("issues.map.days"))

        def pin_tip_shows() -> bool:
            pins.first.hover(force=True)
            return tip.count() > 0

        assert tb.poll(page, pin_tip_shows, timeout_s=tb.UI_TIMEOUT_MS / 1000, every_ms=500)
        expect(tip.first).to_contain_text(t("issues.map.status"))
        tb.no_errors(page)
    finally:
        _stop(server)
    assert "Traceback" not in server.log()


def test_an_issue_worked_to_the_end_keeps_its_timeline_after_a_restart(
    db: Path, page: Page
) -> None:
    store = open_store(db)
    building = issues.community_buildings(store, COMMUNITY).iloc[1]
    server: Server = _start(db)
    try:
        tb.sign_in(page, server, STAFF)
        page.goto(f"{server.url}{PAGE}")
        _wait_for_buildings(page, store)
        _click_building(page, building)
        _expect_panel(page, _panel_title(store, building))
        issue_id = _log_issue(page, "单元门禁损坏")
        tb.save_step(
            page, EventAction.ASSIGN, issue_id, responsible_unit="洛阳建业物业", note="三天内修好"
        )
        tb.save_step(page, EventAction.START, issue_id)
        tb.save_step(page, EventAction.RESOLVE, issue_id, resolve_note="已更换门禁主板")
        tb.save_step(page, EventAction.CALLBACK, issue_id, note="居民满意")
        tb.save_step(page, EventAction.CLOSE, issue_id)
    finally:
        _stop(server)
    server = _start(db)  # a restart: everything must come from the database
    try:
        tb.sign_in(page, server, STAFF)
        page.goto(f"{server.url}{PAGE}")
        _wait_for_buildings(page, store)
        tb.find_building(page, store, building)
        _choose(page, tb.issue_picker(page), re.compile(rf"^#{issue_id} "))
        # the history: six steps in order, each with what was noted beneath it, whole
        closed = f"{label(EventAction.CLOSE)} → {label(IssueStatus.CLOSED)}"
        steps = page.get_by_role("listitem").filter(has_text=re.compile(r"^\d{4}-\d\d-\d\d "))
        expect(steps).to_have_count(6)
        expect(steps.last).to_contain_text(closed)
        texts = steps.all_inner_texts()
        actions = [label(EventAction(a)) for a in ("report", "assign", "start", "resolve")]
        actions += [label(EventAction(a)) for a in ("callback", "close")]
        assert all(f" · {a} → " in line for a, line in zip(actions, texts, strict=True)), texts
        assert texts[1].endswith("三天内修好") and texts[3].endswith("已更换门禁主板")
        assert issue_reads.issue_timeline(store, issue_id)["action"].tolist() == [
            "report", "assign", "start", "resolve", "callback", "close",
        ]  # fmt: skip
        expect(page.get_by_role("tab")).to_have_count(0)  # closed: no more forms
        tb.no_errors(page)
    finally:
        _stop(server)
    assert "Traceback" not in server.log()


def test_staff_take_the_communitys_ledger_away_as_excel(db: Path, page: Page) -> None:
    """The button under the map gives the community's whole ledger (no filter chosen) as a
    workbook, in Chinese, reporters' phones in full for the community's own staff."""
    store = open_store(db)
    server = _start(db)
    try:
        tb.sign_in(page, server, STAFF)
        page.goto(f"{server.url}{PAGE}")
        _wait_for_buildings(page, store)
        n = len(issues.community_issues(store, COMMUNITY))
        button = page.get_by_role("button", name=t("issues.ledger.download", n=f"{n:,}"))
        with page.expect_download() as download:
            button.click()
        assert download.value.suggested_filename.endswith(".xlsx")
        assert "问题台账" in download.value.suggested_filename
        sheet = pd.read_excel(download.value.path(), dtype=str)
    finally:
        _stop(server)
    assert len(sheet) == n
    raw = store.read("issue", columns=["issue_id", "reporter_phone"]).dropna()
    mine = raw[raw["issue_id"].isin(sheet[t("issues.col.issue_id")].astype(int))]
    assert set(sheet[t("issues.col.phone")].dropna()) == set(mine["reporter_phone"])


def test_the_empty_date_range_reads_year_month_day_in_chinese(db: Path, page: Page) -> None:
    """Streamlit writes an empty date's parts "yyyy/mm/dd" whatever the page's language, and
    offers English quick picks ("Past Week") in its calendar: the Chinese page shows 年/月/日
    in the field, all of it in the sidebar's width, and no quick picks."""
    server = _start(db)
    try:
        tb.sign_in(page, server, STAFF)
        page.goto(f"{server.url}{PAGE}")
        field = page.locator('[data-testid="stSidebar"] [data-testid="stDateInputField"]')
        parts = field.locator('[role="spinbutton"][data-placeholder="true"]')
        expect(parts).to_have_count(6)  # start and end: year, month, day
        # The shell's style sheet reaches the page as one more element: wait until it applies
        # (seen once in CI: the parts were read before it came), then read every part's word.
        page.wait_for_function(
            "sel => [...document.querySelectorAll(sel)]"
            ".some(p => getComputedStyle(p, '::after').content !== 'none')",
            arg='[data-testid="stSidebar"] [data-testid="stDateInputField"] '
            '[role="spinbutton"][data-placeholder="true"]',
        )
        words = parts.evaluate_all("ps => ps.map(p => getComputedStyle(p, '::after').content)")
        assert words == [f'"{t(f"app.date.{p}")}"' for p in ("year", "month", "day")] * 2
        sizes = parts.evaluate_all("ps => ps.map(p => getComputedStyle(p, '::after').fontSize)")
        assert sizes == [field.evaluate("f => getComputedStyle(f).fontSize")] * 6  # not 0
        scroller = field.get_by_test_id("stDateInputFieldsScroller")
        assert scroller.evaluate("s => s.scrollWidth <= s.clientWidth")  # nothing cut off
        field.get_by_test_id("stDateInputCalendarButton").click()
        expect(page.get_by_test_id("stDateInputCalendar")).to_be_visible()
        expect(page.get_by_test_id("stDateInputQuickSelect")).to_be_hidden()
        tb.no_errors(page)
    finally:
        _stop(server)
    assert "Traceback" not in server.log()
