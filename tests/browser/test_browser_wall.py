"""The wall screen in headless chromium at 1920 × 1080 (and an office screen's 1366 × 768),
offline, as the command room sees it.

The server and browser come from the helpers of ``tests/browser/helpers.py`` (same launch flags:
every host but 127.0.0.1 resolves to nothing). The server runs on a copy of the session's
demo database, so that one test can add an issue while the page is open and watch the
figures change at the next refresh. The first test screenshots the Chinese kiosk screen into
a temporary folder, or into ``$MAPGOV_SCREENSHOTS`` when set, which must lie outside the
checkout (``make screenshots`` sets it to a folder under /tmp; putting the picture into the
documentation is a person's step), so no test ever writes a tracked file.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import Browser, Page, expect, sync_playwright

from mapgov.core.i18n import t
from mapgov.core.model import Role
from mapgov.demo import wall_token
from mapgov.domain import issues_workflow as workflow
from mapgov.domain.users import User
from mapgov.store import open_store
from mapgov.ui.wall_data import MAP_HEIGHT
from mapgov.views.deck_poster import GONE
from mapgov.views.wall import TILES as FIGURES
from tests.conftest import DEMO_PASSWORD, SEED

from . import helpers as tb
from .helpers import (
    CHROMIUM,
    CHROMIUM_ARGS,
    Server,
    _require_chromium,
    sign_in,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SCREENSHOTS_ENV = "MAPGOV_SCREENSHOTS"  # where `make screenshots` keeps wall.png
VIEWPORT = {"width": 1920, "height": 1080}
UI_TIMEOUT_MS = 60_000
CANVAS = '[data-testid="stDeckGlJsonChart"] canvas#deckgl-overlay'
BACKGROUND = (11, 20, 38)  # mapgov.views.deck.BACKGROUND
CHROME = ("stSidebar", "stHeader", "stToolbar", "stMainMenu", "stDecoration", "stStatusWidget")
SCREENS = pytest.mark.parametrize(
    "size", [(1920, 1080), (1366, 768)], ids=["1920x1080", "1366x768"]
)
"""The command room's wall, and an office TV or projector: the kiosk must fit both."""


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    _require_chromium()
    with sync_playwright() as driver:
        chromium = driver.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[tuple[Page, list[str]]]:
    """A 1920 × 1080 tab and the list of every URL it requests."""
    context = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
    tab = context.new_page()
    tab.set_default_timeout(UI_TIMEOUT_MS)
    expect.set_options(timeout=UI_TIMEOUT_MS)
    requests: list[str] = []
    context.on("request", lambda request: requests.append(request.url))
    yield tab, requests
    context.close()


def _drawn_share(page: Page) -> float:
    """Share of the map's pixels that are not the bare background (from a screenshot)."""
    image = Image.open(io.BytesIO(page.locator(CANVAS).screenshot())).convert("RGB")
    pixels = np.asarray(image, dtype=int)
    away = np.abs(pixels - np.asarray(BACKGROUND)).sum(axis=-1) > 40
    return float(away.mean())


def _wait_until_drawn(page: Page, share: float = 0.2, timeout_s: float = 60) -> None:
    """Until WebGL has drawn the map (the poster, its picture, is gone) and it shows."""
    webgl = tb.poll(page, lambda: bool(page.evaluate(DECK_DRAWN)), timeout_s=timeout_s)
    assert webgl, "WebGL did not draw the map"
    drawn = tb.poll(page, lambda: _drawn_share(page) >= share, timeout_s=timeout_s)
    assert drawn, "the map was not drawn"


DECK_DRAWN = "() => document.body.dataset.mgDeckDrawn || null"


TREND_WORDS = """i => {
  const bytes = Uint8Array.from(atob(i.src.split(",")[1]), c => c.charCodeAt(0));
  const svg = new DOMParser().parseFromString(new TextDecoder().decode(bytes), "image/svg+xml")
    .documentElement;
  const [, , w, h] = svg.getAttribute("viewBox").split(" ").map(Number);
  const scale = Math.min(i.clientWidth / w, i.clientHeight / h);  // it scales as a whole
  return Math.min(...[...svg.querySelectorAll("text")].map(t => +t.getAttribute("font-size")))
    * scale;
}"""
"""Pixels on screen of the smallest words of the trend chart (an SVG image)."""

