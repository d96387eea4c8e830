"""Headline figures of the wall screen against a ledger counted by hand."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from mapgov.core.i18n import t
from mapgov.domain import kpi
from mapgov.store import Store
from mapgov.views import wall
from tests.conftest import AS_OF

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
    # resolution, each as it stood on its last day: now 1 (closed) and 2 (resolved) of 4;
    # before 6 and 7 of 4 by 10-15 (5 is resolved today, but was not until 11-03)
    assert f["resolution_rate"].value == pytest.approx(2 / 4)
    assert f["resolution_rate"].previous == pytest.approx(2 / 4)
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
    assert f["resolution_rate"].delta == pytest.approx(0)


def _same_every_month(now: dt.datetime) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A ledger that behaves the same in every month from August 2026, as it stands at `now`.

    On each of the days 1 to 20 one issue is reported at 09:00; it is assigned an hour later,
    resolved 5 days later (deadline: 6 days), called back on day 6 and closed on day 7: all
    within the month it came in, so every month is the same day by day.
    Returns (issues, history) with only what had happened by `now`.
    """
    steps = [
        ("report", "reported", dt.timedelta(0)),
        ("assign", "assigned", dt.timedelta(hours=1)),
        ("resolve", "resolved", dt.timedelta(days=5)),
        ("callback", "callback", dt.timedelta(days=6)),
        ("close", "closed", dt.timedelta(days=7)),
    ]
    issues, history = [], []
    for month in range(8, now.month + 1):
        for day in range(1, 21):
            reported = dt.datetime(2026, month, day, 9)
            if reported > now:
                continue
            issue_id = len(issues) + 1
            done = [(a, s, reported + d) for a, s, d in steps if reported + d <= now]
            history += [(issue_id, a, at.isoformat(), s) for a, s, at in done]
            stamps = {a: at.isoformat() for a, _, at in done}
            issues.append(
                {
                    "issue_id": issue_id,
                    "reported_at": reported.isoformat(),
                    "status": done[-1][1],
                    "level": "compound",
                    "deadline": (reported + dt.timedelta(days=6)).date().isoformat(),
                    "resolved_at": stamps.get("resolve"),
                    "closed_at": stamps.get("close"),
                }
            )
    frame = pd.DataFrame(issues)
    events = pd.DataFrame(history, columns=["issue_id", "action", "at", "to_status"])
    events.insert(0, "event_id", range(1, len(events) + 1))
    return frame, events


@pytest.mark.parametrize("day", [3, 10, 25, 30])
def test_a_month_like_the_last_shows_no_change(day: int) -> None:
    """Issue 18.3: early in a month its issues are young; last month's, judged by their
    status today, were all done. Each period is judged as it stood on its own last day."""
    today = dt.date(2026, 11, day)
    ledger, history = _same_every_month(dt.datetime.combine(today, dt.time(23, 59)))
    _, (prev_start, prev_end) = kpi.periods(today)
    before = ledger["reported_at"].between(prev_start.isoformat(), f"{prev_end}T24")
    assert before.sum() > 0 and ledger.loc[before, "status"].eq("closed").all()  # all done now
    figures = kpi.issue_figures(ledger, today, history)
    for figure in figures.values():
        assert figure.value == figure.previous, figure  # no drop, no rise: nothing changed
    assert figures["resolution_rate"].value == pytest.approx(
        min(max(day - 5, 0), 20) / min(day, 20)
    )
    tile = wall.tile_text(figures["resolution_rate"], "zh", today=today)
    assert tile.delta == t("wall_screen.delta.same", "zh") and tile.tone == "neutral"
    assert tile.basis == f"较10月1–{day}日，各按期末状态"
    # the same ledger without its history: judged by its dates, still like with like
    dates_only = kpi.issue_figures(ledger, today, history[["issue_id", "action", "at"]])
    assert dates_only["resolution_rate"].delta == 0


def test_status_on_a_day_is_rebuilt_from_the_history() -> None:
    issues = pd.DataFrame(
        {
            "issue_id": [1, 2, 3],
            "reported_at": ["2026-10-02T08:00:00", "2026-10-03T08:00:00", "2026-10-20T08:00:00"],
            "resolved_at": [N, "2026-11-02T08:00:00", N],
            "closed_at": [N, N, N],
            "status": ["assigned", "resolved", "reported"],
        }
    )
    history = pd.DataFrame(  # issue 1: resolved, called back unsatisfied, reopened later
        [
            (1, 1, "report", "2026-10-02T08:00:00", "reported"),
            (2, 1, "resolve", "2026-10-06T08:00:00", "resolved"),
            (3, 1, "callback", "2026-10-25T08:00:00", "callback"),
            (4, 1, "reopen", "2026-10-25T08:00:00", "assigned"),
            (5, 3, "report", "2026-10-20T08:00:00", "reported"),
        ],
        columns=["event_id", "issue_id", "action", "at", "to_status"],
    )
    # 10-15: 1 was resolved then; 2 has no history (its dates say reported); 3 not yet there
    assert kpi.status_on(issues, history, dt.date(2026, 10, 15)).tolist() == [
        "resolved",
        "reported",
        None,
    ]
    # 10-25: the reopening came after the callback of the same second (event order)
    assert kpi.status_on(issues, history, dt.date(2026, 10, 25)).tolist() == [
        "assigned",
        "reported",
        "reported",
    ]
    assert kpi.status_on(issues, None, dt.date(2026, 11, 2)).tolist() == [
        "reported",
        "resolved",
        "reported",
    ]


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
        "days": [30, 31, 15],  # November counted to the 15th only
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
    """A street's or community's frames carry exactly the history of its own issues (read
    through the issue index, comments left out), the same rows as the city's filtered."""
    city = kpi.load_frames(demo_store)
    community = city.compounds["community_id"].iloc[0]
    for frames in (
        kpi.load_frames(demo_store, street_id="S001"),
        kpi.load_frames(demo_store, street_id="S001", community_id=community),
    ):
        expected = city.events[city.events["issue_id"].isin(frames.issues["issue_id"])]
        assert len(frames.events) > 0
        assert {"report", "resolve", "callback", "reopen", "close"} <= set(frames.events["action"])
        assert "comment" not in set(frames.events["action"])
        pd.testing.assert_frame_equal(
            frames.events.sort_values(["issue_id", "at", "action"]).reset_index(drop=True),
            expected.sort_values(["issue_id", "at", "action"]).reset_index(drop=True),
        )
