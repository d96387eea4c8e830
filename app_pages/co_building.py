"""Co-building (共建共享): resident units, the three lists, micro-wishes and volunteer service."""

import streamlit as st

from mapgov import ui
from mapgov.ui import co_building, co_building_forms

view = ui.current_view()
ui.page_header(view, "co_building")
ctx = co_building.controls(view)
if ctx is not None:
    ui.scope_header(view)
    co_building.headline(ctx)
    map_column, panel_column = st.columns([3, 2], gap="medium")
    map_slot = map_column.container()  # drawn last: its lines follow what the panels chose
    with panel_column:  # its full height: a box that scrolls inside cut the pair button
        co_building.matching_panel(ctx)
    st.divider()
    co_building_forms.record_panel(ctx)
    with map_slot:
        co_building.map_view(ctx)
    co_building_forms.new_records(ctx)
    st.divider()
    co_building.lists_section(ctx)
    st.divider()
    co_building.figures_section(ctx)