TOKEN = wall_token(SEED, DEMO_PASSWORD)
"""The display token of the fixture demo's wall screen: the kiosk signs in with it."""


def _open_kiosk(page: Page, url: str) -> None:
    page.goto(f"{url}&token={TOKEN}")
    expect(page.locator(CANVAS)).to_be_visible()
    expect(page.locator(".mg-tile")).to_have_count(len(FIGURES))
    expect(page.locator("img.mg-chart")).to_be_visible()  # the trend, an SVG image
    expect(page.locator(".mg-cat-bar").first).to_be_visible()
    # the image decoded and laid out at its column's width (a broken SVG has no size)
    assert page.locator("img.mg-chart").evaluate("i => i.complete && i.naturalWidth") > 0
    _wait_until_drawn(page)


def _box(page: Page, selector: str) -> dict[str, float]:
    box = page.locator(selector).first.bounding_box()
    assert box is not None, selector
    return box


CUT = """c => {  // an ellipsis: the text wider than the box's content (scrollWidth rounds
  const text = document.createRange();  // a 0.2 px cut away: 名次 showed as 名… once)
  text.selectNodeContents(c);
  const s = getComputedStyle(c);
  const room = c.getBoundingClientRect().width - parseFloat(s.paddingLeft)
               - parseFloat(s.paddingRight);
  return text.getBoundingClientRect().width > room + 0.01;
}"""
"""Whether an element's text is cut (a JavaScript predicate, for a page's ``filter``)."""

SPILL = """() => [...document.querySelectorAll('.mg-tile')].flatMap(tile => {
  const edge = tile.getBoundingClientRect();
  return [...tile.querySelectorAll('*')]
    .filter(e => !e.closest('.mg-tile-first'))  // an ellipsis with its tooltip
    .filter(e => e.scrollWidth > e.clientWidth + 1
                 || e.getBoundingClientRect().right > edge.right + 0.5
                 || e.getBoundingClientRect().bottom > edge.bottom + 0.5)
    .map(e => tile.dataset.key + ': ' + e.textContent);
})"""
"""The tiles' texts that run out of their tile (as ``key: text``)."""


def _inside(box: dict[str, float], size: tuple[int, int]) -> bool:
    return (
        box["x"] >= 0
        and box["y"] >= 0
        and box["x"] + box["width"] <= size[0] + 0.5
        and box["y"] + box["height"] <= size[1] + 0.5
        and box["width"] > 0
        and box["height"] > 0
    )


BELOW = """() => [...document.querySelectorAll(
    '.st-key-wall-top *, .st-key-wall-map *, .st-key-wall-side *')]
  .filter(e => !e.closest('.mg-ticker, .mg-poster'))  // they roll, or hide, within their box
  .filter(e => { const b = e.getBoundingClientRect();
                 return b.width > 0 && b.height > 0 && b.bottom > innerHeight + 0.5; })
  .map(e => (e.dataset.testid || e.className || e.tagName) + ': ' + e.textContent.slice(0, 40))"""
"""What of the wall's content stands (even in part) below the bottom of the screen."""


def _no_error(page: Page) -> None:
    expect(page.get_by_test_id("stException")).to_have_count(0)
    expect(page.get_by_test_id("stAlertContentError")).to_have_count(0)
    expect(page.locator(".mg-notice")).to_have_count(0)
    text = page.locator("body").inner_text()
    assert "Traceback" not in text and "Error" not in text


def _received(page: Page) -> int:
    value = page.locator('.mg-tile[data-key="received"] .mg-tile-value').inner_text()
    return int(re.sub(r"\D", "", value))


