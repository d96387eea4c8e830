"""Co-building projects: pairing a need with a unit's resource, then the project's steps.

:func:`pair` turns an open need into a project; :func:`claim_project`,
:func:`progress_project`, :func:`complete_project`, :func:`rate_project` and
:func:`cancel_project` move it along, :func:`cancel_need` withdraws a need. Rights, lifecycle
and locking are checked by the shared machinery of :mod:`mapgov.domain.cobuild.workflow`.
"""

from __future__ import annotations

from typing import Any, Unpack

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
    MAX_TEXT,
    MAX_TITLE,
    Record,
    _choice,
    _clean,
    _event,
    _new_id,
    _open,
    _Opened,
    _record,
)
from mapgov.domain.editing import edit_stamp, insert_new
from mapgov.domain.steps import Cancel, Step, cancel_fields, step_fields
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
    unit_id: str,
    resource_id: str | None = None,
    title: str | None = None,
    **step: Unpack[Step],
) -> str:
    """Pair an open need with a unit (and the resource it draws on): the project is created,
    ``paired``, and the need is ``matched``.

    Parameters
    ----------
    store : Store
        The database holding the needs, units and projects.
    user : User
        Who pairs them: staff of the need's community or a street admin.
    need_id : str
        The open need.
    unit_id : str
        The resident unit taking it on.
    resource_id : str or None
        One of the unit's resources the project draws on, if any.
    title : str or None
        The project's title (default: the need's).
    **step : Unpack[Step]
        ``version``: the need's version the user saw. ``note``: why this unit, optional; the unit's
        name heads it in the history. ``at``: the pairing's time; None means now on the street's
        clock.

    Returns
    -------
    str
        The new project's id, ``P-<community>-<n>``.
    """
    version, note, at = step_fields(step)
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
    stamp = edit_stamp(store, at)
    text = _clean(note, "remark", limit=MAX_TEXT)
    unit_name = str(unit.iloc[0]["name"])
    values = {
        "need_id": need_id,
        "unit_id": unit_id,
        "resource_id": resource_id,
        "title": _clean(title, "title", limit=MAX_TITLE) or need.row["title"],
        "status": ProjectStatus.PAIRED.value,
        "paired_at": stamp,
        "paired_by": user.name,
        "version": 1,
    }
    note_text = f"{unit_name}: {text}" if text else unit_name
    community = need.row["community_id"]

    def _write(project_id: str) -> None:
        new = (CoEntity.PROJECT, project_id, CoAction.PAIR, stamp, user, None, "paired", text)
        inserts = [("insert", "co_project", {"project_id": project_id}, values)]
        need.save(stamp, note_text, inserts=inserts, events=[_event(*new)])

    def _make_id() -> str:
        needs = store.read("community_need", where={"community_id": community}, columns=["need_id"])
        return _new_id(
            store, CoEntity.PROJECT, f"P-{community}-", {"need_id": list(needs["need_id"])}
        )

    return insert_new(_make_id, _write)


def _need_too(
    project: _Opened, when: str | None, changes: dict[str, Any], action: CoAction, note: str | None
) -> list[Record]:
    """The project's need, moved along with it (`changes`, logged as `action`) if it is at
    status `when`: the records a project step also writes."""
    need = project.row["need"]
    return [(CoEntity.NEED, need, changes, action, note)] if need["status"] == when else []


def claim_project(store: Store, user: User, project_id: str, **step: Unpack[Step]) -> int:
    """The unit claims a paired project (认领).

    From then on the unit answers for it; it is ``claimed`` until work starts.

    Parameters
    ----------
    store : Store
        The database with the project.
    user : User
        Who records the claim, with edit rights on the need's community.
    project_id : str
        A ``paired`` project.
    **step : Unpack[Step]
        ``version``: the project's version as the form showed it. ``note``: a remark on the claim,
        may be empty. ``at``: when it was claimed; the street's now by default.

    Returns
    -------
    int
        The project's version now that it is claimed.
    """
    version, note, at = step_fields(step)
    stamp = edit_stamp(store, at)
    text = _clean(note, "remark", limit=MAX_TEXT)
    action = CoAction.CLAIM
    project = _open(store, user, CoEntity.PROJECT, project_id, action=action, version=version)
    return project.save(stamp, text, claimed_at=stamp)


def progress_project(store: Store, user: User, project_id: str, **step: Unpack[Step]) -> int:
    """Work starts on a claimed project, or a project in progress reports how far it got (the
    report, `note`, is then required).

    Parameters
    ----------
    store : Store
        Where the project is read and written.
    user : User
        Who reports the progress (staff of the community or a street admin).
    project_id : str
        A ``claimed`` or ``in_progress`` project.
    **step : Unpack[Step]
        ``version``: the version of the project in the form. ``note``: the progress report: optional
        when work starts, required after. ``at``: when this was reported (default: now).

    Returns
    -------
    int
        Its version once the report is saved.
    """
    version, note, at = step_fields(step)
    status = _record(store, CoEntity.PROJECT, project_id)["status"]
    started = status == ProjectStatus.IN_PROGRESS.value
    stamp = edit_stamp(store, at)
    text = _clean(note, "progress_report", limit=MAX_TEXT, required=started)
    changes: dict[str, Any] = {} if started else {"started_at": stamp}
    action = CoAction.PROGRESS
    project = _open(store, user, CoEntity.PROJECT, project_id, action=action, version=version)
    return project.save(stamp, text, **changes)


