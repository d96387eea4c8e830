"""The wall map's poster: the deck's flat layers as a picture, placed as deck.gl places them.

The projection is checked against what deck.gl's Web Mercator camera must do (512 world
pixels across the world at zoom 0, the centre in the middle, foreshortening when tilted,
east up at bearing 90); the picture against decks built by :func:`mapgov.views.deck.wall_deck`.
"""

from __future__ import annotations

import base64
import json
import math
import re

import numpy as np
import pytest

from mapgov.views import deck_poster as poster

VIEW = {"longitude": 112.43, "latitude": 34.67, "zoom": 15.0, "pitch": 0.0, "bearing": 0.0}
H = 770


def _east(dlon: float, view: dict = VIEW) -> tuple[float, float]:
    x, y, _ = poster.project(view, H, [view["longitude"] + dlon], [view["latitude"]])
    return float(x[0]), float(y[0])


def _north(dlat: float, view: dict) -> tuple[float, float]:
    x, y, _ = poster.project(view, H, [view["longitude"]], [view["latitude"] + dlat])
    return float(x[0]), float(y[0])


def test_the_centre_is_in_the_middle_and_the_scale_is_web_mercators() -> None:
    assert _east(0.0) == pytest.approx((0.0, H / 2))
    # looking straight down, a degree of longitude spans 512 · 2^zoom / 360 pixels
    x, y = _east(0.001)
    assert x == pytest.approx(0.001 * 512 * 2**15 / 360, rel=1e-9)
    assert y == pytest.approx(H / 2)
    # and the scale does not depend on the map's height (only the centre line moves)
    x2, y2, _ = poster.project(VIEW, 500, [VIEW["longitude"] + 0.001], [VIEW["latitude"]])
    assert float(x2[0]) == pytest.approx(x) and float(y2[0]) == pytest.approx(250)


def test_a_tilted_camera_foreshortens_the_far_side() -> None:
    tilted = VIEW | {"pitch": 40.0}
    _, y_far = _north(0.003, tilted)
    _, y_near = _north(-0.003, tilted)
    assert y_far < H / 2 < y_near  # north is up, the south nearer the bottom
    assert H / 2 - y_far < y_near - H / 2  # the far side shrinks into the distance
    _, flat_far = _north(0.003, VIEW)
    assert H / 2 - y_far < H / 2 - flat_far


def test_at_bearing_90_east_is_up() -> None:
    x, y = _east(0.001, VIEW | {"bearing": 90.0})
    assert x == pytest.approx(0.0, abs=1e-6) and y < H / 2


def test_points_behind_the_camera_have_no_positive_w() -> None:
    steep = VIEW | {"pitch": 85.0, "zoom": 18.0}
    lon = [VIEW["longitude"]] * 2
    _, _, w = poster.project(steep, H, lon, [VIEW["latitude"] + 0.01, VIEW["latitude"] - 0.01])
    assert float(w[0]) > 0 >= float(w[1])  # it looks north: the far south is behind it


def _layer(layer_id: str, rows: list[dict], **props: object) -> dict:
    return {"@@type": "PolygonLayer", "id": layer_id, "data": rows, "getFillColor": "@@=c"} | props


def _square(lon: float, lat: float, d: float = 0.001) -> list[list[float]]:
    return [[lon - d, lat - d], [lon + d, lat - d], [lon + d, lat + d], [lon - d, lat + d]]


def _spec(*layers: dict) -> dict:
    return {"initialViewState": VIEW | {"pitch": 40.0}, "layers": list(layers)}


def test_the_poster_draws_flat_layers_with_their_colours_and_nothing_else() -> None:
    lon, lat = VIEW["longitude"], VIEW["latitude"]
    spec = _spec(
        _layer("flat", [{"p": _square(lon, lat), "c": [239, 68, 68, 190], "n": "<b>x</b>"}]),
        _layer("faded", [{"p": _square(lon, lat + 0.002), "c": [1, 2, 3]}], opacity=0.5),
        _layer("solid", [{"p": _square(lon, lat), "h": 30}], extruded=True, getFillColor=[1, 9, 9]),
        {"@@type": "TextLayer", "id": "t", "data": [{"p": [lon, lat], "t": "王城社区"}]},
        _layer("far", [{"p": _square(lon + 1.0, lat), "c": [9, 9, 9, 255]}]),
    )
    svg = poster.poster_svg(spec, width_px=1190, height_px=H)
    assert svg.startswith("<svg") and 'viewBox="-595 0 1190 770"' in svg
    # colour and alpha × layer opacity, as deck.gl blends them
    assert '<g fill="#ef4444" fill-opacity="0.745">' in svg
    assert '<g fill="#010203" fill-opacity="0.5">' in svg
    assert "#010909" not in svg  # the extruded buildings come with WebGL
    assert "#090909" not in svg  # out of view: left out
    # no text: names (typed by users) never reach the picture
    assert "王城" not in svg and "<b>" not in svg and "<text" not in svg and "script" not in svg
    assert svg.count("<path") == 2


