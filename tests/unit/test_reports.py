"""What a resident who reports is shown: the issue to follow instead, and a timeline without
anyone's name."""

from __future__ import annotations

import datetime as dt
import re
from typing import cast

import pytest

from mapgov.core.errors import (
    LifecycleError,
    PermissionDeniedError,
    StaleEditError,
    ValidationError,
)
from mapgov.core.i18n import error_text, label
from mapgov.core.model import AuditKind, CallbackRating, EventAction, IssueStatus
from mapgov.domain import issues_workflow as workflow
from mapgov.domain import reports
from mapgov.domain.reports import DUPLICATE_DAYS, open_duplicate, public_timeline
from mapgov.domain.users import get_user
from mapgov.store import Store
from tests.conftest import AS_OF
from tests.fieldreports import resolve

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
    assert set(found) == {"issue_id", "category", "status", "reported_at"}  # nothing typed
    assert open_duplicate(store, building_id=building, category="water", today=AS_OF) is None
    later = AS_OF + dt.timedelta(days=DUPLICATE_DAYS)
    assert open_duplicate(store, building_id=building, category="lighting", today=later) is None


def test_the_issue_offered_to_follow_shows_nothing_its_reporter_typed(
    any_work_store: Store,
) -> None:
    """Another resident's report, offered to anyone on the public report page: its title named
    the building's head, a party member living there, a neighbour no list holds (王秀英),
    a flat and a phone. Masking the names the store knows left the others; the page now
    shows the report's kind, day and status and none of its words."""
    store = any_work_store
    building = _quiet_building(store)
    head = store.read("building", where={"building_id": building})["building_head"].iloc[0]
    member = store.read("party_member", columns=["name"])["name"].iloc[0]
    title = f"{head}说楼道灯坏了，{member}和王秀英家门口(502室)最暗，找 13812345678"
    issue = _log(store, building, NOON, title=title)
    found = open_duplicate(store, building_id=building, category="lighting", today=AS_OF)
    followed = reports.followed(store, issue)
    assert found is not None and followed is not None
    assert (
        found
        == followed
        == {
            "issue_id": issue,
            "category": "lighting",
            "status": IssueStatus.REPORTED.value,
            "reported_at": NOON.isoformat(),
        }
    )
    shown = " ".join(map(str, [*found.values(), *followed.values()]))
    for word in (head, member, "王秀英", "502", "13812345678", "138****5678", "楼道灯坏了"):
        assert word not in shown
    assert reports.followed(store, 10**9) is None


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


# -- filing from the phone page -------------------------------------------------------------

REAL = dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))
"""The real time the rate limits count in (any fixed instant: it is an input)."""
PHOTO = {"name": "ab" * 32, "width": 640, "height": 480}


def _report(building: str, **kw: object) -> reports.FieldReport:
    fields: dict[str, object] = {
        "building_id": building,
        "category": "lighting",
        "description": "三单元楼道灯不亮\n晚上看不见台阶",
    }
    return cast("reports.FieldReport", fields | kw)


