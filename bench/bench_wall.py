"""Benchmark the wall screen: payload, and time until the map is drawn, pydeck vs folium.

Usage::

    .venv/bin/python bench/bench_wall.py                        # scale 1 (built here) only
    .venv/bin/python bench/bench_wall.py --db100 /tmp/mapgov-s100.sqlite --city
    .venv/bin/python bench/bench_wall.py --soak 600             # 10 minutes, refresh every 30 s

A missing database is built by ``python -m mapgov demo --seed 42 --as-of 2026-11-15`` (scale
100 takes 80-150 s and about 3.7 GB of memory); ``--db1`` / ``--db100`` reuse existing ones.

Cases: street S001 at scale 1, street S001 at scale 100 (the same street in a 100 times larger
database), and with ``--city`` all 100 streets of scale 100 on one map. For each case:

python
    Seconds to read the map's data (:func:`mapgov.views.wall.map_data`, the ledger frames, compound
    figures, recent issues), to build the deck and its JSON, and to build the folium map of
    the same rows and render its HTML.
payload
    MB of the deck's JSON (what ``st.pydeck_chart`` sends) and of the folium HTML (what an
    iframe receives), both with coordinates rounded to 6 decimals.
drawn
    Seconds from navigation until the map is drawn in headless chromium at 1920 × 1080,
    offline (the launch flags of ``tests/browser/helpers.py``), each visit in a new browser
    context (empty HTTP and code caches, as a first visit). Timed inside the page, without
    screenshots (reading a WebGL canvas back stalls it): for deck.gl, the last WebGL draw call
    of the first animation frame that makes as many draw calls as the final frame (all layers
    drawn); for Leaflet, two animation frames after the folium document has loaded. Both
    maps are served by the same small Streamlit app (deck via ``st.pydeck_chart``, folium
    HTML via ``components.html`` with Leaflet from ``/app/static``), built once per server and
    then cached, so the time is the browser's plus the websocket's. One untimed visit per map
    warms the server; a blank map at the end counts as never drawn.
page
    The real ``/wall?kiosk=1`` (street cases), to the drawn map: "cold" is the first visit
    after the server starts (all the page's Python runs, caches empty), "warm" a later visit
    in a new browser context, "reload" a reload of an open tab (the browser has Streamlit's
    scripts cached and compiled: a kiosk PC that reopens the page).

``--soak`` opens ``/wall?kiosk=1&refresh=30`` for that many seconds and samples, every 30 s,
the tab's JS heap after a forced garbage collection, its DOM node count and the resident
memory of the whole browser process tree, plus any error on the page or in the console.

Prints the machine and its load average, then Markdown tables for ``docs/benchmarks.md``.
Timings on a shared 2-core machine move with the load: the medians and minimums of several
visits are reported.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import folium
import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from mapgov.core import clock  # noqa: E402
from mapgov.core.config import DB_ENV  # noqa: E402
from mapgov.domain import kpi  # noqa: E402
from mapgov.store import open_store  # noqa: E402
from mapgov.views import deck as deckmaps  # noqa: E402
from mapgov.views import wall  # noqa: E402
from mapgov.views.maps import base_map  # noqa: E402

__all__ = ["Built", "Case", "build", "folium_map", "main", "serve", "server"]

SEED = 42
AS_OF = "2026-11-15"
STREET = "S001"
METRIC = "open_per_100_households"
LANG = "zh"
MAP_SIZE = (1190, 790)
CHROMIUM = "/usr/bin/chromium"
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
DECK = '[data-testid="stDeckGlJsonChart"] canvas#deckgl-overlay'
FOLIUM = "iframe"
CASE_ENV = "MAPGOV_BENCH_STREET"
DRAWN_TIMEOUT_S = 240.0


# -- building the two maps -----------------------------------------------------------------
@dataclass
class Built:
    """One case's maps and what it cost to build them."""

    deck: deckmaps.CompactDeck
    deck_json: str
    html: str
    seconds: dict[str, float] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)


def _hex(colour: list[int]) -> str:
    return "#{:02X}{:02X}{:02X}".format(*colour[:3])


