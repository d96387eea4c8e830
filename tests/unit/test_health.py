"""Compound health (小区体检): hand-made compounds give the documented signals, score and flags."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import poisson

from mapgov.core.errors import ValidationError
from mapgov.domain.health.load import load_health_frames
from mapgov.domain.health.profile import (
    SIGNALS,
    HealthFrames,
    load_profile,
    monthly_signals,
    score,
)
from mapgov.domain.health.warning import flags, flags_table
from mapgov.store import open_store

TODAY = dt.date(2026, 10, 31)
PROFILE = load_profile()


def _issue(iid: int, compound: str, building: str | None, category: str, reported: str,
           *, deadline: str | None = None, resolved: str | None = None,
           status: str = "reported") -> dict[str, object]:  # fmt: skip
    return {
        "issue_id": iid,
        "compound_id": compound,
        "building_id": building,
        "category": category,
        "status": status,
        "deadline": deadline,
        "reported_at": reported + "T09:00:00",
        "resolved_at": None if resolved is None else resolved + "T17:00:00",
        "closed_at": None,
    }


def _event(eid: int, iid: int, action: str, at: str, to: str | None) -> dict[str, object]:
    return {"event_id": eid, "issue_id": iid, "action": action, "at": at + "T10:00:00",
            "to_status": to}  # fmt: skip


def _street(issues: list[dict[str, object]], events: list[dict[str, object]]) -> HealthFrames:
    """Compound A: two buildings of 100 households (one with a party group and a building
    head), a branch, a property company. Compound B: no households on record, no branch, no
    property row."""
    compounds = pd.DataFrame(
        {"compound_id": ["A", "B"], "branch_id": ["P-A", None], "name": ["甲苑", "乙院"]}
    )
    buildings = pd.DataFrame(
        {
            "building_id": ["a1", "a2", "b1"],
            "compound_id": ["A", "A", "B"],
            "households": [100, 100, 0],
            "residents": [300, 200, 0],
            "elderly": [60, 40, 0],
            "party_group_id": ["G1", None, None],
            "building_head": ["王芳", None, " "],
        }
    )
    prop = pd.DataFrame(
        [
            {
                "compound_id": "A",
                "mode": "company",
                "owners_committee": 0,
                "self_managed_committee": 0,
                "has_security": 1,
            }
        ]
    )
    return HealthFrames(
        issues=pd.DataFrame(issues, columns=list(_issue(0, "A", None, "x", "2026-01-01"))),
        events=pd.DataFrame(events, columns=["event_id", "issue_id", "action", "at", "to_status"]),
        compounds=compounds,
        buildings=buildings,
        prop=prop,
    )


def _october() -> HealthFrames:
    issues = [
        # September: the issue October's first one repeats (same building and category)
        _issue(1, "A", "a1", "water_pipes", "2026-09-10", deadline="2026-09-20",
               resolved="2026-09-15", status="closed"),
        _issue(2, "A", "a1", "water_pipes", "2026-10-02", deadline="2026-10-09",
               resolved="2026-10-05", status="resolved"),  # repeat; due in October, on time
        _issue(3, "A", "a2", "parking", "2026-10-03", deadline="2026-10-10"),  # due, late, open
        _issue(4, "A", "a2", "water_pipes", "2026-10-20"),  # another building: no repeat
        _issue(5, "A", None, "sanitation", "2026-10-21"),
        _issue(6, "B", "b1", "parking", "2026-10-22", deadline="2026-11-05"),  # due next month
    ]  # fmt: skip
    events = [
        _event(1, 1, "report", "2026-09-10", "reported"),
        _event(2, 1, "resolve", "2026-09-15", "resolved"),
        _event(3, 1, "callback", "2026-10-01", "callback"),
        _event(4, 1, "close", "2026-10-02", "closed"),
        _event(5, 2, "report", "2026-10-02", "reported"),
        _event(6, 2, "resolve", "2026-10-05", "resolved"),
        _event(7, 2, "callback", "2026-10-07", "callback"),
        _event(8, 2, "reopen", "2026-10-08", "assigned"),
        _event(9, 2, "resolve", "2026-10-09", "resolved"),
    ]
    return _street(issues, events)


def test_the_profile_ships_a_weight_a_scale_and_a_reason_for_every_signal() -> None:
    assert set(PROFILE.signals) == set(SIGNALS)
    assert sum(s.weight for s in PROFILE.signals.values()) == 100
    assert all(s.reason for s in PROFILE.signals.values())
    assert PROFILE.warning.overdue_issues == 3


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("name = 'x'", "signals"),
        ("[signals.issues]\nweight = 1\ngood = 0\nbad = 1", "signals.issues"),
        ("not toml [", "not a TOML file"),
    ],
)
def test_a_bad_profile_is_refused_naming_the_file_and_the_key(
    tmp_path: Path, text: str, key: str
) -> None:
    path = tmp_path / "street.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValidationError, match=key) as refused:
        load_profile(path)
    assert str(path) in str(refused.value)


def test_a_negative_weight_is_refused(tmp_path: Path) -> None:
    shipped = Path(__file__).parents[2] / "src/mapgov/domain/health/default.toml"
    text = shipped.read_text(encoding="utf-8").replace("weight = 20", "weight = -20", 1)
    path = tmp_path / "street.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValidationError, match=r"signals\.issues_per_100_households\.weight"):
        load_profile(path)


def test_hand_made_compounds_have_the_documented_signals() -> None:
    out = monthly_signals(_october(), TODAY, 2).set_index(["compound_id", "month"])
    a = out.loc[("A", "2026-10")]
    assert a["issues"] == 4 and a["households"] == 200
    assert a["issues_per_100_households"] == pytest.approx(2.0)
    assert a["repeats"] == 1 and a["repeats_per_100_households"] == pytest.approx(0.5)
    assert (a["due"], a["late"]) == (2, 1) and a["overdue_share"] == pytest.approx(0.5)
    # callbacks of August-October: issue 1's and issue 2's; issue 2 reopened
    assert (a["callbacks"], a["reopens"]) == (2, 1) and a["satisfaction"] == pytest.approx(0.5)
    assert a["branch"] == 1 and a["property"] == 1.0
    assert a["party_group_coverage"] == 0.5 and a["building_head_coverage"] == 0.5
    assert a["elderly_share"] == pytest.approx(100 / 500)
    assert a["overdue_open"] == 1 and a["overdue_since"] == "2026-10"
    assert np.isnan(a["life_circle"])
    sep = out.loc[("A", "2026-09")]
    assert (sep["issues"], sep["due"], sep["late"], sep["callbacks"]) == (1, 1, 0, 0)
    assert np.isnan(sep["satisfaction"])  # no callback: unknown, not 0
    b = out.loc[("B", "2026-10")]
    assert b["issues"] == 1 and np.isnan(b["issues_per_100_households"])  # no households
    assert b["due"] == 0 and np.isnan(b["overdue_share"])  # nothing due in October
    assert np.isnan(b["property"]) and b["branch"] == 0
    assert b["building_head_coverage"] == 0  # a blank name is no building head


def test_the_score_is_the_weighted_mean_of_the_known_signals() -> None:
    scored = score(monthly_signals(_october(), TODAY, 1), PROFILE).set_index("compound_id")
    w = {k: s.weight for k, s in PROFILE.signals.items()}
    # compound A by hand: issues 2.0 on 0.5..6, overdue 0.5 = bad, repeats 0.5 on 0..2,
    # satisfaction 0.5 below bad, life circle unknown, branch, half the groups and heads,
    # a company
    points = {
        "issues_per_100_households": (6 - 2.0) / (6 - 0.5) * 100,
        "overdue_share": 0.0,
        "repeats_per_100_households": 75.0,
        "satisfaction": 0.0,
        "branch": 100.0,
        "party_group_coverage": 50.0,
        "building_head_coverage": 50.0,
        "property": 100.0,
    }
    known = sum(w[k] for k in points)
    assert scored.loc["A", "score"] == pytest.approx(sum(points[k] * w[k] for k in points) / known)
    assert scored.loc["A", "confidence"] == pytest.approx(known / 100)
    assert scored.loc["A", "points_issues_per_100_households"] == pytest.approx(72.727, abs=1e-3)
    # B: what is unknown lowers the confidence, not the score
    # (no households: neither rate per 100 households is known; nothing due, no callback,
    # no property row): branch, groups and heads only, all none: 0 points on 20 of 100
    b_known = ["branch", "party_group_coverage", "building_head_coverage"]
    assert scored.loc["B", "confidence"] == pytest.approx(sum(w[k] for k in b_known) / 100)
    assert scored.loc["B", "score"] == 0.0
    # give B its households: its rates become known and its score rises, with its confidence
    frames = _october()
    frames.buildings.loc[frames.buildings["building_id"] == "b1", "households"] = 50
    again = score(monthly_signals(frames, TODAY, 1), PROFILE).set_index("compound_id")
    assert again.loc["B", "issues_per_100_households"] == pytest.approx(2.0)
    assert again.loc["B", "confidence"] > scored.loc["B", "confidence"]
    assert again.loc["B", "score"] > scored.loc["B", "score"]


def test_the_life_circle_counts_where_it_was_computed() -> None:
    frames = _october()
    with_life = HealthFrames(**{**frames.__dict__, "life": pd.Series({"A": 0.75})})
    scored = score(monthly_signals(with_life, TODAY, 1), PROFILE).set_index("compound_id")
    assert scored.loc["A", "life_circle"] == 0.75
    assert scored.loc["A", "points_life_circle"] == pytest.approx(75.0)
    assert scored.loc["A", "confidence"] == pytest.approx(1.0)
    assert np.isnan(scored.loc["B", "life_circle"])


def test_a_month_is_judged_with_what_was_known_at_its_end() -> None:
    # issue 3 (due 10-10) is resolved on 11-03: overdue at October's end, not at November's
    frames = _october()
    frames.issues.loc[frames.issues["issue_id"] == 3, ["status", "resolved_at"]] = [
        "resolved",
        "2026-11-03T17:00:00",
    ]
    extra = pd.DataFrame([_event(20, 3, "report", "2026-10-03", "reported"),
                          _event(21, 3, "resolve", "2026-11-03", "resolved")])  # fmt: skip
    frames = HealthFrames(**{**frames.__dict__, "events": pd.concat([frames.events, extra])})
    out = monthly_signals(frames, dt.date(2026, 11, 15), 2).set_index(["compound_id", "month"])
    assert out.loc[("A", "2026-10"), "overdue_open"] == 1
    assert out.loc[("A", "2026-11"), "overdue_open"] == 0
    assert out.loc[("A", "2026-10"), "late"] == 1  # resolved after its deadline: still late


def _steady(months: int, then: int) -> HealthFrames:
    """Compound A: one issue a month for `months` months before October, `then` in October."""
    issues, iid = [], 0
    for back in range(months, 0, -1):
        first = (dt.date(2026, 10, 1) - pd.DateOffset(months=back)).date()
        iid += 1
        issues.append(_issue(iid, "A", "a1", "parking", first.replace(day=5).isoformat()))
    for day in range(then):
        iid += 1
        issues.append(_issue(iid, "A", "a2", "pets", f"2026-10-{day + 1:02d}"))
    return _street(issues, [])


def test_a_surge_above_the_compounds_own_poisson_limit_is_flagged() -> None:
    limit = poisson.ppf(1 - PROFILE.warning.alpha, 1.0)  # its normal: one issue a month
    scored = score(monthly_signals(_steady(12, int(limit) + 1), TODAY, 13), PROFILE)
    found = [f for f in flags(scored, PROFILE, "2026-10") if f.kind == "surge"]
    assert [(f.compound_id, f.value, f.normal, f.since) for f in found] == [
        ("A", limit + 1, limit, "2026-10")
    ]
    assert "no_party_group:1" in found[0].look_at
    # at the limit: no flag; with too short a history: no flag
    at_limit = score(monthly_signals(_steady(12, int(limit)), TODAY, 13), PROFILE)
    assert not [f for f in flags(at_limit, PROFILE, "2026-10") if f.kind == "surge"]
    short = score(monthly_signals(_steady(3, 20), TODAY, 13), PROFILE)
    assert not [f for f in flags(short, PROFILE, "2026-10") if f.kind == "surge"]


def test_overdue_issues_are_flagged_since_the_oldest_deadline() -> None:
    issues = [
        _issue(1, "A", "a1", "parking", "2026-08-01", deadline="2026-08-20"),
        _issue(2, "A", "a1", "pets", "2026-09-01", deadline="2026-09-10"),
        _issue(3, "A", "a2", "pets", "2026-10-01", deadline="2026-10-05"),
        _issue(4, "B", "b1", "pets", "2026-10-01", deadline="2026-10-05"),
    ]
    scored = score(monthly_signals(_street(issues, []), TODAY, 3), PROFILE)
    table = flags_table(flags(scored, PROFILE, "2026-10"))
    overdue = table[table["kind"] == "overdue"]
    assert overdue[["compound_id", "value", "since"]].values.tolist() == [["A", 3.0, "2026-08"]]
    # a month before, two were overdue: below the rule's three
    assert not [f for f in flags(scored, PROFILE, "2026-09") if f.kind == "overdue"]


def test_a_falling_score_and_a_low_score_are_flagged() -> None:
    months = ["2026-06", "2026-07", "2026-08", "2026-09", "2026-10"]
    scored = pd.DataFrame(
        {
            "compound_id": "A",
            "month": months,
            "issues": 1,
            "overdue_open": 0,
            "overdue_since": None,
            "score": [90.0, 80.0, 82.0, 84.0, 55.0],
            "property": 0.3,
            "property_mode": "none",
            "branch": 0.0,
            "no_party_group": 0,
        }
    )
    found = {f.kind: f for f in flags(scored, PROFILE, "2026-10")}
    assert set(found) == {"score_drop", "low_score"}
    assert found["score_drop"].normal == pytest.approx(82.0)
    assert found["score_drop"].value == 55.0 and found["score_drop"].since == "2026-10"
    assert found["low_score"].look_at == ("no_property", "no_branch")
    assert not flags(scored, PROFILE, "2026-09")  # 84 against 84: steady


def test_the_demo_street_loads_and_scores_every_compound(demo_db: Path) -> None:
    store = open_store(demo_db)
    frames = load_health_frames(store)
    today = dt.date.fromisoformat(store.meta()["as_of"])
    scored = score(monthly_signals(frames, today, 3), PROFILE)
    compounds = store.read("compound", columns=["compound_id"])
    assert set(scored["compound_id"]) == set(compounds["compound_id"])
    assert scored["score"].between(0, 100).all()
    # the ledger's issues of those months, all counted
    issues = store.read("issue", columns=["reported_at"])
    first = month_first(today, 3)
    counted = issues["reported_at"].str.slice(0, 10).between(first, today.isoformat())
    assert scored["issues"].sum() == counted.sum()


def month_first(today: dt.date, months: int) -> str:
    first = today.replace(day=1)
    for _ in range(months - 1):
        first = (first - dt.timedelta(days=1)).replace(day=1)
    return first.isoformat()


def test_a_flag_says_which_signal_by_how_much_and_since_when() -> None:
    from mapgov.domain.health.warning import Flag
    from mapgov.views.health import flag_text, look_at_text

    flag = Flag(
        "A", "2026-11", "overdue", 3.0, None, "2026-09", ("no_property", "no_party_group:2")
    )
    assert flag_text(flag, "zh") == "逾期问题 3 件，自9月起"
    assert flag_text(flag, "en") == "overdue issues: 3, since Sep"
    assert look_at_text(flag.look_at, "zh") == ["无物业", "2 栋无党小组"]
    older = Flag("A", "2026-11", "surge", 9.0, 4.0, "2025-12")
    assert flag_text(older, "zh") == "问题 9 件，超出常态（不超过 4 件），自2025年12月起"
    drop = Flag("A", "2026-11", "score_drop", 61.4, 78.0, "2026-11")
    assert flag_text(drop, "en") == (
        "score 61.4, down 16.6 on its mean of the three months before (78.0)"
    )
    near = Flag("A", "2026-11", "score_drop", 61.46, 78.04, "2026-11")
    assert flag_text(near, "en").startswith("score 61.5, down 16.5 ")  # the shown figures add up
    low = Flag("A", "2026-11", "low_score", 56.5, None, "2026-10")  # as the list shows it
    assert flag_text(low, "zh") == "体检分 56.5，低于预警线，自10月起"


def test_mapgov_health_writes_the_pages_list(demo_db: Path, tmp_path: Path) -> None:
    from mapgov import cli
    from mapgov.core import clock
    from mapgov.domain.health.report import compound_health
    from mapgov.views.health import health_table
    from mapgov.views.wall import life_circle

    out = tmp_path / "health.csv"
    assert cli.main(["health", "--db", str(demo_db), "--month", "2026-10", "--out", str(out)]) == 0
    written = pd.read_csv(out, encoding="utf-8-sig")
    store = open_store(demo_db)
    frames = load_health_frames(store, life=life_circle(store, None).by_compound())
    report = compound_health(frames, clock.today(store), month="2026-10")
    page = health_table(report, frames.compounds, "zh", trend=False)
    assert list(written.columns) == list(page.columns)
    assert len(written) == len(store.read("compound", columns=["compound_id"]))
    pd.testing.assert_frame_equal(written.fillna(""), page.fillna(""), check_dtype=False)
    # the flagged come first, and a flagged compound names its warning
    flagged = written["预警"].fillna("") != ""
    assert flagged.any() and flagged.astype(int).is_monotonic_decreasing
    # a month not begun is refused and nothing is written
    late = tmp_path / "late.csv"
    assert cli.main(["health", "--db", str(demo_db), "--month", "2099-01", "--out", str(late)]) != 0
    assert not late.exists()
