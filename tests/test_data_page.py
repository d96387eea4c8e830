"""The data page under AppTest: who sees what, and that nothing on it raises.

Uploads cannot be made under AppTest; ``tests/test_browser_data.py`` uploads real files in
chromium, checks them and imports them.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from mapgov.config import DB_ENV
from mapgov.i18n import t
from mapgov.store import Store, open_store

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT = 90
ADMIN = "S001-admin"
LEADER = "S001-leader"


@pytest.fixture
def app_db(demo_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Store:
    path = tmp_path / "mapgov.sqlite"
    shutil.copyfile(demo_db, path)
    monkeypatch.setenv(DB_ENV, str(path))
    return open_store(path)


def _open(user: str, lang: str = "zh") -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.query_params.update({"lang": lang, "user": user})
    at.run()
    return at.switch_page("app_pages/data.py").run()


def _ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def test_an_administrator_gets_every_import_and_the_backup(app_db: Store) -> None:
    at = _open(ADMIN)
    _ok(at)
    assert [tab.label for tab in at.tabs] == [
        t(f"data_page.tab.{name}") for name in ("layer", "table", "osm", "export", "backup")
    ]
    assert at.selectbox(key="layer.table").options == ["小区", "楼栋", "设施", "道路"]
    assert at.selectbox(key="table.kind").value == "figures"
    assert not [i for i in at.info if i.value == t("data_page.admin_only")]
    at.button(key="backup.make").click().run()
    _ok(at)
    assert at.session_state["backup.bytes"][:16] == b"SQLite format 3\x00"


def test_others_may_export_but_not_import(app_db: Store) -> None:
    at = _open(LEADER, lang="en")
    _ok(at)
    refusals = [i for i in at.info if i.value == t("data_page.admin_only", "en")]
    assert len(refusals) == 4  # layer, table, OpenStreetMap, backup tabs
    with pytest.raises(KeyError):
        at.selectbox(key="layer.table")
    table = at.selectbox(key="export.table")
    assert any(option.startswith("issue (") for option in table.options)
    table.select("building").run()
    at.selectbox(key="export.fmt").select(".geojson").run()
    _ok(at)
    assert at.selectbox(key="export.table").value == "building"


def test_a_map_format_for_a_plain_table_says_why(app_db: Store) -> None:
    at = _open(LEADER, lang="en")
    at.selectbox(key="export.table").select("issue_event").run()
    at.selectbox(key="export.fmt").select(".gpkg").run()
    assert not at.exception
    assert [e.value for e in at.error] == [
        "issue_event has no geometry; export it as Excel or CSV."
    ]
