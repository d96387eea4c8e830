"""Benchmark the life-circle question: scipy path against a plain networkx baseline.

Usage::

    .venv/bin/python bench/bench_coverage.py                      # demo scales 1 and 100
    .venv/bin/python bench/bench_coverage.py --db /tmp/s100.sqlite --scale 1
    .venv/bin/python bench/bench_coverage.py --db a.sqlite --db b.sqlite --repeat 5

"The whole question" is what ``mapgov coverage`` answers for all nine facility kinds: build the
walking graph from the ``road`` table, snap every building (through its own compound) and
every facility onto it, find each building's walking distance to the nearest facility of each
kind, mark it covered against the GB 50180-2018 thresholds and aggregate by community
(:func:`mapgov.domain.lifecircle.coverage.summarize`). Reading the tables from SQLite is the same
for both paths and is timed on its own.

The two paths share everything but the shortest paths (graph, snapping and aggregation are the
same code, so making them faster makes both paths faster):

- **scipy** (the engine): :func:`mapgov.domain.lifecircle.network.multi_source_distances`, one
  ``scipy.sparse.csgraph.dijkstra`` pass per kind over the network's core (the dead-end trees
  hanging off it are answered exactly in two array passes; the split is made once per graph,
  at the first kind, and timed there).
  Each building's distance is the way through an end of its road piece or, where a facility
  entered by the same piece, straight along it
  (:meth:`mapgov.domain.lifecircle.network.Snapped.distances`).
- **networkx**: :func:`mapgov.domain.lifecircle.reference.nx_place_distances`, networkx's
  ``multi_source_dijkstra_path_length``, one pass per kind, on one ``nx.Graph`` in which every
  building and facility is a node of its own on its road piece, cut where they meet it
  (:func:`mapgov.domain.lifecircle.reference.nx_place_graph`, timed with the graph stage) and shared
  by the nine passes: the plain reading of a walk, worked out independently of the engine's
  arithmetic, and the best plain networkx can do.

Both searches stop at the largest threshold, as
:func:`mapgov.domain.lifecircle.coverage.coverage_table` does. The two paths take turns,
``--repeat`` runs each; every stage time is the fastest of its runs. The answers are compared for
every building and kind: reached by both or by neither, the largest absolute difference in metres,
and the same covered flag. Without ``--db`` (or with ``--scale``) a demo is built into a temporary
directory by ``python -m mapgov demo
--seed 42``.

Prints the machine, its load average, a Markdown table of the totals and one of the stages,
for ``docs/benchmarks.md``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import networkx  # noqa: F401 (imported up front: the lazy import in mapgov.domain.lifecircle.reference is not the question)
import numpy as np
import pandas as pd
from bench_demo import machine

from mapgov.domain.lifecircle import coverage
from mapgov.domain.lifecircle.network import Snapped, multi_source_distances, snap, walk_graph
from mapgov.domain.lifecircle.reference import nx_place_distances, nx_place_graph
from mapgov.store import Store, open_store

__all__ = ["Data", "Result", "answer", "load", "main"]

SEED = 42
AS_OF = dt.date(2026, 11, 15)
STAGES = ("graph", "snap", "distances", "aggregate")


@dataclass(frozen=True)
class Data:
    """The tables the question reads, loaded once (both paths get the same frames)."""

    label: str
    roads: gpd.GeoDataFrame
    buildings: gpd.GeoDataFrame
    facilities: gpd.GeoDataFrame
    read_seconds: float


@dataclass
class Result:
    """One path's answer and the seconds of each of its stages."""

    distances: dict[str, np.ndarray]
    summary: pd.DataFrame
    seconds: dict[str, float] = field(default_factory=dict)
    nodes: int = 0

    @property
    def total(self) -> float:
        """Seconds of the whole question (reading excluded)."""
        return sum(self.seconds.values())


@contextmanager
def _timed(seconds: dict[str, float], stage: str) -> Iterator[None]:
    start = time.perf_counter()
    yield
    seconds[stage] = seconds.get(stage, 0.0) + time.perf_counter() - start


