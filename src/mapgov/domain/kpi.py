"""Headline figures of the wall screen, each with the same figure for the previous period.

Periods: the current period is this month to date (the 1st to `today`); the previous period
is the same span of the previous month (the 1st to the same day, or to its last day), so the
two are comparable on any day of the month. Each period is judged as it stood at its own end:
last month's issues get no more time to be resolved than this month's have had (the status
an issue had then is rebuilt from its history, :func:`status_on`).

Definitions (the reports' own):

- **received** (受理): issues reported in the period;
- **resolution rate** (办结率): of the issues received in the period, the share resolved,
  called back or closed by the period's last day (this month: today; last month: the same
  day of last month), so a young month is not set against an old one;
- **on-time rate** (按时办结率): of the issues resolved in the period, the share resolved on or
  before their deadline;
- **satisfaction rate** (满意率): of the callbacks (回访) made in the period, the share rated
  "satisfied" or "basically satisfied" (an unsatisfied callback reopens its issue: it is the
  callback followed by a ``reopen`` event, so the rate is read from the event log);
- **mean days to close**: over the issues closed in the period, days from report to closing;
- **solved in the compound** (小事不出小区): of the issues closed in the period, the share
  handled at compound level;
- **branch coverage** (党组织覆盖率): share of compounds with a party branch (own or joint);
- **red-property compounds** (红色物业): compounds managed by a company with a party branch;
- **three-nos compounds** (三无小区): no property management, no supervising committee, no
  security;
- **life-circle completeness**: share of residents who reach every kind of facility within
  its threshold (from :mod:`mapgov.domain.lifecircle.coverage`);
- **new field reports** (新报事, :func:`new_reports`, not a tile): reports from a phone still
  waiting to be assigned, and those received today.

Structural figures (coverage, red property, three-nos) have no history in the store, so their
previous value is None. Every function here is pure over frames except :func:`headline` and
:func:`load_frames`, which read the store.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Final, Literal

import numpy as np
import pandas as pd

from mapgov.core.model import (
    UNRESOLVED,
    CallbackRating,
    IssueStatus,
    Level,
    PropertyMode,
)
from mapgov.core.privacy import mask_frame
from mapgov.domain.ledger_reads import read_ledger
from mapgov.store import Store

__all__ = [
    "FIGURES",
    "Figure",
    "Frames",
    "community_ranking",
    "compound_values",
    "headline",
    "issue_figures",
    "load_frames",
    "monthly_trend",
    "periods",
    "recent_closed",
    "status_on",
    "structure_figures",
    "top_categories",
]

Unit = Literal["count", "share", "days"]
FIGURES: Final = (
    "received",
    "resolution_rate",
    "on_time_rate",
    "satisfaction_rate",
    "mean_days_to_close",
    "solved_in_compound",
    "branch_coverage",
    "red_property",
    "three_nos",
    "life_complete",
)
_DONE = frozenset(
    {IssueStatus.RESOLVED.value, IssueStatus.CALLBACK.value, IssueStatus.CLOSED.value}
)
_CONTENT = frozenset({CallbackRating.SATISFIED.value, CallbackRating.BASICALLY_SATISFIED.value})


@dataclass(frozen=True)
class Figure:
    """One headline figure: value now, value in the previous period, unit, and which way is
    good ("up", "down" or None)."""

    key: str
    value: float | None
    previous: float | None
    unit: Unit
    better: str | None = "up"

    @property
    def delta(self) -> float | None:
        """Change against the previous period (None when either is missing).

        Returns
        -------
        float or None
            ``value - previous``.
        """
        if self.value is None or self.previous is None:
            return None
        return self.value - self.previous


def periods(today: dt.date) -> tuple[tuple[dt.date, dt.date], tuple[dt.date, dt.date]]:
    """((start, end), (previous start, previous end)), ends inclusive: month to date, and the
    same span of the previous month.

    Parameters
    ----------
    today : datetime.date
        The last day of the current period.

    Returns
    -------
    tuple of two (datetime.date, datetime.date)
        The current period, then the previous one; the previous one ends at its month's end when
        that month is shorter.
    """
    start = today.replace(day=1)
    prev_end_of_month = start - dt.timedelta(days=1)
    prev_start = prev_end_of_month.replace(day=1)
    prev_end = min(prev_start + (today - start), prev_end_of_month)
    return (start, today), (prev_start, prev_end)


def _day(series: pd.Series) -> pd.Series:
    return series.fillna("").astype(str).str.slice(0, 10)


def _within(series: pd.Series, span: tuple[dt.date, dt.date]) -> pd.Series:
    day = _day(series)
    return (day >= span[0].isoformat()) & (day <= span[1].isoformat()) & (day != "")


def _share(mask: pd.Series, of: pd.Series) -> float | None:
    n = int(of.sum())
    return None if n == 0 else float((mask & of).sum() / n)


def status_on(issues: pd.DataFrame, history: pd.DataFrame | None, day: dt.date) -> pd.Series:
    """Each issue's status at the end of `day` (index as `issues`; None if not yet reported).

    Read from the issue's history: the ``to_status`` of its last event on or before `day`
    (events ordered by time, then ``event_id`` where there is one). An issue with no status
    in the history (a ledger imported without its events) is judged by its own dates: closed
    by ``closed_at``, resolved by ``resolved_at``, else reported by ``reported_at``.

    Parameters
    ----------
    issues : pandas.DataFrame
        Reads issue_id, reported_at, resolved_at, closed_at.
    history : pandas.DataFrame or None
        Its events: [issue_id, at, to_status] (and event_id); None or empty: dates only.
    day : datetime.date
        The day whose end is asked about.

    Returns
    -------
    pandas.Series
        A status value (str) or None per issue.

    Examples
    --------
    >>> issues = pd.DataFrame({"issue_id": [1, 2], "reported_at": ["2026-10-02", "2026-10-03"],
    ...     "resolved_at": [None, "2026-10-09"], "closed_at": [None, None]})
    >>> history = pd.DataFrame({"issue_id": [1, 1, 1], "at": ["2026-10-02", "2026-10-06",
    ...     "2026-10-20"], "to_status": ["reported", "resolved", "assigned"]})
    >>> status_on(issues, history, dt.date(2026, 10, 15)).tolist()
    ['resolved', 'resolved']
    >>> status_on(issues, history, dt.date(2026, 10, 5)).tolist()
    ['reported', 'reported']
    """
    end = day.isoformat()
    reported, resolved, closed = (
        _day(issues[c]) for c in ("reported_at", "resolved_at", "closed_at")
    )
    by_dates = pd.Series(
        np.select(
            [
                (closed != "") & (closed <= end),
                (resolved != "") & (resolved <= end),
                (reported != "") & (reported <= end),
            ],
            [IssueStatus.CLOSED.value, IssueStatus.RESOLVED.value, IssueStatus.REPORTED.value],
            default="",
        ),
        index=issues.index,
    )
    if history is None or history.empty or "to_status" not in history:
        return by_dates.astype(object).where(by_dates != "", None)
    rows = history[history["to_status"].notna()]
    order = ["at", "event_id"] if "event_id" in rows else ["at"]
    rows = rows.assign(day=_day(rows["at"])).sort_values(order, kind="stable")
    then = rows[(rows["day"] != "") & (rows["day"] <= end)]
    last = then.groupby("issue_id")["to_status"].last()
    from_history = issues["issue_id"].map(last).fillna("")
    has_history = issues["issue_id"].isin(rows["issue_id"])
    status = from_history.where(has_history, by_dates)
    return status.astype(object).where(status != "", None)


def _satisfaction(events: pd.DataFrame | None, span: tuple[dt.date, dt.date]) -> float | None:
    if events is None or events.empty:
        return None
    inside = _within(events["at"], span)
    callbacks = int((inside & (events["action"] == "callback")).sum())
    reopened = int((inside & (events["action"] == "reopen")).sum())
    return None if callbacks == 0 else float((callbacks - reopened) / callbacks)


def _figures_for(
    issues: pd.DataFrame, span: tuple[dt.date, dt.date], events: pd.DataFrame | None = None
) -> dict[str, float | None]:
    received = _within(issues["reported_at"], span)
    resolved_day = _day(issues["resolved_at"]).where(
        issues["resolved_at"].notna(), _day(issues["closed_at"])
    )
    resolved = (
        (resolved_day >= span[0].isoformat())
        & (resolved_day <= span[1].isoformat())
        & (resolved_day != "")
    )
    on_time = (
        resolved
        & issues["deadline"].notna()
        & (resolved_day <= issues["deadline"].fillna("").astype(str))
    )
    closed = _within(issues["closed_at"], span) & (issues["status"] == IssueStatus.CLOSED.value)
    days = (
        pd.to_datetime(issues.loc[closed, "closed_at"])
        - pd.to_datetime(issues.loc[closed, "reported_at"])
    ).dt.total_seconds() / 86400
    return {
        "received": float(received.sum()),
        "resolution_rate": _share(status_on(issues, events, span[1]).isin(_DONE), received),
        "on_time_rate": _share(on_time, resolved),
        "satisfaction_rate": _satisfaction(events, span),
        "mean_days_to_close": float(days.mean()) if len(days) else None,
        "solved_in_compound": _share(issues["level"] == Level.COMPOUND.value, closed),
    }


def issue_figures(
    issues: pd.DataFrame, today: dt.date, events: pd.DataFrame | None = None
) -> dict[str, Figure]:
    """The ledger's headline figures for this month to date and the same span last month.

    Parameters
    ----------
    issues : pandas.DataFrame
        Reads reported_at, resolved_at, closed_at, deadline, status, level.
    today : datetime.date
        The last day of the current period.
    events : pandas.DataFrame or None
        The history of those issues: [issue_id, action, at] and, for the status each had at the end
        of a period, to_status (and event_id). The callbacks and reopenings give the satisfaction
        rate (None leaves it unknown); without to_status the resolution rate judges each period by
        the issues' dates (see :func:`status_on`).

    Returns
    -------
    dict of str to Figure
        received, resolution_rate, on_time_rate, satisfaction_rate, mean_days_to_close and
        solved_in_compound, by name.
    """
    now, before = periods(today)
    cur, prev = _figures_for(issues, now, events), _figures_for(issues, before, events)
    units: dict[str, tuple[Unit, str | None]] = {
        "received": ("count", None),
        "resolution_rate": ("share", "up"),
        "on_time_rate": ("share", "up"),
        "satisfaction_rate": ("share", "up"),
        "mean_days_to_close": ("days", "down"),
        "solved_in_compound": ("share", "up"),
    }
    return {k: Figure(k, cur[k], prev[k], *units[k]) for k in units}


def three_nos_mask(prop: pd.DataFrame) -> pd.Series:
    """Which compounds are three-nos: no property management, no committee, no security.

    A compound without a property row is not in `prop`, so not judged here.

    Parameters
    ----------
    prop : pandas.DataFrame
        ``property_management`` rows: mode, owners_committee, self_managed_committee, has_security.

    Returns
    -------
    pandas.Series
        True for a three-nos compound, on `prop`'s index.
    """
    return (
        (prop["mode"] == PropertyMode.NONE.value)
        & (prop["owners_committee"] == 0)
        & (prop["self_managed_committee"] == 0)
        & (prop["has_security"] == 0)
    )


def structure_figures(compounds: pd.DataFrame, prop: pd.DataFrame) -> dict[str, Figure]:
    """Branch coverage, red-property and three-nos compounds (no previous period).

    Where no compound has its property management on record (an OpenStreetMap street), the
    red-property and three-nos counts are unknown (None, shown as "—"), not 0.

    Parameters
    ----------
    compounds : pandas.DataFrame
        The compounds counted, with ``branch_id``.
    prop : pandas.DataFrame
        Property management rows; those of other compounds are left out.

    Returns
    -------
    dict of str to Figure
        branch_coverage, red_property and three_nos.
    """
    prop = prop[prop["compound_id"].isin(compounds["compound_id"])]
    coverage = float(compounds["branch_id"].notna().mean()) if len(compounds) else None
    known = bool(prop["mode"].notna().any())
    red = float(prop["red_property"].sum()) if known else None
    three = float(three_nos_mask(prop).sum()) if known else None
    return {
        "branch_coverage": Figure("branch_coverage", coverage, None, "share", "up"),
        "red_property": Figure("red_property", red, None, "count", "up"),
        "three_nos": Figure("three_nos", three, None, "count", "down"),
    }


def monthly_trend(issues: pd.DataFrame, today: dt.date, months: int = 12) -> pd.DataFrame:
    """Issues received and closed per calendar month, the last `months` months up to today.

    Parameters
    ----------
    issues : pandas.DataFrame
        Reads reported_at and closed_at.
    today : datetime.date
        The current month's last counted day.
    months : int
        How many months, this one included.

    Returns
    -------
    DataFrame
        [month ("YYYY-MM"), received, closed, days], oldest first, zeros included; ``days``
        is how many days of the month are counted: all, but for the current month the 1st
        to `today` (a month under way is not comparable with whole ones).
    """
    end = pd.Period(today, freq="M")
    span = pd.period_range(end - (months - 1), end, freq="M")
    index = span.astype(str)
    received = _day(issues["reported_at"]).str.slice(0, 7).value_counts()
    closed_mask = issues["status"] == IssueStatus.CLOSED.value
    closed = _day(issues.loc[closed_mask, "closed_at"]).str.slice(0, 7).value_counts()
    days = [int(p.days_in_month) for p in span]
    days[-1] = today.day
    return pd.DataFrame(
        {
            "month": index,
            "received": received.reindex(index, fill_value=0).to_numpy(),
            "closed": closed.reindex(index, fill_value=0).to_numpy(),
            "days": days,
        }
    )


def top_categories(
    issues: pd.DataFrame, today: dt.date, *, days: int = 30, n: int = 6
) -> pd.DataFrame:
    """The `n` commonest categories of the last `days` days: [category, count].

    Ties keep pandas' value-count order.

    Parameters
    ----------
    issues : pandas.DataFrame
        Issues with ``category`` and ``reported_at``.
    today : datetime.date
        The last day of the window.
    days : int
        The window's length, today included.
    n : int
        The most categories listed.

    Returns
    -------
    pandas.DataFrame
        The categories, commonest first.
    """
    since = (today - dt.timedelta(days=days - 1)).isoformat()
    recent = issues[_day(issues["reported_at"]) >= since]
    counts = recent["category"].value_counts().head(n)
    return counts.rename_axis("category").reset_index(name="count")


def community_ranking(
    issues: pd.DataFrame,
    compounds: pd.DataFrame,
    today: dt.date,
    *,
    events: pd.DataFrame | None = None,
    days: int = 90,
) -> pd.DataFrame:
    """Communities by resolution and satisfaction over the last `days` days, and how many
    unresolved issues are past their deadline now.

    Parameters
    ----------
    issues : pandas.DataFrame
        Issue rows with compound_id.
    compounds : pandas.DataFrame
        compound_id -> community_id (and community name as ``community_name`` if present).
    today : datetime.date
        The window ends on this day; overdue is judged on it.
    events : pandas.DataFrame or None
        The issues' callbacks and reopenings, for the satisfaction rate.
    days : int
        The window's length in days.

    Returns
    -------
    DataFrame
        [community_id, received, resolution_rate, satisfaction_rate, overdue], best first
        (resolution, then satisfaction, then fewest overdue).
    """
    frame = issues.merge(compounds[["compound_id", "community_id"]], on="compound_id")
    span = (today - dt.timedelta(days=days - 1), today)
    rows = []
    for cid, g in frame.groupby("community_id"):
        ev = None if events is None else events[events["issue_id"].isin(g["issue_id"])]
        fig = _figures_for(g, span, ev)
        unresolved = g["status"].isin([s.value for s in UNRESOLVED])
        overdue = (
            unresolved
            & g["deadline"].notna()
            & (g["deadline"].fillna("9999").astype(str) < today.isoformat())
        )
        rows.append(
            {
                "community_id": cid,
                "received": int(fig["received"] or 0),
                "resolution_rate": fig["resolution_rate"],
                "satisfaction_rate": fig["satisfaction_rate"],
                "overdue": int(overdue.sum()),
            }
        )
    out = pd.DataFrame(
        rows,
        columns=["community_id", "received", "resolution_rate", "satisfaction_rate", "overdue"],
    )
    return out.sort_values(
        ["resolution_rate", "satisfaction_rate", "overdue"],
        ascending=[False, False, True],
        na_position="last",
    ).reset_index(drop=True)


def recent_closed(issues: pd.DataFrame, *, n: int = 10) -> pd.DataFrame:
    """The `n` most recently closed issues for the ticker, reporters and any phone number in
    a title masked as everywhere (the wall is seen by all: :func:`mapgov.core.privacy.mask_frame`).

    Parameters
    ----------
    issues : pandas.DataFrame
        The ledger's issues.
    n : int
        How many rows the ticker shows.

    Returns
    -------
    DataFrame
        [issue_id, closed_at, title, category, compound_id, reporter (masked), satisfaction].
    """
    closed = issues[issues["status"] == IssueStatus.CLOSED.value]
    closed = mask_frame(closed.sort_values("closed_at", ascending=False).head(n), "issue")
    return pd.DataFrame(
        {
            "issue_id": closed["issue_id"].to_numpy(),
            "closed_at": closed["closed_at"].to_numpy(),
            "title": closed["title"].to_numpy(),
            "category": closed["category"].to_numpy(),
            "compound_id": closed["compound_id"].to_numpy(),
            "reporter": closed["reporter_name"].to_numpy(),
            "satisfaction": closed["satisfaction"].to_numpy(),
        }
    )


def compound_values(
    issues: pd.DataFrame,
    compounds: pd.DataFrame,
    buildings: pd.DataFrame,
    stars: pd.DataFrame,
    metric: str,
    *,
    today: dt.date,
) -> pd.Series:
    """One figure per compound for colouring the wall map (index compound_id).

    `metric`: "open_per_100_households", "satisfaction" (share content among issues closed in
    the last 365 days; NaN without any), or "stars" (0-5, NaN without a branch).

    Parameters
    ----------
    issues : pandas.DataFrame
        The issues, with compound_id.
    compounds : pandas.DataFrame
        Every compound to colour, with branch_id.
    buildings : pandas.DataFrame
        Buildings with compound_id and households.
    stars : pandas.DataFrame
        The branches' stars (org_id, star).
    metric : str
        Which figure, see above.
    today : datetime.date
        The day open issues and the 365 days are counted on.

    Returns
    -------
    pandas.Series
        The figure by compound_id, one per compound.
    """
    ids = compounds["compound_id"]
    if metric == "open_per_100_households":
        open_ = issues[issues["status"] != IssueStatus.CLOSED.value]["compound_id"].value_counts()
        hh = buildings.groupby("compound_id")["households"].sum()
        values = open_.reindex(ids, fill_value=0) / hh.reindex(ids).replace(0, np.nan) * 100
        return values.rename(metric)
    if metric == "satisfaction":
        since = (today - dt.timedelta(days=364)).isoformat()
        closed = issues[
            (issues["status"] == IssueStatus.CLOSED.value) & (_day(issues["closed_at"]) >= since)
        ]
        share = (
            closed.assign(ok=closed["satisfaction"].isin(_CONTENT))
            .groupby("compound_id")["ok"]
            .mean()
        )
        return share.reindex(ids).rename(metric)
    if metric == "stars":
        per_branch = stars.groupby("org_id").size()
        values = compounds.set_index("compound_id")["branch_id"].map(
            lambda b: per_branch.get(b, 0) if isinstance(b, str) else np.nan
        )
        return values.reindex(ids).astype(float).rename(metric)
    msg = f"unknown compound metric {metric!r}"
    raise ValueError(msg)


@dataclass(frozen=True)
class Frames:
    """What the wall screen reads, for one street (or community)."""

    issues: pd.DataFrame
    compounds: pd.DataFrame
    buildings: pd.DataFrame
    prop: pd.DataFrame
    stars: pd.DataFrame
    events: pd.DataFrame
    """The issues' history but comments: [event_id, issue_id, action, at, to_status]."""


