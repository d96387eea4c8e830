"""Compound health (小区体检): scores, early warnings and each compound's profile."""

import streamlit as st

from mapgov import ui
from mapgov.ui import compounds

view = ui.current_view()
ui.page_header(view, "compounds")
ctx = compounds.controls(view)
if ctx is not None:
    ui.scope_header(ctx.view)  # staff: their own community
    with st.columns([1, 3])[0]:
        month = compounds.month_picker(ctx)
    compounds.headline(ctx, month)
    map_column, card_column = st.columns([3, 2], gap="medium")
    with map_column:
        compounds.map_view(ctx, month)
    with card_column.container(height=compounds.PANEL_HEIGHT, border=False):
        compounds.card(ctx, month)
    st.divider()
    compounds.list_section(ctx, month)
