"""The wall screen: deck builders, settings, the report date, tile texts, and the page itself.

Pure parts are checked against hand-made frames; the page runs under AppTest against the
session's demo street (seed 7), the hand-drawn two-street database (no roads, no issues, an
empty community) and a database without any street.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import itertools
import json
import math
import re
import shutil
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
import streamlit
from hypothesis import given, settings
from hypothesis import strategies as st
from streamlit import cache_data
from streamlit.testing.v1 import AppTest

import mapgov.domain.kpi
from mapgov.core import clock
from mapgov.core.config import DB_ENV
from mapgov.core.errors import StoreError, ValidationError
from mapgov.core.i18n import LANGS, t
from mapgov.core.model import RoadKind
from mapgov.domain import cobuild
from mapgov.domain import issues_workflow as workflow
from mapgov.domain.kpi import FIGURES, Figure
from mapgov.domain.summary import place_counts
from mapgov.domain.users import get_user
from mapgov.store import Store, open_store, write_database
from mapgov.ui import wall_style
from mapgov.views import deck as deckmaps
from mapgov.views import deck_data as deckdata
from mapgov.views import wall
from tests.apptest import sign_in
from tests.conftest import AS_OF
from tests.handdrawn import build_two_streets

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 60
WGS84 = "EPSG:4326"


# -- settings and the tour -----------------------------------------------------------------
def test_settings_default_when_the_url_says_nothing() -> None:
    s = wall.WallSettings.from_query({})
    assert s == wall.WallSettings()
    assert (s.kiosk, s.refresh_s, s.tour, s.tour_s, s.basemap) == (False, 60, False, 20, False)
    assert s.metric == deckmaps.METRICS[0] == "open_per_100_households"
    assert s.to_query() == {}


@pytest.mark.parametrize(
    ("query", "field", "expected"),
    [
        ({"kiosk": "1"}, "kiosk", True),
        ({"kiosk": "true"}, "kiosk", True),
        ({"kiosk": "0"}, "kiosk", False),
        ({"refresh": "30"}, "refresh_s", 30),
        ({"refresh": "1"}, "refresh_s", 5),  # clamped
        ({"refresh": "99999"}, "refresh_s", 3600),
        ({"refresh": "soon"}, "refresh_s", 60),
        ({"tour": "1", "tour_every": "45"}, "tour_s", 45),
        ({"tour_every": "nan"}, "tour_s", 20),
        ({"metric": "stars"}, "metric", "stars"),
        ({"metric": "<script>"}, "metric", "open_per_100_households"),
        ({"basemap": "yes"}, "basemap", True),
    ],
)
def test_settings_from_the_url(query: dict[str, str], field: str, expected: object) -> None:
    assert getattr(wall.WallSettings.from_query(query), field) == expected


def test_settings_round_trip_and_map_timer() -> None:
    s = wall.WallSettings(kiosk=True, refresh_s=30, tour=True, tour_s=15, metric="stars")
    assert s.to_query() == {
        "kiosk": "1",
        "refresh": "30",
        "tour": "1",
        "tour_every": "15",
        "metric": "stars",
    }
    assert wall.WallSettings.from_query(s.to_query()) == s
    assert s.map_every_s == 15  # the tour step is shorter than the refresh
    assert dataclasses.replace(s, tour=False).map_every_s == 30


@pytest.mark.parametrize(
    ("refresh", "tour", "tick", "moves"),
    [
        (10, 15, 5, [15, 30, 45, 60]),  # issue 18: it moved every 20 s, on the 10 s refresh
        (60, 20, 20, [20, 40, 60]),
        (10, 20, 10, [20, 40, 60]),
        (5, 7, 7, [7, 14, 21, 28, 35, 42, 49, 56]),  # no common tick of 5 s or more
        (600, 5, 5, list(range(5, 61, 5))),
    ],
)
def test_the_tour_steps_on_its_own_schedule_whatever_the_refresh(
    refresh: int, tour: int, tick: int, moves: list[int]
) -> None:
    s = wall.WallSettings(refresh_s=refresh, tour=True, tour_s=tour)
    assert s.map_every_s == tick
    assert s.map_every_s <= refresh or tick == tour  # figures at least as fresh as asked
    assert wall.tour_moves(s, stops=5, until_s=60) == moves


def test_a_late_or_early_rerun_shows_the_stop_that_is_due() -> None:
    s = wall.WallSettings(refresh_s=10, tour=True, tour_s=15)
    # reruns every 5 s, each up to 2 s late or early
    assert [wall.tour_stop(e, s, 3) for e in (0, 6.9, 8.1, 13.1, 16.9, 28.2, 31.5)] == [
        0, 0, 0, 1, 1, 2, 2,
    ]  # fmt: skip
    assert wall.tour_stop(46.0, s, 3) == 0  # round the loop
    assert wall.tour_stop(99.0, s, 0) == 0


# -- tiles ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("figure", "value", "delta", "tone"),
    [
        (Figure("received", 107.0, 111.0, "count", None), "107", "▼ 4", "neutral"),
        (Figure("resolution_rate", 0.5, 0.75, "share", "up"), "50.0%", "▼ 25.0 pp", "bad"),
        (Figure("on_time_rate", 0.92, 0.9, "share", "up"), "92.0%", "▲ 2.0 pp", "good"),
        (Figure("mean_days_to_close", 13.44, 16.6, "days", "down"), "13.4", "▼ 3.2 days", "good"),
        (Figure("mean_days_to_close", 17.0, 16.0, "days", "down"), "17.0", "▲ 1.0 days", "bad"),
        (Figure("satisfaction_rate", 0.9, 0.9, "share", "up"), "90.0%", "same as last month",
         "neutral"),
        (Figure("three_nos", 2.0, None, "count", "down"), "2", "current state", "neutral"),
        (Figure("satisfaction_rate", None, None, "share", "up"), "—", "nothing to compare",
         "neutral"),
        (Figure("received", 1234.0, 1000.0, "count", None), "1,234", "▲ 234", "neutral"),
    ],
)  # fmt: skip
def test_tile_texts(figure: Figure, value: str, delta: str, tone: str) -> None:
    tile = wall.tile_text(figure, "en")
    assert (tile.value, tile.delta, tile.tone) == (value, delta, tone)
    assert tile.label == t(f"wall_screen.tile.{figure.key}", "en")


def test_tile_units_and_chinese_deltas() -> None:
    days = wall.tile_text(Figure("mean_days_to_close", 13.44, 16.6, "days", "down"), "zh")
    assert (days.unit, days.delta) == ("天", "▼ 3.2 天")
    share = wall.tile_text(Figure("resolution_rate", 0.5, 0.75, "share", "up"), "zh")
    assert (share.unit, share.delta) == ("", "▼ 25.0 个百分点")
    assert wall.tile_text(Figure("red_property", 12.0, None, "count"), "zh").unit == "个"
    assert wall.tile_text(Figure("received", 5.0, 4.0, "count", None), "zh").unit == "件"
    assert wall.tile_text(Figure("received", None, None, "count", None), "zh").unit == ""


def test_tiles_html_has_all_ten_in_order() -> None:
    figures = [Figure(k, 0.5, 0.4, "share") for k in FIGURES]
    html = wall.tiles_html(figures, "zh")
    assert re.findall(r'data-key="([a-z_]+)"', html) == list(FIGURES)
    assert html.count('class="mg-tile"') == 10
    assert t("wall_screen.tile.life_complete", "zh") == "15分钟生活圈"  # the level, as in English
    assert "15分钟生活圈" in html
    assert "\n" not in html  # one line: Markdown keeps it a single HTML block


@pytest.mark.parametrize(
    ("key", "today", "lang", "basis"),
    [
        ("received", dt.date(2026, 11, 15), "zh", "较10月1–15日"),
        ("resolution_rate", dt.date(2026, 11, 15), "zh", "较10月1–15日，各按期末状态"),
        ("resolution_rate", dt.date(2026, 11, 15), "en", "vs Oct 1–15, each as at its end"),
        ("satisfaction_rate", dt.date(2026, 3, 31), "zh", "较2月1–28日"),
        ("needs_waiting", dt.date(2027, 1, 9), "en", "vs Dec 9"),
    ],
)
def test_a_tile_says_what_it_compares_with(key: str, today: dt.date, lang: str, basis: str) -> None:
    """Issue 18.3: the change on a tile names the days it is set against."""
    tile = wall.tile_text(Figure(key, 0.5, 0.4, "share"), lang, today=today)
    assert tile.basis == basis
    assert wall.tile_text(Figure(key, 0.5, 0.4, "share"), lang).basis == ""  # no day, no claim
    html = wall.tiles_html([Figure(key, 0.5, 0.4, "share")], lang, today=today)
    assert f'<div class="mg-tile-basis">{basis}</div>' in html
    # a figure with no previous value compares with nothing and says so, without a basis
    three = wall.tiles_html([Figure("three_nos", 2.0, None, "count", "down")], lang, today=today)
    assert "mg-tile-basis" not in three


# -- panels --------------------------------------------------------------------------------
def test_ranking_and_ticker_escape_and_mask() -> None:
    ranking = pd.DataFrame(
        {
            "community_id": ["C1", "C2"],
            "received": [12, 3],
            "resolution_rate": [0.9166, None],
            "satisfaction_rate": [1.0, float("nan")],
            "overdue": [0, 2],
        }
    )
    html = wall.ranking_html(ranking, {"C1": "<b>王城</b>"}, "zh")
    assert "&lt;b&gt;王城&lt;/b&gt;" in html and "<b>王城" not in html
    assert 'title="&lt;b&gt;王城&lt;/b&gt;"' in html  # the whole name when it is cut
    assert "92%" in html and "—" in html and ">C2<" in html
    assert 'class="mg-bad">2<' in html
    ledger = pd.DataFrame(
        {
            "issue_id": [1, 2],
            "closed_at": ["2026-11-15T17:27:19", "2026-11-14T08:00:00"],
            "title": ["楼道灯不亮", "<img src=x>"],
            "category": ["lighting", "pets"],
            "compound_id": ["K1", "K9"],
            "reporter": ["张**", None],
            "satisfaction": ["satisfied", None],
        }
    )
    ticker = wall.ticker_html(ledger, {"K1": "光明苑"}, "zh")
    assert "11-15 17:27" in ticker and "光明苑" in ticker and "张**" in ticker
    assert "&lt;img src=x&gt;" in ticker and "<img" not in ticker
    assert t("callback_rating.satisfied", "zh") in ticker
    assert ticker.count("楼道灯不亮") == 2  # written twice: the roll loops seamlessly
    assert wall.ticker_html(ledger.iloc[0:0], {}, "en") == wall.ranking_html(
        ranking.iloc[0:0], {}, "en"
    )


def test_nice_ticks_are_round_and_cover_the_top() -> None:
    assert wall.nice_ticks(0) == [0, 1]
    assert wall.nice_ticks(5) == [0, 2, 4, 6]
    assert wall.nice_ticks(297) == [0, 100, 200, 300]
    assert wall.nice_ticks(1234) == [0, 500, 1000, 1500]


def _points(svg: str, colour: str) -> list[tuple[float, float]]:
    match = re.search(rf'<polyline points="([^"]+)" fill="none" stroke="{colour}"', svg)
    assert match is not None, colour
    return [tuple(map(float, p.split(","))) for p in match.group(1).split()]  # type: ignore[misc]


def test_trend_chart_places_each_month_by_its_count() -> None:
    trend = pd.DataFrame(
        {"month": ["2026-09", "2026-10", "2026-11"], "received": [4, 8, 0], "closed": [2, 8, 4]}
    )
    svg = wall.trend_svg(trend, "zh", width=600, height=200)
    received = _points(svg, wall.RECEIVED_COLOUR)
    closed = _points(svg, wall.CLOSED_COLOUR)
    assert [x for x, _ in received] == [x for x, _ in closed]  # one column a month
    assert received[0][0] < received[1][0] < received[2][0]  # oldest first
    ys = {v: y for v, (_, y) in zip([4, 8, 0], received, strict=True)}
    assert ys[8] < ys[4] < ys[0]  # more issues, higher up
    assert received[1][1] == closed[1][1]  # equal counts, same height
    assert ys[4] - ys[8] == pytest.approx(ys[0] - ys[4])  # a linear axis from zero
    for label in ("26-09", "26-10", "26-11", "受理", "销号", ">8<", ">0<"):
        assert label in svg
    img = wall.svg_img(svg, 'trend "12"')
    assert img.startswith('<img class="mg-chart" alt="trend &quot;12&quot;" src="data:image/svg')
    assert base64.b64decode(img.split("base64,")[1].rstrip('">')).decode() == svg
    assert "http" not in img  # nothing to fetch (the SVG namespace is inside the data)


def test_the_month_under_way_is_drawn_as_partial() -> None:
    """Issue 18.3: the current month's 15 days are dashed and labelled, not a cliff."""
    trend = pd.DataFrame(
        {
            "month": ["2026-09", "2026-10", "2026-11"],
            "received": [40, 44, 20],
            "closed": [38, 41, 9],
            "days": [30, 31, 15],
        }
    )
    svg = wall.trend_svg(trend, "zh", width=600, height=200)
    assert len(_points(svg, wall.RECEIVED_COLOUR)) == 2  # whole months: a solid line
    dashed = re.findall(r'<polyline class="mg-partial" points="([^"]+)"[^>]*stroke-dasharray', svg)
    assert len(dashed) == 2 and all(len(p.split()) == 2 for p in dashed)  # Oct -> Nov, dashed
    assert t("wall_screen.trend_partial", "zh", month="11月", day=15) in svg
    assert "11月截至15日" in svg
    # on the month's last day it is whole again: no dashes, no note
    whole = wall.trend_svg(trend.assign(days=[30, 31, 30]), "en", width=600, height=200)
    assert "mg-partial" not in whole and len(_points(whole, wall.CLOSED_COLOUR)) == 3


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize(
    "shape", [{}, wall.PAGE_TREND, wall.KIOSK_TREND], ids=["page", "narrow", "kiosk"]
)
def test_the_trends_words_never_touch(lang: str, shape: dict[str, int]) -> None:
    """Twelve months in a narrow chart: the months named stand apart (every second one when
    twelve would touch, the latest always), and the partial month's note stands clear of the
    legend (under it when the line is too short for both)."""
    months = [f"2026-{m:02d}" for m in range(1, 13)]
    trend = pd.DataFrame(
        {"month": months, "received": range(900, 912), "closed": range(880, 892)}
        | {"days": [31] * 11 + [15]}
    )
    svg = wall.trend_svg(trend, lang, **shape)
    font = shape.get("font", 13)

    def width_of(text: str, size: int) -> float:  # a CJK character an em, others 0.6
        return sum(size if ord(c) > 0x2E7F else 0.6 * size for c in text)

    named = re.findall(r'<text x="([\d.]+)"[^>]*text-anchor="middle">([^<]+)<', svg)
    assert named[-1][1] == "26-12"
    assert len(named) in {12, 6}  # all, or every second
    xs = [float(x) for x, _ in named]
    gaps = [b - a for a, b in itertools.pairwise(xs)]
    assert min(gaps) >= width_of("26-12", font), (gaps, font)
    legend = re.findall(
        rf'<text x="([\d.]+)" y="([\d.]+)"[^>]*font-size="{font + 1}">([^<]+)<', svg
    )
    note = re.search(r'class="mg-partial-note" x="([\d.]+)" y="([\d.]+)"[^>]*>([^<]+)<', svg)
    assert note is not None and len(legend) == 2
    legend_right = max(float(x) + width_of(text, font + 1) for x, _, text in legend)
    note_left = float(note.group(1)) - width_of(note.group(3), font)
    if note.group(2) == legend[0][1]:  # on the legend's line: right of it
        assert legend_right <= note_left, (legend_right, note_left)
    else:  # under it, and above the plot
        assert float(note.group(2)) > float(legend[0][1])


