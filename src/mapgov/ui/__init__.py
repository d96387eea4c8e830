"""Streamlit glue: the only part of mapgov that imports streamlit.

Pages import this package and call its functions; they hold layout only. See
:mod:`mapgov.ui.shell` (navigation, sidebar, first start), :mod:`mapgov.ui.state` (the view
carried in the URL), :mod:`mapgov.ui.loaders` (cached loaders) and :mod:`mapgov.ui.widgets`.
"""

from __future__ import annotations

from mapgov.ui.shell import PAGES, build_pages, run_app
from mapgov.ui.state import View, current_view
from mapgov.ui.widgets import (
    community_map,
    page_header,
    place_metrics,
    scope_header,
    scope_title,
    show_errors,
    show_map,
)

__all__ = [
    "PAGES",
    "View",
    "build_pages",
    "community_map",
    "current_view",
    "page_header",
    "place_metrics",
    "run_app",
    "scope_header",
    "scope_title",
    "show_errors",
    "show_map",
]
