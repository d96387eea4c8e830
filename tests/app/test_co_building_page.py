"""The co-building page: its map and tables (mapgov.views.co_building), and /co-building under
AppTest.

The real clicks (pair, claim, progress, complete, rate, restart) are in
``tests/browser/test_browser_co_building.py``.
"""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from mapgov.core.errors import MapgovError
from mapgov.core.i18n import LANGS, catalogue, error_text, label, t
from mapgov.core.model import (
    CallbackRating,
    CoAction,
    CoEntity,
    NeedStatus,
    ProjectStatus,
    WishStatus,
)
from mapgov.domain import cobuild
from mapgov.domain.users import get_user
from mapgov.store import Store
from mapgov.ui import co_building as ui
from mapgov.ui import co_building_forms as forms_ui
from mapgov.ui.widgets import MISSING
from mapgov.views import co_building as cm
from mapgov.views import maps as layers
from mapgov.views.markup import md_text
from tests.apptest import ok, open_page
from tests.conftest import AS_OF

TIMEOUT = 120
XSS = "<img src=x onerror=alert(1)>"
STREET = "S001"
COMMUNITY = "S001-C2"  # the demo community with the most open needs
STAFF = "S001-C2-staff1"
OTHER_STAFF = "S001-C1-staff1"
LEADER = "S001-leader"
PLANNER = "S001-planner"
ADMIN = "S001-admin"
TODAY = dt.date(2026, 11, 15)


@pytest.fixture
def app_db(any_app_db: Store) -> Store:
    """This page's tests run on SQLite and on PostgreSQL."""
    return any_app_db


# -- the map and tables without Streamlit --------------------------------------------------
@pytest.fixture
def xss_frames(work_store: Store) -> cobuild.CoFrames:
    """The demo street with a need, a unit name and a wish poster that are markup."""
    staff = get_user(work_store, STAFF)
    cobuild.file_need(work_store, staff, community_id=COMMUNITY, kind="repairs", title=XSS)
    with work_store.transaction() as con:
        con.execute("UPDATE resident_unit SET name = ? WHERE unit_id = 'U-S001-01'", (XSS,))
    return cobuild.load(work_store, street_id=STREET)


def test_every_text_in_the_map_is_escaped(xss_frames: cobuild.CoFrames) -> None:
    page = cm.co_building_map(xss_frames, TODAY).get_root().render()
    assert XSS not in page
    assert "\\u0026lt;img src=x onerror=alert(1)\\u0026gt;" in page  # escaped, in JSON
    assert layers.remote_resources(page) == []


def test_the_map_draws_a_line_per_project_and_rings_the_longest_waits(
    demo_store: Store,
) -> None:
    frames = cobuild.load(demo_store, street_id=STREET)
    fmap = cm.co_building_map(frames, TODAY, highlight=3, lang="en")
    page = fmap.get_root().render()
    live = frames.projects[frames.projects["status"] != ProjectStatus.CANCELLED.value]
    assert page.count('"project_id"') == len(live)
    longest = cobuild.waiting_needs(frames, TODAY).head(3)["need_id"]
    assert page.count('"_longest": true') == 3
    for need_id in longest:
        assert f'"need_id": "{need_id}"' in page
    assert cm.LINK_CLASS in page and cm.NEED_CLASS in page and cm.UNIT_CLASS in page


@pytest.mark.parametrize("name", list(cm.LISTS))
def test_every_list_filters_and_translates(demo_store: Store, name: str) -> None:
    frames = cobuild.load(demo_store, street_id=STREET)
    spec = cm.LISTS[name]
    everything = cm.list_table(frames, name, TODAY, lang="en")
    assert len(everything) == len(getattr(frames, spec.frame))
    assert all(not any("\u4e00" <= ch <= "\u9fff" for ch in col) for col in everything.columns)
    one = cm.list_table(frames, name, TODAY, lang="zh", filters=cm.ListFilter((COMMUNITY,)))
    community = cm.community_names(frames, "zh")[COMMUNITY]
    assert 0 < len(one) < len(everything)
    if name != "resources":  # a resource's community is its unit's (some units have none)
        assert set(one[t("co_building_page.col.community")]) == {community}
    if spec.status is not None:
        status = next(iter(spec.status))
        rows = cm.list_table(
            frames, name, TODAY, lang="zh", filters=cm.ListFilter(statuses=(status.value,))
        )
        assert set(rows[t("co_building_page.col.status")]) <= {label(status)}


