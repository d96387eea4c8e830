"""Party coverage (党建覆盖): branches, groups and responsibility zones."""

from mapgov import ui

view = ui.current_view()
ui.page_header(view, "party")