def _features(rows: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    feats = []
    for row in rows:
        p = row["p"]
        if kind == "Polygon":  # one ring, or rings (exterior, then holes), all unclosed
            rings = p if isinstance(p[0][0], list) else [p]
            geometry = {"type": "Polygon", "coordinates": [[*r, r[0]] for r in rings]}
        else:
            geometry = {"type": "Point", "coordinates": p}
        props = {k: v for k, v in row.items() if k in ("n", "v")}
        if "c" in row and isinstance(row["c"], list):
            props["f"] = _hex(row["c"])
        if "w" in row:
            props["w"] = row["w"]
        feats.append({"type": "Feature", "geometry": geometry, "properties": props})
    return {"type": "FeatureCollection", "features": feats}


def folium_map(deck: deckmaps.CompactDeck, bounds: tuple[float, float, float, float]) -> folium.Map:
    """The same layers as `deck`, from the same (rounded) rows, as folium GeoJSON layers.

    Polygons are flat (Leaflet draws no extrusion); text becomes ``DivIcon`` markers.
    """
    fmap = base_map(bounds=bounds, background=deckmaps.BACKGROUND)
    layers = {layer.id: layer for layer in deck.layers}
    flat = {"weight": 0, "fillOpacity": 0.9}
    if "wall-landuse" in layers:
        folium.GeoJson(_features(layers["wall-landuse"].data, "Polygon"), name="landuse",
                       style_function=lambda f: {**flat, "fillColor": f["properties"]["f"]}
                       ).add_to(fmap)  # fmt: skip
    if "wall-roads" in layers:
        folium.GeoJson(_features(layers["wall-roads"].data, "Polygon"), name="roads",
                       style_function=lambda f: {**flat, "fillColor": f["properties"]["f"]}
                       ).add_to(fmap)  # fmt: skip
    if "wall-compounds" in layers:
        folium.GeoJson(_features(layers["wall-compounds"].data, "Polygon"), name="compounds",
                       style_function=lambda f: {"fillColor": f["properties"]["f"],
                                                 "fillOpacity": 0.75, "color": "#0C162A",
                                                 "weight": 1},
                       tooltip=folium.GeoJsonTooltip(fields=["n", "v"], labels=False)
                       ).add_to(fmap)  # fmt: skip
    if "wall-communities" in layers:
        folium.GeoJson(_features(layers["wall-communities"].data, "Polygon"), name="communities",
                       style_function=lambda f: {**flat, "fillColor": f["properties"]["f"]}
                       ).add_to(fmap)  # fmt: skip
    if "wall-buildings" in layers:
        folium.GeoJson(_features(layers["wall-buildings"].data, "Polygon"), name="buildings",
                       style_function=lambda _f: {"fillColor": "#B2C4DE", "fillOpacity": 0.9,
                                                  "weight": 0}
                       ).add_to(fmap)  # fmt: skip
    if "wall-issues" in layers:
        folium.GeoJson(_features(layers["wall-issues"].data, "Polygon"), name="issues",
                       style_function=lambda f: {"fillColor": f["properties"]["f"],
                                                 "fillOpacity": 0.85, "weight": 0},
                       tooltip=folium.GeoJsonTooltip(fields=["n", "v"], labels=False)
                       ).add_to(fmap)  # fmt: skip
    if "wall-facilities" in layers:
        folium.GeoJson(_features(layers["wall-facilities"].data, "Polygon"), name="facilities",
                       style_function=lambda f: {"fillColor": f["properties"]["f"],
                                                 "fillOpacity": 1, "weight": 0},
                       tooltip=folium.GeoJsonTooltip(fields=["n"], labels=False)
                       ).add_to(fmap)  # fmt: skip
    if "wall-labels" in layers:
        for row in layers["wall-labels"].data:
            html = (f'<div style="color:{_hex(row["c"])};font:700 {row["s"]}px sans-serif;'
                    f'white-space:nowrap">{row["t"]}</div>')  # fmt: skip
            folium.Marker(
                location=(row["p"][1], row["p"][0]), icon=folium.DivIcon(html=html)
            ).add_to(fmap)
    return fmap


def build(db: str, street: str | None) -> Built:
    """The wall deck of `street` (None: every street) and the folium map of the same rows."""
    store = open_store(db)
    today = clock.today(store)
    t0 = time.perf_counter()
    base = wall.map_data(store, street, LANG)
    frames = kpi.load_frames(store, street_id=street)
    values = wall.compound_figures(frames, METRIC, today=today)
    drawn = wall.with_figures(base, values, METRIC, wall.recent_points(frames.issues, today), LANG)
    areas = base.communities if not base.communities.empty else base.compounds
    bounds = tuple(float(v) for v in areas.total_bounds)
    t1 = time.perf_counter()
    view = deckmaps.wall_view(bounds, width_px=MAP_SIZE[0], height_px=MAP_SIZE[1])  # type: ignore[arg-type]
    deck = deckmaps.wall_deck(
        drawn,
        metric=METRIC,
        view=view,
        bounds=bounds,
        issue_label="issues",  # type: ignore[arg-type]
    )
    deck_json = deck.to_json()
    t2 = time.perf_counter()
    fmap = folium_map(deck, bounds)  # type: ignore[arg-type]
    html = fmap.get_root().render()
    t3 = time.perf_counter()
    counts = {layer.id: len(layer.data) for layer in deck.layers}
    return Built(
        deck=deck,
        deck_json=deck_json,
        html=html,
        seconds={"data": t1 - t0, "deck": t2 - t1, "folium": t3 - t2},
        counts=counts,
    )


def serve() -> None:
    """The small Streamlit app that shows one case's deck (``?mode=deck``) or folium map."""
    import streamlit as st
    from streamlit.components import v1 as components

    @st.cache_resource(show_spinner=False)
    def cached(db: str, street: str) -> Built:
        return build(db, street or None)

    st.set_page_config(layout="wide")
    built = cached(os.environ[DB_ENV], os.environ.get(CASE_ENV, ""))
    if st.query_params.get("mode", "deck") == "deck":
        st.pydeck_chart(built.deck, height=MAP_SIZE[1], width=MAP_SIZE[0], key="bench")
    else:
        components.html(built.html, height=MAP_SIZE[1], width=MAP_SIZE[0])


# -- servers and browsers ------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=5) as response:
            return response.status == 200
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


@contextmanager
def server(command: list[str], cwd: Path, env: dict[str, str]) -> Iterator[str]:
    """Run `command` (``{port}`` in it becomes a free port) in `cwd` with `env` added; yield
    its URL once ``/_stcore/health`` answers; stop it by its own pid."""
    port = _free_port()
    cmd = [part.format(port=port) for part in command]
    log = tempfile.TemporaryFile()  # noqa: SIM115 (closed in the finally below)
    proc = subprocess.Popen(cmd, cwd=cwd, env={**os.environ, **env}, stdout=log, stderr=log)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while not _healthy(url):
            if proc.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                msg = f"server did not start:\n{log.read().decode(errors='replace')[-3000:]}"
                raise RuntimeError(msg)
            time.sleep(0.05)
        yield url
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait()
        log.close()


def _server(app_dir: Path, script: str, env: dict[str, str]) -> Any:
    """``mapgov serve --app script`` in `app_dir` on a free port; stopped by its own pid."""
    # as `make run` serves: `mapgov serve` (mapgov loaded, then Streamlit in that process)
    cmd = [sys.executable, "-m", "mapgov", "serve", "--app", script, "--port", "{port}",
           "--address", "127.0.0.1"]  # fmt: skip
    return server(cmd, app_dir, env)


def _bench_app(directory: Path) -> Path:
    """A folder with the bench app, Streamlit's config and the offline Leaflet."""
    (directory / ".streamlit").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(ROOT / ".streamlit" / "config.toml", directory / ".streamlit" / "config.toml")
    if not (directory / "static").exists():
        shutil.copytree(ROOT / "static", directory / "static")
    (directory / "bench_app.py").write_text(
        textwrap.dedent(
            f"""\
            import sys
            sys.path.insert(0, {str(ROOT / "bench")!r})
            import bench_wall
            bench_wall.serve()
            """
        ),
        encoding="utf-8",
    )
    return directory


# Runs in every frame of every page before its own scripts. deck.gl: the time of the last
# WebGL draw call of each animation frame and how many draws it made. Leaflet (the folium
# iframe): the next animation frame after the map's document has loaded. Times are epoch ms.
_TIMING = """
(() => {
  const now = () => performance.timeOrigin + performance.now();
  const frames = [];
  let draws = 0, last = 0;
  for (const C of [self.WebGL2RenderingContext, self.WebGLRenderingContext]) {
    if (!C) continue;
    for (const f of ['drawArrays', 'drawElements', 'drawArraysInstanced',
                     'drawElementsInstanced']) {
      const orig = C.prototype[f];
      if (!orig) continue;
      C.prototype[f] = function (...args) { draws++; last = now(); return orig.apply(this, args); };
    }
  }
  const tick = () => {
    if (draws) { frames.push([last, draws]); draws = 0; }
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
  self.__mapgovFrames = frames;
  addEventListener('load', () => {
    if (self.L) requestAnimationFrame(() => requestAnimationFrame(() => {
      self.__mapgovLeaflet = [now(), document.querySelectorAll('.leaflet-interactive').length];
      parent.postMessage({mapgovLeaflet: self.__mapgovLeaflet}, '*');
    }));
  });
  addEventListener('message', e => {
    if (e.data && e.data.mapgovLeaflet) self.__mapgovLeaflet = e.data.mapgovLeaflet;
  });
})();
"""


def _drawn(page: Any, mode: str, start_ms: float) -> float:
    """Seconds from `start_ms` (epoch) until the map was drawn (see :data:`_TIMING`)."""
    deadline = time.monotonic() + DRAWN_TIMEOUT_S
    if mode == "folium":
        while time.monotonic() < deadline:
            done = page.evaluate("self.__mapgovLeaflet || null")
            if done:
                return (done[0] - start_ms) / 1000
            page.wait_for_timeout(100)
        return float("inf")
    quiet_since, seen = None, 0
    while time.monotonic() < deadline:
        frames = page.evaluate("self.__mapgovFrames")
        if len(frames) != seen:
            seen, quiet_since = len(frames), time.monotonic()
        elif frames and quiet_since and time.monotonic() - quiet_since > 2.0:
            final = frames[-1][1]
            first = next(at for at, n in frames if n >= final)
            return (first - start_ms) / 1000
        page.wait_for_timeout(100)
    return float("inf")


def _visit(browser: Any, url: str, mode: str) -> float:
    """Seconds from navigation to the drawn map, in a new browser context (cold caches)."""
    context = browser.new_context(viewport={"width": 1920, "height": 1080})
    context.add_init_script(_TIMING)
    page = context.new_page()
    try:
        start_ms = time.time() * 1000
        page.goto(url, wait_until="commit")
        seconds = _drawn(page, mode, start_ms)
        shot = page.locator(DECK if mode == "deck" else FOLIUM).first.screenshot()
        image = np.asarray(Image.open(io.BytesIO(shot)).convert("L"), dtype=float)
        if image.std() < 3:  # a blank map is no map
            return float("inf")
        return seconds
    finally:
        context.close()


def _reloads(browser: Any, url: str, times: int) -> list[float]:
    """Seconds to the drawn map on reloads of one tab (the browser's caches are warm)."""
    context = browser.new_context(viewport={"width": 1920, "height": 1080})
    context.add_init_script(_TIMING)
    page = context.new_page()
    out = []
    try:
        page.goto(url)
        _drawn(page, "deck", time.time() * 1000)
        for _ in range(times):
            start_ms = time.time() * 1000
            page.reload(wait_until="commit")
            out.append(_drawn(page, "deck", start_ms))
    finally:
        context.close()
    return out


# -- the cases -----------------------------------------------------------------------------
@dataclass
class Case:
    """One measured map."""

    name: str
    db: str
    street: str | None
    python_s: dict[str, float] = field(default_factory=dict)
    deck_mb: float = 0.0
    folium_mb: float = 0.0
    counts: dict[str, int] = field(default_factory=dict)
    deck_drawn: list[float] = field(default_factory=list)
    folium_drawn: list[float] = field(default_factory=list)
    page_cold: list[float] = field(default_factory=list)
    page_warm: list[float] = field(default_factory=list)
    page_reload: list[float] = field(default_factory=list)


def _measure(case: Case, browser: Any, app_dir: Path, visits: int, servers: int) -> None:
    built = build(case.db, case.street)
    case.python_s = built.seconds
    case.deck_mb = len(built.deck_json.encode()) / 1e6
    case.folium_mb = len(built.html.encode()) / 1e6
    case.counts = built.counts
    print(f"  {case.name}: python {built.seconds}, deck {case.deck_mb:.2f} MB, "
          f"folium {case.folium_mb:.2f} MB", flush=True)  # fmt: skip
    env = {DB_ENV: case.db, CASE_ENV: case.street or ""}
    with _server(app_dir, "bench_app.py", env) as url:
        for mode in ("deck", "folium"):  # warm the server's cache
            _visit(browser, f"{url}/?mode={mode}", mode)
        for _ in range(visits):
            case.deck_drawn.append(_visit(browser, f"{url}/?mode=deck", "deck"))
            case.folium_drawn.append(_visit(browser, f"{url}/?mode=folium", "folium"))
            print(f"    deck {case.deck_drawn[-1]:.2f} s, folium {case.folium_drawn[-1]:.2f} s",
                  flush=True)  # fmt: skip
    if case.street is None:
        return
    query = f"/wall?kiosk=1&street={case.street}"
    for _ in range(servers):
        with _server(ROOT, "app.py", {DB_ENV: case.db}) as url:
            case.page_cold.append(_visit(browser, url + query, "deck"))
            for _ in range(visits):
                case.page_warm.append(_visit(browser, url + query, "deck"))
            case.page_reload.extend(_reloads(browser, url + query, visits))
        print(f"    page cold {case.page_cold[-1]:.2f} s, warm {case.page_warm[-visits:]}, "
              f"reload {case.page_reload[-visits:]}", flush=True)  # fmt: skip


def _ensure_db(path: str | None, scale: int, directory: Path) -> str:
    target = Path(path) if path else directory / f"scale-{scale}.sqlite"
    if not target.exists():
        print(f"building the scale-{scale} demo at {target} ...", flush=True)
        subprocess.run(
            [sys.executable, "-m", "mapgov", "demo", "--seed", str(SEED), "--scale", str(scale),
             "--as-of", AS_OF, "--db", str(target), "--quiet"],
            check=True,
        )  # fmt: skip
    open_store(target)  # a stale or foreign file fails here, with the reason
    return str(target)


def _stats(values: list[float]) -> str:
    if not values:
        return "—"
    finite = [v for v in values if v != float("inf")]
    if not finite:
        return f"> {DRAWN_TIMEOUT_S:.0f}"
    return f"{statistics.median(values):.1f} ({min(finite):.1f})"


def table(cases: list[Case]) -> str:
    """Markdown tables of the cases."""
    lines = [
        "| case | compounds | buildings | road segments | deck JSON MB | folium HTML MB "
        "| python: data / deck / folium s | pydeck drawn s | folium drawn s "
        "| /wall?kiosk=1 cold s | warm s | reload s |",
        "|---|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|",
    ]
    for c in cases:
        py = c.python_s
        lines.append(
            f"| {c.name} | {c.counts.get('wall-compounds', 0):,} "
            f"| {c.counts.get('wall-buildings', 0):,} | {c.counts.get('wall-roads', 0):,} "
            f"| {c.deck_mb:.2f} | {c.folium_mb:.2f} "
            f"| {py['data']:.1f} / {py['deck']:.2f} / {py['folium']:.1f} "
            f"| {_stats(c.deck_drawn)} | {_stats(c.folium_drawn)} "
            f"| {_stats(c.page_cold)} | {_stats(c.page_warm)} | {_stats(c.page_reload)} |"
        )
    return "\n".join(lines)


# -- the soak ------------------------------------------------------------------------------
def _tree_rss_mb(marker: str) -> float:
    """Resident memory of the browser process started with `marker` and all its children."""
    procs: dict[int, tuple[int, int, str]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            rss = int((entry / "statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, IndexError, ValueError):
            continue
        procs[int(entry.name)] = (int(stat[1]), rss, cmd)
    roots = {pid for pid, (_, _, cmd) in procs.items() if marker in cmd}
    tree = set(roots)
    grew = True
    while grew:
        grew = False
        for pid, (ppid, _, _) in procs.items():
            if ppid in tree and pid not in tree:
                tree.add(pid)
                grew = True
    return sum(procs[p][1] for p in tree) / 2**20


_PROBES = ("/_stcore/health", "/_stcore/host-config")


def _counts(message: Any) -> bool:
    """A console error that counts: not Streamlit's own 404 probes of ``/wall/_stcore/...``
    (its frontend looks for a base path under any deep link before it settles on ``/``)."""
    url = (message.location or {}).get("url", "")
    return message.type == "error" and not url.endswith(_PROBES)


def soak(db: str, seconds: int, refresh: int) -> str:
    """Leave the kiosk page open; return a Markdown table of its memory over time."""
    from playwright.sync_api import sync_playwright

    marker = f"--mapgov-soak-{os.getpid()}"
    rows = [
        "| minute | JS heap MB | DOM nodes | browser RSS MB | errors |",
        "|---:|---:|---:|---:|---:|",
    ]
    errors: list[str] = []
    samples: list[tuple[float, float, float]] = []
    with _server(ROOT, "app.py", {DB_ENV: db}) as url, sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, marker])
        page = browser.new_page(viewport={"width": 1920, "height": 1080})
        page.on("pageerror", lambda err: errors.append(str(err)))
        page.on("console", lambda m: errors.append(m.text) if _counts(m) else None)
        cdp = page.context.new_cdp_session(page)
        cdp.send("Performance.enable")
        page.goto(f"{url}/wall?kiosk=1&refresh={refresh}")
        page.wait_for_selector(DECK, timeout=120_000)
        page.wait_for_timeout(10_000)
        start = time.monotonic()
        while True:
            cdp.send("HeapProfiler.collectGarbage")
            metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
            heap = metrics["JSHeapUsedSize"] / 2**20
            nodes = metrics["Nodes"]
            rss = _tree_rss_mb(marker)
            elapsed = time.monotonic() - start
            samples.append((heap, nodes, rss))
            shown = page.locator('[data-testid="stException"], .mg-notice').count()
            rows.append(f"| {elapsed / 60:.1f} | {heap:.1f} | {nodes:.0f} | {rss:.0f} "
                        f"| {len(errors) + shown} |")  # fmt: skip
            print(rows[-1], flush=True)
            if elapsed >= seconds:
                break
            page.wait_for_timeout(refresh * 1000)
        browser.close()
    (h0, n0, r0), (h1, n1, r1) = samples[0], samples[-1]
    rows.append(
        f"\nGrowth from the first to the last sample: JS heap {100 * (h1 / h0 - 1):+.1f}%, "
        f"DOM nodes {100 * (n1 / n0 - 1):+.1f}%, browser RSS {100 * (r1 / r0 - 1):+.1f}%; "
        f"peak JS heap {max(s[0] for s in samples):.1f} MB; errors: {errors[:5] or 'none'}"
    )
    return "\n".join(rows)


def _load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min)"


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; print the machine, the load and Markdown tables."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db1", help="scale-1 demo database (built if missing)")
    parser.add_argument(
        "--db100", "--db", dest="db100", help="scale-100 demo database (built if missing)"
    )
    parser.add_argument("--city", action="store_true", help="also all streets at scale 100")
    parser.add_argument("--visits", type=int, default=3, help="timed visits per map (3)")
    parser.add_argument("--servers", type=int, default=2, help="cold starts of the page (2)")
    parser.add_argument("--soak", type=int, default=0, metavar="SECONDS",
                        help="instead: leave the kiosk page open this long")  # fmt: skip
    parser.add_argument("--refresh", type=int, default=30, help="refresh of the soak (30 s)")
    args = parser.parse_args(argv)
    # a plain `kill` ends the run through the finally blocks, which stop the servers
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    from bench_demo import machine

    print(f"machine: {machine()}")
    print(f"before: {_load()}", flush=True)
    with tempfile.TemporaryDirectory(prefix="bench-wall-") as tmp:
        directory = Path(tmp)
        db1 = _ensure_db(args.db1, 1, directory)
        if args.soak:
            print(soak(db1, args.soak, args.refresh))
            print(f"after: {_load()}")
            return 0
        cases = [Case("scale 1 · street S001", db1, STREET)]
        if args.db100:
            db100 = _ensure_db(args.db100, 100, directory)
            cases.append(Case("scale 100 · street S001", db100, STREET))
            if args.city:
                cases.append(Case("scale 100 · all 100 streets", db100, None))
        from playwright.sync_api import sync_playwright

        app_dir = _bench_app(directory / "app")
        with sync_playwright() as driver:
            browser = driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for case in cases:
                _measure(case, browser, app_dir, args.visits, args.servers)
            browser.close()
    print(f"after: {_load()}\n")
    print("drawn: median (best) of the visits\n")
    print(table(cases))
    print("\n" + json.dumps({c.name: c.counts for c in cases}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