def test_category_bars_are_as_long_as_their_counts() -> None:
    top = pd.DataFrame({"category": ["parking", "pets"], "count": [8, 2]})
    html = wall.categories_html(top, "en")
    widths = [float(w) for w in re.findall(r"width:([\d.]+)%", html)]
    assert widths == [100.0, 25.0]
    names = re.findall(r'class="mg-cat-name" title="[^"]*">([^<]+)<', html)
    assert names == [t("issue_category.parking", "en"), t("issue_category.pets", "en")]
    assert re.findall(r'class="mg-cat-n">(\d+)<', html) == ["8", "2"]
    assert "mg-empty" in wall.categories_html(top.iloc[0:0], "zh")


def test_legends() -> None:
    legend = wall.legend_html("stars", "en")
    assert legend.count("mg-swatch") == len(deckdata.metric_scale("stars").colours) + 1 + len(
        deckmaps.HEAT_COLOURS
    )
    assert "5★" in legend and t("wall_screen.metric.stars", "en") in legend
    # every whole number of stars in one class: 1★ compounds are in the first, not "0★"
    keys = re.findall(r'class="mg-swatch"[^>]*></span>([^<]+)<', legend)
    assert keys[:5] == ["0–1★", "2★", "3★", "4★", "5★"]
    facilities = wall.facility_legend_html("zh")
    assert facilities.count("mg-glyph") == 9 and "助餐" in facilities and "党" in facilities