_ISSUE_COLUMNS: Final = [
    "issue_id",
    "compound_id",
    "category",
    "level",
    "status",
    "channel",
    "title",
    "reporter_name",
    "deadline",
    "reported_at",
    "resolved_at",
    "closed_at",
    "satisfaction",
    "lon",
    "lat",
]
"""The issue columns :func:`load_frames` reads."""
_BUILDING_COLUMNS: Final = ["building_id", "compound_id", "households", "residents"]
"""The building columns :func:`load_frames` reads."""


def load_frames(
    store: Store, *, street_id: str | None = None, community_id: str | None = None
) -> Frames:
    """Read the issues, compounds (with community_id), buildings, property and stars of a
    street or community (everything without either).

    Parameters
    ----------
    store : Store
        The database to read: the :func:`~mapgov.domain.ledger_reads.read_ledger` frames and
        the party branches' stars.
    street_id, community_id : str or None
        As for :func:`~mapgov.domain.ledger_reads.read_ledger`.

    Returns
    -------
    Frames
        The frames :func:`headline` and the wall's charts read.
    """
    comps, issues, events, buildings, prop = read_ledger(
        store, _ISSUE_COLUMNS, _BUILDING_COLUMNS, street_id=street_id, community_id=community_id
    )
    stars = store.read("branch_star", where={"org_id": list(comps["branch_id"].dropna().unique())})
    return Frames(
        issues=issues, compounds=comps, buildings=buildings, prop=prop, stars=stars, events=events
    )


def headline(frames: Frames, *, today: dt.date, life_complete: float | None = None) -> list[Figure]:
    """All ten headline figures in display order.

    The wall's tiles and the report's table show them.

    Parameters
    ----------
    frames : Frames
        What :func:`load_frames` read.
    today : datetime.date
        The current period's last day.
    life_complete : float or None
        The share of residents reaching every life-circle facility, computed elsewhere.

    Returns
    -------
    list of Figure
        The figures of :data:`FIGURES`, in that order.
    """
    figs = {
        **issue_figures(frames.issues, today, frames.events),
        **structure_figures(frames.compounds, frames.prop),
        "life_complete": Figure("life_complete", life_complete, None, "share", "up"),
    }
    return [figs[k] for k in FIGURES]
