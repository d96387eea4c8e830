"""What-if on the life-circle map (issue 23): the answer for a site placed or a facility closed
equals what ``mapgov coverage`` reports after importing (or removing) that facility the way a
user would (``mapgov export facility``, edit the file, ``mapgov import facility``)."""

from __future__ import annotations

import io
import json
import re
import shutil
import unicodedata
from pathlib import Path

import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely

from mapgov.cli import main
from mapgov.core.crs import transform_xy
from mapgov.core.errors import ValidationError
from mapgov.core.i18n import catalogue, error_text, label
from mapgov.core.model import FacilityKind
from mapgov.domain.lifecircle import whatif
from mapgov.domain.lifecircle.whatif import WhatIfContext
from mapgov.io.whatif import scenario_bytes
from mapgov.store import Store, open_store

KINDS = ("canteen", "clinic", "market")


def _copy(demo_db: Path, tmp_path: Path, name: str) -> Path:
    db = tmp_path / f"{name}.sqlite"
    shutil.copyfile(demo_db, db)
    return db


def _covered(db: Path, kind: str, metres: float, out: Path) -> pd.Series:
    """``mapgov coverage`` for one kind: covered or not, by building id."""
    argv = ["coverage", "--db", str(db), "--kind", kind, "--metres", repr(metres)]
    assert main([*argv, "--out", str(out)]) == 0
    table = pd.read_csv(out, encoding="utf-8-sig")
    return table.set_index("building_id")[f"covered_{kind}"].astype(bool)


def _edit_facilities(
    db: Path, tmp_path: Path, *, add: list[tuple[str, str, tuple[float, float]]], drop: set[str]
) -> None:
    """Export the facility layer, add and drop rows in the file, import it back."""
    path = tmp_path / "facility.geojson"
    assert main(["export", "facility", str(path), "--db", str(db)]) == 0
    data = json.loads(path.read_text("utf-8"))
    data["features"] = [
        f for f in data["features"] if f["properties"]["facility_id"] not in drop
    ] + [
        {
            "type": "Feature",
            "properties": {"facility_id": fid, "kind": kind, "name": f"新{fid}"},
            "geometry": {"type": "Point", "coordinates": list(point)},
        }
        for fid, kind, point in add
    ]
    path.write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    assert main(["import", "facility", str(path), "--db", str(db)]) == 0


def _sites(ctx: WhatIfContext, n: int, seed: int) -> list[tuple[float, float]]:
    """`n` sites at uncovered buildings with residents (a point inside each), in degrees to
    1e-7 as the store keeps them; and one at a random public-road node."""
    table = ctx.table.to_crs("EPSG:4326")
    open_ = np.flatnonzero(~ctx.covered & (table["residents"].to_numpy() > 0))
    rng = np.random.default_rng(seed)
    chosen = rng.choice(open_, size=min(n, len(open_)), replace=False)
    points = shapely.point_on_surface(table.geometry.to_numpy()[chosen])
    sites = [(round(p.x, 7), round(p.y, 7)) for p in points]
    xy = ctx.graph.xy
    x, y = transform_xy(xy[:, 0], xy[:, 1], ctx.graph.crs, pyproj.CRS("EPSG:4326"))
    inside = np.flatnonzero(shapely.contains_xy(ctx.district, x, y))
    node = rng.choice(inside)
    return [*sites, (round(float(x[node]), 7), round(float(y[node]), 7))]


def _ids(result: whatif.WhatIfResult, status: str) -> set[str]:
    rows = result.buildings[result.buildings["status"] == status]
    return set(rows["building_id"])


