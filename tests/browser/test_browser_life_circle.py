"""The life-circle page in headless chromium, offline: the map, the tables, the layers.

Reuses the server, browser and tab fixtures of ``tests/browser/conftest.py`` (a ``streamlit run``
on a free port against the session's demo database, stopped by its own process id; a browser
that resolves every host but 127.0.0.1 to nothing).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from mapgov.core.i18n import t
from mapgov.domain.lifecircle import coverage
from mapgov.store import Store
from mapgov.views import life_circle as lv
from mapgov.views.life_circle_map import COVERED_COLOR, LIFE_BUILDING_CLASS, UNCOVERED_COLOR

from .helpers import FOLIUM_IFRAME, VIEWPORT, Server, Visit, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]

BUILDINGS = f"path.{LIFE_BUILDING_CLASS}"
# While a rerun replaces the map (its component key is a hash of the map), the old iframe
# stays beside the new one for a moment, marked stale: look only at the current one.
CURRENT_MAP = f'[data-testid="stElementContainer"][data-stale="false"] {FOLIUM_IFRAME}'


def _open(page: Page, server: Server, lang: str) -> None:
    sign_in(page, server)
    page.goto(f"{server.url}/life-circle?lang={lang}")
    standard = lv.circle_title(lv.Settings(), coverage.load_profile(), lang)
    expect(page.locator("h1").first).to_have_text(standard)
    expect(page.get_by_test_id("stException")).to_have_count(0)
    expect(page.get_by_test_id("stAlertContentError")).to_have_count(0)


def test_the_page_draws_the_map_the_tables_and_the_downloads(
    server: Server,
    visit: Visit,
    demo_store: Store,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    page = visit.page
    _open(page, server, "zh")
    frame = page.frame_locator(CURRENT_MAP)
    buildings = frame.locator(BUILDINGS)
    expect(buildings).to_have_count(demo_store.counts()["building"])  # one street
    fills = buildings.evaluate_all("els => els.map(e => e.getAttribute('fill'))")
    assert COVERED_COLOR in fills and UNCOVERED_COLOR in fills
    expect(frame.locator(".mapgov-legend")).to_contain_text("不可达（缺口）")
    expect(frame.locator(".leaflet-marker-icon")).to_have_count(3)  # the numbered sites
    expect(page.get_by_test_id("stDataFrame")).to_have_count(3)
    expect(page.get_by_test_id("stDownloadButton")).to_have_count(6)
    expect(page.get_by_test_id("stMetricValue")).to_have_count(4)
    expect(page.get_by_text(t("life.sites_exact", "zh"))).to_be_visible()
    buildings.first.hover()
    expect(frame.locator(".leaflet-tooltip")).to_contain_text("最近步行距离")
    assert visit.remote(server.url) == []
    assert [e for e in visit.errors if "L is not defined" in e] == []
    page.mouse.move(VIEWPORT["width"] - 10, VIEWPORT["height"] - 10)  # no hover effects
    shot = Path(tmp_path_factory.mktemp("life-circle")) / "life-circle.png"
    page.screenshot(path=shot)
    assert shot.stat().st_size > 20_000


def test_a_layer_switch_redraws_the_map_in_place(server: Server, visit: Visit) -> None:
    page = visit.page
    _open(page, server, "en")
    frame = page.frame_locator(CURRENT_MAP)
    expect(frame.locator(BUILDINGS).first).to_be_visible()
    expect(frame.locator(".mapgov-legend")).not_to_contain_text("Straight-line circle")
    page.get_by_test_id("stSidebar").get_by_text(t("life.layer_circles", "en")).click()
    expect(frame.locator(".mapgov-legend")).to_contain_text("Straight-line circle")
    expect(frame.locator(BUILDINGS).first).to_be_visible()
    page.get_by_test_id("stSidebar").get_by_text(t("life.layer_sites", "en")).click()
    expect(frame.locator(".leaflet-marker-icon")).to_have_count(0)
    expect(page.get_by_test_id("stException")).to_have_count(0)
    assert visit.remote(server.url) == []
