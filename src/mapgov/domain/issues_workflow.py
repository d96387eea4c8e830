"""The issue workflow: one function per action on the issue ledger (问题台账).

:func:`log_issue`, :func:`assign`, :func:`start`, :func:`escalate`, :func:`resolve`,
:func:`callback`, :func:`close`; :func:`allowed_actions` lists what a user may do to an issue.
Each action checks the actor's rights (:mod:`mapgov.domain.users`) and the lifecycle
(:data:`mapgov.core.model.ALLOWED_TRANSITIONS`), then writes the issue and appends its events in
one transaction, refusing the save if the issue changed since the version the user saw
(optimistic locking). Refusals raise a :class:`~mapgov.core.errors.MapgovError` whose message
says why; nothing is written. What the issue map reads is :mod:`mapgov.domain.issues`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Unpack

from mapgov.core import model
from mapgov.core.errors import (
    LifecycleError,
    PermissionDeniedError,
    StaleEditError,
    ValidationError,
)
from mapgov.domain.editing import check_phone, edit_stamp
from mapgov.domain.issues import one_row
from mapgov.domain.places import community_of_compound
from mapgov.domain.steps import Step, step_fields
from mapgov.domain.users import User, can_edit
from mapgov.store import Store

__all__ = [
    "MAX_TEXT",
    "MAX_TITLE",
    "REPORTER",
    "SLA_DAYS",
    "allowed_actions",
    "assign",
    "callback",
    "callback_by_ticket",
    "close",
    "escalate",
    "issue_building",
    "log_issue",
    "resolve",
    "start",
]

SLA_DAYS: dict[model.Level, int] = {
    model.Level.COMPOUND: 5,
    model.Level.GRID: 7,
    model.Level.COMMUNITY: 15,
    model.Level.STREET: 30,
}
"""Days to resolve an issue, by the level it sits at."""
MAX_TITLE = 120
MAX_TEXT = 2000
"""Longest title and text an issue takes (characters)."""
REPORTER: Final = "报事居民"
"""The actor recorded for a step the reporter takes on the ticket page (no account)."""


# action -> statuses it may start from
_FROM: dict[model.EventAction, frozenset[model.IssueStatus]] = {
    model.EventAction.ASSIGN: frozenset({model.IssueStatus.REPORTED}),
    model.EventAction.START: frozenset({model.IssueStatus.ASSIGNED}),
    model.EventAction.ESCALATE: frozenset(
        {model.IssueStatus.ASSIGNED, model.IssueStatus.IN_PROGRESS}
    ),
    model.EventAction.RESOLVE: frozenset({model.IssueStatus.IN_PROGRESS}),
    model.EventAction.CALLBACK: frozenset({model.IssueStatus.RESOLVED}),
    model.EventAction.CLOSE: frozenset({model.IssueStatus.CALLBACK}),
}
_TO: dict[model.EventAction, model.IssueStatus] = {
    model.EventAction.ASSIGN: model.IssueStatus.ASSIGNED,
    model.EventAction.START: model.IssueStatus.IN_PROGRESS,
    model.EventAction.ESCALATE: model.IssueStatus.ASSIGNED,
    model.EventAction.RESOLVE: model.IssueStatus.RESOLVED,
    model.EventAction.CALLBACK: model.IssueStatus.CALLBACK,
    model.EventAction.CLOSE: model.IssueStatus.CLOSED,
}
assert all(  # the workflow never leaves the lifecycle of docs/domain.md
    _TO[a] in model.ALLOWED_TRANSITIONS[s] for a, froms in _FROM.items() for s in froms
)


def allowed_actions(store: Store, issue: dict[str, Any], user: User) -> list[model.EventAction]:
    """The actions `user` may take on `issue` now (the buttons a page shows).

    Parameters
    ----------
    store : Store
        The database that knows the user's rights.
    issue : dict
        The issue, with at least ``status``, ``community_id`` and ``level``.
    user : User
        The user looking at it.

    Returns
    -------
    list of EventAction
        The actions its status allows, none without edit rights; no escalation above the
        street.
    """
    if not can_edit(user, issue.get("community_id"), store):
        return []
    status = model.IssueStatus(issue["status"])
    out = [a for a, froms in _FROM.items() if status in froms]
    if model.EventAction.ESCALATE in out and issue.get("level") == model.Level.STREET.value:
        out.remove(model.EventAction.ESCALATE)
    return out


def issue_building(store: Store, building_id: str) -> tuple[Any, str]:
    """The building a new issue is about (its compound and outline) and its community.

    Parameters
    ----------
    store : Store
        The database to read.
    building_id : str
        The building.

    Returns
    -------
    tuple of (pandas.Series, str)
        The building's row (``building_id``, ``compound_id``, ``geometry``) and the id of the
        community it belongs to.

    Raises
    ------
    ValidationError
        If there is no such building (key ``error.issue.no_building``).
    """
    b = one_row(
        store.read(
            "building",
            where={"building_id": building_id},
            columns=["building_id", "compound_id", "geom"],
        ),
        "building",
        "error.issue.no_building",
        building_id,
    )
    return b, community_of_compound(store, b["compound_id"])


def _require_edit(store: Store, user: User, community_id: str, action: model.EventAction) -> None:
    if not can_edit(user, community_id, store):
        msg = (
            f"{user.name} ({user.role.value}) may not {action.value} issues of community "
            f"{community_id}: only its staff and its street's admins may change them"
        )
        raise PermissionDeniedError(
            msg, key="error.issue.denied", user=user.name, role=user.role, action=action
        )


@dataclass(frozen=True)
class _Opened:
    """An issue read for one action, with the rights, version and lifecycle checked."""

    store: Store
    actor: str
    action: model.EventAction
    issue_id: int
    version: int
    issue: dict[str, Any]

    def save(
        self,
        stamp: str,
        note: str | None,
        changes: Mapping[str, Any] | None = None,
        *,
        then: Sequence[dict[str, Any]] = (),
        levels: tuple[str | None, str | None] = (None, None),
    ) -> int:
        """Move the issue to the action's status with `changes`, logging the action's event.

        One transaction, refused if the issue is no longer at the version the user saw.

        Parameters
        ----------
        stamp : str
            The step's time (ISO).
        note : str or None
            The event's note, already checked.
        changes : Mapping or None
            Columns to change besides ``status``.
        then : sequence of dict
            Events logged after the action's own (a reopening after a callback).
        levels : tuple of (str or None, str or None)
            The levels the issue moves from and to, for the event.

        Returns
        -------
        int
            The issue's new version.
        """
        to = _TO[self.action].value
        event = _event(self.actor, self.action, stamp, self.issue["status"], to, note, levels)
        return self.store.update_issue(
            self.issue_id,
            version=self.version,
            changes={"status": to, **(changes or {})},
            events=[event, *then],
        )


def _load(
    store: Store, issue_id: int, user: User | str, action: model.EventAction, version: int
) -> _Opened:
    """Read an issue for `action`: rights, then the version the user saw, then the lifecycle.

    `user` is a :class:`User` whose rights are checked here, or the name of an actor whose
    right to act the caller has proved otherwise (a reporter holding the issue's ticket)."""
    frame = store.read(
        "issue",
        where={"issue_id": int(issue_id)},
        columns=["issue_id", "compound_id", "status", "level", "version", "reopen_count"],
    )
    row = one_row(frame, "issue", "error.issue.not_found", issue_id).to_dict()
    row["community_id"] = community_of_compound(store, row["compound_id"])
    if isinstance(user, User):
        _require_edit(store, user, row["community_id"], action)
    # a stale form is told so first: "someone else changed it" explains a changed status too
    _check_version(row, version)
    status = model.IssueStatus(row["status"])
    if status not in _FROM[action]:
        needed = ", ".join(s.value for s in sorted(_FROM[action]))
        msg = (
            f"cannot {action.value} issue #{issue_id}: it is {status.value}; "
            f"{action.value} needs {needed}"
        )
        raise LifecycleError(
            msg, key="error.issue.lifecycle", action=action, status=status, issue_id=int(issue_id)
        )
    actor = user.name if isinstance(user, User) else user
    return _Opened(store, actor, action, issue_id, version, row)


def _check_version(issue: dict[str, Any], version: int) -> None:
    """Refuse early when the form was drawn from an older version (the store re-checks)."""
    if int(issue["version"]) != int(version):
        msg = (
            f"issue #{issue['issue_id']} was changed by someone else (version "
            f"{issue['version']}, you saw {version}); reload it and try again"
        )
        raise StaleEditError(msg, key="error.issue.stale", issue_id=int(issue["issue_id"]))


def _required(value: str | None, field: str, limit: int = MAX_TEXT) -> str:
    text = (value or "").strip()
    if not text:
        msg = f"{field} is required"
        raise ValidationError(msg, key="error.issue.required", field=field)
    if len(text) > limit:
        msg = f"{field} is longer than {limit} characters"
        raise ValidationError(msg, key="error.issue.too_long", field=field, limit=limit)
    return text


def _optional(value: str | None, field: str, limit: int = MAX_TEXT) -> str | None:
    text = (value or "").strip()
    return _required(text, field, limit) if text else None


def _event(  # noqa: PLR0917 (internal: one row of the history)
    actor: str,
    action: model.EventAction,
    at: str,
    frm: str | None,
    to: str,
    note: str | None = None,
    levels: tuple[str | None, str | None] = (None, None),
) -> dict[str, Any]:
    """One row of an issue's history: `frm` and `to` are its statuses before and after,
    `levels` the levels it moved between (if it moved)."""
    return {
        "at": at,
        "actor": actor,
        "action": action.value,
        "from_status": None if frm is None else str(frm),
        "to_status": str(to),
        "from_level": levels[0],
        "to_level": levels[1],
        "note": note,
    }


def log_issue(
    store: Store,
    user: User,
    *,
    building_id: str,
    category: str,
    source: str,
    title: str,
    description: str = "",
    reporter_name: str | None = None,
    reporter_phone: str | None = None,
    at: dt.datetime | None = None,
) -> int:
    """Log a new issue on a building (status ``reported``, level ``compound``).

    The issue is placed on a point inside the building; the reporter is personal data.

    Parameters
    ----------
    store : Store
        The database to add the issue to.
    user : User
        Who logs it: staff of the building's community or a street admin.
    building_id : str
        The building the issue is about; its compound and location come from it.
    category : str
        An :class:`~mapgov.core.model.IssueCategory` value.
    source : str
        An :class:`~mapgov.core.model.IssueSource` value: how it was reported.
    title : str
        A short title, required, at most :data:`MAX_TITLE` characters.
    description : str
        The details, at most :data:`MAX_TEXT` characters.
    reporter_name : str or None
        The resident who reported it (personal data, shown masked).
    reporter_phone : str or None
        Their phone number (personal data, shown masked).
    at : datetime.datetime or None
        When it was reported (default: the street's now).

    Returns
    -------
    int
        The new issue's id.
    """
    b, community_id = issue_building(store, building_id)
    _require_edit(store, user, community_id, model.EventAction.REPORT)
    try:
        category = model.IssueCategory(category).value
        source = model.IssueSource(source).value
        if source not in model.DESK_SOURCES:  # a QR code is scanned on the phone page only
            raise ValueError(source)
    except ValueError as err:
        msg = f"unknown category or source: {err}"
        raise ValidationError(msg, key="error.issue.bad_choice", value=str(err)) from err
    phone = _optional(reporter_phone, "reporter_phone", 20)
    check_phone(phone, "reporter_phone")
    stamp = edit_stamp(store, at)
    point = b["geometry"].representative_point()
    issue = {
        "compound_id": b["compound_id"],
        "building_id": building_id,
        "category": category,
        "source": source,
        "level": model.Level.COMPOUND.value,
        "status": model.IssueStatus.REPORTED.value,
        "title": _required(title, "title", MAX_TITLE),
        "description": _optional(description, "description"),
        "reporter_name": _optional(reporter_name, "reporter_name", 40),
        "reporter_phone": phone,
        "reported_at": stamp,
        "reopen_count": 0,
        "version": 1,
        "lon": round(point.x, 7),
        "lat": round(point.y, 7),
    }
    event = _event(
        user.name, model.EventAction.REPORT, stamp, None, model.IssueStatus.REPORTED.value
    )
    return store.insert_issue(issue, [event])


def assign(
    store: Store,
    user: User,
    issue_id: int,
    *,
    level: str,
    responsible_unit: str,
    deadline: dt.date,
    **step: Unpack[Step],
) -> int:
    """Assign a reported issue to a level and a unit with a deadline (定人、定责、定时限).

    The issue becomes ``assigned``; the deadline is what the overdue counts measure.

    Parameters
    ----------
    store : Store
        The database holding the issue ledger.
    user : User
        Who assigns: a staff member of the issue's community or a street admin.
    issue_id : int
        The reported issue.
    level : str
        The :class:`~mapgov.core.model.Level` that handles it.
    responsible_unit : str
        The unit in charge, at most 80 characters.
    deadline : datetime.date
        The day it must be resolved by: today or later.
    **step : Unpack[Step]
        ``version``: the issue's version the form was drawn from (optimistic locking). ``note``: an
        optional remark for the history. ``at``: when it was assigned (default: the street's now).

    Returns
    -------
    int
        The issue's version after the assignment.
    """
    version, note, at = step_fields(step)
    opened = _load(store, issue_id, user, model.EventAction.ASSIGN, version)
    lvl = model.Level(level)
    unit = _required(responsible_unit, "responsible_unit", 80)
    stamp = edit_stamp(store, at)
    if deadline < dt.date.fromisoformat(stamp[:10]):
        msg = f"deadline {deadline} is in the past"
        raise ValidationError(msg, key="error.issue.past_deadline", deadline=str(deadline))
    changes = {
        "level": lvl.value,
        "responsible_unit": unit,
        "deadline": deadline.isoformat(),
        "assigned_at": stamp,
    }
    return opened.save(stamp, _optional(note, "note"), changes, levels=(None, lvl.value))


def start(store: Store, user: User, issue_id: int, **step: Unpack[Step]) -> int:
    """The responsible unit starts work (办理).

    An assigned issue becomes ``in_progress``; its level and deadline stay.

    Parameters
    ----------
    store : Store
        The database the issue is in.
    user : User
        Who records the start, with edit rights on the issue's community.
    issue_id : int
        The assigned issue.
    **step : Unpack[Step]
        ``version``: the version of the issue the user saw. ``note``: what is being done first, if
        anything. ``at``: when work started; the street's now by default.

    Returns
    -------
    int
        The version of the issue now in progress.
    """
    version, note, at = step_fields(step)
    opened = _load(store, issue_id, user, model.EventAction.START, version)
    return opened.save(edit_stamp(store, at), _optional(note, "note"))


def escalate(
    store: Store,
    user: User,
    issue_id: int,
    *,
    version: int,
    reason: str,
    responsible_unit: str | None = None,
    deadline: dt.date | None = None,
    at: dt.datetime | None = None,
) -> int:
    """Hand an assigned or in-progress issue one level up (compound → grid → community →
    street), with a reason; it is ``assigned`` again at the new level, with a new deadline
    (default: the new level's time limit from today).

    Parameters
    ----------
    store : Store
        Where the ledger is kept.
    user : User
        Who hands it up (staff of the issue's community, or a street admin).
    issue_id : int
        An issue that is assigned or in progress, below the street level.
    version : int
        The issue's version as last read.
    reason : str
        Why the level below cannot solve it (required).
    responsible_unit : str or None
        The unit in charge at the new level (default: unchanged).
    deadline : datetime.date or None
        The new deadline, not in the past (default: today plus :data:`SLA_DAYS` of the new
        level).
    at : datetime.datetime or None
        When it was escalated; default now.

    Returns
    -------
    int
        The version the escalation leaves.
    """
    opened = _load(store, issue_id, user, model.EventAction.ESCALATE, version)
    here = model.Level(opened.issue["level"])
    if here == model.Level.STREET:
        msg = f"issue #{issue_id} is already handled by the street, the highest level"
        raise LifecycleError(msg, key="error.issue.top_level", issue_id=int(issue_id))
    up = model.LEVEL_ORDER[model.LEVEL_ORDER.index(here) + 1]
    stamp = edit_stamp(store, at)
    today = dt.date.fromisoformat(stamp[:10])
    due = deadline or today + dt.timedelta(days=SLA_DAYS[up])
    if due < today:
        msg = f"deadline {due} is in the past"
        raise ValidationError(msg, key="error.issue.past_deadline", deadline=str(due))
    changes = {"level": up.value, "deadline": due.isoformat()}
    if _optional(responsible_unit, "responsible_unit", 80):
        changes["responsible_unit"] = responsible_unit.strip()  # type: ignore[union-attr]
    text = _required(reason, "reason")
    return opened.save(stamp, text, changes, levels=(here.value, up.value))


def resolve(
    store: Store,
    user: User,
    issue_id: int,
    *,
    version: int,
    note: str,
    at: dt.datetime | None = None,
) -> int:
    """Mark an issue in progress as solved (办结), saying how.

    The issue becomes ``resolved`` and waits for the resident's callback.

    Parameters
    ----------
    store : Store
        The street's database.
    user : User
        Who reports it solved; they must be allowed to edit the community's issues.
    issue_id : int
        The issue in progress.
    version : int
        Which version of the issue the form showed.
    note : str
        How it was solved (required).
    at : datetime.datetime or None
        The moment it was solved, now if not given.

    Returns
    -------
    int
        The resolved issue's new version.
    """
    opened = _load(store, issue_id, user, model.EventAction.RESOLVE, version)
    stamp = edit_stamp(store, at)
    return opened.save(stamp, _required(note, "resolve_note"), {"resolved_at": stamp})


def callback(
    store: Store,
    user: User,
    issue_id: int,
    *,
    rating: str,
    **step: Unpack[Step],
) -> int:
    """Record the resident's rating at the callback (回访).

    "unsatisfied" reopens the issue: it goes back to ``assigned`` at its level with a new
    deadline, and a ``reopen`` event follows the ``callback`` event.

    Parameters
    ----------
    store : Store
        The ledger's database.
    user : User
        Who made the call: staff of the community or a street admin.
    issue_id : int
        A resolved issue.
    rating : str
        A :class:`~mapgov.core.model.CallbackRating` value.
    **step : Unpack[Step]
        ``version``: the resolved issue's version in the form. ``note``: what the resident said,
        optional. ``at``: when the call was made (default: the street's current time).

    Returns
    -------
    int
        The issue's version after the callback (and the reopening).
    """
    version, note, at = step_fields(step)
    opened = _load(store, issue_id, user, model.EventAction.CALLBACK, version)
    return _rate(opened, rating, note, at)


def callback_by_ticket(store: Store, ticket: str, *, rating: str, **step: Unpack[Step]) -> int:
    """The reporter's own answer to the callback (回访), given on the ticket page: the same
    step as :func:`callback`, whose right is holding the issue's ticket.

    Parameters
    ----------
    store : Store
        The ledger's database.
    ticket : str
        The ticket the report was given (:func:`mapgov.domain.reports.file_report`).
    rating : str
        A :class:`~mapgov.core.model.CallbackRating` value; "unsatisfied" reopens the issue.
    **step : Unpack[Step]
        ``version``: the issue's version on the ticket page. ``note``: what the resident
        adds, optional. ``at``: when (default: the street's current time).

    Returns
    -------
    int
        The issue's version after the callback (and the reopening).

    Raises
    ------
    ValidationError
        If no issue has this ticket.
    """
    version, note, at = step_fields(step)
    found = store.read("issue", where={"ticket": str(ticket).strip().upper()}, columns=["issue_id"])
    issue_id = int(one_row(found, "issue", "error.report.no_ticket", ticket)["issue_id"])
    opened = _load(store, issue_id, REPORTER, model.EventAction.CALLBACK, version)
    return _rate(opened, rating, note, at)


def _rate(opened: _Opened, rating: str, note: str | None, at: dt.datetime | None) -> int:
    """Record a callback's rating on an opened issue; "unsatisfied" reopens it."""
    try:
        rate = model.CallbackRating(rating)
    except ValueError as err:
        msg = f"unknown rating {rating!r}"
        raise ValidationError(msg, key="error.issue.bad_choice", value=str(rating)) from err
    stamp = edit_stamp(opened.store, at)
    text = _optional(note, "note")
    changes: dict[str, Any] = {"satisfaction": rate.value}
    reopen = []
    if rate == model.CallbackRating.UNSATISFIED:
        level = model.Level(opened.issue["level"])
        due = dt.date.fromisoformat(stamp[:10]) + dt.timedelta(days=SLA_DAYS[level])
        back = (model.IssueStatus.CALLBACK.value, model.IssueStatus.ASSIGNED.value)
        reopen.append(_event(opened.actor, model.EventAction.REOPEN, stamp, *back, text))
        changes |= {
            "status": model.IssueStatus.ASSIGNED.value,
            "resolved_at": None,
            "deadline": due.isoformat(),
            "reopen_count": int(opened.issue["reopen_count"]) + 1,
        }
    return opened.save(stamp, f"{rate.value}: {text}" if text else rate.value, changes, then=reopen)


def close(store: Store, user: User, issue_id: int, **step: Unpack[Step]) -> int:
    """Close (销号) an issue whose callback is done.

    A closed issue leaves the open counts; its history stays.

    Parameters
    ----------
    store : Store
        The store the issue is read from and written to.
    user : User
        Who closes it (with the right to edit the issue's community).
    issue_id : int
        An issue at ``callback``.
    **step : Unpack[Step]
        ``version``: the issue's version when the page was drawn. ``note``: a closing remark (may be
        empty). ``at``: when it is closed (the street's clock if None).

    Returns
    -------
    int
        Its last version: closed issues take no more steps.
    """
    version, note, at = step_fields(step)
    opened = _load(store, issue_id, user, model.EventAction.CLOSE, version)
    stamp = edit_stamp(store, at)
    return opened.save(stamp, _optional(note, "note"), {"closed_at": stamp})
