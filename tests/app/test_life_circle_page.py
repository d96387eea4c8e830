"""The life-circle page: its map layer, its pure views, and the page under AppTest."""

from __future__ import annotations

import io
import json
import pickle
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import streamlit as st
from shapely.geometry import LineString, Point, box
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.testing.v1 import AppTest

from mapgov.core.config import DB_ENV
from mapgov.core.errors import ValidationError
from mapgov.core.i18n import LANGS, label, t
from mapgov.core.model import FacilityKind
from mapgov.domain.lifecircle import coverage, network
from mapgov.domain.lifecircle.network import walk_graph
from mapgov.io.exports import frame_bytes
from mapgov.store import Store
from mapgov.ui.life_circle import KEY
from mapgov.views import life_circle as lv
from mapgov.views import life_circle_map as lcmap
from mapgov.views import maps as layers
from mapgov.views.life_circle import Layers, PageState, Settings, ThresholdMode
from tests.apptest import at_address, ok, sign_in
from tests.handdrawn import build_two_streets

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 120
UTM = "EPSG:32649"


# -- the map layer -------------------------------------------------------------------------
def _buildings(**overrides: list[Any]) -> gpd.GeoDataFrame:
    columns: dict[str, list[Any]] = {
        "building_id": ["B1", "B2", "B3"],
        "label": ["1号楼", "2号楼", "3号楼"],
        "compound": ["海棠苑", "海棠苑", "铁路苑"],
        "residents": [300, 250, 0],
        "elderly": [40, 30, 0],
        "covered": [True, False, False],
        "distance_m": [120.0, np.nan, 640.0],
    }
    columns.update(overrides)
    cells = [box(112.42 + i * 0.001, 34.67, 112.4206 + i * 0.001, 34.6706) for i in range(3)]
    return gpd.GeoDataFrame(columns, geometry=cells, crs="EPSG:4326")


def _points(n: int, **columns: list[Any]) -> gpd.GeoDataFrame:
    pts = [Point(112.4215 + i * 0.0007, 34.6712) for i in range(n)]
    return gpd.GeoDataFrame(columns, geometry=pts, crs="EPSG:4326")


def _building_features(fmap: Any) -> list[dict[str, Any]]:
    layer = next(
        child
        for child in fmap._children.values()
        if getattr(child, "options", {}).get("className") == lcmap.LIFE_BUILDING_CLASS
    )
    return layer.data["features"]


def _legend(fmap: Any) -> str:
    """The legend box's HTML (the page script carries it JSON-encoded)."""
    return next(c.html for c in fmap._children.values() if c._name == "MapgovLegend")


def test_buildings_are_coloured_by_reach_with_a_tooltip() -> None:
    fmap = lcmap.life_circle_map(_buildings())
    features = _building_features(fmap)
    fills = [f["properties"]["_fill"] for f in features]
    assert fills == [lcmap.COVERED_COLOR, lcmap.UNCOVERED_COLOR, lcmap.EMPTY_COLOR]
    props = [f["properties"] for f in features]
    assert [p["status"] for p in props] == [
        "Within reach",
        "Not within reach (gap)",
        "No residents",
    ]
    assert [p["distance"] for p in props] == [
        "120 m",
        "farther than the search distance",
        "640 m",
    ]
    html = fmap.get_root().render()
    assert lcmap.LIFE_BUILDING_CLASS in html
    assert "Walk to the nearest" in html  # a tooltip alias


def test_the_legend_lists_only_what_is_drawn() -> None:
    kinds = [k for k, _ in lcmap.life_circle_legend_rows()]
    assert kinds == ["covered", "uncovered", "empty"]
    every = lcmap.life_circle_legend_rows(
        water=True, areas=True, circles=True, facilities=True, sites=True
    )
    assert [k for k, _ in every][3:] == ["water", "area", "circle", "facility", "site"]
    labels = lcmap.LifeCircleLabels(title="幸福食堂/助餐点 · 步行 300 米", covered="可达")
    bare = _legend(lcmap.life_circle_map(_buildings(), labels=labels))
    assert "幸福食堂/助餐点 · 步行 300 米" in bare and "可达" in bare
    assert "Suggested new site" not in bare  # no sites, no legend row for them
    fmap = lcmap.life_circle_map(
        _buildings(),
        facilities=_points(2, label=["A", "B"]),
        circle_m=300,
        sites=_points(1, rank=[1], added_residents=[1234]),
        service_areas=gpd.GeoDataFrame(geometry=[box(112.42, 34.67, 112.43, 34.68)], crs=4326),
    )
    full = _legend(fmap)
    for text in ("Service area along the streets", "Straight-line circle", "Existing facility"):
        assert text in full
    assert lcmap.SITE_COLOR in full and lcmap.COVERED_COLOR in full
    full = fmap.get_root().render()
    assert "Suggested new site 1: Residents it would add 1,234" in full


