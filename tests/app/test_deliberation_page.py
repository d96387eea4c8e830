"""The deliberation page (/deliberation) under AppTest: it opens for every role, staff see
their community and take the steps by its forms, readers get no form, a refused step says why
and writes nothing, typed text is escaped.

The real clicks, from a new matter to its rating, are in
``tests/browser/test_browser_deliberation.py``.
"""

from __future__ import annotations

import datetime as dt

import pytest
from streamlit.testing.v1 import AppTest

from mapgov.core.i18n import catalogue, label, t
from mapgov.core.model import CallbackRating, MatterAction, MatterStatus
from mapgov.domain import deliberation as delib
from mapgov.domain.users import get_user
from mapgov.store import Store
from mapgov.ui import deliberation as ui
from tests.apptest import ok, open_page
from tests.conftest import AS_OF

TIMEOUT = 120
XSS = "<img src=x onerror=alert(1)>"
STREET = "S001"
COMMUNITY = "S001-C2"
STAFF = "S001-C2-staff1"
OTHER_STAFF = "S001-C1-staff1"
LEADER = "S001-leader"
PLANNER = "S001-planner"
ADMIN = "S001-admin"
NOW = dt.datetime.combine(AS_OF, dt.time(9))


@pytest.fixture
def app_db(any_app_db: Store) -> Store:
    """This page's tests run on SQLite and on PostgreSQL."""
    return any_app_db


def _open(user: str, *, community: str | None = COMMUNITY, lang: str = "zh") -> AppTest:
    return open_page("deliberation", lang=lang, user=user, community=community, timeout=TIMEOUT)


def _submit(at: AppTest, form_prefix: str) -> AppTest:
    (form,) = [f for f in at.get("form") if f.proto.form.form_id.startswith(form_prefix)]
    (button,) = [b for b in at.button if b.form_id == form.proto.form.form_id]
    return button.click().run()


def _figures(at: AppTest, lang: str = "zh") -> object:
    return next(
        d.value for d in at.dataframe if t("deliberation_page.fig.settled", lang) in d.value
    )


@pytest.mark.parametrize(
    ("user", "community", "lang"),
    [(STAFF, None, "zh"), (LEADER, None, "en"), (PLANNER, COMMUNITY, "zh"), (ADMIN, None, "en")],
)
def test_the_page_opens_for_every_role(
    app_db: Store, user: str, community: str | None, lang: str
) -> None:
    at = _open(user, community=community, lang=lang)
    ok(at)
    assert at.title[0].value == t("page.deliberation.title", lang)
    who = get_user(app_db, user)
    scope = who.community_id or community  # staff: their own community whatever is chosen
    frames = delib.load(app_db, street_id=STREET, community_id=scope)
    figures = delib.community_figures(frames, AS_OF)
    table = _figures(at, lang)
    settled = list(table[t("deliberation_page.fig.settled", lang)])
    assert sum(settled[:-1] if len(settled) > 1 else settled) == int(
        figures.loc[figures["community_id"] == "ALL", "settled"].iloc[0]
    )
    options = at.selectbox(key=ui.MATTER).options
    assert len(options) == len(frames.matters)
    # one bracket style: "全部（68）" beside "待议题（2）", never "待议题 (2)"
    counts = frames.matters["status"].value_counts()
    labels = [tab.label for tab in at.tabs]
    for status in ui._STEPS:
        n = int(counts.get(status.value, 0))
        shown = f"{label(status, lang)}（{n}）" if lang == "zh" else f"{label(status, lang)} ({n})"
        assert shown in labels
    assert t("deliberation_page.list.all", lang, n=len(frames.matters)) in labels


@pytest.mark.parametrize("user", [LEADER, PLANNER])
def test_readers_see_no_forms(app_db: Store, user: str) -> None:
    at = _open(user, community=COMMUNITY)
    ok(at)
    assert [f.proto.form.form_id for f in at.get("form")] == []
    reader = get_user(app_db, user)
    read_only = t("deliberation_page.read_only", name=reader.name, role=label(reader.role))
    assert read_only in [c.value for c in at.caption]


