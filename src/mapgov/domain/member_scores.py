"""Party members' points (党员百分考核): counts and points per line of the scheme, a community's
ranking and a member's file.

:func:`points_table` counts each registered member's service over a year on the street's
:class:`~mapgov.domain.members.Scheme`; :func:`ranking` masks it for the reader and
:func:`member_record` shows one member. The records are written by :mod:`mapgov.domain.members`.
Names and phones are masked unless the reader's `reveal` holds the member's community.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

import pandas as pd

from mapgov.core import clock
from mapgov.core.model import ServiceStatus
from mapgov.core.privacy import mask_frame
from mapgov.domain.members import LINES, Scheme, member_row, members_of, period_of
from mapgov.store import Store

__all__ = ["MemberRecord", "mask_members", "member_record", "points_table", "ranking"]


def _attendance(store: Store, member_ids: list[str]) -> pd.DataFrame:
    """Deliberation rounds attended: ``member_id, matter_id, round_no, held_on``."""
    att = store.read("deliberation_attendee", where={"member_id": member_ids})
    if att.empty:
        return pd.DataFrame(columns=["member_id", "matter_id", "round_no", "held_on"])
    rounds = store.read(
        "deliberation_round",
        where={"matter_id": list(att["matter_id"].unique())},
        columns=["matter_id", "round_no", "held_on"],
    )
    return att.merge(rounds, on=["matter_id", "round_no"], how="inner")


def _within(frame: pd.DataFrame, column: str, start: dt.date, end: dt.date) -> pd.Series:
    """Rows of `frame` whose day or time in `column` falls within [start, end]."""
    day = frame[column].astype(str)
    return (day >= start.isoformat()) & (day <= end.isoformat() + "~")  # "~": any time of day


def _count(
    services: pd.DataFrame, attendance: pd.DataFrame, start: dt.date, end: dt.date
) -> pd.DataFrame:
    """Counts per member and line within [start, end]: done tasks by done_on, rounds by held_on."""
    done = services[
        (services["status"] == ServiceStatus.DONE.value) & _within(services, "done_on", start, end)
    ]
    counts = done.groupby(["member_id", "kind"]).size().unstack(fill_value=0)
    held = attendance[_within(attendance, "held_on", start, end)]
    rounds = held.groupby("member_id").size().rename("deliberation")
    counts = counts.join(rounds, how="outer") if len(rounds) else counts
    return counts.fillna(0).astype(int)


def points_table(
    store: Store,
    community_ids: Collection[str],
    *,
    scheme: Scheme,
    period: str | None = None,
    today: dt.date | None = None,
) -> pd.DataFrame:
    """Each registered member's counts and points per line over a year, unmasked.

    The members are those registered on or before the period's last day (a year before a
    member registered has no row of theirs: they count in neither the figures nor the ranks),
    each counting `registered`; a task
    counts when ``done`` with ``done_on`` in the period (taken or dropped ones count nothing);
    a deliberation round when held in the period. Each line is capped, then the total.

    Parameters
    ----------
    store : Store
        The database.
    community_ids : Collection of str
        The communities whose registered members are counted.
    scheme : Scheme
        The points scheme (:func:`load_scheme`).
    period : str or None
        The year ``YYYY``; None: the year of `today`.
    today : date or None
        The street's day (default :func:`mapgov.core.clock.today`).

    Returns
    -------
    DataFrame
        ``member_id, name, phone, community_id, work_unit, registered_on``, then for each line
        of :data:`LINES` ``n_<line>`` (count) and ``pts_<line>`` (points), ``points`` (total)
        and ``rank`` (1 = most points within the community; ties share a rank), sorted by
        community, rank and member.
    """
    start, end = period_of(period, today or clock.today(store))
    members = members_of(store, community_ids)
    registered = members["registered"] == 1
    by_then = members["registered_on"].astype(str) <= end.isoformat()
    members = members[registered & by_then].reset_index(drop=True)
    ids = list(members["member_id"])
    services = store.read("member_service", where={"member_id": ids})
    counts = _count(services, _attendance(store, ids), start, end)
    counts = counts.reindex(index=ids, fill_value=0)
    out = members[
        ["member_id", "name", "phone", "community_id", "work_unit", "registered_on"]
    ].copy()
    out["n_registered"] = 1
    total = pd.Series(0.0, index=out.index)
    for name in LINES:
        line = scheme.lines[name]
        if name != "registered":
            out[f"n_{name}"] = counts[name].to_numpy() if name in counts.columns else 0
        pts = (out[f"n_{name}"] * line.points).clip(upper=line.cap)
        out[f"pts_{name}"] = pts
        total += pts
    out["points"] = total.clip(upper=scheme.total_cap)
    out["rank"] = (
        out.groupby("community_id")["points"].rank(method="min", ascending=False).astype(int)
        if len(out)
        else pd.Series(dtype=int)
    )
    return out.sort_values(["community_id", "rank", "member_id"]).reset_index(drop=True)


def mask_members(frame: pd.DataFrame, reveal: Collection[str]) -> pd.DataFrame:
    """`frame` (members with ``community_id``) with names and phones masked except in the
    communities of `reveal`.

    Parameters
    ----------
    frame : DataFrame
        Rows of members: ``community_id`` and any of ``name``, ``phone``.
    reveal : Collection of str
        Communities shown in full.

    Returns
    -------
    DataFrame
        A copy, masked.
    """
    if frame.empty:
        return frame
    hidden = ~frame["community_id"].isin(list(reveal))
    out = frame.copy()
    masked = mask_frame(frame[hidden], "party_member")
    for column in ("name", "phone"):
        if column in out.columns:
            out[column] = out[column].astype(object)
            out.loc[hidden, column] = masked[column]
    return out


def ranking(
    store: Store,
    community_ids: Collection[str],
    *,
    scheme: Scheme,
    period: str | None = None,
    reveal: Collection[str] = (),
    today: dt.date | None = None,
) -> pd.DataFrame:
    """:func:`points_table` with names and phones masked outside `reveal`.

    Parameters
    ----------
    store : Store
        The database.
    community_ids : Collection of str
        The communities whose registered members are ranked.
    scheme : Scheme
        The points scheme.
    period : str or None
        The year ``YYYY``; None: this year.
    reveal : Collection of str
        Communities whose members' names and phones the reader sees in full
        (:func:`mapgov.domain.users.sees_personal_data`); empty for an export.
    today : date or None
        The street's day (default: the store's clock).

    Returns
    -------
    DataFrame
        The columns of :func:`points_table`.
    """
    table = points_table(store, community_ids, scheme=scheme, period=period, today=today)
    return mask_members(table, reveal)


@dataclass(frozen=True)
class MemberRecord:
    """A member's file: who (masked as the reader may see), registration, tasks, the period's
    deliberation rounds attended, points per line and the total over the period."""

    member: dict[str, Any]
    tasks: pd.DataFrame
    attendance: pd.DataFrame
    points: pd.DataFrame  # line, count, points, cap
    total: float


def member_record(
    store: Store,
    member_id: str,
    *,
    scheme: Scheme,
    period: str | None = None,
    reveal: Collection[str] = (),
    today: dt.date | None = None,
) -> MemberRecord:
    """One member's file over a period (tasks of every period are listed; points and the
    deliberation rounds attended count the period's only).

    Parameters
    ----------
    store : Store
        The database.
    member_id : str
        The member.
    scheme : Scheme
        The points scheme.
    period : str or None
        The year ``YYYY``; None: this year.
    reveal : Collection of str
        Communities whose members' names and phones the reader sees in full.
    today : date or None
        The street's day (default: the store's clock).

    Returns
    -------
    MemberRecord
        ``tasks``: the ``member_service`` rows, newest first; ``attendance``: the rounds
        attended that were held in the period (as many as the deliberation line counts).
    """
    day = today or clock.today(store)
    member = member_row(store, member_id)
    community = member["community_id"]
    table = points_table(
        store, [community] if community else [], scheme=scheme, period=period, today=day
    )
    mine = table[table["member_id"] == member_id]
    rows = []
    for name in LINES:
        count = int(mine[f"n_{name}"].iloc[0]) if len(mine) else 0
        pts = float(mine[f"pts_{name}"].iloc[0]) if len(mine) else 0.0
        rows.append({"line": name, "count": count, "points": pts, "cap": scheme.lines[name].cap})
    shown = mask_members(pd.DataFrame([member]), reveal).iloc[0].to_dict()
    tasks = store.read("member_service", where={"member_id": member_id})
    tasks = tasks.sort_values(["taken_on", "service_id"], ascending=False).reset_index(drop=True)
    attended = _attendance(store, [member_id])
    start, end = period_of(period, day)
    return MemberRecord(
        member=shown,
        tasks=tasks,
        attendance=attended[_within(attended, "held_on", start, end)].reset_index(drop=True),
        points=pd.DataFrame(rows),
        total=float(mine["points"].iloc[0]) if len(mine) else 0.0,
    )
