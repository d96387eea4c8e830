"""Shared set-up of the browser tests: the real app in headless chromium, offline.

Each test server is ``mapgov serve`` (``streamlit run app.py``) on a free port against a copy
of the session's demo database; it is awaited on ``/_stcore/health`` (checked again whenever
the server writes a line, never by sleeping) and stopped by its own process id. The browser
resolves every host but 127.0.0.1 to nothing, so anything fetched from the internet would fail
and is also recorded and asserted absent.

Every page needs a signed-in person: :func:`sign_in` starts a real session of a demo account
against the server's database (once per server and login) and gives the browser tab its
``mapgov_session`` cookie, as the sign-in form would. The form itself is driven in
``tests/browser/test_browser_signin.py``. Servers run on copies of the session's demo
database, since sessions and their audit rows are written to it.

The fixtures built on these (``server``, ``playwright``, ``browser``, ``visit``) live in
``tests/browser/conftest.py``.
"""

from __future__ import annotations

import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import shapely
from playwright.sync_api import Browser, Frame, Locator, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from mapgov.core import clock
from mapgov.core.config import DB_ENV
from mapgov.core.i18n import label, t
from mapgov.core.model import EventAction
from mapgov.domain import accounts
from mapgov.domain.reports import MAX_PHOTOS
from mapgov.session_cookie import COOKIE
from mapgov.store import Store, open_store
from mapgov.views import issues as issuepins
from mapgov.views import party as partymap
from mapgov.views.issues import BUILDING_CLASS
from tests.conftest import DEMO_PASSWORD

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
]
VIEWPORT = {"width": 1600, "height": 1000}
START_TIMEOUT_S = 90
UI_TIMEOUT_MS = 30_000
FOLIUM_IFRAME = 'iframe[title="streamlit_folium.st_folium"]'
LEADER = "S001-leader"
"""Who the browser tests work as unless they say otherwise (the street's leader)."""


@dataclass
class Server:
    """A running ``streamlit run app.py`` and everything it printed."""

    url: str
    process: subprocess.Popen[str]
    db: Path | str
    output: list[str] = field(default_factory=list)
    tokens: dict[str, str] = field(default_factory=dict)

    def log(self) -> str:
        """What the server printed so far (for failure messages)."""
        return "".join(self.output[-60:])


def _require_chromium() -> None:
    if CHROMIUM.exists():
        return
    reason = f"{CHROMIUM} is missing: install it with `apt-get install -y chromium fonts-noto-cjk`"
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=5) as response:
            return response.status == 200 and response.read().strip() == b"ok"
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


def _pump(stream: object, lines: queue.Queue[str | None], output: list[str]) -> None:
    for line in stream:  # type: ignore[attr-defined]
        output.append(line)
        lines.put(line)
    lines.put(None)


