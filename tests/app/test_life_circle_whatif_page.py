"""The life-circle page's "what if" mode under AppTest (issue 23): a scenario in the address,
a map click, a removal, a closing and a refused sixth site, each checked against
:func:`mapgov.domain.lifecircle.whatif.what_if` on the same database."""

from __future__ import annotations

import html
import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import shapely
from streamlit.testing.v1 import AppTest

from mapgov.core.config import DB_ENV
from mapgov.core.i18n import t
from mapgov.domain.lifecircle import coverage
from mapgov.domain.lifecircle.whatif import (
    MAX_CANDIDATES,
    WhatIfContext,
    WhatIfResult,
    what_if,
    whatif_context,
)
from mapgov.store import Store
from mapgov.ui.life_circle_whatif import KEY
from mapgov.views import life_circle_whatif_map as wimap
from mapgov.views.life_circle_whatif import Scenario, scenario_query
from tests.app.test_life_circle_page import downloads  # noqa: F401 (a fixture)
from tests.apptest import at_address, click_map, ok, sign_in

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 120
KIND = "canteen"


@pytest.fixture
def demo_app(monkeypatch: pytest.MonkeyPatch, page_db: Path) -> Path:
    monkeypatch.setenv(DB_ENV, str(page_db))
    return page_db


@pytest.fixture(scope="module")
def context(demo_store: Store) -> WhatIfContext:
    """The what-if context of the page's default kind and threshold (as the page builds it)."""
    profile = coverage.load_profile()
    metres = coverage.thresholds(profile, kinds=[KIND])[KIND]
    (street_id,) = demo_store.read("street", columns=["street_id"])["street_id"]
    return whatif_context(demo_store, KIND, metres, street_id=street_id)


def _open_sites(ctx: WhatIfContext, n: int) -> list[tuple[float, float]]:
    """`n` points inside uncovered buildings with residents, spread along the street (in
    degrees to 1e-7, as the address carries them)."""
    table = ctx.table.to_crs("EPSG:4326")
    open_ = np.flatnonzero(~ctx.covered & (table["residents"].to_numpy() > 0))
    chosen = open_[np.linspace(0, len(open_) - 1, n).round().astype(int)]
    points = shapely.point_on_surface(table.geometry.to_numpy()[chosen])
    return [(round(p.x, 7), round(p.y, 7)) for p in points]


def _page(query: dict[str, str], lang: str = "zh") -> AppTest:
    at = sign_in(AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT))
    at.query_params.update({"lang": lang, **query})
    return at_address(at, "life_circle").run()


def _metric(at: AppTest, name: str, lang: str = "zh") -> int:
    (found,) = [m for m in at.metric if m.label == t(f"whatif_page.metric.{name}", lang)]
    return int(found.value.replace(",", ""))


def _assert_shows(at: AppTest, result: WhatIfResult, lang: str = "zh") -> None:
    ok(at)
    for name in ("residents_gained", "elderly_gained", "buildings_gained", "residents_lost"):
        assert _metric(at, name, lang) == result.totals[name]
    by_community = next(
        d.value for d in at.dataframe if t("whatif.col.residents_net", lang) in d.value.columns
    )
    expected = result.communities
    assert len(by_community) == len(expected)
    for column in ("residents_gained", "elderly_gained", "buildings_lost", "residents_net"):
        shown = by_community[t(f"whatif.col.{column}", lang)].to_numpy()
        assert shown.tolist() == expected[column].tolist()