@pytest.mark.parametrize("kind", KINDS)
def test_a_site_gains_exactly_what_coverage_reports_after_importing_it(
    kind: str, demo_db: Path, tmp_path: Path
) -> None:
    metres = whatif.threshold_for(kind)
    probe = whatif.whatif_context(open_store(demo_db), kind, metres)
    sites = _sites(probe, 2, seed=len(kind))
    gained_somewhere = False
    for i, site in enumerate(sites):
        db = _copy(demo_db, tmp_path, f"{kind}-{i}")
        ctx = whatif.whatif_context(open_store(db), kind, metres)
        result = whatif.what_if(ctx, [site])
        before = _covered(db, kind, metres, tmp_path / "before.csv")
        _edit_facilities(db, tmp_path, add=[("F-NEW-1", kind, site)], drop=set())
        after = _covered(db, kind, metres, tmp_path / "after.csv")
        expected = set(after.index[after & ~before.reindex(after.index)])
        assert _ids(result, "gained") == expected, (kind, site)
        assert _ids(result, "lost") == set()
        res = ctx.table.set_index("building_id")["residents"]
        assert result.totals["residents_gained"] == res[list(expected)].sum()
        assert result.candidates["buildings_gained"].iloc[0] == len(expected)
        gained_somewhere |= bool(expected)
    assert gained_somewhere  # a site at an uncovered building brings someone within reach


@pytest.mark.parametrize("kind", KINDS)
def test_closing_loses_exactly_what_coverage_reports_after_removing_it(
    kind: str, demo_db: Path, tmp_path: Path
) -> None:
    metres = whatif.threshold_for(kind)
    db = _copy(demo_db, tmp_path, kind)
    ctx = whatif.whatif_context(open_store(db), kind, metres)
    # the facility whose closing loses the most buildings (closing any other is checked too)
    closing = {fid: whatif.what_if(ctx, close=[fid]) for fid in ctx.facility_ids}
    fid = max(closing, key=lambda f: closing[f].totals["buildings_lost"])
    result = closing[fid]
    assert result.totals["buildings_lost"] > 0
    before = _covered(db, kind, metres, tmp_path / "before.csv")
    _edit_facilities(db, tmp_path, add=[], drop={fid})
    after = _covered(db, kind, metres, tmp_path / "after.csv")
    assert _ids(result, "lost") == set(before.index[before & ~after.reindex(before.index)])
    assert _ids(result, "gained") == set()
    assert result.totals["residents_net"] == -result.totals["residents_lost"] < 0


def test_closing_and_adding_together_equal_coverage_after_both(
    demo_db: Path, tmp_path: Path
) -> None:
    kind, metres = "clinic", whatif.threshold_for("clinic")
    db = _copy(demo_db, tmp_path, "both")
    ctx = whatif.whatif_context(open_store(db), kind, metres)
    fid = ctx.facility_ids[0]
    site = _sites(ctx, 1, seed=3)[0]
    result = whatif.what_if(ctx, [site], close=[fid])
    before = _covered(db, kind, metres, tmp_path / "before.csv")
    _edit_facilities(db, tmp_path, add=[("F-NEW-1", kind, site)], drop={fid})
    after = _covered(db, kind, metres, tmp_path / "after.csv").reindex(before.index)
    assert _ids(result, "gained") == set(before.index[after & ~before])
    assert _ids(result, "lost") == set(before.index[before & ~after])


def test_a_candidate_where_a_closed_facility_stood_keeps_everyone(demo_store: Store) -> None:
    ctx = whatif.whatif_context(demo_store, "canteen", whatif.threshold_for("canteen"))
    fac = demo_store.read("facility")
    fac = fac[fac["kind"] == "canteen"]
    closing = {
        f: whatif.what_if(ctx, close=[f]).totals["buildings_lost"] for f in fac["facility_id"]
    }
    fid = max(closing, key=closing.__getitem__)
    point = fac.set_index("facility_id").geometry[fid]
    result = whatif.what_if(ctx, [(point.x, point.y)], close=[fid])
    assert closing[fid] > 0
    assert result.totals["buildings_lost"] == 0
    assert result.totals["buildings_kept"] == closing[fid]
    assert set(result.buildings["status"]) == {"kept"}
    assert (result.buildings["candidate"] == 1).all()


