"""The app shell under Streamlit's AppTest: pages, languages, the view in the URL, first start."""

from __future__ import annotations

import json
import re
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

import mapgov.demo
from mapgov.core import clock
from mapgov.core.config import DB_ENV
from mapgov.core.errors import ValidationError
from mapgov.core.i18n import LANGS, label, t
from mapgov.core.model import Role
from mapgov.domain import accounts, places
from mapgov.domain.lifecircle import coverage
from mapgov.domain.summary import place_counts
from mapgov.session_cookie import PATH, redeem_ticket
from mapgov.store import Store, open_store
from mapgov.ui import PAGES
from mapgov.ui.auth import SESSION_KEY
from mapgov.ui.shell import ADMIN_PAGES, REPORT_PAGE
from mapgov.views import life_circle as lv
from tests.apptest import LEADER, ok, sign_in
from tests.conftest import DEMO_PASSWORD
from tests.handdrawn import EXPECTED, build_two_streets

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 60
PAGE_KEYS = [p.key for p in PAGES]


CITY_LEADER = "city.leader"
"""The hand-drawn two streets' one account: a leader of every street."""


def _open(
    query: dict[str, str] | None = None,
    *,
    app: Path = ROOT / "app.py",
    login: str | None = LEADER,
) -> AppTest:
    """Run the app signed in as `login` (None: nobody signed in)."""
    at = AppTest.from_file(str(app), default_timeout=TIMEOUT)
    if login is not None:
        sign_in(at, login)
    at.query_params.update(query or {})
    return at.run()


def _goto(at: AppTest, page: str) -> AppTest:
    return at.switch_page(f"app_pages/{page}.py").run()


def _metrics(at: AppTest) -> tuple[int, ...]:
    return tuple(int(m.value.replace(",", "")) for m in at.metric)


@pytest.fixture
def demo_app(monkeypatch: pytest.MonkeyPatch, page_db: Path) -> Path:
    monkeypatch.setenv(DB_ENV, str(page_db))
    return page_db


@pytest.fixture(scope="module")
def two_streets_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = build_two_streets(tmp_path_factory.mktemp("hand") / "two.sqlite")
    accounts.add_account(
        open_store(path),
        CITY_LEADER,
        role=Role.LEADER,
        now=clock.system_now(),
        actor="test",
        password=DEMO_PASSWORD,
    )
    return path


@pytest.fixture
def two_streets_app(monkeypatch: pytest.MonkeyPatch, two_streets_db: Path) -> Path:
    monkeypatch.setenv(DB_ENV, str(two_streets_db))
    return two_streets_db


# -- pages and languages -------------------------------------------------------------------
@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("page", PAGE_KEYS)
def test_every_page_opens_translated(demo_app: Path, page: str, lang: str) -> None:
    at = _goto(_open({"lang": lang}), page)
    ok(at)
    title = t(f"page.{page}.title", lang)
    if page == "life_circle":  # the title names the circle of the page's settings
        title = lv.circle_title(lv.Settings(), coverage.load_profile(), lang)
    assert [e.value for e in at.title] == [title]
    assert t(f"page.{page}.lead", lang) in [c.value for c in at.caption]
    assert at.query_params["lang"] == lang
    assert at.sidebar.radio[0].value == lang


def test_zh_is_the_default_and_written_to_the_url(demo_app: Path) -> None:
    at = _open()
    ok(at)
    assert at.title[0].value == "街道治理大屏"
    assert at.query_params["lang"] == "zh"
    assert [s.label for s in at.sidebar.selectbox] == ["街道", "社区"]


def test_an_unknown_language_falls_back_to_zh(demo_app: Path) -> None:
    at = _open({"lang": "fr"})
    assert at.title[0].value == "街道治理大屏"
    assert at.query_params["lang"] == "zh"


def test_the_language_switch_writes_the_url_and_survives_page_switches(demo_app: Path) -> None:
    at = _open()
    at.sidebar.radio[0].set_value("en").run()
    ok(at)
    assert at.title[0].value == t("page.wall.title", "en")
    assert at.query_params["lang"] == "en"
    assert [s.label for s in at.sidebar.selectbox] == ["Street", "Community"]
    at.query_params.clear()  # a click in the navigation drops the query string
    _goto(at, "party")
    assert at.title[0].value == t("page.party.title", "en")
    assert at.query_params["lang"] == "en"


