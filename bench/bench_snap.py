"""Snapping onto the walking network: the hand-made grid index against shapely's STRtree.

Issue 17, point 4: :mod:`mapgov.domain.lifecircle.snap` enters every building and facility onto
the network through a grid index of its own (cells of 100 m over all road segments, cells of
150 m over the paths of large compounds, a counting sort of cell keys, candidate pairs measured
in cache-sized blocks). This benchmark answers whether it still pays against the library: the
same segments, the same points and the same rules (a building enters through its own
compound's paths within 60 m, else through the nearest segment of all; among equals the lowest
segment wins), found two ways:

- **grid**: :class:`mapgov.domain.lifecircle.snap.SnapIndex`, the hand-made index the
  engine uses;
- **strtree**: :class:`shapely.STRtree` over the segments (:class:`TreeIndex` below),
  ``query(..., predicate="dwithin", distance=60)`` on a tree of the compounds' own paths and
  ``query_nearest(..., all_matches=True)`` on a tree of all segments.

Each path's candidate pairs are measured by the same arithmetic (the squared distance to the
segment), so the answers must be the same segment for every point; the script asserts it.
Two data sets: the demo at scale 1 (``python -m mapgov demo --seed 42``, built into a temporary
directory unless ``--db`` names one) and a synthetic set of scale-100 size: the scale-1 street
copied 10 × 10 times side by side in its metric CRS (roads, buildings with their compounds
kept apart per copy, facilities), about as many roads and buildings as ``mapgov demo --scale
100`` gives, without building one. ``build`` is making the index from the segment arrays (the
arrays themselves are common to both and not timed), ``query`` snapping all the buildings
(with their compounds) and all the facilities; every figure is the fastest of ``--repeat``
runs, the two paths taking turns.

    .venv/bin/python bench/bench_snap.py                 # scale 1 and the 10 x 10 copy
    .venv/bin/python bench/bench_snap.py --db data/mapgov.sqlite --repeat 7
"""

from __future__ import annotations

import argparse
import gc
import itertools
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from bench_demo import machine

from mapgov.domain.lifecircle import network, snap
from mapgov.store import open_store

SEED = 42
TILES = 10  # the synthetic set: TILES x TILES copies of the scale-1 street