# -- what the map reads from the store -----------------------------------------------------
def test_map_data_of_the_demo_street(demo_store: Store) -> None:
    counts = place_counts(demo_store, street_id="S001")
    data = wall.map_data(demo_store, "S001", "en")
    assert len(data.communities) == counts.communities
    assert len(data.compounds) == counts.compounds and data.compounds["value"].isna().all()
    assert len(data.buildings) == counts.buildings
    assert data.buildings["floors"].min() >= 1
    assert set(data.roads["kind"]) <= {k.value for k in RoadKind}
    assert data.facilities["glyph"].str.len().eq(1).all()
    assert data.issues.empty
    everything = wall.map_data(demo_store, None, "zh")
    assert len(everything.compounds) == demo_store.counts()["compound"]


def test_recent_points_and_compound_figures(demo_store: Store) -> None:
    issues = pd.DataFrame(
        {
            "reported_at": ["2026-10-16T23:59:00", "2026-10-17T00:00:00", "2026-11-15T23:00:00",
                            "2026-11-16T00:00:00", None],
            "lon": [1.0, 2.0, 3.0, 4.0, 5.0],
            "lat": [1.0, 2.0, 3.0, 4.0, 5.0],
        }
    )  # fmt: skip
    recent = wall.recent_points(issues, dt.date(2026, 11, 15))
    assert recent["lon"].tolist() == [2.0, 3.0]  # 30 days: 10-17 .. 11-15
    frames = mapgov.domain.kpi.load_frames(demo_store, street_id="S001")
    life = wall.life_circle(demo_store, "S001")
    shares = wall.compound_figures(frames, "life_complete", today=AS_OF, life=life)
    assert list(shares.index) == list(frames.compounds["compound_id"])
    assert shares.between(0, 1).all()
    assert 0 < life.share() < 1
    by_community = [life.share(c) for c in frames.compounds["community_id"].unique()]
    assert all(0 <= s <= 1 for s in by_community)
    none = wall.compound_figures(frames, "life_complete", today=AS_OF)
    assert none.isna().all()
    stars = wall.compound_figures(frames, "stars", today=AS_OF)
    assert stars.dropna().between(0, 5).all()


