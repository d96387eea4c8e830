"""The party members' page (/members) under AppTest: staff register a member, record a task,
mark it done and see the points change; leaders read masked; refusals say why; the download is
the page's table, masked."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from mapgov.core.i18n import label, t
from mapgov.core.model import ServiceKind
from mapgov.core.privacy import mask_name
from mapgov.domain import members
from mapgov.domain.users import get_user
from mapgov.store import Store
from tests.apptest import ok, open_page

COMMUNITY = "S001-C2"
STAFF = "S001-C2-staff1"
LEADER = "S001-leader"
TODAY = dt.date(2026, 11, 15)
K = "mapgov.members.{}"


@pytest.fixture
def app_db(any_app_db: Store) -> Store:
    """This page's tests run on SQLite and on PostgreSQL."""
    return any_app_db


def _ranking(at: AppTest) -> pd.DataFrame:
    """The ranking table (the page's first dataframe)."""
    return at.dataframe[0].value


def _submit(at: AppTest, form: str) -> AppTest:
    (button,) = [b for b in at.button if b.form_id == K.format(form)]
    return button.click().run()


def _unregistered(store: Store) -> pd.Series:
    frame = members.members_of(store, [COMMUNITY])
    return frame[(frame["registered"] == 0) & (frame["in_service"] == 1)].iloc[0]


def test_staff_register_a_member_record_a_task_and_see_the_points(app_db: Store) -> None:
    at = open_page("members", user=STAFF)
    ok(at)
    member = _unregistered(app_db)
    mid = str(member["member_id"])
    before = members.members_of(app_db, [COMMUNITY])
    assert mid not in set(before.loc[before["registered"] == 1, "member_id"])
    # register
    at.selectbox(key=K.format("reg.member")).set_value(mid)
    at.text_input(key=K.format("reg.unit")).input("市第一人民医院")
    _submit(at, "register")
    ok(at)
    assert at.success, "no confirmation"
    reg = app_db.read("member_registration", where={"member_id": mid}).iloc[0]
    assert (reg["community_id"], reg["work_unit"], reg["registered_on"]) == (
        COMMUNITY,
        "市第一人民医院",
        TODAY.isoformat(),
    )
    # the staff member sees the name in full in the ranking, with 10 points for registering
    table = _ranking(at)
    names = table[t("members_page.col.name", "zh")].tolist()
    assert member["name"] in names
    row = table[table[t("members_page.col.name", "zh")] == member["name"]].iloc[0]
    assert row[t("members_page.col.points", "zh")] == 10
    # record a volunteer task, then mark it done
    at.selectbox(key=K.format("task.member")).set_value(mid)
    at.selectbox(key=K.format("task.kind")).set_value("volunteer")
    at.text_input(key=K.format("task.title")).input("楼道清扫")
    _submit(at, "task")
    ok(at)
    task = app_db.read("member_service", where={"member_id": mid}).iloc[0]
    assert (task["status"], task["title"]) == ("taken", "楼道清扫")
    at.selectbox(key=K.format("finish.task")).set_value(int(task["service_id"]))
    at.radio(key=K.format("finish.status")).set_value("done")
    _submit(at, "finish")
    ok(at)
    done = app_db.read("member_service", where={"service_id": int(task["service_id"])}).iloc[0]
    assert (done["status"], done["done_on"], done["version"]) == ("done", TODAY.isoformat(), 2)
    table = _ranking(at)
    row = table[table[t("members_page.col.name", "zh")] == member["name"]].iloc[0]
    assert row[t("members_page.col.points", "zh")] == 15
    assert row[t("members_page.col.n_volunteer", "zh")] == 1


def test_a_refused_registration_says_why_and_writes_nothing(app_db: Store) -> None:
    at = open_page("members", user=STAFF)
    member = _unregistered(app_db)
    at.selectbox(key=K.format("reg.member")).set_value(str(member["member_id"]))
    at.text_input(key=K.format("reg.unit")).input("   ")
    _submit(at, "register")
    assert not at.exception
    assert any(t("error.members.work_unit_required", "zh") in e.value for e in at.error)
    assert app_db.read("member_registration", where={"member_id": member["member_id"]}).empty


