"""A still picture of a deck's flat layers, shown in the map's place until WebGL has drawn.

A browser that draws WebGL in software (the command room's mini PC, the test machines)
needs 1-3 s after the map's data arrive to compile deck.gl's shader programs and draw the
first frame: the wall screen's map stayed empty for that long (issue 24). The poster is an
SVG of the deck's flat polygon layers (land use, roads, compounds coloured by their figure,
community outlines, facility discs), projected through the same camera as deck.gl's
``MapView`` (the Web Mercator perspective of math.gl: camera altitude 1.5 screen heights,
vertical field of view 2·atan(1/3)), with the same colours and opacity. The browser paints
it as soon as it arrives; the deck's canvas, stacked above it, covers it with the same
shapes once drawn, adding the buildings, the issue columns and the labels, and the page's
script then removes the poster (:data:`REVEAL_JS`, sent with it by :mod:`mapgov.ui.wall`).

Pure functions of a deck's JSON: the poster can only show what the deck itself shows, and
holds no text (nothing a user typed reaches it).
"""

from __future__ import annotations

import base64
import functools
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

import numpy as np

__all__ = [
    "ALTITUDE",
    "DEFAULT_OPACITY",
    "GONE",
    "POSTER",
    "REVEAL_JS",
    "poster_html",
    "poster_svg",
    "project",
]

ALTITUDE: Final = 1.5
"""Height of deck.gl's camera above the map, in screen heights (its default)."""
DEFAULT_OPACITY: Final = 1.0
"""A deck.gl layer's opacity when the layer sets none."""
_TILE: Final = 512.0
_DECIMALS: Final = 1