def test_the_map_loads_nothing_from_the_internet() -> None:
    fmap = lcmap.life_circle_map(
        _buildings(),
        compounds=gpd.GeoDataFrame(
            {"label": ["海棠苑"]}, geometry=[box(112.419, 34.669, 112.424, 34.671)], crs=4326
        ),
        facilities=_points(2, label=["A", "B"]),
        circle_m=500,
        sites=_points(2, rank=[1, 2], added_residents=[10, 5]),
        water=gpd.GeoDataFrame(geometry=[box(112.42, 34.672, 112.43, 34.673)], crs=4326),
        roads=gpd.GeoDataFrame(
            geometry=[LineString([(112.42, 34.6705), (112.43, 34.6705)])], crs=4326
        ),
    )
    html = fmap.get_root().render()
    assert layers.remote_resources(html) == []
    assert "http://" not in html and "https://" not in html.replace("https://leafletjs", "")
    assert "marker-icon" not in html and "L.Icon.Default" not in html  # no icon images
    assert "L.circleMarker(" in html and "L.divIcon(" in html and "L.circle(" in html
    pickle.loads(pickle.dumps(fmap))  # no lambdas: the UI caches it


def test_names_from_the_data_are_escaped() -> None:
    evil = "<img src=x onerror=alert(1)>"
    literal = "`${alert(2)}`\\"
    fmap = lcmap.life_circle_map(
        _buildings(label=[evil, "2号楼", "3号楼"], compound=[literal, "a", "b"]),
        facilities=_points(1, label=[f"食堂 {literal} {evil}"]),
    )
    html = fmap.get_root().render()
    assert evil not in html
    assert "${alert(2)}" not in html.split("bindTooltip", 1)[1]  # not inside a JS template
    props = _building_features(fmap)[0]["properties"]
    assert props["label"] == "&lt;img src=x onerror=alert(1)&gt;"
    assert "&#96;&#36;{alert(2)}&#96;&#92;" in html  # the facility tooltip


def test_the_map_refuses_bad_frames() -> None:
    with pytest.raises(ValidationError, match=r"EPSG:4326"):
        lcmap.life_circle_map(_buildings().to_crs(UTM))
    with pytest.raises(ValidationError, match="no column"):
        lcmap.life_circle_map(_buildings().drop(columns="covered"))
    with pytest.raises(ValidationError, match="at least one building"):
        lcmap.life_circle_map(_buildings().iloc[:0])


# -- the pure views ------------------------------------------------------------------------
def test_limits_follow_the_threshold_mode() -> None:
    profile = coverage.load_profile()
    standard = lv.limits_for(Settings(), profile)
    assert standard["canteen"] == 300 and standard["market"] == 500
    assert set(standard) == set(coverage.KINDS)
    assert set(lv.limits_for(Settings(mode=ThresholdMode.TIER, tier=15), profile).values()) == {
        1000
    }
    metres = lv.limits_for(Settings(mode=ThresholdMode.METRES, metres=420), profile)
    assert set(metres.values()) == {420}
    minutes = lv.limits_for(Settings(mode=ThresholdMode.MINUTES, minutes=5, speed=80), profile)
    assert set(minutes.values()) == {400}
    with pytest.raises(ValidationError, match="walking speed"):
        lv.limits_for(Settings(mode=ThresholdMode.MINUTES, speed=95), profile)
    with pytest.raises(ValidationError, match="unknown facility kind"):
        lv.limits_for(Settings(kind="spa"), profile)


@pytest.fixture(scope="module")
def demo_table(demo_store: Store) -> gpd.GeoDataFrame:
    limits = lv.limits_for(Settings(), coverage.load_profile())
    graph = walk_graph(demo_store.read("road"))
    return coverage.coverage_table(demo_store, limits, graph=graph)


