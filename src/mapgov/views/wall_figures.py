"""The wall screen's figures drawn: the headline tiles (HTML) and the 12-month trend (SVG).

Pure functions of :class:`mapgov.domain.kpi.Figure` s and :func:`mapgov.domain.kpi.monthly_trend`;
every text comes from the catalogue (``[wall_screen]``) and every datum is HTML-escaped.
:mod:`mapgov.views.wall` re-exports them with the rest of the wall screen.

What a tile compares is written on it (:func:`basis_text`): the same days of last month, and
for the resolution rate each period as it stood at its own end
(:func:`mapgov.domain.kpi.status_on`). The trend's current month is drawn as partial, dashed up to
its last day so far (:func:`trend_svg`).
"""

from __future__ import annotations

import base64
import calendar
import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape
from typing import Final, Literal

import pandas as pd

from mapgov.core.i18n import t
from mapgov.domain import field_reports, kpi
from mapgov.domain import help as help_circle
from mapgov.domain.cobuild import WALL_FIGURES as COBUILD_FIGURES
from mapgov.domain.health.summary import FLAGGED_KEY
from mapgov.domain.kpi import Figure

__all__ = [
    "BAR_COLOUR",
    "CLOSED_COLOUR",
    "GRID_LINE",
    "KIOSK_TREND",
    "MUTED",
    "PAGE_TREND",
    "PROPERTY_TILE",
    "RECEIVED_COLOUR",
    "TEXT",
    "TILES",
    "TileText",
    "Tone",
    "basis_text",
    "format_value",
    "new_reports_html",
    "nice_ticks",
    "svg_img",
    "tile_label",
    "tile_label_key",
    "tile_text",
    "tiles_html",
    "trend_svg",
]

Tone = Literal["good", "bad", "neutral"]

# Colours of the dark wall screen (shared with the CSS of mapgov.ui.wall_style).
TEXT: Final = "#E6EEF8"
MUTED: Final = "#8FA3BF"
GRID_LINE: Final = "#1F2D4A"
RECEIVED_COLOUR: Final = "#38BDF8"
CLOSED_COLOUR: Final = "#34D399"
BAR_COLOUR: Final = "#F59E0B"
_TONE_CLASS: Final = {"good": "mg-good", "bad": "mg-bad", "neutral": "mg-neutral"}


# -- tiles ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class TileText:
    """One headline tile as text: label, value, unit, change and its colour, and what the
    change is against (``basis``, empty when there is nothing to compare)."""

    key: str
    label: str
    value: str
    unit: str
    delta: str
    tone: Tone
    basis: str = ""
    note: str = ""
    """A second figure under the value (the help tile's median minutes), or empty."""


_COUNT_UNIT: Final = {
    "received": "issues",
    "red_property": "compounds",
    "three_nos": "compounds",
    "projects_completed": "projects",
    "needs_waiting": "needs",
    FLAGGED_KEY: "compounds",
}
PROPERTY_TILE: Final = "property_score"
"""The property companies' tile (drawn by :func:`mapgov.views.scorecard.tile_html`)."""
TILES: Final = (
    *kpi.FIGURES,
    *COBUILD_FIGURES,
    *help_circle.WALL_FIGURES,
    FLAGGED_KEY,
    PROPERTY_TILE,
)
"""The wall's headline tiles in display order: the ledger and structure figures of
:data:`mapgov.domain.kpi.FIGURES`, then co-building (projects completed, needs waiting), the
ten-minute help circle (share answered within ten minutes), the compounds flagged by the
compound health check (预警小区) and the property companies' mean composite score."""
_OWN_TEXTS: Final = {FLAGGED_KEY: "compounds_page.wall."}
"""Tiles whose texts are in their page's catalogue section (``<prefix>tile``, the label, and
``<prefix>basis``, what the change is against, with the previous month's name)."""
_LABELS: Final = {
    "help_within_ten": "help.wall.tile",
    PROPERTY_TILE: "scorecard.wall.label",
    FLAGGED_KEY: "compounds_page.wall.tile",
}
"""Catalogue keys of the tiles whose label is not ``wall_screen.tile.<key>``."""


def tile_label_key(key: str) -> str:
    """The catalogue key of a tile's label: ``wall_screen.tile.<key>``, or its own section's.

    Examples
    --------
    >>> tile_label_key("received"), tile_label_key("flagged_compounds")
    ('wall_screen.tile.received', 'compounds_page.wall.tile')
    """
    return _LABELS.get(key, f"wall_screen.tile.{key}")