def load(store: Store, label: str) -> Data:
    """Read roads, buildings (with their community) and facilities from `store`.

    Returns
    -------
    Data
        The frames and the seconds spent reading them.
    """
    start = time.perf_counter()
    roads = store.read("road")
    grid = store.read("grid", columns=["grid_id", "community_id"])
    compound = store.read("compound", columns=["compound_id", "grid_id"])
    buildings = store.read(
        "building", columns=["building_id", "compound_id", "residents", "elderly", "geom"]
    )
    buildings = buildings.merge(compound.merge(grid, on="grid_id"), on="compound_id")
    facilities = store.read("facility", columns=["facility_id", "kind", "geom"])
    return Data(label, roads, buildings, facilities, time.perf_counter() - start)


def answer(data: Data, limits: dict[str, float], *, path: str) -> Result:
    """Answer the whole question for `limits` by `path` ("scipy" or "networkx").

    Returns
    -------
    Result
        Distances per kind (metres, inf beyond the largest threshold), the summary by
        community, and the seconds of the stages graph, snap, distances, aggregate.
    """
    seconds: dict[str, float] = {}
    limit = max(limits.values())
    with _timed(seconds, "graph"):
        graph = walk_graph(data.roads)
    with _timed(seconds, "snap"):
        homes = snap(graph, data.buildings, data.buildings["compound_id"].array)
        places = snap(graph, data.facilities)
    nxg = None
    if path == "networkx":
        with _timed(seconds, "graph"):  # every building and facility a node of its own
            nxg = nx_place_graph(graph, Snapped.join(homes, places))
    kinds = data.facilities["kind"].to_numpy()
    n_homes = len(homes.link)
    distances: dict[str, np.ndarray] = {}
    with _timed(seconds, "distances"):
        for kind in limits:
            which = kinds == kind
            if nxg is None:
                sources = places.subset(which)
                node_dist = multi_source_distances(graph, sources, limit=limit)
                d = homes.distances(node_dist, sources)
            else:
                facilities = n_homes + np.flatnonzero(which)
                d = nx_place_distances(nxg, graph, np.arange(n_homes), facilities, limit=limit)
            distances[kind] = np.where(d <= limit, d, np.inf)
    with _timed(seconds, "aggregate"):
        covered = {f"covered_{k}": distances[k] <= m for k, m in limits.items()}
        b = data.buildings
        table = pd.DataFrame(
            {  # the columns as they are (`.array`: no conversion of the ids to objects)
                "community_id": b["community_id"].array,
                "residents": b["residents"].array,
                "elderly": b["elderly"].array,
                **covered,
                "complete": np.logical_and.reduce(list(covered.values())),
            }
        )
        summary = coverage.summarize(table, limits)
    return Result(distances, summary, seconds, graph.n_nodes)


def _best(runs: list[Result]) -> Result:
    best = runs[0]
    for stage in STAGES:
        best.seconds[stage] = min(r.seconds[stage] for r in runs)
    return best


def _runs(data: Data, limits: dict[str, float], repeat: int) -> tuple[list[Result], list[Result]]:
    """`repeat` runs of each path, taking turns (scipy, networkx, scipy, ...) so that a busy
    spell of the machine falls on both alike; the garbage of one run is collected before the
    next starts (the collector stays on during each run, as in use)."""
    fast: list[Result] = []
    slow: list[Result] = []
    for _ in range(repeat):
        for path, runs in (("scipy", fast), ("networkx", slow)):
            gc.collect()
            runs.append(answer(data, limits, path=path))
    return fast, slow


@dataclass(frozen=True)
class Row:
    """The figures of one database."""

    data: Data
    fast: Result
    baseline: Result
    max_diff_m: float
    reach_mismatch: int
    covered_mismatch: int


def _compare(
    data: Data, limits: dict[str, float], fast: Result, slow: Result
) -> tuple[float, int, int]:
    worst, reach, cover = 0.0, 0, 0
    for kind, metres in limits.items():
        a, b = fast.distances[kind], slow.distances[kind]
        both = np.isfinite(a) & np.isfinite(b)
        reach += int((np.isfinite(a) != np.isfinite(b)).sum())
        if both.any():
            worst = max(worst, float(np.abs(a[both] - b[both]).max()))
        cover += int(((a <= metres) != (b <= metres)).sum())
    if not fast.summary.equals(slow.summary):
        print(f"{data.label}: the summaries by community differ", file=sys.stderr)
        cover += 1
    return worst, reach, cover


