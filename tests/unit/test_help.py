"""The ten-minute help circle: response times and their figures on a hand-made ledger, and the
demo's help requests."""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pytest

from mapgov.core.i18n import t
from mapgov.core.model import ALLOWED_TRANSITIONS, HELP_CATEGORIES, IssueStatus
from mapgov.domain import help as helpc
from mapgov.domain import kpi
from mapgov.store import Store
from mapgov.views import help as help_view
from mapgov.views import wall
from tests.conftest import AS_OF

NOW = dt.datetime(2026, 11, 15, 18, 0)
MONTH = (dt.date(2026, 11, 1), dt.date(2026, 11, 15))

# issue: compound, category, reported_at; then its events (action, at)
_LEDGER: list[tuple[int, str, str, str, list[tuple[str, str]]]] = [
    # assigned after 4 minutes: answered within ten
    (1, "A", "help_utility", "2026-11-03T09:00:00", [("assign", "2026-11-03T09:04:00")]),
    # a comment after 2 minutes is no answer; started (without assignment) after 12: late
    (
        2,
        "A",
        "help_access",
        "2026-11-04T10:00:00",
        [("comment", "2026-11-04T10:02:00"), ("start", "2026-11-04T10:12:00")],
    ),
    # resolved straight away after 10 minutes exactly: within (at most ten)
    (3, "B", "help_elderly", "2026-11-05T08:00:00", [("resolve", "2026-11-05T08:10:00")]),
    # escalated first (after 6), then assigned: the escalation is the first action
    (
        4,
        "B",
        "help_lost_found",
        "2026-11-06T08:00:00",
        [("escalate", "2026-11-06T08:06:00"), ("assign", "2026-11-06T08:08:00")],
    ),
    # unanswered and older than ten minutes at NOW: due and late, no time
    (5, "B", "help_utility", "2026-11-15T17:40:00", [("comment", "2026-11-15T17:45:00")]),
    # unanswered but reported 5 minutes before NOW: not yet due
    (6, "A", "help_utility", "2026-11-15T17:55:00", []),
    # answered after NOW: not yet known, so unanswered (and due: 20 minutes old)
    (7, "A", "help_access", "2026-11-15T17:40:00", [("assign", "2026-11-15T18:30:00")]),
    # not a help request: never counted
    (8, "A", "pets", "2026-11-03T09:00:00", [("assign", "2026-11-03T09:01:00")]),
    # last month, answered after 20 minutes
    (9, "B", "help_utility", "2026-10-10T09:00:00", [("assign", "2026-10-10T09:20:00")]),
    # last month, after the same days: outside the previous span
    (10, "A", "help_utility", "2026-10-20T09:00:00", [("assign", "2026-10-20T09:03:00")]),
]


def _frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    issues = pd.DataFrame(
        [(i, c, cat, at) for i, c, cat, at, _ in _LEDGER],
        columns=["issue_id", "compound_id", "category", "reported_at"],
    )
    rows = [(i, "report", at) for i, _, _, at, _ in _LEDGER]
    rows += [(i, a, t) for i, _, _, _, evs in _LEDGER for a, t in evs]
    events = pd.DataFrame(rows, columns=["issue_id", "action", "at"])
    return issues, events


def test_response_time_is_report_to_first_action_not_a_comment() -> None:
    issues, events = _frames()
    minutes = helpc.response_minutes(issues, events, now=NOW)
    got = dict(zip(issues["issue_id"], minutes, strict=True))
    assert got[1] == 4 and got[2] == 12 and got[3] == 10 and got[4] == 6
    assert got[8] == 1 and got[9] == 20
    for unanswered in (5, 6, 7):  # 7's answer comes after NOW: not yet known
        assert math.isnan(got[unanswered])
    later = helpc.response_minutes(issues, events, now=dt.datetime(2026, 11, 15, 19))
    assert later[issues["issue_id"] == 7].item() == 50


def test_figures_of_the_month_equal_hand_counts() -> None:
    issues, events = _frames()
    f = helpc.figures(issues, events, now=NOW, span=MONTH)
    # requests 1-7 (8 is not help, 9 and 10 last month); due: all but 6
    assert (f.requests, f.answered, f.due) == (7, 4, 6)
    assert f.within == 3  # 1, 3, 4; 2 is late, 5 and 7 unanswered
    assert f.share == pytest.approx(3 / 6)
    assert f.median_min == pytest.approx(8.0)  # of 4, 6, 10, 12


