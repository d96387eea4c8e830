"""Where to build next: the maximal covering location problem (MCLP).

Given a facility kind, its threshold, the buildings it does not yet cover (weighted by their
residents) and candidate sites, choose k sites that together bring the most residents within
walking reach. Solved exactly as a 0-1 programme with HiGHS (``scipy.optimize.milp``); if the
solver cannot prove an optimum in the time allowed, the greedy answer (which is within
1 - 1/e of the best) is returned instead and the result says so.

Walking reach from each candidate is one bounded Dijkstra pass (metres along the network, in
the local UTM zone), so candidate sites are network nodes. Only candidates within the
threshold of an uncovered building can add anyone; at most :data:`MAX_CANDIDATES` of them are
weighed in one search (more is refused with a message that says to narrow the area), so a
city-wide question cannot run away with memory or time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import csgraph

from mapgov.core.crs import WGS84
from mapgov.core.errors import ValidationError
from mapgov.domain.lifecircle.network import Snapped, WalkGraph, multi_source_distances

__all__ = ["MAX_CANDIDATES", "SitingResult", "best_sites", "candidate_nodes"]


@dataclass(frozen=True)
class SitingResult:
    """Chosen sites, in the order of what each adds.

    Attributes
    ----------
    sites
        GeoDataFrame: rank, node, added_residents (new residents this site brings within reach,
        after the sites ranked before it), cumulative_residents, buildings (ids it adds),
        geometry (point, EPSG:4326).
    method
        "exact" (HiGHS proved the optimum) or "greedy".
    uncovered_residents
        Residents not covered before any new site.
    """

    sites: gpd.GeoDataFrame
    method: str
    uncovered_residents: int


MAX_CANDIDATES: Final = 5_000
"""Most candidate sites one search weighs: those that can reach an uncovered building.