def test_overlapping_candidates_count_once_in_the_scenario(demo_store: Store) -> None:
    ctx = whatif.whatif_context(demo_store, "market", whatif.threshold_for("market"))
    a, b = _sites(ctx, 2, seed=11)[:2]
    result = whatif.what_if(ctx, [a, a, b])
    c = result.candidates
    assert list(c["candidate"]) == [1, 2, 3]
    assert c["buildings_gained"].iloc[0] == c["buildings_gained"].iloc[1] > 0
    assert c["buildings_new"].iloc[1] == 0  # the same site twice adds nothing the second time
    assert c["residents_new"].sum() == result.totals["residents_gained"]
    assert c["buildings_new"].sum() == result.totals["buildings_gained"]
    alone = whatif.what_if(ctx, [b]).totals["buildings_gained"]
    assert c["buildings_gained"].iloc[2] == alone
    gained = result.buildings[result.buildings["status"] == "gained"]
    assert set(gained["candidate"]) <= {1, 3}
    assert (c["snap_m"] >= 0).all()
    assert (c["snap_m"] <= whatif.SNAP_LIMIT_M).all()


def test_figures_by_community_add_up_to_the_totals(demo_store: Store) -> None:
    ctx = whatif.whatif_context(demo_store, "clinic", 300.0)
    result = whatif.what_if(ctx, _sites(ctx, 3, seed=5), close=[ctx.facility_ids[0]])
    rows = result.communities
    assert list(rows.columns) == list(whatif.COMMUNITY_COLUMNS)
    assert rows["community_id"].iloc[-1] == whatif.ALL
    body = rows.iloc[:-1]
    for col in whatif.COMMUNITY_COLUMNS[2:]:
        assert body[col].sum() == rows[col].iloc[-1] == result.totals[col]
    assert (rows["residents_net"] == rows["residents_gained"] - rows["residents_lost"]).all()
    per = result.buildings.groupby(["community_id", "status"])["residents"].sum()
    for row in body.itertuples():
        assert per.get((row.community_id, "gained"), 0) == row.residents_gained
        assert per.get((row.community_id, "lost"), 0) == row.residents_lost


def test_more_than_five_candidates_are_refused(demo_store: Store) -> None:
    ctx = whatif.whatif_context(demo_store, "canteen", 300.0)
    site = _sites(ctx, 1, seed=1)[0]
    assert len(whatif.what_if(ctx, [site] * whatif.MAX_CANDIDATES).candidates) == 5
    with pytest.raises(ValidationError) as err:
        whatif.what_if(ctx, [site] * (whatif.MAX_CANDIDATES + 1))
    assert err.value.key == "whatif.error.too_many"
    assert "最多比较 5 个" in error_text(err.value, "zh")


def test_points_outside_or_far_from_roads_are_refused_by_number(demo_store: Store) -> None:
    ctx = whatif.whatif_context(demo_store, "canteen", 300.0)
    site = _sites(ctx, 1, seed=1)[0]
    with pytest.raises(ValidationError) as err:
        whatif.what_if(ctx, [site, (0.0, 0.0)])
    assert err.value.key == "whatif.error.outside"
    assert err.value.params["number"] == 2
    assert "candidate 2" in str(err.value)
    with pytest.raises(ValidationError) as err:
        whatif.what_if(ctx, [site, (float("nan"), 34.0)])
    assert err.value.key == "whatif.error.outside"
    snap_m = whatif.what_if(ctx, [site]).candidates["snap_m"].iloc[0]
    assert snap_m > 0.5
    with pytest.raises(ValidationError) as err:
        whatif.what_if(ctx, [site], snap_limit=snap_m / 2)
    assert err.value.key == "whatif.error.far"
    assert "候选点 1" in error_text(err.value, "zh")


def test_unknown_kind_facility_or_threshold_is_refused(demo_store: Store) -> None:
    with pytest.raises(ValidationError, match="unknown facility kind"):
        whatif.whatif_context(demo_store, "spa", 300.0)
    with pytest.raises(ValidationError) as err:
        whatif.whatif_context(demo_store, "canteen", 0.0)
    assert err.value.key == "whatif.error.metres"
    ctx = whatif.whatif_context(demo_store, "canteen", 300.0)
    clinic = demo_store.read("facility").query("kind == 'clinic'")["facility_id"].iloc[0]
    for fid in ("nope", clinic):  # a clinic is not a canteen to close
        with pytest.raises(ValidationError) as err:
            whatif.what_if(ctx, close=[fid])
        assert err.value.key == "whatif.error.unknown_facility"
        assert fid in error_text(err.value, "en")
        assert label(FacilityKind.CANTEEN, "zh") in error_text(err.value, "zh")


