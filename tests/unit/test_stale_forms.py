"""Every edit refuses a stale form (issue 16, point 2): two people draw the same form, the first
saves, the second save (from the older form) is refused with who changed what and when, and the
first change survives. Party (branch, property, building), zones, co-building."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from mapgov.core.errors import StaleEditError
from mapgov.core.i18n import error_text
from mapgov.domain import cobuild, party
from mapgov.domain.users import User, get_user
from mapgov.store import Store

NOW = dt.datetime(2026, 11, 16, 10, 0)
LATER = dt.datetime(2026, 11, 16, 10, 5)


@pytest.fixture
def staff(work_store: Store) -> tuple[User, User]:
    return get_user(work_store, "S001-C1-staff1"), get_user(work_store, "S001-C1-staff2")


def _compound(store: Store) -> str:
    """A compound of community S001-C1 with a branch of its own."""
    frames = party.load(store, street_id="S001")
    comps = frames.compounds[frames.compounds["community_id"] == "S001-C1"]
    return str(comps[comps["branch_id"].notna() & ~comps["is_joint"]]["compound_id"].iloc[0])


def _building(store: Store, compound: str) -> str:
    blds = store.read("building", where={"compound_id": compound}, columns=["building_id"])
    return str(blds["building_id"].iloc[0])


def _log(store: Store) -> int:
    return store.counts()["change_log"]


def _refused(err: pytest.ExceptionInfo[StaleEditError], who: User, *fields: str) -> None:
    """The refusal names who changed the record, when, and which fields, in both languages."""
    assert err.value.key == "error.edit.changed"
    assert err.value.params["who"] == who.name
    assert err.value.params["when"] == "2026-11-16 10:00"
    assert set(fields) <= set(err.value.params["fields"])
    zh, en = error_text(err.value, "zh"), error_text(err.value, "en")
    assert who.name in zh and "2026-11-16 10:00" in zh and "没有保存" in zh
    assert who.name in en and "was not saved" in en


def _names(err: pytest.ExceptionInfo[StaleEditError], name: str, record_id: str) -> None:
    """The refusal names the record as the page does (its name), not by its id."""
    for lang in ("zh", "en"):
        text = error_text(err.value, lang)
        assert f" {name} " in text and record_id not in text, text


def test_a_stale_branch_form_is_refused_and_the_first_change_survives(
    work_store: Store, staff: tuple[User, User]
) -> None:
    a, b = staff
    compound = _compound(work_store)
    form_a = party.form_version(work_store, "branch", compound)
    form_b = party.form_version(work_store, "branch", compound)
    party.set_branch(
        work_store, a, compound, version=form_a, has_branch=True, secretary="甲书记", at=NOW
    )
    count = _log(work_store)
    with pytest.raises(StaleEditError) as err:
        party.set_branch(
            work_store,
            b,
            compound,
            version=form_b,
            has_branch=True,
            secretary="乙书记",
            stars={"strong_branch"},
            at=LATER,
        )
    _refused(err, a, "secretary")
    assert "支部书记" in error_text(err.value, "zh")  # the field by its name, not its column
    assert _log(work_store) == count
    branch = work_store.read("compound", where={"compound_id": compound})["branch_id"].iloc[0]
    org = work_store.read("party_org", where={"org_id": branch}).iloc[0]
    _names(err, org["name"], branch)  # 党组织 一号院党支部, not 党组织 PO-S001-C1-05
    assert work_store.read("party_org", where={"org_id": branch})["secretary"].iloc[0] == "甲书记"
    # a form drawn after the first save is the current one: accepted
    fresh = party.form_version(work_store, "branch", compound)
    party.set_branch(
        work_store, b, compound, version=fresh, has_branch=True, secretary="乙书记", at=LATER
    )
    assert work_store.read("party_org", where={"org_id": branch})["secretary"].iloc[0] == "乙书记"


def test_stars_given_meanwhile_make_a_branch_form_stale(
    work_store: Store, staff: tuple[User, User]
) -> None:
    """The stars are part of what the branch form shows: a star awarded since refuses it."""
    a, b = staff
    compound = _compound(work_store)
    old = party.form_version(work_store, "branch", compound)
    branch = _compound_branch(work_store, compound)
    have = set(work_store.read("branch_star", where={"org_id": branch})["star"])
    stars = have ^ {"strong_branch"}  # one star more or less, nothing else
    party.set_branch(work_store, a, compound, version=old, has_branch=True, stars=stars, at=NOW)
    assert set(work_store.read("branch_star", where={"org_id": branch})["star"]) == stars
    with pytest.raises(StaleEditError) as err:
        party.set_branch(work_store, b, compound, version=old, has_branch=False, at=LATER)
    _refused(err, a, "star")
    assert _compound_branch(work_store, compound) == branch  # b's removal did not happen


def _compound_branch(store: Store, compound: str) -> Any:
    return store.read("compound", where={"compound_id": compound})["branch_id"].iloc[0]


def test_a_stale_property_form_is_refused_and_the_first_change_survives(
    work_store: Store, staff: tuple[User, User]
) -> None:
    a, b = staff
    compound = _compound(work_store)
    form_a = party.form_version(work_store, "property", compound)
    form_b = party.form_version(work_store, "property", compound)
    party.set_property(
        work_store, a, compound, version=form_a, mode="company", company="王城物业", at=NOW
    )
    count = _log(work_store)
    with pytest.raises(StaleEditError) as err:
        party.set_property(work_store, b, compound, version=form_b, mode="none", at=LATER)
    _refused(err, a, "company")
    name = work_store.read("compound", where={"compound_id": compound})["name"].iloc[0]
    _names(err, name, compound)  # a compound's property management: the compound's name
    assert _log(work_store) == count
    pm = work_store.read("property_management", where={"compound_id": compound}).iloc[0]
    assert (pm["mode"], pm["company"]) == ("company", "王城物业")


def test_a_stale_building_form_is_refused_and_the_first_change_survives(
    work_store: Store, staff: tuple[User, User]
) -> None:
    a, b = staff
    building = _building(work_store, _compound(work_store))
    form_a = party.form_version(work_store, "building", building)
    form_b = party.form_version(work_store, "building", building)
    party.set_building(
        work_store, a, building, version=form_a, has_group=True, head="刘楼长", at=NOW
    )
    count = _log(work_store)
    with pytest.raises(StaleEditError) as err:
        party.set_building(
            work_store, b, building, version=form_b, has_group=False, head="陈楼长", at=LATER
        )
    _refused(err, a, "building_head")
    assert "楼栋长" in error_text(err.value, "zh")
    name = work_store.read("building", where={"building_id": building})["name"].iloc[0]
    _names(err, name, building)
    assert _log(work_store) == count
    row = work_store.read("building", where={"building_id": building}).iloc[0]
    assert row["building_head"] == "刘楼长" and isinstance(row["party_group_id"], str)


def test_a_stale_zone_form_is_refused_and_the_first_change_survives(
    work_store: Store, staff: tuple[User, User]
) -> None:
    a, b = staff
    compound = _compound(work_store)
    first, second = list(
        work_store.read("building", where={"compound_id": compound})["building_id"][:2]
    )
    zones = work_store.read("responsibility_zone")["zone_id"]
    zone = str(zones.iloc[0])
    work_store.edit(  # start from both buildings out of any zone
        [
            ("delete", "zone_building", {"building_id": x}, {})
            for x in (first, second)
            if not work_store.read("zone_building", where={"building_id": x}).empty
        ],
        actor="setup",
        at=NOW.isoformat(),
    )
    form_a = party.form_version(work_store, "zone", compound)
    form_b = party.form_version(work_store, "zone", compound)
    party.assign_zone(work_store, a, [first], zone, version=form_a, at=NOW)
    count = _log(work_store)
    with pytest.raises(StaleEditError) as err:  # b's form still shows `first` out of any zone
        party.assign_zone(work_store, b, [first, second], None, version=form_b, at=LATER)
    _refused(err, a, "zone_id")
    assert _log(work_store) == count
    assert work_store.read("zone_building", where={"building_id": first})["zone_id"].iloc[0] == zone
    # a building b's form shows as it still is may be saved from it
    party.assign_zone(work_store, b, [second], zone, version=form_b, at=LATER)
    assert (
        work_store.read("zone_building", where={"building_id": second})["zone_id"].iloc[0] == zone
    )


def test_a_form_of_another_record_or_an_unlogged_change_is_refused(
    work_store: Store, staff: tuple[User, User]
) -> None:
    """A version drawn for another compound does not cover this one; a change that left no
    change_log row (an import replacing the table) still refuses the form, saying only that
    the record changed."""
    a, _ = staff
    compound = _compound(work_store)
    others = work_store.read("compound", columns=["compound_id"])["compound_id"]
    other = str(others[others != compound].iloc[0])
    with pytest.raises(StaleEditError) as err:
        party.set_property(
            work_store,
            a,
            compound,
            version=party.form_version(work_store, "property", other),
            mode="none",
            at=NOW,
        )
    assert err.value.key == "error.edit.stale"
    building = _building(work_store, compound)
    form = party.form_version(work_store, "building", building)
    with work_store.transaction() as con:  # as an import writes: no change_log
        con.execute(
            "UPDATE building SET households = households + 1 WHERE building_id = ?", (building,)
        )
    with pytest.raises(StaleEditError) as err:
        party.set_building(work_store, a, building, version=form, has_group=False, at=NOW)
    assert err.value.key == "error.edit.stale"
    assert "刚被他人修改过" in error_text(err.value, "zh")


# -- co-building: needs, projects and wishes carry a version column ---------------------------
def _need(store: Store, user: User) -> str:
    compound = _compound(store)
    return cobuild.file_need(
        store,
        user,
        community_id="S001-C1",
        kind="health_service",
        title="老人健康义诊",
        compound_id=compound,
        at=NOW,
    )


def test_a_stale_need_form_is_refused_and_the_first_change_survives(
    work_store: Store, staff: tuple[User, User]
) -> None:
    a, b = staff
    need_id = _need(work_store, a)
    best = cobuild.rank_units(cobuild.load(work_store, street_id="S001"), need_id, limit=1)[0]
    cobuild.pair(
        work_store,
        a,
        need_id,
        version=1,
        unit_id=best.unit_id,
        resource_id=best.resource_id,
        at=NOW,
    )
    with pytest.raises(StaleEditError) as err:  # b's form still shows the open need
        cobuild.cancel_need(work_store, b, need_id, version=1, reason="重复", at=LATER)
    assert err.value.key == "error.cobuild.stale"
    assert cobuild.get(work_store, "need", need_id)["status"] == "matched"


def test_a_stale_wish_form_is_refused_and_the_first_change_survives(
    work_store: Store, staff: tuple[User, User]
) -> None:
    a, b = staff
    wish_id = cobuild.post_wish(
        work_store, a, compound_id=_compound(work_store), title="一台助听器", at=NOW
    )
    cobuild.claim_wish(work_store, a, wish_id, version=1, claimed_by="青年志愿队", at=NOW)
    with pytest.raises(StaleEditError) as err:
        cobuild.cancel_wish(work_store, b, wish_id, version=1, reason="重复", at=LATER)
    assert err.value.key == "error.cobuild.stale"
    wish = cobuild.get(work_store, "wish", wish_id, user=a)
    assert (wish["status"], wish["claimed_by"]) == ("claimed", "青年志愿队")