def test_the_needs_list_puts_the_longest_wait_first(demo_store: Store) -> None:
    frames = cobuild.load(demo_store, street_id=STREET)
    table = cm.list_table(frames, "needs", TODAY, lang="en")
    days = t("co_building_page.col.days_waiting", "en")
    waits = table[days].dropna().tolist()
    assert waits == sorted(waits, reverse=True)
    assert table[days].isna().any()  # a need not waiting: no days (the page shows it empty)
    assert waits[0] == cobuild.overview(frames, TODAY)["longest_wait_days"]


def test_the_needs_list_says_since_when_a_reopened_need_waits(work_store: Store) -> None:
    """A need filed long ago and reopened lately (its project cancelled) waited 26 days "from
    2026-08-27": the list shows the day it began waiting beside the days, and both headers
    say it counts from filing or the last reopening."""
    staff = get_user(work_store, STAFF)
    filed = dt.datetime(2026, 8, 27, 11, 56)
    need_id = cobuild.file_need(
        work_store, staff, community_id=COMMUNITY, kind="repairs", title="旧需求", at=filed
    )
    unit_id = str(cobuild.load(work_store, street_id=STREET).units["unit_id"].iloc[0])
    project_id = cobuild.pair(
        work_store, staff, need_id, version=1, unit_id=unit_id, at=filed + dt.timedelta(days=19)
    )
    reopened = dt.datetime(2026, 11, 11, 14, 47)
    cobuild.cancel_project(work_store, staff, project_id, version=1, reason="单位撤出", at=reopened)
    frames = cobuild.load(work_store, street_id=STREET)
    for lang in LANGS:
        table = cm.list_table(frames, "needs", dt.date(2026, 12, 7), lang=lang)
        row = table.set_index(t("co_building_page.col.need_id", lang)).loc[need_id]
        assert row[t("co_building_page.col.filed_at", lang)] == "2026-08-27"
        assert row[t("co_building_page.col.waiting_since", lang)] == "2026-11-11"
        assert row[t("co_building_page.col.days_waiting", lang)] == 26
        helps = cm.column_help("needs", lang)
        assert set(helps) == {
            t("co_building_page.col.waiting_since", lang),
            t("co_building_page.col.days_waiting", lang),
        }
    assert "重新开放" in cm.column_help("needs", "zh")[t("co_building_page.col.days_waiting")]
    assert cm.column_help("wishes", "zh") == {}


@pytest.mark.parametrize("name", list(cm.LISTS))
def test_no_list_cell_reads_none(demo_store: Store, name: str) -> None:
    """The needs list showed "None" under days waiting for every matched need, the wishes
    list under the claimant of every wish not yet claimed: a text or date without a value is
    empty; a number without one stays a missing number (the page draws it empty)."""
    frames = cobuild.load(demo_store, street_id=STREET)
    table = cm.list_table(frames, name, TODAY, lang="zh")
    for column in table.columns:
        values = table[column]
        if pd.api.types.is_numeric_dtype(values):
            continue
        missing = [v for v in values if pd.isna(v) or str(v) in ("None", "nan", "<NA>")]
        assert missing == [], (name, column)
    if name == "wishes":
        claimants = table[t("co_building_page.col.claimed_by")]
        waiting = table[t("co_building_page.col.status")] == label(WishStatus.POSTED)
        assert waiting.any() and set(claimants[waiting]) == {cm.EMPTY}
    if name == "needs":
        since = table[t("co_building_page.col.waiting_since")]
        days = table[t("co_building_page.col.days_waiting")]
        assert (since[days.isna()] == cm.EMPTY).all() and (since[days.notna()] != "").all()


def test_the_ranking_shows_its_figures_first_in_one_format(demo_store: Store) -> None:
    """In the narrow matching panel, the distance column was cut off by the panel's edge
    (its numbers right-aligned out of sight) and the score read "1" beside "0.966": the
    figures come right after the unit, the long texts last, the score rounded as the unit
    picker shows it."""
    frames = cobuild.load(demo_store, street_id=STREET)
    need_id = cobuild.waiting_needs(frames, TODAY)["need_id"].iloc[0]
    ranked = cobuild.rank_units(frames, need_id)
    table = cm.candidate_table(ranked, lang="zh")
    c = "co_building_page.match.col."
    order = ("rank", "unit", "score", "distance", "active", "resource", "reasons")
    assert list(table.columns) == [t(c + k) for k in order]
    assert table[t(c + "score")].tolist() == [round(x.score, cm.SCORE_DECIMALS) for x in ranked]
    assert table[t(c + "distance")].tolist() == [int(round(x.distance_m, -1)) for x in ranked]


