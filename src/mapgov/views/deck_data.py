"""What the wall's deck draws, as plain rows: metric scales and colours, polygon and line rows,
polygon parts, buffered discs and hexagonal issue bins.

Split from :mod:`mapgov.views.deck` (issue 17), which builds the wall's layers and deck from these.
Pure functions: frames in (EPSG:4326), numbers and lists out; no store, no Streamlit.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import pydeck as pdk
import shapely

from mapgov.core.crs import require_wgs84
from mapgov.core.errors import ValidationError

__all__ = [
    "COORD_DECIMALS",
    "METRICS",
    "NO_DATA_COLOUR",
    "RGBA",
    "MetricScale",
    "hex_bins",
    "metres_per_pixel",
    "metric_colours",
    "metric_scale",
    "polygon_parts",
    "polygon_rows",
]

COORD_DECIMALS: Final = 6

METRICS: Final = ("open_per_100_households", "satisfaction", "life_complete", "stars")
"""What can colour the compounds (the first is the default)."""

RGBA = tuple[int, int, int, int]

NO_DATA_COLOUR: Final[RGBA] = (96, 108, 128, 150)
# Five classes from bad to good, bright enough for a dark background.

_BAD_TO_GOOD: Final[tuple[RGBA, ...]] = (
    (239, 68, 68, 190),
    (249, 115, 22, 190),
    (234, 179, 8, 190),
    (132, 204, 22, 190),
    (34, 197, 94, 190),
)

_BG_RGBA: Final[RGBA] = (11, 20, 38, 255)


@dataclass(frozen=True)
class MetricScale:
    """Classes of one compound figure: class limits, colours (first class first), direction.

    A value v falls in class ``searchsorted(breaks, v, side="right")``: below the first
    break is class 0, at or above the last is the last class.
    """

    metric: str
    breaks: tuple[float, ...]
    better: Literal["up", "down"]
    unit: Literal["share", "rate", "stars"]

    @property
    def colours(self) -> tuple[RGBA, ...]:
        """One colour per class: green for good, red for bad."""
        return _BAD_TO_GOOD if self.better == "up" else _BAD_TO_GOOD[::-1]


_SCALES: Final = {
    "open_per_100_households": MetricScale(
        "open_per_100_households", (0.5, 1.0, 1.5, 2.5), "down", "rate"
    ),
    "satisfaction": MetricScale("satisfaction", (0.8, 0.85, 0.9, 0.95), "up", "share"),
    "life_complete": MetricScale("life_complete", (0.2, 0.4, 0.6, 0.8), "up", "share"),
    "stars": MetricScale("stars", (2.0, 3.0, 4.0, 5.0), "up", "stars"),
}


def metric_scale(metric: str) -> MetricScale:
    """The colour classes of `metric` (one of :data:`METRICS`).

    Raises
    ------
    ValidationError
        For an unknown metric.
    """
    try:
        return _SCALES[metric]
    except KeyError:
        msg = f"unknown compound figure {metric!r}; choose one of {', '.join(METRICS)}"
        raise ValidationError(msg) from None


def metric_colours(values: Sequence[float] | pd.Series | np.ndarray, metric: str) -> np.ndarray:
    """RGBA (uint8, one row per value) of each compound's figure; grey where it is unknown.

    Examples
    --------
    >>> metric_colours([0.0, 3.0, float("nan")], "open_per_100_households")[:, :3].tolist()
    [[34, 197, 94], [239, 68, 68], [96, 108, 128]]
    """
    scale = metric_scale(metric)
    v = np.asarray(values, dtype=float)
    classes = np.searchsorted(np.asarray(scale.breaks), v, side="right")
    palette = np.asarray(scale.colours, dtype=np.uint8)
    out = palette[np.clip(classes, 0, len(palette) - 1)]
    out[~np.isfinite(v)] = NO_DATA_COLOUR
    return out


# -- geometry to compact rows --------------------------------------------------------------
def _split(coords: np.ndarray, index: np.ndarray, n: int) -> list[np.ndarray]:
    counts = np.bincount(index, minlength=n)
    return np.split(coords, np.cumsum(counts)[:-1])


def polygon_rows(frame: gpd.GeoDataFrame) -> tuple[list[list[list[float]]], np.ndarray]:
    """Exterior rings of `frame`'s (multi)polygons, rounded, without the closing vertex.

    Returns
    -------
    tuple
        (rings as [[lon, lat], ...], the row position in `frame` of each ring); a
        multipolygon gives one ring per part, empty or degenerate geometries none.
    """
    require_wgs84(frame, "polygons")
    parts, source = shapely.get_parts(frame.geometry.to_numpy(), return_index=True)
    rings = shapely.get_exterior_ring(parts)
    coords, index = shapely.get_coordinates(rings, return_index=True)
    coords = np.round(coords, COORD_DECIMALS)
    pieces = _split(coords, index, len(rings))
    keep = np.fromiter((len(p) >= 4 for p in pieces), dtype=bool, count=len(pieces))
    out = [p[:-1].tolist() for p, k in zip(pieces, keep, strict=True) if k]
    return out, np.asarray(source)[keep]


def _points(frame: gpd.GeoDataFrame) -> list[list[float]]:
    require_wgs84(frame, "points")
    pts = shapely.get_coordinates(frame.geometry.representative_point().to_numpy())
    return np.round(pts, COORD_DECIMALS).tolist()


# -- shapes drawn as polygons: one shader program for everything but the text ---------------
_M_PER_DEG_LAT: Final = 110_574.0
_M_PER_DEG_LON_EQUATOR: Final = 111_320.0
_WEB_MERCATOR_M_PER_PX_Z0: Final = 78_271.517
"""Metres per pixel at zoom 0 with deck.gl's 512-pixel tiles, at the equator."""


