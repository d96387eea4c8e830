"""A what-if scenario of the life-circle map as files: an Excel workbook, a CSV, GeoJSON.

The workbook has three sheets (the candidates, the figures by community, the buildings whose
reach changes) with headers in the reader's language; the CSV is the figures by community; the
GeoJSON holds the changed buildings (``status``: gained, lost or kept, and the ``candidate``
that reaches them) and the candidate points (``status`` "candidate"), with English keys and
codes, as data for other GIS tools.
"""

from __future__ import annotations

import json
from typing import Final

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from mapgov.core.crs import WGS84
from mapgov.core.errors import ValidationError
from mapgov.core.i18n import t
from mapgov.domain.lifecircle.whatif import ALL, WhatIfResult
from mapgov.io.exports import FORMATS, frame_bytes, workbook_bytes

__all__ = ["scenario_bytes", "scenario_geojson", "scenario_sheets"]

_STATUSES: Final = ("gained", "lost", "kept")


def _localized(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    table = (
        pd.DataFrame(frame.drop(columns=frame.geometry.name))
        if isinstance(frame, gpd.GeoDataFrame)
        else frame.copy()
    )
    if "status" in table:
        labels = {s: t(f"whatif.status.{s}", lang) for s in _STATUSES}
        table["status"] = table["status"].map(labels)
    if "community_id" in table and "community" in table:
        whole = table["community_id"] == ALL
        table.loc[whole, "community"] = t("whatif.col.all", lang)
    return table.rename(columns={c: t(f"whatif.col.{c}", lang) for c in table.columns})


def scenario_sheets(result: WhatIfResult, lang: str) -> dict[str, pd.DataFrame]:
    """The scenario's three tables with headers (and change labels) in `lang`.

    Parameters
    ----------
    result : WhatIfResult
        From :func:`mapgov.domain.lifecircle.whatif.what_if`.
    lang : str
        "zh" or "en".

    Returns
    -------
    dict of str to pandas.DataFrame
        Sheet name to table: the candidates, the figures by community (the whole scope
        last), the changed buildings (most residents first).
    """
    buildings = result.buildings.sort_values(
        ["residents", "building_id"], ascending=[False, True], kind="stable"
    )
    return {
        t("whatif.sheet.candidates", lang): _localized(result.candidates, lang),
        t("whatif.sheet.communities", lang): _localized(result.communities, lang),
        t("whatif.sheet.buildings", lang): _localized(buildings, lang),
    }


def scenario_geojson(result: WhatIfResult) -> bytes:
    """The changed buildings and the candidate points as one GeoJSON FeatureCollection.

    Parameters
    ----------
    result : WhatIfResult
        From :func:`mapgov.domain.lifecircle.whatif.what_if`.

    Returns
    -------
    bytes
        UTF-8 GeoJSON (WGS 84): buildings with ``building_id``, ``name``, ``community_id``,
        ``residents``, ``elderly``, ``status`` (gained, lost, kept), ``candidate`` (the first
        candidate reaching it, 0 for lost) and distances; then one point per candidate where
        it was placed, with ``status`` "candidate", its number, snapped position, snap
        distance and figures.
    """
    buildings = result.buildings.to_crs(WGS84)
    cands = result.candidates
    points = gpd.GeoDataFrame(
        cands.assign(status="candidate"),
        geometry=shapely.points(cands["lon"].to_numpy(float), cands["lat"].to_numpy(float)),
        crs=WGS84,
    )
    both = pd.concat([buildings, points], ignore_index=True)
    frame = gpd.GeoDataFrame(both, geometry="geometry", crs=WGS84)
    data = json.loads(frame_bytes(frame, ".geojson"))
    for feature in data["features"]:  # a building has no candidate columns, a point no ids
        feature["properties"] = {
            k: _plain_number(v) for k, v in feature["properties"].items() if v is not None
        }
    return json.dumps(data, ensure_ascii=False).encode("utf-8")


def _plain_number(value: object) -> object:
    """Whole numbers that went through a float column (pandas' concat) back as ints."""
    if isinstance(value, float) and np.isfinite(value) and value.is_integer():
        return int(value)
    return value


def scenario_bytes(result: WhatIfResult, suffix: str, lang: str) -> bytes:
    """The scenario as a file: ``.xlsx`` (three sheets), ``.csv`` (figures by community) or
    ``.geojson`` (buildings and candidate points).

    Parameters
    ----------
    result : WhatIfResult
        From :func:`mapgov.domain.lifecircle.whatif.what_if`.
    suffix : str
        The format.
    lang : str
        Language of the headers (Excel, CSV).

    Returns
    -------
    bytes
        The file.

    Raises
    ------
    ValidationError
        For a suffix that is not one of the three.
    """
    suffix = suffix.lower()
    if suffix == ".xlsx":
        return workbook_bytes(scenario_sheets(result, lang))
    if suffix == ".csv":
        figures = _localized(result.communities, lang)
        return frame_bytes(figures, ".csv")
    if suffix == ".geojson":
        return scenario_geojson(result)
    msg = f"unknown output format {suffix!r}; use one of {', '.join(FORMATS)}"
    raise ValidationError(msg)
