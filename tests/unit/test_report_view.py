"""The phone page's presenter (mapgov.views.report): what it files, keeps and shows."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
import shapely

from mapgov.core.errors import StaleEditError, StoreError, ValidationError
from mapgov.core.i18n import error_text
from mapgov.core.model import AuditKind, IssueStatus
from mapgov.domain import accounts, reports
from mapgov.domain.locating import Hit
from mapgov.domain.users import get_user
from mapgov.io.photos import PhotoFolder, photo_folder
from mapgov.store import Store, open_store
from mapgov.views import maps as layers
from mapgov.views import report as presenter
from mapgov.views.markup import md_text
from mapgov.views.report import Upload
from tests.fieldreports import STAFF, has_exif, phone_jpeg, quiet_building, resolve

REAL = dt.datetime(2026, 12, 1, 9, 0, 0)  # rate limits count real time: any fixed instant
HOSTILE = "<img src=x onerror=alert(1)> **bold** [link](javascript:alert(1)) # big"


@pytest.fixture
def db(demo_db: Path, tmp_path: Path) -> Path:
    """A private copy of the demo database (photos go beside it)."""
    path = tmp_path / "street.sqlite"
    shutil.copyfile(demo_db, path)
    return path


@pytest.fixture
def store(db: Path) -> Store:
    return open_store(db)


def _report(building: str, **fields: str) -> reports.FieldReport:
    return {
        "building_id": building,
        "category": fields.get("category", "lighting"),
        "description": fields.get("description", "3单元楼道灯不亮，晚上看不见台阶"),
        "reporter_name": "王秀英",
        "reporter_phone": "13912345678",
    }


def test_a_phone_photo_is_filed_without_its_exif(store: Store, db: Path) -> None:
    building = quiet_building(store)
    original = phone_jpeg()
    assert has_exif(original)  # the phone's file says where it was taken
    filed = presenter.submit(
        store,
        db,
        _report(building),
        [Upload("IMG_0001.jpg", original)],
        by=None,
        source="web 10.9.0.1",
        now=REAL,
    )
    kept = reports.issue_photos(store, filed.issue_id)
    assert len(kept) == 1
    folder = photo_folder(db)
    for thumbnail in (False, True):
        stored = folder.read(kept["name"].iloc[0], thumbnail=thumbnail)
        assert stored[:2] == b"\xff\xd8"  # a JPEG
        assert not has_exif(stored)
    issue = store.read("issue", where={"issue_id": filed.issue_id}).iloc[0]
    assert (issue["channel"], issue["source"], issue["ticket"]) == (
        "phone",
        "qr_code",
        filed.ticket,
    )
    shown = presenter.ticket_page(store, db, filed.ticket, lang="zh")
    assert shown is not None
    assert len(shown["thumbnails"]) == 1 and not has_exif(shown["thumbnails"][0])


def test_a_bad_photo_files_nothing_and_names_the_file(store: Store, db: Path) -> None:
    building = quiet_building(store)
    before = store.counts()
    uploads = [Upload("good.jpg", phone_jpeg()), Upload("notes.jpg", b"this is not a photo")]
    with pytest.raises(ValidationError) as err:
        presenter.submit(
            store, db, _report(building), uploads, by=None, source="web 10.9.0.2", now=REAL
        )
    assert err.value.key == "error.photo.not_image"
    assert "notes.jpg" in error_text(err.value, "zh")
    assert "notes.jpg" in error_text(err.value, "en")
    after = store.counts()
    assert {k: after[k] for k in ("issue", "issue_photo", "issue_event")} == {
        k: before[k] for k in ("issue", "issue_photo", "issue_event")
    }
    assert not photo_folder(db).folder.exists()  # not even the good photo was kept


def test_more_than_three_photos_are_refused(store: Store, db: Path) -> None:
    uploads = [Upload(f"{i}.jpg", phone_jpeg(colour=(i, 0, 0))) for i in range(4)]
    with pytest.raises(ValidationError) as err:
        presenter.submit(
            store, db, _report(quiet_building(store)), uploads, by=None, source="web", now=REAL
        )
    assert err.value.key == "error.report.too_many_photos"
    assert not photo_folder(db).folder.exists()


def test_the_eleventh_report_in_a_minute_is_refused_and_audited(store: Store, db: Path) -> None:
    building = quiet_building(store)
    source = "web 10.9.0.3"
    for _ in range(reports.ADDRESS_LIMIT[0]):
        presenter.submit(store, db, _report(building), [], by=None, source=source, now=REAL)
    with pytest.raises(ValidationError) as err:
        presenter.submit(
            store,
            db,
            _report(building),
            [Upload("a.jpg", phone_jpeg())],
            by=None,
            source=source,
            now=REAL,
        )
    assert err.value.key == "error.report.too_many_address"
    assert not photo_folder(db).folder.exists()  # a refused report keeps no photo
    last = accounts.read_audit(store).iloc[-1]
    assert (last["kind"], last["subject"], last["source"]) == (
        AuditKind.REPORT_REFUSED.value,
        building,
        source,
    )
    staff = get_user(store, STAFF)  # staff filing as themselves are not limited
    presenter.submit(store, db, _report(building), [], by=staff, source=source, now=REAL)


def test_staff_of_the_community_file_as_themselves_anyone_else_as_a_resident(
    store: Store,
) -> None:
    building = quiet_building(store)
    staff = get_user(store, STAFF)
    assert presenter.reporter_for(store, staff, building) == staff
    assert presenter.reporter_for(store, get_user(store, "S001-C2-staff1"), building) is None
    assert presenter.reporter_for(store, None, building) is None


def test_a_residents_hostile_text_is_offered_to_nobody_on_the_public_page(
    store: Store, db: Path
) -> None:
    """A report whose words are markup is offered to the next resident of the building by
    its kind, day and status: its words reach neither the offer nor the followed view."""
    building = quiet_building(store)
    filed = presenter.submit(
        store,
        db,
        _report(building, description=HOSTILE),
        [],
        by=None,
        source="web 10.9.0.4",
        now=REAL,
    )
    assert presenter.duplicate_of(store, building, None) is None  # not before both are chosen
    duplicate = presenter.duplicate_of(store, building, "lighting")
    assert duplicate is not None and duplicate["issue_id"] == filed.issue_id
    shown = [presenter.duplicate_markdown(duplicate, "zh")]
    follow = presenter.follow_view(store, filed.issue_id, lang="en")
    assert follow is not None
    shown.append(follow["heading"])
    for text in shown:
        assert not re.search(r"(?<!\\)[<>*\[\]]", text), text  # no markup left unescaped
        assert "img" not in text and "bold" not in text and "javascript" not in text
    assert shown[1] == "Lighting · reported " + md_text(str(duplicate["reported_at"])[:10])
    assert follow["status_label"] == "Reported"


def test_a_place_comes_from_the_qr_code_and_pickers_offer_names(store: Store) -> None:
    building = quiet_building(store)
    place = presenter.place_of(store, building)
    assert place is not None and place.street_id == "S001"
    compounds = presenter.compound_options(store, "S001")
    assert compounds[place.compound_id] == place.compound
    assert presenter.building_options(store, place.compound_id)[building] == place.building
    assert presenter.place_of(store, "no-such-building") is None
    assert presenter.place_of(store, None) is None


def test_the_ticket_page_shows_progress_and_takes_the_callback(store: Store, db: Path) -> None:
    building = quiet_building(store)
    filed = presenter.submit(
        store, db, _report(building), [], by=None, source="web 10.9.0.5", now=REAL
    )
    shown = presenter.ticket_page(store, db, filed.ticket.lower(), lang="en")
    assert shown is not None
    assert (shown["status"], shown["can_rate"]) == (IssueStatus.REPORTED.value, False)
    assert list(shown["timeline"].columns) == ["When", "Step", "Status"]
    version = resolve(store, filed.issue_id)
    shown = presenter.ticket_page(store, db, filed.ticket, lang="zh")
    assert shown is not None and shown["can_rate"] and shown["version"] == version
    assert shown["timeline"].iloc[0]["事项"] == "办结"  # newest first
    with pytest.raises(StaleEditError):
        presenter.rate(store, filed.ticket, rating="satisfied", version=version - 1)
    presenter.rate(store, filed.ticket, rating="satisfied", version=version, note="  ")
    shown = presenter.ticket_page(store, db, filed.ticket, lang="zh")
    assert shown is not None and shown["rated"] == "满意" and not shown["can_rate"]
    assert presenter.ticket_page(store, db, "AAAAA-AAAAA", lang="zh") is None
    assert presenter.ticket_page(store, db, "<script>", lang="zh") is None


def test_a_tap_on_the_compound_map_picks_the_building_under_or_nearest_it(store: Store) -> None:
    place = presenter.place_of(store, quiet_building(store))
    assert place is not None
    locator = presenter.tap_locator(store, place.compound_id)
    _, buildings = presenter.compound_shapes(store, place.compound_id)
    shape = buildings.set_index("building_id").geometry[place.building_id]
    inside = shape.representative_point()
    assert locator.locate(inside.x, inside.y) == Hit("building", place.building_id)
    # 10 m west of the compound's westmost corner: nearest to that corner's building
    corners = shapely.get_coordinates(buildings.geometry.to_numpy(), return_index=True)
    xy, owner = corners
    west = int(np.argmin(xy[:, 0]))
    lon, lat = xy[west, 0] - 10 / 111_000, xy[west, 1]
    nearest = str(buildings["building_id"].iloc[owner[west]])
    assert locator.locate(lon, lat) == Hit("building", nearest)
    assert locator.locate(lon - 1.0, lat).kind is None  # a kilometre-wide miss picks nothing


def test_the_compound_map_is_offline_and_escapes_names(store: Store) -> None:
    place = presenter.place_of(store, quiet_building(store))
    assert place is not None
    with store.transaction() as con:  # a hostile name, as an import could bring one
        con.execute(
            "UPDATE building SET name = ? WHERE building_id = ?",
            ["<img src=x onerror=alert(1)>", place.building_id],
        )
    html = presenter.compound_map(store, place.compound_id, "zh").get_root().render()
    assert layers.remote_resources(html) == []
    assert "<img src=x" not in html
    assert "\\u0026lt;img src=x" in html or "&lt;img src=x" in html


def test_photos_that_cannot_be_written_are_said_with_the_ticket(
    store: Store, db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(*_: object) -> str:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(PhotoFolder, "keep", full)
    with pytest.raises(StoreError) as err:
        presenter.submit(
            store,
            db,
            _report(quiet_building(store)),
            [Upload("a.jpg", phone_jpeg())],
            by=None,
            source="web 10.9.0.6",
            now=REAL,
        )
    ticket = err.value.params["ticket"]
    assert ticket in error_text(err.value, "zh") and "No space left" in error_text(err.value, "en")
    assert len(store.read("issue", where={"ticket": ticket})) == 1  # filed all the same


def test_the_phones_position_picks_the_building_there_or_none(store: Store) -> None:
    buildings = store.read("building", columns=["building_id", "geom"])
    one = buildings.iloc[len(buildings) // 2]
    inside = one.geometry.representative_point()
    assert presenter.building_near(store, inside.x, inside.y) == one["building_id"]
    # 30 m north of its northern edge (a phone's GPS in a courtyard): still the nearest one
    _, _, _, north = one.geometry.bounds
    near = presenter.building_near(store, inside.x, north + 30 / 111_000)
    assert near is not None
    here = shapely.Point(inside.x, north + 30 / 111_000)
    gaps = shapely.distance(buildings.geometry.to_numpy(), here)  # degrees: only compared
    picked = gaps[(buildings["building_id"] == near).to_numpy()][0]
    assert picked <= gaps.min() * 1.01  # no other building is clearly closer
    # far from every building (5 km south of the street), or not a position at all
    _, south, _, _ = buildings.total_bounds
    assert presenter.building_near(store, inside.x, south - 5_000 / 111_000) is None
    assert presenter.building_near(store, float("nan"), inside.y) is None
    assert presenter.building_near(store, inside.x, 123.0) is None