def test_figures_by_community_add_up(demo_table: gpd.GeoDataFrame) -> None:
    names = {c: f"社区{c}" for c in demo_table["community_id"].unique()}
    rows = lv.community_figures(demo_table, "canteen", names, total="全街道")
    assert list(rows.columns) == list(lv.FIGURE_COLUMNS)
    assert rows["community"].iloc[-1] == "全街道" and rows["community_id"].iloc[-1] == lv.ALL
    assert len(rows) == demo_table["community_id"].nunique() + 1
    parts, whole = rows.iloc[:-1], rows.iloc[-1]
    assert parts["residents_uncovered"].sum() == whole["residents_uncovered"]
    covered = demo_table["covered_canteen"]
    assert whole["share_residents"] == pytest.approx(
        demo_table.loc[covered, "residents"].sum() / demo_table["residents"].sum()
    )
    head = lv.headline(demo_table, "canteen")
    assert head["share_residents"] == pytest.approx(whole["share_residents"])
    assert head["residents_uncovered"] == whole["residents_uncovered"]
    assert head["share_complete"] == pytest.approx(whole["share_complete"])


def test_the_gap_list_holds_uncovered_homes_most_residents_first(
    demo_table: gpd.GeoDataFrame,
) -> None:
    gaps = lv.gap_list(demo_table, "canteen", {})
    assert list(gaps.columns) == [*lv.GAP_COLUMNS, "geometry"]
    expected = demo_table[~demo_table["covered_canteen"] & (demo_table["residents"] > 0)]
    assert sorted(gaps["building_id"]) == sorted(expected["building_id"])
    assert gaps["residents"].is_monotonic_decreasing
    assert (gaps["residents"] > 0).all()
    finite = gaps["distance_m"].dropna()
    assert (finite > 300).all()  # a gap is beyond the canteen's 300 m
    assert gaps.crs == demo_table.crs


def test_suggested_sites_close_part_of_the_gap(
    demo_store: Store, demo_table: gpd.GeoDataFrame
) -> None:
    graph = walk_graph(demo_store.read("road"))
    answer = lv.suggest_sites(graph, demo_table, kind="canteen", metres=300, k=3)
    sites = answer.sites
    assert answer.method == "exact"
    assert list(sites.columns) == [*lv.SITE_COLUMNS, "geometry"]
    assert list(sites["rank"]) == [1, 2, 3]
    assert sites["added_residents"].is_monotonic_decreasing
    assert sites["cumulative_residents"].iloc[-1] == sites["added_residents"].sum()
    assert 0 < sites["cumulative_residents"].iloc[-1] <= answer.uncovered_residents
    covered = set(demo_table.loc[demo_table["covered_canteen"], "building_id"])
    added = [b for ids in sites["building_ids"] for b in ids]
    assert not covered & set(added) and len(added) == len(set(added))
    assert list(sites["buildings"]) == [len(ids) for ids in sites["building_ids"]]


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_the_sites_download_keeps_where_to_build(
    demo_store: Store, demo_table: gpd.GeoDataFrame, suffix: str
) -> None:
    """The planner's download gives each site where it is (to 1e-7 degrees, about 1 cm), not
    rounded to 112.4 / 34.7, some 10 km off."""
    graph = walk_graph(demo_store.read("road"))
    sites = lv.suggest_sites(graph, demo_table, kind="canteen", metres=300, k=3).sites
    data = io.BytesIO(frame_bytes(sites, suffix))
    back = pd.read_csv(data) if suffix == ".csv" else pd.read_excel(data)
    assert np.abs(back["lon"].to_numpy() - sites.geometry.x.to_numpy()).max() < 1e-7
    assert np.abs(back["lat"].to_numpy() - sites.geometry.y.to_numpy()).max() < 1e-7
    assert list(back["added_residents"]) == list(sites["added_residents"])


# -- the page under AppTest ----------------------------------------------------------------
@pytest.fixture
def demo_app(monkeypatch: pytest.MonkeyPatch, page_db: Path) -> Path:
    monkeypatch.setenv(DB_ENV, str(page_db))
    return page_db


@pytest.fixture
def downloads(monkeypatch: pytest.MonkeyPatch) -> dict[str, dict[str, Any]]:
    """Every deferred download registered during the test, by file id (Streamlit internals:
    AppTest gives no public way to click a download button and read the file)."""
    seen: dict[str, dict[str, Any]] = {}
    original = MediaFileManager.add_deferred

    def record(
        self: MediaFileManager, data_callable: Callable[[], bytes], *a: Any, **kw: Any
    ) -> str:
        file_id = original(self, data_callable, *a, **kw)
        seen[file_id] = {"callable": data_callable, "args": a, "kwargs": kw}
        return file_id

    monkeypatch.setattr(MediaFileManager, "add_deferred", record)
    return seen