def test_the_matching_panel_opens_on_a_need_of_the_users_community(demo_store: Store) -> None:
    frames = cobuild.load(demo_store, street_id=STREET)
    waiting = cobuild.waiting_needs(frames, TODAY)
    first = waiting.iloc[0]
    other = next(c for c in waiting["community_id"] if c != first["community_id"])
    mine = cm.own_need(frames, TODAY, own=other)
    assert mine == waiting[waiting["community_id"] == other]["need_id"].iloc[0] != first["need_id"]
    assert cm.own_need(frames, TODAY, own=None) is None
    assert cm.own_need(frames, TODAY, own="S009-C9") is None  # none of its own: the first
    assert cm.own_need(frames, TODAY, own=other, community_id=first["community_id"]) is None


def test_the_ranking_table_shows_translated_reasons(demo_store: Store) -> None:
    frames = cobuild.load(demo_store, street_id=STREET)
    need_id = cobuild.waiting_needs(frames, TODAY)["need_id"].iloc[0]
    ranked = cobuild.rank_units(frames, need_id)
    for lang in LANGS:
        table = cm.candidate_table(ranked, lang=lang)
        reasons = table[t("co_building_page.match.col.reasons", lang)].iloc[0]
        assert cobuild.reason_text(ranked[0].reasons[0], lang) in reasons
        assert table[t("co_building_page.match.col.rank", lang)].tolist()[:2] == [1, 2]


def test_wait_classes_follow_the_breaks() -> None:
    assert [cm.wait_class(d) for d in (None, float("nan"), 0, 29, 30, 179, 180)] == [
        -1, -1, 0, 0, 1, 2, 3,
    ]  # fmt: skip
    assert len(cm.WAIT_COLORS) == len(cm.WAIT_BREAKS) + 1


def test_every_catalogue_key_the_page_builds_exists() -> None:
    built = [f"co_building_page.lists.{name}" for name in cm.LISTS]
    built += [f"co_building_page.col.{c}" for cols in cm._COLUMNS.values() for c in cols]
    built += [f"co_building_page.new.{p}_{f}" for p in ("tab", "submit", "done")
              for f in ("need", "resource", "wish", "volunteer")]  # fmt: skip
    built += [f"co_building_page.fig.by_{by}" for by in ("community_id", "kind")]
    for lang in LANGS:
        assert [key for key in built if key not in catalogue(lang)] == []


# -- the page under AppTest ----------------------------------------------------------------
def _open(user: str | None, *, community: str | None = COMMUNITY, lang: str = "zh") -> AppTest:
    return open_page("co_building", lang=lang, user=user, community=community, timeout=TIMEOUT)


def _metric(at: AppTest, key: str, lang: str = "zh") -> str:
    (metric,) = [m for m in at.metric if m.label == t(f"co_building_page.fig.{key}", lang)]
    return str(metric.value)


def _submit(at: AppTest, form_prefix: str) -> AppTest:
    (form,) = [f for f in at.get("form") if f.proto.form.form_id.startswith(form_prefix)]
    (button,) = [b for b in at.button if b.form_id == form.proto.form.form_id]
    return button.click().run()


def _events(store: Store) -> int:
    return int(store.counts()["co_event"])


@pytest.mark.parametrize(
    ("user", "community", "lang"),
    [
        (STAFF, COMMUNITY, "zh"),
        (OTHER_STAFF, None, "zh"),
        (LEADER, None, "en"),
        (PLANNER, COMMUNITY, "en"),
        (ADMIN, None, "zh"),
    ],
)
def test_the_page_opens_for_every_role(
    app_db: Store, user: str, community: str | None, lang: str
) -> None:
    at = _open(user, community=community, lang=lang)
    ok(at)
    assert at.title[0].value == t("page.co_building.title", lang)
    frames = cobuild.load(app_db, street_id=STREET)
    o = cobuild.overview(frames, AS_OF, community_id=community)
    assert _metric(at, "needs_open", lang) == str(o["needs_open"])
    assert _metric(at, "units_engaged", lang) == f"{o['units_engaged']} / {o['units']}"
    (component,) = at.get("component_instance")
    assert cm.NEED_CLASS in json.loads(component.proto.json_args)["script"]
    assert len(at.dataframe) >= len(cm.LISTS)
    chosen = at.selectbox(key=ui.record_key("project")).value  # the user's own come first
    own = get_user(app_db, user).community_id
    if own is not None:
        assert cobuild.get(app_db, CoEntity.PROJECT, chosen)["community_id"] == own
    # the record buttons are capitalised as every other English button ("Project", not
    # "project"; the co_entity labels stay lower-case for use inside sentences)
    (entity,) = [g for g in at.get("button_group") if g.key == ui.ENTITY]
    shown = [o.content for o in entity.proto.options]
    assert shown == [t(f"co_building_page.record.entity_{e.value}", lang) for e in ui.ENTITIES]
    if lang == "en":
        assert shown == ["Project", "Need", "Micro-wish"]
    else:
        assert shown == [label(e, lang) for e in ui.ENTITIES]
    # the record card writes its colon as the language does ("Status: ", "状态：")
    status = f"**{t('co_building_page.card.status', lang)}**{t('app.colon', lang)}"
    assert any(m.value.startswith(status) for m in at.markdown)
    assert t("app.colon", lang) == ("：" if lang == "zh" else ": ")


