"""Co-building: figures on a hand-counted street, matching with a known order, the workflow's
allowed and refused steps, rights, locking, persistence, and the demo's lists."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from mapgov.core.errors import (
    LifecycleError,
    PermissionDeniedError,
    StaleEditError,
    StoreError,
    ValidationError,
)
from mapgov.core.i18n import error_text
from mapgov.core.model import (
    NEED_TRANSITIONS,
    PROJECT_TRANSITIONS,
    RELATED_KINDS,
    WISH_TRANSITIONS,
    CoAction,
    CoEntity,
    CoopKind,
    NeedStatus,
    ProjectStatus,
    WishStatus,
)
from mapgov.domain import cobuild
from mapgov.domain.cobuild import workflow
from mapgov.domain.users import User, get_user
from mapgov.store import Store, open_store
from tests.conftest import AS_OF

TODAY = dt.date(2026, 11, 15)
NOW = dt.datetime(2026, 11, 16, 9, 30)
UTM = "EPSG:32649"  # the hand-drawn street is drawn in metres, 500 km east = 111°E
E0, N0 = 500_000.0, 3_830_000.0


# -- the hand-drawn street ------------------------------------------------------------------
def _wgs(geoms: list[shapely.Geometry]) -> gpd.GeoSeries:
    moved = [shapely.affinity.translate(g, E0, N0) for g in geoms]
    return gpd.GeoSeries(moved, crs=UTM).to_crs("EPSG:4326")


def _need_events(spec: dict[str, list[tuple[str, str, str | None, str]]]) -> pd.DataFrame:
    rows = []
    for need_id, steps in spec.items():
        for at, action, frm, to in steps:
            rows.append(
                {
                    "entity": "need",
                    "entity_id": need_id,
                    "at": at,
                    "actor": "x",
                    "action": action,
                    "from_status": frm,
                    "to_status": to,
                    "note": None,
                }
            )
    frame = pd.DataFrame(rows).sort_values("at", kind="stable", ignore_index=True)
    return frame.assign(event_id=range(1, len(frame) + 1))


def _frames() -> cobuild.CoFrames:
    """Community C1 is the square (0, 0)-(1000, 1000) m with compounds K1 (100-300, 100-300)
    and K2 (600-800, 600-800); C2 is (1000, 0)-(2000, 1000) with K3 (1200-1400, 100-300).

    Units and their resources; distance to K1; active projects (paired, claimed, in progress):

    ====  ==========================  ==========  ======
    unit  resources                   to K1 (m)   active
    ====  ==========================  ==========  ======
    U1    health_service, elderly_help  200 (N)   1 (P5)
    U2    elderly_help                 4000 (N)   0
    U3    volunteers                      0 (in)  0
    U4    repairs                      far        1 (P1)
    U5    elderly_help                  400 (N)   2 (P6, P7)
    ====  ==========================  ==========  ======

    Needs (status; project, unit, project status):

    N1 C1/K1 elderly_help open since 10-01;   N2 C1/K2 repairs matched (P1 U4 in progress);
    N3 C1 culture_sports done (P2 U2 completed 11-03); N4 C1/K1 elderly_help open again
    since 11-10 (P3 U5 cancelled); N5 C2/K3 health_service done (P4 U1 completed 09-28,
    rated satisfied); N6 C2 legal_aid cancelled 10-15; N7 C2/K3 health_service matched (P5 U1
    claimed); N8 C2/K3 environment matched (P6 U5 paired); N9 C1/K2 child_education matched
    (P7 U5 in progress).
    """
    communities = gpd.GeoDataFrame(
        {
            "community_id": ["C1", "C2"],
            "street_id": ["S1", "S1"],
            "name": ["王城社区", "金谷社区"],
            "name_en": [None, None],
        },
        geometry=_wgs([shapely.box(0, 0, 1000, 1000), shapely.box(1000, 0, 2000, 1000)]),
    )
    compounds = gpd.GeoDataFrame(
        {
            "compound_id": ["K1", "K2", "K3"],
            "name": ["甲小区", "乙小区", "丙小区"],
            "grid_id": ["G1", "G1", "G2"],
            "community_id": ["C1", "C1", "C2"],
        },
        geometry=_wgs(
            [
                shapely.box(100, 100, 300, 300),
                shapely.box(600, 600, 800, 800),
                shapely.box(1200, 100, 1400, 300),
            ]
        ),
    )
    units = gpd.GeoDataFrame(
        {
            "unit_id": ["U1", "U2", "U3", "U4", "U5"],
            "name": ["医院", "大学", "机关", "企业", "中学"],
            "kind": ["hospital", "university", "agency", "company", "school"],
            "community_id": ["C1", None, "C1", None, "C1"],
        },
        geometry=_wgs(
            [
                shapely.Point(200, 500),
                shapely.Point(200, 4300),
                shapely.Point(150, 200),
                shapely.Point(9000, 9000),
                shapely.Point(300, 700),
            ]
        ),
    )
    resources = pd.DataFrame(
        {
            "resource_id": ["R1", "R2", "R3", "R4", "R5", "R6"],
            "unit_id": ["U1", "U1", "U2", "U3", "U4", "U5"],
            "kind": [
                "health_service",
                "elderly_help",
                "elderly_help",
                "volunteers",
                "repairs",
                "elderly_help",
            ],
            "title": ["义诊", "助老", "助老", "志愿者", "维修", "助老"],
        }
    )
    needs = pd.DataFrame(
        [
            ("N1", "C1", "K1", "elderly_help", "open", "2026-10-01T09:00:00"),
            ("N2", "C1", "K2", "repairs", "matched", "2026-09-01T09:00:00"),
            ("N3", "C1", None, "culture_sports", "done", "2026-06-01T09:00:00"),
            ("N4", "C1", "K1", "elderly_help", "open", "2026-07-01T09:00:00"),
            ("N5", "C2", "K3", "health_service", "done", "2026-08-01T09:00:00"),
            ("N6", "C2", None, "legal_aid", "cancelled", "2026-09-15T09:00:00"),
            ("N7", "C2", "K3", "health_service", "matched", "2026-11-01T09:00:00"),
            ("N8", "C2", "K3", "environment", "matched", "2026-10-20T09:00:00"),
            ("N9", "C1", "K2", "child_education", "matched", "2026-10-10T09:00:00"),
        ],
        columns=["need_id", "community_id", "compound_id", "kind", "status", "filed_at"],
    ).assign(title=lambda f: f["need_id"] + "需求")
    projects = pd.DataFrame(
        [
            ("P1", "N2", "U4", "in_progress", None, None),
            ("P2", "N3", "U2", "completed", "2026-11-03T10:00:00", None),
            ("P3", "N4", "U5", "cancelled", None, None),
            ("P4", "N5", "U1", "rated", "2026-09-28T10:00:00", "satisfied"),
            ("P5", "N7", "U1", "claimed", None, None),
            ("P6", "N8", "U5", "paired", None, None),
            ("P7", "N9", "U5", "in_progress", None, None),
        ],
        columns=["project_id", "need_id", "unit_id", "status", "completed_at", "satisfaction"],
    ).merge(needs[["need_id", "community_id", "kind"]], on="need_id")
    f, p, m, d, c = "file", "pair", "matched", "done", "open"
    events = _need_events(
        {
            "N1": [("2026-10-01T09:00:00", f, None, c)],
            "N2": [("2026-09-01T09:00:00", f, None, c), ("2026-09-10T09:00:00", p, c, m)],
            "N3": [
                ("2026-06-01T09:00:00", f, None, c),
                ("2026-06-05T09:00:00", p, c, m),
                ("2026-11-03T10:00:00", "complete", m, d),
            ],
            "N4": [
                ("2026-07-01T09:00:00", f, None, c),
                ("2026-07-05T09:00:00", p, c, m),
                ("2026-11-10T15:00:00", "reopen", m, c),
            ],
            "N5": [
                ("2026-08-01T09:00:00", f, None, c),
                ("2026-08-03T09:00:00", p, c, m),
                ("2026-09-28T10:00:00", "complete", m, d),
            ],
            "N6": [
                ("2026-09-15T09:00:00", f, None, c),
                ("2026-10-15T10:00:00", "cancel", c, "cancelled"),
            ],
            "N7": [("2026-11-01T09:00:00", f, None, c), ("2026-11-02T09:00:00", p, c, m)],
            "N8": [("2026-10-20T09:00:00", f, None, c), ("2026-10-25T09:00:00", p, c, m)],
            "N9": [("2026-10-10T09:00:00", f, None, c), ("2026-10-14T09:00:00", p, c, m)],
        }
    )
    wishes = pd.DataFrame(
        [
            ("W1", "C1", "posted", "2026-11-01T09:00:00", None),
            ("W2", "C1", "claimed", "2026-10-01T09:00:00", "2026-10-03T09:00:00"),
            ("W3", "C1", "completed", "2026-09-01T09:00:00", "2026-09-02T09:00:00"),
            ("W4", "C2", "cancelled", "2026-08-01T09:00:00", "2026-08-02T09:00:00"),
            ("W5", "C2", "completed", "2025-10-01T09:00:00", "2025-10-02T09:00:00"),
        ],
        columns=["wish_id", "community_id", "status", "posted_at", "claimed_at"],
    )
    volunteer = pd.DataFrame(
        [
            ("V1", "C1", "2026-11-02", 10, 2.0, "U1"),
            ("V2", "C1", "2026-11-10", 6, 1.5, None),
            ("V3", "C1", "2026-10-05", 20, 3.0, None),
            ("V4", "C2", "2026-10-20", 8, 2.0, None),
            ("V5", "C2", "2025-11-20", 30, 2.0, None),
            ("V6", "C2", "2026-11-20", 99, 2.0, None),  # after TODAY
        ],
        columns=[
            "volunteer_event_id",
            "community_id",
            "held_on",
            "participants",
            "hours",
            "unit_id",
        ],
    )
    return cobuild.CoFrames(
        communities=communities,
        compounds=compounds,
        units=units,
        resources=resources,
        needs=needs,
        projects=projects,
        wishes=wishes,
        volunteer=volunteer,
        events=events,
    )


def _row(frame: pd.DataFrame, key: str, value: str) -> dict[str, Any]:
    return frame.set_index(key).loc[value].to_dict()


def test_needs_by_kind_and_community_match_the_hand_count() -> None:
    by_kind = cobuild.needs_by_status(_frames())
    assert list(by_kind["kind"])[:-1] == [
        "elderly_help",
        "child_education",
        "health_service",
        "culture_sports",
        "environment",
        "repairs",
        "legal_aid",
        "employment",
        "venue_sharing",
        "volunteers",
    ]
    assert _row(by_kind, "kind", "elderly_help") == {
        "open": 2,
        "matched": 0,
        "done": 0,
        "cancelled": 0,
        "total": 2,
    }
    assert _row(by_kind, "kind", "health_service")["total"] == 2
    assert _row(by_kind, "kind", "employment")["total"] == 0
    assert _row(by_kind, "kind", "ALL") == {
        "open": 2,
        "matched": 4,
        "done": 2,
        "cancelled": 1,
        "total": 9,
    }
    by_com = cobuild.needs_by_status(_frames(), by="community_id")
    assert list(by_com["community_id"]) == ["C1", "C2", "ALL"]
    assert _row(by_com, "community_id", "C1") == {
        "open": 2,
        "matched": 2,
        "done": 1,
        "cancelled": 0,
        "total": 5,
    }
    assert _row(by_com, "community_id", "C2")["cancelled"] == 1
    only_c2 = cobuild.needs_by_status(_frames(), community_id="C2")
    assert _row(only_c2, "kind", "ALL")["total"] == 4


def test_projects_by_status_match_the_hand_count() -> None:
    table = cobuild.projects_by_status(_frames())
    assert _row(table, "community_id", "C1") == {
        "paired": 0,
        "claimed": 0,
        "in_progress": 2,
        "completed": 1,
        "rated": 0,
        "cancelled": 1,
        "total": 4,
    }
    assert _row(table, "community_id", "C2") == {
        "paired": 1,
        "claimed": 1,
        "in_progress": 0,
        "completed": 0,
        "rated": 1,
        "cancelled": 0,
        "total": 3,
    }
    by_unit = cobuild.projects_by_status(_frames(), by="unit_id")
    assert _row(by_unit, "unit_id", "U5")["total"] == 3


def test_waiting_counts_from_the_last_time_a_need_became_open() -> None:
    waiting = cobuild.waiting_needs(_frames(), TODAY)
    assert list(waiting["need_id"]) == ["N1", "N4"]
    assert list(waiting["days_waiting"]) == [45, 5]  # N4 reopened on 11-10, filed in July
    assert waiting.loc[1, "waiting_since"] == "2026-11-10T15:00:00"
    assert cobuild.waiting_needs(_frames(), TODAY, community_id="C2").empty


def test_units_engaged_and_their_projects() -> None:
    units = cobuild.unit_engagement(_frames())
    assert list(units["unit_id"]) == ["U1", "U5", "U2", "U4", "U3"]
    u1 = _row(units, "unit_id", "U1")
    assert (u1["resources"], u1["projects"], u1["active"], u1["completed"]) == (2, 2, 1, 1)
    assert (u1["satisfied"], u1["communities"], u1["volunteer_events"]) == (1, 1, 1)
    u5 = _row(units, "unit_id", "U5")  # P3 was cancelled: not counted
    assert (u5["projects"], u5["active"], u5["communities"]) == (2, 2, 2)
    assert list(units["engaged"]) == [True, True, True, True, False]
    in_c1 = cobuild.unit_engagement(_frames(), community_id="C1")
    assert _row(in_c1, "unit_id", "U1")["projects"] == 0
    assert _row(in_c1, "unit_id", "U5")["projects"] == 1


def test_wishes_posted_claimed_and_completed() -> None:
    table = cobuild.wish_counts(_frames())
    assert _row(table, "community_id", "C1") == {
        "posted": 3,
        "claimed": 2,
        "completed": 1,
        "cancelled": 0,
        "waiting": 1,
    }
    assert _row(table, "community_id", "ALL") == {
        "posted": 5,
        "claimed": 4,
        "completed": 2,
        "cancelled": 1,
        "waiting": 1,
    }
    this_year = cobuild.wish_counts(_frames(), since=dt.date(2026, 1, 1))
    assert _row(this_year, "community_id", "C2")["posted"] == 1


def test_volunteer_events_per_community_and_month() -> None:
    table = cobuild.volunteer_monthly(_frames(), TODAY)
    assert len(table) == 2 * 12
    assert table["month"].iloc[0] == "2025-12" and table["month"].iloc[-1] == "2026-11"
    rows = table.set_index(["community_id", "month"])
    assert tuple(rows.loc[("C1", "2026-11")]) == (2, 16, 29.0)
    assert tuple(rows.loc[("C1", "2026-10")]) == (1, 20, 60.0)
    assert tuple(rows.loc[("C2", "2026-10")]) == (1, 8, 16.0)
    assert tuple(rows.loc[("C2", "2026-11")]) == (0, 0, 0.0)  # V6 is after today
    assert table["events"].sum() == 4  # V5 (November 2025) is before the twelve months


def test_overview_and_wall_tiles() -> None:
    ov = cobuild.overview(_frames(), TODAY)
    assert ov == {
        "units": 5,
        "units_engaged": 4,
        "resources": 6,
        "needs": 9,
        "needs_open": 2,
        "longest_wait_days": 45,
        "projects": 7,
        "projects_active": 4,
        "projects_completed": 2,
        "satisfaction_rate": 1.0,
        "wishes": 5,
        "wishes_claimed": 4,
        "wishes_completed": 2,
        "volunteer_events": 5,
        "volunteer_participants": 74,
        "volunteer_hours": 165.0,
    }
    tiles = {f.key: f for f in cobuild.wall_figures(_frames(), TODAY)}
    assert tuple(tiles) == cobuild.WALL_FIGURES
    done = tiles["projects_completed"]
    assert (done.value, done.previous, done.unit, done.better) == (1.0, 0.0, "count", "up")
    waiting = tiles["needs_waiting"]  # on Oct 15 only N1 was open (N6 was withdrawn that day)
    assert (waiting.value, waiting.previous, waiting.better) == (2.0, 1.0, "down")
    assert waiting.delta == 1.0


def test_map_helpers_place_needs_and_link_units() -> None:
    points = cobuild.need_points(_frames(), TODAY).set_index("need_id")
    k1 = _frames().compounds.geometry.iloc[0]
    assert k1.contains(points.geometry["N1"])
    assert points.loc["N1", "days_waiting"] == 45 and pd.isna(points.loc["N2", "days_waiting"])
    links = cobuild.project_links(_frames(), statuses=[ProjectStatus.IN_PROGRESS])
    assert sorted(links["project_id"]) == ["P1", "P7"]
    assert links.geometry.geom_type.eq("LineString").all()


# -- matching ---------------------------------------------------------------------------------
def test_matching_order_is_the_documented_score() -> None:
    """N1 (elderly help in K1): U1 0.5 + 0.3/1.2 + 0.2/2 = 0.85; U5 0.5 + 0.3/1.4 + 0.2/3 =
    0.781; U2 0.5 + 0.3/5 + 0.2 = 0.76; U3 (volunteers, related) 0.25 + 0.3 + 0.2 = 0.75;
    U4 (repairs) does not fit."""
    ranked = cobuild.rank_units(_frames(), "N1")
    assert [c.unit_id for c in ranked] == ["U1", "U5", "U2", "U3"]
    scores = [c.score for c in ranked]
    assert scores == pytest.approx([0.85, 0.5 + 0.3 / 1.4 + 0.2 / 3, 0.76, 0.75], abs=1e-4)
    u1, u5, _, u3 = ranked
    assert u1.resource_id == "R2" and u1.fit == 1.0  # the elderly-help resource, not R1
    assert u1.distance_m == pytest.approx(200, abs=0.5)
    assert u1.active_projects == 1
    assert [r.key for r in u1.reasons] == [
        "cobuild.reason.offers",
        "cobuild.reason.distance",
        "cobuild.reason.busy",
    ]
    assert u1.reasons[1].params == {"metres": 200}
    assert u5.reasons[2].params == {"active": 2}
    assert u3.fit == 0.5 and u3.distance_m == 0
    assert [r.key for r in u3.reasons] == [
        "cobuild.reason.related",
        "cobuild.reason.inside",
        "cobuild.reason.free",
    ]
    assert cobuild.reason_text(u3.reasons[0], "en") == (
        "Offers “志愿者” (Volunteers), which also serves needs for “Help for the elderly”"
    )
    assert "志愿人力" in cobuild.reason_text(u3.reasons[0], "zh")
    assert cobuild.reason_text(u1.reasons[1], "zh") == "相距约 200 米"
    assert [c.unit_id for c in cobuild.rank_units(_frames(), "N1", limit=2)] == ["U1", "U5"]


def test_matching_for_every_open_need() -> None:
    matches = cobuild.match_open_needs(_frames(), limit=1)
    assert set(matches) == {"N1", "N4"}
    assert [c.unit_id for c in matches["N4"]] == ["U1"]
    assert cobuild.match_open_needs(_frames(), community_id="C2") == {}
    with pytest.raises(ValidationError, match="no need"):
        cobuild.rank_units(_frames(), "N404")


# -- the workflow on a copy of the demo street ------------------------------------------------
def _user(store: Store, user_id: str) -> User:
    return get_user(store, user_id)


def _compound(store: Store, community: str = "S001-C1") -> str:
    compounds = cobuild.load(store, street_id="S001").compounds
    return str(compounds[compounds["community_id"] == community]["compound_id"].iloc[0])


def _events(store: Store) -> int:
    return store.counts()["co_event"]


def _need(store: Store, staff: User, **kw: Any) -> str:
    fields = {
        "community_id": "S001-C1",
        "kind": "health_service",
        "title": "老人健康义诊",
        "compound_id": _compound(store),
        "at": NOW,
    }
    return cobuild.file_need(store, staff, **{**fields, **kw})


def _paired(store: Store, staff: User) -> tuple[str, str]:
    need_id = _need(store, staff)
    best = cobuild.rank_units(cobuild.load(store, street_id="S001"), need_id, limit=1)[0]
    project_id = cobuild.pair(
        store, staff, need_id, version=1, unit_id=best.unit_id, resource_id=best.resource_id, at=NOW
    )
    return need_id, project_id


def test_a_need_goes_from_filing_to_rating_and_survives_a_restart(work_store: Store) -> None:
    staff = _user(work_store, "S001-C1-staff1")
    before = cobuild.wall_figures(cobuild.load(work_store, street_id="S001"), NOW.date())
    need_id = _need(work_store, staff)
    assert need_id.startswith("N-S001-C1-")
    need = cobuild.get(work_store, "need", need_id)
    assert (need["status"], need["version"], need["filed_by"]) == ("open", 1, staff.name)
    frames = cobuild.load(work_store, street_id="S001")
    best = cobuild.rank_units(frames, need_id)[0]
    assert best.fit == 1.0 and best.resource_kind == "health_service"
    project_id = cobuild.pair(
        work_store,
        staff,
        need_id,
        version=1,
        unit_id=best.unit_id,
        resource_id=best.resource_id,
        note="联席会议确定",
        at=NOW,
    )
    assert project_id.startswith("P-S001-C1-")
    later = NOW + dt.timedelta(hours=1)
    v = cobuild.claim_project(work_store, staff, project_id, version=1, at=later)
    v = cobuild.progress_project(work_store, staff, project_id, version=v, at=later)
    v = cobuild.progress_project(work_store, staff, project_id, version=v, note="已入户", at=later)
    v = cobuild.complete_project(work_store, staff, project_id, version=v, at=later)
    assert cobuild.get(work_store, "need", need_id)["status"] == "done"
    v = cobuild.rate_project(work_store, staff, project_id, version=v, rating="satisfied", at=later)
    assert v == 6
    reopened = open_store(work_store.path)  # a restart: a new store on the same file
    project = cobuild.get(reopened, "project", project_id)
    assert (project["status"], project["satisfaction"], project["version"]) == (
        "rated",
        "satisfied",
        6,
    )
    assert project["paired_by"] == staff.name and project["need"]["version"] == 3
    steps = cobuild.timeline(reopened, "project", project_id)
    assert list(steps["action"]) == ["pair", "claim", "progress", "progress", "complete", "rate"]
    assert list(steps["to_status"]) == [
        "paired",
        "claimed",
        "in_progress",
        "in_progress",
        "completed",
        "rated",
    ]
    assert set(steps["actor"]) == {staff.name}
    assert list(cobuild.timeline(reopened, "need", need_id)["action"]) == [
        "file",
        "pair",
        "complete",
    ]
    after = cobuild.wall_figures(cobuild.load(reopened, street_id="S001"), NOW.date())
    assert after[0].value == before[0].value + 1  # one more project completed this month
    assert after[1].value == before[1].value  # filed and served within the month


def test_each_step_is_refused_from_the_wrong_state(work_store: Store) -> None:
    staff = _user(work_store, "S001-C1-staff1")
    need_id, project_id = _paired(work_store, staff)
    for step in (cobuild.complete_project, cobuild.progress_project):
        with pytest.raises(LifecycleError) as err:
            step(work_store, staff, project_id, version=1, note="x", at=NOW)
        assert err.value.key == "error.cobuild.lifecycle"
        assert err.value.params["status"] == ProjectStatus.PAIRED
    with pytest.raises(LifecycleError):  # a matched need cannot be paired again ...
        cobuild.pair(work_store, staff, need_id, version=2, unit_id="U-S001-01", at=NOW)
    with pytest.raises(LifecycleError):  # ... nor withdrawn while its project runs
        cobuild.cancel_need(work_store, staff, need_id, version=2, reason="重复", at=NOW)
    with pytest.raises(LifecycleError):
        cobuild.rate_project(work_store, staff, project_id, version=1, rating="satisfied")
    v = cobuild.claim_project(work_store, staff, project_id, version=1, at=NOW)
    with pytest.raises(LifecycleError):
        cobuild.claim_project(work_store, staff, project_id, version=v, at=NOW)
    v = cobuild.progress_project(work_store, staff, project_id, version=v, at=NOW)
    with pytest.raises(ValidationError) as missing:  # a progress report needs its text
        cobuild.progress_project(work_store, staff, project_id, version=v, at=NOW)
    assert missing.value.key == "error.issue.required"
    v = cobuild.complete_project(work_store, staff, project_id, version=v, at=NOW)
    with pytest.raises(LifecycleError):
        cobuild.cancel_project(work_store, staff, project_id, version=v, reason="x", at=NOW)
    with pytest.raises(ValidationError, match="not one of"):
        cobuild.rate_project(work_store, staff, project_id, version=v, rating="5")
    v = cobuild.rate_project(work_store, staff, project_id, version=v, rating="basically_satisfied")
    with pytest.raises(LifecycleError):
        cobuild.rate_project(work_store, staff, project_id, version=v, rating="satisfied")


def test_cancelling_a_project_reopens_its_need_for_another_pairing(work_store: Store) -> None:
    staff = _user(work_store, "S001-C1-staff1")
    need_id, project_id = _paired(work_store, staff)
    with pytest.raises(ValidationError):  # the reason is required
        cobuild.cancel_project(work_store, staff, project_id, version=1, reason=" ", at=NOW)
    cobuild.cancel_project(work_store, staff, project_id, version=1, reason="单位人员调整", at=NOW)
    need = cobuild.get(work_store, "need", need_id)
    assert (need["status"], need["version"]) == ("open", 3)
    frames = cobuild.load(work_store, street_id="S001")
    waiting = cobuild.waiting_needs(frames, NOW.date()).set_index("need_id")
    assert waiting.loc[need_id, "waiting_since"] == NOW.isoformat()
    second = cobuild.rank_units(frames, need_id)[1]
    again = cobuild.pair(work_store, staff, need_id, version=3, unit_id=second.unit_id, at=NOW)
    assert again != project_id and int(again[-3:]) == int(project_id[-3:]) + 1
    assert cobuild.get(work_store, "project", again)["resource_id"] is None


def test_an_unsatisfied_rating_puts_the_need_back_on_the_list(work_store: Store) -> None:
    staff = _user(work_store, "S001-C1-staff1")
    need_id, project_id = _paired(work_store, staff)
    v = cobuild.claim_project(work_store, staff, project_id, version=1, at=NOW)
    v = cobuild.progress_project(work_store, staff, project_id, version=v, at=NOW)
    v = cobuild.complete_project(work_store, staff, project_id, version=v, at=NOW)
    cobuild.rate_project(
        work_store, staff, project_id, version=v, rating="unsatisfied", note="只来了一次", at=NOW
    )
    need = cobuild.get(work_store, "need", need_id)
    assert (need["status"], need["closed_at"]) == ("open", None)
    last = cobuild.timeline(work_store, "need", need_id).iloc[-1]
    assert (last["action"], last["from_status"], last["to_status"]) == ("reopen", "done", "open")
    assert cobuild.get(work_store, "project", project_id)["satisfaction"] == "unsatisfied"


def test_an_open_need_may_be_withdrawn(work_store: Store) -> None:
    staff = _user(work_store, "S001-C1-staff1")
    need_id = _need(work_store, staff)
    assert cobuild.cancel_need(work_store, staff, need_id, version=1, reason="居民已自行解决") == 2
    need = cobuild.get(work_store, "need", need_id)
    assert need["status"] == "cancelled" and need["closed_at"] is not None
    with pytest.raises(LifecycleError):
        cobuild.pair(work_store, staff, need_id, version=2, unit_id="U-S001-01", at=NOW)


@pytest.mark.parametrize(
    ("user_id", "allowed"),
    [
        ("S001-C1-staff1", True),
        ("S001-C1-staff2", True),
        ("S001-admin", True),
        ("S001-C2-staff1", False),
        ("S001-leader", False),
        ("S001-planner", False),
    ],
)
def test_only_staff_of_the_community_and_admins_may_act(
    work_store: Store, user_id: str, allowed: bool
) -> None:
    owner = _user(work_store, "S001-C1-staff1")
    user = _user(work_store, user_id)
    need_id, project_id = _paired(work_store, owner)
    wish_id = cobuild.post_wish(work_store, owner, compound_id=_compound(work_store), title="轮椅")
    steps = [
        lambda: _need(work_store, user),
        lambda: cobuild.claim_project(work_store, user, project_id, version=1, at=NOW),
        lambda: cobuild.claim_wish(work_store, user, wish_id, version=1, claimed_by="王强"),
        lambda: cobuild.log_volunteer(
            work_store,
            user,
            held_on=NOW.date(),
            title="清洁",
            kind="clean_up",
            participants=5,
            hours=2,
            organiser="志愿服务队",
            community_id="S001-C1",
            at=NOW,
        ),
    ]
    project = cobuild.get(work_store, "project", project_id)
    for step in steps:
        if allowed:
            step()
        else:
            count = _events(work_store)
            with pytest.raises(PermissionDeniedError) as err:
                step()
            assert err.value.key == "error.cobuild.denied"
            assert _events(work_store) == count
    assert bool(cobuild.allowed_actions(work_store, "project", project, user)) == allowed
    assert cobuild.get(work_store, "need", need_id)["version"] == 2


def test_allowed_actions_follow_the_lifecycle(work_store: Store) -> None:
    staff = _user(work_store, "S001-C1-staff1")
    record = {"community_id": "S001-C1"}
    assert cobuild.allowed_actions(work_store, "need", {**record, "status": "open"}, staff) == [
        CoAction.PAIR,
        CoAction.CANCEL,
    ]
    assert cobuild.allowed_actions(
        work_store, "project", {**record, "status": "in_progress"}, staff
    ) == [
        CoAction.PROGRESS,
        CoAction.COMPLETE,
        CoAction.CANCEL,
    ]
    assert (
        cobuild.allowed_actions(work_store, "project", {**record, "status": "rated"}, staff) == []
    )
    assert cobuild.allowed_actions(work_store, "wish", {**record, "status": "claimed"}, staff) == [
        CoAction.COMPLETE,
        CoAction.CANCEL,
    ]


def test_resources_are_filed_by_the_units_community(work_store: Store) -> None:
    units = work_store.read("resident_unit", columns=["unit_id", "community_id"])
    unit = units[units["community_id"] == "S001-C1"]["unit_id"].iloc[0]
    staff = _user(work_store, "S001-C1-staff1")
    rid = cobuild.file_resource(
        work_store, staff, unit_id=unit, kind="legal_aid", title="法律咨询", capacity=40, at=NOW
    )
    assert rid.startswith(f"R-{unit.removeprefix('U-')}-")
    assert cobuild.timeline(work_store, "resource", rid)["action"].tolist() == ["file"]
    with pytest.raises(PermissionDeniedError):
        cobuild.file_resource(
            work_store, _user(work_store, "S001-C2-staff1"), unit_id=unit, kind="repairs", title="x"
        )
    with pytest.raises(ValidationError) as err:
        cobuild.file_resource(work_store, staff, unit_id="U-none", kind="repairs", title="x")
    assert err.value.key == "error.cobuild.no_unit"
    with pytest.raises(ValidationError):
        cobuild.file_resource(
            work_store, staff, unit_id=unit, kind="repairs", title="x", capacity=-1
        )
    need_id = _need(work_store, staff, kind="legal_aid")
    ranked = cobuild.rank_units(cobuild.load(work_store, street_id="S001"), need_id)
    assert unit in {c.unit_id for c in ranked if c.fit == 1.0}


def test_bad_input_is_refused_with_a_reason(work_store: Store) -> None:
    staff = _user(work_store, "S001-C1-staff1")
    other = _compound(work_store, "S001-C2")
    cases: list[tuple[Any, str]] = [
        (lambda: _need(work_store, staff, kind="gardening"), "error.issue.bad_choice"),
        (lambda: _need(work_store, staff, title="  "), "error.issue.required"),
        (lambda: _need(work_store, staff, title="长" * 121), "error.issue.too_long"),
        (lambda: _need(work_store, staff, compound_id=other), "error.cobuild.wrong_place"),
        (lambda: _need(work_store, staff, community_id="S009-C1"), "error.cobuild.no_community"),
    ]
    need_id = _need(work_store, staff)
    cases += [
        (
            lambda: cobuild.pair(
                work_store, staff, need_id, version=1, unit_id="U-S001-01", resource_id="R-x"
            ),
            "error.cobuild.wrong_unit",
        ),
        (
            lambda: cobuild.pair(work_store, staff, need_id, version=1, unit_id="U-x"),
            "error.cobuild.no_unit",
        ),
        (
            lambda: cobuild.claim_project(work_store, staff, "P-x", version=1),
            "error.cobuild.not_found",
        ),
    ]
    volunteer = {
        "held_on": NOW.date(),
        "title": "巡逻",
        "kind": "safety_patrol",
        "participants": 8,
        "hours": 2.0,
        "organiser": "平安志愿队",
        "compound_id": _compound(work_store),
        "at": NOW,
    }
    for changes, key in (
        ({"held_on": NOW.date() + dt.timedelta(days=1)}, "error.cobuild.future_date"),
        ({"participants": 0}, "error.cobuild.bad_number"),
        ({"participants": 2.5}, "error.cobuild.bad_number"),
        ({"hours": 25}, "error.cobuild.bad_number"),
        ({"kind": "party"}, "error.issue.bad_choice"),
        ({"organiser": ""}, "error.issue.required"),
        ({"community_id": "S001-C2"}, "error.cobuild.wrong_place"),
        ({"compound_id": None}, "error.issue.required"),
    ):
        cases.append(
            (lambda c=changes: cobuild.log_volunteer(work_store, staff, **{**volunteer, **c}), key)
        )
    count = _events(work_store)
    for step, key in cases:
        with pytest.raises(ValidationError) as err:
            step()
        assert err.value.key == key
        assert error_text(err.value, "zh") != str(err.value)  # translated
    assert _events(work_store) == count


def test_a_stale_form_is_refused_and_nothing_is_written(work_store: Store) -> None:
    a = _user(work_store, "S001-C1-staff1")
    b = _user(work_store, "S001-C1-staff2")
    need_id, project_id = _paired(work_store, a)
    cobuild.claim_project(work_store, a, project_id, version=1, at=NOW)
    count = _events(work_store)
    with pytest.raises(StaleEditError) as err:  # b's form still shows version 1
        cobuild.cancel_project(work_store, b, project_id, version=1, reason="重复", at=NOW)
    assert err.value.key == "error.cobuild.stale"
    assert "刚被他人修改过" in error_text(err.value, "zh")
    assert _events(work_store) == count
    assert cobuild.get(work_store, "project", project_id)["status"] == "claimed"
    assert cobuild.get(work_store, "need", need_id)["status"] == "matched"


def test_the_store_rechecks_versions_inside_the_transaction(work_store: Store) -> None:
    """Two saves that both passed the early check: the second is refused by the store, and
    every part of it (the record, the other record, the events) is rolled back."""
    staff = _user(work_store, "S001-C1-staff1")
    need_id, project_id = _paired(work_store, staff)
    first = cobuild.get(work_store, "project", project_id)
    cobuild.claim_project(work_store, staff, project_id, version=1, at=NOW)
    count, need = _events(work_store), cobuild.get(work_store, "need", need_id)
    with pytest.raises(StaleEditError) as err:
        workflow._step(  # the write of a step whose read was overtaken
            work_store,
            staff,
            NOW.isoformat(),
            [
                (CoEntity.NEED, need, {"status": "open"}, CoAction.REOPEN, None),
                (CoEntity.PROJECT, first, {"status": "cancelled"}, CoAction.CANCEL, None),
            ],
        )
    assert err.value.key == "error.edit.stale"
    assert _events(work_store) == count
    assert cobuild.get(work_store, "need", need_id)["version"] == need["version"]
    assert cobuild.get(work_store, "need", need_id)["status"] == "matched"


def test_a_new_id_taken_meanwhile_is_retried(
    work_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    staff = _user(work_store, "S001-C1-staff1")
    taken = _need(work_store, staff)
    real = workflow._new_id
    answers = iter([taken])
    monkeypatch.setattr(workflow, "_new_id", lambda *a, **k: next(answers, None) or real(*a, **k))
    fresh = _need(work_store, staff, title="第二个需求")
    assert fresh != taken
    assert cobuild.get(work_store, "need", taken)["title"] == "老人健康义诊"


def test_micro_wishes_are_posted_claimed_and_fulfilled(work_store: Store) -> None:
    staff = _user(work_store, "S001-C1-staff1")
    leader = _user(work_store, "S001-leader")
    compound = _compound(work_store)
    building = str(
        work_store.read("building", where={"compound_id": compound})["building_id"].iloc[0]
    )
    wish_id = cobuild.post_wish(
        work_store,
        staff,
        compound_id=compound,
        building_id=building,
        title="一台助听器",
        poster_name="张三丰",
        poster_phone="13812345678",
        at=NOW,
    )
    assert wish_id.startswith("W-S001-C1-")
    full = cobuild.get(work_store, "wish", wish_id, user=staff)
    masked = cobuild.get(work_store, "wish", wish_id, user=leader)
    assert (full["poster_name"], full["poster_phone"]) == ("张三丰", "13812345678")
    assert (masked["poster_name"], masked["poster_phone"]) == ("张**", "138****5678")
    frames = cobuild.load(work_store, street_id="S001", user=leader)
    assert frames.wishes.set_index("wish_id").loc[wish_id, "poster_name"] == "张**"
    with pytest.raises(ValidationError):
        cobuild.claim_wish(work_store, staff, wish_id, version=1, claimed_by=" ")
    with pytest.raises(LifecycleError):
        cobuild.complete_wish(work_store, staff, wish_id, version=1)
    v = cobuild.claim_wish(work_store, staff, wish_id, version=1, claimed_by="刘伟（党员）", at=NOW)
    v = cobuild.complete_wish(work_store, staff, wish_id, version=v, note="已送到家", at=NOW)
    with pytest.raises(LifecycleError):
        cobuild.cancel_wish(work_store, staff, wish_id, version=v, reason="x")
    wish = cobuild.get(work_store, "wish", wish_id, user=staff)
    assert (wish["status"], wish["claimed_by"], wish["version"]) == ("completed", "刘伟（党员）", 3)
    assert cobuild.get(work_store, "wish", wish_id)["claimed_by"] == "刘*****"  # like the poster
    assert cobuild.timeline(work_store, "wish", wish_id)["action"].tolist() == [
        "post",
        "claim",
        "complete",
    ]
    # a claimant typed with ": " in it is masked whole in the history too
    second = cobuild.post_wish(work_store, staff, compound_id=compound, title="一副老花镜", at=NOW)
    who = "社区党委: 王建国"
    cobuild.claim_wish(work_store, staff, second, version=1, claimed_by=who, note="周六送", at=NOW)
    (claim,) = cobuild.timeline(work_store, "wish", second).query("action == 'claim'")["note"]
    assert "王建国" not in claim and claim.endswith(": 周六送")
    other = _compound(work_store, "S001-C2")
    with pytest.raises(ValidationError) as err:
        cobuild.post_wish(
            work_store, staff, compound_id=compound, building_id=other + "-01", title="x"
        )
    assert err.value.key == "error.cobuild.wrong_building"
    with pytest.raises(ValidationError) as err:
        cobuild.post_wish(work_store, staff, compound_id=compound, title="x", poster_phone="abc")
    assert err.value.key == "error.issue.bad_phone"
    second = cobuild.post_wish(work_store, staff, compound_id=compound, title="轮椅", at=NOW)
    assert cobuild.cancel_wish(work_store, staff, second, version=1, reason="家人已买") == 2


def test_volunteer_service_is_logged_on_a_compound(work_store: Store) -> None:
    staff = _user(work_store, "S001-C1-staff1")
    compound = _compound(work_store)
    before = cobuild.volunteer_monthly(
        cobuild.load(work_store, street_id="S001"), NOW.date(), community_id="S001-C1"
    )
    vid = cobuild.log_volunteer(
        work_store,
        staff,
        held_on=NOW.date(),
        title="楼道清洁",
        kind="clean_up",
        participants=12,
        hours=2.5,
        organiser="志愿服务队",
        compound_id=compound,
        unit_id="U-S001-01",
        at=NOW,
    )
    record = cobuild.get(work_store, "volunteer", vid)
    assert (record["community_id"], record["compound_id"], record["recorded_by"]) == (
        "S001-C1",
        compound,
        staff.name,
    )
    after = cobuild.volunteer_monthly(
        cobuild.load(work_store, street_id="S001"), NOW.date(), community_id="S001-C1"
    )
    diff = (
        after.iloc[-1][["events", "participants", "volunteer_hours"]]
        - before.iloc[-1][["events", "participants", "volunteer_hours"]]
    )
    assert tuple(diff) == (1, 12, 30.0)
    assert cobuild.timeline(work_store, "volunteer", vid)["action"].tolist() == ["log"]


# -- the store and the demo ---------------------------------------------------------------------
def test_histories_are_append_only(work_store: Store) -> None:
    with (
        pytest.raises(sqlite3.IntegrityError, match="append-only"),
        work_store.transaction() as con,
    ):
        con.execute("UPDATE co_event SET actor = 'x'")
    with (
        pytest.raises(sqlite3.IntegrityError, match="append-only"),
        work_store.transaction() as con,
    ):
        con.execute("DELETE FROM co_event")


def test_an_old_database_is_refused_with_a_way_out(demo_db: Path, tmp_path: Path) -> None:
    old = tmp_path / "old.sqlite"
    old.write_bytes(demo_db.read_bytes())
    con = sqlite3.connect(old)
    con.execute("UPDATE meta SET value = '2' WHERE key = 'schema_version'")
    con.commit()
    con.close()
    with pytest.raises(StoreError, match="schema version 2") as err:
        open_store(old)
    assert err.value.key == "error.store.schema_old"
    assert f"mapgov migrate --db {old}" in str(err.value)
    assert "升级" in error_text(err.value, "zh")


def test_demo_lists_are_believable(demo_store: Store) -> None:
    counts = demo_store.counts()
    assert 24 <= counts["resident_unit"] <= 31
    assert counts["resident_unit"] <= counts["unit_resource"] <= 3 * counts["resident_unit"]
    assert 32 <= counts["community_need"] <= 48
    assert 4 * 18 <= counts["micro_wish"] <= 4 * 30
    volunteer = demo_store.read("volunteer_event")
    assert 4 * 45 <= len(volunteer) <= 4 * 65  # about 2,240 a year in some forty communities
    assert 10 <= volunteer["participants"].mean() <= 16  # 29,000 / 2,240 ≈ 13
    held = pd.to_datetime(volunteer["held_on"])
    assert held.max() <= pd.Timestamp(AS_OF) and held.min() > pd.Timestamp(AS_OF) - pd.Timedelta(
        days=366
    )
    assert (held.dt.month == 3).sum() > (held.dt.month == 2).sum()  # Lei Feng month, New Year
    for name, enum in (
        ("community_need", NeedStatus),
        ("co_project", ProjectStatus),
        ("micro_wish", WishStatus),
    ):
        assert set(demo_store.read(name)["status"]) == {s.value for s in enum}, name


@pytest.mark.parametrize(
    ("entity", "table", "key", "lifecycle"),
    [
        ("need", "community_need", "need_id", NEED_TRANSITIONS),
        ("project", "co_project", "project_id", PROJECT_TRANSITIONS),
        ("wish", "micro_wish", "wish_id", WISH_TRANSITIONS),
    ],
)
def test_demo_records_agree_with_their_history(
    demo_store: Store, entity: str, table: str, key: str, lifecycle: dict[Any, Any]
) -> None:
    records = demo_store.read(table).set_index(key)
    events = demo_store.read("co_event", where={"entity": entity})
    assert set(events["entity_id"]) == set(records.index)
    ordered = events.sort_values("event_id")
    last = ordered.groupby("entity_id")["to_status"].last()
    assert (last.loc[records.index] == records["status"]).all()
    assert (ordered.groupby("entity_id").size().loc[records.index] == records["version"]).all()
    assert ordered.groupby("entity_id")["at"].apply(lambda s: s.is_monotonic_increasing).all()
    status_enum = type(next(iter(lifecycle)))
    for frm, to in ordered[["from_status", "to_status"]].dropna().itertuples(index=False):
        assert status_enum(to) in lifecycle[status_enum(frm)], (frm, to)


def test_demo_projects_are_served_by_units_that_fit(demo_store: Store) -> None:
    frames = cobuild.load(demo_store, street_id="S001")
    projects = frames.projects.merge(
        frames.resources[["resource_id", "kind"]].rename(columns={"kind": "offered"}),
        on="resource_id",
    )
    fits = [
        offered == kind or offered in {k.value for k in RELATED_KINDS[CoopKind(kind)]}
        for offered, kind in zip(projects["offered"], projects["kind"], strict=True)
    ]
    assert all(fits)
    assert cobuild.overview(frames, AS_OF)["units_engaged"] >= 10
    assert len(cobuild.waiting_needs(frames, AS_OF)) >= 3
