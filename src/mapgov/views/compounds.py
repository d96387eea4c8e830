"""The compound health page (``/compounds``, 小区体检) without Streamlit: headline figures,
the map coloured by score band or by flag, a compound's profile card and its links.

Everything is computed by :mod:`mapgov.domain.health` (the same report ``mapgov health``
writes); this module only arranges it. Every text shown in the map (compound names from data
files, translated words) is HTML-escaped here: Leaflet tooltips and the legend are HTML. The
map is built on :func:`mapgov.views.maps.base_map`, so it loads Leaflet from the app's own
static folder and nothing from the internet.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

import folium
import geopandas as gpd
import pandas as pd

from mapgov.core.crs import require_wgs84
from mapgov.core.errors import ValidationError
from mapgov.core.i18n import label, t
from mapgov.core.model import PropertyMode
from mapgov.domain.health.profile import SIGNALS
from mapgov.domain.health.report import HealthReport
from mapgov.domain.health.warning import FLAG_KINDS, Flag
from mapgov.views.health import flag_text, look_at_text
from mapgov.views.maplabels import FitClear
from mapgov.views.maps import (
    FILL,
    HEADING,
    SWATCH,
    LegendRow,
    MapLegend,
    Styler,
    base_map,
    legend_html,
    light_copy,
    swatch,
)
from mapgov.views.wall import LIFE_TIER

__all__ = [
    "BANDS",
    "COMPOUND_CLASS",
    "FLAG_COLORS",
    "SHARE_SIGNALS",
    "UNKNOWN_COLOR",
    "ColourBy",
    "Headline",
    "compound_card",
    "compound_colours",
    "compound_flags",
    "headline",
    "health_map",
    "links",
    "new_flags_html",
    "score_band",
    "signal_value_text",
]

TEXTS: Final = "compounds_page."


class ColourBy(StrEnum):
    """What the compounds' fill shows."""

    SCORE = "score"
    """The score's band (:data:`BANDS`)."""
    FLAG = "flag"
    """Flagged this month or not (:data:`FLAG_COLORS`)."""


BANDS: Final = (
    ("90", 90.0, "#1A9850"),
    ("80", 80.0, "#91CF60"),
    ("70", 70.0, "#FEE08B"),
    ("60", 60.0, "#FC8D59"),
    ("0", 0.0, "#D73027"),
)
"""Score bands, best first: (key, lowest score of the band, fill colour)."""
UNKNOWN_COLOR: Final = "#BDBDBD"
"""Fill of a compound with no score (nothing of weight known)."""
FLAG_COLORS: Final = {"flagged": "#D73027", "calm": "#CFE3D4", "unknown": UNKNOWN_COLOR}
"""Fill by flag: flagged red, not flagged pale, no score grey."""
COMPOUND_CLASS: Final = "mapgov-health-compound"
"""CSS class of the map's compound polygons (browser tests find them by it)."""

SHARE_SIGNALS: Final = (
    "overdue_share",
    "satisfaction",
    "life_circle",
    "party_group_coverage",
    "building_head_coverage",
    "elderly_share",
)
"""The signals that are shares (shown in %); the others are counts or scores."""


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def score_band(score: float | None) -> str:
    """The band key of a score (a key of :data:`BANDS`), or ``unknown``.

    Examples
    --------
    >>> score_band(95.0), score_band(80.0), score_band(59.9), score_band(float("nan"))
    ('90', '80', '0', 'unknown')
    """
    if _missing(score):
        return "unknown"
    assert score is not None
    return next(key for key, low, _ in BANDS if score >= low)


def compound_flags(report: HealthReport) -> dict[str, list[Flag]]:
    """The judged month's flags by compound_id, most pressing first."""
    out: dict[str, list[Flag]] = {}
    for flag in report.flags:
        out.setdefault(flag.compound_id, []).append(flag)
    for found in out.values():
        found.sort(key=lambda f: FLAG_KINDS.index(f.kind))
    return out


