"""Data (数据): import, check and export."""

from mapgov import ui

view = ui.current_view()
ui.page_header(view, "data")