def test_wall_alias_opens_the_wall_screen_and_keeps_the_query(demo_app: Path) -> None:
    """``/wall`` resolves to the hidden alias page, which switches to the default page; in
    kiosk mode (no navigation to mark) it runs the wall screen itself, a round trip sooner."""
    at = _goto(_open({"lang": "en"}), "issues")
    assert at.title[0].value == t("page.issues.title", "en")
    # AppTest has no public page registry; its private one shows what /wall resolves to.
    by_url = {info["url_pathname"]: h for h, info in at._registered_pages.items()}
    assert by_url["wall"] != by_url[""]  # a page of its own at /wall, besides the default
    _goto(at, "wall")  # AppTest picks the page registered at /wall: the alias
    assert at._finished_page_script_hash == by_url[""]  # ... which switched to the default
    ok(at)
    assert at.title[0].value == t("page.wall.title", "en")
    assert at.query_params["lang"] == "en"
    assert len(at.metric) == 6
    at.query_params["kiosk"] = "1"
    _goto(at, "wall")
    assert at._finished_page_script_hash == by_url["wall"]  # ran where it was asked
    ok(at)
    assert any("mg-tile" in h.proto.body for h in at.get("html"))


# -- figures from the store ----------------------------------------------------------------
def test_wall_figures_come_from_the_store(demo_app: Path, demo_store: Store) -> None:
    at = _open()
    street_id = places.street_list(demo_store)["street_id"].iloc[0]
    expected = place_counts(demo_store, street_id=street_id)
    assert _metrics(at) == tuple(expected.as_dict().values())
    assert [m.label for m in at.metric] == ["社区", "片区", "小区", "楼栋", "户数", "居民"]
    assert at.query_params["street"] == street_id


def test_community_in_the_url_is_honoured(demo_app: Path, demo_store: Store) -> None:
    street_id = places.street_list(demo_store)["street_id"].iloc[0]
    community = places.community_list(demo_store, street_id).iloc[1]
    at = _open({"street": street_id, "community": community["community_id"], "lang": "en"})
    ok(at)
    expected = place_counts(demo_store, street_id=street_id, community_id=community["community_id"])
    assert _metrics(at) == tuple(expected.as_dict().values())
    assert _metrics(at)[0] == 1
    assert community["name_en"] in at.subheader[0].value
    assert at.sidebar.selectbox[1].value == community["community_id"]
    assert at.query_params["community"] == community["community_id"]


@pytest.mark.parametrize(("street", "community"), [("S1", "C1"), ("S2", None)])
def test_the_kiosk_takes_its_place_from_the_url_and_draws_no_sidebar(
    two_streets_app: Path, street: str, community: str | None
) -> None:
    query = {"kiosk": "1", "lang": "en", "street": street} | (
        {"community": community} if community else {}
    )
    at = _open(query, login=CITY_LEADER)
    ok(at)
    # no pickers, no language switch, no navigation: nothing a wall screen would not show
    assert len(at.sidebar.selectbox) == len(at.sidebar.radio) == len(at.sidebar.markdown) == 0
    bar = next(h.proto.body for h in at.get("html") if 'class="mg-bar"' in h.proto.body)
    counts = EXPECTED[street, community]
    labels = ("communities", "grids", "compounds", "buildings", "households", "residents")
    expected = " · ".join(
        f"{n:,} {t(f'metric.{k}', 'en')}" for k, n in zip(labels, counts, strict=True)
    )
    assert expected in re.sub(r"<[^>]+>", "", bar)  # the figures of the place in the URL
    assert at.query_params["street"] == street
    assert at.query_params.get("community") == community


def test_unknown_ids_in_the_url_fall_back_quietly(two_streets_app: Path) -> None:
    at = _open({"street": "S9", "community": "C9"}, login=CITY_LEADER)
    ok(at)
    assert at.query_params["street"] == "S1"
    assert "community" not in at.query_params
    assert _metrics(at) == EXPECTED["S1", None]


@pytest.mark.parametrize(("street", "community"), [("S1", None), ("S1", "C2"), ("S2", None)])
def test_street_and_community_from_the_url(
    two_streets_app: Path, street: str, community: str | None
) -> None:
    query = {"street": street} | ({"community": community} if community else {})
    at = _open(query, login=CITY_LEADER)
    ok(at)
    assert _metrics(at) == EXPECTED[street, community]
    assert at.sidebar.selectbox[0].value == street
    assert at.sidebar.selectbox[1].value == (community or "")