def compound_colours(
    report: HealthReport, compound_ids: pd.Series, colour_by: ColourBy | str
) -> list[str]:
    """The fill of each compound of `compound_ids`: its score band's, or flagged / not.

    Examples
    --------
    >>> from mapgov.domain.health.profile import load_profile
    >>> scored = pd.DataFrame({"compound_id": ["A", "B"], "month": "2026-10",
    ...                        "score": [92.0, float("nan")]})
    >>> report = HealthReport("2026-10", scored, [Flag("A", "2026-10", "overdue", 3.0, None,
    ...                       "2026-09")], load_profile())
    >>> compound_colours(report, pd.Series(["A", "B", "C"]), "score")
    ['#1A9850', '#BDBDBD', '#BDBDBD']
    >>> compound_colours(report, pd.Series(["A", "B"]), "flag")
    ['#D73027', '#BDBDBD']
    """
    colour_by = ColourBy(colour_by)
    scores = report.latest()["score"]
    flagged = set(compound_flags(report))
    bands = {key: colour for key, _, colour in BANDS}
    out = []
    for cid in compound_ids:
        score = scores.get(cid)
        band = score_band(None if score is None else float(score))
        if colour_by is ColourBy.SCORE:
            out.append(bands.get(band, UNKNOWN_COLOR))
        elif cid in flagged:
            out.append(FLAG_COLORS["flagged"])
        else:
            out.append(FLAG_COLORS["unknown" if band == "unknown" else "calm"])
    return out


@dataclass(frozen=True)
class Headline:
    """The page's headline figures of the compounds on screen."""

    compounds: int
    flagged: int
    mean_score: float | None
    lowest_id: str | None
    lowest_score: float | None


def headline(report: HealthReport, compound_ids: list[str] | None = None) -> Headline:
    """Compounds, flagged compounds, mean score and the lowest-scoring compound.

    Parameters
    ----------
    report
        The month's health.
    compound_ids
        The compounds on screen (None: all of the report).

    Returns
    -------
    Headline
        The figures (mean and lowest None when no compound has a score).
    """
    latest = report.latest()
    if compound_ids is not None:
        latest = latest[latest.index.isin(compound_ids)]
    scores = latest["score"].dropna()
    flagged = {f.compound_id for f in report.flags if f.compound_id in latest.index}
    lowest = str(scores.idxmin()) if len(scores) else None
    return Headline(
        compounds=len(latest),
        flagged=len(flagged),
        mean_score=float(scores.mean()) if len(scores) else None,
        lowest_id=lowest,
        lowest_score=float(scores.min()) if len(scores) else None,
    )


def _score_text(score: object, lang: str) -> str:
    return t(TEXTS + "unknown", lang) if _missing(score) else f"{float(score):.1f}"  # type: ignore[arg-type]


def signal_value_text(key: str, value: object, lang: str, *, mode: object = None) -> str:
    """A signal's value as a reader says it: shares in %, counts per 100 households to one
    decimal, the branch yes or no, the property management by its mode.

    Examples
    --------
    >>> signal_value_text("overdue_share", 0.25, "en"), signal_value_text("branch", 1.0, "en")
    ('25%', 'yes')
    >>> signal_value_text("satisfaction", float("nan"), "en")
    'unknown'
    """
    if _missing(value):
        return t(TEXTS + "unknown", lang)
    number = float(value)  # type: ignore[arg-type]
    if key in SHARE_SIGNALS:
        return f"{number * 100:.0f}%"
    if key == "branch":
        return t(TEXTS + ("yes" if number else "no"), lang)
    if key == "property":
        return _property_text(number, mode, lang)
    return f"{number:.1f}"


def _property_text(number: float, mode: object, lang: str) -> str:
    if number == 0.0:
        return t("health.look_at.three_nos", lang)
    if isinstance(mode, str) and mode in {m.value for m in PropertyMode}:
        return label(PropertyMode(mode), lang)
    return f"{number:.1f}"


def _reason(report: HealthReport, key: str, lang: str) -> str:
    """A signal's reason: the shipped profile's in the reader's language, a street's own
    profile's as written."""
    if report.profile.name == "default":
        return t(TEXTS + f"reason.{key}", lang)
    return report.profile.signals[key].reason


