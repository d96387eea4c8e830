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
then, paints the page dark and sizes everything to fit 1920 × 1080 without scrolling. Errors
that mapgov raises are shown as a calm notice inside the panel (the next refresh tries
again); the rest of the screen keeps working.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any, Final, cast
from urllib.parse import urlencode

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from mapgov.core import clock
from mapgov.core.errors import MapgovError
from mapgov.core.i18n import DEFAULT_LANG, error_text, t
from mapgov.domain import cobuild, display_tokens, field_reports, kpi, scorecard
from mapgov.domain import help as help_circle
from mapgov.domain.health import summary as health
from mapgov.domain.health.load import load_health_frames
from mapgov.domain.health.report import HealthReport, compound_health
from mapgov.domain.places import display_names
from mapgov.store import Store, open_store
from mapgov.ui import loaders as data
from mapgov.ui.loaders import cached
from mapgov.ui.state import View
from mapgov.ui.widgets import page_header, place_metrics, scope_header, scope_title
from mapgov.views import deck as deckmaps
from mapgov.views import deck_poster as poster
from mapgov.views import help as help_view
from mapgov.views import scorecard as scorecard_views
from mapgov.views import wall
from mapgov.views.compounds import new_flags_html
from mapgov.views.maps import Bounds

__all__ = [
    "KIOSK_CSS",
    "MAP_HEIGHT",
    "MAP_WIDTH",
    "STYLE_MARK",
    "WALL_CSS",
    "figures_panel",
    "map_panel",
    "prefetch_deck",
    "settings_from_url",
    "side_panel",
    "style",
    "wall_screen",
    "wall_streets",
    "warm",
]

MAP_HEIGHT: Final = {True: 770, False: 600}
"""Height of the map in pixels, in kiosk mode and not."""
MAP_WIDTH: Final = {True: 1190, False: 820}
"""Width the map's view is fitted to (its column's width at 1920 px, and a typical laptop)."""
_TOUR_KEY: Final = "mapgov.wall.tour_start"
_POSTER_KEY: Final = "mapgov.wall.poster"
"""Set by a run of the whole page: the map panel's run within it shows the poster."""
_POSTER_WIDTH: Final = 1600
"""Width of the poster picture: wider than the map at 1920 px (its sides are clipped)."""
_WIDGET: Final = "mapgov.wall.widget.{}"
_BG = deckmaps.BACKGROUND

STYLE_MARK: Final = "mg-style"
"""Class of the empty mark that keeps a style sheet in the page's flow (:func:`style`)."""