def test_figures_by_compound_and_empty_period() -> None:
    issues, events = _frames()
    table = helpc.by_group(issues, events, issues["compound_id"], now=NOW, span=MONTH)
    a, b = table.loc["A"], table.loc["B"]
    assert (a["requests"], a["answered"], a["due"], a["within"]) == (4, 2, 3, 1)
    assert a["share"] == pytest.approx(1 / 3) and a["median_min"] == pytest.approx(8.0)
    assert (b["requests"], b["due"], b["within"]) == (3, 3, 2)
    assert b["median_min"] == pytest.approx(8.0)  # of 6 and 10
    none = helpc.figures(issues, events, now=NOW, span=(dt.date(2025, 1, 1), dt.date(2025, 1, 31)))
    assert none.requests == 0 and none.share is None and none.median_min is None
    empty = helpc.by_group(
        issues, events, issues["compound_id"], now=NOW, span=(dt.date(2025, 1, 1),) * 2
    )
    assert empty.empty and list(empty.columns) == list(helpc.COLUMNS)


def test_wall_figure_compares_the_same_days_of_last_month() -> None:
    issues, events = _frames()
    frames = kpi.Frames(
        issues=issues,
        compounds=pd.DataFrame(),
        buildings=pd.DataFrame(),
        prop=pd.DataFrame(),
        stars=pd.DataFrame(),
        events=events[events["action"] != "comment"],
    )
    figure, median = helpc.wall_figure(frames, now=NOW)
    assert figure.key == "help_within_ten" and figure.unit == "share"
    assert figure.value == pytest.approx(3 / 6)
    assert figure.previous == 0.0  # issue 9 only (10 is after Oct 15): late
    assert median == pytest.approx(8.0)


def test_the_demo_answers_help_requests_believably(demo_store: Store) -> None:
    issues = demo_store.read("issue")
    events = demo_store.read("issue_event")
    req = issues[issues["category"].isin([c.value for c in HELP_CATEGORIES])]
    ledger = len(issues) - len(req)
    assert 0.07 * ledger <= len(req) <= 0.13 * ledger
    assert set(req["source"]) <= {"building_head", "walk_in", "grid_worker", "hotline_12345"}
    assert (req["level"] == "compound").all() and req["title"].str.len().gt(4).all()
    assert req["issue_id"].min() > issues.loc[~issues.index.isin(req.index), "issue_id"].max()
    now = dt.datetime.combine(AS_OF, dt.time(18))
    f = helpc.figures(req, events, now=now, span=(AS_OF - dt.timedelta(days=729), AS_OF))
    assert 0.72 <= (f.share or 0) <= 0.88
    assert 5 <= (f.median_min or 0) <= 9.5
    assert f.answered >= f.requests - 3  # all but the last few are answered
    mine = events[events["issue_id"].isin(req["issue_id"])]
    assert (mine["at"] <= now.isoformat()).all()
    ordered = mine.sort_values(["issue_id", "event_id"])
    assert ordered.groupby("issue_id")["at"].apply(lambda s: s.is_monotonic_increasing).all()
    assert (ordered.groupby("issue_id")["action"].first() == "report").all()
    for frm, to in ordered[["from_status", "to_status"]].dropna().itertuples(index=False):
        assert IssueStatus(to) in ALLOWED_TRANSITIONS[IssueStatus(frm)]
    closed = req[req["status"] == "closed"]
    hours = (
        pd.to_datetime(closed["resolved_at"]) - pd.to_datetime(closed["reported_at"])
    ).dt.total_seconds() / 3600
    assert len(closed) > 0.95 * len(req) and hours.median() < 4


def test_load_reads_a_communitys_requests(demo_store: Store) -> None:
    street = helpc.load(demo_store, street_id="S001")
    community = street.compounds["community_id"].iloc[0]
    mine = helpc.load(demo_store, community_id=community)
    assert set(mine.requests["issue_id"]) < set(street.requests["issue_id"])
    assert not mine.events["action"].isin(list(helpc.NOT_ANSWERS)).any()
    now = dt.datetime.combine(AS_OF, dt.time(18))
    span = helpc.window(AS_OF, 365)
    whole, table = helpc.summary(street, now=now, span=span, community_id=community)
    assert (
        whole.requests == helpc.figures(street.requests, street.events, now=now, span=span).requests
    )
    ids = set(street.compounds.loc[street.compounds["community_id"] == community, "compound_id"])
    assert set(table["compound_id"]) <= ids and table["name"].notna().all()
    assert (
        table["requests"].sum()
        == helpc.figures(mine.requests, mine.events, now=now, span=span).requests
    )


