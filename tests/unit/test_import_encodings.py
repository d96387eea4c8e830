"""Text encodings of CSV files: every encoding a Chinese office saves in is read as written,
and a file that does not decode cleanly is refused with file, row and field; never mojibake."""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from mapgov.cli import main
from mapgov.core.errors import DataFileError
from mapgov.io.importers import read_layer, read_table
from mapgov.store import Store, open_store

# Realistic names, as a street office or a Taiwanese / Hong Kong / Japanese source writes them.
SIMPLIFIED = [
    "幸福园1号楼", "锦绣华庭", "牡丹苑", "涧西区工人新村", "龙门小区3号院", "建业桂园",
    "洛阳铜加工厂家属院", "阳光水岸", "丽景门小区", "景华路11号院", "凯旋城", "绿城百合",
]  # fmt: skip
TRADITIONAL = [
    "幸福園1號樓", "長樂里", "錦繡華庭", "牡丹苑", "信義社區", "中正路3號", "龍門社區",
    "興隆公園", "萬華區", "陽光水岸", "國宅第五棟", "內湖科技園區",
]  # fmt: skip
JAPANESE = ["桜ヶ丘マンション1号棟", "緑町ハイツ", "ひばりが丘団地", "若葉台", "駅前", "本町"]


def _csv(names: list[str], header: str = "名称") -> str:
    lines = [f"id,{header},x,y"]  # encodable in every encoding tested
    lines += [f"B{i},{n},112.43,34.67" for i, n in enumerate(names, start=1)]
    return "\n".join(lines) + "\n"


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize(
    ("encoding", "names"),
    [
        ("utf-8", SIMPLIFIED),
        ("utf-8-sig", SIMPLIFIED),
        ("gbk", SIMPLIFIED),
        ("gb18030", [*SIMPLIFIED, "䶮园"]),  # 䶮: beyond GBK, four bytes in GB18030
        ("utf-16", SIMPLIFIED),  # with a byte-order mark, as Excel's "Unicode text" saves
        ("utf-16-le", SIMPLIFIED),  # without one
        ("utf-16-be", TRADITIONAL),
        ("big5", TRADITIONAL),
    ],
)
def test_each_encoding_reads_the_names_as_written(
    tmp_path: Path, encoding: str, names: list[str]
) -> None:
    path = tmp_path / "b.csv"
    header = "名稱" if names is TRADITIONAL else "名称"
    path.write_bytes(_csv(names, header).encode(encoding))
    assert list(read_table(path)[header]) == names
    assert list(read_layer(path)[header]) == names


@pytest.mark.parametrize("name", TRADITIONAL)
def test_one_big5_name_alone_is_read_as_big5(tmp_path: Path, name: str) -> None:
    # The shortest files are where GBK and Big5 are hardest to tell apart.
    path = tmp_path / "one.csv"
    path.write_bytes(f"名稱\n{name}\n".encode("big5"))
    assert list(read_table(path)["名稱"]) == [name]


@pytest.mark.parametrize("name", SIMPLIFIED)
def test_one_gbk_name_alone_is_read_as_gbk(tmp_path: Path, name: str) -> None:
    path = tmp_path / "one.csv"
    path.write_bytes(f"名称\n{name}\n".encode("gbk"))
    assert list(read_table(path)["名称"]) == [name]


@pytest.mark.parametrize("names", [JAPANESE, JAPANESE[:1], JAPANESE[3:4]])
def test_shift_jis_is_refused_by_name_never_read_as_gbk(tmp_path: Path, names: list[str]) -> None:
    path = tmp_path / "jp.csv"
    path.write_bytes(_csv(names).encode("shift_jis"))
    with pytest.raises(DataFileError, match="Shift-JIS") as info:
        read_table(path)
    assert str(path) in str(info.value)


def test_a_broken_byte_is_refused_with_row_and_field(tmp_path: Path) -> None:
    # UTF-8 throughout, but one cell pasted from a GBK file
    path = tmp_path / "mixed.csv"
    good = _csv(SIMPLIFIED[:3]).encode("utf-8")
    path.write_bytes(good + b"B4," + "牡丹苑".encode("gbk") + b",112.43,34.67\n")
    with pytest.raises(DataFileError) as info:
        read_table(path)
    assert (info.value.row, info.value.field) == (5, "名称")
    assert "UTF-8" in str(info.value)
    # a GBK file cut in the middle of a character
    path.write_bytes(_csv(SIMPLIFIED[:2]).encode("gbk") + "B3,牡".encode("gbk")[:-1])
    with pytest.raises(DataFileError) as info:
        read_table(path)
    assert (info.value.row, info.value.field) == (4, "名称")


def test_control_characters_are_refused_with_row_and_field(tmp_path: Path) -> None:
    path = tmp_path / "ctl.csv"
    path.write_bytes(_csv(["幸福园", "锦绣\x07华庭"]).encode("gbk"))
    with pytest.raises(DataFileError, match="control") as info:
        read_table(path)
    assert (info.value.row, info.value.field) == (3, "名称")


def test_binary_content_is_still_called_binary(tmp_path: Path) -> None:
    path = tmp_path / "junk.csv"
    path.write_bytes(b"\x00\x01\x02binary\xff\xfe\x00\xd8")
    with pytest.raises(DataFileError, match="binary"):
        read_table(path)


