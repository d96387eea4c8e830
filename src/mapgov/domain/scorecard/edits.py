"""Recording what the scorecard reads: residents' periodic evaluations (staff of the
compound's community, admins) and a company's co-building agreement and branch (admins).

Every save is all or nothing and writes each field to ``change_log``. A second evaluation of
a compound's company for the same period is refused (it names the one recorded), never
replaces it; the company form sends back the row's version and is refused when it is stale.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import numpy as np
import pandas as pd

from mapgov.core.errors import PermissionDeniedError, StaleEditError, ValidationError
from mapgov.core.model import PartyLevel, PropertyMode, Role
from mapgov.domain.locating import street_compounds
from mapgov.domain.places import community_of_compound
from mapgov.domain.scorecard.figures import month_span
from mapgov.domain.users import User, can_edit
from mapgov.store import Store

__all__ = [
    "company_record",
    "company_version",
    "evaluable_compounds",
    "record_evaluation",
    "set_property_company",
]


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
        As for :func:`company_record`.
    company : str
        As for :func:`company_record`.

    Returns
    -------
    int
        Its version, 0 when it has no row.
    """
    return int(company_record(store, company)["version"])


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
