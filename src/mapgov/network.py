"""The walking network as a sparse graph, and snapping places onto it.

Every row of the ``road`` table is one edge (the store splits roads at every junction); its end
points are the nodes, merged when they lie within a centimetre. Lengths are in metres, measured
in the local metric CRS (:func:`mapgov.crs.local_metric`). Shortest paths use
``scipy.sparse.csgraph.dijkstra``, which answers a whole facility kind in one multi-source pass.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from scipy import sparse
from scipy.sparse import csgraph

from mapgov.crs import local_metric, require_metric
from mapgov.errors import ValidationError

__all__ = [
    "Snapped",
    "WalkGraph",
    "multi_source_distances",
    "nx_graph",
    "nx_multi_source_distances",
    "snap",
    "walk_graph",
]

_NODE_GRID_M = 0.01
_EPS = 1e-6  # zero-length links would vanish from a sparse matrix
_OWN_RADIUS_M = 60.0  # how far to look for a point's own compound's paths


@dataclass(frozen=True)
class WalkGraph:
    """A walking network in metres.

    Attributes
    ----------
    xy
        (n, 2) node coordinates in `crs`.
    matrix
        (n, n) symmetric CSR matrix of edge lengths in metres.
    crs
        The metric CRS of `xy`.
    edge_start, edge_end, edge_length
        For every road row: its first and last node and its length in metres.
    edge_geoms
        The road lines in `crs`.
    edge_compound
        The compound of each road row (internal paths and gate links), else None.
    """

    xy: np.ndarray
    matrix: sparse.csr_matrix
    crs: pyproj.CRS
    edge_start: np.ndarray
    edge_end: np.ndarray
    edge_length: np.ndarray
    edge_geoms: np.ndarray
    edge_compound: np.ndarray

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return len(self.xy)

    def components(self) -> np.ndarray:
        """Connected-component label of every node."""
        return csgraph.connected_components(self.matrix, directed=False)[1]


@dataclass(frozen=True)
class Snapped:
    """Where points enter the network: on edge (start, end), `along` metres from its start,
    after a straight link of `link` metres."""

    start: np.ndarray
    end: np.ndarray
    along: np.ndarray
    rest: np.ndarray
    link: np.ndarray

    def distances(self, node_dist: np.ndarray) -> np.ndarray:
        """Distance of each point given every node's distance (metres, inf if unreached)."""
        via_start = node_dist[self.start] + self.along
        via_end = node_dist[self.end] + self.rest
        return self.link + np.minimum(via_start, via_end)


def walk_graph(roads: gpd.GeoDataFrame, *, crs: pyproj.CRS | None = None) -> WalkGraph:
    """Build the walking graph of a ``road`` layer.

    Parameters
    ----------
    roads
        Lines with optional ``compound_id`` (internal paths and gate links of a compound).
    crs
        Metric CRS to measure in (default: the UTM zone of the roads).
    """
    if roads.empty:
        msg = "there are no roads: the walking network is empty"
        raise ValidationError(msg)
    crs = crs or local_metric(roads)
    lines = roads.to_crs(crs)
    raw = lines.geometry.to_numpy()
    lines = lines[~(shapely.is_missing(raw) | shapely.is_empty(raw))]
    multi = (lines.geom_type == "MultiLineString").to_numpy()
    if multi.any():
        merged = lines.geometry.to_numpy().copy()
        merged[multi] = shapely.line_merge(merged[multi])
        lines = lines.set_geometry(gpd.GeoSeries(merged, index=lines.index, crs=lines.crs))
    lines = lines[(lines.geom_type == "LineString").to_numpy()]  # unmergeable: skipped
    roads = roads.loc[lines.index]
    geoms = lines.geometry.to_numpy()
    coords, owner = shapely.get_coordinates(geoms, return_index=True)
    counts = np.bincount(owner, minlength=len(geoms))
    last = np.cumsum(counts) - 1
    ends = np.vstack([coords[last - counts + 1], coords[last]])  # first and last vertices
    cells = np.round(ends / _NODE_GRID_M).astype(np.int64)
    cells -= cells.min(axis=0)
    keys = cells[:, 0] * (int(cells[:, 1].max()) + 1) + cells[:, 1]  # one int64 per cm cell
    _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    n_edges = len(geoms)
    u, v = inverse[:n_edges], inverse[n_edges:]
    length = np.maximum(shapely.length(geoms), _EPS)
    edges = pd.DataFrame({"a": np.minimum(u, v), "b": np.maximum(u, v), "w": length})
    edges = edges[edges["a"] != edges["b"]].groupby(["a", "b"], as_index=False)["w"].min()
    n = len(first)
    a, b, w = edges["a"].to_numpy(), edges["b"].to_numpy(), edges["w"].to_numpy()
    matrix = sparse.coo_matrix(
        (np.concatenate([w, w]), (np.concatenate([a, b]), np.concatenate([b, a]))), shape=(n, n)
    ).tocsr()
    comp = (
        roads["compound_id"].to_numpy(dtype=object)
        if "compound_id" in roads.columns
        else np.full(n_edges, None, dtype=object)
    )
    comp = np.where(pd.notna(comp), comp, None)
    return WalkGraph(
        xy=ends[first],
        matrix=matrix,
        crs=crs,
        edge_start=u,
        edge_end=v,
        edge_length=length,
        edge_geoms=geoms,
        edge_compound=comp,
    )


