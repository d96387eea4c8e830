"""Streamlit glue of the life-circle page's "what if" mode (假设选址): place candidate sites of
the chosen kind by clicking the map, close existing facilities, and see at once who gains or
loses walking reach.

The page calls :func:`switch` (the toggle and, when it is on, the facilities to close; returns
a :class:`WhatIfView` with the scenario's answer, or ``None`` when the mode is off), then
:func:`map_view` (the page's map, which now sends clicks back, with the scenario drawn on it),
:func:`panel` (figures, candidates, downloads) and :func:`figures` (by community).

State. The scenario (:class:`~mapgov.views.life_circle_whatif.Scenario`) lives in the session
(``mapgov.life.wi.scenario``) and in the address (``wi_add``, ``wi_close``) while the mode is
on; a link with a scenario switches the mode on when the page is opened. A map click is handled
in the map's ``on_change`` callback, before the run that draws its answer: the new scenario is
weighed first (:func:`~mapgov.domain.lifecircle.whatif.what_if`) and refused with the
catalogue's message (a sixth site, a point outside the district or far from a road), changing
nothing. The answer itself comes from the context kept per data version, kind and threshold
(:func:`~mapgov.domain.lifecircle.whatif.whatif_context`), so a click costs one bounded search.
The scenario is drawn as a layer added to the map already on the page
(``feature_group_to_add``): the map is not reloaded, and the view stays where the user left it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any, Final

import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from mapgov.core.errors import ValidationError
from mapgov.core.i18n import error_text, t
from mapgov.domain.lifecircle.whatif import (
    MAX_CANDIDATES,
    WhatIfContext,
    WhatIfResult,
    what_if,
    whatif_context,
)
from mapgov.io.exports import FORMATS
from mapgov.io.whatif import scenario_bytes, scenario_sheets
from mapgov.ui.life_circle import MAP_HEIGHT, LifeView, _facilities, _graph, page_map
from mapgov.ui.state import arrived, write_params
from mapgov.ui.widgets import bulk_select, show_table
from mapgov.views import life_circle_whatif_map as wimap
from mapgov.views.life_circle_whatif import (
    WHATIF_KEYS,
    Scenario,
    scenario_from_query,
    scenario_query,
)

__all__ = ["KEY", "WhatIfView", "figures", "map_view", "panel", "switch"]

KEY: Final = "mapgov.life.wi.{}"
"""Session-state key of the mode's widgets and memory (``KEY.format("on")`` ...)."""
SCENARIO: Final = KEY.format("scenario")
SEEN: Final = KEY.format("seen")
"""Session-state key of the last map click handled (the same point is not handled twice)."""
WAS_ON: Final = KEY.format("was_on")
"""Session-state key remembering whether the mode was on when the page was last drawn."""
FLASH: Final = KEY.format("flash")
"""Session-state key of a refusal to show once (a click that changed nothing)."""
TEXTS: Final = "whatif_page."


@dataclass(frozen=True)
class WhatIfView:
    """The mode's answer for this run: the scenario and what it does (or why it cannot say)."""

    context: WhatIfContext
    scenario: Scenario
    result: WhatIfResult | None
    error: str | None


def _scenario() -> Scenario:
    found = st.session_state.get(SCENARIO)
    return found if isinstance(found, Scenario) else Scenario()


def _context(ctx: LifeView) -> WhatIfContext:
    return whatif_context(
        ctx.store,
        ctx.settings.kind,
        ctx.metres,
        street_id=ctx.street_id,
        graph=_graph(ctx.store),
    )


def _restore() -> None:
    """On arriving at the page from a link with a scenario, take it and switch the mode on;
    back from another page (whose switch drops the query), the mode as it was left."""
    if not arrived():
        return
    link = {k: st.query_params[k] for k in WHATIF_KEYS if k in st.query_params}
    st.session_state[KEY.format("on")] = bool(link) or bool(st.session_state.get(WAS_ON))
    if link:
        st.session_state[SCENARIO] = scenario_from_query(link)
        for key in [k for k in st.session_state if str(k).startswith(KEY.format("close."))]:
            del st.session_state[key]  # the link's closings, not the remembered ones