def test_the_context_is_kept_per_data_version(work_store: Store, tmp_path: Path) -> None:
    ctx = whatif.whatif_context(work_store, "canteen", 300.0)
    assert whatif.whatif_context(work_store, "canteen", 300.0) is ctx
    assert whatif.whatif_context(work_store, "canteen", 500.0) is not ctx
    site = _sites(ctx, 1, seed=2)[0]
    _edit_facilities(work_store.path, tmp_path, add=[("F-NEW-1", "canteen", site)], drop=set())
    fresh = whatif.whatif_context(work_store, "canteen", 300.0)
    assert fresh is not ctx
    assert "F-NEW-1" in set(fresh.facility_ids)
    assert whatif.what_if(fresh, [site]).totals["buildings_gained"] == 0  # reached already


def test_an_empty_scenario_changes_nothing(demo_store: Store) -> None:
    result = whatif.what_if(whatif.whatif_context(demo_store, "canteen", 300.0))
    assert result.buildings.empty
    assert result.candidates.empty
    assert set(result.totals.values()) == {0}


def test_the_cli_prints_the_figures_and_writes_the_scenario(
    demo_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ctx = whatif.whatif_context(open_store(demo_db), "canteen", 300.0)
    a, b = _sites(ctx, 2, seed=9)[:2]
    result = whatif.what_if(ctx, [a, b])
    argv = ["whatif", "--db", str(demo_db), "--kind", "canteen", "--metres", "300"]
    argv += ["--add", f"{a[0]},{a[1]}", "--add", f"{b[0]},{b[1]}"]
    for suffix in (".xlsx", ".csv", ".geojson"):
        out = tmp_path / f"scenario{suffix}"
        assert main([*argv, "--out", str(out), "--lang", "en"]) == 0
        assert out.exists()
    printed = capsys.readouterr().out
    assert "canteen within 300 m" in printed
    total = result.totals["residents_gained"]
    assert total > 0
    assert f"{total:>9}" in printed.splitlines()[-3]  # the ALL row, before the file line
    lines = printed.splitlines()
    first = lines.index(next(x for x in lines if x.startswith("community")))
    table = lines[first : lines.index("", first)]
    assert any(re.search("[\u4e00-\u9fff]", x) for x in table)  # community names: Chinese
    widths = {sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in x) for x in table}
    assert len(widths) == 1  # columns line up on a terminal, Chinese names included
    book = pd.read_excel(tmp_path / "scenario.xlsx", sheet_name=None)
    assert list(book) == ["Candidates", "By community", "Buildings"]
    assert book["By community"]["Residents gained"].iloc[-1] == total
    assert book["By community"]["Community"].iloc[-1] == "All"
    assert len(book["Buildings"]) == result.totals["buildings_gained"]
    csv = pd.read_csv(tmp_path / "scenario.csv", encoding="utf-8-sig")
    assert csv["Residents gained"].iloc[-1] == total
    features = json.loads((tmp_path / "scenario.geojson").read_text("utf-8"))["features"]
    status = [f["properties"]["status"] for f in features]
    assert status.count("candidate") == 2
    assert status.count("gained") == result.totals["buildings_gained"]
    points = [f for f in features if f["properties"]["status"] == "candidate"]
    assert points[0]["geometry"]["coordinates"] == pytest.approx(list(a))
    assert "building_id" not in points[0]["properties"]


