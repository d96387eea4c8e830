"""The party members' page in chromium, as a community's staff member uses it: register an
in-service member, record a volunteer task, mark it done, and see the member's points rise from
10 (registered) to 15 (one volunteer service) in the member's file.

The server runs on the module's copy of the demo database, which this test changes.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Locator, Page, expect

from mapgov.core.i18n import label, t
from mapgov.core.model import ServiceKind
from mapgov.domain import members
from mapgov.store import open_store
from tests.conftest import AS_OF

from . import helpers as tb
from .helpers import _choose

pytestmark = [pytest.mark.browser, pytest.mark.slow]

COMMUNITY = "S001-C2"
STAFF = "S001-C2-staff1"


def _form(page: Page, submit: str) -> Locator:
    """The form whose submit button says `submit`."""
    return page.get_by_test_id("stForm").filter(has_text=t(f"members_page.{submit}"))


def _submit(page: Page, form: Locator, submit: str) -> None:
    form.get_by_role("button", name=t(f"members_page.{submit}"), exact=True).click()
    tb.settle(page)


def _total(page: Page) -> Locator:
    name = t("members_page.total", period=str(AS_OF.year))
    return page.get_by_test_id("stMetric").filter(has_text=name).get_by_test_id("stMetricValue")


def test_staff_register_a_member_and_score_a_task(server: tb.Server, visit: tb.Visit) -> None:
    page = visit.page
    store = open_store(server.db)
    frame = members.members_of(store, [COMMUNITY])
    member = frame[(frame["registered"] == 0) & (frame["in_service"] == 1)].iloc[0]
    name = str(member["name"])
    tb.sign_in(page, server, STAFF)
    page.goto(f"{server.url}/members")
    expect(page.locator("h1").first).to_have_text(t("page.members.title"))
    tb.settle(page)
    # register
    register = _form(page, "register_submit")
    picker = register.get_by_role("combobox", name=t("members_page.register_member"))
    _choose(page, picker, re.compile(rf"^{re.escape(name)} "))
    register.get_by_label(t("members_page.register_unit"), exact=True).fill("市第一人民医院")
    _submit(page, register, "register_submit")
    tb.expect_success(page, t("members_page.registered_ok", name=name))
    # record a volunteer task
    task = _form(page, "task_submit")
    option = t("members_page.member_option", name=name, unit="市第一人民医院")
    _choose(page, task.get_by_role("combobox", name=t("members_page.task_member")), option)
    kinds = task.get_by_role("combobox", name=t("members_page.task_kind"))
    _choose(page, kinds, label(ServiceKind.VOLUNTEER))
    task.get_by_label(t("members_page.task_title"), exact=True).fill("楼道清扫")
    _submit(page, task, "task_submit")
    said = t(
        "members_page.task_ok",
        task="{n}",
        name=name,
        kind=label(ServiceKind.VOLUNTEER),
        title="楼道清扫",
    )
    tb.expect_success(page, re.compile(re.escape(said).replace(r"\{n\}", r"\d+")))
    # the member's file: 10 points for registering
    _choose(page, page.get_by_role("combobox", name=t("members_page.pick")), option)
    expect(_total(page)).to_have_text("10")
    # mark the task done (the newest open task comes first)
    finish = _form(page, "finish_submit")
    expect(finish.get_by_role("combobox", name=t("members_page.finish_task"))).to_have_value(
        re.compile(re.escape(f" · {name} · ") + ".*楼道清扫")
    )
    _submit(page, finish, "finish_submit")
    tb.no_errors(page)
    expect(_total(page)).to_have_text("15")
    (saved,) = store.read("member_service", where={"member_id": member["member_id"]}).itertuples()
    assert (saved.status, saved.done_on) == ("done", AS_OF.isoformat())
    assert "Traceback" not in server.log()


def test_a_day_typed_after_today_is_refused_not_replaced(
    server: tb.Server, visit: tb.Visit
) -> None:
    """Typing next year into a volunteer task's day: the form is refused with the reason and no
    task is recorded (a date field bounded at today would have kept today and saved that,
    with only an English note under the field)."""
    page = visit.page
    store = open_store(server.db)
    frame = members.members_of(store, [COMMUNITY])
    member = frame[frame["registered"] == 1].iloc[0]
    before = len(store.read("member_service", where={"member_id": member["member_id"]}))
    tb.sign_in(page, server, STAFF)
    page.goto(f"{server.url}/members")
    tb.settle(page)
    task = _form(page, "task_submit")
    option = t("members_page.member_option", name=member["name"], unit=member["work_unit"])
    _choose(page, task.get_by_role("combobox", name=t("members_page.task_member")), option)
    task.get_by_label(t("members_page.task_title"), exact=True).fill("楼道清扫")
    day = task.get_by_test_id("stDateInput").filter(has_text=t("members_page.task_day"))
    day.get_by_role("spinbutton", name="year").click()
    page.keyboard.type(str(AS_OF.year + 1))
    page.keyboard.press("Tab")
    page.keyboard.press("Escape")  # the calendar the click opened
    _submit(page, task, "task_submit")
    typed = AS_OF.replace(year=AS_OF.year + 1).isoformat()
    refused = t("error.members.future", day=typed, today=AS_OF.isoformat())
    expect(page.get_by_test_id("stAlertContentError").filter(has_text=refused)).to_be_visible()
    after = store.read("member_service", where={"member_id": member["member_id"]})
    assert len(after) == before
