"""/party in headless chromium, offline: layers, a real click on a compound, an edit that
survives a restart of the server (the done-when of issue 6).

Servers, browser flags and the offline check come from :mod:`tests.browser.helpers`. Each server
runs on a private copy of the demo database (the edit test writes to it) and is stopped by
its own process id. A click is made with the mouse at a point of the compound's ground (away
from its buildings), found by asking Leaflet where that point is on screen, so it is a real
click on the compound's ``path.leaflet-interactive``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from playwright.sync_api import Browser, Page, expect

from mapgov.core.i18n import t
from mapgov.domain import party
from mapgov.store import open_store
from mapgov.views import maplabels
from mapgov.views import party as pm

from . import helpers as tb
from .helpers import FOLIUM_IFRAME, VIEWPORT, Server, _require_chromium, _start, _stop

pytestmark = [pytest.mark.browser, pytest.mark.slow]

STREET = "S001"
LEADER = "S001-leader"


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the screenshots go (``<pytest basetemp>/party-shots0``), to be looked at."""
    return tmp_path_factory.mktemp("party-shots")


@pytest.fixture
def tab(visit: tb.Visit) -> tb.Visit:
    """A fresh browser tab (the ``visit`` fixture of tests/browser/conftest.py)."""
    return visit


# -- helpers -------------------------------------------------------------------------------
def _legend(page: Page, text: str) -> None:
    """Wait until the page holds one map (a new layer replaces the old map) whose legend
    shows `text`. Asked in the page itself: the map's frame is served from the same origin."""
    page.wait_for_function(
        """([selector, text]) => {
            const maps = document.querySelectorAll(selector);
            const legend = maps.length === 1 && maps[0].contentDocument
                && maps[0].contentDocument.querySelector(".mapgov-legend");
            return Boolean(legend) && legend.textContent.includes(text);
        }""",
        arg=[FOLIUM_IFRAME, text],
    )


def _fills(page: Page) -> list[str]:
    """Fill colours of the compound polygons, as Leaflet drew them."""
    frame = page.frame_locator(FOLIUM_IFRAME)
    paths = frame.locator(f"path.{pm.COMPOUND_CLASS}")
    return [str(f).upper() for f in paths.evaluate_all("ps => ps.map(p => p.getAttribute('fill'))")]


def _metric(page: Page, key: str) -> str:
    label = t(f"party_page.fig.{key}")
    metric = page.get_by_test_id("stMetric").filter(has_text=label).first
    return metric.get_by_test_id("stMetricValue").inner_text().strip()


def _no_exception(page: Page) -> None:
    expect(page.get_by_test_id("stException")).to_have_count(0)
    expect(page.get_by_test_id("stAlertContentError")).to_have_count(0)


def _give_branch(page: Page, *, secretary: str) -> None:
    """In the card's first form: the compound has a branch now, with this secretary."""
    form = page.get_by_test_id("stForm").first
    form.get_by_text(t("party_page.form.has_branch")).click()
    form.get_by_label(t("party_page.form.secretary"), exact=True).fill(secretary)
    form.get_by_role("button", name=t("party_page.form.save")).click()
    saved = t("party_page.saved", what=t("party_page.form.branch"), n=0).split("：")[0]
    expect(page.get_by_test_id("stAlertContentSuccess").first).to_contain_text(saved)
    _no_exception(page)


def _shot(page: Page, path: Path) -> Path:
    page.mouse.move(VIEWPORT["width"] - 10, VIEWPORT["height"] - 10)  # no hover effects
    page.screenshot(path=path)
    assert path.stat().st_size > 20_000
    return path


