"""Streamlit glue of the compound health page (``/compounds``, 小区体检).

The page calls, in order: :func:`controls` (who is working; staff are kept to their own
community), :func:`month_picker` (the month judged: this month to date, or one of the year
before), :func:`headline` (compounds flagged, mean score, the lowest), :func:`map_view` (the
compounds coloured by score band or by flag; a click chooses one), :func:`card` (the chosen
compound's profile: score, confidence, signals with their points and reasons, flags with what
to look at, links to its issues, party card and life circle) and :func:`list_section` (the
ranked list with 12-month sparklines; picking a row chooses the compound; Excel and CSV of
the list, the table ``mapgov health`` writes).

Figures come from :mod:`mapgov.domain.health` through cached loaders keyed by the store's
identity, the street and the month; the life-circle signal is
:func:`mapgov.views.wall.life_circle`'s, as in ``mapgov health``, so both give the same
figures. The report is computed for the whole street (a compound's flags are judged against
its own history only) and cut to the community on screen. Session state holds ids only.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from functools import partial
from typing import Any, Final

import folium
import geopandas as gpd
import pandas as pd
import streamlit as st

from mapgov.core.crs import WGS84
from mapgov.core.i18n import t
from mapgov.domain import places
from mapgov.domain.health.load import load_health_frames
from mapgov.domain.health.profile import SIGNALS, HealthFrames, month_spans
from mapgov.domain.health.report import HealthReport, compound_health
from mapgov.domain.locating import BuildingLocator
from mapgov.store import Store, open_store
from mapgov.ui.loaders import cached, cached_resource
from mapgov.ui.state import StreetView, View
from mapgov.ui.widgets import (
    click_map,
    facts,
    md_text,
    metric_row,
    show_table,
    staff_at_home,
    street_controls,
    table_downloads,
)
from mapgov.views import compounds as cv
from mapgov.views import maps
from mapgov.views.health import health_table, month_text
from mapgov.views.wall import life_circle

__all__ = [
    "MAP_HEIGHT",
    "PANEL_HEIGHT",
    "card",
    "controls",
    "headline",
    "list_section",
    "map_view",
    "month_picker",
]

MAP_HEIGHT: Final = 560
PANEL_HEIGHT: Final = MAP_HEIGHT + 120
TEXTS: Final = "compounds_page."
KEY: Final = "mapgov.compounds.{}"
TARGET: Final = KEY.format("target")  # the chosen compound id
CLICK: Final = KEY.format("click")  # (lat, lng) of the last click handled
SCOPE: Final = KEY.format("scope")
MONTH: Final = KEY.format("month")
COLOUR_BY: Final = KEY.format("colour_by")
LIST: Final = KEY.format("list")
MONTHS: Final = 12
"""Months offered by the picker, this one first."""
_LEAD: Final = ("rank", "compound", "score", "flags", "look_at", "community", "confidence")
"""The list's first columns (the compound id stays in the data, not on screen); the year's
trend comes right after the score (:func:`list_section`), where a 1366 px screen shows it."""
_PERCENT: Final = ("confidence", *cv.SHARE_SIGNALS)
_DECIMAL: Final = ("issues_per_100_households", "repeats_per_100_households", "branch", "property")
_WORDS_WIDTH: Final = 240
"""Pixels of the ranked list's warnings and look-at columns."""


# -- cached loaders (keys: store identity and plain values, never frames) ------------------
@cached(max_entries=8)
def _frames(store: Store, street_id: str) -> HealthFrames:
    life = life_circle(store, street_id).by_compound()
    return load_health_frames(store, street_id=street_id, life=life)


@cached(max_entries=16)
def _report(store: Store, street_id: str, month: str, day: dt.date) -> HealthReport:
    return compound_health(_frames(store, street_id), day, month=month)


@cached(max_entries=16)
def _areas(store: Store, street_id: str, community_id: str | None) -> gpd.GeoDataFrame:
    return places.compound_areas(store, street_id, community_id)


@cached(max_entries=16)
def _map(
    store: Store,
    *,
    street_id: str,
    community_id: str | None,
    month: str,
    day: dt.date,
    colour_by: str,
    lang: str,
) -> folium.Map:
    """The map, pickled by the cache: every run gets an identical copy."""
    report = _report(store, street_id, month, day)
    return cv.health_map(
        _areas(store, street_id, community_id), report, colour_by=colour_by, lang=lang
    )


@cached_resource(max_entries=16)
def _locator(store: Store, street_id: str, community_id: str | None) -> BuildingLocator:
    """Read-only spatial index of the compounds on screen (no buildings: a click anywhere in a
    compound chooses it)."""
    none = gpd.GeoDataFrame({"building_id": []}, geometry=[], crs=WGS84)
    return BuildingLocator(none, _areas(store, street_id, community_id))


def _place_locator(db: str, street_id: str, community_id: str | None) -> BuildingLocator:
    return _locator(open_store(db), street_id, community_id)


