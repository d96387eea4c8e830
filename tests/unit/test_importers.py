"""Importers: every format and encoding, CRS and GCJ-02, validation naming file/row/field, and
all-or-nothing landing (the database is byte for byte what it was after any refusal)."""

from __future__ import annotations

import hashlib
import re
import shutil
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import Point, Polygon, box

from mapgov.cli import main
from mapgov.core.errors import DataFileError, StoreError, ValidationError
from mapgov.core.i18n import error_text, shown, t
from mapgov.io.importers import (
    apply_mapping,
    backup,
    bd09_to_wgs84,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    guess_mapping,
    import_layers,
    prepare_layer,
    read_layer,
    restore,
    wgs84_to_gcj02,
)
from mapgov.io.importers.validate import geos_reason
from mapgov.store import Store, open_store

from .layerfiles import write_layer

LUOYANG = (112.43, 34.67)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def store(demo_db: Path, tmp_path: Path) -> Store:
    shutil.copy(demo_db, tmp_path / "w.sqlite")
    return open_store(tmp_path / "w.sqlite")


def _facility_csv(rows: list[tuple[str, str, str, float, float]]) -> str:
    lines = ["编号,设施类型,名称,经度,纬度"]
    lines += [f"{a},{b},{c},{x},{y}" for a, b, c, x, y in rows]
    return "\n".join(lines) + "\n"


