"""The deliberation page in chromium, as a community's staff member uses it: set a question for
a compound with the form, record the three parties' round, enter the answer, record the
residents' 满意, see the matter settled, and find it so after a reload.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from mapgov.core.i18n import label, t
from mapgov.core.model import CallbackRating, MatterAction, MatterStatus
from mapgov.domain import deliberation as delib
from mapgov.store import open_store

from . import helpers as tb
from .helpers import _choose

pytestmark = [pytest.mark.browser, pytest.mark.slow]

COMMUNITY = "S001-C2"
STAFF = "S001-C2-staff1"
TITLE = "屋面防水维修<b>急</b>"
F = "deliberation_page.form."


def _open(page: Page, server: tb.Server) -> None:
    tb.sign_in(page, server, STAFF)
    page.goto(f"{server.url}/deliberation")
    expect(page.locator("h1").first).to_have_text(t("page.deliberation.title"))
    tb.settle(page)


def _type(page: Page, key: str, text: str) -> None:
    """Type into the visible field labelled by the catalogue's `key`."""
    field = page.get_by_label(t(key), exact=True).filter(visible=True)
    field.click()
    field.fill(text)


def _step(
    page: Page,
    matter_id: str,
    action: MatterAction,
    fields: dict[str, str],
    members: tuple[str, ...] = (),
) -> None:
    """Open the step's tab, fill its form (`members`: names to pick among the party members
    present), submit it and wait for its success message."""
    name = label(action)
    page.get_by_role("tab", name=name, exact=True).click()
    for key, text in fields.items():
        _type(page, F + key, text)
    for member in members:
        _choose(page, page.get_by_role("combobox", name=t(F + "members")), member)
        page.keyboard.press("Escape")
    page.get_by_role("button", name=name, exact=True).click()
    tb.expect_success(page, t("deliberation_page.stepped", id=matter_id, action=name))
    tb.no_errors(page)


def _card_says(page: Page, status: MatterStatus) -> None:
    text = f"{t('deliberation_page.card.status')}：{label(status)}"
    expect(page.get_by_text(text, exact=False)).to_be_visible()


def test_a_matter_goes_through_the_four_steps(db: Path, visit: tb.Visit) -> None:
    tb._require_chromium()
    store = open_store(db)
    page = visit.page
    server = tb._start(db)
    try:
        _open(page, server)
        compounds = store.query(
            "SELECT c.compound_id, c.name FROM compound c JOIN grid g ON g.grid_id = c.grid_id "
            "WHERE g.community_id = ? ORDER BY c.compound_id",
            [COMMUNITY],
        )
        compound = compounds.iloc[1]  # not the one the form proposes: the person picks it
        picker = page.get_by_role("combobox", name=t("deliberation_page.new.compound"))
        _choose(page, picker, str(compound["name"]))
        _type(page, "deliberation_page.new.title", TITLE)
        _type(page, "deliberation_page.new.question", "顶楼漏水，维修资金如何使用？")
        page.get_by_role("button", name=label(MatterAction.PROPOSE), exact=True).click()
        said = re.escape(t("deliberation_page.new.proposed", id="@@")).replace("@@", "D-.+")
        tb.expect_success(page, re.compile(said))
        tb.no_errors(page)
        (matter_id,) = store.read("deliberation", where={"title": TITLE})["matter_id"]
        assert delib.matter(store, matter_id)["compound_id"] == compound["compound_id"]
        expect(page.get_by_role("heading", name=TITLE)).to_be_visible()  # as typed, not markup
        _card_says(page, MatterStatus.PROPOSED)
        member = delib.community_members(store, COMMUNITY).iloc[0]
        _step(
            page,
            matter_id,
            MatterAction.DELIBERATE,
            {
                "attendance": "16",
                "branch": "支部：先用维修资金应急",
                "committee": "业委会：同意启用维修资金",
                "residents": "居民：希望雨季前修好",
                "minutes": "在党群服务站召开三方议事会，表决通过",
                "decision": "启用维修资金修复屋面防水",
                "answer_unit": "物业公司",
            },
            members=(str(member["name"]),),
        )
        _card_says(page, MatterStatus.DECIDED)
        _step(page, matter_id, MatterAction.ANSWER, {"answer": "已完成屋面防水施工"})
        _card_says(page, MatterStatus.ANSWERED)
        page.get_by_role("tab", name=label(MatterAction.RATE), exact=True).click()
        page.get_by_text(label(CallbackRating.SATISFIED), exact=True).filter(visible=True).click()
        _step(page, matter_id, MatterAction.RATE, {"note": "居民很满意"})
        _card_says(page, MatterStatus.SETTLED)
        m = delib.matter(store, matter_id)
        assert (m["status"], m["rating"], m["version"]) == ("settled", "satisfied", 4)
        assert m["proposed_by"] == store.read("app_user", where={"user_id": STAFF})["name"][0]
        rounds = delib.rounds(store, matter_id, reveal=True)
        assert rounds["attendance"].tolist() == [16]
        assert rounds["members"].tolist() == [[member["name"]]]
        assert rounds["residents_position"].tolist() == ["居民：希望雨季前修好"]
        # a reload: a new session, the matter chosen again from the picker
        page.reload()
        tb.settle(page)
        option = delib.matter(store, matter_id)
        picker = page.get_by_role("combobox", name=t("deliberation_page.matter.choose"))
        _choose(page, picker, re.compile(rf"^{re.escape(matter_id)} · "))
        _card_says(page, MatterStatus.SETTLED)
        rating = f"{t('deliberation_page.card.rating')}：{label(CallbackRating.SATISFIED)}"
        expect(page.get_by_text(rating, exact=False)).to_be_visible()
        assert option["status"] == "settled"
        tb.no_errors(page)
    finally:
        tb._stop(server)
    assert "Traceback" not in server.log()
