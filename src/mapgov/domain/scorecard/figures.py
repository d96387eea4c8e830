"""The property companies' scorecard of a month and its trend (:mod:`mapgov.domain.scorecard`
says what each figure is)."""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass
from typing import Any, Final

import pandas as pd

from mapgov.core.errors import ValidationError
from mapgov.core.model import IssueCategory
from mapgov.domain.locating import street_compounds
from mapgov.domain.tenure import company_on, served_on, with_present
from mapgov.store import Store

__all__ = [
    "COLUMNS",
    "EVALUATION_MONTHS",
    "MIN_PARTS",
    "PROPERTY_CATEGORIES",
    "WEIGHTS",
    "ScorecardFrames",
    "load_scorecard_frames",
    "month_span",
    "property_scorecard",
    "scorecard_trend",
]

PROPERTY_CATEGORIES: Final = frozenset(
    {
        IssueCategory.PROPERTY_SERVICE.value,
        IssueCategory.SANITATION.value,
        IssueCategory.ELEVATOR.value,
        IssueCategory.WATER_PIPES.value,
        IssueCategory.LIGHTING.value,
        IssueCategory.FACILITY_REPAIR.value,
        IssueCategory.STAIRWELL_CLUTTER.value,
        IssueCategory.PARKING.value,
        IssueCategory.SHARED_UTILITY_FEES.value,
    }
)
"""The issue categories a property company answers for: what its contract makes it keep up
(service, cleaning, lifts, pipes, lights, shared facilities, stairwells, the car park) and the
shared utility fees it apportions. Left out: what the police, the planning office or the
community settle (security and theft, fire access, illegal building, pets, disputes between
neighbours, property certificates, elderly care) and the ten-minute help requests."""

EVALUATION_MONTHS: Final = 3
"""How many months, the month itself included, an evaluation counts for (a quarter)."""

WEIGHTS: Final = {
    "evaluation": 30.0,
    "on_time": 20.0,
    "satisfaction": 20.0,
    "complaints": 20.0,
    "fees": 10.0,
}
"""The parts of the composite score and their weights (the residents' own evaluation first)."""

MIN_PARTS: Final = 3
"""A composite score needs at least this many known parts."""

_COMPLAINT_POINTS: Final = 20.0
"""Points a property issue per 100 households takes off the complaints part."""

COLUMNS: Final = (
    "rank",
    "company",
    "composite_score",
    "evaluation_score",
    "evaluation_respondents",
    "compounds",
    "households",
    "property_issues",
    "issues_per_100_households",
    "resolved",
    "on_time_share",
    "callbacks",
    "satisfaction",
    "fee_collection_rate",
    "party_branch",
    "agreement",
    "agreement_signed_on",
    "month",
    "to_date",
)
"""The scorecard's columns, in the order read: rank, company and score first (see the module
docstring for each figure)."""

_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
_DONE_ACTIONS: Final = ("callback", "reopen")
_MAX_IN: Final = 30_000
"""Most values in one SQL ``IN`` list (SQLite takes 32,766 parameters)."""


@dataclass(frozen=True)
class ScorecardFrames:
    """What a scorecard reads: property rows, tenures, buildings, the property issues and their
    callbacks and reopenings, the companies and the evaluations."""

    prop: pd.DataFrame
    """``property_management`` of the compounds a company serves or served: compound_id,
    mode, company (the present one), red_property, property_branch_id, fee_collection_rate."""
    households: pd.Series
    """Households by compound_id."""
    issues: pd.DataFrame
    """Property issues: issue_id, compound_id, category, reported_at, resolved_at, closed_at,
    deadline, and company: the company serving the compound on the day it was reported (None
    when none did)."""
    events: pd.DataFrame
    """Their callbacks and reopenings: issue_id, action, at."""
    companies: pd.DataFrame
    """``property_company``: company, agreement_signed_on, branch_id, version."""
    evaluations: pd.DataFrame
    """``property_evaluation``: compound_id, company, period, score, respondents."""
    tenure: pd.DataFrame
    """``property_tenure`` of those compounds (:mod:`mapgov.domain.tenure`), with an open tenure
    from before the records for a served compound that has none."""