def test_a_leader_reads_masked_names_and_no_forms(app_db: Store) -> None:
    at = open_page("members", user=LEADER)
    ok(at)
    table = _ranking(at)
    full = members.members_of(app_db, [COMMUNITY])
    shown = table[t("members_page.col.name", "zh")]
    assert shown.str.contains(r"\*").all()
    assert not set(shown) & set(full["name"])
    assert mask_name(str(full.loc[full["registered"] == 1, "name"].iloc[0])) in set(shown)
    assert not [b for b in at.button if "FormSubmitter" in str(b.key)]


def test_the_page_in_english(app_db: Store) -> None:
    at = open_page("members", user=LEADER, lang="en")
    ok(at)
    assert at.title[0].value == t("page.members.title", "en")
    assert t("members_page.col.points", "en") in _ranking(at).columns
    scheme = members.load_scheme()
    caption = t("members_page.scheme", "en", name=scheme.title("en"), total="100")
    assert caption in [c.value for c in at.caption]
    assert "Scheme: Party members' 100-point service scheme (default)" in caption  # no Chinese


def test_an_admin_picks_a_community_before_recording(app_db: Store) -> None:
    at = open_page("members", user="S001-admin")
    ok(at)
    assert any(t("members_page.pick_community", "zh") in c.value for c in at.caption)
    assert not [b for b in at.button if b.form_id]
    at = open_page("members", user="S001-admin", community=COMMUNITY)
    ok(at)
    assert {b.form_id for b in at.button if b.form_id} == {
        K.format("register"),
        K.format("task"),
        K.format("finish"),
    }


def test_a_typed_work_unit_is_shown_as_text(app_db: Store) -> None:
    xss = "<img src=x onerror=alert(1)> **bold**"
    member = _unregistered(app_db)
    mid = str(member["member_id"])
    staff = get_user(app_db, STAFF)
    members.register_member(
        app_db, staff, mid, community_id=COMMUNITY, registered_on=TODAY, work_unit=xss
    )
    at = open_page("members", user=STAFF)
    at.selectbox(key=K.format("member")).set_value(mid).run()
    ok(at)
    (line,) = [m.value for m in at.markdown if "img" in m.value]
    assert "\\<img" in line or "&lt;img" in line
    assert "\\*\\*bold\\*\\*" in line