def _points_xy(graph: WalkGraph, points: gpd.GeoSeries | gpd.GeoDataFrame) -> np.ndarray:
    pts = points.to_crs(graph.crs) if points.crs is not None else points
    require_metric(pts)
    geom = pts.geometry if isinstance(pts, gpd.GeoDataFrame) else pts
    return geom.representative_point().to_numpy()


def snap(
    graph: WalkGraph, points: gpd.GeoSeries | gpd.GeoDataFrame, groups: np.ndarray | None = None
) -> Snapped:
    """Enter each point onto the network at the nearest point of the nearest edge.

    With `groups` (e.g. each building's compound id), a point enters through the nearest edge
    of its own group when one lies within 60 m: a building is reached through its own
    compound's paths and gates, not across the fence from the street outside.
    """
    pts = _points_xy(graph, points)
    tree = shapely.STRtree(graph.edge_geoms)
    edge = np.full(len(pts), -1, dtype=np.int64)
    if groups is not None:
        groups = np.asarray(groups, dtype=object)
        # all (point, edge) pairs within the radius, kept where the edge is the point's own
        # compound's; the nearest of those wins (vectorised: no loop over compounds)
        pi, ei = tree.query(pts, predicate="dwithin", distance=_OWN_RADIUS_M)
        same = pd.notna(groups[pi]) & (graph.edge_compound[ei] == groups[pi])
        pi, ei = pi[same], ei[same]
        if len(pi):
            d = shapely.distance(graph.edge_geoms[ei], pts[pi])
            order = np.lexsort((d, pi))
            first = np.unique(pi[order], return_index=True)[1]
            edge[pi[order][first]] = ei[order][first]
    rest = np.flatnonzero(edge < 0)
    if len(rest):
        edge[rest] = tree.query_nearest(pts[rest], all_matches=False)[1]
    lines = graph.edge_geoms[edge]
    along = shapely.line_locate_point(lines, pts)
    link = shapely.distance(lines, pts)
    length = graph.edge_length[edge]
    along = np.clip(along, 0, length)
    return Snapped(
        start=graph.edge_start[edge],
        end=graph.edge_end[edge],
        along=along,
        rest=length - along,
        link=link,
    )


def multi_source_distances(
    graph: WalkGraph, sources: Snapped, *, limit: float = np.inf
) -> np.ndarray:
    """Distance from every node to the nearest source, in one Dijkstra pass.

    A virtual node joined to both ends of each source's edge (by the source's link plus the way
    along the edge) makes the entry exact: distance(node) = min over sources of link + network
    distance.

    Returns
    -------
    ndarray
        Metres per node, inf where no source is within `limit`.
    """
    n = graph.n_nodes
    if len(sources.start) == 0:
        return np.full(n, np.inf)
    nodes = np.concatenate([sources.start, sources.end])
    cost = np.maximum(
        np.concatenate([sources.link + sources.along, sources.link + sources.rest]), _EPS
    )
    off = pd.DataFrame({"s": nodes, "o": cost}).groupby("s")["o"].min()
    extra = sparse.coo_matrix(
        (off.to_numpy(), (np.full(len(off), n), off.index.to_numpy())), shape=(n + 1, n + 1)
    )
    base = sparse.block_diag([graph.matrix, sparse.csr_matrix((1, 1))], format="csr")
    full = (base + extra + extra.T).tocsr()
    return csgraph.dijkstra(full, directed=False, indices=n, limit=limit)[:n]


def nx_graph(graph: WalkGraph) -> Any:
    """The walking graph as a networkx graph (node ids as in `graph`, weight = metres)."""
    import networkx as nx

    g = nx.Graph()
    g.add_nodes_from(range(graph.n_nodes))
    coo = sparse.triu(graph.matrix).tocoo()
    g.add_weighted_edges_from(
        zip(coo.row.tolist(), coo.col.tolist(), coo.data.tolist(), strict=True)
    )
    return g


def nx_multi_source_distances(
    graph: WalkGraph, sources: Snapped, *, limit: float = np.inf, nxg: Any = None
) -> np.ndarray:
    """The same as :func:`multi_source_distances`, with plain networkx.

    The reference and the benchmark baseline: networkx's multi-source Dijkstra from the nodes
    at both ends of the sources' edges, each starting at its entry cost (one pass per kind, the
    best plain networkx can do).
    """
    import networkx as nx

    g = nxg if nxg is not None else nx_graph(graph)
    nodes = np.concatenate([sources.start, sources.end])
    cost = np.maximum(
        np.concatenate([sources.link + sources.along, sources.link + sources.rest]), _EPS
    )
    start = pd.DataFrame({"s": nodes, "o": cost}).groupby("s")["o"].min()
    g.add_node(-1)  # a virtual source, removed again: `nxg` may be shared between kinds
    try:
        g.add_weighted_edges_from((-1, int(node), float(c)) for node, c in start.items())
        found = nx.multi_source_dijkstra_path_length(g, {-1}, cutoff=limit)
    finally:
        g.remove_node(-1)
    out = np.full(graph.n_nodes, np.inf)
    for node, d in found.items():
        if node >= 0:
            out[node] = d
    return out
