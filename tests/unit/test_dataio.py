"""The data page's logic: rights, exports with personal data masked, backups, mappings."""

from __future__ import annotations

import io
import json
import re
import sqlite3
from pathlib import Path

import geopandas as gpd
import openpyxl
import pandas as pd
import pytest

from mapgov.cli import main
from mapgov.core.errors import DataFileError, PermissionDeniedError, ValidationError
from mapgov.core.i18n import error_text, field_label, label
from mapgov.core.model import IssueStatus, Role
from mapgov.core.privacy import mask_phone
from mapgov.domain import issues
from mapgov.domain import issues_workflow as workflow
from mapgov.domain.users import User
from mapgov.io.exports import frame_bytes
from mapgov.io.importers import restore
from mapgov.io.importers.read import read_layer, read_table
from mapgov.store import Store, open_store
from mapgov.store import table as schema_table
from mapgov.views import data as dataio
from tests.archives import database_of
from tests.handdrawn import build_two_streets

ADMIN = User("u-admin", "管理员", Role.ADMIN, "S001")
STAFF = User("u-staff", "孙荣", Role.STAFF, "S001", "S001-C1")


def test_only_administrators_manage_data(work_store: Store) -> None:
    assert dataio.can_manage(ADMIN, work_store)  # the database holds their street only
    for user in (STAFF, User("l", "郭书记", Role.LEADER, "S001"), None):
        assert not dataio.can_manage(user, work_store)
        with pytest.raises(PermissionDeniedError):
            dataio.backup_bytes(work_store, user)


def test_a_street_administrator_does_not_manage_a_database_of_other_streets(
    tmp_path: Path,
) -> None:
    """A backup holds every street's residents unmasked, a restore or an import changes them:
    an administrator of one street of several may do neither, one of every street may."""
    store = open_store(build_two_streets(tmp_path / "two.sqlite"))
    street_admin = User("a1", "街道管理员", Role.ADMIN, "S1")
    assert not dataio.can_manage(street_admin, store)
    with pytest.raises(PermissionDeniedError) as refused:
        dataio.backup_bytes(store, street_admin)
    assert "其他街道" in error_text(refused.value, "zh")
    with pytest.raises(PermissionDeniedError):
        dataio.restore_upload(io.BytesIO(b"anything"), store.path, street_admin)  # type: ignore[arg-type]
    system_admin = User("a0", "系统管理员", Role.ADMIN)
    assert dataio.can_manage(system_admin, store)
    assert dataio.backup_bytes(store, system_admin)[:4] == b"PK\x03\x04"  # a zip


def test_exports_mask_residents_in_every_format(work_store: Store, tmp_path: Path) -> None:
    issues = work_store.read("issue")
    named = issues[issues["reporter_phone"].notna()].iloc[0]
    xlsx = pd.read_excel(io.BytesIO(dataio.export_bytes(work_store, "issue", ".xlsx")), dtype=str)
    row = xlsx[xlsx["issue_id"] == str(named["issue_id"])].iloc[0]
    assert (
        row["reporter_phone"] == named["reporter_phone"][:3] + "****" + named["reporter_phone"][-4:]
    )
    assert row["reporter_name"][0] == named["reporter_name"][0]
    assert set(row["reporter_name"][1:]) == {"*"}
    csv = dataio.export_bytes(work_store, "issue", ".csv").decode("utf-8-sig")
    assert named["reporter_phone"] not in csv and len(csv.splitlines()) == len(issues) + 1
    members = work_store.read("party_member")
    gpkg = tmp_path / "b.gpkg"
    gpkg.write_bytes(dataio.export_bytes(work_store, "building", ".gpkg"))
    buildings = gpd.read_file(gpkg)
    assert len(buildings) == work_store.counts()["building"]
    phones = buildings["building_head_phone"].dropna()
    assert len(phones) and phones.str.contains(r"\*\*\*\*").all()
    geo = json.loads(dataio.export_bytes(work_store, "compound", ".geojson"))
    assert len(geo["features"]) == work_store.counts()["compound"]
    exported = pd.read_csv(
        io.BytesIO(dataio.export_bytes(work_store, "party_member", ".csv")), dtype=str
    )
    assert not set(members["name"]) & set(exported["name"])


