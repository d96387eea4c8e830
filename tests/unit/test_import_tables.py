"""Spreadsheets matched to buildings: figures per building and the old issue ledger.

Every test works on a copy of the demo street. Tables are written here in the shapes street
offices keep them (Chinese headers, GBK CSV, Excel, one column holding "王城苑3号楼"), and
each refusal is checked to leave the database byte for byte as it was.
"""

from __future__ import annotations

import datetime as dt
import pickle
from pathlib import Path
from typing import Final

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mapgov.core.errors import DataFileError, StaleEditError, ValidationError
from mapgov.core.i18n import error_text, field_label, label, shown, t, value_label
from mapgov.core.model import IssueCategory, IssueStatus
from mapgov.domain import kpi
from mapgov.domain.users import get_user
from mapgov.io import ledger
from mapgov.io.importers import guess_mapping, read_table
from mapgov.io.importers.mapping import FIELDS
from mapgov.io.importers.matching import BuildingMatcher
from mapgov.io.importers.tables import TablePlan, land_table, plan_table
from mapgov.store import Store
from mapgov.views import data as dataio
from tests.conftest import AS_OF

from .test_importers import _sha
from .test_ledger import OCTOBER


@pytest.fixture
def places(demo_store: Store) -> pd.DataFrame:
    """Buildings with their compound's name and address, numbered buildings only."""
    b = demo_store.read("building", columns=["building_id", "compound_id", "name", "number"])
    c = demo_store.read("compound", columns=["compound_id", "name", "address"])
    out = b.merge(c.rename(columns={"name": "compound"}), on="compound_id")
    return out[out["number"].notna()].reset_index(drop=True)


def _plan(store: Store, path: Path, kind: str) -> TablePlan:
    frame = read_table(path)
    return plan_table(
        store, frame, kind, path=path, mapping=guess_mapping(list(frame.columns), kind)
    )


def _write_csv(path: Path, frame: pd.DataFrame, encoding: str = "utf-8-sig") -> Path:
    frame.to_csv(path, index=False, encoding=encoding)
    return path


# -- matching --------------------------------------------------------------------------------
def test_a_row_finds_its_building_in_every_way_an_office_writes_it(
    demo_store: Store, places: pd.DataFrame
) -> None:
    matcher = BuildingMatcher(demo_store)
    b = places.iloc[5]
    number = int(b["number"])
    assert matcher.match(building_id=b["building_id"]) == (b["building_id"], "")
    for building in (f"{number}号楼", f"{number}栋", f"{number}#", str(number), f" {number} 幢"):
        assert matcher.match(compound=b["compound"], building=building)[0] == b["building_id"]
    assert matcher.match(building=f"{b['compound']}{number}号楼")[0] == b["building_id"]
    assert matcher.match(building=f"{b['compound']}{b['name']}")[0] == b["building_id"]
    assert matcher.match(address=f"{b['address']}{number}号楼")[0] == b["building_id"]
    full_width = f"{b['compound']}{number}号楼".translate(
        str.maketrans("0123456789", "０１２３４５６７８９")
    )
    assert matcher.match(building=full_width)[0] == b["building_id"]


def test_a_row_that_fits_nothing_says_why(demo_store: Store, places: pd.DataFrame) -> None:
    matcher = BuildingMatcher(demo_store)
    b = places.iloc[0]
    assert matcher.match(building_id="B-NONE") == (None, "no building with id B-NONE")
    found, why = matcher.match(compound="不存在小区", building="3号楼")
    assert found is None and "不存在小区" in why
    found, why = matcher.match(compound=b["compound"], building="999号楼")
    assert found is None and "999号楼" in why
    assert matcher.match()[0] is None
    found, why = matcher.match(compound=b["compound"])  # a whole compound is not a building
    assert found is None and why == f"names the compound {b['compound']} but no building"
    assert matcher.compound(b["compound"]) == (b["compound_id"], "")
    assert matcher.compound("不存在小区") == (None, "no compound named 不存在小区")