def test_the_poster_places_a_square_where_the_camera_sees_it() -> None:
    lon, lat = VIEW["longitude"], VIEW["latitude"]
    spec = _spec(_layer("flat", [{"p": _square(lon, lat), "c": [0, 0, 0, 255]}]))
    svg = poster.poster_svg(spec, width_px=1190, height_px=H)
    numbers = [float(v) for v in re.search(r'd="M([^"]+)Z"', svg).group(1).split()]
    xs, ys = np.array(numbers[0::2]), np.array(numbers[1::2])
    x, y, _ = poster.project(spec["initialViewState"], H, *np.array(_square(lon, lat)).T)
    assert np.allclose(xs, x, atol=0.06) and np.allclose(ys, y, atol=0.06)
    # a trapezium: the far (north) edge narrower than the near one
    assert xs[2] - xs[3] < xs[1] - xs[0]


def test_holes_stay_holes() -> None:
    lon, lat = VIEW["longitude"], VIEW["latitude"]
    ring = [_square(lon, lat, 0.002), _square(lon, lat, 0.001)]
    svg = poster.poster_svg(_spec(_layer("f", [{"p": ring, "c": [0, 0, 0]}])), width_px=800,
                            height_px=H)  # fmt: skip
    assert 'fill-rule="evenodd"' in svg
    (d,) = re.findall(r'd="([^"]+)"', svg)
    assert d.count("M") == 2


def test_nothing_to_draw_gives_an_empty_holder_and_no_script() -> None:
    assert poster.poster_svg({"layers": []}, width_px=800, height_px=H) == ""
    html = poster.poster_html(json.dumps(_spec()), width_px=800, height_px=H, stack=".s")
    assert html == f'<div class="{poster.POSTER} {poster.GONE}"></div>'


def test_the_poster_html_is_the_svg_as_an_image_and_the_script_that_removes_it() -> None:
    lon, lat = VIEW["longitude"], VIEW["latitude"]
    text = json.dumps(_spec(_layer("f", [{"p": _square(lon, lat), "c": [0, 0, 0]}])))
    html = poster.poster_html(text, width_px=800, height_px=H, stack=".st-key-wall-map-stack")
    uri = re.search(r'src="data:image/svg\+xml;base64,([^"]+)"', html)
    assert uri is not None
    svg = base64.b64decode(uri.group(1)).decode("utf-8")
    assert svg == poster.poster_svg(text, width_px=800, height_px=H)
    script = html[html.index("<script>") :]
    assert ".st-key-wall-map-stack" in script and poster.GONE in script
    assert "fenceSync" in script and "mgDeckDrawn" in script
    assert "%(" not in script  # every placeholder filled


def test_the_wall_decks_poster_covers_its_flat_layers() -> None:
    import geopandas as gpd
    import pandas as pd
    import shapely

    from mapgov.views import deck as deckmaps

    box = shapely.box
    empty = gpd.GeoDataFrame(geometry=[], crs="EPSG:4326")
    data = deckmaps.WallMapData(
        communities=gpd.GeoDataFrame(
            {"community_id": ["C1"], "label": ["<script>x</script>"]},
            geometry=[box(112.40, 34.60, 112.42, 34.61)], crs="EPSG:4326",
        ),
        compounds=gpd.GeoDataFrame(
            {"compound_id": ["K1"], "label": ["甲"], "value": [3.0], "value_text": ["3"]},
            geometry=[box(112.401, 34.601, 112.409, 34.609)], crs="EPSG:4326",
        ),
        buildings=empty.assign(floors=pd.Series(dtype=float)),
        roads=empty.assign(kind=pd.Series(dtype=str)),
        landuse=empty.assign(kind=pd.Series(dtype=str)),
        facilities=empty.assign(kind=pd.Series(dtype=str), label=pd.Series(dtype=str),
                                glyph=pd.Series(dtype=str)),
        issues=pd.DataFrame({"lon": [], "lat": []}),
    )  # fmt: skip
    bounds = (112.40, 34.60, 112.42, 34.61)
    view = deckmaps.wall_view(bounds, width_px=1190, height_px=H)
    deck = deckmaps.wall_deck(data, metric="open_per_100_households", view=view, bounds=bounds)
    spec = json.loads(deck.to_json())
    svg = poster.poster_svg(deck.to_json(), width_px=1190, height_px=H)
    flat = [layer for layer in spec["layers"] if layer["@@type"] == "PolygonLayer"]
    assert {layer["id"] for layer in flat} == {"wall-compounds", "wall-communities"}
    for layer in flat:
        colour = layer["data"][0]["c"]
        assert f'fill="#{colour[0]:02x}{colour[1]:02x}{colour[2]:02x}"' in svg
    assert "script" not in svg
    # the area in the middle of the picture, as the camera was fitted to it
    paths = " ".join(re.findall(r'd="([^"]+)"', svg)).replace("M", " ").replace("Z", " ")
    numbers = np.array([float(v) for v in paths.split()])
    xs, ys = numbers[0::2], numbers[1::2]
    assert xs.max() - xs.min() > 1000 and ys.max() - ys.min() > 400
    assert xs.min() > -700 and xs.max() < 700 and ys.min() > 0 and ys.max() < H
    assert math.isclose((xs.min() + xs.max()) / 2, 0, abs_tol=5)
