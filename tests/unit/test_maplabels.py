"""Map labels placed without collisions (issue 18, point 7): the greedy pass in screen space,
on the demo street's compound names at every zoom the maps take, and what reaches the map."""

from __future__ import annotations

import numpy as np
import shapely

from mapgov.domain import party
from mapgov.store import Store
from mapgov.views import maplabels
from mapgov.views import party as pm


def _meet(a: np.ndarray, b: np.ndarray) -> bool:
    return bool(a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3])


def _names(demo_store: Store) -> tuple[np.ndarray, np.ndarray, list[str], list[int]]:
    comps = party.load(demo_store, street_id="S001").compounds
    points = shapely.point_on_surface(comps.geometry.to_numpy())
    return (
        shapely.get_x(points),
        shapely.get_y(points),
        list(comps["name"]),
        [int(h) for h in comps["households"]],
    )


def test_kept_labels_never_overlap_and_the_largest_compound_is_always_named(
    demo_store: Store,
) -> None:
    lon, lat, names, households = _names(demo_store)
    largest = int(np.argmax(households))
    zooms = maplabels.label_zooms(lon, lat, names, households)
    assert set(zooms) == set(maplabels.ZOOM_STEPS)
    for zoom, kept in zooms.items():
        boxes = maplabels.label_boxes(lon, lat, names, zoom)
        assert largest in kept
        for i, a in enumerate(kept):
            for b in kept[i + 1 :]:
                assert not _meet(boxes[a], boxes[b]), (zoom, names[a], names[b])
        # a name left out collides with one kept that has at least as many households
        for dropped in set(range(len(names))) - set(kept):
            assert any(
                _meet(boxes[dropped], boxes[k]) and households[k] >= households[dropped]
                for k in kept
            )
    # zoomed out few names fit, zoomed in all of them
    assert len(zooms[10.0]) < len(names) // 4
    assert len(zooms[20.0]) == len(names)


def test_a_box_is_as_wide_as_its_text_and_wide_characters_count_double() -> None:
    narrow, wide = maplabels.label_boxes([112.4, 112.4], [34.6, 34.6], ["12", "十二"], 16)
    assert wide[2] - wide[0] > narrow[2] - narrow[0]
    assert maplabels.text_width("十二") == 2 * maplabels.FONT_PX


def test_the_party_map_carries_escaped_names_and_the_labels_kept_per_zoom(
    demo_store: Store,
) -> None:
    frames = party.load(demo_store, street_id="S001")
    comps = frames.compounds.copy()
    comps.loc[comps.index[0], "name"] = "<img src=x onerror=alert(1)>"
    page = pm.party_map(comps, frames.buildings).get_root().render()
    assert "<img src=x" not in page
    assert "\\u0026lt;img src=x" in page or "&lt;img src=x" in page
    assert maplabels.LABEL_CLASS in page and '"15.00": [' in page
