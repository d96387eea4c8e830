"""The ten-minute help circle on the pages: the wall's tile, the issue page's section and a
help request's response time in the panel (on SQLite and PostgreSQL)."""

from __future__ import annotations

import re

import pandas as pd
import pytest
import shapely
from streamlit.testing.v1 import AppTest

from mapgov.core import clock
from mapgov.core.i18n import t
from mapgov.core.model import HELP_CATEGORIES
from mapgov.domain import help as help_circle
from mapgov.domain import issue_reads, issues, kpi
from mapgov.store import Store
from mapgov.ui import issues as issue_ui
from mapgov.ui.widgets import md_text
from mapgov.views import help as help_view
from tests.apptest import click_map, ok, open_page

TIMEOUT = 90
COMMUNITY = "S001-C1"
STAFF = "S001-C1-staff1"


@pytest.fixture
def app_db(any_app_db: Store) -> Store:
    """These tests run on SQLite and on PostgreSQL."""
    return any_app_db


def _expander(at: AppTest, label: str) -> object:
    (found,) = [e for e in at.expander if e.label == label]
    return found


def test_the_wall_shows_the_help_tile_with_share_and_median(app_db: Store) -> None:
    at = open_page("wall", user=STAFF, timeout=TIMEOUT, query={"kiosk": "1"})
    ok(at)
    page = "".join(h.proto.body for h in at.get("html") if "<style" not in h.proto.body[:20])
    tile = re.search(r'<div class="mg-tile" data-key="help_within_ten">(.*?)</div></div>', page)
    assert tile is not None
    frames = kpi.load_frames(app_db, street_id="S001")
    figure, median = help_circle.wall_figure(frames, now=clock.now(app_db))
    assert figure.value is not None and median is not None  # the demo has requests this month
    text = tile.group(1)
    assert t("help.wall.tile") in text
    assert f"{figure.value * 100:.1f}%" in text
    assert help_view.median_note(median, "zh") in text
    assert "mg-tile-basis" in text  # against the same days of last month, as its neighbours


def test_the_issue_page_shows_the_street_and_its_compounds(app_db: Store) -> None:
    at = open_page("issues", user=STAFF, community=COMMUNITY, timeout=TIMEOUT)
    ok(at)
    _expander(at, t("help.title"))
    (radio,) = [r for r in at.radio if r.key == issue_ui.KEY.format("help.period")]
    radio.set_value("days365").run()
    ok(at)
    now = clock.now(app_db)
    span = help_view.span_of("days365", now.date())
    street = help_circle.load(app_db, street_id="S001")
    whole, table = help_circle.summary(street, now=now, span=span, community_id=COMMUNITY)
    assert whole.requests > 0 and len(table) > 0
    markdown = "\n".join(m.value for m in at.markdown)
    assert md_text(help_view.street_line(whole, "zh")) in markdown
    (shown,) = [d.value for d in at.table if t("help.col.share") in d.value.columns]
    expected = help_view.compound_table(table, "zh").set_index(t("help.col.compound"))
    assert shown.astype(str).equals(expected.astype(str))
    shown = shown.reset_index()
    mine = issues.community_compounds(app_db, COMMUNITY)
    assert set(shown[t("help.col.compound")]) <= set(mine["name"])


def test_a_help_requests_panel_shows_its_response_time(app_db: Store) -> None:
    req = app_db.read("issue", where={"category": [c.value for c in HELP_CATEGORIES]})
    mine = issues.community_buildings(app_db, COMMUNITY).set_index("building_id")
    req = req[req["building_id"].isin(mine.index)].sort_values("issue_id")
    one = req.iloc[-1]
    at = open_page("issues", user=STAFF, community=COMMUNITY, timeout=TIMEOUT)
    point = mine.loc[one["building_id"]].geometry.representative_point()
    click_map(at, point.x, point.y)
    ok(at)
    at.selectbox(key=issue_ui.ISSUE).set_value(int(one["issue_id"])).run()
    ok(at)
    timeline = issue_reads.issue_timeline(app_db, int(one["issue_id"]))
    minutes = help_circle.response_minutes(
        pd.DataFrame([one]), timeline.assign(issue_id=one["issue_id"]), now=clock.now(app_db)
    ).iloc[0]
    expected = help_view.response_text(
        one["reported_at"], timeline, now=clock.now(app_db), lang="zh"
    )
    assert help_view.minutes_text(minutes, "zh") in expected
    facts = "\n".join(m.value for m in at.markdown)
    assert f"**{t('help.panel.response')}**" in facts
    assert md_text(expected) in facts
    assert shapely.Point(point.x, point.y).within(mine.loc[one["building_id"]].geometry)