def load_scorecard_frames(
    store: Store, *, street_id: str | None = None, community_id: str | None = None
) -> ScorecardFrames:
    """Read what :func:`property_scorecard` needs, for one street or one community of it (every
    street without either): each company is then scored on the compounds it serves there.

    Parameters
    ----------
    store : Store
        The database to read.
    street_id : str or None
        Keep this street's compounds only.
    community_id : str or None
        Keep this community's compounds only (the wall narrowed to a community).

    Returns
    -------
    ScorecardFrames
        The frames, the issues limited to :data:`PROPERTY_CATEGORIES`.
    """
    comps = street_compounds(
        store, ["compound_id", "grid_id"], street_id=street_id, community_id=community_id
    )
    ids = list(comps["compound_id"])
    prop = store.read(
        "property_management",
        where={"compound_id": ids},
        columns=[
            "compound_id",
            "mode",
            "company",
            "red_property",
            "property_branch_id",
            "fee_collection_rate",
        ],
    )
    tenure = with_present(store.read("property_tenure", where={"compound_id": ids}), prop)
    served = sorted(set(tenure["compound_id"]))
    prop = prop[prop["compound_id"].isin(served)].reset_index(drop=True)
    buildings = store.read(
        "building", where={"compound_id": served}, columns=["compound_id", "households"]
    )
    households = buildings.groupby("compound_id")["households"].sum()
    issues = store.read(
        "issue",
        where={"compound_id": served, "category": sorted(PROPERTY_CATEGORIES)},
        columns=[
            "issue_id",
            "compound_id",
            "category",
            "reported_at",
            "resolved_at",
            "closed_at",
            "deadline",
        ],
    )
    issues["company"] = company_on(tenure, issues["compound_id"], issues["reported_at"])
    where: dict[str, Any] = {"action": list(_DONE_ACTIONS)}
    if street_id and len(issues) <= _MAX_IN:  # a street's events by the issue index
        where["issue_id"] = issues["issue_id"].tolist()
    events = store.read("issue_event", where=where, columns=["issue_id", "action", "at"])
    events = events[events["issue_id"].isin(issues["issue_id"])].reset_index(drop=True)
    companies = store.read("property_company")
    evaluations = store.read(
        "property_evaluation",
        where={"compound_id": ids},
        columns=["compound_id", "company", "period", "score", "respondents"],
    )
    return ScorecardFrames(prop, households, issues, events, companies, evaluations, tenure)


def month_span(month: str, today: dt.date) -> tuple[dt.date, dt.date, bool]:
    """The days a month's scorecard counts: (first, last, to date).

    Parameters
    ----------
    month : str
        ``YYYY-MM``, not after `today`'s month.
    today : datetime.date
        The street's today: the current month counts up to it.

    Returns
    -------
    tuple of (datetime.date, datetime.date, bool)
        The 1st, the last day counted, and whether the month is counted only to date.

    Raises
    ------
    ValidationError
        For a month not written ``YYYY-MM`` or after `today`'s month.

    Examples
    --------
    >>> month_span("2026-11", dt.date(2026, 11, 15))
    (datetime.date(2026, 11, 1), datetime.date(2026, 11, 15), True)
    >>> month_span("2026-02", dt.date(2026, 11, 15))[1:]
    (datetime.date(2026, 2, 28), False)
    """
    if not isinstance(month, str) or not _MONTH.match(month):
        msg = f"a month is written YYYY-MM, not {month!r}"
        raise ValidationError(msg, key="error.scorecard.month", month=str(month))
    start = dt.date(int(month[:4]), int(month[5:7]), 1)
    if start > today:
        msg = f"{month} has not begun (today is {today.isoformat()})"
        raise ValidationError(
            msg, key="error.scorecard.future", month=month, today=today.isoformat()
        )
    end = (pd.Period(month, freq="M").end_time).date()
    return start, min(end, today), today < end


