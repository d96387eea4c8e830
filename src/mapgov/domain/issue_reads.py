"""Reads for the issue panel: one building's profile, one compound's summary, their issues,
one issue and its timeline.

Residents' names and phones come back masked unless the user sees the community's personal
data (:func:`mapgov.domain.users.sees_personal_data`). The community's map data (buildings,
counts, heat cells) is in :mod:`mapgov.domain.issues`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd

from mapgov.core import clock
from mapgov.core.privacy import mask_frame, mask_row
from mapgov.domain.issues import (
    OPEN_STATUSES,
    is_new_report,
    issue_photo_counts,
    one_row,
    overdue_mask,
)
from mapgov.domain.places import community_of_compound
from mapgov.domain.users import User, sees_personal_data
from mapgov.store import Store

__all__ = [
    "building_issues",
    "building_profile",
    "compound_issues",
    "compound_summary",
    "get_issue",
    "issue_timeline",
    "mask_reporters",
]


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _open_overdue(store: Store, where: dict[str, Any], today: dt.date) -> tuple[int, int]:
    issues = store.read("issue", where=where, columns=["status", "deadline"])
    is_open = issues["status"].isin(OPEN_STATUSES)
    return int(is_open.sum()), int(overdue_mask(issues, today).sum())


def building_profile(
    store: Store, building_id: str, *, user: User, today: dt.date | None = None
) -> dict[str, Any]:
    """Everything the panel shows about a building; personal data masked per `user`.

    The figures are those of the building itself; its compound's are in :func:`compound_summary`.

    Parameters
    ----------
    store : Store
        The database with the building, its compound and its party data.
    building_id : str
        The building clicked.
    user : User
        The viewer: the building head and the zone's member are masked unless they may see the
        community's personal data.
    today : datetime.date or None
        The day its open issues are counted on (default: the street's today).

    Returns
    -------
    dict
        The building's names, figures, party group, zone, property and issue counts.
    """
    b = one_row(
        store.read("building", where={"building_id": building_id}),
        "building",
        "error.issue.no_building",
        building_id,
    )
    comp = store.read("compound", where={"compound_id": b["compound_id"]}).iloc[0]
    community_id = community_of_compound(store, b["compound_id"])
    full = sees_personal_data(user, community_id, store)
    prop = store.read("property_management", where={"compound_id": b["compound_id"]})
    group = None
    if _text(b["party_group_id"]):
        orgs = store.read("party_org", where={"org_id": b["party_group_id"]}, columns=["name"])
        group = orgs.iloc[0]["name"] if len(orgs) else None
    zone_name = zone_member = None
    zb = store.read("zone_building", where={"building_id": building_id})
    if len(zb):
        zone = store.read("responsibility_zone", where={"zone_id": zb.iloc[0]["zone_id"]}).iloc[0]
        member = store.read("party_member", where={"member_id": zone["member_id"]}).iloc[0]
        zone_name = zone["name"]
        zone_member = mask_row(member, "party_member", full=full)["name"]
    masked = mask_row(b, "building", full=full)
    head, phone = _text(masked["building_head"]), _text(masked["building_head_phone"])
    open_n, overdue_n = _open_overdue(
        store, {"building_id": building_id}, today or clock.today(store)
    )
    p = prop.iloc[0] if len(prop) else None
    return {
        "building_id": building_id,
        "name": b["name"],
        "compound_id": b["compound_id"],
        "compound_name": comp["name"],
        "community_id": community_id,
        "floors": int(b["floors"]),
        "units": int(b["units"]),
        "households": int(b["households"]),
        "residents": int(b["residents"]),
        "elderly": int(b["elderly"]),
        "party_members": int(b["party_members"]),
        "building_head": head,
        "building_head_phone": phone,
        "party_group": group,
        "zone_name": zone_name,
        "zone_member": zone_member,
        "property_mode": p["mode"] if p is not None else None,
        "property_company": _text(p["company"]) if p is not None else None,
        "red_property": bool(p["red_property"]) if p is not None else False,
        "open_issues": open_n,
        "overdue_issues": overdue_n,
    }


def compound_summary(store: Store, compound_id: str, *, today: dt.date) -> dict[str, Any]:
    """A compound's figures for the panel when a click lands outside its buildings.

    Households, residents and elderly are its buildings' sums.

    Parameters
    ----------
    store : Store
        The database to read from.
    compound_id : str
        The compound under the click.
    today : datetime.date
        The day open and overdue issues are counted on.

    Returns
    -------
    dict
        Its name, address, built year, buildings, households, residents, elderly, property,
        branch and stars, open and overdue issues.
    """
    comp = one_row(
        store.read("compound", where={"compound_id": compound_id}),
        "compound",
        "error.issue.no_compound",
        compound_id,
    )
    b = store.read(
        "building",
        where={"compound_id": compound_id},
        columns=["households", "residents", "elderly"],
    )
    prop = store.read("property_management", where={"compound_id": compound_id})
    branch_name, stars = None, 0
    if _text(comp["branch_id"]):
        org = store.read("party_org", where={"org_id": comp["branch_id"]}, columns=["name"])
        branch_name = org.iloc[0]["name"] if len(org) else None
        stars = len(store.read("branch_star", where={"org_id": comp["branch_id"]}))
    open_n, overdue_n = _open_overdue(store, {"compound_id": compound_id}, today)
    p = prop.iloc[0] if len(prop) else None
    return {
        "compound_id": compound_id,
        "name": comp["name"],
        "address": _text(comp["address"]),
        "built_year": None if pd.isna(comp["built_year"]) else int(comp["built_year"]),
        "buildings": len(b),
        "households": int(b["households"].sum()),
        "residents": int(b["residents"].sum()),
        "elderly": int(b["elderly"].sum()),
        "property_mode": p["mode"] if p is not None else None,
        "property_company": _text(p["company"]) if p is not None else None,
        "red_property": bool(p["red_property"]) if p is not None else False,
        "branch_name": branch_name,
        "stars": stars,
        "open_issues": open_n,
        "overdue_issues": overdue_n,
    }


_ISSUE_COLUMNS = [
    "issue_id",
    "title",
    "category",
    "source",
    "status",
    "level",
    "reported_at",
    "deadline",
    "responsible_unit",
    "reporter_name",
    "reporter_phone",
    "description",
    "satisfaction",
    "reopen_count",
    "version",
    "building_id",
    "compound_id",
    "channel",
]
"""The issue columns the panel reads (never ``ticket``: the reporter's key, not staff's)."""


def mask_reporters(frame: pd.DataFrame, *, full: bool) -> pd.DataFrame:
    """`frame` with its reporters' names and phones, and the phone numbers written in its
    titles and descriptions, masked unless `full` (:func:`mapgov.domain.users.sees_personal_data`).

    Parameters
    ----------
    frame : pandas.DataFrame
        Issues with ``reporter_name`` and ``reporter_phone`` columns.
    full : bool
        Whether the viewer sees personal data.

    Returns
    -------
    pandas.DataFrame
        `frame`, its reporters masked unless `full`.
    """
    return mask_frame(frame, "issue", full=full)


def building_issues(store: Store, building_id: str, *, user: User, today: dt.date) -> pd.DataFrame:
    """A building's issues, open ones first, then newest first; reporters masked per `user`.

    Parameters
    ----------
    store : Store
        The ledger's database.
    building_id : str
        The building whose issues are listed.
    user : User
        The reader; reporters show in full only if they may see them.
    today : datetime.date
        The day ``overdue`` is judged on.

    Returns
    -------
    DataFrame
        Issue columns plus ``overdue`` and ``new`` (:func:`is_new_report`), both bool, and
        ``photos`` (how many).
    """
    b = one_row(
        store.read("building", where={"building_id": building_id}, columns=["compound_id"]),
        "building",
        "error.issue.no_building",
        building_id,
    )
    return _issues_of(store, "building_id", building_id, b["compound_id"], user, today)


def compound_issues(store: Store, compound_id: str, *, user: User, today: dt.date) -> pd.DataFrame:
    """A compound's issues (its buildings' and its own), as :func:`building_issues` lists a
    building's: open ones first, then newest first; reporters masked per `user`.

    Parameters
    ----------
    store : Store
        As for :func:`building_issues`.
    compound_id : str
        The compound whose issues are listed.
    user : User
        As for :func:`building_issues`.
    today : datetime.date
        As for :func:`building_issues`.

    Returns
    -------
    DataFrame
        As :func:`building_issues`.
    """
    one_row(
        store.read("compound", where={"compound_id": compound_id}, columns=["compound_id"]),
        "compound",
        "error.issue.no_compound",
        compound_id,
    )
    return _issues_of(store, "compound_id", compound_id, compound_id, user, today)


def _issues_of(  # noqa: PLR0917 (the reader and the day, as the callers got them)
    store: Store, column: str, value: str, compound_id: str, user: User, today: dt.date
) -> pd.DataFrame:
    community_id = community_of_compound(store, compound_id)
    full = sees_personal_data(user, community_id, store)
    frame = store.read("issue", where={column: value}, columns=_ISSUE_COLUMNS)
    frame = frame.assign(
        overdue=overdue_mask(frame, today),
        new=is_new_report(frame),
        photos=issue_photo_counts(store, frame["issue_id"].tolist()).to_numpy(),
        _open=frame["status"] != "closed",
    )
    frame = frame.sort_values(["_open", "reported_at"], ascending=[False, False])
    return mask_reporters(frame.drop(columns="_open").reset_index(drop=True), full=full)


def get_issue(store: Store, issue_id: int, *, user: User, today: dt.date) -> dict[str, Any]:
    """One issue as a dict (masked per `user`), with its community and ``overdue``.

    Missing values are None (not NaN).

    Parameters
    ----------
    store : Store
        The database the issue is in.
    issue_id : int
        The issue's id.
    user : User
        Who asks; the reporter is masked unless they see personal data.
    today : datetime.date
        The day the deadline is measured against.

    Returns
    -------
    dict
        The issue's columns with ``community_id`` and ``overdue``.
    """
    frame = store.read("issue", where={"issue_id": int(issue_id)}, columns=_ISSUE_COLUMNS)
    row = one_row(frame, "issue", "error.issue.not_found", issue_id)
    community_id = community_of_compound(store, row["compound_id"])
    out = (
        mask_reporters(frame, full=sees_personal_data(user, community_id, store)).iloc[0].to_dict()
    )
    out["community_id"] = community_id
    out["overdue"] = bool(overdue_mask(frame, today).iloc[0])
    out["issue_id"] = int(out["issue_id"])
    out["version"] = int(out["version"])
    return {k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in out.items()}


def issue_timeline(store: Store, issue_id: int, *, user: User | None = None) -> pd.DataFrame:
    """Every event of an issue in order: [event_id, at, actor, action, from_status, to_status,
    from_level, to_level, note].

    A report's actor is the resident who reported it: masked like the reporter unless `user`
    sees the community's personal data (no `user`: masked, as in an export).

    Parameters
    ----------
    store : Store
        The database whose event log is read.
    issue_id : int
        The issue.
    user : User or None
        The reader (None: as in an export).

    Returns
    -------
    pandas.DataFrame
        One row per event, oldest first.
    """
    full = False
    if user is not None:
        issue = store.read("issue", where={"issue_id": int(issue_id)}, columns=["compound_id"])
        full = len(issue) > 0 and sees_personal_data(
            user, community_of_compound(store, issue["compound_id"].iloc[0]), store
        )
    events = store.read(
        "issue_event",
        where={"issue_id": int(issue_id)},
        columns=[
            "event_id",
            "at",
            "actor",
            "action",
            "from_status",
            "to_status",
            "from_level",
            "to_level",
            "note",
        ],
        order_by="event_id",
    )
    return mask_frame(events, "issue_event", full=full)
