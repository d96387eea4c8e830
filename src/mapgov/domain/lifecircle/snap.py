"""Finding the road segment a point enters the walking network by: a grid index of its own.

The walking network's roads (:class:`mapgov.domain.lifecircle.network.WalkGraph`) are cut into
their straight segments (:class:`Segments`). A point with a compound enters through the nearest
segment of its compound's own paths within 60 m; any other point, or one with no path of its
compound that near, through the nearest segment of all (:meth:`SnapIndex.nearest`); among
segments at the same distance the lowest wins.

Candidates come from uniform grids of cells (:class:`_Grid`): 100 m cells over all segments,
150 m cells over the paths of the compounds too large to try every path of; a small compound's
paths are all tried. The cells are a counting sort of their keys; the (point, segment) pairs
are measured with numpy in blocks small enough to stay in the CPU's cache. It is an order of
magnitude faster than shapely's ``STRtree`` (``query`` within 60 m and ``query_nearest``) on
the same segments and points, with the same answers: ``bench/bench_snap.py`` compares them and
``docs/benchmarks.md`` (Snapping onto the network) holds the figures.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import sparse

from mapgov.domain.lifecircle.arrays import ranges, run_starts

__all__ = ["OWN_RADIUS_M", "Segments", "SnapIndex", "nearest"]

OWN_RADIUS_M = 60.0
"""How far to look for a point's own compound's paths (metres)."""
_PAIR_ALL_MAX = 64  # a compound with at most this many path segments: try them all
_OWN_CELL_M = 150.0  # side of a cell of the grid of larger compounds' paths
# (point, segment) pairs measured in one go: few enough that a block's arrays (0.5 MB each)
# stay in the CPU's cache; at scale 100 the buildings snap in half the time of one block
_PAIRS_AT_ONCE = 65_536
_CELL_M = 100.0  # side of a cell of the grid of all roads (the nearest-road search)
_MAX_CELLS = 4_000_000  # cells of a grid at most: they grow for a very wide network


@dataclass(frozen=True)
class Segments:
    """The straight segments of every road row, in road order, in a metric CRS.

    Attributes
    ----------
    ax, ay, dx, dy
        Start of each segment and its vector to the end.
    len2
        Squared length, 1.0 for a segment of length 0 (see :meth:`measure`).
    length
        Length in metres.
    offset
        Metres along the road row at the segment's start.
    edge
        The road row of each segment.
    code
        The compound code of each segment's road row (-1: a public road).
    """

    ax: np.ndarray
    ay: np.ndarray
    dx: np.ndarray
    dy: np.ndarray
    len2: np.ndarray
    length: np.ndarray
    offset: np.ndarray
    edge: np.ndarray
    code: np.ndarray

    @classmethod
    def of_lines(cls, xy: np.ndarray, line: np.ndarray, line_code: np.ndarray) -> Segments:
        """The segments of lines given as (n, 2) vertices `xy` and the `line` of each vertex
        (the lines one after the other, in order), with `line_code` per line.

        Parameters
        ----------
        xy : numpy.ndarray
            The (n, 2) vertices of all lines, in a metric CRS.
        line : numpy.ndarray
            The line (road row) of each vertex, non-decreasing.
        line_code : numpy.ndarray
            The compound code of each line (-1: a public road).

        Returns
        -------
        Segments
            One segment per pair of consecutive vertices of a line.
        """
        x, y = xy[:, 0], xy[:, 1]
        i = np.flatnonzero(line[1:] == line[:-1])  # segment i runs from vertex i to i + 1
        ax, ay = x[i], y[i]
        dx, dy = x[i + 1] - ax, y[i + 1] - ay
        len2 = dx * dx + dy * dy
        seg_len = np.sqrt(len2)
        edge = line[i]
        before = np.concatenate([[0.0], np.cumsum(seg_len)[:-1]])
        starts = run_starts(edge)  # each line's segments follow each other, in line order
        first = np.flatnonzero(starts)[np.cumsum(starts) - 1]  # the line's first segment
        return cls(
            ax=ax,
            ay=ay,
            dx=dx,
            dy=dy,
            len2=np.where(len2 > 0, len2, 1.0),
            length=seg_len,
            offset=before - before[first],
            edge=edge,
            code=np.asarray(line_code, dtype=np.int64)[edge],
        )

    def measure(
        self, ex: np.ndarray, ey: np.ndarray, seg: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """From each point (`ex`, `ey`, overwritten) to its segment `seg`: the squared distance
        and the fraction along the segment of the nearest point on it.

        In place, to keep the temporaries few: with e the point's offset from the segment's
        start and d the segment's vector, t = clip(e . d / |d|^2, 0, 1), distance^2 =
        |e - t d|^2. A segment of length 0 has d = 0, so e . d = 0 and its stored |d|^2 of 1
        gives t = 0.

        Parameters
        ----------
        ex : numpy.ndarray
            The points' x (float, overwritten with the squared distances).
        ey : numpy.ndarray
            The points' y (float, overwritten).
        seg : numpy.ndarray
            The segment of each point.

        Returns
        -------
        tuple of numpy.ndarray
            The squared distance (the array `ex`) and the fraction t (0 to 1) of each point.
        """
        ex -= self.ax[seg]
        ey -= self.ay[seg]
        dx, dy = self.dx[seg], self.dy[seg]
        t = ex * dx
        t += ey * dy
        t /= self.len2[seg]
        np.clip(t, 0.0, 1.0, out=t)
        dx *= t
        dy *= t
        ex -= dx
        ey -= dy
        ex *= ex
        ey *= ey
        ex += ey
        return ex, t

    def distance2(
        self, count: np.ndarray, seg: np.ndarray, qx: np.ndarray, qy: np.ndarray
    ) -> np.ndarray:
        """Squared distance from each point, taken `count` times, to the segments `seg` (the
        same numbers as :meth:`measure`).

        Parameters
        ----------
        count : numpy.ndarray
            How many segments each point is measured to.
        seg : numpy.ndarray
            The segments, ``count.sum()`` of them, grouped by point.
        qx : numpy.ndarray
            The points' x.
        qy : numpy.ndarray
            The points' y.

        Returns
        -------
        numpy.ndarray
            The squared distance of each (point, segment) pair, in the order of `seg`.
        """
        return self.measure(np.repeat(qx, count), np.repeat(qy, count), seg)[0]


@dataclass(frozen=True)
class _Grid:
    """Segments listed per grid cell (and per group: a compound's own paths, or all roads).

    A segment is listed in every cell its bounding box touches, so the cells around a point
    hold every segment that passes within their reach (and some more).
    """

    x0: float
    y0: float
    cell: float
    nx: int
    ny: int
    keys: np.ndarray  # sorted cell keys (group * nx + ix) * ny + iy that hold segments
    indptr: np.ndarray  # segments of keys[i]: seg[indptr[i]:indptr[i + 1]]
    seg: np.ndarray

    def _range(self, v: np.ndarray, r: np.ndarray, origin: float, n: int) -> tuple[Any, Any]:
        lo = np.floor((v - r - origin) / self.cell)
        hi = np.floor((v + r - origin) / self.cell)
        return np.clip(lo, 0, n - 1).astype(np.int64), np.clip(hi, 0, n - 1).astype(np.int64)

    def covers_all(self, px: np.ndarray, py: np.ndarray, r: np.ndarray) -> np.ndarray:
        """Whether the square of half-side `r` around each point holds every cell."""
        return (
            (px - r <= self.x0)
            & (px + r >= self.x0 + self.nx * self.cell)
            & (py - r <= self.y0)
            & (py + r >= self.y0 + self.ny * self.cell)
        )

    def candidates(
        self, px: np.ndarray, py: np.ndarray, group: np.ndarray, r: np.ndarray
    ) -> tuple[np.ndarray, Callable[[slice], np.ndarray]]:
        """Each point's candidate segments: the group's segments listed in the cells that the
        square of half-side `r` around it touches. Returns their number per point and a
        function that gives the candidates of a slice of the points, point by point."""
        lx, hx = self._range(px, r, self.x0, self.nx)
        ly, hy = self._range(py, r, self.y0, self.ny)
        wy = hy - ly + 1
        n_cells = (hx - lx + 1) * wy  # at least one each
        point = np.repeat(np.arange(len(px)), n_cells)
        k = ranges(np.zeros(len(px), dtype=np.int64), n_cells)
        ix, iy = lx[point] + k // wy[point], ly[point] + k % wy[point]
        key = (group[point] * self.nx + ix) * self.ny + iy
        pos = np.minimum(np.searchsorted(self.keys, key), len(self.keys) - 1)
        count = np.where(self.keys[pos] == key, self.indptr[pos + 1] - self.indptr[pos], 0)
        first = self.indptr[pos]
        cell_start = np.concatenate([[0], np.cumsum(n_cells)])

        def of(block: slice) -> np.ndarray:
            a, b = cell_start[block.start], cell_start[block.stop]
            return self.seg[ranges(first[a:b], count[a:b])]

        return np.add.reduceat(count, cell_start[:-1]) if len(px) else count, of


def _grid(
    seg_box: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    seg: np.ndarray,
    group: np.ndarray,
    bounds: tuple[float, float, float, float],
    cell: float,
) -> _Grid:
    """List segments `seg` (of group `group[seg]`) in the cells of a grid over `bounds`
    (keys stay far below 2**63: at most 4e6 cells times the number of groups)."""
    x0, y0, x1, y1 = bounds
    cell = max(cell, float(np.sqrt((x1 - x0) * (y1 - y0) / _MAX_CELLS)))
    nx = int((x1 - x0) // cell) + 1
    ny = int((y1 - y0) // cell) + 1
    bx0, by0, bx1, by1 = (a[seg] for a in seg_box)

    def index(v: np.ndarray, origin: float) -> np.ndarray:  # as _Grid._range
        return np.floor((v - origin) / cell).astype(np.int64)

    lx, hx, ly, hy = index(bx0, x0), index(bx1, x0), index(by0, y0), index(by1, y0)
    wy = hy - ly + 1
    n = (hx - lx + 1) * wy
    one = n == 1  # a segment within one cell
    which, key = np.flatnonzero(one), lx[one] * ny + ly[one]
    if not one.all():  # the others in every cell of their box
        more = np.repeat(np.flatnonzero(~one), n[~one])
        k = ranges(np.zeros(int((~one).sum()), dtype=np.int64), n[~one])
        which = np.concatenate([which, more])
        key = np.concatenate([key, (lx[more] + k // wy[more]) * ny + ly[more] + k % wy[more]])
    g = group[seg]
    if g.any():
        key += g[which] * (nx * ny)
    keys, indptr, order = _buckets(key, nx * ny * (int(g.max()) + 1 if len(g) else 1))
    return _Grid(
        x0=x0, y0=y0, cell=cell, nx=nx, ny=ny, keys=keys, indptr=indptr, seg=seg[which[order]]
    )


def _buckets(key: np.ndarray, n_keys: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The order that sorts `key` (values 0 .. n_keys - 1), the distinct keys and where each
    one's run begins in that order (and where the last ends): a counting sort (scipy's COO to
    CSR conversion, a few times faster than numpy's sort) where the keys are few enough."""
    if n_keys > 4 * len(key) + 65_536:
        order = np.argsort(key)
        ordered = key[order]
        first = np.flatnonzero(run_starts(ordered))
        return ordered[first], np.append(first, len(key)).astype(np.int64), order
    rows = sparse.coo_matrix(
        (np.ones(len(key), dtype=bool), (key, np.arange(len(key)))), shape=(n_keys, len(key))
    ).tocsr()
    keys = np.flatnonzero(np.diff(rows.indptr))
    return keys, np.append(rows.indptr[keys], len(key)).astype(np.int64), rows.indices


def nearest(seg: np.ndarray, d2: np.ndarray, count: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per point, of its `count` candidates (segments `seg` at squared distances `d2`, ordered
    by point): the nearest segment (the lowest id among equals, -1 without candidates) and its
    squared distance (inf without).

    Parameters
    ----------
    seg : numpy.ndarray
        The candidate segments, grouped by point.
    d2 : numpy.ndarray
        The squared distance of each candidate to its point.
    count : numpy.ndarray
        The number of candidates of each point.

    Returns
    -------
    tuple of numpy.ndarray
        The nearest segment of each point and its squared distance.
    """
    best_seg = np.full(len(count), -1, dtype=np.int64)
    best_d2 = np.full(len(count), np.inf)
    has = np.flatnonzero(count)
    if not len(has):
        return best_seg, best_d2
    start = (np.cumsum(count) - count)[has]
    best = np.minimum.reduceat(d2, start)
    tied = np.where(d2 == np.repeat(best, count[has]), seg, np.iinfo(np.int64).max)
    best_seg[has] = np.minimum.reduceat(tied, start)
    best_d2[has] = best
    return best_seg, best_d2


def _blocks(count: np.ndarray) -> list[slice]:
    """Consecutive slices of points whose pairs (`count` each) stay near _PAIRS_AT_ONCE."""
    if not len(count):
        return []
    block = np.cumsum(count) // _PAIRS_AT_ONCE
    cut = np.flatnonzero(np.diff(block)) + 1
    return [slice(a, b) for a, b in itertools.pairwise([0, *cut.tolist(), len(count)])]


def _nearest_of(
    idx: Segments,
    qx: np.ndarray,
    qy: np.ndarray,
    count: np.ndarray,
    candidates: Callable[[slice], np.ndarray],
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`nearest` of each point's `count` candidate segments (`candidates` gives those
    of a slice of the points, point by point), measured in blocks of _PAIRS_AT_ONCE pairs."""
    best_seg = np.full(len(count), -1, dtype=np.int64)
    best_d2 = np.full(len(count), np.inf)
    for block in _blocks(count):
        s, n = candidates(block), count[block]
        best_seg[block], best_d2[block] = nearest(s, idx.distance2(n, s, qx[block], qy[block]), n)
    return best_seg, best_d2


@dataclass(frozen=True)
class SnapIndex:
    """:class:`Segments` and the grids to find them near a point."""

    segments: Segments
    # each compound's paths: own_seg[own_start[c]:own_start[c] + own_count[c]], in code order
    own_seg: np.ndarray
    own_start: np.ndarray
    own_count: np.ndarray
    own: _Grid | None  # the paths of compounds too large to pair with all their points
    every: _Grid  # all segments, one group

    @classmethod
    def build(cls, segments: Segments, n_groups: int) -> SnapIndex:
        """Index `segments`, whose codes are below `n_groups`.

        Parameters
        ----------
        segments : Segments
            The roads' segments.
        n_groups : int
            The number of compound codes (the codes run from 0 to `n_groups` - 1).

        Returns
        -------
        SnapIndex
            The segments with their grids and each compound's list of paths.
        """
        s = segments
        bx, by = s.ax + s.dx, s.ay + s.dy
        box = (
            np.minimum(s.ax, bx),
            np.minimum(s.ay, by),
            np.maximum(s.ax, bx),
            np.maximum(s.ay, by),
        )
        bounds = (
            float(box[0].min()),
            float(box[1].min()),
            float(box[2].max()),
            float(box[3].max()),
        )
        codes = s.code
        own_seg = np.flatnonzero(codes >= 0)
        own_seg = own_seg[np.argsort(codes[own_seg], kind="stable")]
        own_count = np.bincount(codes[own_seg], minlength=n_groups)
        big = np.flatnonzero(own_count[codes[own_seg]] > _PAIR_ALL_MAX)
        n = len(s.ax)
        return cls(
            segments=s,
            own_seg=own_seg,
            own_start=np.cumsum(own_count) - own_count,
            own_count=own_count,
            own=_grid(box, own_seg[big], codes, bounds, _OWN_CELL_M) if len(big) else None,
            every=_grid(box, np.arange(n), np.zeros(n, dtype=np.int64), bounds, _CELL_M),
        )

    def nearest(self, xy: np.ndarray, code: np.ndarray | None = None) -> np.ndarray:
        """The segment each point of (n, 2) `xy` enters by (-1 for a point without
        coordinates).

        Parameters
        ----------
        xy : numpy.ndarray
            Points in the segments' CRS (NaN where there is none).
        code : numpy.ndarray or None
            Each point's compound code (-1: none), or None. The nearest segment of the point's
            own compound within :data:`OWN_RADIUS_M` wins where there is one.

        Returns
        -------
        numpy.ndarray
            Segment per point; among segments at the same distance the lowest.
        """
        px, py = xy[:, 0], xy[:, 1]
        located = np.isfinite(px) & np.isfinite(py)
        seg = np.full(len(xy), -1, dtype=np.int64)
        if code is not None:
            self._own_nearest(px, py, np.where(located, code, -1), seg)
        self._any_nearest(px, py, np.flatnonzero(located & (seg < 0)), seg)
        return seg

    def _own_nearest(
        self, px: np.ndarray, py: np.ndarray, code: np.ndarray, seg: np.ndarray
    ) -> None:
        """Set `seg` of each point with a compound (`code` >= 0) to the nearest path segment of
        its compound within 60 m, if there is one."""
        big = self.own_count[code] > _PAIR_ALL_MAX
        # a small compound: every point with every path segment of its compound
        small = np.flatnonzero((code >= 0) & ~big)
        first, count = self.own_start[code[small]], self.own_count[code[small]]

        def of(block: slice) -> np.ndarray:
            return self.own_seg[ranges(first[block], count[block])]

        best, best_d2 = _nearest_of(self.segments, px[small], py[small], count, of)
        near = best_d2 <= OWN_RADIUS_M**2
        seg[small[near]] = best[near]
        # a large one: its path segments listed in the grid cells within reach
        large = np.flatnonzero((code >= 0) & big)
        if len(large) and self.own is not None:
            qx, qy = px[large], py[large]
            radius = np.full(len(large), OWN_RADIUS_M)
            count, cells_of = self.own.candidates(qx, qy, code[large].astype(np.int64), radius)
            best, best_d2 = _nearest_of(self.segments, qx, qy, count, cells_of)
            near = best_d2 <= OWN_RADIUS_M**2
            seg[large[near]] = best[near]

    def _any_nearest(
        self, px: np.ndarray, py: np.ndarray, todo: np.ndarray, seg: np.ndarray
    ) -> None:
        """Set `seg` of the points `todo` to the nearest segment of all: squares of doubling
        size around each point until the nearest segment found is surely the nearest."""
        radius = self.every.cell / 2
        while len(todo):
            r = np.full(len(todo), radius)
            tx, ty = px[todo], py[todo]
            count, of = self.every.candidates(tx, ty, np.zeros(len(todo), dtype=np.int64), r)
            best, best_d2 = _nearest_of(self.segments, tx, ty, count, of)
            done = (best_d2 <= radius * radius) | (self.every.covers_all(tx, ty, r) & (best >= 0))
            seg[todo[done]] = best[done]
            todo = todo[~done]
            radius *= 2
