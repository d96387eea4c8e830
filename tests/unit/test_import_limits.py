"""Files are bounded by what they hold: what a zip or GeoParquet file unpacks to, and the
vertices of each feature, are checked before anything is read or written."""

from __future__ import annotations

import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely

from mapgov.cli import main
from mapgov.core.errors import DataFileError
from mapgov.io.importers import read as reader
from mapgov.io.importers.plan import plan_layer
from mapgov.io.importers.read import list_layers, read_layer
from mapgov.io.importers.validate import MAX_VERTICES
from mapgov.store import Store

from .test_importers import _sha


def _bomb(path: Path, megabytes: int) -> Path:
    """A zip of a few kilobytes that unpacks to `megabytes` MB (a Shapefile's .dbf of zeros)."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("b.dbf", b"\0" * (megabytes * 2**20))
        zf.writestr("b.shp", b"\0" * 100)
    return path


def test_a_zip_that_unpacks_past_the_limit_is_refused_unread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reader, "MAX_BYTES", 2 * 2**20)  # 2 MB here, 512 MB in use
    path = _bomb(tmp_path / "楼栋.zip", 3)
    assert path.stat().st_size < 100_000
    for read in (read_layer, list_layers):
        with pytest.raises(DataFileError, match="unpacks to 3 MB, more than 2 MB"):
            read(path)


def test_a_geoparquet_that_unpacks_past_the_limit_is_refused_unread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    frame = gpd.GeoDataFrame(
        {"name": [f"{'王城苑' * 50}{i}" for i in range(20_000)]},  # compresses 1:20 or so
        geometry=gpd.points_from_xy(np.full(20_000, 112.43), np.full(20_000, 34.67)),
        crs="EPSG:4326",
    )
    path = tmp_path / "b.parquet"
    frame.to_parquet(path)
    monkeypatch.setattr(reader, "MAX_BYTES", path.stat().st_size * 4)
    with pytest.raises(DataFileError, match="unpacks to"):
        read_layer(path)


def _ring(n: int, lon: float, lat: float, radius: float) -> shapely.Polygon:
    angle = np.linspace(0, 2 * np.pi, n, endpoint=False)
    return shapely.Polygon(np.c_[lon + radius * np.cos(angle), lat + radius * np.sin(angle)])


def test_a_feature_of_too_many_vertices_is_refused_with_its_row(
    work_store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    buildings = work_store.read(
        "building", columns=["building_id", "compound_id", "name", "floors", "geom"]
    )
    centre = buildings.geometry.iloc[4].centroid
    # a ring of MAX_VERTICES corners has MAX_VERTICES + 1 vertices (it closes on its first)
    buildings.loc[4, "geometry"] = _ring(MAX_VERTICES, centre.x, centre.y, 0.00005)
    path = tmp_path / "楼栋.geojson"
    buildings.to_file(path, driver="GeoJSON")
    before = _sha(work_store.path)
    plan = plan_layer(work_store, path, "building")
    assert [(p.row, p.field) for p in plan.errors] == [(5, "geometry")]
    assert f"{MAX_VERTICES + 1:,} vertices" in plan.errors[0].message
    assert main(["import", "building", str(path), "--db", str(work_store.path)]) == 1
    assert _sha(work_store.path) == before
    # the same outline at the limit is a building like any other
    buildings.loc[4, "geometry"] = _ring(MAX_VERTICES - 1, centre.x, centre.y, 0.00005)
    assert shapely.get_num_coordinates(buildings.geometry.iloc[4]) == MAX_VERTICES
    buildings.to_file(path, driver="GeoJSON")
    assert not [p for p in plan_layer(work_store, path, "building").errors if p.row == 5]