WALL_CSS: Final = f"""
<style>
[data-testid="stElementContainer"]:has(.{STYLE_MARK}) {{ display: none; }}
[data-stale="true"] {{ opacity: 1 !important; transition: none !important; }}
.st-key-wall-top [data-testid="stHtml"], .st-key-wall-map [data-testid="stHtml"],
.st-key-wall-side [data-testid="stHtml"] {{ margin-bottom: 0 !important; }}
.st-key-wall-top, .st-key-wall-map, .st-key-wall-side {{
  background: {_BG}; border-radius: 8px; padding: 10px 12px; color: {wall.TEXT};
}}
.st-key-wall-map [data-testid="stDeckGlJsonChart"] {{ background: {_BG}; }}
.st-key-wall-map-stack {{ display: grid !important; grid-template-columns: minmax(0, 1fr);
  gap: 0 !important; }}
.st-key-wall-map-stack > div {{ grid-area: 1 / 1; min-width: 0; }}
.st-key-wall-map-stack [data-testid="stDeckGlJsonChart"] {{ background: transparent !important; }}
.{poster.POSTER} {{ overflow: hidden; pointer-events: none; }}
.{poster.POSTER} img {{ display: block; max-width: none; margin-left: 50%;
  transform: translateX(-50%); }}
.{poster.GONE} {{ display: none; }}
.mg-bar {{ display: flex; align-items: baseline; gap: 4px 24px; color: {wall.TEXT}; }}
.mg-bar-title {{ font-size: 30px; font-weight: 700; letter-spacing: 1px; white-space: nowrap; }}
.mg-bar-scope {{ font-size: 22px; font-weight: 500; color: #7DD3FC; margin-left: 16px; }}
.mg-bar-counts, .mg-bar-stamp {{ display: flex; flex-wrap: wrap; align-items: baseline;
  min-width: 0; color: {wall.MUTED}; }}
.mg-bar-counts {{ font-size: 17px; flex: 1 1 0; }}
.mg-bar-stamp {{ font-size: 16px; flex: 0 1 auto; justify-content: flex-end; }}
.mg-bar-item, .mg-bar-sep {{ white-space: pre; }}
@media (max-width: 1600px) {{
  .mg-bar-title {{ font-size: 24px; }} .mg-bar-scope {{ font-size: 18px; margin-left: 10px; }}
  .mg-bar-counts {{ font-size: 15px; }} .mg-bar-stamp {{ font-size: 14px; }}
}}
.mg-status {{ font-size: 16px; color: {wall.MUTED}; white-space: nowrap; }}
.mg-status {{ margin-bottom: 4px; }}
.mg-title-row {{ display: flex; justify-content: space-between; align-items: baseline;
  gap: 12px; }}
.mg-new {{ font-size: 15px; font-weight: 500; color: {wall.MUTED}; white-space: nowrap; }}
.mg-new-waiting {{ color: #FBBF24; font-weight: 700; }}
.mg-new-flags {{ color: #F87171; font-weight: 700; margin-left: 12px; }}
.mg-tiles {{ display: grid; grid-template-columns: repeat(6, minmax(0, 1fr)); gap: 10px; }}
.mg-tile {{ background: linear-gradient(180deg, #13264A 0%, #0E1B34 100%);
  border: 1px solid #23406E; border-radius: 8px; padding: 8px 12px 7px; min-width: 0; }}
.mg-tile-label {{ font-size: 15px; color: #A9BCD6; white-space: nowrap; overflow: hidden;
  text-overflow: ellipsis; }}
.mg-tile-value {{ font-size: 42px; line-height: 1.15; font-weight: 700; color: #F8FAFC;
  font-variant-numeric: tabular-nums; white-space: nowrap; }}
.mg-unit {{ font-size: 16px; font-weight: 500; color: #A9BCD6; margin-left: 4px; }}
.mg-tile-delta {{ font-size: 15px; white-space: nowrap; overflow: hidden;
  text-overflow: ellipsis; }}
.mg-tile-basis {{ font-size: 12px; line-height: 1.3; color: {wall.MUTED}; }}
.mg-tile-note {{ font-size: 12px; line-height: 1.3; color: #C7D4E6; }}
.mg-tile-first {{ white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }}
.mg-good {{ color: #4ADE80; }} .mg-bad {{ color: #F87171; }} .mg-neutral {{ color: {wall.MUTED}; }}
.mg-panel-title {{ font-size: 18px; font-weight: 700; color: {wall.TEXT}; margin: 2px 0 2px;
  border-left: 4px solid #38BDF8; padding-left: 8px; }}
.mg-legend {{ display: flex; flex-wrap: wrap; align-items: center; gap: 2px 10px;
  font-size: 14px; color: #C7D4E6; }}
.mg-legend-title {{ font-weight: 700; color: {wall.TEXT}; }}
.mg-legend-gap {{ width: 10px; }}
.mg-key {{ display: inline-flex; align-items: center; gap: 5px; white-space: nowrap; }}
.mg-swatch {{ width: 16px; height: 12px; border-radius: 2px; display: inline-block; }}
.mg-glyph {{ width: 18px; height: 18px; border-radius: 50%; border: 2px solid; display: inline-flex;
  align-items: center; justify-content: center; font-size: 11px; font-weight: 700;
  background: {_BG}; }}
.mg-maphead {{ display: flex; justify-content: space-between; align-items: center; gap: 12px; }}
.mg-focus {{ font-size: 16px; color: #7DF9FF; white-space: nowrap; }}
.mg-hint {{ font-size: 13px; color: {wall.MUTED}; }}
.mg-rank-table {{ width: 100%; table-layout: fixed; border-collapse: collapse; font-size: 15px;
  color: {wall.TEXT}; }}
.mg-rank-table th, .mg-rank-table td {{ white-space: nowrap; overflow: hidden;
  text-overflow: ellipsis; text-align: right; border-bottom: 1px solid {wall.GRID_LINE}; }}
.mg-rank-table th {{ color: {wall.MUTED}; font-weight: 500; padding: 3px 4px; }}
.mg-rank-table td {{ padding: 4px 4px; font-variant-numeric: tabular-nums; }}
.mg-rank-table th:nth-child(-n+2), .mg-rank-table td:nth-child(-n+2) {{ text-align: left; }}
.mg-rank-table col.mg-col-rank {{ width: 2.6em; }}
.mg-rank-table col.mg-col-n {{ width: 3.6em; }}
.mg-rank-table col.mg-col-pct {{ width: 4.1em; }}
.mg-rank-table col.mg-col-late {{ width: 3em; }}
.mg-rank-wrap {{ container-type: inline-size; }}
@container (max-width: 340px) {{ .mg-rank-table {{ font-size: 13px; }} }}
.mg-rank {{ color: #FBBF24; font-weight: 700; }}
.mg-ticker {{ height: 228px; overflow: hidden; position: relative; }}
.mg-ticker-roll {{ animation-name: mg-roll; animation-timing-function: linear;
  animation-iteration-count: infinite; }}
@keyframes mg-roll {{ from {{ transform: translateY(0); }} to {{ transform: translateY(-50%); }} }}
.mg-tick {{ display: grid; grid-template-columns: 96px 1fr; column-gap: 10px; padding: 5px 0;
  border-bottom: 1px solid {wall.GRID_LINE}; }}
.mg-tick-time {{ color: #38BDF8; font-variant-numeric: tabular-nums; font-size: 15px; }}
.mg-tick-title {{ color: {wall.TEXT}; font-size: 16px; white-space: nowrap; overflow: hidden;
  text-overflow: ellipsis; }}
.mg-tick-meta {{ grid-column: 2; color: {wall.MUTED}; font-size: 13px; white-space: nowrap;
  overflow: hidden; text-overflow: ellipsis; }}
.mg-chart {{ display: block; width: 100%; height: auto; }}
.mg-cats {{ display: grid; grid-template-columns: fit-content(50%) 1fr auto; gap: 9px 8px;
  align-items: center; font-size: 15px; color: {wall.TEXT}; padding-top: 6px; }}
.mg-cat-name {{ white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }}
.mg-cat-track {{ height: 16px; }}
.mg-cat-bar {{ height: 100%; border-radius: 0 3px 3px 0; min-width: 2px; }}
.mg-cat-n {{ font-variant-numeric: tabular-nums; min-width: 2.5em; text-align: right; }}
.mg-empty, .mg-notice {{ color: {wall.MUTED}; font-size: 16px; padding: 8px 0; }}
.mg-notice {{ border-left: 4px solid #F59E0B; padding-left: 10px; }}
</style>
"""
"""Styles of the wall screen's own HTML (tiles, panels), on the page in every mode."""

