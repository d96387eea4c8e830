"""The steps of a deliberation matter but the round (:mod:`.meeting`): the shared checks
(rights, version, state), the one-transaction write, and propose, answer, rate, withdraw,
link an issue. See :mod:`mapgov.domain.deliberation` for the lifecycle and who may act.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any, Final

import numpy as np
import pandas as pd

from mapgov.core.errors import (
    LifecycleError,
    PermissionDeniedError,
    StaleEditError,
    ValidationError,
)
from mapgov.core.model import CallbackRating, MatterAction, MatterStatus
from mapgov.domain.editing import insert_new, plain_row
from mapgov.domain.places import community_of_compound
from mapgov.domain.users import User, can_edit
from mapgov.store import Store

__all__ = [
    "MAX_TEXT",
    "MAX_TITLE",
    "STEPS",
    "allowed_actions",
    "answer",
    "link_issue",
    "matter",
    "propose",
    "rate",
    "withdraw",
]

MAX_TITLE: Final = 120
MAX_TEXT: Final = 4000

STEPS: Final[dict[MatterAction, frozenset[MatterStatus]]] = {
    MatterAction.DELIBERATE: frozenset({MatterStatus.PROPOSED}),
    MatterAction.ANSWER: frozenset({MatterStatus.DECIDED}),
    MatterAction.RATE: frozenset({MatterStatus.ANSWERED}),
    MatterAction.WITHDRAW: frozenset({MatterStatus.PROPOSED, MatterStatus.DECIDED}),
    MatterAction.LINK_ISSUE: frozenset(
        {
            MatterStatus.PROPOSED,
            MatterStatus.DECIDED,
            MatterStatus.ANSWERED,
            MatterStatus.SETTLED,
        }
    ),
}
"""The states each step on an existing matter may start from (proposing makes a new one)."""

_ENDED: Final = (
    "decision",
    "decided_at",
    "answer_unit",
    "answer_due",
    "answer",
    "answered_at",
)
"""A round's columns on the matter, cleared when an unsatisfied rating starts another round."""


def _stamp(at: dt.datetime) -> str:
    return at.replace(microsecond=0).isoformat()


def _clean(value: str | None, name: str, *, limit: int, required: bool = False) -> str | None:
    """Text as typed without surrounding blanks, None when empty; refuses a missing required
    or an overlong value."""
    text = (value or "").strip()
    if required and not text:
        msg = f"{name} is required"
        raise ValidationError(msg, key=f"error.deliberation.required.{name}")
    if len(text) > limit:
        msg = f"{name} is longer than {limit} characters"
        raise ValidationError(msg, key=f"error.deliberation.too_long.{name}", limit=limit)
    return text or None


def matter(store: Store, matter_id: str) -> dict[str, Any]:
    """One matter's row with its ``community_id``.

    Parameters
    ----------
    store : Store
        The database to read.
    matter_id : str
        The matter.

    Returns
    -------
    dict
        The ``deliberation`` columns (None for missing) and ``community_id``.

    Raises
    ------
    ValidationError
        If there is no such matter (key ``error.deliberation.not_found``).
    """
    frame = store.read("deliberation", where={"matter_id": matter_id})
    if frame.empty:
        msg = f"no deliberation matter {matter_id!r}"
        raise ValidationError(msg, key="error.deliberation.not_found", id=matter_id)
    row = plain_row(frame.iloc[0].to_dict())
    row["community_id"] = community_of_compound(store, str(row["compound_id"]))
    return row


def _require(store: Store, user: User, community_id: str, action: MatterAction) -> None:
    if not can_edit(user, community_id, store):
        msg = (
            f"{user.name} ({user.role.value}) may not {action.value} a deliberation matter of "
            f"community {community_id}: only its staff and its street's admins may"
        )
        raise PermissionDeniedError(
            msg, key="error.deliberation.denied", user=user.name, role=user.role, action=action
        )


def _open(
    store: Store, user: User, matter_id: str, action: MatterAction, version: int
) -> dict[str, Any]:
    """The matter for a step: rights first, then the version the form showed, then its state."""
    row = matter(store, matter_id)
    _require(store, user, row["community_id"], action)
    if isinstance(version, bool) or int(row["version"]) != int(version):
        msg = (
            f"deliberation matter {matter_id} was changed by someone else (version "
            f"{row['version']}, you saw {version}); reload it and try again"
        )
        raise StaleEditError(msg, key="error.deliberation.stale", id=matter_id)
    status = MatterStatus(row["status"])
    if status not in STEPS[action]:
        msg = f"cannot {action.value} matter {matter_id}: it is {status.value}"
        raise LifecycleError(
            msg, key="error.deliberation.lifecycle", id=matter_id, action=action, status=status
        )
    return row


def _event(
    matter_id: str,
    action: MatterAction,
    at: str,
    user: User,
    moves: tuple[str | None, str | None],
    *,
    note: str | None,
) -> dict[str, Any]:
    """The ``deliberation_event`` row of a step."""
    return {
        "matter_id": matter_id,
        "at": at,
        "actor": user.name,
        "action": action.value,
        "from_status": moves[0],
        "to_status": moves[1],
        "note": note,
    }


