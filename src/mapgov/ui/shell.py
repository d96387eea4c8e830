"""The app shell: navigation, language, place pickers, first start.

``app.py`` calls :func:`run_app` once per rerun. It resolves the language from the URL, lays
out the sidebar, makes sure the database and the web assets exist, records the
:class:`~mapgov.ui.state.View` and runs the chosen page inside :func:`show_errors`.

The wall screen is the default page, served at ``/``. Streamlit gives the default page no
other address, so ``/wall`` would say "page not found"; a hidden alias page answers at
``/wall`` and switches to ``/`` with the same query string, so that the navigation marks the
wall screen. The kiosk (``/wall?kiosk=1``) has no navigation to mark: there the alias runs
the wall screen itself, sparing the first paint a second round trip, and the sidebar is not
drawn at all.

The page scripts live in ``app_pages/``, not ``pages/``: while a ``pages/`` folder exists
beside ``app.py``, Streamlit runs the first request of a fresh server in its old multipage
mode, which executes e.g. ``pages/issues.py`` directly, without ``app.py`` (no shell, no
sidebar, an exception), whenever that first request is not for ``/``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Final

import streamlit as st
from streamlit.delta_generator import DeltaGenerator
from streamlit.navigation.page import StreamlitPage

from mapgov.core import clock
from mapgov.core.i18n import DEFAULT_LANG, LANGS, t
from mapgov.core.visits import note_visit
from mapgov.domain.places import display_names
from mapgov.domain.users import User
from mapgov.store import Store, open_store
from mapgov.ui import auth, wall_style
from mapgov.ui import loaders as data
from mapgov.ui.state import (
    COMMUNITY,
    LANG,
    STREET,
    View,
    note_page,
    picker,
    resolve_choice,
    resolve_one,
    set_view,
)
from mapgov.ui.widgets import show_errors, streamlit_words
from mapgov.views.accounts import is_admin
from mapgov.views.wall import WallSettings

__all__ = [
    "ADMIN_PAGES",
    "ALL_COMMUNITIES",
    "PAGES",
    "REPORT_PAGE",
    "WALL_ALIAS",
    "PageSpec",
    "Pages",
    "Place",
    "build_pages",
    "kiosk_mode",
    "language_switch",
    "resolve_place",
    "run_app",
    "sidebar",
]


@dataclass(frozen=True)
class PageSpec:
    """One page: ``key`` names its catalogue entries (``page.<key>.nav/title/lead``) and its
    script ``app_pages/<key>.py``; ``url_path`` is its address; ``icon`` a Material icon;
    ``one_community``: the page works on one community at a time (no "all communities")."""

    key: str
    url_path: str
    icon: str
    one_community: bool = False

    @property
    def script(self) -> str:
        """Page script, relative to ``app.py`` (``app_pages/``: see the module docstring)."""
        return f"app_pages/{self.key}.py"


PAGES: Final = (
    PageSpec("wall", "wall", ":material/dashboard:"),
    PageSpec("issues", "issues", ":material/report:", one_community=True),
    PageSpec("life_circle", "life-circle", ":material/directions_walk:"),
    PageSpec("party", "party", ":material/flag:"),
    PageSpec("compounds", "compounds", ":material/health_and_safety:"),
    PageSpec("deliberation", "deliberation", ":material/forum:"),
    PageSpec("members", "members", ":material/volunteer_activism:"),
    PageSpec("co_building", "co-building", ":material/handshake:"),
    PageSpec("data", "data", ":material/database:"),
)
"""The pages in navigation order; the first is the default, served at ``/``."""
ADMIN_PAGES: Final = (PageSpec("accounts", "accounts", ":material/manage_accounts:"),)
"""Pages for administrators only: in their navigation menu alone. Everyone else has them as
hidden pages (:attr:`Pages.restricted`), so that a shared link or a bookmark opens the page,
which says in the reader's language that it is for administrators and shows nothing else (each
page checks the signed-in account itself), instead of Streamlit's "Page not found"."""
REPORT_PAGE: Final = PageSpec("report", "report", ":material/campaign:")
"""The phone page for reports from the field (``/report``): the one page open without signing
in (a resident who scanned a building's QR code), in no navigation (a hidden page)."""
WALL_ALIAS: Final = PAGES[0].url_path
FAVICON: Final = "🗺️"
ALL_COMMUNITIES: Final = ""
"""Community picker value for the whole street (no ``community`` in the URL)."""


