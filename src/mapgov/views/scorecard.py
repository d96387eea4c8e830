"""Property companies' scorecards shown (物业企业评价): the ranking table that the party page
shows and ``mapgov scorecard --property`` writes, the month choices, the 6-month trend per
company and the wall's tile.

Every text comes from the catalogue (``[scorecard]``, ``[scorecard.col]``,
``[scorecard.wall]``); the figures are those of :mod:`mapgov.domain.scorecard`, unrounded.
"""

from __future__ import annotations

import datetime as dt
from html import escape
from typing import Final

import pandas as pd

from mapgov.core.i18n import t
from mapgov.domain import kpi
from mapgov.domain.scorecard import COLUMNS, ScorecardFrames, property_scorecard
from mapgov.views.wall_figures import PROPERTY_TILE, basis_text

__all__ = [
    "TILE_KEY",
    "month_choices",
    "month_label",
    "scorecard_table",
    "tile_html",
    "trend_values",
    "wall_tile",
]

TILE_KEY: Final = PROPERTY_TILE
"""The wall tile's ``data-key`` (one of :data:`mapgov.views.wall_figures.TILES`)."""
_FLAGS: Final = ("to_date", "party_branch", "agreement")


def month_choices(today: dt.date, *, months: int = 12) -> list[str]:
    """The months a scorecard can be asked for, newest first: this one (to date) and the
    `months` - 1 before it.

    Examples
    --------
    >>> month_choices(dt.date(2026, 1, 9), months=3)
    ['2026-01', '2025-12', '2025-11']
    """
    now = pd.Period(today, freq="M")
    return [str(now - k) for k in range(months)]


def month_label(month: str, today: dt.date, lang: str) -> str:
    """A month as the picker shows it, "to date" for the month under way.

    Examples
    --------
    >>> month_label("2026-11", dt.date(2026, 11, 15), "en")
    '2026-11 (1–15, to date)'
    >>> month_label("2026-10", dt.date(2026, 11, 15), "zh")
    '2026-10'
    """
    if month == f"{today:%Y-%m}":
        return t("scorecard.to_date", lang, month=month, day=today.day)
    return month


def _yes_no(value: object, lang: str) -> str:
    return t("scorecard.yes" if bool(value) else "scorecard.no", lang)


