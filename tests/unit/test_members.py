"""Party members' service: the points scheme as data, registration and tasks with their rights
and refusals, points equal to a hand count, masking (issue 21, point 3)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from mapgov.core.errors import (
    DataFileError,
    PermissionDeniedError,
    StaleEditError,
    ValidationError,
)
from mapgov.core.i18n import error_text, t
from mapgov.core.model import ServiceKind, ServiceStatus
from mapgov.core.privacy import mask_name
from mapgov.domain import member_scores, members
from mapgov.domain.users import User, get_user
from mapgov.io import member_scorecard
from mapgov.store import Store
from mapgov.views import members as views_members

AT = dt.datetime(2026, 11, 15, 10)  # the fixture demo's day (clock pinned to 2026-11-15)


# -- the scheme -------------------------------------------------------------------------------
def test_the_shipped_scheme_is_the_documented_one() -> None:
    scheme = members.load_scheme()
    assert scheme.total_cap == 100
    got = {n: (line.points, line.cap) for n, line in scheme.lines.items()}
    assert got == {
        "registered": (10, 10),
        "volunteer": (5, 30),
        "co_project": (8, 24),
        "deliberation": (4, 16),
        "issue": (5, 20),
        "help": (2, 10),
        "other": (0, 0),
    }
    caps = sum(line.cap for line in scheme.lines.values())
    assert caps >= scheme.total_cap  # the lines can fill the total


def _profile(tmp_path: Path, **changes: str) -> Path:
    shipped = Path(members.__file__).with_name("member_points.toml").read_text("utf-8")
    for old, new in changes.items():
        assert old in shipped
        shipped = shipped.replace(old, new)
    path = tmp_path / "points.toml"
    path.write_text(shipped, "utf-8")
    return path


def test_a_custom_profile_by_argument_and_by_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _profile(tmp_path, **{"points = 5\ncap = 30": "points = 3\ncap = 12"})
    assert members.load_scheme(path).lines["volunteer"] == members.Line(3, 12)
    monkeypatch.setenv(members.PROFILE_ENV, str(path))
    assert members.load_scheme().lines["volunteer"] == members.Line(3, 12)


def test_the_scheme_is_named_in_the_page_language(tmp_path: Path) -> None:
    shipped = members.load_scheme()
    assert shipped.title("zh") == "党员服务百分考核（默认方案）"
    assert shipped.title("en") == "Party members' 100-point service scheme (default)"
    # a street's own profile with a single name shows it in both languages
    path = _profile(
        tmp_path, **{'name = "党员服务百分考核（默认方案）"\n': 'name = "王城街道考核"\n'}
    )
    path.write_text(
        "\n".join(x for x in path.read_text("utf-8").splitlines() if "name_en" not in x),
        "utf-8",
    )
    own = members.load_scheme(path)
    assert (own.title("zh"), own.title("en")) == ("王城街道考核", "王城街道考核")


@pytest.mark.parametrize(
    ("change", "key"),
    [
        ({"points = 8\n": 'points = "eight"\n'}, "lines.co_project.points"),
        ({"points = 2\ncap = 10": "points = 2\ncap = -1"}, "lines.help.cap"),
        ({"[lines.help]": "[lines.helping]"}, "lines.helping"),
        ({"total_cap = 100": "total = 100"}, "total_cap"),
    ],
)
def test_a_bad_profile_is_refused_naming_the_file_and_the_key(
    tmp_path: Path, change: dict[str, str], key: str
) -> None:
    path = _profile(tmp_path, **change)
    with pytest.raises(DataFileError, match=key) as err:
        members.load_scheme(path)
    assert err.value.field == key
    assert "points.toml" in str(err.value)


def test_a_profile_that_is_not_toml_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "broken.toml"
    path.write_text("[lines\n", "utf-8")
    with pytest.raises(DataFileError, match=r"broken\.toml"):
        members.load_scheme(path)
    with pytest.raises(DataFileError, match="cannot read"):
        members.load_scheme(tmp_path / "missing.toml")


def test_a_period_is_a_year() -> None:
    assert members.period_of(None, dt.date(2026, 5, 1)) == (
        dt.date(2026, 1, 1),
        dt.date(2026, 12, 31),
    )
    for bad in ("2026-05", "26", "year"):
        with pytest.raises(ValidationError, match="YYYY"):
            members.period_of(bad, dt.date(2026, 5, 1))


# -- a hand-made member -----------------------------------------------------------------------
def _in_service(store: Store, community: str, *, registered: bool) -> str:
    """An in-service member living in `community`, registered or not."""
    frame = members.members_of(store, [community])
    frame = frame[(frame["in_service"] == 1) & (frame["registered"] == int(registered))]
    frame = frame[frame["home_community_id"] == community]
    assert len(frame), f"the demo has no such member in {community}"
    return str(frame["member_id"].iloc[0])


def _fresh(store: Store, community: str) -> str:
    """An in-service member of `community`, unregistered, without tasks and without
    deliberation rounds attended (cleared)."""
    mid = _in_service(store, community, registered=True)
    ops = [
        ("delete", "member_service", {"service_id": int(s)}, {})
        for s in store.read("member_service", where={"member_id": mid})["service_id"]
    ]
    attended = store.read("deliberation_attendee", where={"member_id": mid})
    ops += [
        (
            "delete",
            "deliberation_attendee",
            {"matter_id": a, "round_no": int(r), "member_id": mid},
            {},
        )
        for a, r in zip(attended["matter_id"], attended["round_no"], strict=True)
    ]
    ops.append(("delete", "member_registration", {"member_id": mid}, {}))
    store.edit(ops, actor="test", at=AT.isoformat())
    return mid


def _staff(store: Store, community: str) -> User:
    return get_user(store, f"{community}-staff1")


def _attend(store: Store, mid: str, days: list[str]) -> None:
    """Rounds of a deliberation held on `days`, each attended by `mid`."""
    compound = store.read("compound", columns=["compound_id"])["compound_id"].iloc[0]
    ops = [
        (
            "insert",
            "deliberation",
            {"matter_id": "D-test"},
            {
                "compound_id": compound,
                "title": "加装电梯",
                "status": "decided",
                "round_no": len(days),
                "proposed_at": "2025-01-01T09:00:00",
                "proposed_by": "test",
            },
        )
    ]
    for n, day in enumerate(days, start=1):
        key = {"matter_id": "D-test", "round_no": n}
        ops.append(
            (
                "insert",
                "deliberation_round",
                key,
                {
                    "held_on": day,
                    "attendance": 12,
                    "decision": "再议",
                    "recorded_by": "test",
                    "recorded_at": day + "T20:00:00",
                },
            )
        )
        ops.append(("insert", "deliberation_attendee", {**key, "member_id": mid}, {}))
    store.edit(ops, actor="test", at=AT.isoformat())


def _task(store: Store, user: User, mid: str, kind: ServiceKind, done: str | None) -> int:
    sid = members.record_service(
        store, user, mid, kind=kind, title="服务", taken_on=(done or "2026-10-01"), at=AT
    )
    if done is not None:
        members.finish_service(store, user, sid, version=1, status="done", done_on=done, at=AT)
    return sid


def test_points_equal_a_hand_count(work_store: Store) -> None:
    store, community = work_store, "S001-C2"
    mid = _fresh(store, community)
    user = _staff(store, community)
    members.register_member(
        store, user, mid, community_id=community, registered_on="2025-03-01", work_unit="区教育局"
    )
    for _ in range(7):  # 7 x 5 = 35, capped at 30
        _task(store, user, mid, ServiceKind.VOLUNTEER, "2026-04-02")
    _task(store, user, mid, ServiceKind.VOLUNTEER, "2025-12-31")  # another year
    _task(store, user, mid, ServiceKind.CO_PROJECT, "2026-01-01")  # 8
    dropped = _task(store, user, mid, ServiceKind.CO_PROJECT, None)
    members.finish_service(store, user, dropped, version=1, status="dropped")  # nothing
    _task(store, user, mid, ServiceKind.CO_PROJECT, None)  # taken, not done: nothing
    _task(store, user, mid, ServiceKind.ISSUE, "2026-06-30")  # 5
    for _ in range(6):  # 6 x 2 = 12, capped at 10
        _task(store, user, mid, ServiceKind.HELP, "2026-07-01")
    _task(store, user, mid, ServiceKind.OTHER, "2026-07-01")  # 0 on the shipped scheme
    _attend(store, mid, ["2025-11-20", "2026-02-10", "2026-03-10"])  # two in 2026: 8
    scheme = members.load_scheme()
    table = member_scores.points_table(store, [community], scheme=scheme, period="2026")
    row = table.set_index("member_id").loc[mid]
    counts = {n: int(row[f"n_{n}"]) for n in members.LINES}
    assert counts == {
        "registered": 1,
        "volunteer": 7,
        "co_project": 1,
        "deliberation": 2,
        "issue": 1,
        "help": 6,
        "other": 1,
    }
    assert row["pts_volunteer"] == 30
    assert row["pts_help"] == 10
    assert row["points"] == 10 + 30 + 8 + 8 + 5 + 10
    last = member_scores.points_table(store, [community], scheme=scheme, period="2025")
    row25 = last.set_index("member_id").loc[mid]
    assert (row25["n_volunteer"], row25["n_deliberation"], row25["points"]) == (1, 1, 10 + 5 + 4)
    # a year before the member registered: no row, so neither counted nor ranked (the audit
    # saw later members ranked with 0 points and pulling the average down)
    before = member_scores.points_table(store, [community], scheme=scheme, period="2024")
    assert mid not in set(before["member_id"]) and len(before) < len(last)
    assert (before["registered_on"].astype(str) <= "2024-12-31").all()
    assert (before["n_registered"] == 1).all()
    small = members.Scheme("small", scheme.lines, total_cap=50)
    capped = member_scores.points_table(store, [community], scheme=small, period="2026")
    assert capped.set_index("member_id").loc[mid, "points"] == 50
    # the ranking: the most points first, ranks within the community
    ranked = member_scores.ranking(store, [community], scheme=scheme, period="2026")
    assert ranked["member_id"].iloc[0] == mid
    assert list(ranked["rank"]) == sorted(ranked["rank"])
    assert ranked["points"].is_monotonic_decreasing
    record = member_scores.member_record(store, mid, scheme=scheme, period="2026")
    assert record.total == row["points"]
    assert record.points.set_index("line").loc["volunteer", "count"] == 7
    assert len(record.tasks) == 19
    assert len(record.attendance) == 2  # the rounds of 2026, as the line counts
    last_year = member_scores.member_record(store, mid, scheme=scheme, period="2025")
    assert len(last_year.attendance) == 1
    assert last_year.points.set_index("line").loc["deliberation", "count"] == 1


# -- registration and tasks: allowed and refused ----------------------------------------------
def test_registration_rights_and_refusals(work_store: Store) -> None:
    store, community = work_store, "S001-C2"
    mid = _fresh(store, community)
    staff, other = _staff(store, community), _staff(store, "S001-C1")
    leader, admin = get_user(store, "S001-leader"), get_user(store, "S001-admin")
    reg = {"community_id": community, "registered_on": "2026-03-01", "work_unit": "市第一人民医院"}
    for who in (other, leader):
        with pytest.raises(PermissionDeniedError):
            members.register_member(store, who, mid, **reg)
    with pytest.raises(ValidationError, match="after today"):
        members.register_member(store, staff, mid, **{**reg, "registered_on": "2026-11-16"})
    with pytest.raises(ValidationError, match="work_unit is required"):
        members.register_member(store, staff, mid, **{**reg, "work_unit": "  "})
    assert store.read("member_registration", where={"member_id": mid}).empty
    # a member registers where the member lives (by the member's building), even for an admin
    with pytest.raises(ValidationError, match="lives in community S001-C2") as refused:
        members.register_member(store, admin, mid, **{**reg, "community_id": "S001-C1"})
    # named as the form listed the member (not by number); masked for staff of the other
    # community, whose form never listed this member
    name = str(members.member_row(store, mid)["name"])
    assert error_text(refused.value, "zh").startswith(f"党员 {name} 住在")
    with pytest.raises(ValidationError, match="lives in community S001-C2") as elsewhere:
        members.register_member(store, other, mid, **{**reg, "community_id": "S001-C1"})
    assert error_text(elsewhere.value, "zh").startswith(f"党员 {mask_name(name)} 住在")
    assert name not in error_text(elsewhere.value, "en")
    retired = store.read("party_member", where={"in_service": 0})["member_id"].iloc[0]
    with pytest.raises(ValidationError, match="not in service"):
        members.register_member(store, admin, retired, **reg)
    assert members.register_member(store, staff, mid, **reg) == 1
    with pytest.raises(ValidationError, match="registered already") as twice:
        members.register_member(store, admin, mid, **reg)
    assert error_text(twice.value, "zh") == f"党员 {name} 已经报到过了，不能重复登记。"
    # an edit checks the version the form showed
    assert (
        members.edit_registration(
            store, admin, mid, version=1, registered_on="2026-03-02", work_unit="区税务局"
        )
        == 2
    )
    with pytest.raises(StaleEditError):
        members.edit_registration(
            store, staff, mid, version=1, registered_on="2026-03-02", work_unit="区财政局"
        )
    saved = store.read("member_registration", where={"member_id": mid}).iloc[0]
    assert (saved["work_unit"], saved["version"]) == ("区税务局", 2)


def test_task_rights_and_refusals(work_store: Store) -> None:
    store, community = work_store, "S001-C2"
    mid = _fresh(store, community)
    staff, other = _staff(store, community), _staff(store, "S001-C1")
    task = {"kind": ServiceKind.VOLUNTEER, "title": "楼道清扫", "taken_on": "2026-11-01"}
    with pytest.raises(ValidationError, match="not registered"):
        members.record_service(store, staff, mid, **task)
    members.register_member(
        store,
        staff,
        mid,
        community_id=community,
        registered_on="2026-01-05",
        work_unit="某银行支行",
    )
    with pytest.raises(PermissionDeniedError):
        members.record_service(store, other, mid, **task)
    with pytest.raises(ValidationError, match="no volunteer_event"):
        members.record_service(store, staff, mid, **task, ref_id="V-nowhere")
    with pytest.raises(ValidationError, match="no issue"):
        members.record_service(store, staff, mid, **{**task, "kind": "issue"}, ref_id="99999999")
    with pytest.raises(ValidationError, match="after today"):
        members.record_service(store, staff, mid, **{**task, "taken_on": "2026-12-01"})
    with pytest.raises(ValidationError, match="no service kind"):
        members.record_service(store, staff, mid, **{**task, "kind": "party"})
    event = store.read("volunteer_event", where={"community_id": community})["volunteer_event_id"]
    sid = members.record_service(store, staff, mid, **task, ref_id=str(event.iloc[0]))
    project = store.read("co_project", columns=["project_id"])["project_id"].iloc[0]
    members.record_service(store, staff, mid, **{**task, "kind": "co_project"}, ref_id=project)
    with pytest.raises(PermissionDeniedError):
        members.finish_service(store, other, sid, version=1, status="done", done_on="2026-11-02")
    with pytest.raises(ValidationError, match="before the task was taken"):
        members.finish_service(store, staff, sid, version=1, status="done", done_on="2026-10-31")
    with pytest.raises(ValidationError, match="required"):
        members.finish_service(store, staff, sid, version=1, status="done")
    with pytest.raises(ValidationError, match="done or dropped"):
        members.finish_service(store, staff, sid, version=1, status="taken")
    assert (
        members.finish_service(
            store, staff, sid, version=1, status=ServiceStatus.DONE, done_on="2026-11-02"
        )
        == 2
    )
    with pytest.raises(StaleEditError):  # a form drawn before the save
        members.finish_service(store, staff, sid, version=1, status="dropped")
    with pytest.raises(ValidationError, match="done already"):
        members.finish_service(store, staff, sid, version=2, status="dropped")
    row = store.read("member_service", where={"service_id": sid}).iloc[0]
    assert (row["status"], row["done_on"], row["version"]) == ("done", "2026-11-02", 2)


def test_two_tasks_recorded_at_the_same_moment_both_land_under_their_own_numbers(
    work_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Staff in two offices record a task at once: both read the same next number; the one
    whose write comes second is refused by the store and takes the number after it."""
    store, community = work_store, "S001-C2"
    staff = _staff(store, community)
    mids = [_fresh(store, community) for _ in range(2)]
    for mid in mids:
        members.register_member(
            store, staff, mid, community_id=community, registered_on="2026-01-05", work_unit="某局"
        )
    task = {"kind": ServiceKind.OTHER, "title": "入户走访", "taken_on": "2026-11-01"}
    edit, raced = store.edit, []

    def racing_edit(ops: list[Any], **kw: Any) -> Any:
        if not raced and ops[0][1] == "member_service":  # the other office saves first
            raced.append(ops[0][2]["service_id"])
            edit([(*ops[0][:3], {**ops[0][3], "member_id": mids[1]})], **kw)
        return edit(ops, **kw)

    monkeypatch.setattr(store, "edit", racing_edit)
    sid = members.record_service(store, staff, mids[0], **task)
    monkeypatch.undo()
    assert sid == raced[0] + 1
    rows = store.read("member_service", where={"service_id": [raced[0], sid]})
    assert dict(zip(rows["service_id"], rows["member_id"], strict=True)) == {
        raced[0]: mids[1],
        sid: mids[0],
    }


