"""Issue map (问题地图): the issue ledger on the map."""

from mapgov import ui

view = ui.current_view()
ui.page_header(view, "issues")
