"""The co-building workflow: the shared machinery of every step, and the filing steps.

Here: reading one record (:func:`get`, :func:`timeline`), what a user may do
(:func:`allowed_actions`), the rights, lifecycle and locking checks and the one-transaction
write every step goes through, and the filing steps (:func:`file_need`, :func:`file_resource`,
:func:`log_volunteer`). The project steps are in :mod:`mapgov.domain.cobuild.projects`, the
micro-wish steps in :mod:`mapgov.domain.cobuild.wishes`. See :mod:`mapgov.domain.cobuild` for
the steps, who may take them and what they change.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

import pandas as pd

from mapgov.core import model
from mapgov.core.errors import (
    LifecycleError,
    PermissionDeniedError,
    StaleEditError,
    ValidationError,
)
from mapgov.core.privacy import PERSONAL, mask_frame, mask_row
from mapgov.domain.cobuild.figures import day_of
from mapgov.domain.editing import edit_stamp, insert_new, plain_row
from mapgov.domain.places import community_of_compound
from mapgov.domain.users import User, can_edit, sees_personal_data, street_admin
from mapgov.store import Store

__all__ = [
    "allowed_actions",
    "file_need",
    "file_resource",
    "get",
    "log_volunteer",
    "timeline",
]

MAX_TITLE = 120
MAX_TEXT = 2000
MAX_NAME = 80

_TABLES: Final[dict[model.CoEntity, tuple[str, str]]] = {
    model.CoEntity.NEED: ("community_need", "need_id"),
    model.CoEntity.RESOURCE: ("unit_resource", "resource_id"),
    model.CoEntity.PROJECT: ("co_project", "project_id"),
    model.CoEntity.WISH: ("micro_wish", "wish_id"),
    model.CoEntity.VOLUNTEER: ("volunteer_event", "volunteer_event_id"),
}
_STATUS: Final[dict[model.CoEntity, type[StrEnum]]] = {
    model.CoEntity.NEED: model.NeedStatus,
    model.CoEntity.PROJECT: model.ProjectStatus,
    model.CoEntity.WISH: model.WishStatus,
}
# (entity, action) -> (statuses it may start from, status it leads to)
_STEPS: Final[dict[tuple[model.CoEntity, model.CoAction], tuple[frozenset[str], str]]] = {
    (model.CoEntity.NEED, model.CoAction.PAIR): (frozenset({"open"}), "matched"),
    (model.CoEntity.NEED, model.CoAction.CANCEL): (frozenset({"open"}), "cancelled"),
    (model.CoEntity.PROJECT, model.CoAction.CLAIM): (frozenset({"paired"}), "claimed"),
    (model.CoEntity.PROJECT, model.CoAction.PROGRESS): (
        frozenset({"claimed", "in_progress"}),
        "in_progress",
    ),
    (model.CoEntity.PROJECT, model.CoAction.COMPLETE): (frozenset({"in_progress"}), "completed"),
    (model.CoEntity.PROJECT, model.CoAction.RATE): (frozenset({"completed"}), "rated"),
    (model.CoEntity.PROJECT, model.CoAction.CANCEL): (
        frozenset({"paired", "claimed", "in_progress"}),
        "cancelled",
    ),
    (model.CoEntity.WISH, model.CoAction.CLAIM): (frozenset({"posted"}), "claimed"),
    (model.CoEntity.WISH, model.CoAction.COMPLETE): (frozenset({"claimed"}), "completed"),
    (model.CoEntity.WISH, model.CoAction.CANCEL): (frozenset({"posted", "claimed"}), "cancelled"),
}
_LIFECYCLES: Final[dict[model.CoEntity, Mapping[Any, frozenset[Any]]]] = {
    model.CoEntity.NEED: model.NEED_TRANSITIONS,
    model.CoEntity.PROJECT: model.PROJECT_TRANSITIONS,
    model.CoEntity.WISH: model.WISH_TRANSITIONS,
}
assert all(  # the workflow never leaves the lifecycles of the model
    to in _LIFECYCLES[entity][_STATUS[entity](s)]
    for (entity, _), (froms, to) in _STEPS.items()
    for s in froms
)


def _clean(value: str | None, name: str, *, limit: int, required: bool = False) -> str | None:
    """Stripped text, None when empty; refuses a missing required or an overlong value."""
    text = (value or "").strip()
    if required and not text:
        msg = f"{name} is required"
        raise ValidationError(msg, key="error.issue.required", field=name)
    if len(text) > limit:
        msg = f"{name} is longer than {limit} characters"
        raise ValidationError(msg, key="error.issue.too_long", field=name, limit=limit)
    return text or None


def _choice(enum: type[StrEnum], value: str) -> StrEnum:
    try:
        return enum(value)
    except ValueError as err:
        msg = f"{value!r} is not one of {[m.value for m in enum]}"
        raise ValidationError(msg, key="error.issue.bad_choice", value=str(value)) from err


def _number(value: float, name: str, low: float, high: float) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        msg = f"{name} must be a number from {low:g} to {high:g}, not {value!r}"
        raise ValidationError(
            msg, key="error.cobuild.bad_number", field=name, low=f"{low:g}", high=f"{high:g}"
        )


def _record(store: Store, entity: model.CoEntity, entity_id: str) -> dict[str, Any]:
    """The record with its ``community_id`` (a project's is its need's; a resource's is its
    unit's, possibly None)."""
    name, key = _TABLES[entity]
    frame = store.read(name, where={key: entity_id})
    if frame.empty:
        msg = f"no {entity.value} {entity_id!r}"
        raise ValidationError(msg, key="error.cobuild.not_found", entity=entity, id=entity_id)
    row = plain_row(frame.iloc[0].to_dict())
    if entity == model.CoEntity.PROJECT:
        need = _record(store, model.CoEntity.NEED, row["need_id"])
        row["community_id"] = need["community_id"]
        row["need"] = need
    elif entity == model.CoEntity.RESOURCE:
        unit = store.read("resident_unit", where={"unit_id": row["unit_id"]})
        row["community_id"] = plain_row(unit.iloc[0].to_dict())["community_id"]
    return row


def get(
    store: Store, entity: model.CoEntity | str, entity_id: str, *, user: User | None = None
) -> dict[str, Any]:
    """One need, resource, project, wish or volunteer event as a dict, with its
    ``community_id``; a wish's poster and claimant are masked unless `user` sees the
    community's personal data. A project also carries its ``need`` (a dict).

    Parameters
    ----------
    store : Store
        The database to read from.
    entity : CoEntity or str
        Which kind of record: need, resource, project, wish or volunteer.
    entity_id : str
        The record's id.
    user : User or None
        The reader; None (or a user without the right) sees the poster and claimant masked.

    Returns
    -------
    dict
        The record's columns with Python values (None for missing), plus ``community_id``.

    Raises
    ------
    ValidationError
        If there is no such record.
    """
    entity = model.CoEntity(entity)
    row = _record(store, entity, entity_id)
    if entity == model.CoEntity.WISH:
        full = user is not None and sees_personal_data(user, row["community_id"], store)
        shown = mask_row(row, "micro_wish", full=full)
        row |= {k: shown[k] for k in PERSONAL["micro_wish"]}
    return row


def timeline(
    store: Store, entity: model.CoEntity | str, entity_id: str, *, user: User | None = None
) -> pd.DataFrame:
    """Every step of one record in order: [event_id, at, actor, action, from_status,
    to_status, note]. A wish's claimant, at the head of its claim's note, is masked unless
    `user` sees the wish's community's personal data (as :func:`get` masks ``claimed_by``).

    Parameters
    ----------
    store : Store
        The database whose ``co_event`` log is read.
    entity : CoEntity or str
        The kind of record.
    entity_id : str
        Its id.
    user : User or None
        The reader; None (or a user without the right) sees a wish's claimant masked.

    Returns
    -------
    pandas.DataFrame
        One row per event, oldest first.
    """
    entity = model.CoEntity(entity)
    columns = ["event_id", "at", "actor", "action", "from_status", "to_status", "note"]
    events = store.read(
        "co_event",
        where={"entity": entity.value, "entity_id": entity_id},
        columns=["entity", *columns],
        order_by="event_id",
    )
    if entity == model.CoEntity.WISH and len(events):
        community = _record(store, entity, entity_id)["community_id"]
        full = user is not None and sees_personal_data(user, community, store)
        events = mask_frame(events, "co_event", full=full)
    return events[columns]


def allowed_actions(
    store: Store, entity: model.CoEntity | str, record: Mapping[str, Any], user: User
) -> list[model.CoAction]:
    """The steps `user` may take on a need, project or wish now (the buttons a page shows).

    `record` needs ``status`` and ``community_id`` (as :func:`get` returns them).

    Parameters
    ----------
    store : Store
        The database that holds the user's rights.
    entity : CoEntity or str
        Need, project or wish.
    record : Mapping
        The record as :func:`get` returns it.
    user : User
        The one looking at the page.

    Returns
    -------
    list of CoAction
        The steps its status allows, in the workflow's order; none without edit rights.
    """
    entity = model.CoEntity(entity)
    if not can_edit(user, record.get("community_id"), store):
        return []
    status = str(record["status"])
    return [a for (e, a), (froms, _) in _STEPS.items() if e == entity and status in froms]


def _require(
    store: Store,
    user: User,
    community_id: str | None,
    action: model.CoAction,
    entity: model.CoEntity,
) -> None:
    if not can_edit(user, community_id, store):
        msg = (
            f"{user.name} ({user.role.value}) may not {action.value} a {entity.value} of "
            f"community {community_id}: only its staff and its street's admins may"
        )
        params = {"user": user.name, "role": user.role, "action": action, "entity": entity}
        raise PermissionDeniedError(msg, key="error.cobuild.denied", **params)


def _open(
    store: Store,
    user: User,
    entity: model.CoEntity,
    entity_id: str,
    *,
    action: model.CoAction,
    version: int,
) -> _Opened:
    """Read a record for a step: rights, then the version the user saw, then the lifecycle."""
    row = _record(store, entity, entity_id)
    _require(store, user, row["community_id"], action, entity)
    # a stale form is told so first: "someone else changed it" explains a changed status too
    if int(row["version"]) != int(version):
        msg = (
            f"{entity.value} {entity_id} was changed by someone else (version {row['version']}, "
            f"you saw {version}); reload it and try again"
        )
        raise StaleEditError(msg, key="error.cobuild.stale", entity=entity, id=entity_id)
    froms, _ = _STEPS[(entity, action)]
    if row["status"] not in froms:
        msg = (
            f"cannot {action.value} {entity.value} {entity_id}: it is {row['status']}; "
            f"{action.value} needs {', '.join(sorted(froms))}"
        )
        raise LifecycleError(
            msg,
            key="error.cobuild.lifecycle",
            entity=entity,
            id=entity_id,
            action=action,
            status=_STATUS[entity](row["status"]),
        )
    return _Opened(store, user, entity, action, row)


def _event(  # noqa: PLR0917 (one row of the history)
    entity: model.CoEntity,
    entity_id: str,
    action: model.CoAction,
    at: str,
    user: User,
    frm: str | None,
    to: str | None,
    note: str | None = None,
) -> tuple[str, dict[str, Any]]:
    return (
        "co_event",
        {
            "entity": entity.value,
            "entity_id": entity_id,
            "at": at,
            "actor": user.name,
            "action": action.value,
            "from_status": frm,
            "to_status": to,
            "note": note,
        },
    )


Op = tuple[str, str, dict[str, Any], dict[str, Any]]
Record = tuple[model.CoEntity, Mapping[str, Any], Mapping[str, Any], model.CoAction, str | None]
"""A change to an existing record: (entity, record as read, changes, action, note)."""


def _step(
    store: Store,
    user: User,
    stamp: str,
    records: Sequence[Record],
    *,
    inserts: Sequence[Op] = (),
    extra_events: Sequence[tuple[str, dict[str, Any]]] = (),
) -> None:
    """Write changes to existing records, each locked on its version and logged as an event.

    `records`: (entity, record as read, changes, action, note); the changes' ``status`` (if
    any) is the event's new status.
    """
    ops: list[Op] = []
    expect = []
    events = []
    for entity, row, changes, action, note in records:
        name, key = _TABLES[entity]
        ident = {key: row[key]}
        ops.append(("update", name, ident, dict(changes)))
        expect.append((name, ident, int(row["version"])))
        to = changes.get("status", row["status"])
        events.append(_event(entity, row[key], action, stamp, user, row["status"], to, note))
    store.edit(
        [*ops, *inserts],
        actor=user.name,
        at=stamp,
        expect=expect,
        append=[*events, *extra_events],
    )


@dataclass(frozen=True)
class _Opened:
    """A record read for one step (:func:`_open`), its rights, version and lifecycle checked."""

    store: Store
    user: User
    entity: model.CoEntity
    action: model.CoAction
    row: dict[str, Any]

    def save(
        self,
        stamp: str,
        note: str | None,
        *,
        also: Sequence[Record] = (),
        inserts: Sequence[Op] = (),
        events: Sequence[tuple[str, dict[str, Any]]] = (),
        **changes: Any,
    ) -> int:
        """Move the record to the step's status with `changes`, logging the step as an event.

        Parameters
        ----------
        stamp : str
            When the step is taken (ISO).
        note : str or None
            The event's note, already cleaned.
        also : sequence of Record
            Other records the step moves too (a project's need), each with its own event.
        inserts : sequence of Op
            New records written in the same transaction (a pair's project).
        events : sequence of tuple
            More ``co_event`` rows to append (the new project's first event).
        **changes : Any
            Columns to change besides ``status``.

        Returns
        -------
        int
            The record's new version.
        """
        _, to = _STEPS[(self.entity, self.action)]
        moved = (self.entity, self.row, {"status": to, **changes}, self.action, note)
        _step(self.store, self.user, stamp, [moved, *also], inserts=inserts, extra_events=events)
        return int(self.row["version"]) + 1


def _new_id(store: Store, entity: model.CoEntity, prefix: str, where: Mapping[str, Any]) -> str:
    """The next free id ``<prefix><n>`` among the records selected by `where`."""
    name, key = _TABLES[entity]
    width = {model.CoEntity.RESOURCE: 1, model.CoEntity.VOLUNTEER: 4}.get(entity, 3)
    ids = store.read(name, where=where, columns=[key])[key].astype(str)
    tail = ids[ids.str.startswith(prefix)].str.slice(len(prefix))
    numbers = pd.to_numeric(tail[tail.str.fullmatch(r"\d+")], errors="coerce")
    return f"{prefix}{int(numbers.max()) + 1 if len(numbers) else 1:0{width}d}"


# entity -> (the action that creates it, its ids' letter, the column whose value the ids carry)
_NEW: Final[dict[model.CoEntity, tuple[model.CoAction, str, str]]] = {
    model.CoEntity.NEED: (model.CoAction.FILE, "N", "community_id"),
    model.CoEntity.RESOURCE: (model.CoAction.FILE, "R", "unit_id"),
    model.CoEntity.WISH: (model.CoAction.POST, "W", "community_id"),
    model.CoEntity.VOLUNTEER: (model.CoAction.LOG, "V", "community_id"),
}


def _create(
    store: Store, user: User, entity: model.CoEntity, values: Mapping[str, Any], stamp: str
) -> str:
    """Insert a record under the next free id ``<letter>-<owner>-<n>`` (`owner`: its community,
    or its unit without ``U-``; `n` counts the owner's records) with its first event; its
    ``status`` (if any) is the event's new status."""
    name, key = _TABLES[entity]
    action, letter, column = _NEW[entity]
    owner = str(values[column])
    prefix = f"{letter}-{owner.removeprefix('U-') if column == 'unit_id' else owner}-"

    def write(new_id: str) -> None:
        event = _event(entity, new_id, action, stamp, user, None, values.get("status"))
        store.edit(
            [("insert", name, {key: new_id}, dict(values))],
            actor=user.name,
            at=stamp,
            append=[event],
        )

    return insert_new(lambda: _new_id(store, entity, prefix, {column: owner}), write)


def _community(store: Store, community_id: str) -> None:
    if store.read("community", where={"community_id": community_id}).empty:
        msg = f"no community {community_id!r}"
        raise ValidationError(msg, key="error.cobuild.no_community", id=community_id)


def file_need(
    store: Store,
    user: User,
    *,
    community_id: str,
    kind: str,
    title: str,
    description: str = "",
    compound_id: str | None = None,
    at: dt.datetime | None = None,
) -> str:
    """Put a need of a community (optionally of one of its compounds) on the needs list.

    The need is ``open`` until a unit is paired with it (:func:`~mapgov.domain.cobuild.pair`).

    Parameters
    ----------
    store : Store
        Where the needs list is kept.
    user : User
        Who files it: staff of the community or an admin of its street.
    community_id : str
        The community in need.
    kind : str
        A :class:`~mapgov.core.model.CoopKind` value: what sort of help.
    title : str
        What is needed, required, at most 120 characters.
    description : str
        The details, optional.
    compound_id : str or None
        The compound it concerns, one of the community's.
    at : datetime.datetime or None
        The filing time (default: the street's clock).

    Returns
    -------
    str
        The new need's id, ``N-<community>-<n>``.
    """
    _community(store, community_id)
    _require(store, user, community_id, model.CoAction.FILE, model.CoEntity.NEED)
    coop = _choice(model.CoopKind, kind)
    if compound_id and community_of_compound(store, compound_id) != community_id:
        msg = f"compound {compound_id} is not in community {community_id}"
        raise ValidationError(
            msg, key="error.cobuild.wrong_place", compound=compound_id, community=community_id
        )
    stamp = edit_stamp(store, at)
    values = {
        "community_id": community_id,
        "compound_id": compound_id or None,
        "kind": coop.value,
        "title": _clean(title, "title", limit=MAX_TITLE, required=True),
        "description": _clean(description, "description", limit=MAX_TEXT),
        "status": model.NeedStatus.OPEN.value,
        "filed_at": stamp,
        "filed_by": user.name,
        "version": 1,
    }
    return _create(store, user, model.CoEntity.NEED, values, stamp)


def file_resource(
    store: Store,
    user: User,
    *,
    unit_id: str,
    kind: str,
    title: str,
    description: str = "",
    capacity: int | None = None,
    at: dt.datetime | None = None,
) -> str:
    """Put a resource a unit offers on the resource list.

    Resources have no status: the matching weighs them, projects draw on them.

    Parameters
    ----------
    store : Store
        The database with the units and their resources.
    user : User
        Who files it for the unit: the unit's community staff; for a unit of no community, its
        street's admins.
    unit_id : str
        The resident unit offering it.
    kind : str
        The :class:`~mapgov.core.model.CoopKind` it serves.
    title : str
        A name for what is offered (required).
    description : str
        More about it; may be empty.
    capacity : int or None
        How many it can serve at once, 0 to 100,000, if it is counted.
    at : datetime.datetime or None
        When it was filed; None for now.

    Returns
    -------
    str
        The new resource's id, ``R-<unit>-<n>``.
    """
    units = store.read(
        "resident_unit", where={"unit_id": unit_id}, columns=["community_id", "street_id"]
    )
    if units.empty:
        msg = f"no resident unit {unit_id!r}"
        raise ValidationError(msg, key="error.cobuild.no_unit", id=unit_id)
    community, street = (v if isinstance(v, str) else None for v in units.iloc[0])
    if community is not None or not street_admin(user, street):  # no community: its street's
        _require(store, user, community, model.CoAction.FILE, model.CoEntity.RESOURCE)
    coop = _choice(model.CoopKind, kind)
    if capacity is not None:
        _number(capacity, "capacity", 0, 100_000)
    stamp = edit_stamp(store, at)
    values = {
        "unit_id": unit_id,
        "kind": coop.value,
        "title": _clean(title, "title", limit=MAX_TITLE, required=True),
        "description": _clean(description, "description", limit=MAX_TEXT),
        "capacity": None if capacity is None else int(capacity),
        "filed_at": stamp,
        "filed_by": user.name,
    }
    return _create(store, user, model.CoEntity.RESOURCE, values, stamp)


def log_volunteer(
    store: Store,
    user: User,
    *,
    held_on: dt.date,
    title: str,
    kind: str,
    participants: int,
    hours: float,
    organiser: str,
    compound_id: str | None = None,
    community_id: str | None = None,
    unit_id: str | None = None,
    at: dt.datetime | None = None,
) -> str:
    """Record a volunteer service event held on a compound (or community-wide, giving only
    `community_id`), with its participants and how many hours it lasted.

    Parameters
    ----------
    store : Store
        The database the record goes into.
    user : User
        Who records it: staff of the community, or a street admin.
    held_on : datetime.date
        The day it was held: today or earlier.
    title : str
        What was done, required.
    kind : str
        A :class:`~mapgov.core.model.VolunteerKind` value.
    participants : int
        Volunteers taking part, 1 to 10,000.
    hours : float
        How long it lasted, more than 0 and at most 24 (each participant is credited that many
        service hours).
    organiser : str
        The team or unit that ran it; `unit_id` links a resident unit.
    compound_id : str or None
        Where it was held; it names the community.
    community_id : str or None
        The community, for an event not held on one compound.
    unit_id : str or None
        The resident unit that organised it, if it is one.
    at : datetime.datetime or None
        When it is recorded, the street's now by default.

    Returns
    -------
    str
        The new record's id, ``V-<community>-<n>``.
    """
    if compound_id:
        found = community_of_compound(store, compound_id)
        if community_id and community_id != found:
            msg = f"compound {compound_id} is not in community {community_id}"
            raise ValidationError(
                msg, key="error.cobuild.wrong_place", compound=compound_id, community=community_id
            )
        community_id = found
    if not community_id:
        msg = "a volunteer event needs its compound or community"
        raise ValidationError(msg, key="error.issue.required", field="compound")
    _community(store, community_id)
    _require(store, user, community_id, model.CoAction.LOG, model.CoEntity.VOLUNTEER)
    coop = _choice(model.VolunteerKind, kind)
    _number(participants, "participants", 1, 10_000)
    if not isinstance(participants, int):
        msg = f"participants must be a whole number, not {participants!r}"
        raise ValidationError(
            msg, key="error.cobuild.bad_number", field="participants", low="1", high="10000"
        )
    _number(hours, "hours", 0.1, 24)
    stamp = edit_stamp(store, at)
    if held_on > day_of(stamp):
        msg = f"{held_on} is in the future"
        raise ValidationError(msg, key="error.cobuild.future_date", date=held_on.isoformat())
    if unit_id and store.read("resident_unit", where={"unit_id": unit_id}).empty:
        msg = f"no resident unit {unit_id!r}"
        raise ValidationError(msg, key="error.cobuild.no_unit", id=unit_id)
    values = {
        "community_id": community_id,
        "compound_id": compound_id or None,
        "held_on": held_on.isoformat(),
        "title": _clean(title, "title", limit=MAX_TITLE, required=True),
        "kind": coop.value,
        "participants": int(participants),
        "hours": float(hours),
        "organiser": _clean(organiser, "organiser", limit=MAX_NAME, required=True),
        "unit_id": unit_id or None,
        "recorded_by": user.name,
        "recorded_at": stamp,
    }
    return _create(store, user, model.CoEntity.VOLUNTEER, values, stamp)