def bench(data: Data, *, repeat: int, tier: int | None = None) -> Row:
    """Time both paths on `data` and compare their answers for every building and kind.

    Thresholds: each kind at its own GB 50180-2018 tier, or `tier` (5, 10, 15) for all.
    """
    limits = coverage.thresholds(coverage.load_profile(), tier=tier)
    fast_runs, slow_runs = _runs(data, limits, repeat)
    fast, baseline = _best(fast_runs), _best(slow_runs)
    worst, reach, cover = _compare(data, limits, fast, baseline)
    return Row(data, fast, baseline, worst, reach, cover)


def _totals(rows: list[Row]) -> str:
    head = [
        "database",
        "buildings",
        "nodes",
        "facilities",
        "read s",
        "scipy s",
        "networkx s",
        "× faster",
        "shortest paths only: scipy s / networkx s / ×",
        "max abs diff m",
        "mismatches",
    ]
    lines = ["| " + " | ".join(head) + " |", "|---|" + "---:|" * (len(head) - 1)]
    for r in rows:
        fd, bd = r.fast.seconds["distances"], r.baseline.seconds["distances"]
        cells = [
            r.data.label,
            f"{len(r.data.buildings):,}",
            f"{r.fast.nodes:,}",
            f"{len(r.data.facilities):,}",
            f"{r.data.read_seconds:.2f}",
            f"{r.fast.total:.2f}",
            f"{r.baseline.total:.2f}",
            f"{r.baseline.total / r.fast.total:.1f}",
            f"{fd:.3f} / {bd:.3f} / {bd / fd:.1f}",
            f"{r.max_diff_m:.1e}",
            f"{r.reach_mismatch + r.covered_mismatch}",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _stages(rows: list[Row]) -> str:
    head = ["database", "path", *STAGES, "total"]
    lines = ["| " + " | ".join(head) + " |", "|---|---|" + "---:|" * (len(head) - 2)]
    for r in rows:
        for name, res in (("scipy", r.fast), ("networkx", r.baseline)):
            cells = [r.data.label, name, *(f"{res.seconds[s]:.3f}" for s in STAGES)]
            lines.append("| " + " | ".join([*cells, f"{res.total:.3f}"]) + " |")
    return "\n".join(lines)


def _build_demo(scale: int, directory: Path) -> Path:
    db = directory / f"scale-{scale}.sqlite"
    argv = [
        sys.executable, "-m", "mapgov", "demo", "--seed", str(SEED), "--scale", str(scale),
        "--as-of", AS_OF.isoformat(), "--db", str(db), "--quiet",
    ]  # fmt: skip
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)
    return db


def _label(store: Store, path: Path) -> str:
    scale = store.meta().get("scale")
    return f"scale {scale}" if scale else path.name


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark on the databases and demo scales named in `argv`."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, action="append", default=[], help="database to use")
    parser.add_argument(
        "--scale", type=int, action="append", default=[], help="demo scale to build and use"
    )
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs per path, taking turns (fastest counts)"
    )
    parser.add_argument(
        "--tier",
        type=int,
        choices=(5, 10, 15),
        default=None,
        help="one life-circle tier for every kind (default: each kind at its own tier)",
    )
    args = parser.parse_args(argv)
    scales = args.scale or ([] if args.db else [1, 100])
    print(f"machine: {machine()}")
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"repeat: {args.repeat} (the paths take turns; the fastest run of each stage counts)")
    limits = coverage.thresholds(coverage.load_profile(), tier=args.tier)
    print("thresholds: " + ", ".join(f"{k} {m:g} m" for k, m in limits.items()))
    rows = []
    with tempfile.TemporaryDirectory(prefix="mapgov-bench-") as tmp:
        paths = [*(_build_demo(s, Path(tmp)) for s in sorted(scales)), *args.db]
        for path in paths:
            store = open_store(path)
            data = load(store, _label(store, path))
            print(f"{data.label}: {path} ...", file=sys.stderr, flush=True)
            rows.append(bench(data, repeat=args.repeat, tier=args.tier))
            r = rows[-1]
            print(
                f"  scipy {r.fast.total:.2f} s, networkx {r.baseline.total:.2f} s",
                file=sys.stderr,
                flush=True,
            )
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print()
    print(_totals(rows))
    print()
    print(_stages(rows))
    bad = [r.data.label for r in rows if r.reach_mismatch or r.covered_mismatch]
    if bad:
        print(f"\nDISAGREEMENT in {', '.join(bad)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
