"""What the AppTest page tests share: open a page as a user, check it ran clean, click its map.

A map click cannot be made headless without Streamlit internals: :func:`click_map` is the one
place that uses them (it sends the value the st_folium frontend would send). Real clicks are
made in the browser tests.
"""

from __future__ import annotations

import json
from pathlib import Path

from streamlit.proto.WidgetStates_pb2 import WidgetState
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]


def open_page(
    page: str,
    *,
    lang: str = "zh",
    user: str | None = None,
    community: str | None = None,
    timeout: float = 90,
) -> AppTest:
    """Run app.py with the page's query (language, user, community), then switch to
    ``app_pages/<page>.py`` as the navigation does."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=timeout)
    query = {"lang": lang} | ({"user": user} if user else {})
    at.query_params.update(query | ({"community": community} if community else {}))
    at.run()
    return at.switch_page(f"app_pages/{page}.py").run()


def ok(at: AppTest) -> None:
    """The run raised nothing and showed no error box."""
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def click_map(at: AppTest, lon: float, lat: float) -> AppTest:
    """Click the page's folium map at (lon, lat), as the st_folium frontend reports it.

    The component's widget state is set to the value the browser would send
    (``last_object_clicked``), so its ``on_change`` callback and the rerun happen as in a
    real session.
    """
    (component,) = [
        c for c in at.get("component_instance") if c.proto.component_name.endswith("st_folium")
    ]
    value = {"last_object_clicked": {"lat": lat, "lng": lon}}
    states = at._tree.get_widget_states()
    states.widgets.append(WidgetState(id=component.proto.id, json_value=json.dumps(value)))
    return at._run(states)