def test_no_roads_no_life_circle(tmp_path: Path) -> None:
    store = open_store(build_two_streets(tmp_path / "two.sqlite"))
    life = wall.life_circle(store, "S1")
    assert life.share() is None and life.by_compound().empty


# -- deck builders -------------------------------------------------------------------------
def test_metric_colours_follow_the_figure_and_its_direction() -> None:
    good, bad = (
        deckdata.metric_scale("satisfaction").colours[-1],
        deckdata.metric_scale("satisfaction").colours[0],
    )
    sat = deckdata.metric_colours([0.99, 0.5, np.nan], "satisfaction")
    assert [tuple(c) for c in sat] == [good, bad, deckdata.NO_DATA_COLOUR]
    # open issues: fewer is better, so the same green goes to the lowest class
    per100 = deckdata.metric_colours([0.0, 0.7, 9.0], "open_per_100_households")
    assert tuple(per100[0]) == good and tuple(per100[2]) == bad
    stars = deckdata.metric_colours([0, 1, 2, 3, 4, 5], "stars")
    assert [tuple(c) for c in stars[[0, 5]]] == [bad, good]
    assert tuple(stars[1]) == tuple(stars[0])  # 0 and 1 star share the lowest class
    with pytest.raises(ValidationError, match="unknown compound figure 'x'"):
        deckdata.metric_colours([1.0], "x")


def test_polygon_rows_round_drop_the_closing_vertex_and_split_parts() -> None:
    square = shapely.box(112.123456789, 34.1, 112.2, 34.2)
    multi = shapely.MultiPolygon([shapely.box(0, 0, 1, 1), shapely.box(2, 2, 3, 3)])
    frame = gpd.GeoDataFrame(
        {"k": ["a", "b", "c"]},
        geometry=[square, multi, shapely.Polygon()],
        crs=WGS84,
    )
    rings, source = deckdata.polygon_rows(frame)
    assert len(rings) == 3 and source.tolist() == [0, 1, 1]
    assert len(rings[0]) == 4  # no repeated first vertex
    assert 112.123457 in [x for x, _ in rings[0]]
    with pytest.raises(ValidationError, match="EPSG:4326"):
        deckdata.polygon_rows(frame.set_crs(3857, allow_override=True))


def test_hex_bins_count_points_with_a_fixed_origin() -> None:
    lon = [112.4, 112.40001, 112.4, 112.43, np.nan]
    lat = [34.67, 34.67001, 34.67, 34.67, 34.67]
    bins = deckdata.hex_bins(lon, lat, radius_m=100, origin=(112.4, 34.67))
    assert bins["count"].tolist() == [3, 1]
    assert bins.iloc[0][["lon", "lat"]].tolist() == [112.4, 34.67]  # the origin is a centre
    assert deckdata.hex_bins([], [], radius_m=50).empty
    with pytest.raises(ValidationError, match="radius"):
        deckdata.hex_bins([1.0], [1.0], radius_m=0)