def test_every_table_shows_a_missing_value_empty_and_one_score_format(app_db: Store) -> None:
    """Streamlit draws a missing cell as "None" unless told otherwise (a Styler's na_rep
    did not reach the grid): every co-building table says "", the ranking's score has one
    format (it read "1" beside "0.966"), and the needs list's days say from when."""
    at = _open(ADMIN, community=None)
    ok(at)
    assert len(at.dataframe) >= len(cm.LISTS) + 2
    assert [d.proto.placeholder for d in at.dataframe] == [MISSING] * len(at.dataframe)
    c = "co_building_page.match.col."
    (ranking,) = [d for d in at.dataframe if t(c + "reasons") in d.value]
    columns = json.loads(ranking.proto.columns)
    assert columns[t(c + "score")]["type_config"]["format"] == f"%.{cm.SCORE_DECIMALS}f"
    assert columns[t(c + "distance")]["type_config"]["format"] == "%d"
    (needs,) = [d for d in at.dataframe if t("co_building_page.col.need_id") in d.value]
    config = json.loads(needs.proto.columns).items()
    helps = {k: v["help"] for k, v in config if v.get("help")}
    assert helps == cm.column_help("needs", "zh")


def test_staff_open_the_matching_panel_on_a_need_of_their_community(app_db: Store) -> None:
    """S001-C1's staff, on the whole street, were shown another community's need first and
    told they may only read it: the panel opens on their own community's longest wait."""
    frames = cobuild.load(app_db, street_id=STREET)
    waiting = cobuild.waiting_needs(frames, AS_OF)
    own = get_user(app_db, OTHER_STAFF).community_id
    assert own is not None and waiting["community_id"].iloc[0] != own  # the case audited
    at = _open(OTHER_STAFF, community=None)
    ok(at)
    need_id = at.selectbox(key=ui.MATCH_NEED).value
    assert need_id == waiting[waiting["community_id"] == own]["need_id"].iloc[0]
    assert at.button(key=f"mapgov.cob.pair.{need_id}").label == t("co_building_page.match.pair")
    admin = _open(ADMIN, community=None)  # no community of their own: the longest wait
    assert admin.selectbox(key=ui.MATCH_NEED).value == waiting["need_id"].iloc[0]


@pytest.mark.parametrize("user", [LEADER, PLANNER, OTHER_STAFF])
def test_readers_see_no_action_buttons(app_db: Store, user: str) -> None:
    at = _open(user, community=COMMUNITY)
    ok(at)
    assert not at.get("form")
    pair = t("co_building_page.match.pair")
    assert [b.label for b in at.button if b.label == pair] == []
    assert [b for b in at.button if b.form_id] == []
    reader = get_user(app_db, user)
    read_only = t("co_building_page.read_only", name=reader.name, role=label(reader.role))
    assert read_only in [c.value for c in at.caption]


def test_the_need_picker_shows_its_label_in_the_language_switched_to(app_db: Store) -> None:
    """The browser keeps a select box's choice as the label it was drawn with: after a switch
    to English, the chosen need must be sent again with its English label."""
    frames = cobuild.load(app_db, street_id=STREET)
    need_id = cobuild.waiting_needs(frames, AS_OF, community_id=COMMUNITY)["need_id"].iloc[1]
    at = _open(STAFF)
    at.selectbox(key=ui.MATCH_NEED).select(need_id).run()
    zh = at.selectbox(key=ui.MATCH_NEED).options
    at.sidebar.radio[0].set_value("en").run()
    ok(at)
    picker = at.selectbox(key=ui.MATCH_NEED)
    assert picker.value == need_id  # the choice stays
    english = picker.options[picker.index]
    assert "waiting" in english and english not in zh
    assert picker.proto.set_value and picker.proto.raw_value == english