@dataclass(frozen=True)
class Pages:
    """The navigation's pages: the visible ones in order, the hidden ``/wall`` alias, the
    hidden phone page ``/report`` and, for anyone but an administrator, the
    :data:`ADMIN_PAGES` hidden (`restricted`)."""

    visible: tuple[StreamlitPage, ...]
    alias: StreamlitPage
    report: StreamlitPage
    restricted: tuple[StreamlitPage, ...] = ()

    @property
    def all(self) -> list[StreamlitPage]:
        """Every page, for ``st.navigation`` (the hidden ones are in no menu)."""
        return [*self.visible, self.alias, self.report, *self.restricted]

    @property
    def default(self) -> StreamlitPage:
        """The wall screen at ``/``."""
        return self.visible[0]


def build_pages(lang: str, *, admin: bool = False) -> Pages:
    """``st.Page`` objects with translated titles (the default page at ``/``); `admin` adds
    :data:`ADMIN_PAGES` at the end of the menu, anyone else has them hidden."""
    default, *others = PAGES + (ADMIN_PAGES if admin else ())
    visible = [
        st.Page(
            default.script,
            title=t(f"page.{default.key}.nav", lang),
            icon=default.icon,
            url_path="",
            default=True,
        ),
        *(
            st.Page(p.script, title=t(f"page.{p.key}.nav", lang), icon=p.icon, url_path=p.url_path)
            for p in others
        ),
    ]
    alias = st.Page(
        default.script,
        title=t(f"page.{default.key}.nav", lang),
        icon=default.icon,
        url_path=WALL_ALIAS,
        visibility="hidden",
    )
    report = st.Page(
        REPORT_PAGE.script,
        title=t(f"page.{REPORT_PAGE.key}.nav", lang),
        icon=REPORT_PAGE.icon,
        url_path=REPORT_PAGE.url_path,
        visibility="hidden",
    )
    restricted = tuple(
        st.Page(
            p.script,
            title=t(f"page.{p.key}.nav", lang),
            icon=p.icon,
            url_path=p.url_path,
            visibility="hidden",
        )
        for p in (() if admin else ADMIN_PAGES)
    )
    return Pages(visible=tuple(visible), alias=alias, report=report, restricted=restricted)


def _street_options(store: Store, lang: str, only: str | None = None) -> dict[str, str]:
    streets = data.street_list(store)
    if only is not None:  # an account of one street sees that street only
        streets = streets[streets["street_id"] == only]
    return dict(zip(streets["street_id"], display_names(streets, lang), strict=True))


def _community_options(store: Store, street_id: str, lang: str) -> dict[str, str]:
    communities = data.community_list(store, street_id)
    options = {ALL_COMMUNITIES: t("sidebar.all_communities", lang)}
    options.update(zip(communities["community_id"], display_names(communities, lang), strict=True))
    return options


@dataclass(frozen=True)
class Place:
    """The street and community of this run, with the options the pickers offer."""

    street_id: str | None
    community_id: str | None
    streets: dict[str, str]
    communities: dict[str, str]


def resolve_place(
    store: Store,
    lang: str,
    only: str | None = None,
    *,
    one_community: bool = False,
    own: str | None = None,
) -> Place:
    """Street and community from the URL (else remembered, else the first street, whole);
    ``only``: the one street the signed-in account may see.

    For a page that works on one community (`one_community`), "all communities" is not
    offered: the community is the chosen one, else the user's `own`, else the first; that
    automatic choice is in the URL but does not narrow other pages (:func:`resolve_one`).
    """
    streets = _street_options(store, lang, only)
    if not streets:
        return Place(None, None, {}, {})
    street_id = resolve_choice(STREET, list(streets), next(iter(streets)))
    communities = _community_options(store, street_id, lang)
    ids = [c for c in communities if c != ALL_COMMUNITIES]
    if one_community and ids:
        community = resolve_one(COMMUNITY, ids, own if own in ids else ids[0])
        del communities[ALL_COMMUNITIES]
    else:
        community = resolve_choice(COMMUNITY, list(communities), ALL_COMMUNITIES)
    return Place(street_id, community or None, streets, communities)


def sidebar(store: Store, lang: str, place: Place) -> None:
    """Street and community pickers (showing `place`, from :func:`resolve_place`) plus the
    language switch."""
    side = st.sidebar
    side.subheader(t("sidebar.place", lang))
    if place.street_id is not None:
        picker(
            side,
            STREET,
            label=t("sidebar.street", lang),
            options=list(place.streets),
            value=place.street_id,
            format_func=place.streets.__getitem__,
        )
        picker(
            side,
            COMMUNITY,
            label=t("sidebar.community", lang),
            options=list(place.communities),
            value=place.community_id or ALL_COMMUNITIES,
            format_func=place.communities.__getitem__,
        )
    else:
        side.warning(t("error.no_street", lang))
    meta = store.meta()
    pinned = clock.pinned_day(meta)  # a demo's calendar stays on its data date
    if pinned is not None:
        side.caption(t("sidebar.demo_pinned", lang, as_of=pinned.isoformat()))
    elif meta.get("as_of"):
        side.caption(t("sidebar.data_as_of", lang, as_of=meta["as_of"]))
    side.divider()
    language_switch(lang)