def _start(db: Path | str, env: dict[str, str] | None = None) -> Server:
    """``mapgov serve`` on `db` (a SQLite path or a ``postgresql://`` URL), with `env` added
    to the environment, once it answers its health check."""
    port = _free_port()
    # as `make run` serves it: mapgov loaded first, then Streamlit in the same process
    command = [
        sys.executable, "-m", "mapgov", "serve",
        "--port", str(port), "--address", "127.0.0.1",
    ]  # fmt: skip
    environment = {**os.environ, **(env or {}), DB_ENV: str(db), "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    server = Server(url=f"http://127.0.0.1:{port}", process=process, db=db)
    lines: queue.Queue[str | None] = queue.Queue()
    threading.Thread(target=_pump, args=(process.stdout, lines, server.output), daemon=True).start()
    deadline = time.monotonic() + START_TIMEOUT_S
    while not _healthy(server.url):
        try:  # the next thing the server says is the next moment to ask again
            line = lines.get(timeout=max(deadline - time.monotonic(), 0.01))
        except queue.Empty:
            _stop(server)
            pytest.fail(f"server not healthy after {START_TIMEOUT_S} s:\n{server.log()}")
        if line is None and not _healthy(server.url):
            _stop(server)
            pytest.fail(f"server exited with {process.wait()}:\n{server.log()}")
    return server


def _stop(server: Server) -> None:
    if server.process.poll() is None:
        os.kill(server.process.pid, signal.SIGTERM)
        try:
            server.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.kill(server.process.pid, signal.SIGKILL)
            server.process.wait()
    if server.process.stdout:
        server.process.stdout.close()


def sign_in(page: Page, server: Server, login: str = LEADER) -> None:
    """Sign `login` in to `server` for real and give `page`'s browser context the cookie.

    The session is started once per server and login with :func:`mapgov.domain.accounts.sign_in`
    against the server's database (the demo's accounts sign in with ``DEMO_PASSWORD``).
    """
    token = server.tokens.get(login)
    if token is None:
        store = open_store(server.db)
        now = clock.system_now()
        token = accounts.sign_in(store, login, DEMO_PASSWORD, now=now, source="test")
        server.tokens[login] = token
    page.context.add_cookies([{"name": COOKIE, "value": token, "url": server.url}])


def copy_db(demo_db: Path, folder: Path) -> Path:
    """A copy of the demo database in `folder`, for a server to write its sessions to."""
    path = folder / "mapgov.sqlite"
    shutil.copyfile(demo_db, path)
    return path


@dataclass
class Visit:
    """A browser tab plus every URL it requested, every console error and every dialog
    (``alert()`` and the like, dismissed: typed text that ran as script would open one)."""

    page: Page
    requests: list[str]
    errors: list[str]
    dialogs: list[str] = field(default_factory=list)

    def remote(self, base: str) -> list[str]:
        """Requests that went anywhere but the app itself."""
        return [u for u in self.requests if not u.startswith((base, "data:", "blob:", "about:"))]


def point_below_the_fold(
    page: Page, points: dict[str, tuple[float, float]], css_class: str
) -> tuple[str, float, float]:
    """A map point to click while the map is cut by the window's lower edge, as it is drawn.

    Asserts that the folium map starts inside the window and ends below it (scrolls nothing);
    then returns the first of `points` ((lon, lat) by key) that lies in the window, with a
    polygon of `css_class` under it: its key and its page coordinates for ``page.mouse``.
    """
    iframe = page.locator(FOLIUM_IFRAME)
    box = iframe.bounding_box()
    window = page.viewport_size
    assert box is not None and window is not None
    assert 0 <= box["y"] < window["height"] < box["y"] + box["height"], (box, window)
    frame = iframe.element_handle().content_frame()
    assert frame is not None
    found = frame.evaluate(
        """([points, cssClass, visible]) => {
            for (const [key, [lng, lat]] of Object.entries(points)) {
                const p = window.map.latLngToContainerPoint([lat, lng]);
                const box = window.map.getContainer().getBoundingClientRect();
                const x = box.left + p.x, y = box.top + p.y;
                if (y < 20 || y > visible - 20 || x < 20 || x > box.right - 20) continue;
                const under = document.elementFromPoint(x, y);
                if (under && under.classList.contains(cssClass)) return [key, x, y];
            }
            return null;
        }""",
        [points, css_class, window["height"] - box["y"]],
    )
    assert found is not None, f"no {css_class} polygon in the visible part of the map"
    key, x, y = found
    return str(key), box["x"] + x, box["y"] + y


# -- the maps and select boxes of the pages -----------------------------------------------
def _map_frame(page: Page) -> Frame:
    frame = page.locator(FOLIUM_IFRAME).element_handle().content_frame()
    assert frame is not None
    return frame


def _aim_at(page: Page, building: pd.Series) -> tuple[float, float]:
    """Zoom in on a point inside the building (no rerun: the map sends only clicks back) and
    return that point's page coordinates."""
    point = building.geometry.representative_point()
    frame = _map_frame(page)
    frame.evaluate(
        "([lat, lng]) => window.map.setView([lat, lng], window.map.getZoom() + 1, "
        "{animate: false})",
        [point.y, point.x],
    )
    x, y = frame.evaluate(
        "([lat, lng]) => { const p = window.map.latLngToContainerPoint([lat, lng]);"
        " return [p.x, p.y]; }",
        [point.y, point.x],
    )
    hit = frame.evaluate(
        "([x, y]) => document.elementFromPoint(x, y).getAttribute('class')", [x, y]
    )
    # the mouse will land on the building polygon itself, or on a pin of one of its issues
    # (drawn at the building's point: a click there opens the building too)
    assert BUILDING_CLASS in hit or issuepins.PIN_CLASS in hit
    box = page.locator(FOLIUM_IFRAME).bounding_box()
    assert box is not None
    return box["x"] + x, box["y"] + y


def _panel_title(store: Store, building: pd.Series) -> str:
    compound = store.read("compound", where={"compound_id": building["compound_id"]}).iloc[0]
    return t("issues.panel.building_title", compound=compound["name"], building=building["name"])


def _expect_panel(page: Page, title: str) -> None:
    expect(page.get_by_role("heading", name=title)).to_be_visible()


def expect_compounds(page: Page, n: int) -> None:
    """Wait until the map shows `n` compound polygons."""
    frame = page.frame_locator(FOLIUM_IFRAME)
    expect(frame.locator(f"path.{partymap.COMPOUND_CLASS}")).to_have_count(n)


def _ground(store: Store, compound_id: str) -> tuple[float, float]:
    """(lon, lat) of a point of the compound away from its buildings."""
    comp = store.read("compound", where={"compound_id": compound_id}).geometry.iloc[0]
    blds = store.read("building", where={"compound_id": compound_id}).geometry.to_numpy()
    free = comp.difference(shapely.union_all(shapely.buffer(blds, 0.00005)))
    point = free.representative_point()
    return point.x, point.y


_AIM_AT_COMPOUND = """([lat, lng, cls]) => {
    if (typeof L === "undefined") return false;
    const map = Object.values(window).find(v => v instanceof L.Map);
    if (!map) return false;
    const p = map.latLngToContainerPoint([lat, lng]);
    const box = map.getContainer().getBoundingClientRect();
    const [x, y] = [box.left + p.x, box.top + p.y];
    const under = document.elementFromPoint(x, y);
    const hit = Boolean(under) && under.classList.contains(cls)
        && under.classList.contains("leaflet-interactive");
    const seen = window.mapgovLastAim;
    window.mapgovLastAim = [x, y];
    return hit && Boolean(seen) && seen[0] === x && seen[1] === y ? [x, y] : false;
}"""
"""Where the point (lat, lng) is in the map's frame, once it holds still on a compound
polygon (the same spot two polls running), else false."""


def click_compound(
    page: Page, store: Store, compound_id: str, *, cls: str = partymap.COMPOUND_CLASS
) -> None:
    """Click the compound's polygon (CSS class `cls`: the party map's by default) with the
    mouse, at a point of its ground."""
    iframe = page.locator(FOLIUM_IFRAME)
    # The whole map in view first: a click that scrolls the page lands somewhere else.
    iframe.evaluate("e => e.scrollIntoView({block: 'center'})")
    frame = iframe.element_handle().content_frame()
    assert frame is not None
    lon, lat = _ground(store, compound_id)
    # The map fits itself again while its frame settles: aim once the point holds still on
    # the compound (a condition awaited in the frame, polled every 150 ms).
    frame.evaluate("() => { window.mapgovLastAim = null; }")
    found = frame.wait_for_function(
        _AIM_AT_COMPOUND, arg=[lat, lon, cls], polling=150, timeout=20_000
    )
    x, y = found.json_value()
    box = iframe.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + x, box["y"] + y)


