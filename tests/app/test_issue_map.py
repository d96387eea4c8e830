"""The issue map: its folium layers, and the /issues page under AppTest driven by map clicks.

Map clicks are simulated by :func:`tests.apptest.click_map` (the value the st_folium frontend
would send); the real click is proven in ``tests/browser/test_browser_issues.py``.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import pickle
import re

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from streamlit.testing.v1 import AppTest
from streamlit_folium import _get_map_string, generate_js_hash

from mapgov.core.errors import ValidationError
from mapgov.core.i18n import label, t
from mapgov.core.model import (
    CallbackRating,
    EventAction,
    IssueCategory,
    IssueSource,
    IssueStatus,
    Level,
)
from mapgov.domain import issue_reads, issues
from mapgov.domain import issues_workflow as workflow
from mapgov.domain.users import User, get_user
from mapgov.session_cookie import PATH
from mapgov.store import Store
from mapgov.ui import issues as issue_ui
from mapgov.ui.widgets import streamlit_words_css
from mapgov.views import issues as issuemap
from mapgov.views import maplabels
from mapgov.views import maps as layers
from tests.apptest import click_map, ok, open_page
from tests.conftest import AS_OF

TIMEOUT = 60
XSS = "<img src=x onerror=alert(1)>"
COMMUNITY = "S001-C1"
STAFF = "S001-C1-staff1"
OTHER_STAFF = "S001-C2-staff1"
LEADER = "S001-leader"
ADMIN = "S001-admin"


@pytest.fixture
def app_db(any_app_db: Store) -> Store:
    """This page's tests run on SQLite and on PostgreSQL."""
    return any_app_db


# -- layers --------------------------------------------------------------------------------
def _box(x: float, y: float, size: float = 0.0004) -> shapely.Polygon:
    return shapely.box(112.40 + x, 34.60 + y, 112.40 + x + size, 34.60 + y + size)


@pytest.fixture
def buildings() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "building_id": ["B1", "B2", "B3", "B4", "B5"],
            "label": ["幸福家园 1号楼", "幸福家园 2号楼", "幸福家园 3号楼", XSS, "金谷苑 1号楼"],
            "open": [0, 1, 2, 4, 7],
            "overdue": [0, 0, 1, 4, 2],
        },
        geometry=[_box(0.001 * i, 0.001) for i in range(5)],
        crs="EPSG:4326",
    )


@pytest.fixture
def compounds() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"compound_id": ["K1", "K2"], "label": ["幸福家园", XSS]},
        geometry=[shapely.box(112.3995, 34.6005, 112.4035, 34.6020), _box(0.004, 0.0005, 0.002)],
        crs="EPSG:4326",
    )


def _html(fmap: folium.Map) -> str:
    return fmap.get_root().render()


def _geojson(fmap: folium.Map, name: str) -> folium.GeoJson:
    (layer,) = [
        c for c in fmap._children.values() if isinstance(c, folium.GeoJson) and c.layer_name == name
    ]
    return layer


def _legend(fmap: folium.Map) -> str:
    (legend,) = [c for c in fmap._children.values() if isinstance(c, layers.MapLegend)]
    return str(legend.html)


def _properties(layer: folium.GeoJson) -> list[dict[str, object]]:
    return [f["properties"] for f in layer.data["features"]]


@pytest.mark.parametrize(
    ("opened", "overdue", "colour_by", "expected"),
    [
        ([0, 1, 2, 3, 4, 5, 40], [0] * 7, "open", [0, 1, 2, 3, 3, 4, 4]),
        ([0, 3, 3, 4, 2, 1], [0, 0, 1, 2, 1, 1], "overdue_share", [0, 1, 2, 3, 3, 4]),
    ],
)
def test_issue_classes(opened: list[int], overdue: list[int], colour_by: str, expected: list[int]):
    assert issuemap.issue_classes(opened, overdue, colour_by=colour_by).tolist() == expected


def test_every_class_has_a_legend_row() -> None:
    for colour_by in issuemap.ColourBy:
        rows = issuemap.legend_rows(colour_by)
        top = issuemap.issue_classes([100], [100], colour_by=colour_by)[0]
        assert len(rows) == top + 1
        assert len({colour for colour, _ in rows}) == len(rows)


@pytest.mark.parametrize("colour_by", list(issuemap.ColourBy))
def test_buildings_are_filled_by_class_with_a_legend(
    buildings: gpd.GeoDataFrame, compounds: gpd.GeoDataFrame, colour_by: issuemap.ColourBy
) -> None:
    fmap = issuemap.issue_map(buildings, compounds, colour_by=colour_by)
    props = _properties(_geojson(fmap, "Buildings"))
    classes = issuemap.issue_classes(buildings["open"], buildings["overdue"], colour_by=colour_by)
    palette = [colour for colour, _ in issuemap.legend_rows(colour_by)]
    assert [p["_fill"] for p in props] == [palette[c] for c in classes]
    assert [p["open"] for p in props] == [0, 1, 2, 4, 7]
    assert set(props[0]) == {"building_id", "label", "open", "overdue", "_fill"}
    page = _html(fmap)
    title = "Open issues per building" if colour_by == "open" else "Share of open issues overdue"
    assert title in page
    assert "mapgov-legend" in page
    for colour in palette:
        assert f"background:{colour}" in page
    assert f'"className": "{issuemap.BUILDING_CLASS}"' in page


