"""The party-coverage page: its map builders and cards, and /party under AppTest.

Map clicks are simulated by :func:`tests.apptest.click_map` (the value the st_folium frontend
would send); the real click is proven in ``tests/browser/test_browser_party.py``.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import pickle
import re

import folium
import geopandas as gpd
import pandas as pd
import pytest
import shapely
from streamlit.testing.v1 import AppTest
from streamlit_folium import _get_map_string, generate_js_hash

from mapgov.core import clock
from mapgov.core.errors import ValidationError
from mapgov.core.i18n import LANGS, catalogue, error_text, label, t
from mapgov.core.model import PropertyMode, Star
from mapgov.core.privacy import mask_name
from mapgov.domain import party
from mapgov.domain.users import get_user
from mapgov.store import Store
from mapgov.ui import party as party_ui
from mapgov.ui import party_figures
from mapgov.views import maps as layers
from mapgov.views import party as pm
from mapgov.views import party_cards as partycards
from mapgov.views import party_print as partyprint
from mapgov.views.shares import percent_text
from tests.apptest import click_map, ok, open_page

TIMEOUT = 90
XSS = "<img src=x onerror=alert(1)>"
STREET = "S001"
COMMUNITY = "S001-C1"
STAFF = "S001-C1-staff1"
OTHER_STAFF = "S001-C2-staff1"
LEADER = "S001-leader"
ADMIN = "S001-admin"
TODAY = dt.date(2026, 11, 15)


@pytest.fixture
def app_db(any_app_db: Store) -> Store:
    """This page's tests run on SQLite and on PostgreSQL."""
    return any_app_db


# -- hand-drawn frames for the builders ----------------------------------------------------
def _box(x: float, y: float, size: float) -> shapely.Polygon:
    return shapely.box(112.40 + x, 34.60 + y, 112.40 + x + size, 34.60 + y + size)


