"""The life-circle page's "what if" mode drawn: candidate sites and changed buildings on the map.

:func:`scenario_layer` turns a :class:`~mapgov.domain.lifecircle.whatif.WhatIfResult` into one
folium layer (the buildings whose reach changes, coloured by change, and each candidate where
it joins the walking network, with a dashed line from the point clicked and its snap distance).
It is meant for ``st_folium(feature_group_to_add=...)``, which adds it to the map already on
the page without reloading that map, so a click is answered without redrawing thousands of
buildings. :func:`whatif_legend_rows` are the legend lines the page's map carries in this mode;
:func:`click_site` reads the point clicked from the map's value; :func:`facility_choices` names
the facilities that may be closed; :func:`headline_figures` are the figures shown first. Texts
come translated (:class:`WhatIfMapLabels`) and everything shown is HTML-escaped here.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import folium
import geopandas as gpd
import numpy as np

from mapgov.core.i18n import catalogue
from mapgov.domain.lifecircle.whatif import WhatIfResult
from mapgov.views import maps

__all__ = [
    "CANDIDATE_CLASS",
    "CANDIDATE_COLOR",
    "CLOSED_COLOR",
    "GAINED_COLOR",
    "KEPT_COLOR",
    "LOST_COLOR",
    "STATUS_COLORS",
    "WHATIF_BUILDING_CLASS",
    "WhatIfMapLabels",
    "click_site",
    "facility_choices",
    "headline_figures",
    "scenario_layer",
    "whatif_legend_rows",
    "whatif_map_labels",
]

GAINED_COLOR: Final = "#2C7FB8"
"""Fill of a building a candidate newly brings within reach."""
LOST_COLOR: Final = "#F28E2B"
"""Fill of a building that loses reach when the chosen facilities close."""
KEPT_COLOR: Final = "#FFD92F"
"""Fill of a building a closing would lose and a candidate keeps in reach."""
CANDIDATE_COLOR: Final = "#C51B7D"
"""Fill of a candidate site's marker (and its line to the road)."""
_WRAP: Final = "white-space: normal; width: 16em;"
"""A candidate's tooltip is a sentence: wrapped, so that it stays inside the map (Leaflet
keeps a tooltip on one line)."""

STATUS_COLORS: Final = {"gained": GAINED_COLOR, "lost": LOST_COLOR, "kept": KEPT_COLOR}
WHATIF_BUILDING_CLASS: Final = "mapgov-whatif-building"
"""CSS class of every changed building's polygon (browser tests count them)."""
CANDIDATE_CLASS: Final = "mapgov-whatif-candidate"
"""CSS class of every candidate's numbered marker."""
CLOSED_COLOR: Final = "#6B6B6B"
"""Fill of a facility the scenario closes (drawn over its dark-blue dot)."""
_CANDIDATE_ICON = (
    '<div style="transform:translate(-50%,-50%);width:24px;height:24px;border-radius:4px;'
    f"background:{CANDIDATE_COLOR};color:#fff;border:2px solid #fff;box-shadow:0 0 3px #333;"
    'font:700 13px/24px sans-serif;text-align:center">{number}</div>'
)
_building_style = maps.Styler(
    {"color": "#1F2329", "weight": 1.5, "fillColor": maps.FILL, "fillOpacity": 0.95}
)
_building_highlight = _building_style.but(weight=3)


@dataclass(frozen=True)
class WhatIfMapLabels:
    """Translated texts of the what-if layer and legend (English defaults; the UI passes the
    catalogue's). They are HTML-escaped where drawn."""

    gained: str = "Newly within reach"
    lost: str = "Loses reach"
    kept: str = "Kept in reach by a candidate"
    candidate: str = "Candidate site"
    closed: str = "Closed in the scenario"
    candidate_tip: str = (
        "Candidate site {n}: {m} m to the nearest walkable road; {gained} residents gained"
    )
    closed_tip: str = "Closed in the scenario: {name}"
    building: str = "Building"
    compound: str = "Compound"
    residents: str = "Residents"
    elderly: str = "Elderly residents"
    before: str = "Walk now"
    after: str = "Walk in the scenario"
    beyond: str = "out of reach"
    status: str = "Change"
    metres: str = "m"