@settings(max_examples=40, deadline=None)
@given(
    xy=st.lists(st.tuples(st.floats(-3000, 3000), st.floats(-3000, 3000)), min_size=1, max_size=60),
    radius=st.floats(40, 600),
)
def test_every_point_lies_in_the_hexagon_of_its_nearest_centre(
    xy: list[tuple[float, float]], radius: float
) -> None:
    lat0 = 34.67
    kx = 111_320.0 * math.cos(math.radians(lat0))
    lon = np.array([112.4 + x / kx for x, _ in xy])
    lat = np.array([lat0 + y / 110_574.0 for _, y in xy])
    bins = deckdata.hex_bins(lon, lat, radius_m=radius, origin=(112.4, lat0))
    assert bins["count"].sum() == len(xy)
    cx = (bins["lon"].to_numpy() - 112.4) * kx
    cy = (bins["lat"].to_numpy() - lat0) * 110_574.0
    for x, y in xy:
        d = np.hypot(cx - x, cy - y)
        assert d.min() <= radius * 1.0001 + 0.2  # centres are rounded to 1e-6 degrees


def test_hex_rings_are_flat_topped_hexagons() -> None:
    bins = pd.DataFrame({"lon": [112.4], "lat": [34.67], "count": [3]})
    (ring,) = deckmaps.hex_rings(bins, radius_m=100)
    assert len(ring) == 6
    assert ring[0][1] == pytest.approx(34.67) and ring[0][0] > 112.4  # first corner east
    assert ring[3][0] < 112.4