def compound_card(report: HealthReport, compound_id: str, lang: str) -> dict[str, Any]:
    """What a compound's profile card shows for the judged month.

    Parameters
    ----------
    report
        The month's health.
    compound_id
        The compound.
    lang
        ``zh`` or ``en``.

    Returns
    -------
    dict
        ``score`` and ``confidence`` (floats, score NaN when unknown), ``score_text``,
        ``flags`` (each a dict of ``text`` and ``look_at``, a list of phrases), ``signals``
        (a table with localized headers: signal, value, points, weight, why) and ``trend``
        (the months' scores, oldest first).

    Raises
    ------
    ValidationError
        For a compound not in the report.
    """
    latest = report.latest()
    if compound_id not in latest.index:
        msg = f"compound {compound_id!r} is not in the health report"
        raise ValidationError(msg, key="error.issue.no_compound", id=compound_id)
    row = latest.loc[compound_id]
    rows = []
    for key in SIGNALS:
        sig = report.profile.signals[key]
        points = row.get(f"points_{key}")
        rows.append(
            {
                t(TEXTS + "card.signal", lang): t(f"health.col.{key}", lang),
                t(TEXTS + "card.value", lang): signal_value_text(
                    key, row.get(key), lang, mode=row.get("property_mode")
                ),
                t(TEXTS + "card.points", lang): None if _missing(points) else round(float(points)),
                t(TEXTS + "card.weight", lang): sig.weight,
                t(TEXTS + "card.reason", lang): _reason(report, key, lang),
            }
        )
    found = compound_flags(report).get(compound_id, [])
    trend = report.trend().reindex([compound_id])
    return {
        "score": float(row["score"]),
        "score_text": _score_text(row["score"], lang),
        "confidence": float(row["confidence"]),
        "flags": [
            {"text": flag_text(f, lang), "look_at": look_at_text(f.look_at, lang)} for f in found
        ],
        "signals": pd.DataFrame(rows),
        "trend": [None if _missing(v) else float(v) for v in trend.to_numpy()[0]],
    }


def links(
    street_id: str, community_id: str, compound_id: str, lang: str
) -> dict[str, dict[str, str]]:
    """The query parameters of the card's links, by the page they open.

    ``issues``: the issue map on the compound's community with the compound chosen (its
    panel lists the compound's issues); ``party``: the party page on the compound's
    community with the compound's governance card open; ``life_circle``: the life-circle page
    on the compound's community with the compound's reach of every kind, at the tier of the
    card's life-circle figure (:data:`mapgov.views.wall.LIFE_TIER` minutes for every kind),
    so the page shows the figure the card gave.

    Examples
    --------
    >>> links("S1", "C1", "K1", "en")["issues"]
    {'lang': 'en', 'street': 'S1', 'community': 'C1', 'compound': 'K1'}
    >>> life = links("S1", "C1", "K1", "en")["life_circle"]
    >>> life["compound"], life["mode"], life["tier"]
    ('K1', 'tier', '15')
    """
    place = {"lang": lang, "street": street_id, "community": community_id}
    life = {"mode": "tier", "tier": str(LIFE_TIER)}  # the life-circle page's ThresholdMode.TIER
    return {
        "issues": place | {"compound": compound_id},
        "party": place | {"compound": compound_id},
        "life_circle": place | {"compound": compound_id} | life,
    }


# -- the map -------------------------------------------------------------------------------
_style = Styler({"color": "#5B5B5B", "weight": 1.2, "fillColor": FILL, "fillOpacity": 0.75})
_highlight = _style.but(weight=3.5, color="#1F2329")


def _legend(colour_by: ColourBy, lang: str) -> str:
    rows = [LegendRow(t(TEXTS + f"legend.title_{colour_by.value}", lang), style=HEADING)]
    if colour_by is ColourBy.SCORE:
        keys = [(f"band.{key}", colour) for key, _, colour in BANDS]
        keys.append(("band.unknown", UNKNOWN_COLOR))
    else:
        keys = [(f"flag.{key}", colour) for key, colour in FLAG_COLORS.items()]
    rows += [
        LegendRow(t(TEXTS + f"legend.{key}", lang), swatch(SWATCH.format(colour=colour)))
        for key, colour in keys
    ]
    return legend_html(rows)


