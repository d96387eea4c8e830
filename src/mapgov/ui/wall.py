"""The wall screen (大屏) in Streamlit: layout, refresh, tour and kiosk mode.

The page is three fragments, each rerunning on its own timer so that a refresh redraws only
what it must: the headline tiles (top), the map (left) and the side panels (right). The map
is drawn first, so it appears before the slower figures are ready. Data come from loaders
cached by the store's identity, so a refresh with no new data costs little, and new data
(a bumped ``data_version``) show up at the next tick without a page reload.

The map keeps its view across refreshes: the deck's view state is rebuilt from the same
bounds each time and is therefore identical, and Streamlit's chart only moves the camera
when the view in the JSON changes (the tour changes it on purpose, with a short flight).

Kiosk mode (``?kiosk=1``) hides the sidebar and Streamlit's chrome with CSS injected only
then, paints the page dark and fits the screen without scrolling, at 1920 × 1080 as on an
office screen of 1366 × 768 (the map zoomed to the height left: :data:`KIOSK_CSS`). Errors
that mapgov raises are shown as a calm notice inside the panel (the next refresh tries
again); the rest of the screen keeps working.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from html import escape
from typing import Any, Final, cast
from urllib.parse import urlencode

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from mapgov.core import clock
from mapgov.core.errors import MapgovError
from mapgov.core.i18n import error_text, t
from mapgov.domain import field_reports, kpi
from mapgov.domain import help as help_circle
from mapgov.domain.health import summary as health
from mapgov.domain.places import display_names
from mapgov.store import open_store
from mapgov.ui import loaders as data
from mapgov.ui import wall_data
from mapgov.ui.state import View
from mapgov.ui.wall_data import MAP_HEIGHT, POSTER_WIDTH
from mapgov.ui.wall_style import KIOSK_CSS, STYLE_MARK, WALL_CSS, prefetch_deck, style
from mapgov.ui.widgets import page_header, place_metrics, scope_header, scope_title
from mapgov.views import deck as deckmaps
from mapgov.views import deck_poster as poster
from mapgov.views import help as help_view
from mapgov.views import wall
from mapgov.views.compounds import new_flags_html
from mapgov.views.maps import Bounds

__all__ = [
    "figures_panel",
    "map_panel",
    "settings_from_url",
    "side_panel",
    "wall_screen",
]

_TOUR_KEY: Final = "mapgov.wall.tour_start"
_POSTER_KEY: Final = "mapgov.wall.poster"
"""Set by a run of the whole page: the map panel's run within it shows the poster."""
_WIDGET: Final = "mapgov.wall.widget.{}"


def settings_from_url() -> wall.WallSettings:
    """The wall screen's settings from the current URL (see
    :class:`mapgov.views.wall.WallSettings`)."""
    return wall.WallSettings.from_query(st.query_params.to_dict())


@contextmanager
def _politely(lang: str) -> Iterator[None]:
    """Show a MapgovError as a calm notice in place (the next refresh tries again)."""
    try:
        yield
    except MapgovError as err:
        message = t("wall_screen.unavailable", lang, message=error_text(err, lang))
        _html(f'<div class="mg-notice">{escape(message)}</div>')


def _html(body: str) -> None:
    # st.html, not st.markdown: the page then needs none of the Markdown renderer's scripts.
    st.html(body)


# -- the three panels ----------------------------------------------------------------------
def _stamp(lang: str, today: dt.date, settings: wall.WallSettings) -> list[str]:
    now = clock.system_now().strftime("%H:%M:%S")  # the real time of this refresh
    return [
        t("wall_screen.report_date", lang, date=today.isoformat()),
        t("wall_screen.refreshed", lang, time=now),
        t("wall_screen.every", lang, seconds=settings.refresh_s),
        t("wall_screen.compare", lang),
    ]


def _street_of(view: View) -> str:
    """The street a panel draws (the page draws no panel without one)."""
    if view.street_id is None:
        msg = "the wall screen's panels need a street"
        raise MapgovError(msg)
    return view.street_id