# -- tests ---------------------------------------------------------------------------------
def test_layers_switch_and_a_click_opens_the_governance_card(
    server: Server, tab: tb.Visit, db: Path, shots: Path
) -> None:
    store = open_store(db)
    frames = party.load(store, street_id=STREET)
    community = "S001-C1"
    comps = frames.compounds[frames.compounds["community_id"] == community]
    page = tab.page
    tb.sign_in(page, server, LEADER)
    page.goto(f"{server.url}/party?lang=zh&community={community}")
    tb.expect_compounds(page, len(comps))
    _legend(page, t("party_page.map.legend_branch"))
    assert set(_fills(page)) <= set(pm.COMPOUND_COLORS[pm.CompoundLayer.BRANCH].values())
    # switch the compound layer: the map is redrawn in the stars' colours
    page.get_by_text(t("party_page.compound_layer_stars"), exact=True).click()
    _legend(page, t("party_page.map.legend_stars"))
    tb.expect_compounds(page, len(comps))
    stars = pm.COMPOUND_COLORS[pm.CompoundLayer.STARS]
    classes = pm.compound_classes(comps, pm.CompoundLayer.STARS)
    assert sorted(_fills(page)) == sorted(stars[c] for c in classes)
    # and the building layer: responsibility zones appear with their outlines
    page.get_by_text(t("party_page.building_layer_zone"), exact=True).click()
    _legend(page, t("party_page.map.legend_zone"))
    zones = comps.merge(frames.buildings[["compound_id", "zone_id"]], on="compound_id")
    frame = page.frame_locator(FOLIUM_IFRAME)
    expect(frame.locator(f"path.{pm.ZONE_CLASS}")).to_have_count(zones["zone_id"].nunique())
    # a click on a compound opens its card; the leader sees the secretary masked
    target = comps[comps["branch_id"].notna()].iloc[0]
    tb.click_compound(page, store, target["compound_id"])
    tb.expect_card(page, target["name"])
    main = page.get_by_test_id("stMain")
    expect(main).to_contain_text(str(target["branch_name"]))
    secretary = store.read("party_org", where={"org_id": target["branch_id"]}).iloc[0]["secretary"]
    expect(main).not_to_contain_text(secretary)
    expect(main).to_contain_text(t("party_page.card.open_issues"))
    expect(page.get_by_role("button", name=t("party_page.form.save"))).to_have_count(0)
    _no_exception(page)
    assert [e for e in tab.errors if "L is not defined" in e] == []
    assert tab.remote(server.url) == []
    _shot(page, shots / "party-card.png")


def test_one_click_opens_a_building_while_the_map_runs_below_the_fold(
    server: Server, tab: tb.Visit, db: Path
) -> None:
    """Issue 18.1: at 1920×1080 the map ends below the window; the first click on a building
    opens it (it used to scroll the page, lose the click and need a second one)."""
    store = open_store(db)
    community = "S001-C1"
    frames = party.load(store, street_id=STREET)
    buildings = frames.buildings[frames.buildings["community_id"] == community]
    buildings = buildings.set_index("building_id")
    points = {str(i): (p.x, p.y) for i, p in buildings.representative_point().items()}
    page = tab.page
    page.set_viewport_size({"width": 1920, "height": 1080})
    tb.sign_in(page, server, LEADER)
    page.goto(f"{server.url}/party?lang=zh&community={community}")
    frame = page.frame_locator(FOLIUM_IFRAME)
    expect(frame.locator(f"path.{pm.BUILDING_CLASS}")).to_have_count(len(buildings))
    building_id, x, y = tb.point_below_the_fold(page, points, pm.BUILDING_CLASS)
    page.mouse.click(x, y)  # once
    name = str(buildings.loc[building_id, "name"])
    expect(page.get_by_text(t("party_page.card.building_title", name=name))).to_be_visible()
    compound = frames.compounds.set_index("compound_id").loc[
        buildings.loc[building_id, "compound_id"]
    ]
    tb.expect_card(page, str(compound["name"]))
    _no_exception(page)


def test_an_edit_by_staff_survives_a_restart(
    db: Path, tab: tb.Visit, tmp_path: Path, shots: Path
) -> None:
    """The done-when of issue 6: an edit changes the map and the figures, after a restart."""
    _require_chromium()
    own = tmp_path / "mapgov.sqlite"  # a copy of its own: it restarts the server on it
    shutil.copyfile(db, own)
    store = open_store(own)
    comps = party.load(store, street_id=STREET).compounds
    target = comps[comps["branch_id"].isna()].sort_values("compound_id").iloc[0]
    community = target["community_id"]
    n = int((comps["community_id"] == community).sum())
    url = f"/party?lang=zh&community={community}"
    page = tab.page
    running = _start(own)
    try:
        tb.sign_in(page, running, f"{community}-staff1")
        page.goto(running.url + url)
        tb.expect_compounds(page, n)
        amber_before = _fills(page).count(pm.GAP_COLOR.upper())
        share_before = _metric(page, "share_branch")
        tb.click_compound(page, store, target["compound_id"])
        tb.expect_card(page, target["name"])
        expect(page.get_by_text(t("party_page.card.no_branch_warning"))).to_be_visible()
        _give_branch(page, secretary="王书记")
    finally:
        _stop(running)  # by its process id
    after = party.coverage_figures(party.load(store, street_id=STREET), by="community_id")
    share_after = f"{after.set_index('community_id').loc[community, 'share_branch']:.0%}"
    assert share_after != share_before
    again = _start(own)  # the same database, a new server process
    try:
        tb.sign_in(page, again, f"{community}-staff1")
        page.goto(again.url + url)
        tb.expect_compounds(page, n)
        expect(page.get_by_test_id("stMetric").first).to_contain_text(share_after)
        assert _metric(page, "share_branch") == share_after
        assert _fills(page).count(pm.GAP_COLOR.upper()) == amber_before - 1  # on the map too
        tb.click_compound(page, store, target["compound_id"])
        tb.expect_card(page, target["name"])
        main = page.get_by_test_id("stMain")
        expect(main).to_contain_text(f"{target['name']}党支部")
        expect(main).to_contain_text("王书记")
        expect(page.get_by_text(t("party_page.card.no_branch_warning"))).to_have_count(0)
        _no_exception(page)
        assert [u for u in tab.remote(again.url) if not u.startswith(running.url)] == []
        _shot(page, shots / "party-edit.png")
    finally:
        _stop(again)
    assert "Traceback" not in again.log()