# -- masking ----------------------------------------------------------------------------------
def test_names_and_phones_are_masked_outside_the_readers_communities(demo_store: Store) -> None:
    scheme = members.load_scheme()
    communities = ["S001-C1", "S001-C2"]
    full = member_scores.points_table(demo_store, communities, scheme=scheme)
    assert len(full) > 3
    masked = member_scores.ranking(demo_store, communities, scheme=scheme)
    assert (masked["name"] != full["name"]).all()
    assert masked["name"].str.contains(r"\*").all()
    assert masked["phone"].str.contains(r"\*{4}").all()
    pd.testing.assert_frame_equal(
        masked.drop(columns=["name", "phone"]), full.drop(columns=["name", "phone"])
    )
    staff = member_scores.ranking(demo_store, communities, scheme=scheme, reveal=["S001-C1"])
    mine = staff["community_id"] == "S001-C1"
    assert (staff.loc[mine, "name"] == full.loc[mine, "name"]).all()
    assert staff.loc[~mine, "name"].str.contains(r"\*").all()


# -- the scorecard export ---------------------------------------------------------------------
@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_the_export_reads_back_as_the_leaders_table_masked(
    demo_store: Store, tmp_path: Path, suffix: str
) -> None:
    communities = member_scorecard.community_ids(demo_store, "S001", None)
    leader = get_user(demo_store, "S001-leader")
    page = member_scorecard.scorecard_table(
        demo_store,
        communities,
        lang="zh",
        reveal=views_members.reveal_for(demo_store, leader, communities),
    )
    path = member_scorecard.write_scorecard(
        demo_store, tmp_path / f"members{suffix}", street_id="S001"
    )
    back = pd.read_csv(path, encoding="utf-8-sig") if suffix == ".csv" else pd.read_excel(path)
    pd.testing.assert_frame_equal(back, page, check_dtype=False)
    name = t("members_page.col.name", "zh")
    assert back[name].str.contains(r"\*").all()
    full = set(
        member_scores.points_table(demo_store, communities, scheme=members.load_scheme())["name"]
    )
    assert not set(back[name]) & full
    assert back.columns[0] == t("members_page.col.rank", "zh")


