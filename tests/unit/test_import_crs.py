"""Coordinate systems of imported layers: `--crs` overrides what a format assumes, numbers that
are not degrees are refused in one line naming the CGCS2000 zones that fit them, and no reader
ends in a traceback, whatever the format, projection and metadata."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mapgov.cli import main
from mapgov.core.errors import MapgovError
from mapgov.io.importers.plan import plan_layer
from mapgov.store import Store, open_store

from .layerfiles import write_layer


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _geojson_without_crs(frame: gpd.GeoDataFrame, path: Path) -> Path:
    """A GeoJSON file in `frame`'s projected CRS whose `crs` member is gone, as surveying
    offices' exports often are (readers then assume longitude/latitude, RFC 7946)."""
    frame.to_file(path)
    data = json.loads(path.read_text("utf-8"))
    data.pop("crs", None)
    path.write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    return path


@pytest.mark.parametrize("epsg", [4546, 4525])  # CM 111E; zone 37 with the zone prefix
def test_crs_option_overrides_the_geojson_assumption(
    work_store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str], epsg: int
) -> None:
    buildings = work_store.read("building")
    path = _geojson_without_crs(buildings.to_crs(epsg=epsg), tmp_path / "b.geojson")
    db = ["--db", str(work_store.path)]
    assert main(["import", "building", str(path), *db, "--crs", f"EPSG:{epsg}"]) == 0
    landed = open_store(work_store.path).read("building")
    assert len(landed) == len(buildings)
    moved = np.abs(landed.geometry.bounds.to_numpy() - buildings.geometry.bounds.to_numpy())
    assert moved.max() < 1e-6  # degrees: about 10 cm


def test_metres_read_as_degrees_are_refused_in_one_line_with_the_zone(
    work_store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    buildings = work_store.read("building")
    digest = _sha(work_store.path)
    db = ["--db", str(work_store.path)]
    prefixed = _geojson_without_crs(buildings.to_crs("EPSG:4525"), tmp_path / "z37.geojson")
    capsys.readouterr()
    for extra in ([], ["--crs", "EPSG:4326"]):
        assert main(["import", "building", str(prefixed), *db, *extra]) == 1
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1, err
        assert str(prefixed) in err[0] and "degrees" in err[0]
        assert "EPSG:4525" in err[0]  # CGCS2000 / 3-degree Gauss-Kruger zone 37
    plain = _geojson_without_crs(buildings.to_crs("EPSG:4546"), tmp_path / "cm111.geojson")
    assert main(["import", "building", str(plain), *db]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "degrees" in err[0]
    assert "EPSG:4546" not in err[0] or "central meridian" in err[0]
    assert "EPSG:4535 to EPSG:4550" in err[0] and "EPSG:4525" not in err[0]
    assert _sha(work_store.path) == digest


def test_degrees_under_a_projected_label_are_refused(work_store: Store, tmp_path: Path) -> None:
    facilities = work_store.read("facility")
    path = tmp_path / "f.gpkg"
    facilities.set_crs("EPSG:4546", allow_override=True).to_file(path)  # wrong .prj
    plan = plan_layer(work_store, path, "facility")
    assert not plan.ready
    assert any("degrees" in str(p) and "EPSG:4326" in str(p) for p in plan.errors)


FORMATS = (".geojson", ".gpkg", ".zip", ".parquet", ".csv", ".xlsx")
PROJECTIONS = ("EPSG:4546", "EPSG:4525", "EPSG:32649", "EPSG:3857", "EPSG:4490", "EPSG:4326")


def _write(frame: gpd.GeoDataFrame, path: Path, *, keep_crs: bool) -> None:
    """`frame` (already in its projection) as `path`, with or without CRS metadata."""
    out = frame[["facility_id", "kind", "name", frame.geometry.name]]
    out = out.rename(columns={"facility_id": "id"})  # short names, as a shapefile holds them
    write_layer(out if keep_crs else out.set_crs(None, allow_override=True), path)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    suffix=st.sampled_from(FORMATS),
    projection=st.sampled_from(PROJECTIONS),
    keep_crs=st.booleans(),
    told=st.sampled_from(["none", "right", "EPSG:4326", "EPSG:4546", "EPSG:9999999", "nonsense"]),
    scale=st.sampled_from([1.0, 1000.0, -1.0, 1e-6]),
)
def test_fuzzed_projections_never_crash_and_land_right_or_not_at_all(
    work_store: Store,
    tmp_path_factory: pytest.TempPathFactory,
    suffix: str,
    projection: str,
    keep_crs: bool,
    told: str,
    scale: float,
) -> None:
    digest = _sha(work_store.path)
    facilities = work_store.read("facility").iloc[:5]
    frame = facilities.to_crs(projection)
    if scale != 1.0:  # wrong numbers: far away, negative, squashed
        frame = frame.set_geometry(frame.geometry.scale(scale, scale, origin=(0, 0)))
    path = tmp_path_factory.mktemp("fuzz") / f"f{suffix}"
    _write(frame, path, keep_crs=keep_crs)
    crs = {"none": None, "right": projection}.get(told, told)
    try:
        plan = plan_layer(work_store, path, "facility", crs=crs)
    except MapgovError as err:
        refusal = str(err)
    else:
        refusal = ""
    assert refusal == "" or str(path) in refusal
    if refusal:
        return
    for problem in plan.problems:
        assert "\n" not in str(problem)
    if told == "right" and scale == 1.0:
        assert plan.ready, [str(p) for p in plan.errors]
        got = np.column_stack([plan.layer.geometry.x, plan.layer.geometry.y])
        want = np.column_stack([facilities.geometry.x, facilities.geometry.y])
        assert np.abs(got - want).max() < 1e-6
    assert _sha(work_store.path) == digest


def test_cli_never_prints_a_traceback_for_a_layer_in_metres(
    work_store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    facilities = work_store.read("facility").to_crs("EPSG:4525")
    for suffix in FORMATS:
        path = tmp_path / f"f{suffix}"
        _write(facilities, path, keep_crs=False)
        for extra in ([], ["--crs", "EPSG:4326"], ["--crs", "EPSG:4525"], ["--crs", "bogus"]):
            code = main(["import", "facility", str(path), "--db", str(work_store.path), *extra])
            err = capsys.readouterr().err
            assert "Traceback" not in err
            assert code == (0 if extra == ["--crs", "EPSG:4525"] else 1), (suffix, extra, err)
