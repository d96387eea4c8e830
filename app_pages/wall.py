"""Wall screen (大屏): the whole street at a glance; ``?kiosk=1`` for the command room."""

from mapgov import ui
from mapgov.ui import wall

wall.wall_screen(ui.current_view())
