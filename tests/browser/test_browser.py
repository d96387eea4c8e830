"""The real app in headless chromium, offline: navigation, /wall, the local Leaflet map.

The servers, the browser and the tab come from ``tests/browser/conftest.py`` and
``tests/browser/helpers.py``.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Page, expect

from mapgov.core.i18n import t
from mapgov.ui import PAGES

from .helpers import (
    FOLIUM_IFRAME,
    Server,
    Visit,
    _require_chromium,
    _start,
    _stop,
    copy_db,
    sign_in,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _heading(page: Page, text: str) -> None:
    expect(page.locator("h1").first).to_have_text(text)


def _nav_links(page: Page) -> list[str]:
    links = page.get_by_test_id("stSidebarNavLink")
    expect(links).to_have_count(len(PAGES))
    return [text.strip() for text in links.all_inner_texts()]


def _query(page: Page) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


def _no_exception(page: Page) -> None:
    expect(page.get_by_test_id("stException")).to_have_count(0)
    expect(page.get_by_test_id("stAlertContentError")).to_have_count(0)


# -- tests ---------------------------------------------------------------------------------
def test_a_deep_link_works_on_a_fresh_server(demo_db: Path, visit: Visit, tmp_path: Path) -> None:
    """The first request of a new server is for /life-circle, not /: still the whole app."""
    _require_chromium()
    fresh = _start(copy_db(demo_db, tmp_path))
    try:
        sign_in(visit.page, fresh)
        visit.page.goto(f"{fresh.url}/life-circle?lang=en&mode=tier&tier=15")
        _heading(visit.page, "15-minute life circle")  # the link's settings, whole
        _no_exception(visit.page)
        assert _nav_links(visit.page)[2].endswith(t("page.life_circle.nav", "en"))
        expect(
            visit.page.get_by_test_id("stSidebar").get_by_text("Street", exact=True)
        ).to_be_visible()
        assert urlsplit(visit.page.url).path == "/life-circle"
        assert visit.remote(fresh.url) == []
    finally:
        _stop(fresh)
    assert "Traceback" not in fresh.log()


def test_navigation_shows_every_page_and_switches(server: Server, visit: Visit) -> None:
    page = visit.page
    sign_in(page, server)
    page.goto(server.url)
    _heading(page, t("page.wall.title", "zh"))
    names = _nav_links(page)
    assert [re.sub(r"^\S+\s+", "", n) for n in names] == [t(f"page.{p.key}.nav") for p in PAGES]
    hrefs = page.get_by_test_id("stSidebarNavLink").evaluate_all("els => els.map(e => e.href)")
    paths = [urlsplit(href).path for href in hrefs]
    assert paths == [
        "/",
        "/issues",
        "/life-circle",
        "/party",
        "/compounds",
        "/deliberation",
        "/members",
        "/co-building",
        "/data",
    ]
    street = _query(page)["street"]
    page.get_by_test_id("stSidebarNavLink").filter(has_text=t("page.issues.nav")).click()
    _heading(page, t("page.issues.title", "zh"))
    _no_exception(page)
    assert urlsplit(page.url).path == "/issues"
    expect(page).to_have_url(re.compile(r"[?&]street="))
    assert _query(page)["street"] == street  # the place survives the page switch
    assert visit.remote(server.url) == []


def test_wall_opens_the_wall_screen(server: Server, visit: Visit) -> None:
    page = visit.page
    sign_in(page, server)
    page.goto(f"{server.url}/wall?lang=en")
    _heading(page, t("page.wall.title", "en"))
    _no_exception(page)
    expect(page.get_by_text("Page not found")).to_have_count(0)
    expect(page.get_by_role("dialog")).to_have_count(0)
    assert urlsplit(page.url).path == "/"  # switched to the canonical address
    assert _query(page)["lang"] == ["en"]
    current = page.locator('[data-testid="stSidebarNavLink"][aria-current="page"]')
    expect(current).to_contain_text(t("page.wall.nav", "en"))


def test_language_switch_rewrites_the_page_and_the_url(server: Server, visit: Visit) -> None:
    page = visit.page
    sign_in(page, server)
    page.goto(f"{server.url}/party")
    _heading(page, t("page.party.title", "zh"))
    page.get_by_test_id("stSidebar").get_by_text("English", exact=True).click()
    _heading(page, t("page.party.title", "en"))
    expect(page).to_have_url(re.compile(r"[?&]lang=en"))
    assert urlsplit(page.url).path == "/party"
    assert _nav_links(page)[3].endswith(t("page.party.nav", "en"))


def test_a_folium_map_draws_with_the_local_leaflet(server: Server, visit: Visit) -> None:
    """Leaflet comes from /app/static, loads before the map script, and the map is drawn
    without a single request leaving the machine."""
    page = visit.page
    sign_in(page, server)
    page.goto(f"{server.url}/party")
    _heading(page, t("page.party.title", "zh"))
    frame_locator = page.frame_locator(FOLIUM_IFRAME)
    expect(frame_locator.locator("path.leaflet-interactive").first).to_be_visible()
    frame = page.locator(FOLIUM_IFRAME).element_handle().content_frame()
    assert frame is not None
    assert frame.evaluate("L.version") == "1.9.3"
    scripts = frame.evaluate("[...document.scripts].map(s => s.src)")
    leaflet_at = scripts.index(f"{server.url}/app/static/leaflet/leaflet.js")
    assert "" in scripts[leaflet_at + 1 :]  # the map's inline script comes after Leaflet
    stylesheets = frame.evaluate(
        "[...document.querySelectorAll('link[rel=stylesheet]')].map(l => l.href)"
    )
    assert f"{server.url}/app/static/leaflet/leaflet.css" in stylesheets
    assert [e for e in visit.errors if "L is not defined" in e] == []
    assert visit.remote(server.url) == []
    # one scale bar, in metres; Leaflet credited without the flag of its default prefix
    scale = frame_locator.locator(".leaflet-control-scale-line")
    expect(scale).to_have_count(1)
    expect(scale).to_have_text(re.compile(r"^\d+ k?m$"))
    credit = frame_locator.locator(".leaflet-control-attribution")
    expect(credit).to_contain_text("Leaflet")
    expect(credit.locator("svg")).to_have_count(0)
