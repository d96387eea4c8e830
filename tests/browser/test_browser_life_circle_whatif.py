"""The life-circle page's "what if" mode in headless chromium, offline (issue 23, done-when):
place two candidates with the mouse, remove one, read the residents gained.

Reuses the server, browser and tab fixtures of ``tests/browser/conftest.py``. The points
clicked are inside two uncovered buildings far apart; the figure read on the page is checked
against :func:`mapgov.domain.lifecircle.whatif.what_if` for the site the address then names
(the point the map really reported, to the pixel). The time from each click to its answer on
screen is printed (issue 23 asks for at most 1.5 s at scale 1), not asserted.
"""

from __future__ import annotations

import time
from urllib.parse import parse_qsl, urlsplit

import numpy as np
import pytest
import shapely
from playwright.sync_api import Page, expect

from mapgov.core.i18n import label, t
from mapgov.core.model import FacilityKind
from mapgov.domain.lifecircle import coverage
from mapgov.domain.lifecircle.whatif import WhatIfContext, what_if, whatif_context
from mapgov.store import Store
from mapgov.views import life_circle as lv
from mapgov.views.life_circle_map import LIFE_BUILDING_CLASS
from mapgov.views.life_circle_whatif import scenario_from_query
from mapgov.views.life_circle_whatif_map import CANDIDATE_CLASS, WHATIF_BUILDING_CLASS

from .helpers import FOLIUM_IFRAME, Server, Visit, aim_on_map, no_errors, settle, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]

LANG = "en"
KIND = "canteen"
CURRENT_MAP = f'[data-testid="stElementContainer"][data-stale="false"] {FOLIUM_IFRAME}'


@pytest.fixture(scope="module")
def context(demo_store: Store) -> WhatIfContext:
    metres = coverage.thresholds(coverage.load_profile(), kinds=[KIND])[KIND]
    (street_id,) = demo_store.read("street", columns=["street_id"])["street_id"]
    return whatif_context(demo_store, KIND, metres, street_id=street_id)


_IN_SIGHT = """([points, cls]) => {
    const map = Object.values(window).find(v => v instanceof L.Map);
    const box = map.getContainer().getBoundingClientRect();
    return points.map(([lng, lat]) => {
        const p = map.latLngToContainerPoint([lat, lng]);
        const under = document.elementFromPoint(box.left + p.x, box.top + p.y);
        return Boolean(under) && under.classList.contains(cls);
    });
}"""
"""For each (lon, lat), whether its building's polygon is what lies under it on the map (not
the legend, not outside the view)."""


def _two_open_points(page: Page, ctx: WhatIfContext) -> list[tuple[float, float]]:
    """Points inside the two uncovered buildings with residents farthest apart, among those
    the map shows uncovered by its legend."""
    table = ctx.table.to_crs("EPSG:4326")
    open_ = np.flatnonzero(~ctx.covered & (table["residents"].to_numpy() > 0))
    points = shapely.point_on_surface(table.geometry.to_numpy()[open_])
    xy = shapely.get_coordinates(points)
    frame = page.locator(CURRENT_MAP).element_handle().content_frame()
    assert frame is not None
    seen = frame.evaluate(_IN_SIGHT, [xy.tolist(), LIFE_BUILDING_CLASS])
    xy = xy[np.asarray(seen, dtype=bool)]
    assert len(xy) >= 2
    far = np.linalg.norm(xy[:, None, :] - xy[None, :, :], axis=2)
    i, j = np.unravel_index(np.argmax(far), far.shape)
    return [(float(xy[i, 0]), float(xy[i, 1])), (float(xy[j, 0]), float(xy[j, 1]))]


def _click_map(page: Page, lon: float, lat: float) -> float:
    """Click the current map with the mouse at (lon, lat), once it holds still there;
    returns the moment of the click (``time.perf_counter``)."""
    x, y = aim_on_map(page, lon, lat, CURRENT_MAP)
    clicked = time.perf_counter()
    page.mouse.click(x, y)
    return clicked


def _answered(page: Page, n: int) -> None:
    """Wait, checking at every frame drawn, until the page lists `n` candidates and the map
    shows `n` candidate markers."""
    said = t("whatif_page.candidates", LANG, n=n, most=5).strip("*")
    page.wait_for_function(
        "s => document.body.innerText.includes(s)", arg=said, polling="raf", timeout=30_000
    )
    frame = page.locator(CURRENT_MAP).element_handle().content_frame()
    assert frame is not None
    frame.wait_for_function(
        "([cls, n]) => document.getElementsByClassName(cls).length === n",
        arg=[CANDIDATE_CLASS, n],
        polling="raf",
        timeout=30_000,
    )


def _candidates_said(page: Page, n: int) -> None:
    said = t("whatif_page.candidates", LANG, n=n, most=5).strip("*")
    expect(page.get_by_text(said, exact=True)).to_be_visible()


def _residents_gained(page: Page) -> int:
    metric = page.get_by_test_id("stMetric").filter(
        has_text=t("whatif_page.metric.residents_gained", LANG)
    )
    return int(metric.get_by_test_id("stMetricValue").inner_text().replace(",", ""))


def _sites_in_address(page: Page) -> tuple[tuple[float, float], ...]:
    return scenario_from_query(dict(parse_qsl(urlsplit(page.url).query))).add


def test_two_candidates_placed_one_removed_residents_gained_read(
    server: Server, visit: Visit, context: WhatIfContext
) -> None:
    page = visit.page
    sign_in(page, server)
    page.goto(f"{server.url}/life-circle?lang={LANG}")
    title = lv.circle_title(lv.Settings(), coverage.load_profile(), LANG)
    expect(page.locator("h1").first).to_have_text(title)
    page.get_by_text(t("whatif_page.toggle", LANG), exact=True).click()
    frame = page.frame_locator(CURRENT_MAP)
    expect(frame.locator(".mapgov-legend")).to_contain_text(t("whatif_page.map.gained", LANG))
    hint = t("whatif_page.hint", LANG, kind=label(FacilityKind(KIND), LANG), most=5)
    expect(page.get_by_test_id("stAlertContentInfo").filter(has_text=hint)).to_be_visible()
    settle(page)

    timings = []
    for n, (lon, lat) in enumerate(_two_open_points(page, context), start=1):
        started = _click_map(page, lon, lat)
        _answered(page, n)
        expect(frame.locator(f".{CANDIDATE_CLASS}")).to_have_count(n)
        timings.append(time.perf_counter() - started)
        settle(page)
    no_errors(page)
    first, second = _sites_in_address(page)
    both = what_if(context, [first, second])
    assert _residents_gained(page) == both.totals["residents_gained"] > 0
    expect(frame.locator(f"path.{WHATIF_BUILDING_CLASS}")).to_have_count(len(both.buildings))

    page.get_by_role("button", name=t("whatif_page.remove", LANG, number=1)).click()
    _candidates_said(page, 1)
    expect(frame.locator(f".{CANDIDATE_CLASS}")).to_have_count(1)
    settle(page)
    assert _sites_in_address(page) == (second,)
    alone = what_if(context, [second])
    assert _residents_gained(page) == alone.totals["residents_gained"] > 0
    expect(frame.locator(f"path.{WHATIF_BUILDING_CLASS}")).to_have_count(len(alone.buildings))
    no_errors(page)
    assert visit.remote(server.url) == []
    print(
        "what-if click to answer on screen (scale 1): " + ", ".join(f"{s:.2f} s" for s in timings)
    )