# -- figures ---------------------------------------------------------------------------------
def test_figures_in_gbk_update_their_buildings_and_are_audited(
    work_store: Store, places: pd.DataFrame, tmp_path: Path
) -> None:
    store = work_store
    picked = places.iloc[[0, 7, 12]]
    sheet = pd.DataFrame(
        {
            "小区名称": picked["compound"].tolist(),
            "楼栋": [f"{int(n)}号楼" for n in picked["number"]],
            "户数": ["48", "60", "36"],
            "常住人口": ["130", "151", "92"],
            "老年人数": ["31", "40", "17"],
            "楼栋长": ["王建国", "", "李秀英"],
        }
    )
    path = _write_csv(tmp_path / "户数.csv", sheet, encoding="gbk")
    middle = store.read("building", where={"building_id": picked["building_id"].iloc[1]})
    head_before = middle["building_head"].iloc[0]
    plan = _plan(store, path, "figures")
    assert plan.errors == [] and plan.rows == 3 and len(plan.matched) == 3
    assert land_table(store, plan, actor="u-admin") == 3
    after = store.read("building").set_index("building_id").loc[picked["building_id"]]
    assert after["households"].tolist() == [48, 60, 36]
    assert after["residents"].tolist() == [130, 151, 92]
    assert after["elderly"].tolist() == [31, 40, 17]
    assert after["estimated"].tolist() == [0, 0, 0]
    assert after["building_head"].tolist() == ["王建国", head_before, "李秀英"]  # empty: kept
    log = store.read("change_log")
    assert set(log[log["table_name"] == "building"]["actor"]) == {"u-admin"}


def test_unmatched_and_bad_rows_refuse_the_whole_table(
    work_store: Store, places: pd.DataFrame, tmp_path: Path
) -> None:
    store = work_store
    b = places.iloc[3]
    sheet = pd.DataFrame(
        {
            "楼栋编号": [
                b["building_id"],
                "B-NOPE",
                places.iloc[4]["building_id"],
                b["building_id"],
            ],
            "户数": ["40", "12", "-3", "41"],
            "人口": ["100", "30", "abc", "101"],
            "老年人": ["20", "3", "1", "500"],
        }
    )
    path = _write_csv(tmp_path / "figures.csv", sheet)
    before = _sha(store.path)
    plan = _plan(store, path, "figures")
    found = {(p.row, p.field) for p in plan.errors}
    assert (3, "building") in found  # row 3: no such building
    assert (4, "households") in found and (4, "residents") in found  # -3 and "abc"
    assert (5, "building") in found  # the same building as row 2
    assert plan.unmatched["row"].tolist() == [3]
    assert "B-NOPE" in plan.unmatched["reason"].iloc[0]
    assert all(str(path) in str(p) for p in plan.errors)
    with pytest.raises(ValidationError):
        land_table(store, plan, actor="u-admin")
    assert _sha(store.path) == before


def test_what_is_wrong_with_a_sheet_reads_in_the_pages_language(
    demo_store: Store, places: pd.DataFrame, tmp_path: Path
) -> None:
    """The data page shows each finding in its reader's language, the command line (``str``)
    in English; a plan kept in the session between the check and the import keeps both."""
    b = places.iloc[3]
    sheet = pd.DataFrame(
        {
            "楼栋编号": [b["building_id"], "B-NOPE", b["building_id"]],
            "户数": ["40", "-3", "x"],
            "楼栋长电话": ["12-ab", "", ""],
        }
    )
    plan = _plan(demo_store, _write_csv(tmp_path / "figures.csv", sheet), "figures")
    texts = {(p.row, p.field): (str(p.message), shown(p.message, "zh")) for p in plan.errors}
    assert texts[(2, "building_head_phone")] == (
        "'12-ab' is not a phone number",
        "“12-ab”不是电话号码",
    )
    assert texts[(3, "households")] == ("is negative (-3)", "是负数（-3）")
    assert texts[(4, "households")] == ("'x' is not a whole number", "“x”不是整数")
    assert texts[(4, "building")] == ("the same building as row 2", "与第 2 行是同一栋楼")
    assert texts[(3, "building")] == ("no building with id B-NOPE", "没有编号为 B-NOPE 的楼栋")
    (reason,) = plan.unmatched["reason"]
    assert shown(reason, "en") == "no building with id B-NOPE"
    kept = pickle.loads(pickle.dumps(plan))
    assert [shown(p.message, "zh") for p in kept.errors] == [
        shown(p.message, "zh") for p in plan.errors
    ]
    assert "B-NOPE" in str(plan.errors[-1]) and "row 3" in str(plan.errors[-1])


