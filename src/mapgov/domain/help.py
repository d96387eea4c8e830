"""The ten-minute help circle (十分钟办事圈): how fast help requests are answered.

A help request is an issue of a help category (:data:`mapgov.core.model.HELP_CATEGORIES`:
water and electricity repairs, a blocked lane, lost and found, help for the elderly), the small
matters a resident's "连心卡" (热心服务连心卡) promises an answer to within ten minutes.

Definitions:

- **response time** (响应时间): minutes from the request's ``reported_at`` to the first event
  of its history, at or after that time, that is neither the report itself nor a comment: the
  first assignment, start of work, escalation or resolution (whichever comes first; a callback,
  reopening or closing counts too should one come first in an imported history). A comment is
  not an answer: anyone may write one without taking the matter on. Events after `now` are not
  yet known; a request with no such event by `now` is **unanswered** and its time unknown;
- **due** (应响应): a request whose ten minutes are up at `now` (reported at least ten minutes
  before). Only due requests are judged: one reported five minutes ago and not yet answered is
  neither a success nor a failure;
- **answered within ten minutes** (十分钟响应): a due request whose response time is at most
  ten minutes. An unanswered due request counts as not answered within ten minutes;
- **share within ten minutes** (十分钟响应率): answered within ten minutes / due;
- **median minutes** (响应时间中位数): the median response time of the answered requests
  (unanswered ones have no time, so they are left out of the median and counted as late in
  the share).

Periods are those of the wall (:func:`mapgov.domain.kpi.periods`): this month to date against
the same days of last month, each judged as it stood at its own end (the previous period at
the end of its last day: an answer after then is not counted for it). The issue page uses a
window of days ending today (:func:`window`). `now` and `today` are always inputs.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Final

import numpy as np
import pandas as pd

from mapgov.core.model import HELP_CATEGORIES, EventAction
from mapgov.domain.kpi import Figure, Frames, periods
from mapgov.domain.locating import street_compounds
from mapgov.store import Store

__all__ = [
    "COLUMNS",
    "NOT_ANSWERS",
    "TEN_MINUTES",
    "WALL_FIGURES",
    "HelpFigures",
    "HelpFrames",
    "by_community",
    "by_group",
    "figures",
    "help_requests",
    "load",
    "month_span",
    "response_minutes",
    "summary",
    "wall_figure",
    "window",
]

TEN_MINUTES: Final = 10.0
"""The promise of the help card: an answer within ten minutes."""
NOT_ANSWERS: Final = frozenset({EventAction.REPORT.value, EventAction.COMMENT.value})
"""Events that do not answer a request: the report itself and comments."""
WALL_FIGURES: Final = ("help_within_ten",)
"""The wall's tile of the help circle: the share answered within ten minutes."""
_HELP: Final = tuple(sorted(c.value for c in HELP_CATEGORIES))
COLUMNS: Final = ("requests", "answered", "due", "within", "share", "median_min")
"""Columns of :func:`by_group` (after the group's id)."""


@dataclass(frozen=True)
class HelpFigures:
    """The help circle's figures of one place and period.

    requests: requests reported in the period; answered: those with a response by `now`;
    due: those whose ten minutes are up at `now`; within: due requests answered within ten
    minutes; share: within / due (None without a due request); median_min: the median response
    time of the answered requests (None without one).
    """

    requests: int
    answered: int
    due: int
    within: int
    share: float | None
    median_min: float | None


@dataclass(frozen=True)
class HelpFrames:
    """The help requests of a street or community and their history.

    requests: [issue_id, compound_id, category, reported_at]; events: their events but
    comments, [issue_id, action, at]; compounds: [compound_id, name, community_id].
    """

    requests: pd.DataFrame
    events: pd.DataFrame
    compounds: pd.DataFrame


