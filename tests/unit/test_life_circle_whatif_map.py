"""The what-if layer of the life-circle map (issue 23): colours by change, candidates where they
join the road, escaped texts, the legend, and the small helpers the page reads clicks and
facility names with."""

from __future__ import annotations

import json
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import box

from mapgov.core.i18n import LANGS, t
from mapgov.domain.lifecircle.whatif import (
    BUILDING_COLUMNS,
    CANDIDATE_COLUMNS,
    COMMUNITY_COLUMNS,
    WhatIfContext,
    WhatIfResult,
    what_if,
    whatif_context,
)
from mapgov.store import Store
from mapgov.views import life_circle_map as lcmap
from mapgov.views import life_circle_whatif_map as wimap

EVIL = '<img src=x onerror="alert(1)">`${x}`'


def _result(names: list[str], statuses: list[str], candidates: int = 1) -> WhatIfResult:
    n = len(names)
    buildings = gpd.GeoDataFrame(
        {
            "building_id": [f"B{i}" for i in range(n)],
            "name": names,
            "compound_id": ["C1"] * n,
            "compound_name": ["海棠苑"] * n,
            "community_id": ["M1"] * n,
            "residents": [100 * (i + 1) for i in range(n)],
            "elderly": [10 * (i + 1) for i in range(n)],
            "status": statuses,
            "candidate": [1 if s != "lost" else 0 for s in statuses],
            "distance_before_m": [np.nan if s == "gained" else 120.0 for s in statuses],
            "distance_after_m": [np.nan if s == "lost" else 80.0 for s in statuses],
        },
        geometry=[box(112.42 + i * 0.001, 34.67, 112.4206 + i * 0.001, 34.6706) for i in range(n)],
        crs="EPSG:4326",
    )[[*BUILDING_COLUMNS, "geometry"]]
    gains = (3, 300, 30, 3, 300, 30)
    rows = [
        (j, 112.421 + j * 0.001, 34.671, 112.4211 + j * 0.001, 34.6712, 12.5 * j, *gains)
        for j in range(1, candidates + 1)
    ]
    cands = pd.DataFrame(rows, columns=list(CANDIDATE_COLUMNS))
    communities = pd.DataFrame([["ALL", "ALL"] + [0] * 9], columns=list(COMMUNITY_COLUMNS))
    totals = dict.fromkeys(COMMUNITY_COLUMNS[2:], 0)
    return WhatIfResult("canteen", 300.0, (), cands, buildings, communities, totals)


def _script(group: folium.FeatureGroup) -> str:
    """The page's script with the layer on a map (as st_folium sends it)."""
    fmap = folium.Map()
    group.add_to(fmap)
    return fmap.get_root().render()


def _geojson_features(group: folium.FeatureGroup) -> list[dict[str, Any]]:
    layers = [c for c in group._children.values() if isinstance(c, folium.GeoJson)]
    return [f for layer in layers for f in layer.data["features"]]


def test_changed_buildings_are_coloured_by_their_change() -> None:
    result = _result(["1号楼", "2号楼", "3号楼"], ["gained", "lost", "kept"])
    features = _geojson_features(wimap.scenario_layer(result))
    fills = [f["properties"]["_fill"] for f in features]
    assert fills == [wimap.GAINED_COLOR, wimap.LOST_COLOR, wimap.KEPT_COLOR]
    assert len(set(fills) | {lcmap.COVERED_COLOR, lcmap.UNCOVERED_COLOR, lcmap.EMPTY_COLOR}) == 6
    first = features[0]["properties"]
    assert first["before"] == "out of reach" and first["after"] == "80 m"
    assert wimap.WHATIF_BUILDING_CLASS in _script(wimap.scenario_layer(result))


def test_each_candidate_is_a_numbered_marker_on_the_road_with_its_snap_line() -> None:
    result = _result(["1号楼"], ["gained"], candidates=2)
    group = wimap.scenario_layer(result)
    markers = [c for c in group._children.values() if type(c) is folium.Marker]
    lines = [c for c in group._children.values() if isinstance(c, folium.PolyLine)]
    assert [m.location for m in markers] == [
        pytest.approx([34.6712, 112.4221]),
        pytest.approx([34.6712, 112.4231]),
    ]
    assert [np.ravel(line.locations).tolist() for line in lines] == [
        pytest.approx([34.671, 112.422, 34.6712, 112.4221]),
        pytest.approx([34.671, 112.423, 34.6712, 112.4231]),
    ]
    script = _script(group)
    assert script.count(wimap.CANDIDATE_CLASS) >= 2
    assert "Candidate site 2: 25 m to the nearest walkable road; 300 residents gained" in script
    assert "white-space: normal" in script  # a sentence wraps inside the map
    zh = _script(wimap.scenario_layer(result, wimap.whatif_map_labels("zh")))
    assert "候选点位 2：距最近步行道路 25 米；300 名居民新增可达" in zh  # full-width marks