def figures_panel(view: View, settings: wall.WallSettings) -> None:
    """Title bar (kiosk) or a status line, then the headline tiles (:data:`wall.TILES`).

    The time shown is that of this refresh: the figures on screen are at most one refresh
    interval old.
    """
    with _politely(view.lang):
        street_id = _street_of(view)
        store = open_store(view.db)
        today = clock.today(store)
        stamp = _stamp(view.lang, today, settings)
        if settings.kiosk:
            counts = data.place_counts(store, street_id, view.community_id).as_dict()
            title = t("page.wall.title", view.lang)
            _html(wall.header_html(title, scope_title(view), counts, stamp, view.lang))
        else:
            _html(f'<div class="mg-status">{escape(" · ".join(stamp))}</div>')
        frames = wall_data.ledger_frames(store, street_id, view.community_id)
        figures = wall_data.tile_figures(store, street_id, view.community_id, today)
        help_figure, median = help_circle.wall_figure(frames, now=clock.now(store))
        notes = {help_figure.key: help_view.median_note(median, view.lang)}
        now, before = wall_data.health_reports(store, street_id, today)
        flagged = health.flagged_figure(now, before, frames.compounds["compound_id"])
        # the property companies' tile (issue 21), scored in the community shown
        tile = wall_data.property_tile(store, street_id, view.community_id, view.lang, today)
        _html(
            wall.tiles_html(
                [*figures, help_figure, flagged],
                view.lang,
                today=today,
                notes=notes,
                extra=[tile],
            )
        )


Stop = tuple[str | None, Bounds, str]


def _stops(view: View, base: deckmaps.WallMapData) -> list[Stop]:
    """The whole street, then each community: (community_id or None, bounds, name)."""
    stops: list[Stop] = [(None, wall_data.street_bounds(base), scope_title(view))]
    for row in base.communities.itertuples(index=False):
        stops.append((row.community_id, tuple(float(v) for v in row.geometry.bounds), row.label))  # type: ignore[arg-type]
    return stops


def _stop(view: View, settings: wall.WallSettings, stops: list[Stop]) -> tuple[Stop, str]:
    """The stop to show and its caption: the tour's, else the chosen community, else all."""
    if settings.tour and len(stops) > 1:
        # The tour's own clock: the map reruns every map_every_s seconds, and the stop is a
        # function of the time since the tour began (not of how many reruns came in between).
        start = st.session_state.setdefault(_TOUR_KEY, time.monotonic())
        index = wall.tour_stop(time.monotonic() - start, settings, len(stops))
        stop = stops[index]
        caption = " · ".join(
            [
                t("wall_screen.focus", view.lang, place=stop[2]),
                t("wall_screen.tour_stop", view.lang, n=index + 1, total=len(stops)),
            ]
        )
        return stop, caption
    chosen = next((s for s in stops if s[0] is not None and s[0] == view.community_id), stops[0])
    return chosen, t("wall_screen.focus", view.lang, place=chosen[2])


