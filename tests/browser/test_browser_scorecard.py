"""/party's section 物业企业评价 in headless chromium, offline: a community's staff member
records a residents' evaluation with real typing and a real click, sees it confirmed, and the
same evaluation again is refused (issue 21 point 2)."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from mapgov.core.i18n import t
from mapgov.domain import scorecard
from mapgov.domain.users import get_user
from mapgov.store import open_store

from . import helpers as tb
from .helpers import Server

pytestmark = [pytest.mark.browser, pytest.mark.slow]

STAFF = "S001-C1-staff1"


def test_staff_record_an_evaluation_on_the_party_page(
    server: Server, visit: tb.Visit, db: Path
) -> None:
    store = open_store(db)
    compound = scorecard.evaluable_compounds(store, get_user(store, STAFF), "S001").iloc[0]
    page = visit.page
    tb.sign_in(page, server, STAFF)
    page.goto(server.url + "/party?lang=zh&community=S001-C1")
    heading = page.get_by_role("heading", name=t("scorecard.heading"))
    expect(heading).to_be_visible()
    tb.settle(page)
    form = page.get_by_test_id("stForm").filter(has_text=t("scorecard.form.respondents"))
    form.scroll_into_view_if_needed()
    score = form.get_by_label(t("scorecard.form.score"))
    score.fill("72.5")
    score.press("Tab")
    respondents = form.get_by_label(t("scorecard.form.respondents"))
    respondents.fill("48")
    respondents.press("Tab")
    form.get_by_role("button", name=t("scorecard.form.save")).click()
    tb.expect_success(page, t("scorecard.recorded"))
    tb.no_errors(page)
    row = store.read(
        "property_evaluation", where={"compound_id": compound["compound_id"], "period": "2026-11"}
    )
    assert (row["company"].iloc[0], row["score"].iloc[0], row["respondents"].iloc[0]) == (
        compound["company"],
        72.5,
        48,
    )
    tb.settle(page)
    form = page.get_by_test_id("stForm").filter(has_text=t("scorecard.form.respondents"))
    form.get_by_role("button", name=t("scorecard.form.save")).click()
    error = page.get_by_test_id("stAlertContentError")
    expect(error).to_contain_text(compound["company"])
    assert len(store.read("property_evaluation", where={"period": "2026-11"})) == 1
    assert [e for e in visit.errors if "Traceback" in e] == []  # (404s: favicon and the like)
