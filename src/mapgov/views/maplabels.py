"""Place names on a Leaflet map that never overlap, and a fit that leaves no corner empty.

Labels are placed in screen space ahead of time: for every zoom step the map can take
(:data:`ZOOM_STEPS`), each label's box (its text's width at :data:`FONT_PX`, measured
generously, centred on its point in Web Mercator pixels) is kept when it meets no box kept
before it, in order of priority (a compound's households): :func:`place_labels` is the greedy
pass, :func:`label_zooms` runs it per zoom. In the browser :class:`MapLabels` shows, at each
zoom, the labels kept for it. :class:`FitClear` fits the view to the places as tightly as
the legend in the bottom-right corner allows: with no room kept when the legend covers no
place there, else with room below or beside, whichever draws the places larger.
"""

from __future__ import annotations

import html
import math
import unicodedata
from collections.abc import Sequence
from typing import Final

import numpy as np
from branca.element import MacroElement
from folium.map import Layer
from jinja2 import Template

__all__ = [
    "FONT_PX",
    "LABEL_CLASS",
    "ZOOM_STEPS",
    "FitClear",
    "MapLabels",
    "label_boxes",
    "label_zooms",
    "place_labels",
    "text_width",
]

FONT_PX: Final = 12
LABEL_CLASS: Final = "mapgov-label"
"""CSS class of a label's text element (browser tests measure these)."""
ZOOM_STEPS: Final = tuple(z / 4 for z in range(10 * 4, 20 * 4 + 1))
"""Zoom levels a label set is computed for: 10 to 20 in quarters (the maps snap to 0.25)."""
_GAP_PX: Final = 4
_LINE_PX: Final = 16
_LABEL_HTML: Final = (
    '<div class="{cls}" style="position:absolute;transform:translate(-50%,-50%);'
    "white-space:nowrap;font:600 {px}px sans-serif;line-height:{line}px;color:#3B2F0B;"
    'text-shadow:0 0 3px #fff,0 0 3px #fff,0 0 3px #fff;pointer-events:none">{text}</div>'
)


def text_width(text: str, font_px: float = FONT_PX) -> float:
    """A generous width of `text` in pixels: a full em for wide (CJK) characters, 0.7 em for
    the rest.

    Examples
    --------
    >>> text_width("河洛小区"), round(text_width("3号楼"), 1)
    (48.0, 32.4)
    """
    wide = sum(unicodedata.east_asian_width(c) in "WF" for c in text)
    return font_px * (wide + 0.7 * (len(text) - wide))


def _mercator_px(lon: np.ndarray, lat: np.ndarray, zoom: float) -> tuple[np.ndarray, np.ndarray]:
    scale = 256 * 2**zoom
    phi = np.radians(np.clip(lat, -85.05, 85.05))
    x = (lon + 180) / 360 * scale
    y = (1 - np.log(np.tan(phi) + 1 / np.cos(phi)) / math.pi) / 2 * scale
    return x, y


def label_boxes(
    lon: Sequence[float], lat: Sequence[float], texts: Sequence[str], zoom: float
) -> np.ndarray:
    """Boxes (x0, y0, x1, y1) in screen pixels at `zoom` of labels centred on their points,
    grown by a small gap on every side."""
    x, y = _mercator_px(np.asarray(lon, float), np.asarray(lat, float), zoom)
    half_w = np.array([text_width(s) / 2 + _GAP_PX for s in texts])
    half_h = _LINE_PX / 2 + _GAP_PX / 2
    return np.column_stack([x - half_w, y - half_h, x + half_w, y + half_h])


def place_labels(boxes: np.ndarray, priority: Sequence[float]) -> list[int]:
    """Indices of the boxes kept, highest priority first: each kept box meets none kept
    before it (greedy; ties keep the earlier index).

    Examples
    --------
    >>> boxes = np.array([[0, 0, 10, 10], [5, 5, 15, 15], [20, 0, 30, 10]])
    >>> place_labels(boxes, [1, 2, 0])
    [1, 2]
    """
    order = sorted(range(len(boxes)), key=lambda i: -priority[i])
    if not order:
        return []
    # kept boxes are filed by the grid cells they touch (cells as large as the largest box):
    # a box is checked only against those sharing a cell with it
    size = float(max((boxes[:, 2] - boxes[:, 0]).max(), (boxes[:, 3] - boxes[:, 1]).max(), 1))
    cells: dict[tuple[int, int], list[int]] = {}
    kept: list[int] = []
    for i in order:
        x0, y0, x1, y1 = (float(v) for v in boxes[i])
        span = [
            (cx, cy)
            for cx in range(math.floor(x0 / size), math.floor(x1 / size) + 1)
            for cy in range(math.floor(y0 / size), math.floor(y1 / size) + 1)
        ]
        near = {k for cell in span for k in cells.get(cell, ())}
        if any(
            boxes[k, 0] < x1 and x0 < boxes[k, 2] and boxes[k, 1] < y1 and y0 < boxes[k, 3]
            for k in near
        ):
            continue
        kept.append(i)
        for cell in span:
            cells.setdefault(cell, []).append(i)
    return kept


def label_zooms(
    lon: Sequence[float],
    lat: Sequence[float],
    texts: Sequence[str],
    priority: Sequence[float],
    zooms: Sequence[float] = ZOOM_STEPS,
) -> dict[float, list[int]]:
    """The labels kept at each zoom of `zooms` (:func:`place_labels` on :func:`label_boxes`)."""
    return {z: place_labels(label_boxes(lon, lat, texts, z), priority) for z in zooms}


