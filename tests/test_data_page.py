"""The data page under AppTest: who sees what, and that nothing on it raises.

Uploads cannot be made under AppTest; ``tests/test_browser_data.py`` uploads real files in
chromium, checks them and imports them.
"""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from mapgov.i18n import t
from mapgov.store import Store

from .apptest import ok, open_page

TIMEOUT = 90
ADMIN = "S001-admin"
LEADER = "S001-leader"


def _open(user: str, lang: str = "zh") -> AppTest:
    return open_page("data", lang=lang, user=user, timeout=TIMEOUT)


def test_an_administrator_gets_every_import_and_the_backup(app_db: Store) -> None:
    at = _open(ADMIN)
    ok(at)
    assert [tab.label for tab in at.tabs] == [
        t(f"data_page.tab.{name}") for name in ("layer", "table", "osm", "export", "backup")
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
    assert [e.value for e in at.error] == [
        "issue steps has no geometry; export it as Excel or CSV."
    ]
