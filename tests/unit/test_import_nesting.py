"""Layers nest as the places do (issue 16, point 4): an imported compound lies in the grid it
names and a building in the compound it names, within 5 m (its representative point to the
parent's outline); otherwise the file is refused with its row and field and nothing changes.
Geometry hand-drawn on the two-street database of tests/handdrawn.py (grid G1 is the box
112.40-112.41 E, 34.60-34.61 N; compounds K1, K2 inside it)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest
import shapely
from shapely import affinity

from mapgov.core.errors import DataFileError, ValidationError
from mapgov.core.i18n import error_text
from mapgov.io.importers.plan import land_layer, plan_layer
from mapgov.store import Store, open_store
from tests.handdrawn import build_two_streets

from .layerfiles import write_layer
from .test_importers import _sha

# degrees of longitude per metre at 34.6 N (a degree is about 91.6 km there)
LON_PER_M = 1 / 91_600


@pytest.fixture
def two(tmp_path: Path) -> Store:
    return open_store(build_two_streets(tmp_path / "two.sqlite"))


def _compounds(store: Store) -> gpd.GeoDataFrame:
    return store.read("compound", columns=["compound_id", "grid_id", "name", "geom"])


def _centred_east_of_g1(metres: float) -> shapely.Polygon:
    """A 0.002 degree box whose centre (its representative point) lies `metres` east of grid
    G1's east edge (112.41 E)."""
    x = 112.41 + metres * LON_PER_M
    return shapely.box(x - 0.001, 34.602, x + 0.001, 34.604)


@pytest.mark.parametrize("suffix", [".geojson", ".gpkg"])
def test_a_compound_drawn_outside_its_grid_is_refused_with_its_row(
    two: Store, tmp_path: Path, suffix: str
) -> None:
    frame = _compounds(two)
    # K2 drawn 1.2 km east, in grid G2, while it still names G1
    frame.loc[1, "geometry"] = affinity.translate(frame.loc[1, "geometry"], xoff=0.012)
    path = write_layer(frame, tmp_path / f"小区{suffix}")
    before = _sha(two.path)
    plan = plan_layer(two, path, "compound")
    assert [(p.row, p.field) for p in plan.errors] == [(2, "geometry")]
    (problem,) = plan.errors
    assert "lies outside its grid 'G1'" in str(problem) and f"小区{suffix}" in str(problem)
    with pytest.raises(ValidationError):
        land_layer(two, plan)
    assert _sha(two.path) == before


def test_a_compound_over_its_grids_edge_passes_within_the_tolerance(
    two: Store, tmp_path: Path
) -> None:
    """Digitised 3 m over the edge: in its grid. 50 m over: refused, saying how far."""
    frame = _compounds(two)
    frame.loc[1, "geometry"] = _centred_east_of_g1(3)
    plan = plan_layer(two, write_layer(frame, tmp_path / "near.geojson"), "compound")
    assert plan.ready, plan.errors
    frame.loc[1, "geometry"] = _centred_east_of_g1(50)
    plan = plan_layer(two, write_layer(frame, tmp_path / "far.geojson"), "compound")
    (problem,) = plan.errors
    assert (problem.row, problem.field) == (2, "geometry")
    assert "(50 m away)" in problem.message


def test_a_building_drawn_in_another_compound_than_it_names_is_refused(
    two: Store, tmp_path: Path
) -> None:
    """B3 names K2 but is drawn inside K1 (same grid): refused, the rest of the file fine."""
    frame = two.read("building", columns=["building_id", "compound_id", "name", "floors", "geom"])
    b1 = frame.loc[frame["building_id"] == "B1", "geometry"].iloc[0]
    b3 = frame.index[frame["building_id"] == "B3"][0]
    frame.loc[b3, "geometry"] = affinity.translate(b1, xoff=0.0015)  # still inside K1
    path = write_layer(frame, tmp_path / "楼栋.gpkg")
    before = _sha(two.path)
    plan = plan_layer(two, path, "building")
    (problem,) = plan.errors
    assert (problem.row, problem.field) == (int(b3) + 1, "geometry")
    assert "lies outside its compound 'K2'" in problem.message
    shown = DataFileError(problem.path, problem.message, row=problem.row, field=problem.field)
    text = error_text(shown, "zh")  # as the data page shows it
    assert text.startswith(
        f"楼栋.gpkg，第 {problem.row} 行，字段“几何图形”：位于所属小区“K2”之外（相距"
    )
    with pytest.raises(ValidationError):
        land_layer(two, plan)
    assert _sha(two.path) == before