ROWS = [
    ("F1", "clinic", "卫生站", 112.43, 34.67),
    ("F2", "幸福食堂/助餐点", "幸福食堂", 112.431, 34.671),
]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_csv_in_every_chinese_encoding(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "fac.csv"
    path.write_bytes(_facility_csv(ROWS).encode(encoding))
    frame = read_layer(path)
    mapping = guess_mapping(list(frame.columns), "facility")
    assert mapping == {"facility_id": "编号", "kind": "设施类型", "name": "名称"}
    layer, problems = prepare_layer(
        apply_mapping(frame, mapping, "facility"),
        "facility",
        path=path,
        crs="EPSG:4326",
        first_row=2,
    )
    assert problems == []
    assert list(layer["kind"]) == ["clinic", "canteen"]  # the Chinese label is understood
    assert list(layer["name"]) == ["卫生站", "幸福食堂"]


def _buildings() -> gpd.GeoDataFrame:
    x, y = LUOYANG
    return gpd.GeoDataFrame(
        {
            "楼栋编号": ["B1", "B2"],
            "小区编号": ["K1", "K1"],
            "楼号": ["1号楼", "2号楼"],
            "层数": ["6", "18"],
            "户数": ["36", "72"],
            "人口": ["90", "190"],
        },
        geometry=[box(x, y, x + 0.0004, y + 0.0002), box(x, y + 0.0005, x + 0.0003, y + 0.0008)],
        crs="EPSG:4326",
    )


@pytest.mark.parametrize("suffix", [".geojson", ".gpkg", ".zip", ".parquet"])
def test_every_layer_format_reads_the_same(tmp_path: Path, suffix: str) -> None:
    src = _buildings()
    path = tmp_path / f"b{suffix}"
    # Chinese shapefiles: GBK + .cpg
    write_layer(src, path, **({"encoding": "GBK"} if suffix == ".zip" else {}))
    frame = read_layer(path)
    mapping = guess_mapping(list(frame.columns), "building")
    layer, problems = prepare_layer(
        apply_mapping(frame, mapping, "building"), "building", path=path
    )
    assert [p for p in problems if p.severity == "error"] == []
    assert list(layer["building_id"]) == ["B1", "B2"]
    assert list(layer["floors"]) == [6, 18]
    assert layer.crs.to_epsg() == 4326


def test_projected_layers_are_reprojected_and_missing_crs_refused(tmp_path: Path) -> None:
    src = _buildings().to_crs("EPSG:4547")  # CGCS2000 / 3-degree Gauss-Kruger CM 114E
    path = tmp_path / "b.gpkg"
    src.to_file(path)
    layer, _ = prepare_layer(
        apply_mapping(read_layer(path), guess_mapping(list(src.columns), "building"), "building"),
        "building",
        path=path,
    )
    assert np.allclose(layer.geometry.iloc[0].bounds[:2], LUOYANG, atol=1e-6)
    csv = tmp_path / "nocrs.csv"
    csv.write_text(_facility_csv(ROWS), encoding="utf-8")
    frame = apply_mapping(
        read_layer(csv), {"facility_id": "编号", "kind": "设施类型", "name": "名称"}, "facility"
    )
    layer, problems = prepare_layer(frame, "facility", path=csv)
    assert layer is None
    assert "coordinate system" in str(problems[0]) and "nocrs.csv" in str(problems[0])


def test_a_stray_point_is_refused_on_its_row_and_the_other_rows_are_checked(
    tmp_path: Path,
) -> None:
    """One point typed as 200, 95 among longitude/latitude: the audit was told the whole file
    looked like metres, and not of the row with an unknown kind. Each row says its own."""
    path = tmp_path / "fac.csv"
    rows = [*ROWS, ("F3", "cafe", "咖啡馆", 112.432, 34.672), ("F4", "clinic", "站", 200, 95)]
    path.write_text(_facility_csv(rows), encoding="utf-8")
    frame = apply_mapping(
        read_layer(path), guess_mapping(["编号", "设施类型", "名称"], "facility"), "facility"
    )
    _, problems = prepare_layer(frame, "facility", path=path, crs="EPSG:4326", first_row=2)
    by_row = {p.row: p for p in problems}
    assert set(by_row) == {4, 5}  # the header is row 1
    assert by_row[5].field == "geometry" and "x 200, y 95" in by_row[5].message
    assert shown(by_row[5].message, "zh").startswith("坐标超出经纬度范围（x 200，y 95）")
    assert by_row[4].field == "kind"


def test_swapped_and_foreign_coordinates_are_caught(tmp_path: Path) -> None:
    path = tmp_path / "fac.csv"
    swapped = [(a, b, c, y, x) for a, b, c, x, y in ROWS]
    path.write_text(_facility_csv(swapped), encoding="utf-8")
    frame = apply_mapping(
        read_layer(path), guess_mapping(["编号", "设施类型", "名称"], "facility"), "facility"
    )
    _, problems = prepare_layer(frame, "facility", path=path, crs="EPSG:4326", first_row=2)
    assert any("swapped" in p.message for p in problems)
    paris = [("F1", "clinic", "x", 2.35, 48.85), ("F2", "clinic", "y", 112.43, 34.67)]
    path.write_text(_facility_csv(paris), encoding="utf-8")
    frame = apply_mapping(
        read_layer(path), guess_mapping(["编号", "设施类型", "名称"], "facility"), "facility"
    )
    _, problems = prepare_layer(frame, "facility", path=path, crs="EPSG:4326", first_row=2)
    assert problems == []  # places anywhere are accepted, as `import osm` accepts them
    _, problems = prepare_layer(
        frame, "facility", path=path, crs="EPSG:4326", shift="gcj02", first_row=2
    )
    assert [p.message.split(" (")[0] for p in problems] == [
        "--shift gcj02 undoes an offset that Chinese map providers apply only inside China, "
        "and 1 coordinate(s) lie outside China"
    ]


def test_gcj02_and_bd09_are_undone(tmp_path: Path) -> None:
    lon = np.array([112.43, 116.39, 121.47])
    lat = np.array([34.67, 39.91, 31.23])
    g = wgs84_to_gcj02(lon, lat)
    shift_m = np.hypot(g[0] - lon, g[1] - lat) * 111_000
    assert (shift_m > 100).all()  # the offset is hundreds of metres
    back = gcj02_to_wgs84(*g)
    assert np.abs(back[0] - lon).max() < 1e-7 and np.abs(back[1] - lat).max() < 1e-7
    b = gcj02_to_bd09(*g)
    back = bd09_to_wgs84(*b)
    assert np.abs(back[0] - lon).max() < 1e-6 and np.abs(back[1] - lat).max() < 1e-6
    # a layer digitised on Gaode maps lands on the WGS 84 spot
    path = tmp_path / "g.csv"
    gx, gy = wgs84_to_gcj02(np.array([112.43]), np.array([34.67]))
    path.write_text(_facility_csv([("F1", "clinic", "站", gx[0], gy[0])]), encoding="utf-8")
    frame = apply_mapping(
        read_layer(path), {"facility_id": "编号", "kind": "设施类型", "name": "名称"}, "facility"
    )
    layer, _ = prepare_layer(frame, "facility", path=path, crs="EPSG:4326", shift="gcj02")
    pt = layer.geometry.iloc[0]
    assert abs(pt.x - 112.43) < 1e-7 and abs(pt.y - 34.67) < 1e-7


def test_values_are_checked_with_row_and_field(tmp_path: Path) -> None:
    path = tmp_path / "b.geojson"
    src = _buildings()
    src.loc[0, "层数"] = "300"
    src.loc[1, "户数"] = "-5"
    src.loc[1, "楼栋编号"] = "B1"
    src.to_file(path)
    frame = apply_mapping(
        read_layer(path), guess_mapping(list(src.columns), "building"), "building"
    )
    _, problems = prepare_layer(frame, "building", path=path)
    text = [str(p) for p in problems]
    assert f"{path}, row 1, field 'floors': 300 floors is not plausible (1-120)" in text
    assert f"{path}, row 2, field 'households': is negative (-5)" in text
    assert f"{path}, row 2, field 'building_id': duplicate id 'B1'" in text


def test_invalid_geometry_is_repaired_or_refused(tmp_path: Path) -> None:
    x, y = LUOYANG
    d = 0.0003
    spike = Polygon([(x, y), (x + d, y), (x + d, y), (x + d, y + d), (x, y + d), (x, y)])
    bowtie = Polygon([(x, y), (x + d, y + d), (x + d, y), (x, y + d), (x, y)])
    ring = Polygon(
        [
            (x, y),
            (x + d, y),
            (x + d, y + d),
            (x + d / 2, y + d / 2),
            (x + d, y + d + 1e-9),
            (x, y + d),
        ]
    )
    frame = gpd.GeoDataFrame(
        {
            "building_id": ["a", "b", "c"],
            "compound_id": ["K"] * 3,
            "name": ["1", "2", "3"],
            "floors": ["5"] * 3,
        },
        geometry=[spike, bowtie, ring],
        crs="EPSG:4326",
    )
    layer, problems = prepare_layer(frame, "building", path=tmp_path / "x.gpkg")
    by_row = {p.row: p for p in problems}
    assert 2 in by_row and by_row[2].severity == "error" and "cannot be repaired" in str(by_row[2])
    assert all(p.severity == "repaired" for r, p in by_row.items() if r != 2)
    assert layer.geometry.iloc[0].is_valid
    # GEOS's reason: English as GEOS says it on the command line, in Chinese on the data page
    bowtie_says = shapely.is_valid_reason(bowtie)
    assert bowtie_says.startswith("Self-intersection[")
    assert f"({bowtie_says})" in str(by_row[2].message)
    at = bowtie_says.removeprefix("Self-intersection")
    zh = shown(by_row[2].message, "zh")
    assert zh == t("import_problem.invalid", "zh", reason=f"边界自相交，位置 {at}"), zh
    assert not re.search(r"[A-Za-z]", zh), zh


@pytest.mark.parametrize(
    ("wkt", "zh"),
    [
        ("POLYGON((0 0,2 2,2 0,0 2,0 0))", "边界自相交"),
        ("POLYGON((0 0,4 0,4 4,0 4,0 0),(5 5,6 5,6 6,5 6,5 5))", "内洞在外边界之外"),
        (
            "POLYGON((0 0,9 0,9 9,0 9,0 0),(1 1,8 1,8 8,1 8,1 1),(2 2,3 2,3 3,2 3,2 2))",
            "内洞相互嵌套",
        ),
        ("MULTIPOLYGON(((0 0,4 0,4 4,0 4,0 0)),((1 1,2 1,2 2,1 2,1 1)))", "多个面相互嵌套"),
        ("POLYGON((0 0,4 0,4 4,0 4,0 0),(0 2,2 0,4 2,2 4,0 2))", "内部被分割成不相连的几块"),
        ("POLYGON((0 0,1 1,0 0))", "顶点太少"),
    ],
)
def test_geos_reasons_are_said_in_chinese_at_their_place(wkt: str, zh: str) -> None:
    """Each reason GEOS gives reads in Chinese, with the coordinate it names; its English
    text is GEOS's own."""
    says = shapely.is_valid_reason(shapely.from_wkt(wkt))
    reason = geos_reason(says)
    assert str(reason) == says
    shown_zh = shown(reason, "zh")
    assert shown_zh.startswith(zh) and shown_zh.endswith(says[says.index("[") :]), shown_zh
    assert not re.search(r"[A-Za-z]", shown_zh), shown_zh


def test_every_geos_reason_has_words_and_an_unknown_one_stays_english() -> None:
    for what in ("Ring Self-intersection", "Duplicate Rings", "Invalid Coordinate",
                 "Ring is not closed", "Too few distinct points in geometry component",
                 "Repeated Point", "Topology Validation Error"):  # fmt: skip
        reason = geos_reason(f"{what}[113.45 34.62]")
        assert str(reason) == f"{what}[113.45 34.62]"
        assert not re.search(r"[A-Za-z]", shown(reason, "zh")), what
    for said in ("A reason of a newer GEOS[1 2]", "Self-intersection", "Valid Geometry"):
        assert geos_reason(said) == said and shown(geos_reason(said), "zh") == said


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.geojson", b"", "empty"),
        ("trunc.geojson", b'{"type": "FeatureCollection", "features": [{"type": "Fea', "cannot"),
        ("junk.gpkg", bytes(range(256)) * 8, "not a readable GPKG layer"),
        ("junk.zip", b"PK\x03\x04 not really a zip", "not a zip"),
        ("junk.csv", b"\x00\x01\x02binary", "binary"),
        ("nogeom.csv", "名称,户数\n甲,3\n".encode(), "no geometry"),
        (
            "badnum.csv",
            "编号,设施类型,名称,经度,纬度\nF1,clinic,站,东经,34.6\n".encode(),
            "row 2, field '经度': not a number",
        ),
        ("junk.xlsx", b"not a spreadsheet", "not an Excel"),
        ("x.doc", b"hello", "unknown kind of file"),
    ],
)
def test_malformed_files_say_what_and_where(
    tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(DataFileError, match=message) as info:
        read_layer(path)
    assert str(path) in str(info.value)


def test_a_huge_claim_in_a_small_file_is_refused(tmp_path: Path) -> None:
    # A zip whose directory claims a 1 GB member but holds a few bytes.
    path = tmp_path / "claim.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("b.shp", b"\x00" * 100)
    data = bytearray(path.read_bytes())
    idx = data.rfind(b"PK\x01\x02")
    data[idx + 24 : idx + 28] = (2**30).to_bytes(4, "little")  # uncompressed size
    path.write_bytes(bytes(data))
    with pytest.raises(DataFileError, match=r"claim\.zip"):
        read_layer(path)


def test_import_lands_whole_and_changes_the_figures(store: Store, tmp_path: Path) -> None:
    before = store.counts()
    x, y = store.read("facility").geometry.iloc[0].coords[0]
    fac = gpd.GeoDataFrame(
        {"facility_id": ["N1", "N2"], "kind": ["clinic", "market"], "name": ["新卫生站", "新市场"]},
        geometry=[Point(x, y), Point(x + 0.001, y)],
        crs="EPSG:4326",
    )
    new = import_layers(store, {"facility": fac}, source="test")
    assert new.counts()["facility"] == 2
    assert new.counts()["issue"] == before["issue"]  # everything else kept
    assert new.meta()["last_import"] == "test"
    assert new.data_version() > store.data_version() or new.data_version() >= 2


def test_refused_import_leaves_the_database_byte_for_byte(store: Store) -> None:
    digest = _sha(store.path)
    b = store.read("building").iloc[:3].copy()
    b["compound_id"] = "NOWHERE"  # breaks a reference: issues and zones point at buildings
    with pytest.raises(StoreError, match="foreign keys do not hold") as refused:
        import_layers(store, {"building": b})
    assert _sha(store.path) == digest
    said = error_text(refused.value, "zh")  # which records, naming what they lack
    assert "条楼栋记录指向不存在的小区" in said, said
    assert f"{b['building_id'].iloc[0]} → NOWHERE" in said


def test_export_backup_and_restore(store: Store, tmp_path: Path) -> None:
    gpkg = tmp_path / "c.gpkg"
    assert main(["export", "compound", str(gpkg), "--db", str(store.path)]) == 0
    assert len(gpd.read_file(gpkg)) == store.counts()["compound"]
    xlsx = tmp_path / "i.xlsx"
    assert main(["export", "issue", str(xlsx), "--db", str(store.path)]) == 0
    assert len(pd.read_excel(xlsx)) == store.counts()["issue"]
    copy = backup(store, tmp_path / "backup.zip").path
    digest = _sha(copy)
    with store.transaction() as con:
        con.execute("DELETE FROM co_project")
    assert store.counts()["co_project"] == 0
    restore(copy, store.path)
    assert open_store(store.path).counts()["co_project"] > 0
    junk = tmp_path / "junk.sqlite"
    junk.write_text("nope")
    with pytest.raises(DataFileError, match="not a mapgov backup"):
        restore(junk, store.path)
    assert _sha(copy) == digest


TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=st.lists(st.tuples(TEXT, TEXT, TEXT, TEXT, TEXT), max_size=6),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "gb18030"]),
)
def test_fuzzed_tables_never_crash_and_never_land_partly(
    tmp_path: Path, store: Store, rows: list[tuple[str, ...]], encoding: str
) -> None:
    digest = _sha(store.path)
    path = tmp_path / "fuzz.csv"
    body = "编号,设施类型,名称,经度,纬度\n" + "\n".join(",".join(r) for r in rows)
    try:
        path.write_bytes(body.encode(encoding))
    except UnicodeEncodeError:
        return
    refusal = ""
    try:
        frame = read_layer(path)
        layer, problems = prepare_layer(
            apply_mapping(frame, guess_mapping(list(frame.columns), "facility"), "facility"),
            "facility",
            path=path,
            crs="EPSG:4326",
            first_row=2,
        )
        if layer is not None and not [p for p in problems if p.severity == "error"]:
            import_layers(store, {"facility": layer})
            return  # a clean file may land; that is not a partial import
    except (DataFileError, StoreError, ValidationError) as err:
        refusal = str(err)
    assert refusal == "" or str(path) in refusal or "database" in refusal or "column" in refusal
    assert _sha(store.path) == digest