@pytest.mark.parametrize(
    ("extra", "code", "says"),
    [
        (["--kind", "spa", "--add", "112.4,34.6"], 2, "unknown facility kind 'spa'"),
        (["--kind", "canteen", "--add", "112.4"], 2, "LON,LAT"),
        (["--kind", "canteen", "--add", "east,north"], 2, "LON,LAT"),
        (["--kind", "canteen"], 2, "one of the arguments --add --close is required"),
        (["--kind", "canteen", "--add", "112.4,34.6", "--close", "F"], 2, "not allowed"),
        (["--kind", "canteen", "--close", "nope"], 1, "no canteen with facility id 'nope'"),
        (["--kind", "canteen", "--add", "0,0"], 1, "outside the district"),
        (["--kind", "canteen", "--add", "1,1", "--metres", "-5"], 2, "positive number"),
        (["--kind", "canteen", *["--add", "1,1"] * 6], 1, "at most 5"),
    ],
)
def test_the_cli_refuses_bad_input_with_a_message(
    demo_db: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    extra: list[str],
    code: int,
    says: str,
) -> None:
    out = tmp_path / "s.xlsx"
    assert main(["whatif", "--db", str(demo_db), *extra, "--out", str(out)]) == code
    err = capsys.readouterr().err
    assert says in err
    assert "Traceback" not in err
    assert not out.exists()


def test_the_cli_refuses_an_unknown_output_format(demo_db: Path, tmp_path: Path) -> None:
    argv = ["whatif", "--db", str(demo_db), "--kind", "canteen", "--close", "x"]
    assert main([*argv, "--out", str(tmp_path / "s.pdf")]) == 1
    result = whatif.what_if(whatif.whatif_context(open_store(demo_db), "canteen", 300.0))
    with pytest.raises(ValidationError):
        scenario_bytes(result, ".pdf", "zh")


def test_the_sheets_read_in_chinese_and_every_column_has_a_label(demo_store: Store) -> None:
    ctx = whatif.whatif_context(demo_store, "canteen", 300.0)
    result = whatif.what_if(ctx, _sites(ctx, 1, seed=4)[:1], close=[ctx.facility_ids[0]])
    book = pd.read_excel(io.BytesIO(scenario_bytes(result, ".xlsx", "zh")), sheet_name=None)
    assert list(book) == ["候选点位", "分社区", "楼栋"]
    assert set(book["楼栋"]["变化"]) <= {"新增覆盖", "失去覆盖", "由候选点保住"}
    columns = {*whatif.CANDIDATE_COLUMNS, *whatif.COMMUNITY_COLUMNS, *whatif.BUILDING_COLUMNS}
    for lang in ("zh", "en"):
        assert [c for c in columns if f"whatif.col.{c}" not in catalogue(lang)] == []


def test_the_same_answer_on_both_backends(any_work_store: Store, demo_store: Store) -> None:
    ctx = whatif.whatif_context(demo_store, "clinic", 300.0)
    sites, fid = _sites(ctx, 2, seed=8), ctx.facility_ids[-1]
    expected = whatif.what_if(ctx, sites, close=[fid])
    there = whatif.what_if(whatif.whatif_context(any_work_store, "clinic", 300.0), sites, [fid])
    assert there.totals == expected.totals
    assert there.totals["buildings_gained"] > 0
    pd.testing.assert_frame_equal(there.communities, expected.communities)
    pd.testing.assert_frame_equal(there.candidates, expected.candidates)


def test_the_scenario_round_trips_through_the_address() -> None:
    from mapgov.views.life_circle_whatif import Scenario, scenario_from_query, scenario_query

    s = Scenario().with_site(112.42260004, 34.6793).with_site(112.43, 34.68)
    s = Scenario(s.add, ("F-S001-002", "id, with comma"))
    assert s.add[0] == (112.4226, 34.6793)  # to 1e-7 degrees
    assert scenario_from_query(scenario_query(s)) == s
    assert s.without_site(1).add == ((112.43, 34.68),)
    assert s.without_site(9) == s
    stale = {"wi_add": "nan,1;200,1;1;112.4,34.6", "wi_close": ",, ,F"}
    assert scenario_from_query(stale) == Scenario(((112.4, 34.6),), ("F",))
    assert scenario_query(Scenario()) == {}