def test_a_resident_report_lands_whole_with_a_ticket_and_its_photos(any_work_store: Store) -> None:
    store = any_work_store
    building = _quiet_building(store)
    before = store.counts()
    filed = reports.file_report(
        store,
        _report(building, reporter_name="王秀英", reporter_phone="13912345678", photos=[PHOTO]),
        by=None,
        source="web 10.0.0.7",
        now=REAL,
        at=NOON,
    )
    assert re.fullmatch(r"[2-9A-HJ-NP-Z]{5}-[2-9A-HJ-NP-Z]{5}", filed.ticket)
    issue = store.read("issue", where={"issue_id": filed.issue_id}).iloc[0]
    assert (issue["channel"], issue["source"], issue["status"]) == ("phone", "qr_code", "reported")
    assert issue["ticket"] == filed.ticket and issue["building_id"] == building
    assert issue["title"] == "三单元楼道灯不亮"  # the first line
    assert issue["reporter_phone"] == "13912345678"
    photos = reports.issue_photos(store, filed.issue_id)
    assert photos[["name", "width", "height"]].to_dict("records") == [PHOTO]
    events = store.read("issue_event", where={"issue_id": filed.issue_id})
    assert events["actor"].tolist() == [reports.RESIDENT]  # no account
    logged = store.audit_rows(kinds=[AuditKind.FIELD_REPORT.value])
    assert logged[["subject", "detail", "source"]].iloc[-1].tolist() == [
        building,
        filed.ticket,
        "web 10.0.0.7",
    ]
    after = store.counts()
    assert (
        after["issue"] == before["issue"] + 1 and after["issue_photo"] == before["issue_photo"] + 1
    )
    shown = reports.ticket_view(store, f" {filed.ticket.lower()} ", lang="zh")
    assert shown is not None and shown["issue_id"] == filed.issue_id
    assert shown["status"] == "reported" and not shown["can_rate"]
    assert shown["photos"] == [PHOTO["name"]]
    assert "王秀英" not in repr(shown) and "13912345678" not in repr(shown)
    # as written on a note or typed on a phone: no dash, a space, a full-width or long dash
    left, right = filed.ticket.split("-")
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in left.lower())
    for typed in (left + right, f"{left} {right}", f"{full_width}－{right}", f"{left}—{right}"):
        again = reports.ticket_view(store, typed, lang="zh")
        assert again is not None and again["issue_id"] == filed.issue_id, typed
    assert reports.ticket_view(store, "ZZZZZ-ZZZZZ", lang="zh") is None
    assert reports.ticket_view(store, "' OR 1=1 --", lang="zh") is None
    assert reports.ticket_view(store, left, lang="zh") is None  # half a ticket is none


def test_the_eleventh_anonymous_report_in_a_minute_is_refused(any_work_store: Store) -> None:
    store = any_work_store
    buildings = store.read("building", columns=["building_id"])["building_id"].tolist()[:11]
    for i, building in enumerate(buildings[:10]):
        when = REAL + dt.timedelta(seconds=5 * i)
        reports.file_report(store, _report(building), by=None, source="web 10.0.0.9", now=when)
    count = store.counts()["issue"]
    eleventh = REAL + dt.timedelta(seconds=55)
    with pytest.raises(ValidationError) as refused:
        reports.file_report(
            store, _report(buildings[10]), by=None, source="web 10.0.0.9", now=eleventh
        )
    assert refused.value.key == "error.report.too_many_address"
    assert "10" in error_text(refused.value, "zh") and "分钟" in error_text(refused.value, "zh")
    assert store.counts()["issue"] == count  # nothing filed
    other = reports.file_report(
        store, _report(buildings[10]), by=None, source="web 10.0.0.10", now=eleventh
    )
    assert other.issue_id > 0  # another address is not held back
    staff = get_user(store, STAFF)  # a signed-in worker is not limited
    own = _quiet_building(store)
    reports.file_report(store, _report(own), by=staff, source="web 10.0.0.9", now=eleventh)
    later = REAL + dt.timedelta(seconds=61)  # the first report has left the minute
    reports.file_report(store, _report(buildings[10]), by=None, source="web 10.0.0.9", now=later)


def test_one_building_takes_twenty_anonymous_reports_an_hour(any_work_store: Store) -> None:
    store = any_work_store
    building = _quiet_building(store)
    for i in range(reports.BUILDING_LIMIT[0]):
        when = REAL + dt.timedelta(minutes=2 * i)
        reports.file_report(store, _report(building), by=None, source=f"web 10.1.0.{i}", now=when)
    with pytest.raises(ValidationError) as refused:
        reports.file_report(
            store,
            _report(building),
            by=None,
            source="web 10.2.0.1",
            now=REAL + dt.timedelta(minutes=50),
        )
    assert refused.value.key == "error.report.too_many_building"