class MapLabels(Layer):
    """Text labels at points, shown at each zoom only as :func:`label_zooms` kept them.

    A layer of the map (named `name` in the layer control); the labels take no clicks.
    Only the labels' points, their escaped texts and the kept indices reach the browser.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = (function (map) {
            var points = {{ this.points|tojson }};
            var shown = {{ this.shown|tojson }};
            var group = L.layerGroup();
            var markers = points.map(function (p) {
                var icon = L.divIcon({html: p[2], className: "", iconSize: [0, 0]});
                return L.marker([p[0], p[1]], {icon: icon, interactive: false, keyboard: false})
                    .addTo(group);
            });
            function update() {
                if (!map.hasLayer(group)) { return; }
                var z = Math.min(Math.max(Math.round(map.getZoom() * 4) / 4, {{ this.low }}),
                                 {{ this.high }});
                var keep = {};
                (shown[z.toFixed(2)] || []).forEach(function (i) { keep[i] = true; });
                markers.forEach(function (m, i) {
                    var el = m.getElement();
                    if (el) { el.style.display = keep[i] ? "" : "none"; }
                });
            }
            group.on("add", update);
            map.on("zoomend", update);
            return group;
        })({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(
        self,
        lon: Sequence[float],
        lat: Sequence[float],
        texts: Sequence[str],
        priority: Sequence[float],
        *,
        name: str,
    ) -> None:
        super().__init__(name=name, overlay=True)
        self._name = "MapgovLabels"
        self.points = [
            (
                round(float(la), 7),
                round(float(lo), 7),
                _LABEL_HTML.format(
                    cls=LABEL_CLASS, px=FONT_PX, line=_LINE_PX, text=html.escape(str(s))
                ),
            )
            for lo, la, s in zip(lon, lat, texts, strict=True)
        ]
        zooms = label_zooms(lon, lat, [str(s) for s in texts], priority)
        self.shown = {f"{z:.2f}": v for z, v in zooms.items()}
        self.low, self.high = ZOOM_STEPS[0], ZOOM_STEPS[-1]


class FitClear(MacroElement):
    """Fit the view to `bounds` (min_lon, min_lat, max_lon, max_lat) without animation, as
    large as the legend (``.mapgov-legend``, bottom right) allows: the largest zoom, in
    quarters, at which the places, centred or else pushed left, up or both, leave the legend
    over none of `boxes` (each place's bounding box); never smaller than keeping the whole
    legend's height or width free. The map's element then carries ``data-mapgov-fitted``."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function (map) {
            var b = L.latLngBounds({{ this.bounds|tojson }});
            var boxes = {{ this.boxes|tojson }};
            var pad = {{ this.pad }};
            function fit() {
                var size = map.getSize();
                if (size.x <= 4 * pad || size.y <= 4 * pad) { return false; }  // not laid out
                var legend = map.getContainer().querySelector(".mapgov-legend");
                // Leaflet's stylesheet floats the legend into its corner; until it has
                // loaded, the legend spans the whole width
                if (legend && getComputedStyle(legend).cssFloat === "none") { return false; }
                var lw = legend ? legend.offsetWidth + 16 : 0;
                var lh = legend ? legend.offsetHeight + 16 : 0;
                var top = map.getBoundsZoom(b, false, L.point(2 * pad, 2 * pad));
                var low = Math.min(
                    map.getBoundsZoom(b, false, L.point(2 * pad, 2 * pad + lh)),
                    map.getBoundsZoom(b, false, L.point(2 * pad + lw, 2 * pad)));
                if (!isFinite(top) || !isFinite(low)) { return false; }
                // the largest zoom (in quarters) at which the places, centred or pushed
                // left, up or both, leave the legend's corner free
                for (var z = top; z >= low - 1e-9; z -= 0.25) {
                    var nw = map.project(b.getNorthWest(), z);
                    var span = map.project(b.getSouthEast(), z).subtract(nw);
                    var free = L.point(size.x - 2 * pad - span.x, size.y - 2 * pad - span.y);
                    var half = free.divideBy(2);
                    var offsets = [half, L.point(0, half.y), L.point(half.x, 0), L.point(0, 0)];
                    for (var k = 0; k < offsets.length; k++) {
                        var origin = nw.subtract(offsets[k]).subtract([pad, pad]);
                        var clear = !legend || boxes.every(function (q) {
                            var p = map.project(q, z).subtract(origin);
                            return p.x <= size.x - lw || p.y <= size.y - lh;
                        });
                        if (clear) {
                            var centre = origin.add(size.divideBy(2));
                            map.setView(map.unproject(centre, z), z, {animate: false});
                            map.getContainer().dataset.mapgovFitted = "1";
                            return true;
                        }
                    }
                }
                map.fitBounds(b, {padding: [pad, pad], animate: false});
                map.getContainer().dataset.mapgovFitted = "1";
                return true;
            }
            // streamlit-folium sizes its frame after the map is made: fit again on each
            // resize until the user moves the map
            var fitting = false, moved = false;
            var tries = 0;
            function refit() {
                if (moved) { return; }
                fitting = true;
                try {
                    if (!fit() && tries++ < 200) { setTimeout(refit, 25); }
                } finally { fitting = false; }
            }
            map.on("dragstart", function () { moved = true; });
            map.on("zoomstart", function () { if (!fitting) { moved = true; } });
            map.on("resize", refit);
            refit();
        })({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(
        self,
        bounds: tuple[float, float, float, float],
        boxes: np.ndarray,
        *,
        pad: int = 12,
    ) -> None:
        super().__init__()
        self._name = "MapgovFitClear"
        min_lon, min_lat, max_lon, max_lat = bounds
        self.bounds = [[min_lat, min_lon], [max_lat, max_lon]]
        # each place's bottom-right corner (south, east): a place lies under the legend in
        # the bottom-right corner when this corner does
        self.boxes = [[round(float(q[1]), 7), round(float(q[2]), 7)] for q in boxes]
        self.pad = pad
