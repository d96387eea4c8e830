"""Finding compounds and buildings: the compounds of a street (:func:`street_compounds`), a
building by its name or number (:func:`search_buildings`) or under a map click
(:class:`BuildingLocator`).

The issue map, the party page, the KPIs and the life-circle coverage read places through these.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from mapgov.store import Store

__all__ = ["BuildingLocator", "Hit", "search_buildings", "street_compounds"]


def street_compounds(
    store: Store,
    columns: Sequence[str],
    *,
    street_id: str | None = None,
    community_id: str | None = None,
) -> pd.DataFrame:
    """The compounds of a street, or of one community (of every street without either), with
    the grid, community and street they belong to.

    Parameters
    ----------
    store : Store
        The database to read.
    columns : sequence of str
        The ``compound`` columns to read; they must include ``compound_id`` and ``grid_id``.
    street_id : str or None
        Keep the compounds of this street only.
    community_id : str or None
        Keep the compounds of this community only.

    Returns
    -------
    pandas.DataFrame
        `columns`, then ``community_id`` and ``street_id``; a GeoDataFrame when `columns` has
        ``geom``.
    """
    com = store.read("community", columns=["community_id", "street_id"])
    if street_id:
        com = com[com["street_id"] == street_id]
    if community_id:
        com = com[com["community_id"] == community_id]
    grids = store.read(
        "grid",
        where={"community_id": list(com["community_id"])},
        columns=["grid_id", "community_id"],
    )
    comps = store.read("compound", where={"grid_id": list(grids["grid_id"])}, columns=list(columns))
    return comps.merge(grids, on="grid_id").merge(com, on="community_id")


def search_buildings(
    store: Store, text: str, *, community_id: str | None = None, limit: int = 20
) -> pd.DataFrame:
    """Buildings whose compound name, building name or number match every word of `text`.

    "3号楼", "幸福 3" and "3" all find building 3 of 幸福家园.

    Parameters
    ----------
    store : Store
        The database to search.
    text : str
        Words separated by spaces; each must match the compound name, the building name or its
        number.
    community_id : str or None
        Search this community only.
    limit : int
        The most rows returned.

    Returns
    -------
    DataFrame
        [building_id, compound_name, name, community_id], at most `limit` rows.
    """
    words = [w for w in re.split(r"\s+", text.strip()) if w]
    if not words:
        return pd.DataFrame(columns=["building_id", "compound_name", "name", "community_id"])
    comps = street_compounds(store, ["compound_id", "grid_id", "name"], community_id=community_id)
    b = store.read(
        "building",
        where={"compound_id": list(comps["compound_id"])},
        columns=["building_id", "compound_id", "name", "number"],
    )
    b = b.merge(comps.rename(columns={"name": "compound_name"}), on="compound_id")
    hay = b["compound_name"] + " " + b["name"] + " " + b["building_id"]
    mask = np.ones(len(b), dtype=bool)
    for w in words:
        num = w.removesuffix("号楼").removesuffix("号").removesuffix("栋")
        if num.isdigit():
            mask &= (b["number"] == int(num)).to_numpy()
        else:
            mask &= hay.str.contains(w, regex=False).to_numpy()
    out = b[mask].sort_values(["compound_name", "number"])
    return (
        out[["building_id", "compound_name", "name", "community_id"]]
        .head(limit)
        .reset_index(drop=True)
    )


@dataclass(frozen=True)
class Hit:
    """What a map click landed on: ``kind`` is "building", "compound" or None."""

    kind: str | None
    id: str | None


class BuildingLocator:
    """Resolve a clicked point to the building (or compound) under it, with an R-tree.

    A click on a building's edge may land a few centimetres outside it after rounding, so a
    point within `tolerance_m` metres of a building counts as on it.

    Parameters
    ----------
    buildings : geopandas.GeoDataFrame
        ``building_id`` and geometry (EPSG:4326) of the buildings that can be clicked.
    compounds : geopandas.GeoDataFrame
        ``compound_id`` and geometry of the compounds around them.
    tolerance_m : float
        How far outside a building, in metres, a click still counts as on it.
    """

    def __init__(
        self, buildings: gpd.GeoDataFrame, compounds: gpd.GeoDataFrame, *, tolerance_m: float = 1.5
    ) -> None:
        self._b_ids = buildings["building_id"].to_numpy()
        self._c_ids = compounds["compound_id"].to_numpy()
        self._b = buildings.geometry.to_numpy()
        self._c = compounds.geometry.to_numpy()
        self._b_tree = shapely.STRtree(self._b)
        self._c_tree = shapely.STRtree(self._c)
        self._tol_deg = tolerance_m / 111_000.0

    def locate(self, lon: float, lat: float) -> Hit:
        """The building containing (lon, lat), else the compound, else nothing.

        The nearest building wins when several are within the tolerance.

        Parameters
        ----------
        lon : float
            The click's longitude (EPSG:4326).
        lat : float
            Its latitude.

        Returns
        -------
        Hit
            The building within the tolerance, else the compound containing the point, else
            ``Hit(None, None)``.
        """
        pt = shapely.Point(lon, lat)
        idx = self._b_tree.query(pt, predicate="dwithin", distance=self._tol_deg)
        if len(idx):
            best = idx[np.argmin(shapely.distance(self._b[idx], pt))]
            return Hit("building", str(self._b_ids[best]))
        idx = self._c_tree.query(pt, predicate="intersects")
        if len(idx):
            return Hit("compound", str(self._c_ids[idx[0]]))
        return Hit(None, None)
