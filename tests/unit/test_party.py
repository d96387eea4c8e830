"""Party coverage: figures on a hand-counted fixture, gap lists, the printable summary, edits."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from mapgov.core.errors import PermissionDeniedError, ValidationError
from mapgov.core.model import Star
from mapgov.domain import party
from mapgov.domain.users import User, get_user
from mapgov.store import FormVersion, Store, open_store
from mapgov.views import party_print as partyprint

NOW = dt.datetime(2026, 11, 16, 10, 0)


def _frames() -> party.GovFrames:
    """Two communities. C1/G1: K1 (own branch, 3 stars, company + owners' committee: joint
    mechanism, red property), K2 (joint branch J with K3, 5 stars); C1/G2: K3 (joint J), K4 (no
    branch, three-nos). C2/G3: K5 (no branch, self-managed)."""
    star_cols = {f"star_{s.value}": [] for s in Star}
    comps = pd.DataFrame(
        {
            "compound_id": ["K1", "K2", "K3", "K4", "K5"],
            "name": ["一号院", "二号院", "三号院", "四号院", "<b>五号院</b>"],
            "grid_id": ["G1", "G1", "G2", "G2", "G3"],
            "community_id": ["C1", "C1", "C1", "C1", "C2"],
            "street_id": ["S1"] * 5,
            "branch_id": ["B1", "J", "J", None, None],
            "stars": [3, 5, 5, 0, 0],
            "mode": ["company", "company", "owners_committee", "none", "self_managed"],
            "red_property": [1, 0, 0, 0, 0],
            "owners_committee": [1, 0, 1, 0, 0],
            "self_managed_committee": [0, 0, 0, 0, 1],
            "has_security": [1, 1, 1, 0, 0],
            "buildings": [2, 1, 1, 1, 1],
            "households": [60, 30, 20, 10, 40],
            "residents": [150, 80, 50, 25, 100],
        }
    )
    held = {
        "B1": {"strong_branch", "serving_people", "safety_rule_of_law"},
        "J": {s.value for s in Star},
    }
    for s in Star:
        star_cols[f"star_{s.value}"] = [
            s.value in held.get(b, set()) if b else False for b in comps["branch_id"]
        ]
    comps = comps.assign(**star_cols)
    comps["three_nos"] = [False, False, False, True, False]
    comps["joint_mechanism"] = [True, False, False, False, False]
    blds = pd.DataFrame(
        {
            "building_id": ["b1", "b2", "b3", "b4", "b5", "b6"],
            "compound_id": ["K1", "K1", "K2", "K3", "K4", "K5"],
            "name": ["1号楼", "2号楼", "1号楼", "1号楼", "1号楼", "1号楼"],
            "grid_id": ["G1", "G1", "G1", "G2", "G2", "G3"],
            "community_id": ["C1", "C1", "C1", "C1", "C1", "C2"],
            "street_id": ["S1"] * 6,
            "households": [30, 30, 30, 20, 10, 40],
            "residents": [75, 75, 80, 50, 25, 100],
            "elderly": [10] * 6,
            "party_members": [3, 1, 4, 2, 0, 2],
            "has_group": [True, False, True, True, False, False],
            "has_head": [True, True, True, False, False, True],
            "in_zone": [True, True, False, True, False, False],
        }
    )
    geo = [box(0, 0, 1, 1)]
    return party.GovFrames(
        compounds=gpd.GeoDataFrame(comps, geometry=geo * len(comps), crs="EPSG:4326"),
        buildings=gpd.GeoDataFrame(blds, geometry=geo * len(blds), crs="EPSG:4326"),
    )


def test_figures_by_community_match_the_hand_count() -> None:
    figs = party.coverage_figures(_frames()).set_index("community_id")
    c1 = figs.loc["C1"]
    assert c1["compounds"] == 4 and c1["with_branch"] == 3
    assert c1["share_branch"] == pytest.approx(3 / 4)
    assert c1["buildings"] == 5
    assert c1["share_group"] == pytest.approx(3 / 5)
    assert c1["share_head"] == pytest.approx(3 / 5)
    assert c1["share_zone"] == pytest.approx(3 / 5)
    assert c1["members_per_100_households"] == pytest.approx(100 * 10 / 120)
    # branches counted once: B1 (3 stars) and the joint J (5 stars)
    assert (c1["stars_3"], c1["stars_5"], c1["stars_0"]) == (1, 1, 0)
    assert c1["star_strong_branch"] == 2 and c1["star_co_building_sharing"] == 1
    assert (c1["mode_company"], c1["mode_none"], c1["mode_owners_committee"]) == (2, 1, 1)
    assert (c1["red_property"], c1["three_nos"], c1["joint_mechanism"]) == (1, 1, 1)
    c2 = figs.loc["C2"]
    assert c2["share_branch"] == 0 and c2["mode_self_managed"] == 1
    everything = figs.loc["ALL"]
    assert everything["compounds"] == 5 and everything["share_branch"] == pytest.approx(3 / 5)
    assert everything["share_group"] == pytest.approx(3 / 6)


def test_figures_by_grid_and_street() -> None:
    grid = party.coverage_figures(_frames(), by="grid_id").set_index("grid_id")
    assert grid.loc["G2", "share_branch"] == pytest.approx(1 / 2)
    assert grid.loc["G2", "share_head"] == 0
    street = party.coverage_figures(_frames(), by="street_id").set_index("street_id")
    assert street.loc["S1", "buildings"] == 6
    with pytest.raises(ValidationError, match="by must be"):
        party.coverage_figures(_frames(), by="building_id")


def test_gap_lists_are_sorted_by_residents() -> None:
    gaps = party.gap_lists(_frames())
    assert list(gaps["no_branch"]["compound_id"]) == ["K5", "K4"]  # 100 then 25 residents
    assert list(gaps["no_group"]["building_id"]) == ["b6", "b2", "b5"]
    assert list(gaps["no_head"]["building_id"]) == ["b4", "b5"]
    assert list(gaps["no_zone"]["building_id"]) == ["b6", "b3", "b5"]
    assert list(gaps["three_nos"]["compound_id"]) == ["K4"]
    only_c2 = party.gap_lists(_frames(), community_id="C2")
    assert list(only_c2["no_group"]["building_id"]) == ["b6"]


def test_printable_summary_is_escaped_and_complete() -> None:
    page = partyprint.community_summary_html(
        _frames(),
        "C2",
        title="<script>x</script>社区",
        labels={"no_branch": "无党支部小区"},
        today=dt.date(2026, 11, 15),
    )
    assert "<script>x</script>" not in page and "&lt;script&gt;" in page
    assert "&lt;b&gt;五号院&lt;/b&gt;" in page
    assert "无党支部小区 (1)" in page and "2026-11-15" in page
    with pytest.raises(ValidationError, match="no community"):
        partyprint.community_summary_html(
            _frames(), "C9", title="x", labels={}, today=dt.date(2026, 11, 15)
        )


def test_demo_street_figures_are_consistent(demo_store: Store) -> None:
    frames = party.load(demo_store, street_id="S001")
    figs = party.coverage_figures(frames).set_index("community_id")
    comp = demo_store.read("compound")
    assert figs.loc["ALL", "compounds"] == len(comp)
    assert figs.loc["ALL", "with_branch"] == comp["branch_id"].notna().sum()
    zb = demo_store.read("zone_building")
    assert figs.loc["ALL", "share_zone"] == pytest.approx(len(zb) / len(frames.buildings))
    stars = sum(figs.loc["ALL", f"stars_{n}"] for n in range(6))
    assert stars == comp["branch_id"].dropna().nunique()
    assert figs.loc["ALL", "three_nos"] >= 1


@pytest.fixture
def store(demo_db: Path, tmp_path: Path) -> Store:
    shutil.copy(demo_db, tmp_path / "w.sqlite")
    return open_store(tmp_path / "w.sqlite")


def _log(store: Store) -> pd.DataFrame:
    return store.read("change_log")


def _fresh(edit: Callable[..., int], store: Store, user: User, target: str, **values: Any) -> int:
    """`edit` from a form drawn just now (stale forms: tests/unit/test_stale_forms.py)."""
    form = edit.__name__.removeprefix("set_")
    return edit(store, user, target, version=party.form_version(store, form, target), **values)


def test_edits_change_figures_and_are_logged(store: Store) -> None:
    staff = get_user(store, "S001-C1-staff1")
    frames = party.load(store, street_id="S001")
    missing = frames.compounds[
        (frames.compounds["branch_id"].isna()) & (frames.compounds["community_id"] == "S001-C1")
    ]
    target = (
        missing.iloc[0]["compound_id"]
        if len(missing)
        else frames.compounds[frames.compounds["community_id"] == "S001-C1"].iloc[0]["compound_id"]
    )
    if not len(missing):
        _fresh(party.set_branch, store, staff, target, has_branch=False, at=NOW)
    before = (
        party.coverage_figures(party.load(store, street_id="S001"))
        .set_index("community_id")
        .loc["S001-C1", "with_branch"]
    )
    n = _fresh(
        party.set_branch,
        store,
        staff,
        target,
        has_branch=True,
        secretary="王书记",
        stars={"strong_branch", "serving_people"},
        at=NOW,
    )
    assert n > 0
    after = party.load(store, street_id="S001")
    figs = party.coverage_figures(after).set_index("community_id")
    assert figs.loc["S001-C1", "with_branch"] == before + 1
    row = after.compounds.set_index("compound_id").loc[target]
    assert row["stars"] == 2 and row["star_serving_people"]
    log = _log(store)
    assert (log["actor"] == staff.name).all() and (log["at"] == NOW.isoformat()).all()
    assert {"compound", "branch_star"} <= set(log["table_name"])
    # fewer stars: removed stars are logged as deletions
    _fresh(party.set_branch, store, staff, target, has_branch=True, stars={"strong_branch"}, at=NOW)
    assert party.load(store).compounds.set_index("compound_id").loc[target, "stars"] == 1
    assert (_log(store)["op"] == "delete").any()
    branch = store.read("compound", where={"compound_id": target})["branch_id"].iloc[0]
    secretary = store.read("party_org", where={"org_id": branch})["secretary"]
    assert secretary.iloc[0] == "王书记"  # not named again: kept
    _fresh(party.set_branch, store, staff, target, has_branch=True, secretary=" ", name="", at=NOW)
    org = store.read("party_org", where={"org_id": branch}).iloc[0]
    assert org["secretary"] is None  # a blank secretary: the post is vacant
    assert org["name"]  # a blank name keeps the old one


def test_a_new_secretary_never_keeps_the_last_ones_phone(store: Store) -> None:
    """The audit renamed a branch's secretary and the card went on showing the last
    secretary's number under the new name: residents would call the wrong person."""
    staff = get_user(store, "S001-C1-staff1")
    own = store.query(
        "SELECT c.compound_id, c.branch_id FROM compound c JOIN party_org o "
        "ON o.org_id = c.branch_id WHERE c.compound_id LIKE 'S001-C1-%' AND o.is_joint = 0 "
        "AND o.secretary_phone IS NOT NULL LIMIT 1"
    ).iloc[0]
    target, branch = own["compound_id"], own["branch_id"]

    def org() -> pd.Series:
        return store.read("party_org", where={"org_id": branch}).iloc[0]

    old = org()
    edit = {"store": store, "user": staff, "target": target, "has_branch": True, "at": NOW}
    # the form sends the number it showed: with a new name, it is not kept
    _fresh(party.set_branch, **edit, secretary="赵书记", secretary_phone=old["secretary_phone"])
    assert (org()["secretary"], org()["secretary_phone"]) == ("赵书记", None)
    _fresh(party.set_branch, **edit, secretary="赵书记", secretary_phone=" 13900002222 ")
    assert org()["secretary_phone"] == "13900002222"  # the same secretary: the number given
    _fresh(party.set_branch, **edit, secretary="孙书记", secretary_phone="13900003333")
    assert (org()["secretary"], org()["secretary_phone"]) == ("孙书记", "13900003333")
    _fresh(party.set_branch, **edit, secretary="孙书记", secretary_phone="")
    assert org()["secretary_phone"] is None  # blank clears it
    _fresh(party.set_branch, **edit, secretary="孙书记", secretary_phone="13900003333")
    _fresh(party.set_branch, **edit, secretary=" ", secretary_phone="13900003333")
    assert (org()["secretary"], org()["secretary_phone"]) == (None, None)  # the post is vacant
    with pytest.raises(ValidationError) as err:
        _fresh(party.set_branch, **edit, secretary="钱书记", secretary_phone="call me")
    assert err.value.key == "error.issue.bad_phone"
    assert org()["secretary"] is None  # nothing written