def map_panel(view: View, settings: wall.WallSettings) -> None:
    """Legend and focus, then the pydeck map of the street (see :func:`deckmaps.wall_deck`)."""
    with _politely(view.lang):
        street_id = _street_of(view)
        store = open_store(view.db)
        today = clock.today(store)
        base = wall_data.map_base(store, street_id, view.lang)
        if base.communities.empty and base.compounds.empty:
            _html(f'<div class="mg-empty">{escape(t("wall_screen.empty", view.lang))}</div>')
            return
        stops = _stops(view, base)
        (focus, bounds, _), caption = _stop(view, settings, stops)
        legend = wall.legend_html(settings.metric, view.lang)
        focus_html = f'<span class="mg-focus">{escape(caption)}</span>'
        _html(f'<div class="mg-maphead">{legend}{focus_html}</div>')
        deck = wall_data.wall_deck(
            store,
            street_id,
            view.lang,
            today,
            key=wall_data.DeckKey.of(settings),
            focus=focus,
            bounds=bounds,
            street_bounds=stops[0][1],
        )
        # The deck's flat layers as a picture until WebGL has drawn them (first run only: a
        # rerun finds the map drawn). The same place in the stack either way, so that the
        # chart stays the same element and keeps its WebGL context.
        first = st.session_state.pop(_POSTER_KEY, False)
        with st.container(key=wall_data.MAP_STACK):
            if first:
                st.html(
                    poster.poster_html(
                        deck.to_json(),
                        width_px=POSTER_WIDTH,
                        height_px=MAP_HEIGHT[settings.kiosk],
                        stack=f".st-key-{wall_data.MAP_STACK}",
                    ),
                    unsafe_allow_javascript=True,
                )
            else:
                _html(f'<div class="{poster.POSTER} {poster.GONE}"></div>')
            # st.pydeck_chart reads a deck's JSON and tooltip only: the frozen deck serves
            st.pydeck_chart(cast("Any", deck), height=MAP_HEIGHT[settings.kiosk], key="wall-map")
        _html(wall.facility_legend_html(view.lang))
        if not settings.kiosk:
            _html(f'<div class="mg-hint">{escape(t("wall_screen.map_hint", view.lang))}</div>')


def _title(key: str, lang: str, *, aside: str = "") -> None:
    """A panel's title; `aside` (HTML, escaped already) stands at the right of its line."""
    if not aside:
        _html(f'<div class="mg-panel-title">{escape(t(key, lang))}</div>')
        return
    _html(
        f'<div class="mg-panel-title mg-title-row"><span>{escape(t(key, lang))}</span>{aside}</div>'
    )


def side_panel(view: View, settings: wall.WallSettings) -> None:
    """The 12-month trend, top categories, community ranking and the ticker, with the new
    reports from the field (waiting to be assigned, and today's) on the ticker's title line.

    In kiosk mode the categories and the ranking stand side by side; on the page with a sidebar
    the panel is narrower, so they stand one above the other and the ranking keeps its columns.
    """
    with _politely(view.lang):
        street_id = _street_of(view)
        store = open_store(view.db)
        today = clock.today(store)
        frames = wall_data.ledger_frames(store, street_id, view.community_id)
        _title("wall_screen.panel.trend", view.lang)
        trend = wall.trend_svg(
            kpi.monthly_trend(frames.issues, today),
            view.lang,
            **(wall.KIOSK_TREND if settings.kiosk else wall.PAGE_TREND),
        )
        _html(wall.svg_img(trend, t("wall_screen.panel.trend", view.lang)))
        if settings.kiosk:
            left, right = st.columns([0.44, 0.56], gap="small")
        else:
            left = right = st.container()
        with left:
            _title("wall_screen.panel.categories", view.lang)
            top = kpi.top_categories(frames.issues, today, days=wall.RECENT_DAYS)
            _html(wall.categories_html(top, view.lang))
        with right:
            _title("wall_screen.panel.ranking", view.lang)
            communities = data.community_list(store, street_id)
            names = dict(
                zip(communities["community_id"], display_names(communities, view.lang), strict=True)
            )
            ranking = kpi.community_ranking(
                frames.issues, frames.compounds, today, events=frames.events
            )
            _html(wall.ranking_html(ranking, names, view.lang))
        # the feed of issues: new reports from the field (issue 20) head it, beside its title
        news = wall.new_reports_html(field_reports.wall_counts(frames.issues, today), view.lang)
        now, before = wall_data.health_reports(store, street_id, today)
        compound_names = dict(
            zip(frames.compounds["compound_id"], frames.compounds["name"], strict=True)
        )
        flagged = health.new_flags(now, before, frames.compounds["compound_id"])
        news += new_flags_html([compound_names.get(c, c) for c in flagged], view.lang)
        _title("wall_screen.panel.ticker", view.lang, aside=news)
        _html(wall.ticker_html(kpi.recent_closed(frames.issues, n=10), compound_names, view.lang))


