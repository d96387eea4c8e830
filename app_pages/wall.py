"""Wall screen (大屏): the whole street at a glance."""

from mapgov import ui

view = ui.current_view()
ui.page_header(view, "wall")
ui.scope_header(view)
ui.place_metrics(view)
ui.community_map(view)
