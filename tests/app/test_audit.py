"""The audit log's record of views of unmasked personal data (mapgov.domain.audit), without a page,
and where the pages write it (under AppTest): one entry per panel or file, never per cell,
and none for a masked view."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
import shapely

from mapgov.core.model import AuditKind
from mapgov.domain import audit, issues
from mapgov.domain.users import get_user
from mapgov.store import Store
from tests.apptest import click_map, ok, open_page

NOW = dt.datetime(2026, 11, 16, 9, 0)
STAFF = "S001-C1-staff1"
COMMUNITY = "S001-C1"
SUBJECT = "building:S001-C1-B001"


def _views(store: Store) -> pd.DataFrame:
    log = audit.read_audit(store)
    return log[log["kind"] == AuditKind.PERSONAL_DATA_VIEWED].reset_index(drop=True)


def test_a_view_is_logged_once_per_person_and_window(work_store: Store) -> None:
    staff = get_user(work_store, STAFF)
    other = get_user(work_store, "S001-C1-staff2")
    minute = dt.timedelta(minutes=1)
    assert audit.personal_view(work_store, staff, SUBJECT, now=NOW, detail="head", source="t")
    for k in range(1, audit.VIEW_WINDOW_MINUTES):  # the page reruns on every click
        assert not audit.personal_view(work_store, staff, SUBJECT, now=NOW + k * minute)
    assert audit.personal_view(work_store, other, SUBJECT, now=NOW + minute)  # someone else
    assert audit.personal_view(work_store, staff, "building:S001-C1-B002", now=NOW + minute)
    later = NOW + audit.VIEW_WINDOW_MINUTES * minute + minute
    assert audit.personal_view(work_store, staff, SUBJECT, now=later)  # a new view
    views = _views(work_store)
    assert views[["actor", "subject"]].values.tolist() == [
        [STAFF, SUBJECT],
        ["S001-C1-staff2", SUBJECT],
        [STAFF, "building:S001-C1-B002"],
        [STAFF, SUBJECT],
    ]
    first = views.iloc[0]
    assert (first["at"], first["detail"], first["source"]) == (NOW.isoformat(), "head", "t")


def test_every_exported_file_is_logged(work_store: Store) -> None:
    staff = get_user(work_store, STAFF)
    for _ in range(3):
        assert audit.personal_view(work_store, staff, "ledger:S001-C1", now=NOW, window=None)
    assert len(_views(work_store)) == 3


def test_the_log_reads_between_two_times(work_store: Store) -> None:
    staff = get_user(work_store, STAFF)
    for day in range(3):
        audit.personal_view(work_store, staff, SUBJECT, now=NOW + dt.timedelta(days=day))
    since, until = NOW.date() + dt.timedelta(days=1), NOW.date() + dt.timedelta(days=2)
    middle = audit.read_audit(work_store, since=since, until=until)
    assert middle["at"].tolist() == [(NOW + dt.timedelta(days=1)).isoformat()]


# -- where the pages write it --------------------------------------------------------------
def _inside(geometry: shapely.Geometry) -> tuple[float, float]:
    point = geometry.representative_point()
    return point.x, point.y


@pytest.mark.parametrize(("login", "logged"), [(STAFF, True), ("S001-C2-staff1", False)])
def test_the_issue_panel_logs_an_unmasked_view_once(
    app_db: Store, login: str, *, logged: bool
) -> None:
    built = issues.community_buildings(app_db, COMMUNITY)
    first, second = built.iloc[0], built.iloc[1]
    at = open_page("issues", user=login, community=COMMUNITY, timeout=90)
    click_map(at, *_inside(first.geometry))
    ok(at)
    at.run()  # the panel drawn again (any click in it): the same view
    click_map(at, *_inside(second.geometry))
    ok(at)
    views = _views(app_db)
    if not logged:  # another community's staff see it masked: nothing to log
        assert views.empty
        return
    subjects = [f"building:{first['building_id']}", f"building:{second['building_id']}"]
    assert views["subject"].tolist() == subjects
    assert set(views["actor"]) == {login}
    assert views["detail"].str.contains("building head").all()


def test_a_backup_download_is_logged_as_a_view_of_everything(app_db: Store) -> None:
    from mapgov.ui import data as data_io

    admin = get_user(app_db, "S001-admin")
    for _ in range(2):  # every file is logged
        assert data_io._backup_file(str(app_db.path), admin)  # the download button's callable
    views = _views(app_db)
    assert views[["actor", "subject"]].values.tolist() == [["S001-admin", "backup"]] * 2