# -- settings (not in kiosk mode: the kiosk is set up by its URL) --------------------------
def _to_url(name: str) -> None:
    """Widget callback: write the setting to the URL (defaults leave the URL)."""
    value = st.session_state[_WIDGET.format(name)]
    text = ("1" if value else "") if isinstance(value, bool) else str(value)
    default = wall.WallSettings().to_query().get(name, "")
    current = {
        "refresh": str(wall.WallSettings().refresh_s),
        "tour_every": str(wall.WallSettings().tour_s),
        "metric": wall.WallSettings().metric,
    }.get(name, default)
    if text and text != current:
        st.query_params[name] = text
    elif name in st.query_params:
        del st.query_params[name]


def _bound(
    draw: Callable[..., object], name: str, value: object, label: str, **kwargs: object
) -> None:
    key = _WIDGET.format(name)
    st.session_state[key] = value
    draw(label, key=key, on_change=_to_url, args=(name,), **kwargs)


def _seconds(
    column: DeltaGenerator, name: str, value: int, bounds: tuple[int, int], lang: str
) -> None:
    """A number of seconds, in steps of five within `bounds`."""
    text = t(f"wall_screen.settings.{name}", lang)
    _bound(column.number_input, name, value, text, min_value=bounds[0], max_value=bounds[1], step=5)


def _settings_panel(lang: str, settings: wall.WallSettings) -> None:
    """Widgets for the settings; each writes its URL parameter, so the link carries them."""
    with st.expander(t("wall_screen.settings.title", lang), icon=":material/tune:"):
        cols = st.columns([3, 2, 3, 2, 3])
        _bound(
            cols[0].selectbox,
            "metric",
            settings.metric,
            t("wall_screen.settings.metric", lang),
            options=list(deckmaps.METRICS),
            format_func=lambda m: t(f"wall_screen.metric.{m}", lang),
        )
        _seconds(cols[1], "refresh", settings.refresh_s, wall.REFRESH_RANGE, lang)
        _bound(cols[2].toggle, "tour", settings.tour, t("wall_screen.settings.tour", lang))
        _seconds(cols[3], "tour_every", settings.tour_s, wall.TOUR_RANGE, lang)
        _bound(
            cols[4].toggle,
            "basemap",
            settings.basemap,
            t("wall_screen.settings.basemap", lang),
            help=t("wall_screen.settings.basemap_help", lang),
        )
        query = {**st.query_params.to_dict(), "kiosk": "1"}
        st.link_button(
            t("wall_screen.settings.kiosk_link", lang),
            "?" + urlencode(query),
            icon=":material/fullscreen:",
        )


def wall_screen(view: View) -> None:
    """The whole wall screen: styles, (header and settings unless kiosk), tiles, map, panels.

    Parameters
    ----------
    view
        Language, database and place chosen by the shell.
    """
    settings = settings_from_url()
    style(WALL_CSS)
    if not settings.kiosk:  # the kiosk's shell did it before the sign-in check
        prefetch_deck()
    if settings.kiosk:
        style(KIOSK_CSS)
    else:
        page_header(view, "wall")
        scope_header(view)
        place_metrics(view)
        _settings_panel(view.lang, settings)
    if view.street_id is None:
        _html(f'<div class="mg-notice">{escape(t("wall_screen.no_street", view.lang))}</div>')
        return
    top = st.container(key="wall-top")
    # An empty container is not on the page: a hidden mark puts it there, so that the kiosk's
    # style holds the tiles' row before they come (the map below stays where it will be).
    top.html(f'<span class="{STYLE_MARK}"></span>')
    left, right = st.columns([0.63, 0.37], gap="small")
    map_box = left.container(key="wall-map")
    side_box = right.container(key="wall-side")
    # The map first: it is what a viewer waits for, and the figures may take longer.
    st.session_state[_POSTER_KEY] = True
    with map_box:
        st.fragment(map_panel, run_every=settings.map_every_s)(view, settings)
    with top:
        st.fragment(figures_panel, run_every=settings.refresh_s)(view, settings)
    with side_box:
        st.fragment(side_panel, run_every=settings.refresh_s)(view, settings)
