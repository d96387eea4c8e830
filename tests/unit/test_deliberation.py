"""The four-step deliberation (mapgov.domain.deliberation): every allowed and refused step,
the unsatisfied rating's second round, the figures against hand counts, and the demo's matters.

The workflow tests run on SQLite and on PostgreSQL (``any_work_store``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd
import pytest

from mapgov.core.errors import (
    LifecycleError,
    MapgovError,
    PermissionDeniedError,
    StaleEditError,
    ValidationError,
)
from mapgov.core.i18n import t
from mapgov.core.model import MatterAction, MatterStatus, Role
from mapgov.domain import deliberation as delib
from mapgov.domain import party
from mapgov.domain.deliberation import workflow
from mapgov.domain.users import User, get_user
from mapgov.store import Store, open_store
from mapgov.views import deliberation as dv
from mapgov.views import party_cards
from mapgov.views.markup import md_text
from tests.conftest import AS_OF

COMMUNITY = "S001-C1"
STAFF = "S001-C1-staff1"
OTHER_STAFF = "S001-C2-staff1"
ADMIN = "S001-admin"
NOW = dt.datetime(2026, 11, 10, 9, 0)
DAY = dt.timedelta(days=1)
XSS = "<img src=x onerror=alert(1)>"


@pytest.fixture
def store(any_work_store: Store) -> Store:
    """A private copy of the demo street, on each backend."""
    return any_work_store


def _compound(store: Store, community: str = COMMUNITY, k: int = 0) -> str:
    comp = delib.load(store, street_id="S001", community_id=community)
    ids = sorted(
        store.query(
            "SELECT c.compound_id FROM compound c JOIN grid g ON g.grid_id = c.grid_id "
            "WHERE g.community_id = ? ORDER BY c.compound_id",
            [community],
        )["compound_id"]
    )
    assert comp is not None
    return str(ids[k])


def _meeting(store: Store, **kw: Any) -> delib.Meeting:
    members = list(delib.community_members(store, COMMUNITY)["member_id"][:2])
    fields: dict[str, Any] = {
        "held_on": NOW.date() + DAY,
        "branch": "支部：同意加装，党员带头",
        "committee": "业委会：协助报批",
        "residents": "居民：一楼要求补偿",
        "decision": "按楼层分摊，一楼不出资",
        "answer_unit": "区住建局",
        "answer_due": NOW.date() + 15 * DAY,
        "attendance": 18,
        "members": members,
        "minutes": "11月11日晚在党群服务站召开议事会",
    }
    return delib.Meeting(**(fields | kw))


def _proposed(store: Store, user: User | None = None, **kw: Any) -> str:
    user = user or get_user(store, STAFF)
    fields = {"compound_id": _compound(store), "title": "加装电梯", "question": "费用怎么分摊？"}
    return delib.propose(store, user, **(fields | kw), at=NOW)


def _decided(store: Store) -> str:
    matter_id = _proposed(store)
    delib.deliberate(
        store, get_user(store, STAFF), matter_id, _meeting(store), version=1, at=NOW + DAY
    )
    return matter_id


def _answered(store: Store) -> str:
    matter_id = _decided(store)
    delib.answer(
        store, get_user(store, STAFF), matter_id, reply="已受理", version=2, at=NOW + 3 * DAY
    )
    return matter_id


def _settled(store: Store) -> str:
    matter_id = _answered(store)
    delib.rate(
        store, get_user(store, STAFF), matter_id, rating="satisfied", version=3, at=NOW + 5 * DAY
    )
    return matter_id


def _withdrawn(store: Store) -> str:
    matter_id = _proposed(store)
    delib.withdraw(store, get_user(store, STAFF), matter_id, reason="重复", version=1, at=NOW)
    return matter_id


def _written(store: Store) -> tuple[int, ...]:
    c = store.counts()
    names = ("deliberation", "deliberation_round", "deliberation_attendee", "deliberation_issue")
    return (*(c[n] for n in names), c["deliberation_event"], c["change_log"])


# -- the four steps ------------------------------------------------------------------------
def test_a_matter_goes_through_the_four_steps_and_survives_a_restart(store: Store) -> None:
    staff = get_user(store, STAFF)
    before = _written(store)
    matter_id = _proposed(store, title=XSS)
    assert matter_id.startswith(f"D-{_compound(store)}-")
    m = delib.matter(store, matter_id)
    assert (m["status"], m["round_no"], m["version"], m["proposed_by"]) == (
        "proposed",
        1,
        1,
        staff.name,
    )
    assert m["title"] == XSS  # stored as typed
    meeting = _meeting(store)
    v = delib.deliberate(store, staff, matter_id, meeting, version=1, at=NOW + DAY)
    v = delib.answer(store, staff, matter_id, reply="补贴已拨付", version=v, at=NOW + 4 * DAY)
    v = delib.rate(
        store, staff, matter_id, rating="basically_satisfied", version=v, at=NOW + 6 * DAY
    )
    assert v == 4
    again = open_store(store.url if store.url.startswith("postgres") else store.path)
    m = delib.matter(again, matter_id)
    assert (m["status"], m["rating"], m["answer"], m["answer_unit"]) == (
        "settled",
        "basically_satisfied",
        "补贴已拨付",
        "区住建局",
    )
    assert m["closed_at"] == (NOW + 6 * DAY).isoformat()
    assert m["answer_due"] == meeting.answer_due.isoformat()
    steps = delib.history(again, matter_id)
    assert list(steps["action"]) == ["propose", "deliberate", "answer", "rate"]
    assert list(steps["to_status"]) == ["proposed", "decided", "answered", "settled"]
    assert set(steps["actor"]) == {staff.name}
    (r,) = delib.rounds(again, matter_id, reveal=True).itertuples()
    assert (r.branch_position, r.committee_position, r.residents_position) == (
        meeting.branch,
        meeting.committee,
        meeting.residents,
    )
    assert (r.attendance, r.minutes, r.decision) == (18, meeting.minutes, meeting.decision)
    names = delib.community_members(again, COMMUNITY).set_index("member_id")["name"]
    assert r.members == [names[m] for m in sorted(meeting.members)]
    masked = delib.rounds(again, matter_id, reveal=False)["members"].iloc[0]
    assert masked != r.members and all("*" in n for n in masked)
    after = _written(again)
    assert after[:2] == (before[0] + 1, before[1] + 1)
    assert after[2] == before[2] + len(meeting.members)
    assert after[4] == before[4] + 4


def test_unsatisfied_sends_it_back_for_another_round(store: Store) -> None:
    staff = get_user(store, STAFF)
    matter_id = _answered(store)
    with pytest.raises(ValidationError) as silent:  # the next round starts from what they said
        delib.rate(store, staff, matter_id, rating="unsatisfied", version=3, at=NOW + 5 * DAY)
    assert silent.value.key == "error.deliberation.required.note"
    assert delib.matter(store, matter_id)["status"] == "answered"
    v = delib.rate(
        store, staff, matter_id, rating="unsatisfied", note="没落实", version=3, at=NOW + 5 * DAY
    )
    m = delib.matter(store, matter_id)
    assert (m["status"], m["round_no"], m["rating"], v) == ("proposed", 2, "unsatisfied", 4)
    assert all(m[k] is None for k in ("decision", "answer_unit", "answer_due", "answer"))
    assert m["closed_at"] is None
    second = _meeting(store, held_on=NOW.date() + 7 * DAY, answer_due=NOW.date() + 20 * DAY)
    v = delib.deliberate(store, staff, matter_id, second, version=v, at=NOW + 7 * DAY)
    v = delib.answer(store, staff, matter_id, reply="第二次答复", version=v, at=NOW + 9 * DAY)
    v = delib.rate(store, staff, matter_id, rating="satisfied", version=v, at=NOW + 10 * DAY)
    assert delib.matter(store, matter_id)["status"] == "settled"
    rounds = delib.rounds(store, matter_id, reveal=True)
    assert list(rounds["round_no"]) == [1, 2]
    # each round keeps what was answered and how residents rated it (the matter keeps one)
    assert rounds["answer"].iloc[1] == "第二次答复" and rounds["answer"].iloc[0]
    assert list(rounds["rating"]) == ["unsatisfied: 没落实", "satisfied"]
    # a page that shows the history too passes it in: the same rounds from one read
    given = delib.rounds(store, matter_id, reveal=True, events=delib.history(store, matter_id))
    pd.testing.assert_frame_equal(given, rounds)
    # the card shows the present round's answer; the first round says what it was answered
    # and that residents were unsatisfied (the audit found it nowhere but in the history)
    (_, first_facts), (_, second_facts) = dv.round_lines(rounds, lang="zh", present=2)
    shown = dict(first_facts)
    assert shown[t("deliberation_page.card.answer")] == md_text(rounds["answer"].iloc[0])
    assert shown[t("deliberation_page.card.rating")] == "不满意：没落实"
    assert t("deliberation_page.card.answer") not in dict(second_facts)
    assert list(rounds["held_on"]) == [(NOW + DAY).date().isoformat(), second.held_on.isoformat()]
    steps = delib.history(store, matter_id)
    assert list(steps["to_status"]) == [
        "proposed",
        "decided",
        "answered",
        "proposed",
        "decided",
        "answered",
        "settled",
    ]
    assert steps["note"].iloc[3] == "unsatisfied: 没落实"


@pytest.mark.parametrize("start", ["proposed", "decided"])
def test_a_proposed_or_decided_matter_may_be_withdrawn(store: Store, start: str) -> None:
    matter_id = _proposed(store) if start == "proposed" else _decided(store)
    version = delib.matter(store, matter_id)["version"]
    delib.withdraw(
        store, get_user(store, ADMIN), matter_id, reason="并入改造", version=version, at=NOW + DAY
    )
    m = delib.matter(store, matter_id)
    assert (m["status"], m["closed_at"]) == ("withdrawn", (NOW + DAY).isoformat())
    last = delib.history(store, matter_id).iloc[-1]
    assert (last["action"], last["from_status"], last["note"]) == ("withdraw", start, "并入改造")


def test_issues_of_the_same_compound_are_linked_once(store: Store) -> None:
    staff = get_user(store, STAFF)
    matter_id = _decided(store)
    compound = _compound(store)
    issues = store.read("issue", where={"compound_id": compound}, columns=["issue_id"])
    first = int(issues["issue_id"].iloc[0])
    v = delib.link_issue(store, staff, matter_id, issue_id=first, version=2, at=NOW + DAY)
    assert v == 3 and delib.matter(store, matter_id)["status"] == "decided"
    assert list(delib.linked_issues(store, matter_id)["issue_id"]) == [first]
    store.edit(  # a resident wrote a phone number into the title
        [("update", "issue", {"issue_id": first}, {"title": "楼道灯坏了 13912345678"})],
        actor="test",
        at=NOW.isoformat(),
    )
    assert delib.linked_issues(store, matter_id)["title"].iloc[0] == "楼道灯坏了 139****5678"
    full = delib.linked_issues(store, matter_id, reveal=True)  # the community's own staff
    assert full["title"].iloc[0] == "楼道灯坏了 13912345678"
    last = delib.history(store, matter_id).iloc[-1]
    assert (last["action"], last["from_status"], last["to_status"]) == (
        "link_issue",
        "decided",
        "decided",
    )
    elsewhere = store.query(
        "SELECT issue_id FROM issue WHERE compound_id <> ? ORDER BY issue_id", [compound]
    )["issue_id"].iloc[0]
    before = _written(store)
    refusals = [
        (first, "error.deliberation.already_linked"),
        (int(elsewhere), "error.deliberation.issue_elsewhere"),
        (10_000_000, "error.deliberation.no_issue"),
    ]
    for issue_id, key in refusals:
        with pytest.raises(ValidationError) as err:
            delib.link_issue(store, staff, matter_id, issue_id=issue_id, version=3, at=NOW)
        assert err.value.key == key
    assert _written(store) == before
    settled = _settled(store)  # a settled matter may still name the issues it settled
    delib.link_issue(store, staff, settled, issue_id=first, version=4, at=NOW + 6 * DAY)


# -- refusals ------------------------------------------------------------------------------
_MAKERS = {
    "proposed": _proposed,
    "decided": _decided,
    "answered": _answered,
    "settled": _settled,
    "withdrawn": _withdrawn,
}


def _take(store: Store, user: User, action: MatterAction, matter_id: str, version: int) -> int:
    at = NOW + 8 * DAY
    if action is MatterAction.DELIBERATE:
        return delib.deliberate(store, user, matter_id, _meeting(store), version=version, at=at)
    if action is MatterAction.ANSWER:
        return delib.answer(store, user, matter_id, reply="答复", version=version, at=at)
    if action is MatterAction.RATE:
        return delib.rate(store, user, matter_id, rating="satisfied", version=version, at=at)
    if action is MatterAction.WITHDRAW:
        return delib.withdraw(store, user, matter_id, reason="撤回", version=version, at=at)
    issue = store.read("issue", where={"compound_id": _compound(store)}, columns=["issue_id"])
    return delib.link_issue(
        store, user, matter_id, issue_id=int(issue["issue_id"].iloc[-1]), version=version, at=at
    )


_ACTIONS = [a for a in MatterAction if a is not MatterAction.PROPOSE]


@pytest.mark.parametrize("state", list(_MAKERS))
def test_every_step_is_allowed_from_its_states_only(store: Store, state: str) -> None:
    staff = get_user(store, STAFF)
    matter_id = _MAKERS[state](store)
    record = delib.matter(store, matter_id)
    allowed = delib.allowed_actions(store, record, staff)
    assert allowed == [a for a in _ACTIONS if MatterStatus(state) in delib.STEPS[a]]
    for action in _ACTIONS:
        if action in allowed:
            continue
        before = _written(store)
        with pytest.raises(LifecycleError) as err:
            _take(store, staff, action, matter_id, int(record["version"]))
        assert err.value.key == "error.deliberation.lifecycle"
        assert err.value.params["status"] == MatterStatus(state)
        assert _written(store) == before
    for action in allowed:  # and each allowed one goes through (on a fresh matter)
        fresh = _MAKERS[state](store)
        _take(store, staff, action, fresh, int(delib.matter(store, fresh)["version"]))


@pytest.mark.parametrize(
    "who",
    ["S001-leader", "S001-planner", OTHER_STAFF, "display"],
)
def test_only_the_communitys_staff_and_admins_may_act(store: Store, who: str) -> None:
    user = (
        User("wall", "大屏", Role.DISPLAY, street_id="S001")
        if who == "display"
        else get_user(store, who)
    )
    staff = get_user(store, STAFF)
    before = _written(store)
    with pytest.raises(PermissionDeniedError) as err:
        _proposed(store, user)
    assert err.value.key == "error.deliberation.denied"
    assert err.value.params["action"] == MatterAction.PROPOSE
    assert _written(store) == before
    for state, actions in (
        ("proposed", [MatterAction.DELIBERATE, MatterAction.WITHDRAW, MatterAction.LINK_ISSUE]),
        ("decided", [MatterAction.ANSWER]),
        ("answered", [MatterAction.RATE]),
    ):
        matter_id = _MAKERS[state](store)
        record = delib.matter(store, matter_id)
        assert delib.allowed_actions(store, record, user) == []
        assert delib.allowed_actions(store, record, staff) != []
        before = _written(store)
        for action in actions:
            with pytest.raises(PermissionDeniedError):
                _take(store, user, action, matter_id, int(record["version"]))
        assert _written(store) == before


def test_a_street_admin_takes_every_step(store: Store) -> None:
    admin = get_user(store, ADMIN)
    matter_id = _proposed(store, admin)
    assert delib.matter(store, matter_id)["proposed_by"] == admin.name
    v = _take(store, admin, MatterAction.DELIBERATE, matter_id, 1)
    v = _take(store, admin, MatterAction.ANSWER, matter_id, v)
    _take(store, admin, MatterAction.RATE, matter_id, v)
    assert delib.matter(store, matter_id)["status"] == "settled"


@pytest.mark.parametrize("action", _ACTIONS)
def test_a_stale_form_is_refused_and_nothing_changes(store: Store, action: MatterAction) -> None:
    state = {
        MatterAction.DELIBERATE: "proposed",
        MatterAction.ANSWER: "decided",
        MatterAction.RATE: "answered",
        MatterAction.WITHDRAW: "decided",
        MatterAction.LINK_ISSUE: "answered",
    }[action]
    matter_id = _MAKERS[state](store)
    record = delib.matter(store, matter_id)
    before = _written(store)
    with pytest.raises(StaleEditError) as err:
        _take(store, get_user(store, STAFF), action, matter_id, int(record["version"]) - 1)
    assert err.value.key == "error.deliberation.stale"
    assert _written(store) == before
    assert delib.matter(store, matter_id) == record


def test_the_store_rechecks_the_version_inside_the_transaction(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    matter_id = _proposed(store)
    staff = get_user(store, STAFF)
    seen = delib.matter(store, matter_id)
    # the race: someone saves between the step's read (which still sees version 1) and its write
    monkeypatch.setattr(workflow, "matter", lambda _store, _id: dict(seen))
    with store.transaction() as con:
        con.execute("UPDATE deliberation SET version = 2 WHERE matter_id = ?", [matter_id])
    before = _written(store)
    with pytest.raises(StaleEditError) as err:
        delib.withdraw(store, staff, matter_id, reason="x", version=1, at=NOW)
    assert err.value.key == "error.edit.stale"
    assert _written(store) == before
    assert store.read("deliberation", where={"matter_id": matter_id})["status"].iloc[0] == (
        "proposed"
    )


@pytest.mark.parametrize(
    ("change", "key"),
    [
        ({"answer_due": NOW.date()}, "error.deliberation.due_before_meeting"),
        ({"held_on": NOW.date() + 30 * DAY}, "error.deliberation.future_date"),
        ({"held_on": NOW.date() - 3 * DAY}, "error.deliberation.before_proposal"),
        ({"attendance": -1}, "error.deliberation.bad_attendance"),
        ({"attendance": 0, "members": []}, "error.deliberation.no_attendance"),
        ({"attendance": 1}, "error.deliberation.attendance_below_members"),
        ({"members": ["M-S001-C2-01-1"]}, "error.deliberation.not_member"),
        ({"branch": "  "}, "error.deliberation.required.branch_position"),
        ({"committee": ""}, "error.deliberation.required.committee_position"),
        ({"residents": ""}, "error.deliberation.required.residents_position"),
        ({"decision": ""}, "error.deliberation.required.decision"),
        ({"answer_unit": ""}, "error.deliberation.required.answer_unit"),
        ({"minutes": "纪" * 4001}, "error.deliberation.too_long.minutes"),
    ],
)
def test_a_bad_round_is_refused_with_its_reason(
    store: Store, change: dict[str, Any], key: str
) -> None:
    matter_id = _proposed(store)
    meeting = _meeting(store, **change)
    before = _written(store)
    with pytest.raises(ValidationError) as err:
        delib.deliberate(store, get_user(store, STAFF), matter_id, meeting, version=1, at=NOW + DAY)
    assert err.value.key == key
    assert _written(store) == before
    assert delib.matter(store, matter_id)["status"] == "proposed"


def test_a_meeting_nobody_attended_is_refused_naming_the_attendance(store: Store) -> None:
    matter_id = _proposed(store)
    staff = get_user(store, STAFF)
    meeting = lambda n: _meeting(store, attendance=n, members=[])  # noqa: E731
    before = _written(store)
    with pytest.raises(ValidationError) as err:
        delib.deliberate(store, staff, matter_id, meeting(0), version=1, at=NOW + DAY)
    assert err.value.key == "error.deliberation.no_attendance"
    assert t("deliberation_page.form.attendance", "zh") in t(err.value.key, "zh")  # 参会人数
    assert "attendance" in t(err.value.key, "en")
    assert _written(store) == before
    assert delib.rounds(store, matter_id, reveal=True).empty
    assert delib.matter(store, matter_id)["status"] == "proposed"
    # one attendee is enough
    delib.deliberate(store, staff, matter_id, meeting(1), version=1, at=NOW + DAY)
    assert delib.matter(store, matter_id)["status"] == "decided"


def test_a_member_registered_with_the_community_may_attend(store: Store) -> None:
    registered = set(store.read("member_registration", columns=["member_id"])["member_id"])
    members = delib.community_members(store, "S001-C2")["member_id"]
    other = members[~members.isin(registered)].iloc[0]  # not registered anywhere yet
    assert other not in set(delib.community_members(store, COMMUNITY)["member_id"])
    with store.transaction() as con:
        con.execute(
            "INSERT INTO member_registration (member_id, community_id, registered_on, "
            "work_unit, recorded_by) VALUES (?, ?, ?, ?, ?)",
            [other, COMMUNITY, "2026-03-01", "市供电公司", "test"],
        )
    matter_id = _proposed(store)
    meeting = _meeting(store, members=[other])
    delib.deliberate(store, get_user(store, STAFF), matter_id, meeting, version=1, at=NOW + DAY)
    assert store.read("deliberation_attendee", where={"matter_id": matter_id})[
        "member_id"
    ].tolist() == [other]


def test_bad_input_of_the_other_steps_is_refused(store: Store) -> None:
    staff = get_user(store, STAFF)
    before = _written(store)
    for title, key in (("", "required.title"), ("题" * 121, "too_long.title")):
        with pytest.raises(ValidationError) as err:
            _proposed(store, title=title)
        assert err.value.key == f"error.deliberation.{key}"
    with pytest.raises(ValidationError) as err:
        _proposed(store, compound_id="S404-C9-99")
    assert _written(store) == before
    decided, answered, proposed = _decided(store), _answered(store), _proposed(store)
    cases = [
        (
            lambda: delib.answer(store, staff, decided, reply=" ", version=2, at=NOW),
            "required.answer",
        ),
        (
            lambda: delib.rate(store, staff, answered, rating="great", version=3, at=NOW),
            "bad_rating",
        ),
        (
            lambda: delib.withdraw(store, staff, proposed, reason="", version=1, at=NOW),
            "required.reason",
        ),
        (
            lambda: delib.answer(store, staff, "D-nope-001", reply="x", version=1, at=NOW),
            "not_found",
        ),
    ]
    before = _written(store)
    for call, key in cases:
        with pytest.raises(MapgovError) as err:
            call()
        assert err.value.key == f"error.deliberation.{key}"
    assert _written(store) == before


def test_the_history_is_append_only(store: Store) -> None:
    matter_id = _proposed(store)
    with (
        pytest.raises(Exception, match="deliberation_event is append-only"),
        store.transaction() as con,
    ):
        con.execute("UPDATE deliberation_event SET note = 'x' WHERE matter_id = ?", [matter_id])
    assert delib.history(store, matter_id)["note"].tolist() == ["加装电梯"]


# -- figures -------------------------------------------------------------------------------
def _ev(matter: str, at: str, action: str, frm: str | None, to: str, note: str = "") -> dict:
    return {
        "matter_id": matter,
        "at": at,
        "actor": "x",
        "action": action,
        "from_status": frm,
        "to_status": to,
        "note": note,
    }


def _hand_frames() -> delib.DelibFrames:
    """Five matters in two communities, their days per step counted by hand below."""
    matters = pd.DataFrame(
        [
            # A: settled in 2 + 5 + 1 days; rated satisfied
            ("A", "C1", "settled", 1, None),
            # B: unsatisfied once (4, 10, 2 days), then 3, 4, 1 days; settled
            ("B", "C1", "settled", 2, None),
            # C: decided after 6 days, answer due 2026-11-10: overdue on 2026-11-15
            ("C", "C1", "decided", 1, "2026-11-10"),
            # D: withdrawn after 3 days: no step counted
            ("D", "C2", "withdrawn", 1, None),
            # E: decided after 1 day, due 2026-11-20: not overdue
            ("E", "C2", "decided", 1, "2026-11-20"),
        ],
        columns=["matter_id", "community_id", "status", "round_no", "answer_due"],
    )
    matters["compound_name"] = "小区"
    ev = [
        _ev("A", "2026-01-01T09:00:00", "propose", None, "proposed"),
        _ev("A", "2026-01-02T09:00:00", "link_issue", "proposed", "proposed", "#1"),
        _ev("A", "2026-01-03T09:00:00", "deliberate", "proposed", "decided"),
        _ev("A", "2026-01-08T09:00:00", "answer", "decided", "answered"),
        _ev("A", "2026-01-09T09:00:00", "rate", "answered", "settled", "satisfied"),
        _ev("B", "2026-02-01T09:00:00", "propose", None, "proposed"),
        _ev("B", "2026-02-05T09:00:00", "deliberate", "proposed", "decided"),
        _ev("B", "2026-02-15T09:00:00", "answer", "decided", "answered"),
        _ev("B", "2026-02-17T09:00:00", "rate", "answered", "proposed", "unsatisfied: 不行"),
        _ev("B", "2026-02-20T09:00:00", "deliberate", "proposed", "decided"),
        _ev("B", "2026-02-24T09:00:00", "answer", "decided", "answered"),
        _ev("B", "2026-02-25T09:00:00", "rate", "answered", "settled", "basically_satisfied"),
        _ev("C", "2026-10-01T09:00:00", "propose", None, "proposed"),
        _ev("C", "2026-10-07T09:00:00", "deliberate", "proposed", "decided"),
        _ev("D", "2026-03-01T09:00:00", "propose", None, "proposed"),
        _ev("D", "2026-03-04T09:00:00", "withdraw", "proposed", "withdrawn", "重复"),
        _ev("E", "2026-11-01T09:00:00", "propose", None, "proposed"),
        _ev("E", "2026-11-02T09:00:00", "deliberate", "proposed", "decided"),
    ]
    events = pd.DataFrame(ev)
    events.insert(0, "event_id", range(1, len(events) + 1))
    return delib.DelibFrames(matters=matters, events=events)


def test_the_figures_equal_hand_counts() -> None:
    table = delib.community_figures(_hand_frames(), AS_OF).set_index("community_id")
    c1, c2, total = table.loc["C1"], table.loc["C2"], table.loc["ALL"]
    assert (c1["matters"], c1["settled"], c1["withdrawn"], c1["open"]) == (3, 2, 0, 1)
    assert (c2["matters"], c2["settled"], c2["withdrawn"], c2["open"]) == (2, 0, 1, 1)
    assert c1["days_proposed"] == pytest.approx((2 + 4 + 3 + 6) / 4)
    assert c1["days_decided"] == pytest.approx((5 + 10 + 4) / 3)
    assert c1["days_answered"] == pytest.approx((1 + 2 + 1) / 3)
    assert c2["days_proposed"] == pytest.approx(1.0)  # D's withdrawal is no step
    assert np.isnan(c2["days_decided"]) and np.isnan(c2["satisfied_share"])
    assert (c1["ratings"], c1["satisfied_share"]) == (3, pytest.approx(2 / 3))
    assert (c1["overdue"], c2["overdue"], total["overdue"]) == (1, 0, 1)
    assert (total["matters"], total["settled"]) == (5, 2)
    assert total["days_proposed"] == pytest.approx((2 + 4 + 3 + 6 + 1) / 5)
    listed = delib.matter_list(_hand_frames(), AS_OF, status="decided")
    assert listed.set_index("matter_id")["days_overdue"].to_dict() == {"C": 5, "E": 0}


def test_the_figures_of_matters_worked_through_the_store(store: Store) -> None:
    """The same counts on matters taken through the workflow on each backend."""
    staff = get_user(store, STAFF)
    settled = _settled(store)  # 1 + 2 + 2 days
    reopened = _answered(store)
    delib.rate(
        store, staff, reopened, rating="unsatisfied", note="还漏水", version=3, at=NOW + 4 * DAY
    )
    overdue = _decided(store)  # due NOW + 15 days
    ids = [settled, reopened, overdue]
    frames = delib.load(store, street_id="S001").only(ids)
    later = NOW.date() + 20 * DAY
    row = delib.community_figures(frames, later).set_index("community_id").loc[COMMUNITY]
    assert (row["matters"], row["settled"], row["open"], row["overdue"]) == (3, 1, 2, 1)
    assert row["days_proposed"] == pytest.approx(1.0)
    assert row["days_decided"] == pytest.approx(2.0)
    assert row["days_answered"] == pytest.approx((2 + 1) / 2)
    assert (row["ratings"], row["satisfied_share"]) == (2, pytest.approx(0.5))
    assert delib.recent_matters(store, _compound(store))[0]["matter_id"] in ids


def test_the_card_and_tables_escape_typed_text() -> None:
    record = {
        "status": "answered",
        "round_no": 1,
        "question": XSS,
        "proposed_at": "2026-11-01T09:00:00",
        "proposed_by": "张三",
        "decision": XSS,
        "answer_unit": XSS,
        "answer_due": "2026-11-20",
        "answer": XSS,
        "answered_at": "2026-11-05T09:00:00",
        "rating": None,
    }
    lines = dv.card_lines(record, lang="zh")
    assert len(lines) == 7
    assert sum("\\<img" in value for _, value in lines) == 4  # question, decision, unit, answer
    assert all(value.count("<") == value.count("\\<") for _, value in lines)
    line = dv.recent_line({"title": XSS, "status": "settled", "date": "2026-11-01"}, lang="en")
    assert line.count("<") == line.count("\\<") == 1 and "Settled" in line


# -- the demo ------------------------------------------------------------------------------
def test_the_demo_matters_are_believable(demo_store: Store) -> None:
    frames = delib.load(demo_store, street_id="S001")
    m = frames.matters
    assert 40 <= len(m) <= 80
    counts = m["status"].value_counts()
    assert counts["settled"] > len(m) / 2
    assert all(counts.get(s.value, 0) >= 1 for s in MatterStatus if s is not MatterStatus.WITHDRAWN)
    assert (m["round_no"] > 1).sum() >= 1
    assert (
        delib.community_figures(frames, AS_OF).set_index("community_id").loc["ALL", "overdue"] > 0
    )
    events = frames.events
    assert (events["at"] <= f"{AS_OF.isoformat()}T18:00:00").all()
    per_matter = events.groupby("matter_id").size()
    assert (m.set_index("matter_id")["version"] == per_matter.reindex(m["matter_id"])).all()
    last = events.groupby("matter_id")["to_status"].last()
    assert (m.set_index("matter_id")["status"] == last.reindex(m["matter_id"])).all()
    rounds = demo_store.read("deliberation_round")
    assert rounds["minutes"].str.contains("议事").all()
    decided = events[events["action"] == "deliberate"].groupby("matter_id").size()
    assert rounds.groupby("matter_id").size().reindex(decided.index).eq(decided).all()
    who = demo_store.read("deliberation_attendee").merge(m[["matter_id", "community_id"]])
    for community, group in who.groupby("community_id"):
        allowed = set(delib.community_members(demo_store, str(community))["member_id"])
        assert set(group["member_id"]) <= allowed
    links = demo_store.read("deliberation_issue").merge(m[["matter_id", "compound_id"]])
    issues = demo_store.read("issue", where={"issue_id": [int(i) for i in links["issue_id"]]})
    assert len(links) > 0
    same = links.merge(issues[["issue_id", "compound_id"]], on="issue_id", suffixes=("", "_i"))
    assert (same["compound_id"] == same["compound_id_i"]).all()


def test_the_list_flags_and_paints_overdue_answers() -> None:
    frames = _hand_frames()
    frames.matters["title"] = frames.matters["matter_id"]
    for column in ("proposed_at", "answer_unit"):
        frames.matters[column] = None
    frames.matters["proposed_at"] = "2026-01-01T09:00:00"
    table = dv.matter_table(frames, AS_OF, lang="en", status="decided")
    late = t_("deliberation_page.list.overdue")
    assert dict(zip(table[t_("deliberation_page.list.matter_id")], table[late], strict=True)) == {
        "C": t_("deliberation_page.list.late_days", n=5),
        "E": "",
    }
    style = dv.overdue_style(table, lang="en").to_html().split("</style>")[0]
    assert dv.OVERDUE_COLOR in style  # every cell of C's row (the first) painted, none of E's
    assert all(f"_row0_col{k}" in style for k in range(len(table.columns)))
    assert "_row1_" not in style
    names = {"C1": "七一路", "C2": "王城"}
    figures = dv.figure_table(frames, AS_OF, names=names, lang="en")
    assert list(figures[t_("deliberation_page.fig.community")]) == ["七一路", "王城", "Total"]
    assert list(figures[t_("deliberation_page.fig.satisfied_share")]) == ["67%", "—", "67%"]


def t_(key: str, **fmt: object) -> str:
    return t(key, "en", **fmt)


def test_the_governance_card_lists_the_compounds_recent_matters(demo_store: Store) -> None:
    matters = delib.load(demo_store, street_id="S001").matters
    compound = str(matters["compound_id"].value_counts().index[0])  # the busiest
    card = party_cards.compound_card(
        demo_store, party.load(demo_store, street_id="S001"), compound, reveal=False, today=AS_OF
    )
    recent = card["recent_matters"]
    mine = matters[matters["compound_id"] == compound]
    assert 1 <= len(recent) == min(3, len(mine))
    assert {r["matter_id"] for r in recent} <= set(mine["matter_id"])
    dates = [r["date"] for r in recent]
    assert dates == sorted(dates, reverse=True)
    line = dv.recent_line(recent[0], lang="zh")
    assert md_text(recent[0]["title"]) in line