def test_picks_go_to_the_url_and_survive_page_switches(two_streets_app: Path) -> None:
    at = _open({"lang": "en"}, login=CITY_LEADER)
    at.sidebar.selectbox[1].set_value("C2").run()
    ok(at)
    assert at.query_params["community"] == "C2"
    assert _metrics(at) == EXPECTED["S1", "C2"]
    assert at.subheader[0].value == "Xigong · 金谷社区"  # no English name: Chinese shown
    at.query_params.clear()  # as a click in the navigation does
    _goto(at, "life_circle")
    ok(at)
    assert at.query_params["community"] == "C2"
    assert at.query_params["street"] == "S1"
    assert at.sidebar.selectbox[1].value == "C2"
    _goto(at, "wall")
    assert _metrics(at) == EXPECTED["S1", "C2"]


def test_a_new_street_resets_the_community(two_streets_app: Path) -> None:
    at = _open({"street": "S1", "community": "C1"}, login=CITY_LEADER)
    at.sidebar.selectbox[0].set_value("S2").run()
    ok(at)
    assert at.query_params["street"] == "S2"
    assert "community" not in at.query_params
    assert at.sidebar.selectbox[1].value == ""
    assert _metrics(at) == EXPECTED["S2", None]


def test_all_communities_removes_the_parameter(two_streets_app: Path) -> None:
    at = _open({"street": "S1", "community": "C1"}, login=CITY_LEADER)
    assert at.sidebar.selectbox[1].options == ["全部社区", "王城社区", "金谷社区"]
    at.sidebar.selectbox[1].set_value("").run()
    assert "community" not in at.query_params
    assert _metrics(at) == EXPECTED["S1", None]


# -- first start and errors ----------------------------------------------------------------
@pytest.fixture
def app_copy(tmp_path: Path) -> Path:
    """app.py and its pages in a fresh folder (so static/ is created there)."""
    shutil.copy(ROOT / "app.py", tmp_path / "app.py")
    shutil.copytree(ROOT / "app_pages", tmp_path / "app_pages")
    shutil.copytree(ROOT / ".streamlit", tmp_path / ".streamlit")
    return tmp_path / "app.py"


def _fake_build(demo_db: Path, calls: list[dict[str, Any]]) -> Callable[..., Path]:
    def build_demo(path: Path, **kwargs: Any) -> Path:
        calls.append({"path": Path(path), **kwargs})
        kwargs["progress"]("layout", 0.25)
        kwargs["progress"]("write:building", 0.8)
        shutil.copyfile(demo_db, path)
        return Path(path)

    return build_demo


def test_first_start_builds_the_demo_and_the_assets(
    monkeypatch: pytest.MonkeyPatch, demo_db: Path, app_copy: Path, tmp_path: Path
) -> None:
    db = tmp_path / "new" / "data" / "mapgov.sqlite"
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(mapgov.demo, "build_demo", _fake_build(demo_db, calls))
    monkeypatch.setenv(DB_ENV, str(db))
    at = _open({"lang": "en"}, app=app_copy, login=None)
    ok(at)
    assert len(calls) == 1
    assert calls[0]["path"] == db
    assert (calls[0]["seed"], calls[0]["scale"]) == (42, 1)
    assert db.is_file()
    assert (app_copy.parent / "static" / "leaflet" / "leaflet.js").is_file()
    assert at.toast[0].value == t("setup.done", "en", path=db)
    assert at.title[0].value == t("auth.title", "en")  # nobody is signed in yet
    sign_in(at)
    at.run()  # the second run finds both and builds nothing
    assert len(calls) == 1
    assert at.title[0].value == t("page.wall.title", "en")


def test_a_failed_first_start_is_shown_not_raised(
    monkeypatch: pytest.MonkeyPatch, app_copy: Path, tmp_path: Path
) -> None:
    def refuse(path: Path, **kwargs: Any) -> Path:
        kwargs["progress"]("layout", 0.42)
        msg = "scale must be between 1 and 20"
        raise ValidationError(msg)

    monkeypatch.setattr(mapgov.demo, "build_demo", refuse)
    monkeypatch.setenv(DB_ENV, str(tmp_path / "none.sqlite"))
    at = _open(app=app_copy, login=None)
    assert not at.exception
    assert [e.value for e in at.error] == [
        t("error.message", "zh", message="scale must be between 1 and 20")
    ]
    (progress,) = at.get("progress")  # left standing where the build stopped
    assert progress.proto.value == 42
    assert progress.proto.text == t("setup.stage", "zh", percent=42)


