"""What the tests of reports from the field share: a photo as a phone writes it (a JPEG whose
EXIF says where it was taken, by which device, which way up), a building to report about, and
an issue taken to "resolved" so that its reporter's callback is due."""

from __future__ import annotations

import datetime as dt
import io
from typing import Final

from PIL import Image

from mapgov.domain import issues_workflow as workflow
from mapgov.domain.users import get_user
from mapgov.store import Store
from tests.conftest import AS_OF

GPS_IFD: Final = 0x8825
MAKE: Final = 0x010F
ORIENTATION: Final = 0x0112
STAFF: Final = "S001-C1-staff1"
"""A staff member of S001-C1, the community the report tests work in."""
NOON: Final = dt.datetime.combine(AS_OF, dt.time(12))
MAKER: Final = "PhoneMaker"
"""The device name written in the EXIF (its bytes must not survive intake)."""


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


def quiet_building(store: Store, community: str = "S001-C1", category: str = "lighting") -> str:
    """A building of `community` without an issue of `category` (no duplicate to offer)."""
    taken = set(store.read("issue", where={"category": category})["building_id"].dropna())
    grids = store.read("grid", where={"community_id": community})["grid_id"].tolist()
    compounds = store.read("compound", where={"grid_id": grids})["compound_id"].tolist()
    buildings = store.read("building", where={"compound_id": compounds})["building_id"]
    return next(b for b in sorted(buildings) if b not in taken)


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