def test_more_elderly_than_residents_is_refused(
    work_store: Store, places: pd.DataFrame, tmp_path: Path
) -> None:
    store = work_store
    b = places.iloc[2]
    sheet = pd.DataFrame({"楼栋编号": [b["building_id"]], "老年人": ["99999"]})
    plan = _plan(store, _write_csv(tmp_path / "old.csv", sheet), "figures")
    assert [(p.row, p.field) for p in plan.errors] == [(2, "elderly")]


def test_a_table_without_a_building_column_says_so(work_store: Store, tmp_path: Path) -> None:
    store = work_store
    sheet = pd.DataFrame({"户数": ["3"], "人口": ["9"]})
    plan = _plan(store, _write_csv(tmp_path / "x.csv", sheet), "figures")
    assert [p.field for p in plan.errors] == ["building"]


@pytest.mark.parametrize("lang", [None, "zh", "en"])
def test_the_exported_building_table_corrected_in_excel_imports_without_writing_stars(
    work_store: Store, tmp_path: Path, lang: str | None
) -> None:
    """The export masks building heads' names and phones; read back as figures, a masked
    cell is not a value: the stored one is kept, and a note says so. The data page's export
    (headers in its language: 楼栋编号, 户数, 楼栋长 ...) is read back as the codes are."""
    store = work_store
    path = tmp_path / "building.xlsx"
    path.write_bytes(dataio.export_bytes(store, "building", ".xlsx", lang))
    sheet = read_table(path)
    col = {c: field_label(c, lang) if lang else c for c in store.read("building").columns}
    if lang == "zh":
        assert [col["building_id"], col["households"]] == ["楼栋编号", "户数"]
    assert list(sheet.columns) == [col[c] for c in col if c != "geometry"]
    headed = sheet.index[sheet[col["building_head"]] != ""][:2]
    assert sheet.loc[headed, col["building_head"]].str.contains("*", regex=False).all()
    sheet.loc[headed[0], col["households"]] = "77"  # the one figure counted again
    sheet.loc[headed[1], col["building_head"]] = "新楼长"  # a new head, typed in full
    sheet.loc[headed[1], col["building_head_phone"]] = "13900001111"
    sheet.to_excel(path, index=False)
    before = store.read("building").set_index("building_id")
    plan = _plan(store, path, "figures")
    assert plan.errors == [], plan.errors[:3]
    notes = {p.field: p.message for p in plan.problems if p.severity == "repaired"}
    assert set(notes) == {"building_head", "building_head_phone"}
    assert "the stored value is kept" in notes["building_head"]
    land_table(store, plan, actor="u-admin")
    after = store.read("building").set_index("building_id")
    first, second = sheet.loc[headed, col["building_id"]]
    assert after.at[first, "households"] == 77
    assert (after.at[second, "building_head"], after.at[second, "building_head_phone"]) == (
        "新楼长", "13900001111",
    )  # fmt: skip
    untouched = after.index.difference([first, second])
    for column in ("building_head", "building_head_phone"):
        assert after.loc[untouched, column].equals(before.loc[untouched, column])
    assert not after["building_head"].str.contains("*", regex=False, na=False).any()


