"""The wall screen counts reports from the field (issue 20): new reports waiting to be
assigned and today's, beside the tiles, which stay as they were."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from mapgov.core import clock
from mapgov.core.i18n import t
from mapgov.domain import field_reports, kpi, reports
from mapgov.domain.field_reports import NewReports
from mapgov.store import Store
from mapgov.views import wall
from tests.apptest import sign_in
from tests.fieldreports import COMMUNITY, NOON, assign, community_building, file_with_photo

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 60


def _report(store: Store, building_id: str, when_days_ago: int = 0) -> reports.Filed:
    at = clock.now(store) - dt.timedelta(days=when_days_ago)
    report: reports.FieldReport = {
        "building_id": building_id,
        "category": "elevator",
        "description": "电梯停了",
    }
    return reports.file_report(store, report, by=None, source="web 1.2.3.4", now=NOON, at=at)


def test_new_reports_wait_until_assigned_and_today_counts_the_day(work_store: Store) -> None:
    store = work_store
    today = clock.today(store)
    street = kpi.load_frames(store, street_id="S001")
    before = field_reports.wall_counts(street.issues, today)
    assert before == NewReports(waiting=0, today=0)  # the demo's ledger: desk only
    here = community_building(store)
    first = _report(store, here)
    _report(store, here, when_days_ago=3)
    _report(store, community_building(store, "S001-C2"))
    assign(store, first.issue_id)
    street = kpi.load_frames(store, street_id="S001")
    assert field_reports.wall_counts(street.issues, today) == NewReports(waiting=2, today=2)
    community = kpi.load_frames(store, community_id=COMMUNITY)
    assert field_reports.wall_counts(community.issues, today) == NewReports(waiting=1, today=1)
    assert field_reports.wall_counts(street.issues.drop(columns="channel"), today).waiting == 0
    # the tiles are the same figures as before
    figures = kpi.headline(street, today=today)
    assert [f.key for f in figures] == list(kpi.FIGURES)


def _open(query: dict[str, str]) -> AppTest:
    at = sign_in(AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT))
    at.query_params.update(query)
    return at.run()


def _page_html(at: AppTest) -> str:
    bodies = [h.proto.body for h in at.get("html")]
    return "".join(b for b in bodies if not b.lstrip().startswith("<style"))


@pytest.mark.parametrize("kiosk", [False, True])
def test_the_wall_shows_new_reports_beside_the_same_tiles(app_db: Store, kiosk: bool) -> None:
    query = {"lang": "zh"} | ({"kiosk": "1"} if kiosk else {})
    at = _open(query)
    assert not at.exception and not at.error
    html = _page_html(at)
    assert t("wall_screen.field_reports.waiting", n="0") in html
    assert "mg-new-waiting" not in html
    file_with_photo(app_db, community_building(app_db))
    at.run()
    assert not at.exception and not at.error
    html = _page_html(at)
    assert t("wall_screen.field_reports.waiting", n="1") in html
    assert t("wall_screen.field_reports.today", n="1") in html
    assert "mg-new-waiting" in html
    assert re.findall(r'class="mg-tile" data-key="([a-z_]+)"', html) == list(wall.TILES)
    ticker = t("wall_screen.panel.ticker", "zh")
    assert f'mg-title-row"><span>{ticker}</span><span class="mg-new mg-new-waiting"' in html
