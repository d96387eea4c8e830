"""Offline web assets: Leaflet copied into static/, maps that load nothing from the internet."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path
from typing import Any

import folium
import geopandas as gpd
import pytest
import shapely
import streamlit_folium
from xstatic.pkg import leaflet

from mapgov.core.errors import ValidationError
from mapgov.io import assets
from mapgov.views import maps as layers

ROOT = Path(__file__).resolve().parents[2]
BOUNDS = (112.40, 34.60, 112.42, 34.61)


@pytest.fixture
def squares() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"name": ["王城社区", "金谷社区"], "households": [576, 232]},
        geometry=[
            shapely.box(112.40, 34.60, 112.41, 34.61),
            shapely.box(112.41, 34.60, 112.42, 34.61),
        ],
        crs="EPSG:4326",
    )


# -- install_assets ------------------------------------------------------------------------
def test_install_copies_leaflet_byte_for_byte(tmp_path: Path) -> None:
    static = tmp_path / "static"
    assert not assets.assets_installed(static)
    written = assets.install_assets(static)
    assert [p.relative_to(static / "leaflet").as_posix() for p in written] == list(
        assets.LEAFLET_FILES
    )
    for path in written:
        source = Path(leaflet.BASE_DIR) / path.relative_to(static / "leaflet")
        assert path.read_bytes() == source.read_bytes()
    assert (static / "leaflet" / "leaflet.js").stat().st_size > 100_000
    assert assets.assets_installed(static)
    assert list(static.rglob(".*.partial")) == []


def test_install_repairs_a_damaged_copy(tmp_path: Path) -> None:
    assets.install_assets(tmp_path)
    script = tmp_path / "leaflet" / "leaflet.js"
    script.write_text("broken")
    (tmp_path / "leaflet" / "images" / "marker-icon.png").unlink()
    assert not assets.assets_installed(tmp_path)
    assets.install_assets(tmp_path)
    assert assets.assets_installed(tmp_path)
    assert script.read_bytes() == (Path(leaflet.BASE_DIR) / "leaflet.js").read_bytes()


def test_leaflet_css_finds_its_images_beside_it() -> None:
    css = (assets.leaflet_source() / "leaflet.css").read_text()
    assert "url(images/layers.png)" in css
    assert "images/marker-icon.png" in assets.LEAFLET_FILES


def test_streamlit_serves_static_files_offline() -> None:
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text("utf-8"))
    assert config["server"]["enableStaticServing"] is True
    assert config["server"]["headless"] is True
    assert config["browser"]["gatherUsageStats"] is False
    assert config["theme"]["primaryColor"] == "#C8161D"
    assert assets.LEAFLET_URL == "/app/static/leaflet"


def test_streamlit_keeps_its_request_forgery_guards() -> None:
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text("utf-8"))
    assert config["server"]["enableXsrfProtection"] is True
    assert config["server"]["enableCORS"] is True


def test_streamlit_takes_every_upload_the_importers_take() -> None:
    # otherwise a 300 MB layer is refused by Streamlit's own English message, not by ours
    from mapgov.io.importers.read import MAX_BYTES

    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text("utf-8"))
    assert config["server"]["maxUploadSize"] * 2**20 >= MAX_BYTES


def test_static_folder_is_git_ignored() -> None:
    assert "static/" in (ROOT / ".gitignore").read_text().splitlines()


# -- folium --------------------------------------------------------------------------------
def _html(fmap: folium.Map) -> str:
    return fmap.get_root().render()


def _geojson_sent(html: str) -> dict[str, Any]:
    """The one GeoJSON object folium's script hands to its layer (``geo_json_<id>_add({...})``).

    Parsed rather than searched: the page holds random element ids, in which any digits may
    appear."""
    calls = re.findall(r"geo_json_[0-9a-f]+_add\((\{.*?\})\);", html, flags=re.DOTALL)
    assert len(calls) == 1, len(calls)
    return json.loads(calls[0])


def test_base_map_loads_only_the_local_leaflet(squares: gpd.GeoDataFrame) -> None:
    fmap = layers.base_map(bounds=BOUNDS)
    layers.outline_layer(squares, name="c", tooltip_fields=["name"]).add_to(fmap)
    html = _html(fmap)
    assert layers.remote_resources(html) == []
    assert "http://" not in html.split("</head>")[0]
    assert "https://" not in html.split("</head>")[0]
    js = html.index('<script src="/app/static/leaflet/leaflet.js">')
    assert '<link rel="stylesheet" href="/app/static/leaflet/leaflet.css"/>' in html
    assert js < html.index("L.map(")  # Leaflet comes before the map's own script
    for dropped in ("jquery", "bootstrap", "font-awesome", "fontawesome", "awesome-markers"):
        assert dropped not in html.lower()


def test_base_map_has_no_tiles_unless_asked() -> None:
    assert "L.tileLayer" not in _html(layers.base_map(center=(112.4, 34.6)))
    tiled = layers.base_map(
        center=(112.4, 34.6), tiles="https://t{s}.example/{z}/{x}/{y}.png", attribution="x"
    )
    assert "L.tileLayer" in _html(tiled)


def test_base_map_does_not_change_folium_defaults() -> None:
    layers.base_map(center=(112.4, 34.6))
    assert any("jquery" in url for _, url in folium.Map.default_js)
    assert "jquery" in _html(folium.Map(location=(34.6, 112.4)))


def test_base_map_fits_bounds_and_paints_a_background() -> None:
    html = _html(layers.base_map(bounds=BOUNDS, background="#ABCDEF"))
    assert "fitBounds" in html
    assert "[[34.6, 112.4], [34.61, 112.42]]" in html
    assert ".leaflet-container { background: #ABCDEF; }" in html


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({}, "either bounds or a center"),
        ({"bounds": (112.42, 34.6, 112.40, 34.61)}, "not .min_lon"),
        ({"bounds": (34.6, 112.4, 34.61, 112.42)}, "not .min_lon"),
        ({"bounds": (112.4, float("nan"), 112.42, 34.61)}, "four finite numbers"),
    ],
)
def test_base_map_refuses_bad_places(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(ValidationError, match=match):
        layers.base_map(**kwargs)


def test_outline_layer_sends_only_the_tooltip_columns(squares: gpd.GeoDataFrame) -> None:
    fmap = layers.base_map(bounds=BOUNDS)
    layers.outline_layer(
        squares, name="c", tooltip_fields=["name"], tooltip_aliases=["社区"]
    ).add_to(fmap)
    html = _html(fmap)
    assert json.dumps("王城社区")[1:-1] in html  # GeoJSON as JSON (non-ASCII escaped)
    assert json.dumps("社区")[1:-1] in html  # the alias
    sent = _geojson_sent(html)
    assert [f["properties"] for f in sent["features"]] == [
        {"name": "王城社区"},
        {"name": "金谷社区"},
    ]  # households were not asked for, so they never reach the browser


def test_outline_layer_checks_crs_and_columns(squares: gpd.GeoDataFrame) -> None:
    with pytest.raises(ValidationError, match="EPSG:4326"):
        layers.outline_layer(squares.to_crs(32649), name="c")
    with pytest.raises(ValidationError, match="no column"):
        layers.outline_layer(squares, name="c", tooltip_fields=["nope"])


def test_streamlit_folium_receives_only_local_links(
    monkeypatch: pytest.MonkeyPatch, squares: gpd.GeoDataFrame
) -> None:
    """What st_folium hands its iframe: Leaflet from /app/static first, nothing remote."""
    sent: dict[str, Any] = {}

    def fake_component(**kwargs: Any) -> None:
        sent.update(kwargs)

    monkeypatch.setattr(streamlit_folium, "_component_func", fake_component)
    fmap = layers.base_map(bounds=BOUNDS)
    layers.outline_layer(squares, name="c", tooltip_fields=["name"]).add_to(fmap)
    streamlit_folium.st_folium(fmap, key="k", returned_objects=[])
    assert sent["js_links"] == ["/app/static/leaflet/leaflet.js"]
    assert sent["css_links"] == ["/app/static/leaflet/leaflet.css"]
    assert layers.remote_resources(sent["header"]) == []
    assert "<script src" not in sent["script"]
    assert "L.map(" in sent["script"]


def test_zoom_for_bounds_known_answers() -> None:
    span = 360 / 2**10  # one 256-px tile at zoom 10
    zoom = layers.zoom_for_bounds((0, 0, span, 1e-6), width_px=256, height_px=256, padding=0)
    assert zoom == pytest.approx(10)
    world = (-180, -85.0511, 180, 85.0511)  # the square Web-Mercator world
    assert layers.zoom_for_bounds(world, width_px=256, height_px=256, padding=0) == pytest.approx(
        0, abs=1e-3
    )
    leaflet = layers.zoom_for_bounds(BOUNDS)
    assert layers.zoom_for_bounds(BOUNDS, tile_px=512) == pytest.approx(leaflet - 1)
    wider = layers.zoom_for_bounds((112.3, 34.5, 112.5, 34.7))
    assert wider < layers.zoom_for_bounds(BOUNDS)


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        (
            '<script src="https://cdn.jsdelivr.net/x.js"></script>',
            ["https://cdn.jsdelivr.net/x.js"],
        ),
        ("<link rel='stylesheet' href='//cdn.example/x.css'/>", ["//cdn.example/x.css"]),
        ('<img src="http://tile.example/1.png">', ["http://tile.example/1.png"]),
        ('<script src="/app/static/leaflet/leaflet.js"></script>', []),
        ('<a href="https://leafletjs.com">Leaflet</a>', []),
        ("<script>var u = 'https://x.example';</script>", []),
    ],
)
def test_remote_resources(html: str, expected: list[str]) -> None:
    assert layers.remote_resources(html) == expected


def test_base_map_scale_is_metric_and_credit_carries_no_flag() -> None:
    html = _html(layers.base_map(bounds=BOUNDS))
    assert html.count("L.control.scale(") == 1
    assert "imperial: false" in html
    prefix = re.search(r"attributionControl\.setPrefix\((\"[^\n]*\")\);", html)
    assert prefix is not None  # Leaflet's own prefix, with its flag, is replaced
    assert json.loads(prefix.group(1)) == layers.MapFurniture().prefix
    assert "<svg" not in json.loads(prefix.group(1))


def test_every_table_of_every_page_shows_a_missing_value_as_a_dash() -> None:
    """Streamlit writes the English word None in an empty cell: every page's table goes
    through ``ui.widgets.show_table``, which says how a missing value reads."""
    files = [ROOT / "app.py", *(ROOT / "app_pages").glob("*.py"), *(ROOT / "src").rglob("*.py")]
    direct = [
        f.relative_to(ROOT).as_posix()
        for f in files
        if "st.dataframe(" in f.read_text("utf-8") and f.name != "widgets.py"
    ]
    assert direct == []