def test_staff_pair_a_need_and_the_project_appears(app_db: Store) -> None:
    frames = cobuild.load(app_db, street_id=STREET)
    waiting = cobuild.waiting_needs(frames, AS_OF, community_id=COMMUNITY)
    need_id = waiting["need_id"].iloc[1]  # not the default choice: the user picks it
    top = cobuild.rank_units(frames, need_id)[0]
    at = _open(STAFF)
    before = int(_metric(at, "projects_active"))
    at.selectbox(key=ui.MATCH_NEED).select(need_id).run()
    assert at.selectbox(key=f"mapgov.cob.candidate.{need_id}").value == top.unit_id
    at.button(key=f"mapgov.cob.pair.{need_id}").click().run()
    ok(at)
    projects = app_db.read("co_project", where={"need_id": need_id})
    (project,) = projects[projects["status"] == ProjectStatus.PAIRED.value].itertuples()
    assert project.unit_id == top.unit_id
    assert project.resource_id == top.resource_id
    need = cobuild.get(app_db, CoEntity.NEED, need_id)
    assert need["status"] == NeedStatus.MATCHED.value
    assert at.success[0].value == t(
        "co_building_page.match.paired", unit=top.unit_name, project=project.project_id
    )
    assert int(_metric(at, "projects_active")) == before + 1
    assert at.selectbox(key=ui.record_key("project")).value == project.project_id
    assert len(at.selectbox(key=ui.MATCH_NEED).options) == len(waiting) - 1
    (component,) = at.get("component_instance")
    assert (
        f'"project_id": "{project.project_id}"' in json.loads(component.proto.json_args)["script"]
    )
    projects_table = next(
        d.value for d in at.dataframe if t("co_building_page.col.project_id") in d.value
    )
    assert project.project_id in set(projects_table[t("co_building_page.col.project_id")])
    # the next step, claim, is offered on the new project and recorded
    version = 1
    _submit(at, f"mapgov.cob.form.project.claim.{project.project_id}")
    ok(at)
    claimed = cobuild.get(app_db, CoEntity.PROJECT, project.project_id)
    assert claimed["status"] == ProjectStatus.CLAIMED.value
    assert claimed["version"] == version + 1
    assert at.success[0].value == t(
        "co_building_page.stepped",
        entity=label(CoEntity.PROJECT),
        id=project.project_id,
        action=label(CoAction.CLAIM),
    )


def test_a_refused_step_shows_its_message_and_writes_nothing(app_db: Store) -> None:
    projects = cobuild.load(app_db, street_id=STREET).projects
    running = projects[
        (projects["community_id"] == COMMUNITY)
        & (projects["status"] == ProjectStatus.IN_PROGRESS.value)
    ]
    project_id = running["project_id"].iloc[0]
    version = int(running["version"].iloc[0])
    with pytest.raises(MapgovError) as refused:  # a report is required once under way
        cobuild.progress_project(
            app_db, get_user(app_db, STAFF), project_id, version=version, note=""
        )
    at = _open(STAFF, lang="en")
    at.selectbox(key=ui.record_key("project")).select(project_id).run()
    events = _events(app_db)
    _submit(at, f"mapgov.cob.form.project.progress.{project_id}")
    assert not at.exception
    assert [e.value for e in at.error] == [
        t("co_building_page.refused", "en", message=error_text(refused.value, "en"))
    ]
    # it asks for the box the form shows ("Progress report (required once …)")
    assert "“progress report”" in at.error[0].value
    assert t("co_building_page.form.report", "en").startswith("Progress report")
    assert _events(app_db) == events
    assert cobuild.get(app_db, CoEntity.PROJECT, project_id)["version"] == version
    # with the report it goes through, and the typed report is kept until then
    note = forms_ui.field_key("progress", project_id, version, "note")
    at.text_area(key=note).input("脚手架已搭好")
    _submit(at, f"mapgov.cob.form.project.progress.{project_id}")
    ok(at)
    assert _events(app_db) == events + 1
    assert cobuild.timeline(app_db, "project", project_id)["note"].iloc[-1] == "脚手架已搭好"


