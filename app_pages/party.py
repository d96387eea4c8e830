"""Party coverage (党建覆盖): branches, groups and responsibility zones."""

import streamlit as st

from mapgov import ui
from mapgov.ui import party

view = ui.current_view()
ui.page_header(view, "party")
ctx = party.controls(view)
if ctx is not None:
    ui.scope_header(view)
    party.headline(ctx)
    map_column, card_column = st.columns([3, 2], gap="medium")
    with map_column:
        party.party_map_view(ctx)
    with card_column.container(height=party.PANEL_HEIGHT, border=False):
        party.governance_card(ctx)
    st.divider()
    party.breakdown(ctx)
    st.divider()
    party.gap_section(ctx)
    st.divider()
    party.summary_section(ctx)
