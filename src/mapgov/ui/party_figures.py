"""The party page's figures (``/party``): the headline figures of the place on screen, the
breakdown by street, community or grid, the five gap lists with downloads, and the printable
one-page summary of a community.

:func:`headline` comes first on the page, :func:`breakdown`, :func:`gap_section` and
:func:`summary_section` below the map and card of :mod:`mapgov.ui.party`; they read the same
cached frames (:func:`mapgov.ui.party.street_frames`) and share its widget keys.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Literal

import pandas as pd
import streamlit as st

from mapgov.core.i18n import catalogue, label, t
from mapgov.core.model import PropertyMode, Star
from mapgov.domain import party
from mapgov.domain.places import display_names
from mapgov.store import Store
from mapgov.ui import loaders as data
from mapgov.ui.loaders import cached
from mapgov.ui.party import (
    ALL,
    ASCENDING,
    DESCENDING,
    GAP_ORDER,
    GAP_ROWS_SHOWN,
    KEY,
    LEVEL,
    LEVELS,
    SUMMARY_COMMUNITY,
    place_names,
    scoped_frames,
    street_frames,
)
from mapgov.ui.state import StreetView
from mapgov.ui.widgets import metric_row, show_table, table_downloads
from mapgov.views import party as pm
from mapgov.views import party_cards as cards
from mapgov.views import party_print as partyprint
from mapgov.views.shares import percent, percent_text

__all__ = ["breakdown", "gap_section", "headline", "summary_section"]


@cached(max_entries=32)
def _figures(store: Store, street_id: str, community_id: str | None, by: str) -> pd.DataFrame:
    return cards.figure_table(scoped_frames(store, street_id, community_id), by=by)


@cached(max_entries=16)
def _gaps(store: Store, street_id: str, community_id: str | None) -> dict[str, pd.DataFrame]:
    return party.gap_lists(street_frames(store, street_id), community_id=community_id)


# -- figures -------------------------------------------------------------------------------
def _place_column(table: pd.DataFrame, by: str, names: dict[str, str], lang: str) -> pd.Series:
    total = t("party_page.fig.total", lang)
    return table[by].map(lambda v: total if v == ALL else names.get(v, v))


def _three_nos_texts(lang: str) -> dict[str, str]:
    """The templates of :func:`mapgov.domain.party.three_nos_text` from the catalogue."""
    texts = catalogue(lang)
    return {key: texts[f"party_page.fig.{key}"] for key in party.THREE_NOS_TEXTS}


def _branch_count(row: pd.Series) -> int:
    return int(sum(row[f"stars_{n}"] for n in range(6)))


def _headline(ctx: StreetView, row: pd.Series) -> None:
    lang = ctx.lang
    f = "party_page.fig."
    per_100 = row["members_per_100_households"]
    metric_row(
        [
            (
                t(f + "share_branch", lang),
                percent_text(row["share_branch"]),
                t(
                    f + "share_branch_help",
                    lang,
                    n=int(row["with_branch"]),
                    of=int(row["compounds"]),
                ),
            ),
            (t(f + "share_group", lang), percent_text(row["share_group"]), None),
            (t(f + "share_head", lang), percent_text(row["share_head"]), None),
            (t(f + "share_zone", lang), percent_text(row["share_zone"]), None),
            (
                t(f + "members_per_100_households", lang),
                "—" if pd.isna(per_100) else f"{float(per_100):.1f}",
                t(f + "members_help", lang, n=int(row["party_members"])),
            ),
        ]
    )
    metric_row(
        [
            (t(f + "branches", lang), f"{_branch_count(row):,}", t(f + "branches_help", lang)),
            (t(f + "five_star", lang), f"{int(row['stars_5']):,}", None),
            (t(f + "red_property", lang), f"{int(row['red_property']):,}", None),
            (
                t(f + "joint_mechanism", lang),
                f"{int(row['joint_mechanism']):,}",
                t(f + "joint_mechanism_help", lang),
            ),
            (
                t(f + "three_nos", lang),
                party.three_nos_text(row, _three_nos_texts(lang)),
                t(f + "three_nos_help", lang),
            ),
        ]
    )


def _coverage_table(table: pd.DataFrame, place: pd.Series, lang: str) -> pd.DataFrame:
    f = "party_page.fig."
    out = {t(f + "place", lang): place}
    for col in ("compounds", "with_branch"):
        out[t(f + col, lang)] = table[col].astype(int)
    out[t(f + "share_branch", lang)] = table["share_branch"].map(percent)
    out[t(f + "buildings", lang)] = table["buildings"].astype(int)
    for col in ("share_group", "share_head", "share_zone"):
        out[t(f + col, lang)] = table[col].map(percent)
    out[t(f + "party_members", lang)] = table["party_members"].astype(int)
    out[t(f + "members_per_100_households", lang)] = table["members_per_100_households"]
    return pd.DataFrame(out)


def _stars_table(table: pd.DataFrame, place: pd.Series, lang: str) -> pd.DataFrame:
    out: dict[str, Any] = {t("party_page.fig.place", lang): place}
    for n in range(6):
        out[pm.stars_text(n)] = table[f"stars_{n}"].astype(int)
    for star in Star:
        out[label(star, lang)] = table[f"star_{star.value}"].astype(int)
    return pd.DataFrame(out)


def _property_table(table: pd.DataFrame, place: pd.Series, lang: str) -> pd.DataFrame:
    f = "party_page.fig."
    out: dict[str, Any] = {t(f + "place", lang): place}
    for mode in PropertyMode:
        out[label(mode, lang)] = table[f"mode_{mode.value}"].astype(int)
    out[t(f + "property_unknown", lang)] = table["property_unknown"].astype(int)
    for col in ("red_property", "joint_mechanism", "three_nos"):
        out[t(f + col, lang)] = table[col].astype(int)
    return pd.DataFrame(out)


def _level_options(ctx: StreetView) -> list[str]:
    return list(LEVELS[1:]) if ctx.community_id else list(LEVELS)


def headline(ctx: StreetView) -> None:
    """Two rows of headline figures of the place on screen (coverage, then strength)."""
    store = ctx.store
    totals = _figures(store, ctx.street_id, ctx.community_id, "street_id")
    if totals.empty:
        st.info(t("party_page.no_compounds", ctx.lang))
        return
    _headline(ctx, totals.iloc[-1])


def breakdown(ctx: StreetView) -> None:
    """The figures by the level the user picks (street, community or grid), in three tabs."""
    lang = ctx.lang
    store = ctx.store
    st.subheader(t("party_page.fig.heading", lang))
    options = _level_options(ctx)
    if st.session_state.get(LEVEL) not in options:
        st.session_state[LEVEL] = options[1]  # communities of a street, grids of a community
    by = st.radio(
        t("party_page.fig.by", lang),
        options,
        format_func=lambda v: t(f"party_page.fig.by_{v}", lang),
        horizontal=True,
        key=LEVEL,
    )
    table = _figures(store, ctx.street_id, ctx.community_id, by)
    if table.empty:
        return
    place = _place_column(table, by, place_names(store, ctx.street_id, lang), lang)
    # the shares come rounded (half up, as the headline): the format only adds the sign
    share = st.column_config.NumberColumn(format="%.0f%%")
    decimal = st.column_config.NumberColumn(format="%.1f")
    f = "party_page.fig."
    coverage, stars, prop = st.tabs(
        [t(f + "tab_coverage", lang), t(f + "tab_stars", lang), t(f + "tab_property", lang)]
    )
    with coverage:
        config = {
            t(f + c, lang): share
            for c in ("share_branch", "share_group", "share_head", "share_zone")
        }
        config[t(f + "members_per_100_households", lang)] = decimal
        show_table(
            _coverage_table(table, place, lang),
            hide_index=True,
            width="stretch",
            column_config=config,
        )
    with stars:
        show_table(_stars_table(table, place, lang), hide_index=True, width="stretch")
        st.caption(t(f + "stars_caption", lang))
    with prop:
        show_table(_property_table(table, place, lang), hide_index=True, width="stretch")


# -- gap lists and the printable summary ---------------------------------------------------
def _gap_table(frame: pd.DataFrame, names: dict[str, str], lang: str) -> pd.DataFrame:
    """A gap list with translated headers and place names (ids kept, last)."""
    g = "party_page.gaps.col."
    community = frame["community_id"].map(lambda v: names.get(v, v))
    if "compound_id" in frame.columns:
        mode = frame["mode"].map(
            lambda v: label(PropertyMode(v), lang) if isinstance(v, str) and v else "—"
        )
        return pd.DataFrame(
            {
                t(g + "compound", lang): frame["name"],
                t(g + "community", lang): community,
                t(g + "buildings", lang): frame["buildings"].astype(int),
                t(g + "households", lang): frame["households"].astype(int),
                t(g + "residents", lang): frame["residents"].astype(int),
                t(g + "mode", lang): mode,
                t(g + "compound_id", lang): frame["compound_id"],
            }
        )
    return pd.DataFrame(
        {
            t(g + "compound", lang): frame["compound_name"],
            t(g + "building", lang): frame["name"],
            t(g + "community", lang): community,
            t(g + "households", lang): frame["households"].astype(int),
            t(g + "residents", lang): frame["residents"].astype(int),
            t(g + "party_members", lang): frame["party_members"].astype(int),
            t(g + "building_id", lang): frame["building_id"],
        }
    )


@dataclass(frozen=True)
class _GapQuery:
    """Which gap list, in which order and language (a cache key)."""

    street_id: str
    community_id: str | None
    gap: str
    ascending: bool
    lang: str


@cached(max_entries=64)
def _gap_table_cached(store: Store, query: _GapQuery) -> pd.DataFrame:
    frame = _gaps(store, query.street_id, query.community_id)[query.gap]
    frame = frame.sort_values("residents", ascending=query.ascending, kind="stable")
    return _gap_table(frame, place_names(store, query.street_id, query.lang), query.lang)


def gap_section(ctx: StreetView) -> None:
    """The five gap lists (what is still uncovered), each sortable and downloadable."""
    lang = ctx.lang
    g = "party_page.gaps."
    store = ctx.store
    st.subheader(t(g + "title", lang))
    gaps = _gaps(store, ctx.street_id, ctx.community_id)
    order = st.radio(
        t(g + "order", lang),
        [DESCENDING, ASCENDING],
        format_func=lambda v: t(f"{g}order_{v}", lang),
        horizontal=True,
        key=GAP_ORDER,
    )
    # compounds without property management on record are not known to be three-nos or not
    unknown = len(gaps["property_unknown"])
    unknown_only = unknown and gaps["three_nos"].empty
    tabs = st.tabs(
        [
            t(g + "three_nos_unknown", lang)
            if gap == "three_nos" and unknown_only
            else t(f"{g}{gap}", lang, n=len(gaps[gap]))
            for gap in party.GAPS
        ]
    )
    for tab, gap in zip(tabs, party.GAPS, strict=True):
        with tab:
            if gap == "three_nos" and unknown:
                st.info(t(g + "property_unknown", lang, n=unknown), icon=":material/help:")
            if gaps[gap].empty:
                if not (gap == "three_nos" and unknown):
                    st.success(t(g + "none_left", lang), icon=":material/check_circle:")
                continue
            query = _GapQuery(
                street_id=ctx.street_id,
                community_id=ctx.community_id,
                gap=gap,
                ascending=order == ASCENDING,
                lang=lang,
            )
            table = _gap_table_cached(store, query)
            height: int | Literal["auto"] = "auto"
            if len(table) > GAP_ROWS_SHOWN:
                height = 38 + 35 * GAP_ROWS_SHOWN
            show_table(table, hide_index=True, width="stretch", height=height)
            stem = f"party-gaps-{gap}-{ctx.community_id or ctx.street_id}"
            key = KEY.format(f"download.{gap}")
            table_downloads(table, texts=g, lang=lang, stem=stem, key=key)


def _summary_labels(lang: str) -> dict[str, str]:
    f = "party_page.fig."
    keys = ("share_branch", "share_group", "share_head", "share_zone")
    labels = {key: t(f + key, lang) for key in keys}
    labels["members_per_100_households"] = t(f + "members_per_100_households", lang)
    for key in ("red_property", "three_nos", "joint_mechanism"):
        labels[key] = t(f + key, lang)
    labels |= _three_nos_texts(lang)
    for gap in party.GAPS:
        labels[gap] = t(f"party_page.summary.{gap}", lang)
    for key in ("compound", "building", "residents", "date"):
        labels[key] = t(f"party_page.summary.{key}", lang)
    labels["more"] = t("party_page.summary.more", lang, shown="{shown}", more="{more}")
    labels["counted"] = t("party_page.summary.counted", lang, what="{what}", n="{n}")
    labels["dated"] = t("party_page.summary.dated", lang, day="{day}")
    return labels


@cached(max_entries=16)
def _summary(
    store: Store,
    *,
    street_id: str,
    community_id: str,
    title: str,
    lang: str,
    day: dt.date,
) -> str:
    frames = street_frames(store, street_id)
    return partyprint.community_summary_html(
        frames, community_id, title=title, labels=_summary_labels(lang), today=day
    )


def summary_section(ctx: StreetView) -> None:
    """The one-page printable summary of a community: download it, or look at it first."""
    lang = ctx.lang
    s = "party_page.summary."
    store = ctx.store
    st.subheader(t(s + "heading", lang))
    names = place_names(store, ctx.street_id, lang)
    communities = data.community_list(ctx.store, ctx.street_id)
    options = dict(zip(communities["community_id"], display_names(communities, lang), strict=True))
    if not options:
        return
    if ctx.community_id in options:
        community_id = ctx.community_id
    else:
        community_id = st.selectbox(
            t(s + "community", lang),
            list(options),
            format_func=options.__getitem__,
            key=SUMMARY_COMMUNITY,
        )
    assert community_id is not None
    title = t(
        s + "title",
        lang,
        street=names.get(ctx.street_id, ctx.street_id),
        community=options[community_id],
    )
    page = _summary(
        store,
        street_id=ctx.street_id,
        community_id=community_id,
        title=title,
        lang=lang,
        day=ctx.today,
    )
    st.download_button(
        t(s + "download", lang),
        page.encode("utf-8"),
        file_name=f"party-summary-{community_id}-{ctx.today.isoformat()}.html",
        mime="text/html",
        icon=":material/print:",
        type="primary",
        key=KEY.format("download.summary"),
        on_click="ignore",
    )
    st.caption(t(s + "hint", lang))
    with st.expander(t(s + "preview", lang), icon=":material/visibility:"):
        st.iframe(page, height=720)
