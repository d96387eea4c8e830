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
import re
from typing import Any

from mapgov.core import clock, model
from mapgov.core.errors import (
    LifecycleError,
    PermissionDeniedError,
    StaleEditError,
    ValidationError,
)
from mapgov.domain.issues import one_row
from mapgov.domain.places import community_of_compound
from mapgov.domain.users import User, can_edit
from mapgov.store import Store

__all__ = [
    "MAX_TEXT",
    "MAX_TITLE",
    "SLA_DAYS",
    "allowed_actions",
    "assign",
    "callback",
    "close",
    "escalate",
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
_PHONE = re.compile(r"^[0-9+\-() ]{5,20}$")


def _stamp(store: Store, at: dt.datetime | None) -> str:
    """`at`, or the street's now (:func:`mapgov.core.clock.now`: a demo keeps its own calendar)."""
    return (at or clock.now(store)).replace(microsecond=0).isoformat()


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
    """The actions `user` may take on `issue` now (the buttons a page shows)."""
    if not can_edit(user, issue.get("community_id"), store):
        return []
    status = model.IssueStatus(issue["status"])
    out = [a for a, froms in _FROM.items() if status in froms]
    if model.EventAction.ESCALATE in out and issue.get("level") == model.Level.STREET.value:
        out.remove(model.EventAction.ESCALATE)
    return out


def _require_edit(store: Store, user: User, community_id: str, action: model.EventAction) -> None:
    if not can_edit(user, community_id, store):
        msg = (
            f"{user.name} ({user.role.value}) may not {action.value} issues of community "
            f"{community_id}: only its staff and its street's admins may change them"
        )
        raise PermissionDeniedError(
            msg, key="error.issue.denied", user=user.name, role=user.role, action=action
        )


def _load(
    store: Store, issue_id: int, user: User, action: model.EventAction, version: int
) -> dict[str, Any]:
    frame = store.read(
        "issue",
        where={"issue_id": int(issue_id)},
        columns=["issue_id", "compound_id", "status", "level", "version", "reopen_count"],
    )
    row = one_row(frame, "issue", "error.issue.not_found", issue_id).to_dict()
    row["community_id"] = community_of_compound(store, row["compound_id"])
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
    return row


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
    user: User,
    action: model.EventAction,
    at: str,
    frm: str | None,
    to: str,
    note: str | None = None,
    *,
    from_level: str | None = None,
    to_level: str | None = None,
) -> dict[str, Any]:
    return {
        "at": at,
        "actor": user.name,
        "action": action.value,
        "from_status": None if frm is None else str(frm),
        "to_status": str(to),
        "from_level": from_level,
        "to_level": to_level,
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

    Returns
    -------
    int
        The new issue's id.
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
    community_id = community_of_compound(store, b["compound_id"])
    _require_edit(store, user, community_id, model.EventAction.REPORT)
    try:
        category = model.IssueCategory(category).value
        source = model.IssueSource(source).value
    except ValueError as err:
        msg = f"unknown category or source: {err}"
        raise ValidationError(msg, key="error.issue.bad_choice", value=str(err)) from err
    phone = _optional(reporter_phone, "reporter_phone", 20)
    if phone and not _PHONE.match(phone):
        msg = f"reporter_phone {phone!r} is not a phone number"
        raise ValidationError(msg, key="error.issue.bad_phone", phone=phone)
    stamp = _stamp(store, at)
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
    event = _event(user, model.EventAction.REPORT, stamp, None, model.IssueStatus.REPORTED.value)
    return store.insert_issue(issue, [event])


def assign(
    store: Store,
    user: User,
    issue_id: int,
    *,
    version: int,
    level: str,
    responsible_unit: str,
    deadline: dt.date,
    note: str = "",
    at: dt.datetime | None = None,
) -> int:
    """Assign a reported issue to a level and a unit with a deadline (定人、定责、定时限)."""
    issue = _load(store, issue_id, user, model.EventAction.ASSIGN, version)
    lvl = model.Level(level)
    unit = _required(responsible_unit, "responsible_unit", 80)
    stamp = _stamp(store, at)
    if deadline < dt.date.fromisoformat(stamp[:10]):
        msg = f"deadline {deadline} is in the past"
        raise ValidationError(msg, key="error.issue.past_deadline", deadline=str(deadline))
    events = [
        _event(
            user,
            model.EventAction.ASSIGN,
            stamp,
            issue["status"],
            model.IssueStatus.ASSIGNED,
            _optional(note, "note"),
            to_level=lvl.value,
        )
    ]
    return store.update_issue(
        issue_id,
        version=version,
        changes={
            "status": model.IssueStatus.ASSIGNED.value,
            "level": lvl.value,
            "responsible_unit": unit,
            "deadline": deadline.isoformat(),
            "assigned_at": stamp,
        },
        events=events,
    )


def start(
    store: Store,
    user: User,
    issue_id: int,
    *,
    version: int,
    note: str = "",
    at: dt.datetime | None = None,
) -> int:
    """The responsible unit starts work (办理)."""
    issue = _load(store, issue_id, user, model.EventAction.START, version)
    events = [
        _event(
            user,
            model.EventAction.START,
            _stamp(store, at),
            issue["status"],
            model.IssueStatus.IN_PROGRESS.value,
            _optional(note, "note"),
        )
    ]
    return store.update_issue(
        issue_id,
        version=version,
        changes={"status": model.IssueStatus.IN_PROGRESS.value},
        events=events,
    )


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
    (default: the new level's time limit from today)."""
    issue = _load(store, issue_id, user, model.EventAction.ESCALATE, version)
    here = model.Level(issue["level"])
    if here == model.Level.STREET:
        msg = f"issue #{issue_id} is already handled by the street, the highest level"
        raise LifecycleError(msg, key="error.issue.top_level", issue_id=int(issue_id))
    up = model.LEVEL_ORDER[model.LEVEL_ORDER.index(here) + 1]
    stamp = _stamp(store, at)
    today = dt.date.fromisoformat(stamp[:10])
    due = deadline or today + dt.timedelta(days=SLA_DAYS[up])
    if due < today:
        msg = f"deadline {due} is in the past"
        raise ValidationError(msg, key="error.issue.past_deadline", deadline=str(due))
    changes: dict[str, Any] = {
        "status": model.IssueStatus.ASSIGNED.value,
        "level": up.value,
        "deadline": due.isoformat(),
    }
    if _optional(responsible_unit, "responsible_unit", 80):
        changes["responsible_unit"] = responsible_unit.strip()  # type: ignore[union-attr]
    events = [
        _event(
            user,
            model.EventAction.ESCALATE,
            stamp,
            issue["status"],
            model.IssueStatus.ASSIGNED.value,
            _required(reason, "reason"),
            from_level=here.value,
            to_level=up.value,
        )
    ]
    return store.update_issue(issue_id, version=version, changes=changes, events=events)


def resolve(
    store: Store,
    user: User,
    issue_id: int,
    *,
    version: int,
    note: str,
    at: dt.datetime | None = None,
) -> int:
    """Mark an issue in progress as solved (办结), saying how."""
    issue = _load(store, issue_id, user, model.EventAction.RESOLVE, version)
    stamp = _stamp(store, at)
    events = [
        _event(
            user,
            model.EventAction.RESOLVE,
            stamp,
            issue["status"],
            model.IssueStatus.RESOLVED.value,
            _required(note, "note"),
        )
    ]
    return store.update_issue(
        issue_id,
        version=version,
        changes={"status": model.IssueStatus.RESOLVED.value, "resolved_at": stamp},
        events=events,
    )


def callback(
    store: Store,
    user: User,
    issue_id: int,
    *,
    version: int,
    rating: str,
    note: str = "",
    at: dt.datetime | None = None,
) -> int:
    """Record the resident's rating at the callback (回访).

    "unsatisfied" reopens the issue: it goes back to ``assigned`` at its level with a new
    deadline, and a ``reopen`` event follows the ``callback`` event.
    """
    issue = _load(store, issue_id, user, model.EventAction.CALLBACK, version)
    rate = model.CallbackRating(rating)
    stamp = _stamp(store, at)
    text = _optional(note, "note")
    events = [
        _event(
            user,
            model.EventAction.CALLBACK,
            stamp,
            issue["status"],
            model.IssueStatus.CALLBACK.value,
            f"{rate.value}: {text}" if text else rate.value,
        )
    ]
    changes: dict[str, Any] = {
        "status": model.IssueStatus.CALLBACK.value,
        "satisfaction": rate.value,
    }
    if rate == model.CallbackRating.UNSATISFIED:
        level = model.Level(issue["level"])
        due = dt.date.fromisoformat(stamp[:10]) + dt.timedelta(days=SLA_DAYS[level])
        events.append(
            _event(
                user,
                model.EventAction.REOPEN,
                stamp,
                model.IssueStatus.CALLBACK.value,
                model.IssueStatus.ASSIGNED.value,
                text,
            )
        )
        changes.update(
            {
                "status": model.IssueStatus.ASSIGNED.value,
                "resolved_at": None,
                "deadline": due.isoformat(),
                "reopen_count": int(issue["reopen_count"]) + 1,
            }
        )
    return store.update_issue(issue_id, version=version, changes=changes, events=events)


def close(
    store: Store,
    user: User,
    issue_id: int,
    *,
    version: int,
    note: str = "",
    at: dt.datetime | None = None,
) -> int:
    """Close (销号) an issue whose callback is done."""
    issue = _load(store, issue_id, user, model.EventAction.CLOSE, version)
    stamp = _stamp(store, at)
    events = [
        _event(
            user,
            model.EventAction.CLOSE,
            stamp,
            issue["status"],
            model.IssueStatus.CLOSED.value,
            _optional(note, "note"),
        )
    ]
    return store.update_issue(
        issue_id,
        version=version,
        changes={"status": model.IssueStatus.CLOSED.value, "closed_at": stamp},
        events=events,
    )
