"""Issue map (问题地图): click a building, work its issue ledger."""

import streamlit as st

from mapgov import ui
from mapgov.ui import help_circle, issues, issues_panel

view = ui.current_view()
ui.page_header(view, "issues")
ctx = issues.controls(view)
if ctx is not None:
    map_column, panel_column = st.columns([3, 2], gap="medium")
    with map_column:
        issues.issue_map_view(ctx)
        help_circle.help_section(ctx)
    with panel_column.container(height=issues.PANEL_HEIGHT, border=False):
        issues_panel.issue_panel(ctx)