# -- the sidebar and the month -------------------------------------------------------------
def controls(view: View) -> StreetView | None:
    """The page's sidebar part (who is working) and the place on screen; staff see their
    own community whatever the picker says.

    Returns
    -------
    StreetView or None
        ``None`` when there is no street.
    """
    ctx = street_controls(view, texts=TEXTS, scope_key=SCOPE, forget=[TARGET, CLICK])
    return None if ctx is None else staff_at_home(ctx, TEXTS)


def month_picker(ctx: StreetView) -> str:
    """The month judged: this month to date (the default) or one of the year before.

    Returns
    -------
    str
        ``YYYY-MM``.
    """
    months = [m for m, _, _ in month_spans(ctx.today, MONTHS)][::-1]
    if st.session_state.get(MONTH) not in months:
        st.session_state[MONTH] = months[0]
    judged = months[0]
    return str(
        st.selectbox(
            t(TEXTS + "month", ctx.lang),
            months,
            format_func=lambda m: month_text(m, ctx.lang, judged=judged),
            key=MONTH,
            help=t(TEXTS + "month_help", ctx.lang),
        )
    )


def _report_of(ctx: StreetView, month: str) -> HealthReport:
    return _report(ctx.store, ctx.street_id, month, ctx.today)


def _compounds(ctx: StreetView) -> pd.DataFrame:
    """compound_id, name, community_id and community_name of the compounds on screen."""
    frame = _frames(ctx.store, ctx.street_id).compounds
    if ctx.community_id is not None:
        frame = frame[frame["community_id"] == ctx.community_id]
    return frame.reset_index(drop=True)


def _choose(_kind: str, compound_id: str) -> None:
    st.session_state[TARGET] = compound_id


def _chosen(ctx: StreetView) -> str | None:
    target = st.session_state.get(TARGET)
    ids = set(_compounds(ctx)["compound_id"])
    return target if isinstance(target, str) and target in ids else None


# -- figures -------------------------------------------------------------------------------
def headline(ctx: StreetView, month: str) -> None:
    """Compounds on screen, flagged, mean score and the lowest-scoring compound."""
    lang = ctx.lang
    compounds = _compounds(ctx)
    figures = cv.headline(_report_of(ctx, month), compounds["compound_id"].tolist())
    none = t(TEXTS + "unknown", lang)
    names = dict(zip(compounds["compound_id"], compounds["name"], strict=True))
    lowest, notes = none, {}
    if figures.lowest_id is not None and figures.lowest_score is not None:
        lowest = f"{figures.lowest_score:.1f}"
        notes[3] = names.get(figures.lowest_id, figures.lowest_id)  # under it, not cut off
    mean = none if figures.mean_score is None else f"{figures.mean_score:.1f}"
    f = TEXTS + "fig."
    metric_row(
        [
            (t(f + "compounds", lang), f"{figures.compounds:,}", None),
            (t(f + "flagged", lang), f"{figures.flagged:,}", t(f + "flagged_help", lang)),
            (t(f + "mean", lang), mean, t(f + "mean_help", lang)),
            (t(f + "lowest", lang), lowest, None),
        ],
        notes,
    )


# -- the map -------------------------------------------------------------------------------
def _selection(ctx: StreetView) -> folium.FeatureGroup | None:
    chosen = _chosen(ctx)
    if chosen is None:
        return None
    areas = _areas(ctx.store, ctx.street_id, ctx.community_id)
    return maps.selection_layer(areas[areas["compound_id"] == chosen])


def map_view(ctx: StreetView, month: str) -> None:
    """The colouring choice and the map; a click chooses the compound under it."""
    lang = ctx.lang
    colour_by = st.radio(
        t(TEXTS + "colour_by", lang),
        [c.value for c in cv.ColourBy],
        format_func=lambda v: t(TEXTS + f"colour.{v}", lang),
        horizontal=True,
        key=COLOUR_BY,
    )
    if _areas(ctx.store, ctx.street_id, ctx.community_id).empty:
        st.info(t(TEXTS + "no_compounds", lang))
        return
    fmap = _map(
        ctx.store,
        street_id=ctx.street_id,
        community_id=ctx.community_id,
        month=month,
        day=ctx.today,
        colour_by=str(colour_by),
        lang=lang,
    )
    click_map(
        fmap,
        key=KEY.format(f"map.{ctx.street_id}.{ctx.community_id or 'ALL'}"),
        seen=CLICK,
        locator=partial(_place_locator, ctx.view.db, ctx.street_id, ctx.community_id),
        choose=_choose,
        selection=_selection(ctx),
        height=MAP_HEIGHT,
    )
    st.caption(t(TEXTS + "map_caption", lang))


