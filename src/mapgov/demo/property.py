"""The demo's property companies (物业企业评价): each company's co-building agreement and party
branch (``property_company``) and the residents' quarterly evaluations of the company serving
each compound (``property_evaluation``).

About half the companies (the red-property ones first) signed a co-building agreement with
the street (Zhengzhou's Huiji district signed with 26 companies); the red-property companies
keep the branch their compounds name. Each compound with a company is evaluated at the end of
every quarter (March, June, September, December) of the two years up to `as_of`: a company has
its own level (65 to 90), a red-property company a few points more, each compound a little
spread around it (scores 60 to 95, 20 to 120 respondents). Nothing is dated after `as_of`; the
same seed gives the same rows.

Which company served each compound when (``property_tenure``): every company has served its
compounds since before the records, but for :data:`SWITCHES` compounds, each taken over from
another of the demo's companies in the months before `as_of` (:data:`SWITCHED_MONTHS_AGO`), so
the scorecard's trend shows a change of company: the months before it count the compound, its
issues and its residents' evaluations for the company that served it then.
"""

from __future__ import annotations

import datetime as dt
from typing import Final

import numpy as np
import pandas as pd

from mapgov.store.schema_governance import UNKNOWN_START

__all__ = ["SWITCHED_MONTHS_AGO", "SWITCHES", "property_tables"]

_STREAM: Final = 21
"""The demo's random stream of this module (``default_rng([seed, 21])``)."""
_QUARTER_ENDS: Final = (3, 6, 9, 12)
_MONTHS: Final = 24
_RECORDED_DAY: Final = 25
"""The day of the quarter's last month the evaluation is recorded on."""
SWITCHES: Final = 2
"""How many compounds changed company in the demo's last months."""
SWITCHED_MONTHS_AGO: Final = ((4, 1), (2, 16))
"""When each switch took effect: (months before `as_of`'s month, day of that month)."""


def _switches(served: pd.DataFrame, as_of: dt.date) -> dict[str, tuple[str, dt.date]]:
    """compound_id -> (the company that served it before, the day the present one took over):
    the last compound of each of the first companies serving two or more, taken over from the
    next company in name order."""
    companies = sorted(served["company"].unique())
    counts = served["company"].value_counts()
    out: dict[str, tuple[str, dt.date]] = {}
    for company in companies:
        if len(out) == SWITCHES or len(companies) < 2:
            break
        if counts[company] < 2:
            continue
        compound = str(served.loc[served["company"] == company, "compound_id"].max())
        former = companies[(companies.index(company) + 1) % len(companies)]
        back, day = SWITCHED_MONTHS_AGO[len(out)]
        month = pd.Period(as_of, freq="M") - back
        out[compound] = (former, dt.date(month.year, month.month, day))
    return out


def _quarters(as_of: dt.date) -> list[str]:
    """The quarters' last months (``YYYY-MM``) of the `_MONTHS` months up to `as_of`, whose
    recording day is not after it."""
    end = pd.Period(as_of, freq="M")
    out = []
    for k in range(_MONTHS - 1, -1, -1):
        month = end - k
        recorded = dt.date(month.year, month.month, _RECORDED_DAY)
        if month.month in _QUARTER_ENDS and recorded <= as_of:
            out.append(str(month))
    return out


def property_tables(prop: pd.DataFrame, seed: int, as_of: dt.date) -> dict[str, pd.DataFrame]:
    """``property_company``, ``property_evaluation`` and ``property_tenure`` for the demo's
    property rows.

    Parameters
    ----------
    prop : pandas.DataFrame
        The demo's ``property_management`` rows (compound_id, mode, company, red_property,
        property_branch_id).
    seed : int
        The demo's seed.
    as_of : datetime.date
        The demo's last day.

    Returns
    -------
    dict of str to pandas.DataFrame
        The three tables by name.
    """
    rng = np.random.default_rng([seed, _STREAM])
    served = prop[(prop["mode"] == "company") & prop["company"].notna()]
    served = served.sort_values("compound_id")
    companies = sorted(served["company"].unique())
    red = set(served.loc[served["red_property"] == 1, "company"])
    branch = (
        served.dropna(subset=["property_branch_id"])
        .sort_values("compound_id")
        .groupby("company")["property_branch_id"]
        .first()
    )
    others = [c for c in companies if c not in red]
    rng.shuffle(others)
    signing = red | set(others[: max(0, (len(companies) + 1) // 2 - len(red))])
    company_rows = []
    level = {}
    for company in companies:
        signed = company in signing
        days = int(rng.integers(60, 700))
        company_rows.append(
            {
                "company": company,
                "agreement_signed_on": (as_of - dt.timedelta(days=days)).isoformat()
                if signed
                else None,
                "branch_id": branch.get(company),
                "version": 1,
            }
        )
        level[company] = float(rng.uniform(65, 90)) + (4.0 if company in red else 0.0)
    switches = _switches(served, as_of)
    evaluations = []
    for period in _quarters(as_of):
        stamp = f"{period}-{_RECORDED_DAY:02d}T16:00:00"
        for row in served.itertuples(index=False):
            company = row.company
            if row.compound_id in switches:  # evaluated before the switch: the former one
                former, day = switches[row.compound_id]
                company = former if stamp[:10] < day.isoformat() else company
            score = float(np.clip(level[company] + rng.normal(0, 4), 60, 95))
            evaluations.append(
                {
                    "compound_id": row.compound_id,
                    "company": company,
                    "period": period,
                    "score": round(score, 1),
                    "respondents": int(rng.integers(20, 121)),
                    "recorded_by": "demo",
                    "recorded_at": stamp,
                }
            )
    evals = pd.DataFrame(
        evaluations,
        columns=[
            "compound_id",
            "company",
            "period",
            "score",
            "respondents",
            "recorded_by",
            "recorded_at",
        ],
    )
    evals.insert(0, "evaluation_id", np.arange(1, len(evals) + 1))
    tenure: list[tuple[str, str, str, str | None]] = []
    for row in served.itertuples(index=False):
        if row.compound_id in switches:
            former, day = switches[row.compound_id]
            tenure.append((row.compound_id, former, UNKNOWN_START, day.isoformat()))
            tenure.append((row.compound_id, row.company, day.isoformat(), None))
        else:
            tenure.append((row.compound_id, row.company, UNKNOWN_START, None))
    return {
        "property_tenure": pd.DataFrame(
            tenure, columns=["compound_id", "company", "started_on", "ended_on"]
        ),
        "property_company": pd.DataFrame(
            company_rows, columns=["company", "agreement_signed_on", "branch_id", "version"]
        ),
        "property_evaluation": evals,
    }
