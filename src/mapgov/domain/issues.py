"""The issue ledger (问题台账): what the issue map reads.

Reading: a community's buildings and compounds, open and overdue counts per building (with the
map's filters), issue density cells for the heat layer and a point-to-building locator. The
panel's reads of one building, compound or issue are :mod:`mapgov.domain.issue_reads`.

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

from mapgov.core.crs import WGS84, utm_for
from mapgov.core.errors import (
    ValidationError,
)
from mapgov.core.model import (
    UNRESOLVED,
    IssueChannel,
    IssueStatus,
)
from mapgov.domain.locating import BuildingLocator, Hit, search_buildings
from mapgov.store import Store

__all__ = [
    "OPEN_STATUSES",
    "BuildingLocator",
    "Hit",
    "building_issue_counts",
    "community_buildings",
    "community_compounds",
    "community_issues",
    "heat_cells",
    "is_new_report",
    "issue_photo_counts",
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
