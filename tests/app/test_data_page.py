"""The data page under AppTest: who sees what, and that nothing on it raises.

A bad restore file is uploaded under AppTest (its message); ``tests/browser/test_browser_data.py``
uploads real files in chromium, checks them and imports them.
"""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from mapgov.core.i18n import LANGS, t
from mapgov.core.model import Role
from mapgov.domain.users import User
from mapgov.io.importers import backup
from mapgov.store import Store
from mapgov.ui.widgets import streamlit_words_css
from tests.apptest import ok, open_page, shown_errors
from tests.archives import database_of

TIMEOUT = 90
ADMIN = "S001-admin"
LEADER = "S001-leader"


def _open(user: str, lang: str = "zh") -> AppTest:
    return open_page("data", lang=lang, user=user, timeout=TIMEOUT)


def test_an_administrator_gets_every_import_and_the_backup(app_db: Store) -> None:
    at = _open(ADMIN)
    ok(at)
    assert [tab.label for tab in at.tabs] == [
        t(f"data_page.tab.{name}") for name in ("layer", "table", "osm", "export", "qr", "backup")
    ]
    assert at.selectbox(key="layer.table").options == ["小区", "楼栋", "设施", "道路"]
    assert at.selectbox(key="table.kind").value == "figures"
    assert not [i for i in at.info if i.value == t("data_page.admin_only")]
    (backup,) = [b for b in at.get("download_button") if b.proto.id.endswith("backup.download")]
    assert backup.proto.label.startswith("下载完整备份")


def test_others_may_export_but_not_import(app_db: Store) -> None:
    at = _open(LEADER, lang="en")
    ok(at)
    refusals = [i for i in at.info if i.value == t("data_page.admin_only", "en")]
    assert len(refusals) == 4  # layer, table, OpenStreetMap, backup tabs
    # the whole street is in view: QR sheets are printed for one community
    assert t("data_page.qr.pick_community", "en") in [i.value for i in at.info]
    with pytest.raises(KeyError):
        at.selectbox(key="layer.table")
    table = at.selectbox(key="export.table")
    assert any(option.startswith("issue ledger (") for option in table.options)
    table.select("building").run()
    at.selectbox(key="export.fmt").select(".geojson").run()
    ok(at)
    assert at.selectbox(key="export.table").value == "building"


def test_a_map_format_for_a_plain_table_says_why(app_db: Store) -> None:
    at = _open(LEADER, lang="en")
    at.selectbox(key="export.table").select("issue_event").run()
    at.selectbox(key="export.fmt").select(".gpkg").run()
    assert not at.exception
    assert shown_errors(at) == ["issue steps has no geometry; export it as Excel or CSV."]


def _broken_references(good: bytes, folder: Path) -> bytes:
    path = folder / "refs.sqlite"
    path.write_bytes(good)
    con = sqlite3.connect(path)
    con.execute("PRAGMA foreign_keys = OFF")
    con.execute("UPDATE building SET compound_id = 'K-NONE' WHERE rowid <= 3")
    con.commit()
    con.close()
    return path.read_bytes()