def complete_project(store: Store, user: User, project_id: str, **step: Unpack[Step]) -> int:
    """A project in progress is completed; its need is ``done``.

    The residents rate it next (:func:`rate_project`).

    Parameters
    ----------
    store : Store
        Holds the project and its need.
    user : User
        Who declares the work done (staff of the community, or a street admin).
    project_id : str
        A project whose status is ``in_progress``.
    **step : Unpack[Step]
        ``version``: the project's version on the user's page. ``note``: what was achieved,
        optional. ``at``: the moment of completion (the street's clock if None).

    Returns
    -------
    int
        The project's next version (its need's changes too).
    """
    version, note, at = step_fields(step)
    stamp = edit_stamp(store, at)
    text = _clean(note, "remark", limit=MAX_TEXT)
    action = CoAction.COMPLETE
    project = _open(store, user, CoEntity.PROJECT, project_id, action=action, version=version)
    done = {"status": NeedStatus.DONE.value, "closed_at": stamp}
    also = _need_too(project, NeedStatus.MATCHED.value, done, action, text)
    return project.save(stamp, text, also=also, completed_at=stamp)


def rate_project(
    store: Store,
    user: User,
    project_id: str,
    *,
    rating: str,
    **step: Unpack[Step],
) -> int:
    """Record the residents' rating of a completed project: satisfied, basically satisfied or
    unsatisfied (as at an issue's callback). "unsatisfied" puts its need back on the list
    (``open``).

    Parameters
    ----------
    store : Store
        The database the rating goes into.
    user : User
        Who records the residents' verdict.
    project_id : str
        A ``completed`` project.
    rating : str
        Satisfied, basically satisfied or unsatisfied (a
        :class:`~mapgov.core.model.CallbackRating`).
    **step : Unpack[Step]
        ``version``: the version of the completed project that the page showed. ``note``: the
        residents' comments, if any. ``at``: when they rated it, by default the street's current
        time.

    Returns
    -------
    int
        The version the rating leaves the project at.
    """
    version, note, at = step_fields(step)
    rate = _choice(CallbackRating, rating)
    stamp = edit_stamp(store, at)
    text = _clean(note, "remark", limit=MAX_TEXT)
    shown = f"{rate.value}: {text}" if text else rate.value
    action = CoAction.RATE
    project = _open(store, user, CoEntity.PROJECT, project_id, action=action, version=version)
    back = NeedStatus.DONE.value if rate == CallbackRating.UNSATISFIED else None
    reopen = {"status": NeedStatus.OPEN.value, "closed_at": None}
    also = _need_too(project, back, reopen, CoAction.REOPEN, shown)
    return project.save(stamp, shown, also=also, rated_at=stamp, satisfaction=rate.value)


def cancel_project(store: Store, user: User, project_id: str, **cancel: Unpack[Cancel]) -> int:
    """Drop a project before it is completed, saying why; its need is ``open`` again.

    Parameters
    ----------
    store : Store
        The store holding the project and its need.
    user : User
        Who drops it: staff of the community or a street admin.
    project_id : str
        A project that is paired, claimed or in progress.
    **cancel : Unpack[Cancel]
        ``version``: the project's version when the page was drawn. ``reason``: why it is dropped
        (required). ``at``: when it was cancelled; now if not given.

    Returns
    -------
    int
        The version of the dropped project.
    """
    version, reason, at = cancel_fields(cancel)
    stamp = edit_stamp(store, at)
    text = _clean(reason, "cancel_reason", limit=MAX_TEXT, required=True)
    action = CoAction.CANCEL
    project = _open(store, user, CoEntity.PROJECT, project_id, action=action, version=version)
    reopen = {"status": NeedStatus.OPEN.value}
    also = _need_too(project, NeedStatus.MATCHED.value, reopen, CoAction.REOPEN, text)
    return project.save(stamp, text, also=also, cancelled_at=stamp)


def cancel_need(store: Store, user: User, need_id: str, **cancel: Unpack[Cancel]) -> int:
    """Withdraw an open need, saying why (a matched need's project must be cancelled first).

    Parameters
    ----------
    store : Store
        The database with the needs list.
    user : User
        Who withdraws it, with edit rights on the need's community.
    need_id : str
        An ``open`` need.
    **cancel : Unpack[Cancel]
        ``version``: the need's version the user saw. ``reason``: why it is withdrawn; required.
        ``at``: when (default: the street's now).

    Returns
    -------
    int
        The need's version, one up.
    """
    version, reason, at = cancel_fields(cancel)
    need = _open(store, user, CoEntity.NEED, need_id, action=CoAction.CANCEL, version=version)
    stamp = edit_stamp(store, at)
    text = _clean(reason, "cancel_reason", limit=MAX_TEXT, required=True)
    return need.save(stamp, text, closed_at=stamp)
