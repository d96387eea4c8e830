"""Areas that do not overlap: a territory shared out among groups of compounds.

An OpenStreetMap extract knows compounds (residential areas) but not the communities and grids
above them; :mod:`mapgov.io.importers.osm` groups the compounds and draws each group's area.
Drawn one by one (a hull around each group) the areas overlap, and a building in the overlap
would stand in two communities at once. :func:`partition` draws them together so that every
spot of the territory belongs to one group only:

1. each group keeps its own compounds (where compounds of two groups overlap, the group that
   comes first keeps the ground);
2. a group with a fixed area (a community that OpenStreetMap draws as an administrative
   boundary) takes the part of it not taken yet, in order;
3. what is left goes to the group of the nearest compound: a Voronoi diagram of the vertices
   of the compounds' outlines (one every :data:`STEP_M` metres at least), clipped.

Works in a metric CRS: the geometries are planar, lengths in metres.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import numpy as np
import shapely

__all__ = ["STEP_M", "partition"]

STEP_M: Final = 20.0
"""Longest gap between two Voronoi seeds along a compound's outline, metres."""


def _polygonal(geom: shapely.Geometry | None) -> shapely.Geometry:
    """The polygons of `geom` (an empty polygon if there are none)."""
    if geom is None or geom.is_empty:
        return shapely.Polygon()
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [g for g in shapely.get_parts(geom) if g.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else shapely.Polygon()


def _nearest_cells(
    compounds: np.ndarray, label: np.ndarray, groups: np.ndarray, extent: shapely.Geometry
) -> dict[int, shapely.Geometry]:
    """The union of the Voronoi cells of the outline vertices of the compounds of each group
    in `groups`: the ground nearer to that group's compounds than to any other's."""
    mine = np.flatnonzero(np.isin(label, groups))
    if not len(mine):
        return {}
    if len(np.unique(label[mine])) == 1:
        return {int(label[mine[0]]): extent}
    outline = shapely.segmentize(shapely.boundary(compounds[mine]), STEP_M)
    xy, owner = shapely.get_coordinates(outline, return_index=True)
    # to the centimetre: vertices a hair apart would make slivers of cells that GEOS cannot
    # union; of vertices at one spot (a shared corner) the first compound's counts
    xy, first = np.unique(np.round(xy, 2), axis=0, return_index=True)
    seeds = shapely.points(xy)
    diagram = shapely.voronoi_polygons(shapely.multipoints(seeds), extend_to=extent)
    cells = shapely.get_parts(diagram)
    si, ci = shapely.STRtree(cells).query(seeds, predicate="within")
    cell_label = np.full(len(cells), -1, dtype=np.int64)
    cell_label[ci] = label[mine][owner[first][si]]
    return {
        int(g): shapely.union_all(cells[cell_label == g], grid_size=0.01)
        for g in np.unique(label[mine]).tolist()
    }


def partition(
    territory: shapely.Geometry,
    compounds: np.ndarray,
    label: np.ndarray,
    n: int,
    *,
    fixed: Sequence[shapely.Geometry | None] | None = None,
) -> list[shapely.Geometry]:
    """Share `territory` out among `n` groups without overlap.

    Parameters
    ----------
    territory : shapely.Geometry
        The ground to share (its compounds are added to it).
    compounds : numpy.ndarray
        Compound polygons.
    label : numpy.ndarray
        The group (0 .. n - 1) of each compound.
    n : int
        Number of groups.
    fixed : Sequence[shapely.Geometry or None] or None
        Per group, an area that is its own (or None): such a group takes that area and no
        ground beyond it except its compounds.

    Returns
    -------
    list of shapely.Geometry
        Per group, its (multi)polygon: its compounds, its fixed area, and the rest of the
        territory nearest to its compounds; empty for a group with none of these. The parts
        cover the territory and share no area.
    """
    fixed = list(fixed) if fixed is not None else [None] * n
    taken = shapely.Polygon()
    parts: list[shapely.Geometry] = []
    for k in range(n):  # 1. the groups' own compounds, the first group first
        own = shapely.difference(shapely.union_all(compounds[label == k]), taken)
        parts.append(_polygonal(own))
        taken = shapely.union(taken, parts[k])
    rest = _polygonal(shapely.difference(territory, taken))
    for k, area in enumerate(fixed):  # 2. the fixed areas, in order
        if area is not None:
            mine = _polygonal(shapely.intersection(area, rest))
            parts[k] = _polygonal(shapely.union(parts[k], mine))
            rest = _polygonal(shapely.difference(rest, mine))
    free = np.array([k for k in range(n) if fixed[k] is None], dtype=np.int64)
    if not rest.is_empty:  # 3. the rest, to the nearest compound of a group without one
        extent = shapely.union(territory, shapely.union_all(compounds))
        for k, cells in _nearest_cells(compounds, label, free, extent).items():
            parts[k] = _polygonal(shapely.union(parts[k], shapely.intersection(cells, rest)))
    return parts
