"""Benchmark the maps as a person sees them: screenshots of the map until it is drawn (issue 24).

Usage::

    .venv/bin/python bench/bench_paint.py                                   # scale 1 (built here)
    .venv/bin/python bench/bench_paint.py --db100 /tmp/paint-s100.sqlite    # and scale 100
    .venv/bin/python bench/bench_paint.py --cases wall --visits 5 --starts 5
    .venv/bin/python bench/bench_paint.py --compare /tmp/base --visits 5  # against a checkout

A missing scale-1 database is built by ``python -m mapgov demo --seed 42 --as-of 2026-11-15
--password Luoyang-demo-2026`` into a temporary folder; ``--db1`` / ``--db100`` reuse existing
ones built the same way (``--scale 100`` for the second: 80-150 s, about 3.7 GB of memory).
Every server runs on a copy of its database (sessions are written to it).

Method. The server is ``mapgov serve`` (as ``make run``) on a free port, awaited on
``/_stcore/health``. Each visit is a new context of one headless chromium (1920 × 1080, the
launch flags of ``tests/browser/helpers.py``: software WebGL, offline), so its HTTP and code
caches are empty, as for a first visit. The tab's screen is recorded from before
``page.goto`` by the DevTools screencast: every frame the browser composites, at half size,
stamped with the moment it reached the screen (:class:`Screencast`), and the clock starts
at ``page.goto``. Each frame is clipped to the map's box (the wall's map box, the folium
frame of /issues and /life-circle, the baseline's line of text; the box as the page has it
once settled, the same at every visit) and its pixels compared with the map's empty
backgrounds. A frame is what the browser drew, so the time includes the browser's own work
(parsing Streamlit's and deck.gl's scripts, drawing), not only the server's. Screenshots
taken on demand (this benchmark's method until 2026-12-06) are not used: the browser makes
a new frame for each, which waits for the page's main thread, busy for a second and more
at a time while Streamlit and deck.gl start, so they came late (each run prints a check:
:func:`forced_screenshot_wait`).

first pixels
    The first frame in which at least 2 % of the map's box is drawn (not background).
drawn
    The first frame with at least 90 % of the drawn share the map settles at (the share of
    the last frame, once nothing in the box changed for a second), i.e. the whole map.
WebGL drawn
    Wall only: the deck's first frame is on the screen (the page's own signal: the poster,
    a picture of the map's flat layers that the wall shows until then, is removed; see
    :mod:`mapgov.views.deck_poster`), by the page's clock. *First map pixels* may be the
    poster's.
all panels
    Wall only: every headline tile, the trend chart (decoded), the categories, the ranking
    and the ticker are on the page (polled every ``--every`` ms).

Cases: "warm" is a fresh browser context on a running server (one untimed visit first, then
``--visits`` timed ones); "start" is the first visit after the server started (the server is
started again for each of ``--starts`` visits, timed from its health check answering). The
baseline is a one-line Streamlit page (``st.write``) served by plain ``streamlit run`` and
timed until its text is drawn. /issues and /life-circle are opened signed in as the
street's leader (a real session, its cookie given to the context, as the browser tests do).

``--compare CHECKOUT`` times only the wall at scale 1, this checkout's and another's (say
``git worktree add /tmp/base <commit>``, with ``static/`` copied) interleaved: on a machine
whose load moves, runs of two versions one after the other are not comparable.

Prints the machine, its load, then Markdown tables (median, min and max of the visits).
Timings on a shared 2-core machine move with the load.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import io
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import numpy as np
from PIL import Image
from playwright.sync_api import Error as PlaywrightError

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from bench_wall import CHROMIUM, CHROMIUM_ARGS, server  # noqa: E402

from mapgov.core import clock  # noqa: E402
from mapgov.core.config import DB_ENV  # noqa: E402
from mapgov.demo import wall_token  # noqa: E402
from mapgov.domain import accounts  # noqa: E402
from mapgov.store import open_store  # noqa: E402
from mapgov.views.wall import TILES  # noqa: E402

__all__ = ["Page", "Visit", "main", "visit"]

SEED = 42
AS_OF = "2026-11-15"
PASSWORD = "Luoyang-demo-2026"
LEADER = "S001-leader"
VIEWPORT = {"width": 1920, "height": 1080}
COOKIE = "mapgov_session"  # mapgov.ui.auth.COOKIE (importing the glue would fill the log)
DECK = '[data-testid="stDeckGlJsonChart"] canvas#deckgl-overlay'
WALL_MAP = f".st-key-wall-map-stack, {DECK}"  # the map's box; an older checkout: the canvas
WEBGL_JS = """() => document.body.dataset.mgDeckDrawn ? 'drawn'
  : (document.querySelector('.mg-poster') ? 'poster' : null)"""
FOLIUM = 'iframe[title="streamlit_folium.st_folium"]'
WALL_BG = (11, 20, 38)  # mapgov.views.deck.BACKGROUND
SKELETON = (28, 34, 48)  # Streamlit's placeholder bar while the map's code loads
FIRST_SHARE = 0.02
DRAWN_OF_FINAL = 0.9
SETTLED_S = 1.0
TIMEOUT_S = 90.0
BASELINE_TEXT = "mapgov baseline: one line"
PANELS_JS = f"""() => {{
  const img = document.querySelector('img.mg-chart');
  return document.querySelectorAll('.mg-tile').length >= {len(TILES)}
    && !!img && img.complete && img.naturalWidth > 0
    && !!document.querySelector('.mg-cat-bar') && !!document.querySelector('.mg-rank-table')
    && !!document.querySelector('.mg-tick');
}}"""
BOX_JS = """(selector) => {
  const el = document.querySelector(selector);
  if (!el) return null;
  const r = el.getBoundingClientRect();
  if (r.width < 50 || r.height < 50) return null;
  return {x: r.x, y: r.y, width: Math.min(r.width, innerWidth - r.x),
          height: Math.min(r.height, innerHeight - r.y)};
}"""


@dataclass(frozen=True)
class Page:
    """A page to time: its path, the map's selector and its empty background colours."""

    name: str
    path: str
    selector: str
    backgrounds: tuple[tuple[int, int, int], ...]
    panels: str | None = None
    signed_in: bool = False


