"""Early warning (预警): which compounds are getting worse, by which signal, since when and by
how much, judged against each compound's own history.

A compound is flagged in a month for:

``surge``
    more issues than the upper Poisson limit (at ``alpha``) of its own mean over the months
    before (``history_months``, at least ``min_history`` of them), and at least ``min_issues``;
``overdue``
    ``overdue_issues`` or more unresolved issues past their deadline at the month's end;
``score_drop``
    a score ``score_drop`` points or more below its mean of the three months before;
``low_score``
    a score below ``score_floor``.

Each flag carries what to look at as well: no property management or a three-nos compound, no
branch, buildings without a party group. The rules live in the profile's ``[warning]`` table.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

import numpy as np
import pandas as pd
from scipy.stats import poisson

from mapgov.core.model import PropertyMode
from mapgov.domain.health.profile import HealthProfile

__all__ = ["FLAG_KINDS", "Flag", "flags", "flags_table"]

FLAG_KINDS: Final = ("surge", "overdue", "score_drop", "low_score")
"""The kinds of flag, most pressing first."""


@dataclass(frozen=True)
class Flag:
    """One reason a compound is flagged in a month."""

    compound_id: str
    month: str
    kind: str
    value: float
    normal: float | None
    since: str
    look_at: tuple[str, ...] = field(default=())
    """Context keys: ``no_property``, ``three_nos``, ``no_branch``, ``no_party_group:<n>``."""


def _look_at(row: pd.Series) -> tuple[str, ...]:
    out = []
    if row.get("property") == 0.0:
        out.append("three_nos")
    elif row.get("property_mode") == PropertyMode.NONE.value:
        out.append("no_property")
    if row.get("branch") == 0.0:
        out.append("no_branch")
    missing = int(row.get("no_party_group", 0) or 0)
    if missing:
        out.append(f"no_party_group:{missing}")
    return tuple(out)


def _since(series: pd.Series, months: pd.Series) -> pd.Series:
    """For a boolean series over one compound's months (oldest first), the first month of the
    run of True that each True row ends."""
    run_start = months.where(series & ~series.shift(fill_value=False))
    return run_start.ffill().where(series)


def flags(scored: pd.DataFrame, profile: HealthProfile, month: str) -> list[Flag]:
    """The flags of every compound in `month`.

    Parameters
    ----------
    scored : pandas.DataFrame
        :func:`~mapgov.domain.health.profile.score` of
        :func:`~mapgov.domain.health.profile.monthly_signals` over `month` and the months
        before it (``history_months`` more for the surge's normal range).
    profile : HealthProfile
        The rules (``profile.warning``).
    month : str
        ``YYYY-MM``: the month judged.

    Returns
    -------
    list of Flag
        By compound, in the order of :data:`FLAG_KINDS`.
    """
    rules = profile.warning
    out: list[Flag] = []
    for cid, g in scored.sort_values("month").groupby("compound_id", sort=True):
        g = g.reset_index(drop=True)
        months = g["month"]
        counts = g["issues"].astype(float)
        if "ledger" in g:  # months before the ledger starts are no history
            counts = counts.where(g["ledger"].astype(bool))
        mean = counts.shift().rolling(rules.history_months, min_periods=rules.min_history).mean()
        limit = pd.Series(poisson.ppf(1 - rules.alpha, mean.fillna(0)), index=g.index)
        surge = (counts > limit) & (counts >= rules.min_issues) & mean.notna() & counts.notna()
        previous = g["score"].shift().rolling(3, min_periods=3).mean()
        drop = (previous - g["score"]) >= rules.score_drop
        low = g["score"] < rules.score_floor
        overdue = g["overdue_open"] >= rules.overdue_issues
        at = months[months == month].index
        if not len(at):
            continue
        i = at[0]
        row = g.loc[i]
        context = _look_at(row)
        checks = (
            ("surge", surge, counts, limit, _since(surge, months)),
            ("overdue", overdue, g["overdue_open"], None, g["overdue_since"]),
            ("score_drop", drop, g["score"], previous, _since(drop, months)),
            ("low_score", low, g["score"], None, _since(low, months)),
        )
        for kind, hit, value, normal, since in checks:
            if bool(hit.loc[i]):
                base = None if normal is None else float(normal.loc[i])
                first = since.loc[i]
                out.append(
                    Flag(
                        compound_id=str(cid),
                        month=month,
                        kind=kind,
                        value=float(value.loc[i]),
                        normal=base,
                        since=str(first) if isinstance(first, str) else month,
                        look_at=context,
                    )
                )
    return out


def flags_table(found: list[Flag]) -> pd.DataFrame:
    """The flags as a table.

    Parameters
    ----------
    found : list of Flag
        From :func:`flags`.

    Returns
    -------
    pandas.DataFrame
        compound_id, month, kind, value, normal, since, look_at (joined by ``;``), one row per
        flag.
    """
    columns = ["compound_id", "month", "kind", "value", "normal", "since", "look_at"]
    rows = [
        {
            "compound_id": f.compound_id,
            "month": f.month,
            "kind": f.kind,
            "value": f.value,
            "normal": np.nan if f.normal is None else f.normal,
            "since": f.since,
            "look_at": ";".join(f.look_at),
        }
        for f in found
    ]
    return pd.DataFrame(rows, columns=columns)