def kiosk_mode() -> bool:
    """Whether the URL asks for the kiosk (``?kiosk=1``): no sidebar, no navigation."""
    return WallSettings.from_query(st.query_params.to_dict()).kiosk


def language_switch(lang: str, container: DeltaGenerator | None = None) -> None:
    """The language switch (horizontal: 中文 / English), in the sidebar unless `container`."""
    picker(
        st.sidebar if container is None else container,
        LANG,
        label=t("sidebar.language", lang),
        options=list(LANGS),
        value=lang,
        format_func=lambda code: t(f"lang.{code}", lang),
        horizontal=True,
    )


def _run_report(page: StreamlitPage, db: Path | str, lang: str) -> None:
    """The phone page, for anyone: laid out for a phone, with nothing of the street around it
    (no pickers, no sidebar; a signed-in person's navigation stays collapsed)."""
    st.set_page_config(layout="centered", initial_sidebar_state="collapsed")
    set_view(View(lang=lang, db=str(db), street_id=None, community_id=None))
    note_page(page.url_path)
    streamlit_words(lang)
    page.run()


def run_app(root: Path) -> None:
    """One run of the whole app (called by ``app.py``).

    Before anything of a street is drawn, the sign-in gate (:mod:`mapgov.ui.auth`) resolves
    who is working; without a live session (or, on the kiosk wall, a display token) the page
    shows the sign-in form only, and a one-time password must be changed first. The one page
    open to all is the phone page ``/report`` (:data:`REPORT_PAGE`): it runs without the
    sidebar and the place pickers, and shows nothing of the street but the names of its
    compounds and buildings.

    Parameters
    ----------
    root
        Folder of ``app.py``; Leaflet goes to ``root/static`` on first start.
    """
    note_visit()  # the server's warm-up yields to the visit
    lang = resolve_choice(LANG, LANGS, DEFAULT_LANG)
    # The favicon must be an emoji (inlined as SVG): Streamlit fetches a Material-icon favicon
    # from fonts.gstatic.com, and would take the page's Material icon if none were set here.
    kiosk = kiosk_mode()
    st.set_page_config(
        page_icon=FAVICON,
        layout="wide",
        initial_sidebar_state="collapsed" if kiosk else "expanded",
    )
    if kiosk:  # the wall's map code starts loading before anything is read (issue 24)
        wall_style.prefetch_deck()
    with show_errors(lang):
        data.ensure_assets(root / "static")
        db = data.database_path()
        data.ensure_database(db, lang)
        store = open_store(db)
        account = auth.session_user(store)
        pages = build_pages(lang, admin=is_admin(account))
        # The kiosk draws no sidebar at all: no navigation and no pickers (their scripts would
        # only slow the wall screen's first paint); its place comes from the URL. Nobody
        # signed in sees no navigation either, nor anyone still on a one-time password.
        hidden = kiosk or account is None or account.must_change_password
        page = st.navigation(pages.all, position="hidden" if hidden else "sidebar")
        if page is pages.report:  # open to all: the page itself tells who files
            _run_report(page, db, lang)
            return
        user: User | None = account
        if user is None and kiosk and page in (pages.default, pages.alias):
            user = auth.display_user(store, lang)  # a wall screen's token: the wall only
        if user is None:
            if not kiosk:
                language_switch(lang)
            elif page in (pages.default, pages.alias) and st.query_params.get(auth.TOKEN_PARAM):
                # the wall with a token that is not (or no more) valid: said, not just a form
                st.warning(t("auth.bad_token", lang), icon=":material/tv_off:")
            auth.sign_in_form(store, lang)
            st.stop()
        if account is not None and account.must_change_password:
            auth.change_password_form(store, account, lang)
            st.stop()
        if page is pages.alias and not kiosk:
            st.switch_page(pages.default, query_params=st.query_params.to_dict())
        if kiosk:
            place = resolve_place(store, lang, user.street_id)
        else:
            if account is not None:
                auth.signed_in_sidebar(store, account, lang)
            single = any(p.one_community and p.url_path == page.url_path for p in PAGES)
            place = resolve_place(
                store, lang, user.street_id, one_community=single, own=user.community_id
            )
            sidebar(store, lang, place)
        view = View(
            lang=lang, db=str(db), street_id=place.street_id, community_id=place.community_id
        )
        set_view(view)
        note_page(page.url_path)
        if not kiosk:  # the wall has no uploader and no date
            streamlit_words(lang)
        page.run()
