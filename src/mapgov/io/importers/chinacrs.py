"""China's coordinate systems: the obfuscated GCJ-02 (Gaode/Amap, Tencent, Google China) and
BD-09 (Baidu), to and from WGS 84; and which CGCS2000 Gauss-Krüger zones fit numbers in metres.

GCJ-02 shifts WGS 84 by a published non-linear offset (up to several hundred metres). The
forward formula is exact; its inverse has no closed form and is solved here by fixed-point
iteration to below 1e-7 degrees (about 1 cm), far better than the 1-2 m of the usual one-step
inverse. BD-09 is a further rotation and shift of GCJ-02 with an exact inverse up to the
published formula's own rounding (about 1e-6 degrees). Outside mainland China the offsets are
not applied (as by the providers). All functions are vectorised over numpy arrays.

Surveying offices deliver CGCS2000 / 3-degree Gauss-Krüger coordinates, eastings with the zone
number in front (``37 500 000``: zone 37, EPSG:4513-4533) or without it (``500 000``: named by
central meridian, EPSG:4534-4554). :func:`gauss_kruger_zones` names the zones in which given
numbers fall inside the zone's area of use (from the EPSG database that pyproj ships).
"""

from __future__ import annotations

import functools

import numpy as np
import pyproj
from pyproj.database import query_crs_info
from pyproj.enums import PJType

__all__ = [
    "ACCURACY_M",
    "bd09_to_gcj02",
    "bd09_to_wgs84",
    "gauss_kruger_zones",
    "gcj02_to_bd09",
    "gcj02_to_wgs84",
    "in_china",
    "wgs84_to_gcj02",
]

ACCURACY_M = {"gcj02": 0.01, "bd09": 0.2}
"""Worst round-trip error in metres of the inverses here, as checked by the tests."""

_A = 6378245.0
_EE = 0.00669342162296594323
_X_PI = np.pi * 3000.0 / 180.0


def in_china(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """The rough mainland box in which the providers apply their offsets.

    Parameters
    ----------
    lon, lat : numpy.ndarray
        Longitudes and latitudes in degrees (WGS 84 or GCJ-02: the box is coarse).

    Returns
    -------
    numpy.ndarray
        Per point, whether it lies in the box.
    """
    return (lon > 72.004) & (lon < 137.8347) & (lat > 0.8293) & (lat < 55.8271)


def _dlat(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    r += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    r += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    r += (160.0 * np.sin(y / 12.0 * np.pi) + 320 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    return r


def _dlon(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    r += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    r += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    r += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    return r


def wgs84_to_gcj02(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """WGS 84 -> GCJ-02 (exact, as published).

    Parameters
    ----------
    lon, lat : numpy.ndarray
        GPS (WGS 84) longitudes and latitudes, in degrees.

    Returns
    -------
    tuple of numpy.ndarray
        The points in GCJ-02; those outside China unchanged.
    """
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    dlat = _dlat(lon - 105.0, lat - 35.0)
    dlon = _dlon(lon - 105.0, lat - 35.0)
    rad = lat / 180.0 * np.pi
    magic = 1 - _EE * np.sin(rad) ** 2
    sq = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sq) * np.pi)
    dlon = (dlon * 180.0) / (_A / sq * np.cos(rad) * np.pi)
    inside = in_china(lon, lat)
    return np.where(inside, lon + dlon, lon), np.where(inside, lat + dlat, lat)


def gcj02_to_wgs84(
    lon: np.ndarray, lat: np.ndarray, *, tol: float = 1e-9, max_iter: int = 30
) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 -> WGS 84 by fixed-point iteration of the forward formula (below 1e-7 degrees).

    Parameters
    ----------
    lon, lat : numpy.ndarray
        Longitudes and latitudes as Gaode or Tencent give them (GCJ-02, degrees).
    tol : float
        Stop once no point moves by more than this (degrees).
    max_iter : int
        Most iterations.

    Returns
    -------
    tuple of numpy.ndarray
        The points in WGS 84, within 1e-7 degrees.
    """
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    x, y = lon.copy(), lat.copy()
    for _ in range(max_iter):
        fx, fy = wgs84_to_gcj02(x, y)
        dx, dy = fx - lon, fy - lat
        x, y = x - dx, y - dy
        if np.nanmax(np.abs(np.concatenate([np.ravel(dx), np.ravel(dy)])), initial=0) < tol:
            break
    return x, y


def gcj02_to_bd09(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 -> BD-09.

    Parameters
    ----------
    lon, lat : numpy.ndarray
        Longitudes and latitudes in GCJ-02 (Gaode, Tencent), in degrees.

    Returns
    -------
    tuple of numpy.ndarray
        Their BD-09 longitudes and latitudes.
    """
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    z = np.sqrt(lon * lon + lat * lat) + 0.00002 * np.sin(lat * _X_PI)
    theta = np.arctan2(lat, lon) + 0.000003 * np.cos(lon * _X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def bd09_to_gcj02(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """BD-09 -> GCJ-02 (iterated to the forward formula's precision).

    Parameters
    ----------
    lon, lat : numpy.ndarray
        Baidu's longitudes and latitudes (BD-09, degrees).

    Returns
    -------
    tuple of numpy.ndarray
        Longitudes and latitudes in GCJ-02, as :func:`gcj02_to_bd09` would take them.
    """
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    x, y = lon - 0.0065, lat - 0.006
    z = np.sqrt(x * x + y * y) - 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _X_PI)
    gx, gy = z * np.cos(theta), z * np.sin(theta)
    for _ in range(10):
        fx, fy = gcj02_to_bd09(gx, gy)
        gx, gy = gx - (fx - lon), gy - (fy - lat)
    return gx, gy


def bd09_to_wgs84(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """BD-09 -> WGS 84.

    Parameters
    ----------
    lon, lat : numpy.ndarray
        Longitudes and latitudes as Baidu gives them, in BD-09 degrees.

    Returns
    -------
    tuple of numpy.ndarray
        The GPS (WGS 84) points.
    """
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


@functools.cache
def _zones() -> tuple[tuple[str, str, tuple[float, float, float, float]], ...]:
    infos = query_crs_info(auth_name="EPSG", pj_types=PJType.PROJECTED_CRS)
    return tuple(
        (f"EPSG:{i.code}", i.name, i.area_of_use.bounds)
        for i in infos
        if i.name.startswith("CGCS2000 / 3-degree Gauss-Kruger") and i.area_of_use is not None
    )


def gauss_kruger_zones(x: np.ndarray, y: np.ndarray) -> list[tuple[str, str]]:
    """(code, name) of each CGCS2000 3-degree Gauss-Krüger zone whose area of use holds every
    point (x = easting, y = northing, in metres), in EPSG code order.

    Parameters
    ----------
    x : numpy.ndarray
        Eastings in metres (non-finite points are ignored).
    y : numpy.ndarray
        Northings in metres.

    Returns
    -------
    list of tuple of (str, str)
        ``("EPSG:<code>", name)`` of each zone that fits; empty without a finite point.
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    if not len(x):
        return []
    fits = []
    for code, name, (west, south, east, north) in _zones():
        lon, lat = pyproj.Proj(code)(x, y, inverse=True, errcheck=False)  # CGCS2000 degrees
        lon, lat = np.asarray(lon), np.asarray(lat)
        inside = (lon >= west - 0.01) & (lon <= east + 0.01) & (lat >= south) & (lat <= north)
        if inside.all():
            fits.append((code, name))
    return fits
