"""Which company served a compound when (``property_tenure``): the scorecard counts each past
month for the company serving then; the property form and imports keep the tenures in step
with ``property_management`` (the migration to schema 8: tests/app/test_migrate.py)."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from mapgov.core.errors import PermissionDeniedError, StaleEditError, ValidationError
from mapgov.core.i18n import error_text
from mapgov.domain import party, scorecard, tenure
from mapgov.domain.users import User
from mapgov.io.importers import import_layers
from mapgov.store import Store, open_store
from tests.unit.test_scorecard import (
    ADMIN_S1,
    LEADER,
    STAFF_C1,
    STAFF_C3,
    A,
    B,
    _ledger,
    build_two_streets,
)

TODAY = dt.date(2026, 11, 15)
NOW = dt.datetime(2026, 11, 15, 10, 0)
SWITCH = dt.date(2026, 10, 10)
"""K2 goes from A to B on 10 October: September is A's, October's last day B's."""


def _tenures(store: Store, compound: str) -> list[tuple[str, str, str | None]]:
    rows = store.read("property_tenure", where={"compound_id": compound})
    rows = rows.sort_values("started_on")
    return [
        (r.company, r.started_on, r.ended_on if isinstance(r.ended_on, str) else None)
        for r in rows.itertuples()
    ]


@pytest.fixture
def ledger(tmp_path: Path) -> Store:
    """The scorecard tests' hand-made ledger (K1, K2 served by A, K3 by B), no tenure rows."""
    store = open_store(build_two_streets(tmp_path / "hand.sqlite"))
    _ledger(store)
    return store


def _save_k2(store: Store, user: User = ADMIN_S1, **fields: Any) -> int:
    """The property form of K2, drawn now and saved by `user` with `fields`."""
    version = party.form_version(store, "property", "K2")
    return party.set_property(store, user, "K2", version=version, at=NOW, **fields)


def _switch_k2(store: Store, *, on: dt.date = SWITCH, company: str = B) -> int:
    return _save_k2(store, mode="company", company=company, effective_on=on)


def test_a_compound_without_tenures_counts_for_its_company_in_every_month(ledger: Store) -> None:
    assert ledger.counts()["property_tenure"] == 0
    frames = scorecard.load_scorecard_frames(ledger)
    assert set(frames.tenure["started_on"]) == {tenure.UNKNOWN_START}
    aug = scorecard.property_scorecard(frames, "2026-08", TODAY).set_index("company")
    assert aug.loc[A, "compounds"] == 2 and aug.loc[B, "compounds"] == 1


def test_the_form_records_the_change_and_the_scorecard_follows_it(ledger: Store) -> None:
    # the save says one change (the company), not the tenure rows written behind it
    assert _switch_k2(ledger) == 1
    assert _tenures(ledger, "K2") == [
        (A, tenure.UNKNOWN_START, "2026-10-10"),
        (B, "2026-10-10", None),
    ]
    assert _tenures(ledger, "K1") == []  # untouched: still A's from before the records
    log = ledger.read("change_log", where={"table_name": "property_tenure"})
    assert set(log["actor"]) == {ADMIN_S1.name}
    sep = scorecard.property_scorecard(ledger, "2026-09", TODAY).set_index("company")
    assert (sep.loc[A, "compounds"], sep.loc[A, "households"]) == (2, 108)  # K2 was A's
    assert (sep.loc[B, "compounds"], sep.loc[B, "households"]) == (1, 10)
    oct_ = scorecard.property_scorecard(ledger, "2026-10", TODAY).set_index("company")
    assert (oct_.loc[A, "compounds"], oct_.loc[A, "households"]) == (1, 60)  # K1 only
    assert (oct_.loc[B, "compounds"], oct_.loc[B, "households"]) == (2, 58)  # K3 and K2
    # K2's October issues follow the day each was reported: 3 (20 Oct) and 7 (10 Oct) are
    # B's, reported on or after the switch; K1's 1, 2 and 6 stay A's, K3's 8 is B's
    assert oct_.loc[A, "property_issues"] == 3
    assert oct_.loc[B, "property_issues"] == 3
    # resolved and callbacks follow the company: 5 (K2, reported in September, A's)
    # was closed on 3 October and stays A's; 7 (B's) was closed in time
    assert (oct_.loc[A, "resolved"], oct_.loc[A, "on_time_share"]) == (3, pytest.approx(1 / 3))
    assert (oct_.loc[B, "resolved"], oct_.loc[B, "on_time_share"]) == (2, 0.5)
    # red property and fee rate: K2's fee rate counts for B from October; K1's red property
    # is A's own, B's K2 is not red
    assert oct_.loc[B, "fee_collection_rate"] == pytest.approx(0.5)
    assert oct_.loc[A, "party_branch"] and not oct_.loc[B, "party_branch"]
    # the evaluations carry their company: A's August evaluation of K2 is A's in September,
    # nobody's in October (K2 is no longer A's)
    assert sep.loc[A, "evaluation_score"] == pytest.approx((80 * 30 + 70 * 20) / 50)
    assert oct_.loc[A, "evaluation_score"] == 90
    assert math.isnan(oct_.loc[B, "evaluation_score"])