def test_gbk_bytes_that_pair_into_utf8_are_still_gbk(tmp_path: Path) -> None:
    """绿城百合 in GBK holds C7 B0, D9 BA and CC B3: valid two-byte UTF-8 (found by the
    property test below); the file is GBK, not damaged UTF-8."""
    path = tmp_path / "b.csv"
    path.write_bytes(_csv(["绿城百合"] * 3, header="名").encode("gbk"))
    assert list(read_table(path)["名"]) == ["绿城百合"] * 3


@settings(max_examples=80, deadline=None)
@given(
    names=st.one_of(
        st.tuples(st.just("big5"), st.lists(st.sampled_from(TRADITIONAL), min_size=1, max_size=4)),
        st.tuples(st.just("gbk"), st.lists(st.sampled_from(SIMPLIFIED), min_size=1, max_size=4)),
        st.tuples(
            st.just("shift_jis"), st.lists(st.sampled_from(JAPANESE), min_size=1, max_size=4)
        ),
    )
)
def test_never_mojibake(tmp_path_factory: pytest.TempPathFactory, names: tuple) -> None:
    encoding, rows = names
    path = tmp_path_factory.mktemp("enc") / "x.csv"
    path.write_bytes(_csv(rows, header="名").encode(encoding))
    try:
        read = list(read_table(path)["名"])
    except DataFileError:
        assert encoding == "shift_jis"
        return
    assert read == rows


def _facilities(names: list[str]) -> str:
    lines = ["id,kind,name,x,y"]
    lines += [f"F{i},clinic,{n},112.43,34.67" for i, n in enumerate(names, start=1)]
    return "\n".join(lines) + "\n"


def test_cli_lands_big5_as_written_and_refuses_shift_jis_untouched(
    work_store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(work_store.path)
    big5 = tmp_path / "tw.csv"
    big5.write_bytes(_facilities(["長樂里衛生站", "信義社區診所"]).encode("big5"))
    args = ["--db", db, "--crs", "EPSG:4326"]
    assert main(["import", "facility", str(big5), *args]) == 0
    assert list(open_store(work_store.path).read("facility")["name"]) == [
        "長樂里衛生站",
        "信義社區診所",
    ]
    digest = _sha(work_store.path)
    jp = tmp_path / "jp.csv"
    jp.write_bytes(_facilities(["桜ヶ丘診療所"]).encode("shift_jis"))
    capsys.readouterr()
    assert main(["import", "facility", str(jp), *args]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "Shift-JIS" in err[0] and str(jp) in err[0]
    assert _sha(work_store.path) == digest


# -- Shapefiles whose attribute table names no encoding ------------------------------------
def _shapefile(
    tmp_path: Path, names: list[str], encoding: str, *, cpg: bool = False, header: str = "名称"
) -> Path:
    """A zipped Shapefile of facilities written in `encoding`, as desktop GIS leaves it: no
    ``.cpg`` (unless `cpg`) and no language-driver byte in the .dbf header."""
    frame = gpd.GeoDataFrame(
        {"id": [f"F{i}" for i in range(len(names))], "kind": "clinic", header: names},
        geometry=[shapely.Point(112.43 + i / 1000, 34.67) for i in range(len(names))],
        crs="EPSG:4326",
    )
    folder = tmp_path / f"shp-{encoding}"
    folder.mkdir()
    pyogrio.write_dataframe(frame, folder / "设施.shp", encoding=encoding)
    dbf = folder / "设施.dbf"
    dbf.write_bytes(dbf.read_bytes()[:29] + b"\x00" + dbf.read_bytes()[30:])
    if not cpg:
        (folder / "设施.cpg").unlink()
    path = tmp_path / f"{encoding}.zip"
    with zipfile.ZipFile(path, "w") as z:
        for f in folder.iterdir():
            z.write(f, f.name)
    return path


@pytest.mark.parametrize(
    ("encoding", "names"), [("GBK", SIMPLIFIED), ("BIG5", TRADITIONAL), ("UTF-8", SIMPLIFIED)]
)
def test_a_shapefile_without_cpg_is_read_as_written(
    tmp_path: Path, encoding: str, names: list[str]
) -> None:
    header = "名稱" if names is TRADITIONAL else "名称"
    frame = read_layer(_shapefile(tmp_path, names, encoding, header=header))
    assert header in frame.columns  # the field name too, not Ãû³Æ
    assert list(frame[header]) == names


def test_a_shapefile_with_cpg_is_read_as_its_cpg_says(tmp_path: Path) -> None:
    frame = read_layer(_shapefile(tmp_path, SIMPLIFIED, "GBK", cpg=True))
    assert list(frame["名称"]) == SIMPLIFIED


def test_a_japanese_shapefile_is_refused_and_changes_nothing(
    work_store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _shapefile(tmp_path, ["桜ヶ丘診療所", "緑町クリニック"], "SHIFT_JIS", header="名前")
    digest = _sha(work_store.path)
    args = ["--db", str(work_store.path)]
    assert main(["import", "facility", str(path), *args]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "Shift-JIS" in err[0] and str(path) in err[0]
    assert _sha(work_store.path) == digest


def test_cli_lands_a_gbk_shapefile_without_cpg_as_written(
    work_store: Store, tmp_path: Path
) -> None:
    names = ["王城苑卫生站", "金谷社区卫生服务站"]
    path = _shapefile(tmp_path, names, "GBK")
    assert main(["import", "facility", str(path), "--db", str(work_store.path)]) == 0
    assert list(open_store(work_store.path).read("facility")["name"]) == names
