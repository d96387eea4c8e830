"""Layer imports checked against the rest of the street before anything is written."""

from __future__ import annotations

from pathlib import Path

import pytest
from shapely import affinity

from mapgov.core.errors import ValidationError
from mapgov.io.importers.plan import land_layer, plan_layer
from mapgov.store import Store

from .test_importers import _sha


def _buildings_file(store: Store, path: Path) -> Path:
    frame = store.read("building", columns=["building_id", "compound_id", "name", "floors", "geom"])
    frame.to_file(path, driver="GeoJSON")
    return path


def test_a_clean_building_layer_lands_and_replaces_the_old_one(
    any_work_store: Store, tmp_path: Path
) -> None:
    path = _buildings_file(any_work_store, tmp_path / "楼栋.geojson")
    plan = plan_layer(any_work_store, path, "building")
    assert plan.ready, plan.errors
    assert plan.mapping["building_id"] == "building_id"
    store = land_layer(any_work_store, plan)
    assert store.counts()["building"] == len(plan.layer)  # type: ignore[arg-type]
    assert store.meta()["last_import"] == str(path)


def test_buildings_outside_their_compound_or_of_no_compound_are_refused(
    work_store: Store, tmp_path: Path
) -> None:
    frame = work_store.read(
        "building", columns=["building_id", "compound_id", "name", "floors", "geom"]
    )
    frame.loc[3, "geometry"] = affinity.translate(frame.loc[3, "geometry"], xoff=0.01)  # ~900 m
    frame.loc[5, "compound_id"] = "K-NOWHERE"
    path = tmp_path / "b.geojson"
    frame.to_file(path, driver="GeoJSON")
    before = _sha(work_store.path)
    plan = plan_layer(work_store, path, "building")
    found = {(p.row, p.field) for p in plan.errors}
    assert found == {(4, "geometry"), (6, "compound_id")}  # GeoJSON features count from 1
    assert "outside its compound" in str(next(p for p in plan.errors if p.row == 4))
    assert not plan.ready
    with pytest.raises(ValidationError):
        land_layer(work_store, plan)
    assert _sha(work_store.path) == before


def test_a_compound_layer_that_drops_compounds_with_buildings_is_refused(
    work_store: Store, tmp_path: Path
) -> None:
    compounds = work_store.read("compound")
    path = tmp_path / "小区.gpkg"
    compounds.iloc[2:].to_file(path, driver="GPKG")
    plan = plan_layer(work_store, path, "compound")
    assert {p.field for p in plan.errors} == {"compound_id"}
    # every table whose foreign key points at compounds, from the schema, not a kept list
    said = {p.message.split(" that ")[1].split()[0] for p in plan.errors}
    assert {"building", "issue", "gate", "road"} <= said
    assert all(compounds["compound_id"].iloc[0] in p.message for p in plan.errors)


def test_a_building_layer_that_would_orphan_the_ledger_is_refused(
    work_store: Store, tmp_path: Path
) -> None:
    used = set(
        work_store.query("SELECT DISTINCT building_id FROM issue WHERE building_id IS NOT NULL")[
            "building_id"
        ]
    )
    frame = work_store.read(
        "building", columns=["building_id", "compound_id", "name", "floors", "geom"]
    )
    frame = frame[~frame["building_id"].isin(sorted(used)[:2])]
    path = tmp_path / "b.geojson"
    frame.to_file(path, driver="GeoJSON")
    plan = plan_layer(work_store, path, "building")
    assert any("issue records" in p.message for p in plan.errors)