def scorecard_table(card: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The scorecard with localized headers (``[scorecard.col]``), full precision, yes/no in
    words: what the page shows and the command line writes.

    Parameters
    ----------
    card : pandas.DataFrame
        :func:`mapgov.domain.scorecard.property_scorecard`.
    lang : str
        "zh" or "en".

    Returns
    -------
    pandas.DataFrame
        Its :data:`~mapgov.domain.scorecard.COLUMNS` in order, renamed; rank as a whole number
        (blank where unranked), unknown figures NaN.
    """
    out = card.loc[:, list(COLUMNS)].copy()
    for col in _FLAGS:
        out[col] = [_yes_no(v, lang) for v in out[col]]
    out["rank"] = out["rank"].astype("Int64")
    out["agreement_signed_on"] = out["agreement_signed_on"].fillna("")  # none signed: blank
    for col in (
        "compounds",
        "households",
        "property_issues",
        "resolved",
        "callbacks",
        "evaluation_respondents",
    ):
        out[col] = out[col].astype("Int64")
    return out.rename(columns={c: t(f"scorecard.col.{c}", lang) for c in COLUMNS})


def trend_values(trend: pd.DataFrame, companies: list[str]) -> list[list[float | None]]:
    """Each company's composite score per month of `trend`, oldest first (None where unknown),
    for a small line per row.

    Parameters
    ----------
    trend : pandas.DataFrame
        :func:`mapgov.domain.scorecard.scorecard_trend`.
    companies : list of str
        The rows' companies, in order.

    Returns
    -------
    list of list
        One list of scores per company.
    """
    if trend.empty:
        return [[] for _ in companies]
    wide = trend.pivot_table(
        index="company", columns="month", values="composite_score", aggfunc="first", dropna=False
    )
    months = sorted(trend["month"].unique())
    wide = wide.reindex(index=companies, columns=months)
    return [[None if pd.isna(v) else round(float(v), 1) for v in row] for row in wide.to_numpy()]


def _mean(card: pd.DataFrame) -> float | None:
    if card.empty:
        return None
    scores = card["composite_score"].dropna()
    return float(scores.mean()) if len(scores) else None


def tile_html(now: pd.DataFrame, before: pd.DataFrame, lang: str, *, today: dt.date) -> str:
    """The wall's property tile: the mean composite score of the ranked companies this month
    to date, its change against the same days of last month, and the first-ranked company on
    one line (``div.mg-tile-first``; its tooltip says what the change is against).

    Parameters
    ----------
    now : pandas.DataFrame
        This month's scorecard (to date).
    before : pandas.DataFrame
        Last month's scorecard counted over the same days.
    lang : str
        "zh" or "en".
    today : datetime.date
        The street's today (what the change is against).

    Returns
    -------
    str
        One ``div.mg-tile[data-key=property_score]``, like the other headline tiles.
    """
    value, previous = _mean(now), _mean(before)
    shown = t("wall_screen.none", lang) if value is None else f"{value:.1f}"
    unit = "" if value is None else t("scorecard.wall.unit", lang)
    if value is None or previous is None:
        delta, tone = t("wall_screen.delta.unknown", lang), "mg-neutral"
    elif abs(value - previous) < 0.05:  # one decimal shows no change
        delta, tone = t("wall_screen.delta.same", lang), "mg-neutral"
    else:
        arrow = "▲" if value > previous else "▼"
        delta = t("scorecard.wall.delta", lang, arrow=arrow, value=f"{abs(value - previous):.1f}")
        tone = "mg-good" if value > previous else "mg-bad"
    ranked = now.dropna(subset=["rank"]) if not now.empty else now
    first = str(ranked["company"].iloc[0]) if len(ranked) else None
    # one line (a company's name is long): the first-ranked company, cut to the tile's width;
    # its whole name and what the change is against in the tooltip
    shown_first = t("scorecard.wall.first", lang, company=first) if first else ""
    compared = basis_text("received", today, lang) if previous is not None else ""
    title = " · ".join(x for x in (shown_first, compared) if x)
    unit_html = f'<span class="mg-unit">{escape(unit)}</span>' if unit else ""
    basis = (
        f'<div class="mg-tile-basis mg-tile-first" title="{escape(title)}">'
        f"{escape(shown_first)}</div>"
        if shown_first
        else ""
    )
    return (
        f'<div class="mg-tile" data-key="{TILE_KEY}">'
        f'<div class="mg-tile-label">{escape(t("scorecard.wall.label", lang))}</div>'
        f'<div class="mg-tile-value">{escape(shown)}{unit_html}</div>'
        f'<div class="mg-tile-delta {tone}">{escape(delta)}</div>'
        f"{basis}</div>"
    )


def wall_tile(frames: ScorecardFrames, lang: str, *, today: dt.date) -> str:
    """The wall's property tile (:func:`tile_html`) from the street's scorecard frames: this
    month to date against the same days of last month (:func:`mapgov.domain.kpi.periods`).

    Parameters
    ----------
    frames : ScorecardFrames
        :func:`mapgov.domain.scorecard.load_scorecard_frames` of the street.
    lang : str
        "zh" or "en".
    today : datetime.date
        The street's today.

    Returns
    -------
    str
        The tile's HTML.
    """
    (_, _), (_, before_end) = kpi.periods(today)
    now = property_scorecard(frames, f"{today:%Y-%m}", today)
    before = property_scorecard(frames, f"{before_end:%Y-%m}", before_end)
    return tile_html(now, before, lang, today=today)