def test_a_spreadsheet_names_its_columns_in_the_pages_language(work_store: Store) -> None:
    """The data page's Excel and CSV of every table head each column with words of the
    page's language (no ``party_group_id`` on the Chinese page), two columns never alike, and
    say coded values and flags in words (已销号, Yes); the map formats keep the codes GIS
    software reads."""
    for table in dataio.EXPORT_TABLES:
        spec = schema_table(table)
        assert set(spec.coded) == set(spec.enums), table  # every code has its words
        columns = [c for c in spec.column_names if c != "geom"]
        for lang in ("zh", "en"):
            headers = [field_label(c, lang) for c in columns]
            assert len(set(headers)) == len(headers), (table, lang, headers)
            unlabelled = [c for c, h in zip(columns, headers, strict=True) if h == c]
            assert unlabelled == [], (table, lang)
        assert all(re.search(r"[\u4e00-\u9fff]", field_label(c, "zh")) for c in columns), table
    xlsx = pd.read_excel(io.BytesIO(dataio.export_bytes(work_store, "building", ".xlsx", "zh")))
    assert {"楼栋编号", "户数", "楼栋党小组编号"} <= set(xlsx.columns)
    assert "geometry" not in xlsx.columns and "几何图形" not in xlsx.columns
    csv = dataio.export_bytes(work_store, "party_member", ".csv", "en").decode("utf-8-sig")
    assert csv.splitlines()[0].startswith("Member id,")
    members = pd.read_csv(io.StringIO(csv), dtype=str)
    assert set(members["In service"]) == {"Yes", "No"}  # a flag, not 0 / 1
    issues = pd.read_excel(io.BytesIO(dataio.export_bytes(work_store, "issue", ".xlsx", "zh")))
    stored = work_store.read("issue", columns=["status"])["status"]
    shown = {label(s) for s in IssueStatus if s.value in set(stored)}
    assert set(issues["状态"]) == shown and "closed" not in set(issues["状态"])
    geo = json.loads(dataio.export_bytes(work_store, "compound", ".geojson", "zh"))
    assert "compound_id" in geo["features"][0]["properties"]  # codes, for GIS


def test_exports_refuse_what_cannot_be(work_store: Store) -> None:
    with pytest.raises(ValidationError):
        dataio.export_bytes(work_store, "app_user", ".csv")  # passwords and roles stay inside
    with pytest.raises(ValidationError):
        dataio.export_bytes(work_store, "issue_event", ".gpkg")  # no geometry
    with pytest.raises(ValidationError, match="export format"):
        dataio.export_bytes(work_store, "issue", ".pdf")


def test_a_table_longer_than_an_excel_sheet_is_refused_before_it_is_read() -> None:
    """A city's issue history can pass Excel's 1,048,576 rows: the page says so and offers
    CSV instead of failing while it writes."""
    dataio.check_export("issue_event", ".xlsx", dataio.EXCEL_ROWS)
    dataio.check_export("issue_event", ".csv", dataio.EXCEL_ROWS + 1)
    with pytest.raises(ValidationError) as refused:
        dataio.check_export("issue_event", ".xlsx", dataio.EXCEL_ROWS + 1)
    assert error_text(refused.value, "en") == (
        "issue steps has 1,048,576 rows, more than an Excel sheet holds (1,048,575): "
        "export it as CSV."
    )
    assert "1,048,576" in error_text(refused.value, "zh")
    for table, suffix in (("issue", ".docx"), ("issue_event", ".geojson"), ("nope", ".csv")):
        with pytest.raises(ValidationError):
            dataio.check_export(table, suffix)


def test_a_backup_is_one_whole_database(work_store: Store, tmp_path: Path) -> None:
    payload = dataio.backup_bytes(work_store, ADMIN)
    copy = database_of(payload, tmp_path, "copy.sqlite")
    assert dataio.backup_file_name("2026-11-15").endswith(".zip")
    assert sqlite3.connect(copy).execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert open_store(copy).counts() == work_store.counts()


def test_mappings_are_remembered_per_database_and_table(work_store: Store) -> None:
    assert dataio.remembered_mapping(work_store, "figures", ["户数"]) is None
    path = dataio.remember_mapping(work_store, "figures", {"households": "户数", "residents": "人"})
    assert path.parent == Path(work_store.path).parent
    assert dataio.remembered_mapping(work_store, "figures", ["户数", "人"]) == {
        "households": "户数", "residents": "人",
    }  # fmt: skip
    # a new file without one of the columns: only what still fits is offered
    assert dataio.remembered_mapping(work_store, "figures", ["户数"]) == {"households": "户数"}
    assert dataio.remembered_mapping(work_store, "ledger", ["户数"]) is None


