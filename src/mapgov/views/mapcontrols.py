"""Script that every folium map of the app carries: its furniture (scale bar, credit, how a
click takes the keyboard focus) and the fixed legend box.

Both are branca ``MacroElement``: their script runs after the map is made, inside the map's
own page (the streamlit-folium iframe). They load nothing from outside.
"""

from __future__ import annotations

from branca.element import MacroElement
from jinja2 import Template

__all__ = ["MapFurniture", "MapLegend"]


class MapFurniture(MacroElement):
    """A scale bar in metres only, Leaflet's credit without the flag that its default
    attribution prefix carries (a government map shows no national symbol but its own), and
    a first click that does not scroll the page.

    Credits of tiles and data (OpenStreetMap) stay with their layers.

    The click: Leaflet's keyboard handler focuses the map on ``mousedown`` (so that the
    arrow keys pan it) and then undoes the scroll of the map's own window only. In the
    streamlit-folium iframe the focus scrolls the app's page too when the map is not wholly
    on screen; the polygon under the button then moves away before ``mouseup``, the browser
    gives the click to the map rather than the polygon, and the first click on a map cut by
    the window's edge was lost. Here the focus is taken with ``preventScroll``: the keys
    still work, nothing moves.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        L.control.scale({metric: true, imperial: false}).addTo({{ this._parent.get_name() }});
        {{ this._parent.get_name() }}.attributionControl.setPrefix({{ this.prefix|tojson }});
        (function (keyboard) {
            if (!keyboard) { return; }
            var enabled = keyboard.enabled();
            keyboard.disable();
            keyboard._onMouseDown = function () {
                if (!this._focused) { this._map.getContainer().focus({preventScroll: true}); }
            };
            if (enabled) { keyboard.enable(); }
        })({{ this._parent.get_name() }}.keyboard);
        {% endmacro %}
        """
    )

    def __init__(self) -> None:
        super().__init__()
        self._name = "MapgovFurniture"
        self.prefix = '<a href="https://leafletjs.com" title="Leaflet">Leaflet</a>'


class MapLegend(MacroElement):
    """A fixed legend box drawn by Leaflet itself (a control: no external script or CSS)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.control({position: "bottomright"});
        {{ this.get_name() }}.onAdd = function () {
            var div = L.DomUtil.create("div", "mapgov-legend");
            div.innerHTML = {{ this.html|tojson }};
            L.DomEvent.disableClickPropagation(div);
            return div;
        };
        {{ this.get_name() }}.addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, html_text: str, *, name: str = "MapgovLegend") -> None:
        super().__init__()
        self._name = name
        self.html = html_text