def _frame(rows: dict[str, list[object]], geoms: list[shapely.Geometry]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(rows, geometry=geoms, crs=WGS84)


@pytest.fixture
def map_data() -> deckmaps.WallMapData:
    """Two communities, three compounds, two buildings, a road, a river, two facilities."""
    box = shapely.box
    return deckmaps.WallMapData(
        communities=_frame(
            {"community_id": ["C1", "C2"], "label": ["王城社区", "金谷社区"]},
            [box(112.40, 34.60, 112.41, 34.61), box(112.41, 34.60, 112.42, 34.61)],
        ),
        compounds=_frame(
            {
                "compound_id": ["K1", "K2", "K3"],
                "label": ["甲", "乙", "丙"],
                "value": [0.2, 3.0, np.nan],
                "value_text": ["0.2", "3.0", "—"],
            },
            [
                box(112.4011111111, 34.601, 112.404, 34.604),
                box(112.405, 34.601, 112.408, 34.604),
                box(112.411, 34.601, 112.414, 34.604),
            ],
        ),
        buildings=_frame(
            {"floors": [6, 18]},
            [
                box(112.4012222222, 34.6012, 112.4017, 34.6015),
                box(112.4052, 34.6012, 112.4057, 34.6015),
            ],
        ),
        roads=_frame(
            {"kind": ["arterial", "path"]},
            [
                shapely.LineString([(112.40, 34.605), (112.42, 34.605)]),
                shapely.LineString([(112.402, 34.602), (112.403, 34.603)]),
            ],
        ),
        landuse=_frame({"kind": ["water"]}, [box(112.40, 34.608, 112.42, 34.609)]),
        facilities=_frame(
            {"kind": ["canteen", "clinic"], "label": ["食堂", "卫生站"], "glyph": ["食", "医"]},
            [shapely.Point(112.4045, 34.6045), shapely.Point(112.415, 34.605)],
        ),
        issues=pd.DataFrame({"lon": [112.402, 112.4021, 112.412], "lat": [34.602, 34.602, 34.603]}),
    )


BOUNDS = (112.40, 34.60, 112.42, 34.61)


def _deck(data: deckmaps.WallMapData, **kwargs: object) -> tuple[deckmaps.CompactDeck, dict]:
    view = deckmaps.wall_view(BOUNDS, width_px=1190, height_px=790)
    options = {"metric": "open_per_100_households", "view": view, "bounds": BOUNDS} | kwargs
    deck = deckmaps.wall_deck(data, **options)  # type: ignore[arg-type]
    return deck, json.loads(deck.to_json())


def test_the_deck_has_every_layer_with_a_stable_id(map_data: deckmaps.WallMapData) -> None:
    _, spec = _deck(map_data)
    ids = [layer["id"] for layer in spec["layers"]]
    assert ids == list(deckmaps.LAYER_IDS)
    types = {layer["id"]: layer["@@type"] for layer in spec["layers"]}
    # one shader program (two with the extruded sides) for all but the text: each layer type
    # costs the first frame its shader compilation in a browser without a GPU
    assert {k: v for k, v in types.items() if v != "PolygonLayer"} == {"wall-labels": "TextLayer"}
    buildings = next(layer for layer in spec["layers"] if layer["id"] == "wall-buildings")
    assert [row["h"] for row in buildings["data"]] == [18.0, 54.0]  # floors x 3 m
    assert buildings["extruded"] is True


def _shapes(spec: dict, layer_id: str) -> list[shapely.Polygon]:
    layer = next(layer for layer in spec["layers"] if layer["id"] == layer_id)
    return [shapely.Polygon(row["p"][0], row["p"][1:]) for row in layer["data"]]


def _metres(geom: shapely.Geometry, lat: float = 34.6) -> shapely.Geometry:
    k = (111_320.0 * math.cos(math.radians(lat)), 110_574.0)
    return shapely.transform(geom, lambda c: c * k)


def test_lines_outlines_and_points_become_polygons_of_their_size(
    map_data: deckmaps.WallMapData,
) -> None:
    _, spec = _deck(map_data, focus="C2")
    pixel_m = deckdata.metres_per_pixel(deckmaps.wall_view(BOUNDS, width_px=1190, height_px=790))
    assert 0.5 < pixel_m < 5  # a street on 1,190 pixels
    arterial, path = _shapes(spec, "wall-roads")
    length = _metres(map_data.roads.geometry.iloc[0]).length
    assert _metres(arterial).area == pytest.approx(length * 16 + 16 * 16, rel=0.01)  # 16 m wide
    assert _metres(arterial).covers(_metres(map_data.roads.geometry.iloc[0]))
    assert _metres(path).area / _metres(map_data.roads.geometry.iloc[1]).length == pytest.approx(
        max(3.0, pixel_m), rel=0.1
    )  # a 3 m path, but never under a pixel
    plain, focus = _shapes(spec, "wall-communities")
    assert len(plain.interiors) == len(focus.interiors) == 1  # bands, not filled areas
    for band, community, width in zip(
        (plain, focus), map_data.communities.geometry, (5, 14), strict=True
    ):
        perimeter = _metres(community).length
        assert _metres(band).area == pytest.approx(perimeter * width, rel=0.02)
    compounds = _shapes(spec, "wall-compounds")
    for shrunk, original in zip(compounds, map_data.compounds.geometry, strict=True):
        assert original.contains(shrunk) and shrunk.area > 0.9 * original.area
    discs = _shapes(spec, "wall-facilities")
    assert len(discs) == 4  # a coloured disc and a dark one inside it, per facility
    radius = deckmaps.FACILITY_RADIUS_PX * pixel_m
    assert _metres(discs[0]).area == pytest.approx(math.pi * radius**2, rel=0.05)
    assert discs[0].contains(discs[2]) and discs[2].area < discs[0].area
    layer = next(layer for layer in spec["layers"] if layer["id"] == "wall-facilities")
    assert [row["n"] for row in layer["data"]] == ["食堂", "卫生站"] * 2  # a tooltip on both


def test_polygon_parts_keep_holes_and_drop_degenerate_rings() -> None:
    ring = shapely.box(0, 0, 10, 10).difference(shapely.box(2, 2, 4, 4))
    multi = shapely.MultiPolygon([ring, shapely.box(20, 0, 21, 1)])
    parts, src = deckdata.polygon_parts(np.array([multi, shapely.Polygon(), ring]))
    assert [len(p) for p in parts] == [2, 1, 2] and src.tolist() == [0, 0, 2]
    assert len(parts[0][0]) == 4 and parts[0][0][0] != parts[0][0][-1]  # unclosed


def test_compounds_are_coloured_by_the_chosen_figure(map_data: deckmaps.WallMapData) -> None:
    for metric in ("open_per_100_households", "satisfaction", "stars"):
        _, spec = _deck(map_data, metric=metric)
        compounds = next(layer for layer in spec["layers"] if layer["id"] == "wall-compounds")
        expected = deckdata.metric_colours(map_data.compounds["value"], metric).tolist()
        assert [row["c"] for row in compounds["data"]] == expected
        assert [row["n"] for row in compounds["data"]] == ["甲", "乙", "丙"]
    assert expected[2] == list(deckdata.NO_DATA_COLOUR)


def test_no_url_and_no_basemap_unless_asked(map_data: deckmaps.WallMapData) -> None:
    deck, spec = _deck(map_data)
    text = deck.to_json()
    assert deckmaps.remote_urls(text) == []
    assert spec["mapStyle"] == "__MAP_STYLE__"  # pydeck's placeholder: Streamlit drops it
    assert "mapProvider" not in spec
    online, spec = _deck(map_data, basemap_style=deckmaps.CARTO_DARK)
    assert spec["mapStyle"] == deckmaps.CARTO_DARK
    assert deckmaps.remote_urls(online.to_json()) == ["https://basemaps.cartocdn.com"]


def test_coordinates_are_rounded_and_the_json_compact(map_data: deckmaps.WallMapData) -> None:
    deck, spec = _deck(map_data)
    text = deck.to_json()
    decimals = [len(m) for m in re.findall(r"\d\.(\d+)", text)]
    assert max(decimals) <= deckdata.COORD_DECIMALS
    assert "112.401222" in text and "112.4012222222" not in text  # a building corner
    assert "\n" not in text and ": " not in text
    assert len(text.encode()) < len(json.dumps(spec, indent=2).encode()) / 2


def test_the_same_bounds_give_the_same_view_and_json(map_data: deckmaps.WallMapData) -> None:
    a, _ = _deck(map_data)
    b, _ = _deck(map_data)
    assert a.to_json() == b.to_json()  # a refresh with unchanged data changes nothing
    flying = deckmaps.wall_view(BOUNDS, width_px=1190, height_px=790, transition_ms=1500)
    still = deckmaps.wall_view(BOUNDS, width_px=1190, height_px=790)
    assert flying.transition_duration == 1500 and not hasattr(still, "transition_duration")
    assert (flying.longitude, flying.zoom) == (still.longitude, still.zoom)


def test_focus_limits_and_empty_data(map_data: deckmaps.WallMapData) -> None:
    _, spec = _deck(map_data, focus="C2")
    outlines = next(layer for layer in spec["layers"] if layer["id"] == "wall-communities")
    assert [row["w"] for row in outlines["data"]] == [5, 14]
    _, spec = _deck(map_data, building_limit=1)
    assert "wall-buildings" not in [layer["id"] for layer in spec["layers"]]
    empty = deckmaps.WallMapData(
        *(frame.iloc[0:0] for frame in (map_data.communities, map_data.compounds,
                                        map_data.buildings, map_data.roads, map_data.landuse,
                                        map_data.facilities)),
        issues=map_data.issues.iloc[0:0],
    )  # fmt: skip
    _, spec = _deck(empty)
    assert spec["layers"] == []


def test_text_layer_strings_are_literal_not_accessors(map_data: deckmaps.WallMapData) -> None:
    _, spec = _deck(map_data)
    text = next(layer for layer in spec["layers"] if layer["id"] == "wall-labels")
    assert text["characterSet"] == "auto"
    assert text["fontFamily"].startswith('"Noto Sans CJK SC"')
    assert text["getText"] == "@@=t"
    assert sorted(row["t"] for row in text["data"]) == sorted(["食", "医", "王城社区", "金谷社区"])


# -- the page under AppTest ----------------------------------------------------------------
def _open(query: dict[str, str]) -> AppTest:
    at = sign_in(AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT))
    at.query_params.update(query)
    return at.run()


