"""The walking network as a sparse graph, and snapping places onto it.

Every row of the ``road`` table is one edge (the store splits roads at every junction); its end
points are the nodes, merged when they lie within a centimetre. Lengths are in metres, measured
in the local metric CRS (:func:`mapgov.core.crs.local_metric`). Shortest paths use
``scipy.sparse.csgraph.dijkstra``, which answers a whole facility kind in one multi-source pass.

Built for a city at a time (tens of thousands of buildings, about 100,000 road pieces): the
graph is made from coordinate arrays (one ``pyproj`` transform of the distinct vertices, a
junction once, no shapely geometry built per road), and snapping finds each point's road
segment through shapely's STRtree (:mod:`mapgov.domain.lifecircle.snap`), measuring the
candidates with numpy. The road lines in the metric CRS (:attr:`WalkGraph.edge_geoms`) are
only built when something draws them.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, fields
from functools import cached_property
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from pandas.api.extensions import ExtensionArray
from scipy import sparse
from scipy.sparse import csgraph

from mapgov.core.crs import WGS84, local_metric, require_metric, transform_xy, utm_for
from mapgov.core.errors import ValidationError
from mapgov.domain.lifecircle.arrays import ranges, run_starts
from mapgov.domain.lifecircle.snap import Segments, SnapIndex

__all__ = [
    "Snapped",
    "WalkGraph",
    "along_edge",
    "entry_costs",
    "multi_source_distances",
    "point_xy",
    "snap",
    "walk_graph",
]

_NODE_GRID_M = 0.01
_EPS = 1e-6  # zero-length links would vanish from a sparse matrix
_MIX = np.int64(-7046029254386353131)  # odd: spreads one coordinate's bits over the key


@dataclass(frozen=True)
class _Core:
    """The network split into its 2-core and the trees that hang off it.

    Dead ends (a path to one building, a gate link, a cul-de-sac) are peeled off round by
    round: in each round the nodes with one neighbour left go, each hanging from that
    neighbour (its parent). What is never peeled is the core (every node of it lies on a
    cycle or between two cycles; a tree with no cycle keeps one node). A shortest path between
    two core nodes never enters a tree, so the search runs on the core alone, and the trees
    are answered exactly by two passes over the rounds.

    The passes work in peeling order: position p holds node ``order[p]``, the core first (in
    node order), then the nodes peeled in round 1, round 2 ... (``rounds[k]`` is the slice of
    positions of round k), so each round reads and writes one slice.
    """

    order: np.ndarray  # node at each position
    where: np.ndarray  # position of each node
    size: int  # the core's nodes: positions 0 .. size - 1
    matrix: sparse.csr_matrix  # the core's edges, by position
    parent: np.ndarray  # position of the parent of each peeled position (-1 in the core)
    weight: np.ndarray  # length of the edge to it
    rounds: tuple[slice, ...]


def _peel(matrix: sparse.csr_matrix) -> _Core:
    """Split a symmetric matrix (no loops, one entry per pair) into core and trees."""
    n = matrix.shape[0]
    indptr, indices, data = matrix.indptr, matrix.indices, matrix.data
    full_deg = np.diff(indptr)
    deg = full_deg.copy()
    alive = np.ones(n, dtype=bool)
    parent = np.full(n, -1, dtype=np.int64)
    weight = np.zeros(n)
    peeled = []
    leaves = np.flatnonzero(deg == 1)
    while len(leaves):
        pos = ranges(indptr[leaves], full_deg[leaves])
        owner = np.repeat(np.arange(len(leaves)), full_deg[leaves])
        live = alive[indices[pos]]  # the one neighbour still there
        par = np.empty(len(leaves), dtype=np.int64)
        par[owner[live]] = indices[pos[live]]
        w = np.empty(len(leaves))
        w[owner[live]] = data[pos[live]]
        # two leaves joined only to each other: the lower one stays (a tree's last node)
        leaf = np.zeros(n, dtype=bool)
        leaf[leaves] = True
        go = ~(leaf[par] & (leaves < par))
        leaves, par, w = leaves[go], par[go], w[go]
        alive[leaves] = False
        parent[leaves] = par
        weight[leaves] = w
        peeled.append(leaves)
        lost = np.bincount(par, minlength=n)  # neighbours each node lost this round
        deg -= lost
        deg[leaves] = 0
        leaves = np.flatnonzero((lost > 0) & (deg == 1) & alive)
    core = np.flatnonzero(alive)
    order = np.concatenate([core, *peeled]).astype(np.int64)
    where = np.empty(n, dtype=np.int64)
    where[order] = np.arange(n)
    ends = np.cumsum([len(core), *(len(r) for r in peeled)])
    return _Core(
        order=order,
        where=where,
        size=len(core),
        matrix=matrix[core][:, core].tocsr(),
        parent=np.where(parent[order] >= 0, where[np.maximum(parent[order], 0)], -1),
        weight=weight[order],
        rounds=tuple(slice(a, b) for a, b in itertools.pairwise(ends.tolist())),
    )


@dataclass(frozen=True, eq=False)
class WalkGraph:
    """A walking network in metres.

    Attributes
    ----------
    xy
        (n, 2) node coordinates in `crs`.
    matrix
        (n, n) symmetric CSR matrix of edge lengths in metres (both directions stored).
    crs
        The metric CRS of `xy`.
    edge_start, edge_end, edge_length
        For every road row: its first and last node and its length in metres.
    edge_group, compounds
        For every road row the code of its compound (internal paths and gate links), -1 for
        a public road; `compounds` holds the compound id of each code.
    vertex_xy, vertex_edge
        Every vertex of every road line in `crs`, in order, and the edge it belongs to (the
        lines' coordinates; :attr:`edge_geoms` are built from them).
    """

    xy: np.ndarray
    matrix: sparse.csr_matrix
    crs: pyproj.CRS
    edge_start: np.ndarray
    edge_end: np.ndarray
    edge_length: np.ndarray
    edge_group: np.ndarray
    compounds: pd.Index
    vertex_xy: np.ndarray
    vertex_edge: np.ndarray

    @property
    def n_nodes(self) -> int:
        """Number of nodes.

        Returns
        -------
        int
            The length of :attr:`xy`.
        """
        return len(self.xy)

    def components(self) -> np.ndarray:
        """Connected-component label of every node.

        Returns
        -------
        numpy.ndarray
            One integer label per node; nodes joined by roads share a label.
        """
        return csgraph.connected_components(self.matrix, directed=False)[1]

    @cached_property
    def edge_geoms(self) -> np.ndarray:
        """The road lines in `crs` (built on first use).

        Returns
        -------
        numpy.ndarray
            One shapely LineString per road row.
        """
        return shapely.linestrings(self.vertex_xy, indices=self.vertex_edge)

    @cached_property
    def edge_compound(self) -> np.ndarray:
        """The compound id of each road row (internal paths and gate links), else None.

        Returns
        -------
        numpy.ndarray
            One compound id or None per road row (dtype object).
        """
        ids = np.asarray([*self.compounds, None], dtype=object)
        return ids[self.edge_group]  # code -1: the None at the end

    @cached_property
    def _compound_set(self) -> Any:
        """The compound ids as a pyarrow array (None unless they are all strings)."""
        import pyarrow as pa

        if self.compounds.inferred_type != "string":
            return None
        return pa.array(self.compounds.to_numpy(dtype=object), type=pa.string())

    @cached_property
    def _core(self) -> _Core:
        """The core and its trees (built on first use, then kept with the graph)."""
        return _peel(self.matrix)

    @cached_property
    def segments(self) -> Segments:
        """The roads' straight segments (built on first use, then kept with the graph).

        Returns
        -------
        Segments
            Every straight piece of every road line, with its edge and group.
        """
        return Segments.of_lines(self.vertex_xy, self.vertex_edge, self.edge_group)

    @cached_property
    def _snap_index(self) -> SnapIndex:
        """The snapping index (built on first use, then kept with the graph)."""
        return SnapIndex.build(self.segments, len(self.compounds))


@dataclass(frozen=True)
class Snapped:
    """Where points enter the network: on road row `edge` (from node `start` to node `end`),
    `along` metres from its start and `rest` metres from its end, after a straight link of
    `link` metres (inf for a point without a location, whose edge is -1)."""

    start: np.ndarray
    end: np.ndarray
    along: np.ndarray
    rest: np.ndarray
    link: np.ndarray
    edge: np.ndarray

    def subset(self, which: np.ndarray | slice) -> Snapped:
        """The points selected by `which` (a mask, indices or a slice).

        Parameters
        ----------
        which : numpy.ndarray or slice
            A boolean mask, integer indices or a slice of the points.

        Returns
        -------
        Snapped
            The selected points, in the order `which` gives.
        """
        return Snapped(*(getattr(self, f.name)[which] for f in fields(self)))

    @staticmethod
    def join(*parts: Snapped) -> Snapped:
        """The points of `parts`, one after the other.

        Parameters
        ----------
        *parts : Snapped
            The snapped point sets to join.

        Returns
        -------
        Snapped
            All their points, in order.
        """
        return Snapped(
            *(np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(Snapped))
        )

    def distances(self, node_dist: np.ndarray, sources: Snapped) -> np.ndarray:
        """Distance of each point to the nearest of `sources` (metres, inf if unreached),
        given every node's distance to them (:func:`multi_source_distances` of `sources`).

        A point walks to an end of its edge and on through the network, or, where a source
        entered by the same edge, straight along the edge to it (:func:`along_edge`): a home
        and a clinic on one road piece are 200 m apart, not out to a junction and back.

        Parameters
        ----------
        node_dist : numpy.ndarray
            Metres from the nearest source to each node of the network.
        sources : Snapped
            The sources `node_dist` was computed from.

        Returns
        -------
        numpy.ndarray
            Metres from each point to the nearest source (``inf`` if unreached).
        """
        via_start = node_dist[self.start] + self.along
        via_end = node_dist[self.end] + self.rest
        return np.minimum(self.link + np.minimum(via_start, via_end), along_edge(self, sources))


def along_edge(targets: Snapped, sources: Snapped) -> np.ndarray:
    """Per target, the walk to the nearest source that entered by the same edge without
    leaving it: its link, the way along the edge between the two and the source's link.

    Inf where no source shares the target's edge. One sort of the targets and sources that
    share an edge, by edge and place along it, then running minima over each edge both ways
    (the best source at or behind each place, ``min(link - along) + along``, and at or ahead
    of it, ``min(link + along) - along``): no pair of points is formed, however many stand on
    one edge.

    Parameters
    ----------
    targets : Snapped
        The points walked to.
    sources : Snapped
        The points walked from.

    Returns
    -------
    numpy.ndarray
        Metres per target along its own edge to the nearest source (``inf`` if none).
    """
    out = np.full(len(targets.link), np.inf)
    s = np.flatnonzero(np.isfinite(sources.link))
    t = np.flatnonzero(np.isfinite(targets.link) & np.isin(targets.edge, sources.edge[s]))
    if not len(t):
        return out
    edge = np.concatenate([sources.edge[s], targets.edge[t]])
    pos = np.concatenate([sources.along[s], targets.along[t]])
    is_target = np.arange(len(edge)) >= len(s)
    order = np.lexsort((is_target, pos, edge))  # at one place, the source comes first
    e, p = edge[order], pos[order]
    link = np.concatenate([sources.link[s], np.full(len(t), np.inf)])[order]
    behind = pd.Series(link - p).groupby(e).cummin().to_numpy() + p
    ahead = pd.Series((link + p)[::-1]).groupby(e[::-1]).cummin().to_numpy()[::-1] - p
    mine = is_target[order]
    which = t[order[mine] - len(s)]
    out[which] = targets.link[which] + np.minimum(behind, ahead)[mine]
    return out


def walk_graph(roads: gpd.GeoDataFrame, *, crs: pyproj.CRS | None = None) -> WalkGraph:
    """Build the walking graph of a ``road`` layer.

    Parameters
    ----------
    roads : geopandas.GeoDataFrame
        Lines with optional ``compound_id`` (internal paths and gate links of a compound).
        Empty rows are left out; a MultiLineString is merged into one line where it can be,
        else left out. Every vertex is transformed once, as coordinates.
    crs : pyproj.CRS or None
        Metric CRS to measure in (default: the UTM zone of the roads).

    Returns
    -------
    WalkGraph
        The network: one node per road end (merged within a centimetre), one edge per road.

    Raises
    ------
    ValidationError
        If there are no usable roads, or the layer has no CRS.
    """
    if roads.empty:
        msg = "there are no roads: the walking network is empty"
        raise ValidationError(msg)
    if roads.crs is None:
        msg = "the road layer has no CRS; name one before measuring it"
        raise ValidationError(msg)
    coords, owner, counts, keep = _lines(roads)
    crs = pyproj.CRS.from_user_input(crs) if crs is not None else _local_metric(roads, coords)
    n_edges = len(keep)
    last = np.cumsum(counts) - 1
    head = last - counts + 1
    # a junction is the end of several rows: each distinct vertex (exactly equal coordinates)
    # is projected once
    code, points = _distinct(coords)
    tx, ty = transform_xy(points[:, 0], points[:, 1], roads.crs, crs)
    x, y = tx[code], ty[code]
    # nodes: the lines' end points, one per centimetre cell, placed at the first in it
    end = np.zeros(len(points), dtype=bool)
    end[code[head]] = True
    end[code[last]] = True
    end = np.flatnonzero(end)  # the distinct end points, in the order they first appear
    end_x, end_y = tx[end], ty[end]
    cx = np.round(end_x / _NODE_GRID_M).astype(np.int64)
    cy = np.round(end_y / _NODE_GRID_M).astype(np.int64)
    cx -= cx.min()
    cy -= cy.min()
    inverse, first = _unique_cells(cx * (int(cy.max()) + 1) + cy)
    node = np.zeros(len(points), dtype=np.int64)
    node[end] = inverse
    u, v = node[code[head]], node[code[last]]
    inside = owner[1:] == owner[:-1]  # steps within a line, not from one line to the next
    dx, dy = np.diff(x)[inside], np.diff(y)[inside]
    step_len = np.sqrt(dx * dx + dy * dy)
    length = np.maximum(np.bincount(owner[1:][inside], weights=step_len, minlength=n_edges), _EPS)
    if "compound_id" in roads.columns:
        group, compounds = pd.factorize(roads["compound_id"].iloc[keep])
    else:
        group, compounds = np.full(n_edges, -1), pd.Index([], dtype=object)
    return WalkGraph(
        xy=np.column_stack([end_x[first], end_y[first]]),
        matrix=_matrix(u, v, length, len(first)),
        crs=crs,
        edge_start=u,
        edge_end=v,
        edge_length=length,
        edge_group=np.asarray(group, dtype=np.int64),
        compounds=pd.Index(compounds, dtype=object),
        vertex_xy=np.column_stack([x, y]),
        vertex_edge=owner,
    )


def _distinct(coords: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct rows of (n, 2) `coords` (exactly equal coordinates), in the order they
    first appear, and the code of each row: hashed as one int64 made of both coordinates'
    bits (a few times faster than hashing pairs), then checked, and hashed as pairs where two
    points happen to share a key."""
    bits = coords.view(np.int64)
    code, _ = pd.factorize(bits[:, 0] * _MIX ^ bits[:, 1], sort=False)
    top = np.maximum.accumulate(code)
    first = np.flatnonzero(np.concatenate([[True], top[1:] > top[:-1]]))  # code c at first[c]
    if (np.take(bits, first[code], axis=0) == bits).all():
        return code, np.take(coords, first, axis=0)
    code, points = pd.factorize(
        coords.view(np.complex128).ravel(), sort=False, use_na_sentinel=False
    )
    return code, np.column_stack([points.real, points.imag])


def _lines(roads: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The coordinates of the usable road lines, the line of each coordinate, each line's
    number of coordinates and the lines' rows: rows without a line or with an empty one are
    left out, a MultiLineString is merged into one line where it can be, else left out."""
    geoms = roads.geometry.to_numpy()
    kind = shapely.get_type_id(geoms)  # -1: missing
    multi = kind == shapely.GeometryType.MULTILINESTRING
    if multi.any():
        geoms = geoms.copy()
        geoms[multi] = shapely.line_merge(geoms[multi])
        kind = shapely.get_type_id(geoms)
    keep = np.flatnonzero(kind == shapely.GeometryType.LINESTRING)  # unmergeable: skipped
    coords, owner = shapely.get_coordinates(geoms[keep], return_index=True)
    counts = np.bincount(owner, minlength=len(keep))
    if not counts.all():  # empty lines (no coordinates)
        full = counts > 0
        owner = (np.cumsum(full) - 1)[owner]
        keep, counts = keep[full], counts[full]
    if not len(keep):
        msg = "no road has a usable line: the walking network is empty"
        raise ValidationError(msg)
    return coords, owner, counts, keep


def _matrix(u: np.ndarray, v: np.ndarray, length: np.ndarray, n: int) -> sparse.csr_matrix:
    """The symmetric (n, n) matrix of edges u-v: one edge per pair of nodes (the shortest),
    none from a node to itself."""
    loop = u == v
    a, b, w = np.minimum(u, v)[~loop], np.maximum(u, v)[~loop], length[~loop]
    pair = a * n + b
    ordered = np.sort(pair)  # (numpy sorts values several times faster than it orders them)
    if (ordered[1:] == ordered[:-1]).any():  # twins: the shortest of each
        order = np.argsort(pair)
        pair, w = pair[order], w[order]
        start = np.flatnonzero(run_starts(pair))
        w = np.minimum.reduceat(w, start)
        pair = pair[start]
        a, b = pair // n, pair % n
    return sparse.csr_matrix(
        (np.concatenate([w, w]), (np.concatenate([a, b]), np.concatenate([b, a]))), shape=(n, n)
    )


def _local_metric(roads: gpd.GeoDataFrame, coords: np.ndarray) -> pyproj.CRS:
    """:func:`mapgov.core.crs.local_metric` of the roads, from their coordinates when they are
    already in WGS 84 (no second pass over the geometries for their bounds)."""
    if not pyproj.CRS.from_user_input(roads.crs).equals(WGS84) or not len(coords):
        return local_metric(roads)
    lon, lat = coords[:, 0], coords[:, 1]
    return utm_for((lon.min() + lon.max()) / 2, (lat.min() + lat.max()) / 2)


def _unique_cells(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(keys, return_inverse=True, return_index=True)`` without its stable sort:
    the code of each key (in sorted key order) and the first position of each code."""
    order = np.argsort(keys)
    ordered = keys[order]
    new = run_starts(ordered)
    start = np.flatnonzero(new)
    inverse = np.empty(len(keys), dtype=np.int64)
    inverse[order] = np.cumsum(new) - 1
    return inverse, np.minimum.reduceat(order, start)


def point_xy(points: gpd.GeoSeries | gpd.GeoDataFrame, crs: pyproj.CRS) -> np.ndarray:
    """(n, 2) coordinates in `crs` (metric) of a point of each geometry (NaN where empty).

    A point is itself; any other shape gives its representative point (``point_on_surface``,
    inside it), found in the layer's own CRS and then transformed: only one coordinate per
    row goes through the projection.

    Parameters
    ----------
    points : geopandas.GeoSeries or geopandas.GeoDataFrame
        The geometries, with a CRS.
    crs : pyproj.CRS
        The metric CRS to give the coordinates in.

    Returns
    -------
    numpy.ndarray
        One (x, y) row per geometry, NaN where it is missing or empty.
    """
    require_metric(gpd.GeoSeries([], crs=crs))
    if points.crs is None:
        require_metric(points)  # raises: no CRS
    geoms = points.geometry.to_numpy()  # a GeoSeries is its own geometry
    kind = shapely.get_type_id(geoms)  # -1: missing
    xy = np.full((len(geoms), 2), np.nan)
    ok = np.flatnonzero((kind >= 0) & ~shapely.is_empty(geoms))
    geoms = geoms[ok]
    if not (kind[ok] == shapely.GeometryType.POINT).all():
        geoms = shapely.point_on_surface(geoms)
    found = shapely.get_coordinates(geoms)  # one per point: none is empty
    xy[ok, 0], xy[ok, 1] = transform_xy(found[:, 0], found[:, 1], points.crs, crs)
    return xy


def snap(
    graph: WalkGraph,
    points: gpd.GeoSeries | gpd.GeoDataFrame,
    groups: np.ndarray | ExtensionArray | None = None,
) -> Snapped:
    """Enter each point onto the network at the nearest point of the nearest edge.

    With `groups` (e.g. each building's compound id: an array, or a column's ``.array``), a
    point enters through the nearest edge of its own group when one lies within 60 m: a
    building is reached through its own compound's paths and gates, not across the fence from
    the street outside.

    The point of a polygon is its representative point (see :func:`point_xy`). A row without
    a geometry gets an infinite link: it reaches nothing. Among edges at exactly the same
    distance the first road row wins.

    Parameters
    ----------
    graph : WalkGraph
        The walking network.
    points : geopandas.GeoSeries or geopandas.GeoDataFrame
        The places to enter (points or shapes), with a CRS.
    groups : numpy.ndarray or pandas.api.extensions.ExtensionArray or None
        The compound id of each point (``None``: every point enters by the nearest edge).

    Returns
    -------
    Snapped
        Where each point enters the network.
    """
    xy = point_xy(points, graph.crs)
    return _snap_xy(graph, xy, groups)


def _snap_segments(
    graph: WalkGraph, xy: np.ndarray, groups: np.ndarray | ExtensionArray | None
) -> np.ndarray:
    """The segment each point enters by (-1 for a point without coordinates)."""
    code = _group_codes(graph, groups) if groups is not None and len(graph.compounds) else None
    return graph._snap_index.nearest(xy, code)


def _group_codes(graph: WalkGraph, groups: np.ndarray | ExtensionArray) -> np.ndarray:
    """The code of each point's group among ``graph.compounds`` (-1: none, or not there).

    A column of pandas' Arrow strings (``Series.array``, as the store reads ids) is looked up
    by pyarrow, without a Python string per row (a few times faster)."""
    if isinstance(groups, pd.arrays.ArrowStringArray) and graph._compound_set is not None:
        import pyarrow as pa
        import pyarrow.compute as pc

        found = pc.index_in(pa.array(groups), value_set=graph._compound_set)
        return np.asarray(pc.fill_null(found, -1), dtype=np.int64)
    return graph.compounds.get_indexer(pd.Index(np.asarray(groups, dtype=object), dtype=object))


def _snap_xy(
    graph: WalkGraph, xy: np.ndarray, groups: np.ndarray | ExtensionArray | None
) -> Snapped:
    idx = graph.segments
    seg = _snap_segments(graph, xy, groups)
    ok = np.flatnonzero(seg >= 0)
    d2, t = idx.measure(xy[ok, 0], xy[ok, 1], seg[ok])
    edge = idx.edge[seg[ok]]
    length = graph.edge_length[edge]
    along = np.zeros(len(xy))
    link = np.full(len(xy), np.inf)
    start = np.zeros(len(xy), dtype=np.int64)
    end = np.zeros(len(xy), dtype=np.int64)
    along[ok] = np.clip(idx.offset[seg[ok]] + t * idx.length[seg[ok]], 0, length)
    link[ok] = np.sqrt(d2)
    start[ok] = graph.edge_start[edge]
    end[ok] = graph.edge_end[edge]
    rest = np.zeros(len(xy))
    rest[ok] = length - along[ok]
    on = np.full(len(xy), -1, dtype=np.int64)
    on[ok] = edge
    return Snapped(start=start, end=end, along=along, rest=rest, link=link, edge=on)


def entry_costs(sources: Snapped) -> tuple[np.ndarray, np.ndarray]:
    """The network nodes where `sources` enter, each with its cheapest entry cost (metres):
    the link plus the way along the edge to that end. Sources without a location are left
    out.

    Parameters
    ----------
    sources : Snapped
        The snapped sources.

    Returns
    -------
    tuple of numpy.ndarray
        The distinct nodes, sorted, and the cheapest entry cost at each (metres).
    """
    nodes = np.concatenate([sources.start, sources.end])
    cost = np.maximum(
        np.concatenate([sources.link + sources.along, sources.link + sources.rest]), _EPS
    )
    fin = np.isfinite(cost)
    nodes, cost = nodes[fin], cost[fin]
    order = np.lexsort((cost, nodes))
    nodes, cost = nodes[order], cost[order]
    first = run_starts(nodes)
    return nodes[first], cost[first]


def multi_source_distances(
    graph: WalkGraph, sources: Snapped, *, limit: float = np.inf
) -> np.ndarray:
    """Distance from every node to the nearest source, in one Dijkstra pass.

    A virtual node with an edge to both ends of each source's edge (weighing the source's link
    plus the way along the edge) makes the entry exact: distance(node) = min over sources of
    link + network distance.

    The pass runs on the network's core only (see :class:`_Core`; about 40 % of the nodes of
    the demo city): first each tree hands its best entry up to the core node it hangs from,
    then one Dijkstra from the virtual node over the core (its matrix holds both directions of
    every edge, so the virtual node is one more row appended to it and the search runs as a
    directed one), then the trees take their distances down from the core. Every distance is
    the same sum along the same path as a Dijkstra over the whole network.

    Parameters
    ----------
    graph : WalkGraph
        The walking network.
    sources : Snapped
        The places walked from, snapped onto `graph`.
    limit : float
        Metres beyond which nodes stay unreached (``inf``).

    Returns
    -------
    numpy.ndarray
        Metres per node, inf where no source is within `limit`.
    """
    n = graph.n_nodes
    nodes, cost = entry_costs(sources)
    if not len(nodes):
        return np.full(n, np.inf)
    core = graph._core
    up = np.full(n, np.inf)  # by position: the best entry within the node's own tree, or at it
    up[core.where[nodes]] = cost
    for r in core.rounds:  # leaves first: each hands its best up to its parent
        np.minimum.at(up, core.parent[r], up[r] + core.weight[r])
    dist = np.full(n, np.inf)
    k = core.size
    seeds = np.flatnonzero(np.isfinite(up[:k]))
    if len(seeds):
        m = core.matrix
        full = sparse.csr_matrix(
            (
                np.concatenate([m.data, up[seeds]]),
                np.concatenate([m.indices, seeds.astype(m.indices.dtype)]),
                np.append(m.indptr, m.indptr[-1] + len(seeds)).astype(m.indptr.dtype),
            ),
            shape=(k + 1, k + 1),
        )
        dist[:k] = csgraph.dijkstra(full, directed=True, indices=k, limit=limit)[:k]
    for r in reversed(core.rounds):  # from the core outwards: through the parent or below
        dist[r] = np.minimum(up[r], dist[core.parent[r]] + core.weight[r])
    trees = dist[k:]  # the core's distances are within the limit already
    trees[trees > limit] = np.inf
    return dist[core.where]
