"""Co-building projects: pairing a need with a unit's resource, then the project's steps.

:func:`pair` turns an open need into a project; :func:`claim_project`,
:func:`progress_project`, :func:`complete_project`, :func:`rate_project` and
:func:`cancel_project` move it along, :func:`cancel_need` withdraws a need. Rights, lifecycle
and locking are checked by the shared machinery of :mod:`mapgov.domain.cobuild.workflow`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from mapgov.core.errors import (
    ValidationError,
)
from mapgov.core.model import (
    CallbackRating,
    CoAction,
    CoEntity,
    NeedStatus,
    ProjectStatus,
)
from mapgov.domain.cobuild.workflow import (
    _STEPS,
    MAX_TEXT,
    MAX_TITLE,
    _choice,
    _clean,
    _event,
    _insert_new,
    _new_id,
    _open,
    _record,
    _stamp,
    _step,
)
from mapgov.domain.users import User
from mapgov.store import Store

__all__ = [
    "cancel_need",
    "cancel_project",
    "claim_project",
    "complete_project",
    "pair",
    "progress_project",
    "rate_project",
]


def pair(
    store: Store,
    user: User,
    need_id: str,
    *,
    version: int,
    unit_id: str,
    resource_id: str | None = None,
    title: str | None = None,
    note: str = "",
    at: dt.datetime | None = None,
) -> str:
    """Pair an open need with a unit (and the resource it draws on): the project is created,
    ``paired``, and the need is ``matched``.

    Parameters
    ----------
    version
        The need's version the user saw.
    title
        The project's title (default: the need's).

    Returns
    -------
    str
        The new project's id, ``P-<community>-<n>``.
    """
    need = _open(store, user, CoEntity.NEED, need_id, action=CoAction.PAIR, version=version)
    unit = store.read("resident_unit", where={"unit_id": unit_id}, columns=["unit_id", "name"])
    if unit.empty:
        msg = f"no resident unit {unit_id!r}"
        raise ValidationError(msg, key="error.cobuild.no_unit", id=unit_id)
    if resource_id is not None:
        res = store.read("unit_resource", where={"resource_id": resource_id}, columns=["unit_id"])
        if res.empty or res.iloc[0]["unit_id"] != unit_id:
            msg = f"resource {resource_id} is not one of unit {unit_id}'s"
            raise ValidationError(
                msg, key="error.cobuild.wrong_unit", resource=resource_id, unit=unit_id
            )
    stamp = _stamp(store, at)
    text = _clean(note, "note", limit=MAX_TEXT)
    unit_name = str(unit.iloc[0]["name"])
    values = {
        "need_id": need_id,
        "unit_id": unit_id,
        "resource_id": resource_id,
        "title": _clean(title, "title", limit=MAX_TITLE) or need["title"],
        "status": ProjectStatus.PAIRED.value,
        "paired_at": stamp,
        "paired_by": user.name,
        "version": 1,
    }
    note_text = f"{unit_name}: {text}" if text else unit_name
    community = need["community_id"]

    def write(project_id: str) -> None:
        _step(
            store,
            user,
            stamp,
            [(CoEntity.NEED, need, {"status": "matched"}, CoAction.PAIR, note_text)],
            inserts=[("insert", "co_project", {"project_id": project_id}, values)],
            extra_events=[
                _event(
                    CoEntity.PROJECT, project_id, CoAction.PAIR, stamp, user, None, "paired", text
                )
            ],
        )

    def make_id() -> str:
        needs = store.read("community_need", where={"community_id": community}, columns=["need_id"])
        return _new_id(
            store, CoEntity.PROJECT, f"P-{community}-", {"need_id": list(needs["need_id"])}
        )

    return _insert_new(make_id, write)


def _project_step(
    store: Store,
    user: User,
    project_id: str,
    *,
    version: int,
    action: CoAction,
    changes: Mapping[str, Any],
    note: str | None,
    stamp: str,
    need_changes: Callable[[dict[str, Any]], tuple[dict[str, Any], CoAction] | None] = (
        lambda _need: None
    ),
) -> int:
    project = _open(store, user, CoEntity.PROJECT, project_id, action=action, version=version)
    _, to = _STEPS[(CoEntity.PROJECT, action)]
    records = [(CoEntity.PROJECT, project, {"status": to, **changes}, action, note)]
    need = project["need"]
    moved = need_changes(need)
    if moved is not None:
        records.append((CoEntity.NEED, need, moved[0], moved[1], note))
    _step(store, user, stamp, records)
    return int(version) + 1


def claim_project(
    store: Store,
    user: User,
    project_id: str,
    *,
    version: int,
    note: str = "",
    at: dt.datetime | None = None,
) -> int:
    """The unit claims a paired project (认领). Returns the project's new version."""
    stamp = _stamp(store, at)
    return _project_step(
        store,
        user,
        project_id,
        version=version,
        action=CoAction.CLAIM,
        changes={"claimed_at": stamp},
        note=_clean(note, "note", limit=MAX_TEXT),
        stamp=stamp,
    )