def test_a_wrong_points_profile_is_named_on_the_page(
    app_db: Store, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    profile = tmp_path / "street_points.toml"
    profile.write_text('name = "x"\ntotal_cap = 100\n', "utf-8")
    monkeypatch.setenv(members.PROFILE_ENV, str(profile))
    at = open_page("members", user=LEADER)
    assert not at.exception
    (error,) = at.error
    assert "street_points.toml" in error.value
    assert "lines" in error.value


def test_staff_correct_a_registration_and_a_stale_form_is_refused(app_db: Store) -> None:
    frame = members.members_of(app_db, [COMMUNITY])
    mid = str(frame.loc[frame["registered"] == 1, "member_id"].iloc[0])
    version = int(frame.loc[frame["member_id"] == mid, "version"].iloc[0])
    at = open_page("members", user=STAFF)
    at.selectbox(key=K.format("member")).set_value(mid).run()
    ok(at)
    prefix = f"fix.{mid}.{version}"
    at.text_input(key=K.format(f"{prefix}.unit")).input("区教育局")
    _submit(at, prefix)
    ok(at)
    assert any(t("members_page.corrected", "zh") in s.value for s in at.success)
    saved = app_db.read("member_registration", where={"member_id": mid}).iloc[0]
    assert (saved["work_unit"], saved["version"]) == ("区教育局", version + 1)
    # a form drawn before someone else's save is refused and changes nothing
    prefix = f"fix.{mid}.{version + 1}"
    at.text_input(key=K.format(f"{prefix}.unit")).input("区财政局")
    staff = get_user(app_db, STAFF)
    members.edit_registration(
        app_db,
        staff,
        mid,
        version=version + 1,
        registered_on=saved["registered_on"],
        work_unit="市自来水公司",
    )
    _submit(at, prefix)
    assert not at.exception
    assert at.error
    saved = app_db.read("member_registration", where={"member_id": mid}).iloc[0]
    assert (saved["work_unit"], saved["version"]) == ("市自来水公司", version + 2)


def test_a_files_deliberation_caption_counts_the_chosen_year_as_its_table(app_db: Store) -> None:
    rounds = app_db.query(
        "SELECT a.member_id, r.held_on FROM deliberation_attendee a JOIN deliberation_round r "
        "ON r.matter_id = a.matter_id AND r.round_no = a.round_no"
    )
    registered = members.members_of(app_db, [COMMUNITY])
    rounds = rounds[
        rounds["member_id"].isin(registered.loc[registered["registered"] == 1, "member_id"])
    ]
    this_year = rounds["held_on"].astype(str).str.startswith(str(TODAY.year))
    per_member = (
        rounds.assign(this_year=this_year).groupby("member_id")["this_year"].agg(["sum", "size"])
    )
    # a member who attended rounds in earlier years too: the all-time count differs
    mid = str(per_member[per_member["sum"] < per_member["size"]].index[0])
    n = int(per_member.loc[mid, "sum"])
    at = open_page("members", user=STAFF)
    at.selectbox(key=K.format("member")).set_value(mid).run()
    ok(at)
    lines = next(d.value for d in at.dataframe if t("members_page.col.cap", "zh") in d.value)
    line = lines.set_index(t("members_page.col.line", "zh")).loc[
        t("members_page.line.deliberation", "zh")
    ]
    assert line[t("members_page.col.count", "zh")] == n
    captions = [c.value for c in at.caption]
    assert t("members_page.attendance", "zh", period=str(TODAY.year), n=n) in captions


def _registered(store: Store) -> str:
    frame = members.members_of(store, [COMMUNITY])
    return str(frame.loc[frame["registered"] == 1, "member_id"].iloc[0])


def test_a_saved_task_empties_the_form_and_a_refused_one_keeps_it(app_db: Store) -> None:
    mid = _registered(app_db)
    at = open_page("members", user=STAFF)
    at.selectbox(key=K.format("task.member")).set_value(mid)
    at.text_input(key=K.format("task.title")).input("清理楼道")
    at.text_input(key=K.format("task.ref")).input("99999")  # no such record: refused
    _submit(at, "task")
    assert not at.exception and at.error
    assert at.text_input(key=K.format("task.title")).value == "清理楼道"  # kept to correct
    assert at.text_input(key=K.format("task.ref")).value == "99999"
    tasks = len(app_db.read("member_service", where={"member_id": mid}))
    at.text_input(key=K.format("task.ref")).input("")
    _submit(at, "task")
    ok(at)
    saved = app_db.read("member_service", where={"member_id": mid})
    assert len(saved) == tasks + 1
    sid = int(saved["service_id"].max())
    name = members.member_row(app_db, mid)["name"]
    kind = label(ServiceKind(saved.set_index("service_id").loc[sid, "kind"]), "zh")
    said = t("members_page.task_ok", "zh", task=sid, name=name, kind=kind, title="清理楼道")
    assert said in [s.value for s in at.success]  # who and what, not the number alone
    for name in ("title", "ref"):  # emptied in the browser too: no second entry by mistake
        field = at.text_input(key=K.format(f"task.{name}"))
        assert field.proto.set_value and field.proto.value == "" and field.value == ""


def test_the_task_form_is_for_the_member_whose_file_is_open(app_db: Store) -> None:
    """Staff open a member's file, then record a task below it: the form names that member
    (it used to keep the first of its list, and the task went to someone else)."""
    frame = members.members_of(app_db, [COMMUNITY])
    ids = list(frame.loc[frame["registered"] == 1, "member_id"])
    at = open_page("members", user=STAFF)
    first = at.selectbox(key=K.format("task.member")).value
    viewed = next(m for m in ids if m != first)
    at.selectbox(key=K.format("member")).set_value(viewed).run()
    ok(at)
    assert at.selectbox(key=K.format("task.member")).value == viewed
    at.text_input(key=K.format("task.title")).input("清理楼道")
    _submit(at, "task")
    ok(at)
    assert "清理楼道" in set(app_db.read("member_service", where={"member_id": viewed})["title"])
    # a member picked in the form itself is the one its task goes to (the file stays open)
    at.selectbox(key=K.format("task.member")).set_value(first)
    at.text_input(key=K.format("task.title")).input("送餐上门")
    _submit(at, "task")
    ok(at)
    assert "送餐上门" in set(app_db.read("member_service", where={"member_id": first})["title"])
    assert at.selectbox(key=K.format("member")).value == viewed