def test_mapgov_scorecard_members_writes_the_pages_table(
    demo_db: Path, demo_store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from mapgov import cli

    out = tmp_path / "members.xlsx"
    argv = ["scorecard", "--members", "--db", str(demo_db), "--community", "S001-C2"]
    assert cli.main([*argv, "--year", "2026", "--lang", "en", "--out", str(out)]) == 0
    assert "names masked" in capsys.readouterr().out
    page = member_scorecard.scorecard_table(demo_store, ["S001-C2"], lang="en", period="2026")
    pd.testing.assert_frame_equal(pd.read_excel(out), page, check_dtype=False)
    assert len(page) > 0 and page[t("members_page.col.name", "en")].str.contains(r"\*").all()
    # a month is the property scorecard's: refused, nothing written
    wrong = tmp_path / "wrong.csv"
    assert cli.main(["scorecard", "--members", "--db", str(demo_db), "--month", "2026-10",
                     "--out", str(wrong)]) != 0  # fmt: skip
    assert not wrong.exists()


def test_staff_see_their_own_community_in_full_and_only_it(demo_store: Store) -> None:
    staff = get_user(demo_store, "S001-C3-staff1")
    assert views_members.scope(demo_store, staff, "S001", None) == ["S001-C3"]
    assert views_members.scope(demo_store, staff, "S001", "S001-C1") == ["S001-C3"]
    leader = get_user(demo_store, "S001-leader")
    assert len(views_members.scope(demo_store, leader, "S001", None)) == 4
    assert views_members.reveal_for(demo_store, leader, ["S001-C3"]) == []
    assert views_members.reveal_for(demo_store, staff, ["S001-C3"]) == ["S001-C3"]
    options = views_members.member_options(demo_store, ["S001-C3"], [], "zh")
    assert options and all("*" in text for text in options.values())


def test_points_on_postgresql_equal_sqlite(demo_store: Store, pg_work_store: Store) -> None:
    scheme = members.load_scheme()
    communities = member_scorecard.community_ids(demo_store, "S001", None)
    ours = member_scores.points_table(demo_store, communities, scheme=scheme)
    theirs = member_scores.points_table(pg_work_store, communities, scheme=scheme)
    assert len(ours) > 10
    assert ours["points"].sum() > 100
    pd.testing.assert_frame_equal(ours, theirs, check_dtype=False)


def test_register_and_record_on_postgresql(pg_work_store: Store) -> None:
    store, community = pg_work_store, "S001-C2"
    mid = _fresh(store, community)
    user = _staff(store, community)
    members.register_member(
        store, user, mid, community_id=community, registered_on="2026-02-01", work_unit="区财政局"
    )
    sid = _task(store, user, mid, ServiceKind.ISSUE, "2026-05-05")
    with pytest.raises(StaleEditError):
        members.finish_service(store, user, sid, version=1, status="dropped")
    _attend(store, mid, ["2026-06-01"])
    table = member_scores.points_table(
        store, [community], scheme=members.load_scheme(), period="2026"
    )
    assert table.set_index("member_id").loc[mid, "points"] == 10 + 5 + 4


def test_no_tasks_no_members_and_an_unregistered_member(work_store: Store) -> None:
    store, scheme = work_store, members.load_scheme()
    ids = store.read("member_service", columns=["service_id"])["service_id"]
    attended = store.read("deliberation_attendee")
    store.edit(
        [("delete", "member_service", {"service_id": int(i)}, {}) for i in ids]
        + [
            (
                "delete",
                "deliberation_attendee",
                {"matter_id": a, "round_no": int(r), "member_id": m},
                {},
            )
            for a, r, m in attended[["matter_id", "round_no", "member_id"]].itertuples(index=False)
        ],
        actor="test",
        at=AT.isoformat(),
    )
    table = member_scores.points_table(store, ["S001-C1"], scheme=scheme, period="2026")
    assert len(table) > 0
    assert (table["points"] == 10).all()  # registered, nothing done
    assert list(table["rank"].unique()) == [1]  # all tie
    assert member_scores.points_table(store, ["nowhere"], scheme=scheme).empty
    mid = _in_service(store, "S001-C2", registered=False)
    record = member_scores.member_record(store, mid, scheme=scheme)
    assert (record.total, record.member["registered"], len(record.tasks)) == (0.0, 0, 0)
    assert "*" in record.member["name"]


def test_the_demo_members_are_dated_up_to_its_day_and_refer_to_real_records(
    demo_store: Store,
) -> None:
    regs = demo_store.read("member_registration")
    tasks = demo_store.read("member_service")
    in_service = demo_store.read("party_member", where={"in_service": 1})
    assert 0.7 * len(in_service) <= len(regs) <= len(in_service)
    assert set(regs["member_id"]) <= set(in_service["member_id"])
    assert (regs["registered_on"] <= "2026-11-15").all()
    assert regs["work_unit"].str.len().gt(2).all()
    assert len(tasks) >= 2 * len(regs)
    assert (tasks["taken_on"] >= "2024-11-15").all()
    assert (tasks["taken_on"] <= "2026-11-15").all()
    done = tasks[tasks["status"] == "done"]
    assert (done["done_on"] >= done["taken_on"]).all()
    assert (done["done_on"] <= "2026-11-15").all()
    assert tasks.loc[tasks["status"] != "done", "done_on"].isna().all()
    assert set(tasks["status"]) == {"taken", "done", "dropped"}
    registered = regs.set_index("member_id")["registered_on"]
    assert (tasks["taken_on"] >= tasks["member_id"].map(registered)).all()
    refs = tasks[tasks["kind"] == "volunteer"]["ref_id"]
    events = set(demo_store.read("volunteer_event")["volunteer_event_id"])
    assert set(refs) <= events
    issues = set(demo_store.read("issue", columns=["issue_id"])["issue_id"].astype(str))
    assert set(tasks[tasks["kind"].isin(["issue", "help"])]["ref_id"]) <= issues
