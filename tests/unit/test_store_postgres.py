"""PostgreSQL + PostGIS: the same street as SQLite, edits that hold across servers, copies."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely

from mapgov.core.errors import StaleEditError, StoreError
from mapgov.domain.lifecircle import coverage
from mapgov.store import Store, open_store
from mapgov.store.copy import copy_database
from mapgov.store.schema import TABLES


def _same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    if "geometry" in a.columns:
        ours, theirs = (shapely.normalize(f.geometry.to_numpy()) for f in (a, b))
        assert shapely.equals_exact(ours, theirs, 1e-7).all()
        a, b = pd.DataFrame(a).drop(columns="geometry"), pd.DataFrame(b).drop(columns="geometry")
    pd.testing.assert_frame_equal(a, b, check_dtype=False)


def test_the_demo_on_postgresql_is_the_demo_on_sqlite(
    demo_store: Store, pg_work_store: Store
) -> None:
    assert pg_work_store.counts() == demo_store.counts()
    for spec in TABLES:
        _same(demo_store.read(spec.name), pg_work_store.read(spec.name))
    meta = {k: v for k, v in pg_work_store.meta().items() if k != "data_version"}
    assert meta == {k: v for k, v in demo_store.meta().items() if k != "data_version"}


def test_coverage_is_the_same_on_both(demo_store: Store, pg_work_store: Store) -> None:
    limits = coverage.thresholds(coverage.load_profile())
    ours = coverage.coverage_table(demo_store, limits, method="network")
    theirs = coverage.coverage_table(pg_work_store, limits, method="network")
    assert len(ours) > 300
    pd.testing.assert_frame_equal(
        pd.DataFrame(ours).drop(columns="geometry", errors="ignore"),
        pd.DataFrame(theirs).drop(columns="geometry", errors="ignore"),
    )


_OTHER_SERVER = """
import sys
from mapgov.store import open_store
store = open_store(sys.argv[1])
issue = int(sys.argv[2])
version = int(store.read("issue", where={"issue_id": issue})["version"].iloc[0])
store.update_issue(issue, version=version, changes={"responsible_unit": "other"}, events=[])
"""


def test_an_edit_from_another_server_refuses_the_stale_form_and_clears_caches(
    pg_work_store: Store,
) -> None:
    store = pg_work_store
    issue = int(store.read("issue")["issue_id"].iloc[0])
    seen = int(store.read("issue", where={"issue_id": issue})["version"].iloc[0])
    key = store.identity()
    subprocess.run(
        [sys.executable, "-c", _OTHER_SERVER, store.url, str(issue)], check=True, timeout=120
    )
    assert store.identity() != key  # every server's caches see the change
    with pytest.raises(StaleEditError, match="changed by someone else"):
        store.update_issue(issue, version=seen, changes={"responsible_unit": "me"}, events=[])
    row = store.read("issue", where={"issue_id": issue}).iloc[0]
    assert (row["responsible_unit"], row["version"]) == ("other", seen + 1)


def test_copy_round_trips_between_backends(
    demo_store: Store, pg_database: Callable[[str | None], str], tmp_path: Path
) -> None:
    url = pg_database(None)
    counts = copy_database(demo_store, url)
    assert counts == demo_store.counts()
    back = tmp_path / "back.sqlite"
    assert copy_database(open_store(url), back) == counts
    for spec in TABLES:
        if spec.name != "meta":
            _same(demo_store.read(spec.name), open_store(back).read(spec.name))


def test_a_failed_copy_leaves_the_target_as_it_was(demo_store: Store, pg_work_store: Store) -> None:
    before = pg_work_store.counts()
    tables_seen = pg_work_store.data_version()
    with pytest.raises(StoreError, match="compound"):
        copy_database(_Broken(demo_store), pg_work_store.url)  # type: ignore[arg-type]
    assert pg_work_store.counts() == before
    assert pg_work_store.data_version() == tables_seen


class _Broken:
    """A source whose buildings name a compound that does not exist."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def meta(self) -> dict[str, str]:
        return self._store.meta()

    def read(self, name: str) -> pd.DataFrame:
        frame = self._store.read(name)
        if name == "building":
            frame.loc[frame.index[0], "compound_id"] = "nowhere"
        return frame


def _rows_of(info: str) -> str:
    return info.split("[rows]", 1)[1]