KIOSK_CSS: Final = f"""
<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"],
[data-testid="stExpandSidebarButton"], [data-testid="stHeader"], [data-testid="stToolbar"],
[data-testid="stMainMenu"], [data-testid="stDecoration"], [data-testid="stStatusWidget"],
[data-testid="stElementToolbar"], [data-testid="stDeckGlJsonChartZoomButton"], footer {{
  display: none !important;
}}
html, body, .stApp, [data-testid="stAppViewContainer"], [data-testid="stMain"] {{
  background: {_BG} !important; overflow: hidden !important;
}}
[data-testid="stMainBlockContainer"] {{
  padding: 10px 16px 0 16px !important; max-width: 100% !important;
}}
.st-key-wall-top {{ min-height: 188px; }}  /* the tiles' row at 1920 px, held until they come */
[data-testid="stMainBlockContainer"] [data-testid="stVerticalBlock"] {{ gap: 8px; }}
.st-key-wall-top, .st-key-wall-map, .st-key-wall-side {{ padding: 0; border-radius: 0; }}
.mg-tiles {{ grid-template-columns: none; grid-auto-flow: column;
  grid-auto-columns: minmax(0, 1fr); gap: 6px; }}  /* every tile in one row, however many */
.mg-tile {{ padding: 8px 8px 7px; }}
.mg-tile-label {{ font-size: 14px; }}
.mg-tiles:has(> .mg-tile:nth-child(13)) .mg-tile {{ padding: 8px 6px 7px; }}
.mg-tiles:has(> .mg-tile:nth-child(13)) .mg-tile-label {{ font-size: 13px; }}
.mg-tiles:has(> .mg-tile:nth-child(13)) .mg-tile-value {{ font-size: 34px; }}
.mg-tile-value {{ font-size: 38px; }}
.mg-ticker {{ height: 292px; }}
</style>
"""
"""Kiosk only: no sidebar, header, toolbar, menu or footer; dark page; no scrolling; the tiles
in one row however many there are (a smaller type from the 13th on)."""


