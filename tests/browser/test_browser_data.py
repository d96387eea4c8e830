"""The data page in chromium, as an administrator uses it: upload a file, check it, read the
problems and the preview map, import, and find the data in the database.

The server runs on a copy of the demo database that these tests change.
"""

from __future__ import annotations

import re
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from playwright.sync_api import Locator, Page, expect
from shapely.geometry import Point

from mapgov.core import clock
from mapgov.core.i18n import field_label, t
from mapgov.core.model import AuditKind, Role
from mapgov.domain import accounts
from mapgov.store import open_store
from tests.archives import database_of
from tests.conftest import DEMO_PASSWORD
from tests.unit.test_import_osm import _Osm, _street

from . import helpers as tb
from .helpers import _choose

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def data_db(demo_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    copy = tmp_path_factory.mktemp("data") / "mapgov.sqlite"
    shutil.copyfile(demo_db, copy)
    return copy


@pytest.fixture(scope="module")
def server(data_db: Path) -> Iterator[tb.Server]:
    tb._require_chromium()
    running = tb._start(data_db)
    yield running
    tb._stop(running)


FIRST_PAINT_MS = 60_000
"""A fresh server's first page, while this module's other server still warms the street an
import replaced: on a slow 2-core machine that took more than the usual 30 s (seen in CI)."""


def _open(page: Page, server: tb.Server, tab: str, login: str = "S001-admin") -> None:
    tb.sign_in(page, server, login)
    page.goto(f"{server.url}/data")
    title = page.locator("h1").first
    try:
        expect(title).to_have_text(t("page.data.title"), timeout=FIRST_PAINT_MS)
    except AssertionError:  # seen twice in a day: a fresh server's page stayed blank; a
        page.reload()  # person reloads it (left open in the session note, not understood)
        expect(title).to_have_text(t("page.data.title"), timeout=FIRST_PAINT_MS)
    tab_button = page.get_by_role("tab", name=t(f"data_page.tab.{tab}"))
    expect(tab_button).to_be_visible(timeout=FIRST_PAINT_MS)
    tab_button.click()


def _layer_tab(page: Page, server: tb.Server, table: str) -> Locator:
    """The layer tab, with `table` chosen as the target of the import."""
    _open(page, server, "layer")
    panel = page.locator('[role="tabpanel"]:visible')
    panel.get_by_role("combobox", name=t("data_page.target")).click()
    page.get_by_role("option", name=t(f"data_page.table.{table}")).click()
    return panel


def _upload(page: Page, path: Path) -> None:
    """Choose `path` in the visible tab's uploader."""
    panel = page.locator('[role="tabpanel"]:visible')
    panel.locator('input[type="file"]').set_input_files(str(path))
    expect(panel.get_by_text(path.name)).to_be_visible()


def test_the_file_uploader_speaks_the_pages_language(
    server: tb.Server, visit: tb.Visit, tmp_path: Path
) -> None:
    """Streamlit's uploader says "Upload", "1GB per file • CSV", "Drag and drop a file here"
    and "application/pdf files are not allowed.": the page shows its own word on the button,
    the kinds of file taken, the drop note and the refusal in Chinese instead."""
    page = visit.page
    _open(page, server, "table")
    zone = page.locator('[role="tabpanel"]:visible [data-testid="stFileUploaderDropzone"]')
    expect(zone.get_by_text("Upload", exact=True)).to_be_hidden()
    expect(zone.get_by_test_id("stFileUploaderDropzoneInstructions")).to_be_hidden()
    word = zone.locator('button [data-testid="stMarkdownContainer"]').evaluate(
        "e => getComputedStyle(e, '::after').content"
    )
    assert word == f'"{t("app.uploader.choose")}"'
    panel = page.locator('[role="tabpanel"]:visible')
    expect(panel.get_by_text(re.compile("^可上传：CSV、"))).to_be_visible()
    # a file dragged over it: "Drag and drop a file here" gives way to the page's words
    dragged = page.evaluate_handle(
        "() => { const d = new DataTransfer(); d.items.add(new File(['x'], 'a.csv')); return d; }"
    )
    zone.dispatch_event("dragenter", {"dataTransfer": dragged})
    note = zone.locator(":scope > div:not([data-testid]) > span")
    expect(note).to_have_count(1)
    assert note.evaluate("e => getComputedStyle(e, '::after').content") == (
        f'"{t("app.uploader.drop")}"'
    )
    expect(zone.get_by_text(re.compile("Drag and drop"))).to_be_hidden()
    zone.dispatch_event("dragleave", {"dataTransfer": dragged})
    expect(note).to_have_count(0)
    # a file of another kind: refused by the page, in Chinese, instead of Streamlit's English
    pdf = tmp_path / "街道图.pdf"
    pdf.write_bytes(b"%PDF-1.4")
    panel.locator('input[type="file"]').set_input_files(str(pdf))
    refused = t("app.uploader.refused", file="街道图.pdf", kinds="CSV、TXT、XLSX")
    expect(panel.get_by_test_id("stAlertContentError").get_by_text(refused)).to_be_visible()
    expect(panel.get_by_text(re.compile("not allowed"))).to_have_count(0)


def test_figures_from_a_gbk_sheet_land_after_a_check(
    server: tb.Server, visit: tb.Visit, data_db: Path, tmp_path: Path
) -> None:
    store = open_store(data_db)
    b = store.read("building", columns=["building_id", "compound_id", "name", "number"])
    c = store.read("compound", columns=["compound_id", "name"]).rename(columns={"name": "小区名称"})
    picked = b.merge(c, on="compound_id").dropna(subset=["number"]).iloc[[0, 1]]
    sheet = pd.DataFrame(
        {
            "小区名称": [*picked["小区名称"], "没有这个小区"],
            "楼号": [*(f"{int(n)}号楼" for n in picked["number"]), "1号楼"],
            "户数": ["77", "66", "5"],
        }
    )
    path = tmp_path / "楼栋户数.csv"
    sheet.to_csv(path, index=False, encoding="gbk")
    page = visit.page
    _open(page, server, "table")
    _upload(page, path)
    page.get_by_role("button", name=t("data_page.check")).click()
    expect(page.get_by_text(t("data_page.unmatched_rows"))).to_be_visible()
    # why, in the page's language (the command line says it in English)
    reason = t("import_problem.no_compound", "zh", name="没有这个小区")
    expect(page.get_by_test_id("stDataFrame").first).to_contain_text(reason)
    expect(page.get_by_text(t("data_page.refused_rows", rows=1))).to_be_visible()
    expect(page.get_by_role("button", name=t("data_page.confirm"))).to_have_count(0)
    # fix the file: drop the row that matched nothing, upload it again, check, import
    sheet.iloc[:2].to_csv(path, index=False, encoding="gbk")
    _open(page, server, "table")
    _upload(page, path)
    page.get_by_role("button", name=t("data_page.check")).click()
    page.get_by_role("button", name=t("data_page.confirm")).click()
    expect(page.get_by_text(t("data_page.landed.figures", rows=2, file=path.name))).to_be_visible()
    after = store.read("building").set_index("building_id").loc[picked["building_id"]]
    assert after["households"].tolist() == [77, 66]
    # the tab the user works in stays open while the message comes and goes (it went back
    # to the first tab, the next upload hidden in this one)
    table_tab = page.get_by_role("tab", name=t("data_page.tab.table"))
    expect(table_tab).to_have_attribute("aria-selected", "true")
    page.get_by_role("button", name=t("data_page.check")).wait_for(state="detached")
    _upload(page, path)
    expect(page.get_by_role("button", name=t("data_page.check"))).to_be_visible()
    expect(table_tab).to_have_attribute("aria-selected", "true")
    assert visit.remote(server.url) == []


def test_a_facility_layer_with_a_bad_row_is_shown_and_refused(
    server: tb.Server, visit: tb.Visit, data_db: Path, tmp_path: Path
) -> None:
    store = open_store(data_db)
    before = store.read("facility")
    layer = gpd.GeoDataFrame(
        {
            "编号": ["N1", "N2", "N3"],
            "设施类型": ["卫生站", "幼儿园", "飞船"],
            "名称": ["新卫生站", "<b>新幼儿园</b>", "太空站"],
        },
        geometry=[Point(xy) for xy in before.geometry.iloc[:3].map(lambda g: (g.x, g.y))],
        crs="EPSG:4326",
    )
    path = tmp_path / "设施.geojson"
    layer.to_file(path, driver="GeoJSON")
    page = visit.page
    _layer_tab(page, server, "facility")
    _upload(page, path)
    page.get_by_role("button", name=t("data_page.check")).click()
    expect(page.get_by_text(t("data_page.refused", count=1))).to_be_visible()
    grid = page.get_by_test_id("stDataFrame").first
    expect(grid).to_contain_text(t("import_problem.unknown_kind", "zh", kind="飞船"))
    expect(grid).to_contain_text(t("data_page.field.kind", "zh"))
    preview = page.frame_locator(tb.FOLIUM_IFRAME)
    expect(preview.locator("path.leaflet-interactive")).to_have_count(3)
    expect(page.get_by_role("button", name=t("data_page.confirm"))).to_have_count(0)
    assert len(store.read("facility")) == len(before)
    assert [e for e in visit.errors if "Traceback" in e] == []


def test_a_geopackage_of_several_layers_is_read_from_the_layer_picked(
    server: tb.Server, visit: tb.Visit, data_db: Path, tmp_path: Path
) -> None:
    store = open_store(data_db)
    facilities = store.read("facility")
    path = tmp_path / "街道.gpkg"
    store.read("road").iloc[:5].to_file(path, layer="道路", driver="GPKG")
    facilities.to_file(path, layer="设施", driver="GPKG")
    page = visit.page
    panel = _layer_tab(page, server, "facility")
    _upload(page, path)
    picker = panel.get_by_role("combobox", name=t("data_page.layer_pick"))
    expect(picker).to_be_visible()
    picker.click()
    page.get_by_role("option", name="设施").click()
    page.get_by_role("button", name=t("data_page.check")).click()
    expect(page.get_by_role("button", name=t("data_page.confirm"))).to_be_visible()
    preview = page.frame_locator(tb.FOLIUM_IFRAME)
    expect(preview.locator("path.leaflet-interactive")).to_have_count(len(facilities))
    assert [e for e in visit.errors if "Traceback" in e] == []


def test_an_openstreetmap_extract_becomes_the_street(
    server: tb.Server, visit: tb.Visit, data_db: Path, tmp_path: Path
) -> None:
    """Last in this module: it replaces the whole district of the server's database."""
    osm = _Osm()
    _street(osm)
    path = osm.write(tmp_path / "luoyang.osm")
    page = visit.page
    _open(page, server, "osm")
    _upload(page, path)
    page.get_by_role("button", name=t("data_page.check")).click()
    preview = page.frame_locator(tb.FOLIUM_IFRAME)
    expect(preview.locator("path.leaflet-interactive").first).to_be_visible()
    page.get_by_text(t("data_page.osm_replace")).click()
    page.get_by_role("button", name=t("data_page.confirm")).click()
    # the extract's street comes with its own accounts (no password yet): everyone is
    # signed out; its administrator is given one and signs in through the form
    submit = page.get_by_role("button", name=t("auth.submit"), exact=True)
    expect(submit).to_be_visible()
    store = open_store(data_db)
    (admin,) = [a.login for a in accounts.list_accounts(store) if a.role == Role.ADMIN]
    accounts.set_password(
        store, admin, now=clock.system_now(), actor="test", password=DEMO_PASSWORD
    )
    page.get_by_label(t("auth.login")).fill(admin)
    page.get_by_label(t("auth.password")).fill(DEMO_PASSWORD)
    submit.click()
    flash = page.get_by_test_id("stAlertContentSuccess")
    expect(flash).to_contain_text(path.name)
    counts = open_store(data_db).counts()
    expect(flash).to_contain_text(
        t("data_page.osm_landed", file=path.name, compounds=counts["compound"],
          buildings=counts["building"])
    )  # fmt: skip
    assert counts["building"] == 6 and counts["issue"] == 0
    assert visit.remote(server.url) == []


@pytest.fixture
def demo_server(demo_db: Path, tmp_path: Path) -> Iterator[tb.Server]:
    """A server on a fresh copy of the demo street (the tests above replace theirs)."""
    copy = tmp_path / "mapgov.sqlite"
    shutil.copyfile(demo_db, copy)
    running = tb._start(copy)
    yield running
    tb._stop(running)


def test_an_export_is_made_when_the_button_is_clicked(
    demo_server: tb.Server, visit: tb.Visit, demo_db: Path
) -> None:
    """A reader picks the issue table as CSV and clicks Download: the file has every issue,
    residents masked, its headers in Chinese, named 问题台账 and the day (the file is written on
    the click, not while the page draws)."""
    server = demo_server
    store = open_store(demo_db)
    issues = store.read("issue", columns=["issue_id", "reporter_phone"])
    page = visit.page
    _open(page, server, "export", login="S001-leader")
    ledger = t("data_page.export_name.issue")  # 问题台账, one of 40 tables: typed to find it
    _choose(page, page.get_by_role("combobox", name=t("data_page.export_table")),
            re.compile("^" + re.escape(ledger + "（")), search=ledger)  # fmt: skip
    _choose(page, page.get_by_role("combobox", name=t("data_page.format")), ".csv")
    named = re.compile(re.escape(ledger) + r"-\d{4}-\d{2}-\d{2}\.csv")  # 问题台账-<the day>.csv
    button = page.get_by_role("button", name=re.compile(named.pattern))
    with page.expect_download() as download:
        button.click()
    assert named.fullmatch(download.value.suggested_filename)
    exported = pd.read_csv(download.value.path(), dtype=str, encoding="utf-8-sig")
    # the headers in the page's language: 问题编号, 联系电话 ...
    assert sorted(exported[field_label("issue_id")].astype(int)) == sorted(issues["issue_id"])
    phones = exported[field_label("reporter_phone")].dropna()
    assert len(phones) and phones.str.fullmatch(r"\d{3}\*{4}\d{4}").all()
    assert not set(phones) & set(issues["reporter_phone"].dropna())
    # a map format for a table without geometry is refused on the page, with no button
    steps = t("data_page.export_name.issue_event")  # 问题办理记录: named, not issue_event
    _choose(page, page.get_by_role("combobox", name=t("data_page.export_table")),
            re.compile("^" + re.escape(steps + "（")), search=steps)  # fmt: skip
    _choose(page, page.get_by_role("combobox", name=t("data_page.format")), ".gpkg")
    expect(page.get_by_text(t("error.data.no_geometry", table=steps))).to_be_visible()
    expect(page.get_by_role("button", name=re.compile(r"issue_event"))).to_have_count(0)
    assert visit.remote(server.url) == []
    # (Streamlit's frontend asks /data/_stcore/... for its health when a page is opened by
    # its path, and logs the 404: nothing of mapgov's)
    assert [e for e in visit.errors if "status of 404" not in e] == []


def test_an_administrator_downloads_a_whole_backup(
    demo_server: tb.Server, visit: tb.Visit, demo_db: Path, tmp_path: Path
) -> None:
    """One click on the backup tab gives a zip whose database opens, passes SQLite's
    integrity check and holds every row of the street's."""
    page = visit.page
    _open(page, demo_server, "backup")
    size = re.escape(t("data_page.download_backup", mb="MB", photos="PH"))
    size = size.replace("MB", r"[\d,.]+", 1).replace("PH", r"[\d,]+", 1)
    label = re.compile(f"^{size}$")  # the label gives the database's size and its photos
    with page.expect_download() as download:
        page.get_by_role("button", name=label).click()
    assert re.fullmatch(r"mapgov-backup-\d{4}-\d{2}-\d{2}\.zip", download.value.suggested_filename)
    db = database_of(download.value.path(), tmp_path, "copy.sqlite")
    copy, live = open_store(db).counts(), open_store(demo_server.db).counts()
    # the live audit log goes on with the download itself, made once the backup was whole
    assert live.pop("audit_log") == copy.pop("audit_log") + 1
    assert copy == live
    last = open_store(demo_server.db).query("SELECT kind, subject FROM audit_log").iloc[-1]
    assert (last["kind"], last["subject"]) == (AuditKind.PERSONAL_DATA_VIEWED.value, "backup")
    con = sqlite3.connect(db)
    try:
        assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    finally:
        con.close()
    assert visit.remote(demo_server.url) == []