def _close_picker(ctx: LifeView, wctx: WhatIfContext, scenario: Scenario) -> Scenario:
    """The facilities of the kind to close (by name); the scenario with that choice."""
    names = wimap.facility_choices(_facilities(ctx.store), list(wctx.facility_ids))
    key = KEY.format(f"close.{ctx.settings.kind}")
    if key not in st.session_state:  # a link's (or the remembered) closings of this kind
        st.session_state[key] = [i for i in scenario.close if i in names]
    chosen = st.multiselect(
        t(TEXTS + "close", ctx.lang, kind=ctx.kind_label),
        list(names),
        format_func=lambda i: names.get(i, i),
        key=key,
        placeholder=t(TEXTS + "close_none", ctx.lang),
        select_all=bulk_select(ctx.lang),
    )
    return Scenario(scenario.add, tuple(chosen))


def switch(ctx: LifeView) -> WhatIfView | None:
    """The toggle of the mode and, when it is on, the closings; the scenario's answer.

    Returns
    -------
    WhatIfView or None
        ``None`` when the mode is off (the address then carries no scenario).
    """
    _restore()
    on = st.toggle(
        t(TEXTS + "toggle", ctx.lang),
        key=KEY.format("on"),
        help=t(TEXTS + "toggle_help", ctx.lang, most=MAX_CANDIDATES),
    )
    st.session_state[WAS_ON] = on
    if not on:
        write_params({}, WHATIF_KEYS)
        return None
    wctx = _context(ctx)
    scenario = _close_picker(ctx, wctx, _scenario())
    st.session_state[SCENARIO] = scenario
    write_params(scenario_query(scenario), WHATIF_KEYS)
    try:
        result = what_if(wctx, scenario.add, scenario.close)
    except ValidationError as err:
        return WhatIfView(wctx, scenario, None, error_text(err, ctx.lang))
    return WhatIfView(wctx, scenario, result, None)


# -- the map -------------------------------------------------------------------------------
def _on_click(ctx: LifeView, map_key: str) -> None:
    """The map's callback: a new click places a candidate, unless the scenario refuses it."""
    point = wimap.click_site(st.session_state.get(map_key))
    if point is None or st.session_state.get(SEEN) == point:
        return
    st.session_state[SEEN] = point
    scenario = _scenario()
    wctx = _context(ctx)
    close = tuple(i for i in scenario.close if i in set(wctx.facility_ids))
    if len(scenario.add) >= MAX_CANDIDATES:  # what_if names the limit; nothing is weighed
        bigger = Scenario((*scenario.add, point), close)
    else:
        bigger = scenario.with_site(*point)
    try:
        what_if(wctx, bigger.add, close)  # kept: the run that follows answers at once
    except ValidationError as err:
        st.session_state[FLASH] = error_text(err, ctx.lang)
        return
    st.session_state[SCENARIO] = bigger


def map_view(ctx: LifeView, wi: WhatIfView) -> None:
    """The page's map sending clicks back, with the scenario's layer added to it."""
    map_key = KEY.format(f"map.{ctx.street_id}")
    layer = None
    if wi.result is not None:
        places = _facilities(ctx.store)
        shut = places[places["facility_id"].isin(wi.scenario.close)]
        layer = wimap.scenario_layer(
            wi.result, wimap.whatif_map_labels(ctx.lang), shut.assign(label=shut["name"])
        )
    value = st_folium(
        page_map(ctx, whatif=True),
        key=map_key,
        height=MAP_HEIGHT,
        use_container_width=True,
        returned_objects=["last_clicked"],
        feature_group_to_add=layer,
        on_change=partial(_on_click, ctx, map_key),
    )
    point = wimap.click_site(value)
    if point is not None and st.session_state.get(SEEN) != point:  # a first value: no callback
        st.session_state[map_key] = value
        _on_click(ctx, map_key)
        st.rerun()
    st.caption(t(TEXTS + "map_caption", ctx.lang, kind=ctx.kind_label, most=MAX_CANDIDATES))


# -- the figures ---------------------------------------------------------------------------
def _remove(number: int) -> None:
    st.session_state[SCENARIO] = _scenario().without_site(number)
    st.session_state.pop(FLASH, None)


def _clear() -> None:
    st.session_state[SCENARIO] = Scenario((), _scenario().close)
    st.session_state.pop(FLASH, None)