def tile_label(key: str, lang: str) -> str:
    """The name of the tile of figure `key`.

    Examples
    --------
    >>> tile_label("received", "zh"), tile_label("help_within_ten", "zh")
    ('本月受理', '十分钟响应率')
    """
    return t(tile_label_key(key), lang)


def format_value(value: float | None, unit: str, lang: str) -> str:
    """A figure as text: counts with thousands separators, shares as %, days to one decimal.

    Examples
    --------
    >>> format_value(1234.0, "count", "zh"), format_value(0.5887, "share", "en")
    ('1,234', '58.9%')
    >>> format_value(13.44, "days", "en"), format_value(None, "share", "zh")
    ('13.4', '—')
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return t("wall_screen.none", lang)
    if unit == "share":
        return f"{value * 100:.1f}%"
    if unit == "days":
        return f"{value:.1f}"
    return f"{round(value):,}"


def _tone(figure: Figure) -> Tone:
    delta = figure.delta
    if delta is None or figure.better is None or abs(delta) < 1e-12:
        return "neutral"
    return "good" if (delta > 0) == (figure.better == "up") else "bad"


def _delta_text(figure: Figure, lang: str) -> str:
    delta = figure.delta
    if figure.previous is None and figure.value is not None:
        return t("wall_screen.delta.current", lang)
    if delta is None:
        return t("wall_screen.delta.unknown", lang)
    if abs(delta) < 1e-12:
        return t("wall_screen.delta.same", lang)
    arrow = "▲" if delta > 0 else "▼"
    size = abs(delta)
    if figure.unit == "share":
        return t("wall_screen.delta.points", lang, arrow=arrow, value=f"{size * 100:.1f}")
    if figure.unit == "days":
        return t("wall_screen.delta.days", lang, arrow=arrow, value=f"{size:.1f}")
    return t("wall_screen.delta.count", lang, arrow=arrow, value=f"{round(size):,}")


def _unit_text(figure: Figure, lang: str) -> str:
    if figure.unit == "days":
        return t("wall_screen.unit.days", lang)
    if figure.unit == "count":
        return t(f"wall_screen.unit.{_COUNT_UNIT.get(figure.key, 'issues')}", lang)
    return ""


Basis = Literal["span", "as_of", "state"]
_BASIS: Final[dict[str, Basis]] = {"resolution_rate": "as_of", "needs_waiting": "state"}
"""What a tile's previous figure is, by key; the rest count the same days of last month."""


def _month_name(month: int, lang: str) -> str:
    return t(f"wall_screen.month.m{month}", lang)


def basis_text(key: str, today: dt.date, lang: str) -> str:
    """What the tile of figure `key` compares with on `today`, in words.

    Three kinds (:func:`mapgov.domain.kpi.periods` gives the previous span, the 1st of last month to
    the same day or to its end): the events of the same days of last month ("span"); the
    issues received on those days as they stood at the span's end, against this month's as
    they stand today ("as_of": the resolution rate); a state at the span's end ("state").

    Examples
    --------
    >>> basis_text("received", dt.date(2026, 11, 15), "en")
    'vs Oct 1–15'
    >>> basis_text("resolution_rate", dt.date(2026, 3, 31), "zh")
    '较2月1–28日，各按期末状态'
    """
    _, (start, end) = kpi.periods(today)
    if key in _OWN_TEXTS:
        return t(_OWN_TEXTS[key] + "basis", lang, month=_month_name(start.month, lang))
    kind = _BASIS.get(key, "span")
    return t(f"wall_screen.basis.{kind}", lang, month=_month_name(start.month, lang), last=end.day)


def tile_text(
    figure: Figure, lang: str, *, today: dt.date | None = None, note: str = ""
) -> TileText:
    """The texts of one headline tile (label :func:`tile_label`).

    The change is against the same days of the previous month; its tone is "good" or "bad"
    by the figure's ``better`` direction, "neutral" when it has none or did not change. With
    `today`, a figure that has a previous value says what that value is (:func:`basis_text`).
    `note` is a second figure shown under the value.
    """
    compared = today is not None and figure.previous is not None
    return TileText(
        key=figure.key,
        label=tile_label(figure.key, lang),
        value=format_value(figure.value, figure.unit, lang),
        unit=_unit_text(figure, lang) if figure.value is not None else "",
        delta=_delta_text(figure, lang),
        tone=_tone(figure),
        basis=basis_text(figure.key, today, lang) if compared and today is not None else "",
        note=note,
    )


