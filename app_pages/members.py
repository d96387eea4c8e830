"""Party members' service (党员服务): in-service members' registration, tasks and points."""

import streamlit as st

from mapgov import ui
from mapgov.ui import members

view = ui.current_view()
ui.page_header(view, "members")
ctx = members.controls(view)
if ctx is not None:
    members.header(ctx)
    with ui.show_errors(view.lang):  # a wrong points profile (MAPGOV_MEMBER_POINTS) says so
        members.ranking_section(ctx)
        st.divider()
        members.record_section(ctx)
        st.divider()
        members.forms_section(ctx)