# -- tests ---------------------------------------------------------------------------------
def _screenshot_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``$MAPGOV_SCREENSHOTS`` when set (it must lie outside the checkout: a test never
    writes a file git tracks), else a temporary folder."""
    wanted = os.environ.get(SCREENSHOTS_ENV)
    if not wanted:
        return tmp_path_factory.mktemp("screenshots")
    folder = Path(wanted).resolve()
    if folder.is_relative_to(tb.ROOT):
        pytest.fail(f"${SCREENSHOTS_ENV}={wanted} lies inside the checkout: give a folder outside")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@SCREENS
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_kiosk_fits_the_screen_offline(
    server: Server,
    page: tuple[Page, list[str]],
    lang: str,
    size: tuple[int, int],
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """Map, every tile and the panels are on screen at 1920 × 1080 and at 1366 × 768 with
    nothing to scroll and nothing below the screen's bottom, the map taking the height that
    is left; no Streamlit chrome, no error, nothing fetched from the internet; no figure,
    unit or change runs out of its tile; the Chinese screen at 1920 × 1080 is wall.png (in
    ``$MAPGOV_SCREENSHOTS`` by ``make screenshots``)."""
    tab, requests = page
    tab.set_viewport_size({"width": size[0], "height": size[1]})
    _open_kiosk(tab, f"{server.url}/wall?kiosk=1&lang={lang}")
    _no_error(tab)
    for testid in CHROME:
        expect(tab.get_by_test_id(testid)).to_be_hidden()
    tiles = tab.locator(".mg-tile")
    for i in range(len(FIGURES)):
        box = tiles.nth(i).bounding_box()
        assert box is not None and _inside(box, size), (FIGURES[i], box)
        expect(tiles.nth(i)).to_be_visible()
    assert [tiles.nth(i).get_attribute("data-key") for i in range(len(FIGURES))] == list(FIGURES)
    cut = tab.evaluate(
        f"""() => [...document.querySelectorAll('.mg-tile-label')]
                   .filter({CUT}).map(e => e.textContent)"""
    )
    assert cut == [], cut  # every figure's name whole, readable across the room
    spill = tab.evaluate(SPILL)
    assert spill == [], spill  # fifteen tiles once ran "▼ 10.3 个百…" and "12 compounds" out
    for selector in (CANVAS, ".mg-bar", ".mg-maphead", ".mg-facilities", ".mg-rank-table",
                     ".mg-ticker", "img.mg-chart", ".mg-cats"):  # fmt: skip
        assert _inside(_box(tab, selector), size), selector
    _feed_head_fits(tab)
    smallest = tab.locator("img.mg-chart").evaluate(TREND_WORDS)
    assert smallest >= 11, smallest  # the trend's words, read across the room (6 px once)
    names = tab.evaluate(
        f"""() => [...document.querySelectorAll('.mg-cat-name, .mg-rank-table td.mg-name')]
                   .filter(e => ({CUT})(e) || e.scrollHeight > e.clientHeight + 4)
                   .map(e => e.textContent)"""
    )
    assert names == [], names  # "Water supply and …", "Shachang We…": on two lines instead
    below = tab.evaluate(BELOW)
    assert below == [], below  # a wall screen is never scrolled: below the bottom is lost
    # the map takes the height left under its head, above its legend of facilities
    canvas, legend = _box(tab, CANVAS), _box(tab, ".mg-facilities")
    left = size[1] - canvas["y"] - legend["height"]
    assert left - 32 <= canvas["height"] <= left, (canvas, legend)
    assert canvas["y"] + canvas["height"] <= legend["y"] + 0.5, (canvas, legend)
    assert canvas["width"] > size[0] / 2, canvas
    assert _box(tab, ".mg-ticker")["height"] >= 80  # two closed issues at least, rolling
    sizes = tab.evaluate(
        """() => {
          const main = document.querySelector('[data-testid="stMain"]');
          const block = document.querySelector('[data-testid="stMainBlockContainer"]');
          return {doc: document.documentElement.scrollHeight, view: innerHeight,
                  main: main.scrollHeight, mainView: main.clientHeight,
                  bottom: block.getBoundingClientRect().bottom,
                  width: document.documentElement.scrollWidth};
        }"""
    )
    assert sizes["doc"] <= size[1], sizes
    assert sizes["main"] <= sizes["mainView"], sizes  # nothing hidden below the fold either
    assert sizes["bottom"] <= size[1], sizes
    assert sizes["width"] <= size[0], sizes
    assert [u for u in requests if not u.startswith((server.url, "data:", "blob:"))] == []
    if lang == "zh" and size == (VIEWPORT["width"], VIEWPORT["height"]):
        tab.mouse.move(size[0] - 2, size[1] - 2)
        shot = _screenshot_dir(tmp_path_factory) / "wall.png"
        tab.screenshot(path=shot)
        assert shot.stat().st_size > 100_000


def test_a_wheel_over_the_map_scrolls_the_page_and_a_double_click_zooms(
    server: Server, page: tuple[Page, list[str]]
) -> None:
    """On the wall page beside the sidebar (1366 × 768, the page taller than the screen) a
    person scrolling with the wheel over the map once zoomed the map and could not scroll on:
    the wheel scrolls the page and leaves the map as it was; a double click zooms the map."""
    tab, _ = page
    tab.set_viewport_size({"width": 1366, "height": 768})
    sign_in(tab, server)
    tab.goto(f"{server.url}/wall")
    _wait_until_drawn(tab)
    main = tab.get_by_test_id("stMain")
    assert main.evaluate("m => m.scrollHeight > m.clientHeight")  # there is a page to scroll
    before = tab.locator(CANVAS).screenshot()
    box = _box(tab, CANVAS)
    tab.mouse.move(box["x"] + box["width"] / 2, box["y"] + min(box["height"] / 2, 200))
    tab.mouse.wheel(0, 300)
    scrolled = tb.poll(tab, lambda: main.evaluate("m => m.scrollTop") > 100, timeout_s=10)
    assert scrolled, main.evaluate("m => m.scrollTop")
    tab.wait_for_timeout(500)  # a zoom, had there been one, would have drawn by now
    tab.mouse.move(5, 5)  # off the map: no tooltip over it
    main.evaluate("m => { m.scrollTop = 0; }")
    assert tb.poll(tab, lambda: main.evaluate("m => m.scrollTop") == 0, timeout_s=5)
    assert tab.locator(CANVAS).screenshot() == before  # the map as it was
    box = _box(tab, CANVAS)
    tab.mouse.dblclick(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    zoomed = tb.poll(tab, lambda: tab.locator(CANVAS).screenshot() != before, timeout_s=10)
    assert zoomed  # the map still zooms, by a double click
    _no_error(tab)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_panels_keep_their_columns_beside_the_sidebar(
    server: Server, page: tuple[Page, list[str]], lang: str
) -> None:
    """On an office laptop (1366 × 768, sidebar open) the ranking's headers and figures are
    whole and inside the panel; a long community or category name takes two lines instead of
    ending in an ellipsis ("Shachang …", "Water supply and pi…" once), its whole name in its
    tooltip too; the trend's words are as large as the panel's small print."""
    tab, _ = page
    tab.set_viewport_size({"width": 1366, "height": 768})
    sign_in(tab, server)
    tab.goto(f"{server.url}/wall?lang={lang}")
    expect(tab.get_by_test_id("stSidebar")).to_be_visible()
    table = tab.locator(".mg-rank-table")
    expect(table.locator("tr")).to_have_count(5)  # header and the four communities
    _no_error(tab)
    fit = table.evaluate(
        """t => {
          const panel = t.closest('.st-key-wall-side').getBoundingClientRect();
          const box = t.getBoundingClientRect();
          const cut = """
        + CUT
        + """;
          return {inside: box.left >= panel.left && box.right <= panel.right + 0.5,
                  scroll: t.scrollWidth <= t.clientWidth,
                  cut: [...t.querySelectorAll('th, td:not(.mg-name)')].filter(cut)
                         .map(c => c.textContent),
                  names: [...t.querySelectorAll('td.mg-name')]
                         .map(c => [c.textContent, c.title, c.clientWidth])};
        }"""
    )
    assert fit["inside"] and fit["scroll"], fit
    assert fit["cut"] == [], fit
    expect(tab.locator(".mg-tile")).to_have_count(len(FIGURES))
    assert tab.evaluate(SPILL) == []  # and every figure with its unit inside its tile
    for text, title, width in fit["names"]:
        assert text == title and width >= 40, fit  # room for the name's first characters
    cut = tab.evaluate(
        f"""() => [...document.querySelectorAll('.mg-cat-name, .mg-rank-table td.mg-name')]
                   .filter(e => ({CUT})(e) || e.scrollHeight > e.clientHeight + 4)
                   .map(e => e.textContent)"""
    )
    assert cut == [], cut
    smallest = tab.locator("img.mg-chart").evaluate(TREND_WORDS)
    assert smallest >= 10.5, smallest  # the trend's words in the narrow column (6 px once)


FEED_HEAD = """() => {
  const row = document.querySelector('.mg-title-row');
  const box = e => { const b = e.getBoundingClientRect();
                     return {left: b.left, right: b.right, width: b.width, height: b.height}; };
  return {panel: box(row.closest('.st-key-wall-side')), heading: box(row.firstElementChild),
          news: [...row.querySelectorAll('.mg-new')].map(e => [e.dataset.key, box(e)]),
          ticker: box(document.querySelector('.mg-ticker')),
          rowBottom: row.getBoundingClientRect().bottom,
          tickerTop: document.querySelector('.mg-ticker').getBoundingClientRect().top};
}"""
"""Boxes of the feed's title line: its heading, the news beside it, the side panel's."""


def _feed_head_fits(page: Page) -> None:
    """The feed's heading is a line of text (wider than tall: it once stood one character a
    line, 18 px wide and 115 px tall), and the news beside it (new reports, newly flagged
    compounds) stand inside the side panel, above the ticker."""
    head = page.evaluate(FEED_HEAD)
    heading, panel = head["heading"], head["panel"]
    assert heading["width"] > heading["height"] > 0, head
    assert {key for key, _ in head["news"]} >= {"new_reports", "new_flags"}, head
    for _, box in head["news"]:
        assert panel["left"] <= box["left"] and box["right"] <= panel["right"] + 0.5, head
    assert head["tickerTop"] >= head["rowBottom"] - 0.5, head


@pytest.mark.parametrize("width", [1280, 1600, 1920])
def test_the_feed_heading_and_its_news_fit_the_side_panel(
    server: Server, page: tuple[Page, list[str]], width: int
) -> None:
    """Beside the sidebar, on a laptop, an office screen and a wall, the feed's heading 最新销号
    is one line and the newly flagged compounds (新增预警：…) stay in the panel (ending in an
    ellipsis, the whole list in the tooltip, when the panel is narrow)."""
    tab, _ = page
    tab.set_viewport_size({"width": width, "height": 1000})
    sign_in(tab, server)
    tab.goto(f"{server.url}/wall?lang=zh")
    expect(tab.get_by_test_id("stSidebar")).to_be_visible()
    expect(tab.locator(".mg-tick").first).to_be_attached()
    flags = tab.locator('.mg-new[data-key="new_flags"]')
    expect(flags).to_have_count(1)
    _no_error(tab)
    _feed_head_fits(tab)
    title = flags.get_attribute("title") or ""
    assert title.startswith("新增预警：") and len(title) >= len(flags.inner_text()), title


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_settings_labels_are_whole_on_a_laptop(
    server: Server, page: tuple[Page, list[str]], lang: str
) -> None:
    """At 1280 px beside the sidebar no setting's label ends in an ellipsis (the basemap's
    once read "在线底图（需联网；断网时自动不显…", the tour's "依次巡航各…")."""
    tab, _ = page
    tab.set_viewport_size({"width": 1280, "height": 800})
    sign_in(tab, server)
    tab.goto(f"{server.url}/wall?lang={lang}")
    settings = tab.get_by_test_id("stExpander").filter(
        has_text=t("wall_screen.settings.title", lang)
    )
    settings.locator("summary").click()
    basemap = settings.get_by_text(t("wall_screen.settings.basemap", lang), exact=True)
    expect(basemap).to_be_visible()
    cut = settings.evaluate(
        """e => [...e.querySelectorAll('[data-testid="stWidgetLabel"] *')]
                 .filter(l => l.scrollWidth > l.clientWidth + 1).map(l => l.textContent)"""
    )
    assert cut == [], cut
    _no_error(tab)