def _candidate_table(at: AppTest, lang: str = "zh") -> pd.DataFrame:
    return next(d.value for d in at.dataframe if t("whatif.col.snap_m", lang) in d.value.columns)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_scenario_in_the_address_shows_what_if_figures(
    demo_app: Path, context: WhatIfContext, lang: str
) -> None:
    sites = _open_sites(context, 2)
    at = _page(scenario_query(Scenario(tuple(sites))), lang)
    result = what_if(context, sites)
    assert result.totals["residents_gained"] > 0
    _assert_shows(at, result, lang)
    assert at.toggle(key=KEY.format("on")).value
    table = _candidate_table(at, lang)
    assert table[t("whatif.col.candidate", lang)].tolist() == [1, 2]
    gained = table[t("whatif.col.residents_gained", lang)].tolist()
    assert gained == result.candidates["residents_gained"].tolist()
    assert at.query_params["wi_add"] == scenario_query(Scenario(tuple(sites)))["wi_add"]
    names = [b.proto.label for b in at.get("download_button")]
    assert t("life.download_xlsx", lang) in names and t("life.download_geojson", lang) in names


def test_a_page_narrowed_to_a_community_heads_with_its_figures(
    demo_app: Path, context: WhatIfContext
) -> None:
    sites = _open_sites(context, 3)
    result = what_if(context, sites)
    rows = result.communities[result.communities["community_id"] != "ALL"]
    mine = rows.sort_values("residents_gained").iloc[-1]
    assert 0 < mine["residents_gained"] < result.totals["residents_gained"]
    query = {**scenario_query(Scenario(tuple(sites))), "community": mine["community_id"]}
    at = _page(query)
    ok(at)
    for name in ("residents_gained", "elderly_gained", "buildings_gained", "residents_lost"):
        assert _metric(at, name) == mine[name]
    assert t("whatif_page.community_figures", "zh") in [c.value for c in at.caption]
    by_community = next(
        d.value for d in at.dataframe if t("whatif.col.residents_net", "zh") in d.value.columns
    )
    assert len(by_community) == len(result.communities)  # the street's table stays whole


def test_a_click_places_a_candidate_and_a_button_removes_it(
    demo_app: Path, context: WhatIfContext
) -> None:
    first, second = _open_sites(context, 2)
    at = _page({})
    ok(at)
    assert not at.toggle(key=KEY.format("on")).value
    assert "wi_add" not in at.query_params
    at.toggle(key=KEY.format("on")).set_value(True).run()
    ok(at)
    assert _metric(at, "residents_gained") == 0
    at = click_map(at, *first, what="last_clicked")
    _assert_shows(at, what_if(context, [first]))
    at = click_map(at, *second, what="last_clicked")
    _assert_shows(at, what_if(context, [first, second]))
    assert len(_candidate_table(at)) == 2
    at.button(key=KEY.format("remove.1")).click().run()
    _assert_shows(at, what_if(context, [second]))
    assert at.query_params["wi_add"] == scenario_query(Scenario((second,)))["wi_add"]


def test_a_sixth_site_is_refused_and_changes_nothing(
    demo_app: Path, context: WhatIfContext
) -> None:
    sites = _open_sites(context, MAX_CANDIDATES + 1)
    at = _page(scenario_query(Scenario(tuple(sites[:MAX_CANDIDATES]))))
    before = what_if(context, sites[:MAX_CANDIDATES])
    _assert_shows(at, before)
    at = click_map(at, *sites[-1], what="last_clicked")
    assert not at.exception
    message = t("whatif.error.too_many", most=MAX_CANDIDATES, given=MAX_CANDIDATES + 1)
    assert [e.value for e in at.error] == [message]
    assert len(_candidate_table(at)) == MAX_CANDIDATES
    assert _metric(at, "residents_gained") == before.totals["residents_gained"]


def test_a_click_far_from_the_street_is_refused(demo_app: Path, context: WhatIfContext) -> None:
    site = _open_sites(context, 1)[0]
    at = _page(scenario_query(Scenario((site,))))
    lon, lat = context.district.bounds[2] + 0.05, context.district.bounds[3] + 0.05
    at = click_map(at, lon, lat, what="last_clicked")
    assert not at.exception
    (error,) = [e.value for e in at.error]
    assert f"{lon:.6f}" in error  # the catalogue's "outside the district", naming the point
    assert len(_candidate_table(at)) == 1