def test_staff_see_only_their_own_community(app_db: Store) -> None:
    at = _open(OTHER_STAFF, community=COMMUNITY)  # another community chosen in the sidebar
    ok(at)
    own = get_user(app_db, OTHER_STAFF).community_id
    assert own != COMMUNITY
    assert t("deliberation_page.own_community") in [c.value for c in at.caption]
    mine = set(delib.load(app_db, street_id=STREET, community_id=own).matters["matter_id"])
    shown = {o.split(" · ")[0] for o in at.selectbox(key=ui.MATTER).options}
    assert shown == mine
    compound = at.selectbox(key="mapgov.delib.new.compound")
    assert str(compound.value).startswith(f"{own}-")


def test_staff_propose_deliberate_answer_and_rate(app_db: Store) -> None:
    at = _open(STAFF)
    ok(at)
    compound = at.selectbox(key="mapgov.delib.new.compound").value
    at.text_input(key="mapgov.delib.new.title").input(XSS)
    at.text_area(key="mapgov.delib.new.question").input("楼顶漏水，维修基金怎么用？")
    _submit(at, "mapgov.delib.new")
    ok(at)
    (row,) = app_db.read("deliberation", where={"title": XSS}).itertuples()
    assert row.compound_id == compound and row.status == "proposed"
    assert t("deliberation_page.new.proposed", id=row.matter_id) in [s.value for s in at.success]
    assert at.selectbox(key=ui.MATTER).value == row.matter_id
    assert all(XSS not in m.value for m in at.markdown)  # shown escaped, never as markup
    key = lambda a, v, n: ui.field_key(a, row.matter_id, v, n)  # noqa: E731
    for party in ("branch", "committee", "residents"):
        at.text_area(key=key("deliberate", 1, party)).input(f"{party}：同意维修")
    at.text_area(key=key("deliberate", 1, "decision")).input("使用维修基金修复屋面")
    at.text_input(key=key("deliberate", 1, "answer_unit")).input("物业公司")
    at.number_input(key=key("deliberate", 1, "attendance")).set_value(15)
    _submit(at, f"mapgov.delib.form.deliberate.{row.matter_id}.1")
    ok(at)
    assert delib.matter(app_db, row.matter_id)["status"] == MatterStatus.DECIDED.value
    at.text_area(key=key("answer", 2, "answer")).input("已修复屋面防水")
    _submit(at, f"mapgov.delib.form.answer.{row.matter_id}.2")
    ok(at)
    at.radio(key=key("rate", 3, "rating")).set_value("satisfied")
    _submit(at, f"mapgov.delib.form.rate.{row.matter_id}.3")
    ok(at)
    done = delib.matter(app_db, row.matter_id)
    assert (done["status"], done["rating"], done["version"]) == ("settled", "satisfied", 4)
    assert t("deliberation_page.stepped", id=row.matter_id, action=label(MatterAction.RATE)) in [
        s.value for s in at.success
    ]
    # the history lists the four steps in order, each note whole, the title escaped
    (history,) = [m.value for m in at.markdown if m.value.startswith("- **")]
    steps = [label(a) for a in (MatterAction.PROPOSE, MatterAction.DELIBERATE,
                                MatterAction.ANSWER, MatterAction.RATE)]  # fmt: skip
    places = [history.index(f" · {step} → ") for step in steps]
    assert places == sorted(places) and history.count("\n- ") == 3
    assert "使用维修基金修复屋面" in history and "已修复屋面防水" in history
    assert label(CallbackRating.SATISFIED) in history
    assert XSS not in history


def test_a_refused_step_shows_its_message_and_writes_nothing(app_db: Store) -> None:
    staff = get_user(app_db, STAFF)
    compound = delib.load(app_db, street_id=STREET, community_id=COMMUNITY).matters
    matter_id = delib.propose(
        app_db, staff, compound_id=str(compound["compound_id"].iloc[0]), title="测试", at=NOW
    )
    at = _open(STAFF, lang="en")
    at.selectbox(key=ui.MATTER).select(matter_id).run()
    card = [m.value for m in at.markdown if "**Step**" in m.value]
    assert card and "**Step**: " in card[0] and "：" not in card[0]  # an English colon
    events = app_db.counts()["deliberation_event"]
    _submit(at, f"mapgov.delib.form.deliberate.{matter_id}.1")  # nothing typed
    assert not at.exception
    assert [e.value for e in at.error] == [
        t(
            "deliberation_page.refused",
            "en",
            message=t("error.deliberation.required.branch_position", "en"),
        )
    ]
    assert app_db.counts()["deliberation_event"] == events
    assert delib.matter(app_db, matter_id)["version"] == 1