def test_refresh_brings_new_data_without_redrawing_the_map(
    server: Server, page: tuple[Page, list[str]], db: Path
) -> None:
    """A refresh every 5 s: a new issue shows up in the tiles; the map's canvas is the
    same element throughout (no flash) and the view the user dragged to is kept."""
    tab, _ = page
    _open_kiosk(tab, f"{server.url}/wall?kiosk=1&refresh=5&lang=en")
    before = _received(tab)
    tab.locator(CANVAS).evaluate("c => { c.dataset.mark = 'first'; }")
    box = _box(tab, CANVAS)
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    tab.mouse.move(x, y)
    tab.mouse.down()
    tab.mouse.move(x + 180, y + 90, steps=8)
    tab.mouse.up()
    dragged = _still(tab)

    store = open_store(db)
    building = store.read("building", columns=["building_id"])["building_id"].iloc[0]
    workflow.log_issue(
        store,
        User("u-wall-test", "测试", Role.ADMIN),
        building_id=building,
        category="lighting",
        source="walk_in",
        title="楼道灯不亮（大屏测试）",
        at=dt.datetime(2026, 11, 15, 9, 30),
    )
    expect(tab.locator('.mg-tile[data-key="received"] .mg-tile-value')).to_contain_text(
        f"{before + 1:,}", timeout=30_000
    )
    assert tab.locator(CANVAS).get_attribute("data-mark") == "first"
    # one more refresh with the new data in place: the title bar's refresh time moves on (the
    # map reruns on the same 5 s timer as the figures)
    stamp = tab.locator(".mg-bar-stamp")
    expect(stamp).not_to_have_text(stamp.inner_text(), use_inner_text=True, timeout=30_000)
    assert tab.locator(CANVAS).get_attribute("data-mark") == "first"
    after = _still(tab)
    assert _differs(dragged, after) < 0.05  # the dragged view was not reset
    _no_error(tab)