def expect_card(page: Page, name: str) -> None:
    """Wait until the governance card of the compound called `name` is shown."""
    expect(page.get_by_role("heading", name=name, exact=True)).to_be_visible()


def poll(
    page: Page, condition: Callable[[], bool], *, timeout_s: float, every_ms: int = 250
) -> bool:
    """Whether `condition` comes true within `timeout_s`, asked every `every_ms`: for what
    the page cannot await itself (the pixels of a screenshot). The interval is spent in
    ``page.wait_for_timeout``, so the page's events go on being handled meanwhile."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() >= deadline:
            return False
        page.wait_for_timeout(every_ms)
    return True


def session_cookie(page: Page) -> dict[str, Any] | None:
    """The browser's session cookie (as Playwright sees it: name, value, flags), or None."""
    return next((c for c in page.context.cookies() if c["name"] == COOKIE), None)


def expect_session_cookie(page: Page, *, present: bool) -> None:
    """Await the server setting (or clearing) the session cookie; a set one is out of every
    script's reach (``HttpOnly``, so ``document.cookie`` does not show it) and same-site only."""
    assert poll(page, lambda: (session_cookie(page) is not None) == present, timeout_s=10)
    cookie = session_cookie(page)
    if cookie is not None:
        assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
        assert f"{COOKIE}=" not in page.evaluate("document.cookie")