def test_a_switch_counts_from_the_months_last_day(ledger: Store) -> None:
    _switch_k2(ledger, on=dt.date(2026, 10, 31))
    oct_ = scorecard.property_scorecard(ledger, "2026-10", TODAY).set_index("company")
    assert oct_.loc[B, "compounds"] == 2  # B serves K2 on 31 October
    assert oct_.loc[A, "property_issues"] == 5  # every October issue of K2 was A's
    trend = scorecard.scorecard_trend(ledger, "2026-11", TODAY, months=3)
    counts = trend.pivot(index="month", columns="company", values="compounds")
    assert counts[A].tolist() == [2, 1, 1] and counts[B].tolist() == [1, 2, 2]


def test_leaving_the_company_modes_closes_the_tenure_and_the_past_stays(ledger: Store) -> None:
    _save_k2(ledger, mode="owners_committee", effective_on=SWITCH)
    assert _tenures(ledger, "K2") == [(A, tenure.UNKNOWN_START, "2026-10-10")]
    sep = scorecard.property_scorecard(ledger, "2026-09", TODAY).set_index("company")
    assert sep.loc[A, "compounds"] == 2  # K2 was A's in September, though A serves it no more
    nov = scorecard.property_scorecard(ledger, "2026-11", TODAY).set_index("company")
    assert nov.loc[A, "compounds"] == 1
    # and a company again later: from its own day, after the gap
    _save_k2(ledger, mode="company", company=B)
    assert _tenures(ledger, "K2")[-1] == (B, "2026-11-15", None)


def test_the_same_company_changes_no_tenure(ledger: Store) -> None:
    _switch_k2(ledger)
    before = _tenures(ledger, "K2")
    _save_k2(ledger, mode="company", company=B, has_security=True)
    assert _tenures(ledger, "K2") == before


def test_a_change_on_the_open_tenures_first_day_corrects_it(ledger: Store) -> None:
    _switch_k2(ledger)
    _switch_k2(ledger, company="丙物业公司")  # the same day: B was a slip
    assert _tenures(ledger, "K2") == [
        (A, tenure.UNKNOWN_START, "2026-10-10"),
        ("丙物业公司", "2026-10-10", None),
    ]


def test_a_future_or_too_early_day_is_refused_and_changes_nothing(ledger: Store) -> None:
    count = ledger.counts()["change_log"]
    with pytest.raises(ValidationError) as future:
        _switch_k2(ledger, on=dt.date(2026, 11, 16))
    assert future.value.key == "error.edit.tenure_future"
    assert "2026-11-16" in error_text(future.value, "en")
    assert "2026-11-16" in error_text(future.value, "zh")
    _switch_k2(ledger)
    count = ledger.counts()["change_log"]
    with pytest.raises(ValidationError) as early:
        _switch_k2(ledger, on=dt.date(2026, 10, 1), company="丙物业公司")
    assert early.value.key == "error.edit.tenure_before"
    assert "2026-10-10" in error_text(early.value, "en")
    assert ledger.counts()["change_log"] == count
    assert _tenures(ledger, "K2")[-1] == (B, "2026-10-10", None)


def test_a_stale_property_form_is_still_refused(ledger: Store) -> None:
    seen = party.form_version(ledger, "property", "K2")
    _switch_k2(ledger)
    with pytest.raises(StaleEditError):
        party.set_property(
            ledger, ADMIN_S1, "K2", version=seen, mode="company", company="丙物业公司", at=NOW
        )
    assert _tenures(ledger, "K2")[-1] == (B, "2026-10-10", None)