def help_requests(issues: pd.DataFrame) -> pd.DataFrame:
    """The rows of `issues` whose category is a help category (index kept).

    Parameters
    ----------
    issues : pandas.DataFrame
        Reads category.

    Returns
    -------
    pandas.DataFrame
        The help requests among `issues`.

    Examples
    --------
    >>> issues = pd.DataFrame({"issue_id": [1, 2], "category": ["help_access", "pets"]})
    >>> help_requests(issues)["issue_id"].tolist()
    [1]
    """
    return issues[issues["category"].isin(_HELP)]


def response_minutes(issues: pd.DataFrame, events: pd.DataFrame, *, now: dt.datetime) -> pd.Series:
    """Each issue's response time in minutes: report to first answer (NaN when unanswered).

    Parameters
    ----------
    issues : pandas.DataFrame
        Reads issue_id, reported_at.
    events : pandas.DataFrame
        Their history: [issue_id, action, at] (comments may be in it: they are skipped).
    now : datetime.datetime
        Events after it are not yet known.

    Returns
    -------
    pandas.Series
        Minutes (float) per issue, index as `issues`; NaN for an issue with no answer by `now`.

    Examples
    --------
    >>> issues = pd.DataFrame({"issue_id": [1, 2], "reported_at": ["2026-11-02T09:00:00",
    ...     "2026-11-02T10:00:00"]})
    >>> events = pd.DataFrame({"issue_id": [1, 1, 1, 2], "action": ["report", "comment",
    ...     "assign", "comment"], "at": ["2026-11-02T09:00:00", "2026-11-02T09:02:00",
    ...     "2026-11-02T09:07:30", "2026-11-02T10:01:00"]})
    >>> response_minutes(issues, events, now=dt.datetime(2026, 11, 2, 12)).tolist()
    [7.5, nan]
    """
    reported = pd.to_datetime(issues["reported_at"], errors="coerce")
    if events.empty or issues.empty:
        return pd.Series(np.nan, index=issues.index, dtype=float)
    ev = events[~events["action"].isin(NOT_ANSWERS)]
    ev = ev.assign(t=pd.to_datetime(ev["at"], errors="coerce"))
    ev = ev[ev["issue_id"].isin(issues["issue_id"]) & (ev["t"] <= pd.Timestamp(now))]
    start = pd.Series(reported.to_numpy(), index=issues["issue_id"].to_numpy())
    start = start[~start.index.duplicated()]
    ev = ev[ev["t"] >= ev["issue_id"].map(start)]
    if ev.empty:
        return pd.Series(np.nan, index=issues.index, dtype=float)
    first = ev.groupby("issue_id")["t"].min()
    answered = issues["issue_id"].map(first)
    minutes = (pd.to_datetime(answered) - reported).dt.total_seconds() / 60
    return minutes.astype(float)


def _table(
    issues: pd.DataFrame,
    events: pd.DataFrame,
    *,
    now: dt.datetime,
    span: tuple[dt.date, dt.date],
) -> pd.DataFrame:
    """The help requests reported in `span` (by ``now``), with minutes, due and within."""
    req = help_requests(issues)
    day = req["reported_at"].fillna("").astype(str).str.slice(0, 10)
    reported = pd.to_datetime(req["reported_at"], errors="coerce")
    inside = (day >= span[0].isoformat()) & (day <= span[1].isoformat())
    req = req[inside & (reported <= pd.Timestamp(now))]
    minutes = response_minutes(req, events, now=now)
    due = pd.to_datetime(req["reported_at"]) <= pd.Timestamp(now - dt.timedelta(minutes=10))
    return req.assign(
        minutes=minutes, due=due, within=due & (minutes <= TEN_MINUTES), answered=minutes.notna()
    )


def _figures_of(table: pd.DataFrame) -> HelpFigures:
    due, within = int(table["due"].sum()), int(table["within"].sum())
    answered = table["minutes"].dropna()
    return HelpFigures(
        requests=len(table),
        answered=len(answered),
        due=due,
        within=within,
        share=within / due if due else None,
        median_min=float(answered.median()) if len(answered) else None,
    )