def style(css: str) -> None:
    """A ``<style>`` sheet, in the page's flow.

    ``st.html`` sends a body of style sheets only to Streamlit's event container, which the
    browser draws after the elements: the wall's first frame came white, without its
    styles, its map out of place. With an empty mark beside it (hidden by :data:`WALL_CSS`),
    the sheet takes its place in the page and applies from the first frame that draws
    what follows it.
    """
    st.html(f'{css}<span class="{STYLE_MARK}"></span>')


def _chunk(pattern: str) -> str | None:
    found = sorted((Path(st.__file__).parent / "static" / "static" / "js").glob(pattern))
    return found[0].name if found else None


@functools.cache
def deck_chunk() -> str | None:
    """File name of the deck.gl chunk of Streamlit's frontend (hashed per release), if any."""
    return _chunk("DeckGlJsonChart.*.js")


def prefetch_deck() -> None:
    """Start loading the deck.gl chunk while the server reads the street.

    Streamlit's frontend fetches its map code (3 MB of JavaScript) only when the first map
    arrives, and then parses and runs it. Imported here, first on the page, it is ready by
    the time the map's data come (the same URL: the browser evaluates the module once), and
    the map is drawn about that much sooner. So is the small chunk that deck.gl imports only
    when it creates its WebGL device (one more round trip before the first frame otherwise).
    The kiosk calls this before the sign-in check (:func:`mapgov.ui.shell.run_app`), the
    page with a sidebar from :func:`wall_screen`. The holder is hidden (``WALL_CSS``).
    """
    names = [n for n in (deck_chunk(), _chunk("webgl-device.*.js")) if n is not None]
    if not names:
        return
    imports = " ".join(
        f"import(new URL({json.dumps(n)}, index.src).href).catch(() => {{}});" for n in names
    )
    script = (
        "<script>(() => { const index = document.querySelector("
        '\'script[type="module"][src*="static/js/index."]\'); '
        f"if (index) {{ {imports} }} }})();"
        "</script>"
    )
    st.html(
        f'<span class="mg-prefetch"></span>{script}<style>{_PREFETCH_CSS}</style>',
        unsafe_allow_javascript=True,
    )


_PREFETCH_CSS: Final = '[data-testid="stElementContainer"]:has(.mg-prefetch) { display: none; }'


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


# -- cached loaders (keys: store identity and ids, never frames) ----------------------------
@cached(max_entries=16)
def _frames(
    store: Store,
    street_id: str,
    community_id: str | None,
) -> kpi.Frames:
    return kpi.load_frames(store, street_id=street_id, community_id=community_id)


@cached(max_entries=16)
def _co_frames(store: Store, street_id: str) -> cobuild.CoFrames:
    return cobuild.load(store, street_id=street_id)


@cached(max_entries=16)
def _property_tile(store: Store, street_id: str, lang: str, today: dt.date) -> str:
    frames = scorecard.load_scorecard_frames(store, street_id=street_id)
    return scorecard_views.wall_tile(frames, lang, today=today)


@cached(max_entries=16)
def _life_circle(store: Store, street_id: str) -> wall.LifeCircle:
    return wall.life_circle(store, street_id)


