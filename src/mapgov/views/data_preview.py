"""The data page's map: an imported layer as it would be stored, before it lands.

Moved out of :mod:`mapgov.views.maps` (issue 18): one concern a module.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

import folium
import geopandas as gpd
import numpy as np

from mapgov.views.maps import base_map, escaped, light_copy

__all__ = ["PREVIEW_COLOR", "PREVIEW_MAX_FEATURES", "PROBLEM_COLOR", "preview_map"]

PREVIEW_COLOR: Final = "#1F5FA8"
PROBLEM_COLOR: Final = "#D4380D"
PREVIEW_MAX_FEATURES: Final = 20_000


def _preview_style(feature: dict[str, Any]) -> dict[str, Any]:
    colour = PROBLEM_COLOR if feature["properties"]["bad"] else PREVIEW_COLOR
    return {"color": colour, "weight": 1.5, "fillColor": colour, "fillOpacity": 0.25}


def preview_map(
    frame: gpd.GeoDataFrame,
    *,
    label: str | None = None,
    bad_rows: Sequence[int] = (),
    first_row: int = 1,
    tooltip_alias: str = "",
) -> folium.Map:
    """An imported layer as it would be stored, rows with problems in red.

    Parameters
    ----------
    frame
        The prepared layer (EPSG:4326); at most :data:`PREVIEW_MAX_FEATURES` rows are drawn.
    label
        Column shown on hover (escaped: it is the file's text).
    bad_rows
        Row numbers (as the problems name them) to draw in :data:`PROBLEM_COLOR`.
    first_row
        Row number of the frame's first row.
    """
    shown = frame.iloc[:PREVIEW_MAX_FEATURES]
    shown = shown[shown.geometry.notna() & ~shown.geometry.is_empty]
    rows = np.arange(len(frame))[: len(shown)] + first_row
    data = light_copy(shown, [label] if label else [])
    data["bad"] = np.isin(rows, np.asarray(list(bad_rows), dtype=int)) if len(rows) else []
    data["row"] = rows
    fields = ["row"]
    aliases = ["#"]
    if label:
        data[label] = escaped(data[label])
        fields.append(label)
        aliases.append(tooltip_alias or label)
    bounds = tuple(shown.total_bounds) if len(shown) else None
    fmap = base_map(bounds=bounds)  # type: ignore[arg-type]
    folium.GeoJson(
        data,
        name="preview",
        style_function=_preview_style,
        marker=folium.CircleMarker(radius=4, weight=1, fill=True, fill_opacity=0.8),
        tooltip=folium.GeoJsonTooltip(fields=fields, aliases=aliases),
    ).add_to(fmap)
    return fmap
