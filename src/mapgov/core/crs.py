"""Coordinate reference systems: store in WGS 84, measure in a local metric CRS."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import geopandas as gpd
import numpy as np
import pyproj

from mapgov.core.errors import ValidationError

__all__ = [
    "WGS84",
    "local_metric",
    "require_metric",
    "require_wgs84",
    "transform_xy",
    "transformers",
    "utm_for",
]

WGS84 = "EPSG:4326"


def utm_for(lon: float, lat: float) -> pyproj.CRS:
    """The WGS 84 UTM zone containing (lon, lat)."""
    zone = int((lon + 180) // 6) % 60 + 1
    return pyproj.CRS.from_epsg((32600 if lat >= 0 else 32700) + zone)


def local_metric(gdf: gpd.GeoDataFrame | gpd.GeoSeries) -> pyproj.CRS:
    """The UTM zone of the centre of `gdf`'s bounds (which must be in WGS 84 or have a CRS)."""
    if gdf.crs is None:
        msg = "the layer has no CRS; name one before measuring it"
        raise ValidationError(msg)
    bounds = gdf.to_crs(WGS84).total_bounds if not gdf.crs.equals(WGS84) else gdf.total_bounds
    return utm_for((bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2)


def require_metric(gdf: gpd.GeoDataFrame | gpd.GeoSeries) -> None:
    """Refuse a frame whose CRS is not projected in metres."""
    crs = gdf.crs
    if crs is None or not crs.is_projected or crs.axis_info[0].unit_name not in ("metre", "m"):
        msg = f"expected a projected CRS in metres, got {crs}"
        raise ValidationError(msg)


def require_wgs84(frame: gpd.GeoDataFrame | gpd.GeoSeries, what: str = "map layers") -> None:
    """Refuse a frame that is not in WGS 84 lon/lat (what maps and the store take).

    Raises
    ------
    ValidationError
        Naming `what` and the frame's CRS.
    """
    if frame.crs is None or not frame.crs.equals(WGS84):
        msg = f"{what} take {WGS84} (lon/lat) frames, not {frame.crs}"
        raise ValidationError(msg)


def transform_xy(
    x: np.ndarray, y: np.ndarray, src: Any, dst: pyproj.CRS
) -> tuple[np.ndarray, np.ndarray]:
    """Coordinates from `src` to `dst` (x = east / longitude, as geopandas' ``to_crs``), with
    the fast transverse Mercator where it is exact enough (:func:`transformers`)."""
    found = transformers(pyproj.CRS.from_user_input(src), pyproj.CRS.from_user_input(dst))
    if found is None:
        return x, y
    exact, fast, meridian = found
    near = fast is not None and (not len(x) or np.abs(x - meridian).max() <= _APPROX_DEG)
    tx, ty = (fast if fast is not None and near else exact).transform(x, y)
    return np.asarray(tx, dtype=float), np.asarray(ty, dtype=float)


_APPROX_DEG = 6.0  # the fast UTM projection for points at most this far from the meridian


@lru_cache(maxsize=32)
def transformers(
    src: pyproj.CRS, dst: pyproj.CRS
) -> tuple[pyproj.Transformer, pyproj.Transformer | None, float] | None:
    """The transformers from `src` to `dst`, made once per pair (pyproj's transformers are
    safe to share between threads since pyproj 3.1): the exact one, a fast one where there is
    one, and the central meridian it is for. None for the same CRS.

    From WGS 84 longitude and latitude to a WGS 84 UTM zone (what :func:`mapgov.core.crs.utm_for`
    gives) the fast one is PROJ's ``+approx`` transverse Mercator (Evenden and Snyder's
    series), about twice as fast as the default exact one (Poder and Engsager's). Against the
    exact one, over latitudes 0 to 84 degrees: at most 0.016 mm apart within 3 degrees of the
    central meridian (the whole zone), 0.08 mm within 4, 0.8 mm within 6 (a city that
    straddles the zone's edge is measured in the zone of its centre); farther out it drifts
    (2 cm at 10 degrees), so :func:`transform_xy` uses it for points within 6 degrees only.
    """
    if src.equals(dst):
        return None
    exact = pyproj.Transformer.from_crs(src, dst, always_xy=True)
    code = dst.to_epsg() or 0
    if not (src.equals(WGS84) and (32601 <= code <= 32660 or 32701 <= code <= 32760)):
        return exact, None, 0.0
    zone, south = code % 100, " +south" if code > 32700 else ""
    fast = pyproj.Transformer.from_pipeline(
        "+proj=pipeline +step +proj=unitconvert +xy_in=deg +xy_out=rad"
        f" +step +proj=utm +zone={zone}{south} +ellps=WGS84 +approx"
    )
    return exact, fast, zone * 6.0 - 183.0
