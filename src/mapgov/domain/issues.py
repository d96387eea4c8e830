"""The issue ledger (问题台账): what the issue map reads.

Reading: a community's buildings and compounds, open and overdue counts per building (with the
map's filters), issue density cells for the heat layer, a point-to-building locator, a
building's profile, a compound's summary, a building's issues and one issue's timeline.

Writing (the workflow, one function per action) is :mod:`mapgov.domain.issues_workflow`.

Residents' names and phones come back masked unless the user sees personal data.
Metric work (heat cells, the locator's tolerance) is done in the UTM zone of the data.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from mapgov.core import clock
from mapgov.core.crs import WGS84, utm_for
from mapgov.core.errors import (
    ValidationError,
)
from mapgov.core.model import (
    UNRESOLVED,
    IssueChannel,
    IssueStatus,
)
from mapgov.core.privacy import mask_frame, mask_row
from mapgov.domain.locating import BuildingLocator, Hit, search_buildings
from mapgov.domain.places import community_of_compound
from mapgov.domain.users import User, sees_personal_data
from mapgov.store import Store

__all__ = [
    "OPEN_STATUSES",
    "BuildingLocator",
    "Hit",
    "building_issue_counts",
    "building_issues",
    "building_profile",
    "community_buildings",
    "community_compounds",
    "community_issues",
    "compound_issues",
    "compound_summary",
    "get_issue",
    "heat_cells",
    "is_new_report",
    "issue_photo_counts",
    "issue_timeline",
    "mask_reporters",
    "one_row",
    "overdue_mask",
    "search_buildings",
]

OPEN_STATUSES = frozenset(s.value for s in IssueStatus if s != IssueStatus.CLOSED)


def is_new_report(frame: pd.DataFrame) -> pd.Series:
    """New field reports: filed from a phone (``channel`` ``phone``) and still ``reported``,
    that is, not yet assigned to anyone (issue 20).

    Parameters
    ----------
    frame : pandas.DataFrame
        Issues with ``channel`` and ``status``.

    Returns
    -------
    pandas.Series
        True for the new field reports, on `frame`'s index.
    """
    return (frame["channel"] == IssueChannel.PHONE.value) & (
        frame["status"] == IssueStatus.REPORTED.value
    )


# -- reading ----------------------------------------------------------------------------------
def _community_compound_ids(store: Store, community_id: str) -> list[str]:
    grids = store.read("grid", where={"community_id": community_id}, columns=["grid_id"])
    comps = store.read(
        "compound", where={"grid_id": list(grids["grid_id"])}, columns=["compound_id"]
    )
    return list(comps["compound_id"])


def community_compounds(store: Store, community_id: str) -> gpd.GeoDataFrame:
    """Compounds of a community: [compound_id, grid_id, name, geometry] (EPSG:4326).

    The issue map draws them under the buildings.

    Parameters
    ----------
    store : Store
        The database with the places.
    community_id : str
        The community whose grids hold the compounds.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per compound, in the store's order.
    """
    grids = store.read("grid", where={"community_id": community_id}, columns=["grid_id"])
    return store.read(
        "compound",
        where={"grid_id": list(grids["grid_id"])},
        columns=["compound_id", "grid_id", "name", "geom"],
    )


def community_buildings(store: Store, community_id: str) -> gpd.GeoDataFrame:
    """Buildings of a community.

    Parameters
    ----------
    store : Store
        Where the buildings are read.
    community_id : str
        The community whose compounds' buildings are wanted.

    Returns
    -------
    GeoDataFrame
        [building_id, compound_id, name, number, floors, households, residents, geometry].
    """
    ids = _community_compound_ids(store, community_id)
    return store.read(
        "building",
        where={"compound_id": ids},
        columns=[
            "building_id",
            "compound_id",
            "name",
            "number",
            "floors",
            "households",
            "residents",
            "geom",
        ],
    )


_MAP_COLUMNS = (
    "issue_id",
    "compound_id",
    "building_id",
    "category",
    "status",
    "level",
    "reported_at",
    "deadline",
    "lon",
    "lat",
)


def community_issues(
    store: Store,
    community_id: str,
    *,
    categories: list[str] | None = None,
    statuses: list[str] | None = None,
    levels: list[str] | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    new_only: bool = False,
    columns: tuple[str, ...] = _MAP_COLUMNS,
) -> pd.DataFrame:
    """Issues of a community, filtered by category, status, level and report date (inclusive),
    and to the new field reports (:func:`is_new_report`) if `new_only`.

    Empty lists mean "no filter", like ``None``. ``columns`` are the issue columns returned
    (the map's by default); the ones the filters need are read as well.

    Parameters
    ----------
    store : Store
        The ledger's database.
    community_id : str
        The community whose compounds' issues are read.
    categories : list of str or None
        Keep these categories only.
    statuses : list of str or None
        Keep these statuses only.
    levels : list of str or None
        Keep the issues handled at these levels only.
    date_from : datetime.date or None
        Reported on this day or later.
    date_to : datetime.date or None
        Reported on this day or earlier.
    new_only : bool
        Keep the new field reports only: from a phone, not yet assigned.
    columns : tuple of str
        The issue columns to return.

    Returns
    -------
    pandas.DataFrame
        The issues kept, with `columns`; reporters are not masked here.
    """
    ids = _community_compound_ids(store, community_id)
    needed = ("category", "status", "level", "reported_at", *(("channel",) if new_only else ()))
    frame = store.read(
        "issue",
        where={"compound_id": ids},
        columns=[*columns, *(c for c in needed if c not in columns)],
    )
    mask = np.ones(len(frame), dtype=bool)
    for col, values in (("category", categories), ("status", statuses), ("level", levels)):
        if values:
            mask &= frame[col].isin([str(v) for v in values]).to_numpy()
    day = frame["reported_at"].str.slice(0, 10)
    if date_from:
        mask &= (day >= date_from.isoformat()).to_numpy()
    if date_to:
        mask &= (day <= date_to.isoformat()).to_numpy()
    if new_only:
        mask &= is_new_report(frame).to_numpy()
    return frame.loc[mask, list(columns)].reset_index(drop=True)


def issue_photo_counts(store: Store, issue_ids: list[int]) -> pd.Series:
    """How many photos each issue has (:mod:`mapgov.domain.reports`).

    Parameters
    ----------
    store : Store
        The ledger's database.
    issue_ids : list of int
        The issues.

    Returns
    -------
    pandas.Series
        Photos per issue id, zero for those without, in the order of `issue_ids`.
    """
    ids = [int(i) for i in issue_ids]
    if not ids:
        return pd.Series([], dtype=int)
    photos = store.read("issue_photo", where={"issue_id": ids}, columns=["issue_id"])
    counts = photos["issue_id"].astype(int).value_counts()
    return counts.reindex(ids, fill_value=0).astype(int)


def overdue_mask(frame: pd.DataFrame, today: dt.date) -> pd.Series:
    """Unresolved (reported, assigned, in progress) and past its deadline.

    An issue without a deadline is never overdue.

    Parameters
    ----------
    frame : pandas.DataFrame
        Issues with ``status`` and ``deadline`` (ISO dates).
    today : datetime.date
        A deadline before this day is past.

    Returns
    -------
    pandas.Series
        True for the overdue issues, on `frame`'s index.
    """
    return (
        frame["status"].isin([s.value for s in UNRESOLVED])
        & frame["deadline"].notna()
        & (frame["deadline"].fillna("9999") < today.isoformat())
    )


def building_issue_counts(
    store: Store, community_id: str, *, today: dt.date, **filters: Any
) -> pd.DataFrame:
    """Open, overdue and total issues per building of a community (zeros included).

    Parameters
    ----------
    store : Store
        The database to read.
    community_id : str
        The community whose buildings are counted.
    today : datetime.date
        An open issue whose deadline is before `today` is overdue.
    **filters : Any
        As for :func:`community_issues`.

    Returns
    -------
    DataFrame
        [building_id, open, overdue, total], one row per building.
    """
    buildings = community_buildings(store, community_id)["building_id"]
    issues = community_issues(store, community_id, **filters)
    issues = issues[issues["building_id"].notna()]
    counts = (
        pd.DataFrame(
            {
                "building_id": issues["building_id"],
                "open": issues["status"].isin(OPEN_STATUSES).astype(int),
                "overdue": overdue_mask(issues, today).astype(int),
                "total": 1,
            }
        )
        .groupby("building_id")[["open", "overdue", "total"]]
        .sum()
    )
    out = counts.reindex(buildings.to_numpy(), fill_value=0).rename_axis("building_id")
    return out.reset_index().astype({"open": int, "overdue": int, "total": int})


def heat_cells(
    store: Store, community_id: str, *, cell_m: float = 40.0, **filters: Any
) -> gpd.GeoDataFrame:
    """Issues binned into square cells of `cell_m` metres (in the local UTM zone).

    Parameters
    ----------
    store : Store
        The store holding the ledger.
    community_id : str
        The community whose issues are binned.
    cell_m : float
        The side of a cell in metres.
    **filters : Any
        The filters of :func:`community_issues`.

    Returns
    -------
    GeoDataFrame
        [count, geometry]: one polygon per non-empty cell, in EPSG:4326.
    """
    issues = community_issues(store, community_id, **filters)
    if issues.empty:
        return gpd.GeoDataFrame({"count": []}, geometry=[], crs=WGS84)
    pts = gpd.GeoSeries(gpd.points_from_xy(issues["lon"], issues["lat"]), crs=WGS84)
    metric = pts.to_crs(utm_for(float(issues["lon"].mean()), float(issues["lat"].mean())))
    ix = np.floor(metric.x.to_numpy() / cell_m).astype(np.int64)
    iy = np.floor(metric.y.to_numpy() / cell_m).astype(np.int64)
    cells = pd.DataFrame({"ix": ix, "iy": iy}).value_counts().rename("count").reset_index()
    boxes = shapely.box(
        cells["ix"] * cell_m,
        cells["iy"] * cell_m,
        (cells["ix"] + 1) * cell_m,
        (cells["iy"] + 1) * cell_m,
    )
    out = gpd.GeoDataFrame(
        {"count": cells["count"].to_numpy()}, geometry=boxes, crs=metric.crs
    ).to_crs(WGS84)
    return out.sort_values("count", ascending=False).reset_index(drop=True)


def one_row(frame: pd.DataFrame, what: str, key: str, value: object) -> pd.Series:
    """The first row of `frame`, which a look-up by id gave.

    Parameters
    ----------
    frame : pandas.DataFrame
        The rows found.
    what : str
        What was looked up, for the message.
    key : str
        The message's catalogue key.
    value : object
        The id that was looked up.

    Returns
    -------
    pandas.Series
        The first row.

    Raises
    ------
    ValidationError
        If nothing was found.
    """
    if frame.empty:
        msg = f"no {what} {value!r}"
        raise ValidationError(msg, key=key, id=str(value))
    return frame.iloc[0]


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
    """`frame` with its reporters' names and phones masked, unless `full`
    (:func:`mapgov.domain.users.sees_personal_data`).

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
        The ledger's database.
    compound_id : str
        The compound whose issues are listed.
    user : User
        The reader; reporters show in full only if they may see them.
    today : datetime.date
        The day ``overdue`` is judged on.

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
