"""Streamlit glue of the life-circle page's compound card: a link naming a compound
(``/life-circle?compound=ID``, as the compounds' health card links here) opens, under the
headline, that compound's reach of every kind: which of its homes do not walk to each kind of
facility within its threshold (:func:`mapgov.views.life_circle.compound_gaps`).

The compound stays in the address until "show the whole community" takes it out; a compound
outside the street or community on screen is said so, and nothing else changes.
"""

from __future__ import annotations

from typing import Final

import pandas as pd
import streamlit as st

from mapgov.core.i18n import label, t
from mapgov.core.model import FacilityKind
from mapgov.ui.life_circle import LifeView, street_table
from mapgov.ui.widgets import show_table
from mapgov.views import life_circle as lv
from mapgov.views.life_circle import COMPOUND_GAP_COLUMNS

__all__ = ["COMPOUND", "compound_panel"]

COMPOUND: Final = "compound"
"""The query parameter naming the compound."""
TEXTS: Final = "life_compound."


def _leave() -> None:
    del st.query_params[COMPOUND]


def compound_panel(ctx: LifeView) -> None:
    """The named compound's reach of every kind; nothing when the address names none."""
    compound_id = st.query_params.get(COMPOUND)
    if not compound_id:
        return
    lang = ctx.lang
    table = lv.scope_rows(street_table(ctx), ctx.view.community_id)
    mine = table[table["compound_id"] == compound_id]
    if mine.empty:
        st.info(t(TEXTS + "not_here", lang), icon=":material/info:")
        return
    with st.container(border=True):
        name = str(mine["compound_name"].iloc[0])
        st.subheader(t(TEXTS + "heading", lang, name=name))
        gaps = lv.compound_gaps(table, compound_id, dict(ctx.limits))
        if gaps.empty:
            st.info(t(TEXTS + "no_homes", lang))
        else:
            _reach(ctx, mine, gaps)
        st.button(
            t(TEXTS + "leave", lang),
            on_click=_leave,
            icon=":material/close:",
            key="mapgov.life.compound.leave",
        )


def _reach(ctx: LifeView, mine: pd.DataFrame, gaps: pd.DataFrame) -> None:
    """The compound's complete-life-circle share (the figure the compounds' card gives, at the
    tier its link sets) and the homes beyond each kind's threshold."""
    lang = ctx.lang
    share = lv.headline(mine, ctx.settings.kind)["share_complete"]
    st.metric(
        t("life.metric_complete", lang), f"{share:.0%}", help=t(TEXTS + "complete_help", lang)
    )
    if int(gaps["buildings_uncovered"].sum()) == 0:
        st.success(t(TEXTS + "all_reached", lang))
        return
    shown = gaps.assign(
        kind=[label(FacilityKind(k), lang) for k in gaps["kind"]],
        metres=[f"{m:,.0f}" for m in gaps["metres"]],
    )
    headers = {c: t(TEXTS + f"col.{c}", lang) for c in COMPOUND_GAP_COLUMNS}
    show_table(shown.rename(columns=headers), hide_index=True, width="stretch")
    st.caption(t(TEXTS + "caption", lang))