def _tiles(at: AppTest) -> list[str]:
    html = _page_html(at)
    return re.findall(r'class="mg-tile" data-key="([a-z_]+)"', html)


def _deck_spec(at: AppTest) -> dict:
    (chart,) = at.get("deck_gl_json_chart")
    return json.loads(chart.proto.json)


def _html_bodies(at: AppTest) -> list[str]:
    return [h.proto.body for h in at.get("html")]


def _page_html(at: AppTest) -> str:
    """The wall's own HTML (st.html elements but the style sheets), joined."""
    return "".join(b for b in _html_bodies(at) if not b.lstrip().startswith("<style"))


@pytest.fixture
def demo_app(monkeypatch: pytest.MonkeyPatch, page_db: Path) -> Path:
    monkeypatch.setenv(DB_ENV, str(page_db))
    return page_db


@pytest.mark.parametrize("kiosk", [False, True])
@pytest.mark.parametrize("lang", LANGS)
def test_the_wall_page_shows_its_tiles_a_map_and_panels(
    demo_app: Path, lang: str, kiosk: bool
) -> None:
    at = _open({"lang": lang} | ({"kiosk": "1"} if kiosk else {}))
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    assert _tiles(at) == list(wall.TILES)
    html = _page_html(at)
    for key in wall.TILES:
        assert wall.tile_label(key, lang) in html
    assert "mg-notice" not in html
    assert [layer["id"] for layer in _deck_spec(at)["layers"]] == list(deckmaps.LAYER_IDS)
    assert len(at.get("vega_lite_chart")) == 0  # the charts are HTML: no chart library
    assert html.count('class="mg-chart"') == 1 and html.count("mg-cat-bar") >= 1
    (data,) = re.findall(r'class="mg-chart"[^>]*base64,([^"]+)"', html)
    chart = base64.b64decode(data).decode()
    # the kiosk's trend is wide and low with large words: it reads across the room on a
    # 1366 x 768 screen, where its box is 100 px high (tests/browser measures the words there)
    shape = wall.KIOSK_TREND if kiosk else wall.PAGE_TREND
    assert f'viewBox="0 0 {shape.get("width", 680)} {shape["height"]}"' in chart
    assert {int(f) for f in re.findall(r'<text[^>]*font-size="(\d+)"', chart)} <= {
        shape["font"],
        shape["font"] + 1,
    }
    assert t("wall_screen.panel.ticker", lang) in html
    css = _html_bodies(at)
    assert any("mg-tile" in body for body in css)
    kiosk_css = any('[data-testid="stSidebar"]' in body for body in css)
    assert kiosk_css is kiosk  # the chrome is hidden only in kiosk mode
    # the map's code (Streamlit's deck.gl chunk) starts loading before the street is read
    chunk = wall_style.deck_chunk()
    assert (
        chunk is not None
        and (Path(streamlit.__file__).parent / "static/static/js" / chunk).is_file()
    )
    prefetch = [h.proto for h in at.get("html") if 'class="mg-prefetch"' in h.proto.body]
    assert len(prefetch) == 1 and prefetch[0].unsafe_allow_javascript
    # a picture of the map's flat layers stands in its place until WebGL has drawn
    posters = [h.proto for h in at.get("html") if 'class="mg-poster"' in h.proto.body]
    assert len(posters) == 1 and posters[0].unsafe_allow_javascript
    assert 'src="data:image/svg+xml;base64,' in posters[0].body
    assert f'import(new URL("{chunk}"' in prefetch[0].body
    if kiosk:
        assert [e.value for e in at.title] == []  # the title is in the kiosk's own bar
        assert t("page.wall.title", lang) in html
        assert len(at.metric) == 0
    else:
        assert [e.value for e in at.title] == [t("page.wall.title", lang)]
        assert len(at.metric) == 6  # the place counts of the shell's pages


def test_the_demo_reports_on_its_own_as_of_day(demo_app: Path) -> None:
    at = _open({"kiosk": "1"})
    html = _page_html(at)
    assert t("wall_screen.report_date", "zh", date="2026-11-15") in html
    # this month (November 1-15) of the demo ledger has issues: the tile is not zero
    received = re.search(r'data-key="received">.*?mg-tile-value">([\d,]+)', html)
    assert received is not None and int(received.group(1).replace(",", "")) > 50
    # its changes are against October 1-15, the resolution rate each as it stood at its end
    rate = re.search(r'data-key="resolution_rate">.*?mg-tile-basis">([^<]*)<', html)
    assert rate is not None and rate.group(1) == "较10月1–15日，各按期末状态"


def test_url_settings_reach_the_map(demo_app: Path) -> None:
    at = _open({"kiosk": "1", "metric": "stars", "tour": "1", "tour_every": "10"})
    assert not at.exception
    spec = _deck_spec(at)
    assert spec["initialViewState"]["transitionDuration"] == 1500
    html = _page_html(at)
    assert t("wall_screen.metric.stars", "zh") in html
    assert t("wall_screen.tour_stop", "zh", n=1, total=5) in html
    compounds = next(layer for layer in spec["layers"] if layer["id"] == "wall-compounds")
    palette = {tuple(c) for c in deckdata.metric_scale("stars").colours}
    palette.add(deckdata.NO_DATA_COLOUR)
    assert {tuple(row["c"]) for row in compounds["data"]} <= palette
    assert deckmaps.remote_urls(json.dumps(spec)) == []