def test_a_broken_database_is_an_error_message(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    bad = tmp_path / "mapgov.sqlite"
    bad.write_text("this is not SQLite")
    monkeypatch.setenv(DB_ENV, str(bad))
    at = _open({"lang": "en"}, login=None)
    assert not at.exception
    assert len(at.error) == 1
    assert "is not a mapgov database" in at.error[0].value
    assert at.error[0].value.startswith("Something went wrong: ")


def test_no_pages_folder_beside_app_py() -> None:
    """While ``pages/`` exists, Streamlit's old multipage mode runs a fresh server's first
    non-root request without app.py (see mapgov.ui.shell); the pages live in app_pages/."""
    assert not (ROOT / "pages").exists()
    assert sorted(p.name for p in (ROOT / "app_pages").glob("*.py")) == sorted(
        f"{p.key}.py" for p in (*PAGES, *ADMIN_PAGES, REPORT_PAGE)
    )


# -- the sign-in gate --------------------------------------------------------------------------
def _button(at: AppTest, text: str) -> Any:
    (button,) = [b for b in at.button if b.label == text]
    return button


@pytest.mark.parametrize("page", PAGE_KEYS)
def test_nobody_signed_in_sees_only_the_form(demo_app: Path, demo_store: Store, page: str) -> None:
    """A crafted query names neither a user nor a role: the form, and nothing of the street."""
    crafted = {"user": "S001-admin", "role": "admin", "lang": "en"}
    at = _goto(_open(crafted, login=None), page)
    ok(at)
    assert [e.value for e in at.title] == [t("auth.title", "en")]
    assert not at.metric and not at.sidebar.selectbox and not at.get("component_instance")
    assert not at.get("deck_gl_json_chart")
    shown = " ".join(
        str(e.value) for kind in ("markdown", "caption", "title") for e in at.get(kind)
    )
    words = [*demo_store.read("street")["name"], *demo_store.read("community")["name"]]
    assert [w for w in words if w in shown] == []


def test_a_wrong_password_is_refused_with_the_catalogue_message(app_db: Store) -> None:
    at = _open({"lang": "en"}, login=None)
    at.text_input(key="auth.login").input("S001-leader")
    at.text_input(key="auth.password").input("not-the-password")
    _button(at, t("auth.submit", "en")).click().run()
    assert [e.value for e in at.error] == [t("error.account.bad_credentials", "en")]
    assert at.title[0].value == t("auth.title", "en")
    assert accounts.read_audit(app_db)["kind"].iloc[-1] == "sign_in_failed"


def test_a_one_time_password_is_changed_before_anything_else(app_db: Store) -> None:
    login = "S001-C3-staff1"
    now = clock.system_now()
    one_time = accounts.set_password(app_db, login, now=now, actor="test")
    assert one_time is not None
    token = accounts.sign_in(app_db, login, one_time, now=now, source="test")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.session_state[SESSION_KEY] = token
    at.query_params["lang"] = "en"
    at.run()
    assert [e.value for e in at.title] == [t("auth.change_title", "en")]
    assert not at.metric
    new = "Quiet-harbour-lantern-9"
    at.text_input(key="auth.old").input(one_time)
    at.text_input(key="auth.new").input(new)
    at.text_input(key="auth.again").input(new)
    _button(at, t("auth.change_submit", "en")).click().run()
    ok(at)
    assert at.title[0].value == t("page.wall.title", "en")
    assert not accounts.get_account(app_db, login).must_change_password


def test_the_page_hands_the_cookie_route_a_ticket_never_the_token(app_db: Store) -> None:
    """The script that has the server set the session cookie sits in the page, where an
    injected script could read it: it carries a one-time ticket, sent once per sign-in."""
    at = _open({"lang": "en"}, login="S001-C1-staff1")
    ok(at)
    token = at.session_state[SESSION_KEY]
    (script,) = [h.proto.body for h in at.get("html") if PATH in h.proto.body]
    assert token not in script and '"POST"' in script
    ticket = json.loads(re.search(r'"body": ("[^"]+")', script).group(1))
    assert redeem_ticket(ticket, now=time.monotonic(), address=None) == token
    at.run()  # the next run of the page sends none again
    assert not [h for h in at.get("html") if PATH in h.proto.body]


def test_the_sidebar_names_who_signed_in_and_signs_out(app_db: Store) -> None:
    at = _open({"lang": "en"}, login="S001-C1-staff1")
    ok(at)
    staff = accounts.get_account(app_db, "S001-C1-staff1")
    (line,) = [m.value for m in at.sidebar.markdown if staff.name in m.value]
    assert label(staff.role, "en") in line
    at.sidebar.button(key="auth.sign_out").click().run()
    assert at.title[0].value == t("auth.title", "en")
    assert SESSION_KEY not in at.session_state
    assert accounts.read_audit(app_db)["kind"].iloc[-1] == "sign_out"
