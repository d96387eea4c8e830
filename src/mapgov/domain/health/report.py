"""One month's health of a street's compounds: scores, a year of them, and the flags."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import pandas as pd

from mapgov.core.errors import ValidationError
from mapgov.domain.health.profile import (
    HealthFrames,
    HealthProfile,
    load_profile,
    month_spans,
    monthly_signals,
    score,
)
from mapgov.domain.health.warning import Flag, flags

__all__ = ["HealthReport", "compound_health", "month_end"]

_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def month_end(month: str | None, today: dt.date) -> dt.date:
    """The last day judged for `month` (``YYYY-MM``): its last day, or `today` in today's
    month; None is today's month.

    Parameters
    ----------
    month : str or None
        The month asked for.
    today : datetime.date
        Today: a later month is refused.

    Returns
    -------
    datetime.date
        The month's last day judged.

    Raises
    ------
    ValidationError
        For a month not written ``YYYY-MM`` or after today's (key ``error.health.month``).

    Examples
    --------
    >>> str(month_end("2026-02", dt.date(2026, 11, 15)))
    '2026-02-28'
    >>> str(month_end(None, dt.date(2026, 11, 15)))
    '2026-11-15'
    """
    if month is None:
        return today
    m = _MONTH.match(month.strip())
    if not m:
        msg = f"month {month!r}: write it YYYY-MM, e.g. {today:%Y-%m}"
        raise ValidationError(msg, key="error.health.month", month=month, example=f"{today:%Y-%m}")
    first = dt.date(int(m[1]), int(m[2]), 1)
    if first > today:
        msg = f"month {month!r} has not begun (today is {today})"
        raise ValidationError(msg, key="error.health.month", month=month, example=f"{today:%Y-%m}")
    last = (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    return min(last, today)


@dataclass(frozen=True)
class HealthReport:
    """The health of a street's compounds in one month."""

    month: str
    scored: pd.DataFrame
    """Every compound's signals, points, score and confidence for each month shown, the
    judged month last (``months`` of them)."""
    flags: list[Flag]
    profile: HealthProfile

    def latest(self) -> pd.DataFrame:
        """The judged month's rows.

        Returns
        -------
        pandas.DataFrame
            One row per compound, indexed by compound_id.
        """
        return self.scored[self.scored["month"] == self.month].set_index("compound_id")

    def trend(self, column: str = "score") -> pd.DataFrame:
        """A column of every month shown.

        Parameters
        ----------
        column : str
            A column of :attr:`scored`.

        Returns
        -------
        pandas.DataFrame
            `column` by compound (rows) and month (columns, oldest first).
        """
        return self.scored.pivot(index="compound_id", columns="month", values=column)


def compound_health(
    frames: HealthFrames,
    today: dt.date,
    *,
    month: str | None = None,
    months: int = 12,
    profile: HealthProfile | None = None,
) -> HealthReport:
    """Score every compound for `month` and the months before it, and flag them.

    Parameters
    ----------
    frames : HealthFrames
        The street's frames (:func:`~mapgov.domain.health.load.load_health_frames`).
    today : datetime.date
        Today: `month` may not be later; today's month is judged up to today.
    month : str or None
        ``YYYY-MM``; None: today's month.
    months : int
        How many months the report keeps for the trend (the judged one last).
    profile : HealthProfile or None
        The weights and rules; None: the shipped profile.

    Returns
    -------
    HealthReport
        The scores and the flags of the judged month.
    """
    profile = profile or load_profile()
    end = month_end(month, today)
    # the flags' normal range needs the history before the months shown
    span = months + profile.warning.history_months
    scored = score(monthly_signals(frames, end, span), profile)
    judged = month_spans(end, 1)[0][0]
    shown = {m for m, _, _ in month_spans(end, months)}
    return HealthReport(
        month=judged,
        scored=scored[scored["month"].isin(shown)].reset_index(drop=True),
        flags=flags(scored, profile, judged),
        profile=profile,
    )
