"""The walking network read the plain networkx way: the reference the engine is checked against.

:mod:`mapgov.domain.lifecircle.network` answers distances with scipy over the network's core
and its own arithmetic along road pieces. The functions here answer the same questions the
straightforward way (networkx's multi-source Dijkstra; every place a node of its own on its
cut road piece), worked out independently of that arithmetic. Nothing in the application
calls them: the tests compare the engine with them, and ``bench/bench_coverage.py`` times them
as its baseline (``docs/benchmarks.md``, Life circle).
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
from scipy import sparse

from mapgov.domain.lifecircle.network import Snapped, WalkGraph, entry_costs

__all__ = [
    "nx_graph",
    "nx_multi_source_distances",
    "nx_place_distances",
    "nx_place_graph",
    "nx_point_distances",
]


def nx_graph(graph: WalkGraph) -> Any:
    """The walking graph as a networkx graph (node ids as in `graph`, weight = metres).

    Parameters
    ----------
    graph : WalkGraph
        The walking network.

    Returns
    -------
    networkx.Graph
        One node per node of `graph`, one weighted edge per road piece.
    """
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

    Parameters
    ----------
    graph : WalkGraph
        The network the engine measures on.
    sources : Snapped
        Where the sources enter it (:func:`mapgov.domain.lifecircle.network.snap`).
    limit : float
        The Dijkstra's cutoff in metres.
    nxg : networkx.Graph or None
        :func:`nx_graph` of `graph`, when already built (``None``: built here).

    Returns
    -------
    numpy.ndarray
        Metres from the nearest source to each node of `graph` (``inf`` if unreached).
    """
    import networkx as nx

    g = nxg if nxg is not None else nx_graph(graph)
    nodes, cost = entry_costs(sources)
    g.add_node(-1)  # a virtual source, removed again: `nxg` may be shared between kinds
    try:
        g.add_weighted_edges_from(
            zip([-1] * len(nodes), nodes.tolist(), cost.tolist(), strict=True)
        )
        found = nx.multi_source_dijkstra_path_length(g, {-1}, cutoff=limit)
    finally:
        g.remove_node(-1)
    out = np.full(graph.n_nodes, np.inf)
    for node, d in found.items():
        if node >= 0:
            out[node] = d
    return out


def nx_place_graph(graph: WalkGraph, places: Snapped) -> Any:
    """The walking graph as a networkx graph in which every place is a node of its own.

    The plain reading of a walk from place to place: place i is node ``graph.n_nodes + i``,
    joined by its link to a node where it meets its edge, and every edge that places meet is
    cut at those nodes, in order along it (pieces of length 0 where two meet it at the same
    spot). Node ids below ``graph.n_nodes`` are those of `graph`; weight = metres.

    Parameters
    ----------
    graph : WalkGraph
        The walking network.
    places : Snapped
        The places, snapped onto `graph`.

    Returns
    -------
    networkx.Graph
        The cut graph, with node ``graph.n_nodes + i`` for place i.
    """
    g = nx_graph(graph)
    n, p = graph.n_nodes, len(places.link)
    g.add_nodes_from(range(n, n + 2 * p))
    located = np.flatnonzero(np.isfinite(places.link))
    order = located[np.lexsort((places.along[located], places.edge[located]))]
    pieces: dict[tuple[int, int], float] = {}

    def _add(a: int, b: int, metres: float) -> None:  # the shortest of twins (a cut loop)
        key = (min(a, b), max(a, b))
        pieces[key] = min(metres, pieces.get(key, np.inf))

    for i in located.tolist():
        _add(n + i, n + p + i, float(places.link[i]))
    for e, run in itertools.groupby(order.tolist(), key=lambda i: int(places.edge[i])):
        node, at = int(graph.edge_start[e]), 0.0
        for i in run:
            _add(node, n + p + i, float(places.along[i]) - at)
            node, at = n + p + i, float(places.along[i])
        _add(node, int(graph.edge_end[e]), float(graph.edge_length[e]) - at)
    g.add_weighted_edges_from((a, b, w) for (a, b), w in pieces.items())
    return g


def nx_place_distances(
    nxg: Any, graph: WalkGraph, targets: np.ndarray, sources: np.ndarray, *, limit: float = np.inf
) -> np.ndarray:
    """Metres from each place `targets` (indices of the places of `nxg`, made by
    :func:`nx_place_graph` over `graph`) to the nearest place `sources`: networkx's
    multi-source Dijkstra (inf beyond `limit`).

    Parameters
    ----------
    nxg : networkx.Graph
        :func:`nx_place_graph` of `graph` and the places.
    graph : WalkGraph
        The walking network.
    targets : numpy.ndarray
        Indices of the places walked to.
    sources : numpy.ndarray
        Indices of the places walked from.
    limit : float
        Metres beyond which a place counts as unreached (``inf``).

    Returns
    -------
    numpy.ndarray
        Metres from the nearest source to each target (``inf`` if unreached).
    """
    import networkx as nx

    n = graph.n_nodes
    found = nx.multi_source_dijkstra_path_length(nxg, {n + int(i) for i in sources}, cutoff=limit)
    return np.array([found.get(n + int(i), np.inf) for i in targets], dtype=float)


def nx_point_distances(
    graph: WalkGraph, targets: Snapped, sources: Snapped, *, limit: float = np.inf
) -> np.ndarray:
    """:meth:`Snapped.distances` of `targets` from `sources`, the plain networkx way: every
    place a node of its own on its cut edge (:func:`nx_place_graph`), one Dijkstra.

    Parameters
    ----------
    graph : WalkGraph
        The network to cut at the places.
    targets : Snapped
        The places whose distances are wanted.
    sources : Snapped
        The places to measure from (each a node of the cut graph too).
    limit : float
        The cutoff in metres: a target farther away gets ``inf``.

    Returns
    -------
    numpy.ndarray
        Metres from the nearest source to each target (``inf`` if unreached).
    """
    nxg = nx_place_graph(graph, Snapped.join(targets, sources))
    n_t = len(targets.link)
    both = np.arange(n_t + len(sources.link))
    return nx_place_distances(nxg, graph, both[:n_t], both[n_t:], limit=limit)