Each is one bounded Dijkstra pass and one binary variable of the 0-1 programme. Near the cap
a search takes seconds (80 communities of the scale-100 demo, 4,408 candidates within 300 m
of uncovered buildings: 2.6 to 7 s on 2 busy cores); the whole scale-100 city (22,000) is
refused at once. Ask for one street or community at a time, or pass `max_candidates`.
"""

_CELLS_PER_CHUNK: Final = 4_000_000  # distances held at once (32 MB of float64)


def candidate_nodes(graph: WalkGraph, *, public_only: bool = True) -> np.ndarray:
    """Network nodes where a facility could stand: by default those on public roads (not on
    a compound's internal paths).

    Parameters
    ----------
    graph : WalkGraph
        The walking network.
    public_only : bool
        Only nodes at an end of a public road (``False``: every node).

    Returns
    -------
    numpy.ndarray
        The candidate node indices, sorted.
    """
    if not public_only:
        return np.arange(graph.n_nodes)
    public = pd.isna(graph.edge_compound)
    return np.unique(np.concatenate([graph.edge_start[public], graph.edge_end[public]]))


def _reach(
    graph: WalkGraph,
    candidates: np.ndarray,
    homes: Snapped,
    metres: float,
    *,
    max_candidates: int = MAX_CANDIDATES,
) -> sparse.csr_matrix:
    """(candidates x homes) boolean matrix: home within `metres` of the candidate node.

    Only the part of the network within `metres` of some home can matter (every node on a
    walk of at most `metres` from a candidate to a home is itself that close to the home), so
    one multi-source pass from the homes finds it first: candidates outside it reach no home
    and get an empty row, and the passes from the others run on that part alone, a few rows
    at a time, so memory stays bounded however large the city.

    Raises
    ------
    ValidationError
        If more than `max_candidates` candidates lie within `metres` of an uncovered home.
    """
    n_c, n_h = len(candidates), len(homes.link)
    empty = sparse.csr_matrix((n_c, n_h), dtype=bool)
    if not n_c or not n_h:
        return empty
    near = multi_source_distances(graph, homes, limit=metres * (1 + 1e-9) + 1e-6)
    area = np.flatnonzero(np.isfinite(near))
    live = np.flatnonzero(np.isfinite(near[candidates]))
    if len(live) > max_candidates:
        msg = (
            f"{len(live):,} candidate sites lie within {metres:g} m of uncovered buildings, "
            f"more than the {max_candidates:,} one search weighs: choose a smaller area "
            "(one street or community) or fewer candidate sites"
        )
        raise ValidationError(msg)
    if not len(live):
        return empty
    local = np.full(graph.n_nodes, len(area))  # node -> row in the area (len(area): out)
    local[area] = np.arange(len(area))
    sub = graph.matrix[area][:, area]  # symmetric: a directed search is the undirected one
    h_start, h_end = local[homes.start], local[homes.end]
    chunk = max(1, min(256, _CELLS_PER_CHUNK // max(len(area) + 1, n_h)))
    rows, cols = [], []
    for lo in range(0, len(live), chunk):
        idx = live[lo : lo + chunk]
        d = np.full((len(idx), len(area) + 1), np.inf)  # last column: outside the area
        d[:, :-1] = csgraph.dijkstra(
            sub, directed=True, indices=local[candidates[idx]], limit=metres
        )
        via = np.minimum(d[:, h_start] + homes.along, d[:, h_end] + homes.rest)
        r, c = np.nonzero(homes.link[None, :] + via <= metres)
        rows.append(idx[r])
        cols.append(c)
    r, c = np.concatenate(rows), np.concatenate(cols)
    return sparse.csr_matrix((np.ones(len(r), dtype=bool), (r, c)), shape=(n_c, n_h))


def _greedy(reach: sparse.csr_matrix, weight: np.ndarray, k: int) -> list[int]:
    covered = np.zeros(reach.shape[1], dtype=bool)
    chosen: list[int] = []
    for _ in range(min(k, reach.shape[0])):
        gain = reach @ (weight * ~covered)
        gain[chosen] = -1
        best = int(np.argmax(gain))
        if gain[best] <= 0:
            break
        chosen.append(best)
        covered |= reach[best].toarray().ravel()
    return chosen


def _exact(
    reach: sparse.csr_matrix, weight: np.ndarray, k: int, time_limit: float
) -> list[int] | None:
    n_c, n_h = reach.shape
    # variables: x_c (open candidate c), then y_h (home h covered); maximise sum w_h y_h
    c = np.concatenate([np.zeros(n_c), -weight.astype(float)])
    # y_h - sum_{c covers h} x_c <= 0
    link = sparse.hstack([-reach.T.astype(float), sparse.identity(n_h)], format="csr")
    count = sparse.csr_matrix(np.concatenate([np.ones(n_c), np.zeros(n_h)])[None, :])
    res = milp(
        c,
        constraints=[LinearConstraint(link, -np.inf, 0), LinearConstraint(count, 0, k)],
        integrality=np.concatenate([np.ones(n_c), np.zeros(n_h)]),
        bounds=Bounds(0, 1),
        options={"time_limit": time_limit, "disp": False},
    )
    if res.status != 0 or res.x is None:
        return None
    return [int(i) for i in np.flatnonzero(res.x[:n_c] > 0.5)]


def best_sites(
    graph: WalkGraph,
    homes: Snapped,
    residents: np.ndarray,
    covered: np.ndarray,
    *,
    metres: float,
    k: int,
    building_ids: np.ndarray,
    candidates: np.ndarray | None = None,
    exact: bool = True,
    time_limit: float = 20.0,
    max_candidates: int = MAX_CANDIDATES,
) -> SitingResult:
    """Choose `k` new sites that bring the most uncovered residents within `metres`.

    Parameters
    ----------
    graph : WalkGraph
        The walking network.
    homes : Snapped
        Where each building enters the network (:func:`mapgov.domain.lifecircle.network.snap`).
    residents : numpy.ndarray
        Residents per building (the weights).
    covered : numpy.ndarray
        Whether each building is already covered by an existing facility of the kind.
    metres : float
        The kind's walking threshold.
    k : int
        Number of new sites (1 or more).
    building_ids : numpy.ndarray
        Ids of the buildings, to name what each site adds.
    candidates : numpy.ndarray or None
        Node indices allowed as sites (default: :func:`candidate_nodes`).
    exact : bool
        Solve exactly with HiGHS (falls back to greedy on time-out); False for greedy only.
    time_limit : float
        Seconds the solver may take.
    max_candidates : int
        Most candidates within `metres` of an uncovered building that one search weighs
        (:data:`MAX_CANDIDATES`); candidates further away reach nobody and do not count.

    Returns
    -------
    SitingResult
        The chosen sites with what each adds, and how they were found.

    Raises
    ------
    ValidationError
        If `k` is below 1, or more than `max_candidates` candidates could add someone.
    """
    if k < 1:
        msg = f"k must be at least 1, not {k}"
        raise ValidationError(msg)
    if candidates is None:
        candidates = candidate_nodes(graph)
    todo = np.flatnonzero(~np.asarray(covered, dtype=bool) & (np.asarray(residents) > 0))
    weight = np.asarray(residents, dtype=float)[todo]
    sub = homes.subset(todo)
    reach = _reach(graph, np.asarray(candidates), sub, metres, max_candidates=max_candidates)
    useful = np.flatnonzero(reach.getnnz(axis=1) > 0)
    reach_u = reach[useful]
    method = "greedy"
    chosen: list[int] | None = None
    if exact and len(useful):
        chosen = _exact(reach_u, weight, k, time_limit)
        method = "exact" if chosen is not None else "greedy"
    if chosen is None:
        chosen = _greedy(reach_u, weight, k)
    # order the chosen sites by what each adds, greedily, for the table
    order: list[int] = []
    covered_now = np.zeros(len(todo), dtype=bool)
    remaining = list(chosen)
    rows = []
    while remaining:
        gains = [
            float((weight * (reach_u[i].toarray().ravel() & ~covered_now)).sum()) for i in remaining
        ]
        best = remaining.pop(int(np.argmax(gains)))
        adds = reach_u[best].toarray().ravel() & ~covered_now
        covered_now |= adds
        order.append(best)
        node = int(np.asarray(candidates)[useful[best]])
        rows.append(
            {
                "rank": len(order),
                "node": node,
                "added_residents": int(weight[adds].sum()),
                "cumulative_residents": int(weight[covered_now].sum()),
                "buildings": list(np.asarray(building_ids)[todo[adds]]),
                "geometry": shapely.Point(graph.xy[node]),
            }
        )
    sites = gpd.GeoDataFrame(
        pd.DataFrame(
            rows,
            columns=[
                "rank",
                "node",
                "added_residents",
                "cumulative_residents",
                "buildings",
                "geometry",
            ],
        ),
        geometry="geometry",
        crs=graph.crs,
    ).to_crs(WGS84)
    return SitingResult(
        sites=sites, method=method, uncovered_residents=int(np.asarray(residents)[todo].sum())
    )
