"""The wall screen's style sheets, and the early fetch of the map's code.

The sheets go into the page's flow (:func:`style`), the kiosk's only in kiosk mode; the
deck.gl chunk is fetched before the street's data come (:func:`prefetch_deck`).
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Final

import streamlit as st

from mapgov.ui.wall_data import MAP_HEIGHT, MAP_STACK
from mapgov.views import deck as deckmaps
from mapgov.views import deck_poster as poster
from mapgov.views import wall

__all__ = ["DESIGN", "KIOSK_CSS", "STYLE_MARK", "WALL_CSS", "deck_chunk", "prefetch_deck", "style"]

_BG = deckmaps.BACKGROUND
_STACK = f"st-key-{MAP_STACK}"
_MAP_H = MAP_HEIGHT[True]
_FILL = ", ".join(
    f'[data-testid="{box}"]:has(.{_STACK}, .mg-ticker)'
    for box in ("stVerticalBlock", "stLayoutWrapper", "stElementContainer", "stHtml")
)
"""The boxes that hold the map or the ticker: in kiosk mode each takes the height left."""

DESIGN: Final = (1920, 1080)
"""The screen, in CSS pixels, the kiosk is laid out for; a larger one magnifies it."""

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
.mg-bar {{ display: flex; flex-wrap: wrap; align-items: baseline; gap: 4px 24px;
  color: {wall.TEXT}; }}
.mg-bar-title {{ font-size: 30px; font-weight: 700; letter-spacing: 1px; white-space: nowrap; }}
.mg-bar-scope {{ font-size: 22px; font-weight: 500; color: #7DD3FC; margin-left: 16px; }}
.mg-bar-counts, .mg-bar-stamp {{ display: flex; flex-wrap: wrap; align-items: baseline;
  min-width: 0; color: {wall.MUTED}; }}
.mg-bar-counts {{ font-size: 17px; flex: 1 1 360px; }}  /* the stamp wraps before the counts do */
.mg-bar-stamp {{ font-size: 16px; flex: 0 1 auto; justify-content: flex-end; margin-left: auto; }}
.mg-bar-item, .mg-bar-sep {{ white-space: pre; }}
@media (max-width: 1600px) {{
  .mg-bar-title {{ font-size: 24px; }} .mg-bar-scope {{ font-size: 18px; margin-left: 10px; }}
  .mg-bar-counts {{ font-size: 15px; }} .mg-bar-stamp {{ font-size: 14px; }}
}}
.mg-status {{ font-size: 16px; color: {wall.MUTED}; white-space: nowrap; }}
.mg-status {{ margin-bottom: 4px; }}
.mg-title-row {{ display: flex; flex-wrap: wrap; justify-content: space-between;
  align-items: baseline; gap: 2px 12px; }}  /* the news wrap below the title, never it */
.mg-title-row > span:first-child {{ flex: none; }}
.mg-new {{ font-size: 15px; font-weight: 500; color: {wall.MUTED}; white-space: nowrap;
  min-width: 0; max-width: 100%; overflow: hidden; text-overflow: ellipsis; }}
.mg-new-waiting {{ color: #FBBF24; font-weight: 700; }}
.mg-new-flags {{ color: #F87171; font-weight: 700; }}
.mg-tiles {{ display: grid; grid-template-columns: repeat(auto-fill, minmax(190px, 1fr));
  gap: 10px; }}  /* as many columns as hold a figure with its unit */
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
.mg-rank-table td.mg-name {{ white-space: normal; line-height: 1.25; }}
.mg-rank-table th:nth-child(-n+2), .mg-rank-table td:nth-child(-n+2) {{ text-align: left; }}
.mg-rank-table col.mg-col-rank {{ width: 3em; }}
.mg-rank-table col.mg-col-n {{ width: 3.2em; }}
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
/* a long name (an English category or community) on two lines rather than cut */
.mg-cat-name {{ overflow: hidden; display: -webkit-box; -webkit-box-orient: vertical;
  -webkit-line-clamp: 2; line-height: 1.25; }}
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
/* A screen larger than the one the wall is laid out for (a 4K wall at 100 % scaling) shows
   that layout magnified, whole: type, tiles and map as large on the screen as at 1920 x 1080.
   The scale is the lesser of width and height over the design's; never below 1 (a smaller
   screen has its own rules below). Within the zoom, 100vh counts the zoom too: divided. */
:root {{ --mg-zoom: max(1, min(tan(atan2(100vw, {DESIGN[0]}px)),
                            tan(atan2(100vh, {DESIGN[1]}px)))); }}
[data-testid="stMainBlockContainer"] {{
  padding: 10px 16px 8px 16px !important; max-width: 100% !important; zoom: var(--mg-zoom);
  height: calc(100vh / var(--mg-zoom)); box-sizing: border-box; display: flex;
  flex-direction: column;
}}
/* One screen high: the boxes from the page's block down to the map's box and the ticker are
   flex columns, each taking the height that is left (min-height: 0 lets them give way). */
{_FILL} {{
  display: flex !important; flex-direction: column; flex: 1 1 0 !important; min-height: 0;
}}
[data-testid="stHorizontalBlock"]:has(.{_STACK}) {{ flex: 1 1 0; min-height: 0;
  align-items: stretch; }}  /* the columns keep their widths, and take its height */
[data-testid="stHorizontalBlock"]:has(.{_STACK}) > [data-testid="stColumn"] {{
  display: flex; flex-direction: column; min-height: 0; }}
.st-key-wall-top {{ flex: none; }}  /* as high as the title bar and tiles; the rest is below */
/* The map is drawn as at 1920 x 1080 ({_MAP_H} px high, the height its view is fitted to) and
   zoomed to the height left (cqh: of its box). The chart and its picture scale as one, so
   they stay one over the other; tan(atan2(a, b)) is a / b as a number. */
[data-testid="stLayoutWrapper"]:has(> .{_STACK}) {{ container-type: size; }}
.{_STACK} {{ zoom: tan(atan2(100cqh, {_MAP_H}px)); }}
.mg-ticker {{ height: auto; flex: 1 1 0; min-height: 0; }}  /* the rest of the side's height */
.st-key-wall-top {{ min-height: 242px; }}  /* title bar, two rows of tiles: held till they come */
[data-testid="stMainBlockContainer"] [data-testid="stVerticalBlock"] {{ gap: 8px; }}
.st-key-wall-top, .st-key-wall-map, .st-key-wall-side {{ padding: 0; border-radius: 0; }}
.mg-bar {{ column-gap: 16px; }}  /* title, counts and stamp in one line at 1920 px */
.mg-bar-title {{ font-size: 25px; }} .mg-bar-scope {{ font-size: 19px; margin-left: 12px; }}
.mg-bar-counts {{ font-size: 14px; }} .mg-bar-stamp {{ font-size: 13px; }}
.mg-tiles {{ grid-template-columns: none; grid-auto-flow: column;
  grid-auto-columns: minmax(0, 1fr); gap: 6px; }}  /* up to eight tiles: one row */
.mg-tiles:has(> .mg-tile:nth-child(9)) {{ grid-auto-flow: row;
  grid-template-columns: repeat(8, minmax(0, 1fr)); }}  /* more: rows of eight */
.mg-tiles {{ grid-auto-rows: 94px; }}  /* the same height whatever the figures say */
.mg-tile {{ display: grid; grid-template-columns: auto minmax(0, 1fr); column-gap: 8px;
  align-items: center; align-content: start; padding: 4px 10px 4px; overflow: hidden; }}
.mg-tile > * {{ grid-column: 1 / -1; }}
.mg-tile-label {{ font-size: 15px; line-height: 1.25; }}
.mg-tile-value {{ grid-column: 1; font-size: 34px; line-height: 1.05; }}
.mg-tile-delta {{ grid-column: 2; white-space: normal; word-break: keep-all; line-height: 1.2; }}
@media (max-width: 1600px) {{  /* an office screen: each change under its figure */
  .mg-tile-value {{ font-size: 28px; }} .mg-tile-delta {{ grid-column: 1 / -1; }}
  .mg-tiles {{ grid-auto-rows: auto; }}
}}
.mg-title-row {{ row-gap: 0; }}
@media (max-height: 900px) {{  /* an office TV or projector: smaller type, a wider side */
  .st-key-wall-top {{ min-height: 246px; }}  /* the tiles' height here (a note wraps), held */
  [data-testid="stHorizontalBlock"]:has(.{_STACK}) > [data-testid="stColumn"]:first-child {{
    flex: 1 1 calc(52% - 15px); }}  /* the map, scaled down, needs less width */
  [data-testid="stHorizontalBlock"]:has(.{_STACK}) > [data-testid="stColumn"]:last-child {{
    flex: 1 1 calc(48% - 15px); }}
  .mg-tile {{ padding: 3px 8px; }}
  .mg-tile-label {{ font-size: 14px; }} .mg-tile-value {{ font-size: 26px; }}
  .mg-tile-delta {{ font-size: 14px; }} .mg-tile-basis, .mg-tile-note {{ font-size: 11px; }}
  .mg-panel-title {{ font-size: 16px; margin: 0; }}
  img.mg-chart {{ height: 15vh; }}
  .mg-cats {{ gap: 3px 8px; font-size: 14px; padding-top: 2px; }} .mg-cat-track {{ height: 13px; }}
  .mg-rank-table {{ font-size: 14px; }}
  .mg-rank-table th, .mg-rank-table td {{ padding: 2px 4px; }}
  .mg-tick {{ padding: 3px 0; }}
}}
@media (max-height: 780px) {{  /* 1366 x 768, 1280 x 720 */
  img.mg-chart {{ height: 13vh; }}
  .mg-cats {{ gap: 1px 8px; }} .mg-tile-basis, .mg-tile-note {{ line-height: 1.2; }}
  .mg-tick-title {{ font-size: 15px; }} .mg-tick-time {{ font-size: 14px; }}
}}
</style>
"""
"""Kiosk only: no sidebar, header, toolbar, menu or footer; dark page; no scrolling; the tiles
in one row up to eight, else in rows of eight, each change beside its figure. The page is
one screen high at any size (1920 x 1080, 1366 x 768, 1280 x 720): the map and the ticker
take the height the tiles and panels leave, the map zoomed as a whole (chart and poster alike)
from the height it is drawn at; on a screen 900 px high or less the type is smaller and the
side panel wider. A screen larger than :data:`DESIGN` both ways (2560 x 1440, 3840 x 2160 at
100 % scaling) shows the 1920 x 1080 wall magnified to fill it, so its words are as large a
share of the screen, read from as far away."""


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
