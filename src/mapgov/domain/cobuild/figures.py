"""Co-building figures: what :mod:`mapgov.domain.cobuild` reads from the store and counts.

:func:`load` reads a street into :class:`CoFrames`; every other function here is pure over
it. Count tables have one row per kind (or community), zeros included, and a last row
``ALL``. Distances and places are in EPSG:4326 (the map helpers return WGS 84 geometry).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from mapgov.core.crs import WGS84
from mapgov.core.model import (
    ACTIVE_PROJECT,
    CallbackRating,
    CoEntity,
    CoopKind,
    NeedStatus,
    ProjectStatus,
    WishStatus,
)
from mapgov.core.privacy import PERSONAL, mask_frame
from mapgov.domain.kpi import Figure, periods
from mapgov.domain.users import User, sees_personal_data
from mapgov.store import Store

__all__ = [
    "ACTIVE",
    "ALL",
    "DONE_PROJECT",
    "WALL_FIGURES",
    "CoFrames",
    "day_of",
    "in_community",
    "load",
    "need_places",
    "need_points",
    "needs_by_status",
    "overview",
    "project_links",
    "projects_by_status",
    "unit_engagement",
    "volunteer_monthly",
    "waiting_needs",
    "wall_figures",
    "wish_counts",
]

WALL_FIGURES: Final = ("projects_completed", "needs_waiting")
ALL: Final = "ALL"  # the total row of the count tables
DONE_PROJECT: Final = frozenset({ProjectStatus.COMPLETED.value, ProjectStatus.RATED.value})
ACTIVE: Final = frozenset(s.value for s in ACTIVE_PROJECT)
_CONTENT = frozenset({CallbackRating.SATISFIED.value, CallbackRating.BASICALLY_SATISFIED.value})


@dataclass(frozen=True)
class CoFrames:
    """One street's co-building records (every street's without a street).

    communities: community_id, street_id, name, name_en, geometry.
    compounds: compound_id, name, grid_id, community_id, geometry.
    units: resident_unit columns and geometry (a point).
    resources: unit_resource columns.
    needs: community_need columns.
    projects: co_project columns plus the need's ``community_id`` and ``kind``.
    wishes: micro_wish columns, ``poster_name`` / ``poster_phone`` / ``claimed_by`` masked
    unless the user sees the community's personal data.
    volunteer: volunteer_event columns.
    events: co_event rows of the needs, projects and wishes (a wish's claimant, at the head
    of its claim's note, masked as the wish's ``claimed_by``).
    """

    communities: gpd.GeoDataFrame
    compounds: gpd.GeoDataFrame
    units: gpd.GeoDataFrame
    resources: pd.DataFrame
    needs: pd.DataFrame
    projects: pd.DataFrame
    wishes: pd.DataFrame
    volunteer: pd.DataFrame
    events: pd.DataFrame


def _read_in(
    store: Store,
    name: str,
    column: str,
    values: Sequence[Any],
    where: Mapping[str, Any] | None = None,
) -> pd.DataFrame:
    """Rows whose `column` is among `values` (and that match `where`), read in slices: SQL
    has a cap on parameters."""
    values = list(values)
    parts = [
        store.read(name, where={**(where or {}), column: values[k : k + 5000]})
        for k in range(0, len(values), 5000)
    ]
    if not parts:
        return store.read(name, where={column: []})
    return pd.concat(parts, ignore_index=True)


def load(store: Store, *, street_id: str | None = None, user: User | None = None) -> CoFrames:
    """Read the co-building records of a street (of every street without `street_id`).

    Units are those of the street (``resident_unit.street_id``); needs, wishes and volunteer
    events those of its communities; projects those of its needs. Without a `user` (or for one
    who may not see a community's personal data) wish posters and claimants are masked.

    Parameters
    ----------
    store : Store
        The database to read.
    street_id : str or None
        The street whose records are read; None reads every street.
    user : User or None
        The reader, whose rights decide whether wish posters and claimants show.

    Returns
    -------
    CoFrames
        Units, resources, needs, projects, wishes, volunteer events and their events.
    """
    where = {"street_id": street_id} if street_id else None
    communities = store.read(
        "community", where=where, columns=["community_id", "street_id", "name", "name_en", "geom"]
    )
    ids = list(communities["community_id"])
    grids = store.read("grid", where={"community_id": ids}, columns=["grid_id", "community_id"])
    compounds = store.read(
        "compound",
        where={"grid_id": list(grids["grid_id"])},
        columns=["compound_id", "name", "grid_id", "geom"],
    ).merge(grids, on="grid_id")
    units = store.read("resident_unit", where=where)
    needs = store.read("community_need", where={"community_id": ids})
    projects = _read_in(store, "co_project", "need_id", needs["need_id"]).merge(
        needs[["need_id", "community_id", "kind"]], on="need_id", how="left"
    )
    wishes = store.read("micro_wish", where={"community_id": ids})
    full = (
        wishes["community_id"]
        .map(lambda c: user is not None and sees_personal_data(user, c, store))
        .astype(bool)
    )
    if len(wishes):
        masked = mask_frame(wishes, "micro_wish")
        wishes = wishes.assign(
            **{c: wishes[c].where(full, masked[c]) for c in PERSONAL["micro_wish"]}
        )
    events = [
        _read_in(store, "co_event", "entity_id", list(frame[key]), {"entity": entity.value})
        for entity, frame, key in (
            (CoEntity.NEED, needs, "need_id"),
            (CoEntity.PROJECT, projects, "project_id"),
            (CoEntity.WISH, wishes, "wish_id"),
        )
    ]
    # a wish's claim event names its claimant: masked as the wish's claimed_by is
    seen = set(wishes.loc[full, "wish_id"])
    events[-1] = pd.concat(
        [
            mask_frame(events[-1][~events[-1]["entity_id"].isin(seen)], "co_event"),
            events[-1][events[-1]["entity_id"].isin(seen)],
        ]
    )
    return CoFrames(
        communities=communities,
        compounds=compounds,
        units=units,
        resources=store.read("unit_resource", where={"unit_id": list(units["unit_id"])}),
        needs=needs,
        projects=projects,
        wishes=wishes,
        volunteer=store.read("volunteer_event", where={"community_id": ids}),
        events=pd.concat(events, ignore_index=True).sort_values("event_id", ignore_index=True),
    )


def in_community(frame: pd.DataFrame, community_id: str | None) -> pd.DataFrame:
    """The rows of `frame` in `community_id` (all rows for None).

    Every figure of this module narrows a street to one community with it.

    Parameters
    ----------
    frame : pandas.DataFrame
        Any frame with a ``community_id`` column.
    community_id : str or None
        The community to keep; None keeps them all.

    Returns
    -------
    pandas.DataFrame
        The matching rows, in their order.
    """
    if community_id is None:
        return frame
    return frame[frame["community_id"] == community_id]


def _crosstab(
    frame: pd.DataFrame, by: str, statuses: type[StrEnum], rows: Sequence[str]
) -> pd.DataFrame:
    """Counts of `frame` by `by` (one row per value of `rows`, zeros included) and status,
    with ``total`` and a last row ``ALL``."""
    cols = [s.value for s in statuses]
    counts = pd.crosstab(frame[by], frame["status"]) if len(frame) else pd.DataFrame()
    counts = counts.reindex(index=list(rows), columns=cols, fill_value=0).astype(int)
    counts.loc[ALL] = counts.sum()
    counts["total"] = counts[cols].sum(axis=1)
    return counts.rename_axis(by).reset_index().rename_axis(None, axis=1)


def _rows_for(frames: CoFrames, by: str, frame: pd.DataFrame) -> list[str]:
    if by == "kind":
        return [k.value for k in CoopKind]
    if by == "community_id":
        return list(frames.communities["community_id"])
    return sorted(frame[by].dropna().unique())


def needs_by_status(
    frames: CoFrames, *, by: str = "kind", community_id: str | None = None
) -> pd.DataFrame:
    """Needs counted by `by` ("kind" or "community_id") and status.

    Cancelled needs are counted too: the total is every need ever filed.

    Parameters
    ----------
    frames : CoFrames
        The street's records, from :func:`load`.
    by : str
        What a row counts: "kind" or "community_id".
    community_id : str or None
        Count this community's needs only.

    Returns
    -------
    DataFrame
        [`by`, open, matched, done, cancelled, total]: every kind (or community) of the street,
        zeros included, then a row ``ALL``.
    """
    needs = in_community(frames.needs, community_id)
    return _crosstab(needs, by, NeedStatus, _rows_for(frames, by, needs))


def projects_by_status(
    frames: CoFrames, *, by: str = "community_id", community_id: str | None = None
) -> pd.DataFrame:
    """Projects counted by `by` ("community_id", "kind" of their need, or "unit_id") and status.

    A project's community and kind are its need's.

    Parameters
    ----------
    frames : CoFrames
        Records as :func:`load` returns them.
    by : str
        The column the rows are grouped by.
    community_id : str or None
        Only the projects whose need is of this community, if given.

    Returns
    -------
    DataFrame
        [`by`, paired, claimed, in_progress, completed, rated, cancelled, total], then ``ALL``.
    """
    projects = in_community(frames.projects, community_id)
    return _crosstab(projects, by, ProjectStatus, _rows_for(frames, by, projects))


def day_of(stamp: Any) -> dt.date:
    """The date of an ISO timestamp or date.

    Timestamps are stored as ISO text; figures count by day.

    Parameters
    ----------
    stamp : str, date or datetime
        An ISO timestamp (``2025-06-01T09:30:00``), an ISO date, or a date.

    Returns
    -------
    datetime.date
        Its calendar day.
    """
    return dt.date.fromisoformat(str(stamp)[:10])


def _last_open(frames: CoFrames) -> pd.Series:
    """need_id -> when each need last became open (filing or reopening), from the history."""
    ev = frames.events
    opened = ev[(ev["entity"] == CoEntity.NEED.value) & (ev["to_status"] == NeedStatus.OPEN.value)]
    return opened.sort_values("event_id").groupby("entity_id")["at"].last()


def waiting_needs(
    frames: CoFrames, today: dt.date, *, community_id: str | None = None
) -> pd.DataFrame:
    """Open needs, those waiting longest first.

    A need waits from the moment it last became open: when filed, or when its project was
    cancelled or rated unsatisfied.

    Parameters
    ----------
    frames : CoFrames
        What :func:`load` read.
    today : datetime.date
        The day the waits are counted up to.
    community_id : str or None
        Restrict the list to one community.

    Returns
    -------
    DataFrame
        [need_id, community_id, compound_id, kind, title, filed_at, waiting_since, days_waiting].
    """
    needs = in_community(frames.needs, community_id)
    needs = needs[needs["status"] == NeedStatus.OPEN.value]
    since = needs["need_id"].map(_last_open(frames)).astype(object).fillna(needs["filed_at"])
    days = [(today - day_of(s)).days for s in since]
    out = needs.assign(waiting_since=since, days_waiting=np.asarray(days, dtype=int))
    cols = ["need_id", "community_id", "compound_id", "kind", "title", "filed_at"]
    out = out[[*cols, "waiting_since", "days_waiting"]]
    return out.sort_values(["days_waiting", "need_id"], ascending=[False, True], ignore_index=True)


def unit_engagement(frames: CoFrames, *, community_id: str | None = None) -> pd.DataFrame:
    """Every unit with its resources and projects (in `community_id` only, if given).

    A unit counts as engaged once it takes on any project that is not cancelled.

    Parameters
    ----------
    frames : CoFrames
        The co-building records of the street.
    community_id : str or None
        Keep the units of this community (None: all of the street's).

    Returns
    -------
    DataFrame
        [unit_id, name, kind, community_id, resources, projects (not cancelled), active,
        completed (completed or rated), satisfied (rated satisfied or basically satisfied),
        communities (served by its projects), volunteer_events (organised by it), engaged
        (bool: any project not cancelled)], most projects first.
    """
    projects = in_community(frames.projects, community_id)
    live = projects[projects["status"] != ProjectStatus.CANCELLED.value]
    by_unit = live.groupby("unit_id")
    volunteer = in_community(frames.volunteer, community_id)
    units = frames.units
    ids = units["unit_id"]
    out = pd.DataFrame(
        {
            "unit_id": ids.to_numpy(),
            "name": units["name"].to_numpy(),
            "kind": units["kind"].to_numpy(),
            "community_id": units["community_id"].to_numpy(),
            "resources": ids.map(frames.resources["unit_id"].value_counts()).fillna(0),
            "projects": ids.map(by_unit.size()).fillna(0),
            "active": ids.map(live[live["status"].isin(ACTIVE)]["unit_id"].value_counts()),
            "completed": ids.map(live[live["status"].isin(DONE_PROJECT)]["unit_id"].value_counts()),
            "satisfied": ids.map(
                live[live["satisfaction"].isin(_CONTENT)]["unit_id"].value_counts()
            ),
            "communities": ids.map(by_unit["community_id"].nunique()),
            "volunteer_events": ids.map(volunteer["unit_id"].value_counts()),
        }
    )
    counts = [c for c in out.columns if c not in ("unit_id", "name", "kind", "community_id")]
    out[counts] = out[counts].fillna(0).astype(int)
    out["engaged"] = out["projects"] > 0
    return out.sort_values(["projects", "completed", "unit_id"], ascending=[False, False, True])[
        list(out.columns)
    ].reset_index(drop=True)


def wish_counts(frames: CoFrames, *, since: dt.date | None = None) -> pd.DataFrame:
    """Micro-wishes per community (posted on or after `since`, if given).

    A wish counts as claimed once claimed, whatever happened to it later.

    Parameters
    ----------
    frames : CoFrames
        The street's co-building frames.
    since : datetime.date or None
        Count only wishes posted from this day on.

    Returns
    -------
    DataFrame
        [community_id, posted (all), claimed (ever claimed), completed, cancelled, waiting
        (posted, not yet claimed)], every community, then a row ``ALL``.
    """
    w = frames.wishes
    if since is not None:
        w = w[w["posted_at"].astype(str).str.slice(0, 10) >= since.isoformat()]
    g = w.assign(
        posted=1,
        claimed=w["claimed_at"].notna().astype(int),
        completed=(w["status"] == WishStatus.COMPLETED.value).astype(int),
        cancelled=(w["status"] == WishStatus.CANCELLED.value).astype(int),
        waiting=(w["status"] == WishStatus.POSTED.value).astype(int),
    )
    cols = ["posted", "claimed", "completed", "cancelled", "waiting"]
    out = g.groupby("community_id")[cols].sum()
    out = out.reindex(list(frames.communities["community_id"]), fill_value=0).astype(int)
    out.loc[ALL] = out.sum()
    return out.rename_axis("community_id").reset_index()


def _months(today: dt.date, months: int) -> list[str]:
    end = pd.Period(today, freq="M")
    return list(pd.period_range(end - (months - 1), end, freq="M").astype(str))


def volunteer_monthly(
    frames: CoFrames, today: dt.date, *, months: int = 12, community_id: str | None = None
) -> pd.DataFrame:
    """Volunteer events, participants and volunteer-hours per community and calendar month,
    the last `months` months up to `today` (zeros included).

    Volunteer-hours are participants times the event's hours.

    Parameters
    ----------
    frames : CoFrames
        Volunteer events among the records read by :func:`load`.
    today : datetime.date
        The last day counted; its month is the last row of each community.
    months : int
        How many calendar months, the current one included.
    community_id : str or None
        One community's events only, if not None.

    Returns
    -------
    DataFrame
        [community_id, month ("YYYY-MM"), events, participants, volunteer_hours], by community
        then month.
    """
    months_ = _months(today, months)
    v = in_community(frames.volunteer, community_id)
    v = v[v["held_on"].astype(str) <= today.isoformat()]
    v = v.assign(
        month=v["held_on"].astype(str).str.slice(0, 7),
        events=1,
        volunteer_hours=v["participants"] * v["hours"],
    )
    sums = v.groupby(["community_id", "month"])[["events", "participants", "volunteer_hours"]].sum()
    communities = [community_id] if community_id else list(frames.communities["community_id"])
    index = pd.MultiIndex.from_product([communities, months_], names=["community_id", "month"])
    out = sums.reindex(index, fill_value=0).reset_index()
    return out.astype({"events": int, "participants": int, "volunteer_hours": float})


def _open_at(frames: CoFrames, day: dt.date, community_id: str | None) -> int:
    """Needs that were open at the end of `day`, read from their history (a need without
    history counts with its present status from its filing)."""
    end = f"{day.isoformat()}T23:59:59"
    needs = in_community(frames.needs, community_id)
    needs = needs[needs["filed_at"].astype(str) <= end]
    ev = frames.events
    ev = ev[(ev["entity"] == CoEntity.NEED.value) & ev["to_status"].notna() & (ev["at"] <= end)]
    last = ev.sort_values("event_id").groupby("entity_id")["to_status"].last()
    # astype(object): with no history at all (a migrated database) the map is all NaN
    status = needs["need_id"].map(last).astype(object).fillna(needs["status"])
    return int((status == NeedStatus.OPEN.value).sum())


def _completed_in(projects: pd.DataFrame, span: tuple[dt.date, dt.date]) -> int:
    day = projects["completed_at"].fillna("").astype(str).str.slice(0, 10)
    return int(((day >= span[0].isoformat()) & (day <= span[1].isoformat()) & (day != "")).sum())


def wall_figures(
    frames: CoFrames, today: dt.date, *, community_id: str | None = None
) -> list[Figure]:
    """The co-building tiles of the wall screen, as :class:`mapgov.domain.kpi.Figure` s.

    - ``projects_completed``: projects completed this month to date, against the same span of
      the previous month (:func:`mapgov.domain.kpi.periods`);
    - ``needs_waiting``: needs open at the end of `today`, against the end of the previous
      span.

    Parameters
    ----------
    frames : CoFrames
        The records behind the tiles.
    today : datetime.date
        The wall's day: the periods end with it.
    community_id : str or None
        A community wall shows its own figures.

    Returns
    -------
    list of Figure
        The two tiles, in that order.
    """
    now, before = periods(today)
    projects = in_community(frames.projects, community_id)
    return [
        Figure(
            "projects_completed",
            float(_completed_in(projects, now)),
            float(_completed_in(projects, before)),
            "count",
            "up",
        ),
        Figure(
            "needs_waiting",
            float(_open_at(frames, now[1], community_id)),
            float(_open_at(frames, before[1], community_id)),
            "count",
            "down",
        ),
    ]


def overview(
    frames: CoFrames, today: dt.date, *, community_id: str | None = None
) -> dict[str, float | int | None]:
    """Headline counts for the co-building page.

    Keys: units, units_engaged, resources, needs, needs_open, longest_wait_days (None without
    open needs), projects, projects_active, projects_completed (completed or rated),
    satisfaction_rate (share of rated projects rated satisfied or basically satisfied; None
    without any), wishes, wishes_claimed, wishes_completed, and over the 365 days up to `today`
    volunteer_events, volunteer_participants, volunteer_hours.

    Parameters
    ----------
    frames : CoFrames
        The page's records (:func:`load`).
    today : datetime.date
        The day the waits and the volunteer year end on.
    community_id : str or None
        Count within one community (None: the whole street).

    Returns
    -------
    dict
        The counts by key; shares are fractions from 0 to 1.
    """
    needs = in_community(frames.needs, community_id)
    projects = in_community(frames.projects, community_id)
    wishes = in_community(frames.wishes, community_id)
    since = (today - dt.timedelta(days=364)).isoformat()
    held = in_community(frames.volunteer, community_id)["held_on"].astype(str)
    volunteer = in_community(frames.volunteer, community_id)[
        (held >= since) & (held <= today.isoformat())
    ]
    waiting = waiting_needs(frames, today, community_id=community_id)
    engaged = unit_engagement(frames, community_id=community_id)
    rated = projects[projects["satisfaction"].notna()]
    return {
        "units": len(frames.units),
        "units_engaged": int(engaged["engaged"].sum()),
        "resources": len(frames.resources),
        "needs": len(needs),
        "needs_open": int((needs["status"] == NeedStatus.OPEN.value).sum()),
        "longest_wait_days": int(waiting["days_waiting"].max()) if len(waiting) else None,
        "projects": len(projects),
        "projects_active": int(projects["status"].isin(ACTIVE).sum()),
        "projects_completed": int(projects["status"].isin(DONE_PROJECT).sum()),
        "satisfaction_rate": (
            float(rated["satisfaction"].isin(_CONTENT).mean()) if len(rated) else None
        ),
        "wishes": len(wishes),
        "wishes_claimed": int(wishes["claimed_at"].notna().sum()),
        "wishes_completed": int((wishes["status"] == WishStatus.COMPLETED.value).sum()),
        "volunteer_events": len(volunteer),
        "volunteer_participants": int(volunteer["participants"].sum()),
        "volunteer_hours": float((volunteer["participants"] * volunteer["hours"]).sum()),
    }


def need_places(frames: CoFrames, needs: pd.DataFrame) -> gpd.GeoSeries:
    """The area of each need: its compound, else its community (EPSG:4326, on needs' index).

    A need filed for a whole community is drawn over the community.

    Parameters
    ----------
    frames : CoFrames
        Their compounds' and communities' areas come from here.
    needs : pandas.DataFrame
        Needs with ``compound_id`` and ``community_id``.

    Returns
    -------
    geopandas.GeoSeries
        One polygon per need; None where neither area is known.
    """
    comp = frames.compounds.set_index("compound_id").geometry
    com = frames.communities.set_index("community_id").geometry
    geoms = [
        comp.get(c) if isinstance(c, str) and c in comp.index else com.get(m)
        for c, m in zip(needs["compound_id"], needs["community_id"], strict=True)
    ]
    return gpd.GeoSeries(geoms, index=needs.index, crs=WGS84)


def need_points(
    frames: CoFrames, today: dt.date, *, community_id: str | None = None
) -> gpd.GeoDataFrame:
    """Needs as points (a point inside their compound, else their community) for the map.

    Parameters
    ----------
    frames : CoFrames
        Needs and the areas of their places.
    today : datetime.date
        Open needs' waits are counted up to this day.
    community_id : str or None
        Map one community's needs, or all when None.

    Returns
    -------
    GeoDataFrame
        [need_id, community_id, compound_id, kind, title, status, days_waiting (open needs;
        NaN otherwise), geometry] in EPSG:4326.
    """
    needs = in_community(frames.needs, community_id)
    waits = waiting_needs(frames, today, community_id=community_id).set_index("need_id")
    cols = ["need_id", "community_id", "compound_id", "kind", "title", "status"]
    points = need_places(frames, needs).representative_point()
    return gpd.GeoDataFrame(
        needs[cols].assign(days_waiting=needs["need_id"].map(waits["days_waiting"])),
        geometry=points.to_numpy(),
        crs=WGS84,
    ).reset_index(drop=True)


def project_links(
    frames: CoFrames,
    *,
    statuses: Sequence[str] | None = None,
    community_id: str | None = None,
) -> gpd.GeoDataFrame:
    """A line from each project's unit to its need's place (the map's "who helps where").

    Parameters
    ----------
    frames : CoFrames
        Projects, units and needs of the street.
    statuses : sequence of str or None
        Draw only projects in these statuses (default: all).
    community_id : str or None
        Draw only the projects serving this community.

    Returns
    -------
    GeoDataFrame
        [project_id, need_id, unit_id, status, community_id, kind, geometry (LineString)].
    """
    projects = in_community(frames.projects, community_id)
    if statuses is not None:
        projects = projects[projects["status"].isin([str(s) for s in statuses])]
    needs = frames.needs.set_index("need_id")
    places = need_places(frames, needs.reset_index()).representative_point()
    place = pd.Series(places.to_numpy(), index=needs.index)
    unit = frames.units.set_index("unit_id").geometry
    ok = projects["unit_id"].isin(unit.index) & projects["need_id"].isin(needs.index)
    projects = projects[ok]
    lines = [
        shapely.LineString([unit[u], place[n]])
        for u, n in zip(projects["unit_id"], projects["need_id"], strict=True)
    ]
    cols = ["project_id", "need_id", "unit_id", "status", "community_id", "kind"]
    return gpd.GeoDataFrame(projects[cols].reset_index(drop=True), geometry=lines, crs=WGS84)