def test_a_file_with_a_column_the_remembered_mapping_left_out_still_gets_it(
    work_store: Store,
) -> None:
    """The audit checked a facility layer without facility_id (its columns remembered), then
    the corrected file with facility_id: it was told the column was missing."""
    dataio.remember_mapping(work_store, "facility", {"name": "名称", "kind": "类型"})
    columns = ["facility_id", "名称", "类型", "name"]
    mapping = dataio.starting_mapping(work_store, "facility", columns)
    assert mapping["facility_id"] == "facility_id"  # guessed: the remembered one had none
    assert (mapping["name"], mapping["kind"]) == ("名称", "类型")  # remembered ones win
    assert len(set(mapping.values())) == len(mapping)  # no column serves two fields


def test_typed_text_never_runs_as_a_spreadsheet_formula(work_store: Store, tmp_path: Path) -> None:
    """An issue titled like a formula (CSV injection) opens in Excel as the text it is."""
    building = issues.community_buildings(work_store, "S001-C1")["building_id"].iloc[0]
    title = '=HYPERLINK("http://example.invalid/x","点这里")'
    issue_id = workflow.log_issue(
        work_store, STAFF, building_id=building, category="sanitation", source="walk_in",
        title=title, description="+1 -1 @me", reporter_name="张三", reporter_phone="13812345678",
    )  # fmt: skip
    sheet = openpyxl.load_workbook(
        io.BytesIO(dataio.export_bytes(work_store, "issue", ".xlsx"))
    ).active
    header = [c.value for c in sheet[1]]
    (row,) = [
        r for r in sheet.iter_rows(min_row=2) if r[header.index("issue_id")].value == issue_id
    ]
    cell = row[header.index("title")]
    assert cell.value == title and cell.data_type == "s"  # text, not a formula
    csv = pd.read_csv(
        io.BytesIO(dataio.export_bytes(work_store, "issue", ".csv")),
        dtype=str,
        keep_default_na=False,
    )
    mine = csv[csv["issue_id"] == str(issue_id)].iloc[0]
    assert mine["title"] == "'" + title and mine["description"] == "'+1 -1 @me"
    assert not csv["title"].str.startswith(("=", "+", "-", "@")).any()
    # and a CSV that mapgov wrote reads back as it was typed
    path = tmp_path / "issue.csv"
    path.write_bytes(dataio.export_bytes(work_store, "issue", ".csv"))
    again = read_table(path)
    mine = again[again["issue_id"] == str(issue_id)].iloc[0]
    assert (mine["title"], mine["description"]) == (title, "+1 -1 @me")


def test_mixed_and_numeric_columns_export_as_they_are() -> None:
    """Columns of numbers stored as objects, of mixed cells and of pandas strings all export;
    only text that starts like a formula is guarded."""
    frame = pd.DataFrame(
        {
            "n": pd.Series([1, 2, 3], dtype=object),
            "mixed": ["=x", None, 3],
            "text": pd.array(["-5 度", None, "ok"], dtype="string"),
        }
    )
    csv = pd.read_csv(io.BytesIO(frame_bytes(frame, ".csv")), dtype=str, keep_default_na=False)
    assert csv.to_dict("list") == {"n": ["1", "2", "3"], "mixed": ["'=x", "", "3"],
                                   "text": ["'-5 度", "", "ok"]}  # fmt: skip
    sheet = openpyxl.load_workbook(io.BytesIO(frame_bytes(frame, ".xlsx"))).active
    assert [c.value for c in sheet["A"]][1:] == [1, 2, 3]
    assert (sheet["B2"].value, sheet["B2"].data_type) == ("=x", "s")


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_an_issue_export_keeps_where_each_issue_is(work_store: Store, suffix: str) -> None:
    """Read back, every issue's coordinates equal the ledger's (to 1e-7 degrees)."""
    stored = work_store.read("issue", columns=["issue_id", "lon", "lat"]).set_index("issue_id")
    data = io.BytesIO(dataio.export_bytes(work_store, "issue", suffix))
    back = (pd.read_csv(data) if suffix == ".csv" else pd.read_excel(data)).set_index("issue_id")
    back = back.loc[stored.index]
    assert (back["lon"] - stored["lon"]).abs().max() < 1e-7
    assert (back["lat"] - stored["lat"]).abs().max() < 1e-7


def test_figures_export_as_computed() -> None:
    frame = pd.DataFrame({"share": [0.123456789, 2 / 3], "metres": [523.456, float("nan")]})
    back = pd.read_csv(io.BytesIO(frame_bytes(frame, ".csv")))
    assert back["share"].tolist() == pytest.approx([0.123456789, 2 / 3], abs=1e-12)
    assert back["metres"].iloc[0] == pytest.approx(523.456) and pd.isna(back["metres"].iloc[1])


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_export_list_names_what_each_table_holds(lang: str) -> None:
    """Every exportable table has a name in the reader's language, never its code."""
    names = [dataio.export_choice(table, 12, lang) for table in dataio.EXPORT_TABLES]
    codes = set(dataio.EXPORT_TABLES)
    assert not [n for n in names if "_" in n or n.split(" (")[0].split("（")[0] in codes], names
    assert len(set(names)) == len(names)  # no two tables called the same
    assert all("12" in n for n in names)