# -- the library's way: shapely's STRtree -----------------------------------------------------
@dataclass(frozen=True)
class TreeIndex:
    """Two STRtrees over the segments: all of them, and the compounds' own paths."""

    segments: snap.Segments
    every: shapely.STRtree
    own: shapely.STRtree
    own_seg: np.ndarray  # the segment of each geometry of `own`

    @classmethod
    def build(cls, s: snap.Segments) -> TreeIndex:
        ends = np.stack(
            [np.column_stack([s.ax, s.ay]), np.column_stack([s.ax + s.dx, s.ay + s.dy])], axis=1
        )
        lines = shapely.linestrings(ends)
        own_seg = np.flatnonzero(s.code >= 0)
        return cls(s, shapely.STRtree(lines), shapely.STRtree(lines[own_seg]), own_seg)

    def nearest(self, xy: np.ndarray, code: np.ndarray | None) -> np.ndarray:
        """As :meth:`mapgov.domain.lifecircle.snap.SnapIndex.nearest`: the tree gives the
        candidates (within 60 m of the point's own compound, or the nearest of all with every
        tie), the same arithmetic measures them."""
        px, py = xy[:, 0], xy[:, 1]
        located = np.isfinite(px) & np.isfinite(py)
        seg = np.full(len(xy), -1, dtype=np.int64)
        if code is not None and len(self.own_seg):
            mine = np.flatnonzero(located & (code >= 0))
            point, hit = self.own.query(
                shapely.points(xy[mine]), predicate="dwithin", distance=snap.OWN_RADIUS_M
            )
            cand = self.own_seg[hit]
            same = self.segments.code[cand] == code[mine[point]]
            best, best_d2 = self._best(mine, point[same], cand[same], px, py)
            near = best_d2 <= snap.OWN_RADIUS_M**2
            seg[mine[near]] = best[near]
        todo = np.flatnonzero(located & (seg < 0))
        point, cand = self.every.query_nearest(shapely.points(xy[todo]), all_matches=True)
        seg[todo] = self._best(todo, point, cand, px, py)[0]
        return seg

    def _best(
        self, which: np.ndarray, point: np.ndarray, cand: np.ndarray, px: np.ndarray, py: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """:func:`mapgov.domain.lifecircle.snap.nearest` of the points `which`, given candidate
        pairs (`point` an index into `which`, `cand` a segment)."""
        order = np.argsort(point, kind="stable")
        point, cand = point[order], cand[order]
        count = np.bincount(point, minlength=len(which))
        at = which[point]
        d2 = self.segments.measure(px[at], py[at], cand)[0]
        return snap.nearest(cand, d2, count)


# -- the data ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Case:
    """One data set: the segments, and the points to snap in the same metric CRS."""

    label: str
    segments: snap.Segments
    n_compounds: int
    buildings: np.ndarray  # (n, 2)
    codes: np.ndarray  # each building's compound code (-1: none)
    facilities: np.ndarray  # (n, 2)
    n_roads: int


def _case(
    label: str, roads: gpd.GeoDataFrame, b_xy: np.ndarray, b_group: Any, f_xy: np.ndarray
) -> Case:
    graph = network.walk_graph(roads, crs=roads.crs)
    codes = graph.compounds.get_indexer(pd.Index(np.asarray(b_group, dtype=object)))
    return Case(
        label=label,
        segments=graph.segments,
        n_compounds=len(graph.compounds),
        buildings=b_xy,
        codes=codes,
        facilities=f_xy,
        n_roads=len(roads),
    )


def _tag(ids: np.ndarray, k: int) -> np.ndarray:
    return np.array([None if g is None else f"{g}#{k}" for g in ids], dtype=object)


def cases(db: Path) -> list[Case]:
    """The scale-1 street of `db`, and TILES x TILES copies of it side by side (200 m apart,
    each copy's compounds its own)."""
    store = open_store(db)
    roads, buildings = store.read("road"), store.read("building")
    facilities = store.read("facility")
    crs = network.walk_graph(roads).crs
    roads_m = roads.to_crs(crs)
    b_xy, f_xy = network.point_xy(buildings, crs), network.point_xy(facilities, crs)
    one = _case("scale 1", roads_m, b_xy, buildings["compound_id"].array, f_xy)
    x0, y0, x1, y1 = roads_m.total_bounds
    step = np.array([x1 - x0 + 200.0, y1 - y0 + 200.0])
    road_geoms = roads_m.geometry.to_numpy()
    road_ids = roads_m["compound_id"].astype(object).to_numpy()
    b_ids = buildings["compound_id"].astype(object).to_numpy()
    shifts = [np.array(ij) * step for ij in itertools.product(range(TILES), range(TILES))]
    tiled = gpd.GeoDataFrame(
        {"compound_id": np.concatenate([_tag(road_ids, k) for k in range(len(shifts))])},
        geometry=np.concatenate(
            [shapely.transform(road_geoms, lambda c, d=d: c + d) for d in shifts]
        ),
        crs=crs,
    )
    many = _case(
        f"{TILES} x {TILES} copies",
        tiled,
        np.concatenate([b_xy + d for d in shifts]),
        np.concatenate([_tag(b_ids, k) for k in range(len(shifts))]),
        np.concatenate([f_xy + d for d in shifts]),
    )
    return [one, many]


# -- the run ----------------------------------------------------------------------------------
def _timed(times: dict[str, float], name: str, fn: Callable[[], Any]) -> Any:
    """Run `fn` once (after a garbage collection), keep the fastest time under `name`."""
    gc.collect()
    t = time.perf_counter()
    out = fn()
    times[name] = min(times.get(name, np.inf), time.perf_counter() - t)
    return out


def run(case: Case, repeat: int) -> dict[str, float]:
    """Fastest build and query of both paths over `repeat` turns; asserts the same answers."""
    s, times = case.segments, {}
    for _ in range(repeat):  # the two paths take turns
        grid = _timed(times, "grid build", lambda: snap.SnapIndex.build(s, case.n_compounds))
        tree = _timed(times, "strtree build", lambda: TreeIndex.build(s))
        answers = [
            _timed(
                times,
                f"{name} query",
                lambda i=index: np.concatenate(
                    [i.nearest(case.buildings, case.codes), i.nearest(case.facilities, None)]
                ),
            )
            for name, index in (("grid", grid), ("strtree", tree))
        ]
        differ = int((answers[0] != answers[1]).sum())
        assert differ == 0, f"{case.label}: {differ} points snap to another segment"
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, help="a scale-1 demo database (default: build one)")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    print(f"machine: {machine()}")
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    with tempfile.TemporaryDirectory(prefix="mapgov-bench-") as tmp:
        db = args.db
        if db is None:
            db = Path(tmp) / "scale-1.sqlite"
            argv_ = [sys.executable, "-m", "mapgov", "demo", "--seed", str(SEED), "--db", str(db),
                     "--quiet"]  # fmt: skip
            subprocess.run(argv_, check=True, stdout=subprocess.DEVNULL)
        all_cases = cases(db)
    head = ["data", "roads", "segments", "buildings", "facilities", "grid build", "grid query",
            "strtree build", "strtree query", "grid total", "strtree total",
            "strtree / grid"]  # fmt: skip
    print()
    print("| " + " | ".join(head) + " |")
    print("|---|" + "---:|" * (len(head) - 1))
    for case in all_cases:
        t = run(case, args.repeat)
        grid = t["grid build"] + t["grid query"]
        tree = t["strtree build"] + t["strtree query"]
        cells = [
            case.label,
            f"{case.n_roads:,}",
            f"{len(case.segments.ax):,}",
            f"{len(case.buildings):,}",
            f"{len(case.facilities):,}",
            *(f"{t[k] * 1e3:.1f}" for k in ("grid build", "grid query")),
            *(f"{t[k] * 1e3:.1f}" for k in ("strtree build", "strtree query")),
            f"{grid * 1e3:.1f}",
            f"{tree * 1e3:.1f}",
            f"{tree / grid:.2f}",
        ]
        print("| " + " | ".join(cells) + " |", flush=True)
    print()
    print("milliseconds, fastest of", args.repeat, "runs; the same segment for every point")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