def _page(lang: str = "zh", query: dict[str, str] | None = None) -> AppTest:
    at = sign_in(AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT))
    at.query_params.update({"lang": lang, **(query or {})})
    return at_address(at, "life_circle").run()


def _tables(at: AppTest) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(suggested sites, figures by community, gap list), in the page's order."""
    sites, figures, gaps = (d.value for d in at.dataframe)
    return sites, figures, gaps


def _metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


@pytest.mark.parametrize("lang", LANGS)
def test_the_page_opens_with_map_figures_gaps_and_sites(demo_app: Path, lang: str) -> None:
    at = _page(lang)
    ok(at)
    standard = coverage.load_profile().name
    assert [e.value for e in at.title] == [
        t(
            "life.title_standard",
            lang,
            standard=standard,
            tiers=("、" if lang == "zh" else ", ").join(["5", "10", "15"]),
        )
    ]
    assert list(_metrics(at)) == [
        t(f"life.{k}", lang)
        for k in ("metric_residents", "metric_uncovered", "metric_gaps", "metric_complete")
    ]
    assert len(at.get("component_instance")) == 1  # the folium map
    sites, figures, gaps = _tables(at)
    assert t("life.col.share_residents", lang) in figures.columns
    assert t("life.col.share_elderly", lang) not in figures.columns  # canteen: no elderly column
    assert t("life.col.added_residents", lang) in sites.columns
    assert len(sites) == 3
    assert len(gaps) == int(_metrics(at)[t("life.metric_gaps", lang)].replace(",", ""))
    buttons = at.get("download_button")
    assert [b.proto.label for b in buttons] == [
        t(f"life.download_{s}", lang) for s in ("csv", "xlsx", "geojson")
    ] * 2
    texts = [s.value for s in at.success]
    assert t("life.sites_exact", lang) in texts
    kind = label(FacilityKind.CANTEEN, lang)
    assert any(kind in c.value and "300" in c.value for c in at.caption)


def test_a_street_without_roads_says_so(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(DB_ENV, str(build_two_streets(tmp_path / "two.sqlite")))
    at = _page("en")  # the hand-drawn streets have buildings but no roads
    ok(at)
    assert [i.value for i in at.info] == [t("life.no_roads", "en")]
    assert not at.dataframe and not at.get("component_instance")


def test_changing_the_kind_changes_the_figures(demo_app: Path) -> None:
    at = _page("en")
    _, before, gaps_before = _tables(at)
    at.selectbox(key=KEY.format("kind")).set_value("elderly_care").run()
    ok(at)
    _, after, gaps_after = _tables(at)
    assert "Elderly covered" in after.columns and "Elderly covered" not in before.columns
    assert not before["Residents covered"].equals(after["Residents covered"])
    assert set(gaps_before["Building id"]) != set(gaps_after["Building id"])
    assert t("life.metric_elderly", "en") in _metrics(at)
    assert t("life.elderly_note", "en") in [c.value for c in at.caption]


def test_changing_the_tier_changes_the_figures(demo_app: Path) -> None:
    at = _page("en")
    _, standard, gaps_standard = _tables(at)
    at.radio(key=KEY.format("mode")).set_value("tier").run()
    at.radio(key=KEY.format("tier")).set_value(15).run()
    ok(at)
    _, wide, gaps_wide = _tables(at)
    assert (wide["Residents covered"] >= standard["Residents covered"]).all()
    assert wide["Residents covered"].iloc[-1] > standard["Residents covered"].iloc[-1]
    assert len(gaps_wide) < len(gaps_standard)
    assert "Threshold: Community canteen within 1,000 m on foot" in [
        c.value for c in at.sidebar.caption
    ]


def test_minutes_at_a_walking_speed_set_the_distance(demo_app: Path) -> None:
    at = _page("zh")
    at.radio(key=KEY.format("mode")).set_value("minutes").run()
    at.number_input(key=KEY.format("minutes")).set_value(5).run()
    at.slider(key=KEY.format("speed")).set_value(80.0).run()
    ok(at)
    assert "门槛：幸福食堂/助餐点步行 400 米以内" in [c.value for c in at.sidebar.caption]
    at.radio(key=KEY.format("method")).set_value("straight").run()
    ok(at)
    assert t("life.sites_network", "zh") in [c.value for c in at.caption]


def test_a_community_in_the_url_narrows_the_lists(demo_app: Path, demo_store: Store) -> None:
    community = demo_store.read("community").sort_values("community_id").iloc[1]
    at = _page("en", {"community": community["community_id"]})
    ok(at)
    _, figures, gaps = _tables(at)
    assert set(gaps["Community"]) == {community["name_en"]}
    assert len(figures) > 2  # the figures still compare every community of the street


def test_downloads_hold_the_gap_list_and_the_sites(
    demo_app: Path, downloads: dict[str, dict[str, Any]]
) -> None:
    at = _page("en")
    sites, _, gaps = _tables(at)
    files = {}
    for button in at.get("download_button"):
        entry = downloads[button.proto.deferred_file_id]
        name = entry["kwargs"].get("file_name") or entry["args"][2]
        files[name] = entry["callable"]()
    assert sorted(files) == sorted(
        f"{stem}-canteen-300m{suffix}"
        for stem in ("gap-list", "suggested-sites")
        for suffix in (".csv", ".xlsx", ".geojson")
    )
    csv = pd.read_csv(io.BytesIO(files["gap-list-canteen-300m.csv"]), encoding="utf-8-sig")
    assert list(csv["Building id"]) == list(gaps["Building id"])
    geo = json.loads(files["gap-list-canteen-300m.geojson"])
    assert len(geo["features"]) == len(gaps)
    assert geo["features"][0]["geometry"]["type"] == "Polygon"
    xlsx = pd.read_excel(io.BytesIO(files["suggested-sites-canteen-300m.xlsx"]))
    assert list(xlsx["Residents added"]) == list(sites["Residents added"])
    points = json.loads(files["suggested-sites-canteen-300m.geojson"])
    assert [f["geometry"]["type"] for f in points["features"]] == ["Point"] * len(sites)


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, int]]:
    """How often the expensive engine functions run (the page's caches start empty)."""
    st.cache_data.clear()
    st.cache_resource.clear()
    counts = {"coverage_table": 0, "service_areas": 0, "suggest_sites": 0, "walk_graph": 0}

    def counting(module: Any, name: str) -> None:
        original = getattr(module, name)

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            counts[name] += 1
            return original(*args, **kwargs)

        monkeypatch.setattr(module, name, wrapper)

    counting(coverage, "coverage_table")
    counting(coverage, "service_areas")
    counting(lv, "suggest_sites")
    counting(network, "walk_graph")
    yield counts
    st.cache_data.clear()
    st.cache_resource.clear()


