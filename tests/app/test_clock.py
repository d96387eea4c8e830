"""The street's clock: a demo keeps its own calendar, a real street runs on the real one.

Every test here gives the real now explicitly (``clock.system_now`` replaced), so none depends
on the day it runs.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from mapgov.core import clock
from mapgov.core.config import DB_ENV
from mapgov.core.i18n import t
from mapgov.domain import cobuild, issue_reads, issues, party
from mapgov.domain import issues_workflow as workflow
from mapgov.domain.users import get_user
from mapgov.store import Store, open_store
from tests.apptest import sign_in
from tests.conftest import AS_OF
from tests.handdrawn import build_two_streets

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 60
DEMO = {"generator": clock.DEMO_GENERATOR, "as_of": AS_OF.isoformat()}
EVENING = dt.datetime.combine(AS_OF, dt.time(clock.DEMO_HOUR))
MONTHS_LATER = dt.datetime(2027, 2, 3, 9, 15)  # a real now in a later month (and year)
STAFF = "S001-C1-staff1"


def _real_now(monkeypatch: pytest.MonkeyPatch, now: dt.datetime) -> None:
    monkeypatch.setattr(clock, "system_now", lambda: now)


# -- the rule -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("meta", "last", "expected"),
    [
        pytest.param(DEMO, None, EVENING, id="demo-untouched"),
        pytest.param(DEMO, EVENING - dt.timedelta(hours=3), EVENING, id="demo-generated-steps"),
        pytest.param(DEMO, EVENING, EVENING + dt.timedelta(seconds=1), id="demo-after-a-step"),
        pytest.param(
            DEMO,
            dt.datetime(2026, 12, 2, 8, 0, 0, 500),
            dt.datetime(2026, 12, 2, 8, 0, 1),
            id="demo-after-a-later-step",
        ),
        pytest.param({**DEMO, "as_of": "soon"}, EVENING, MONTHS_LATER, id="unreadable-as-of"),
        pytest.param({"generator": "mapgov demo"}, None, MONTHS_LATER, id="demo-without-date"),
        pytest.param({"as_of": "2026-11-15"}, EVENING, MONTHS_LATER, id="real-street"),
        pytest.param({}, None, MONTHS_LATER, id="no-meta"),
    ],
)
def test_a_demo_keeps_its_day_and_a_real_street_the_real_one(
    meta: dict[str, str], last: dt.datetime | None, expected: dt.datetime
) -> None:
    assert clock.street_now(meta, MONTHS_LATER, last) == expected


def test_the_system_clock_is_the_street_time_zone_to_the_second(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The instant 2026-12-31 16:30:05.7 UTC is 2027-01-01 00:30:05 in the street's zone."""
    instant = dt.datetime(2026, 12, 31, 16, 30, 5, 700_000, tzinfo=dt.UTC)

    class Frozen(dt.datetime):
        @classmethod
        def now(cls, tz: dt.tzinfo | None = None) -> dt.datetime:  # type: ignore[override]
            return instant.astimezone(tz)

    monkeypatch.setattr(clock.dt, "datetime", Frozen)
    assert clock.system_now() == dt.datetime(2027, 1, 1, 0, 30, 5)
    assert clock.system_now().tzinfo is None


