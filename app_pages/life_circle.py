"""Life circle (生活圈): walking access to daily services, gaps and where to build next."""

import streamlit as st

from mapgov import ui
from mapgov.ui import life_circle, life_circle_compound, life_circle_whatif

view = ui.current_view()
ctx = life_circle.controls(view)
ui.page_header(view, "life_circle", title=life_circle.title(ctx))
if ctx is not None and life_circle.answerable(ctx):
    life_circle.headline(ctx)
    life_circle_compound.compound_panel(ctx)
    whatif = life_circle_whatif.switch(ctx)
    map_column, sites_column = st.columns([3, 2], gap="medium")
    if whatif is None:
        with map_column:
            life_circle.map_view(ctx)
        with sites_column:
            life_circle.site_panel(ctx)
    else:
        with map_column:
            life_circle_whatif.map_view(ctx, whatif)
        with sites_column:
            life_circle_whatif.panel(ctx, whatif)
        life_circle_whatif.figures(ctx, whatif)
    life_circle.figures(ctx)
    life_circle.gap_panel(ctx)