def _day(series: pd.Series) -> pd.Series:
    return series.fillna("").astype(str).str.slice(0, 10)


def _between(series: pd.Series, start: str, end: str) -> pd.Series:
    day = _day(series)
    return (day != "") & (day >= start) & (day <= end)


def _weighted(values: pd.Series, weights: pd.Series) -> float:
    known = values.notna() & weights.notna() & (weights > 0)
    total = float(weights[known].sum())
    return float((values[known] * weights[known]).sum() / total) if total > 0 else math.nan


def _composite(row: dict[str, Any]) -> float:
    parts = {
        "evaluation": row["evaluation_score"],
        "on_time": row["on_time_share"] * 100,
        "satisfaction": row["satisfaction"] * 100,
        "complaints": max(0.0, 100.0 - _COMPLAINT_POINTS * row["issues_per_100_households"]),
        "fees": row["fee_collection_rate"] * 100,
    }
    known = {k: v for k, v in parts.items() if not math.isnan(v)}
    if len(known) < MIN_PARTS:
        return math.nan
    return sum(WEIGHTS[k] * v for k, v in known.items()) / sum(WEIGHTS[k] for k in known)


def _issue_figures(
    issues: pd.DataFrame, events: pd.DataFrame, start: str, end: str
) -> dict[str, float]:
    reported = int(_between(issues["reported_at"], start, end).sum())
    done_day = _day(issues["resolved_at"]).where(
        issues["resolved_at"].notna(), _day(issues["closed_at"])
    )
    resolved = (done_day != "") & (done_day >= start) & (done_day <= end)
    on_time = resolved & issues["deadline"].notna() & (done_day <= _day(issues["deadline"]))
    inside = _between(events["at"], start, end)
    callbacks = int((inside & (events["action"] == "callback")).sum())
    reopened = int((inside & (events["action"] == "reopen")).sum())
    n_resolved = int(resolved.sum())
    return {
        "property_issues": reported,
        "resolved": n_resolved,
        "on_time_share": float(on_time.sum() / n_resolved) if n_resolved else math.nan,
        "callbacks": callbacks,
        "satisfaction": float((callbacks - reopened) / callbacks) if callbacks else math.nan,
    }


def _evaluation(evals: pd.DataFrame, month: str) -> tuple[float, float]:
    """(respondents-weighted score, respondents) of each compound's latest evaluation within
    the window ending with `month`."""
    first = str(pd.Period(month, freq="M") - (EVALUATION_MONTHS - 1))
    window = evals[(evals["period"] >= first) & (evals["period"] <= month)]
    if window.empty:
        return math.nan, math.nan
    latest = window.sort_values("period").groupby("compound_id").tail(1)
    respondents = latest["respondents"].astype(float)
    return _weighted(latest["score"].astype(float), respondents), float(respondents.sum())


def _frames(source: Store | ScorecardFrames, street_id: str | None) -> ScorecardFrames:
    if isinstance(source, ScorecardFrames):
        return source
    return load_scorecard_frames(source, street_id=street_id)


