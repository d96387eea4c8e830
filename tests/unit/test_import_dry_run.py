"""A dry run runs every check the import runs: each NOT NULL, CHECK and foreign key the store
enforces is checked first, naming row and field, all problems at once; what a dry run passes,
the import lands, and what it refuses, the import refuses alike."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mapgov.cli import main
from mapgov.core.errors import MapgovError
from mapgov.io.importers.plan import LAYER_TABLES, land_layer, plan_layer
from mapgov.store import Store, open_store
from mapgov.store import table as schema_table
from mapgov.store.schema import schema_rules

from .layerfiles import write_layer


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str]]:
    code = main(argv)
    err = capsys.readouterr().err
    return code, sorted(line for line in err.splitlines() if line.startswith("error: "))


def test_dry_run_and_import_refuse_the_same_empty_counts_all_at_once(
    work_store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    frame = work_store.read("building").astype({"units": object, "households": object})
    frame.loc[[2, 4], "units"] = None
    frame.loc[6, "households"] = None
    path = write_layer(frame, tmp_path / "b.geojson")
    digest = _sha(work_store.path)
    argv = ["import", "building", str(path), "--db", str(work_store.path)]
    dry_code, dry = _run([*argv, "--dry-run"], capsys)
    code, real = _run(argv, capsys)
    assert (dry_code, code) == (1, 1)
    assert dry == real
    assert [re.sub(r".*, (row \d+, field '\w+').*", r"\1", line) for line in dry] == [
        "row 3, field 'units'",
        "row 5, field 'units'",
        "row 7, field 'households'",
    ]
    assert _sha(work_store.path) == digest


def test_a_check_on_a_column_the_file_lacks_is_caught(work_store: Store, tmp_path: Path) -> None:
    # residents absent: the store puts 0, and elderly <= residents would fail on landing
    frame = work_store.read("building").drop(columns=["residents"])
    path = write_layer(frame, tmp_path / "b.gpkg")
    plan = plan_layer(work_store, path, "building")
    assert not plan.ready
    assert all(p.field == "elderly" and "residents" in p.message for p in plan.errors)
    assert len(plan.errors) == min(int((frame["elderly"] > 0).sum()), 200)  # 200 listed at most


def test_references_into_and_out_of_the_layer_are_checked(
    work_store: Store, tmp_path: Path
) -> None:
    roads = work_store.read("road")
    roads.loc[0, "compound_id"] = "NOWHERE"
    plan = plan_layer(work_store, write_layer(roads, tmp_path / "r.gpkg"), "road")
    assert [(p.row, p.field) for p in plan.errors] == [(1, "compound_id")]
    # a compound that gates still point at may not go (the hand-kept list forgot gates)
    compounds = work_store.read("compound")
    gated = set(work_store.read("gate")["compound_id"])
    keep = compounds[~compounds["compound_id"].isin(sorted(gated)[:1])]
    plan = plan_layer(work_store, write_layer(keep, tmp_path / "c.gpkg"), "compound")
    assert any("gate" in p.message for p in plan.errors)


def test_every_check_of_the_layer_tables_is_understood() -> None:
    for name in LAYER_TABLES:
        spec = schema_table(name)
        checks = [d for _, d in spec.columns if "CHECK" in d] + [
            c for c in spec.constraints if "CHECK" in c
        ]
        assert len(schema_rules(spec)) >= len(checks), name


COLUMNS = ("floors", "units", "households", "residents", "elderly", "compound_id", "name")
VALUES = (None, "", "0", "-1", "3", "121", "x", "NOWHERE", "1e3")


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    edits=st.lists(
        st.tuples(st.integers(0, 20), st.sampled_from(COLUMNS), st.sampled_from(VALUES)),
        max_size=4,
    )
)
def test_what_a_dry_run_passes_lands_and_what_it_refuses_changes_nothing(
    work_store: Store, tmp_path_factory: pytest.TempPathFactory, edits: list
) -> None:
    frame = work_store.read("building").astype(str)
    for row, column, value in edits:
        frame.loc[row, column] = value
    path = write_layer(
        frame.set_geometry(work_store.read("building").geometry),
        tmp_path_factory.mktemp("dry") / "b.gpkg",
    )
    digest = _sha(work_store.path)
    plan = plan_layer(work_store, path, "building")
    if plan.ready:
        land_layer(work_store, plan)  # must not raise: the dry run said it would land
        assert open_store(work_store.path).counts()["building"] == len(frame)
    else:
        with pytest.raises(MapgovError):
            land_layer(work_store, plan)
        assert _sha(work_store.path) == digest
