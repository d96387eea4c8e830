"""Reports from the field for the tests of what staff see of them (issue 20): a building of a
community, a Pillow-made JPEG, and a resident's report with a real photo kept beside the
database (SQLite: the photo folder is ``<db>.photos/``)."""

from __future__ import annotations

import datetime as dt
import io

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
NOON = dt.datetime.combine(AS_OF, dt.time(12))


def community_building(store: Store, community_id: str = COMMUNITY, n: int = 0) -> str:
    """The `n`-th building of a community."""
    return str(issues.community_buildings(store, community_id)["building_id"].iloc[n])


def jpeg(colour: tuple[int, int, int] = (200, 60, 40), size: tuple[int, int] = (640, 480)) -> bytes:
    """A phone photo made with Pillow."""
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format="JPEG")
    return out.getvalue()


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
