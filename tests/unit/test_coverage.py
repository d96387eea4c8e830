"""The life-circle engine on hand-made networks with known answers, and on the demo street."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from scipy.sparse import csgraph
from shapely.geometry import LineString, Point, box

from mapgov.cli import main
from mapgov.core.errors import ValidationError
from mapgov.domain.lifecircle import coverage, siting
from mapgov.domain.lifecircle.network import multi_source_distances, snap, walk_graph
from mapgov.domain.lifecircle.reference import nx_multi_source_distances, nx_point_distances
from mapgov.io.exports import frame_bytes
from mapgov.store import Store

UTM = "EPSG:32649"


def _roads(
    *lines: tuple[tuple[float, float], ...], compound: list[str | None] | None = None
) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"compound_id": compound or [None] * len(lines)},
        geometry=[LineString(line) for line in lines],
        crs=UTM,
    )


def _points(
    ids: list[str], xy: list[tuple[float, float]], **cols: list[object]
) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"building_id": ids, **cols}, geometry=[Point(x, y) for x, y in xy], crs=UTM
    )


def _facilities(kinds: list[str], xy: list[tuple[float, float]]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"kind": kinds}, geometry=[Point(x, y) for x, y in xy], crs=UTM)


def test_a_wall_makes_the_walk_longer_than_the_crow_flies() -> None:
    # A wall along x = 50 between y = -200 and 200: the only way round is over y = 200.
    roads = _roads(((0, -200), (0, 200)), ((0, 200), (100, 200)), ((100, 200), (100, -200)))
    graph = walk_graph(roads, crs=UTM)
    home = _points(["B"], [(0, 0)])
    clinic = _facilities(["clinic"], [(100, 0)])
    net = coverage.building_distances(graph, home, clinic, kinds=["clinic"])
    straight = coverage.building_distances(graph, home, clinic, kinds=["clinic"], method="straight")
    assert net.loc["B", "clinic"] == pytest.approx(200 + 100 + 200)
    assert straight.loc["B", "clinic"] == pytest.approx(100)


def test_just_inside_and_just_outside_the_threshold_with_two_kinds() -> None:
    roads = _roads(((0, 0), (1000, 0)))
    graph = walk_graph(roads, crs=UTM)
    homes = _points(["in", "out", "link"], [(299, 0), (301, 0), (290, 5)])
    fac = _facilities(["canteen", "market"], [(0, 0), (1000, 0)])
    d = coverage.building_distances(graph, homes, fac, kinds=["canteen", "market"], limit=700)
    assert d.loc["in", "canteen"] == pytest.approx(299)
    assert d.loc["out", "canteen"] == pytest.approx(301)
    assert d.loc["link", "canteen"] == pytest.approx(290 + 5)  # along the road, then the link
    assert d.loc["in", "market"] == pytest.approx(701, abs=2) or np.isinf(d.loc["in", "market"])
    assert d.loc["out", "market"] == pytest.approx(699)
    assert np.isinf(d.loc["in", "market"])  # 701 m is beyond the search limit of 700 m


def test_an_unreachable_island_is_never_covered() -> None:
    roads = _roads(((0, 0), (100, 0)), ((500, 0), (600, 0)))
    graph = walk_graph(roads, crs=UTM)
    assert len(set(graph.components())) == 2
    homes = _points(["near", "island"], [(50, 1), (550, 1)])
    fac = _facilities(["clinic"], [(0, 0)])
    d = coverage.building_distances(graph, homes, fac, kinds=["clinic"])
    assert d.loc["near", "clinic"] == pytest.approx(51)
    assert np.isinf(d.loc["island", "clinic"])
    none = coverage.building_distances(graph, homes, fac, kinds=["market"])
    assert np.isinf(none["market"]).all()  # no facility of the kind at all


def test_a_building_enters_through_its_own_compound() -> None:
    # The street runs past the compound's fence; the compound's gate is 200 m further on.
    # (roads are split at every junction, as the store keeps them)
    roads = _roads(
        ((0, 0), (300, 0)),
        ((300, 0), (400, 0)),
        ((300, 0), (300, 20)),
        ((300, 20), (100, 20)),
        compound=[None, None, "K", "K"],
    )
    graph = walk_graph(roads, crs=UTM)
    home = _points(["B"], [(100, 30)], compound_id=["K"])
    fac = _facilities(["clinic"], [(100, 0)])
    d = coverage.building_distances(graph, home, fac, kinds=["clinic"])
    # 10 m to the compound's path, 200 m to the gate, 20 m out, 200 m back along the street
    assert d.loc["B", "clinic"] == pytest.approx(10 + 200 + 20 + 200)


def test_thresholds_follow_the_profile_and_the_overrides() -> None:
    profile = coverage.load_profile()
    assert profile.tiers == {5: 300, 10: 500, 15: 1000}
    base = coverage.thresholds(profile)
    assert base["canteen"] == 300 and base["primary_school"] == 500
    assert set(base) == set(coverage.KINDS)
    assert coverage.thresholds(profile, tier=15)["canteen"] == 1000
    assert coverage.thresholds(profile, metres=450)["market"] == 450
    assert coverage.thresholds(profile, minutes=10, speed=60)["clinic"] == 600
    assert coverage.thresholds(profile, minutes=10)["clinic"] == 10 * profile.walking_speed
    mixed = coverage.thresholds(
        profile, kinds=["clinic", "market"], tier=5, overrides={"market": 650}
    )
    assert mixed == {"clinic": 300, "market": 650}
    for kw, match in (
        ({"kinds": ["spa"]}, "unknown facility kinds"),
        ({"tier": 7}, "tier must be"),
        ({"minutes": 5, "speed": 120}, "walking speed"),
        ({"metres": 0}, "positive"),
    ):
        with pytest.raises(ValidationError, match=match):
            coverage.thresholds(profile, **kw)  # type: ignore[arg-type]


def test_network_agrees_with_plain_networkx_on_the_demo(demo_store: Store) -> None:
    graph = walk_graph(demo_store.read("road"))
    b = demo_store.read("building")
    fac = demo_store.read("facility")
    homes = snap(graph, b, b["compound_id"].to_numpy())
    fsnap = snap(graph, fac)
    for kind in coverage.KINDS:
        sub = fsnap.subset(fac["kind"].to_numpy() == kind)
        fast = homes.distances(multi_source_distances(graph, sub, limit=1000), sub)
        ref = homes.distances(nx_multi_source_distances(graph, sub, limit=1000), sub)
        both = np.isfinite(fast) & np.isfinite(ref)
        assert (np.isfinite(fast) == np.isfinite(ref)).all(), kind
        np.testing.assert_allclose(fast[both], ref[both], rtol=1e-9, atol=1e-6)
        # every place a node of its own on its cut edge: the plain reading of the walk
        plain = nx_point_distances(graph, homes, sub, limit=1000)
        within = np.where(fast <= 1000, fast, np.inf)
        assert (np.isfinite(within) == np.isfinite(plain)).all(), kind
        np.testing.assert_allclose(within[np.isfinite(plain)], plain[np.isfinite(plain)], atol=1e-5)


def test_coverage_table_and_summary_add_up(demo_store: Store) -> None:
    limits = coverage.thresholds(coverage.load_profile(), tier=10)
    table = coverage.coverage_table(demo_store, limits)
    assert len(table) == demo_store.counts()["building"]
    straight = coverage.coverage_table(demo_store, limits, method="straight")
    for kind in limits:
        # walking is never shorter than the straight line
        d_net = table[f"dist_{kind}"].to_numpy()
        d_str = straight[f"dist_{kind}"].to_numpy()
        finite = np.isfinite(d_net)
        assert (d_net[finite] >= d_str[finite] - 1e-6).all()
        assert straight[f"covered_{kind}"].sum() >= table[f"covered_{kind}"].sum()
    summary = coverage.summarize(table, limits)
    whole = summary[summary["community_id"] == "ALL"].set_index("kind")
    for kind in limits:
        covered = table[f"covered_{kind}"]
        assert whole.loc[kind, "residents_covered"] == table.loc[covered, "residents"].sum()
        parts = summary[(summary["community_id"] != "ALL") & (summary["kind"] == kind)]
        assert parts["residents_covered"].sum() == whole.loc[kind, "residents_covered"]
    complete = table["complete"]
    expected = table.loc[complete, "residents"].sum() / table["residents"].sum()
    assert whole["share_complete"].iloc[0] == pytest.approx(expected)
    # the demo has real gaps: some community misses some kind entirely within 500 m
    per = summary[summary["community_id"] != "ALL"]
    assert (per["share_residents"] < 0.05).any()


def test_service_area_follows_the_network_not_a_circle(demo_store: Store) -> None:
    graph = walk_graph(demo_store.read("road"))
    fac = demo_store.read("facility")
    clinics = fac[fac["kind"] == "clinic"]
    areas = coverage.service_areas(graph, clinics, 300).to_crs(UTM)
    circle = np.pi * 300**2
    assert (areas.area > 5_000).all() and (areas.area < 0.6 * circle).all()
    points = clinics.to_crs(UTM).geometry.to_numpy()
    assert all(a.covers(p) for a, p in zip(areas.geometry, points, strict=True))


def test_siting_finds_the_known_best_pair_where_greedy_does_not() -> None:
    # Homes at x = 0, 100, ..., 500 on one road. A site at 250 reaches the four in the middle;
    # sites at 50 and 450 together reach all six. Greedy takes 250 first and then adds one.
    xs = [0, 100, 200, 300, 400, 500]
    roads = _roads(
        ((-10, 0), (50, 0)), ((50, 0), (250, 0)), ((250, 0), (450, 0)), ((450, 0), (510, 0))
    )
    graph = walk_graph(roads, crs=UTM)
    homes = snap(graph, _points([f"h{x}" for x in xs], [(x, 0) for x in xs]))
    residents = np.full(6, 100)
    covered = np.zeros(6, dtype=bool)
    ids = np.array([f"h{x}" for x in xs])
    exact = siting.best_sites(graph, homes, residents, covered, metres=150, k=2, building_ids=ids)
    greedy = siting.best_sites(
        graph, homes, residents, covered, metres=150, k=2, building_ids=ids, exact=False
    )
    assert exact.method == "exact" and greedy.method == "greedy"
    assert exact.sites["cumulative_residents"].iloc[-1] == 600
    assert greedy.sites["cumulative_residents"].iloc[-1] == 500
    assert exact.uncovered_residents == 600
    xs_chosen = sorted(round(p.x) for p in exact.sites.to_crs(UTM).geometry)
    assert xs_chosen == [50, 450]
    assert sorted([b for bs in exact.sites["buildings"] for b in bs]) == sorted(ids)
    with pytest.raises(ValidationError, match="k must be"):
        siting.best_sites(graph, homes, residents, covered, metres=150, k=0, building_ids=ids)


def test_siting_skips_covered_buildings_and_adds_residents_on_the_demo(demo_store: Store) -> None:
    limits = coverage.thresholds(coverage.load_profile(), kinds=["canteen"])
    table = coverage.coverage_table(demo_store, limits)
    graph = walk_graph(demo_store.read("road"))
    homes = snap(graph, table, table["compound_id"].to_numpy())
    result = siting.best_sites(
        graph,
        homes,
        table["residents"].to_numpy(),
        table["covered_canteen"].to_numpy(),
        metres=300,
        k=3,
        building_ids=table["building_id"].to_numpy(),
    )
    added = {b for bs in result.sites["buildings"] for b in bs}
    assert not added & set(table.loc[table["covered_canteen"], "building_id"])
    assert (result.sites["added_residents"].diff().dropna() <= 0).all()
    assert result.sites["cumulative_residents"].iloc[-1] <= result.uncovered_residents
    assert result.sites["added_residents"].iloc[0] > 0


def test_cli_coverage_writes_the_table_and_prints_the_summary(
    demo_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "cov.csv"
    assert (
        main(
            [
                "coverage",
                "--db",
                str(demo_db),
                "--kind",
                "canteen",
                "--kind",
                "market",
                "--tier",
                "10",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    text = capsys.readouterr().out
    assert "canteen=500m" in text and "market=500m" in text and "ALL" in text
    table = pd.read_csv(out, encoding="utf-8-sig")
    assert {"building_id", "dist_canteen", "covered_market", "complete"} <= set(table.columns)
    assert main(["coverage", "--db", str(demo_db), "--kind", "spa"]) == 1
    assert "unknown facility kinds" in capsys.readouterr().err


def test_exports_keep_chinese_text_and_blank_out_unreachable(tmp_path: Path) -> None:
    frame = gpd.GeoDataFrame(
        {"name": ["幸福小区"], "dist": [np.inf], "ids": [["a", "b"]]},
        geometry=[box(0, 0, 1, 1)],
        crs="EPSG:4326",
    )
    csv = frame_bytes(frame, ".csv").decode("utf-8-sig")
    assert "幸福小区" in csv and "inf" not in csv and "a、b" in csv
    geo = frame_bytes(frame, ".geojson").decode("utf-8")
    assert '"dist": null' in geo and "幸福小区" in geo
    xlsx = tmp_path / "x.xlsx"
    xlsx.write_bytes(frame_bytes(frame, ".xlsx"))
    assert pd.read_excel(xlsx).loc[0, "name"] == "幸福小区"
    with pytest.raises(ValidationError, match="unknown output format"):
        frame_bytes(frame, ".txt")


def _summarize_loop(table: pd.DataFrame, kinds: list[str], by: str) -> pd.DataFrame:
    """The plain reading of coverage.summarize: a loop over the groups (and ALL), in order."""
    rows = []
    whole = table.assign(**{by: "ALL"})
    for frame in (table, whole):
        for group, g in frame.groupby(by, sort=True):
            res, eld = g["residents"].to_numpy(), g["elderly"].to_numpy()
            complete = g["complete"].to_numpy() if "complete" in g else None
            for kind in kinds:
                cov = g[f"covered_{kind}"].to_numpy()
                rows.append(
                    {
                        by: group,
                        "kind": kind,
                        "buildings": len(g),
                        "buildings_covered": int(cov.sum()),
                        "share_buildings": float(cov.mean()),
                        "residents": int(res.sum()),
                        "residents_covered": int(res[cov].sum()),
                        "share_residents": float(res[cov].sum() / res.sum())
                        if res.sum()
                        else np.nan,
                        "elderly": int(eld.sum()),
                        "elderly_covered": int(eld[cov].sum()),
                        "share_elderly": float(eld[cov].sum() / eld.sum()) if eld.sum() else np.nan,
                        "share_complete": float(res[complete].sum() / res.sum())
                        if complete is not None and res.sum()
                        else np.nan,
                    }
                )
    return pd.DataFrame(rows)


def test_summarize_gives_what_a_loop_over_the_groups_gives() -> None:
    table = pd.DataFrame(
        {
            # c2 before c1 in the table, a building without a community, a community without
            # residents, one without elderly
            "community_id": ["c2", "c1", "c2", None, "c3", "c1", "c4"],
            "residents": [120, 80, 40, 30, 0, 10, 55],
            "elderly": [20, 0, 5, 3, 0, 0, 0],
            "covered_clinic": [True, False, True, True, False, True, False],
            "covered_market": [False, False, True, True, True, True, True],
        }
    )
    table["complete"] = table["covered_clinic"] & table["covered_market"]
    kinds = ["market", "clinic"]  # not in alphabetical order: rows follow the order given
    got = coverage.summarize(table, kinds)
    pd.testing.assert_frame_equal(got, _summarize_loop(table, kinds, "community_id"))
    assert list(got["community_id"].unique()) == ["c1", "c2", "c3", "c4", "ALL"]
    whole = got[got["community_id"] == "ALL"].set_index("kind")
    assert whole.loc["clinic", "residents_covered"] == 120 + 40 + 30 + 10  # with the lone one
    plain = table.drop(columns="complete")
    pd.testing.assert_frame_equal(
        coverage.summarize(plain, ["clinic"]), _summarize_loop(plain, ["clinic"], "community_id")
    )
    assert coverage.summarize(plain, ["clinic"])["share_complete"].isna().all()
    numbered = table.assign(grid=[3, 1, 3, 2, 2, 1, 3])
    pd.testing.assert_frame_equal(
        coverage.summarize(numbered, kinds, by="grid"), _summarize_loop(numbered, kinds, "grid")
    )
    empty = coverage.summarize(table.iloc[0:0], kinds)
    assert empty.empty
    assert list(empty.columns) == ["community_id", "kind", *coverage.SUMMARY_COLUMNS]


def test_siting_weighs_no_more_candidates_than_its_cap() -> None:
    xs = [0, 100, 200, 300, 400, 500]
    roads = _roads(
        ((-10, 0), (50, 0)),
        ((50, 0), (250, 0)),
        ((250, 0), (450, 0)),
        ((450, 0), (510, 0)),
        ((510, 0), (3000, 0)),  # a candidate at 3 km reaches nobody and does not count
    )
    graph = walk_graph(roads, crs=UTM)
    homes = snap(graph, _points([f"h{x}" for x in xs], [(x, 0) for x in xs]))
    args = (graph, homes, np.full(6, 100), np.zeros(6, dtype=bool))
    kw = {"metres": 150.0, "k": 2, "building_ids": np.array([f"h{x}" for x in xs])}
    everything = siting.candidate_nodes(graph)
    assert len(everything) == 6
    with pytest.raises(ValidationError, match=r"5 candidate sites lie within 150 m.* than the 4"):
        siting.best_sites(*args, **kw, max_candidates=4)
    result = siting.best_sites(*args, **kw, max_candidates=5)
    assert result.sites["cumulative_residents"].iloc[-1] == 600


def test_reach_is_the_plain_search_from_every_candidate(demo_store: Store) -> None:
    graph = walk_graph(demo_store.read("road"))
    b = demo_store.read("building")
    homes = snap(graph, b, b["compound_id"].to_numpy())
    candidates = siting.candidate_nodes(graph)
    got = siting._reach(graph, candidates, homes, 300.0)
    d = csgraph.dijkstra(graph.matrix, directed=False, indices=candidates, limit=300.0)
    via = np.minimum(d[:, homes.start] + homes.along, d[:, homes.end] + homes.rest)
    want = homes.link[None, :] + via <= 300.0
    assert got.shape == want.shape and got.nnz > 0
    np.testing.assert_array_equal(got.toarray(), want)


def test_a_building_and_a_facility_on_one_road_piece_walk_along_it() -> None:
    # One piece of 1,000 m from a junction at x = 0 to one at x = 1000 (a second road from
    # each end makes them junctions); nothing else on it. A home at x = 400 (10 m off the
    # road) and a clinic at x = 600 (5 m off): 10 + 200 + 5, not out to an end and back.
    roads = _roads(
        ((0, 0), (1000, 0)),
        ((0, 0), (0, 300)),
        ((1000, 0), (1000, 300)),
        ((0, 300), (1000, 300)),
    )
    graph = walk_graph(roads, crs=UTM)
    homes = _points(["B", "C", "D"], [(400, 10), (900, 1), (700, -2)])
    fac = _facilities(
        ["clinic", "market", "market"],
        [(600, 5), (500, 100), (300, 1)],  # the first market stands nearer the other road
    )
    d = coverage.building_distances(graph, homes, fac, kinds=["clinic", "market"])
    assert d.loc["B", "clinic"] == pytest.approx(10 + 200 + 5)
    assert d.loc["C", "clinic"] == pytest.approx(1 + 300 + 5)  # the other way along
    assert d.loc["D", "clinic"] == pytest.approx(2 + 100 + 5)
    # the market at (300, 1) is on the home's piece, the one at (500, 100) is not: along the
    # piece from B is 1 + 100 + 10
    assert d.loc["B", "market"] == pytest.approx(10 + 100 + 1)
    # the networkx baseline gives the same, independently (every place a node of its own)
    kinds = fac["kind"].to_numpy()
    b_snap, f_snap = snap(graph, homes), snap(graph, fac)
    for kind in ("clinic", "market"):
        sources = f_snap.subset(kinds == kind)
        fast = b_snap.distances(multi_source_distances(graph, sources), sources)
        ref = nx_point_distances(graph, b_snap, sources)
        np.testing.assert_allclose(fast, d[kind].to_numpy(), rtol=0, atol=1e-9)
        np.testing.assert_allclose(ref, fast, rtol=0, atol=1e-9)


def test_along_one_piece_the_best_source_may_be_the_farther_one() -> None:
    # A loop piece (a ring path that starts and ends at one node) and a piece with two
    # facilities on it: the nearer one along the road stands 150 m off it.
    roads = _roads(
        ((0, 0), (400, 0)),
        ((400, 0), (400, 400), (0, 400), (0, 0)),  # the ring's other half: another piece
        ((400, 0), (600, 0), (600, -200), (400, -200), (400, 0)),  # a loop piece
    )
    graph = walk_graph(roads, crs=UTM)
    homes = _points(["H", "L"], [(200, 3), (600, -100)])
    fac = _facilities(
        ["clinic", "clinic", "canteen"], [(210, 150), (100, 1), (500, -201)]
    )  # the canteen on the loop: 100 m on from its corner at (600, -200)
    d = coverage.building_distances(graph, homes, fac, kinds=["clinic", "canteen"])
    assert d.loc["H", "clinic"] == pytest.approx(3 + 100 + 1)  # not 3 + 10 + 150
    # on the loop, from (600, -100): 100 m down, 100 m along to (500, -200), 1 m off
    assert d.loc["L", "canteen"] == pytest.approx(100 + 100 + 1)
    b_snap, f_snap = snap(graph, homes), snap(graph, fac)
    for kind in ("clinic", "canteen"):
        sources = f_snap.subset(fac["kind"].to_numpy() == kind)
        np.testing.assert_allclose(
            nx_point_distances(graph, b_snap, sources), d[kind].to_numpy(), rtol=0, atol=1e-9
        )


def test_service_area_reaches_both_ways_along_the_facility_s_own_piece() -> None:
    roads = _roads(((0, 0), (1000, 0)))
    graph = walk_graph(roads, crs=UTM)
    fac = _facilities(["clinic"], [(500, 0)])
    area = coverage.service_areas(graph, fac, 300).to_crs(UTM).geometry.iloc[0]
    assert area.covers(Point(250, 0)) and area.covers(Point(750, 0))
    assert not area.covers(Point(150, 0)) and not area.covers(Point(850, 0))


def test_siting_counts_a_home_covered_along_its_own_piece_as_covered() -> None:
    roads = _roads(((0, 0), (1000, 0)), ((1000, 0), (1400, 0)))
    graph = walk_graph(roads, crs=UTM)
    homes = _points(["near", "far"], [(450, 0), (1300, 0)], residents=[100, 100])
    fac = _facilities(["clinic"], [(550, 0)])
    d = coverage.building_distances(graph, homes, fac, kinds=["clinic"])
    covered = d["clinic"].to_numpy() <= 300
    assert covered.tolist() == [True, False]  # 100 m along the piece, not 450 + 550
    result = siting.best_sites(
        graph,
        snap(graph, homes),
        np.array([100, 100]),
        covered,
        metres=300,
        k=1,
        building_ids=np.array(["near", "far"]),
    )
    assert result.uncovered_residents == 100
    assert [b for bs in result.sites["buildings"] for b in bs] == ["far"]