def test_an_empty_scenario_draws_an_empty_layer() -> None:
    group = wimap.scenario_layer(_result([], [], candidates=0))
    assert list(group._children) == []


def test_names_from_the_data_are_escaped() -> None:
    result = _result([EVIL], ["gained"])
    features = _geojson_features(wimap.scenario_layer(result))
    assert features[0]["properties"]["label"].startswith("&lt;img")
    labels = wimap.WhatIfMapLabels(candidate_tip=EVIL.replace("{x}", "{n}"))  # a translation
    script = _script(wimap.scenario_layer(result, labels))
    assert "<img src=x" not in script
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&#96;&#36;1&#96;" in script


@pytest.mark.parametrize("lang", LANGS)
def test_the_legend_names_the_three_changes_and_the_candidate(lang: str) -> None:
    labels = wimap.whatif_map_labels(lang)
    rows = wimap.whatif_legend_rows(labels)
    assert [r.text for r in rows] == [
        t(f"whatif_page.map.{k}", lang) for k in ("gained", "lost", "kept", "candidate", "closed")
    ]
    colours = [*wimap.STATUS_COLORS.values(), wimap.CANDIDATE_COLOR, wimap.CLOSED_COLOR]
    for row, colour in zip(rows, colours, strict=True):
        assert colour in row.lead
    buildings = gpd.GeoDataFrame(
        {
            "building_id": ["B1"],
            "label": ["1号楼"],
            "compound": ["海棠苑"],
            "residents": [10],
            "elderly": [1],
            "covered": [False],
            "distance_m": [np.nan],
        },
        geometry=[box(112.42, 34.67, 112.4206, 34.6706)],
        crs="EPSG:4326",
    )
    fmap = lcmap.life_circle_map(buildings, more_legend=rows)
    legend = next(c.html for c in fmap._children.values() if c._name == "MapgovLegend")
    assert all(r.text in legend for r in rows)
    plain = next(
        c.html
        for c in lcmap.life_circle_map(buildings)._children.values()
        if c._name == "MapgovLegend"
    )
    assert rows[0].text not in plain


def test_closed_facilities_are_marked_with_their_escaped_name() -> None:
    result = _result(["1号楼"], ["lost"], candidates=0)
    closed = gpd.GeoDataFrame(
        {"label": [EVIL, "老年食堂"]},
        geometry=[shapely.Point(112.421, 34.671), shapely.Point(112.423, 34.672)],
        crs="EPSG:4326",
    )
    group = wimap.scenario_layer(result, closed=closed)
    dots = [c for c in group._children.values() if isinstance(c, folium.CircleMarker)]
    assert [d.options["fillColor"] for d in dots] == [wimap.CLOSED_COLOR] * 2
    script = _script(group)
    assert "Closed in the scenario: 老年食堂" in script
    assert "<img src=x" not in script


def test_a_click_is_read_from_the_map_value() -> None:
    assert wimap.click_site({"last_clicked": {"lat": 34.6, "lng": 112.4}}) == (112.4, 34.6)
    for value in (
        None,
        {},
        {"last_clicked": None},
        {"last_clicked": {"lat": None, "lng": 1}},
        {"last_clicked": {"lat": "nan", "lng": 1}},
        "x",
    ):
        assert wimap.click_site(value) is None


def test_facilities_are_named_and_told_apart() -> None:
    frame = pd.DataFrame(
        {"facility_id": ["F1", "F2", "F3", "F4"], "name": ["老年食堂", "老年食堂", "", "社区食堂"]}
    )
    names = wimap.facility_choices(frame, ["F1", "F2", "F3", "F4"])
    assert names == {"F3": "F3", "F1": "老年食堂 (F1)", "F2": "老年食堂 (F2)", "F4": "社区食堂"}
    assert wimap.facility_choices(frame, ["F4"]) == {"F4": "社区食堂"}


@pytest.fixture(scope="module")
def context(demo_store: Store) -> WhatIfContext:
    (street_id,) = demo_store.read("street", columns=["street_id"])["street_id"]
    return whatif_context(demo_store, "clinic", 500.0, street_id=street_id)


def test_the_layer_of_a_real_scenario_holds_every_changed_building(
    context: WhatIfContext,
) -> None:
    table = context.table.to_crs("EPSG:4326")
    open_ = np.flatnonzero(~context.covered & (table["residents"].to_numpy() > 0))
    point = shapely.point_on_surface(table.geometry.iloc[open_[0]])
    closed = context.facility_ids[0]
    result = what_if(context, [(point.x, point.y)], [closed])
    features = _geojson_features(wimap.scenario_layer(result))
    assert len(features) == len(result.buildings) > 0
    by_status = pd.Series([f["properties"]["_fill"] for f in features]).value_counts()
    counts = result.buildings["status"].map(wimap.STATUS_COLORS).value_counts()
    assert by_status.to_dict() == counts.to_dict()
    assert wimap.headline_figures(result) == [(k, result.totals[k]) for k in wimap.HEADLINE]
    json.dumps(features)  # plain data: st_folium sends it as is