def figures(
    issues: pd.DataFrame,
    events: pd.DataFrame,
    *,
    now: dt.datetime,
    span: tuple[dt.date, dt.date],
) -> HelpFigures:
    """The help circle's figures of the requests reported in `span`, as known at `now`.

    Parameters
    ----------
    issues : pandas.DataFrame
        Any issues (the help requests among them are counted): issue_id, category, reported_at.
    events : pandas.DataFrame
        Their history: [issue_id, action, at].
    now : datetime.datetime
        When the figures are read: later events are unknown, and a request is due once
        reported ten minutes before it.
    span : tuple of datetime.date
        First and last day (inclusive) of the reports counted.

    Returns
    -------
    HelpFigures
        Requests, answered, due, within ten minutes, their share and the median minutes.
    """
    return _figures_of(_table(issues, events, now=now, span=span))


def by_group(
    issues: pd.DataFrame,
    events: pd.DataFrame,
    key: pd.Series,
    *,
    now: dt.datetime,
    span: tuple[dt.date, dt.date],
) -> pd.DataFrame:
    """:func:`figures` for each value of `key` (a compound or community id per issue).

    Parameters
    ----------
    issues : pandas.DataFrame
        As for :func:`figures`.
    events : pandas.DataFrame
        As for :func:`figures`.
    key : pandas.Series
        The group of each issue (index as `issues`).
    now : datetime.datetime
        As for :func:`figures`.
    span : tuple of datetime.date
        As for :func:`figures`.

    Returns
    -------
    pandas.DataFrame
        Indexed by group (only groups with requests), columns :data:`COLUMNS`; share and
        median_min are NaN where unknown. Sorted by requests, most first, then by group.
    """
    table = _table(issues, events, now=now, span=span)
    groups = key.loc[table.index]
    rows = {g: _figures_of(part) for g, part in table.groupby(groups, sort=True)}
    frame = pd.DataFrame(
        [[getattr(f, c) for c in COLUMNS] for f in rows.values()],
        index=pd.Index(list(rows), name=key.name),
        columns=list(COLUMNS),
    )
    frame[["share", "median_min"]] = frame[["share", "median_min"]].astype(float)
    return frame.sort_values("requests", ascending=False, kind="stable")


def month_span(today: dt.date) -> tuple[dt.date, dt.date]:
    """This month to date (the wall's period, :func:`mapgov.domain.kpi.periods`).

    Parameters
    ----------
    today : datetime.date
        The period's last day.

    Returns
    -------
    tuple of datetime.date
        The 1st of the month and `today`.

    Examples
    --------
    >>> month_span(dt.date(2026, 11, 15))
    (datetime.date(2026, 11, 1), datetime.date(2026, 11, 15))
    """
    return periods(today)[0]


def window(today: dt.date, days: int) -> tuple[dt.date, dt.date]:
    """The last `days` days, `today` included.

    Parameters
    ----------
    today : datetime.date
        The window's last day.
    days : int
        Its length in days.

    Returns
    -------
    tuple of datetime.date
        Its first and last day.

    Examples
    --------
    >>> window(dt.date(2026, 11, 15), 30)
    (datetime.date(2026, 10, 17), datetime.date(2026, 11, 15))
    """
    return today - dt.timedelta(days=days - 1), today


