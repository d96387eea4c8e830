"""The compound health page (/compounds, 小区体检) under AppTest: it opens for every role with
the ranked list and the headline, staff see their own community, a click on the map opens a
compound's card with its reasons and links, the list is the one ``mapgov health`` writes,
and the issue map and the party page open on a compound named by the card's link.

The real clicks, from the map to the compound's issues, are in
``tests/browser/test_browser_compounds.py``.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qsl

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from mapgov import cli
from mapgov.core.i18n import t
from mapgov.domain import issue_reads, issues
from mapgov.domain.health.load import load_health_frames
from mapgov.domain.health.profile import SIGNALS
from mapgov.domain.health.report import HealthReport, compound_health
from mapgov.domain.users import get_user
from mapgov.store import Store
from mapgov.ui import compounds as ui
from mapgov.views.health import flag_text, health_table
from mapgov.views.markup import md_text
from mapgov.views.wall import life_circle
from tests.apptest import click_map, ok, open_page
from tests.conftest import AS_OF

TIMEOUT = 120
STREET = "S001"
COMMUNITY = "S001-C2"
STAFF = "S001-C2-staff1"
LEADER = "S001-leader"
PLANNER = "S001-planner"
ADMIN = "S001-admin"


def _open(
    user: str, *, community: str | None = None, lang: str = "zh", page: str = "compounds",
    query: dict[str, str] | None = None,
) -> AppTest:  # fmt: skip
    return open_page(page, lang=lang, user=user, community=community, timeout=TIMEOUT, query=query)


def _report(store: Store, month: str | None = None) -> tuple[HealthReport, pd.DataFrame]:
    """What ``mapgov health`` computes for the street."""
    frames = load_health_frames(
        store, street_id=STREET, life=life_circle(store, STREET).by_compound()
    )
    return compound_health(frames, AS_OF, month=month), frames.compounds


def _list(at: AppTest, lang: str) -> pd.DataFrame:
    rank = t("health.col.rank", lang)
    (table,) = [d.value for d in at.dataframe if rank in d.value.columns]
    return table


def _metric(at: AppTest, key: str, lang: str) -> str:
    (metric,) = [m for m in at.metric if m.label == t(f"compounds_page.fig.{key}", lang)]
    return str(metric.value)


@pytest.mark.parametrize(
    ("user", "community", "lang"),
    [(STAFF, None, "zh"), (LEADER, None, "en"), (PLANNER, COMMUNITY, "zh"), (ADMIN, None, "en")],
)
def test_the_page_opens_for_every_role_with_its_list(
    app_db: Store, user: str, community: str | None, lang: str
) -> None:
    at = _open(user, community=community, lang=lang)
    ok(at)
    assert at.title[0].value == t("page.compounds.title", lang)
    scope = get_user(app_db, user).community_id or community  # staff: their own community
    report, compounds = _report(app_db)
    if scope is not None:
        compounds = compounds[compounds["community_id"] == scope]
    ids = set(compounds["compound_id"])
    table = _list(at, lang)
    listed = table[t("health.col.compound_id", lang)]
    assert set(listed) == ids and len(listed) == len(ids)
    flagged = {f.compound_id for f in report.flags} & ids
    assert _metric(at, "flagged", lang) == str(len(flagged))
    # the lowest score as the figure, its compound under it (the two in one value were cut
    # off at 1366 px, the score first)
    latest = report.latest().reindex(sorted(ids))["score"]
    (lowest,) = [m for m in at.metric if m.label == t("compounds_page.fig.lowest", lang)]
    assert lowest.value == f"{latest.min():.1f}"
    assert lowest.proto.delta == compounds.set_index("compound_id").loc[latest.idxmin(), "name"]
    # communities by their names in the page's language (English ones on the English page)
    communities = app_db.read("community").set_index("community_id")
    shown = communities["name_en" if lang == "en" else "name"]
    wanted = set(shown[list(compounds["community_id"].unique())])
    assert set(table[t("health.col.community", lang)]) == wanted
    # the flagged first, each naming its warning; the trend is a year of scores
    warned = table[t("health.col.flags", lang)].fillna("") != ""
    assert warned.sum() == len(flagged) and warned.iloc[: len(flagged)].all()
    assert all(len(v) == 12 for v in table[t("health.col.trend", lang)])
    assert len(at.get("component_instance")) == 1  # the map
    assert t("compounds_page.card.hint", lang) in [i.value for i in at.info]
    assert len(at.get("download_button")) == 2
    assert at.selectbox(key=ui.MONTH).value == AS_OF.strftime("%Y-%m")


@pytest.mark.parametrize(
    ("user", "lang"), [(STAFF, "zh"), (LEADER, "en"), (PLANNER, "zh"), (ADMIN, "en")]
)
def test_a_click_on_a_flagged_compound_opens_its_card(app_db: Store, user: str, lang: str) -> None:
    report, compounds = _report(app_db)
    chosen = next(f for f in report.flags if f.compound_id.startswith(COMMUNITY))
    at = _open(user, community=COMMUNITY, lang=lang)
    area = app_db.read("compound", where={"compound_id": chosen.compound_id}).geometry.iloc[0]
    point = area.representative_point()
    at = click_map(at, point.x, point.y)
    ok(at)
    name = compounds.set_index("compound_id").loc[chosen.compound_id, "name"]
    assert t("compounds_page.card.title", lang, name=name) in [s.value for s in at.subheader]
    assert any(md_text(flag_text(chosen, lang)) in w.value for w in at.warning)
    signals = next(
        d.value for d in at.dataframe if t("compounds_page.card.points", lang) in d.value.columns
    )
    assert list(signals[t("compounds_page.card.signal", lang)]) == [
        t(f"health.col.{k}", lang) for k in SIGNALS
    ]
    # each signal's reason, under the table
    shown = "\n".join(m.value for m in at.markdown)
    assert all(md_text(t(f"compounds_page.reason.{k}", lang)) in shown for k in SIGNALS)
    links = {p.proto.page: p.proto.query_string for p in at.get("page_link")}
    assert set(links) == {"issues", "party", "life-circle"}
    assert f"compound={chosen.compound_id}" in links["issues"]
    assert f"community={COMMUNITY}" in links["issues"]
    assert f"lang={lang}" in links["issues"]
    assert f"compound={chosen.compound_id}" in links["party"]
    assert f"compound={chosen.compound_id}" in links["life-circle"]


def test_the_life_circle_link_opens_the_figure_the_card_gives(app_db: Store) -> None:
    """The card says 生活圈完整度 24% (the 15-minute tier for every kind); its link 生活圈缺口
    once opened the page at each kind's own GB tier, where the same compound came out 0%.
    Followed, the link now opens the page at the card's tier, and the page's figure for the
    compound is the card's."""
    life = life_circle(app_db, STREET).by_compound()
    partial = life[(life > 0.05) & (life < 0.95) & life.index.str.startswith(COMMUNITY)]
    chosen = str(partial.index[0])  # neither none nor all: a tier that differs shows it
    at = _open(LEADER, community=COMMUNITY)
    area = app_db.read("compound", where={"compound_id": chosen}).geometry.iloc[0]
    point = area.representative_point()
    at = click_map(at, point.x, point.y)
    ok(at)
    signals = next(
        d.value for d in at.dataframe if t("compounds_page.card.points", "zh") in d.value.columns
    )
    row = signals[signals[t("compounds_page.card.signal", "zh")] == t("health.col.life_circle")]
    card = str(row[t("compounds_page.card.value", "zh")].iloc[0])
    assert card == f"{life[chosen]:.0%}"
    link = next(p.proto for p in at.get("page_link") if p.proto.page == "life-circle")
    query = dict(parse_qsl(link.query_string))
    assert query["compound"] == chosen
    page = _open(LEADER, page="life_circle", community=query.pop("community"), query=query)
    ok(page)
    (figure,) = [m for m in page.metric if m.label == t("life.metric_complete") and m.help]
    assert figure.value == card