def _choose(
    page: Page, combobox: Locator, option: str | re.Pattern[str], *, search: str | None = None
) -> None:
    """Open a select box and pick an option, as a person would: if a rerun still under way
    redraws the list under the pointer, wait for the app to settle and open it again.

    `search` is typed into the box first, as a person does in a long list (the list draws only
    the options in view)."""
    for attempt in range(3):
        expect(page.locator("[data-testid^=stStatusWidgetRunning]")).to_have_count(
            0, timeout=30_000
        )
        combobox.click()
        if search:
            page.keyboard.type(search)
        try:
            page.get_by_role("option", name=option).click(timeout=5_000)
            return
        except PlaywrightTimeoutError:
            if attempt == 2:
                raise
            page.keyboard.press("Escape")


# -- the phone page /report (issue 20) ------------------------------------------------------
PHONE = {"width": 390, "height": 844}
"""A phone's viewport (CSS pixels), opened with touch and the mobile flag."""
TICKET_PATTERN = re.compile(r"^[2-9A-HJ-NP-Z]{5}-[2-9A-HJ-NP-Z]{5}$")


def new_tab(browser: Browser, **options: Any) -> Visit:
    """A new tab in a new browser context made with `options` (viewport, locale ...), with its
    requests, console errors and dialogs recorded; close it with ``tab.page.context``."""
    context = browser.new_context(**options)
    page = context.new_page()
    page.set_default_timeout(UI_TIMEOUT_MS)
    expect.set_options(timeout=UI_TIMEOUT_MS)  # a cold server's first run takes a while
    tab = Visit(page=page, requests=[], errors=[])
    context.on("request", lambda request: tab.requests.append(request.url))
    page.on("console", lambda msg: tab.errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda err: tab.errors.append(str(err)))
    page.on("dialog", lambda dialog: (tab.dialogs.append(dialog.message), dialog.dismiss()))
    return tab


def phone_tab(browser: Browser) -> Visit:
    """A new tab as a phone opens it (390 x 844, touch, mobile), signed in to nothing."""
    return new_tab(
        browser,
        viewport=PHONE,
        has_touch=True,
        is_mobile=True,
        device_scale_factor=2,
        locale="zh-CN",
    )


def settle(page: Page) -> None:
    """Wait until the app has finished its run: the app root says its script is not running
    (a phone shows no "running" status to wait on)."""
    app = page.get_by_test_id("stApp")
    expect(app).to_have_attribute("data-test-script-state", "notRunning", timeout=30_000)


def file_report_on_phone(
    page: Page,
    server: Server,
    building_id: str,
    *,
    category: str,
    description: str,
    photos: Sequence[Path] = (),
    lang: str = "zh",
) -> str:
    """Open ``/report?building=...`` (a QR code's link), choose `category` (its label), type
    `description`, attach `photos` and send; returns the ticket the page shows."""
    page.goto(f"{server.url}/report?building={building_id}&lang={lang}")
    expect(page.get_by_role("heading", name=t("page.report.title", lang))).to_be_visible()
    settle(page)
    if photos:
        _attach(page, photos, lang)
    _choose(page, page.get_by_role("combobox", name=t("report.category", lang)), category)
    settle(page)
    box = page.get_by_role("textbox", name=t("report.description", lang))
    box.fill(description)
    box.blur()  # Streamlit takes a text area's value when it loses focus
    settle(page)
    page.get_by_role("button", name=re.compile(t("report.submit", lang))).click()
    code = page.get_by_test_id("stCode")
    expect(code).to_be_visible()
    ticket = code.inner_text().strip()
    assert TICKET_PATTERN.match(ticket), ticket
    return ticket


def _attach(page: Page, photos: Sequence[Path], lang: str) -> None:
    """Attach `photos` to the page's file picker and wait for the run that received them (it
    says how many are attached): a click made before that run would be lost to it."""
    picker = page.get_by_test_id("stFileUploader").locator('input[type="file"]')
    picker.set_input_files([str(p) for p in photos])
    said = t("report.attached", lang, n=len(photos), most=MAX_PHOTOS)
    expect(page.get_by_text(said)).to_be_visible()


