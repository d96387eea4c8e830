"""The issue page shows reports from the field (issue 20): a count of new reports and a
filter to them, a report filed by another session at the next run, its photos and how it was
reported in the panel; never its ticket. SQLite: the photos live in a folder beside it."""

from __future__ import annotations

import json

from streamlit.testing.v1 import AppTest

from mapgov.core.i18n import label, t
from mapgov.core.model import IssueChannel, IssueSource
from mapgov.domain import issues
from mapgov.io.photos import photo_folder
from mapgov.store import Store
from mapgov.ui import issues as issue_ui
from mapgov.ui import issues_panel
from tests.apptest import ok, open_page
from tests.fieldreports import COMMUNITY, STAFF, community_building, file_with_photo

TIMEOUT = 60
NEW_ONLY = "mapgov.issues.filter.new_only"


def _open(lang: str = "zh") -> AppTest:
    return open_page("issues", lang=lang, user=STAFF, community=COMMUNITY, timeout=TIMEOUT)


def _sidebar_text(at: AppTest) -> str:
    return "\n".join(m.value for m in at.sidebar.markdown)


def _everything(at: AppTest) -> str:
    """Every text of the page a person could read (and the map's script)."""
    parts = [str(e.value) for e in (*at.markdown, *at.caption, *at.info, *at.metric)]
    parts += [d.value.to_csv() for d in at.dataframe]
    parts += [str(s.options) for s in at.selectbox]
    parts += [json.loads(c.proto.json_args).get("script", "") for c in at.get("component_instance")]
    return "\n".join(parts)


def _ledger_label(at: AppTest) -> str:
    (button,) = [
        b for b in at.get("download_button") if b.proto.id.endswith("mapgov.issues.ledger")
    ]
    return str(button.proto.label)


def test_a_report_filed_elsewhere_shows_in_the_count_the_filter_and_the_panel(
    app_db: Store,
) -> None:
    at = _open()
    ok(at)
    assert t("issues.field_report.badge", n=0) in _sidebar_text(at)
    building = community_building(app_db, n=2)
    filed, _ = file_with_photo(app_db, building)  # the phone page, in another session
    at.run()
    ok(at)
    assert t("issues.field_report.badge", n=1) in _sidebar_text(at)
    everything = len(issues.community_issues(app_db, COMMUNITY))
    assert _ledger_label(at) == t("issues.ledger.download", n=f"{everything:,}")
    at.sidebar.toggle(key=NEW_ONLY).set_value(True).run()
    ok(at)
    assert _ledger_label(at) == t("issues.ledger.download", n="1")  # the filter reaches it
    (component,) = at.get("component_instance")
    script = json.loads(component.proto.json_args)["script"]
    assert script.count('"open": 1') == 1 and '"open": 2' not in script
    assert t("issues.field_report.list", n=1) in _everything(at)
    at.selectbox(key=issues_panel.NEW_PICK).set_value(filed.issue_id).run()
    ok(at)
    assert at.session_state[issue_ui.TARGET] == (issue_ui.BUILDING, building)
    assert at.session_state[issue_ui.ISSUE] == filed.issue_id
    text = _everything(at)
    assert label(IssueChannel.PHONE) in text and label(IssueSource.QR_CODE) in text
    assert t("issues.field_report.photos", n=1) in text
    assert len(at.get("image")) >= 1  # the thumbnail (the full photo is in its popover)
    shown = [d.value for d in at.dataframe if t("issues.col.title") in d.value.columns]
    (table,) = shown
    mark = table.set_index(t("issues.col.issue_id")).loc[filed.issue_id]
    assert mark[t("issues.field_report.col_new")] == t("issues.field_report.new_mark")
    assert mark[t("issues.field_report.col_photos")] == "1"
    assert filed.ticket not in text
    at.sidebar.toggle(key=NEW_ONLY).set_value(False).run()
    ok(at)
    assert filed.ticket not in _everything(at)


def test_a_missing_photo_file_shows_a_placeholder(app_db: Store) -> None:
    building = community_building(app_db, n=3)
    filed, name = file_with_photo(app_db, building, colour=(20, 200, 20))
    for path in photo_folder(app_db.path).folder.rglob(f"{name}*"):  # type: ignore[attr-defined]
        path.unlink()
    at = _open(lang="en")
    at.sidebar.toggle(key=NEW_ONLY).set_value(True).run()
    at.selectbox(key=issues_panel.NEW_PICK).set_value(filed.issue_id).run()
    ok(at)
    assert t("issues.field_report.photo_missing", "en") in [i.value for i in at.info]
    assert not at.get("image")