@pytest.mark.parametrize(
    ("lang", "says"), [("zh", "这不是 mapgov 的备份数据库"), ("en", "not a mapgov backup")]
)
def test_a_bad_restore_file_is_named_in_the_readers_language_without_server_paths(
    tmp_path: Path, lang: str, says: str
) -> None:
    upload = tmp_path / "mapgov-upload-x1y2" / "街道备份.sqlite"  # as the page saves an upload
    upload.parent.mkdir()
    upload.write_bytes(b"these bytes are no database" * 40)
    target = tmp_path / "live.sqlite"
    target.write_bytes(b"live")
    with pytest.raises(DataFileError) as refused:
        restore(upload, target)
    text = error_text(refused.value, lang)
    assert text.startswith("街道备份.sqlite") and says in text
    assert str(tmp_path) not in text and "mapgov-upload" not in text
    assert target.read_bytes() == b"live"


def test_a_layer_error_names_the_file_row_and_field_in_chinese(tmp_path: Path) -> None:
    path = tmp_path / "mapgov-upload-q" / "设施.csv"
    path.parent.mkdir()
    path.write_text("名称,经度,纬度\n卫生站,东经112度,34.6\n", encoding="utf-8")
    with pytest.raises(DataFileError) as refused:
        read_layer(path)
    assert error_text(refused.value, "zh").startswith("设施.csv，第 2 行，字段“经度”：")
    assert str(tmp_path) not in error_text(refused.value, "zh")


def test_excel_cells_keep_their_types_and_dates_read_as_dates(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "n": [1, 2],
            "share": [0.25, None],
            "flag": [True, False],
            "day": pd.to_datetime(["2026-11-15 18:00", None]),
            "text": ["=1+1", "https://example.org"],
        }
    )
    book = openpyxl.load_workbook(io.BytesIO(frame_bytes(frame, ".xlsx")))
    rows = list(book.active.iter_rows(min_row=2, values_only=True))
    assert rows[0][:3] == (1, 0.25, True) and rows[1][1] is None and rows[1][3] is None
    assert rows[0][3] == pd.Timestamp("2026-11-15 18:00").to_pydatetime()
    assert [r[4] for r in rows] == ["=1+1", "https://example.org"]  # text, not formula or link
    cells = list(book.active.iter_rows(min_row=2, min_col=5, max_col=5))
    assert [c[0].data_type for c in cells] == ["s", "s"]


def _personal_values(store: Store) -> tuple[set[str], set[str]]:
    """(names, phones) of residents and contacts as the store holds them, in full."""
    names: set[str] = set()
    phones: set[str] = set()
    for table, rules in dataio.PERSONAL.items():
        frame = store.read(table, columns=list(rules))
        for column, mask in rules.items():
            values = {v for v in frame[column].dropna() if isinstance(v, str) and len(v) > 1}
            (phones if mask is mask_phone else names).update(values)
    return names, phones


def test_no_export_lets_a_full_name_or_phone_out(work_store: Store, tmp_path: Path) -> None:
    """Masking is one rule where data leaves the store: every exportable table, from the data
    page or the command line, holds no resident's or contact's phone in full, and no name in
    full in the columns that hold them (a report's actor is its reporter)."""
    names, phones = _personal_values(work_store)
    assert len(phones) > 100 and len(names) > 100
    for table in dataio.EXPORT_TABLES:
        page = dataio.export_bytes(work_store, table, ".csv").decode("utf-8-sig")
        out = tmp_path / f"{table}.csv"
        assert main(["export", table, str(out), "--db", str(work_store.path)]) == 0
        assert out.read_text("utf-8-sig") == page  # the command line masks as the page does
        cells = pd.read_csv(io.StringIO(page), dtype=str, keep_default_na=False)
        for column in cells.columns:
            leaked = set(cells[column]) & phones
            assert not leaked, (table, column, sorted(leaked)[:3])
        personal = [*dataio.PERSONAL.get(table, {}), *(["actor"] if table == "issue_event" else [])]
        rows = cells[cells["action"] == "report"] if table == "issue_event" else cells
        for column in personal:
            assert not set(rows[column]) & names, (table, column)
