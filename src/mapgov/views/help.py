"""The ten-minute help circle (十分钟办事圈) in words: the wall tile's note, the issue page's
section (the street's line and the table by compound) and a request's response time.

Pure functions of :mod:`mapgov.domain.help`'s figures; every text comes from the catalogue
(``[help]``). The texts are plain (Streamlit escapes them; the wall escapes its notes).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from typing import Final

import pandas as pd

from mapgov.core.i18n import t
from mapgov.domain import help as help_circle
from mapgov.domain.help import HelpFigures

__all__ = [
    "PERIODS",
    "compound_table",
    "median_note",
    "minutes_text",
    "response_text",
    "share_text",
    "span_of",
    "street_line",
]

PERIODS: Final = ("month", "days30", "days365")
"""The issue page's periods: this month to date (the wall's), the last 30 days, the last year."""
_DAYS: Final = {"days30": 30, "days365": 365}


def span_of(period: str, today: dt.date) -> tuple[dt.date, dt.date]:
    """The first and last day of one of :data:`PERIODS` ending `today`.

    Examples
    --------
    >>> span_of("month", dt.date(2026, 11, 15))
    (datetime.date(2026, 11, 1), datetime.date(2026, 11, 15))
    >>> span_of("days30", dt.date(2026, 11, 15))[0]
    datetime.date(2026, 10, 17)
    """
    if period == "month":
        return help_circle.month_span(today)
    if period not in _DAYS:
        msg = f"unknown period {period!r}"
        raise ValueError(msg)
    return help_circle.window(today, _DAYS[period])


def _or_dash(value: float | None, lang: str, text: Callable[[float], str]) -> str:
    """`text` of `value`, or the catalogue's dash when it is unknown (None or NaN)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return t("help.none", lang)
    return text(value)


def minutes_text(minutes: float | None, lang: str) -> str:
    """Minutes to one decimal, or the catalogue's dash when unknown.

    Examples
    --------
    >>> minutes_text(7.45, "zh"), minutes_text(None, "en"), minutes_text(float("nan"), "zh")
    ('7.5', '—', '—')
    """
    return _or_dash(minutes, lang, lambda known: f"{known + 1e-9:.1f}")


def share_text(share: float | None, lang: str) -> str:
    """A share as a percentage to one decimal, or the dash.

    Examples
    --------
    >>> share_text(0.7851, "zh"), share_text(None, "zh")
    ('78.5%', '—')
    """
    return _or_dash(share, lang, lambda known: f"{known * 100:.1f}%")


def median_note(median: float | None, lang: str) -> str:
    """The wall tile's second figure: the median response time this month.

    Examples
    --------
    >>> median_note(7.4, "zh")
    '中位数 7.4 分钟'
    """
    return t("help.wall.median", lang, minutes=minutes_text(median, lang))


def street_line(figures: HelpFigures, lang: str) -> str:
    """The street's figures in one sentence (requests, share within ten minutes, median)."""
    if figures.requests == 0:
        return t("help.no_requests", lang)
    return t(
        "help.street",
        lang,
        n=f"{figures.requests:,}",
        share=share_text(figures.share, lang),
        median=minutes_text(figures.median_min, lang),
    )


def compound_table(table: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The table by compound of :func:`mapgov.domain.help.summary` with the page's headers:
    compound, requests, answered, share within ten minutes (text), median minutes (text)."""
    c = "help.col."
    return pd.DataFrame(
        {
            t(c + "compound", lang): table["name"].fillna(table["compound_id"]).to_numpy(),
            t(c + "requests", lang): table["requests"].astype(int).to_numpy(),
            t(c + "answered", lang): table["answered"].astype(int).to_numpy(),
            t(c + "share", lang): [share_text(v, lang) for v in table["share"]],
            t(c + "median", lang): [minutes_text(v, lang) for v in table["median_min"]],
        }
    )


def response_text(reported_at: str, timeline: pd.DataFrame, *, now: dt.datetime, lang: str) -> str:
    """One request's response time in words, from its history.

    Parameters
    ----------
    reported_at : str
        When the request was reported.
    timeline : pandas.DataFrame
        Its events: [action, at] (comments are skipped).
    now : datetime.datetime
        The street's now: judges an unanswered request.
    lang : str
        Language of the text.

    Returns
    -------
    str
        Minutes and whether within ten, or that it waits (within or past its ten minutes).

    Examples
    --------
    >>> tl = pd.DataFrame({"action": ["report", "assign"],
    ...     "at": ["2026-11-02T09:00:00", "2026-11-02T09:12:00"]})
    >>> response_text("2026-11-02T09:00:00", tl, now=dt.datetime(2026, 11, 2, 12), lang="zh")
    '12.0 分钟，超过十分钟'
    """
    issue = pd.DataFrame({"issue_id": [0], "reported_at": [reported_at]})
    events = timeline[["action", "at"]].assign(issue_id=0)
    minutes = float(help_circle.response_minutes(issue, events, now=now).iloc[0])
    if not math.isnan(minutes):
        verdict = "within" if minutes <= help_circle.TEN_MINUTES else "late"
        return t(f"help.panel.{verdict}", lang, minutes=minutes_text(minutes, lang))
    waited = (now - dt.datetime.fromisoformat(str(reported_at))).total_seconds() / 60
    due = waited >= help_circle.TEN_MINUTES
    key = "help.panel.waiting_late" if due else "help.panel.waiting"
    return t(key, lang, minutes=f"{max(waited, 0):.0f}")
