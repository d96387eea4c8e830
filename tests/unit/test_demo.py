"""Invariants of the generated demo street: what every page and analysis relies on."""

from __future__ import annotations

import datetime as dt
import hashlib
import sqlite3
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely

from mapgov.core.errors import StoreError, ValidationError
from mapgov.core.model import (
    ALLOWED_TRANSITIONS,
    HELP_CATEGORIES,
    FacilityKind,
    IssueStatus,
    PropertyMode,
    Star,
)
from mapgov.demo import build_demo, generate
from mapgov.store import Store
from tests.conftest import AS_OF, DEMO_PASSWORD, SEED

METRIC = "EPSG:32649"  # UTM 49N: Luoyang


def _m(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    return gdf.to_crs(METRIC)


def _within(
    inner: gpd.GeoDataFrame, outer: gpd.GeoDataFrame, key: str, tol: float = 0.01
) -> pd.Series:
    """For each row of `inner`, is it inside the row of `outer` whose id is inner[key]?"""
    o = _m(outer).set_index(outer.columns[0]).geometry
    i = _m(inner)
    parents = o.loc[i[key].to_numpy()].to_numpy()
    return pd.Series(
        shapely.covers(shapely.buffer(parents, tol), i.geometry.to_numpy()), index=inner.index
    )


def test_counts_are_those_of_a_street(demo_store: Store) -> None:
    counts = demo_store.counts()
    assert counts["street"] == 1
    assert counts["community"] == 4
    assert counts["grid"] == 12
    assert 35 <= counts["compound"] <= 45
    assert 300 <= counts["building"] <= 500
    assert 50 <= counts["facility"] <= 80
    assert 4500 <= counts["issue"] <= 5500
    assert counts["issue_event"] > 5 * counts["issue"]
    assert counts["resident_unit"] >= 15
    for table in (
        "unit_resource",
        "community_need",
        "co_project",
        "responsibility_zone",
        "branch_star",
        "gate",
        "road",
        "landuse",
    ):
        assert counts[table] > 0, table


def test_every_geometry_is_valid_and_non_empty(demo_store: Store) -> None:
    for name in (
        "street",
        "community",
        "grid",
        "compound",
        "building",
        "road",
        "gate",
        "facility",
        "landuse",
        "resident_unit",
    ):
        gdf = demo_store.read(name)
        assert gdf.crs.to_epsg() == 4326
        assert gdf.geometry.is_valid.all(), name
        assert not gdf.geometry.is_empty.any(), name


def test_places_nest_strictly(demo_store: Store) -> None:
    street = demo_store.read("street")
    community = demo_store.read("community")
    grid = demo_store.read("grid")
    compound = demo_store.read("compound")
    building = demo_store.read("building")
    assert _within(building, compound, "compound_id").all()
    assert _within(compound, grid, "grid_id").all()
    assert _within(grid, community, "community_id").all()
    assert _within(community, street, "street_id").all()
    # grids tile their community and communities tile the street (no gaps, no overlaps)
    cm = _m(community).set_index("community_id").geometry
    for cid, parts in _m(grid).groupby("community_id"):
        assert abs(parts.geometry.area.sum() - cm[cid].area) < 1.0
    assert abs(_m(community).area.sum() - _m(street).area.sum()) < 1.0


def test_buildings_and_compounds_do_not_overlap(demo_store: Store) -> None:
    for name in ("building", "compound"):
        gdf = _m(demo_store.read(name))
        pairs = gpd.sjoin(gdf, gdf, predicate="intersects")
        pairs = pairs[pairs.index != pairs["index_right"]]
        assert pairs.empty, f"{name}s overlap: {pairs.head()}"


def test_buildings_have_varied_footprints_and_heights(demo_store: Store) -> None:
    b = _m(demo_store.read("building"))
    assert b.area.min() > 150 and b.area.max() < 3000
    assert b.area.max() / b.area.min() > 2.5
    assert b.area.std() / b.area.mean() > 0.2
    assert b["floors"].nunique() >= 6
    assert (b["floors"] <= 7).any() and (b["floors"] >= 18).any()


def _graph(roads: gpd.GeoDataFrame) -> nx.Graph:
    g = nx.Graph()
    for line in roads.geometry:
        coords = shapely.get_coordinates(line)
        a, b = tuple(np.round(coords[0], 7)), tuple(np.round(coords[-1], 7))
        g.add_edge(a, b)
    return g


def test_walking_network_is_connected_and_reaches_every_gate(demo_store: Store) -> None:
    roads = demo_store.read("road")
    g = _graph(roads)
    assert nx.is_connected(g)
    nodes = set(g.nodes)
    gates = demo_store.read("gate")
    for pt in gates.geometry:
        assert (round(pt.x, 7), round(pt.y, 7)) in nodes
    assert set(demo_store.read("compound")["compound_id"]) == set(gates["compound_id"])


def test_roads_cross_the_river_only_on_bridges(demo_store: Store) -> None:
    water = _m(demo_store.read("landuse", where={"kind": "water"})).union_all()
    roads = _m(demo_store.read("road"))
    crossing = roads[roads.intersects(water)]
    assert len(crossing) > 0
    assert set(crossing["kind"]) == {"bridge"}


def test_facilities_cover_the_nine_kinds_and_leave_gaps(demo_store: Store) -> None:
    fac = demo_store.read("facility")
    assert set(fac["kind"]) == {k.value for k in FacilityKind}
    # some community lacks a kind that others have: a real gap for the life circle
    kinds_by_community = fac.groupby("community_id")["kind"].agg(set)
    assert any(len(k) < len(FacilityKind) for k in kinds_by_community)


def test_property_modes_have_realistic_shares(demo_store: Store) -> None:
    pm = demo_store.read("property_management")
    modes = pm["mode"].value_counts()
    assert set(modes.index) <= {m.value for m in PropertyMode}
    assert modes.get("company", 0) >= 0.25 * len(pm)
    three_nos = pm[
        (pm["mode"] == "none")
        & (pm["owners_committee"] == 0)
        & (pm["self_managed_committee"] == 0)
        & (pm["has_security"] == 0)
    ]
    assert 1 <= len(three_nos) <= 8
    assert 1 <= pm["red_property"].sum() < len(pm) / 2
    assert (pm.loc[pm["red_property"] == 1, "mode"] == "company").all()
    assert pm.loc[pm["mode"] == "none", "fee_collection_rate"].isna().all()


def test_party_organisation_mirrors_the_places(demo_store: Store) -> None:
    org = demo_store.read("party_org").set_index("org_id")
    comp = demo_store.read("compound")
    b = demo_store.read("building")
    assert comp["branch_id"].notna().mean() >= 0.75
    assert comp["branch_id"].dropna().map(org["level"]).eq("compound_branch").all()
    assert b["party_group_id"].notna().mean() >= 0.5
    assert b["party_group_id"].dropna().map(org["level"]).eq("building_group").all()
    # every parent exists, and a level only has parents above it
    parents = org["parent_id"].dropna()
    assert parents.isin(org.index).all()
    # community committee members add up to the party members living in the community
    grid = demo_store.read("grid")
    b = b.merge(comp[["compound_id", "grid_id"]]).merge(grid[["grid_id", "community_id"]])
    by_comm = b.groupby("community_id")["party_members"].sum()
    for cid, n in by_comm.items():
        assert org.loc[f"PO-{cid}", "member_count"] == n
    stars = demo_store.read("branch_star")
    assert set(stars["star"]) == {s.value for s in Star}
    per_branch = stars.groupby("org_id").size()
    assert per_branch.max() <= 5 and per_branch.nunique() >= 3


def test_responsibility_zones_hold_buildings_once(demo_store: Store) -> None:
    zb = demo_store.read("zone_building")
    assert zb["building_id"].is_unique
    zones = demo_store.read("responsibility_zone")
    assert set(zb["zone_id"]) == set(zones["zone_id"])
    assert 0.4 <= len(zb) / demo_store.counts()["building"] <= 0.95


def test_people_counts_are_plausible(demo_store: Store) -> None:
    b = demo_store.read("building")
    assert (b["elderly"] <= b["residents"]).all()
    ratio = b["residents"].sum() / b["households"].sum()
    assert 2.3 <= ratio <= 2.9  # 232 households ≈ 600 residents
    comp_hh = b.groupby("compound_id")["households"].sum()
    assert 150 <= comp_hh.median() <= 1200


def test_issue_ledger_is_consistent_with_its_history(demo_store: Store) -> None:
    issues = demo_store.read("issue").set_index("issue_id")
    events = demo_store.read("issue_event")
    last = events.sort_values(["issue_id", "event_id"]).groupby("issue_id").last()
    assert (last.loc[issues.index, "to_status"] == issues["status"]).all()
    assert (events.groupby("issue_id").size().loc[issues.index] == issues["version"]).all()
    # each event follows the lifecycle and time runs forward within an issue
    for frm, to in (
        events[["from_status", "to_status"]].dropna().drop_duplicates().itertuples(index=False)
    ):
        assert IssueStatus(to) in ALLOWED_TRANSITIONS[IssueStatus(frm)], (frm, to)
    ordered = events.sort_values(["issue_id", "event_id"])
    assert (ordered.groupby("issue_id")["at"].apply(lambda s: s.is_monotonic_increasing)).all()
    closed = issues[issues["status"] == "closed"]
    assert closed["closed_at"].notna().all() and closed["satisfaction"].notna().all()
    assert (closed["closed_at"] >= closed["resolved_at"]).all()
    closes = events[events["action"] == "close"]["issue_id"]
    callbacks_before = events[events["action"] == "callback"]["issue_id"]
    assert set(closes) <= set(callbacks_before)


def test_issue_timings_are_believable(demo_store: Store) -> None:
    issues = demo_store.read("issue")
    reported = pd.to_datetime(issues["reported_at"])
    assert reported.max() <= pd.Timestamp(AS_OF) + pd.Timedelta(hours=18)
    assert reported.min() >= pd.Timestamp(AS_OF) - pd.Timedelta(days=731)
    status = issues["status"].value_counts(normalize=True)
    assert status["closed"] > 0.85
    open_ = issues[issues["status"] != "closed"]
    assert len(open_) > 20
    assert (open_["deadline"] < AS_OF.isoformat()).sum() > 5  # some are overdue
    assert issues["reopen_count"].sum() > 0.03 * len(issues)
    level = issues["level"].value_counts(normalize=True)
    assert level["compound"] > 0.4  # small matters stay in the compound
    assert set(level.index) == {"compound", "grid", "community", "street"}
    # seasonal: July and August busier than February
    month = reported.dt.month
    assert month.isin([7, 8]).sum() / 2 > month.eq(2).sum() * 1.3
    help_ = issues["category"].isin([c.value for c in HELP_CATEGORIES])
    assert issues.loc[~help_, "category"].nunique() == 16
    assert issues.loc[help_, "category"].nunique() == len(HELP_CATEGORIES)


def test_issue_locations_lie_in_their_compound(demo_store: Store) -> None:
    issues = demo_store.read("issue")
    pts = gpd.GeoDataFrame(
        issues, geometry=gpd.points_from_xy(issues.lon, issues.lat), crs="EPSG:4326"
    )
    inside = _within(
        pts[["compound_id", "geometry"]], demo_store.read("compound"), "compound_id", tol=15.0
    )
    assert inside.mean() > 0.98


def _table_hashes(path: Path) -> dict[str, str]:
    con = sqlite3.connect(path)
    try:
        names = [
            r[0]
            for r in con.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        out = {}
        for name in names:
            h = hashlib.sha256()
            for row in con.execute(f"SELECT * FROM {name} ORDER BY 1"):
                h.update(repr(row).encode())
            out[name] = h.hexdigest()
        return out
    finally:
        con.close()


def test_same_seed_gives_byte_identical_tables(demo_db: Path, tmp_path: Path) -> None:
    # accounts too: the fixture's password is hashed with salts drawn from the seed
    again = build_demo(tmp_path / "again.sqlite", seed=SEED, as_of=AS_OF, password=DEMO_PASSWORD)
    assert _table_hashes(again) == _table_hashes(demo_db)


def test_accounts_and_the_wall_token_are_not_stamped_after_their_build(
    demo_store: Store,
) -> None:
    """Accounts take the real time, not the demo's pinned 18:00: a demo built this morning
    (the CLI's as-of day is today) showed them changed at 18:00 today, hours ahead."""
    made = dt.datetime.combine(AS_OF, dt.time()).isoformat()
    users = demo_store.read("app_user")
    tokens = demo_store.read("display_token")
    stamps = {*users["created_at"], *users["changed_at"], *tokens["created_at"]}
    assert stamps == {made}


def test_other_seed_gives_another_street(tmp_path: Path) -> None:
    a = generate(seed=1, as_of=AS_OF)
    b = generate(seed=2, as_of=AS_OF)
    area_a = a["building"].to_crs(METRIC).area.sum()
    area_b = b["building"].to_crs(METRIC).area.sum()
    assert abs(area_a - area_b) > 1.0
    assert not a["issue"]["title"].equals(b["issue"]["title"])


def test_scale_lays_out_more_streets_keeping_the_first(demo_store: Store) -> None:
    two = generate(seed=SEED, scale=2, as_of=AS_OF)
    assert len(two["street"]) == 2
    assert len(two["community"]) == 8
    first = two["building"][two["building"]["building_id"].str.startswith("S001-")]
    first = first.sort_values("building_id")
    one = demo_store.read("building")
    assert list(first["building_id"]) == list(one["building_id"])
    assert shapely.equals_exact(
        first.geometry.to_numpy(), one.geometry.to_numpy(), tolerance=1e-7
    ).all()
    assert nx.is_connected(_graph(two["road"]))
    assert not two["road"].geometry.is_empty.any()  # nothing vanishes at 1 cm precision


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"seed": -1}, "seed"),
        ({"seed": "x"}, "seed"),
        ({"scale": 0}, "scale"),
        ({"scale": 100_000}, "scale"),
    ],
)
def test_bad_arguments_are_refused(kwargs: dict[str, object], match: str, tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match=match):
        build_demo(tmp_path / "x.sqlite", as_of=AS_OF, **kwargs)  # type: ignore[arg-type]
    assert not (tmp_path / "x.sqlite").exists()


def test_unwritable_target_leaves_existing_database(demo_db: Path, tmp_path: Path) -> None:
    target = tmp_path / "kept.sqlite"
    target.write_bytes(demo_db.read_bytes())
    before = hashlib.sha256(target.read_bytes()).hexdigest()
    with pytest.raises(StoreError, match="does not exist"):
        build_demo(tmp_path / "missing-dir" / "x.sqlite", as_of=AS_OF)
    assert hashlib.sha256(target.read_bytes()).hexdigest() == before
    assert dt.date.fromisoformat(str(AS_OF))  # the fixture's date is a real date