def _map_script(at: AppTest) -> str:
    return at.get("component_instance")[0].proto.json_args


def test_switching_a_map_layer_recomputes_nothing(demo_app: Path, calls: dict[str, int]) -> None:
    at = _page("en")  # (the wall screen, opened first, has its own coverage table)
    ok(at)
    first = dict(calls)
    assert first["service_areas"] == first["suggest_sites"] == 1
    assert "L.circle(" not in _map_script(at)
    at.toggle(key=KEY.format("layer_circles")).set_value(True).run()
    at.toggle(key=KEY.format("layer_areas")).set_value(False).run()
    at.toggle(key=KEY.format("layer_areas")).set_value(True).run()
    at.toggle(key=KEY.format("layer_sites")).set_value(False).run()
    ok(at)
    assert "L.circle(" in _map_script(at)
    assert "L.divIcon(" not in _map_script(at)
    assert calls == first  # the map was redrawn from cached answers
    at.selectbox(key=KEY.format("kind")).set_value("clinic").run()
    assert calls["coverage_table"] == first["coverage_table"]  # one table answers every kind
    assert calls["service_areas"] == calls["suggest_sites"] == 2
    at.radio(key=KEY.format("mode")).set_value("tier").run()
    assert calls["coverage_table"] == first["coverage_table"] + 1
    assert calls["walk_graph"] == first["walk_graph"]  # one graph per data version


@pytest.mark.parametrize(
    "state",
    [
        PageState(),
        PageState(Settings(kind="market", mode=ThresholdMode.TIER, tier=15), k=5),
        PageState(Settings(mode=ThresholdMode.METRES, metres=850.0, method="straight")),
        PageState(Settings(mode=ThresholdMode.MINUTES, minutes=12.0, speed=65.0)),
        PageState(layers=Layers(areas=False, circles=True, facilities=False, sites=False), k=10),
        PageState(layers=Layers(False, False, False, False)),
    ],
)
def test_a_link_carries_the_page_settings_whole(state: PageState) -> None:
    profile = coverage.load_profile()
    assert lv.state_from_query(lv.state_query(state, profile), profile) == state