def metres_per_pixel(view: pdk.ViewState) -> float:
    """Ground metres one screen pixel spans at `view`'s centre and zoom (before the tilt)."""
    lat = math.radians(float(view.latitude))
    return _WEB_MERCATOR_M_PER_PX_Z0 * math.cos(lat) / 2 ** float(view.zoom)


def _local_frame(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Origin and metres per degree (lon, lat) of a plane tangent at the shapes' centre.

    Buffers of a few metres drawn on a street or a city: the plane's scale error (under 0.1 %
    within 30 km of the centre) is far below a pixel.
    """
    xmin, ymin, xmax, ymax = shapely.total_bounds(geoms)
    origin = np.array([(xmin + xmax) / 2, (ymin + ymax) / 2])
    k = np.array([_M_PER_DEG_LON_EQUATOR * math.cos(math.radians(origin[1])), _M_PER_DEG_LAT])
    return origin, k


def _buffered(geoms: np.ndarray, distance_m: np.ndarray | float, **style: Any) -> np.ndarray:
    """`geoms` (lon/lat) buffered by `distance_m` metres (negative shrinks), back in lon/lat."""
    if len(geoms) == 0:
        return geoms
    origin, k = _local_frame(geoms)
    local = shapely.transform(geoms, lambda c: (c - origin) * k)
    grown = shapely.buffer(local, distance_m, **style)
    return shapely.transform(grown, lambda c: c / k + origin)


def polygon_parts(geoms: np.ndarray) -> tuple[list[list[list[list[float]]]], np.ndarray]:
    """Each polygon part as its rings (exterior first, then holes), rounded, unclosed.

    Returns
    -------
    tuple
        (polygons as [[[lon, lat], ...], ...], the position in `geoms` of each); empty and
        degenerate parts are left out, and so are degenerate holes.
    """
    parts, source = shapely.get_parts(geoms, return_index=True)
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    coords, index = shapely.get_coordinates(rings, return_index=True)
    pieces = _split(np.round(coords, COORD_DECIMALS), index, len(rings))
    out: list[list[list[list[float]]]] = []
    owners: list[int] = []
    current = -1
    for piece, part in zip(pieces, ring_part.tolist(), strict=True):
        if part != current:  # an exterior ring: a new polygon
            current = part
            if len(piece) < 4:
                current = -2 - part  # a degenerate exterior drops its holes too
                continue
            out.append([piece[:-1].tolist()])
            owners.append(int(source[part]))
        elif current == part and len(piece) >= 4:
            out[-1].append(piece[:-1].tolist())
    return out, np.asarray(owners, dtype=int)


def _disc_rows(
    points: np.ndarray, radius_m: float, ring_m: float, colours: list[list[int]],
    labels: Sequence[str],
) -> list[dict[str, Any]]:  # fmt: skip
    """Facility markers as polygons: a coloured disc, then a dark disc inside it (its ring)."""
    outer, _ = polygon_parts(_buffered(points, radius_m, quad_segs=4))
    inner, _ = polygon_parts(_buffered(points, radius_m - ring_m, quad_segs=4))
    dark = list(_BG_RGBA)
    return [
        *(
            {"p": p, "c": c, "n": n, "v": ""}
            for p, c, n in zip(outer, colours, labels, strict=True)
        ),
        *({"p": p, "c": dark, "n": n, "v": ""} for p, n in zip(inner, labels, strict=True)),
    ]


def hex_bins(
    lon: Sequence[float] | np.ndarray,
    lat: Sequence[float] | np.ndarray,
    *,
    radius_m: float,
    origin: tuple[float, float] | None = None,
) -> pd.DataFrame:
    """Count points in flat-topped hexagons of `radius_m` (centre to corner).

    The hexagons are laid out in local metres around `origin` (default: the points' mean,
    rounded to 0.01°, so the grid does not move when a few points are added). Their
    corners point east and west (see :func:`hex_rings`).

    Returns
    -------
    DataFrame
        [lon, lat, count]: centre of every hexagon with points (rounded), busiest first.

    Examples
    --------
    >>> bins = hex_bins([112.4, 112.4001, 112.43], [34.67, 34.6701, 34.67], radius_m=100)
    >>> bins["count"].tolist()
    [2, 1]
    """
    x0 = np.asarray(lon, dtype=float)
    y0 = np.asarray(lat, dtype=float)
    ok = np.isfinite(x0) & np.isfinite(y0)
    x0, y0 = x0[ok], y0[ok]
    if not len(x0):
        return pd.DataFrame({"lon": [], "lat": [], "count": []}).astype({"count": int})
    if not radius_m > 0:
        msg = f"hexagon radius must be positive, not {radius_m}"
        raise ValidationError(msg)
    lon0, lat0 = origin or (round(float(x0.mean()), 2), round(float(y0.mean()), 2))
    kx = 111_320.0 * math.cos(math.radians(lat0))
    ky = 110_574.0
    x = (x0 - lon0) * kx / radius_m
    y = (y0 - lat0) * ky / radius_m
    q = 2.0 / 3.0 * x
    r = -x / 3.0 + math.sqrt(3) / 3.0 * y
    s = -q - r
    rq, rr, rs = np.round(q), np.round(r), np.round(s)
    dq, dr, ds = np.abs(rq - q), np.abs(rr - r), np.abs(rs - s)
    fix_q = (dq > dr) & (dq > ds)
    fix_r = ~fix_q & (dr > ds)
    rq = np.where(fix_q, -rr - rs, rq)
    rr = np.where(fix_r, -rq - rs, rr)
    cells, counts = np.unique(
        np.column_stack([rq, rr]).astype(np.int64), axis=0, return_counts=True
    )
    cq, cr = cells[:, 0].astype(float), cells[:, 1].astype(float)
    cx = radius_m * 1.5 * cq / kx + lon0
    cy = radius_m * math.sqrt(3) * (cr + cq / 2.0) / ky + lat0
    out = pd.DataFrame(
        {
            "lon": np.round(cx, COORD_DECIMALS),
            "lat": np.round(cy, COORD_DECIMALS),
            "count": counts.astype(int),
        }
    )
    return out.sort_values(["count", "lon", "lat"], ascending=[False, True, True]).reset_index(
        drop=True
    )
