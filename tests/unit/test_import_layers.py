"""A GeoPackage with several layers: the layer read is named, and `--layer` picks another."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from mapgov.cli import main
from mapgov.core.errors import DataFileError
from mapgov.io.importers import list_layers, read_layer
from mapgov.io.importers.plan import plan_layer
from mapgov.store import Store, open_store


def _two_layers(store: Store, path: Path) -> Path:
    store.read("facility").to_file(path, layer="设施", driver="GPKG")
    store.read("building").to_file(path, layer="楼栋", driver="GPKG")
    return path


def test_layers_are_listed_and_read_by_name(work_store: Store, tmp_path: Path) -> None:
    path = _two_layers(work_store, tmp_path / "street.gpkg")
    assert list_layers(path) == ["设施", "楼栋"]
    assert len(read_layer(path, layer="楼栋")) == work_store.counts()["building"]
    with pytest.raises(DataFileError, match=r"no layer 'roads'.*设施, 楼栋"):
        read_layer(path, layer="roads")
    plan = plan_layer(work_store, path, "building", layer="楼栋")
    assert plan.ready and plan.layer_name == "楼栋"


def test_cli_names_the_layer_read_and_takes_layer(
    work_store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _two_layers(work_store, tmp_path / "street.gpkg")
    db = ["--db", str(work_store.path)]
    digest = hashlib.sha256(work_store.path.read_bytes()).hexdigest()
    assert main(["import", "building", str(path), *db]) == 1  # the first layer: facilities
    out = capsys.readouterr()
    assert "layer 设施 (1 of 2: 设施, 楼栋; choose one with --layer)" in out.out
    assert hashlib.sha256(work_store.path.read_bytes()).hexdigest() == digest
    assert main(["import", "building", str(path), *db, "--layer", "楼栋"]) == 0
    assert "layer 楼栋 (2 of 2" in capsys.readouterr().out
    assert open_store(work_store.path).counts()["building"] == work_store.counts()["building"]
    assert main(["import", "building", str(path), *db, "--layer", "nope"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no layer 'nope'" in err[0]