def tiles_html(
    figures: Sequence[Figure],
    lang: str,
    *,
    today: dt.date | None = None,
    notes: Mapping[str, str] | None = None,
    extra: Sequence[str] = (),
) -> str:
    """The row of headline tiles as one HTML block (one ``div.mg-tile[data-key]`` each; with
    `today`, a ``div.mg-tile-basis`` under each change saying what it is against; last, a
    ``div.mg-tile-note`` for a figure with a note in `notes`, by key); `extra` tiles drawn
    elsewhere (HTML, escaped already) follow in the same row."""
    parts = []
    for figure in figures:
        tile = tile_text(figure, lang, today=today, note=(notes or {}).get(figure.key, ""))
        unit = f'<span class="mg-unit">{escape(tile.unit)}</span>' if tile.unit else ""
        basis = f'<div class="mg-tile-basis">{escape(tile.basis)}</div>' if tile.basis else ""
        note = f'<div class="mg-tile-note">{escape(tile.note)}</div>' if tile.note else ""
        parts.append(
            f'<div class="mg-tile" data-key="{escape(tile.key)}">'
            f'<div class="mg-tile-label">{escape(tile.label)}</div>'
            f'<div class="mg-tile-value">{escape(tile.value)}{unit}</div>'
            f'<div class="mg-tile-delta {_TONE_CLASS[tile.tone]}">{escape(tile.delta)}</div>'
            f"{basis}{note}</div>"
        )
    return f'<div class="mg-tiles">{"".join([*parts, *extra])}</div>'


# -- new reports from the field -------------------------------------------------------------
def new_reports_html(counts: field_reports.NewReports, lang: str) -> str:
    """The new field reports as one line (beside the ticker's title): those waiting to be
    assigned, and today's; highlighted while any wait (the tooltip says it in words).

    Examples
    --------
    >>> html = new_reports_html(field_reports.NewReports(waiting=3, today=1), "zh")
    >>> html.split(">")[1]
    '新报事 3 · 今日 1</span'
    >>> quiet = new_reports_html(field_reports.NewReports(0, 2), "en")
    >>> "mg-new-waiting" in html, "mg-new-waiting" in quiet
    (True, False)
    """
    waiting = t("wall_screen.field_reports.waiting", lang, n=f"{counts.waiting:,}")
    today = t("wall_screen.field_reports.today", lang, n=f"{counts.today:,}")
    title = t("wall_screen.field_reports.title", lang, n=counts.waiting, today=counts.today)
    state = " mg-new-waiting" if counts.waiting else ""
    return (
        f'<span class="mg-new{state}" data-key="new_reports" title="{escape(title)}">'
        f"{escape(waiting)} · {escape(today)}</span>"
    )


# -- the trend chart -----------------------------------------------------------------------
def nice_ticks(top: float, *, count: int = 4) -> list[int]:
    """Round axis ticks from 0 to at least `top`: steps of 1, 2 or 5 times a power of ten."""
    if top <= 0:
        return [0, 1]
    raw = top / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    step = max(1, int(step))
    return list(range(0, math.ceil(top / step) * step + 1, step))


def _text_width(text: str, size: int) -> int:
    """Rough width in pixels of `text` at font `size`: CJK a full em, other characters 0.6."""
    return round(sum(size if ord(ch) > 0x2E7F else 0.6 * size for ch in text))


PAGE_TREND: Final = {"width": 380, "height": 230, "font": 14}
"""The trend's shape and type size on the wall page with a sidebar, where it stands in a
narrow column (about 315 px at 1366 x 768): a narrow chart with large words, which read at
about 11 px there (the page's 680-unit chart read at 6), every second month named."""

KIOSK_TREND: Final = {"height": 130, "font": 16}
"""The trend's shape and type size on the kiosk screen: wide and low, large type. The chart
scales to its box as a whole, and on a screen 768 px high its box is about 100 px high: the
page's 680 x 210 at 13 px would read at 6 px there, this at 12 px (and at 16 px at 1080)."""


