"""The compound health page's presenters (views/compounds.py) and the wall's tile, without
Streamlit: hand-made compounds give their colours, escaped names, the legend, the card's
reasons and the tile's count; nothing loads from the internet."""

from __future__ import annotations

import datetime as dt
import html

import folium
import geopandas as gpd
import pandas as pd
import pytest
import shapely

from mapgov.core.i18n import LANGS, t
from mapgov.domain.health.profile import SIGNALS, HealthFrames, load_profile
from mapgov.domain.health.report import HealthReport, compound_health
from mapgov.domain.health.summary import FLAGGED_KEY, flagged_figure, new_flags
from mapgov.domain.health.warning import Flag
from mapgov.views import compounds as cv
from mapgov.views import wall
from mapgov.views.health import flag_text
from mapgov.views.maps import FILL, MapLegend, remote_resources

XSS = "<img src=x onerror=alert(1)>"
TODAY = dt.date(2026, 10, 31)
PROFILE = load_profile()


def _report(
    scores: dict[str, float], flagged: dict[str, str], month: str = "2026-10"
) -> HealthReport:
    """A report of one month: `scores` by compound (NaN: unknown), `flagged` kinds by compound."""
    scored = pd.DataFrame(
        {"compound_id": list(scores), "month": month, "score": list(scores.values())}
    ).assign(confidence=0.5)
    flags = [Flag(cid, month, kind, 4.0, None, "2026-09") for cid, kind in flagged.items()]
    return HealthReport(month, scored, flags, PROFILE)


def _squares(ids: list[str], names: list[str]) -> gpd.GeoDataFrame:
    shapes = [
        shapely.box(112.40 + i * 0.002, 34.60, 112.401 + i * 0.002, 34.601) for i in range(len(ids))
    ]
    return gpd.GeoDataFrame({"compound_id": ids, "name": names}, geometry=shapes, crs=4326)


@pytest.mark.parametrize(
    ("score", "band"),
    [(100.0, "90"), (90.0, "90"), (89.9, "80"), (70.0, "70"), (60.0, "60"), (12.0, "0")],
)
def test_a_score_falls_in_its_band(score: float, band: str) -> None:
    assert cv.score_band(score) == band
    assert cv.score_band(float("nan")) == "unknown"


def _legend(fmap: folium.Map) -> str:
    (legend,) = [c for c in fmap._children.values() if isinstance(c, MapLegend)]
    return str(legend.html)


def _properties(fmap: folium.Map) -> dict[str, dict[str, str]]:
    (layer,) = [c for c in fmap._children.values() if isinstance(c, folium.GeoJson)]
    return {f["properties"]["compound_id"]: f["properties"] for f in layer.data["features"]}


@pytest.mark.parametrize("lang", LANGS)
def test_the_map_draws_each_compound_in_its_colour_with_escaped_names(lang: str) -> None:
    report = _report({"A": 95.0, "B": 55.0, "C": float("nan")}, {"B": "overdue"})
    compounds = _squares(["A", "B", "C"], [XSS, "乙院", "丙苑"])
    fmap = cv.health_map(compounds, report, colour_by="score", lang=lang)
    page = fmap.get_root().render()
    assert remote_resources(page) == []
    assert XSS not in page and cv.COMPOUND_CLASS in page
    drawn = _properties(fmap)
    assert drawn["A"]["label"] == html.escape(XSS)
    assert {c: p[FILL] for c, p in drawn.items()} == {
        "A": "#1A9850",
        "B": "#D73027",
        "C": cv.UNKNOWN_COLOR,
    }
    assert drawn["A"]["score"] == "95.0" and drawn["C"]["score"] == t(
        "compounds_page.unknown", lang
    )
    # the flag in words is in B's tooltip
    flag = Flag("B", "2026-10", "overdue", 4.0, None, "2026-09")
    assert drawn["B"]["flags"] == html.escape(flag_text(flag, lang))
    legend = _legend(fmap)
    for key in ("90", "80", "70", "60", "0", "unknown"):
        assert html.escape(t(f"compounds_page.legend.band.{key}", lang)) in legend
    by_flag = cv.health_map(compounds, report, colour_by="flag", lang=lang)
    assert {c: p[FILL] for c, p in _properties(by_flag).items()} == {
        "A": cv.FLAG_COLORS["calm"],
        "B": cv.FLAG_COLORS["flagged"],
        "C": cv.FLAG_COLORS["unknown"],
    }
    assert t("compounds_page.legend.flag.flagged", lang) in _legend(by_flag)


def test_the_headline_counts_the_compounds_on_screen() -> None:
    report = _report(
        {"A": 95.0, "B": 55.0, "C": 71.0, "D": float("nan")}, {"B": "overdue", "C": "surge"}
    )
    every = cv.headline(report)
    assert (every.compounds, every.flagged, every.lowest_id) == (4, 2, "B")
    assert every.mean_score == pytest.approx((95 + 55 + 71) / 3)
    some = cv.headline(report, ["A", "C"])
    assert (some.compounds, some.flagged, some.lowest_id, some.lowest_score) == (2, 1, "C", 71.0)