def test_a_bad_link_opens_the_page_with_defaults() -> None:
    profile = coverage.load_profile()
    hostile = {"kind": "<script>", "mode": "fast", "tier": "11", "metres": "1e9", "k": "-1"}
    assert lv.state_from_query(hostile, profile) == PageState()
    speed = lv.state_from_query({"mode": "minutes", "speed": "500"}, profile).settings.speed
    assert speed == profile.walking_speed  # outside the standard's 60-80 m/min


def test_the_settings_are_in_the_address_and_survive_leaving_the_page(demo_app: Path) -> None:
    at = _page("zh")
    assert [e.value for e in at.title] == ["生活圈（GB 50180-2018 分级：5、10、15 分钟）"]
    at.selectbox(key=KEY.format("kind")).set_value("market").run()
    at.radio(key=KEY.format("mode")).set_value("metres").run()
    at.number_input(key=KEY.format("metres")).set_value(800.0).run()
    at.number_input(key=KEY.format("k")).set_value(5).run()
    ok(at)
    assert [e.value for e in at.title] == ["步行 800 米生活圈"]
    link = {k: at.query_params[k] for k in ("kind", "mode", "metres", "k")}
    assert link == {"kind": "market", "mode": "metres", "metres": "800", "k": "5"}
    sites, figures, _ = _tables(at)

    at.switch_page("app_pages/party.py").run()
    for name in lv.QUERY_KEYS:  # the browser's page switch drops them (AppTest keeps them)
        at.query_params.pop(name, None)
    at.switch_page("app_pages/life_circle.py").run()
    ok(at)
    assert at.number_input(key=KEY.format("metres")).value == 800.0
    assert at.selectbox(key=KEY.format("kind")).value == "market"
    assert [e.value for e in at.title] == ["步行 800 米生活圈"]
    again_sites, again_figures, _ = _tables(at)
    assert at.number_input(key=KEY.format("k")).value == 5
    assert again_sites.equals(sites) and again_figures.equals(figures)

    fresh = _page("en", {"kind": "market", "mode": "tier", "tier": "15"})  # the link, elsewhere
    ok(fresh)
    assert [e.value for e in fresh.title] == ["15-minute life circle"]
    assert fresh.radio(key=KEY.format("tier")).value == 15
    assert "Threshold: Market or supermarket within 1,000 m on foot" in [
        c.value for c in fresh.sidebar.caption
    ]


def test_a_link_naming_a_compound_shows_its_reach_of_every_kind(
    demo_app: Path, demo_store: Store, demo_table: gpd.GeoDataFrame
) -> None:
    limits = lv.limits_for(Settings(), coverage.load_profile())
    homes = demo_table[demo_table["residents"] > 0]
    # the compound with the most residents beyond reach of some kind: a card with gaps
    beyond = homes.assign(
        out=sum((~homes[f"covered_{k}"]).astype(int) * homes["residents"] for k in limits)
    )
    chosen = beyond.groupby("compound_id")["out"].sum().idxmax()
    community = str(homes.loc[homes["compound_id"] == chosen, "community_id"].iloc[0])
    expected = lv.compound_gaps(demo_table, chosen, limits)
    assert expected["residents_uncovered"].sum() > 0
    at = _page("en", {"community": community, "compound": chosen})
    ok(at)
    name = str(homes.loc[homes["compound_id"] == chosen, "compound_name"].iloc[0])
    assert t("life_compound.heading", "en", name=name) in [s.value for s in at.subheader]
    card = next(
        d.value
        for d in at.dataframe
        if t("life_compound.col.residents_uncovered", "en") in d.value.columns
    )
    assert len(card) == len(limits)
    assert card[t("life_compound.col.residents_uncovered", "en")].tolist() == (
        expected["residents_uncovered"].tolist()
    )
    # "show the whole area" takes the compound out of the address, and the card goes
    leave = next(b for b in at.button if b.label == t("life_compound.leave", "en"))
    at = leave.click().run()
    ok(at)
    assert "compound" not in at.query_params
    assert t("life_compound.heading", "en", name=name) not in [s.value for s in at.subheader]


def test_a_compound_of_another_community_is_said_to_be_elsewhere(
    demo_app: Path, demo_table: gpd.GeoDataFrame
) -> None:
    communities = sorted(demo_table["community_id"].unique())
    elsewhere = demo_table.loc[demo_table["community_id"] == communities[0], "compound_id"]
    at = _page("zh", {"community": communities[1], "compound": str(elsewhere.iloc[0])})
    ok(at)
    assert [i.value for i in at.info] == [t("life_compound.not_here", "zh")]