@cached(max_entries=8)
def _health(store: Store, street_id: str, day: dt.date) -> tuple[HealthReport, HealthReport]:
    """This month's compound health to date and last month's at its end (only the flags are
    read: one month each), with the life circle the page and ``mapgov health`` use."""
    life = _life_circle(store, street_id).by_compound()
    frames = load_health_frames(store, street_id=street_id, life=life)
    last = (day.replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m")
    return (
        compound_health(frames, day, months=1),
        compound_health(frames, day, month=last, months=1),
    )


@cached(max_entries=8)
def _map_base(store: Store, street_id: str, lang: str) -> deckmaps.WallMapData:
    return wall.map_data(store, street_id, lang)


@dataclass(frozen=True)
class DeckKey:
    """What of the wall's settings the map's deck depends on (a cache key)."""

    metric: str
    kiosk: bool
    basemap: bool
    transition_ms: int

    @classmethod
    def of(cls, settings: wall.WallSettings) -> DeckKey:
        """The key of a wall's settings (the tour flies from stop to stop in 1.5 s)."""
        return cls(settings.metric, settings.kiosk, settings.basemap, 1500 if settings.tour else 0)


@cached(max_entries=16)
def _wall_deck(
    store: Store,
    street_id: str,
    lang: str,
    today: dt.date,
    *,
    key: DeckKey,
    focus: str | None,
    bounds: Bounds,
    street_bounds: Bounds,
) -> deckmaps.DeckJson:
    """The map's deck as JSON (:func:`deckmaps.wall_deck`): the same for every visit and
    refresh until the data, the day or the view change, so it is built and written once."""
    base = _map_base(store, street_id, lang)
    frames = _frames(store, street_id, None)
    life = _life_circle(store, street_id) if key.metric == "life_complete" else None
    values = wall.compound_figures(frames, key.metric, today=today, life=life)
    drawn = wall.with_figures(
        base, values, key.metric, wall.recent_points(frames.issues, today), lang
    )
    camera = deckmaps.wall_view(
        bounds,
        width_px=MAP_WIDTH[key.kiosk],
        height_px=MAP_HEIGHT[key.kiosk],
        transition_ms=key.transition_ms,
    )
    deck = deckmaps.wall_deck(
        drawn,
        metric=key.metric,
        view=camera,
        bounds=street_bounds,
        focus=focus,
        issue_label=t("wall_screen.issue_cells", lang),
        basemap_style=deckmaps.CARTO_DARK if key.basemap else None,
    )
    return deckmaps.DeckJson.of(deck)


@cached(max_entries=16)
def _figures(
    store: Store, street_id: str, community_id: str | None, today: dt.date
) -> list[kpi.Figure]:
    """The headline and co-building tiles' figures: they change with the data and the day
    only, so a refresh without new data reads them here instead of counting again."""
    frames = _frames(store, street_id, community_id)
    life = _life_circle(store, street_id).share(community_id)
    figures = kpi.headline(frames, today=today, life_complete=life)
    co = _co_frames(store, street_id)
    return figures + cobuild.wall_figures(co, today, community_id=community_id)


def _report_date(store: Store) -> dt.date:
    """The street's today (a demo keeps its own calendar: :mod:`mapgov.core.clock`)."""
    return clock.today(store)


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
        today = _report_date(store)
        stamp = _stamp(view.lang, today, settings)
        if settings.kiosk:
            counts = data.place_counts(store, street_id, view.community_id).as_dict()
            title = t("page.wall.title", view.lang)
            _html(wall.header_html(title, scope_title(view), counts, stamp, view.lang))
        else:
            _html(f'<div class="mg-status">{escape(" · ".join(stamp))}</div>')
        frames = _frames(store, street_id, view.community_id)
        figures = _figures(store, street_id, view.community_id, today)
        help_figure, median = help_circle.wall_figure(frames, now=clock.now(store))
        notes = {help_figure.key: help_view.median_note(median, view.lang)}
        now, before = _health(store, street_id, today)
        flagged = health.flagged_figure(now, before, frames.compounds["compound_id"])
        tile = _property_tile(store, street_id, view.lang, today)  # property companies (issue 21)
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


def _street_bounds(base: deckmaps.WallMapData) -> Bounds:
    areas = base.communities if not base.communities.empty else base.compounds
    return tuple(float(v) for v in areas.total_bounds)  # type: ignore[return-value]


def _stops(view: View, base: deckmaps.WallMapData) -> list[Stop]:
    """The whole street, then each community: (community_id or None, bounds, name)."""
    stops: list[Stop] = [(None, _street_bounds(base), scope_title(view))]
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
        today = _report_date(store)
        base = _map_base(store, street_id, view.lang)
        if base.communities.empty and base.compounds.empty:
            _html(f'<div class="mg-empty">{escape(t("wall_screen.empty", view.lang))}</div>')
            return
        stops = _stops(view, base)
        (focus, bounds, _), caption = _stop(view, settings, stops)
        legend = wall.legend_html(settings.metric, view.lang)
        focus_html = f'<span class="mg-focus">{escape(caption)}</span>'
        _html(f'<div class="mg-maphead">{legend}{focus_html}</div>')
        deck = _wall_deck(
            store,
            street_id,
            view.lang,
            today,
            key=DeckKey.of(settings),
            focus=focus,
            bounds=bounds,
            street_bounds=stops[0][1],
        )
        # The deck's flat layers as a picture until WebGL has drawn them (first run only: a
        # rerun finds the map drawn). The same place in the stack either way, so that the
        # chart stays the same element and keeps its WebGL context.
        first = st.session_state.pop(_POSTER_KEY, False)
        with st.container(key="wall-map-stack"):
            if first:
                st.html(
                    poster.poster_html(
                        deck.to_json(),
                        width_px=_POSTER_WIDTH,
                        height_px=MAP_HEIGHT[settings.kiosk],
                        stack=".st-key-wall-map-stack",
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
        today = _report_date(store)
        frames = _frames(store, street_id, view.community_id)
        _title("wall_screen.panel.trend", view.lang)
        trend = wall.trend_svg(kpi.monthly_trend(frames.issues, today), view.lang)
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
        now, before = _health(store, street_id, today)
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
        cols = st.columns([3, 2, 2, 2, 3])
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
        _bound(cols[4].toggle, "basemap", settings.basemap, t("wall_screen.settings.basemap", lang))
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


# -- warming the caches at the server's start ----------------------------------------------
def wall_streets(store: Store) -> list[str]:
    """The streets that wall screens show: those of the live display tokens, else the first
    street (the one ``/wall`` opens by default)."""
    tokens = display_tokens.list_display_tokens(store)
    live = tokens[tokens["revoked_at"].isna()] if not tokens.empty else tokens
    streets = sorted({str(s) for s in live["street_id"]}) if not live.empty else []
    if not streets:
        listed = data.street_list(store)
        streets = [str(listed["street_id"].iloc[0])] if not listed.empty else []
    return streets


def _kiosk_deck(store: Store, street_id: str, lang: str, today: dt.date) -> None:
    """The deck a kiosk's first visit draws (its default settings: the whole street)."""
    base = _map_base(store, street_id, lang)
    if base.communities.empty and base.compounds.empty:
        return
    key = DeckKey.of(wall.WallSettings(kiosk=True))
    bounds = _street_bounds(base)
    _wall_deck(
        store, street_id, lang, today, key=key, focus=None, bounds=bounds, street_bounds=bounds
    )


def warm(
    db: Path | str, *, lang: str = DEFAULT_LANG, stop: Callable[[], bool] | None = None
) -> list[str]:
    """Fill the caches that a wall screen's first visit reads, for :func:`wall_streets`.

    ``mapgov serve`` runs this once the server is up (:mod:`mapgov.serve`), so that the
    command room's screen, the first visitor after a restart, finds the street read, the
    figures counted and the compound health judged (about 2.5 s of Python at scale 1) and
    waits only for its browser. The same cached loaders as the page, with the same
    arguments as a kiosk visit (the whole street, in `lang`), the map's first.

    Parameters
    ----------
    db
        The database the server serves.
    lang
        The kiosk's language.
    stop
        Asked before each step: True ends the warm-up there (a visitor came: the two would
        share the machine, and the visitor computes what is left into the same caches).

    Returns
    -------
    list of str
        The streets warmed whole.
    """
    store = open_store(db)
    stopped = stop or (lambda: False)
    warmed: list[str] = []
    for street_id in wall_streets(store):
        today = _report_date(store)
        steps: list[tuple[Callable[..., object], tuple[object, ...]]] = [
            (_map_base, (store, street_id, lang)),  # the map first: what a visit waits for
            (_kiosk_deck, (store, street_id, lang, today)),
            (_frames, (store, street_id, None)),
            (_figures, (store, street_id, None, today)),
            (_health, (store, street_id, today)),
            (_property_tile, (store, street_id, lang, today)),
            (data.place_counts, (store, street_id, None)),
            (data.community_list, (store, street_id)),
        ]
        for step, args in steps:
            if stopped():
                return warmed
            step(*args)
        warmed.append(street_id)
    return warmed
