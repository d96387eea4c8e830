"""Party members' service (在职党员到社区报到, 党员百分考核): registration, tasks and points.

An in-service party member registers with a community (:func:`register_member`, changed with
:func:`edit_registration`), takes service tasks there (:func:`record_service`) and does or drops
them (:func:`finish_service`). Each done task, each deliberation round attended and the
registration itself earn points on the street's 100-point scheme (:class:`Scheme`), kept as data
in ``member_points.toml`` (:func:`load_scheme`; ``MAPGOV_MEMBER_POINTS`` names another profile).
:mod:`mapgov.domain.member_scores` counts them, ranks a community's members and shows one
member's file.

Rights: staff of the member's community and admins of its street
(:func:`mapgov.domain.users.can_edit`). Every change of a record checks the version the form
showed (:class:`~mapgov.core.errors.StaleEditError` otherwise). Members' names and phones are
personal (:data:`mapgov.core.privacy.PERSONAL`): the frames here are unmasked, for the writing
and counting; whatever shows them masks them (:mod:`mapgov.domain.member_scores`).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import pandas as pd

from mapgov.core import clock
from mapgov.core.errors import DataFileError, ValidationError
from mapgov.core.model import ServiceKind, ServiceStatus
from mapgov.core.privacy import mask_name
from mapgov.core.toml_files import read_toml
from mapgov.domain.editing import edit_stamp, insert_new, require_editor
from mapgov.domain.places import display_name
from mapgov.domain.users import User, can_edit
from mapgov.store import Store

__all__ = [
    "LINES",
    "PROFILE_ENV",
    "Line",
    "Scheme",
    "edit_registration",
    "finish_service",
    "load_scheme",
    "member_row",
    "members_of",
    "period_of",
    "record_service",
    "register_member",
    "service_row",
]

PROFILE_ENV: Final = "MAPGOV_MEMBER_POINTS"
"""Environment variable naming a points profile to use instead of the shipped one."""

LINES: Final = ("registered", "volunteer", "co_project", "deliberation", "issue", "help", "other")
"""The lines of the scheme, in the order a scorecard shows them: the registration, one line per
:class:`~mapgov.core.model.ServiceKind` that is not ``other`` ... and deliberation attendance."""

MAX_WORK_UNIT: Final = 80
MAX_TITLE: Final = 120

# the record a task's ref_id names, by kind: (table, key column, whether the key is an integer)
_REFS: Final[dict[ServiceKind, tuple[str, str, bool]]] = {
    ServiceKind.VOLUNTEER: ("volunteer_event", "volunteer_event_id", False),
    ServiceKind.CO_PROJECT: ("co_project", "project_id", False),
    ServiceKind.ISSUE: ("issue", "issue_id", True),
    ServiceKind.HELP: ("issue", "issue_id", True),
}


# -- the scheme -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Line:
    """One line of the scheme: points for each counted item, at most `cap` in all."""

    points: float
    cap: float


@dataclass(frozen=True)
class Scheme:
    """The 100-point scheme: its name (``name_en`` in English, optional), its lines (by name,
    :data:`LINES`) and the cap of the total."""

    name: str
    lines: dict[str, Line]
    total_cap: float
    name_en: str = ""
    source: str = field(default="", compare=False)

    def title(self, lang: str) -> str:
        """The scheme's name to show in `lang`.

        Parameters
        ----------
        lang : str
            The display language (``"zh"`` or ``"en"``).

        Returns
        -------
        str
            ``name_en`` on an English page when the profile gives one, else ``name`` (a
            street's profile with a single name shows it in every language).
        """
        return display_name(self.name, self.name_en, lang)


def _number(path: Path | str, key: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        msg = f"{key} must be a number of points, 0 or more, not {value!r}"
        raise DataFileError(path, msg, field=key)
    return float(value)


def _parse(path: Path | str, data: dict[str, Any]) -> Scheme:
    lines = data.get("lines")
    if not isinstance(lines, dict):
        msg = "the profile has no [lines.<name>] tables"
        raise DataFileError(path, msg, field="lines")
    unknown = sorted(set(lines) - set(LINES))
    missing = [n for n in LINES if n not in lines]
    for name in [*unknown, *missing]:
        what = "is not a line of the scheme" if name in unknown else "is missing"
        msg = f"lines.{name} {what} (lines: {', '.join(LINES)})"
        raise DataFileError(path, msg, field=f"lines.{name}")
    parsed: dict[str, Line] = {}
    for name in LINES:
        entry = lines[name]
        if not isinstance(entry, dict):
            msg = f"lines.{name} must be a table with points and cap"
            raise DataFileError(path, msg, field=f"lines.{name}")
        values = [_number(path, f"lines.{name}.{k}", entry.get(k)) for k in ("points", "cap")]
        parsed[name] = Line(points=values[0], cap=values[1])
    total = _number(path, "total_cap", data.get("total_cap"))
    return Scheme(
        name=str(data.get("name", "")),
        lines=parsed,
        total_cap=total,
        name_en=str(data.get("name_en", "")),
        source=str(path),
    )


def load_scheme(path: Path | str | None = None) -> Scheme:
    """Read and check a points profile.

    Parameters
    ----------
    path : Path or str or None
        The profile's file; None: the file named by ``MAPGOV_MEMBER_POINTS`` if set, else the
        shipped ``mapgov/domain/member_points.toml``.

    Returns
    -------
    Scheme
        Its lines and total cap.

    Raises
    ------
    DataFileError
        If the file cannot be read, is not TOML, or a key is missing or wrong: the message
        names the file and the key (``lines.volunteer.points``).
    """
    chosen = path if path is not None else os.environ.get(PROFILE_ENV) or None
    where, data = read_toml(chosen, "mapgov.domain", "member_points.toml", _unusable)
    return _parse(where, data)


def _unusable(where: str, unreadable: bool, err: Exception) -> DataFileError:
    """The error for a points profile that cannot be read or is not TOML."""
    what = "cannot read the points profile" if unreadable else "not a TOML file"
    return DataFileError(where, f"{what}: {err}")


def period_of(period: str | None, today: dt.date) -> tuple[dt.date, dt.date]:
    """First and last day of `period` (a year ``YYYY``; None: the year of `today`).

    Parameters
    ----------
    period : str or None
        The year.
    today : date
        The street's day, for a period of None.

    Returns
    -------
    tuple of date
        Its first and last day.

    Raises
    ------
    ValidationError
        If `period` is not a year.

    Examples
    --------
    >>> period_of("2025", dt.date(2026, 3, 1))
    (datetime.date(2025, 1, 1), datetime.date(2025, 12, 31))
    """
    text = str(today.year) if period is None else str(period).strip()
    if not (len(text) == 4 and text.isdigit() and 1900 < int(text) < 2200):
        msg = f"a period is a year YYYY, not {period!r}"
        raise ValidationError(msg, key="error.members.period", period=str(period))
    year = int(text)
    return dt.date(year, 1, 1), dt.date(year, 12, 31)


# -- reading ----------------------------------------------------------------------------------
def _home_communities(store: Store, buildings: Collection[str]) -> dict[str, str]:
    """Community of each building (building -> compound -> grid -> community)."""
    if not buildings:
        return {}
    b = store.read(
        "building", where={"building_id": list(buildings)}, columns=["building_id", "compound_id"]
    )
    c = store.read(
        "compound",
        where={"compound_id": list(b["compound_id"].unique())},
        columns=["compound_id", "grid_id"],
    )
    g = store.read(
        "grid", where={"grid_id": list(c["grid_id"].unique())}, columns=["grid_id", "community_id"]
    )
    grid_of = dict(zip(c["compound_id"], c["grid_id"], strict=True))
    com_of = dict(zip(g["grid_id"], g["community_id"], strict=True))
    return {
        bid: com_of[grid_of[cid]]
        for bid, cid in zip(b["building_id"], b["compound_id"], strict=True)
    }


def members_of(store: Store, community_ids: Collection[str]) -> pd.DataFrame:
    """The party members of `community_ids`: those registered there and the in-service ones who
    live there (by their building), with their registration if any.

    Parameters
    ----------
    store : Store
        The database.
    community_ids : Collection of str
        The communities.

    Returns
    -------
    DataFrame
        ``member_id, name, phone, in_service, home_community_id, community_id`` (where
        registered, else the home community), ``registered`` (0/1), ``registered_on,
        work_unit, version`` (None when not registered); unmasked: mask before showing.
    """
    wanted = set(community_ids)
    regs = store.read("member_registration")
    members = store.read(
        "party_member", columns=["member_id", "name", "phone", "in_service", "building_id"]
    )
    homes = _home_communities(store, set(members["building_id"].dropna()))
    members = members.assign(home_community_id=members["building_id"].map(homes))
    out = members.drop(columns="building_id").merge(
        regs.drop(columns="recorded_by"), on="member_id", how="left"
    )
    out["registered"] = out["community_id"].notna().astype(int)
    out["community_id"] = out["community_id"].where(
        out["registered"] == 1, out["home_community_id"]
    )
    mine = out["community_id"].isin(wanted) & ((out["registered"] == 1) | (out["in_service"] == 1))
    return out[mine].sort_values("member_id").reset_index(drop=True)


def member_row(store: Store, member_id: str) -> dict[str, Any]:
    """One party member, unmasked, with where the member belongs.

    Parameters
    ----------
    store : Store
        The database.
    member_id : str
        The member.

    Returns
    -------
    dict
        The ``party_member`` row plus ``home_community_id`` (by the member's building),
        ``registered`` (0/1), ``community_id`` (where registered, else the home community),
        ``registered_on``, ``work_unit`` and ``version`` (None when not registered).

    Raises
    ------
    ValidationError
        If there is no such member.
    """
    row = store.read("party_member", where={"member_id": member_id})
    if row.empty:
        msg = f"no party member {member_id!r}"
        raise ValidationError(msg, key="error.members.unknown", member=member_id)
    member = row.iloc[0].to_dict()
    reg = store.read("member_registration", where={"member_id": member_id})
    building = member.get("building_id")
    home = _home_communities(store, [building]).get(building) if isinstance(building, str) else None
    member["home_community_id"] = home
    member["registered"] = int(not reg.empty)
    if reg.empty:
        member.update(community_id=home, registered_on=None, work_unit=None, version=None)
    else:
        member.update(
            {k: reg.iloc[0][k] for k in ("community_id", "registered_on", "work_unit", "version")}
        )
        member["version"] = int(member["version"])
    return member


# -- writing ----------------------------------------------------------------------------------
def _require(store: Store, user: User, community_id: str | None) -> None:
    """Refuse `user` unless they may change party members' service in `community_id`."""
    require_editor(store, user, community_id, "party members' service")


def _day(value: dt.date | str, what: str, store: Store, *, not_before: str | None = None) -> str:
    try:
        day = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
    except ValueError as err:
        msg = f"{what} must be a day YYYY-MM-DD, not {value!r}"
        raise ValidationError(msg, key="error.members.bad_day", field=what) from err
    if isinstance(day, dt.datetime):
        day = day.date()
    today = clock.today(store)
    if day > today:
        msg = f"{what} {day} is after today ({today})"
        raise ValidationError(
            msg, key="error.members.future", day=day.isoformat(), today=today.isoformat()
        )
    if not_before is not None and day.isoformat() < not_before[:10]:
        msg = f"{what} {day} is before the task was taken ({not_before[:10]})"
        raise ValidationError(
            msg, key="error.members.before_taken", day=day.isoformat(), taken=not_before[:10]
        )
    return day.isoformat()


def _text(value: str | None, what: str, limit: int) -> str:
    text = " ".join(str(value or "").split())
    if not text:
        msg = f"{what} is required"
        raise ValidationError(msg, key=f"error.members.{what}_required")
    if len(text) > limit:
        msg = f"{what} is longer than {limit} characters"
        raise ValidationError(msg, key="error.members.too_long", field=what, limit=limit)
    return text


def _community(store: Store, community_id: str) -> None:
    if store.read(
        "community", where={"community_id": community_id}, columns=["community_id"]
    ).empty:
        msg = f"no community {community_id!r}"
        raise ValidationError(msg, key="error.members.no_community", community=community_id)


def _named(store: Store, user: User, member: dict[str, Any]) -> str:
    """How a refusal names `member`: by name for a `user` who edits the member's community
    (the form listed the name), masked for anyone else; by number if the member has no name."""
    name = member.get("name")
    if not isinstance(name, str) or not name.strip():
        return str(member["member_id"])
    community = member.get("community_id")
    sees = isinstance(community, str) and can_edit(user, community, store)
    return name if sees else str(mask_name(name))


def _registered(store: Store, user: User, member_id: str) -> None:
    """Refuse a member not registered with a community, or a `user` who may not change it."""
    member = member_row(store, member_id)
    if not member["registered"]:
        msg = f"party member {member_id} is not registered with a community"
        raise ValidationError(
            msg, key="error.members.not_registered", member=_named(store, user, member)
        )
    _require(store, user, member["community_id"])


def _registration(store: Store, registered_on: dt.date | str, work_unit: str) -> dict[str, str]:
    """A registration's day and work unit, checked (not after today; a work unit given)."""
    return {
        "registered_on": _day(registered_on, "registered_on", store),
        "work_unit": _text(work_unit, "work_unit", MAX_WORK_UNIT),
    }


def _update(
    store: Store,
    user: User,
    table: str,
    key: dict[str, Any],
    values: dict[str, Any],
    *,
    version: int,
    at: dt.datetime | None,
) -> int:
    """Update `table`'s row `key` to `values` if it is still at `version`; its new version."""
    expect = [(table, key, version)]
    store.edit(
        [("update", table, key, values)], actor=user.name, at=edit_stamp(store, at), expect=expect
    )
    return version + 1


def register_member(
    store: Store,
    user: User,
    member_id: str,
    *,
    community_id: str,
    registered_on: dt.date | str,
    work_unit: str,
    at: dt.datetime | None = None,
) -> int:
    """Register an in-service member with a community (在职党员到社区报到).

    Parameters
    ----------
    store : Store
        The database.
    user : User
        Staff of `community_id` or an admin of its street.
    member_id : str
        A party member with ``in_service = 1``, not yet registered anywhere.
    community_id : str
        The community the member registers with (where the member lives).
    registered_on : date or str
        The day of registration, not after today.
    work_unit : str
        Where the member works (区教育局, 市第一人民医院 ...), required.
    at : datetime or None
        When this is recorded (default: the street's now).

    Returns
    -------
    int
        The registration's version (1).

    Raises
    ------
    PermissionDeniedError, ValidationError, StaleEditError
        Not the user's community; not in service, already registered, living in another
        community (by the member's building), a future day, no work unit; someone registered
        the member meanwhile.
    """
    _community(store, community_id)
    _require(store, user, community_id)
    member = member_row(store, member_id)
    if int(member["in_service"] or 0) != 1:
        msg = f"party member {member_id} is not in service: only in-service members register"
        raise ValidationError(
            msg, key="error.members.not_in_service", member=_named(store, user, member)
        )
    if member["registered"]:
        msg = f"party member {member_id} is registered already (community {member['community_id']})"
        raise ValidationError(
            msg, key="error.members.registered", member=_named(store, user, member)
        )
    home = member["home_community_id"]
    if home is not None and home != community_id:
        name = store.read("community", where={"community_id": home}, columns=["name"])["name"]
        msg = f"party member {member_id} lives in community {home}: a member registers there"
        raise ValidationError(
            msg,
            key="error.members.elsewhere",
            member=_named(store, user, member),
            home=str(name.iloc[0]),
        )
    values = {
        "community_id": community_id,
        **_registration(store, registered_on, work_unit),
        "recorded_by": user.name,
        "version": 1,
    }
    ops = [("insert", "member_registration", {"member_id": member_id}, values)]
    store.edit(ops, actor=user.name, at=edit_stamp(store, at))
    return 1


def edit_registration(
    store: Store,
    user: User,
    member_id: str,
    *,
    version: int,
    registered_on: dt.date | str,
    work_unit: str,
    at: dt.datetime | None = None,
) -> int:
    """Correct a registration's day or work unit, if nobody changed it since `version`.

    Parameters
    ----------
    store : Store
        The database.
    user : User
        Staff of the member's community or an admin of its street.
    member_id : str
        A registered member.
    version : int
        The registration's version the form showed.
    registered_on : date or str
        The day of registration, not after today.
    work_unit : str
        Where the member works, required.
    at : datetime or None
        When this is recorded (default: the street's now).

    Returns
    -------
    int
        Its new version.
    """
    _registered(store, user, member_id)
    values = _registration(store, registered_on, work_unit)
    key = {"member_id": member_id}
    return _update(store, user, "member_registration", key, values, version=version, at=at)


def _check_ref(store: Store, kind: ServiceKind, ref_id: str | None) -> str | None:
    ref = str(ref_id).strip() if ref_id is not None else ""
    if not ref:
        return None
    target = _REFS.get(kind)
    if target is None:
        msg = f"a task of kind {kind.value} refers to nothing, not {ref!r}"
        raise ValidationError(msg, key="error.members.no_ref_kind", kind=kind)
    name, column, integer = target
    if integer and not ref.isdigit():
        found = False
    else:
        found = not store.read(
            name, where={column: int(ref) if integer else ref}, columns=[column]
        ).empty
    if not found:
        msg = f"no {name} {ref!r} for a {kind.value} task"
        raise ValidationError(msg, key="error.members.unknown_ref", kind=kind, ref=ref)
    return ref


def record_service(
    store: Store,
    user: User,
    member_id: str,
    *,
    kind: ServiceKind | str,
    title: str,
    taken_on: dt.date | str,
    ref_id: str | None = None,
    at: dt.datetime | None = None,
) -> int:
    """Record a service task a registered member took (认领), status ``taken``.

    Parameters
    ----------
    store : Store
        The database.
    user : User
        Staff of the community the member is registered with, or an admin of its street.
    member_id : str
        A registered member.
    kind : ServiceKind or str
        What kind of service.
    title : str
        What the task is, required.
    taken_on : date or str
        When it was taken, not after today.
    ref_id : str or None
        The co-building project, volunteer event or issue (its number) it serves, which must
        exist; none for ``other``.
    at : datetime or None
        When this is recorded (default: now).

    Returns
    -------
    int
        The new task's ``service_id``.
    """
    try:
        service_kind = ServiceKind(kind)
    except ValueError as err:
        msg = f"no service kind {kind!r}"
        raise ValidationError(msg, key="error.members.kind", kind=str(kind)) from err
    _registered(store, user, member_id)
    values = {
        "member_id": member_id,
        "kind": service_kind.value,
        "title": _text(title, "title", MAX_TITLE),
        "ref_id": _check_ref(store, service_kind, ref_id),
        "status": ServiceStatus.TAKEN.value,
        "taken_on": _day(taken_on, "taken_on", store),
        "done_on": None,
        "recorded_by": user.name,
        "version": 1,
    }
    stamp = edit_stamp(store, at)

    def _next_number() -> int:
        ids = store.read("member_service", columns=["service_id"])["service_id"]
        return int(ids.max()) + 1 if len(ids) else 1

    def _write(new: int) -> None:
        ops = [("insert", "member_service", {"service_id": new}, values)]
        store.edit(ops, actor=user.name, at=stamp)

    return insert_new(_next_number, _write)


def service_row(store: Store, service_id: int) -> dict[str, Any]:
    """One service task's ``member_service`` row.

    Parameters
    ----------
    store : Store
        The database.
    service_id : int
        The task.

    Returns
    -------
    dict
        Its columns (``member_id``, ``kind``, ``title``, ``status``, ``taken_on`` ...).

    Raises
    ------
    ValidationError
        If there is no such task.
    """
    row = store.read("member_service", where={"service_id": int(service_id)})
    if row.empty:
        msg = f"no service task {service_id}"
        raise ValidationError(msg, key="error.members.no_task", task=service_id)
    return dict(row.iloc[0].to_dict())


def finish_service(
    store: Store,
    user: User,
    service_id: int,
    *,
    version: int,
    status: ServiceStatus | str,
    done_on: dt.date | str | None = None,
    at: dt.datetime | None = None,
) -> int:
    """Mark a taken task ``done`` (on `done_on`) or ``dropped``.

    Parameters
    ----------
    store : Store
        The database.
    user : User
        Staff of the member's community or an admin of its street.
    service_id : int
        A ``taken`` task.
    version : int
        The task's version the form showed.
    status : ServiceStatus or str
        ``done`` or ``dropped``.
    done_on : date or str or None
        The day it was done (required for ``done``; not before it was taken nor after today).
    at : datetime or None
        When this is recorded (default: now).

    Returns
    -------
    int
        The task's new version.
    """
    task = service_row(store, service_id)
    member = member_row(store, str(task["member_id"]))
    _require(store, user, member["community_id"])
    target = ServiceStatus(status) if status in {s.value for s in ServiceStatus} else None
    if target not in (ServiceStatus.DONE, ServiceStatus.DROPPED):
        msg = f"a task is finished as done or dropped, not {status!r}"
        raise ValidationError(msg, key="error.members.finish_status", status=str(status))
    if int(task["version"]) == int(version) and task["status"] != ServiceStatus.TAKEN.value:
        msg = f"task {service_id} is {task['status']} already"
        raise ValidationError(
            msg, key="error.members.finished", task=service_id, status=ServiceStatus(task["status"])
        )
    day = None
    if target is ServiceStatus.DONE:
        if done_on is None or done_on == "":
            msg = "the day the task was done is required"
            raise ValidationError(msg, key="error.members.done_on_required")
        day = _day(done_on, "done_on", store, not_before=str(task["taken_on"]))
    key = {"service_id": int(service_id)}
    values = {"status": target.value, "done_on": day}
    return _update(store, user, "member_service", key, values, version=int(version), at=at)