def test_every_catalogue_key_the_page_builds_exists() -> None:
    for lang in ("zh", "en"):
        for s in MatterStatus:
            assert f"matter_status.{s.value}" in catalogue(lang)
        for a in MatterAction:
            assert f"matter_action.{a.value}" in catalogue(lang)


def _fresh_matter(app_db: Store) -> str:
    staff = get_user(app_db, STAFF)
    compound = delib.load(app_db, street_id=STREET, community_id=COMMUNITY).matters
    return delib.propose(
        app_db, staff, compound_id=str(compound["compound_id"].iloc[0]), title="测试", at=NOW
    )


def _fill_round(at: AppTest, matter_id: str, attendance: int | None) -> None:
    key = lambda n: ui.field_key("deliberate", matter_id, 1, n)  # noqa: E731
    for party in ("branch", "committee", "residents"):
        at.text_area(key=key(party)).input(f"{party}：同意")
    at.text_area(key=key("decision")).input("维修屋面")
    at.text_input(key=key("answer_unit")).input("物业公司")
    if attendance is not None:
        at.number_input(key=key("attendance")).set_value(attendance)


def test_a_refused_step_keeps_its_tab_open(app_db: Store) -> None:
    """The audit pressed 撤回 with no reason: the message showed, and the tabs opened on the
    first step, hiding the form to correct."""
    matter_id = _fresh_matter(app_db)
    at = _open(STAFF)
    at.selectbox(key=ui.MATTER).select(matter_id).run()
    _submit(at, f"mapgov.delib.form.withdraw.{matter_id}.1")
    assert not at.exception
    message = t("error.deliberation.required.reason")
    assert [e.value for e in at.error] == [t("deliberation_page.refused", message=message)]
    (steps,) = [
        (box, labels)
        for box in at.get("tab_container")
        if label(MatterAction.WITHDRAW) in (labels := [c.label for c in box.children.values()])
    ]
    box, labels = steps
    # the tabs open on 撤回 again, where the reason is to be typed
    assert (
        box.proto.tab_container.default_tab_index == labels.index(label(MatterAction.WITHDRAW)) > 0
    )


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_round_without_attendance_is_refused(app_db: Store, lang: str) -> None:
    matter_id = _fresh_matter(app_db)
    at = _open(STAFF, lang=lang)
    at.selectbox(key=ui.MATTER).select(matter_id).run()
    field = at.number_input(key=ui.field_key("deliberate", matter_id, 1, "attendance"))
    assert (field.value, field.min) == (None, 1)  # to be typed, never a silent 0
    _fill_round(at, matter_id, None)
    events = app_db.counts()["deliberation_event"]
    _submit(at, f"mapgov.delib.form.deliberate.{matter_id}.1")
    assert not at.exception
    message = t("error.deliberation.no_attendance", lang)
    assert [e.value for e in at.error] == [t("deliberation_page.refused", lang, message=message)]
    assert t("deliberation_page.form.attendance", lang).lower() in message.lower()  # 参会人数
    assert app_db.counts()["deliberation_event"] == events
    assert delib.matter(app_db, matter_id)["status"] == MatterStatus.PROPOSED.value


def test_the_picker_shows_the_step_a_matter_is_at_right_after_a_step(app_db: Store) -> None:
    matter_id = _fresh_matter(app_db)
    at = _open(STAFF)
    at.selectbox(key=ui.MATTER).select(matter_id).run()
    _fill_round(at, matter_id, 12)
    _submit(at, f"mapgov.delib.form.deliberate.{matter_id}.1")
    ok(at)
    assert delib.matter(app_db, matter_id)["status"] == MatterStatus.DECIDED.value
    picker = at.selectbox(key=ui.MATTER)
    decided = label(MatterStatus.DECIDED)  # 待答题
    (shown,) = [o for o in picker.options if o.startswith(f"{matter_id} · ")]
    assert shown.endswith(f" · {decided}")
    # the browser keeps the label it chose until the page sends it another: it must be sent
    assert picker.proto.set_value and picker.proto.raw_value == shown
    card = [m.value for m in at.markdown if t("deliberation_page.card.status") in m.value]
    assert card and decided in card[0]
