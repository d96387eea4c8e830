"""Deliberation (议事协商): the four-step deliberation of the compounds, step by step."""

import streamlit as st

from mapgov import ui
from mapgov.ui import deliberation

view = ui.current_view()
ui.page_header(view, "deliberation")
ctx = deliberation.controls(view)
if ctx is not None:
    ui.scope_header(ctx.view)  # staff: their own community
    deliberation.figures_section(ctx)
    st.divider()
    deliberation.list_section(ctx)
    st.divider()
    deliberation.matter_section(ctx)
    st.divider()
    deliberation.propose_section(ctx)