def open_ticket(page: Page, server: Server, ticket: str, *, lang: str = "zh") -> str:
    """Open the ticket page ``/report?ticket=...``; returns the status it shows."""
    page.goto(f"{server.url}/report?ticket={ticket}&lang={lang}")
    value = page.get_by_test_id("stMetric").get_by_test_id("stMetricValue")
    expect(value).to_be_visible()
    return value.inner_text().strip()


def aim_on_map(
    page: Page, lon: float, lat: float, iframe_selector: str = FOLIUM_IFRAME
) -> tuple[float, float]:
    """The page's point over (lon, lat) of the folium map in `iframe_selector`, once the map
    holds still with a shape under that point (it fits itself while its frame settles)."""
    iframe = page.locator(iframe_selector)
    iframe.evaluate("e => e.scrollIntoView({block: 'center'})")
    frame = iframe.element_handle().content_frame()
    assert frame is not None
    frame.evaluate("() => { window.mapgovLastAim = null; }")
    found = frame.wait_for_function(
        _AIM_AT_COMPOUND, arg=[lat, lon, "leaflet-interactive"], polling=150, timeout=20_000
    )
    x, y = found.json_value()
    box = iframe.bounding_box()
    assert box is not None
    return box["x"] + x, box["y"] + y


def tap_on_map(page: Page, lon: float, lat: float) -> None:
    """Tap the page's folium map at (lon, lat) with a finger (the tab must have touch), once
    the map holds still there (:func:`aim_on_map`)."""
    page.touchscreen.tap(*aim_on_map(page, lon, lat))


def rate_on_ticket(page: Page, rating: str, *, note: str = "", lang: str = "zh") -> None:
    """On an open ticket page whose callback is due, choose `rating` (its label: 满意 ...),
    add `note` and send; waits for the page's thanks (or its "worked on again")."""
    page.get_by_role("radio", name=rating, exact=True).check()
    if note:
        box = page.get_by_role("textbox", name=t("report.ticket.note", lang))
        box.fill(note)
    page.get_by_role("button", name=t("report.ticket.rate_submit", lang)).click()
    said = re.compile(f"{t('report.ticket.thanks', lang)}|{t('report.ticket.reopened', lang)}")
    expect(page.get_by_text(said)).to_be_visible()


def expect_success(page: Page, text: str | re.Pattern[str]) -> None:
    """A success message saying `text` is on the page."""
    expect(page.get_by_test_id("stAlertContentSuccess").filter(has_text=text)).to_be_visible()


def no_errors(page: Page) -> None:
    """No traceback and no error message on the page."""
    expect(page.get_by_test_id("stException")).to_have_count(0)
    expect(page.get_by_test_id("stAlertContentError")).to_have_count(0)


def fill_issue_field(page: Page, field: str, value: str) -> None:
    """Type `value` into the issue form's field `field` (``issues.form.<field>``)."""
    page.get_by_label(t(f"issues.form.{field}"), exact=True).fill(value)


def save_step(page: Page, action: EventAction, issue_id: int, **fields: str) -> None:
    """On the open issue of the /issues panel, take the step `action` with `fields` filled
    in, and wait for "saved"."""
    page.get_by_role("tab", name=label(action)).click()
    for name, value in fields.items():
        fill_issue_field(page, name, value)
    page.get_by_role("button", name=label(action), exact=True).click()
    expect_success(page, t("issues.saved", issue_id=issue_id, action=label(action)))
    no_errors(page)


def find_building(page: Page, store: Store, building: pd.Series) -> None:
    """Open `building` on /issues with the search box, as a person who does not click maps
    would, and wait for its panel."""
    compound = store.read("compound", where={"compound_id": building["compound_id"]}).iloc[0]
    search = page.get_by_label(t("issues.panel.search"))
    search.fill(f"{compound['name']} {building['number']}")
    search.press("Enter")
    _choose(
        page,
        page.get_by_role("combobox", name=t("issues.panel.search_results")),
        f"{compound['name']} {building['name']}",
    )
    _expect_panel(page, _panel_title(store, building))


def issue_picker(page: Page) -> Locator:
    """The /issues panel's choice of one of the building's issues."""
    return page.get_by_role("combobox", name=t("issues.panel.issue_pick"), exact=True)