def test_cli_import_export_backup_restore(
    store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from mapgov.cli import main

    db = str(store.path)
    out = tmp_path / "fac.geojson"
    assert main(["export", "facility", str(out), "--db", db]) == 0
    bad = tmp_path / "bad.csv"
    bad.write_bytes(
        "编号,设施类型,名称,经度,纬度\nF1,clinic,站,112.43,34.67\nF1,spa,站,112.4,34.6\n".encode(
            "gbk"
        )
    )
    digest = _sha(store.path)
    assert main(["import", "facility", str(bad), "--db", db, "--crs", "EPSG:4326"]) == 1
    err = capsys.readouterr().err
    assert f"{bad}, row 3, field 'kind': unknown kind 'spa'" in err
    assert "nothing was imported" in err
    assert _sha(store.path) == digest
    good = tmp_path / "good.csv"
    good.write_bytes("编号,设施类型,名称,经度,纬度\nF1,卫生服务站,站,112.43,34.67\n".encode("gbk"))
    assert (
        main(
            [
                "import",
                "facility",
                str(good),
                "--db",
                db,
                "--crs",
                "EPSG:4326",
                "--map",
                "kind=设施类型",
            ]
        )
        == 0
    )
    assert open_store(store.path).read("facility")["kind"].tolist() == ["clinic"]
    capsys.readouterr()
    assert main(["import", "facility", str(out), "--db", db]) == 0
    assert open_store(store.path).counts()["facility"] == len(gpd.read_file(out))
    copy = tmp_path / "b.zip"
    assert main(["backup", str(copy), "--db", db]) == 0
    assert main(["restore", str(copy), "--db", db]) == 0
    assert main(["export", "nope", str(tmp_path / "x.csv"), "--db", db]) == 1


def test_a_cut_off_layer_file_is_said_plainly_without_the_servers_folder(tmp_path: Path) -> None:
    """The audit's truncated GeoJSON showed GDAL's English with the upload's temporary path
    and its advice to prefix a driver: the page says, in its language, what is wrong."""
    cut = tmp_path / "mapgov-upload-x" / "街道.geojson"
    cut.parent.mkdir()
    cut.write_text('{"type": "Feat', encoding="utf-8")
    with pytest.raises(DataFileError) as err:
        read_layer(cut)
    for lang in ("zh", "en"):
        said = error_text(err.value, lang)
        assert t("import_problem.not_a_layer", lang, kind="GEOJSON") in said
        assert str(cut.parent) not in said and "DRIVER" not in said