def wall_figure(frames: Frames, *, now: dt.datetime) -> tuple[Figure, float | None]:
    """The wall's tile: the share answered within ten minutes this month to date, against the
    same days of last month judged at the end of their last day, and this month's median.

    Parameters
    ----------
    frames : Frames
        What :func:`mapgov.domain.kpi.load_frames` read (its events have no comments).
    now : datetime.datetime
        The street's now; its day is the wall's today.

    Returns
    -------
    (Figure, float or None)
        The ``help_within_ten`` figure (a share, better up) and this month's median minutes.
    """
    cur, prev = periods(now.date())
    prev_end = dt.datetime.combine(prev[1], dt.time(23, 59, 59))
    this = figures(frames.issues, frames.events, now=now, span=cur)
    before = figures(frames.issues, frames.events, now=prev_end, span=prev)
    figure = Figure("help_within_ten", this.share, before.share, "share", "up")
    return figure, this.median_min


def load(
    store: Store, *, street_id: str | None = None, community_id: str | None = None
) -> HelpFrames:
    """Read the help requests of a street or community and their history but comments.

    Parameters
    ----------
    store : Store
        The database to read.
    street_id : str or None
        Read this street's requests.
    community_id : str or None
        Read this community's requests.

    Returns
    -------
    HelpFrames
        The requests, their events and the compounds (with community_id).
    """
    comps = street_compounds(
        store, ["compound_id", "grid_id", "name"], street_id=street_id, community_id=community_id
    )
    requests = store.read(
        "issue",
        where={"compound_id": list(comps["compound_id"]), "category": list(_HELP)},
        columns=["issue_id", "compound_id", "category", "reported_at"],
    )
    ids = [int(i) for i in requests["issue_id"]]
    actions = [a.value for a in EventAction if a.value not in NOT_ANSWERS]
    events = (
        store.read(
            "issue_event",
            where={"issue_id": ids, "action": actions},
            columns=["issue_id", "action", "at"],
        )
        if ids
        else pd.DataFrame({"issue_id": [], "action": [], "at": []})
    )
    return HelpFrames(
        requests=requests,
        events=events,
        compounds=comps[["compound_id", "name", "community_id"]].reset_index(drop=True),
    )


def summary(
    frames: HelpFrames,
    *,
    now: dt.datetime,
    span: tuple[dt.date, dt.date],
    community_id: str | None = None,
) -> tuple[HelpFigures, pd.DataFrame]:
    """The figures of the whole of `frames` and the table by compound (of one community).

    Parameters
    ----------
    frames : HelpFrames
        What :func:`load` read (a street's, for the street's figures).
    now : datetime.datetime
        As for :func:`figures`.
    span : tuple of datetime.date
        As for :func:`figures`.
    community_id : str or None
        The compounds of the table: this community's (all without it).

    Returns
    -------
    (HelpFigures, pandas.DataFrame)
        The figures of all the requests in `frames`, and one row per compound of the community
        with requests in the period: compound_id, name, then :data:`COLUMNS`.
    """
    whole = figures(frames.requests, frames.events, now=now, span=span)
    comps = frames.compounds
    if community_id is not None:
        comps = comps[comps["community_id"] == community_id]
    mine = frames.requests[frames.requests["compound_id"].isin(comps["compound_id"])]
    table = by_group(mine, frames.events, mine["compound_id"], now=now, span=span)
    table = table.reset_index().rename(columns={"index": "compound_id"})
    names = dict(zip(comps["compound_id"], comps["name"], strict=True))
    table.insert(1, "name", table["compound_id"].map(names))
    return whole, table


def by_community(
    frames: HelpFrames, *, now: dt.datetime, span: tuple[dt.date, dt.date]
) -> pd.DataFrame:
    """:func:`figures` for each community of `frames` (a street's).

    Parameters
    ----------
    frames : HelpFrames
        What :func:`load` read.
    now : datetime.datetime
        As for :func:`figures`.
    span : tuple of datetime.date
        As for :func:`figures`.

    Returns
    -------
    pandas.DataFrame
        Indexed by community_id (only communities with requests), columns :data:`COLUMNS`.
    """
    community = frames.compounds.set_index("compound_id")["community_id"]
    key = frames.requests["compound_id"].map(community).rename("community_id")
    return by_group(frames.requests, frames.events, key, now=now, span=span)