def whatif_legend_rows(labels: WhatIfMapLabels | None = None) -> list[maps.LegendRow]:
    """The legend lines of the what-if layer: the three changes and the candidate marker.

    Parameters
    ----------
    labels
        Translated texts; English if ``None``.

    Returns
    -------
    list of maps.LegendRow
        Gained, lost, kept, candidate, closed facility (texts not escaped:
        :func:`maps.legend_html` does).

    Examples
    --------
    >>> [row.text for row in whatif_legend_rows()][:2]
    ['Newly within reach', 'Loses reach']
    """
    labels = labels or WhatIfMapLabels()
    base = maps.SWATCH.format(colour="transparent")
    rows = [
        maps.LegendRow(getattr(labels, status), maps.swatch(f"{base};background:{colour}"))
        for status, colour in STATUS_COLORS.items()
    ]
    marker = f"{base};background:{CANDIDATE_COLOR};border:2px solid #fff;border-radius:3px"
    rows.append(maps.LegendRow(labels.candidate, maps.swatch(marker)))
    shut = f"{base};background:{CLOSED_COLOR};border:2px solid {LOST_COLOR};border-radius:50%"
    rows.append(maps.LegendRow(labels.closed, maps.swatch(shut)))
    return rows


def _metres_text(values: np.ndarray, labels: WhatIfMapLabels) -> list[str]:
    return [
        html.escape(f"{v:,.0f} {labels.metres}" if np.isfinite(v) else labels.beyond)
        for v in values.astype(float)
    ]


def _buildings_layer(result: WhatIfResult, labels: WhatIfMapLabels) -> folium.GeoJson | None:
    changed = result.buildings
    if changed.empty:
        return None
    data = maps.light_copy(changed, ["name", "compound_name", "residents", "elderly", "status"])
    status = data["status"].to_numpy(dtype=object)
    shown = gpd.GeoDataFrame(
        {
            "label": maps.escaped(data["name"]),
            "compound": maps.escaped(data["compound_name"]),
            "residents": data["residents"].to_numpy(dtype=int),
            "elderly": data["elderly"].to_numpy(dtype=int),
            "before": _metres_text(changed["distance_before_m"].to_numpy(), labels),
            "after": _metres_text(changed["distance_after_m"].to_numpy(), labels),
            "status": [html.escape(getattr(labels, s)) for s in status],
            maps.FILL: [STATUS_COLORS[s] for s in status],
        },
        geometry=data.geometry,
        crs=data.crs,
    )
    fields = ["label", "compound", "residents", "elderly", "before", "after", "status"]
    names = ("building", "compound", "residents", "elderly", "before", "after", "status")
    return folium.GeoJson(
        shown,
        name=html.escape(labels.gained),
        style_function=_building_style,
        highlight_function=_building_highlight,
        tooltip=folium.GeoJsonTooltip(
            fields=fields, aliases=[html.escape(getattr(labels, n)) for n in names]
        ),
        className=WHATIF_BUILDING_CLASS,
    )


def scenario_layer(
    result: WhatIfResult,
    labels: WhatIfMapLabels | None = None,
    closed: gpd.GeoDataFrame | None = None,
) -> folium.FeatureGroup:
    """The scenario as one layer: changed buildings, then each candidate.

    A changed building is filled by its change (:data:`STATUS_COLORS`) with a tooltip
    (name, compound, residents, elderly, walk now and in the scenario, change). A candidate is
    a numbered marker (CSS class :data:`CANDIDATE_CLASS`) where it joins the walking network,
    with a dashed line from the point clicked, a dot there, and a tooltip saying its snap
    distance and the residents it alone brings within reach. A closed facility (`closed`) is
    a grey dot ringed in orange, with its name.

    Parameters
    ----------
    result
        From :func:`mapgov.domain.lifecircle.whatif.what_if`.
    labels
        Translated texts; English if ``None``.
    closed
        The facilities the scenario closes, EPSG:4326 points with ``label`` (their name), or
        ``None``.

    Returns
    -------
    folium.FeatureGroup
        Not in the layer control; empty for an empty scenario.
    """
    labels = labels or WhatIfMapLabels()
    group = folium.FeatureGroup(name=html.escape(labels.candidate), control=False)
    layer = _buildings_layer(result, labels)
    if layer is not None:
        layer.add_to(group)
    if closed is not None and not closed.empty:
        shut = maps.light_copy(closed, ["label"])
        for point, name in zip(shut.geometry, shut["label"], strict=True):
            folium.CircleMarker(
                (point.y, point.x),
                radius=8,
                color=LOST_COLOR,
                weight=3,
                fill=True,
                fill_color=CLOSED_COLOR,
                fill_opacity=1,
                tooltip=folium.Tooltip(_tooltip_text(labels.closed_tip.format(name=name))),
            ).add_to(group)
    for row in result.candidates.itertuples(index=False):
        number = int(row.candidate)
        clicked = (float(row.lat), float(row.lon))
        road = (float(row.snapped_lat), float(row.snapped_lon))
        text = _tooltip_text(
            labels.candidate_tip.format(
                n=number, m=f"{row.snap_m:,.0f}", gained=f"{int(row.residents_gained):,}"
            )
        )
        folium.PolyLine(
            [clicked, road],
            color=CANDIDATE_COLOR,
            weight=2,
            dash_array="4 4",
            tooltip=folium.Tooltip(text, style=_WRAP),
        ).add_to(group)
        folium.CircleMarker(
            clicked, radius=3, color=CANDIDATE_COLOR, fill=True, fill_opacity=1, weight=1
        ).add_to(group)
        folium.Marker(
            road,
            icon=folium.DivIcon(
                html=_CANDIDATE_ICON.format(number=number),
                icon_size=(0, 0),
                class_name=CANDIDATE_CLASS,
            ),
            tooltip=folium.Tooltip(text, style=_WRAP),
        ).add_to(group)
    return group