def progress_project(
    store: Store,
    user: User,
    project_id: str,
    *,
    version: int,
    note: str = "",
    at: dt.datetime | None = None,
) -> int:
    """Work starts on a claimed project, or a project in progress reports how far it got (the
    report, `note`, is then required). Returns the project's new version."""
    project = _record(store, CoEntity.PROJECT, project_id)
    started = project["status"] == ProjectStatus.IN_PROGRESS.value
    stamp = _stamp(store, at)
    return _project_step(
        store,
        user,
        project_id,
        version=version,
        action=CoAction.PROGRESS,
        changes={} if started else {"started_at": stamp},
        note=_clean(note, "note", limit=MAX_TEXT, required=started),
        stamp=stamp,
    )


def complete_project(
    store: Store,
    user: User,
    project_id: str,
    *,
    version: int,
    note: str = "",
    at: dt.datetime | None = None,
) -> int:
    """A project in progress is completed; its need is ``done``. Returns the project's new
    version."""
    stamp = _stamp(store, at)

    def need_done(need: dict[str, Any]) -> tuple[dict[str, Any], CoAction] | None:
        if need["status"] != NeedStatus.MATCHED.value:
            return None
        return {"status": NeedStatus.DONE.value, "closed_at": stamp}, CoAction.COMPLETE

    return _project_step(
        store,
        user,
        project_id,
        version=version,
        action=CoAction.COMPLETE,
        changes={"completed_at": stamp},
        note=_clean(note, "note", limit=MAX_TEXT),
        stamp=stamp,
        need_changes=need_done,
    )


def rate_project(
    store: Store,
    user: User,
    project_id: str,
    *,
    version: int,
    rating: str,
    note: str = "",
    at: dt.datetime | None = None,
) -> int:
    """Record the residents' rating of a completed project: satisfied, basically satisfied or
    unsatisfied (as at an issue's callback). "unsatisfied" puts its need back on the list
    (``open``). Returns the project's new version."""
    rate = _choice(CallbackRating, rating)
    stamp = _stamp(store, at)
    text = _clean(note, "note", limit=MAX_TEXT)

    def reopen(need: dict[str, Any]) -> tuple[dict[str, Any], CoAction] | None:
        if rate != CallbackRating.UNSATISFIED or need["status"] != NeedStatus.DONE.value:
            return None
        return {"status": NeedStatus.OPEN.value, "closed_at": None}, CoAction.REOPEN

    return _project_step(
        store,
        user,
        project_id,
        version=version,
        action=CoAction.RATE,
        changes={"rated_at": stamp, "satisfaction": rate.value},
        note=f"{rate.value}: {text}" if text else rate.value,
        stamp=stamp,
        need_changes=reopen,
    )


def cancel_project(
    store: Store,
    user: User,
    project_id: str,
    *,
    version: int,
    reason: str,
    at: dt.datetime | None = None,
) -> int:
    """Drop a project before it is completed, saying why; its need is ``open`` again. Returns
    the project's new version."""
    stamp = _stamp(store, at)

    def reopen(need: dict[str, Any]) -> tuple[dict[str, Any], CoAction] | None:
        if need["status"] != NeedStatus.MATCHED.value:
            return None
        return {"status": NeedStatus.OPEN.value}, CoAction.REOPEN

    return _project_step(
        store,
        user,
        project_id,
        version=version,
        action=CoAction.CANCEL,
        changes={"cancelled_at": stamp},
        note=_clean(reason, "reason", limit=MAX_TEXT, required=True),
        stamp=stamp,
        need_changes=reopen,
    )


def cancel_need(
    store: Store,
    user: User,
    need_id: str,
    *,
    version: int,
    reason: str,
    at: dt.datetime | None = None,
) -> int:
    """Withdraw an open need, saying why (a matched need's project must be cancelled first).
    Returns the need's new version."""
    need = _open(store, user, CoEntity.NEED, need_id, action=CoAction.CANCEL, version=version)
    stamp = _stamp(store, at)
    text = _clean(reason, "reason", limit=MAX_TEXT, required=True)
    changes = {"status": NeedStatus.CANCELLED.value, "closed_at": stamp}
    _step(store, user, stamp, [(CoEntity.NEED, need, changes, CoAction.CANCEL, text)])
    return int(version) + 1
