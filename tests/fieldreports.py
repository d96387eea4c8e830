"""Reports from the field (issue 20) for the tests: a building of a community, photos as a phone
writes them (Pillow-made JPEGs; one with the EXIF a phone adds: where, which device, which way
up), a resident's report with a real photo kept beside the database (SQLite: the photo folder is
``<db>.photos/``), and an issue taken along the workflow (assigned; resolved, so that its
reporter's callback is due)."""

from __future__ import annotations

import datetime as dt
import io
from typing import Final

from PIL import Image

from mapgov.core import clock
from mapgov.domain import issues, reports
from mapgov.domain import issues_workflow as workflow
from mapgov.domain.users import get_user
from mapgov.io.photos import intake, photo_folder
from mapgov.store import Store
from tests.conftest import AS_OF

COMMUNITY = "S001-C1"
STAFF = "S001-C1-staff1"
"""A staff member of :data:`COMMUNITY`, the community the report tests work in."""
NOON = dt.datetime.combine(AS_OF, dt.time(12))
GPS_IFD: Final = 0x8825
MAKE: Final = 0x010F
ORIENTATION: Final = 0x0112
MAKER: Final = "PhoneMaker"
"""The device name written in :func:`phone_jpeg`'s EXIF (its bytes must not survive intake)."""


def community_building(store: Store, community_id: str = COMMUNITY, n: int = 0) -> str:
    """The `n`-th building of a community."""
    return str(issues.community_buildings(store, community_id)["building_id"].iloc[n])


def quiet_building(store: Store, community: str = COMMUNITY, category: str = "lighting") -> str:
    """A building of `community` without an issue of `category` (no duplicate to offer)."""
    taken = set(store.read("issue", where={"category": category})["building_id"].dropna())
    grids = store.read("grid", where={"community_id": community})["grid_id"].tolist()
    compounds = store.read("compound", where={"grid_id": grids})["compound_id"].tolist()
    buildings = store.read("building", where={"compound_id": compounds})["building_id"]
    return next(b for b in sorted(buildings) if b not in taken)


def jpeg(colour: tuple[int, int, int] = (200, 60, 40), size: tuple[int, int] = (640, 480)) -> bytes:
    """A phone photo made with Pillow."""
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format="JPEG")
    return out.getvalue()


def phone_jpeg(
    size: tuple[int, int] = (1200, 900), colour: tuple[int, int, int] = (200, 60, 40)
) -> bytes:
    """A JPEG with a GPS position, the maker and the orientation in its EXIF."""
    image = Image.new("RGB", size, colour)
    exif = Image.Exif()
    exif[MAKE] = MAKER
    exif[ORIENTATION] = 1
    exif[GPS_IFD] = {1: "N", 2: (34.0, 40.0, 48.0), 3: "E", 4: (112.0, 25.0, 12.0)}
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif, quality=90)
    return out.getvalue()


def has_exif(data: bytes) -> bool:
    """Whether a JPEG carries any EXIF (or the maker's name anywhere in its bytes)."""
    image = Image.open(io.BytesIO(data))
    return bool(dict(image.getexif())) or "exif" in image.info or MAKER.encode() in data


def file_with_photo(
    store: Store, building_id: str, *, colour: tuple[int, int, int] = (9, 9, 9)
) -> tuple[reports.Filed, str]:
    """A resident's report of `building_id` with one real photo kept beside the database."""
    photo = intake(jpeg(colour))
    name = photo_folder(store.path).keep(photo)  # type: ignore[attr-defined]
    report: reports.FieldReport = {
        "building_id": building_id,
        "category": "lighting",
        "description": "三单元楼道灯坏了\n晚上很黑",
        "reporter_name": "王秀英",
        "reporter_phone": "13912345678",
        "photos": [{"name": name, "width": photo.width, "height": photo.height}],
    }
    return reports.file_report(store, report, by=None, source="web 1.2.3.4", now=NOON), name


def assign(store: Store, issue_id: int) -> None:
    """Assign a new report (its first step: version 1) as the community's staff member."""
    workflow.assign(
        store,
        get_user(store, STAFF),
        issue_id,
        level="compound",
        responsible_unit="物业",
        deadline=clock.today(store) + dt.timedelta(days=3),
        version=1,
    )


def resolve(store: Store, issue_id: int, *, staff: str = STAFF, at: dt.datetime = NOON) -> int:
    """Take a newly reported issue through assign, start and resolve (by `staff`, an hour
    apart from `at`), so that its reporter's callback is due; returns its version."""
    user = get_user(store, staff)
    v = workflow.assign(
        store,
        user,
        issue_id,
        level="compound",
        responsible_unit="物业",
        deadline=AS_OF + dt.timedelta(days=3),
        version=1,
        at=at + dt.timedelta(hours=1),
    )
    v = workflow.start(store, user, issue_id, version=v, at=at + dt.timedelta(hours=2))
    return workflow.resolve(
        store, user, issue_id, version=v, note="已修好", at=at + dt.timedelta(hours=3)
    )