def _street() -> HealthFrames:
    """Compound A: 100 households, a branch, a company, three issues past their deadline;
    compound B: nothing known but its branch-less, property-less self."""
    issues = pd.DataFrame(
        [
            {
                "issue_id": i,
                "compound_id": "A",
                "building_id": "a1",
                "category": cat,
                "status": "assigned",
                "deadline": "2026-10-05",
                "reported_at": "2026-10-01T09:00:00",
                "resolved_at": None,
                "closed_at": None,
            }
            for i, cat in enumerate(["parking", "pets", "water_pipes"], start=1)
        ]
    )
    return HealthFrames(
        issues=issues,
        events=pd.DataFrame(columns=["event_id", "issue_id", "action", "at", "to_status"]),
        compounds=pd.DataFrame({"compound_id": ["A", "B"], "branch_id": ["P", None]}),
        buildings=pd.DataFrame(
            {
                "building_id": ["a1", "b1"],
                "compound_id": ["A", "B"],
                "households": [100, 0],
                "residents": [250, 0],
                "elderly": [50, 0],
                "party_group_id": ["G", None],
                "building_head": ["王芳", None],
            }
        ),
        prop=pd.DataFrame(
            [
                {
                    "compound_id": "A",
                    "mode": "company",
                    "owners_committee": 0,
                    "self_managed_committee": 0,
                    "has_security": 1,
                }
            ]
        ),
    )


@pytest.mark.parametrize("lang", LANGS)
def test_the_card_gives_each_signal_its_value_points_and_reason(lang: str) -> None:
    report = compound_health(_street(), TODAY, month="2026-10", months=3)
    card = cv.compound_card(report, "A", lang)
    signals = card["signals"]
    assert list(signals[t("compounds_page.card.signal", lang)]) == [
        t(f"health.col.{k}", lang) for k in SIGNALS
    ]
    reasons = list(signals[t("compounds_page.card.reason", lang)])
    assert reasons == [t(f"compounds_page.reason.{k}", lang) for k in SIGNALS]
    values = dict(zip(signals.iloc[:, 0], signals.iloc[:, 1], strict=True))
    assert values[t("health.col.overdue_share", lang)] == "100%"
    assert values[t("health.col.issues_per_100_households", lang)] == "3.0"
    weights = list(signals[t("compounds_page.card.weight", lang)])
    assert weights == [PROFILE.signals[k].weight for k in SIGNALS]
    latest = report.latest().loc["A"]
    assert card["score"] == pytest.approx(latest["score"])
    assert card["confidence"] == pytest.approx(latest["confidence"])
    # most pressing first: three overdue issues since October, then the score's fall
    texts = [f["text"] for f in card["flags"]]
    assert texts[0] == t("health.flag.overdue", lang, value=3, since=_month(lang))
    drop = next(f for f in report.flags if f.compound_id == "A" and f.kind == "score_drop")
    assert texts[1:] == [flag_text(drop, lang)]
    assert len(card["trend"]) == 3
    # B: no branch, no property on record: unknowns, no error
    b = cv.compound_card(report, "B", lang)
    b_values = dict(zip(b["signals"].iloc[:, 0], b["signals"].iloc[:, 1], strict=True))
    assert b_values[t("health.col.property", lang)] == t("compounds_page.unknown", lang)
    assert b_values[t("health.col.branch", lang)] == t("compounds_page.no", lang)


def _month(lang: str) -> str:
    return t("wall_screen.month.m10", lang)


def test_a_streets_own_profile_shows_its_own_reasons() -> None:
    own = load_profile()
    own = type(own)(name="street", signals=own.signals, warning=own.warning)
    report = compound_health(_street(), TODAY, months=1, profile=own)
    reasons = cv.compound_card(report, "A", "zh")["signals"][t("compounds_page.card.reason", "zh")]
    assert list(reasons) == [own.signals[k].reason for k in SIGNALS]


def test_the_links_name_the_compound_and_its_community() -> None:
    links = cv.links("S1", "C1", "K1", "zh")
    assert links["issues"] == {"lang": "zh", "street": "S1", "community": "C1", "compound": "K1"}
    assert links["party"]["compound"] == "K1"
    # the life-circle page opens its card at the tier of the card's figure (15 minutes)
    assert links["life_circle"] == links["issues"] | {"mode": "tier", "tier": str(wall.LIFE_TIER)}


# -- the wall ------------------------------------------------------------------------------
@pytest.mark.parametrize("lang", LANGS)
def test_the_wall_tile_counts_the_flagged_compounds(lang: str) -> None:
    now = _report({"A": 50.0, "B": 80.0, "C": 90.0}, {"A": "low_score", "B": "overdue"})
    before = _report({"A": 50.0, "B": 80.0, "C": 90.0}, {"A": "low_score"}, month="2026-09")
    figure = flagged_figure(now, before)
    assert (figure.key, figure.value, figure.previous) == (FLAGGED_KEY, 2.0, 1.0)
    tile = wall.tile_text(figure, lang, today=TODAY)
    assert tile.label == t("compounds_page.wall.tile", lang)
    assert tile.value == "2" and tile.unit == t("wall_screen.unit.compounds", lang)
    assert tile.tone == "bad"  # one more flagged than last month
    assert tile.basis == t("compounds_page.wall.basis", lang, month=t("wall_screen.month.m9", lang))
    html = wall.tiles_html([figure], lang, today=TODAY)
    assert f'data-key="{FLAGGED_KEY}"' in html and t("compounds_page.wall.tile", lang) in html
    # a community's compounds only
    assert flagged_figure(now, before, ["B", "C"]).value == 1.0
    assert FLAGGED_KEY in wall.TILES


def test_the_ticker_names_the_newly_flagged_compounds() -> None:
    now = _report(
        {"A": 50.0, "B": 80.0, "C": 90.0}, {"A": "low_score", "B": "overdue", "C": "surge"}
    )
    before = _report({"A": 50.0, "B": 80.0, "C": 90.0}, {"A": "low_score"}, month="2026-09")
    assert new_flags(now, before) == ["B", "C"]
    assert new_flags(now, before, ["A", "C"]) == ["C"]
    line = cv.new_flags_html([XSS, "乙院"], "zh")
    assert XSS not in line and "&lt;img" in line
    assert "乙院" in line and line.startswith('<span class="mg-new')
    assert cv.new_flags_html([], "zh") == ""