def test_a_bad_report_says_what_is_wrong_and_files_nothing(any_work_store: Store) -> None:
    store = any_work_store
    building = _quiet_building(store)
    before = store.counts()
    cases = [
        (_report(building, photos=[PHOTO] * 4), "error.report.too_many_photos"),
        (_report(building, description="  "), "error.issue.required"),
        (_report(building, reporter_phone="call me"), "error.issue.bad_phone"),
        (_report(building, category="aliens"), "error.issue.bad_choice"),
        (_report(building, category=""), "error.issue.required"),
        (_report("no-such-building"), "error.issue.no_building"),
        (
            _report(building, photos=[{"name": "../../etc/passwd", "width": 1, "height": 1}]),
            "error.photo.name",
        ),
    ]
    for report, key in cases:
        with pytest.raises(ValidationError) as err:
            reports.file_report(store, report, by=None, source="web 10.3.0.1", now=REAL)
        assert err.value.key == key
    outsider = get_user(store, "S001-C2-staff1")
    with pytest.raises(PermissionDeniedError):
        reports.file_report(store, _report(building), by=outsider, source="web", now=REAL)
    after = store.counts()
    assert {k: after[k] for k in ("issue", "issue_photo", "issue_event")} == {
        k: before[k] for k in ("issue", "issue_photo", "issue_event")
    }


def _resolved(store: Store, building: str) -> tuple[reports.Filed, int]:
    filed = reports.file_report(
        store, _report(building), by=None, source="web 10.4.0.1", now=REAL, at=NOON
    )
    return filed, resolve(store, filed.issue_id, staff=STAFF, at=NOON)


def test_the_reporter_answers_the_callback_with_the_ticket(any_work_store: Store) -> None:
    store = any_work_store
    building = _quiet_building(store)
    filed = reports.file_report(store, _report(building), by=None, source="web 10.4.0.2", now=REAL)
    with pytest.raises(LifecycleError):  # not resolved yet: nothing to rate
        workflow.callback_by_ticket(store, filed.ticket, rating="satisfied", version=1)
    filed, version = _resolved(store, building)
    shown = reports.ticket_view(store, filed.ticket, lang="zh")
    assert shown is not None and shown["can_rate"] and shown["version"] == version
    with pytest.raises(StaleEditError):  # a ticket page drawn before the last step
        workflow.callback_by_ticket(store, filed.ticket, rating="satisfied", version=version - 1)
    with pytest.raises(ValidationError):
        workflow.callback_by_ticket(store, "AAAAA-AAAAA", rating="satisfied", version=version)
    workflow.callback_by_ticket(
        store, filed.ticket, rating="satisfied", version=version, at=NOON + dt.timedelta(hours=5)
    )
    issue = store.read("issue", where={"issue_id": filed.issue_id}).iloc[0]
    assert (issue["status"], issue["satisfaction"]) == ("callback", "satisfied")
    last = store.read("issue_event", where={"issue_id": filed.issue_id}).iloc[-1]
    assert (last["action"], last["actor"]) == ("callback", workflow.REPORTER)
    shown = reports.ticket_view(store, filed.ticket, lang="zh")
    assert shown is not None and not shown["can_rate"]  # answered once


def test_an_unsatisfied_reporter_reopens_the_issue(any_work_store: Store) -> None:
    store = any_work_store
    filed, version = _resolved(store, _quiet_building(store))
    workflow.callback_by_ticket(
        store,
        filed.ticket,
        rating="unsatisfied",
        note="灯还是不亮",
        version=version,
        at=NOON + dt.timedelta(hours=5),
    )
    issue = store.read("issue", where={"issue_id": filed.issue_id}).iloc[0]
    assert (issue["status"], issue["reopen_count"]) == ("assigned", 1)
    steps = reports.public_timeline(store, filed.issue_id, lang="zh")["step"].tolist()
    assert steps[-1] == label(EventAction.REOPEN, "zh")


def test_a_desk_cannot_log_a_qr_code_report(any_work_store: Store) -> None:
    store = any_work_store
    with pytest.raises(ValidationError) as err:
        workflow.log_issue(
            store,
            get_user(store, STAFF),
            building_id=_quiet_building(store),
            category="lighting",
            source="qr_code",
            title="楼道灯不亮",
        )
    assert err.value.key == "error.issue.bad_choice"
