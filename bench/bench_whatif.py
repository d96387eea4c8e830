"""Benchmark the life-circle "what if" (issue 23): one candidate against the full recomputation.

Usage::

    .venv/bin/python bench/bench_whatif.py                                  # scale 1 only
    .venv/bin/python bench/bench_whatif.py --db100 /tmp/whatif-s100.sqlite  # and scale 100
    .venv/bin/python bench/bench_whatif.py --db a.sqlite --kind clinic --sites 15

Without ``--db`` a scale-1 demo is built into a temporary directory (``python -m mapgov demo
--seed 42 --as-of 2026-11-15``); ``--db100`` names a scale-100 demo built the same way with
``--scale 100`` (about 37,000 buildings; some two minutes and 3.7 GB to build).

Per database, in one run:

- **graph**: the walking graph from the ``road`` table (the page keeps it per data version);
- **context**: :func:`mapgov.domain.lifecircle.whatif.whatif_context` given that graph (the
  coverage table of the kind, the buildings snapped, the facilities of the kind), once per data
  version, kind and threshold;
- **per candidate**: :func:`mapgov.domain.lifecircle.whatif.what_if` of one candidate, the
  context warm, each site new (not cached): snap, one Dijkstra pass bounded by the threshold,
  the figures by community and the changed buildings. Median (and range) over ``--sites``
  random sites: points inside random buildings of the street(s), to 1e-7 degrees;
- **full recomputation**: :func:`mapgov.domain.lifecircle.coverage.coverage_table` of the kind
  with the candidate inserted as a facility (the store's facility layer plus one row, the graph
  given, so only the buildings' read, the snapping and the distances are redone), on the first
  ``--full`` sites; its newly covered buildings are checked to equal the candidate's gain.

Times are wall-clock seconds of this process (server time: no browser, no network). Prints a
Markdown table for ``docs/benchmarks.md``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from mapgov.domain.lifecircle import coverage, whatif
from mapgov.domain.lifecircle.network import walk_graph
from mapgov.store import Store, open_store


class _WithFacility:
    """A store whose facility layer has one more row (reads only; everything else passes)."""

    def __init__(self, store: Store, extra: gpd.GeoDataFrame) -> None:
        self._store = store
        self._extra = extra

    def read(self, table: str, **kwargs: Any) -> Any:
        frame = self._store.read(table, **kwargs)
        if table != "facility":
            return frame
        extra = self._extra[[c for c in frame.columns if c in self._extra.columns]]
        return gpd.GeoDataFrame(pd.concat([frame, extra], ignore_index=True), crs=frame.crs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)


def _sites(ctx: whatif.WhatIfContext, n: int, seed: int) -> list[tuple[float, float]]:
    table = ctx.table.to_crs("EPSG:4326")
    rng = np.random.default_rng(seed)
    rows = rng.choice(len(table), size=min(n, len(table)), replace=False)
    points = shapely.point_on_surface(table.geometry.to_numpy()[rows])
    return [(round(p.x, 7), round(p.y, 7)) for p in points]


def _bench(db: Path, args: argparse.Namespace) -> dict[str, Any]:
    kind, n_sites, n_full, seed = args.kind, args.sites, args.full, args.seed
    store = open_store(db)
    metres = whatif.threshold_for(kind, tier=args.tier)
    started = time.perf_counter()
    graph = walk_graph(store.read("road"))
    graph_s = time.perf_counter() - started
    started = time.perf_counter()
    ctx = whatif.whatif_context(store, kind, metres, graph=graph)
    context_s = time.perf_counter() - started
    sites = _sites(ctx, n_sites, seed)
    per: list[float] = []
    gained: list[set[str]] = []
    for site in sites:
        started = time.perf_counter()
        result = whatif.what_if(ctx, [site])
        per.append(time.perf_counter() - started)
        rows = result.buildings
        gained.append(set(rows.loc[rows["status"] == "gained", "building_id"]))
    full: list[float] = []
    before = ctx.covered
    ids = ctx.table["building_id"].to_numpy()
    for site, expected in list(zip(sites, gained, strict=True))[:n_full]:
        extra = gpd.GeoDataFrame(
            {"facility_id": ["F-BENCH"], "kind": [kind], "name": ["bench"]},
            geometry=[shapely.Point(site)],
            crs="EPSG:4326",
        )
        started = time.perf_counter()
        table = coverage.coverage_table(_WithFacility(store, extra), {kind: metres}, graph=graph)  # type: ignore[arg-type]
        full.append(time.perf_counter() - started)
        after = table[f"covered_{kind}"].to_numpy(dtype=bool)
        found = set(ids[after & ~before])
        if found != expected:
            msg = f"site {site}: what-if gains {len(expected)}, coverage {len(found)}"
            raise SystemExit(msg)
    return {
        "buildings": len(ctx.table),
        "facilities": len(ctx.facility_ids),
        "metres": metres,
        "graph_s": graph_s,
        "context_s": context_s,
        "per_ms": [s * 1000 for s in per],
        "full_s": full,
    }


def _demo(scale: int, folder: Path) -> Path:
    path = folder / f"demo-s{scale}.sqlite"
    cmd = [sys.executable, "-m", "mapgov", "demo", "--scale", str(scale), "--seed", "42"]
    cmd += ["--as-of", "2026-11-15", "--db", str(path), "--quiet"]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return path


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, default=None, help="scale-1 database (default: built)")
    parser.add_argument("--db100", type=Path, default=None, help="scale-100 database")
    parser.add_argument("--kind", default="canteen", help="facility kind (default canteen)")
    parser.add_argument("--tier", type=int, default=None, help="5, 10 or 15 (default: the kind's)")
    parser.add_argument("--sites", type=int, default=15, help="random sites per database")
    parser.add_argument("--full", type=int, default=3, help="sites also fully recomputed")
    parser.add_argument("--seed", type=int, default=42, help="random seed of the sites")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        dbs = [("1", args.db or _demo(1, Path(tmp)))]
        if args.db100 is not None:
            dbs.append(("100", args.db100))
        runs = [(scale, _bench(db, args)) for scale, db in dbs]
    metres = whatif.threshold_for(args.kind, tier=args.tier)
    load = os.getloadavg()[0]
    print(f"machine: {os.cpu_count()} cores, load {load:.2f}; {args.kind} within {metres:g} m")
    print()
    print(
        "| scale | buildings | graph | context | per candidate, median (range) "
        "| full recomputation, median | ratio |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    for scale, r in runs:
        per = statistics.median(r["per_ms"])
        full = statistics.median(r["full_s"])
        print(
            f"| {scale} | {r['buildings']:,} | {r['graph_s']:.2f} s | {r['context_s']:.2f} s "
            f"| {per:.1f} ms ({min(r['per_ms']):.1f}-{max(r['per_ms']):.1f}) "
            f"| {full * 1000:,.0f} ms | {full * 1000 / per:.0f}x |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
