"""The phone page /report in headless chromium at a phone's size, offline, signed in to nothing:
a resident scans a building's QR code, reports with a photo, gets a ticket and follows it.

The steps are helpers of ``tests/browser/helpers.py`` (:func:`~.helpers.phone_tab`,
:func:`~.helpers.file_report_on_phone`, :func:`~.helpers.open_ticket`), so that a longer flow
(staff closing the issue on /issues, then the resident's callback) strings them together.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from mapgov.core import clock
from mapgov.core.i18n import label, t
from mapgov.core.model import CallbackRating, EventAction, IssueCategory, IssueStatus
from mapgov.domain import reports
from mapgov.io.photos import photo_folder
from mapgov.store import open_store
from tests.fieldreports import COMMUNITY, STAFF, has_exif, phone_jpeg, quiet_building, resolve

from . import helpers as tb
from .helpers import Server

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def phone(browser: Browser) -> Iterator[tb.Visit]:
    tab = tb.phone_tab(browser)
    yield tab
    tab.page.context.close()


@pytest.fixture
def photo(tmp_path: Path) -> Path:
    path = tmp_path / "IMG_0001.jpg"
    path.write_bytes(phone_jpeg())
    return path


def _fits_the_phone(page: Page) -> None:
    """Nothing wider than the phone: no sideways scrolling."""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= tb.PHONE["width"], width


def test_a_resident_reports_from_a_qr_code_and_follows_the_ticket(
    server: Server, phone: tb.Visit, photo: Path
) -> None:
    page = phone.page
    store = open_store(server.db)
    building = quiet_building(store)
    ticket = tb.file_report_on_phone(
        page,
        server,
        building,
        category=label(IssueCategory.LIGHTING),
        description="3单元楼道灯不亮 <img src=x onerror=alert(1)>",
        photos=[photo],
    )
    expect(page.get_by_text(t("report.done.title"))).to_be_visible()
    _fits_the_phone(page)
    # what was filed: the building, a photo without its EXIF
    issue = store.read("issue", where={"ticket": ticket}).iloc[0]
    assert (issue["building_id"], issue["channel"]) == (building, "phone")
    kept = reports.issue_photos(store, int(issue["issue_id"]))
    assert len(kept) == 1
    assert not has_exif(photo_folder(server.db).read(kept["name"].iloc[0]))
    # the ticket page
    assert tb.open_ticket(page, server, ticket) == label(IssueStatus.REPORTED)
    expect(page.get_by_test_id("stImage")).to_have_count(1)  # the photo's thumbnail
    _fits_the_phone(page)
    # nothing of the street around it, nothing from the internet, no script from the text
    expect(page.get_by_test_id("stSidebar")).to_have_count(0)
    assert phone.remote(server.url) == []
    assert phone.dialogs == []


def test_a_tap_on_the_compound_map_picks_the_building(server: Server, phone: tb.Visit) -> None:
    page = phone.page
    store = open_store(server.db)
    building = store.read("building", where={"building_id": quiet_building(store)}).iloc[0]
    compound = store.read("compound", where={"compound_id": building["compound_id"]}).iloc[0]
    page.goto(f"{server.url}/report?lang=zh")
    tb.settle(page)
    box = page.get_by_role("combobox", name=t("report.compound"))
    box.click()
    page.keyboard.type(compound["name"])  # a long list: filter it, as a person would
    page.get_by_role("option", name=compound["name"], exact=True).click()
    tb.settle(page)
    point = building.geometry.representative_point()
    tb.tap_on_map(page, point.x, point.y)
    picked = page.get_by_role("combobox", name=t("report.building"))
    expect(picked).to_have_value(building["name"])
    _fits_the_phone(page)
    assert phone.remote(server.url) == []


def test_the_resident_answers_the_callback_on_the_ticket_page(
    server: Server, phone: tb.Visit
) -> None:
    page = phone.page
    store = open_store(server.db)
    building = quiet_building(store, community="S001-C1", category="parking")
    ticket = tb.file_report_on_phone(
        page, server, building, category=label(IssueCategory.PARKING), description="车堵了消防通道"
    )
    issue_id = int(store.read("issue", where={"ticket": ticket})["issue_id"].iloc[0])
    resolve(store, issue_id)  # the staff's part, done here through the domain
    assert tb.open_ticket(page, server, ticket) == label(IssueStatus.RESOLVED)
    tb.rate_on_ticket(page, label(CallbackRating.SATISFIED), note="谢谢")
    assert store.read("issue", where={"ticket": ticket})["satisfaction"].iloc[0] == "satisfied"
    assert tb.open_ticket(page, server, ticket) == label(IssueStatus.CALLBACK)


def test_the_loop_from_a_qr_code_to_staff_closing_and_the_residents_rating(
    server: Server, browser: Browser, phone: tb.Visit, photo: Path
) -> None:
    """Issue 20's loop as people do it: a resident reports from the building's QR code with a
    photo; the community's staff find it among the new reports on /issues, see the photo and
    work it to resolved; the resident rates it on the ticket page; the staff close it."""
    page = phone.page
    store = open_store(server.db)
    building_id = quiet_building(store, community=COMMUNITY, category="water_pipes")
    building = store.read("building", where={"building_id": building_id}).iloc[0]
    ticket = tb.file_report_on_phone(
        page,
        server,
        building_id,
        category=label(IssueCategory.WATER_PIPES),
        description="楼顶水箱漏水，五楼墙面渗水",
        photos=[photo],
    )
    issue = store.read("issue", where={"ticket": ticket}).iloc[0]
    issue_id = int(issue["issue_id"])
    (kept,) = reports.issue_photos(store, issue_id)["name"]
    assert not has_exif(photo_folder(server.db).read(kept))  # the store holds no EXIF
    # a neighbour's newer report on the same building: listed first in the building's panel,
    # which must stay on the report being worked as its steps are saved
    reports.file_report(
        store,
        {"building_id": building_id, "category": "sanitation", "description": "垃圾桶满了"},
        by=None,
        source="web 10.9.9.9",
        now=clock.system_now(),
    )
    desk = tb.new_tab(browser, viewport=tb.VIEWPORT)
    try:
        staff = desk.page
        tb.sign_in(staff, server, STAFF)
        staff.goto(f"{server.url}/issues?lang=zh&community={COMMUNITY}")
        waiting = len(store.read("issue", where={"channel": "phone", "status": "reported"}))
        expect(staff.get_by_text(t("issues.field_report.badge", n=waiting))).to_be_visible()
        staff.get_by_text(t("issues.field_report.toggle"), exact=True).click()
        tb._choose(
            staff,
            staff.get_by_role("combobox", name=t("issues.field_report.pick")),
            re.compile(rf"^#{issue_id} "),
        )
        tb._expect_panel(staff, tb._panel_title(store, building))
        expect(staff.get_by_text(t("issues.field_report.photos", n=1))).to_be_visible()
        expect(staff.get_by_test_id("stImage")).to_have_count(1)  # the photo's thumbnail
        tb.save_step(staff, EventAction.ASSIGN, issue_id, responsible_unit="物业维修部")
        tb.save_step(staff, EventAction.START, issue_id)
        tb.save_step(staff, EventAction.RESOLVE, issue_id, resolve_note="已更换水箱阀门")
        # the resident, on the ticket page
        assert tb.open_ticket(page, server, ticket) == label(IssueStatus.RESOLVED)
        tb.rate_on_ticket(page, label(CallbackRating.SATISFIED), note="修得很快")
        # the staff close it, on a page drawn after the rating
        staff.goto(f"{server.url}/issues?lang=zh&community={COMMUNITY}")
        tb.find_building(staff, store, building)
        tb._choose(staff, tb.issue_picker(staff), re.compile(rf"^#{issue_id} "))
        tb.save_step(staff, EventAction.CLOSE, issue_id)
        assert desk.remote(server.url) == []
    finally:
        desk.page.context.close()
    after = store.read("issue", where={"issue_id": issue_id}).iloc[0]
    assert (after["status"], after["satisfaction"]) == ("closed", "satisfied")
    assert tb.open_ticket(page, server, ticket) == label(IssueStatus.CLOSED)
    assert phone.remote(server.url) == [] and phone.dialogs == []


def test_the_phones_location_picks_the_building(server: Server, browser: Browser) -> None:
    store = open_store(server.db)
    building = store.read("building", where={"building_id": quiet_building(store)}).iloc[0]
    here = building.geometry.representative_point()
    tab = tb.new_tab(
        browser,
        viewport=tb.PHONE,
        has_touch=True,
        is_mobile=True,
        locale="zh-CN",
        geolocation={"longitude": here.x, "latitude": here.y, "accuracy": 10},
        permissions=["geolocation"],  # the person allowed it when the browser asked
    )
    try:
        page = tab.page
        page.goto(f"{server.url}/report?lang=zh")
        tb.settle(page)
        page.get_by_role("button", name=t("report.locate.button")).click()
        expect(page.get_by_role("button", name=t("report.other_place"))).to_be_visible()
        compound = store.read("compound", where={"compound_id": building["compound_id"]})
        said = t(
            "report.from_location", compound=compound["name"].iloc[0], building=building["name"]
        )
        expect(page.get_by_text(said.replace("**", ""))).to_be_visible()  # not "from a QR code"
        assert f"building={building['building_id']}" in page.url
        assert tab.remote(server.url) == []
    finally:
        tab.page.context.close()
