"""What the AppTest page tests share: open a page signed in, check it ran clean, click its map.

Signing in is real: :func:`sign_in` starts a session with :func:`mapgov.domain.accounts.sign_in`
against the database the app opens and puts only its token in the session state, where the
sign-in gate verifies it against that database on every run (nothing is bypassed).

A map click cannot be made headless without Streamlit internals: :func:`click_map` is the one
place that uses them (it sends the value the st_folium frontend would send). Real clicks are
made in the browser tests.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from streamlit.proto.WidgetStates_pb2 import WidgetState
from streamlit.testing.v1 import AppTest
from streamlit.util import calc_hash

from mapgov.core import clock
from mapgov.core.config import default_db_path
from mapgov.core.model import Role
from mapgov.domain import accounts
from mapgov.store import open_store
from mapgov.ui.auth import SESSION_KEY
from mapgov.ui.shell import ADMIN_PAGES, PAGES, REPORT_PAGE

from .conftest import DEMO_PASSWORD

ROOT = Path(__file__).resolve().parents[1]
LEADER = "S001-leader"
"""Who the page tests work as unless they say otherwise (the street's leader)."""


def session_token(login: str = LEADER, db: Path | None = None) -> str:
    """A real session of `login` in `db` (default: the database the app opens, ``$MAPGOV_DB``).

    The fixture demo's accounts sign in with ``DEMO_PASSWORD``; an account built without a
    password is given it first, and a street built without accounts (the hand-drawn ones) gets
    `login` as a leader of every street.
    """
    store = open_store(db or default_db_path())
    now = clock.system_now()
    if login not in {a.login for a in accounts.list_accounts(store)}:  # a hand-built street
        accounts.add_account(
            store, login, role=Role.LEADER, now=now, actor="test", password=DEMO_PASSWORD
        )
    if not accounts.get_account(store, login).has_password:
        accounts.set_password(
            store, login, now=clock.system_now(), actor="test", password=DEMO_PASSWORD
        )
    return accounts.sign_in(store, login, DEMO_PASSWORD, now=clock.system_now(), source="test")


def sign_in(at: AppTest, login: str = LEADER, db: Path | None = None) -> AppTest:
    """Put a real session token of `login` in `at`'s session state (before its first run)."""
    at.session_state[SESSION_KEY] = session_token(login, db)
    return at


def at_address(at: AppTest, page: str) -> AppTest:
    """Make `at`'s first run open ``app_pages/<page>.py`` at its address, as a browser opening
    the page's link does, instead of the wall at ``/`` first.

    ``AppTest.switch_page`` needs a run before it (it matches the pages ``st.navigation``
    registered), and that run draws the wall: about three seconds per test on a fresh copy of
    the street. Streamlit names a page by the hash of its address (``st.Page._script_hash``),
    which is what this sets.
    """
    (spec,) = [p for p in (*PAGES, *ADMIN_PAGES, REPORT_PAGE) if p.key == page]
    if spec is not PAGES[0]:  # the wall is the default page, at ``/``
        at._page_hash = calc_hash(spec.url_path)
    return at


def open_page(
    page: str,
    *,
    lang: str = "zh",
    user: str | None = LEADER,
    community: str | None = None,
    timeout: float = 90,
    query: dict[str, str] | None = None,
) -> AppTest:
    """Run app.py signed in as `user` (a login; None: nobody) with the page's query
    (language, community, any other `query`) at ``app_pages/<page>.py``'s address (see
    :func:`at_address`)."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=timeout)
    if user is not None:
        sign_in(at, user)
    params = {"lang": lang} | ({"community": community} if community else {})
    at.query_params.update(params | (query or {}))
    return at_address(at, page).run()


def shown_errors(at: AppTest) -> list[str]:
    """The error boxes' text as a reader sees it: their Markdown with its escapes removed (a
    page escapes what a file or a person wrote before it shows it)."""
    return [re.sub(r"\\(.)", r"\1", e.value) for e in at.error]


def ok(at: AppTest) -> None:
    """The run raised nothing and showed no error box."""
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def click_map(at: AppTest, lon: float, lat: float, *, what: str = "last_object_clicked") -> AppTest:
    """Click the page's folium map at (lon, lat), as the st_folium frontend reports it.

    The component's widget state is set to the value the browser would send (`what`:
    ``last_object_clicked``, or ``last_clicked`` for a map asking for clicks anywhere), so
    its ``on_change`` callback and the rerun happen as in a real session.
    """
    (component,) = [
        c for c in at.get("component_instance") if c.proto.component_name.endswith("st_folium")
    ]
    value = {what: {"lat": lat, "lng": lon}}
    states = at._tree.get_widget_states()
    states.widgets.append(WidgetState(id=component.proto.id, json_value=json.dumps(value)))
    return at._run(states)
