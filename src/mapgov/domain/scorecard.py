"""Property companies' scorecards (物业企业评价): Zhengzhou Huiji's rating of the companies
that manage compounds, one row per company and month, and the residents' periodic evaluation
(党员居民定期评议) that feeds it.

A company is the name in ``property_management.company`` of the compounds whose mode is
``company``; ``property_company`` adds its co-building agreement (共建协议) and party branch.
The store keeps no history of which company served a compound: every month counts the
compounds a company serves now (their issues, households and fee collection rate).

The figures of a month (the 1st to its last day; a month under way is counted **to date**,
the 1st to today, and says so in ``to_date``):

- **compounds** and **households** (the sum of the compounds' buildings' households);
- **property issues per 100 households**: issues of :data:`PROPERTY_CATEGORIES` reported in
  the month in the company's compounds, per 100 households (unknown without households);
- **on-time share**: the issue page's and wall's on-time rate (:mod:`mapgov.domain.kpi`) over
  the company's property issues: of those resolved in the month (``resolved_at``, else
  ``closed_at``, within the month), the share resolved on or before their deadline (one
  without a deadline is not on time); unknown when none was resolved;
- **satisfaction**: as :mod:`mapgov.domain.kpi` reads it, of the callbacks (回访) made in the
  month on those issues, the share not followed by a reopening (rated satisfied or basically
  satisfied); unknown without callbacks;
- **fee collection rate**: the households-weighted mean of the compounds' known
  ``fee_collection_rate`` (a present state: the same in every month);
- **evaluation score**: residents' evaluations are periodic (quarterly), so a month reads each
  compound's latest evaluation of this company in the :data:`EVALUATION_MONTHS` months up to
  it, and takes their mean weighted by respondents; unknown when no compound has one;
- **party branch**: a compound of the company is red property or names a property branch, or
  ``property_company.branch_id`` is set (a present state);
- **agreement**: ``property_company.agreement_signed_on`` on or before the month's last day.

**Composite score** (综合评分, 0-100): the weighted mean of the known parts of
:data:`WEIGHTS` (evaluation 30, on-time 20, satisfaction 20, complaints 20, fees 10), each on
0-100: the evaluation score itself, the shares times 100, and for complaints 100 less 20
points per property issue per 100 households (not below 0: five or more score 0). A company
with fewer than :data:`MIN_PARTS` known parts gets no score. **Rank** 1 is the highest score
(ties share a rank); unscored companies have no rank and come last. The party branch and the
agreement are shown beside the score, not counted in it.

Unknown stays unknown (NaN), never 0.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import pandas as pd

from mapgov.core.errors import PermissionDeniedError, StaleEditError, ValidationError
from mapgov.core.model import IssueCategory, PartyLevel, PropertyMode, Role
from mapgov.domain.locating import street_compounds
from mapgov.domain.places import community_of_compound
from mapgov.domain.users import User, can_edit
from mapgov.store import Store

__all__ = [
    "COLUMNS",
    "EVALUATION_MONTHS",
    "MIN_PARTS",
    "PROPERTY_CATEGORIES",
    "WEIGHTS",
    "ScorecardFrames",
    "company_record",
    "company_version",
    "evaluable_compounds",
    "load_scorecard_frames",
    "month_span",
    "property_scorecard",
    "record_evaluation",
    "scorecard_trend",
    "set_property_company",
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
    """What a scorecard reads: property rows, buildings, the property issues and their
    callbacks and reopenings, the companies and the evaluations."""

    prop: pd.DataFrame
    """``property_management`` of mode company: compound_id, company, red_property,
    property_branch_id, fee_collection_rate."""
    households: pd.Series
    """Households by compound_id."""
    issues: pd.DataFrame
    """Property issues: issue_id, compound_id, category, reported_at, resolved_at, closed_at,
    deadline."""
    events: pd.DataFrame
    """Their callbacks and reopenings: issue_id, action, at."""
    companies: pd.DataFrame
    """``property_company``: company, agreement_signed_on, branch_id, version."""
    evaluations: pd.DataFrame
    """``property_evaluation``: compound_id, company, period, score, respondents."""


def load_scorecard_frames(store: Store, *, street_id: str | None = None) -> ScorecardFrames:
    """Read what :func:`property_scorecard` needs, for one street (every street without one).

    Parameters
    ----------
    store : Store
        The database to read.
    street_id : str or None
        Keep this street's compounds only.

    Returns
    -------
    ScorecardFrames
        The frames, the issues limited to :data:`PROPERTY_CATEGORIES`.
    """
    comps = street_compounds(store, ["compound_id", "grid_id"], street_id=street_id)
    ids = list(comps["compound_id"])
    prop = store.read(
        "property_management",
        where={"compound_id": ids, "mode": PropertyMode.COMPANY.value},
        columns=[
            "compound_id",
            "company",
            "red_property",
            "property_branch_id",
            "fee_collection_rate",
        ],
    )
    prop = prop[prop["company"].notna() & (prop["company"].astype(str).str.strip() != "")]
    served = list(prop["compound_id"])
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
    return ScorecardFrames(prop, households, issues, events, companies, evaluations)


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
    rows = []
    for company, comps in frames.prop.groupby("company", sort=True):
        ids = comps["compound_id"]
        households = frames.households.reindex(ids)
        total = float(households.sum()) if households.notna().any() else math.nan
        mine = frames.issues[frames.issues["compound_id"].isin(ids)]
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
        branch = bool(
            (comps["red_property"].fillna(0).astype(int) == 1).any()
            or comps["property_branch_id"].notna().any()
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


# -- recording ----------------------------------------------------------------------------------
def evaluable_compounds(store: Store, user: User, street_id: str) -> pd.DataFrame:
    """The compounds of a street whose company `user` may record an evaluation of.

    Parameters
    ----------
    store : Store
        The database.
    user : User
        Staff (their community's compounds) or an admin (the street's).
    street_id : str
        The street.

    Returns
    -------
    pandas.DataFrame
        [compound_id, name, community_id, company], by name; empty for other roles.
    """
    comps = street_compounds(store, ["compound_id", "grid_id", "name"], street_id=street_id)
    allowed = {c for c in comps["community_id"].unique() if can_edit(user, c, store)}
    comps = comps[comps["community_id"].isin(allowed)]
    prop = store.read(
        "property_management",
        where={"compound_id": list(comps["compound_id"]), "mode": PropertyMode.COMPANY.value},
        columns=["compound_id", "company"],
    )
    prop = prop[prop["company"].notna()]
    out = comps.merge(prop, on="compound_id")[["compound_id", "name", "community_id", "company"]]
    return out.sort_values(["name", "compound_id"]).reset_index(drop=True)


def _current_company(store: Store, compound_id: str) -> str:
    prop = store.read("property_management", where={"compound_id": compound_id})
    company = prop["company"].iloc[0] if len(prop) else None
    if (
        prop.empty
        or prop["mode"].iloc[0] != PropertyMode.COMPANY.value
        or not isinstance(company, str)
        or not company.strip()
    ):
        msg = f"compound {compound_id} has no property company to evaluate"
        raise ValidationError(msg, key="error.scorecard.no_company", compound=compound_id)
    return company


def record_evaluation(  # noqa: PLR0917 (one evaluation: who, where, when, what)
    store: Store,
    user: User,
    compound_id: str,
    period: str,
    score: float,
    respondents: int,
    now: dt.datetime,
) -> int:
    """Record the residents' evaluation of a compound's property company for a period.

    One evaluation per compound, company and period: a second is refused (it names the one
    recorded), never replaces it. All or nothing; every field goes to ``change_log``.

    Parameters
    ----------
    store : Store
        The database to write.
    user : User
        Staff of the compound's community, or an admin of its street.
    compound_id : str
        The compound whose residents evaluated.
    period : str
        ``YYYY-MM``, not after `now`'s month.
    score : float
        The mean score, 0 to 100.
    respondents : int
        How many residents answered, at least 1.
    now : datetime.datetime
        When it is recorded (the street's now).

    Returns
    -------
    int
        The number of fields written to ``change_log``.

    Raises
    ------
    PermissionDeniedError
        If `user` may not edit the compound's community.
    ValidationError
        For a bad score, respondents or period, or a compound without a property company.
    StaleEditError
        If the compound has an evaluation of this company for `period` already.
    """
    community = community_of_compound(store, compound_id)
    if not can_edit(user, community, store):
        msg = (
            f"{user.name} ({user.role.value}) may not record evaluations in community "
            f"{community}: only its staff and its street's admins may"
        )
        raise PermissionDeniedError(msg, key="error.edit.denied", user=user.name, role=user.role)
    try:
        value = float(score)
    except (TypeError, ValueError):
        value = math.nan
    if not 0 <= value <= 100:  # NaN fails too
        msg = f"a score is between 0 and 100, not {score!r}"
        raise ValidationError(msg, key="error.scorecard.score", score=str(score))
    if (
        isinstance(respondents, bool)
        or not isinstance(respondents, (int, np.integer))
        or respondents < 1
    ):
        msg = f"respondents must be a whole number of at least 1, not {respondents!r}"
        raise ValidationError(msg, key="error.scorecard.respondents", n=str(respondents))
    month_span(period, now.date())
    company = _current_company(store, compound_id)
    key = {"compound_id": compound_id, "company": company, "period": period}
    if not store.read("property_evaluation", where=key).empty:
        msg = f"{compound_id} has an evaluation of {company} for {period} already"
        raise StaleEditError(
            msg,
            key="error.scorecard.duplicate",
            compound=compound_id,
            company=company,
            period=period,
        )
    values = {
        "score": value,
        "respondents": int(respondents),
        "recorded_by": user.name,
        "recorded_at": now.replace(microsecond=0).isoformat(),
    }
    return store.edit(
        [("insert", "property_evaluation", key, values)],
        actor=user.name,
        at=now.replace(microsecond=0).isoformat(),
    )


def company_record(store: Store, company: str) -> dict[str, Any]:
    """What the company form shows: the row's version (0: none yet), agreement date and
    branch, and the property branches to choose from.

    Parameters
    ----------
    store : Store
        The database.
    company : str
        The company's name.

    Returns
    -------
    dict
        ``version`` (int), ``agreement_signed_on`` (datetime.date or None), ``branch_id``
        (str or None) and ``branches`` (org_id -> name of every property branch).
    """
    row = store.read("property_company", where={"company": company})
    signed = row["agreement_signed_on"].iloc[0] if len(row) else None
    branch = row["branch_id"].iloc[0] if len(row) else None
    orgs = store.read(
        "party_org",
        where={"level": PartyLevel.PROPERTY_BRANCH.value},
        columns=["org_id", "name"],
    )
    return {
        "version": int(row["version"].iloc[0]) if len(row) else 0,
        "agreement_signed_on": dt.date.fromisoformat(signed[:10])
        if isinstance(signed, str) and signed
        else None,
        "branch_id": branch if isinstance(branch, str) else None,
        "branches": dict(zip(orgs["org_id"], orgs["name"], strict=True)),
    }


def company_version(store: Store, company: str) -> int:
    """The version of a company's ``property_company`` row (0: none yet), for the edit form.

    Parameters
    ----------
    store : Store
        The database.
    company : str
        The company's name.

    Returns
    -------
    int
        Its version, 0 when it has no row.
    """
    row = store.read("property_company", where={"company": company}, columns=["version"])
    return int(row["version"].iloc[0]) if len(row) else 0


def set_property_company(
    store: Store,
    user: User,
    company: str,
    *,
    version: int,
    agreement_signed_on: dt.date | None,
    branch_id: str | None,
    at: dt.datetime,
) -> int:
    """Set a company's co-building agreement date and party branch (an admin's edit).

    Parameters
    ----------
    store : Store
        The database to write.
    user : User
        An admin (of any street: a company may serve several).
    company : str
        A company that manages at least one compound.
    version : int
        The row's version when the form was drawn (:func:`company_version`; 0: no row).
    agreement_signed_on : datetime.date or None
        When the agreement was signed (None: none), not after `at`.
    branch_id : str or None
        The company's party branch (a ``party_org`` id), or None.
    at : datetime.datetime
        When the change is made.

    Returns
    -------
    int
        The number of fields changed.

    Raises
    ------
    PermissionDeniedError
        If `user` is no admin.
    ValidationError
        For an unknown company or branch, or a date after `at`.
    StaleEditError
        If the row changed since `version`.
    """
    if user.role != Role.ADMIN:
        msg = f"{user.name} ({user.role.value}) may not edit property companies: admins only"
        raise PermissionDeniedError(msg, key="error.edit.denied", user=user.name, role=user.role)
    company = (company or "").strip()
    served = store.read("property_management", where={"company": company}, columns=["mode"])
    if served.empty:
        msg = f"no compound is managed by {company!r}"
        raise ValidationError(msg, key="error.scorecard.unknown_company", company=company)
    if agreement_signed_on is not None and agreement_signed_on > at.date():
        msg = f"an agreement cannot be signed after today ({agreement_signed_on})"
        raise ValidationError(
            msg, key="error.scorecard.agreement_future", day=str(agreement_signed_on)
        )
    branch_id = (branch_id or "").strip() or None
    if branch_id and store.read("party_org", where={"org_id": branch_id}).empty:
        msg = f"no party organisation {branch_id!r}"
        raise ValidationError(msg, key="error.scorecard.unknown_branch", branch=branch_id)
    values = {
        "agreement_signed_on": None
        if agreement_signed_on is None
        else agreement_signed_on.isoformat(),
        "branch_id": branch_id,
    }
    stamp = at.replace(microsecond=0).isoformat()
    key = {"company": company}
    if version == 0:
        return store.edit([("insert", "property_company", key, values)], actor=user.name, at=stamp)
    return store.edit(
        [("update", "property_company", key, values)],
        actor=user.name,
        at=stamp,
        expect=[("property_company", key, version)],
    )