def _give_head(store: Store, user: User, building_id: str, phone: str) -> int:
    """Give the building a party group and 刘楼长 as its head, reached at `phone`."""
    return _fresh(
        party.set_building,
        store,
        user,
        building_id,
        has_group=True,
        head="刘楼长",
        head_phone=phone,
        at=NOW,
    )


def test_property_and_building_edits(store: Store) -> None:
    admin = get_user(store, "S001-admin")
    comp = store.read("compound").iloc[0]["compound_id"]
    _fresh(party.set_property, store, admin, comp, mode="none", at=NOW)
    frames = party.load(store)
    assert frames.compounds.set_index("compound_id").loc[comp, "three_nos"]
    with pytest.raises(ValidationError, match="needs its name"):
        _fresh(party.set_property, store, admin, comp, mode="company", company=" ", at=NOW)
    _fresh(
        party.set_property,
        store,
        admin,
        comp,
        mode="company",
        company="王城物业",
        red_property=True,
        has_security=True,
        at=NOW,
    )
    pm = store.read("property_management", where={"compound_id": comp}).iloc[0]
    assert pm["company"] == "王城物业" and pm["red_property"] == 1
    b = store.read("building", where={"compound_id": comp}).iloc[0]
    _fresh(party.set_building, store, admin, b["building_id"], has_group=False, head=None, at=NOW)
    row = party.load(store).buildings.set_index("building_id").loc[b["building_id"]]
    assert not row["has_group"] and not row["has_head"]
    _give_head(store, admin, b["building_id"], "13900001111")
    row = party.load(store).buildings.set_index("building_id").loc[b["building_id"]]
    assert row["has_group"] and row["has_head"]


