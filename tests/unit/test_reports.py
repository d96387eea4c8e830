"""What a resident who reports is shown: the issue to follow instead, and a timeline without
anyone's name."""

from __future__ import annotations

import datetime as dt

from mapgov.core.i18n import label
from mapgov.core.model import CallbackRating, EventAction, IssueStatus
from mapgov.domain import issues_workflow as workflow
from mapgov.domain.reports import DUPLICATE_DAYS, open_duplicate, public_timeline
from mapgov.domain.users import get_user
from mapgov.store import Store
from tests.conftest import AS_OF

STAFF = "S001-C1-staff1"
NOON = dt.datetime.combine(AS_OF, dt.time(12))


def _quiet_building(store: Store) -> str:
    """A building of S001-C1 with no lighting issue in the ledger."""
    lit = set(store.read("issue", where={"category": "lighting"})["building_id"].dropna())
    compounds = store.query(
        "SELECT c.compound_id FROM compound c JOIN grid g USING (grid_id) "
        "WHERE g.community_id = 'S001-C1'"
    )["compound_id"]
    buildings = store.read("building", where={"compound_id": list(compounds)})["building_id"]
    return next(b for b in buildings if b not in lit)


def _log(store: Store, building: str, when: dt.datetime, **kw: str) -> int:
    return workflow.log_issue(
        store,
        get_user(store, STAFF),
        building_id=building,
        category="lighting",
        source="grid_worker",
        title=kw.get("title", "楼道灯不亮"),
        reporter_name="王秀英",
        reporter_phone="13912345678",
        at=when,
    )


def test_an_open_issue_of_the_same_building_and_kind_is_offered_to_follow(
    any_work_store: Store,
) -> None:
    store = any_work_store
    building = _quiet_building(store)
    assert open_duplicate(store, building_id=building, category="lighting", today=AS_OF) is None
    old = _log(store, building, NOON - dt.timedelta(days=DUPLICATE_DAYS), title="上周的灯")
    assert open_duplicate(store, building_id=building, category="lighting", today=AS_OF) is None
    recent = _log(store, building, NOON - dt.timedelta(days=2), title="<b>三楼灯</b>")
    found = open_duplicate(store, building_id=building, category="lighting", today=AS_OF)
    assert found is not None
    assert found["issue_id"] == recent != old
    assert set(found) == {"issue_id", "title", "status", "reported_at"}  # no reporter
    assert open_duplicate(store, building_id=building, category="water", today=AS_OF) is None
    later = AS_OF + dt.timedelta(days=DUPLICATE_DAYS)
    assert open_duplicate(store, building_id=building, category="lighting", today=later) is None


def test_the_public_timeline_says_what_happened_and_never_who(any_work_store: Store) -> None:
    store = any_work_store
    staff = get_user(store, STAFF)
    issue = _log(store, _quiet_building(store), NOON)
    version = workflow.assign(
        store,
        staff,
        issue,
        level="compound",
        responsible_unit="物业 张师傅",
        deadline=AS_OF + dt.timedelta(days=3),
        note="李经理说明天修",
        version=1,
        at=NOON + dt.timedelta(hours=1),
    )
    version = workflow.start(store, staff, issue, version=version, at=NOON + dt.timedelta(hours=2))
    version = workflow.resolve(
        store, staff, issue, version=version, note="已更换灯泡", at=NOON + dt.timedelta(hours=3)
    )
    workflow.callback(
        store,
        staff,
        issue,
        rating=CallbackRating.SATISFIED.value,
        note="电话回访 王秀英 13912345678",
        version=version,
        at=NOON + dt.timedelta(hours=4),
    )
    shown = public_timeline(store, issue, lang="zh")
    assert list(shown.columns) == ["at", "step", "status"]
    assert shown["step"].tolist() == [
        label(EventAction.REPORT, "zh"),
        label(EventAction.ASSIGN, "zh"),
        label(EventAction.START, "zh"),
        label(EventAction.RESOLVE, "zh"),
        f"{label(EventAction.CALLBACK, 'zh')}: {label(CallbackRating.SATISFIED, 'zh')}",
    ]
    assert shown["status"].iloc[-1] == label(IssueStatus.CALLBACK, "zh")
    assert shown["at"].iloc[0] == f"{AS_OF.isoformat()} 12:00"
    text = shown.to_string()
    for private in ("王秀英", "13912345678", "张师傅", "李经理", staff.name, STAFF, "灯泡"):
        assert private not in text
