"""A round of the three parties' deliberation (三方议题): what it records, who may attend,
and the step that records it (:func:`deliberate`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import pandas as pd

from mapgov.core.errors import ValidationError
from mapgov.core.model import MatterAction, MatterStatus
from mapgov.domain.deliberation.workflow import MAX_TEXT, _clean, _open, _save, _stamp
from mapgov.domain.users import User
from mapgov.store import Store

__all__ = ["Meeting", "community_members", "deliberate"]

MAX_UNIT: Final = 80
MAX_ATTENDANCE: Final = 10_000


@dataclass(frozen=True)
class Meeting:
    """What one round of the three parties' deliberation (三方议题) records.

    held_on
        The meeting's day: not before the question was set, not after the step's day.
    branch, committee, residents
        The positions of the compound's party branch, the owners' or property committee and
        the residents' representatives (each required).
    decision
        What the parties decided (required).
    answer_unit
        The property company or department that must answer (required).
    answer_due
        The day the answer is due: not before the meeting.
    attendance
        How many people attended, 1 to 10,000 (a meeting has at least one attendee), at
        least the party members listed.
    members
        ``member_id`` of the party members who attended (of the community).
    minutes
        The minutes, optional.
    """

    held_on: dt.date
    branch: str
    committee: str
    residents: str
    decision: str
    answer_unit: str
    answer_due: dt.date
    attendance: int
    members: Sequence[str] = field(default_factory=tuple)
    minutes: str = ""


def community_members(store: Store, community_id: str) -> pd.DataFrame:
    """The party members who may attend a community's deliberations: members of its
    compounds' branches, of its buildings' party groups and of the community committee above
    them, and in-service members registered with the community (在职党员报到).

    Parameters
    ----------
    store : Store
        The database to read.
    community_id : str
        The community.

    Returns
    -------
    pandas.DataFrame
        [member_id, name, org_id] (names unmasked: callers mask them for those who may not
        see them), by ``member_id``.
    """
    grids = store.read("grid", where={"community_id": community_id}, columns=["grid_id"])
    comp = store.read(
        "compound", where={"grid_id": list(grids["grid_id"])}, columns=["compound_id", "branch_id"]
    )
    groups = store.read(
        "building", where={"compound_id": list(comp["compound_id"])}, columns=["party_group_id"]
    )
    orgs = set(comp["branch_id"].dropna()) | set(groups["party_group_id"].dropna())
    parents = store.read("party_org", where={"org_id": sorted(orgs)}, columns=["parent_id"])
    above = store.read(
        "party_org",
        where={"org_id": sorted(parents["parent_id"].dropna().unique())},
        columns=["org_id", "level"],
    )
    orgs |= set(above.loc[above["level"] == "community_committee", "org_id"])
    members = store.read("party_member", columns=["member_id", "name", "org_id"])
    registered = store.read(
        "member_registration", where={"community_id": community_id}, columns=["member_id"]
    )
    mine = members["org_id"].isin(orgs) | members["member_id"].isin(registered["member_id"])
    return members[mine].sort_values("member_id").reset_index(drop=True)


def _members(store: Store, community_id: str, given: Sequence[str]) -> list[str]:
    chosen = sorted({str(m).strip() for m in given if str(m).strip()})
    known = set(community_members(store, community_id)["member_id"])
    strangers = [m for m in chosen if m not in known]
    if strangers:
        msg = f"party members {strangers} are not of community {community_id}"
        raise ValidationError(
            msg, key="error.deliberation.not_member", members=", ".join(strangers)
        )
    return chosen


def _meeting_values(meeting: Meeting, row: Mapping[str, Any], today: dt.date) -> dict[str, Any]:
    """The round's texts cleaned, its dates and attendance checked."""
    texts = {
        "branch_position": _clean(meeting.branch, "branch_position", limit=MAX_TEXT, required=True),
        "committee_position": _clean(
            meeting.committee, "committee_position", limit=MAX_TEXT, required=True
        ),
        "residents_position": _clean(
            meeting.residents, "residents_position", limit=MAX_TEXT, required=True
        ),
        "decision": _clean(meeting.decision, "decision", limit=MAX_TEXT, required=True),
        "minutes": _clean(meeting.minutes, "minutes", limit=MAX_TEXT),
    }
    unit = _clean(meeting.answer_unit, "answer_unit", limit=MAX_UNIT, required=True)
    held, due = meeting.held_on, meeting.answer_due
    since = dt.date.fromisoformat(str(row["proposed_at"])[:10])
    # each (later, earlier) pair must be in order: refused with the dates in the message
    for later, earlier, msg, key, dates in (
        (today, held, f"the meeting day {held} is in the future", "future_date", {"date": held}),
        (
            held,
            since,
            f"the meeting day {held} is before the question was set ({since})",
            "before_proposal",
            {"date": held, "since": since},
        ),
        (
            due,
            held,
            f"the answer is due {due}, before the meeting ({held})",
            "due_before_meeting",
            {"due": due, "held": held},
        ),
    ):
        if later < earlier:
            days = {name: day.isoformat() for name, day in dates.items()}
            raise ValidationError(msg, key=f"error.deliberation.{key}", **days)
    n = meeting.attendance
    if isinstance(n, bool) or not isinstance(n, int) or not 0 <= n <= MAX_ATTENDANCE:
        msg = f"attendance must be a whole number from 1 to {MAX_ATTENDANCE}, not {n!r}"
        raise ValidationError(msg, key="error.deliberation.bad_attendance", high=MAX_ATTENDANCE)
    if n == 0:
        msg = "attendance is 0: a meeting has at least one attendee"
        raise ValidationError(msg, key="error.deliberation.no_attendance")
    return {**texts, "answer_unit": unit}