# -- the ledger ------------------------------------------------------------------------------
def _ledger(places: pd.DataFrame) -> pd.DataFrame:
    b = places.iloc[[1, 9, 20]].reset_index(drop=True)
    return pd.DataFrame(
        {
            "所属小区": b["compound"],
            "楼号": [f"{int(n)}栋" for n in b["number"]],
            "问题类型": ["停车", "照明", "elevator"],
            "问题来源": ["12345热线", "网格员巡查", ""],
            "问题标题": ["消防通道被占", "楼道灯坏了 <script>", "电梯异响"],
            "反映人": ["张三", "李四", ""],
            "联系电话": ["13800001111", "", ""],
            "上报时间": ["2026-03-02 08:15", "2026年4月5日", "2026/05/06"],
            "办理状态": ["已销号", "办理中", ""],
            "销号时间": ["2026-03-06", "", ""],
            "满意度": ["满意", "", ""],
        }
    )


def test_an_excel_ledger_becomes_issues_with_their_history(
    work_store: Store, places: pd.DataFrame, tmp_path: Path
) -> None:
    store = work_store
    path = tmp_path / "台账.xlsx"
    _ledger(places).to_excel(path, index=False)
    before = store.counts()["issue"]
    plan = _plan(store, path, "ledger")
    assert plan.errors == [] and len(plan.matched) == 3
    assert land_table(store, plan, actor="u-admin") == 3
    new = store.query("SELECT * FROM issue ORDER BY issue_id DESC LIMIT 3").iloc[::-1]
    assert store.counts()["issue"] == before + 3
    assert new["category"].tolist() == ["parking", "lighting", "elevator"]
    assert new["source"].tolist() == ["hotline_12345", "grid_worker", "walk_in"]
    assert new["status"].tolist() == ["closed", "in_progress", "reported"]
    assert new["reported_at"].tolist() == [
        "2026-03-02T08:15:00", "2026-04-05T09:00:00", "2026-05-06T09:00:00",
    ]  # fmt: skip
    assert new["closed_at"].iloc[0] == "2026-03-06T09:00:00"
    assert new["satisfaction"].iloc[0] == "satisfied"
    assert new["title"].iloc[1] == "楼道灯坏了 <script>"  # stored as typed, escaped when shown
    closed = new["issue_id"].iloc[0]
    events = store.read("issue_event", where={"issue_id": int(closed)})
    assert events["action"].tolist() == ["report", "close"]
    assert "台账.xlsx, row 2" in events["note"].iloc[0]
    # each row's status stands in the history the wall and the compounds' health read, so an
    # issue the sheet has as in progress is not counted as still waiting to be assigned
    frames = kpi.load_frames(store)
    ids = new["issue_id"].tolist()
    mine = (
        frames.issues[frames.issues["issue_id"].isin(ids)]
        .set_index("issue_id")
        .loc[ids]
        .reset_index()
    )
    day = dt.date(2026, 6, 1)
    assert kpi.status_on(mine, frames.events, day).tolist() == new["status"].tolist()
    # the same sheet again: nothing new, three rows skipped as already in the ledger
    again = _plan(store, path, "ledger")
    assert again.errors == [] and again.matched == []
    assert again.skipped["row"].tolist() == [2, 3, 4]
    assert land_table(store, again, actor="u-admin") == 0
    assert store.counts()["issue"] == before + 3


def test_a_bad_ledger_names_row_and_field_and_writes_nothing(
    work_store: Store, places: pd.DataFrame, tmp_path: Path
) -> None:
    store = work_store
    sheet = _ledger(places)
    sheet.loc[0, "问题类型"] = "外星人"
    sheet.loc[1, "上报时间"] = "昨天下午"
    sheet.loc[2, "办理状态"] = "已销号"  # closed without a closing date
    sheet.loc[2, "联系电话"] = "call me"
    path = _write_csv(tmp_path / "ledger.csv", sheet, encoding="gb18030")
    before = _sha(store.path)
    plan = _plan(store, path, "ledger")
    assert {(p.row, p.field) for p in plan.errors} == {
        (2, "category"), (3, "reported_at"), (4, "closed_at"), (4, "reporter_phone"),
    }  # fmt: skip
    category = next(p for p in plan.errors if p.field == "category").message
    assert "外星人" in str(category)  # what was written, and what may be: in either language
    assert all(label(c, "en") in str(category) for c in IssueCategory)
    assert all(label(c, "zh") in shown(category, "zh") for c in IssueCategory)
    assert shown(category, "zh").startswith("未知的值“外星人”：可填 ")
    with pytest.raises(ValidationError):
        land_table(store, plan, actor="u-admin")
    assert _sha(store.path) == before