def test_rights_are_unchanged(ledger: Store) -> None:
    for user in (STAFF_C3, LEADER):
        with pytest.raises(PermissionDeniedError):
            _save_k2(ledger, user, mode="company", company=B)
    assert ledger.counts()["property_tenure"] == 0
    _save_k2(ledger, STAFF_C1, mode="company", company=B)  # staff of K2's community may
    assert _tenures(ledger, "K2")[-1] == (B, "2026-11-15", None)


def test_an_import_of_property_management_keeps_the_tenures(ledger: Store) -> None:
    _switch_k2(ledger)  # K2: A, then B from 10 October
    prop = ledger.read("property_management")
    prop.loc[prop["compound_id"] == "K1", "company"] = "丙物业公司"  # changed by the import
    before_k2 = _tenures(ledger, "K2")
    store = import_layers(
        ledger, {"property_management": prop}, source="sheet", on=dt.date(2026, 11, 1)
    )
    assert _tenures(store, "K1") == [
        (A, tenure.UNKNOWN_START, "2026-11-01"),
        ("丙物业公司", "2026-11-01", None),
    ]
    assert _tenures(store, "K2") == before_k2  # unchanged compounds keep theirs
    assert _tenures(store, "K3") == [(B, tenure.UNKNOWN_START, None)]
    oct_ = scorecard.property_scorecard(store, "2026-10", TODAY).set_index("company")
    assert oct_.loc[A, "compounds"] == 1  # K1 was still A's in October


def test_the_demo_has_a_past_change_of_company(demo_store: Store) -> None:
    rows = demo_store.read("property_tenure")
    closed = rows[rows["ended_on"].notna()]
    assert len(closed) == 2
    prop = demo_store.read("property_management").set_index("compound_id")
    opened = rows[rows["ended_on"].isna()].set_index("compound_id")["company"]
    served = prop[prop["mode"] == "company"]["company"]
    assert opened.sort_index().equals(served.sort_index())  # the open tenure is the present
    cid, former, day = closed.iloc[0][["compound_id", "company", "ended_on"]]
    before = str(pd.Period(day, freq="M") - 1)
    frames = scorecard.load_scorecard_frames(demo_store)
    card = scorecard.property_scorecard(frames, before, dt.date(2026, 11, 15))
    assert former in set(card["company"])
    served_then = tenure.served_on(frames.tenure, f"{before}-28")
    assert served_then[cid] == former


def test_an_import_starts_closes_and_keeps_each_compounds_tenure() -> None:
    """The tenures an import of ``property_management`` leaves, compound by compound."""
    old = pd.DataFrame(
        {
            "compound_id": ["K1", "K2", "K3", "K4"],
            "mode": ["company", "company", "owners", "company"],
            "company": [A, A, None, B],
        }
    )
    rows = pd.DataFrame(
        {
            "compound_id": ["K1", "K2", "K4"],
            "company": [A, A, "丁物业公司"],
            "started_on": ["2024-01-01", "2025-03-01", "2025-06-01"],
            "ended_on": [None, None, "2026-01-01"],
        }
    )
    rows = pd.concat(
        [rows, pd.DataFrame([{"compound_id": "K4", "company": B, "started_on": "2026-01-01"}])],
        ignore_index=True,
    )
    new = pd.DataFrame(
        {
            "compound_id": ["K1", "K2", "K3", "K4", "K5"],
            "mode": ["company", "owners", "company", "company", "company"],
            "company": [A, None, B, B, "戊物业公司"],
        }
    )
    day = dt.date(2026, 11, 1)
    out = tenure.tenure_after(rows, old, new, day).sort_values(["compound_id", "started_on"])
    got = [
        (
            r.compound_id,
            r.company,
            r.started_on,
            r.ended_on if isinstance(r.ended_on, str) else None,
        )
        for r in out.itertuples()
    ]
    assert got == [
        ("K1", A, "2024-01-01", None),  # the same company: kept as it was
        ("K2", A, "2025-03-01", "2026-11-01"),  # left the company mode: closed on the day
        ("K3", B, "2026-11-01", None),  # had none before: from the day of the import
        ("K4", "丁物业公司", "2025-06-01", "2026-01-01"),  # the past stays
        ("K4", B, "2026-01-01", None),
        ("K5", "戊物业公司", tenure.UNKNOWN_START, None),  # new to the records
    ]
