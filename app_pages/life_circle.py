"""Life circle (生活圈): walking access to daily services."""

from mapgov import ui

view = ui.current_view()
ui.page_header(view, "life_circle")