def _still(page: Page, timeout_s: float = 20, *, unlike: bytes | None = None) -> bytes:
    """A screenshot of the map once it has stopped changing (a loaded machine draws late),
    and with `unlike`, once it also differs clearly from that screenshot (the camera moved
    away); the last one taken if that does not come within `timeout_s`."""
    shots = [page.locator(CANVAS).screenshot()]

    def settled() -> bool:
        shots.append(page.locator(CANVAS).screenshot())
        moved = unlike is None or _differs(unlike, shots[-1]) > 0.1
        return moved and _differs(shots[-2], shots[-1]) < 0.002

    tb.poll(page, settled, timeout_s=timeout_s, every_ms=400)
    return shots[-1]


def _differs(a: bytes, b: bytes) -> float:
    """Share of pixels that differ clearly between two screenshots of the same size."""
    one = np.asarray(Image.open(io.BytesIO(a)).convert("L"), dtype=int)
    two = np.asarray(Image.open(io.BytesIO(b)).convert("L"), dtype=int)
    return float((np.abs(one - two) > 24).mean())


def test_the_tour_moves_from_community_to_community(
    server: Server, page: tuple[Page, list[str]]
) -> None:
    tab, _ = page
    _open_kiosk(tab, f"{server.url}/wall?kiosk=1&tour=1&tour_every=5")
    focus = tab.locator(".mg-focus")
    expect(focus).to_contain_text("1/5")
    first = tab.locator(CANVAS).screenshot()
    expect(focus).to_contain_text("2/5", timeout=30_000)
    landed = _still(tab, unlike=first)  # the flight (1.5 s) to the second stop, awaited
    assert _differs(first, landed) > 0.1  # the camera moved
    assert t("wall_screen.focus", "zh", place="") in focus.inner_text()
    _no_error(tab)


