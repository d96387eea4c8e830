"""The real app in headless chromium, offline: navigation, /wall, the local Leaflet map.

Each test server is ``streamlit run app.py`` on a free port against the session's demo
database; it is awaited on ``/_stcore/health`` (checked again whenever the server writes a
line, never by sleeping) and stopped by its own process id. The browser resolves every host
but 127.0.0.1 to nothing, so anything fetched from the internet would fail and is also
recorded and asserted absent.

Every page needs a signed-in person: :func:`sign_in` starts a real session of a demo account
against the server's database (once per server and login) and gives the browser tab its
``mapgov_session`` cookie, as the sign-in form would. The form itself is driven in
``tests/test_browser_signin.py``. Servers run on copies of the session's demo database, since
sessions and their audit rows are written to it.
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
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Browser, Page, Playwright, expect, sync_playwright

from mapgov.core import clock
from mapgov.core.config import DB_ENV
from mapgov.core.i18n import t
from mapgov.domain import accounts
from mapgov.store import open_store
from mapgov.ui import PAGES
from mapgov.ui.auth import COOKIE

from .conftest import DEMO_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[1]
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
    db: Path
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


def _start(db: Path) -> Server:
    port = _free_port()
    # as `make run` serves it: mapgov loaded first, then Streamlit in the same process
    command = [
        sys.executable, "-m", "mapgov", "serve",
        "--port", str(port), "--address", "127.0.0.1",
    ]  # fmt: skip
    env = {**os.environ, DB_ENV: str(db), "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
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


@pytest.fixture(scope="module")
def server(demo_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    _require_chromium()
    running = _start(copy_db(demo_db, tmp_path_factory.mktemp("browser")))
    yield running
    _stop(running)


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    _require_chromium()
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    yield chromium
    chromium.close()


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


@pytest.fixture
def visit(browser: Browser) -> Iterator[Visit]:
    context = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(UI_TIMEOUT_MS)
    expect.set_options(timeout=UI_TIMEOUT_MS)  # a cold server's first run takes a while
    tab = Visit(page=page, requests=[], errors=[])
    context.on("request", lambda request: tab.requests.append(request.url))
    page.on("console", lambda msg: tab.errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda err: tab.errors.append(str(err)))
    page.on("dialog", lambda dialog: (tab.dialogs.append(dialog.message), dialog.dismiss()))
    yield tab
    context.close()


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


def test_navigation_shows_six_pages_and_switches(server: Server, visit: Visit) -> None:
    page = visit.page
    sign_in(page, server)
    page.goto(server.url)
    _heading(page, t("page.wall.title", "zh"))
    names = _nav_links(page)
    assert [re.sub(r"^\S+\s+", "", n) for n in names] == [t(f"page.{p.key}.nav") for p in PAGES]
    hrefs = page.get_by_test_id("stSidebarNavLink").evaluate_all("els => els.map(e => e.href)")
    paths = [urlsplit(href).path for href in hrefs]
    assert paths == ["/", "/issues", "/life-circle", "/party", "/co-building", "/data"]
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
