"""What staff see of reports from the field (issue 20): the new-report count and filter, the
photos of an issue, and how it was reported; never the reporter's ticket."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from PIL import Image

from mapgov.core.i18n import label, t
from mapgov.core.model import AuditKind, IssueChannel, IssueSource, IssueStatus
from mapgov.domain import field_reports, issue_reads, issues, reports
from mapgov.domain import issues_workflow as workflow
from mapgov.domain.audit import read_audit
from mapgov.domain.users import get_user
from mapgov.io import ledger
from mapgov.io.exports import frame_bytes
from mapgov.io.importers.mapping import guess_mapping
from mapgov.io.importers.read import read_table
from mapgov.io.importers.tables import land_table, plan_table
from mapgov.io.photos import photo_folder
from mapgov.store import Store, open_store
from mapgov.views import data as dataio
from mapgov.views.issues import photo_tiles
from tests.conftest import AS_OF
from tests.fieldreports import COMMUNITY, NOON, STAFF, assign, community_building, file_with_photo


def _report(building_id: str) -> reports.FieldReport:
    return {"building_id": building_id, "category": "water_pipes", "description": "水管漏水"}


def test_a_phone_report_is_new_until_it_is_assigned(any_work_store: Store) -> None:
    store = any_work_store
    assert field_reports.new_report_count(store, COMMUNITY) == 0  # the demo's ledger: desk only
    building = community_building(store)
    filed = reports.file_report(store, _report(building), by=None, source="web 1.2.3.4", now=NOON)
    worker = reports.file_report(
        store, _report(building), by=get_user(store, STAFF), source="web 1.2.3.5", now=NOON
    )
    elsewhere = reports.file_report(
        store, _report(community_building(store, "S001-C2")), by=None, source="web 1.2.3.4",
        now=NOON,
    )  # fmt: skip
    assert field_reports.new_report_count(store, COMMUNITY) == 2
    assert field_reports.new_report_count(store, "S001-C2") == 1
    new = issues.community_issues(store, COMMUNITY, new_only=True, columns=("issue_id",))
    assert sorted(new["issue_id"]) == sorted([filed.issue_id, worker.issue_id])
    assert elsewhere.issue_id not in set(new["issue_id"])
    # the other filters still apply, and the map's counts follow the filter
    assert issues.community_issues(store, COMMUNITY, new_only=True, categories=["lighting"]).empty
    counts = issues.building_issue_counts(store, COMMUNITY, today=AS_OF, new_only=True)
    assert counts.set_index("building_id")["open"].to_dict()[building] == 2
    assert counts["open"].sum() == 2
    listed = field_reports.new_reports(store, COMMUNITY)
    assert listed["issue_id"].tolist() == [filed.issue_id, worker.issue_id]
    assert set(listed["source"]) == {IssueSource.QR_CODE.value, IssueSource.GRID_WORKER.value}
    assert listed["building"].notna().all() and listed["compound"].notna().all()
    assert "ticket" not in listed.columns and "reporter_name" not in listed.columns
    assign(store, filed.issue_id)
    assert field_reports.new_report_count(store, COMMUNITY) == 1
    desk = workflow.log_issue(
        store,
        get_user(store, STAFF),
        building_id=building,
        category="lighting",
        source="grid_worker",
        title="桌面登记",
    )
    assert desk not in set(issues.community_issues(store, COMMUNITY, new_only=True)["issue_id"])
    assert field_reports.new_report_count(store, COMMUNITY) == 1


def test_the_panel_reads_the_channel_the_new_mark_and_the_photos(work_store: Store) -> None:
    store = work_store
    building = community_building(store)
    filed, name = file_with_photo(store, building)
    staff = get_user(store, STAFF)
    table = issue_reads.building_issues(store, building, user=staff, today=AS_OF)
    row = table.set_index("issue_id").loc[filed.issue_id]
    assert (row["channel"], row["new"], row["photos"]) == (IssueChannel.PHONE.value, True, 1)
    assert not table.loc[table["issue_id"] != filed.issue_id, "new"].any()
    issue = issue_reads.get_issue(store, filed.issue_id, user=staff, today=AS_OF)
    assert issue["channel"] == IssueChannel.PHONE.value
    assert issue["source"] == IssueSource.QR_CODE.value
    assert issue["status"] == IssueStatus.REPORTED.value
    photos = reports.issue_photos(store, filed.issue_id)
    assert photos["name"].tolist() == [name]
    (tile,) = photo_tiles(photos, photo_folder(store.path))  # type: ignore[attr-defined]
    assert (tile.width, tile.height) == (640, 480)
    assert tile.thumbnail is not None and tile.full is not None
    assert Image.open(io.BytesIO(tile.thumbnail)).size[0] < 640
    assert Image.open(io.BytesIO(tile.full)).size == (640, 480)


def test_a_missing_photo_file_is_a_placeholder_not_an_error(work_store: Store) -> None:
    store = work_store
    filed, name = file_with_photo(store, community_building(store), colour=(1, 2, 3))
    folder = photo_folder(store.path)  # type: ignore[attr-defined]
    for path in folder.folder.rglob(f"{name}*"):
        path.unlink()
    rows = reports.issue_photos(store, filed.issue_id)
    bad = pd.concat([rows, rows.assign(name="../../etc/passwd")], ignore_index=True)
    tiles = photo_tiles(bad, folder)
    assert [(x.thumbnail, x.full) for x in tiles] == [(None, None), (None, None)]


@pytest.mark.parametrize("role_user", [STAFF, "S001-leader", "S001-C2-staff1"])
def test_the_ticket_is_in_no_staff_view(work_store: Store, role_user: str) -> None:
    store = work_store
    building = community_building(store)
    filed, _ = file_with_photo(store, building, colour=(4, 5, 6))
    user = get_user(store, role_user)
    seen = [
        issue_reads.get_issue(store, filed.issue_id, user=user, today=AS_OF),
        issue_reads.building_issues(store, building, user=user, today=AS_OF),
        issue_reads.issue_timeline(store, filed.issue_id, user=user),
        field_reports.new_reports(store, COMMUNITY),
        issues.community_issues(store, COMMUNITY),
        issue_reads.building_profile(store, building, user=user, today=AS_OF),
        reports.issue_photos(store, filed.issue_id),
    ]
    for shown in seen:
        text = shown.to_csv() if isinstance(shown, pd.DataFrame) else repr(shown)
        assert filed.ticket not in text
        assert "ticket" not in text


# -- the ledger workbook ---------------------------------------------------------------------
def _sheet_text(data: bytes) -> str:
    book = openpyxl.load_workbook(io.BytesIO(data))
    return "\n".join(
        str(cell) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True)
        for cell in row
    )  # fmt: skip


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_ledger_says_how_each_issue_was_reported_and_never_the_ticket(
    work_store: Store, lang: str
) -> None:
    store = work_store
    filed, _ = file_with_photo(store, community_building(store))
    staff = get_user(store, STAFF)
    rows = ledger.community_ledger(store, COMMUNITY, user=staff, today=AS_OF)
    assert "ticket" not in rows.columns
    channels = rows.set_index("issue_id")["channel"]
    assert channels[filed.issue_id] == IssueChannel.PHONE.value
    assert (channels.drop(filed.issue_id) == IssueChannel.DESK.value).all()
    sheet = ledger.ledger_table(rows, lang)
    header = t("issues.field_report.channel", lang)
    shown = sheet.set_index(t("issues.col.issue_id", lang))[header]
    assert shown[filed.issue_id] == label(IssueChannel.PHONE, lang)
    assert shown.drop(filed.issue_id).eq(label(IssueChannel.DESK, lang)).all()
    assert filed.ticket not in sheet.to_csv()
    text = _sheet_text(ledger.ledger_xlsx(rows, lang))
    assert label(IssueChannel.PHONE, lang) in text and filed.ticket not in text
    new = ledger.community_ledger(store, COMMUNITY, user=staff, today=AS_OF, new_only=True)
    assert new["issue_id"].tolist() == [filed.issue_id]


@pytest.mark.parametrize("keep_channel", [True, False])
def test_an_exported_ledger_imports_again_with_its_channel(
    work_store: Store, demo_db: Path, tmp_path: Path, keep_channel: bool
) -> None:
    """Export (in Chinese: the importer knows the Chinese headers), then import into a street
    that has not the report: the report comes back a phone report; a ledger without the
    column (an office's own) is entered at the desk."""
    store = work_store
    lang = "zh"
    file_with_photo(store, community_building(store, n=4))
    staff = get_user(store, STAFF)
    rows = ledger.community_ledger(store, COMMUNITY, user=staff, today=AS_OF, new_only=True)
    sheet = ledger.ledger_table(rows, lang)
    if not keep_channel:
        sheet = sheet.drop(columns=t("issues.field_report.channel", lang))
    path = tmp_path / "ledger.xlsx"
    path.write_bytes(frame_bytes(sheet, ".xlsx"))
    other = tmp_path / "other.sqlite"
    shutil.copyfile(demo_db, other)
    target = open_store(other)
    frame = read_table(path)
    mapping = guess_mapping(list(frame.columns), "ledger")
    assert ("channel" in mapping) is keep_channel
    plan = plan_table(target, frame, "ledger", path=path, mapping=mapping)
    assert not plan.errors, plan.errors
    assert land_table(target, plan, actor="test") == 1
    (issue,) = target.read("issue", where={"title": rows["title"].iloc[0]}).itertuples()
    expected = IssueChannel.PHONE if keep_channel else IssueChannel.DESK
    assert issue.channel == expected.value
    assert issue.ticket is None or pd.isna(issue.ticket)  # a ticket is never exported
    assert issue.source == IssueSource.QR_CODE.value


def test_the_audit_log_keeps_the_ticket_from_its_readers(work_store: Store) -> None:
    """The page and the export of the audit log read it through read_audit: a field report's
    entry shows where it came from and about which building, never its ticket."""
    store = work_store
    building = community_building(store)
    filed, _ = file_with_photo(store, building, colour=(7, 8, 9))
    log = read_audit(store)
    (row,) = log[log["kind"] == AuditKind.FIELD_REPORT.value].itertuples()
    assert (row.subject, row.source) == (building, "web 1.2.3.4")
    assert filed.ticket not in log.to_csv()
    stored = store.query("SELECT detail FROM audit_log WHERE kind = 'field_report'")
    assert stored["detail"].tolist() == [filed.ticket]  # kept, for the record


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_the_issue_table_exports_without_tickets(work_store: Store, suffix: str) -> None:
    """The data page's (and `mapgov export`'s) export of the issue table leaves the ticket out."""
    store = work_store
    filed, _ = file_with_photo(store, community_building(store), colour=(3, 3, 3))
    data = dataio.export_bytes(store, "issue", suffix)
    text = _sheet_text(data) if suffix == ".xlsx" else data.decode("utf-8-sig")
    assert "channel" in text and IssueChannel.PHONE.value in text
    assert filed.ticket not in text and "ticket" not in text