def test_a_ledger_missing_a_needed_column_says_which(work_store: Store, tmp_path: Path) -> None:
    store = work_store
    sheet = pd.DataFrame({"楼栋编号": ["x"], "问题标题": ["灯坏了"]})
    plan = _plan(store, _write_csv(tmp_path / "l.csv", sheet), "ledger")
    assert {p.field for p in plan.errors} == {"category", "reported_at"}


_KEPT: Final = (  # what a ledger's own workbook carries back into an issue
    "building_id", "category", "source", "channel", "status", "level", "responsible_unit",
    "deadline", "satisfaction", "reporter_name", "reporter_phone",
)  # fmt: skip


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_ledgers_own_workbook_imports_again_in_either_language(
    work_store: Store, tmp_path: Path, lang: str
) -> None:
    store = work_store
    staff = get_user(store, "S001-C1-staff1")  # sees reporters' phones
    rows = ledger.community_ledger(store, "S001-C1", user=staff, today=AS_OF, **OCTOBER)
    path = tmp_path / "ledger.xlsx"
    path.write_bytes(ledger.ledger_xlsx(rows, lang))
    before = _sha(store.path)
    # read back as it is, every column is found and every row is an issue of this ledger
    plan = _plan(store, path, "ledger")
    assert plan.errors == [] and plan.matched == [] and len(plan.skipped) == len(rows) > 50
    assert plan.problems == []  # nothing to say of rows already in the ledger
    assert set(guess_mapping(list(read_table(path).columns), "ledger")) >= {*_KEPT} - {
        "building_id"
    }
    assert land_table(store, plan, actor="u-admin") == 0 and _sha(store.path) == before
    # without the numbers, a row is still known by its building (or, for an issue of a whole
    # compound, by the compound), report minute and title
    sheet = read_table(path)
    number, building, title = (
        t(f"issues.col.{c}", lang) for c in ("issue_id", "building", "title")
    )
    assert 0 < (sheet[building] == "").sum() < len(sheet)  # issues of whole compounds too
    sheet[number] = ""
    sheet.to_excel(path, index=False)
    plan = _plan(store, path, "ledger")
    assert plan.errors == [] and plan.matched == [] and len(plan.skipped) == len(sheet)
    # rows that are new (a title changed) land with what the sheet says of them
    sheet[title] = sheet[title] + "（复核）"
    sheet.to_excel(path, index=False)
    plan = _plan(store, path, "ledger")
    assert plan.errors == [] and len(plan.matched) == len(sheet)
    assert land_table(store, plan, actor="u-admin") == len(sheet)
    new = store.query(f"SELECT * FROM issue ORDER BY issue_id DESC LIMIT {len(sheet)}")[::-1]
    old = rows
    assert (new["title"].to_numpy() == (old["title"] + "（复核）").to_numpy()).all()
    for column in _KEPT:
        assert new[column].fillna("").astype(str).tolist() == old[column].fillna("").tolist()
    for when in ("reported_at", "resolved_at", "closed_at"):
        assert new[when].str[:16].fillna("").tolist() == old[when].str[:16].fillna("").tolist()
    # the leader's workbook masks reporters: read back, the stars are no reporter at all
    leader = get_user(store, "S001-leader")
    masked = ledger.community_ledger(store, "S001-C1", user=leader, today=AS_OF, **OCTOBER)
    path.write_bytes(ledger.ledger_xlsx(masked, lang))
    plan = _plan(store, path, "ledger")
    assert plan.errors == [] and plan.matched == [] and plan.problems == []
    sheet = read_table(path)
    sheet[number], sheet[title] = "", sheet[title] + "（二次复核）"
    sheet.to_excel(path, index=False)
    plan = _plan(store, path, "ledger")
    assert plan.errors == [] and len(plan.matched) == len(sheet)
    notes = {p.field for p in plan.problems if p.severity == "repaired"}
    assert notes == {"reporter_name", "reporter_phone"}
    assert all(m["issue"]["reporter_phone"] is None for m in plan.matched)  # type: ignore[index]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_exported_issue_table_imports_again_as_a_ledger(
    work_store: Store, tmp_path: Path, lang: str
) -> None:
    """The data page's export of the issue table (headers and coded values in its language)
    is a ledger the importer reads back: every column the ledger takes is found under its
    label, and every row is known as an issue already there; a retitled row lands as new,
    with the category, status and unit the sheet gives."""
    store = work_store
    path = tmp_path / "issue.csv"
    path.write_bytes(dataio.export_bytes(store, "issue", ".csv", lang))
    sheet = read_table(path)
    assert "issue_id" not in sheet.columns  # a header a person reads
    mapping = guess_mapping(list(sheet.columns), "ledger")
    taken = set(FIELDS["ledger"]) & set(store.read("issue").columns)
    assert mapping == {field: field_label(field, lang) for field in taken}
    plan = _plan(store, path, "ledger")
    assert plan.errors == [] and plan.matched == [] and len(plan.skipped) == len(sheet)
    title, number = field_label("title", lang), field_label("issue_id", lang)
    sheet = sheet.head(3).assign(**{number: "", title: sheet[title].head(3) + "（复核）"})
    sheet.to_csv(path, index=False, encoding="utf-8-sig")
    plan = _plan(store, path, "ledger")
    assert plan.errors == [] and len(plan.matched) == 3
    assert land_table(store, plan, actor="u-admin") == 3
    new = store.query("SELECT * FROM issue ORDER BY issue_id DESC LIMIT 3")[::-1]
    for field, enum in (("category", IssueCategory), ("status", IssueStatus)):
        words = [value_label(enum, code, lang) for code in new[field]]  # stored as codes
        assert words == sheet[field_label(field, lang)].tolist()
    unit = field_label("responsible_unit", lang)
    assert new["responsible_unit"].fillna("").tolist() == sheet[unit].tolist()