def test_tooltips_show_the_building_and_its_open_count(
    buildings: gpd.GeoDataFrame, compounds: gpd.GeoDataFrame
) -> None:
    labels = issuemap.IssueMapLabels(building="楼栋", open="未销号", overdue="已超期")
    page = _html(issuemap.issue_map(buildings, compounds, labels=labels))
    assert re.search(r'fields = \["label", "open", "overdue"\]', page)
    assert '["\\u697c\\u680b", "\\u672a\\u9500\\u53f7", "\\u5df2\\u8d85\\u671f"]' in page or (
        '["楼栋", "未销号", "已超期"]' in page
    )


def _escaped_in(page: str, text: str) -> bool:
    """`text` HTML-escaped appears in `page`, verbatim or inside a JSON string."""
    escaped = html.escape(text)
    return (
        escaped in page
        or json.dumps(escaped)[1:-1] in page
        or (escaped.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e") in page)
    )


def test_every_text_is_escaped_in_the_map(
    buildings: gpd.GeoDataFrame, compounds: gpd.GeoDataFrame
) -> None:
    labels = issuemap.IssueMapLabels(
        legend_open=XSS, heat=f"{XSS}!", buildings_layer=XSS, no_open=XSS
    )
    heat = gpd.GeoDataFrame({"count": [3]}, geometry=[_box(0, 0, 0.001)], crs="EPSG:4326")
    for colour_by in issuemap.ColourBy:
        fmap = issuemap.issue_map(
            buildings, compounds, heat=heat, colour_by=colour_by, labels=labels
        )
        page = _html(fmap)
        assert "<img" not in page
        assert "\\u003cimg" not in page  # not even JSON-encoded, where innerHTML would parse it
        assert _escaped_in(page, XSS)
        assert _properties(_geojson(fmap, html.escape(XSS)))[3]["label"] == html.escape(XSS)


def test_the_map_loads_nothing_from_the_internet(
    buildings: gpd.GeoDataFrame, compounds: gpd.GeoDataFrame
) -> None:
    heat = gpd.GeoDataFrame({"count": [1, 9]}, geometry=[_box(0, 0), _box(1, 1)], crs="EPSG:4326")
    page = _html(issuemap.issue_map(buildings, compounds, heat=heat))
    assert layers.remote_resources(page) == []
    assert not re.search(r"<script[^>]+src=[\"']?(https?:)?//", page)
    assert not re.search(r"<link[^>]+href=[\"']?(https?:)?//", page)
    assert "leaflet-heat" not in page
    assert "HeatLayer" not in page


def test_the_heat_layer_is_optional_and_lets_clicks_through(
    buildings: gpd.GeoDataFrame, compounds: gpd.GeoDataFrame
) -> None:
    assert "Issue heat" not in _html(issuemap.issue_map(buildings, compounds))
    heat = gpd.GeoDataFrame(
        {"count": [1, 5, 10]}, geometry=[_box(0, 0), _box(0.001, 0), _box(0.002, 0)], crs=4326
    )
    fmap = issuemap.issue_map(buildings, compounds, heat=heat)
    cells = _geojson(fmap, "Issue heat")
    assert cells.options["interactive"] is False
    fills = [p["_fill"] for p in _properties(cells)]
    assert fills == [issuemap.HEAT_COLORS[0], issuemap.HEAT_COLORS[2], issuemap.HEAT_COLORS[-1]]
    assert "Issues per cell: 1–10" in _legend(fmap)
    page = _html(fmap)
    assert page.index("Issue heat") < page.index('"Buildings"')  # drawn under the buildings


def test_compounds_are_outlined_and_labelled(
    buildings: gpd.GeoDataFrame, compounds: gpd.GeoDataFrame
) -> None:
    fmap = issuemap.issue_map(buildings, compounds)
    assert [p["label"] for p in _properties(_geojson(fmap, "Compounds"))] == [
        "幸福家园",
        html.escape(XSS),
    ]
    names = [c for c in fmap._children.values() if isinstance(c, maplabels.MapLabels)]
    assert len(names) == 1 and len(names[0].points) == 2
    assert html.escape(XSS) in names[0].points[1][2] and XSS not in names[0].points[1][2]
    assert "interactive: false" in _html(fmap)  # the name labels do not catch clicks


def test_a_cached_copy_renders_the_same_leaflet_script(
    buildings: gpd.GeoDataFrame, compounds: gpd.GeoDataFrame
) -> None:
    """What keeps the map's view across reruns: streamlit-folium keys its component by a
    hash of the map's script, and the cache hands out pickled copies that hash the same."""
    stored = pickle.dumps(issuemap.issue_map(buildings, compounds))
    hashes = set()
    for _ in range(3):
        fmap = pickle.loads(stored)
        fmap.get_root().render()
        hashes.add(generate_js_hash(_get_map_string(fmap), "k"))
    assert len(hashes) == 1


def test_the_selection_outline_is_not_clickable(buildings: gpd.GeoDataFrame) -> None:
    group = layers.selection_layer(buildings.iloc[[2]])
    (outline,) = [c for c in group._children.values() if isinstance(c, folium.GeoJson)]
    assert outline.options["interactive"] is False
    assert len(outline.data["features"]) == 1
    assert outline.data["features"][0]["properties"] == {}


def test_the_issue_map_refuses_bad_frames(
    buildings: gpd.GeoDataFrame, compounds: gpd.GeoDataFrame
) -> None:
    with pytest.raises(ValidationError, match="EPSG:4326"):
        issuemap.issue_map(buildings.to_crs(32649), compounds)
    with pytest.raises(ValidationError, match="no column"):
        issuemap.issue_map(buildings.drop(columns="overdue"), compounds)
    with pytest.raises(ValidationError, match="at least one"):
        issuemap.issue_map(buildings.iloc[:0], compounds.iloc[:0])


def test_a_real_community_map(demo_store: Store) -> None:
    built = issues.community_buildings(demo_store, COMMUNITY)
    counts = issues.building_issue_counts(demo_store, COMMUNITY, today=AS_OF)
    shown = built.merge(counts, on="building_id").assign(label=built["name"])
    comps = issues.community_compounds(demo_store, COMMUNITY)
    fmap = issuemap.issue_map(shown, comps.assign(label=comps["name"]))
    assert len(_properties(_geojson(fmap, "Buildings"))) == len(built)
    assert layers.remote_resources(_html(fmap)) == []


def _open_issues_by_hand(store: Store, category: str | None = None) -> pd.DataFrame:
    """The community's open issues read straight from the tables, not through
    mapgov.domain.issues."""
    grids = store.read("grid", where={"community_id": COMMUNITY}, columns=["grid_id"])
    comps = store.read("compound", where={"grid_id": list(grids["grid_id"])})
    found = store.read("issue", where={"compound_id": list(comps["compound_id"])})
    found = found[found["status"] != IssueStatus.CLOSED.value]
    return found if category is None else found[found["category"] == category]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_one_pin_per_open_issue_the_filters_select(demo_store: Store, lang: str) -> None:
    everything = _open_issues_by_hand(demo_store)
    assert len(everything) > 20
    category = everything["category"].mode().iloc[0]
    chosen = _open_issues_by_hand(demo_store, category)
    for filters, expected in (({}, everything), ({"categories": [category]}, chosen)):
        pins = issuemap.open_issue_pins(demo_store, COMMUNITY, today=AS_OF, lang=lang, **filters)
        assert sorted(pins["issue_id"]) == sorted(expected["issue_id"])
        built = issues.community_buildings(demo_store, COMMUNITY).assign(open=0, overdue=0)
        comps = issues.community_compounds(demo_store, COMMUNITY)
        labels = issue_ui.issue_map_labels(lang)
        fmap = issuemap.issue_map(
            built.assign(label=built["name"]),
            comps.assign(label=comps["name"]),
            pins=pins,
            labels=labels,
        )
        drawn = _properties(_geojson(fmap, labels.pins_layer))
        assert len(drawn) == len(expected)
        first = expected.set_index("issue_id").loc[pins.iloc[0]["issue_id"]]
        reported = dt.date.fromisoformat(first["reported_at"][:10])
        assert drawn[0]["days"] == (AS_OF - reported).days
        assert drawn[0]["category"] == html.escape(label(IssueCategory(first["category"]), lang))
        legend = _legend(fmap)
        assert html.escape(labels.legend_pins) in legend
        for status in set(pins["status"]):
            assert issuemap.PIN_COLORS[status] in legend
            assert html.escape(label(IssueStatus(status), lang)) in legend
        assert layers.remote_resources(_html(fmap)) == []


def test_pin_tooltips_are_escaped(demo_store: Store) -> None:
    pins = issuemap.open_issue_pins(demo_store, COMMUNITY, today=AS_OF, lang="zh")
    pins.loc[pins.index[0], "category_text"] = XSS
    layer = issuemap.pin_layer(pins, name=XSS, category=XSS, status="s", days="d")
    built = issues.community_buildings(demo_store, COMMUNITY).assign(open=0, overdue=0)
    fmap = issuemap.issue_map(built.assign(label=built["name"]), built.iloc[:0].assign(label=""))
    layer.add_to(fmap)
    page = _html(fmap)
    assert "<img" not in page and "\\u003cimg" not in page
    assert _escaped_in(page, XSS)


# -- the page under AppTest ----------------------------------------------------------------
def _open(user: str, *, community: str | None = COMMUNITY, lang: str = "zh") -> AppTest:
    return open_page("issues", lang=lang, user=user, community=community, timeout=TIMEOUT)


def _inside(geometry: shapely.Geometry) -> tuple[float, float]:
    point = geometry.representative_point()
    return point.x, point.y


def _busiest_building(store: Store) -> pd.Series:
    """The community's building with the most open issues (at least one)."""
    counts = issues.building_issue_counts(store, COMMUNITY, today=AS_OF)
    best = counts.sort_values(["open", "total"], ascending=False).iloc[0]
    assert best["open"] > 0
    built = issues.community_buildings(store, COMMUNITY).set_index("building_id")
    return built.loc[best["building_id"]]


def _dataframes(at: AppTest) -> list[pd.DataFrame]:
    return [d.value for d in at.dataframe]


def _history(at: AppTest) -> list[tuple[str, str]]:
    """The chosen issue's history as the panel lists it: each step's line (time, who, step,
    state, move between levels) and its note, escapes undone."""
    (text,) = [m.value for m in at.markdown if re.match(r"- \*\*\d{4}\\-", m.value)]
    steps = [item.partition("  \n  ") for item in text.replace("\\", "").split("\n- ")]
    return [(head, note) for head, _, note in steps]


def _issue_list(at: AppTest) -> pd.DataFrame:
    (frame,) = [d for d in _dataframes(at) if t("issues.col.title") in d.columns]
    return frame


def _open_building(at: AppTest, building: pd.Series) -> AppTest:
    return click_map(at, *_inside(building.geometry))


def _markdown(at: AppTest) -> str:
    return "\n".join(m.value for m in at.markdown)


def test_a_click_on_a_building_opens_its_panel(app_db: Store) -> None:
    at = _open(STAFF)
    ok(at)
    assert t("issues.panel.hint") in [i.value for i in at.info]
    building = _busiest_building(app_db)
    _open_building(at, building)
    ok(at)
    profile = issue_reads.building_profile(app_db, building.name, user=get_user(app_db, STAFF))
    title = t(
        "issues.panel.building_title", compound=profile["compound_name"], building=building["name"]
    )
    assert title in [s.value for s in at.subheader]
    metrics = {m.label: m.value for m in at.metric}
    assert metrics[t("issues.panel.open_issues")] == str(profile["open_issues"])
    assert metrics[t("issues.panel.households")] == f"{profile['households']:,}"
    expected = issue_reads.building_issues(
        app_db, building.name, user=get_user(app_db, STAFF), today=AS_OF
    )
    shown = _issue_list(at)
    assert shown[t("issues.col.issue_id")].tolist() == expected["issue_id"].tolist()
    status = shown[t("issues.col.status")]
    assert status.iloc[0] != label(IssueStatus.CLOSED)  # open ones first
    overdue = shown[t("issues.col.overdue")] == "⚠"
    assert overdue.tolist() == expected["overdue"].tolist()
    first = int(expected["issue_id"].iloc[0])
    assert at.session_state[issue_ui.ISSUE] == first
    timeline = issue_reads.issue_timeline(app_db, first, user=get_user(app_db, STAFF))
    steps = _history(at)
    actors = timeline["actor"]
    assert all(f" · {a} · " in head for (head, _), a in zip(steps, actors, strict=True))
    assert profile["building_head"] in _markdown(at)  # own community's staff: unmasked
    # the map is asked for clicks only, and outlines the chosen building in place
    (component,) = at.get("component_instance")
    args = json.loads(component.proto.json_args)
    assert args["returned_objects"] == ["last_object_clicked"]
    assert args["feature_group"] and "feature_group_0" in args["feature_group"]


def test_the_issue_picker_reads_in_the_language_switched_to(app_db: Store) -> None:
    """The browser keeps a select box's choice as the label it was drawn with: after a switch
    to English the chosen issue is sent again with its English label (status included)."""
    at = _open(STAFF)
    _open_building(at, _busiest_building(app_db))
    picker = at.selectbox(key=issue_ui.ISSUE)
    chosen = picker.options[1]
    picker.select_index(1).run()
    at.sidebar.radio[0].set_value("en").run()
    ok(at)
    picker = at.selectbox(key=issue_ui.ISSUE)
    assert picker.index == 1  # the same issue stays chosen
    english = picker.options[1]
    assert english != chosen
    assert picker.proto.set_value and picker.proto.raw_value == english


def test_a_click_between_buildings_shows_the_compound(app_db: Store) -> None:
    at = _open(STAFF)
    comps = issues.community_compounds(app_db, COMMUNITY)
    built = issues.community_buildings(app_db, COMMUNITY)
    compound = comps.iloc[0]
    ground = compound.geometry.difference(shapely.buffer(shapely.union_all(built.geometry), 3e-5))
    click_map(at, *_inside(ground))
    ok(at)
    summary = issue_reads.compound_summary(app_db, compound["compound_id"], today=AS_OF)
    assert t("issues.panel.compound_title", name=summary["name"]) in [s.value for s in at.subheader]
    metrics = {m.label: m.value for m in at.metric}
    assert metrics[t("issues.panel.buildings")] == str(summary["buildings"])
    assert not at.get("form")


def test_a_click_outside_everything_keeps_the_panel(app_db: Store) -> None:
    at = _open(STAFF)
    building = _busiest_building(app_db)
    _open_building(at, building)
    click_map(at, 100.0, 20.0)
    ok(at)
    assert at.session_state[issue_ui.TARGET] == ("building", building.name)


def test_a_building_can_be_found_by_name_and_number(app_db: Store) -> None:
    at = _open(STAFF)
    building = _busiest_building(app_db)
    compound = app_db.read("compound", where={"compound_id": building["compound_id"]}).iloc[0]
    at.text_input(key=issue_ui.SEARCH).input(f"{compound['name']} {building['number']}").run()
    ok(at)
    results = at.selectbox(key=issue_ui.SEARCH_PICK)
    assert results.options == [f"{compound['name']} {building['name']}"]
    results.select(building.name).run()
    ok(at)
    assert at.session_state[issue_ui.TARGET] == ("building", building.name)
    title = t("issues.panel.building_title", compound=compound["name"], building=building["name"])
    assert title in [s.value for s in at.subheader]
    at.text_input(key=issue_ui.SEARCH).input("没有这个小区").run()
    assert t("issues.panel.search_none", text="没有这个小区") in [c.value for c in at.caption]


def _form_field(action: str, name: str) -> str:
    return f"mapgov.issues.form.{action}.{name}"


def _log_through_form(
    at: AppTest, title: str, description: str = "", *, lang: str = "zh"
) -> AppTest:
    report = EventAction.REPORT.value
    at.selectbox(key=_form_field(report, "category")).select(IssueCategory.LIGHTING.value)
    at.selectbox(key=_form_field(report, "source")).select(IssueSource.WISH_WALL.value)
    at.text_input(key=_form_field(report, "title")).input(title)
    at.text_area(key=_form_field(report, "description")).input(description)
    at.text_input(key=_form_field(report, "reporter_name")).input("张三丰")
    at.text_input(key=_form_field(report, "reporter_phone")).input("13812345678")
    (submit,) = [b for b in at.button if b.label == t("issues.form.submit_log", lang)]
    return submit.click().run()


def test_staff_log_an_issue_and_see_it_in_the_list(app_db: Store) -> None:
    at = _open(STAFF)
    building = _busiest_building(app_db)
    _open_building(at, building)
    before = app_db.counts()
    _log_through_form(at, "3单元楼道灯不亮", "晚上楼道一片黑")
    ok(at)
    after = app_db.counts()
    assert after["issue"] == before["issue"] + 1
    assert after["issue_event"] == before["issue_event"] + 1
    new_id = int(app_db.query("SELECT max(issue_id) AS i FROM issue")["i"].iloc[0])
    assert [s.value for s in at.success] == [t("issues.logged", issue_id=new_id)]
    shown = _issue_list(at)
    assert shown[t("issues.col.issue_id")].iloc[0] == new_id  # open and newest: first
    assert shown[t("issues.col.title")].iloc[0] == "3单元楼道灯不亮"
    assert at.session_state[issue_ui.ISSUE] == new_id
    assert "张三丰 13812345678" in _markdown(at)  # the staff of the community see it
    stored = app_db.read("issue", where={"issue_id": new_id}).iloc[0]
    assert (stored["building_id"], stored["category"], stored["source"]) == (
        building.name,
        "lighting",
        "wish_wall",
    )
    assert at.text_input(key=_form_field("report", "title")).value == ""  # form emptied
    assert [tab.label for tab in at.tabs] == [label(EventAction.ASSIGN)]


def test_an_issue_worked_to_the_end_shows_its_whole_timeline(app_db: Store) -> None:
    at = _open(STAFF, lang="en")
    building = _busiest_building(app_db)
    _open_building(at, building)
    _log_through_form(at, "Broken stair light", lang="en")
    issue_id = at.session_state[issue_ui.ISSUE]

    def submit(action: EventAction, **fields: str) -> None:
        for name, value in fields.items():
            widget = at.get("text_area") + at.get("text_input")
            (box,) = [w for w in widget if w.key == _form_field(action.value, name)]
            box.input(value)
        (button,) = [b for b in at.button if b.label == label(action, "en")]
        button.click().run()
        ok(at)
        assert at.success[0].value == t(
            "issues.saved", "en", issue_id=issue_id, action=label(action, "en")
        )

    submit(EventAction.ASSIGN, responsible_unit="Property company", note="today")
    submit(EventAction.START)
    submit(EventAction.RESOLVE, note="Lamp replaced")
    at.radio(key=_form_field("callback", "rating")).set_value("satisfied")
    submit(EventAction.CALLBACK, note="Resident happy")
    submit(EventAction.CLOSE)
    events = issue_reads.issue_timeline(app_db, issue_id)
    assert events["action"].tolist() == [
        "report",
        "assign",
        "start",
        "resolve",
        "callback",
        "close",
    ]
    steps = [head for head, _ in _history(at)]
    assert len(steps) == len(events)
    for head, action, status in zip(steps, events["action"], events["to_status"], strict=True):
        step = f"{label(EventAction(action), 'en')} → {label(IssueStatus(status), 'en')}"
        assert f" · {step}" in head, (head, step)
    assert [note for _, note in _history(at)][3] == "Lamp replaced"  # the note under its step
    assert not at.tabs  # closed: nothing more to do


def test_a_refused_action_says_why_and_changes_nothing(app_db: Store) -> None:
    at = _open(STAFF)
    building = _busiest_building(app_db)
    _open_building(at, building)
    _log_through_form(at, "电梯异响")
    issue_id = at.session_state[issue_ui.ISSUE]
    # an empty responsible unit: refused by the domain, typed text kept
    at.text_area(key=_form_field("assign", "note")).input("请尽快处理")
    (assign,) = [b for b in at.button if b.label == label(EventAction.ASSIGN)]
    before = app_db.query("SELECT * FROM issue_event").shape[0], app_db.identity()
    assign.click().run()
    assert not at.exception
    (error,) = at.error
    assert error.value.startswith(t("issues.refused", message="")[:3])
    assert t("issue_field.responsible_unit") in error.value
    assert (app_db.query("SELECT * FROM issue_event").shape[0], app_db.identity()) == before
    assert at.text_area(key=_form_field("assign", "note")).value == "请尽快处理"
    assert app_db.read("issue", where={"issue_id": issue_id}).iloc[0]["status"] == "reported"


def _assigned_issue(store: Store, staff: User, building: pd.Series) -> int:
    """A leaking pipe in `building`, logged and assigned to the property company (version 2)."""
    issue_id = workflow.log_issue(
        store, staff, building_id=building.name, category="water_pipes", source="walk_in",
        title="水管漏水",
    )  # fmt: skip
    deadline = AS_OF + dt.timedelta(days=3)
    workflow.assign(store, staff, issue_id, version=1, level="compound", responsible_unit="物业",
                  deadline=deadline)  # fmt: skip
    return issue_id


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_an_empty_resolution_names_the_field_on_the_form(app_db: Store, lang: str) -> None:
    """办结 with nothing typed asks for the field the form shows (办结情况), not a generic
    "说明" the form does not have; nothing is saved."""
    staff = get_user(app_db, STAFF)
    building = _busiest_building(app_db)
    issue_id = _assigned_issue(app_db, staff, building)
    workflow.start(app_db, staff, issue_id, version=2)
    at = _open(STAFF, lang=lang)
    _open_building(at, building)
    assert at.session_state[issue_ui.ISSUE] == issue_id
    saved = app_db.read("issue", where={"issue_id": issue_id}).iloc[0].to_dict()
    (resolve,) = [b for b in at.button if b.label == label(EventAction.RESOLVE, lang)]
    resolve.click().run()
    assert not at.exception
    shown = t("issues.form.resolve_note", lang)  # the label of the form's text box
    assert shown in ("办结情况", "How it was solved")
    required = t("error.issue.required", lang, field=shown if lang == "zh" else shown.lower())
    assert [e.value for e in at.error] == [t("issues.refused", lang, message=required)]
    assert app_db.read("issue", where={"issue_id": issue_id}).iloc[0].to_dict() == saved


def test_a_concurrent_edit_is_refused(app_db: Store) -> None:
    """Two tabs: this one drew the forms of an assigned issue; another escalated it first."""
    staff, other = get_user(app_db, STAFF), get_user(app_db, "S001-C1-staff2")
    building = _busiest_building(app_db)
    issue_id = _assigned_issue(app_db, staff, building)
    at = _open(STAFF)
    _open_building(at, building)
    assert at.session_state[issue_ui.ISSUE] == issue_id
    workflow.escalate(app_db, other, issue_id, version=2, reason="物业无法处理")  # the other tab
    saved = app_db.read("issue", where={"issue_id": issue_id}).iloc[0].to_dict()
    events = len(issue_reads.issue_timeline(app_db, issue_id))
    at.text_area(key=_form_field("start", "note")).input("已联系维修")
    (start,) = [b for b in at.button if b.label == label(EventAction.START)]
    start.click().run()
    assert not at.exception
    (error,) = at.error
    assert error.value == t("issues.refused", message=t("error.issue.stale", issue_id=issue_id))
    assert app_db.read("issue", where={"issue_id": issue_id}).iloc[0].to_dict() == saved
    assert len(issue_reads.issue_timeline(app_db, issue_id)) == events
    assert at.text_area(key=_form_field("start", "note")).value == "已联系维修"  # kept
    assert saved["level"] == "grid"
    level_shown = _markdown(at)
    # the new state, with the colon Chinese writes (full-width)
    assert f"**{t('issues.col.level')}**：{label(Level.GRID)}" in level_shown


@pytest.mark.parametrize("user", [LEADER, OTHER_STAFF])
def test_readers_see_no_forms_and_masked_residents(app_db: Store, user: str) -> None:
    staff = get_user(app_db, STAFF)
    building = _busiest_building(app_db)
    workflow.log_issue(
        app_db,
        staff,
        building_id=building.name,
        category="parking",
        source="walk_in",
        title="车位被占 13912345678",
        description="请回电 0379-63215678，找张三丰",
        reporter_name="张三丰",
        reporter_phone="13812345678",
    )
    at = _open(user)
    _open_building(at, building)
    ok(at)
    assert not at.get("form")
    assert not at.tabs
    reader = get_user(app_db, user)
    role = label(reader.role)
    assert t("issues.read_only", name=reader.name, role=role) in [c.value for c in at.caption]
    text = _markdown(at)
    assert "张\\*\\* 138\\*\\*\\*\\*5678" in text
    assert "13812345678" not in text
    assert "张三丰" not in text.replace("找张三丰", "")  # the words of a description stay
    # a phone number written into the title or the description is masked as well
    shown = text + "".join(str(d.value) for d in at.dataframe)
    assert "13912345678" not in shown and "63215678" not in shown
    assert "139\\*\\*\\*\\*\\*\\*5678" in text or "139****5678" in shown


def test_admins_may_work_every_community(app_db: Store) -> None:
    at = _open(ADMIN, community="S001-C2")
    built = issues.community_buildings(app_db, "S001-C2")
    click_map(at, *_inside(built.geometry.iloc[0]))
    ok(at)
    assert at.get("form")  # at least the "log a new issue" form


def test_user_text_is_shown_as_text_in_the_panel(app_db: Store) -> None:
    at = _open(STAFF)
    building = _busiest_building(app_db)
    _open_building(at, building)
    _log_through_form(at, XSS, XSS)
    ok(at)
    assert _issue_list(at)[t("issues.col.title")].iloc[0] == XSS  # a dataframe cell: text
    text = _markdown(at)
    assert "\\<img src=x onerror=alert\\(1\\)\\>" in text  # Markdown-escaped
    assert not re.search(r"(?<!\\)<img", text)
    for element in at.markdown:
        assert not element.proto.allow_html
    own = (PATH, streamlit_words_css("zh"))  # the cookie's script, the sheet of Streamlit's words
    assert [h for h in at.get("html") if not any(o in h.proto.body for o in own)] == []


def test_the_signed_in_account_works_and_the_url_cannot_choose_another(app_db: Store) -> None:
    """The sidebar names who signed in; ``?user=`` and ``?role=`` change nothing."""
    leader = get_user(app_db, LEADER)
    for query in ({}, {"user": "S001-admin", "role": "admin"}):
        at = open_page("issues", user=LEADER, community=COMMUNITY, query=query, timeout=TIMEOUT)
        ok(at)
        assert "当前使用人" not in [s.label for s in at.sidebar.selectbox]  # the old picker
        assert any(leader.name in m.value for m in at.sidebar.markdown)
        building = _busiest_building(app_db)
        _open_building(at, building)
        assert not at.get("form")  # a leader reads; the admin named in the URL is ignored


def test_the_sidebar_names_the_one_community_the_page_shows(app_db: Store) -> None:
    """Issue 18: the sidebar said 全部社区 while the page showed 七一路社区. On the issue map
    the shell's picker offers no "all communities" and names the community on screen (the
    staff member's own, else the first), in the URL; that automatic choice does not narrow
    the wall screen afterwards, a pick in the sidebar does."""
    first = app_db.read("community").sort_values("community_id").iloc[0]["community_id"]
    widget = "mapgov.widget.community"
    for login, expected in ((OTHER_STAFF, "S001-C2"), (LEADER, first)):
        at = _open(login, community=None)
        ok(at)
        picker = at.sidebar.selectbox(key=widget)
        assert t("sidebar.all_communities") not in picker.options
        assert picker.value == expected
        assert at.query_params["community"] == expected
        at.switch_page("app_pages/wall.py").run()  # the URL still says `expected`
        ok(at)
        assert at.sidebar.selectbox(key=widget).value == ""  # the whole street, as before
        assert "community" not in at.query_params
    at = _open(LEADER, community=None)
    at.sidebar.selectbox(key=widget).set_value("S001-C3").run()
    ok(at)
    assert at.query_params["community"] == "S001-C3"
    assert at.sidebar.selectbox(key=widget).value == "S001-C3"
    at.switch_page("app_pages/wall.py").run()
    ok(at)
    assert at.sidebar.selectbox(key=widget).value == "S001-C3"  # chosen by the user: kept
    assert at.query_params["community"] == "S001-C3"


def test_filters_and_colouring_reach_the_map(app_db: Store) -> None:
    at = _open(STAFF, lang="en")

    def script() -> str:
        (component,) = at.get("component_instance")
        return json.loads(component.proto.json_args)["script"]

    assert "Open issues per building" in script()
    at.sidebar.radio(key="mapgov.issues.filter.colour_by").set_value("overdue_share").run()
    ok(at)
    assert "Share of open issues overdue" in script()
    at.sidebar.toggle(key="mapgov.issues.filter.heat").set_value(True).run()
    ok(at)
    assert "Issue heat" in script()
    at.sidebar.multiselect(key="mapgov.issues.filter.statuses").select("closed").run()
    ok(at)
    assert '"open": 1' not in script() and '"open": 2' not in script()  # closed only: 0 open
    at.sidebar.multiselect(key="mapgov.issues.filter.levels").select(Level.STREET.value).run()
    at.sidebar.date_input(key="mapgov.issues.filter.dates").set_value(
        (np.datetime64("2026-01-01").item(), np.datetime64("2026-03-31").item())
    ).run()
    ok(at)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_filters_offer_no_english_select_all(app_db: Store, lang: str) -> None:
    """The sidebar's lists once offered Streamlit's "Select all" / "Select 3 matches", in
    English on the Chinese page: a filter with nothing chosen shows everything already, so
    no list offers it, in either language (0: never shown)."""
    at = _open(LEADER, lang=lang)
    ok(at)
    lists = at.sidebar.multiselect
    assert {m.key for m in lists} >= {f"mapgov.issues.filter.{n}" for n in ("statuses", "levels")}
    assert [m.proto.select_all for m in lists] == [0] * len(lists)


def test_the_ledger_button_counts_the_issues_of_the_filters(app_db: Store) -> None:
    """Below the map: the community's ledger as Excel, its size following the filters."""

    def button_label() -> str:
        (button,) = [
            b for b in at.get("download_button") if b.proto.id.endswith("mapgov.issues.ledger")
        ]
        return button.proto.label

    at = _open(STAFF, lang="en")
    everything = len(issues.community_issues(app_db, COMMUNITY))
    assert button_label() == t("issues.ledger.download", "en", n=f"{everything:,}")
    at.sidebar.multiselect(key="mapgov.issues.filter.statuses").select("closed").run()
    ok(at)
    closed = len(issues.community_issues(app_db, COMMUNITY, statuses=["closed"]))
    assert 0 < closed < everything
    assert button_label() == t("issues.ledger.download", "en", n=f"{closed:,}")


@pytest.mark.parametrize(
    ("lang", "shown"),
    [
        ("zh", "基本满意：电话回访，楼道灯已修好"),
        ("en", "Basically satisfied: 电话回访，楼道灯已修好"),
    ],
)
def test_a_callback_note_shows_its_rating_in_words(app_db: Store, lang: str, shown: str) -> None:
    """Issue 18: a callback note read "satisfied: 电话回访…". The rating is kept as a code in
    the event's note; the issue's timeline on the page says it in the reader's words."""
    staff = get_user(app_db, STAFF)
    resolved = issues.community_issues(app_db, COMMUNITY, statuses=["resolved"])
    issue = app_db.read("issue", where={"issue_id": list(resolved["issue_id"])}).iloc[0]
    issue_id = int(issue["issue_id"])
    workflow.callback(
        app_db, staff, issue_id, version=int(issue["version"]),
        rating="basically_satisfied", note="电话回访，楼道灯已修好",
    )  # fmt: skip
    at = _open(STAFF, lang=lang)
    built = issues.community_buildings(app_db, COMMUNITY).set_index("building_id")
    _open_building(at, built.loc[issue["building_id"]])
    at.selectbox(key=issue_ui.ISSUE).set_value(issue_id).run()
    ok(at)
    notes = [note for _, note in _history(at)]
    assert notes[-1] == shown
    codes = tuple(r.value for r in CallbackRating)
    assert not [n for n in notes if n.startswith(codes)], notes


def test_the_same_building_opens_again_after_a_change_of_community(app_db: Store) -> None:
    """Issue 18: "clicking the same building again does nothing". A building clicked, the
    community changed and changed back: the same click on the same spot opens it again."""
    at = _open(LEADER, community=COMMUNITY)
    building = _busiest_building(app_db)
    chosen = (issue_ui.BUILDING, building.name)
    _open_building(at, building)
    ok(at)
    assert at.session_state[issue_ui.TARGET] == chosen
    widget = "mapgov.widget.community"
    at.sidebar.selectbox(key=widget).set_value("S001-C2").run()
    ok(at)
    assert issue_ui.TARGET not in at.session_state
    at.sidebar.selectbox(key=widget).set_value(COMMUNITY).run()
    ok(at)
    assert issue_ui.TARGET not in at.session_state
    _open_building(at, building)  # the very same point as before
    ok(at)
    assert at.session_state[issue_ui.TARGET] == chosen
    assert any(building["name"] in s.value for s in at.subheader)
