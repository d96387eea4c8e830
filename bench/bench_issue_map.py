"""Benchmark the issue map: time from a click to the panel, and the weight of the map.

Usage::

    .venv/bin/python bench/bench_issue_map.py                      # builds scale 1 and 100
    .venv/bin/python bench/bench_issue_map.py --db100 /tmp/s100.sqlite   # reuse one (--password)

Both scales are measured in the same run (scale 1 is the baseline). A missing database is built
by ``python -m mapgov demo --seed 42 --as-of 2026-11-15`` into a temporary directory (scale 100
takes 80–150 s and about 3.7 GB of memory); ``--db1`` / ``--db100`` reuse existing ones (an
argument naming a file that does not exist yet builds it there and keeps it).

What is measured, in community S001-C1 as its staff member S001-C1-staff1 sees it:

click → panel, queries
    :meth:`mapgov.domain.issues.BuildingLocator.locate` of a point inside the building, then
    :func:`~mapgov.domain.issue_reads.building_profile`,
    :func:`~mapgov.domain.issue_reads.building_issues` and
    :func:`~mapgov.domain.issue_reads.issue_timeline` of its first issue: everything the panel
    reads, with no cache. Median and 90th percentile over buildings sampled with a fixed seed.
click → panel, page rerun
    One script run of the whole ``/issues`` page under Streamlit's AppTest after a simulated
    click (the helper of ``tests/app/test_issue_map.py``): sidebar, map (cached), panel. Caches are
    warm for the map and cold for the panel of each new building. The browser's own drawing is
    not included (``tests/browser/test_browser_issues.py`` prints the full click-to-panel time).
map HTML
    Bytes of the rendered folium page (what the browser receives inside streamlit-folium's
    iframe) and the seconds to build and render it, for the community, the community with the
    heat layer, and the whole street S001 (all its communities on one map).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # for the click helper in tests/apptest.py

from mapgov.core.config import DB_ENV  # noqa: E402
from mapgov.domain import issue_reads, issues  # noqa: E402
from mapgov.domain.users import get_user  # noqa: E402
from mapgov.store import Store, open_store  # noqa: E402
from mapgov.views import issues as issue_views  # noqa: E402
from tests.conftest import DEMO_PASSWORD  # noqa: E402

__all__ = ["Result", "bench", "main", "map_html", "table"]

SEED = 42
AS_OF = "2026-11-15"
STREET = "S001"
COMMUNITY = "S001-C1"
STAFF = "S001-C1-staff1"
TODAY = dt.date(2026, 11, 23)
QUERY_SAMPLES = 40
PAGE_SAMPLES = 12


@dataclass(frozen=True)
class Result:
    """Measurements at one scale."""

    scale: int
    buildings: int
    issues: int
    query_ms: tuple[float, float]  # median, p90
    query_cpu_ms: float  # median CPU time of the same queries
    page_ms: tuple[float, float]  # median, max
    community: tuple[int, float]  # bytes, seconds
    community_heat: tuple[int, float]
    street: tuple[int, float]


def build(path: Path, scale: int) -> Path:
    """Build the demo at `path` unless it exists."""
    if path.is_file():
        return path
    print(f"building scale {scale} at {path} …", file=sys.stderr, flush=True)
    started = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "mapgov",
            "demo",
            "--db",
            str(path),
            "--scale",
            str(scale),
            "--seed",
            str(SEED),
            "--as-of",
            AS_OF,
            "--password",
            DEMO_PASSWORD,  # the page is signed in to (tests.apptest.sign_in)
            "--quiet",
        ],
        check=True,
    )
    print(f"  built in {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
    return path


def _sample(store: Store, n: int, seed: int) -> gpd.GeoDataFrame:
    built = issues.community_buildings(store, COMMUNITY)
    rng = np.random.default_rng(seed)
    return built.iloc[rng.choice(len(built), size=min(n, len(built)), replace=False)]


def query_times(store: Store) -> tuple[list[float], list[float]]:
    """Wall and CPU seconds from a click point to everything the panel reads, per building."""
    user = get_user(store, STAFF)
    locator = issues.BuildingLocator(
        issues.community_buildings(store, COMMUNITY), issues.community_compounds(store, COMMUNITY)
    )
    times, cpu = [], []
    for building in _sample(store, QUERY_SAMPLES, SEED).itertuples():
        point = building.geometry.representative_point()
        started, cpu_started = time.perf_counter(), time.thread_time()
        hit = locator.locate(point.x, point.y)
        assert hit.id == building.building_id, (hit, building.building_id)
        issue_reads.building_profile(store, hit.id, user=user, today=TODAY)
        listed = issue_reads.building_issues(store, hit.id, user=user, today=TODAY)
        if not listed.empty:
            issue_reads.issue_timeline(store, int(listed["issue_id"].iloc[0]))
        times.append(time.perf_counter() - started)
        cpu.append(time.thread_time() - cpu_started)
    return times, cpu


def page_times(db: Path) -> list[float]:
    """Seconds of one AppTest run of /issues after a click on each sampled building."""
    from streamlit.testing.v1 import AppTest

    from tests.apptest import click_map, sign_in

    os.environ[DB_ENV] = str(db)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    sign_in(at, STAFF, db)  # a real session: a database built with --password DEMO_PASSWORD
    at.query_params.update({"community": COMMUNITY, "lang": "zh"})
    at.run()
    at.switch_page("app_pages/issues.py").run()
    times = []
    for building in _sample(open_store(db), PAGE_SAMPLES, SEED + 1).itertuples():
        point = building.geometry.representative_point()
        started = time.perf_counter()
        click_map(at, point.x, point.y)
        times.append(time.perf_counter() - started)
        assert not at.exception, [e.value for e in at.exception]
        assert at.session_state["mapgov.issues.target"] == ("building", building.building_id)
    return times


def _community_frames(store: Store, community_id: str) -> tuple[gpd.GeoDataFrame, ...]:
    built = issues.community_buildings(store, community_id)
    counts = issues.building_issue_counts(store, community_id, today=TODAY)
    comps = issues.community_compounds(store, community_id)
    names = comps.set_index("compound_id")["name"]
    shown = built.merge(counts, on="building_id")
    shown["label"] = shown["compound_id"].map(names) + " " + shown["name"]
    return shown, comps.assign(label=comps["name"])


def map_html(store: Store, communities: list[str], *, heat: bool = False) -> tuple[int, float]:
    """(bytes, seconds) of the rendered issue map of `communities` on one map."""
    started = time.perf_counter()
    parts = [_community_frames(store, c) for c in communities]
    buildings = pd.concat([p[0] for p in parts], ignore_index=True)
    compounds = pd.concat([p[1] for p in parts], ignore_index=True)
    cells = None
    if heat:
        cells = pd.concat([issues.heat_cells(store, c) for c in communities], ignore_index=True)
    fmap = issue_views.issue_map(
        gpd.GeoDataFrame(buildings, crs="EPSG:4326"),
        gpd.GeoDataFrame(compounds, crs="EPSG:4326"),
        heat=None if cells is None else gpd.GeoDataFrame(cells, crs="EPSG:4326"),
    )
    page = fmap.get_root().render()
    return len(page.encode()), time.perf_counter() - started


def bench(db: Path, scale: int) -> Result:
    """All measurements on one database."""
    store = open_store(db)
    counts = store.counts()
    queries, cpu = query_times(store)
    pages = page_times(db)
    street = store.read("community", where={"street_id": STREET}, columns=["community_id"])
    return Result(
        scale=scale,
        buildings=counts["building"],
        issues=counts["issue"],
        query_ms=(statistics.median(queries) * 1e3, float(np.percentile(queries, 90)) * 1e3),
        query_cpu_ms=statistics.median(cpu) * 1e3,
        page_ms=(statistics.median(pages) * 1e3, max(pages) * 1e3),
        community=map_html(store, [COMMUNITY]),
        community_heat=map_html(store, [COMMUNITY], heat=True),
        street=map_html(store, list(street["community_id"])),
    )


def _size(measured: tuple[int, float]) -> str:
    size, seconds = measured
    return f"{size / 1024:,.0f} KB / {seconds:.2f} s"


def table(results: list[Result]) -> str:
    """The Markdown table for docs/benchmarks.md."""
    lines = [
        "| scale | buildings | issues | click → panel, queries (median / p90; CPU) "
        "| click → panel, page rerun (median / max) | map, one community | map + heat "
        "| map, whole street |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r.scale} | {r.buildings:,} | {r.issues:,} "
            f"| {r.query_ms[0]:.0f} / {r.query_ms[1]:.0f} ms; {r.query_cpu_ms:.0f} ms "
            f"| {r.page_ms[0]:.0f} / {r.page_ms[1]:.0f} ms "
            f"| {_size(r.community)} | {_size(r.community_heat)} | {_size(r.street)} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """Measure scale 1 and 100 and print the machine line and the Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db1", type=Path, help="scale-1 demo database (built if missing)")
    parser.add_argument("--db100", type=Path, help="scale-100 demo database (built if missing)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="mapgov-bench-") as tmp:
        dbs = {
            1: build(args.db1 or Path(tmp) / "scale-1.sqlite", 1),
            100: build(args.db100 or Path(tmp) / "scale-100.sqlite", 100),
        }
        load = os.getloadavg()[0]  # after the builds, before the measurements
        results = [bench(db, scale) for scale, db in dbs.items()]
    cpus = os.cpu_count()
    print(f"machine: {cpus} CPUs, Python {platform.python_version()}, load before {load:.1f}")
    print()
    print(table(results))


if __name__ == "__main__":
    main()