@pytest.mark.parametrize(
    ("events", "now", "key", "minutes"),
    [
        ([("comment", "09:02:00"), ("assign", "09:06:00")], "12:00:00", "within", "6.0"),
        ([("start", "09:10:30")], "12:00:00", "late", "10.5"),
        ([("comment", "09:01:00")], "09:04:00", "waiting", "4"),
        ([("comment", "09:01:00")], "09:25:00", "waiting_late", "25"),
        ([("assign", "09:30:00")], "09:20:00", "waiting_late", "20"),  # after now: not yet
    ],
)
def test_a_requests_response_in_words(
    events: list[tuple[str, str]], now: str, key: str, minutes: str
) -> None:
    timeline = pd.DataFrame(
        [("report", "2026-11-02T09:00:00")] + [(a, f"2026-11-02T{at}") for a, at in events],
        columns=["action", "at"],
    )
    for lang in ("zh", "en"):
        text = help_view.response_text(
            "2026-11-02T09:00:00",
            timeline,
            now=dt.datetime.fromisoformat(f"2026-11-02T{now}"),
            lang=lang,
        )
        assert text == t(f"help.panel.{key}", lang, minutes=minutes)


def test_the_help_tile_carries_its_median_escaped() -> None:
    figure = kpi.Figure("help_within_ten", 0.8, 0.75, "share", "up")
    html = wall.tiles_html(
        [figure], "zh", today=dt.date(2026, 11, 15), notes={"help_within_ten": "<b>7 分钟</b>"}
    )
    assert 'data-key="help_within_ten"' in html and "十分钟响应率" in html
    assert "80.0%" in html and "▲ 5.0 个百分点" in html and "较10月1–15日" in html
    assert '<div class="mg-tile-note">&lt;b&gt;7 分钟&lt;/b&gt;</div>' in html
    plain = wall.tiles_html([kpi.Figure("received", 3.0, 2.0, "count", None)], "zh")
    assert "mg-tile-note" not in plain
    assert help_view.median_note(None, "en") == "Median — min"


def test_the_compound_table_in_words() -> None:
    table = pd.DataFrame(
        {
            "compound_id": ["A", "B"],
            "name": ["丽景苑", None],
            "requests": [3, 1],
            "answered": [3, 0],
            "due": [3, 1],
            "within": [2, 0],
            "share": [2 / 3, 0.0],
            "median_min": [7.25, float("nan")],
        }
    )
    shown = help_view.compound_table(table, "zh")
    assert shown[t("help.col.compound")].tolist() == ["丽景苑", "B"]
    assert shown[t("help.col.share")].tolist() == ["66.7%", "0.0%"]
    assert shown[t("help.col.median")].tolist() == ["7.3", "—"]
    assert help_view.span_of("days365", dt.date(2026, 11, 15))[0] == dt.date(2025, 11, 16)
    with pytest.raises(ValueError, match="period"):
        help_view.span_of("week", dt.date(2026, 11, 15))


def test_figures_by_community_add_up_to_the_street(demo_store: Store) -> None:
    street = helpc.load(demo_store, street_id="S001")
    now = dt.datetime.combine(AS_OF, dt.time(18))
    span = helpc.window(AS_OF, 365)
    table = helpc.by_community(street, now=now, span=span)
    whole = helpc.figures(street.requests, street.events, now=now, span=span)
    assert set(table.index) <= set(street.compounds["community_id"]) and len(table) > 1
    assert table["requests"].sum() == whole.requests and table["within"].sum() == whole.within
    for community, row in table.iterrows():
        mine = helpc.load(demo_store, community_id=str(community))
        one = helpc.figures(mine.requests, mine.events, now=now, span=span)
        assert (row["requests"], row["due"], row["within"]) == (one.requests, one.due, one.within)
        assert row["median_min"] == pytest.approx(one.median_min)