def test_the_optional_basemap_degrades_quietly_offline(
    server: Server, page: tuple[Page, list[str]]
) -> None:
    """With basemap=1 the style request fails (no network) and the layers draw anyway."""
    tab, requests = page
    _open_kiosk(tab, f"{server.url}/wall?kiosk=1&basemap=1")
    _no_error(tab)
    assert any("basemaps.cartocdn.com" in u for u in requests)  # it tried, and failed quietly


MEASURED = {
    "figure": ".mg-tile-value",
    "title": ".mg-bar-title",
    "panel": ".mg-panel-title",
    "feed": ".mg-tick-title",
    "map": CANVAS,
}
"""What a person across the room reads: a tile's figure, the title, a panel's head, a line of
the feed, and the map."""


def _sizes(page: Page) -> dict[str, tuple[float, float]]:
    return {name: (b["width"], b["height"]) for name, b in
            ((name, _box(page, sel)) for name, sel in MEASURED.items())}  # fmt: skip


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_larger_wall_shows_the_screen_magnified(
    server: Server, page: tuple[Page, list[str]], lang: str
) -> None:
    """A 4K wall at 100 % scaling (3840 × 2160 CSS pixels) once showed the 1920 × 1080
    layout's type at half the share of the screen: 34-px figures on a screen twice as high,
    tiles strung across it. The same page, its window made larger, shows the wall magnified:
    every text and the map as large a share of the screen as at 1920 × 1080 (twice the
    pixels at 4K, 4/3 at 2560 × 1440), whole and on screen, nothing below the bottom, the map
    drawn at the screen's own resolution (not a small picture blown up)."""
    tab, _ = page
    _open_kiosk(tab, f"{server.url}/wall?kiosk=1&lang={lang}")
    base = _sizes(tab)
    for size in ((2560, 1440), (3840, 2160)):
        tab.set_viewport_size({"width": size[0], "height": size[1]})
        scale = size[1] / VIEWPORT["height"]
        wanted = base["map"][1] * scale * 0.95
        grown = tb.poll(tab, lambda h=wanted: _box(tab, CANVAS)["height"] > h, timeout_s=20)
        assert grown, (size, _box(tab, CANVAS), base["map"])
        now = _sizes(tab)
        for name, (width, height) in base.items():
            assert now[name][1] == pytest.approx(height * scale, rel=0.05), (size, name)
            if name in ("figure", "map"):  # their width is their own, not their column's
                assert now[name][0] == pytest.approx(width * scale, rel=0.05), (size, name)
        assert tab.evaluate(BELOW) == [], size
        assert tab.evaluate("document.documentElement.scrollHeight") <= size[1]
        for selector in (CANVAS, ".mg-bar", ".mg-rank-table", ".mg-ticker", ".mg-cats"):
            assert _inside(_box(tab, selector), size), (size, selector)
        drawn = tab.locator(CANVAS).evaluate("c => c.width")
        assert drawn >= _box(tab, CANVAS)["width"] * 0.98, size  # pixels of its own
        assert tab.locator(".mg-tile").count() == len(FIGURES)
    _no_error(tab)


