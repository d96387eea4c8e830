"""The store: round trip, integrity rules, and errors that say what and where."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import LineString, Point, box

from mapgov.core.errors import StoreError
from mapgov.core.model import SCHEMA_VERSION
from mapgov.store import Store, open_store, write_database


def _tiny() -> dict[str, pd.DataFrame]:
    crs = "EPSG:4326"
    street = gpd.GeoDataFrame(
        {"street_id": ["S1"], "name": ["测试街道"]},
        geometry=[box(112.40, 34.66, 112.42, 34.68)],
        crs=crs,
    )
    community = gpd.GeoDataFrame(
        {"community_id": ["S1-C1"], "street_id": ["S1"], "name": ["测试社区"]},
        geometry=[box(112.40, 34.66, 112.42, 34.68)],
        crs=crs,
    )
    grid = gpd.GeoDataFrame(
        {"grid_id": ["S1-C1-G1"], "community_id": ["S1-C1"], "name": ["第1网格"]},
        geometry=[box(112.40, 34.66, 112.42, 34.68)],
        crs=crs,
    )
    compound = gpd.GeoDataFrame(
        {
            "compound_id": ["K1"],
            "grid_id": ["S1-C1-G1"],
            "name": ["幸福小区"],
            "built_year": [1990],
        },
        geometry=[box(112.401, 34.661, 112.405, 34.665)],
        crs=crs,
    )
    building = gpd.GeoDataFrame(
        {
            "building_id": ["K1-01", "K1-02"],
            "compound_id": ["K1", "K1"],
            "name": ["1号楼", "2号楼"],
            "number": [1, 2],
            "floors": [6, 7],
            "units": [3, 2],
            "households": [36, 28],
            "residents": [90, 70],
            "elderly": [20, 15],
            "party_members": [4, 2],
            "building_head": ["张三", None],
            "building_head_phone": ["13800001111", None],
        },
        geometry=[
            box(112.4015, 34.6615, 112.4020, 34.6617),
            box(112.4015, 34.6620, 112.4020, 34.6622),
        ],
        crs=crs,
    )
    road = gpd.GeoDataFrame(
        {"road_id": [1], "kind": ["branch"], "name": ["七一路"]},
        geometry=[LineString([(112.40, 34.66), (112.41, 34.66)])],
        crs=crs,
    )
    issue = pd.DataFrame(
        {
            "issue_id": [1],
            "compound_id": ["K1"],
            "building_id": ["K1-01"],
            "category": ["lighting"],
            "source": ["grid_worker"],
            "level": ["compound"],
            "status": ["reported"],
            "title": ["<b>楼道灯</b>不亮"],
            "reported_at": ["2026-01-02T08:00:00"],
            "lon": [112.4017],
            "lat": [34.6616],
        }
    )
    event = pd.DataFrame(
        {
            "event_id": [1],
            "issue_id": [1],
            "at": ["2026-01-02T08:00:00"],
            "actor": ["王五"],
            "action": ["report"],
            "to_status": ["reported"],
        }
    )
    facility = gpd.GeoDataFrame(
        {"facility_id": ["F1"], "kind": ["clinic"], "name": ["卫生站"]},
        geometry=[Point(112.41, 34.67)],
        crs=crs,
    )
    return {
        "street": street,
        "community": community,
        "grid": grid,
        "compound": compound,
        "building": building,
        "road": road,
        "issue": issue,
        "issue_event": event,
        "facility": facility,
    }


def _target(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    if backend == "sqlite":
        return str(tmp_path / "t.sqlite")
    return str(request.getfixturevalue("pg_database")(None))


@pytest.fixture
def tiny(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Store:
    """The tiny street, on each backend in turn."""
    return open_store(write_database(_target(backend, tmp_path, request), _tiny(), {"seed": "0"}))


@pytest.fixture
def tiny_file(tmp_path: Path) -> Store:
    """The tiny street in a SQLite file."""
    return open_store(write_database(tmp_path / "t.sqlite", _tiny(), {"seed": "0"}))


def test_round_trip_keeps_values_and_geometry(tiny: Store) -> None:
    src = _tiny()
    b = tiny.read("building")
    assert isinstance(b, gpd.GeoDataFrame)
    assert b.crs.to_epsg() == 4326
    assert list(b["building_id"]) == ["K1-01", "K1-02"]
    assert b.loc[1, "building_head"] is None or pd.isna(b.loc[1, "building_head"])
    assert b["households"].tolist() == [36, 28]
    assert (
        b.geometry.normalize()
        .geom_equals_exact(src["building"].geometry.normalize(), tolerance=1e-7)
        .all()
    )
    issue = tiny.read("issue")
    assert issue.loc[0, "title"] == "<b>楼道灯</b>不亮"  # stored as typed; escaped on display
    assert tiny.read("road").geometry.iloc[0].length > 0
    assert tiny.read("facility").geometry.iloc[0].geom_type == "Point"


def test_read_filters_and_rejects_unknown_columns(tiny: Store) -> None:
    assert len(tiny.read("building", where={"building_id": "K1-02"})) == 1
    assert len(tiny.read("building", where={"building_id": ["K1-01", "K1-02"]})) == 2
    assert len(tiny.read("building", where={"building_id": []})) == 0
    with pytest.raises(StoreError, match="no column 'nope'"):
        tiny.read("building", where={"nope": 1})


def test_meta_records_schema_and_data_version(tiny: Store) -> None:
    meta = tiny.meta()
    assert int(meta["schema_version"]) == SCHEMA_VERSION
    assert meta["seed"] == "0"
    v = tiny.data_version()
    with tiny.transaction() as con:
        con.execute("UPDATE building SET floors = 8 WHERE building_id = 'K1-01'")
    assert tiny.data_version() == v + 1
    assert tiny.identity()[1] == v + 1


def test_failed_transaction_changes_nothing(tiny: Store) -> None:
    v = tiny.data_version()
    # two statements: the first succeeds, the second fails, and both must be rolled back
    with pytest.raises(sqlite3.IntegrityError), tiny.transaction() as con:  # noqa: PT012
        con.execute("UPDATE building SET floors = 7 WHERE building_id = 'K1-01'")
        con.execute("UPDATE building SET floors = 500 WHERE building_id = 'K1-02'")
    assert tiny.read("building")["floors"].tolist() == [6, 7]
    assert tiny.data_version() == v


def test_database_file_is_wal(tiny_file: Store) -> None:
    con = sqlite3.connect(tiny_file.path)
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    con.close()


def test_foreign_keys_hold(tiny: Store) -> None:
    with pytest.raises(sqlite3.IntegrityError), tiny.transaction() as con:
        con.execute("UPDATE building SET compound_id = 'nowhere' WHERE building_id = 'K1-01'")


def test_issue_history_is_append_only(tiny: Store) -> None:
    with pytest.raises(sqlite3.IntegrityError, match="append-only"), tiny.transaction() as con:
        con.execute("UPDATE issue_event SET note = 'changed'")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"), tiny.transaction() as con:
        con.execute("DELETE FROM issue_event")
    with tiny.transaction() as con:
        con.execute(
            "INSERT INTO issue_event (issue_id, at, actor, action) "
            "VALUES (1, '2026-01-03T09:00:00', '李四', 'comment')"
        )
    assert len(tiny.read("issue_event")) == 2


def test_bad_frames_are_refused_with_row_and_field(tmp_path: Path) -> None:
    tables = _tiny()
    tables["issue"].loc[0, "status"] = "lost"
    with pytest.raises(StoreError, match=r"issue, row 0, field 'status': 'lost'"):
        write_database(tmp_path / "bad.sqlite", tables, {})
    assert not (tmp_path / "bad.sqlite").exists()
    tables = _tiny()
    tables["building"].loc[1, "floors"] = 300
    with pytest.raises(StoreError, match="floors"):
        write_database(tmp_path / "bad.sqlite", tables, {})
    tables = _tiny()
    tables["building"]["colour"] = "red"
    with pytest.raises(StoreError, match="unknown columns"):
        write_database(tmp_path / "bad.sqlite", tables, {})
    assert not list(tmp_path.iterdir())  # no temporary file left behind


def test_failed_write_keeps_the_previous_database(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    target = write_database(_target(backend, tmp_path, request), _tiny(), {"seed": "1"})
    before = open_store(target).counts()
    tables = _tiny()
    tables["building"].loc[0, "compound_id"] = "nowhere"
    with pytest.raises(StoreError, match=r"(?i)foreign key"):
        write_database(target, tables, {"seed": "2"})
    assert open_store(target).meta()["seed"] == "1"
    assert open_store(target).counts() == before


def test_open_reports_missing_and_foreign_files(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no database at"):
        open_store(tmp_path / "none.sqlite")
    junk = tmp_path / "junk.sqlite"
    junk.write_text("not a database")
    with pytest.raises(StoreError, match="not a mapgov database"):
        open_store(junk)
    with pytest.raises(StoreError, match="cannot reach PostgreSQL at postgresql://me:\\*\\*\\*@"):
        open_store("postgresql://me:secret@127.0.0.1:9/mapgov?connect_timeout=2")


def test_other_schema_version_is_refused(tiny: Store) -> None:
    with tiny.transaction() as con:
        con.execute("UPDATE meta SET value = '999' WHERE key = 'schema_version'")
    with pytest.raises(StoreError, match="schema version 999"):
        open_store(tiny.url)