@pytest.mark.parametrize("phone", ["not a phone", "12"])
def test_a_building_head_phone_that_is_no_phone_is_refused(store: Store, phone: str) -> None:
    """The building form checks its phone as the issue and wish forms do: nothing is written
    (the leader would otherwise be shown "not****hone")."""
    admin = get_user(store, "S001-admin")
    b = store.read("building").iloc[0]
    with pytest.raises(ValidationError) as err:
        _give_head(store, admin, b["building_id"], phone)
    assert err.value.key == "error.issue.bad_phone"
    assert err.value.params == {"phone": phone}
    after = store.read("building", where={"building_id": b["building_id"]}).iloc[0]
    assert after["building_head"] != "刘楼长" and after["building_head_phone"] != phone
    assert _log(store).empty


def test_zone_assignment(store: Store) -> None:
    staff = get_user(store, "S001-C1-staff1")
    frames = party.load(store)
    c1 = frames.buildings[frames.buildings["community_id"] == "S001-C1"]
    compound = c1[~c1["in_zone"]]["compound_id"].iloc[0]
    free = list(c1[~c1["in_zone"] & (c1["compound_id"] == compound)]["building_id"][:2])
    zone = (
        store.read("zone_building").merge(c1[["building_id"]], on="building_id")["zone_id"].iloc[0]
    )

    def drawn() -> FormVersion:
        return party.form_version(store, "zone", compound)

    party.assign_zone(store, staff, free, zone, version=drawn(), at=NOW)
    zb = store.read("zone_building", where={"building_id": free})
    assert set(zb["zone_id"]) == {zone}
    party.assign_zone(store, staff, free, None, version=drawn(), at=NOW)
    assert store.read("zone_building", where={"building_id": free}).empty
    assert party.assign_zone(store, staff, free, None, version=drawn(), at=NOW) == 0


