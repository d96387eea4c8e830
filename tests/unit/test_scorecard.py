"""Property companies' scorecards (issue 21 point 2): hand counts on a hand-made ledger, the
recording of residents' evaluations and of a company's agreement, the wall tile, the table
the page and the command line share."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from mapgov.cli import main
from mapgov.core.errors import PermissionDeniedError, StaleEditError, ValidationError
from mapgov.core.model import Role
from mapgov.domain import kpi, scorecard
from mapgov.domain.users import User, get_user
from mapgov.store import Store, open_store
from mapgov.views import scorecard as views
from mapgov.views import wall
from tests.handdrawn import build_two_streets

TODAY = dt.date(2026, 11, 15)
NOW = dt.datetime(2026, 11, 15, 10, 0)
A, B = "甲物业公司", "乙物业公司"

# (id, compound, category, reported, resolved, closed, deadline)
ISSUES = [
    (1, "K1", "property_service", "2026-10-02", "2026-10-05", None, "2026-10-06"),  # on time
    (2, "K1", "elevator", "2026-10-03", "2026-10-12", None, "2026-10-10"),  # late
    (3, "K2", "sanitation", "2026-10-20", None, None, "2026-10-30"),  # open
    (4, "K1", "pets", "2026-10-04", "2026-10-05", None, "2026-10-09"),  # not a property issue
    (5, "K2", "parking", "2026-09-25", "2026-10-01", "2026-10-03", "2026-09-30"),  # Sept, late
    (6, "K1", "water_pipes", "2026-10-30", None, "2026-11-02", "2026-11-05"),  # done in Nov
    (7, "K2", "lighting", "2026-10-10", None, "2026-10-15", "2026-10-20"),  # closed, on time
    (8, "K3", "facility_repair", "2026-10-05", "2026-10-06", None, None),  # no deadline
    (9, "K3", "security_theft", "2026-10-08", None, None, None),  # not a property issue
]
# (issue, action, at)
EVENTS = [
    (1, "callback", "2026-10-07T09:00:00"),
    (2, "callback", "2026-10-14T09:00:00"),
    (2, "reopen", "2026-10-14T09:00:01"),
    (4, "callback", "2026-10-06T09:00:00"),  # pets: not counted
]
# (compound, company, period, score, respondents)
EVALUATIONS = [
    ("K1", A, "2026-09", 80.0, 30),
    ("K1", A, "2026-10", 90.0, 10),  # K1's latest in the window
    ("K2", A, "2026-08", 70.0, 20),  # within the three months up to October
    ("K3", "丙物业公司", "2026-10", 50.0, 40),  # the former company: not B's
]


def _ledger(store: Store) -> None:
    """Write the hand-made ledger: K1 and K2 (60 and 48 households) managed by A, K3 (10) by B."""
    ops: list[tuple[str, str, dict[str, Any], dict[str, Any]]] = []
    for cid, company, red, fee in (("K1", A, 1, 0.8), ("K2", A, 0, 0.5), ("K3", B, 0, None)):
        ops.append(
            (
                "insert",
                "property_management",
                {"compound_id": cid},
                {
                    "mode": "company",
                    "company": company,
                    "red_property": red,
                    "fee_collection_rate": fee,
                },
            )
        )
    ops.append(
        ("insert", "property_company", {"company": B}, {"agreement_signed_on": "2026-10-31"})
    )
    for iid, cid, cat, reported, resolved, closed, deadline in ISSUES:
        status = "closed" if closed else "resolved" if resolved else "assigned"
        ops.append(
            (
                "insert",
                "issue",
                {"issue_id": iid},
                {
                    "compound_id": cid,
                    "category": cat,
                    "source": "walk_in",
                    "level": "compound",
                    "status": status,
                    "title": f"问题{iid}",
                    "reported_at": f"{reported}T08:00:00",
                    "resolved_at": resolved and f"{resolved}T17:00:00",
                    "closed_at": closed and f"{closed}T17:00:00",
                    "deadline": deadline,
                    "lon": 112.4,
                    "lat": 34.6,
                },
            )
        )
    for cid, company, period, score, n in EVALUATIONS:
        ops.append(
            (
                "insert",
                "property_evaluation",
                {"compound_id": cid, "company": company, "period": period},
                {
                    "score": score,
                    "respondents": n,
                    "recorded_by": "测试",
                    "recorded_at": f"{period}-25T16:00:00",
                },
            )
        )
    events = [
        ("issue_event", {"issue_id": i, "action": a, "at": at, "actor": "测试"})
        for i, a, at in EVENTS
    ]
    store.edit(ops, actor="test", at="2026-11-01T00:00:00", append=events)


@pytest.fixture
def ledger(tmp_path: Path) -> Store:
    store = open_store(build_two_streets(tmp_path / "hand.sqlite"))
    _ledger(store)
    return store


def test_the_scorecard_equals_the_hand_counts(ledger: Store) -> None:
    card = scorecard.property_scorecard(ledger, "2026-10", TODAY).set_index("company")
    assert list(card.index) == [A, B]  # A ranked, B unscored and last
    a, b = card.loc[A], card.loc[B]
    assert not a["to_date"]
    assert (a["compounds"], a["households"]) == (2, 108)
    assert a["property_issues"] == 5  # 1, 2, 3, 6, 7: not the pets, not September's
    assert a["issues_per_100_households"] == pytest.approx(5 / 108 * 100)
    assert (a["resolved"], a["on_time_share"]) == (4, 0.5)  # 1, 2, 5, 7; on time 1 and 7
    assert (a["callbacks"], a["satisfaction"]) == (2, 0.5)  # 2 was reopened; 4 is pets
    assert a["fee_collection_rate"] == pytest.approx((0.8 * 60 + 0.5 * 48) / 108)
    assert a["evaluation_score"] == pytest.approx((90 * 10 + 70 * 20) / 30)
    assert a["evaluation_respondents"] == 30
    assert a["party_branch"] and not a["agreement"]
    complaints = 100 - 20 * (5 / 108 * 100)
    expected = (
        30 * (90 * 10 + 70 * 20) / 30
        + 20 * 50
        + 20 * 50
        + 20 * complaints
        + 10 * (0.8 * 60 + 0.5 * 48) / 108 * 100
    ) / 100
    assert a["composite_score"] == pytest.approx(expected)
    assert a["rank"] == 1
    # B: one issue, resolved without a deadline; no callback, no fee rate, no evaluation of B
    assert (b["households"], b["property_issues"], b["issues_per_100_households"]) == (10, 1, 10)
    assert b["on_time_share"] == 0
    for unknown in (
        "satisfaction",
        "fee_collection_rate",
        "evaluation_score",
        "composite_score",
        "rank",
    ):
        assert math.isnan(b[unknown]), unknown
    assert b["agreement"] and not b["party_branch"]


def test_the_on_time_share_is_the_issue_pages_on_time_rate(ledger: Store) -> None:
    issues = ledger.read("issue")
    mine = issues[
        issues["compound_id"].isin(["K1", "K2"])
        & issues["category"].isin(scorecard.PROPERTY_CATEGORIES)
    ]
    figures = kpi.issue_figures(mine, dt.date(2026, 10, 31))
    card = scorecard.property_scorecard(ledger, "2026-10", TODAY).set_index("company")
    assert card.loc[A, "on_time_share"] == figures["on_time_rate"].value


def test_a_month_under_way_counts_to_date_and_an_agreement_from_its_day(ledger: Store) -> None:
    nov = scorecard.property_scorecard(ledger, "2026-11", TODAY).set_index("company")
    assert nov["to_date"].all()
    assert nov.loc[A, "property_issues"] == 0
    assert (nov.loc[A, "resolved"], nov.loc[A, "on_time_share"]) == (1, 1.0)  # 6, on 2 Nov
    assert nov.loc[A, "evaluation_score"] == 90  # K2's August evaluation is out of the window
    sep = scorecard.property_scorecard(ledger, "2026-09", TODAY).set_index("company")
    assert not sep.loc[B, "agreement"]  # signed on 31 October
    assert sep.loc[A, "evaluation_score"] == pytest.approx((80 * 30 + 70 * 20) / 50)
    trend = scorecard.scorecard_trend(ledger, "2026-10", TODAY, months=3)
    assert sorted(trend["month"].unique()) == ["2026-08", "2026-09", "2026-10"]
    with pytest.raises(ValidationError, match="has not begun"):
        scorecard.property_scorecard(ledger, "2026-12", TODAY)
    with pytest.raises(ValidationError, match="YYYY-MM"):
        scorecard.property_scorecard(ledger, "2026-13", TODAY)


# -- recording evaluations -------------------------------------------------------------------
STAFF_C1 = User("c1", "王城社区干部", Role.STAFF, "S1", "C1")
STAFF_C3 = User("c3", "天津路社区干部", Role.STAFF, "S2", "C3")
ADMIN_S1 = User("a1", "西工管理员", Role.ADMIN, "S1")
LEADER = User("l1", "领导", Role.LEADER, "S1")


def test_staff_record_an_evaluation_once(ledger: Store) -> None:
    logged = scorecard.record_evaluation(ledger, STAFF_C1, "K2", "2026-11", 88.5, 42, NOW)
    assert logged > 0
    row = ledger.read("property_evaluation", where={"compound_id": "K2", "period": "2026-11"})
    assert (row["company"].iloc[0], row["score"].iloc[0], row["respondents"].iloc[0]) == (
        A,
        88.5,
        42,
    )
    log = ledger.read("change_log", where={"table_name": "property_evaluation"})
    assert set(log["actor"]) == {"test", STAFF_C1.name}
    with pytest.raises(StaleEditError, match="already") as err:
        scorecard.record_evaluation(ledger, ADMIN_S1, "K2", "2026-11", 60, 10, NOW)
    assert err.value.key == "error.scorecard.duplicate"
    again = ledger.read("property_evaluation", where={"compound_id": "K2", "period": "2026-11"})
    assert again["score"].tolist() == [88.5]
    nov = scorecard.property_scorecard(ledger, "2026-11", TODAY).set_index("company")
    assert nov.loc[A, "evaluation_score"] == pytest.approx((90 * 10 + 88.5 * 42) / 52)


@pytest.mark.parametrize(
    ("user", "compound", "period", "score", "respondents", "error", "key"),
    [
        (LEADER, "K1", "2026-11", 80, 10, PermissionDeniedError, "error.edit.denied"),
        (STAFF_C3, "K1", "2026-11", 80, 10, PermissionDeniedError, "error.edit.denied"),
        (STAFF_C1, "K1", "2026-11", 101, 10, ValidationError, "error.scorecard.score"),
        (STAFF_C1, "K1", "2026-11", -1, 10, ValidationError, "error.scorecard.score"),
        (STAFF_C1, "K1", "2026-11", float("nan"), 10, ValidationError, "error.scorecard.score"),
        (STAFF_C1, "K1", "2026-11", 80, 0, ValidationError, "error.scorecard.respondents"),
        (STAFF_C1, "K1", "2026-11", 80, 2.5, ValidationError, "error.scorecard.respondents"),
        (STAFF_C1, "K1", "2026-12", 80, 10, ValidationError, "error.scorecard.future"),
        (STAFF_C1, "K1", "2026/11", 80, 10, ValidationError, "error.scorecard.month"),
        (ADMIN_S1, "K1", "2026-10", 80, 10, StaleEditError, "error.scorecard.duplicate"),
    ],
)
def test_a_bad_evaluation_is_refused_and_changes_nothing(
    ledger: Store,
    user: User,
    compound: str,
    period: str,
    score: float,
    respondents: Any,
    error: type[Exception],
    key: str,
) -> None:
    before = ledger.read("property_evaluation")
    with pytest.raises(error) as err:
        scorecard.record_evaluation(ledger, user, compound, period, score, respondents, NOW)
    assert getattr(err.value, "key", None) == key
    pd.testing.assert_frame_equal(ledger.read("property_evaluation"), before)


def test_a_compound_without_a_company_cannot_be_evaluated(ledger: Store) -> None:
    ledger.edit(
        [
            (
                "update",
                "property_management",
                {"compound_id": "K2"},
                {"mode": "owners_committee", "company": None},
            )
        ],
        actor="test",
        at="2026-11-02T00:00:00",
    )
    with pytest.raises(ValidationError) as err:
        scorecard.record_evaluation(ledger, STAFF_C1, "K2", "2026-11", 80, 10, NOW)
    assert err.value.key == "error.scorecard.no_company"
    assert scorecard.evaluable_compounds(ledger, STAFF_C1, "S1")["compound_id"].tolist() == ["K1"]
    assert scorecard.evaluable_compounds(ledger, LEADER, "S1").empty


def test_an_admin_sets_a_companys_agreement_with_a_version_check(ledger: Store) -> None:
    assert scorecard.company_version(ledger, A) == 0
    day = dt.date(2026, 10, 1)
    scorecard.set_property_company(
        ledger, ADMIN_S1, A, version=0, agreement_signed_on=day, branch_id=None, at=NOW
    )
    assert scorecard.company_version(ledger, A) == 1
    record = scorecard.company_record(ledger, A)
    assert (record["version"], record["agreement_signed_on"], record["branch_id"]) == (1, day, None)
    with pytest.raises(StaleEditError):  # drawn before the save above
        scorecard.set_property_company(
            ledger, ADMIN_S1, A, version=0, agreement_signed_on=None, branch_id=None, at=NOW
        )
    scorecard.set_property_company(
        ledger, ADMIN_S1, B, version=1, agreement_signed_on=None, branch_id=None, at=NOW
    )
    with pytest.raises(StaleEditError):
        scorecard.set_property_company(
            ledger, ADMIN_S1, B, version=1, agreement_signed_on=day, branch_id=None, at=NOW
        )
    card = scorecard.property_scorecard(ledger, "2026-10", TODAY).set_index("company")
    assert card.loc[A, "agreement"] and not card.loc[B, "agreement"]
    with pytest.raises(PermissionDeniedError):
        scorecard.set_property_company(
            ledger, STAFF_C1, A, version=1, agreement_signed_on=None, branch_id=None, at=NOW
        )
    with pytest.raises(ValidationError, match="after today"):
        scorecard.set_property_company(
            ledger,
            ADMIN_S1,
            A,
            version=1,
            agreement_signed_on=dt.date(2026, 12, 1),
            branch_id=None,
            at=NOW,
        )
    with pytest.raises(ValidationError, match="no compound"):
        scorecard.set_property_company(
            ledger,
            ADMIN_S1,
            "无名公司",
            version=0,
            agreement_signed_on=None,
            branch_id=None,
            at=NOW,
        )


# -- the table, the command line and the wall tile --------------------------------------------
def test_the_command_line_writes_the_pages_figures(ledger: Store, tmp_path: Path) -> None:
    db = str(ledger.path)  # type: ignore[attr-defined]
    table = views.scorecard_table(scorecard.property_scorecard(ledger, "2026-10", TODAY), "zh")
    for suffix in (".csv", ".xlsx"):
        out = tmp_path / f"card{suffix}"
        code = main(
            ["scorecard", "--property", "--month", "2026-10", "--db", db, "--out", str(out)]
        )
        assert code == 0
        back = (
            pd.read_csv(out, encoding="utf-8-sig", keep_default_na=False, na_values=[""])
            if suffix == ".csv"
            else pd.read_excel(out)
        )
        assert list(back.columns) == list(table.columns)
        assert back["物业企业"].tolist() == [A, B]
        for col in (
            "每百户问题数",
            "按时办结率",
            "回访满意率",
            "物业费收缴率",
            "居民评议得分",
            "综合评分",
        ):
            assert back[col].astype(float).tolist() == pytest.approx(
                table[col].astype(float).tolist(), nan_ok=True, rel=1e-12
            ), (suffix, col)
        assert back["党支部"].tolist() == ["是", "否"]
    code = main(
        [
            "scorecard",
            "--property",
            "--lang",
            "en",
            "--month",
            "2026-10",
            "--db",
            db,
            "--out",
            str(tmp_path / "en.csv"),
        ]
    )
    assert code == 0
    assert "Composite score" in pd.read_csv(tmp_path / "en.csv", encoding="utf-8-sig").columns


def test_the_command_line_refuses_bad_input(ledger: Store, tmp_path: Path) -> None:
    db = str(ledger.path)  # type: ignore[attr-defined]
    assert main(["scorecard", "--db", db, "--out", str(tmp_path / "x.csv")]) == 2
    assert main(["scorecard", "--property", "--db", db, "--out", str(tmp_path / "x.txt")]) == 1
    assert (
        main(
            [
                "scorecard",
                "--property",
                "--month",
                "2999-12",  # after any day the suite may run on
                "--db",
                db,
                "--out",
                str(tmp_path / "x.csv"),
            ]
        )
        == 1
    )
    assert not (tmp_path / "x.csv").exists()


def test_the_wall_tile_reads_the_mean_score_and_the_first_company(ledger: Store) -> None:
    frames = scorecard.load_scorecard_frames(ledger, street_id="S1")
    html = views.wall_tile(frames, "zh", today=dt.date(2026, 11, 15))
    now = scorecard.property_scorecard(frames, "2026-11", TODAY)
    before = scorecard.property_scorecard(frames, "2026-10", dt.date(2026, 10, 15))
    assert 'data-key="property_score"' in html and views.TILE_KEY in wall.TILES
    value = now["composite_score"].dropna().mean()
    assert f'mg-tile-value">{value:.1f}<span class="mg-unit">分' in html
    assert f"第一：{A}" in html
    change = value - before["composite_score"].dropna().mean()
    assert f"{'▲' if change > 0 else '▼'} {abs(change):.1f} 分" in html
    assert "较10月1–15日" in html
    empty = views.tile_html(now.iloc[0:0], now.iloc[0:0], "en", today=TODAY)
    assert 'mg-tile-value">—<' in empty and "first:" not in empty
    sneaky = now.assign(company="<b>x</b>")
    assert "<b>x</b>" not in views.tile_html(sneaky, before, "en", today=TODAY)
    # the wall narrowed to a community scores the companies on that community's compounds:
    # C1 holds all of S1's compounds, C2 none; C3 (of S2) holds K3 alone, whose company is B
    for community, shown in (("C1", html), ("C2", None), ("C3", None)):
        narrowed = scorecard.load_scorecard_frames(ledger, street_id="S1", community_id=community)
        tile = views.wall_tile(narrowed, "zh", today=TODAY)
        assert tile == shown if shown else 'mg-tile-value">—<' in tile and A not in tile
    other = scorecard.load_scorecard_frames(ledger, community_id="C3")
    assert set(other.prop["company"]) == {B} and set(frames.prop["company"]) == {A}


# -- the demo, on both backends ----------------------------------------------------------------
def test_the_demo_has_agreements_and_quarterly_evaluations(demo_store: Store) -> None:
    companies = demo_store.read("property_company")
    served = demo_store.read("property_management", where={"mode": "company"})
    assert set(companies["company"]) == set(served["company"].dropna())
    signed = companies["agreement_signed_on"].notna().mean()
    assert 0.3 <= signed <= 0.8
    assert (companies["agreement_signed_on"].dropna() <= "2026-11-15").all()
    evals = demo_store.read("property_evaluation")
    assert set(evals["period"].str.slice(5, 7)) <= {"03", "06", "09", "12"}
    assert evals["period"].max() == "2026-09"
    assert evals["score"].between(60, 95).all() and evals["respondents"].between(20, 120).all()


def test_recording_on_each_backend(any_work_store: Store) -> None:
    store = any_work_store
    staff = get_user(store, "S001-C1-staff1")
    compounds = scorecard.evaluable_compounds(store, staff, "S001")
    assert len(compounds) > 0
    cid = compounds["compound_id"].iloc[0]
    now = dt.datetime(2026, 11, 15, 18, 0)
    company = compounds["company"].iloc[0]
    before = scorecard.property_scorecard(store, "2026-11", now.date()).set_index("company")
    september = store.read(
        "property_evaluation", where={"compound_id": cid, "company": company, "period": "2026-09"}
    )
    scorecard.record_evaluation(store, staff, cid, "2026-11", 61.0, 25, now)
    with pytest.raises(StaleEditError):
        scorecard.record_evaluation(store, staff, cid, "2026-11", 99.0, 25, now)
    after = scorecard.property_scorecard(store, "2026-11", now.date()).set_index("company")
    # the compound's November evaluation takes the place of its September one
    assert after.loc[company, "evaluation_respondents"] == (
        before.loc[company, "evaluation_respondents"] - int(september["respondents"].sum()) + 25
    )
    loaded = scorecard.load_scorecard_frames(store, street_id="S001")
    pd.testing.assert_frame_equal(
        scorecard.property_scorecard(loaded, "2026-10", now.date()),
        scorecard.property_scorecard(store, "2026-10", now.date(), street_id="S001"),
    )