def property_scorecard(
    source: Store | ScorecardFrames,
    month: str,
    today: dt.date,
    *,
    street_id: str | None = None,
) -> pd.DataFrame:
    """The property companies' scorecard of one month, ranked.

    Parameters
    ----------
    source : Store or ScorecardFrames
        The database, or what :func:`load_scorecard_frames` read from it.
    month : str
        ``YYYY-MM``, not after today's month; the current month is counted to date.
    today : datetime.date
        The street's today.
    street_id : str or None
        With a store: this street's companies only.

    Returns
    -------
    pandas.DataFrame
        :data:`COLUMNS`, one row per company, best first (by ``rank``, unranked last, then
        by name); NaN where a figure is unknown.
    """
    frames = _frames(source, street_id)
    start_day, end_day, to_date = month_span(month, today)
    start, end = start_day.isoformat(), end_day.isoformat()
    companies = frames.companies.set_index("company") if len(frames.companies) else None
    serving = served_on(frames.tenure, end)  # compound_id -> company on the last counted day
    prop = frames.prop.set_index("compound_id").reindex(serving.index)
    prop["serving"] = serving.to_numpy()
    # a compound's red property and property branch are of its present company
    prop["own"] = prop["company"].to_numpy() == serving.to_numpy()
    issues_of = dict(tuple(frames.issues.groupby("company", sort=False)))
    no_issues = frames.issues.iloc[:0]
    rows = []
    for company, comps in prop.groupby("serving", sort=True):
        ids = comps.index
        households = frames.households.reindex(ids)
        total = float(households.sum()) if households.notna().any() else math.nan
        mine = issues_of.get(company, no_issues)
        figures = _issue_figures(
            mine, frames.events[frames.events["issue_id"].isin(mine["issue_id"])], start, end
        )
        per_100 = figures["property_issues"] / total * 100 if total > 0 else math.nan
        evals = frames.evaluations[
            (frames.evaluations["company"] == company) & frames.evaluations["compound_id"].isin(ids)
        ]
        score, respondents = _evaluation(evals, month)
        info = (
            companies.loc[company] if companies is not None and company in companies.index else None
        )
        signed = info["agreement_signed_on"] if info is not None else None
        signed = signed if isinstance(signed, str) and signed else None
        own = comps[comps["own"]]
        branch = bool(
            (own["red_property"].fillna(0).astype(int) == 1).any()
            or own["property_branch_id"].notna().any()
            or (info is not None and isinstance(info["branch_id"], str))
        )
        row: dict[str, Any] = {
            "company": company,
            "month": month,
            "to_date": to_date,
            "compounds": len(comps),
            "households": total,
            **figures,
            "issues_per_100_households": per_100,
            "fee_collection_rate": _weighted(
                comps["fee_collection_rate"].astype(float).reset_index(drop=True),
                households.astype(float).reset_index(drop=True),
            ),
            "evaluation_score": score,
            "evaluation_respondents": respondents,
            "party_branch": branch,
            "agreement": signed is not None and signed[:10] <= _month_end(month),
            "agreement_signed_on": signed,
        }
        row["composite_score"] = _composite(row)
        rows.append(row)
    out = pd.DataFrame(rows, columns=list(COLUMNS))
    if out.empty:
        return out
    out["rank"] = out["composite_score"].rank(method="min", ascending=False)
    out = out.sort_values(["rank", "company"], na_position="last", kind="stable")
    return out.reset_index(drop=True)


def _month_end(month: str) -> str:
    return pd.Period(month, freq="M").end_time.date().isoformat()


def scorecard_trend(
    source: Store | ScorecardFrames,
    month: str,
    today: dt.date,
    *,
    months: int = 6,
    street_id: str | None = None,
) -> pd.DataFrame:
    """The scorecard of each of the `months` months up to `month`, stacked (oldest first).

    Parameters
    ----------
    source : Store or ScorecardFrames
        The database, or what :func:`load_scorecard_frames` read from it (read once).
    month : str
        The last month, ``YYYY-MM`` (the current month counts to date).
    today : datetime.date
        The street's today.
    months : int
        How many months, `month` included.
    street_id : str or None
        With a store: this street's companies only.

    Returns
    -------
    pandas.DataFrame
        :data:`COLUMNS` for every company and month, by month then rank.
    """
    frames = _frames(source, street_id)
    month_span(month, today)  # checks the month
    last = pd.Period(month, freq="M")
    cards = [property_scorecard(frames, str(last - k), today) for k in range(months - 1, -1, -1)]
    cards = [c for c in cards if not c.empty]
    if not cards:
        return pd.DataFrame(columns=list(COLUMNS))
    return pd.concat(cards, ignore_index=True)