def test_closing_a_facility_shows_who_loses_reach(
    demo_app: Path, demo_store: Store, context: WhatIfContext
) -> None:
    losses = {fid: what_if(context, close=[fid]) for fid in context.facility_ids}
    closed = max(losses, key=lambda fid: losses[fid].totals["residents_lost"])
    assert losses[closed].totals["residents_lost"] > 0
    at = _page({})
    at.toggle(key=KEY.format("on")).set_value(True).run()
    picker = at.multiselect(key=KEY.format(f"close.{KIND}"))
    assert picker.proto.select_all == 0  # no English "Select all" in the Chinese list
    picker.set_value([closed]).run()
    _assert_shows(at, losses[closed])
    assert at.query_params["wi_close"] == closed
    name = demo_store.read("facility", where={"facility_id": closed})["name"].iloc[0]
    added = json.loads(at.get("component_instance")[0].proto.json_args)["feature_group"]
    assert t("whatif_page.map.closed_tip", name=html.escape(name)) in added  # 方案中关闭：
    assert added.count(wimap.LOST_COLOR) >= 1  # the buildings that lose reach
    # a link with the closing opens the same answer
    again = _page({"wi_close": closed})
    _assert_shows(again, losses[closed])
    assert again.multiselect(key=KEY.format(f"close.{KIND}")).value == [closed]


def test_a_bad_site_in_a_link_says_why_and_can_be_removed(
    demo_app: Path, context: WhatIfContext
) -> None:
    site = _open_sites(context, 1)[0]
    lon, lat = context.district.bounds[0] - 0.05, context.district.bounds[1] - 0.05
    at = _page(scenario_query(Scenario(((lon, lat), site))))
    assert not at.exception
    (error,) = [e.value for e in at.error]
    assert f"{lon:.6f}" in error
    at.button(key=KEY.format("remove.1")).click().run()
    _assert_shows(at, what_if(context, [site]))


def test_the_downloads_hold_the_scenario(
    demo_app: Path,
    context: WhatIfContext,
    downloads: dict[str, dict[str, Any]],  # noqa: F811 (the fixture imported above)
) -> None:
    sites = _open_sites(context, 2)
    at = _page(scenario_query(Scenario(tuple(sites))), "en")
    result = what_if(context, sites)
    files = {}
    for button in at.get("download_button"):
        entry = downloads[button.proto.deferred_file_id]
        name = entry["kwargs"].get("file_name") or entry["args"][2]
        files[name] = entry["callable"]()
    stem = f"what-if-{KIND}-{context.metres:.0f}m"
    assert {f"{stem}.xlsx", f"{stem}.geojson"} <= set(files)
    sheets = pd.read_excel(io.BytesIO(files[f"{stem}.xlsx"]), sheet_name=None)
    candidates = sheets[t("whatif.sheet.candidates", "en")]
    gained = candidates[t("whatif.col.residents_gained", "en")].tolist()
    assert gained == result.candidates["residents_gained"].tolist()
    geo = json.loads(files[f"{stem}.geojson"])
    statuses = [f["properties"]["status"] for f in geo["features"]]
    assert statuses.count("candidate") == 2
    assert len(statuses) == len(result.buildings) + 2


def test_the_mode_and_its_scenario_survive_leaving_the_page(
    demo_app: Path, context: WhatIfContext
) -> None:
    site = _open_sites(context, 1)[0]
    query = scenario_query(Scenario((site,)))
    at = _page(query)
    _assert_shows(at, what_if(context, [site]))
    at.switch_page("app_pages/party.py").run()
    for name in query:  # the browser's page switch drops them (AppTest keeps them)
        at.query_params.pop(name, None)
    at.switch_page("app_pages/life_circle.py").run()
    assert at.toggle(key=KEY.format("on")).value
    _assert_shows(at, what_if(context, [site]))
    assert at.query_params["wi_add"] == query["wi_add"]
    at.toggle(key=KEY.format("on")).set_value(False).run()
    ok(at)
    assert "wi_add" not in at.query_params
    assert not [m for m in at.metric if m.label == t("whatif_page.metric.residents_gained")]