def deliberate(
    store: Store, user: User, matter_id: str, meeting: Meeting, *, version: int, at: dt.datetime
) -> int:
    """The three parties deliberate a ``proposed`` matter (三方议题) and decide: a round.

    Parameters
    ----------
    store : Store
        Where the round is written.
    user : User
        Who records it: staff of the compound's community or an admin of its street.
    matter_id : str
        A ``proposed`` matter.
    meeting : Meeting
        What the round records (see :class:`Meeting` for its checks).
    version : int
        The matter's version as the form showed it.
    at : datetime.datetime
        When the round is recorded: the meeting is not after its day.

    Returns
    -------
    int
        The matter's new version; it is ``decided``.

    Raises
    ------
    ValidationError
        For missing or overlong text, a meeting day in the future or before the question, a
        due day before the meeting, an attendance of 0 or out of range, or a member of another
        community.
    PermissionDeniedError, StaleEditError, LifecycleError
        For a user without rights, a stale form, a matter not ``proposed``.
    """
    row = _open(store, user, matter_id, MatterAction.DELIBERATE, version)
    values = _meeting_values(meeting, row, at.date())
    members = _members(store, str(row["community_id"]), meeting.members)
    if len(members) > meeting.attendance:
        msg = f"{len(members)} party members attended but attendance is {meeting.attendance}"
        raise ValidationError(
            msg, key="error.deliberation.attendance_below_members", n=len(members)
        )
    stamp = _stamp(at)
    round_no = int(row["round_no"])
    round_key = {"matter_id": matter_id, "round_no": round_no}
    round_values = {
        "held_on": meeting.held_on.isoformat(),
        **{k: values[k] for k in ("branch_position", "committee_position", "residents_position")},
        "minutes": values["minutes"],
        "attendance": int(meeting.attendance),
        "decision": values["decision"],
        "recorded_by": user.name,
        "recorded_at": stamp,
    }
    inserts = [("insert", "deliberation_round", round_key, round_values)]
    inserts += [
        ("insert", "deliberation_attendee", {**round_key, "member_id": m}, {}) for m in members
    ]
    changes = {
        "status": MatterStatus.DECIDED.value,
        "decision": values["decision"],
        "decided_at": stamp,
        "answer_unit": values["answer_unit"],
        "answer_due": meeting.answer_due.isoformat(),
    }
    return _save(
        store,
        user,
        row,
        MatterAction.DELIBERATE,
        changes,
        at=stamp,
        note=values["decision"],
        inserts=inserts,
    )