@pytest.mark.parametrize("lang", LANGS)
def test_a_bad_restore_file_is_refused_in_the_interface_language(
    app_db: Store, tmp_path: Path, lang: str
) -> None:
    """Issue 18: a bad restore file gave an English message with the server's temporary
    paths in the Chinese interface. The refusal is in the interface's language and names the
    uploaded file by the name it was uploaded with, never a folder of the server."""
    good = database_of(backup(app_db, tmp_path / "good.zip").path, tmp_path).read_bytes()
    files = {
        "not_backup": ("notes.sqlite", b"not a database at all" * 100),
        "truncated": ("cut.sqlite", good[: len(good) // 2]),
        "not_whole": ("refs.sqlite", _broken_references(good, tmp_path)),
    }
    for name, (file_name, content) in files.items():
        at = _open(ADMIN, lang=lang)
        at.file_uploader(key="restore.file.0").upload(file_name, content).run()
        at.checkbox(key="restore.sure").check().run()
        at.button(key="restore.go").click().run()
        assert not at.exception
        (message,) = shown_errors(at)
        assert file_name in message, (name, message)
        assert "/" not in message and "\\" not in message and "tmp" not in message, message
        if lang == "zh":
            assert "当前数据库未作任何改动" in message, message
            assert not re.search(
                r"[A-Za-z]{4,}", message.replace(file_name, "").replace("mapgov", "")
            ), message
        else:
            assert not re.search(r"[\u4e00-\u9fff]", message), message


def _restore_upload(lang: str, file_name: str, content: bytes) -> AppTest:
    at = _open(ADMIN, lang=lang)
    at.file_uploader(key="restore.file.0").upload(file_name, content).run()
    at.checkbox(key="restore.sure").check().run()
    at.button(key="restore.go").click().run()
    assert not at.exception
    return at


def test_a_file_named_as_markdown_is_shown_as_its_name(app_db: Store) -> None:
    """A file's own words (its name, a cell, a layer) reach the page's error box as text: a
    name written as a Markdown image would otherwise load it from anywhere."""
    hostile = "![x](evil.png)*b*.zip"
    at = _restore_upload("zh", hostile, b"not a zip at all")
    (error,) = at.error
    assert "\\!\\[x\\]\\(evil" in error.value  # escaped in the Markdown it is drawn from
    (message,) = shown_errors(at)
    assert message.startswith(hostile)


def test_a_backup_archive_restores_with_its_photos(app_db: Store, tmp_path: Path) -> None:
    """Issue 20: the page's backup is a zip of the database and its photos; uploading it
    restores both, and says how many photos were added."""
    from mapgov.io.photos import photo_folder
    from mapgov.views import data as dataio
    from tests.archives import add_photo

    folder = photo_folder(app_db.path)
    name = add_photo(app_db, folder)
    photo = folder.read(name)
    admin = User("a0", "管理员", Role.ADMIN, "S001")
    zipped = dataio.backup_bytes(app_db, admin)  # what the download button hands over
    assert zipped[:4] == b"PK\x03\x04"
    folder.path(name).unlink()
    at = _restore_upload("en", "mapgov-backup-2026-11-15.zip", zipped)
    assert not at.error
    # the restore ended every session: the page asks to sign in again, then says what it did
    assert at.session_state["data_io.flash"] == t(
        "data_page.backup_photos.restored", "en",
        file="mapgov-backup-2026-11-15.zip", added=1, kept=0,
    )  # fmt: skip
    assert folder.read(name) == photo


def test_a_hostile_archive_is_refused_on_the_page_naming_its_entry(
    app_db: Store, tmp_path: Path
) -> None:
    import zipfile

    good = backup(app_db, tmp_path / "good.zip").path
    bad = tmp_path / "bad.zip"
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(bad, "w") as out:
        out.writestr("mapgov.sqlite", source.read("mapgov.sqlite"))
        out.writestr("../../etc/cron.d/evil", b"* * * * * root rm -rf /")
    before = app_db.data_version()
    at = _restore_upload("zh", "街道备份.zip", bad.read_bytes())
    (message,) = shown_errors(at)
    assert message.startswith("街道备份.zip，条目“../../etc/cron.d/evil”："), message
    assert "未恢复任何数据" in message and str(tmp_path) not in message
    assert app_db.data_version() == before


def test_staff_print_the_qr_sheets_of_a_compound(app_db: Store) -> None:
    import io

    import pypdf

    from mapgov.views import data as dataio

    at = open_page("data", user="S001-C1-staff1", community="S001-C1", timeout=TIMEOUT)
    ok(at)
    compound = at.selectbox(key="qr.compound")
    assert compound.value is None  # every building of the community, unless one is picked
    first = compound.options[1]
    compound.select(first).run()
    at.text_input(key="qr.base_url").input("jiedao.example.cn").run()
    assert shown_errors(at) == [
        t("error.qr.base_url", url="jiedao.example.cn")
    ]  # no download until residents could open the address
    assert not [b for b in at.get("download_button") if b.proto.id.endswith("qr.download")]
    at.text_input(key="qr.base_url").input("https://jiedao.example.cn").run()
    ok(at)
    assert [b for b in at.get("download_button") if b.proto.id.endswith("qr.download")]
    cid = at.selectbox(key="qr.compound").value
    pdf = dataio.qr_sheet_bytes(
        app_db,
        community_id="S001-C1",
        compound_id=cid,
        base_url="https://jiedao.example.cn",
        hotline="",
        lang="zh",
    )
    buildings = app_db.read("building", where={"compound_id": cid})
    assert len(pypdf.PdfReader(io.BytesIO(pdf)).pages) == len(buildings)


@pytest.mark.parametrize("lang", LANGS)
def test_a_file_of_another_kind_is_refused_in_the_pages_language(app_db: Store, lang: str) -> None:
    """Streamlit's own refusal of a wrong kind is English ("application/pdf files are not
    allowed.") and one sent past it raised: the page names the file and the kinds it takes,
    in its language, and goes on as if no file had been chosen."""
    at = _open(ADMIN, lang=lang)
    at.file_uploader(key="table.file.0").upload("街道图.pdf", b"%PDF-1.4").run()
    assert not at.exception
    kinds = ("、" if lang == "zh" else ", ").join(("CSV", "TXT", "XLSX"))
    assert shown_errors(at) == [t("app.uploader.refused", lang, file="街道图.pdf", kinds=kinds)]
    with pytest.raises(KeyError):  # nothing to check
        at.button(key="table.check")
    assert t("data_page.kind_help.figures", lang) in [c.value for c in at.caption]
    at.file_uploader(key="table.file.0").upload("楼栋户数.CSV", "楼栋编号,户数\n".encode()).run()
    ok(at)
    at.button(key="table.check")  # the right kind is taken, whatever the case of its ending


def test_a_refused_sheet_counts_its_errors_as_its_two_lists_do(app_db: Store) -> None:
    """The audit's sheet had a bad 户数 and a building that does not exist: the banner said
    3 errors beside a problem list of 2 rows and an unmatched list of 1."""
    building = str(app_db.read("building", columns=["building_id"])["building_id"].iloc[0])
    sheet = f"楼栋编号,户数\n{building},abc\nS999-X,30\n".encode()
    at = _open(ADMIN)
    at.file_uploader(key="table.file.0").upload("楼栋户数.csv", sheet).run()
    at.button(key="table.check").click().run()
    assert not at.exception
    refused = t("data_page.refused_unmatched", count=1, rows=1)
    assert refused in shown_errors(at)
    assert refused.startswith("问题清单有 1 处错误，另有 1 行未能匹配到楼栋")


def test_streamlits_own_words_are_covered_once_per_run(app_db: Store) -> None:
    """Four uploaders on the page, one sheet for them all (it was written once per uploader,
    on every run)."""
    at = _open(ADMIN)
    ok(at)
    sheets = [h.proto.body for h in at.get("html") if "stFileUploaderDropzone" in h.proto.body]
    assert sheets == [streamlit_words_css("zh")]


def test_a_second_sheet_gets_its_own_columns_picked(app_db: Store) -> None:
    """The audit chose a sheet of 户数 only, then, without reloading, a fuller one: the
    pickers kept the first sheet's choices, 人口 and 楼栋长 went unread and the import said
    it had updated the building. Each file's columns are guessed afresh."""
    building = str(app_db.read("building", columns=["building_id"])["building_id"].iloc[0])
    at = _open(ADMIN)
    at.file_uploader(key="table.file.0").upload(
        "户数.csv", f"楼栋编号,户数\n{building},42\n".encode()
    )
    at.run()
    residents = t("data_page.field.residents")
    assert _picked(at, residents) == t("data_page.no_column")  # not in the first sheet
    fuller = f"楼栋编号,户数,人口,楼栋长\n{building},42,123,王新长\n".encode()
    at.file_uploader(key="table.file.0").upload("全部.csv", fuller).run()
    ok(at)
    assert _picked(at, residents) == "人口"
    assert _picked(at, t("data_page.field.building_head")) == "楼栋长"


def _picked(at: AppTest, label: str) -> str:
    """What the mapping picker labelled `label` shows."""
    (box,) = [s for s in at.selectbox if s.label.removesuffix(" *") == label]
    return str(box.format_func(box.value))
