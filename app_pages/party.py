"""Party coverage (党建覆盖): branches, groups and responsibility zones."""

import streamlit as st

from mapgov import ui
from mapgov.ui import party, party_figures, party_scorecard

view = ui.current_view()
ui.page_header(view, "party")
ctx = party.controls(view)
if ctx is not None:
    ui.scope_header(view)
    party_figures.headline(ctx)
    map_column, card_column = st.columns([3, 2], gap="medium")
    with map_column:
        party.party_map_view(ctx)
    with card_column.container(height=party.PANEL_HEIGHT, border=False):
        party.governance_card(ctx)
    st.divider()
    party_figures.breakdown(ctx)
    st.divider()
    party_figures.gap_section(ctx)
    st.divider()
    party_figures.summary_section(ctx)
    st.divider()
    party_scorecard.section(ctx)
