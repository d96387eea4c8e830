"""Coordinate reference systems: store in WGS 84, measure in a local metric CRS."""

from __future__ import annotations

import geopandas as gpd
import pyproj

from mapgov.core.errors import ValidationError

__all__ = ["WGS84", "local_metric", "require_metric", "require_wgs84", "utm_for"]

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
