"""Which property company served a compound when (``property_tenure``, schema 8).

A tenure is a company's period at a compound: from ``started_on``, the first day it served, to
``ended_on``, the first day it no longer served (NULL while it serves: the open tenure). A
change of company on day D closes the old tenure with ``ended_on`` D and opens the new one
with ``started_on`` D, so every day has at most one company. A start not known (a tenure
seeded by the migration to schema 8 or by an import of ``property_management``) is
:data:`UNKNOWN_START`, which is before every real day: the company counts as serving the
compound in every earlier month. Only the company modes have tenures: a compound managed by
its owners, a committee or nobody has no open tenure.

``property_management`` says who serves now; the property form (:func:`mapgov.domain.
party_edits.set_property`) and the imports that replace ``property_management`` write the
tenures in the same transaction, so the open tenure names the company ``property_management``
names. A compound of mode company without any tenure row (a database written by hand) counts
as served by its present company since before the records (:func:`with_present`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Final

import numpy as np
import pandas as pd

from mapgov.core.errors import ValidationError
from mapgov.core.model import PropertyMode
from mapgov.store.schema_governance import UNKNOWN_START

__all__ = [
    "TENURE_COLUMNS",
    "UNKNOWN_START",
    "company_on",
    "compound_edits",
    "present_company",
    "served_on",
    "tenure_after",
    "tenure_edits",
    "with_present",
]

TENURE_COLUMNS: Final = ("compound_id", "company", "started_on", "ended_on")
"""The columns of ``property_tenure``."""

Op = tuple[str, str, dict[str, Any], dict[str, Any]]


def present_company(mode: Any, company: Any) -> str | None:
    """The company serving a compound as ``property_management`` has it, or None.

    Parameters
    ----------
    mode : object
        ``property_management.mode``.
    company : object
        ``property_management.company``.

    Returns
    -------
    str or None
        `company` when the mode is company and it names one, else None.
    """
    if mode != PropertyMode.COMPANY.value or not isinstance(company, str) or not company.strip():
        return None
    return company


def _present(prop: pd.DataFrame) -> pd.Series:
    """compound_id -> the company serving it now (only the compounds a company serves)."""
    company = prop["company"].where(prop["company"].map(lambda c: isinstance(c, str)))
    served = (prop["mode"] == PropertyMode.COMPANY.value) & (
        company.fillna("").astype(str).str.strip() != ""
    )
    return pd.Series(company[served].to_numpy(), index=prop.loc[served, "compound_id"].to_numpy())


def with_present(tenure: pd.DataFrame, prop: pd.DataFrame) -> pd.DataFrame:
    """`tenure` and, for each compound a company serves in `prop` that has no tenure at all,
    an open tenure of that company from :data:`UNKNOWN_START`.

    Parameters
    ----------
    tenure : pandas.DataFrame
        ``property_tenure`` rows (:data:`TENURE_COLUMNS`).
    prop : pandas.DataFrame
        ``property_management`` rows (compound_id, mode, company).

    Returns
    -------
    pandas.DataFrame
        :data:`TENURE_COLUMNS`, the rows of `tenure` first.
    """
    present = _present(prop)
    missing = present[~present.index.isin(tenure["compound_id"])]
    if missing.empty:
        return tenure.reset_index(drop=True)[list(TENURE_COLUMNS)]
    added = pd.DataFrame(
        {
            "compound_id": missing.index.to_numpy(dtype=object),
            "company": missing.to_numpy(dtype=object),
            "started_on": UNKNOWN_START,
            "ended_on": None,
        },
        columns=list(TENURE_COLUMNS),
    )
    frames = [f for f in (tenure[list(TENURE_COLUMNS)], added) if not f.empty]
    return pd.concat(frames, ignore_index=True)


def _serving(tenure: pd.DataFrame, day: pd.Series) -> pd.Series:
    """Whether each tenure row served on the day beside it."""
    ended = tenure["ended_on"]
    return (
        (day != "")
        & (tenure["started_on"] <= day)
        & (ended.isna() | (day < ended.fillna("").astype(str)))
    )


def served_on(tenure: pd.DataFrame, day: str) -> pd.Series:
    """The company serving each compound on `day`.

    Parameters
    ----------
    tenure : pandas.DataFrame
        ``property_tenure`` rows (:data:`TENURE_COLUMNS`).
    day : str
        ``YYYY-MM-DD``.

    Returns
    -------
    pandas.Series
        company by compound_id, for the compounds a company served that day.
    """
    days = pd.Series(day, index=tenure.index, dtype=object)
    on = tenure[_serving(tenure, days)]
    return pd.Series(on["company"].to_numpy(), index=on["compound_id"].to_numpy(), dtype=object)


def company_on(tenure: pd.DataFrame, compound_id: pd.Series, day: pd.Series) -> pd.Series:
    """The company serving each compound on the day beside it (an issue's reported day).

    Parameters
    ----------
    tenure : pandas.DataFrame
        ``property_tenure`` rows (:data:`TENURE_COLUMNS`).
    compound_id : pandas.Series
        The compounds.
    day : pandas.Series
        ``YYYY-MM-DD`` (or longer ISO text: its first ten characters count), aligned with
        `compound_id`; empty or missing: no company.

    Returns
    -------
    pandas.Series
        The company, aligned with `compound_id` (None where no company served that day).
    """
    out = pd.Series(None, index=compound_id.index, dtype=object)
    if compound_id.empty or tenure.empty:
        return out
    asked = pd.DataFrame(
        {
            "compound_id": compound_id.to_numpy(),
            "day": day.fillna("").astype(str).str.slice(0, 10).to_numpy(),
            "at": np.arange(len(compound_id)),
        }
    )
    both = asked.merge(tenure[list(TENURE_COLUMNS)], on="compound_id")
    hit = both[_serving(both, both["day"])].drop_duplicates("at")
    values = out.to_numpy(copy=True)
    values[hit["at"].to_numpy()] = hit["company"].to_numpy()
    return pd.Series(values, index=compound_id.index, dtype=object)


def tenure_edits(
    tenure: pd.DataFrame, compound_id: str, company: str | None, day: dt.date
) -> list[Op]:
    """What a change of a compound's company on `day` writes to ``property_tenure``.

    The open tenure of another company (if any) ends on `day` and `company`'s opens on it; the
    same company changes nothing. A change on the very day the open tenure began corrects it
    (the company replaced, or the tenure removed when no company follows).

    Parameters
    ----------
    tenure : pandas.DataFrame
        The compound's ``property_tenure`` rows (:data:`TENURE_COLUMNS`).
    compound_id : str
        The compound.
    company : str or None
        The company serving from `day` (None: none, e.g. the owners manage it now).
    day : datetime.date
        The day the change takes effect (the caller checks it is not in the future).

    Returns
    -------
    list of tuple
        ``(op, "property_tenure", key, values)`` edits for :meth:`mapgov.store.Store.edit`.

    Raises
    ------
    ValidationError
        If `day` is before the open tenure's start, or before the end of a closed one (key
        ``error.edit.tenure_before``).
    """
    rows = tenure[tenure["compound_id"] == compound_id]
    open_rows = rows[rows["ended_on"].isna()]
    current = open_rows.iloc[0] if len(open_rows) else None
    if (current["company"] if current is not None else None) == company:
        return []
    text = day.isoformat()
    bounds = [str(e) for e in rows["ended_on"].dropna()]
    if current is not None:
        bounds.append(str(current["started_on"]))
    latest = max(bounds, default=UNKNOWN_START)
    if text < latest:
        msg = (
            f"the change of company of {compound_id} cannot take effect on {text}: the records "
            f"already run to {latest}"
        )
        raise ValidationError(
            msg, key="error.edit.tenure_before", day=text, start=latest, compound=compound_id
        )
    table = "property_tenure"
    ops: list[Op] = []
    if current is not None:
        key = {"compound_id": compound_id, "started_on": str(current["started_on"])}
        if current["started_on"] == text and company is not None:
            return [("update", table, key, {"company": company})]
        if current["started_on"] == text:
            ops.append(("delete", table, key, {}))
        else:
            ops.append(("update", table, key, {"ended_on": text}))
    if company is not None:
        key = {"compound_id": compound_id, "started_on": text}
        ops.append(("insert", table, key, {"company": company, "ended_on": None}))
    return ops


def compound_edits(
    stored: pd.DataFrame, prop: pd.DataFrame, compound_id: str, company: str | None, day: dt.date
) -> list[Op]:
    """:func:`tenure_edits` of a compound as the store holds it: a present company without a
    stored tenure (:func:`with_present`) is written first, from :data:`UNKNOWN_START`, when
    the change closes it.

    Parameters
    ----------
    stored : pandas.DataFrame
        The compound's ``property_tenure`` rows in the store.
    prop : pandas.DataFrame
        Its ``property_management`` row (none for a compound without one).
    compound_id : str
        The compound.
    company : str or None
        The company serving from `day` (None: none).
    day : datetime.date
        The day the change takes effect.

    Returns
    -------
    list of tuple
        The edits, in order, for :meth:`mapgov.store.Store.edit`.

    Raises
    ------
    ValidationError
        As :func:`tenure_edits`.
    """
    tenure = with_present(stored, prop)
    ops = tenure_edits(tenure, compound_id, company, day)
    if not ops:
        return ops
    implied = [
        (
            "insert",
            "property_tenure",
            {"compound_id": r.compound_id, "started_on": r.started_on},
            {"company": r.company, "ended_on": None},
        )
        for r in tenure.iloc[len(stored) :].itertuples(index=False)
    ]
    return [*implied, *ops]


def _apply(tenure: pd.DataFrame, ops: list[Op]) -> pd.DataFrame:
    """`tenure` with `ops` (of :func:`tenure_edits`) applied."""
    frame = tenure.copy()
    for op, _, key, values in ops:
        at = (frame["compound_id"] == key["compound_id"]) & (
            frame["started_on"] == key["started_on"]
        )
        if op == "update":
            for column, value in values.items():
                frame.loc[at, column] = value
        elif op == "delete":
            frame = frame[~at]
        else:
            row = pd.DataFrame([{**key, **values}], columns=list(TENURE_COLUMNS))
            frame = pd.concat([f for f in (frame, row) if not f.empty], ignore_index=True)
    return frame.reset_index(drop=True)


def tenure_after(
    tenure: pd.DataFrame, before: pd.DataFrame, after: pd.DataFrame, day: dt.date
) -> pd.DataFrame:
    """``property_tenure`` once ``property_management`` goes from `before` to `after` on `day`
    (an import that replaces it).

    A compound whose company changed gets the change on `day` (:func:`tenure_edits`); the
    tenures of the others are kept as they are. A compound served in `after` with no tenure
    yet (it had none, or is new) starts its company's tenure on `day` when it had a company
    before, from :data:`UNKNOWN_START` when it is new to the records.

    Parameters
    ----------
    tenure : pandas.DataFrame
        ``property_tenure`` now.
    before : pandas.DataFrame
        ``property_management`` now (compound_id, mode, company).
    after : pandas.DataFrame
        The rows that replace it.
    day : datetime.date
        The day of the import.

    Returns
    -------
    pandas.DataFrame
        The new ``property_tenure`` rows (:data:`TENURE_COLUMNS`).

    Raises
    ------
    ValidationError
        If a change would take effect before a recorded tenure's start (see
        :func:`tenure_edits`).
    """
    frame = with_present(tenure, before)
    new = _present(after)
    open_now = frame[frame["ended_on"].isna()].set_index("compound_id")["company"]
    known = set(before["compound_id"])
    rows_of = dict(tuple(frame.groupby("compound_id", sort=False)))  # each compound's own rows
    none = frame.iloc[:0]
    changed: dict[str, pd.DataFrame] = {}
    for cid in sorted(set(new.index) | set(open_now.index)):
        company = new.get(cid)
        if open_now.get(cid) == company:
            continue
        rows = rows_of.get(cid, none)
        start = day
        if company is not None and rows.empty and cid not in known:
            start = dt.date.fromisoformat(UNKNOWN_START)  # new to the records
        changed[cid] = _apply(rows, tenure_edits(rows, cid, company, start))
    kept = frame[~frame["compound_id"].isin(changed)]
    parts = [f for f in (kept, *changed.values()) if not f.empty]
    out = pd.concat(parts, ignore_index=True) if parts else frame
    return out[list(TENURE_COLUMNS)].reset_index(drop=True)
