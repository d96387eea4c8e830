"""The walking graph, snapping and multi-source distances against plain references.

The engine builds the graph from coordinate arrays, snaps with numpy over a grid, and searches
only the network's core (the trees hanging off it are answered in two passes). Each test here
compares one of those with the straightforward way (shapely on the lines, one Dijkstra over the
whole matrix) on networks made to contain the awkward cases.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely
from scipy import sparse
from scipy.sparse import csgraph
from shapely.geometry import LineString, MultiLineString, Point, Polygon

from mapgov.core.crs import transform_xy, transformers
from mapgov.core.errors import ValidationError
from mapgov.domain.lifecircle import network
from mapgov.domain.lifecircle import snap as snapping
from mapgov.domain.lifecircle.network import Snapped, multi_source_distances, snap, walk_graph
from mapgov.domain.lifecircle.reference import nx_point_distances

UTM = "EPSG:32649"


def _random_roads(seed: int, n: int = 120, compounds: int = 6) -> gpd.GeoDataFrame:
    """Lines of 2 to 4 vertices, many sharing end points (junctions), some in compounds."""
    rng = np.random.default_rng(seed)
    hubs = rng.uniform(0, 1000, size=(40, 2))
    lines, comp = [], []
    for _ in range(n):
        a, b = hubs[rng.integers(0, len(hubs), 2)]
        inner = rng.uniform(0, 1000, size=(rng.integers(0, 3), 2))
        lines.append(LineString([a, *inner, b]))
        comp.append(f"K{rng.integers(compounds)}" if rng.random() < 0.5 else None)
    return gpd.GeoDataFrame({"compound_id": comp}, geometry=lines, crs=UTM)


def _reference_nearest(
    graph: network.WalkGraph, xy: np.ndarray, groups: np.ndarray | None
) -> tuple[list[set[int]], np.ndarray]:
    """Per point, the shapely way (one query per point): the edges at the least distance
    (its own compound's within 60 m if any, else all; several where they tie, as at a
    junction) and that distance."""
    geoms = graph.edge_geoms
    ties, least = [], []
    for i, (x, y) in enumerate(xy):
        d = shapely.distance(geoms, Point(x, y))
        mine = groups[i] if groups is not None else None
        own = graph.edge_compound == mine if mine is not None else np.zeros(len(d), bool)
        pool = own & (d <= 60) if (own & (d <= 60)).any() else np.ones(len(d), bool)
        best = d[pool].min()
        ties.append(set(np.flatnonzero(pool & (d <= best + 1e-9)).tolist()))
        least.append(best)
    return ties, np.array(least)


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize(("pair_all_max", "pairs_at_once"), [(64, 4_000_000), (0, 50), (2, 7)])
def test_snap_agrees_with_shapely_on_random_networks(
    seed: int, pair_all_max: int, pairs_at_once: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # small compounds try every path of their compound; large ones go through the grid;
    # either way in blocks of pairs: the answer must not depend on the way
    monkeypatch.setattr(snapping, "_PAIR_ALL_MAX", pair_all_max)
    monkeypatch.setattr(snapping, "_PAIRS_AT_ONCE", pairs_at_once)
    graph = walk_graph(_random_roads(seed), crs=UTM)
    rng = np.random.default_rng(seed + 100)
    xy = np.vstack([rng.uniform(-300, 1300, size=(150, 2)), [[5000.0, -4000.0]]])  # one far out
    groups = np.array([f"K{k}" if k < 6 else None for k in rng.integers(0, 8, len(xy))], object)
    points = gpd.GeoSeries(gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=UTM)
    arrow = pd.array(groups, dtype="str")  # a column of ids as the store reads it
    assert isinstance(arrow, pd.arrays.ArrowStringArray)  # looked up by pyarrow
    for grp in (groups, arrow, None):
        got = snap(graph, points, grp)
        edge = graph.segments.edge[network._snap_segments(graph, xy, grp)]
        ties, least = _reference_nearest(graph, xy, None if grp is None else groups)
        assert all(e in t for e, t in zip(edge, ties, strict=True))
        assert (got.start == graph.edge_start[edge]).all()
        assert (got.end == graph.edge_end[edge]).all()
        np.testing.assert_allclose(got.link, least, rtol=0, atol=1e-9)
        along = shapely.line_locate_point(graph.edge_geoms[edge], points.to_numpy())
        np.testing.assert_allclose(got.along, along, rtol=0, atol=1e-9)
        np.testing.assert_allclose(got.rest, graph.edge_length[edge] - along, rtol=0, atol=1e-9)


def _reference_distances(graph: network.WalkGraph, sources: Snapped, limit: float) -> np.ndarray:
    """One Dijkstra over the whole matrix plus a virtual source (the plain way)."""
    n = graph.n_nodes
    nodes, cost = network.entry_costs(sources)
    extra = sparse.coo_matrix((cost, (np.full(len(nodes), n), nodes)), shape=(n + 1, n + 1))
    full = sparse.block_diag([graph.matrix, sparse.csr_matrix((1, 1))], format="csr")
    full = (full + extra + extra.T).tocsr()
    return csgraph.dijkstra(full, directed=False, indices=n, limit=limit)[:n]


def _forest_with_cycles(seed: int) -> gpd.GeoDataFrame:
    """Cycles with trees hanging off them, bare trees, a lone edge and chains: every shape
    the core and its trees can take."""
    rng = np.random.default_rng(seed)
    pts = rng.uniform(0, 2000, size=(300, 2))
    pts[:, 0] += np.repeat(np.arange(3) * 5000, 100)  # three islands
    edges = []
    for base in (0, 100, 200):
        # a random tree over the island's points (each node joins an earlier one) ...
        edges += [(base + i, base + int(rng.integers(0, i))) for i in range(1, 100)]
        # ... with a few shortcuts (cycles) on the first two islands only
        if base < 200:
            edges += [tuple(base + rng.choice(100, 2, replace=False)) for _ in range(6)]
    lines = [LineString([pts[a], pts[b]]) for a, b in edges]
    lines.append(LineString([(20_000, 0), (20_050, 0)]))  # a lone edge
    return gpd.GeoDataFrame({"compound_id": [None] * len(lines)}, geometry=lines, crs=UTM)


@pytest.mark.parametrize("seed", [4, 5, 6])
def test_core_search_is_the_same_as_one_dijkstra_over_everything(seed: int) -> None:
    graph = walk_graph(_forest_with_cycles(seed), crs=UTM)
    core = graph._core
    assert 0 < core.size < graph.n_nodes  # there is a core, and trees off it
    rng = np.random.default_rng(seed)
    for n_sources in (1, 5, 40):
        xy = rng.uniform(0, 15_000, size=(n_sources, 2))
        xy[:, 1] %= 2000
        pts = gpd.GeoSeries(gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=UTM)
        sources = snap(graph, pts)
        for limit in (150.0, 900.0, np.inf):
            got = multi_source_distances(graph, sources, limit=limit)
            want = _reference_distances(graph, sources, limit)
            np.testing.assert_array_equal(got, want)  # the same sums along the same paths


def test_peel_keeps_cycles_and_one_node_of_each_bare_tree() -> None:
    # a triangle 0-1-2 with a tail 2-3-4, and apart from it a path 5-6-7 and an edge 8-9
    roads = gpd.GeoDataFrame(
        geometry=[
            LineString([(0, 0), (100, 0)]),
            LineString([(100, 0), (50, 80)]),
            LineString([(50, 80), (0, 0)]),
            LineString([(50, 80), (50, 180)]),
            LineString([(50, 180), (50, 280)]),
            LineString([(500, 0), (600, 0)]),
            LineString([(600, 0), (700, 0)]),
            LineString([(900, 0), (950, 0)]),
        ],
        crs=UTM,
    )
    graph = walk_graph(roads, crs=UTM)
    core = graph._core
    xy = graph.xy[core.order[: core.size]]
    kept = {(round(x), round(y)) for x, y in xy}
    assert {(0, 0), (100, 0), (50, 80)} <= kept  # the cycle
    assert not {(50, 180), (50, 280)} & kept  # its tail is a tree
    assert len(kept & {(500, 0), (600, 0), (700, 0)}) == 1  # a bare tree keeps one node
    assert len(kept & {(900, 0), (950, 0)}) == 1
    assert core.rounds[-1].stop == graph.n_nodes  # every node is in the core or a round
    assert sorted(core.order) == list(range(graph.n_nodes))
    one = snap(graph, gpd.GeoSeries([Point(50, 280)], crs=UTM))
    d = multi_source_distances(graph, one)
    node = {(round(x), round(y)): i for i, (x, y) in enumerate(graph.xy)}
    assert d[node[(0, 0)]] == pytest.approx(100 + 100 + np.hypot(50, 80))
    assert np.isinf(d[node[(500, 0)]])


def test_walk_graph_merges_ends_within_a_centimetre_and_keeps_the_shorter_twin() -> None:
    roads = gpd.GeoDataFrame(
        {"compound_id": [None, "K", None, None, None, None, None, None]},
        geometry=[
            LineString([(0, 0), (100, 0)]),
            LineString([(100.004, 0.003), (100, 100)]),  # starts within 1 cm of (100, 0)
            LineString([(0, 0), (50, 60), (100, 100)]),  # two edges join the same nodes:
            LineString([(0, 0), (100, 100)]),  # the straight one is kept, the bend is not
            LineString([(0, 0), (0, 0)]),  # a loop of no length
            LineString(),  # empty: left out
            MultiLineString([[(100, 100), (150, 100)], [(150, 100), (200, 100)]]),  # merges
            None,
        ],
        crs=UTM,
    )
    graph = walk_graph(roads, crs=UTM)
    assert graph.n_nodes == 4  # (0,0), (100,0), (100,100), (200,100)
    assert len(graph.edge_start) == 6  # every usable row is an edge (for snapping) ...
    assert graph.matrix.nnz == 2 * 4  # ... but one per pair of nodes, none to itself
    a = np.flatnonzero(np.hypot(*(graph.xy - [0, 0]).T) < 1)[0]
    c = np.flatnonzero(np.hypot(*(graph.xy - [100, 100]).T) < 1)[0]
    assert graph.matrix[a, c] == pytest.approx(np.hypot(100, 100))
    assert list(graph.edge_compound[:2]) == [None, "K"]
    assert graph.edge_length[5] == pytest.approx(100)
    assert shapely.equals(graph.edge_geoms[0], LineString([(0, 0), (100, 0)]))
    with pytest.raises(ValidationError, match="no CRS"):
        walk_graph(roads.set_crs(None, allow_override=True))
    with pytest.raises(ValidationError, match="no road has a usable line"):
        walk_graph(roads.iloc[[5, 7]], crs=UTM)


def test_walk_graph_from_wgs84_measures_in_the_local_utm_zone() -> None:
    x, y = 500_000, 3_800_000  # near the middle of zone 49N (111 degrees east)
    lines = gpd.GeoSeries(
        [
            LineString([(x, y), (x + 300, y), (x + 300, y + 400)]),
            LineString([(x + 300, y + 400), (x, y)]),
        ],
        crs=UTM,
    )
    roads = gpd.GeoDataFrame(geometry=lines.to_crs("EPSG:4326"))
    graph = walk_graph(roads)
    assert graph.crs.to_epsg() == 32649
    np.testing.assert_allclose(graph.edge_length, [700, 500], atol=1e-6)
    back = gpd.GeoSeries(graph.edge_geoms, crs=graph.crs)
    assert back.geom_equals_exact(lines, tolerance=1e-6).all()


@pytest.mark.parametrize("epsg", [32649, 32750])  # 49N (China), 50S
def test_the_fast_utm_projection_is_within_a_fiftieth_of_a_millimetre_across_the_zone(
    epsg: int,
) -> None:
    # the engine projects WGS 84 to a UTM zone with PROJ's +approx transverse Mercator
    centre = (epsg % 100) * 6 - 183
    lon, lat = np.meshgrid(np.linspace(centre - 3, centre + 3, 61), np.linspace(0, 84, 85))
    lon, lat = lon.ravel(), lat.ravel() * (-1 if epsg > 32700 else 1)
    crs = pyproj.CRS.from_epsg(epsg)
    fast = transform_xy(lon, lat, "EPSG:4326", crs)
    exact = pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True).transform(lon, lat)
    assert np.hypot(fast[0] - exact[0], fast[1] - exact[1]).max() < 2e-5
    assert transformers(crs, crs) is None  # the same CRS: nothing to do
    # far outside the zone the fast series drifts: the exact projection is used there
    lon = np.array([centre - 20.0, centre])
    far = transform_xy(lon, np.array([60.0, 60.0]), "EPSG:4326", crs)
    want = pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True).transform(lon, [60, 60])
    np.testing.assert_array_equal(far, want)


def test_shared_vertices_are_projected_once_and_end_in_the_same_node() -> None:
    # four roads meeting at one junction, given in WGS 84: the junction is one node, and the
    # graph is the one built from the same roads projected beforehand
    x, y = 500_000, 3_800_000
    lines = gpd.GeoSeries(
        [
            LineString([(x, y), (x + 100, y)]),
            LineString([(x, y), (x, y + 100), (x + 50, y + 150)]),
            LineString([(x - 100, y), (x, y)]),
            LineString([(x, y - 100), (x, y)]),
        ],
        crs=UTM,
    )
    wgs = lines.to_crs("EPSG:4326")
    graph = walk_graph(gpd.GeoDataFrame(geometry=wgs))
    assert graph.n_nodes == 5
    junction = graph.edge_start[0]
    assert graph.edge_start[1] == junction == graph.edge_end[2] == graph.edge_end[3]
    np.testing.assert_allclose(graph.edge_length, [100, 100 + np.hypot(50, 50), 100, 100])
    np.testing.assert_allclose(graph.vertex_xy, shapely.get_coordinates(lines), atol=1e-4)


def test_distinct_vertices_survive_a_clash_of_their_hash_keys() -> None:
    coords = np.array([[112.5, 34.6], [112.6, 34.7], [112.5, 34.6], [113.0, 0.0]])
    # make the last point share the first one's key (both coordinates' bits in one int64)
    bits = coords.view(np.int64)
    mixed = bits[:, 0] * network._MIX  # arrays: the product wraps around, as in the engine
    bits[3, 1] = (mixed[0] ^ bits[0, 1]) ^ mixed[3]
    code, points = network._distinct(coords)
    assert code.tolist() == [0, 1, 0, 2]
    np.testing.assert_array_equal(points, coords[[0, 1, 3]])


def test_a_building_without_a_place_reaches_nothing_and_polygons_enter_inside() -> None:
    roads = gpd.GeoDataFrame(geometry=[LineString([(0, 0), (400, 0)])], crs=UTM)
    graph = walk_graph(roads, crs=UTM)
    el = Polygon([(100, 10), (140, 10), (140, 50), (120, 50), (120, 20), (100, 20)])
    houses = gpd.GeoSeries([el, None, Polygon()], crs=UTM)
    xy = network.point_xy(houses, graph.crs)
    assert Polygon(el).contains(Point(xy[0]))
    assert np.isnan(xy[1:]).all()
    homes = snap(graph, houses)
    assert homes.link[0] == pytest.approx(xy[0, 1])
    assert np.isinf(homes.link[1:]).all()
    corner = snap(graph, gpd.GeoSeries([Point(0, 0)], crs=UTM))
    assert np.isinf(homes.distances(multi_source_distances(graph, corner), corner)[1:]).all()
    # nor does a source without a place add anything
    lost = homes.subset(slice(1, None))
    assert np.isinf(multi_source_distances(graph, lost)).all()


@pytest.mark.parametrize("seed", [7, 8])
def test_distances_along_shared_edges_are_those_of_every_place_a_node(seed: int) -> None:
    # Many homes and sources on few edges (some at one spot, some at an edge's end), on a
    # network with loops, twins and compounds: the engine's sum of the way through the ends
    # and the way along a shared edge against networkx on the graph cut at every place.
    roads = _random_roads(seed, n=40, compounds=3)
    graph = walk_graph(roads, crs=UTM)
    rng = np.random.default_rng(seed)
    lines = roads.geometry.to_numpy()[rng.integers(0, len(roads), 300)]
    at = shapely.line_interpolate_point(
        lines, rng.choice([0.0, 0.3, 0.5, 1.0], 300), normalized=True
    )
    off = rng.uniform(-30, 30, size=(300, 2)) * rng.integers(0, 2, size=(300, 1))
    xy = shapely.get_coordinates(at) + off
    pts = gpd.GeoSeries(gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=UTM)
    homes, sources = snap(graph, pts[:240]), snap(graph, pts[240:])
    assert (np.bincount(sources.edge, minlength=len(roads)) > 2).any()
    for limit in (200.0, np.inf):
        got = homes.distances(multi_source_distances(graph, sources, limit=limit), sources)
        got[got > limit] = np.inf
        want = nx_point_distances(graph, homes, sources, limit=limit)
        assert (np.isfinite(got) == np.isfinite(want)).all()
        fin = np.isfinite(got)
        np.testing.assert_allclose(got[fin], want[fin], rtol=0, atol=1e-5)
