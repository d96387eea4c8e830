"""Headline figures of the wall screen against a ledger counted by hand."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from mapgov import kpi
from mapgov.store import Store

from .conftest import AS_OF

TODAY = dt.date(2026, 11, 15)  # current period 11-01..11-15, previous 10-01..10-15
N = None

# id, compound, reported, status, level, deadline, resolved, closed, reporter
LEDGER = [
    (
        1,
        "K1",
        "2026-11-02T08:00:00",
        "closed",
        "compound",
        "2026-11-07",
        "2026-11-05T10:00:00",
        "2026-11-06T08:00:00",
        "张三丰",
    ),
    (
        2,
        "K1",
        "2026-11-03T09:00:00",
        "resolved",
        "grid",
        "2026-11-10",
        "2026-11-12T09:00:00",
        N,
        "李四",
    ),
    (3, "K2", "2026-11-10T10:00:00", "assigned", "community", "2026-11-14", N, N, "王五"),
    (4, "K2", "2026-11-14T11:00:00", "reported", "compound", N, N, N, N),
    (
        5,
        "K1",
        "2026-10-05T08:00:00",
        "closed",
        "street",
        "2026-10-20",
        "2026-11-03T08:00:00",
        "2026-11-04T08:00:00",
        "赵六",
    ),
    (
        6,
        "K2",
        "2026-10-02T08:00:00",
        "closed",
        "compound",
        "2026-10-07",
        "2026-10-06T08:00:00",
        "2026-10-08T08:00:00",
        "钱七",
    ),
    (
        7,
        "K2",
        "2026-10-10T08:00:00",
        "closed",
        "grid",
        "2026-10-12",
        "2026-10-14T08:00:00",
        "2026-10-14T20:00:00",
        "孙八",
    ),
    (8, "K1", "2026-10-12T08:00:00", "in_progress", "compound", "2026-10-17", N, N, "周九"),
    (
        9,
        "K3",
        "2026-09-20T08:00:00",
        "closed",
        "compound",
        "2026-09-25",
        "2026-09-24T08:00:00",
        "2026-09-26T08:00:00",
        "吴十",
    ),
]
EVENTS = [  # callbacks and the reopen that followed an unsatisfied one
    (1, "callback", "2026-11-05T15:00:00"),
    (5, "callback", "2026-11-03T12:00:00"),
    (5, "reopen", "2026-11-03T12:00:00"),
    (5, "callback", "2026-11-03T18:00:00"),
    (6, "callback", "2026-10-07T09:00:00"),
    (7, "callback", "2026-10-14T10:00:00"),
    (9, "callback", "2026-09-25T10:00:00"),
]


@pytest.fixture
def ledger() -> pd.DataFrame:
    cols = [
        "issue_id",
        "compound_id",
        "reported_at",
        "status",
        "level",
        "deadline",
        "resolved_at",
        "closed_at",
        "reporter_name",
    ]
    frame = pd.DataFrame(LEDGER, columns=cols)
    frame["category"] = [
        "lighting",
        "parking",
        "parking",
        "pets",
        "lighting",
        "parking",
        "elevator",
        "parking",
        "lighting",
    ]
    frame["title"] = [f"问题{i}" for i in frame["issue_id"]]
    frame["satisfaction"] = [
        "satisfied",
        N,
        N,
        N,
        "basically_satisfied",
        "satisfied",
        "satisfied",
        N,
        "satisfied",
    ]
    return frame


@pytest.fixture
def events() -> pd.DataFrame:
    return pd.DataFrame(EVENTS, columns=["issue_id", "action", "at"])


def test_periods_compare_month_to_date_with_the_same_span() -> None:
    assert kpi.periods(TODAY) == (
        (dt.date(2026, 11, 1), TODAY),
        (dt.date(2026, 10, 1), dt.date(2026, 10, 15)),
    )
    # 31 March: the previous span stops at the end of February
    assert kpi.periods(dt.date(2026, 3, 31))[1] == (dt.date(2026, 2, 1), dt.date(2026, 2, 28))


def test_issue_figures_match_the_hand_count(ledger: pd.DataFrame, events: pd.DataFrame) -> None:
    f = kpi.issue_figures(ledger, TODAY, events)
    # received: 1, 2, 3, 4 now; 5, 6, 7, 8 before
    assert (f["received"].value, f["received"].previous) == (4, 4)
    # resolution: now 1 (closed) and 2 (resolved) of 4; before 5, 6, 7 of 4
    assert f["resolution_rate"].value == pytest.approx(2 / 4)
    assert f["resolution_rate"].previous == pytest.approx(3 / 4)
    # on time: resolved now = 1 (11-05 <= 11-07 yes), 2 (11-12 > 11-10 no), 5 (11-03 <= 10-20
    # no); before = 6 (10-06 <= 10-07 yes), 7 (10-14 > 10-12 no)
    assert f["on_time_rate"].value == pytest.approx(1 / 3)
    assert f["on_time_rate"].previous == pytest.approx(1 / 2)
    # satisfaction: callbacks now 3 (issue 1, issue 5 twice), one reopened -> 2/3; before 2/2
    assert f["satisfaction_rate"].value == pytest.approx(2 / 3)
    assert f["satisfaction_rate"].previous == pytest.approx(1.0)
    # closed now: 1 (4.0 days) and 5 (30.0 days); before: 6 (6.0) and 7 (4.5)
    assert f["mean_days_to_close"].value == pytest.approx((4.0 + 30.0) / 2)
    assert f["mean_days_to_close"].previous == pytest.approx((6.0 + 4.5) / 2)
    assert f["mean_days_to_close"].better == "down"
    # in the compound: now 1 of (1, 5); before 6 of (6, 7)
    assert f["solved_in_compound"].value == pytest.approx(1 / 2)
    assert f["solved_in_compound"].previous == pytest.approx(1 / 2)
    assert f["received"].delta == 0
    assert f["resolution_rate"].delta == pytest.approx(-0.25)


def test_figures_without_data_are_unknown_not_zero(ledger: pd.DataFrame) -> None:
    f = kpi.issue_figures(ledger.iloc[0:0], TODAY)
    assert f["received"].value == 0
    assert f["resolution_rate"].value is None
    assert f["satisfaction_rate"].value is None and f["satisfaction_rate"].delta is None


def test_structure_figures(ledger: pd.DataFrame) -> None:
    compounds = pd.DataFrame(
        {"compound_id": ["K1", "K2", "K3", "K4"], "branch_id": ["B1", "B1", N, "B3"]}
    )
    prop = pd.DataFrame(
        {
            "compound_id": ["K1", "K2", "K3", "K4", "K9"],
            "mode": ["company", "none", "none", "self_managed", "none"],
            "red_property": [1, 0, 0, 0, 0],
            "owners_committee": [1, 0, 0, 0, 0],
            "self_managed_committee": [0, 0, 1, 1, 0],
            "has_security": [1, 0, 0, 1, 0],
        }
    )
    f = kpi.structure_figures(compounds, prop)
    assert f["branch_coverage"].value == pytest.approx(3 / 4)
    assert f["red_property"].value == 1
    assert f["three_nos"].value == 1  # K2; K3 has a committee; K9 is not in this area
    assert f["three_nos"].previous is None and f["three_nos"].better == "down"


def test_trend_categories_ranking_and_ticker(ledger: pd.DataFrame, events: pd.DataFrame) -> None:
    trend = kpi.monthly_trend(ledger, TODAY, months=3)
    assert trend.to_dict("list") == {
        "month": ["2026-09", "2026-10", "2026-11"],
        "received": [1, 4, 4],
        "closed": [1, 2, 2],
    }
    top = kpi.top_categories(ledger, TODAY, days=30)  # reported 10-17 .. 11-15: ids 1-4
    assert top.iloc[0].to_dict() == {"category": "parking", "count": 2}
    compounds = pd.DataFrame(
        {"compound_id": ["K1", "K2", "K3"], "community_id": ["C1", "C2", "C2"]}
    )
    rank = kpi.community_ranking(ledger, compounds, TODAY, events=events, days=46)
    # last 46 days: 10-01 .. 11-15. C1: 1,2,5,8 received, 3 done; C2: 3,4,6,7, 2 done
    assert list(rank["community_id"]) == ["C1", "C2"]
    c1 = rank.set_index("community_id").loc["C1"]
    assert c1["received"] == 4 and c1["resolution_rate"] == pytest.approx(3 / 4)
    assert c1["overdue"] == 1  # issue 8 (deadline 10-17); issue 2 is resolved, not overdue
    ticker = kpi.recent_closed(ledger, n=2)
    assert list(ticker["issue_id"]) == [1, 5]
    assert list(ticker["reporter"]) == ["张**", "赵*"]


def test_compound_values_for_the_map(ledger: pd.DataFrame) -> None:
    compounds = pd.DataFrame({"compound_id": ["K1", "K2", "K3"], "branch_id": ["B1", N, "B3"]})
    buildings = pd.DataFrame(
        {"compound_id": ["K1", "K1", "K2", "K3"], "households": [100, 100, 50, 0]}
    )
    stars = pd.DataFrame({"org_id": ["B1", "B1", "B1", "B3"], "star": ["a", "b", "c", "a"]})
    per100 = kpi.compound_values(
        ledger, compounds, buildings, stars, "open_per_100_households", today=TODAY
    )
    # open: K1 has 2 and 8 -> 2 per 200 households; K2 has 3 and 4 -> 2 per 50
    assert per100["K1"] == pytest.approx(1.0) and per100["K2"] == pytest.approx(4.0)
    assert np.isnan(per100["K3"])
    st = kpi.compound_values(ledger, compounds, buildings, stars, "stars", today=TODAY)
    assert st["K1"] == 3 and np.isnan(st["K2"]) and st["K3"] == 1
    sat = kpi.compound_values(ledger, compounds, buildings, stars, "satisfaction", today=TODAY)
    assert sat["K1"] == pytest.approx(1.0)


def test_headline_on_the_demo_street(demo_store: Store) -> None:
    frames = kpi.load_frames(demo_store, street_id="S001")
    figures = kpi.headline(frames, today=AS_OF, life_complete=0.42)
    assert [f.key for f in figures] == list(kpi.FIGURES)
    by = {f.key: f for f in figures}
    assert by["received"].value > 50 and by["received"].previous > 50
    for key in (
        "resolution_rate",
        "on_time_rate",
        "satisfaction_rate",
        "solved_in_compound",
        "branch_coverage",
    ):
        assert 0 < by[key].value <= 1, key
    assert 1 <= by["three_nos"].value <= 8
    assert by["life_complete"].value == 0.42
    assert 0.5 < by["satisfaction_rate"].value < 1  # some callbacks were unsatisfied


def test_a_communitys_callbacks_are_read_through_its_issues(demo_store: Store) -> None:
    """A street's or community's frames carry exactly the callbacks and reopenings of its
    own issues (read through the issue index), the same rows as the city's filtered."""
    city = kpi.load_frames(demo_store)
    community = city.compounds["community_id"].iloc[0]
    for frames in (
        kpi.load_frames(demo_store, street_id="S001"),
        kpi.load_frames(demo_store, street_id="S001", community_id=community),
    ):
        expected = city.events[city.events["issue_id"].isin(frames.issues["issue_id"])]
        assert len(frames.events) > 0
        assert set(frames.events["action"]) == {"callback", "reopen"}
        pd.testing.assert_frame_equal(
            frames.events.sort_values(["issue_id", "at", "action"]).reset_index(drop=True),
            expected.sort_values(["issue_id", "at", "action"]).reset_index(drop=True),
        )
