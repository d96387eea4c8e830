"""The co-building page in chromium, as a community's staff member uses it: pick an open need,
pair it with the top-ranked unit, carry the project through claim, progress, completion and
the residents' rating, restart the server and find it completed, with its line on the map.

The server runs on a module copy of the demo database that this test changes.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from mapgov.core.i18n import label, t
from mapgov.core.model import CallbackRating, CoAction, CoEntity, ProjectStatus
from mapgov.domain import audit, cobuild
from mapgov.store import Store, open_store
from mapgov.views import co_building as cm
from tests.conftest import AS_OF

from . import helpers as tb
from .helpers import _choose

pytestmark = [pytest.mark.browser, pytest.mark.slow]


STREET = "S001"
COMMUNITY = "S001-C2"  # the demo community with the most open needs
STAFF = "S001-C2-staff1"
PAGE = f"/co-building?community={COMMUNITY}"


@pytest.fixture(scope="module")
def co_db(demo_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    copy = tmp_path_factory.mktemp("co_building") / "mapgov.sqlite"
    shutil.copyfile(demo_db, copy)
    return copy


def _open(page: Page, server: tb.Server, *, every_line: bool = False) -> None:
    tb.sign_in(page, server, STAFF)
    page.goto(f"{server.url}{PAGE}")
    expect(page.locator("h1").first).to_have_text(t("page.co_building.title"))
    _filled_markers(page)
    if every_line:
        _all_lines(page)


def _lines(page: Page, n: int) -> None:
    """Wait until the map draws `n` project lines (Leaflet's paths of the link layer)."""
    frame = page.frame_locator(tb.FOLIUM_IFRAME)
    expect(frame.locator(f"path.{cm.LINK_CLASS}")).to_have_count(n)


def _all_lines(page: Page) -> None:
    """Switch the map's "show every project line" toggle."""
    page.get_by_text(t("co_building_page.map.show_all_links"), exact=True).click()


def _filled_markers(page: Page) -> None:
    """Needs and units are drawn as filled dots (their colour is their message)."""
    frame = page.frame_locator(tb.FOLIUM_IFRAME)
    for cls in (cm.NEED_CLASS, cm.UNIT_CLASS):
        markers = frame.locator(f"path.{cls}")
        expect(markers.first).to_be_attached()
        fills = markers.evaluate_all("ps => ps.map(p => p.getAttribute('fill'))")
        assert fills and "none" not in fills and None not in fills, (cls, fills[:5])


def _focused_lines(page: Page, store: Store, need_id: str, unit_id: str) -> None:
    """With "show every project line" off, the map draws only the lines of the project just
    made: its need's and its unit's projects."""
    _all_lines(page)
    projects = cobuild.load(store, street_id=STREET).projects
    live = projects[(projects["community_id"] == COMMUNITY) & (projects["status"] != "cancelled")]
    focused = (live["need_id"] == need_id) | (live["unit_id"] == unit_id)
    assert 0 < focused.sum() < len(live)
    _lines(page, int(focused.sum()))


def _live_projects(store: Store) -> int:
    projects = cobuild.load(store, street_id=STREET).projects
    mine = projects[projects["community_id"] == COMMUNITY]
    return int((mine["status"] != ProjectStatus.CANCELLED.value).sum())


def _alert(page: Page, text: str) -> None:
    expect(page.get_by_test_id("stAlertContentSuccess").filter(has_text=text)).to_be_visible()


def _no_errors(page: Page) -> None:
    expect(page.get_by_test_id("stException")).to_have_count(0)
    expect(page.get_by_test_id("stAlertContentError")).to_have_count(0)


def _step(page: Page, project_id: str, action: CoAction) -> None:
    """Open the step's tab, submit its form and wait for the step to be recorded."""
    name = label(action)
    page.get_by_role("tab", name=name, exact=True).click()
    form = page.get_by_test_id("stForm").filter(visible=True)
    form.get_by_role("button", name=name, exact=True).click()
    entity = label(CoEntity.PROJECT)
    _alert(page, t("co_building_page.stepped", entity=entity, id=project_id, action=name))
    _no_errors(page)


def _record_picker(page: Page) -> Locator:
    name = t("co_building_page.record.choose", entity=label(CoEntity.PROJECT))
    return page.get_by_role("combobox", name=name)


def _pair(page: Page, need_option: str, top: cobuild.Candidate) -> None:
    """Pick the need in the matching panel, check the top-ranked unit is proposed, pair."""
    picker = page.get_by_role("combobox", name=t("co_building_page.match.need"))
    _choose(page, picker, need_option)
    candidate = page.get_by_role("combobox", name=t("co_building_page.match.choose"))
    expect(candidate).to_have_value(re.compile(rf"^1\. {re.escape(top.unit_name)}"))
    page.get_by_role("button", name=t("co_building_page.match.pair")).click()
    _alert(page, top.unit_name)
    _no_errors(page)


def _wall_tile(page: Page, server: tb.Server, key: str) -> int:
    """The number on one headline tile of the kiosk wall screen."""
    tb.sign_in(page, server, STAFF)
    page.goto(f"{server.url}/wall?kiosk=1")
    value = page.locator(f'.mg-tile[data-key="{key}"] .mg-tile-value')
    expect(value).to_be_visible()
    return int(re.sub(r"\D", "", value.inner_text()))


def test_pair_a_need_and_see_the_project_through_a_restart(co_db: Path, visit: tb.Visit) -> None:
    tb._require_chromium()
    store = open_store(co_db)
    frames = cobuild.load(store, street_id=STREET)
    waiting = cobuild.waiting_needs(frames, AS_OF, community_id=COMMUNITY)
    need = waiting.iloc[1]  # not the one the picker proposes: the person picks it
    top = cobuild.rank_units(frames, need["need_id"])[0]
    options = cm.open_need_options(frames, AS_OF, lang="zh", community_id=COMMUNITY)
    lines = _live_projects(store)
    page = visit.page
    server = tb._start(co_db)
    try:
        completed = _wall_tile(page, server, "projects_completed")
        _open(page, server, every_line=True)
        _lines(page, lines)
        _pair(page, options[need["need_id"]], top)
        (project_id,) = store.read("co_project", where={"need_id": need["need_id"]})["project_id"]
        _alert(page, project_id)
        _lines(page, lines + 1)  # the new project's line is on the map
        _focused_lines(page, store, need["need_id"], top.unit_id)
        expect(_record_picker(page)).to_have_value(re.compile(rf"^{re.escape(project_id)} · "))
        for action in (CoAction.CLAIM, CoAction.PROGRESS, CoAction.COMPLETE, CoAction.RATE):
            _step(page, project_id, action)  # rate: "satisfied", the first rating
        project = cobuild.get(store, CoEntity.PROJECT, project_id)
        assert project["status"] == ProjectStatus.RATED.value
        assert project["unit_id"] == top.unit_id
        assert project["satisfaction"] == CallbackRating.SATISFIED.value
    finally:
        tb._stop(server)
    assert "Traceback" not in server.log()
    # after a restart, everything is still there
    again = tb._start(co_db)
    try:
        _open(page, again, every_line=True)
        _lines(page, lines + 1)
        done = t("co_building_page.record.option", id=project_id, title=project["title"])
        _choose(page, _record_picker(page), done)
        card = t("co_building_page.card.status")
        expect(page.get_by_text(f"{card}：{label(ProjectStatus.RATED)}")).to_be_visible()
        rated = f"{label(CoAction.RATE)} → {label(ProjectStatus.RATED)}"  # the history's last
        expect(page.get_by_role("listitem").filter(has_text=rated)).to_be_visible()
        steps = cobuild.timeline(store, CoEntity.PROJECT, project_id)
        assert list(steps["to_status"]) == [
            "paired", "claimed", "in_progress", "completed", "rated",
        ]  # fmt: skip
        solid = page.frame_locator(tb.FOLIUM_IFRAME).locator(
            f"path.{cm.LINK_CLASS}:not([stroke-dasharray])"
        )
        expect(solid).not_to_have_count(0)  # completed projects are drawn solid
        _no_errors(page)
        # the wall screen counts the project completed today
        assert _wall_tile(page, again, "projects_completed") == completed + 1
        assert [u for u in visit.remote(again.url) if not u.startswith(server.url)] == []
    finally:
        tb._stop(again)


def test_staff_pair_their_own_need_from_a_panel_that_shows_the_button_whole(
    server: tb.Server, visit: tb.Visit
) -> None:
    """S001-C1's staff on the whole street: the matching panel opened on another community's
    need ("may only read"), and its box, of the map's height, cut the pair button in half.
    The panel opens on their own longest wait, and the button is seen whole beside the map."""
    tb._require_chromium()
    store = open_store(server.db)
    frames = cobuild.load(store, street_id=STREET)
    own = "S001-C1"
    waiting = cobuild.waiting_needs(frames, AS_OF)
    assert waiting["community_id"].iloc[0] != own
    need_id = waiting[waiting["community_id"] == own]["need_id"].iloc[0]
    options = cm.open_need_options(frames, AS_OF, lang="zh")
    page = visit.page
    tb.sign_in(page, server, "S001-C1-staff1")
    page.goto(f"{server.url}/co-building")
    picker = page.get_by_role("combobox", name=t("co_building_page.match.need"))
    expect(picker).to_have_value(options[need_id])
    _filled_markers(page)  # the map drawn and the run over: nothing moves the page after
    tb.settle(page)
    heading = page.get_by_role("heading", name=t("co_building_page.match.title"))
    heading.evaluate("h => h.scrollIntoView({block: 'start'})")
    pair = page.get_by_role("button", name=t("co_building_page.match.pair"))
    expect(pair).to_be_in_viewport(ratio=1)  # nothing clips it: no box scrolling inside
    top = cobuild.rank_units(frames, need_id)[0]
    candidate = page.get_by_role("combobox", name=t("co_building_page.match.choose"))
    expect(candidate).to_have_value(re.compile(rf"^1\. {re.escape(top.unit_name)}"))
    pair.click()
    _alert(page, top.unit_name)
    _no_errors(page)
    assert cobuild.get(store, CoEntity.NEED, need_id)["status"] == "matched"


def test_staff_downloading_the_wish_list_is_logged_as_an_export(
    server: tb.Server, visit: tb.Visit
) -> None:
    """Staff see their community's wish posters and claimants in full, on the page and in the
    list's file: the file leaves the system, so each download is logged (the page's view once
    a quarter hour), as the issue ledger's is."""
    tb._require_chromium()
    store = open_store(server.db)

    def logged() -> int:
        log = audit.read_audit(store)
        return int((log["subject"] == "wishes:S001-C1").sum())

    page = visit.page
    tb.sign_in(page, server, "S001-C1-staff1")
    page.goto(f"{server.url}/co-building?community=S001-C1")
    page.get_by_role("tab", name=t("co_building_page.lists.wishes"), exact=True).click()
    panel = page.locator('[role="tabpanel"]:visible')
    button = panel.get_by_role("button", name=t("co_building_page.lists.excel"))
    expect(button).to_be_visible()
    seen = logged()
    assert seen >= 1  # the page's view of the list
    with page.expect_download() as download:
        button.click()
    assert download.value.suggested_filename.endswith(".xlsx")
    assert logged() == seen + 1
    _no_errors(page)
