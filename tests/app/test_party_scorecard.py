"""/party, section 物业企业评价, under AppTest: the ranking for a month and the evaluation form
(issue 21 point 2), on SQLite and on PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from streamlit.testing.v1 import AppTest

from mapgov.core.errors import StaleEditError
from mapgov.core.i18n import error_text, t
from mapgov.domain import scorecard
from mapgov.domain.users import get_user
from mapgov.store import Store
from mapgov.ui.widgets import MISSING
from tests.apptest import ok, open_page

TIMEOUT = 90
STAFF = "S001-C1-staff1"
LEADER = "S001-leader"
ADMIN = "S001-admin"
TODAY = dt.date(2026, 11, 15)


@pytest.fixture
def app_db(any_app_db: Store) -> Store:
    """These tests run on SQLite and on PostgreSQL."""
    return any_app_db


def _key(store: Store, name: str) -> str:
    return f"mapgov.scorecard.eval.{store.identity()[1]}.{name}"


def _ranking(at: AppTest, lang: str = "zh") -> list[str]:
    company, score = (t(f"scorecard.col.{c}", lang) for c in ("company", "composite_score"))
    (table,) = [d for d in at.dataframe if score in d.value.columns]
    return list(table.value[company])


def _submit(at: AppTest, prefix: str) -> AppTest:
    (form,) = [f for f in at.get("form") if f.proto.form.form_id.startswith(prefix)]
    (button,) = [b for b in at.button if b.form_id == form.proto.form.form_id]
    return button.click().run()


def test_the_page_ranks_the_companies_and_records_an_evaluation(app_db: Store) -> None:
    at = open_page("party", user=STAFF, community="S001-C1", timeout=TIMEOUT)
    ok(at)
    card = scorecard.property_scorecard(app_db, "2026-11", TODAY, street_id="S001")
    assert _ranking(at) == list(card["company"])
    assert t("scorecard.to_date_note", "zh", day=TODAY.isoformat()) in [c.value for c in at.caption]
    staff = get_user(app_db, STAFF)
    compounds = scorecard.evaluable_compounds(app_db, staff, "S001")
    cid, company = compounds["compound_id"].iloc[0], compounds["company"].iloc[0]
    at.selectbox(key=_key(app_db, "compound")).select(cid)
    at.selectbox(key=_key(app_db, "period")).select("2026-11")
    at.number_input(key=_key(app_db, "score")).set_value(66.5)
    at.number_input(key=_key(app_db, "respondents")).set_value(33)
    at = _submit(at, "mapgov.scorecard.eval.")
    ok(at)
    assert t("scorecard.recorded", "zh") in [s.value for s in at.success]
    row = app_db.read("property_evaluation", where={"compound_id": cid, "period": "2026-11"})
    assert (row["company"].iloc[0], row["score"].iloc[0], row["respondents"].iloc[0]) == (
        company,
        66.5,
        33,
    )
    # after the rerun the table shows the new evaluation among the company's figures
    after = scorecard.property_scorecard(app_db, "2026-11", TODAY, street_id="S001")
    col = t("scorecard.col.evaluation_score", "zh")
    (table,) = [d for d in at.dataframe if col in d.value.columns]
    shown = dict(zip(table.value[t("scorecard.col.company", "zh")], table.value[col], strict=True))
    assert shown[company] == pytest.approx(
        after.set_index("company").loc[company, "evaluation_score"]
    )
    # the same evaluation again is refused, with the reason, and nothing changes
    at.selectbox(key=_key(app_db, "compound")).select(cid)
    at.selectbox(key=_key(app_db, "period")).select("2026-11")
    at = _submit(at, "mapgov.scorecard.eval.")
    assert not at.exception
    err = StaleEditError(
        "", key="error.scorecard.duplicate", compound=cid, company=company, period="2026-11"
    )
    assert [e.value for e in at.error] == [
        t("scorecard.refused", "zh", message=error_text(err, "zh"))
    ]
    assert (
        len(app_db.read("property_evaluation", where={"compound_id": cid, "period": "2026-11"}))
        == 1
    )


def test_a_score_nobody_has_given_reads_as_a_dash(app_db: Store) -> None:
    """A company no resident has rated this month: its cells show a dash, where Streamlit
    would write the English word None; so does every other table of the page."""
    company = scorecard.property_scorecard(app_db, "2026-11", TODAY, street_id="S001")["company"][0]
    ids = app_db.read("property_evaluation", where={"company": company})["evaluation_id"]
    gone = [("delete", "property_evaluation", {"evaluation_id": int(i)}, {}) for i in ids]
    app_db.edit(gone, actor="test", at="2026-11-15T09:00:00")
    at = open_page("party", user=LEADER, timeout=TIMEOUT)
    ok(at)
    col = t("scorecard.col.evaluation_score", "zh")
    (table,) = [d for d in at.dataframe if col in d.value.columns]
    assert table.value[col].isna().any()
    assert {d.proto.placeholder for d in at.dataframe} == {MISSING}


def test_a_leader_sees_the_ranking_of_a_past_month_and_no_form(app_db: Store) -> None:
    at = open_page("party", user=LEADER, lang="en", timeout=TIMEOUT)
    ok(at)
    at.selectbox(key="mapgov.scorecard.month").select("2026-09").run()
    ok(at)
    card = scorecard.property_scorecard(app_db, "2026-09", TODAY, street_id="S001")
    assert _ranking(at, "en") == list(card["company"])
    assert not [f for f in at.get("form") if f.proto.form.form_id.startswith("mapgov.scorecard")]
    assert t("scorecard.form.who", "en") in [c.value for c in at.caption]


def test_an_admin_records_a_companys_agreement(app_db: Store) -> None:
    at = open_page("party", user=ADMIN, timeout=TIMEOUT)
    ok(at)
    company = at.selectbox(key="mapgov.scorecard.company.pick").value
    version = app_db.identity()[1]
    before = scorecard.company_version(app_db, company)
    at.checkbox(key=f"mapgov.scorecard.company.{version}.{company}.signed").uncheck()
    at = _submit(at, f"mapgov.scorecard.company.{version}.")
    ok(at)
    assert t("scorecard.company_saved", "zh", company=company) in [s.value for s in at.success]
    row = app_db.read("property_company", where={"company": company}).iloc[0]
    assert (
        row["agreement_signed_on"] is None
        or row["agreement_signed_on"] != row["agreement_signed_on"]
    )
    assert int(row["version"]) == before + 1