def health_map(
    compounds: gpd.GeoDataFrame,
    report: HealthReport,
    *,
    colour_by: ColourBy | str = ColourBy.SCORE,
    lang: str = "zh",
) -> folium.Map:
    """The compounds of a street or community coloured by their score band or by flag.

    Parameters
    ----------
    compounds
        ``compound_id``, ``name`` and the geometry (EPSG:4326) of the compounds drawn.
    report
        The month's health (:func:`mapgov.domain.health.report.compound_health`).
    colour_by
        Score bands or flags.
    lang
        Language of the tooltips and the legend.

    Returns
    -------
    folium.Map
        On :func:`mapgov.views.maps.base_map` (local Leaflet only), the polygons of CSS class
        :data:`COMPOUND_CLASS` with escaped tooltips (name, score, flags in words) and a legend.

    Raises
    ------
    ValidationError
        If `compounds` is not in EPSG:4326 or is empty.
    """
    colour_by = ColourBy(colour_by)
    require_wgs84(compounds)
    if compounds.empty:
        msg = "the compound health map needs at least one compound"
        raise ValidationError(msg)
    scores = report.latest()["score"]
    by_compound = compound_flags(report)
    sep = t("health.separator", lang)
    data = light_copy(compounds, ["compound_id"])
    esc = html.escape
    data["label"] = [esc(str(n)) for n in compounds["name"]]
    data["score"] = [esc(_score_text(scores.get(c), lang)) for c in compounds["compound_id"]]
    data["flags"] = [
        esc(sep.join(flag_text(f, lang) for f in by_compound.get(c, [])) or "—")
        for c in compounds["compound_id"]
    ]
    data[FILL] = compound_colours(report, compounds["compound_id"], colour_by)
    min_lon, min_lat, max_lon, max_lat = (float(v) for v in compounds.total_bounds)
    fmap = base_map(center=((min_lon + max_lon) / 2, (min_lat + max_lat) / 2))
    folium.GeoJson(
        data,
        name=esc(t(TEXTS + "map.layer", lang)),
        style_function=_style,
        highlight_function=_highlight,
        tooltip=folium.GeoJsonTooltip(
            fields=["label", "score", "flags"],
            aliases=[esc(t(TEXTS + f"map.{k}", lang)) for k in ("compound", "score", "flags")],
        ),
        className=COMPOUND_CLASS,
    ).add_to(fmap)
    MapLegend(_legend(colour_by, lang), name="MapgovHealthLegend").add_to(fmap)
    FitClear((min_lon, min_lat, max_lon, max_lat), compounds.geometry.bounds.to_numpy()).add_to(
        fmap
    )
    return fmap


# -- the wall screen -----------------------------------------------------------------------
def new_flags_html(names: list[str], lang: str, *, shown: int = 3) -> str:
    """The compounds newly flagged this month as one line beside the wall's ticker title
    (empty when there are none); names escaped, the first `shown` named, every one in the
    tooltip (a narrow panel ends the line in an ellipsis).

    Examples
    --------
    >>> new_flags_html(["<b>甲</b>", "乙"], "zh").split(">")[1]
    '新增预警：&lt;b&gt;甲&lt;/b&gt;、乙</span'
    >>> line = new_flags_html(["甲", "乙", "丙", "丁"], "zh", shown=2)
    >>> line.split('"')[5], line.split(">")[1]
    ('新增预警：甲、乙、丙、丁', '新增预警：甲、乙、…</span')
    >>> new_flags_html([], "en")
    ''
    """
    if not names:
        return ""
    sep = t("app.list_sep", lang)
    listed = sep.join(names[:shown]) + (f"{sep}…" if len(names) > shown else "")
    text = t(TEXTS + "wall.new_flags", lang, names=listed, n=len(names))
    every = t(TEXTS + "wall.new_flags", lang, names=sep.join(names), n=len(names))
    return (
        f'<span class="mg-new mg-new-flags" data-key="new_flags" title="{html.escape(every)}">'
        f"{html.escape(text)}</span>"
    )
