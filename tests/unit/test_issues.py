"""The issue ledger: queries of the issue map, and the workflow as a state machine."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from mapgov.core.errors import (
    LifecycleError,
    MapgovError,
    PermissionDeniedError,
    StaleEditError,
    ValidationError,
)
from mapgov.core.model import CallbackRating, EventAction, IssueStatus, Level
from mapgov.domain import issue_reads
from mapgov.domain import issues as ledger
from mapgov.domain import issues_workflow as workflow
from mapgov.domain.users import get_user
from mapgov.store import Store
from tests.conftest import AS_OF

NOW = dt.datetime(2026, 11, 16, 9, 30)
LATER = dt.date(2026, 12, 31)
XSS = "<img src=x onerror=alert(1)>"


@pytest.fixture
def store(any_work_store: Store) -> Store:
    """A private copy of the demo database that a test may change, on each backend."""
    return any_work_store


@pytest.fixture
def staff(store: Store) -> Any:
    return get_user(store, "S001-C1-staff1")


def _building(store: Store, community: str = "S001-C1") -> str:
    return str(ledger.community_buildings(store, community)["building_id"].iloc[0])


def _new(store: Store, user: Any, community: str = "S001-C1", **kw: Any) -> int:
    return workflow.log_issue(
        store,
        user,
        building_id=_building(store, community),
        category="lighting",
        source="walk_in",
        title="楼道灯不亮",
        reporter_name="张三丰",
        reporter_phone="13812345678",
        at=NOW,
        **kw,
    )


def _version(store: Store, issue_id: int) -> int:
    return int(store.read("issue", where={"issue_id": issue_id})["version"].iloc[0])


def _state(store: Store, issue_id: int) -> dict[str, Any]:
    return store.read("issue", where={"issue_id": issue_id}).iloc[0].to_dict()


# Each action as a call with valid arguments for the issue's current version.
ACTIONS: dict[EventAction, Callable[..., int]] = {
    EventAction.ASSIGN: lambda s, u, i, v: workflow.assign(
        s, u, i, version=v, level="compound", responsible_unit="王城物业", deadline=LATER, at=NOW
    ),
    EventAction.START: lambda s, u, i, v: workflow.start(s, u, i, version=v, at=NOW),
    EventAction.ESCALATE: lambda s, u, i, v: workflow.escalate(
        s, u, i, version=v, reason="需要网格协调", at=NOW
    ),
    EventAction.RESOLVE: lambda s, u, i, v: workflow.resolve(
        s, u, i, version=v, note="已更换灯泡", at=NOW
    ),
    EventAction.CALLBACK: lambda s, u, i, v: workflow.callback(
        s, u, i, version=v, rating="satisfied", at=NOW
    ),
    EventAction.CLOSE: lambda s, u, i, v: workflow.close(s, u, i, version=v, at=NOW),
}
# the shortest way from a new issue to each status
PATHS: dict[IssueStatus, list[EventAction]] = {
    IssueStatus.REPORTED: [],
    IssueStatus.ASSIGNED: [EventAction.ASSIGN],
    IssueStatus.IN_PROGRESS: [EventAction.ASSIGN, EventAction.START],
    IssueStatus.RESOLVED: [EventAction.ASSIGN, EventAction.START, EventAction.RESOLVE],
    IssueStatus.CALLBACK: [
        EventAction.ASSIGN,
        EventAction.START,
        EventAction.RESOLVE,
        EventAction.CALLBACK,
    ],
    IssueStatus.CLOSED: [
        EventAction.ASSIGN,
        EventAction.START,
        EventAction.RESOLVE,
        EventAction.CALLBACK,
        EventAction.CLOSE,
    ],
}
ALLOWED = {
    (IssueStatus.REPORTED, EventAction.ASSIGN),
    (IssueStatus.ASSIGNED, EventAction.START),
    (IssueStatus.ASSIGNED, EventAction.ESCALATE),
    (IssueStatus.IN_PROGRESS, EventAction.RESOLVE),
    (IssueStatus.IN_PROGRESS, EventAction.ESCALATE),
    (IssueStatus.RESOLVED, EventAction.CALLBACK),
    (IssueStatus.CALLBACK, EventAction.CLOSE),
}


def _drive(store: Store, user: Any, status: IssueStatus) -> int:
    issue_id = _new(store, user)
    for action in PATHS[status]:
        ACTIONS[action](store, user, issue_id, _version(store, issue_id))
    assert _state(store, issue_id)["status"] == status.value
    return issue_id


@pytest.mark.parametrize("status", list(IssueStatus))
@pytest.mark.parametrize("action", list(ACTIONS))
def test_lifecycle_allows_exactly_the_listed_transitions(
    store: Store, staff: Any, status: IssueStatus, action: EventAction
) -> None:
    issue_id = _drive(store, staff, status)
    before = _state(store, issue_id)
    events_before = len(issue_reads.issue_timeline(store, issue_id))
    if (status, action) in ALLOWED:
        new_version = ACTIONS[action](store, staff, issue_id, before["version"])
        after = _state(store, issue_id)
        assert new_version == after["version"] == before["version"] + 1
        timeline = issue_reads.issue_timeline(store, issue_id)
        assert len(timeline) == events_before + 1
        last = timeline.iloc[-1]
        assert last["action"] == action.value
        assert last["from_status"] == status.value
        assert last["to_status"] == after["status"]
        assert last["actor"] == staff.name
    else:
        with pytest.raises(LifecycleError, match=f"cannot {action.value}"):
            ACTIONS[action](store, staff, issue_id, before["version"])
        assert _state(store, issue_id) == before
        assert len(issue_reads.issue_timeline(store, issue_id)) == events_before


def test_allowed_actions_match_the_lifecycle(store: Store, staff: Any) -> None:
    for status in IssueStatus:
        issue_id = _drive(store, staff, status)
        issue = issue_reads.get_issue(store, issue_id, user=staff, today=AS_OF)
        expected = {a for s, a in ALLOWED if s == status}
        assert set(workflow.allowed_actions(store, issue, staff)) == expected


def test_escalation_climbs_one_level_at_a_time_to_the_street(store: Store, staff: Any) -> None:
    issue_id = _drive(store, staff, IssueStatus.IN_PROGRESS)
    seen = [Level.COMPOUND.value]
    for _ in range(3):
        workflow.escalate(
            store, staff, issue_id, version=_version(store, issue_id), reason="提级", at=NOW
        )
        state = _state(store, issue_id)
        assert state["status"] == IssueStatus.ASSIGNED.value
        seen.append(state["level"])
    assert seen == ["compound", "grid", "community", "street"]
    assert state["deadline"] == (NOW.date() + dt.timedelta(days=30)).isoformat()
    timeline = issue_reads.issue_timeline(store, issue_id)
    esc = timeline[timeline["action"] == "escalate"]
    assert list(zip(esc["from_level"], esc["to_level"], strict=True)) == [
        ("compound", "grid"),
        ("grid", "community"),
        ("community", "street"),
    ]
    issue = issue_reads.get_issue(store, issue_id, user=staff, today=AS_OF)
    assert EventAction.ESCALATE not in workflow.allowed_actions(store, issue, staff)
    with pytest.raises(LifecycleError, match="highest level"):
        workflow.escalate(
            store, staff, issue_id, version=_version(store, issue_id), reason="再提", at=NOW
        )


def test_escalation_needs_a_reason(store: Store, staff: Any) -> None:
    issue_id = _drive(store, staff, IssueStatus.ASSIGNED)
    before = _state(store, issue_id)
    with pytest.raises(ValidationError, match="reason is required"):
        workflow.escalate(store, staff, issue_id, version=before["version"], reason="  ", at=NOW)
    assert _state(store, issue_id) == before


def test_unsatisfied_callback_reopens_and_can_end_closed(store: Store, staff: Any) -> None:
    issue_id = _drive(store, staff, IssueStatus.RESOLVED)
    workflow.callback(
        store,
        staff,
        issue_id,
        version=_version(store, issue_id),
        rating=CallbackRating.UNSATISFIED,
        note="灯还是不亮",
        at=NOW,
    )
    state = _state(store, issue_id)
    assert state["status"] == "assigned"
    assert state["reopen_count"] == 1
    assert state["resolved_at"] is None
    assert state["satisfaction"] == "unsatisfied"
    actions = list(issue_reads.issue_timeline(store, issue_id)["action"])
    assert actions[-2:] == ["callback", "reopen"]
    for action in (EventAction.START, EventAction.RESOLVE):
        ACTIONS[action](store, staff, issue_id, _version(store, issue_id))
    workflow.callback(
        store,
        staff,
        issue_id,
        version=_version(store, issue_id),
        rating="basically_satisfied",
        at=NOW,
    )
    workflow.close(store, staff, issue_id, version=_version(store, issue_id), note="销号", at=NOW)
    state = _state(store, issue_id)
    assert state["status"] == "closed" and state["closed_at"] == NOW.isoformat()
    assert state["satisfaction"] == "basically_satisfied"


def test_concurrent_edit_is_refused_and_nothing_is_lost(store: Store, staff: Any) -> None:
    issue_id = _drive(store, staff, IssueStatus.ASSIGNED)
    seen_by_both = _version(store, issue_id)
    colleague = get_user(store, "S001-C1-staff2")
    workflow.start(store, colleague, issue_id, version=seen_by_both, note="我来办", at=NOW)
    saved = _state(store, issue_id)
    events = issue_reads.issue_timeline(store, issue_id)
    with pytest.raises(StaleEditError, match="changed by someone else"):
        workflow.escalate(store, staff, issue_id, version=seen_by_both, reason="提级", at=NOW)
    assert _state(store, issue_id) == saved
    assert issue_reads.issue_timeline(store, issue_id).equals(events)
    assert events.iloc[-1]["note"] == "我来办"


def test_a_stale_form_is_told_someone_else_changed_it(store: Store, staff: Any) -> None:
    issue_id = _drive(store, staff, IssueStatus.REPORTED)
    seen = _version(store, issue_id)
    colleague = get_user(store, "S001-C1-staff2")
    ACTIONS[EventAction.ASSIGN](store, colleague, issue_id, seen)  # the status changes too
    saved = _state(store, issue_id)
    with pytest.raises(StaleEditError, match="changed by someone else"):
        ACTIONS[EventAction.ASSIGN](store, staff, issue_id, seen)
    assert _state(store, issue_id) == saved


def test_store_refuses_a_stale_version_even_past_the_domain_check(store: Store, staff: Any) -> None:
    issue_id = _drive(store, staff, IssueStatus.ASSIGNED)
    v = _version(store, issue_id)
    store.update_issue(issue_id, version=v, changes={"responsible_unit": "甲"}, events=[])
    with pytest.raises(StaleEditError):
        store.update_issue(issue_id, version=v, changes={"responsible_unit": "乙"}, events=[])
    assert _state(store, issue_id)["responsible_unit"] == "甲"


@pytest.mark.parametrize("user_id", ["S001-leader", "S001-planner", "S001-C2-staff1"])
def test_only_staff_of_the_community_and_admins_may_change(
    store: Store, staff: Any, user_id: str
) -> None:
    outsider = get_user(store, user_id)
    issue_id = _drive(store, staff, IssueStatus.REPORTED)
    before = _state(store, issue_id)
    with pytest.raises(PermissionDeniedError, match="may not assign"):
        ACTIONS[EventAction.ASSIGN](store, outsider, issue_id, before["version"])
    with pytest.raises(PermissionDeniedError, match="may not report"):
        _new(store, outsider)
    assert _state(store, issue_id) == before
    issue = issue_reads.get_issue(store, issue_id, user=outsider, today=AS_OF)
    assert workflow.allowed_actions(store, issue, outsider) == []
    admin = get_user(store, "S001-admin")
    ACTIONS[EventAction.ASSIGN](store, admin, issue_id, before["version"])
    assert _state(store, issue_id)["status"] == "assigned"


def test_log_issue_validates_and_stores_text_as_typed(store: Store, staff: Any) -> None:
    count = store.counts()["issue"]
    for kw, match in (
        ({"title": " "}, "title is required"),
        ({"category": "weather"}, "unknown category"),
        ({"reporter_phone": "call me"}, "not a phone"),
        ({"title": "x" * 500}, "longer than"),
    ):
        args = {
            "building_id": _building(store),
            "category": "lighting",
            "source": "walk_in",
            "title": "灯",
            **kw,
        }
        with pytest.raises(ValidationError, match=match):
            workflow.log_issue(store, staff, at=NOW, **args)
    assert store.counts()["issue"] == count
    issue_id = workflow.log_issue(
        store,
        staff,
        building_id=_building(store),
        category="pets",
        source="hotline_12345",
        title=XSS,
        description=XSS,
        at=NOW,
    )
    issue = issue_reads.get_issue(store, issue_id, user=staff, today=AS_OF)
    assert issue["title"] == XSS and issue["description"] == XSS  # escaping is the view's job
    assert issue["status"] == "reported" and issue["level"] == "compound"


def test_assign_refuses_a_deadline_in_the_past(store: Store, staff: Any) -> None:
    issue_id = _drive(store, staff, IssueStatus.REPORTED)
    with pytest.raises(ValidationError, match="in the past"):
        workflow.assign(
            store,
            staff,
            issue_id,
            version=1,
            level="grid",
            responsible_unit="网格",
            deadline=NOW.date() - dt.timedelta(days=1),
            at=NOW,
        )
    assert _state(store, issue_id)["status"] == "reported"


def test_errors_carry_a_catalogue_key(store: Store, staff: Any) -> None:
    issue_id = _drive(store, staff, IssueStatus.REPORTED)
    with pytest.raises(MapgovError) as info:
        workflow.close(store, staff, issue_id, version=1, at=NOW)
    assert info.value.key == "error.issue.lifecycle"
    assert info.value.params["status"] == IssueStatus.REPORTED


def test_personal_data_is_masked_for_everyone_but_the_community_staff_and_street_admin(
    store: Store, staff: Any
) -> None:
    issue_id = _new(store, staff)
    building = _building(store)
    for user_id, full in (
        ("S001-C1-staff1", True),
        ("S001-C2-staff1", False),
        ("S001-leader", False),
        ("S001-planner", False),
        ("S001-admin", True),
    ):
        user = get_user(store, user_id)
        issue = issue_reads.get_issue(store, issue_id, user=user, today=AS_OF)
        listed = issue_reads.building_issues(store, building, user=user, today=AS_OF)
        row = listed[listed["issue_id"] == issue_id].iloc[0]
        if full:
            assert issue["reporter_name"] == row["reporter_name"] == "张三丰"
            assert issue["reporter_phone"] == "13812345678"
        else:
            assert issue["reporter_name"] == row["reporter_name"] == "张**"
            assert issue["reporter_phone"] == row["reporter_phone"] == "138****5678"
        head = issue_reads.building_profile(store, building, user=user)["building_head"]
        if head:
            assert ("*" in head) is not full


def test_building_issues_list_open_first_and_mark_overdue(demo_store: Store) -> None:
    staff = get_user(demo_store, "S001-C1-staff1")
    counts = ledger.building_issue_counts(demo_store, "S001-C1", today=AS_OF)
    busiest = counts.sort_values(["overdue", "open"], ascending=False).iloc[0]
    assert busiest["overdue"] >= 1
    listed = issue_reads.building_issues(
        demo_store, busiest["building_id"], user=staff, today=AS_OF
    )
    is_open = (listed["status"] != "closed").to_list()
    assert is_open == sorted(is_open, reverse=True)  # open ones first
    assert int(listed["overdue"].sum()) == busiest["overdue"]
    assert (listed[listed["overdue"]]["deadline"] < AS_OF.isoformat()).all()
    closed = listed[listed["status"] == "closed"]
    assert list(closed["reported_at"]) == sorted(closed["reported_at"], reverse=True)


def test_counts_add_up_and_filters_narrow_them(demo_store: Store) -> None:
    counts = ledger.building_issue_counts(demo_store, "S001-C1", today=AS_OF)
    buildings = ledger.community_buildings(demo_store, "S001-C1")
    assert set(counts["building_id"]) == set(buildings["building_id"])
    issues = ledger.community_issues(demo_store, "S001-C1")
    on_buildings = issues[issues["building_id"].notna()]
    assert counts["total"].sum() == len(on_buildings)
    assert counts["open"].sum() == (on_buildings["status"] != "closed").sum()
    lighting = ledger.building_issue_counts(
        demo_store, "S001-C1", today=AS_OF, categories=["lighting"]
    )
    assert 0 < lighting["total"].sum() < counts["total"].sum()
    recent = ledger.community_issues(
        demo_store, "S001-C1", date_from=dt.date(2026, 10, 1), date_to=dt.date(2026, 10, 31)
    )
    assert recent["reported_at"].str.startswith("2026-10").all() and len(recent) > 10


def test_heat_cells_count_every_issue_once(demo_store: Store) -> None:
    cells = ledger.heat_cells(demo_store, "S001-C1", cell_m=50)
    assert cells["count"].sum() == len(ledger.community_issues(demo_store, "S001-C1"))
    assert cells.crs.to_epsg() == 4326
    side = cells.to_crs("EPSG:32649").geometry.iloc[0].length / 4
    assert 49 < side < 51
    assert ledger.heat_cells(
        demo_store, "S001-C1", categories=["elevator"], date_from=dt.date(2030, 1, 1)
    ).empty


def test_locator_finds_building_then_compound_then_nothing(demo_store: Store) -> None:
    b = ledger.community_buildings(demo_store, "S001-C1")
    c = ledger.community_compounds(demo_store, "S001-C1")
    loc = ledger.BuildingLocator(b, c)
    for row in b.sample(20, random_state=1).itertuples():
        p = row.geometry.representative_point()
        assert loc.locate(p.x, p.y) == ledger.Hit("building", row.building_id)
    comp = c.iloc[0]
    inside = comp.geometry.difference(b.union_all().buffer(0.00005))
    p = inside.representative_point()
    assert loc.locate(p.x, p.y) == ledger.Hit("compound", comp.compound_id)
    minx, miny, _, _ = c.total_bounds
    assert loc.locate(minx - 0.01, miny - 0.01) == ledger.Hit(None, None)


def test_profile_and_summary_tell_the_governance_story(demo_store: Store) -> None:
    staff = get_user(demo_store, "S001-C1-staff1")
    zb = demo_store.read("zone_building")
    b = ledger.community_buildings(demo_store, "S001-C1")
    zoned = b[b["building_id"].isin(zb["building_id"])].iloc[0]
    prof = issue_reads.building_profile(demo_store, zoned["building_id"], user=staff)
    assert prof["zone_name"] and prof["zone_member"]
    assert prof["compound_id"] == zoned["compound_id"]
    assert prof["residents"] == zoned["residents"]
    summary = issue_reads.compound_summary(demo_store, zoned["compound_id"], today=AS_OF)
    in_comp = demo_store.read("building", where={"compound_id": zoned["compound_id"]})
    assert summary["households"] == in_comp["households"].sum()
    assert summary["buildings"] == len(in_comp)
    assert 0 <= summary["stars"] <= 5
    with pytest.raises(ValidationError, match="no building"):
        issue_reads.building_profile(demo_store, "nowhere", user=staff)


def test_search_finds_buildings_by_name_and_number(demo_store: Store) -> None:
    b = ledger.community_buildings(demo_store, "S001-C1")
    comps = ledger.community_compounds(demo_store, "S001-C1").set_index("compound_id")
    target = b.iloc[5]
    cname = comps.loc[target["compound_id"], "name"]
    for text in (f"{cname} {target['number']}", f"{cname[:2]} {target['number']}号楼"):
        found = ledger.search_buildings(demo_store, text, community_id="S001-C1")
        assert target["building_id"] in set(found["building_id"])
    three = ledger.search_buildings(demo_store, "3号楼", community_id="S001-C1", limit=100)
    assert len(three) > 1 and (three["name"] == "3号楼").all()
    assert ledger.search_buildings(demo_store, "  ").empty
    assert ledger.search_buildings(demo_store, "不存在的小区").empty