def test_life_circle_colouring(demo_app: Path) -> None:
    at = _open({"kiosk": "1", "metric": "life_complete", "lang": "en"})
    assert not at.exception
    html = _page_html(at)
    value = re.search(r'data-key="life_complete">.*?mg-tile-value">([\d.]+)%', html)
    assert value is not None and 0 < float(value.group(1)) <= 100
    compounds = next(layer for layer in _deck_spec(at)["layers"] if layer["id"] == "wall-compounds")
    assert {row["v"].endswith("%") or row["v"] == "—" for row in compounds["data"]} == {True}


def test_the_settings_widgets_write_the_url(demo_app: Path) -> None:
    at = _open({"lang": "en"})
    at.toggle(key="mapgov.wall.widget.tour").set_value(True).run()
    assert at.query_params["tour"] == "1"
    at.selectbox(key="mapgov.wall.widget.metric").set_value("stars").run()
    assert not at.exception
    assert at.query_params["metric"] == "stars"
    assert t("wall_screen.metric.stars", "en") in _page_html(at)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_basemap_setting_has_a_short_label_and_says_why_in_its_tooltip(
    demo_app: Path, lang: str
) -> None:
    """The label once ran "在线底图（需联网；断网时自动不显示）" and was cut to "…自动不显…" in
    its column: the label is now the setting's name, the explanation is in its tooltip."""
    at = _open({"lang": lang})
    basemap = at.toggle(key="mapgov.wall.widget.basemap")
    assert basemap.label == {"zh": "在线底图", "en": "Online basemap"}[lang]
    assert basemap.help == t("wall_screen.settings.basemap_help", lang)
    assert {"zh": "断网", "en": "offline"}[lang] in basemap.help


def test_a_street_without_roads_or_issues(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(DB_ENV, str(build_two_streets(tmp_path / "two.sqlite")))
    for query in ({"kiosk": "1"}, {"street": "S1", "community": "C2"}, {"street": "S2"}):
        at = _open(query)
        assert not at.exception, [e.value for e in at.exception]
        assert not at.error
        assert _tiles(at) == list(wall.TILES)
        html = _page_html(at)
        life = re.search(r'data-key="life_complete">.*?mg-tile-value">([^<]+)<', html)
        assert life is not None and life.group(1) == "—"  # no roads: no figure, no error


def test_a_database_without_streets(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    db = write_database(tmp_path / "empty.sqlite", {}, {"as_of": "2026-11-15"})
    monkeypatch.setenv(DB_ENV, str(db))
    for query in ({}, {"kiosk": "1"}):
        at = _open(query)
        assert not at.exception
        html = _page_html(at)
        assert t("wall_screen.no_street", "zh") in html
        assert at.get("deck_gl_json_chart") == []


def test_a_mapgov_error_is_a_calm_notice(monkeypatch: pytest.MonkeyPatch, demo_app: Path) -> None:
    def broken(*_args: object, **_kwargs: object) -> None:
        msg = "database is busy"
        raise StoreError(msg)

    monkeypatch.setattr(mapgov.domain.kpi, "load_frames", broken)
    cache_data.clear()  # other tests may have cached these frames
    at = _open({"kiosk": "1"})
    assert not at.exception
    assert not at.error
    notices = [b for b in _html_bodies(at) if 'class="mg-notice"' in b]
    assert notices and all("database is busy" in n for n in notices)


def _tile_value(at: AppTest, key: str) -> str:
    html = _page_html(at)
    found = re.search(rf'data-key="{key}">.*?mg-tile-value">([^<]+)<', html)
    assert found is not None, key
    return found.group(1)


def test_the_co_building_tiles_follow_the_project_list(
    monkeypatch: pytest.MonkeyPatch, demo_db: Path, tmp_path: Path
) -> None:
    """Completing a project on the report day adds one to "projects completed"; its need
    leaves "needs waiting" only if it was waiting (it is matched while the project runs)."""
    path = tmp_path / "wall.sqlite"
    shutil.copyfile(demo_db, path)
    monkeypatch.setenv(DB_ENV, str(path))
    store = open_store(path)
    at = _open({"kiosk": "1"})
    done_before = int(_tile_value(at, "projects_completed").replace(",", ""))
    waiting_before = _tile_value(at, "needs_waiting")
    running = store.read("co_project", where={"status": "in_progress"}).iloc[0]
    admin = get_user(store, "S001-admin")
    day = dt.datetime.fromisoformat(store.meta()["as_of"]) + dt.timedelta(hours=10)
    cobuild.complete_project(
        store, admin, running["project_id"], version=int(running["version"]), at=day
    )
    at = _open({"kiosk": "1"})
    assert int(_tile_value(at, "projects_completed").replace(",", "")) == done_before + 1
    assert _tile_value(at, "needs_waiting") == waiting_before


def test_the_demo_report_moves_on_with_steps_dated_after_its_day(
    work_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Untouched, the demo reports on its as-of day whatever the real date; after a step
    dated later (an import, a script), on that step's day: its calendar never runs back."""
    monkeypatch.setattr(clock, "system_now", lambda: dt.datetime(2030, 7, 15, 12))
    as_of = dt.date.fromisoformat(work_store.meta()["as_of"])
    assert clock.today(work_store) == as_of
    later = dt.datetime.combine(as_of + dt.timedelta(days=5), dt.time(10))
    building = work_store.read("building", columns=["building_id"])["building_id"].iloc[0]
    admin = get_user(work_store, "S001-admin")
    workflow.log_issue(work_store, admin, building_id=building, category="lighting",
                     source="walk_in", title="楼道灯不亮", at=later)  # fmt: skip
    assert clock.last_step(work_store) == later
    assert clock.today(work_store) == later.date()