@pytest.mark.parametrize("lang", LANGS)
def test_a_service_without_organiser_names_the_field_on_the_form(app_db: Store, lang: str) -> None:
    """记录志愿服务 without its organiser asks for 组织方, the label of the form's box, not
    "组织者"; nothing is recorded."""
    at = _open(STAFF, lang=lang)
    before = app_db.counts()["volunteer_event"]
    at.text_input(key="mapgov.cob.new.volunteer.title").input("楼道清扫")
    _submit(at, "mapgov.cob.new.volunteer")
    assert not at.exception
    shown = t("co_building_page.new.organiser", lang)
    assert shown in ("组织方", "Organiser")
    required = t("error.issue.required", lang, field=shown if lang == "zh" else shown.lower())
    assert t("co_building_page.refused", lang, message=required) in [e.value for e in at.error]
    assert app_db.counts()["volunteer_event"] == before


def test_staff_file_a_need_and_it_waits_on_the_list(app_db: Store) -> None:
    at = _open(STAFF)
    needs_open = int(_metric(at, "needs_open"))
    at.selectbox(key="mapgov.cob.new.need.kind").select("legal_aid")
    at.text_input(key="mapgov.cob.new.need.title").input(XSS)
    _submit(at, "mapgov.cob.new.need")
    ok(at)
    (need,) = app_db.read("community_need", where={"title": XSS}).itertuples()
    assert need.community_id == COMMUNITY and need.kind == "legal_aid"
    assert int(_metric(at, "needs_open")) == needs_open + 1
    # named by its title as typed, shown as text (the markup escaped), and by its number
    done = t("co_building_page.new.done_need", id=need.need_id, title=md_text(XSS))
    assert [s.value for s in at.success] == [done]
    assert any(o.startswith(f"{XSS} · ") for o in at.selectbox(key=ui.MATCH_NEED).options)


@pytest.mark.parametrize("lang", LANGS)
def test_a_rated_project_shows_its_rating_in_words(app_db: Store, lang: str) -> None:
    """Issue 18: the co-building record read "basically_satisfied: …". The rating is kept as
    a code in the event's note; the project's history on the page says it in words."""
    projects = cobuild.load(app_db, street_id=STREET).projects
    ours = set(projects.loc[projects["community_id"] == COMMUNITY, "project_id"])
    rated = app_db.query("SELECT entity_id, note FROM co_event WHERE action = 'rate'")
    rated = rated[rated["entity_id"].isin(ours)]
    assert len(rated) > 0
    project_id, note = rated.iloc[-1]
    rating = CallbackRating(str(note).split(":")[0])
    at = _open(STAFF, lang=lang)
    at.selectbox(key=ui.record_key("project")).select(project_id).run()
    ok(at)
    (history,) = [m.value for m in at.markdown if m.value.startswith("- **")]
    steps = history.replace("\\", "").split("\n- ")  # one a step, its note on its 2nd line
    notes = [step.split("  \n  ", 1)[1] for step in steps if "  \n  " in step]
    codes = tuple(r.value for r in CallbackRating)
    assert not [n for n in notes if n.startswith(codes)], notes
    assert any(n.startswith(label(rating, lang)) for n in notes), notes


def test_the_map_draws_only_the_lines_in_focus_and_keys_every_colour(demo_store: Store) -> None:
    frames = cobuild.load(demo_store, street_id=STREET)
    live = frames.projects[frames.projects["status"] != ProjectStatus.CANCELLED.value]
    need_id, unit_id = live.iloc[0][["need_id", "unit_id"]]
    focus = cm.LinkFocus(needs=(need_id,))
    page = cm.co_building_map(frames, TODAY, focus=focus, lang="en").get_root().render()
    assert page.count('"project_id"') == int((live["need_id"] == need_id).sum())
    by_unit = cm.co_building_map(frames, TODAY, focus=cm.LinkFocus(units=(unit_id,)))
    assert by_unit.get_root().render().count('"project_id"') == (live["unit_id"] == unit_id).sum()
    nothing = cm.co_building_map(frames, TODAY, focus=cm.LinkFocus()).get_root().render()
    assert '"project_id"' not in nothing and cm.NEED_CLASS in nothing  # the dots stay
    legend = cm.co_building_map(frames, TODAY, lang="en").get_root().render()
    for status in live["status"].unique():  # every line colour drawn has its legend entry
        colour = cm.LINK_COLORS[status]
        assert any(f"border-top:3px {style} {colour}" in legend for style in ("solid", "dashed"))
    assert t("co_building_page.map.legend_paired", "en") in legend