@pytest.mark.parametrize("user_id", ["S001-leader", "S001-planner", "S001-C2-staff1"])
def test_only_staff_of_the_community_and_admins_may_edit(store: Store, user_id: str) -> None:
    user = get_user(store, user_id)
    frames = party.load(store)
    c1 = frames.compounds[frames.compounds["community_id"] == "S001-C1"].iloc[0]
    b = frames.buildings[frames.buildings["community_id"] == "S001-C1"].iloc[0]
    before = store.counts()["change_log"]
    with pytest.raises(PermissionDeniedError):
        _fresh(party.set_branch, store, user, c1["compound_id"], has_branch=False, at=NOW)
    with pytest.raises(PermissionDeniedError):
        _fresh(party.set_property, store, user, c1["compound_id"], mode="none", at=NOW)
    with pytest.raises(PermissionDeniedError):
        _fresh(party.set_building, store, user, b["building_id"], has_group=False, at=NOW)
    with pytest.raises(PermissionDeniedError):
        party.assign_zone(
            store,
            user,
            [b["building_id"]],
            None,
            version=party.form_version(store, "zone", b["compound_id"]),
            at=NOW,
        )
    assert store.counts()["change_log"] == before


def test_change_log_is_append_only(store: Store) -> None:
    import sqlite3

    admin = get_user(store, "S001-admin")
    comp = store.read("compound").iloc[0]["compound_id"]
    _fresh(party.set_property, store, admin, comp, mode="none", at=NOW)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"), store.transaction() as con:
        con.execute("DELETE FROM change_log")