def test_the_page_list_is_what_mapgov_health_writes(app_db: Store, tmp_path: Path) -> None:
    month = "2026-10"
    out = tmp_path / "health.csv"
    argv = [
        "health",
        "--db",
        str(app_db.path),
        "--street",
        STREET,
        "--month",
        month,
        "--out",
        str(out),
    ]
    assert cli.main(argv) == 0
    written = pd.read_csv(out, encoding="utf-8-sig", dtype={"小区编号": str})
    at = _open(LEADER)
    at.selectbox(key=ui.MONTH).set_value(month).run()
    ok(at)
    page = _list(at, "zh").drop(columns=t("health.col.trend", "zh"))
    assert list(page.columns) == list(written.columns)
    assert list(page["小区编号"]) == list(written["小区编号"])
    pd.testing.assert_series_equal(
        page["体检分"].astype(float), written["体检分"].astype(float), check_names=False
    )
    report, compounds = _report(app_db, month)
    assert list(health_table(report, compounds, "zh", trend=False)["小区编号"]) == list(
        written["小区编号"]
    )


def test_a_link_naming_a_compound_opens_the_issue_map_on_it(app_db: Store) -> None:
    compound = issues.community_compounds(app_db, COMMUNITY)["compound_id"].iloc[1]
    listed = issue_reads.compound_issues(
        app_db, compound, user=get_user(app_db, STAFF), today=AS_OF
    )
    at = _open(STAFF, page="issues", community=COMMUNITY, query={"compound": compound})
    ok(at)
    summary = issue_reads.compound_summary(app_db, compound, today=AS_OF)
    title = t("issues.panel.compound_title", "zh", name=summary["name"])
    assert title in [s.value for s in at.subheader]
    heading = t("compounds_page.issues.heading", "zh", n=len(listed))
    assert any(heading in m.value for m in at.markdown)
    table = next(d.value for d in at.dataframe if t("issues.col.title", "zh") in d.value.columns)
    assert list(table[t("issues.col.issue_id", "zh")]) == list(listed["issue_id"])
    assert "compound" not in at.query_params  # handled once


def test_a_link_naming_a_compound_opens_its_party_card(app_db: Store) -> None:
    compound = issues.community_compounds(app_db, COMMUNITY).iloc[0]
    at = _open(
        LEADER, page="party", community=COMMUNITY, query={"compound": compound["compound_id"]}
    )
    ok(at)
    title = t("party_page.card.title", "zh", name=compound["name"])
    assert title in [s.value for s in at.subheader]


def test_a_link_naming_a_compound_of_another_community_chooses_nothing(app_db: Store) -> None:
    other = issues.community_compounds(app_db, "S001-C1")["compound_id"].iloc[0]
    at = _open(STAFF, page="issues", community=COMMUNITY, query={"compound": other})
    ok(at)
    assert t("issues.panel.hint", "zh") in [i.value for i in at.info]
    assert not any(
        m.value.startswith(t("compounds_page.issues.heading", "zh", n=0)[:4]) for m in at.markdown
    )
    assert "compound" not in at.query_params
