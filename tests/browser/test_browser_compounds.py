"""/compounds (小区体检) in headless chromium, offline: a real click on a flagged compound
opens its card with its reasons, and the card's link opens the issue map on that compound
with its issues (the done-when of issue 22's page).

Servers, browser flags, sign-in and the click helpers come from :mod:`tests.browser.helpers`;
the module's server runs on a private copy of the demo database and is stopped by its own
process id.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from pathlib import Path

import pandas as pd
import pytest
from playwright.sync_api import expect

from mapgov.core import clock
from mapgov.core.i18n import t
from mapgov.domain import issue_reads
from mapgov.domain.health.load import load_health_frames
from mapgov.domain.health.report import HealthReport, compound_health
from mapgov.domain.users import get_user
from mapgov.store import Store, open_store
from mapgov.views import compounds as cv
from mapgov.views.health import flag_text, health_table, look_at_text
from mapgov.views.wall import life_circle

from . import helpers as tb
from .helpers import FOLIUM_IFRAME, Server

pytestmark = [pytest.mark.browser, pytest.mark.slow]

STREET = "S001"
COMMUNITY = "S001-C2"
LEADER = "S001-leader"


def _health(db: Path) -> tuple[Store, dt.date, HealthReport, pd.DataFrame]:
    """The store, its today, this month's health report and the community's compounds, as the
    page computes them."""
    store = open_store(db)
    today: dt.date = clock.today(store)
    frames = load_health_frames(
        store, street_id=STREET, life=life_circle(store, STREET).by_compound()
    )
    report = compound_health(frames, today, month=f"{today:%Y-%m}")
    comps = frames.compounds[frames.compounds["community_id"] == COMMUNITY]
    return store, today, report, comps.reset_index(drop=True)


def test_a_click_shows_the_reasons_and_the_link_opens_the_compounds_issues(
    server: Server, visit: tb.Visit, db: Path
) -> None:
    store, today, report, comps = _health(db)
    flag = next(f for f in report.flags if f.compound_id in set(comps["compound_id"]))
    name = str(comps.set_index("compound_id").loc[flag.compound_id, "name"])
    page = visit.page
    tb.sign_in(page, server, LEADER)
    page.goto(f"{server.url}/compounds?lang=zh&community={COMMUNITY}")
    frame = page.frame_locator(FOLIUM_IFRAME)
    expect(frame.locator(f"path.{cv.COMPOUND_CLASS}")).to_have_count(len(comps))
    expect(frame.locator(".mapgov-legend")).to_contain_text(t("compounds_page.legend.title_score"))
    # a real click on the flagged compound opens its card with the warning in words
    tb.click_compound(page, store, flag.compound_id, cls=cv.COMPOUND_CLASS)
    expect(
        page.get_by_role("heading", name=t("compounds_page.card.title", name=name))
    ).to_be_visible()
    main = page.get_by_test_id("stMain")
    expect(main).to_contain_text(flag_text(flag, "zh"))
    for phrase in look_at_text(flag.look_at, "zh"):
        expect(main).to_contain_text(phrase)
    tb.no_errors(page)
    # the link to its issues opens the issue map on the compound, listing its issues
    page.get_by_role("link", name=t("compounds_page.card.link.issues")).click()
    expect(page).to_have_url(re.compile(r"/issues\?"))
    summary = issue_reads.compound_summary(store, flag.compound_id, today=today)
    title = t("issues.panel.compound_title", name=summary["name"])
    expect(page.get_by_role("heading", name=title)).to_be_visible(timeout=tb.UI_TIMEOUT_MS)
    listed = issue_reads.compound_issues(
        store, flag.compound_id, user=get_user(store, LEADER), today=today
    )
    expect(main).to_contain_text(t("compounds_page.issues.heading", n=len(listed)))
    tb.no_errors(page)
    assert [e for e in visit.errors if "L is not defined" in e] == []
    assert visit.remote(server.url) == []


def test_picking_a_row_of_the_ranked_list_opens_that_compounds_card(
    server: Server, visit: tb.Visit, db: Path
) -> None:
    _, _, report, comps = _health(db)
    kept = dataclasses.replace(
        report, scored=report.scored[report.scored["compound_id"].isin(comps["compound_id"])]
    )
    table = health_table(kept, comps, "zh")
    row = 2  # the third compound of the list: not the first, which a default could show
    name = str(table[t("health.col.compound", "zh")].iloc[row])
    page = visit.page
    tb.sign_in(page, server, LEADER)
    page.goto(f"{server.url}/compounds?lang=zh&community={COMMUNITY}")
    grid = page.get_by_test_id("stDataFrame")
    expect(grid).to_be_visible()
    tb.settle(page)
    grid.scroll_into_view_if_needed()
    # a person ticks the row's box in the grid's first column (35 px header, 35 px rows)
    box = grid.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + 16, box["y"] + 35 + 35 * row + 17)
    expect(
        page.get_by_role("heading", name=t("compounds_page.card.title", name=name))
    ).to_be_visible()
    tb.no_errors(page)
