"""The phone page /report (issue 20) in AppTest: open without signing in, showing nothing of the
street but names; a report filed with its photo; rate limits; the ticket page and callback."""

from __future__ import annotations

import datetime as dt
import os

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from mapgov.core import clock
from mapgov.core.config import DB_ENV
from mapgov.core.errors import ValidationError
from mapgov.core.i18n import error_text, t
from mapgov.core.model import AuditKind, IssueStatus
from mapgov.domain import accounts, reports
from mapgov.domain import issues_workflow as workflow
from mapgov.domain.users import get_user
from mapgov.io.photos import MAX_BYTES, photo_folder
from mapgov.store import Store
from mapgov.ui.report import PHOTO_TYPES
from mapgov.ui.shell import PAGES
from mapgov.views.markup import md_text
from tests.apptest import click_map, ok, open_page, shown_errors
from tests.conftest import AS_OF
from tests.fieldreports import STAFF, has_exif, phone_jpeg, quiet_building, resolve

NOON = dt.datetime.combine(AS_OF, dt.time(12))


def _report_page(query: dict[str, str], *, user: str | None = None, lang: str = "zh") -> AppTest:
    return open_page("report", user=user, lang=lang, query=query)


def _fill(at: AppTest, description: str = "3单元楼道灯不亮", category: str = "lighting") -> AppTest:
    at.selectbox(key="report.field.category").select(category).run()
    at.text_area(key="report.field.description").input(description).run()
    return at


def _send(at: AppTest) -> AppTest:
    return at.button(key="report.submit").click().run()


def _shown(at: AppTest) -> str:
    return " ".join(
        str(e.value)
        for kind in ("markdown", "caption", "title", "subheader", "text", "code", "metric")
        for e in at.get(kind)
    )


def test_report_opens_without_signing_in_and_shows_no_street_data(app_db: Store) -> None:
    building = quiet_building(app_db)
    at = _report_page({"building": building}, lang="en")
    ok(at)
    assert t("auth.title", "en") not in [e.value for e in at.title]  # no sign-in form
    assert [e.value for e in at.title] == [t("page.report.title", "en")]
    assert not at.sidebar.children or not any(at.sidebar.get(k) for k in ("selectbox", "button"))
    assert not at.metric and not at.dataframe and not at.get("component_instance")
    place = app_db.read("building", where={"building_id": building}).iloc[0]
    assert place["name"] in _shown(at)  # the QR code's building, by name
    shown = _shown(at)
    words = [*app_db.read("street")["name"], *app_db.read("community")["name"]]
    assert [w for w in words if w in shown] == []  # nothing of the street around it


@pytest.mark.parametrize("page", [p.key for p in PAGES])
def test_every_other_page_still_asks_to_sign_in_after_report(app_db: Store, page: str) -> None:
    at = _report_page({}, lang="en")
    ok(at)
    at.query_params.clear()
    at = at.switch_page(f"app_pages/{page}.py").run()
    ok(at)
    assert [e.value for e in at.title] == [t("auth.title", "en")]
    assert not at.metric and not at.get("component_instance")


def test_a_resident_files_a_report_with_a_photo(app_db: Store) -> None:
    building = quiet_building(app_db)
    at = _fill(_report_page({"building": building}))
    at.text_input(key="report.field.name").input("王秀英").run()
    at.text_input(key="report.field.phone").input("13912345678").run()
    at.file_uploader(key="report.field.photos").set_value(
        ("IMG_0001.jpg", phone_jpeg(), "image/jpeg")
    ).run()
    at = _send(at)
    ok(at)
    (ticket,) = [c.value for c in at.code]
    issue = app_db.read("issue", where={"ticket": ticket}).iloc[0]
    assert (issue["building_id"], issue["category"], issue["channel"]) == (
        building,
        "lighting",
        "phone",
    )
    assert (issue["reporter_name"], issue["source"]) == ("王秀英", "qr_code")
    photos = reports.issue_photos(app_db, int(issue["issue_id"]))
    assert len(photos) == 1
    folder = photo_folder(os.environ[DB_ENV])  # the database the app opened
    assert not has_exif(folder.read(photos["name"].iloc[0]))
    assert f"/report?ticket={ticket}" in _shown(at)
    # the ticket page of that report
    at = _report_page({"ticket": ticket})
    ok(at)
    assert [m.value for m in at.metric] == [t("issue_status.reported", "zh")]


def test_a_bad_photo_is_named_and_nothing_is_filed(app_db: Store) -> None:
    before = app_db.counts()["issue"]
    at = _fill(_report_page({"building": quiet_building(app_db)}, lang="en"))
    at.file_uploader(key="report.field.photos").set_value(
        [("ok.jpg", phone_jpeg(), "image/jpeg"), ("broken.jpg", b"not a photo", "image/jpeg")]
    ).run()
    at = _send(at)
    assert not at.exception
    (message,) = [e.value for e in at.error]
    assert "broken.jpg" in message and "not a photo" in message
    assert app_db.counts()["issue"] == before
    assert not at.code  # no ticket