@SCREENS
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_kiosk_header_is_whole(
    server: Server, page: tuple[Page, list[str]], lang: str, size: tuple[int, int]
) -> None:
    """Issue 18: the English header was cut ("407 Buil…"). Every text of the title bar is
    whole (nothing overflows its box) in both languages, on a wall and on a laptop."""
    tab, _ = page
    tab.set_viewport_size({"width": size[0], "height": size[1]})
    _open_kiosk(tab, f"{server.url}/wall?kiosk=1&lang={lang}")
    cut = tab.evaluate(
        """() => [...document.querySelectorAll('.mg-bar, .mg-bar *')]
                   .filter(e => e.scrollWidth > e.clientWidth + 1)
                   .map(e => [e.className, e.textContent, e.scrollWidth, e.clientWidth])"""
    )
    assert cut == [], cut
    bar = _box(tab, ".mg-bar")
    assert bar["x"] >= 0 and bar["x"] + bar["width"] <= size[0] + 0.5, bar
    text = tab.locator(".mg-bar").inner_text()
    assert "…" not in text
    counts = tab.locator(".mg-bar-counts").inner_text()
    assert t("metric.residents", lang) in counts  # the last count is there, whole
    _no_error(tab)


def test_the_server_warms_the_wall_screen_at_its_start(db: Path, tmp_path: Path) -> None:
    """``mapgov serve`` fills the wall's caches for the street of the demo's display token
    once it is up (issue 24), without waiting for a visitor (a server of its own: a visit
    while it warms would stop the warm-up)."""
    own = tb._start(tb.copy_db(db, tmp_path))
    try:
        deadline = time.monotonic() + 60
        while not any("wall screen ready for S001" in line for line in own.output):
            assert time.monotonic() < deadline, own.log()
            time.sleep(0.2)
    finally:
        tb._stop(own)


