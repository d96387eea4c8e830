"""Presenters of the party members' page (``/members``): who the page covers and shows in full,
the ranking's headline figures, a member's file as tables, the options of its forms.

Everything here is plain Python over the store, tested without Streamlit; the ranking's table is
:func:`mapgov.io.member_scorecard.scorecard_table` (the same one the download and the CLI write).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from typing import Final

import pandas as pd

from mapgov.core.i18n import label, t
from mapgov.core.model import Role, ServiceKind, ServiceStatus
from mapgov.domain import member_scores
from mapgov.domain.members import LINES, Scheme, members_of
from mapgov.domain.users import User, sees_personal_data
from mapgov.io.member_scorecard import community_ids
from mapgov.store import Store

__all__ = [
    "YEARS",
    "headline",
    "member_options",
    "open_tasks",
    "points_lines",
    "reveal_for",
    "scope",
    "task_rows",
    "unregistered",
    "years",
]

YEARS: Final = 3
"""Years offered in the period choice: this one and the two before."""


def scope(store: Store, user: User | None, street_id: str, community_id: str | None) -> list[str]:
    """The communities the page covers: a staff member's own, else the one chosen, else the
    street's.

    Parameters
    ----------
    store : Store
        The database.
    user : User or None
        Who is working.
    street_id : str
        The street on screen.
    community_id : str or None
        The community chosen in the sidebar, if any.

    Returns
    -------
    list of str
        Community ids.
    """
    if user is not None and user.role == Role.STAFF and user.community_id is not None:
        return [user.community_id]
    return community_ids(store, street_id, community_id)


def reveal_for(store: Store, user: User | None, communities: Collection[str]) -> list[str]:
    """Of `communities`, those whose members' names `user` sees in full
    (:func:`mapgov.domain.users.sees_personal_data`)."""
    if user is None:
        return []
    return [c for c in communities if sees_personal_data(user, c, store)]


def years(today: dt.date) -> list[str]:
    """The years offered, newest first.

    Examples
    --------
    >>> years(dt.date(2026, 11, 15))
    ['2026', '2025', '2024']
    """
    return [str(today.year - k) for k in range(YEARS)]


def headline(
    store: Store, communities: Collection[str], table: pd.DataFrame, scheme: Scheme
) -> dict[str, str]:
    """The ranking's figures: in-service members, registered ones, average points, full marks.

    Parameters
    ----------
    store : Store
        The database.
    communities : Collection of str
        The communities on screen.
    table : DataFrame
        Their :func:`mapgov.domain.member_scores.points_table`.
    scheme : Scheme
        The scheme (for full marks).

    Returns
    -------
    dict
        ``in_service_count, registered_count, average, full_marks`` as display text.
    """
    members = members_of(store, communities)
    in_service = int((members["in_service"] == 1).sum())
    average = f"{table['points'].mean():.1f}" if len(table) else "–"
    full = int((table["points"] >= scheme.total_cap).sum()) if len(table) else 0
    return {
        "in_service_count": f"{in_service:,}",
        "registered_count": f"{len(table):,}",
        "average": average,
        "full_marks": f"{full:,}",
    }


def member_options(
    store: Store, communities: Collection[str], reveal: Collection[str], lang: str
) -> dict[str, str]:
    """The members of `communities` (registered, and in-service ones not yet registered) as
    choices: id -> ``name · work unit``, names masked outside `reveal`."""
    frame = member_scores.mask_members(members_of(store, communities), reveal)
    out: dict[str, str] = {}
    for r in frame.itertuples(index=False):
        if r.registered == 1:
            out[r.member_id] = t("members_page.member_option", lang, name=r.name, unit=r.work_unit)
        else:
            out[r.member_id] = t("members_page.member_option_unregistered", lang, name=r.name)
    return out


def unregistered(
    store: Store, communities: Collection[str], reveal: Collection[str], lang: str
) -> dict[str, str]:
    """The in-service members living in `communities` who have not registered: id -> label."""
    frame = members_of(store, communities)
    ids = set(frame.loc[(frame["registered"] == 0) & (frame["in_service"] == 1), "member_id"])
    return {k: v for k, v in member_options(store, communities, reveal, lang).items() if k in ids}


def open_tasks(
    store: Store, communities: Collection[str], reveal: Collection[str], lang: str
) -> dict[int, tuple[str, int]]:
    """The ``taken`` tasks of `communities`' registered members: id -> (label, version)."""
    members = member_scores.mask_members(members_of(store, communities), reveal)
    members = members[members["registered"] == 1]
    names = dict(zip(members["member_id"], members["name"], strict=True))
    tasks = store.read(
        "member_service",
        where={"member_id": list(names), "status": ServiceStatus.TAKEN.value},
    )
    return {
        int(r.service_id): (
            t(
                "members_page.task_option",
                lang,
                task=int(r.service_id),
                name=names[r.member_id],
                kind=label(ServiceKind(r.kind), lang),
                title=r.title,
                day=r.taken_on,
            ),
            int(r.version),
        )
        for r in tasks.sort_values("service_id", ascending=False).itertuples(index=False)
    }


def points_lines(record: member_scores.MemberRecord, lang: str) -> pd.DataFrame:
    """A member's points by line, headers and line names in `lang`."""
    frame = record.points.assign(line=[t(f"members_page.line.{n}", lang) for n in LINES])
    cols = {"line": "line", "count": "count", "points": "line_points", "cap": "cap"}
    return frame.rename(columns={k: t(f"members_page.col.{v}", lang) for k, v in cols.items()})


def task_rows(record: member_scores.MemberRecord, lang: str) -> pd.DataFrame:
    """A member's tasks, newest first, kinds and statuses in `lang`."""
    cols = ["service_id", "kind", "title", "status", "taken_on", "done_on", "ref_id"]
    frame = record.tasks[cols].copy()
    frame["kind"] = [label(ServiceKind(k), lang) for k in frame["kind"]]
    frame["status"] = [label(ServiceStatus(s), lang) for s in frame["status"]]
    names = {"service_id": "task"} | {c: c for c in cols[1:]}
    return frame.rename(columns={k: t(f"members_page.col.{v}", lang) for k, v in names.items()})