def _remove_buttons(ctx: LifeView, scenario: Scenario) -> None:
    row = st.container(horizontal=True, vertical_alignment="center")
    for number in range(1, len(scenario.add) + 1):
        row.button(
            t(TEXTS + "remove", ctx.lang, number=number),
            key=KEY.format(f"remove.{number}"),
            icon=":material/close:",
            on_click=_remove,
            args=(number,),
        )
    if len(scenario.add) > 1:
        row.button(
            t(TEXTS + "clear", ctx.lang),
            key=KEY.format("clear"),
            icon=":material/delete_sweep:",
            on_click=_clear,
        )


def _number_config(frame: pd.DataFrame) -> dict[str, Any]:
    return {
        c: st.column_config.NumberColumn(format="localized")
        for c in frame.columns
        if pd.api.types.is_integer_dtype(frame[c])
    }


def panel(ctx: LifeView, wi: WhatIfView) -> None:
    """Beside the map: refusals, the scenario's figures, its candidates and downloads."""
    lang = ctx.lang
    st.subheader(t(TEXTS + "title", lang, kind=ctx.kind_label))
    flash = st.session_state.pop(FLASH, None)
    if flash:
        st.error(flash, icon=":material/block:")
    if wi.error is not None:
        st.error(wi.error, icon=":material/error:")
    if ctx.settings.method != "network":
        st.caption(t(TEXTS + "network_only", lang))
    if not wi.scenario.add and not wi.scenario.close:
        st.info(t(TEXTS + "hint", lang, kind=ctx.kind_label, most=MAX_CANDIDATES))
    result = wi.result
    if result is not None:
        community = ctx.view.community_id
        figures_now = wimap.headline_figures(result, community)
        for column, (name, value) in zip(st.columns(3), figures_now[:3], strict=True):
            column.metric(t(TEXTS + f"metric.{name}", lang), f"{value:,}")
        for column, (name, value) in zip(st.columns(3), figures_now[3:], strict=False):
            column.metric(t(TEXTS + f"metric.{name}", lang), f"{value:,}")
        if community is not None:
            st.caption(t(TEXTS + "community_figures", lang))
    if wi.scenario.add:
        st.markdown(t(TEXTS + "candidates", lang, n=len(wi.scenario.add), most=MAX_CANDIDATES))
        if result is not None:
            sheet = scenario_sheets(result, lang)[t("whatif.sheet.candidates", lang)]
            shown = sheet.drop(columns=[t(f"whatif.col.{c}", lang) for c in _HIDDEN])
            show_table(shown, hide_index=True, width="stretch", column_config=_number_config(shown))
        _remove_buttons(ctx, wi.scenario)
    if result is not None and (wi.scenario.add or wi.scenario.close):
        _downloads(ctx, result)


_HIDDEN: Final = ("lon", "lat", "snapped_lon", "snapped_lat")
"""Candidate columns left out of the table on the page (they are in the downloads)."""


def _downloads(ctx: LifeView, result: WhatIfResult) -> None:
    row = st.container(horizontal=True, vertical_alignment="center")
    row.caption(t("life.download", ctx.lang))
    stem = f"{t(TEXTS + 'file', ctx.lang)}-{ctx.settings.kind}-{ctx.metres:.0f}m"
    for suffix in (".xlsx", ".geojson"):
        row.download_button(
            t(f"life.download_{suffix.lstrip('.')}", ctx.lang),
            data=partial(scenario_bytes, result, suffix, ctx.lang),
            file_name=f"{stem}{suffix}",
            mime=FORMATS[suffix],
            icon=":material/download:",
            on_click="ignore",
            key=KEY.format(f"download.{suffix.lstrip('.')}"),
        )


def figures(ctx: LifeView, wi: WhatIfView) -> None:
    """The scenario's gains and losses by community, the whole street last."""
    if wi.result is None or not (wi.scenario.add or wi.scenario.close):
        return
    lang = ctx.lang
    st.subheader(t(TEXTS + "by_community", lang, kind=ctx.kind_label))
    sheet = scenario_sheets(wi.result, lang)[t("whatif.sheet.communities", lang)]
    shown = sheet.drop(columns=[t("whatif.col.community_id", lang)])
    show_table(shown, hide_index=True, width="stretch", column_config=_number_config(shown))
    st.caption(t(TEXTS + "by_community_caption", lang, metres=f"{ctx.metres:,.0f}"))