def test_an_edit_or_the_same_import_between_check_and_import_refuses_it(
    work_store: Store, places: pd.DataFrame, tmp_path: Path
) -> None:
    """The data page checks a sheet, then imports it on a click: a building edited in between
    would be overwritten unseen, and the same ledger imported in between (another tab) would
    be entered twice. Both are refused, name the cause and write nothing."""
    store = work_store
    b = places.iloc[3]
    sheet = pd.DataFrame({"楼栋编号": [b["building_id"]], "户数": ["41"], "楼栋长": ["赵六"]})
    figures = _plan(store, _write_csv(tmp_path / "figures.csv", sheet), "figures")
    store.edit(
        [("update", "building", {"building_id": b["building_id"]}, {"building_head": "钱七"})],
        actor="S001-C1-staff1",
        at="2026-11-15T10:05:00",
    )
    digest = _sha(store.path)
    with pytest.raises(StaleEditError) as refused:
        land_table(store, figures, actor="u-admin")
    assert _sha(store.path) == digest
    assert "S001-C1-staff1" in error_text(refused.value, "zh") and b["building_id"] in str(
        refused.value
    )
    again = _plan(store, tmp_path / "figures.csv", "figures")  # checked again: seen now
    assert land_table(store, again, actor="u-admin") == 1
    # the same ledger checked in two tabs and imported from both
    path = tmp_path / "台账.xlsx"
    _ledger(places).to_excel(path, index=False)
    first, second = _plan(store, path, "ledger"), _plan(store, path, "ledger")
    count = store.counts()["issue"]
    assert land_table(store, first, actor="u-admin") == 3
    digest = _sha(store.path)
    with pytest.raises(StaleEditError) as twice:
        land_table(store, second, actor="u-admin")
    assert _sha(store.path) == digest and store.counts()["issue"] == count + 3
    assert "重复登记" in error_text(twice.value, "zh") and "row 2" in str(twice.value)
    # so is a sheet of issues of whole compounds (known by compound, not building)
    whole = pd.DataFrame(
        {
            "所属小区": [places.iloc[0]["compound"]],
            "问题类型": ["环境卫生"],
            "问题标题": ["小区大门损坏"],
            "上报时间": ["2026-06-01 09:00"],
        }
    )
    whole.to_excel(path, index=False)
    first, second = _plan(store, path, "ledger"), _plan(store, path, "ledger")
    assert land_table(store, first, actor="u-admin") == 1
    digest = _sha(store.path)
    with pytest.raises(StaleEditError):
        land_table(store, second, actor="u-admin")
    assert _sha(store.path) == digest