# -- the card ------------------------------------------------------------------------------
def card(ctx: StreetView, month: str) -> None:
    """The chosen compound's profile card, or a hint to choose one."""
    lang = ctx.lang
    chosen = _chosen(ctx)
    if chosen is None:
        st.info(t(TEXTS + "card.hint", lang), icon=":material/touch_app:")
        return
    report = _report_of(ctx, month)
    profile = cv.compound_card(report, chosen, lang)
    row = _compounds(ctx).set_index("compound_id").loc[chosen]
    c = TEXTS + "card."
    st.subheader(t(c + "title", lang, name=row["name"]))
    community = places.display_name(row["community_name"], row.get("community_name_en"), lang)
    st.caption(t(c + "where", lang, community=community, month=month_text(month, lang)))
    metric_row(
        [
            (t(c + "score", lang), profile["score_text"], t(c + "score_help", lang)),
            (
                t(c + "confidence", lang),
                f"{profile['confidence'] * 100:.0f}%",
                t(c + "confidence_help", lang),
            ),
            (t(c + "flags", lang), f"{len(profile['flags'])}", None),
        ]
    )
    if profile["flags"]:
        for flag in profile["flags"]:
            look = t("health.separator", lang).join(flag["look_at"])
            text = md_text(flag["text"])
            if look:
                text += "  \n" + md_text(t(c + "look_at", lang, what=look))
            st.warning(text, icon=":material/warning:")
    else:
        st.success(t(c + "no_flags", lang), icon=":material/check_circle:")
    signals = profile["signals"]
    reason = t(c + "reason", lang)
    show_table(signals.drop(columns=reason), hide_index=True, width="stretch")
    with st.expander(t(c + "reasons", lang), icon=":material/help:"):
        name_col = t(c + "signal", lang)
        reasons = zip(signals[name_col], signals[reason].map(md_text), strict=True)
        facts(list(reasons), lang, bullets=True)
        scheme = report.profile.name
        shown = t(c + "profile_default", lang) if scheme == "default" else scheme
        st.caption(t(c + "profile_note", lang, name=shown))
    targets = cv.links(ctx.street_id, str(row["community_id"]), chosen, lang)
    with st.container(horizontal=True):
        for name, page, icon in (
            ("issues", "app_pages/issues.py", ":material/report:"),
            ("party", "app_pages/party.py", ":material/flag:"),
            ("life_circle", "app_pages/life_circle.py", ":material/directions_walk:"),
        ):
            st.page_link(
                page, label=t(c + f"link.{name}", lang), icon=icon, query_params=targets[name]
            )


# -- the ranked list -----------------------------------------------------------------------
def _picked(ids: list[str]) -> None:
    """The list's selection callback: the picked row's compound is chosen."""
    value = st.session_state.get(LIST)
    rows = getattr(getattr(value, "selection", None), "rows", None)
    if rows is None and isinstance(value, dict):
        rows = value.get("selection", {}).get("rows")
    if rows:
        st.session_state[TARGET] = ids[int(rows[0])]


def list_section(ctx: StreetView, month: str) -> None:
    """The ranked list (flagged and worst first) with the reasons and 12-month sparklines;
    picking a row chooses its compound; Excel and CSV of the list."""
    lang = ctx.lang
    st.subheader(t(TEXTS + "list.heading", lang))
    report = _report_of(ctx, month)
    compounds = _compounds(ctx)
    kept = dataclasses.replace(
        report, scored=report.scored[report.scored["compound_id"].isin(compounds["compound_id"])]
    )
    table = health_table(kept, compounds, lang)
    if table.empty:
        st.info(t(TEXTS + "no_compounds", lang))
        return
    id_col, trend_col = t("health.col.compound_id", lang), t("health.col.trend", lang)
    ids = table[id_col].astype(str).tolist()
    col = {k: t(f"health.col.{k}", lang) for k in (*_LEAD, *SIGNALS)}
    config: dict[str, Any] = {
        trend_col: st.column_config.LineChartColumn(trend_col, y_min=0, y_max=100),
        col["score"]: st.column_config.NumberColumn(format="%.1f"),
        # warnings and what to look at both whole on a 1366-px laptop (the signals follow)
        col["flags"]: st.column_config.TextColumn(width=_WORDS_WIDTH),
        col["look_at"]: st.column_config.TextColumn(width=_WORDS_WIDTH),
        **{col[k]: st.column_config.NumberColumn(format="percent") for k in _PERCENT},
        **{col[k]: st.column_config.NumberColumn(format="%.1f") for k in _DECIMAL},
    }
    lead = [col[k] for k in _LEAD]
    at = lead.index(col["score"]) + 1
    order = [*lead[:at], trend_col, *lead[at:], *[col[k] for k in SIGNALS]]
    show_table(
        table,
        column_order=order,
        hide_index=True,
        width="stretch",
        column_config=config,
        on_select=partial(_picked, ids),
        selection_mode="single-row",
        key=LIST,
        height=38 + 35 * min(len(table), 12),
    )
    st.caption(t(TEXTS + "list.help", lang))
    export = health_table(kept, compounds, lang, trend=False)
    stem = t(TEXTS + "list.file", lang, month=month)
    table_downloads(export, texts=TEXTS + "list.", lang=lang, stem=stem, key=KEY.format("dl"))