def _tooltip_text(value: object) -> str:
    """`value` safe inside a folium tooltip: HTML-escaped, and no backtick, ``$`` or
    backslash (folium puts tooltip text in a JavaScript template literal)."""
    text = html.escape(str(value))
    return text.replace("`", "&#96;").replace("$", "&#36;").replace("\\", "&#92;")


def click_site(value: object) -> tuple[float, float] | None:
    """(lon, lat) of the point last clicked on the map, from a value of ``st_folium`` asked
    for ``last_clicked``; ``None`` if there is none (or it is not a finite point).

    Parameters
    ----------
    value
        The map's value (a dict, or anything else before the first click).

    Returns
    -------
    tuple of float or None
        Longitude and latitude in degrees.

    Examples
    --------
    >>> click_site({"last_clicked": {"lat": 34.68, "lng": 112.43}})
    (112.43, 34.68)
    >>> click_site({"last_clicked": None}) is None
    True
    """
    if not isinstance(value, dict):
        return None
    clicked = value.get("last_clicked")
    if not isinstance(clicked, dict):
        return None
    try:
        lon, lat = float(clicked["lng"]), float(clicked["lat"])
    except (KeyError, TypeError, ValueError):
        return None
    if not (math.isfinite(lon) and math.isfinite(lat)):
        return None
    return lon, lat


def facility_choices(facilities: gpd.GeoDataFrame, ids: Sequence[str]) -> dict[str, str]:
    """What to call each facility that may be closed, for a select box: its name, with its id
    when two share a name (or its id alone when it has no name). Plain text, not HTML.

    Parameters
    ----------
    facilities
        Facilities with ``facility_id`` and ``name``.
    ids
        The ids to name (the kind's facilities, in their order).

    Returns
    -------
    dict of str to str
        Id to label, sorted by label.

    Examples
    --------
    >>> import pandas as pd
    >>> f = pd.DataFrame({"facility_id": ["A", "B", "C"], "name": ["食堂", "食堂", None]})
    >>> facility_choices(f, ["C", "B", "A"])
    {'C': 'C', 'A': '食堂 (A)', 'B': '食堂 (B)'}
    """
    names = dict(zip(facilities["facility_id"].astype(str), facilities["name"], strict=True))
    plain = {
        i: str(names[i]) if isinstance(names.get(i), str) and names[i].strip() else i
        for i in map(str, ids)
    }
    counts: dict[str, int] = {}
    for text in plain.values():
        counts[text] = counts.get(text, 0) + 1
    labels = {i: f"{text} ({i})" if counts[text] > 1 else text for i, text in plain.items()}
    return dict(sorted(labels.items(), key=lambda item: (item[1], item[0])))


HEADLINE: Final = (
    "residents_gained",
    "elderly_gained",
    "buildings_gained",
    "residents_lost",
    "residents_net",
)
"""The figures shown first, in order (keys of :attr:`WhatIfResult.totals`)."""


def headline_figures(
    result: WhatIfResult, community_id: str | None = None
) -> list[tuple[str, int]]:
    """The scenario's first figures: (key, value) in the order of :data:`HEADLINE`.

    Parameters
    ----------
    result
        From :func:`mapgov.domain.lifecircle.whatif.what_if`.
    community_id
        The community the page is narrowed to: its row of ``result.communities`` (nothing
        changes there when it has none); None for the whole street.

    Returns
    -------
    list of (str, int)
        Residents, elderly and buildings gained, residents lost, residents net.
    """
    if community_id is None:
        return [(key, int(result.totals[key])) for key in HEADLINE]
    rows = result.communities[result.communities["community_id"] == community_id]
    return [(key, int(rows[key].sum())) for key in HEADLINE]


def whatif_map_labels(lang: str) -> WhatIfMapLabels:
    """The what-if layer's texts in `lang`, from the catalogue (``whatif_page.map.*``).

    Parameters
    ----------
    lang
        "zh" or "en".

    Returns
    -------
    WhatIfMapLabels
        Every field from the catalogue.
    """
    texts = catalogue(lang)
    return WhatIfMapLabels(
        **{name: texts[f"whatif_page.map.{name}"] for name in WhatIfMapLabels.__dataclass_fields__}
    )