def trend_svg(
    trend: pd.DataFrame, lang: str, *, width: int = 680, height: int = 210, font: int = 13
) -> str:
    """The 12-month trend (from :func:`kpi.monthly_trend`) as an inline SVG line chart.

    Issues received and closed per month, with round y ticks, the months as ``YY-MM`` and a
    legend. SVG needs no chart library in the browser (the wall screen loads faster and a
    refresh redraws it without a flicker) and scales with its column (show it with
    :func:`svg_img`). `width` and `height` are its shape in SVG units, `font` the size of its
    words in those units (the legend's a unit larger): the margins follow it.

    A month counted only in part (its ``days`` fewer than the month has: the current month)
    is drawn dashed, with hollow points, and a note says to which day it counts, so that a
    month under way does not read as a fall.
    """
    series = (
        (t("wall_screen.series.received", lang), RECEIVED_COLOUR, trend["received"]),
        (t("wall_screen.series.closed", lang), CLOSED_COLOUR, trend["closed"]),
    )
    months = [str(m)[2:] for m in trend["month"]]
    ticks = nice_ticks(float(max((int(v.max()) for *_, v in series if len(v)), default=0)))
    legend_font = font + 1
    left = max(44, _text_width(f"{ticks[-1]:,}", font) + 12)
    right, bottom = 12, font + 11
    partial = _partial_days(trend)
    note = ""
    if partial is not None:
        month = _month_name(int(str(trend["month"].iloc[-1])[5:7]), lang)
        note = t("wall_screen.trend_partial", lang, month=month, day=partial)
    legend_end = left + sum(40 + _text_width(label, legend_font) for label, *_ in series)
    # the note stands right of the legend, or under it where the two would touch
    note_line = font + 4 if note and legend_end > width - right - _text_width(note, font) else 0
    top = 2 * font + 4 + note_line
    plot_w, plot_h = width - left - right, height - top - bottom
    n = max(len(months), 1)
    # every month named where the names fit; else every second (third ...), the latest named
    widest = max((_text_width(m, font) for m in months), default=0) + font // 4
    every = max(1, math.ceil(widest / (plot_w / n)))

    def x(i: int) -> float:
        return left + (plot_w * (i + 0.5) / n)

    def y(v: float) -> float:
        return top + plot_h * (1 - v / ticks[-1])

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" font-family="Noto Sans CJK SC, sans-serif">'
    ]
    for tick in ticks:
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" '
            f'stroke="{GRID_LINE}"/>'
            f'<text x="{left - 6}" y="{y(tick) + font * 0.3:.1f}" fill="{MUTED}" '
            f'font-size="{font}" text-anchor="end">{tick:,}</text>'
        )
    for i, month in enumerate(months):
        if (len(months) - 1 - i) % every:
            continue
        parts.append(
            f'<text x="{x(i):.1f}" y="{height - 6}" fill="{MUTED}" font-size="{font}" '
            f'text-anchor="middle">{escape(month)}</text>'
        )
    whole = len(months) - 1 if partial is not None and len(months) > 1 else len(months)
    legend_x = left
    for label, colour, values in series:
        xy = [f"{x(i):.1f},{y(float(v)):.1f}" for i, v in enumerate(values)]
        parts.append(
            f'<polyline points="{" ".join(xy[:whole])}" fill="none" stroke="{colour}" '
            'stroke-width="3" stroke-linejoin="round"/>'
        )
        if whole < len(xy):  # the month under way: dashed, hollow
            parts.append(
                f'<polyline class="mg-partial" points="{" ".join(xy[whole - 1 :])}" '
                f'fill="none" stroke="{colour}" stroke-width="3" stroke-dasharray="7 5"/>'
            )
        parts.extend(
            f'<circle cx="{x(i):.1f}" cy="{y(float(v)):.1f}" r="3.5" fill="{colour}"/>'
            if i < whole
            else f'<circle cx="{x(i):.1f}" cy="{y(float(v)):.1f}" r="4" fill="none" '
            f'stroke="{colour}" stroke-width="2"/>'
            for i, v in enumerate(values)
        )
        parts.append(
            f'<rect x="{legend_x}" y="{legend_font - 6}" width="18" height="4" rx="2" '
            f'fill="{colour}"/>'
            f'<text x="{legend_x + 24}" y="{legend_font + 1}" fill="{TEXT}" '
            f'font-size="{legend_font}">{escape(label)}</text>'
        )
        legend_x += 40 + _text_width(label, legend_font)
    if note:
        parts.append(
            f'<text class="mg-partial-note" x="{width - right}" y="{legend_font + 1 + note_line}" '
            f'fill="{MUTED}" font-size="{font}" text-anchor="end">{escape(note)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _partial_days(trend: pd.DataFrame) -> int | None:
    """Days counted of the last month when it is counted only in part (else None)."""
    if trend.empty or "days" not in trend:
        return None
    year, month = (int(v) for v in str(trend["month"].iloc[-1]).split("-"))
    days = int(trend["days"].iloc[-1])
    return days if days < calendar.monthrange(year, month)[1] else None


def svg_img(svg: str, alt: str, *, css_class: str = "mg-chart") -> str:
    """`svg` as an ``<img>`` with a data URI: Streamlit's HTML sanitiser drops inline SVG
    elements but keeps images, and the data URI fetches nothing."""
    data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return f'<img class="{css_class}" alt="{escape(alt)}" src="data:image/svg+xml;base64,{data}">'