WALL = Page(  # white: the page before its style sheet; Streamlit's skeleton of a chart
    "wall",
    "/wall?kiosk=1&token={token}",
    WALL_MAP,
    (WALL_BG, (255, 255, 255), SKELETON),
    panels=PANELS_JS,
)
ISSUES = Page("issues", "/issues", FOLIUM, ((255, 255, 255), (221, 221, 221)), signed_in=True)
LIFE = Page(
    "life-circle", "/life-circle", FOLIUM, ((255, 255, 255), (221, 221, 221)), signed_in=True
)
PAGES = {p.name: p for p in (WALL, ISSUES, LIFE)}
BASELINE = Page("baseline", "/", f"text={BASELINE_TEXT}", ((255, 255, 255),))


@dataclass
class Visit:
    """One visit's times in seconds from navigation (None: never within the timeout)."""

    first: float | None = None
    drawn: float | None = None
    panels: float | None = None
    webgl: float | None = None
    poster: bool = False
    shots: int = 0


@dataclass
class Result:
    """The visits of one row of a table."""

    label: str
    visits: list[Visit] = field(default_factory=list)


# -- servers -------------------------------------------------------------------------------
APP_ROOT = [ROOT]
"""The checkout whose app is served (``--root``: another version, to compare)."""


def mapgov_server(db: Path) -> Any:
    """``mapgov serve`` on `db`, of the checkout in :data:`APP_ROOT`."""
    root = APP_ROOT[0]
    command = [sys.executable, "-m", "mapgov", "serve", "--port", "{port}"]
    env = {DB_ENV: str(db), "PYTHONUNBUFFERED": "1"}
    if root != ROOT:  # its own mapgov ahead of the installed one
        env["PYTHONPATH"] = str(root / "src")
    return server(command, root, env)