def test_a_file_that_is_no_photo_is_refused_by_name_and_the_rest_kept(app_db: Store) -> None:
    """A resident who picks a document among the photos is told, in Chinese, which file is
    not taken and which kinds are; the photos go on, the document is not filed."""
    building = quiet_building(app_db)
    at = _fill(_report_page({"building": building}))
    at.file_uploader(key="report.field.photos").set_value(
        [("IMG_0002.JPG", phone_jpeg(), "image/jpeg"), ("说明.docx", b"PK", "application/x")]
    ).run()
    assert not at.exception
    kinds = "、".join(x.upper() for x in PHOTO_TYPES)
    assert shown_errors(at) == [t("app.uploader.refused", file="说明.docx", kinds=kinds)]
    assert t("report.attached", n=1, most=reports.MAX_PHOTOS) in [c.value for c in at.caption]
    at = _send(at)
    ok(at)
    (ticket,) = [c.value for c in at.code]
    issue = app_db.read("issue", where={"ticket": ticket}).iloc[0]
    assert len(reports.issue_photos(app_db, int(issue["issue_id"]))) == 1


def test_the_eleventh_anonymous_report_in_a_minute_is_refused(app_db: Store) -> None:
    building = quiet_building(app_db)
    now = clock.system_now()
    report: reports.FieldReport = {
        "building_id": building,
        "category": "sanitation",
        "description": "垃圾没清",
    }
    for _ in range(reports.ADDRESS_LIMIT[0]):  # AppTest has no client address: source "web"
        reports.file_report(app_db, report, by=None, source="web", now=now)
    before = app_db.counts()["issue"]
    at = _send(_fill(_report_page({"building": building}, lang="en"), category="parking"))
    assert not at.exception and not at.code
    (message,) = [e.value for e in at.error]
    expected = error_text(
        ValidationError("", key="error.report.too_many_address", most=10, minutes=1),
        "en",
    )
    assert message == expected
    assert app_db.counts()["issue"] == before
    assert accounts.read_audit(app_db)["kind"].iloc[-1] == AuditKind.REPORT_REFUSED.value


def _filed(store: Store, at: AppTest) -> tuple[pd.Series, pd.Series]:
    """The issue of the ticket the page shows, and its first event."""
    (ticket,) = [c.value for c in at.code]
    issue = store.read("issue", where={"ticket": ticket}).iloc[0]
    event = store.read("issue_event", where={"issue_id": int(issue["issue_id"])}).iloc[0]
    return issue, event


def test_signed_in_staff_file_as_themselves(app_db: Store) -> None:
    building = quiet_building(app_db)
    at = _report_page({"building": building}, user=STAFF)
    ok(at)
    assert [w.key for w in at.text_input] == ["report.lookup_ticket"]  # no name, no phone
    at = _send(_fill(at))
    ok(at)
    issue, event = _filed(app_db, at)
    assert issue["source"] == "grid_worker"
    assert event["actor"] == get_user(app_db, STAFF).name


def test_an_open_issue_of_the_same_kind_is_offered_to_follow(app_db: Store) -> None:
    building = quiet_building(app_db)
    hostile = "<img src=x onerror=alert(1)> **灯**"
    reports.file_report(
        app_db,
        {"building_id": building, "category": "lighting", "description": hostile},
        by=None,
        source="web 10.0.0.9",
        now=clock.system_now(),
    )
    at = _fill(_report_page({"building": building}))
    ok(at)
    assert "img" not in _shown(at)  # another resident's words stay with the staff
    assert t("issue_category.lighting", "zh") in _shown(at)
    assert at.button(key="report.submit").label == t("report.submit_anyway", "zh")
    at = at.button(key="report.follow_button").click().run()
    ok(at)
    assert [m.value for m in at.metric] == [t("issue_status.reported", "zh")]
    assert len(at.dataframe) == 1  # its public timeline
    at = at.button(key="report.back").click().run()
    assert at.button(key="report.submit")


def _resolved(store: Store, building: str) -> tuple[str, int]:
    filed = reports.file_report(
        store,
        {"building_id": building, "category": "lighting", "description": "灯坏了"},
        by=None,
        source="web 10.0.0.8",
        now=clock.system_now(),
        at=NOON,
    )
    return filed.ticket, resolve(store, filed.issue_id)


def test_the_resident_rates_a_resolved_report(app_db: Store) -> None:
    ticket, _ = _resolved(app_db, quiet_building(app_db))
    at = _report_page({"ticket": ticket}, lang="en")
    ok(at)
    assert [m.value for m in at.metric] == [t("issue_status.resolved", "en")]
    at.radio(key="report.rating").set_value("unsatisfied")
    at.text_area(key="report.note").set_value("still dark")
    at = _submit_rating(at)
    ok(at)
    assert t("report.ticket.reopened", "en") in [s.value for s in at.success]
    issue = app_db.read("issue", where={"ticket": ticket}).iloc[0]
    assert (issue["status"], issue["satisfaction"]) == (IssueStatus.ASSIGNED.value, "unsatisfied")