def _world(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Web Mercator world units (512 across the world at zoom 0, y to the north)."""
    x = _TILE * (np.radians(lon) + math.pi) / (2 * math.pi)
    y = _TILE * (math.pi + np.log(np.tan(math.pi / 4 + np.radians(lat) / 2))) / (2 * math.pi)
    return x, y


def project(
    view: Mapping[str, Any],
    height_px: float,
    lon: Sequence[float] | np.ndarray,
    lat: Sequence[float] | np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Screen pixels of points on the ground, as deck.gl's ``MapView`` places them.

    Parameters
    ----------
    view
        The deck's view state: longitude, latitude, zoom, pitch and bearing (degrees).
    height_px
        The map's height in CSS pixels (the scale follows the height, not the width).
    lon, lat
        The points, in degrees.

    Returns
    -------
    x, y, w
        x from the map's centre line (to the right), y from its top edge (down), both in
        pixels; and the homogeneous w, which is positive for points in front of the camera.

    Examples
    --------
    >>> x, y, w = project({"longitude": 112.4, "latitude": 34.6, "zoom": 15}, 770,
    ...                   [112.4], [34.6])
    >>> float(x[0]), float(y[0])
    (0.0, 385.0)
    """
    zoom = float(view.get("zoom", 0.0))
    pitch = math.radians(float(view.get("pitch", 0.0)))
    bearing = math.radians(float(view.get("bearing", 0.0)))
    cx, cy = _world(np.array([float(view["longitude"])]), np.array([float(view["latitude"])]))
    px, py = _world(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
    scale = 2.0**zoom / height_px
    dx, dy = (px - cx[0]) * scale, (py - cy[0]) * scale
    # view matrix: translate(0, 0, -altitude) · rotateX(-pitch) · rotateZ(bearing) · scale
    cb, sb = math.cos(bearing), math.sin(bearing)
    rx, ry = cb * dx - sb * dy, sb * dx + cb * dy
    cp, sp = math.cos(-pitch), math.sin(-pitch)
    vx, vy, vz = rx, cp * ry, sp * ry - ALTITUDE
    # perspective with fovy = 2·atan(0.5 / altitude): f = 2·altitude; clip w = -z
    f = 2.0 * ALTITUDE
    w = -vz
    half = height_px / 2.0
    with np.errstate(divide="ignore", invalid="ignore"):
        x = half * f * vx / w
        y = half - half * f * vy / w
    return x, y, w


def _rings(polygon: Any) -> list[list[list[float]]]:
    """A PolygonLayer row's polygon as a list of rings (one ring, or outer ring and holes)."""
    if polygon and polygon[0] and isinstance(polygon[0][0], list | tuple):
        return [list(r) for r in polygon]
    return [list(polygon)]


def _fill(colour: Sequence[float], opacity: float) -> tuple[str, float]:
    r, g, b = (int(v) for v in colour[:3])
    alpha = (float(colour[3]) / 255.0 if len(colour) > 3 else 1.0) * opacity
    return f"#{r:02x}{g:02x}{b:02x}", round(alpha, 3)


def _path(xs: np.ndarray, ys: np.ndarray) -> str:
    points = " ".join(f"{x:.{_DECIMALS}f} {y:.{_DECIMALS}f}" for x, y in zip(xs, ys, strict=True))
    return f"M{points}Z"


def _flat_layers(spec: Mapping[str, Any]) -> Iterable[Mapping[str, Any]]:
    for layer in spec.get("layers", []):
        if layer.get("@@type") != "PolygonLayer" or layer.get("extruded"):
            continue
        if layer.get("visible") is False or not layer.get("filled", True):
            continue
        yield layer


def poster_svg(
    deck_json: str | Mapping[str, Any], *, width_px: int, height_px: int, css_class: str = ""
) -> str:
    """The deck's flat polygon layers as one SVG, drawn as deck.gl would draw them.

    Parameters
    ----------
    deck_json
        The deck (its JSON text, or parsed): its ``initialViewState`` is the camera, its
        PolygonLayers that are not extruded are drawn in order, each row's ``p`` (a ring,
        or rings) filled with its ``c`` (or the layer's constant ``getFillColor``) at the
        layer's opacity.
    width_px, height_px
        The map's size in CSS pixels. The width only bounds what is drawn: the SVG's
        x = 0 is the map's centre line, so the picture stays right under the deck when the
        page makes the map narrower or wider (centre it).
    css_class
        Class of the ``<svg>`` element.

    Returns
    -------
    str
        ``<svg>`` markup: paths and fills only, no text, no scripts, no links.
    """
    spec = json.loads(deck_json) if isinstance(deck_json, str) else deck_json
    view = spec.get("initialViewState") or {}
    if "longitude" not in view or "latitude" not in view:
        return ""
    half_w = width_px / 2.0
    groups: list[str] = []
    for layer in _flat_layers(spec):
        opacity = float(layer.get("opacity", DEFAULT_OPACITY))
        constant = layer.get("getFillColor")
        key = constant[3:] if isinstance(constant, str) and constant.startswith("@@=") else None
        paths: dict[tuple[str, float], list[str]] = {}
        for row in layer.get("data", []):
            colour = row.get(key) if key else constant
            if not isinstance(colour, list | tuple) or len(colour) < 3:
                continue
            fill = _fill(colour, opacity)
            if fill[1] <= 0:
                continue
            parts: list[str] = []
            for ring in _rings(row.get("p")):
                if len(ring) < 3:
                    continue
                coords = np.asarray(ring, dtype=float)
                x, y, w = project(view, height_px, coords[:, 0], coords[:, 1])
                if (w <= 0).any():
                    parts = []  # behind the camera: deck clips it; leave it out
                    break
                if x.max() < -half_w or x.min() > half_w or y.max() < 0 or y.min() > height_px:
                    continue
                parts.append(_path(x, y))
            if parts:
                paths.setdefault(fill, []).append("".join(parts))
        for (colour, alpha), drawn in paths.items():
            body = "".join(f'<path d="{d}"/>' for d in drawn)
            groups.append(f'<g fill="{colour}" fill-opacity="{alpha}">{body}</g>')
    if not groups:
        return ""
    attrs = f' class="{css_class}"' if css_class else ""
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg"{attrs} width="{width_px}" '
        f'height="{height_px}" viewBox="{-half_w:g} 0 {width_px} {height_px}" '
        f'fill-rule="evenodd" aria-hidden="true">{"".join(groups)}</svg>'
    )


POSTER: Final = "mg-poster"
"""Class of the poster's holder."""
GONE: Final = "mg-poster-gone"
"""Class the page's script adds to the holder once the deck has drawn (CSS hides it)."""

REVEAL_JS: Final = """<script>(() => {
  // Hide the poster once the GPU has run the deck's first frame (deck.gl sets the canvas's
  // width attribute in that frame; a fence placed after it signals when the frame's work,
  // shader compilation included, is done), or after 30 s, or when someone touches the map.
  const t0 = performance.now();
  let fence = null;
  const gone = () => {
    for (const p of document.querySelectorAll('.%(poster)s')) p.classList.add('%(gone)s');
    document.body.dataset.mgDeckDrawn = String(Math.round(performance.now()));
  };
  const step = () => {
    const stack = document.querySelector('%(stack)s');
    if (!stack || !stack.querySelector('.%(poster)s:not(.%(gone)s)')) return;
    const canvas = stack.querySelector('canvas');
    if (performance.now() - t0 > 30000) { gone(); return; }
    if (canvas && canvas.hasAttribute('width')) {
      const gl = canvas.getContext('webgl2');
      if (!gl || gl.isContextLost()) { gone(); return; }
      if (!fence) { fence = gl.fenceSync(gl.SYNC_GPU_COMMANDS_COMPLETE, 0); gl.flush(); }
      if (gl.getSyncParameter(fence, gl.SYNC_STATUS) === gl.SIGNALED) {
        gl.deleteSync(fence);
        requestAnimationFrame(() => requestAnimationFrame(gone));
        return;
      }
    }
    setTimeout(step, 40);
  };
  for (const kind of ['pointerdown', 'wheel']) {
    document.querySelector('%(stack)s')?.addEventListener(kind, gone, {once: true, passive: true});
  }
  step();
})();</script>"""


@functools.lru_cache(maxsize=8)
def _poster_uri(deck_json: str, width_px: int, height_px: int) -> str:
    svg = poster_svg(deck_json, width_px=width_px, height_px=height_px)
    if not svg:
        return ""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def poster_html(deck_json: str, *, width_px: int, height_px: int, stack: str) -> str:
    """The poster of a deck (:func:`poster_svg`) as an image, and the script that removes it.

    Parameters
    ----------
    deck_json
        The deck's JSON (what the chart is given).
    width_px, height_px
        The map's size in CSS pixels (see :func:`poster_svg`).
    stack
        CSS selector of the box that holds the poster and the chart, one above the other.

    Returns
    -------
    str
        An empty holder when the deck has no flat layer to draw (nothing to show early).
        ``st.html`` shows no inline SVG (its sanitiser keeps HTML only), hence a data URI.
    """
    uri = _poster_uri(deck_json, width_px, height_px)
    if not uri:
        return f'<div class="{POSTER} {GONE}"></div>'
    script = REVEAL_JS % {"poster": POSTER, "gone": GONE, "stack": stack}
    return (
        f'<div class="{POSTER}"><img alt="" src="{uri}" width="{width_px}" '
        f'height="{height_px}"></div>{script}'
    )
