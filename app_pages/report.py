"""Report (报事): the phone page a building's QR code opens, open without signing in."""

from mapgov import ui
from mapgov.ui import report

report.report_page(ui.current_view())