def test_a_gap_list_downloads_as_excel(server: Server, tab: tb.Visit, db: Path) -> None:
    """The open gap tab's Excel button gives that list (written on the click)."""
    store = open_store(db)
    gaps = party.gap_lists(party.load(store, street_id=STREET))
    first = next(g for g in party.GAPS if len(gaps[g]))  # the first tab with anything in it
    page = tab.page
    tb.sign_in(page, server, LEADER)
    page.goto(f"{server.url}/party?lang=zh")
    button = page.get_by_role("button", name=t("party_page.gaps.excel")).first
    with page.expect_download() as download:
        button.click()
    assert download.value.suggested_filename == f"party-gaps-{first}-{STREET}.xlsx"
    sheet = pd.read_excel(download.value.path(), dtype=str)
    assert len(sheet) == len(gaps[first])
    assert t("party_page.gaps.col.residents") in sheet.columns
    _no_exception(page)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_names_never_overlap_and_the_compounds_fill_the_map(
    server: Server, browser: Browser, lang: str
) -> None:
    """At 1920×1080: the compound names drawn do not overlap, the compounds fill the map as
    far as the legend allows, and the legend covers none of them (issue 18, point 7)."""
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
    try:
        page = context.new_page()
        tb.sign_in(page, server, LEADER)
        page.goto(f"{server.url}/party?lang={lang}")
        frame = page.frame_locator(FOLIUM_IFRAME)
        expect(frame.locator("[data-mapgov-fitted]")).to_have_count(1, timeout=tb.UI_TIMEOUT_MS)
        seen = frame.locator(".leaflet-container").evaluate(
            """(map, [label, compound]) => {
                const box = e => e.getBoundingClientRect();
                const labels = [...map.querySelectorAll("." + label)]
                    .filter(e => e.parentElement.style.display !== "none").map(box);
                const places = [...map.querySelectorAll("path." + compound)].map(box);
                const legend = box(map.querySelector(".mapgov-legend"));
                const whole = box(map);
                return {labels: labels.map(b => [b.left, b.top, b.right, b.bottom]),
                        places: places.map(b => [b.left, b.top, b.right, b.bottom]),
                        legend: [legend.left, legend.top, legend.right, legend.bottom],
                        map: [whole.left, whole.top, whole.right, whole.bottom],
                        names: [...map.querySelectorAll("." + label)].length};
            }""",
            [maplabels.LABEL_CLASS, pm.COMPOUND_CLASS],
        )
    finally:
        context.close()

    def meet(a: list[float], b: list[float]) -> bool:
        return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]

    labels, places = seen["labels"], seen["places"]
    assert seen["names"] == len(places)  # one name a compound, some hidden
    assert len(labels) >= len(places) // 2
    for i, a in enumerate(labels):
        assert a[2] - a[0] > 10  # drawn, with its text
        for b in labels[i + 1 :]:
            assert not meet(a, b), (a, b)
    assert not any(meet(seen["legend"], p) for p in places)
    # as large as the legend allows: the compounds fill the map's width or height, less the
    # legend's (they may not run under it)
    left, top, right, bottom = seen["map"]
    legend_w = seen["legend"][2] - seen["legend"][0]
    legend_h = seen["legend"][3] - seen["legend"][1]
    width = max(p[2] for p in places) - min(p[0] for p in places)
    height = max(p[3] for p in places) - min(p[1] for p in places)
    assert max(width / (right - left - legend_w), height / (bottom - top - legend_h)) >= 0.85
    # and no quarter of it is left empty: the compounds' extent covers at least half of the
    # map outside the legend (the fit before issue 18 covered 40% in Chinese)
    free = (right - left) * (bottom - top) - legend_w * legend_h
    assert width * height >= 0.5 * free