# -- a fuzzer: any cell text, never a crash, never half an import -----------------------------
CELLS = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["", "-1", "3.5", "1e9", "NaN", "４８", "2026-13-45", "已销号", "停车"]),
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    kind=st.sampled_from(["figures", "ledger"]),
    cells=st.lists(st.tuples(CELLS, CELLS, CELLS, CELLS), min_size=1, max_size=6),
    use_real=st.lists(st.booleans(), min_size=6, max_size=6),
)
def test_fuzzed_tables_never_crash_and_never_land_partly(
    work_store: Store,
    places: pd.DataFrame,
    tmp_path: Path,
    kind: str,
    cells: list[tuple[str, str, str, str]],
    use_real: list[bool],
) -> None:
    store = work_store
    ids = [places["building_id"].iloc[i] if use_real[i] else f"junk-{i}" for i in range(len(cells))]
    if kind == "figures":
        sheet = pd.DataFrame(cells, columns=["户数", "人口", "老年人", "楼栋长电话"])
    else:
        sheet = pd.DataFrame(cells, columns=["问题类型", "问题标题", "上报时间", "办理状态"])
    sheet.insert(0, "楼栋编号", ids)
    path = _write_csv(tmp_path / "fuzz.csv", sheet)
    before_sha, before_counts = _sha(store.path), store.counts()
    try:
        plan = _plan(store, path, kind)
    except (DataFileError, ValidationError):
        assert _sha(store.path) == before_sha
        return
    if plan.errors:
        with pytest.raises(ValidationError):
            land_table(store, plan, actor="fuzz")
        assert _sha(store.path) == before_sha
        return
    written = land_table(store, plan, actor="fuzz")
    assert written == len(plan.matched)
    if kind == "ledger":
        assert store.counts()["issue"] == before_counts["issue"] + written


def test_cli_imports_tables_and_remembers_their_columns(
    work_store: Store, places: pd.DataFrame, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from mapgov.cli import main

    db = str(work_store.path)
    b = places.iloc[6]
    sheet = pd.DataFrame({"楼栋编号": [b["building_id"], "B-NOPE"], "住户": ["55", "1"]})
    path = _write_csv(tmp_path / "figures.csv", sheet)
    digest = _sha(work_store.path)
    args = ["import", "figures", str(path), "--db", db, "--map", "households=住户"]
    assert main([*args, "--remember"]) == 1
    err = capsys.readouterr().err
    assert f"{path}, row 3, field 'building': no building with id B-NOPE" in err
    assert _sha(work_store.path) == digest
    _write_csv(path, sheet.iloc[:1])
    assert main([*args, "--remember"]) == 0
    assert "1 figures rows imported" in capsys.readouterr().out
    assert (
        work_store.read("building", where={"building_id": b["building_id"]})["households"].iloc[0]
        == 55
    )
    # next time the unusual column 住户 is known without --map
    _write_csv(path, sheet.iloc[:1].assign(住户="56"))
    assert main(["import", "figures", str(path), "--db", db]) == 0
    assert "households<-住户" in capsys.readouterr().out
