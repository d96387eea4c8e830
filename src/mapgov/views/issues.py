"""One pin per open issue on the issue map (FixMyStreet's basic view).

:func:`open_issue_pins` reads the open issues the map's filters select, each at its own
location, with what its tooltip says (category, status, days since it was reported);
:func:`pin_layer` draws them as small filled circles coloured by status (Leaflet's own
CircleMarker: no plugin, nothing from a CDN), :func:`pin_legend_html` is their legend rows.
The texts come translated and are HTML-escaped here.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Mapping
from typing import Any, Final

import folium
import geopandas as gpd
import pandas as pd

from mapgov.core.crs import WGS84
from mapgov.core.i18n import label
from mapgov.core.model import IssueCategory, IssueStatus
from mapgov.domain.issues import OPEN_STATUSES, community_issues
from mapgov.store import Store

__all__ = ["PIN_CLASS", "PIN_COLORS", "open_issue_pins", "pin_layer", "pin_legend_html"]

PIN_COLORS: Final[Mapping[str, str]] = {
    IssueStatus.REPORTED.value: "#D7301F",
    IssueStatus.ASSIGNED.value: "#F16913",
    IssueStatus.IN_PROGRESS.value: "#6A51A3",
    IssueStatus.RESOLVED.value: "#2171B5",
    IssueStatus.CALLBACK.value: "#238B45",
}
"""Fill of a pin by the issue's status (every open status; closed issues get no pin)."""
PIN_CLASS: Final = "mapgov-issue-pin"
"""CSS class of every pin (browser tests count ``path.mapgov-issue-pin``)."""
_PIN_RADIUS: Final = 4


def open_issue_pins(
    store: Store, community_id: str, *, today: dt.date, lang: str, **filters: Any
) -> gpd.GeoDataFrame:
    """The open issues of a community that `filters` select, one point each (EPSG:4326).

    Parameters
    ----------
    filters
        As for :func:`mapgov.domain.issues.community_issues` (categories, statuses, levels, dates).

    Returns
    -------
    GeoDataFrame
        [issue_id, status, category_text, status_text, days, geometry]: texts in `lang`,
        not escaped; `days` since the report, to `today`. Issues without a location are left
        out.
    """
    frame = community_issues(store, community_id, **filters)
    frame = frame[frame["status"].isin(OPEN_STATUSES) & frame["lon"].notna()]
    frame = frame[frame["lat"].notna()].reset_index(drop=True)
    reported = pd.to_datetime(frame["reported_at"].str.slice(0, 10))
    days = (pd.Timestamp(today) - reported).dt.days.clip(lower=0)
    return gpd.GeoDataFrame(
        {
            "issue_id": frame["issue_id"],
            "status": frame["status"],
            "category_text": [label(IssueCategory(c), lang) for c in frame["category"]],
            "status_text": [label(IssueStatus(s), lang) for s in frame["status"]],
            "days": days.astype(int),
        },
        geometry=gpd.points_from_xy(frame["lon"], frame["lat"]),
        crs=WGS84,
    )


def _pin_style(feature: dict[str, Any]) -> dict[str, Any]:
    fill = PIN_COLORS.get(feature["properties"]["status"], "#555555")
    return {"color": "#FFFFFF", "weight": 1, "fill": True, "fillColor": fill, "fillOpacity": 0.95}


def pin_layer(
    pins: gpd.GeoDataFrame, *, name: str, category: str, status: str, days: str
) -> folium.GeoJson:
    """The pins of :func:`open_issue_pins` as one layer named `name`, with a tooltip of the
    category, status and days (the other arguments are the tooltip's row names)."""
    esc = html.escape
    data = gpd.GeoDataFrame(
        {
            "status": pins["status"],
            "category": [esc(str(v)) for v in pins["category_text"]],
            "state": [esc(str(v)) for v in pins["status_text"]],
            "days": pins["days"].astype(int),
        },
        geometry=pins.geometry.set_precision(1e-7),
        crs=WGS84,
    )
    return folium.GeoJson(
        data,
        name=esc(name),
        marker=folium.CircleMarker(radius=_PIN_RADIUS, className=PIN_CLASS),
        style_function=_pin_style,
        tooltip=folium.GeoJsonTooltip(
            fields=["category", "state", "days"],
            aliases=[esc(category), esc(status), esc(days)],
        ),
    )


def pin_legend_html(title: str, names: Mapping[str, str]) -> str:
    """Legend rows of the pins: a dot of each status colour and its name from `names`
    (status → text; statuses not in `names` have no pin on the map and no row)."""
    dot = (
        "display:inline-block;width:9px;height:9px;border-radius:50%;margin:0 8px 0 3px;"
        "border:1px solid #fff;box-shadow:0 0 0 1px #8A8A8A;background:{colour}"
    )
    rows = [f'<div style="margin-top:4px"><b>{html.escape(title)}</b></div>']
    for value, colour in PIN_COLORS.items():
        if value in names:
            text = html.escape(names[value])
            rows.append(f'<div><span style="{dot.format(colour=colour)}"></span>{text}</div>')
    return "".join(rows) + "</div>"