# -- a store's clock ------------------------------------------------------------------------
def test_the_demo_clock_stays_on_its_day_however_late_it_is_opened(
    work_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    _real_now(monkeypatch, MONTHS_LATER)
    assert clock.last_step(work_store) <= EVENING  # the generated ledgers end at 18:00
    assert clock.today(work_store) == AS_OF
    assert clock.now(work_store) == EVENING


def test_steps_on_the_demo_are_dated_on_its_day_and_in_order(
    work_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Steps recorded as the pages record them (no time given) land on the demo's day, each
    after the one before, none before the generated steps (which end by 18:00)."""
    _real_now(monkeypatch, MONTHS_LATER)
    staff = get_user(work_store, STAFF)
    building = issues.community_buildings(work_store, staff.community_id)["building_id"].iloc[0]
    issue_id = workflow.log_issue(
        work_store, staff, building_id=building, category="lighting", source="walk_in",
        title="楼道灯不亮",
    )  # fmt: skip
    workflow.assign(work_store, staff, issue_id, version=1, level="compound",
                  responsible_unit="物业", deadline=AS_OF + dt.timedelta(days=5))  # fmt: skip
    workflow.start(work_store, staff, issue_id, version=2)
    times = list(issue_reads.issue_timeline(work_store, issue_id)["at"])
    assert times == sorted(times) and len(set(times)) == len(times) == 3
    assert {dt.datetime.fromisoformat(at).date() for at in times} == {AS_OF}
    assert dt.datetime.fromisoformat(times[0]) >= EVENING  # generated steps end by 18:00
    issue = issue_reads.get_issue(work_store, issue_id, user=staff, today=clock.today(work_store))
    assert issue["reported_at"] == times[0]
    assert clock.today(work_store) == AS_OF


def test_a_real_street_runs_on_the_real_clock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = open_store(build_two_streets(tmp_path / "real.sqlite"))
    _real_now(monkeypatch, MONTHS_LATER)
    assert clock.pinned_day(store.meta()) is None
    assert clock.now(store) == MONTHS_LATER
    assert clock.today(store) == MONTHS_LATER.date()


# -- what the leader sees -------------------------------------------------------------------
def _wall(query: dict[str, str]) -> AppTest:
    at = sign_in(AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT))
    at.query_params.update(query)
    return at.run()


def _page_html(at: AppTest) -> str:
    return "\n".join(str(h.proto.body) for h in at.get("html"))


def _tile(at: AppTest, key: str) -> int:
    found = re.search(rf'data-key="{key}">.*?mg-tile-value">([^<]+)<', _page_html(at))
    assert found is not None, key
    return int(re.sub(r"\D", "", found.group(1)))


def test_work_on_the_demo_months_later_adds_to_its_month(
    app_db: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Opened in a later month, the demo's wall still reports on its own month, and one issue
    logged and one project completed there add one each to "this month" (they do not replace
    the month by a new one that holds only them)."""
    _real_now(monkeypatch, MONTHS_LATER)
    at = _wall({"kiosk": "1"})
    assert not at.exception
    assert t("wall_screen.report_date", "zh", date=AS_OF.isoformat()) in _page_html(at)
    received, completed = _tile(at, "received"), _tile(at, "projects_completed")
    assert received > 1 and completed > 1  # a whole month, not a new one
    staff = get_user(app_db, STAFF)
    building = issues.community_buildings(app_db, staff.community_id)["building_id"].iloc[0]
    workflow.log_issue(app_db, staff, building_id=building, category="lighting",
                     source="walk_in", title="楼道灯不亮")  # fmt: skip
    admin = get_user(app_db, "S001-admin")
    running = app_db.read("co_project", where={"status": "in_progress"}).iloc[0]
    cobuild.complete_project(app_db, admin, running["project_id"], version=int(running["version"]))
    at = _wall({"kiosk": "1"})
    assert not at.exception
    assert t("wall_screen.report_date", "zh", date=AS_OF.isoformat()) in _page_html(at)
    assert _tile(at, "received") == received + 1
    assert _tile(at, "projects_completed") == completed + 1


def test_the_sidebar_says_the_demo_date_is_fixed(
    app_db: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    _real_now(monkeypatch, MONTHS_LATER)
    for lang in ("zh", "en"):
        at = _wall({"lang": lang})
        captions = [c.value for c in at.sidebar.caption]
        assert t("sidebar.demo_pinned", lang, as_of=AS_OF.isoformat()) in captions


def test_the_sidebar_of_a_real_street_gives_its_data_date(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = build_two_streets(tmp_path / "real.sqlite")
    monkeypatch.setenv(DB_ENV, str(path))
    at = _wall({})
    captions = [c.value for c in at.sidebar.caption]
    assert t("sidebar.data_as_of", "zh", as_of="2026-11-15") in captions
    assert not any(c.startswith(t("sidebar.demo_pinned", "zh", as_of="")[:4]) for c in captions)


def test_edits_of_the_party_record_move_the_demo_clock_on_too(
    work_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A party edit (written to the change log only) is a step like an issue's: two edits in a
    row are dated one after the other, the later one last, on the demo's day."""
    _real_now(monkeypatch, MONTHS_LATER)
    admin = get_user(work_store, "S001-admin")
    compound = work_store.read("compound", columns=["compound_id"])["compound_id"].iloc[0]
    for secretary in ("张书记", "李书记"):
        drawn = party.form_version(work_store, "branch", compound)
        party.set_branch(
            work_store, admin, compound, version=drawn, has_branch=True, secretary=secretary
        )
    log = work_store.query(
        "SELECT at, new_value FROM change_log WHERE field = 'secretary' ORDER BY change_id"
    )
    assert list(log["new_value"][-2:]) == ["张书记", "李书记"]
    first, second = (dt.datetime.fromisoformat(at) for at in log["at"][-2:])
    assert EVENING <= first < second and second.date() == AS_OF