@SCREENS
def test_a_picture_of_the_map_stands_in_until_webgl_has_drawn(
    server: Server, page: tuple[Page, list[str]], size: tuple[int, int]
) -> None:
    """The poster shows the street at once, in the map's place, on the wall's dark page (its
    styles already applied, the tiles' row already held); once deck.gl's first frame is on
    the screen it is gone, and the live map is what remains. On a smaller screen both are
    scaled as one: the deck draws at the height the poster was drawn for, and the two cover
    the same box on the screen."""
    tab, _ = page
    tab.set_viewport_size({"width": size[0], "height": size[1]})
    tab.add_init_script(
        """(() => { new MutationObserver(() => {
          const img = document.querySelector('.mg-poster img');
          if (img && !self.__posterAt && img.complete && img.naturalWidth > 0) {
            self.__posterAt = performance.now();
            const stack = document.querySelector('.st-key-wall-map-stack');
            self.__posterY = stack.getBoundingClientRect().y;
            self.__posterBg = getComputedStyle(document.body).backgroundColor;
          }
        }).observe(document, {subtree: true, childList: true, attributes: true}); })();"""
    )
    tab.goto(f"{server.url}/wall?kiosk=1&token={TOKEN}")
    _wait_until_drawn(tab)
    shown = tab.evaluate("self.__posterAt || null")
    drawn = float(tab.evaluate(DECK_DRAWN))
    assert shown is not None, "no picture of the map was shown"
    assert shown < drawn  # the picture came first
    # where and on what the picture first showed: the map's final place, the dark page
    final_bg = tab.evaluate("getComputedStyle(document.body).backgroundColor")
    assert tab.evaluate("self.__posterBg") == final_bg == "rgb(11, 20, 38)"
    assert abs(tab.evaluate("self.__posterY") - _box(tab, ".st-key-wall-map-stack")["y"]) < 1
    poster = tab.locator(".mg-poster")
    expect(poster).to_have_class(re.compile(r"\bmg-poster-gone\b"))
    expect(tab.locator(".mg-poster img")).to_be_hidden()
    # the picture sat in the map's box: the stack holds it and the canvas, one above the other
    stack = _box(tab, ".st-key-wall-map-stack")
    canvas = _box(tab, CANVAS)
    assert abs(stack["y"] - canvas["y"]) < 1 and abs(stack["width"] - canvas["width"]) < 1
    # shown again for a look: the picture's box is the canvas's, centred on it, and the deck
    # draws at the height the picture was projected for (the page scales both alike)
    tab.evaluate(f"() => document.querySelector('.mg-poster').classList.remove('{GONE}')")
    picture = _box(tab, ".mg-poster img")
    assert abs(picture["y"] - canvas["y"]) < 1 and abs(picture["height"] - canvas["height"]) < 1
    middle = canvas["x"] + canvas["width"] / 2
    assert abs(picture["x"] + picture["width"] / 2 - middle) < 1, (picture, canvas)
    assert tab.locator(CANVAS).evaluate("c => c.clientHeight") == MAP_HEIGHT[True]
    _no_error(tab)
