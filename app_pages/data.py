"""Data (数据): import, check and export."""

import streamlit as st

from mapgov import ui
from mapgov.core.i18n import t
from mapgov.ui import data as data_io

view = ui.current_view()
ui.page_header(view, "data")
ctx = data_io.controls(view)
data_io.flash()
layer_tab, table_tab, osm_tab, export_tab, qr_tab, backup_tab = st.tabs(
    [
        t(f"data_page.tab.{name}", view.lang)
        for name in ("layer", "table", "osm", "export", "qr", "backup")
    ]
)
with layer_tab:
    data_io.import_layer_section(ctx)
with table_tab:
    data_io.import_table_section(ctx)
with osm_tab:
    data_io.osm_section(ctx)
with export_tab:
    data_io.export_section(ctx)
with qr_tab:
    data_io.qr_section(ctx)
with backup_tab:
    data_io.backup_section(ctx)