def test_the_command_line_gives_the_same_street_on_both_backends(
    pg_database: Callable[[str | None], str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from mapgov.cli import main

    targets = [str(tmp_path / "demo.sqlite"), pg_database(None)]
    infos, tables = [], []
    for i, db in enumerate(targets):
        demo = ["demo", "--db", db, "--seed", "7", "--as-of", "2026-11-15", "--quiet"]
        assert main([*demo, "--password", "Luoyang-demo-2026"]) == 0
        capsys.readouterr()
        assert main(["info", "--db", db]) == 0
        infos.append(_rows_of(capsys.readouterr().out))
        out = tmp_path / f"coverage-{i}.csv"
        assert main(["coverage", "--db", db, "--out", str(out)]) == 0
        tables.append(out.read_bytes())
    assert "issue_event" in infos[0]
    assert infos[0] == infos[1]
    assert len(tables[0]) > 10_000
    assert tables[0] == tables[1]


def test_copy_refuses_to_overwrite_unless_asked(
    demo_db: Path, pg_database: Callable[[str | None], str], capsys: pytest.CaptureFixture[str]
) -> None:
    from mapgov.cli import main

    url = pg_database(None)
    assert main(["copy", str(demo_db), url]) == 0
    assert "issue_event" in capsys.readouterr().out
    assert main(["copy", str(demo_db), url]) != 0
    assert "--replace" in capsys.readouterr().err
    assert main(["copy", str(demo_db), url, "--replace"]) == 0
    assert open_store(url).counts() == open_store(demo_db).counts()


def test_an_import_that_would_break_a_reference_changes_nothing(pg_work_store: Store) -> None:
    store = pg_work_store
    before, version = store.counts(), store.data_version()
    buildings = store.read("building")
    buildings.loc[buildings.index[0], "compound_id"] = "nowhere"
    with pytest.raises(StoreError, match="foreign keys do not hold") as caught:
        store.replace_tables({"building": buildings}, source="test")
    assert caught.value.key == "error.import.broken_refs"
    assert (store.counts(), store.data_version()) == (before, version)


def test_an_import_refuses_to_overwrite_an_edit_saved_after_its_check(
    pg_work_store: Store,
) -> None:
    store = pg_work_store
    seen = store.last_change()
    compound = str(store.read("compound")["compound_id"].iloc[0])
    store.edit(
        [("update", "compound", {"compound_id": compound}, {"name": "改过的小区"})],
        actor="S001-admin",
        at="2026-11-15T10:00:00",
    )
    compounds = store.read("compound")
    with pytest.raises(StaleEditError, match="after this file was checked") as refused:
        store.replace_tables({"compound": compounds}, source="test", since_change=seen)
    assert f"改过的小区 · {compound}" in str(refused.value)  # the name the page shows
    facilities = store.read("facility").iloc[:5]
    store.replace_tables({"facility": facilities}, source="five", since_change=seen)
    assert store.counts()["facility"] == 5
    assert store.meta()["last_import"] == "five"


def test_a_facility_layer_imported_on_the_command_line_is_counted_alike(
    pg_work_store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from mapgov.cli import main

    path = tmp_path / "设施.geojson"
    pg_work_store.read("facility").iloc[:7].to_file(path, driver="GeoJSON")
    assert main(["import", "facility", str(path), "--db", pg_work_store.url]) == 0
    assert "7 facility rows imported into postgresql://" in capsys.readouterr().out
    assert open_store(pg_work_store.url).counts()["facility"] == 7


def test_a_backup_restores_into_postgresql_keeping_the_audit_log(
    pg_work_store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from mapgov.cli import main

    store = pg_work_store
    backup = tmp_path / "backup.zip"
    assert main(["backup", "--db", store.url, str(backup)]) == 0
    before = store.counts()
    compound = str(store.read("compound")["compound_id"].iloc[0])
    store.edit(
        [("update", "compound", {"compound_id": compound}, {"name": "备份后改名"})],
        actor="S001-admin",
        at="2026-11-15T10:00:00",
    )
    who = {"actor": "S001-admin", "subject": "S001-admin"}
    store.append_audit([{"at": "2026-11-15T10:01:00", "kind": "sign_out", **who}])
    audit = store.counts()["audit_log"]
    version = store.data_version()
    capsys.readouterr()
    assert main(["restore", "--db", store.url, str(backup)]) == 0
    after = open_store(store.url)
    assert after.read("compound", where={"compound_id": compound})["name"].iloc[0] != "备份后改名"
    assert after.counts()["change_log"] == before["change_log"]
    assert after.counts()["audit_log"] == audit  # the trail goes on
    assert after.counts()["auth_session"] == 0  # everyone signs in again
    assert after.data_version() > version


def test_a_restore_refuses_when_an_edit_was_saved_after_it_began(
    pg_work_store: Store, tmp_path: Path
) -> None:
    from mapgov.io.importers.load import backup

    store = pg_work_store
    from tests.archives import database_of

    path = database_of(backup(store, tmp_path / "b.zip").path, tmp_path)
    since = store.high_water()
    compound = str(store.read("compound")["compound_id"].iloc[0])
    store.edit(
        [("update", "compound", {"compound_id": compound}, {"name": "恢复时的修改"})],
        actor="S001-admin",
        at="2026-11-15T10:00:00",
    )
    with pytest.raises(StaleEditError, match="nothing was restored"):
        store.restore_from(open_store(path), since=since)
    assert store.read("compound", where={"compound_id": compound})["name"].iloc[0] == "恢复时的修改"


def test_the_nearest_building_is_the_same_when_postgis_finds_it(
    demo_store: Store, pg_work_store: Store
) -> None:
    """The phone page's "find the building from my location": PostGIS's GiST index and
    geography distances pick what the SQLite store's flat measure picks."""
    buildings = demo_store.read("building", columns=["building_id", "geom"])
    rng = np.random.default_rng(20)
    picks = buildings.iloc[rng.choice(len(buildings), size=12, replace=False)]
    points = [g.representative_point() for g in picks.geometry]
    _, _, _, north = buildings.total_bounds
    # inside a building, 25 m north of one (between buildings), and far from all
    tried = [(p.x, p.y) for p in points] + [(p.x, p.y + 25 / 111_000) for p in points]
    tried.append((points[0].x, north + 2_000 / 111_000))
    for lon, lat in tried:
        here = demo_store.nearest("building", lon, lat, reach_m=60, limit=3)
        there = pg_work_store.nearest("building", lon, lat, reach_m=60, limit=3)
        assert list(there.columns) == ["building_id", "metres"]
        assert here["building_id"].head(1).tolist() == there["building_id"].head(1).tolist()
        np.testing.assert_allclose(there["metres"].head(1), here["metres"].head(1), atol=0.5)
    assert demo_store.nearest("building", *tried[-1], reach_m=60).empty
    inside = demo_store.nearest("building", *tried[0], reach_m=60)
    assert inside["building_id"].iloc[0] == picks["building_id"].iloc[0]
    assert inside["metres"].iloc[0] == 0  # a point inside is at no distance