def _submit_rating(at: AppTest) -> AppTest:
    (button,) = [b for b in at.button if b.label == t("report.ticket.rate_submit", "en")]
    return button.click().run()


def test_a_stale_rating_is_refused_with_a_message(app_db: Store) -> None:
    ticket, version = _resolved(app_db, quiet_building(app_db))
    at = _report_page({"ticket": ticket}, lang="en")
    workflow.callback_by_ticket(app_db, ticket, rating="satisfied", version=version)  # elsewhere
    at.radio(key="report.rating").set_value("basically_satisfied")
    at = _submit_rating(at)
    assert not at.exception
    (message,) = [e.value for e in at.error]
    assert message == t("error.report.stale", "en")  # no ledger number: it is staff's
    assert app_db.read("issue", where={"ticket": ticket})["satisfaction"].iloc[0] == "satisfied"


def test_an_unknown_ticket_is_said_plainly(app_db: Store) -> None:
    at = _report_page({"ticket": "AAAAA-AAAAA"}, lang="en")
    assert not at.exception
    assert [e.value for e in at.error] == [t("error.report.no_ticket", "en")]
    at.text_input(key="report.lookup_ticket").input("bbbbb－bbbbb")  # a Chinese keyboard's dash
    (button,) = [b for b in at.button if b.label == t("report.lookup_submit", "en")]
    at = button.click().run()
    assert at.query_params["ticket"] in ("BBBBB-BBBBB", ["BBBBB-BBBBB"])
    assert [e.value for e in at.error] == [t("error.report.no_ticket", "en")]  # still unknown


def test_a_report_without_a_kind_says_so_and_files_nothing(app_db: Store) -> None:
    """The audit left 请选择 and sent: the page showed "'' is not a valid IssueCategory"."""
    before = app_db.counts()["issue"]
    at = _report_page({"building": quiet_building(app_db)})
    at.text_area(key="report.field.description").input("3单元楼道灯不亮").run()
    at = _send(at)
    assert not at.exception
    assert [e.value for e in at.error] == [t("report.no_category", "zh")]
    assert app_db.counts()["issue"] == before


def test_a_photo_too_large_is_refused_by_name_in_the_pages_language(app_db: Store) -> None:
    """A 48-megapixel phone photo of 23.7 MB: Streamlit's English refusal sat hidden on the
    file's chip and the report was filed without the photo, without a word."""
    at = _fill(_report_page({"building": quiet_building(app_db)}))
    big = phone_jpeg() + bytes(2 * MAX_BYTES)
    at.file_uploader(key="report.field.photos").set_value(
        [("IMG_0002.jpg", big, "image/jpeg"), ("IMG_0003.jpg", phone_jpeg(), "image/jpeg")]
    ).run()
    assert not at.exception
    size = f"{len(big) / 1_000_000:.1f}"
    mb = f"{MAX_BYTES / 1_000_000:g}"
    said = t("app.uploader.too_big", "zh", file=md_text("IMG_0002.jpg"), size=size, mb=mb)
    assert [e.value for e in at.error] == [said]
    assert t("report.attached", "zh", n=1, most=3) in [c.value for c in at.caption]


def test_staff_of_another_community_report_as_residents(app_db: Store) -> None:
    at = _report_page({"building": quiet_building(app_db)}, user="S001-C2-staff1")
    ok(at)
    assert {"report.field.name", "report.field.phone"} <= {w.key for w in at.text_input}
    assert not at.info  # no "filed in your name"
    at = _send(_fill(at))
    ok(at)
    issue, event = _filed(app_db, at)
    assert issue["source"] == "qr_code"
    assert event["actor"] == reports.RESIDENT


def test_without_a_qr_code_compound_then_a_tap_on_its_map_picks_the_building(
    app_db: Store,
) -> None:
    building = quiet_building(app_db)
    place = app_db.read("building", where={"building_id": building}).iloc[0]
    at = _report_page({})
    ok(at)
    assert not at.get("component_instance")  # no map before a compound is chosen
    at = at.selectbox(key="report.field.compound.S001").select(place["compound_id"]).run()
    ok(at)
    point = place.geometry.representative_point()
    at = click_map(at, point.x, point.y)
    ok(at)
    assert at.selectbox(key=f"report.field.building.{place['compound_id']}").value == building
    at = _send(_fill(at))
    ok(at)
    (ticket,) = [c.value for c in at.code]
    assert app_db.read("issue", where={"ticket": ticket})["building_id"].iloc[0] == building


def test_not_this_building_lets_the_resident_pick_another(app_db: Store) -> None:
    scanned = quiet_building(app_db)
    other = quiet_building(app_db, community="S001-C2")
    compound = app_db.read("building", where={"building_id": other})["compound_id"].iloc[0]
    at = _report_page({"building": scanned})
    at = at.button(key="report.other").click().run()
    ok(at)
    at = at.selectbox(key="report.field.compound.S001").select(compound).run()
    at = at.selectbox(key=f"report.field.building.{compound}").select(other).run()
    issue, _ = _filed(app_db, _send(_fill(at)))
    assert issue["building_id"] == other