def _save(
    store: Store,
    user: User,
    row: Mapping[str, Any],
    action: MatterAction,
    changes: Mapping[str, Any],
    *,
    at: str,
    note: str | None,
    inserts: Sequence[tuple[str, str, dict[str, Any], dict[str, Any]]] = (),
) -> int:
    """Update the matter (locked on its version), insert `inserts`, append the step's event
    (from the matter's state to the one `changes` sets, with `note`): one transaction.
    Returns the new version."""
    key = {"matter_id": row["matter_id"]}
    status = str(row["status"])
    moves = (status, str(changes.get("status", status)))
    event = _event(str(row["matter_id"]), action, at, user, moves, note=note)
    store.edit(
        [("update", "deliberation", key, dict(changes)), *inserts],
        actor=user.name,
        at=at,
        expect=[("deliberation", key, int(row["version"]))],
        append=[("deliberation_event", event)],
    )
    return int(row["version"]) + 1


def allowed_actions(store: Store, record: Mapping[str, Any], user: User) -> list[MatterAction]:
    """The steps `user` may take on a matter now (the forms a page shows).

    Parameters
    ----------
    store : Store
        The database that holds the rights.
    record : Mapping
        The matter as :func:`matter` returns it (``status`` and ``community_id``).
    user : User
        Who is looking.

    Returns
    -------
    list of MatterAction
        In the order of the steps; none for anyone without edit rights on the community.
    """
    if not can_edit(user, record.get("community_id"), store):
        return []
    status = MatterStatus(record["status"])
    return [action for action, froms in STEPS.items() if status in froms]


def _next_id(store: Store, compound_id: str) -> str:
    prefix = f"D-{compound_id}-"
    ids = store.read("deliberation", where={"compound_id": compound_id}, columns=["matter_id"])
    tail = ids["matter_id"].astype(str).str.removeprefix(prefix)
    numbers = pd.to_numeric(tail[tail.str.fullmatch(r"\d+")], errors="coerce")
    return f"{prefix}{int(numbers.max()) + 1 if len(numbers) else 1:03d}"


def propose(
    store: Store,
    user: User,
    *,
    compound_id: str,
    title: str,
    question: str = "",
    at: dt.datetime,
) -> str:
    """The compound's branch sets a question (党支部出题): a new matter, ``proposed``, round 1.

    Parameters
    ----------
    store : Store
        Where the matter is written.
    user : User
        Who records it (the community's staff, through whose account the branch secretary
        works, or an admin of the street); recorded as ``proposed_by``.
    compound_id : str
        The compound the matter belongs to.
    title : str
        The matter in a few words (required, at most 120 characters).
    question : str
        The question as the branch set it (optional).
    at : datetime.datetime
        When it is proposed.

    Returns
    -------
    str
        The new matter's id, ``D-<compound>-<n>``.

    Raises
    ------
    ValidationError
        For an unknown compound, a missing title or overlong text.
    PermissionDeniedError
        If `user` may not edit the compound's community.
    """
    community = community_of_compound(store, compound_id)
    _require(store, user, community, MatterAction.PROPOSE)
    heading = _clean(title, "title", limit=MAX_TITLE, required=True)
    values = {
        "compound_id": compound_id,
        "title": heading,
        "question": _clean(question, "question", limit=MAX_TEXT),
        "status": MatterStatus.PROPOSED.value,
        "round_no": 1,
        "proposed_at": _stamp(at),
        "proposed_by": user.name,
        "version": 1,
    }
    moves = (None, MatterStatus.PROPOSED.value)

    def _write(new_id: str) -> None:
        event = _event(new_id, MatterAction.PROPOSE, _stamp(at), user, moves, note=heading)
        store.edit(
            [("insert", "deliberation", {"matter_id": new_id}, values)],
            actor=user.name,
            at=_stamp(at),
            append=[("deliberation_event", event)],
        )

    return insert_new(lambda: _next_id(store, compound_id), _write)


def answer(
    store: Store, user: User, matter_id: str, *, reply: str, version: int, at: dt.datetime
) -> int:
    """The answering unit's reply to a ``decided`` matter (答题), entered by staff.

    Parameters
    ----------
    store : Store
        Where the answer is written.
    user : User
        Who enters it: staff of the community or an admin of its street.
    matter_id : str
        A ``decided`` matter.
    reply : str
        What the unit answered (required).
    version : int
        The matter's version as the form showed it.
    at : datetime.datetime
        When it was answered.

    Returns
    -------
    int
        The matter's new version; it is ``answered``.
    """
    row = _open(store, user, matter_id, MatterAction.ANSWER, version)
    text = _clean(reply, "answer", limit=MAX_TEXT, required=True)
    stamp = _stamp(at)
    changes = {"status": MatterStatus.ANSWERED.value, "answer": text, "answered_at": stamp}
    return _save(store, user, row, MatterAction.ANSWER, changes, at=stamp, note=text)