def baseline_server(directory: Path) -> Any:
    """Plain ``streamlit run`` of a one-line page."""
    app = directory / "baseline.py"
    app.write_text(f"import streamlit as st\n\nst.write({BASELINE_TEXT!r})\n")
    streamlit = Path(sys.executable).parent / "streamlit"
    command = [str(streamlit), "run", str(app), "--server.port", "{port}"]
    command += ["--server.address", "127.0.0.1", "--server.headless", "true"]
    return server(command, directory, {"PYTHONUNBUFFERED": "1"})


Colours = tuple[tuple[int, int, int], ...]


# -- one visit -----------------------------------------------------------------------------
def _share(image: Image.Image, backgrounds: Colours) -> float:
    """Share of the pixels far from every background colour."""
    pixels = np.asarray(image.convert("RGB"), dtype=np.int16)
    away = np.ones(pixels.shape[:2], dtype=bool)
    for colour in backgrounds:
        away &= np.abs(pixels - np.asarray(colour, dtype=np.int16)).sum(axis=-1) > 40
    return float(away.mean())


Shares = list[tuple[float, float]]


BOXES: dict[str, dict[str, float]] = {}
"""The map's box of each page, from the end of its last visit (the same at every visit)."""

FRAME_MAX: Final = {"maxWidth": VIEWPORT["width"] // 2, "maxHeight": VIEWPORT["height"] // 2}
"""Screencast frames at half size: encoding them costs the browser less."""


class Screencast:
    """Every frame the browser composites for a tab, with the time it reached the screen.

    Chromium's DevTools screencast (``Page.startScreencast``) sends each new frame of the
    compositor, stamped with its swap time, without asking the page for anything. A
    screenshot on demand (``Page.captureScreenshot``, which Playwright's ``screenshot``
    calls) instead makes the page produce a new frame, and so waits for its main thread:
    while Streamlit and deck.gl parse and start (a second and more at a time), the screen
    shows what it shows, and a screenshot comes only after (:func:`forced_screenshot_wait`
    measures it).
    """

    def __init__(self, context: Any, tab: Any) -> None:
        self.frames: list[tuple[float, bytes]] = []
        self._seen = 0
        self._cdp = context.new_cdp_session(tab)
        self._cdp.on("Page.screencastFrame", self._frame)

    def _frame(self, params: dict[str, Any]) -> None:
        self.frames.append((params["metadata"]["timestamp"], base64.b64decode(params["data"])))
        with contextlib.suppress(PlaywrightError):  # the tab closed meanwhile
            self._cdp.send("Page.screencastFrameAck", {"sessionId": params["sessionId"]})

    def start(self) -> None:
        """Start sending frames (JPEG, quality 90, half size)."""
        self._cdp.send("Page.startScreencast", {"format": "jpeg", "quality": 90, **FRAME_MAX})

    def stop(self) -> None:
        """Stop sending frames."""
        with contextlib.suppress(PlaywrightError):
            self._cdp.send("Page.stopScreencast")

    def shares(self, start: float, box: dict[str, float], backgrounds: Colours) -> Shares:
        """(seconds since `start`, drawn share of `box`) of every frame, in screen order."""
        frames = sorted(self.frames, key=lambda f: f[0])
        return [(stamp - start, _frame_share(jpeg, box, backgrounds)) for stamp, jpeg in frames]

    def latest(self, start: float, box: dict[str, float], backgrounds: Colours) -> Shares:
        """The newest frame's (time, share), none if no frame came since the last call."""
        if len(self.frames) == self._seen:
            return []
        self._seen = len(self.frames)
        stamp, jpeg = max(self.frames, key=lambda f: f[0])
        return [(stamp - start, _frame_share(jpeg, box, backgrounds))]


def _frame_share(jpeg: bytes, box: dict[str, float], backgrounds: Colours) -> float:
    image = Image.open(io.BytesIO(jpeg))
    k = image.width / VIEWPORT["width"]
    edges = (box["x"], box["y"], box["x"] + box["width"], box["y"] + box["height"])
    return _share(image.crop(tuple(round(v * k) for v in edges)), backgrounds)


def forced_screenshot_wait(browser: Any, busy_ms: int = 3000) -> tuple[float, int]:
    """How long a screenshot on demand waits while the page's main thread is busy, and how
    many screencast frames came meanwhile (a check of the method, printed with the figures).

    A page whose square the compositor moves (a CSS animation: the screen changes without
    the main thread) spins its main thread for `busy_ms` in a timer; 0.3 s after, a
    screenshot is asked. Returns (seconds the screenshot took, screencast frames during the spin).
    """
    context = browser.new_context(viewport=VIEWPORT)
    tab = context.new_page()
    cast = Screencast(context, tab)
    try:
        spin = (  # a square that the compositor moves (a CSS animation of its transform)
            "<style>@keyframes m { from { transform: none } to { transform: translateX(300px) } }"
            "</style><body style='background:#0b1426'><div style='width:40px;height:40px;"
            "background:#fff;animation:m 1s linear infinite alternate'></div></body>"
        )
        tab.set_content(spin)
        tab.wait_for_timeout(300)
        cast.start()
        tab.evaluate(
            f"() => setTimeout(() => {{ const t = performance.now();"
            f" while (performance.now() - t < {busy_ms}) {{}} }}, 10)"
        )
        tab.wait_for_timeout(300)
        begin = time.time()
        tab.screenshot(clip={"x": 0, "y": 0, "width": 50, "height": 50})
        took = time.time() - begin
        during = sum(1 for stamp, _ in cast.frames if begin <= stamp <= begin + took)
        cast.stop()
    finally:
        context.close()
    return took, during


def _poll(tab: Any, page: Page, start: float, out: Visit) -> None:
    """One poll of what the page tells: the panels, and whether the deck has drawn."""
    now = time.time() - start
    if page.panels and out.panels is None and tab.evaluate(page.panels):
        out.panels = now
    if page is WALL and out.webgl is None:
        state = tab.evaluate(WEBGL_JS)
        out.poster = out.poster or state is not None
        if state == "drawn":
            drawn_at = int(tab.evaluate("() => Number(document.body.dataset.mgDeckDrawn)"))
            origin = tab.evaluate("() => performance.timeOrigin") / 1000.0
            out.webgl = origin + drawn_at / 1000.0 - start


def _settled(page: Page, out: Visit, shares: Shares, now: float) -> bool:
    """Whether the map is drawn, the panels are there and the map has not changed for
    :data:`SETTLED_S`."""
    if not shares or shares[-1][1] < FIRST_SHARE:
        return False
    if page.panels is not None and out.panels is None:
        return False
    if out.poster and out.webgl is None:  # a picture of the map: WebGL has yet to draw
        return False
    final = shares[-1][1]
    changed = next(
        (at for at, share in reversed(shares) if abs(share - final) > 0.002), shares[0][0]
    )
    return now - max(changed, shares[-1][0]) >= SETTLED_S or now - changed >= 3 * SETTLED_S


def visit(browser: Any, url: str, page: Page | None, every_ms: int, cookie: str | None) -> Visit:
    """Open `url` in a new context, record its screen until the map (or the baseline's
    text) has settled, then time it by the recorded frames."""
    context = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
    if cookie:
        context.add_cookies([{"name": COOKIE, "value": cookie, "url": url}])
    tab = context.new_page()
    cast = Screencast(context, tab)
    out = Visit()
    selector = page.selector if page is not None else f"text={BASELINE_TEXT}"
    backgrounds = page.backgrounds if page is not None else ((255, 255, 255),)
    name = page.name if page is not None else "baseline"
    box = BOXES.get(name)
    seen: Shares = []  # the newest frame at each poll: enough to tell when it has settled
    try:
        cast.start()
        start = time.time()
        tab.goto(url, wait_until="commit")
        while time.time() - start < TIMEOUT_S:
            if box is None:
                box = _box(tab, selector)
            if page is not None:
                _poll(tab, page, start, out)
            if box is not None:
                seen += cast.latest(start, box, backgrounds)
                if _settled(page or BASELINE, out, seen, time.time() - start):
                    break
            tab.wait_for_timeout(every_ms)
        found = _box(tab, selector)
        if found is not None:
            BOXES[name] = box = found
        cast.stop()
    finally:
        context.close()
    if box is not None:
        shares = cast.shares(start, box, backgrounds)
        out.shots = len(shares)
        out.first = next((at for at, share in shares if share >= FIRST_SHARE), None)
        if out.first is not None:
            final = shares[-1][1]
            out.drawn = next(at for at, share in shares if share >= DRAWN_OF_FINAL * final)
    return out


def _box(tab: Any, selector: str) -> dict[str, float] | None:
    if selector.startswith("text="):
        handle = tab.query_selector(selector)
        box = handle.bounding_box() if handle is not None else None
        return box if box and box["width"] > 0 else None
    found: dict[str, float] | None = tab.evaluate(BOX_JS, selector)
    return found


# -- cases ---------------------------------------------------------------------------------
def _session(db: Path) -> str:
    store = open_store(db)
    return accounts.sign_in(store, LEADER, PASSWORD, now=clock.system_now(), source="bench")


def _copy(db: Path, folder: Path, name: str) -> Path:
    target = folder / name
    shutil.copyfile(db, target)
    return target


def _target(page: Page) -> str:
    return page.path.format(token=wall_token(SEED, PASSWORD))


def warm(browser: Any, db: Path, pages: list[Page], visits: int, every_ms: int) -> list[Result]:
    """Fresh contexts on one running server: an untimed visit, then `visits` timed ones."""
    results = []
    with mapgov_server(db) as url:
        cookie = _session(db)
        for page in pages:
            target = url + _target(page)
            jar = cookie if page.signed_in else None
            visit(browser, target, page, every_ms, jar)
            result = Result(page.name)
            for _ in range(visits):
                result.visits.append(visit(browser, target, page, every_ms, jar))
            results.append(result)
    return results


def starts(browser: Any, db: Path, page: Page, times: int, every_ms: int) -> Result:
    """The first visit after a server start, `times` starts."""
    result = Result(page.name)
    cookie = _session(db) if page.signed_in else None
    for _ in range(times):
        with mapgov_server(db) as url:
            result.visits.append(visit(browser, url + _target(page), page, every_ms, cookie))
    return result


def baseline(browser: Any, folder: Path, visits: int, every_ms: int) -> tuple[Result, Result]:
    """The one-line page: fresh contexts on a running server, and first visits after starts."""
    warm_result, start_result = Result("baseline"), Result("baseline")
    with baseline_server(folder) as url:
        visit(browser, url, None, every_ms, None)
        for _ in range(visits):
            warm_result.visits.append(visit(browser, url, None, every_ms, None))
    for _ in range(visits):
        with baseline_server(folder) as url:
            start_result.visits.append(visit(browser, url, None, every_ms, None))
    return warm_result, start_result


def compare(browser: Any, db: Path, other: Path, rounds: int, every_ms: int) -> list[Result]:
    """The wall of `other` (a checkout) and of this one, interleaved: each round starts a
    server of each in turn and times its first visit, then one warm visit."""
    roots = {"other": other, "this": ROOT}
    results = {(name, case): Result(f"{name} {case}") for name in roots for case in CASES}
    for _ in range(rounds):
        for name, root in roots.items():
            APP_ROOT[0] = root
            with mapgov_server(db) as url:
                for case in CASES:  # the first visit after the start, then a warm one
                    found = visit(browser, url + _target(WALL), WALL, every_ms, None)
                    results[(name, case)].visits.append(found)
    APP_ROOT[0] = ROOT
    return list(results.values())


CASES = ("start", "warm")


# -- tables --------------------------------------------------------------------------------
def _stats(values: list[float | None]) -> str:
    got = [v for v in values if v is not None]
    if not got:
        return "never"
    text = f"{statistics.median(got):.2f} ({min(got):.2f}–{max(got):.2f})"
    missing = len(values) - len(got)
    return text + (f", {missing} never" if missing else "")


def table(rows: list[tuple[str, str, Result]]) -> str:
    """Markdown: scale, case, page, first pixels, drawn, WebGL frame, all panels (median
    (min–max), s)."""
    lines = [
        "| scale | case | page | n | first map pixels, s | map drawn, s | WebGL drawn, s "
        "| all panels, s |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for scale, case, result in rows:
        vs = result.visits
        panels = _stats([v.panels for v in vs]) if any(v.panels for v in vs) else "–"
        webgl = _stats([v.webgl for v in vs]) if any(v.webgl for v in vs) else "–"
        lines.append(
            f"| {scale} | {case} | {result.label} | {len(vs)} | {_stats([v.first for v in vs])} "
            f"| {_stats([v.drawn for v in vs])} | {webgl} | {panels} |"
        )
    return "\n".join(lines)


def _ensure_db(path: str | None, scale: int, folder: Path) -> Path:
    if path:
        return Path(path)
    target = folder / f"demo-s{scale}.sqlite"
    command = [sys.executable, "-m", "mapgov", "demo", "--seed", str(SEED), "--as-of", AS_OF]
    command += ["--password", PASSWORD, "--scale", str(scale), "--db", str(target), "--quiet"]
    subprocess.run(command, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    return target


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; print the machine, the load and Markdown tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db1", help="scale-1 demo database (default: built here)")
    parser.add_argument("--db100", help="scale-100 demo database (default: no scale 100)")
    parser.add_argument("--cases", default="wall,issues,life-circle,baseline")
    parser.add_argument("--visits", type=int, default=5, help="timed visits per warm case")
    parser.add_argument("--starts", type=int, default=5, help="server starts per start case")
    parser.add_argument("--starts100", type=int, default=5, help="server starts at scale 100")
    parser.add_argument("--every", type=int, default=50, help="ms between polls")
    parser.add_argument("--root", type=Path, help="serve the app of this checkout instead")
    parser.add_argument(
        "--compare",
        type=Path,
        metavar="CHECKOUT",
        help="only the wall at scale 1: this checkout and CHECKOUT interleaved, --visits rounds",
    )
    args = parser.parse_args(argv)
    if args.root:
        APP_ROOT[0] = args.root.resolve()
    from bench_demo import machine
    from playwright.sync_api import sync_playwright

    cases = args.cases.split(",")
    pages = [PAGES[name] for name in cases if name in PAGES]
    rows: list[tuple[str, str, Result]] = []
    print(f"machine: {machine()}; load {os.getloadavg()[0]:.2f}", flush=True)
    with tempfile.TemporaryDirectory(prefix="bench-paint-") as tmp, sync_playwright() as pw:
        folder = Path(tmp)
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        took, frames = forced_screenshot_wait(browser)
        print(
            f"method check: a page's main thread busy for 3 s; a screenshot asked 0.3 s in "
            f"took {took:.2f} s, while the screencast sent {frames} frames",
            flush=True,
        )
        if args.compare:
            db = _copy(_ensure_db(args.db1, 1, folder), folder, "s1.sqlite")
            found = compare(browser, db, args.compare.resolve(), args.visits, args.every)
            rows += [("1", "interleaved", result) for result in found]
            cases = []  # nothing else
        if "baseline" in cases:
            fresh, started = baseline(browser, folder, args.visits, args.every)
            rows += [("–", "warm", fresh), ("–", "start", started)]
            print(table(rows), flush=True)
        scales = [] if args.compare else [(1, args.db1, args.starts)]
        if args.db100 and not args.compare:
            scales.append((100, args.db100, args.starts100))
        for scale, given, times in scales:
            db = _copy(_ensure_db(given, scale, folder), folder, f"s{scale}.sqlite")
            for result in warm(browser, db, pages, args.visits, args.every):
                rows.append((str(scale), "warm", result))
            for page in pages:
                if times:
                    rows.append((str(scale), "start", starts(browser, db, page, times, args.every)))
            print(table(rows), flush=True)
            db.unlink()
        browser.close()
    print(f"\nload after: {os.getloadavg()[0]:.2f}")
    print(table(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