@pytest.fixture
def frames() -> party.GovFrames:
    """Four compounds in a row (0.002° apart), two buildings each, side by side.

    K1 own branch with 3 stars, company, red property; K2 joint branch (J) with 5 stars,
    owners' committee; K3 the same joint branch; K4 no branch, three-nos, named with markup.
    Buildings: b1 b2 (K1) in zone Z1, b3 (K2) in Z2 whose member's name is markup, the rest
    in no zone; groups on b1 b3 b5, heads on b1 b2 b3 b4.
    """
    stars = {"B1": {"strong_branch", "serving_people", "safety_rule_of_law"}}
    stars["J"] = {s.value for s in Star}
    branch = ["B1", "J", "J", None]
    comps = pd.DataFrame(
        {
            "compound_id": ["K1", "K2", "K3", "K4"],
            "name": ["一号院", "二号院", "三号院", XSS],
            "grid_id": ["G1", "G1", "G2", "G2"],
            "community_id": ["C1"] * 4,
            "street_id": ["S1"] * 4,
            "branch_id": branch,
            "branch_name": ["一号院党支部", "联合党支部", "联合党支部", None],
            "is_joint": [False, True, True, False],
            "stars": [3, 5, 5, 0],
            "mode": ["company", "owners_committee", "self_managed", "none"],
            "company": [f"红星物业{XSS}", None, None, None],
            "red_property": [1, 0, 0, 0],
            "owners_committee": [1, 1, 0, 0],
            "self_managed_committee": [0, 0, 1, 0],
            "has_security": [1, 1, 1, 0],
            "three_nos": [False, False, False, True],
            "joint_mechanism": [True, False, False, False],
            "buildings": [2, 2, 2, 2],
            "households": [60, 40, 40, 20],
            "residents": [150, 100, 100, 50],
        }
    )
    for s in Star:
        comps[f"star_{s.value}"] = [b is not None and s.value in stars[b] for b in branch]
    blds = pd.DataFrame(
        {
            "building_id": [f"b{i}" for i in range(1, 9)],
            "compound_id": ["K1", "K1", "K2", "K2", "K3", "K3", "K4", "K4"],
            "name": ["1号楼", "2号楼"] * 4,
            "grid_id": ["G1"] * 4 + ["G2"] * 4,
            "community_id": ["C1"] * 8,
            "street_id": ["S1"] * 8,
            "households": [30, 30, 20, 20, 20, 20, 10, 10],
            "residents": [75, 75, 50, 50, 50, 50, 25, 25],
            "elderly": [5] * 8,
            "party_members": [3, 1, 2, 0, 1, 0, 0, 0],
            "has_group": [True, False, True, False, True, False, False, False],
            "has_head": [True, True, True, True, False, False, False, False],
            "zone_id": ["Z1", "Z1", "Z2", None, None, None, None, None],
            "in_zone": [True, True, True, False, False, False, False, False],
            "zone_member": ["王**", "王**", mask_name(XSS), None, None, None, None, None],
        }
    )
    comp_geoms = [_box(0.002 * i, 0, 0.0015) for i in range(4)]
    bld_geoms = [
        _box(0.002 * (i // 2) + 0.0002 + 0.0006 * (i % 2), 0.0002, 0.0004) for i in range(8)
    ]
    return party.GovFrames(
        compounds=gpd.GeoDataFrame(comps, geometry=comp_geoms, crs="EPSG:4326"),
        buildings=gpd.GeoDataFrame(blds, geometry=bld_geoms, crs="EPSG:4326"),
    )


@pytest.fixture
def zones(frames: party.GovFrames) -> gpd.GeoDataFrame:
    table = pd.DataFrame({"zone_id": ["Z1", "Z2"], "name": ["一号院责任区", f"二号院{XSS}"]})
    return pm.zone_outlines(frames.buildings, table)


def _html(fmap: folium.Map) -> str:
    return fmap.get_root().render()


def _geojson(fmap: folium.Map, name: str) -> folium.GeoJson:
    (layer,) = [
        c for c in fmap._children.values() if isinstance(c, folium.GeoJson) and c.layer_name == name
    ]
    return layer


def _geojsons(fmap: folium.Map) -> list[str]:
    return [c.layer_name for c in fmap._children.values() if isinstance(c, folium.GeoJson)]


def _properties(layer: folium.GeoJson) -> list[dict[str, object]]:
    return [f["properties"] for f in layer.data["features"]]


def _legend(fmap: folium.Map) -> str:
    (legend,) = [c for c in fmap._children.values() if isinstance(c, layers.MapLegend)]
    return str(legend.html)


# -- classes, colours, legend --------------------------------------------------------------
@pytest.mark.parametrize(
    ("layer", "expected"),
    [
        ("branch", ["own", "joint", "joint", "none"]),
        ("stars", ["3", "5", "5", "no_branch"]),
        ("property", ["company", "owners_committee", "self_managed", "none"]),
        ("three_nos", ["other", "other", "other", "three_nos"]),
    ],
)
def test_compound_classes(frames: party.GovFrames, layer: str, expected: list[str]) -> None:
    assert pm.compound_classes(frames.compounds, layer) == expected


@pytest.mark.parametrize(
    ("layer", "expected"),
    [
        ("group", ["group_yes", "group_no", "group_yes", "group_no"]),
        ("head", ["head_yes", "head_yes", "head_yes", "head_yes"]),
        ("zone", ["zone_in", "zone_in", "zone_in", "zone_out"]),
    ],
)
def test_building_classes(frames: party.GovFrames, layer: str, expected: list[str]) -> None:
    assert pm.building_classes(frames.buildings, layer)[:4] == expected


def test_every_class_has_a_colour_and_a_label() -> None:
    for layer in [*pm.CompoundLayer, *pm.BuildingLayer]:
        rows = pm.legend_rows(layer)
        colours = [c for c, _ in rows]
        assert len(set(colours)) == len(rows), layer
        assert all(text for _, text in rows)
    assert pm.GAP_COLOR in [c for c, _ in pm.legend_rows(pm.CompoundLayer.BRANCH)]
    for layer in pm.BuildingLayer:  # every building layer marks its gap in the same amber
        assert pm.legend_rows(layer)[-1][0] == pm.GAP_COLOR


@pytest.mark.parametrize("compound_layer", list(pm.CompoundLayer))
def test_compounds_are_filled_by_the_chosen_layer(
    frames: party.GovFrames, compound_layer: pm.CompoundLayer
) -> None:
    fmap = pm.party_map(frames.compounds, frames.buildings, compound_layer=compound_layer)
    props = _properties(_geojson(fmap, "Compounds"))
    palette = pm.COMPOUND_COLORS[compound_layer]
    classes = pm.compound_classes(frames.compounds, compound_layer)
    assert [p["_fill"] for p in props] == [palette[c] for c in classes]
    assert set(props[0]) == {"compound_id", "label", "branch", "stars", "property", "_fill"}
    legend = _legend(fmap)
    assert pm.DEFAULT_LABELS[f"legend_{compound_layer.value}"] in legend
    for colour in palette.values():
        assert f"background:{colour}" in legend
    assert f'"className": "{pm.COMPOUND_CLASS}"' in _html(fmap)


@pytest.mark.parametrize("building_layer", list(pm.BuildingLayer))
def test_buildings_are_filled_by_the_chosen_layer(
    frames: party.GovFrames, zones: gpd.GeoDataFrame, building_layer: pm.BuildingLayer
) -> None:
    fmap = pm.party_map(
        frames.compounds, frames.buildings, building_layer=building_layer, zones=zones
    )
    props = _properties(_geojson(fmap, "Buildings"))
    fills = [p["_fill"] for p in props]
    classes = pm.building_classes(frames.buildings, building_layer)
    gaps = [i for i, c in enumerate(classes) if c.endswith(("_no", "_out"))]
    assert [i for i, f in enumerate(fills) if f == pm.GAP_COLOR] == gaps
    if building_layer is pm.BuildingLayer.ZONE:
        assert fills[0] == fills[1] != fills[2]  # one colour per zone
        assert set(fills[:3]) <= set(pm.ZONE_COLORS)
        assert _geojsons(fmap) == ["Compounds", "Responsibility zones", "Buildings"]
    else:
        assert set(fills) - {pm.GAP_COLOR} == {pm.BUILDING_COLORS[building_layer][classes[0]]}
        assert "Responsibility zones" not in _geojsons(fmap)  # outlines on the zone layer only
    assert pm.DEFAULT_LABELS[f"legend_{building_layer.value}"] in _legend(fmap)


def test_tooltips_say_what_covers_each_place(
    frames: party.GovFrames, zones: gpd.GeoDataFrame
) -> None:
    fmap = pm.party_map(frames.compounds, frames.buildings, building_layer="zone", zones=zones)
    comps = _properties(_geojson(fmap, "Compounds"))
    assert comps[0]["branch"] == "一号院党支部 (Own branch)"
    assert comps[1]["branch"] == "联合党支部 (Joint branch)"
    assert comps[3]["branch"] == "No branch"
    assert [c["stars"] for c in comps] == ["★★★☆☆", "★★★★★", "★★★★★", "—"]
    assert comps[2]["property"] == "Self-managed"
    blds = _properties(_geojson(fmap, "Buildings"))
    assert blds[0]["label"] == "一号院 1号楼"
    assert (blds[0]["group"], blds[1]["group"], blds[0]["head"]) == ("yes", "no", "yes")
    assert blds[0]["zone"] == "一号院责任区 · 王**"
    assert blds[4]["zone"] == "—"
    outlines = _properties(_geojson(fmap, "Responsibility zones"))
    assert [z["member"] for z in outlines] == ["王**", html.escape(mask_name(XSS))]


def test_chinese_tooltips_and_one_pager_use_full_width_brackets(
    frames: party.GovFrames, demo_frames: party.GovFrames
) -> None:
    """A Chinese page writes 一号院党支部（本小区党支部）, not a half-width bracket."""
    zh = party_ui.map_labels("zh")
    fmap = pm.party_map(frames.compounds, frames.buildings, labels=zh)
    comps = _properties(_geojson(fmap, zh["compounds_layer"]))
    assert comps[0]["branch"] == "一号院党支部（本小区党支部）"
    assert comps[1]["branch"] == "联合党支部（联合党支部）"
    community = str(demo_frames.compounds["community_id"].iloc[0])
    for lang, heading, dated in (
        ("zh", "无党小组的楼栋（", "日期：2026-11-15"),
        ("en", "Buildings without a party group (", "Date: 2026-11-15"),
    ):
        page = partyprint.community_summary_html(
            demo_frames,
            community,
            title="x",
            labels=party_figures._summary_labels(lang),
            today=dt.date(2026, 11, 15),
        )
        assert f"<h2>{heading}" in page and dated in page, lang
        assert (" (" in page.split("<h2>", 1)[1]) is (lang == "en")


def _escaped_in(page: str, text: str) -> bool:
    escaped = html.escape(text)
    return (
        escaped in page
        or json.dumps(escaped)[1:-1] in page
        or escaped.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e") in page
    )


def test_every_text_in_the_map_is_escaped(frames: party.GovFrames, zones: gpd.GeoDataFrame) -> None:
    labels = dict.fromkeys(pm.DEFAULT_LABELS, XSS)
    for compound_layer in pm.CompoundLayer:
        for building_layer in pm.BuildingLayer:
            fmap = pm.party_map(
                frames.compounds,
                frames.buildings,
                compound_layer=compound_layer,
                building_layer=building_layer,
                zones=zones,
                labels=labels,
            )
            page = _html(fmap)
            assert "<img" not in page
            assert "\\u003cimg" not in page  # not even JSON-encoded, where innerHTML parses it
            assert _escaped_in(page, XSS)
    first = next(c for c in fmap._children.values() if isinstance(c, folium.GeoJson))
    assert first.layer_name == html.escape(XSS)  # layer names are escaped too
    props = _properties(first)  # the compounds
    assert props[3]["label"] == html.escape(XSS)
    assert html.escape(XSS) in str(props[0]["property"])


def test_the_map_loads_nothing_from_the_internet(
    frames: party.GovFrames, zones: gpd.GeoDataFrame
) -> None:
    for building_layer in pm.BuildingLayer:
        page = _html(
            pm.party_map(
                frames.compounds, frames.buildings, building_layer=building_layer, zones=zones
            )
        )
        assert layers.remote_resources(page) == []
        assert not re.search(r"<script[^>]+src=[\"']?(https?:)?//", page)
        assert not re.search(r"<link[^>]+href=[\"']?(https?:)?//", page)
        assert "/app/static/leaflet/leaflet.js" in page


def test_zone_outlines_wrap_their_buildings(
    frames: party.GovFrames, zones: gpd.GeoDataFrame
) -> None:
    assert list(zones["zone_id"]) == ["Z1", "Z2"]
    assert list(zones["buildings"]) == [2, 1]
    assert list(zones["name"]) == ["一号院责任区", f"二号院{XSS}"]
    blds = frames.buildings.set_index("building_id").geometry
    z1, z2 = zones.geometry
    assert z1.contains(blds["b1"]) and z1.contains(blds["b2"])
    assert z1.geom_type == "Polygon"  # 0.0002° (~18 m) apart: closed into one shape
    assert z2.contains(blds["b3"]) and not z2.intersects(blds["b4"])
    assert z1.area < 1.5 * frames.compounds.geometry.iloc[0].area


def test_the_selection_outline_is_not_clickable(frames: party.GovFrames) -> None:
    group = layers.selection_layer(frames.compounds.iloc[[1]])
    (outline,) = [c for c in group._children.values() if isinstance(c, folium.GeoJson)]
    assert outline.options["interactive"] is False
    assert outline.data["features"][0]["properties"] == {}


def test_a_cached_copy_renders_the_same_leaflet_script(
    frames: party.GovFrames, zones: gpd.GeoDataFrame
) -> None:
    stored = pickle.dumps(
        pm.party_map(frames.compounds, frames.buildings, building_layer="zone", zones=zones)
    )
    hashes = set()
    for _ in range(3):
        fmap = pickle.loads(stored)
        fmap.get_root().render()
        hashes.add(generate_js_hash(_get_map_string(fmap), "k"))
    assert len(hashes) == 1


def test_the_map_refuses_bad_frames(frames: party.GovFrames) -> None:
    with pytest.raises(ValidationError, match="EPSG:4326"):
        pm.party_map(frames.compounds.to_crs(32649), frames.buildings)
    with pytest.raises(ValidationError, match="at least one compound"):
        pm.party_map(frames.compounds.iloc[:0], frames.buildings)


def test_figure_table_drops_a_total_that_repeats_the_only_row(frames: party.GovFrames) -> None:
    by_grid = partycards.figure_table(frames, by="grid_id")
    assert list(by_grid["grid_id"]) == ["G1", "G2", "ALL"]
    assert list(by_grid["with_branch"]) == [2, 1, 3]
    by_community = partycards.figure_table(frames, by="community_id")
    assert list(by_community["community_id"]) == ["C1"]
    assert by_community["share_branch"].iloc[0] == pytest.approx(0.75)


# -- cards on the demo street --------------------------------------------------------------
@pytest.fixture(scope="module")
def demo_frames(demo_store: Store) -> party.GovFrames:
    return party.load(demo_store, street_id=STREET)


def _branch_compound(frames: party.GovFrames) -> pd.Series:
    comps = frames.compounds
    return comps[(comps["community_id"] == COMMUNITY) & comps["branch_id"].notna()].iloc[0]


def test_the_secretary_is_masked_unless_revealed(
    demo_store: Store, demo_frames: party.GovFrames
) -> None:
    compound = _branch_compound(demo_frames)
    org = demo_store.read("party_org", where={"org_id": compound["branch_id"]}).iloc[0]
    full = partycards.compound_card(
        demo_store, demo_frames, compound["compound_id"], reveal=True, today=TODAY
    )
    masked = partycards.compound_card(
        demo_store, demo_frames, compound["compound_id"], reveal=False, today=TODAY
    )
    assert full["secretary"] == org["secretary"]
    assert masked["secretary"] == mask_name(org["secretary"])
    assert masked["secretary_phone"] != org["secretary_phone"]
    assert full["branch_name"] == compound["branch_name"]
    assert len(full["stars"]) == compound["stars"]
    blds = demo_frames.buildings[demo_frames.buildings["compound_id"] == compound["compound_id"]]
    assert full["residents"] == blds["residents"].sum()
    assert full["no_group"] == (~blds["has_group"]).sum()
    issues_open = demo_store.read(
        "issue", where={"compound_id": compound["compound_id"]}, columns=["status"]
    )
    assert full["open_issues"] == (issues_open["status"] != "closed").sum()


def test_the_building_card_masks_the_head(demo_store: Store, demo_frames: party.GovFrames) -> None:
    raw = demo_store.read("building")
    row = raw[raw["building_head"].notna() & raw["compound_id"].str.startswith(COMMUNITY)].iloc[0]
    full = partycards.building_card(demo_store, demo_frames, row["building_id"], reveal=True)
    masked = partycards.building_card(demo_store, demo_frames, row["building_id"], reveal=False)
    assert full["head"] == row["building_head"]
    assert masked["head"] == mask_name(row["building_head"])
    assert full["compound_id"] == row["compound_id"]


def test_zones_belong_to_their_community(demo_store: Store, demo_frames: party.GovFrames) -> None:
    zones = partycards.zone_table(demo_store, demo_frames)
    assert len(zones) == demo_store.counts()["responsibility_zone"]
    placed = demo_frames.buildings.dropna(subset=["zone_id"])
    for zone_id, community in zip(placed["zone_id"], placed["community_id"], strict=True):
        assert zones.set_index("zone_id").loc[zone_id, "community_id"] == community


def test_every_catalogue_key_the_page_builds_exists() -> None:
    built = [f"party_page.map.{key}" for key in pm.DEFAULT_LABELS]
    built += [f"party_page.compound_layer_{v}" for v in pm.CompoundLayer]
    built += [f"party_page.building_layer_{v}" for v in pm.BuildingLayer]
    built += [f"party_page.fig.by_{v}" for v in party_ui.LEVELS]
    built += [f"party_page.gaps.{gap}" for gap in party.GAPS]
    built += [f"party_page.summary.{gap}" for gap in party.GAPS]
    built += [f"party_page.form.{form}" for form in ("branch", "property", "building", "zone")]
    built += [f"party_page.gaps.order_{v}" for v in (party_ui.ASCENDING, party_ui.DESCENDING)]
    for lang in LANGS:
        assert [key for key in built if key not in catalogue(lang)] == []


# -- the page under AppTest ----------------------------------------------------------------
def _open(user: str | None, *, community: str | None = COMMUNITY, lang: str = "zh") -> AppTest:
    return open_page("party", lang=lang, user=user, community=community, timeout=TIMEOUT)


def _ground(store: Store, compound_id: str) -> tuple[float, float]:
    """A point of the compound away from its buildings (a click on the compound itself)."""
    comp = store.read("compound", where={"compound_id": compound_id}).geometry.iloc[0]
    blds = store.read("building", where={"compound_id": compound_id}).geometry
    free = comp.difference(shapely.union_all(shapely.buffer(blds.to_numpy(), 0.00005)))
    point = free.representative_point()
    return point.x, point.y


def _inside(geometry: shapely.Geometry) -> tuple[float, float]:
    point = geometry.representative_point()
    return point.x, point.y


def _metric(at: AppTest, key: str, lang: str = "zh") -> str:
    (metric,) = [m for m in at.metric if m.label == t(f"party_page.fig.{key}", lang)]
    return str(metric.value)


def _markdown(at: AppTest) -> str:
    return "\n".join(m.value for m in at.markdown)


def _map_script(at: AppTest) -> str:
    (component,) = at.get("component_instance")
    return str(json.loads(component.proto.json_args)["script"])


def _no_branch_compound(store: Store) -> pd.Series:
    """The first compound of the street without a branch (the demo has a few)."""
    comps = party.load(store, street_id=STREET).compounds
    free = comps[comps["branch_id"].isna()]
    assert len(free)
    return free.sort_values("compound_id").iloc[0]


@pytest.mark.parametrize("lang", LANGS)
def test_the_page_opens_with_figures_map_and_gaps(app_db: Store, lang: str) -> None:
    at = _open(STAFF, community=None, lang=lang)
    ok(at)
    assert at.title[0].value == t("page.party.title", lang)
    frames = party.load(app_db, street_id=STREET)
    totals = party.coverage_figures(frames).set_index("community_id").loc["ALL"]
    assert _metric(at, "share_branch", lang) == percent_text(totals["share_branch"])
    assert _metric(at, "share_zone", lang) == percent_text(totals["share_zone"])
    assert _metric(at, "members_per_100_households", lang) == (
        f"{totals['members_per_100_households']:.1f}"
    )
    assert _metric(at, "three_nos", lang) == str(int(totals["three_nos"]))
    assert len(at.get("component_instance")) == 1
    assert t("party_page.card.hint", lang) in [i.value for i in at.info]
    gaps = party.gap_lists(frames)
    labels = [tab.label for tab in at.tabs]
    for gap in party.GAPS:
        assert t(f"party_page.gaps.{gap}", lang, n=len(gaps[gap])) in labels
    downloads = at.get("download_button")
    # the gap lists' (Excel, CSV), the summary's, the property scorecard's (Excel, CSV)
    assert len(downloads) == 2 * sum(1 for g in party.GAPS if len(gaps[g])) + 1 + 2
    assert "user" not in at.query_params  # who is working is not in the URL


def test_the_breakdown_follows_the_chosen_level(app_db: Store) -> None:
    at = _open(LEADER, community=None, lang="en")
    level = at.radio(key=party_ui.LEVEL)
    assert level.options == ["Street", "Community", "Grid"]
    assert level.value == "community_id"
    coverage = at.dataframe[0].value
    assert list(coverage[t("party_page.fig.place", "en")])[-1] == "Total"
    assert len(coverage) == 4 + 1
    level.set_value("grid_id").run()
    ok(at)
    assert len(at.dataframe[0].value) == 12 + 1
    level.set_value("street_id").run()
    assert len(at.dataframe[0].value) == 1  # the street alone: no total repeating it
    stars = at.dataframe[1].value
    assert label(Star.STRONG_BRANCH, "en") in stars.columns
    assert "★★★★★" in stars.columns
    prop = at.dataframe[2].value
    assert label(PropertyMode.COMPANY, "en") in prop.columns
    # a community on screen: its grids, and no street level
    at = _open(LEADER, lang="en")
    assert at.radio(key=party_ui.LEVEL).options == ["Community", "Grid"]
    assert at.radio(key=party_ui.LEVEL).value == "grid_id"
    assert len(at.dataframe[0].value) == 3 + 1


@pytest.mark.parametrize("lang", LANGS)
def test_the_headline_and_the_tables_total_show_the_same_shares(app_db: Store, lang: str) -> None:
    """The headline and the breakdown's total row round alike (half up): 37 of 40 compounds
    with a branch is 93% in both, not "92%" above a total of "93%"."""
    at = _open(LEADER, community=None, lang=lang)
    ok(at)
    coverage = at.dataframe[0].value
    total = coverage.iloc[-1]
    assert total[t("party_page.fig.place", lang)] == t("party_page.fig.total", lang)
    for key in ("share_branch", "share_group", "share_head", "share_zone"):
        value = float(total[t(f"party_page.fig.{key}", lang)])
        assert value == round(value)  # a whole percent: the column's format only adds the sign
        assert _metric(at, key, lang) == f"{value:.0f}%"
    frames = party.load(app_db, street_id=STREET)
    totals = party.coverage_figures(frames).set_index("community_id").loc["ALL"]
    assert (totals["with_branch"], totals["compounds"]) == (37, 40)  # the tie the audit saw
    assert _metric(at, "share_branch", lang) == "93%"


def test_switching_layers_redraws_the_map(app_db: Store) -> None:
    at = _open(LEADER, lang="en")
    script = _map_script(at)
    assert "Compounds: party branch" in script
    assert "Buildings: party group" in script
    at.radio(key=party_ui.COMPOUND_LAYER).set_value("stars").run()
    ok(at)
    assert "Compounds: branch stars" in _map_script(at)
    at.radio(key=party_ui.BUILDING_LAYER).set_value("zone").run()
    ok(at)
    script = _map_script(at)
    assert "Buildings: responsibility zone" in script
    assert pm.ZONE_CLASS in script
    assert "Compounds: branch stars" in script  # the other choice is kept


def test_a_click_on_a_compound_shows_its_card(app_db: Store) -> None:
    frames = party.load(app_db, street_id=STREET)
    compound = _branch_compound(frames)
    at = _open(LEADER)
    click_map(at, *_ground(app_db, compound["compound_id"]))
    ok(at)
    assert at.session_state[party_ui.TARGET] == ("compound", compound["compound_id"])
    assert compound["name"] in [s.value for s in at.subheader]
    text = _markdown(at)
    assert t("party_page.card.branch") in text
    assert str(compound["branch_name"]) in text
    org = app_db.read("party_org", where={"org_id": compound["branch_id"]}).iloc[0]
    assert org["secretary"] not in text  # a leader sees the secretary masked
    assert mask_name(org["secretary"]).replace("*", "\\*") in text
    assert t("party_page.card.open_issues") in [m.label for m in at.metric]
    assert not at.get("form")
    reader = get_user(app_db, LEADER)
    read_only = t("party_page.read_only", name=reader.name, role=label(reader.role))
    assert read_only in [c.value for c in at.caption]
    (component,) = at.get("component_instance")
    assert json.loads(component.proto.json_args)["feature_group"]  # the outline is drawn


def test_a_click_on_a_building_shows_it_with_its_compound(app_db: Store) -> None:
    building = app_db.read("building", where={"compound_id": f"{COMMUNITY}-03"}).iloc[0]
    at = _open(STAFF)
    click_map(at, *_inside(building.geometry))
    ok(at)
    assert at.session_state[party_ui.TARGET] == ("building", building["building_id"])
    compound = app_db.read("compound", where={"compound_id": building["compound_id"]}).iloc[0]
    assert compound["name"] in [s.value for s in at.subheader]
    assert t("party_page.card.building_title", name=building["name"]) in _markdown(at)
    org = app_db.read("party_org", where={"org_id": compound["branch_id"]}).iloc[0]
    assert org["secretary"] in _markdown(at)  # the community's staff see it in full
    forms = [t(f"party_page.form.{f}") for f in ("branch", "property", "building", "zone")]
    labels = [tab.label for tab in at.tabs]
    first = labels.index(forms[0])
    assert labels[first : first + len(forms)] == forms
    click_map(at, 100.0, 20.0)  # outside everything: the card stays
    ok(at)
    assert at.session_state[party_ui.TARGET] == ("building", building["building_id"])


def _field(form: str, target: str, store: Store, name: str) -> str:
    return f"mapgov.party.form.{form}.{target}.{store.identity()[1]}.{name}"


def _save(at: AppTest, form: str) -> AppTest:
    (form_element,) = [
        f for f in at.get("form") if f.proto.form.form_id.startswith(f"mapgov.party.form.{form}.")
    ]
    (button,) = [b for b in at.button if b.form_id == form_element.proto.form.form_id]
    return button.click().run()


def test_staff_give_a_compound_a_branch_and_the_figures_follow(app_db: Store) -> None:
    compound = _no_branch_compound(app_db)
    cid, community = compound["compound_id"], compound["community_id"]
    staff = f"{community}-staff1"
    before = party.coverage_figures(party.load(app_db, street_id=STREET), by="community_id")
    before = before.set_index("community_id").loc[community]
    at = _open(staff, community=community)
    assert _metric(at, "share_branch") == percent_text(before["share_branch"])
    click_map(at, *_ground(app_db, cid))
    ok(at)
    assert t("party_page.card.no_branch_warning") in [w.value for w in at.warning]
    at.checkbox(key=_field("branch", cid, app_db, "has_branch")).check()
    at.text_input(key=_field("branch", cid, app_db, "secretary")).input("王书记")
    at.text_input(key=_field("branch", cid, app_db, "secretary_phone")).input("13900004444")
    at.multiselect(key=_field("branch", cid, app_db, "stars")).select("strong_branch").select(
        "serving_people"
    )
    _save(at, "branch")
    ok(at)
    after = party.coverage_figures(party.load(app_db, street_id=STREET), by="community_id")
    after = after.set_index("community_id").loc[community]
    assert after["with_branch"] == before["with_branch"] + 1
    assert _metric(at, "share_branch") == percent_text(after["share_branch"])
    changed = int(app_db.counts()["change_log"])
    assert at.success[0].value == t("party_page.saved", what=t("party_page.form.branch"), n=changed)
    text = _markdown(at)
    assert f"{compound['name']}党支部" in text
    assert "王书记 13900004444" in text  # the community's own staff: in full
    assert "★★☆☆☆" in text
    assert t("party_page.card.no_branch_warning") not in [w.value for w in at.warning]
    log = app_db.read("change_log")
    assert set(log["actor"]) == {get_user(app_db, staff).name}
    assert {"party_org", "compound", "branch_star"} <= set(log["table_name"])
    frames = party.load(app_db, street_id=STREET)
    n = len(party.gap_lists(frames, community_id=community)["no_branch"])
    assert t("party_page.gaps.no_branch", n=n) in [tab.label for tab in at.tabs]


def test_property_building_and_zone_edits(app_db: Store) -> None:
    building = app_db.read("building", where={"compound_id": f"{COMMUNITY}-03"}).iloc[0]
    bid, cid = building["building_id"], building["compound_id"]
    at = _open(ADMIN)
    click_map(at, *_inside(building.geometry))
    at.selectbox(key=_field("property", cid, app_db, "mode")).select("none")
    at.checkbox(key=_field("property", cid, app_db, "owners_committee")).uncheck()
    at.checkbox(key=_field("property", cid, app_db, "has_security")).uncheck()
    at.checkbox(key=_field("property", cid, app_db, "self_managed_committee")).uncheck()
    _save(at, "property")
    ok(at)
    assert t("party_page.card.three_nos_warning") in [w.value for w in at.warning]
    assert app_db.read("property_management", where={"compound_id": cid}).iloc[0]["mode"] == "none"
    at.checkbox(key=_field("building", bid, app_db, "has_group")).uncheck()
    at.text_input(key=_field("building", bid, app_db, "head")).input("刘楼长")
    _save(at, "building")
    ok(at)
    stored = app_db.read("building", where={"building_id": bid}).iloc[0]
    assert stored["building_head"] == "刘楼长"
    assert pd.isna(stored["party_group_id"])
    zone = at.selectbox(key=_field("zone", cid, app_db, "zone"))
    assert zone.value  # a zone of the community is proposed
    zone.select("")  # take the clicked building out of any zone
    assert at.multiselect(key=_field("zone", cid, app_db, "buildings")).value == [bid]
    _save(at, "zone")
    ok(at)
    assert app_db.read("zone_building", where={"building_id": bid}).empty
    zones = partycards.zone_table(app_db, party.load(app_db, street_id=STREET))
    zone_id = zones[zones["community_id"] == COMMUNITY]["zone_id"].iloc[-1]
    at.selectbox(key=_field("zone", cid, app_db, "zone")).select(zone_id)
    _save(at, "zone")
    ok(at)
    assert app_db.read("zone_building", where={"building_id": bid}).iloc[0]["zone_id"] == zone_id
    zone_name = zones.set_index("zone_id").loc[zone_id, "name"]
    assert zone_name in _markdown(at).replace("\\", "")
    assert set(app_db.read("change_log")["actor"]) == {get_user(app_db, ADMIN).name}


def test_a_refused_save_says_why_and_changes_nothing(app_db: Store) -> None:
    building = app_db.read("building", where={"compound_id": f"{COMMUNITY}-01"}).iloc[0]
    cid = building["compound_id"]
    at = _open(STAFF, lang="en")
    click_map(at, *_ground(app_db, cid))
    at.selectbox(key=_field("property", cid, app_db, "mode")).select("company")
    at.text_input(key=_field("property", cid, app_db, "company")).input("   ")
    _save(at, "property")
    assert not at.exception
    assert [e.value for e in at.error] == [
        t("party_page.refused", "en", message=t("error.edit.company_needed", "en"))
    ]
    assert app_db.counts()["change_log"] == 0
    assert at.selectbox(key=_field("property", cid, app_db, "mode")).value == "company"  # kept


@pytest.mark.parametrize("phone", ["not a phone", "12"])
def test_a_building_head_phone_that_is_no_phone_is_refused(app_db: Store, phone: str) -> None:
    """楼栋长电话 is checked as on the issue form: the save is refused with the issue form's
    message, the building keeps its head, and no leader is later shown "not****hone"."""
    building = app_db.read("building", where={"compound_id": f"{COMMUNITY}-03"}).iloc[0]
    bid = building["building_id"]
    at = _open(STAFF)
    click_map(at, *_inside(building.geometry))
    at.text_input(key=_field("building", bid, app_db, "head")).input("刘楼长")
    at.text_input(key=_field("building", bid, app_db, "head_phone")).input(phone)
    _save(at, "building")
    assert not at.exception
    message = f"“{phone}”不是有效的电话号码。"
    assert [e.value for e in at.error] == [t("party_page.refused", message=message)]
    assert app_db.counts()["change_log"] == 0
    stored = app_db.read("building", where={"building_id": bid}).iloc[0]
    assert stored["building_head"] != "刘楼长" and stored["building_head_phone"] != phone
    assert at.text_input(key=_field("building", bid, app_db, "head_phone")).value == phone


def test_a_stale_form_says_who_changed_what_and_the_first_change_stays(app_db: Store) -> None:
    """Two people on one compound's property form: the administrator saves first (here through
    the library), the staff member's older form is then refused with who, when and what, no
    traceback, and the administrator's company stays."""
    cid = app_db.read("building", where={"compound_id": f"{COMMUNITY}-01"}).iloc[0]["compound_id"]
    at = _open(STAFF, lang="en")
    click_map(at, *_ground(app_db, cid))
    mode, company = (_field("property", cid, app_db, n) for n in ("mode", "company"))
    admin = get_user(app_db, ADMIN)
    first = party.form_version(app_db, "property", cid)
    party.set_property(app_db, admin, cid, version=first, mode="company", company="王城物业")
    count = app_db.counts()["change_log"]
    at.selectbox(key=mode).select("company")
    at.text_input(key=company).input("河洛物业")
    _save(at, "property")
    assert not at.exception
    (error,) = [e.value for e in at.error]
    when = app_db.read("change_log")["at"].iloc[-1].replace("T", " ")[:16]
    assert error.startswith(t("party_page.refused", "en", message=""))
    assert admin.name in error and when in error and "property company" in error
    assert app_db.counts()["change_log"] == count
    stored = app_db.read("property_management", where={"compound_id": cid}).iloc[0]
    assert stored["company"] == "王城物业"


def test_a_change_of_company_takes_effect_on_the_day_the_form_names(app_db: Store) -> None:
    """Staff record changes of company on the days they took effect: each company served the
    compound from its day to the next one's (the scorecard counts each month for the company
    serving then); a day before the present company began is refused with nothing changed."""
    cid = app_db.read("building", where={"compound_id": f"{COMMUNITY}-01"}).iloc[0]["compound_id"]
    before = app_db.read("property_tenure", where={"compound_id": cid})
    assert before["ended_on"].isna().all()  # at most one company serves, since before records

    def change(company: str, days_ago: int) -> AppTest:
        at = _open(STAFF)
        click_map(at, *_ground(app_db, cid))
        day = at.date_input(key=_field("property", cid, app_db, "effective_on"))
        assert day.value == clock.today(app_db)  # the form proposes today
        at.selectbox(key=_field("property", cid, app_db, "mode")).select("company")
        at.text_input(key=_field("property", cid, app_db, "company")).input(company)
        day.set_value(clock.today(app_db) - dt.timedelta(days=days_ago))
        return _save(at, "property")

    ok(change("王城物业", 30))
    ok(change("河洛物业", 7))
    refused = change("嵩山物业", 10)  # before 河洛物业 began
    assert [e.value for e in refused.error] == [
        t("party_page.refused", message=error_text(_tenure_refusal(app_db, cid, 10), "zh"))
    ]
    tenure = app_db.read("property_tenure", where={"compound_id": cid}).sort_values("started_on")
    on = [(clock.today(app_db) - dt.timedelta(days=n)).isoformat() for n in (30, 7)]
    rows = tenure[["company", "started_on", "ended_on"]].astype(object).where(tenure.notna(), None)
    assert rows.values.tolist() == [
        *[[c, s, on[0]] for c, s in zip(before["company"], before["started_on"], strict=True)],
        ["王城物业", on[0], on[1]],
        ["河洛物业", on[1], None],
    ]
    stored = app_db.read("property_management", where={"compound_id": cid}).iloc[0]
    assert stored["company"] == "河洛物业"


def _tenure_refusal(store: Store, cid: str, days_ago: int) -> ValidationError:
    """What the library says to a change of `cid`'s company dated `days_ago`."""
    admin = get_user(store, ADMIN)
    version = party.form_version(store, "property", cid)
    day = clock.today(store) - dt.timedelta(days=days_ago)
    with pytest.raises(ValidationError) as refused:
        party.set_property(
            store, admin, cid, version=version, mode="company", company="嵩山物业",
            effective_on=day,
        )  # fmt: skip
    return refused.value


@pytest.mark.parametrize("user", [LEADER, OTHER_STAFF])
def test_readers_see_no_forms(app_db: Store, user: str) -> None:
    building = app_db.read("building", where={"compound_id": f"{COMMUNITY}-03"}).iloc[0]
    at = _open(user)
    click_map(at, *_inside(building.geometry))
    ok(at)
    # no edit form of the card (staff of another community may still record evaluations of
    # their own compounds' companies, in the section 物业企业评价)
    assert not [f for f in at.get("form") if f.proto.form.form_id.startswith("mapgov.party.")]
    assert t("party_page.card.building_title", name=building["name"]) in _markdown(at)
    reader = get_user(app_db, user)
    assert t("party_page.read_only", name=reader.name, role=label(reader.role)) in [
        c.value for c in at.caption
    ]


def test_gap_lists_sort_by_residents_and_download(app_db: Store) -> None:
    at = _open(LEADER, community=None, lang="en")
    gap_tables = [
        d.value for d in at.dataframe if t("party_page.gaps.col.building_id", "en") in d.value
    ]
    residents = t("party_page.gaps.col.residents", "en")
    first = gap_tables[0][residents].tolist()
    assert first == sorted(first, reverse=True)
    at.radio(key=party_ui.GAP_ORDER).set_value(party_ui.ASCENDING).run()
    ok(at)
    gap_tables = [
        d.value for d in at.dataframe if t("party_page.gaps.col.building_id", "en") in d.value
    ]
    assert gap_tables[0][residents].tolist() == sorted(first)
    names = {b.proto.label: b for b in at.get("download_button")}
    assert t("party_page.gaps.excel", "en") in names
    assert t("party_page.summary.download", "en") in names


def test_the_printable_summary_of_a_community(app_db: Store) -> None:
    at = _open(LEADER, lang="en")
    (download,) = [
        b
        for b in at.get("download_button")
        if b.proto.label == t("party_page.summary.download", "en")
    ]
    assert download.proto.url.endswith(".html")
    # the summary's preview, by its label (sections below it have expanders of their own)
    (preview,) = [e for e in at.expander if e.label == t("party_page.summary.preview", "en")]
    (frame,) = [c for c in preview.children.values() if getattr(c, "type", "") == "iframe"]
    page = frame.proto.srcdoc
    community = app_db.read("community", where={"community_id": COMMUNITY}).iloc[0]
    assert f"{community['name_en']}: party coverage" in page
    frames = party.load(app_db, street_id=STREET)
    gaps = party.gap_lists(frames, community_id=COMMUNITY)
    assert f"Buildings in no zone ({len(gaps['no_zone'])})" in page
    assert "<script" not in page
    # the whole street on screen: the community is chosen beside the button
    at = _open(LEADER, community=None, lang="en")
    at.selectbox(key=party_ui.SUMMARY_COMMUNITY).select("S001-C2").run()
    ok(at)
    (preview,) = [e for e in at.expander if e.label == t("party_page.summary.preview", "en")]
    (frame,) = [c for c in preview.children.values() if getattr(c, "type", "") == "iframe"]
    other = app_db.read("community", where={"community_id": "S001-C2"}).iloc[0]
    assert f"{other['name_en']}: party coverage" in frame.proto.srcdoc


def test_who_signed_in_decides_the_forms_whatever_the_url_says(app_db: Store) -> None:
    building = app_db.read("building", where={"compound_id": f"{COMMUNITY}-03"}).iloc[0]
    at = _open(STAFF)
    click_map(at, *_inside(building.geometry))
    assert at.get("form")
    assert "当前使用人" not in [s.label for s in at.sidebar.selectbox]  # the old picker
    crafted = {"user": STAFF, "role": "admin"}  # a link cannot make a leader an editor
    at = open_page("party", user=LEADER, community=COMMUNITY, query=crafted, timeout=TIMEOUT)
    click_map(at, *_inside(building.geometry))
    ok(at)
    assert at.session_state[party_ui.TARGET] == ("building", building["building_id"])
    assert not at.get("form")