def rate(
    store: Store,
    user: User,
    matter_id: str,
    *,
    rating: str,
    note: str = "",
    version: int,
    at: dt.datetime,
) -> int:
    """Residents rate the answer (群众评题): satisfied or basically satisfied settle the matter,
    unsatisfied sends it back for another round of deliberation.

    Parameters
    ----------
    store : Store
        Where the rating is written.
    user : User
        Who records the residents' rating: staff of the community or an admin of its street.
    matter_id : str
        An ``answered`` matter.
    rating : str
        A :class:`~mapgov.core.model.CallbackRating` value.
    note : str
        What residents said: required when they are unsatisfied (the next round starts from
        it), optional otherwise.
    version : int
        The matter's version as the form showed it.
    at : datetime.datetime
        When they rated it.

    Returns
    -------
    int
        The matter's new version: ``settled``, or ``proposed`` with the next round number.
    """
    row = _open(store, user, matter_id, MatterAction.RATE, version)
    try:
        given = CallbackRating(rating)
    except ValueError as err:
        msg = f"{rating!r} is not one of {[r.value for r in CallbackRating]}"
        raise ValidationError(msg, key="error.deliberation.bad_rating", value=str(rating)) from err
    # an unsatisfied rating opens the next round: it must say what residents want changed
    text = _clean(note, "note", limit=MAX_TEXT, required=given is CallbackRating.UNSATISFIED)
    stamp = _stamp(at)
    changes: dict[str, Any] = {"rating": given.value, "rated_at": stamp}
    if given is CallbackRating.UNSATISFIED:
        changes |= {"status": MatterStatus.PROPOSED.value, "round_no": int(row["round_no"]) + 1}
        changes |= dict.fromkeys(_ENDED)
    else:
        changes |= {"status": MatterStatus.SETTLED.value, "closed_at": stamp}
    note = f"{given.value}: {text}" if text else given.value
    return _save(store, user, row, MatterAction.RATE, changes, at=stamp, note=note)


def withdraw(
    store: Store, user: User, matter_id: str, *, reason: str, version: int, at: dt.datetime
) -> int:
    """End a ``proposed`` or ``decided`` matter unanswered, saying why.

    Parameters
    ----------
    store : Store
        Where the matter is kept.
    user : User
        Who withdraws it: staff of the community or an admin of its street.
    matter_id : str
        The matter.
    reason : str
        Why (required).
    version : int
        The matter's version as the form showed it.
    at : datetime.datetime
        When.

    Returns
    -------
    int
        The matter's new version; it is ``withdrawn``.
    """
    row = _open(store, user, matter_id, MatterAction.WITHDRAW, version)
    text = _clean(reason, "reason", limit=MAX_TEXT, required=True)
    stamp = _stamp(at)
    changes = {"status": MatterStatus.WITHDRAWN.value, "closed_at": stamp}
    return _save(store, user, row, MatterAction.WITHDRAW, changes, at=stamp, note=text)


def link_issue(
    store: Store, user: User, matter_id: str, *, issue_id: int, version: int, at: dt.datetime
) -> int:
    """Tie an issue of the ledger to the matter (an issue it settles): of the same compound,
    once.

    Parameters
    ----------
    store : Store
        Where the link is written.
    user : User
        Who links it: staff of the community or an admin of its street.
    matter_id : str
        A matter that is not withdrawn.
    issue_id : int
        The issue's number.
    version : int
        The matter's version as the form showed it.
    at : datetime.datetime
        When.

    Returns
    -------
    int
        The matter's new version (its state is unchanged).
    """
    row = _open(store, user, matter_id, MatterAction.LINK_ISSUE, version)
    if isinstance(issue_id, bool) or not isinstance(issue_id, int | np.integer):
        msg = f"{issue_id!r} is not an issue number"
        raise ValidationError(msg, key="error.deliberation.no_issue", id=str(issue_id))
    found = store.read("issue", where={"issue_id": int(issue_id)}, columns=["compound_id"])
    if found.empty:
        msg = f"no issue #{issue_id}"
        raise ValidationError(msg, key="error.deliberation.no_issue", id=str(issue_id))
    if found.iloc[0]["compound_id"] != row["compound_id"]:
        msg = f"issue #{issue_id} is of another compound than matter {matter_id}"
        raise ValidationError(msg, key="error.deliberation.issue_elsewhere", id=str(issue_id))
    key = {"matter_id": matter_id, "issue_id": int(issue_id)}
    if not store.read("deliberation_issue", where=key).empty:
        msg = f"issue #{issue_id} is linked to matter {matter_id} already"
        raise ValidationError(msg, key="error.deliberation.already_linked", id=str(issue_id))
    return _save(
        store,
        user,
        row,
        MatterAction.LINK_ISSUE,
        {},
        at=_stamp(at),
        note=f"#{int(issue_id)}",
        inserts=[("insert", "deliberation_issue", key, {})],
    )
