"""The issue ledger as a workbook: the rows of the map's filters, names, overdue marks, masking."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pandas as pd
import pytest

from mapgov.core.i18n import label, t
from mapgov.core.model import IssueStatus
from mapgov.domain import issues
from mapgov.domain.users import get_user
from mapgov.io import ledger
from mapgov.store import Store
from tests.conftest import AS_OF

COMMUNITY = "S001-C1"
OCTOBER = {"date_from": dt.date(2026, 10, 1), "date_to": dt.date(2026, 10, 31)}


def _ledger(store: Store, user_id: str, **filters: object) -> pd.DataFrame:
    user = get_user(store, user_id)
    return ledger.community_ledger(store, COMMUNITY, user=user, today=AS_OF, **filters)


def test_the_ledger_holds_the_issues_of_the_maps_filters(demo_store: Store) -> None:
    everything = _ledger(demo_store, "S001-leader")
    expected = issues.community_issues(demo_store, COMMUNITY)
    assert sorted(everything["issue_id"]) == sorted(expected["issue_id"])
    assert everything["reported_at"].is_monotonic_decreasing  # newest first
    october = _ledger(demo_store, "S001-leader", statuses=["closed"], **OCTOBER)
    assert 0 < len(october) < len(everything)
    assert (october["status"] == "closed").all()
    assert october["reported_at"].str.startswith("2026-10").all()
    # every issue of a building names its compound and building
    on_buildings = everything[everything["building_id"].notna()]
    assert on_buildings["compound"].notna().all() and on_buildings["building"].notna().all()
    assert everything["overdue"].sum() == issues.overdue_mask(expected, AS_OF).sum() > 0


@pytest.mark.parametrize(
    ("user_id", "sees"),
    [("S001-C1-staff1", True), ("S001-C2-staff1", False), ("S001-leader", False)],
)
def test_reporters_are_masked_for_whoever_may_not_see_them(
    demo_store: Store, user_id: str, sees: bool
) -> None:
    rows = _ledger(demo_store, user_id).set_index("issue_id")
    raw = demo_store.read("issue", columns=["issue_id", "reporter_name", "reporter_phone"])
    raw = raw.set_index("issue_id").loc[rows.index].dropna()
    assert len(raw) > 100
    shown = rows.loc[raw.index]
    assert (shown["reporter_phone"] == raw["reporter_phone"]).all() == sees
    assert (shown["reporter_name"] == raw["reporter_name"]).any() == sees
    if not sees:
        assert shown["reporter_phone"].str.fullmatch(r"\d{3}\*{4}\d{4}").all()
        assert shown["reporter_name"].str.contains("*", regex=False).all()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_workbook_reads_in_the_users_language(demo_store: Store, lang: str) -> None:
    rows = _ledger(demo_store, "S001-leader", **OCTOBER)
    sheet = openpyxl.load_workbook(io.BytesIO(ledger.ledger_xlsx(rows, lang))).active
    table = pd.DataFrame(list(sheet.iter_rows(min_row=2, values_only=True)),
                         columns=[c.value for c in sheet[1]])  # fmt: skip
    assert len(table) == len(rows)
    assert t("issues.col.compound", lang) in table.columns
    statuses = set(table[t("issues.col.status", lang)])
    assert statuses <= {label(s, lang) for s in IssueStatus}  # labels, never codes
    marks = table[t("issues.col.overdue", lang)]
    assert (marks == t("issues.ledger.overdue_mark", lang)).sum() == rows["overdue"].sum()
    reported = table[t("issues.col.reported_at", lang)]
    assert reported.str.fullmatch(r"2026-10-\d\d \d\d:\d\d").all()
