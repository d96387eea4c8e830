"""One import of a layer, from file to database, in two steps the user sees.

:func:`plan_layer` reads the file, applies the column mapping, reprojects and checks it
(:func:`~mapgov.io.importers.prepare_layer`), and checks it against the rest of the street
(:func:`check_against_store`, and that no record in the database
would lose its parent); nothing is written. :func:`land_layer` writes a plan without errors,
all or nothing. The data page shows the plan (preview map, problems) between the two.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, TypedDict

import geopandas as gpd
import numpy as np
import pandas as pd

from mapgov.core.crs import local_metric
from mapgov.core.errors import ValidationError
from mapgov.core.i18n import Note
from mapgov.io.importers.load import import_layers
from mapgov.io.importers.mapping import apply_mapping, guess_mapping
from mapgov.io.importers.read import read_layer
from mapgov.io.importers.validate import Problem, first_per_place, prepare_layer
from mapgov.store import TABLES, Store, Table
from mapgov.store import table as schema_table

__all__ = [
    "LAYER_TABLES",
    "LayerOptions",
    "LayerPlan",
    "check_against_store",
    "land_layer",
    "plan_layer",
    "unknown_parents",
]

LAYER_TABLES: Final = ("compound", "building", "facility", "road")
_PARENTS: Final = {  # what check_against_store compares a layer with: (table, key, columns)
    "building": ("compound", "compound_id", ["compound_id", "geom"]),
    "compound": ("grid", "grid_id", ["grid_id", "geom"]),
    "facility": ("community", "community_id", ["community_id"]),
}
_MOST: Final = 200  # rows lying outside their parent listed at the most


def _references(spec: Table) -> list[tuple[str, str, str]]:
    """(column, parent table, parent column) of each foreign key of `spec`."""
    return [
        (column, m.group(1), m.group(2))
        for column, ddl in spec.columns
        if (m := re.search(r"REFERENCES (\w+) \((\w+)\)", ddl))
    ]


_NESTED: Final = ("building", "compound")  # layers that lie inside their parent's outline


def unknown_parents(
    ids: pd.Series, known: Collection[str], parent: str, path: Path | str, first_row: int
) -> list[Problem]:
    """A problem for each row (the first 20) naming a `parent` that is not among `known`.

    Parameters
    ----------
    ids : pandas.Series
        The column of the layer that names each row's parent (empty: none named); its name is
        the field the problems name.
    known : collection of str
        The ids of the parents there are.
    parent : str
        The parents' table (``compound``, ``community`` ...).
    path : pathlib.Path or str
        The file the rows come from (the problems show its name).
    first_row : int
        The number the user sees on the layer's first row (a sheet's header is row 1).

    Returns
    -------
    list of Problem
        ``no compound 'K9'`` and the like, one per row.
    """
    given = ids.notna() & (ids.astype(str).str.strip() != "")
    unknown = np.flatnonzero((given & ~ids.astype(str).isin(known)).to_numpy())[:20]
    return [
        Problem(
            str(path),
            int(i) + first_row,
            str(ids.name),
            Note("import_problem.no_parent", parent=parent, id=str(ids.iloc[i])),
        )
        for i in unknown
    ]


def check_against_store(
    layer: gpd.GeoDataFrame,
    table: str,
    parents: gpd.GeoDataFrame,
    *,
    path: Path,
    first_row: int = 1,
    tolerance_m: float = 5.0,
) -> list[Problem]:
    """Problems of a prepared layer that only the rest of the street shows.

    Each row must name a parent that exists (a building its compound, a compound its grid, a
    facility its community when it names one), and lie in it, as the layers nest: a building
    in its compound, a compound in its grid. Lying in the parent means its representative
    point (a point inside the outline, :meth:`shapely.Geometry.representative_point`) is
    within `tolerance_m` metres of the parent's outline, measured in the data's UTM zone: an
    outline digitised a few metres over its parent's edge passes, one drawn in the wrong
    place (or the wrong parent named) does not. One rule for both levels: the point, not a
    share of area, so that an outline cut by its parent's edge is judged by where it mostly
    is without an overlay of every pair.

    Parameters
    ----------
    layer : geopandas.GeoDataFrame
        The layer from :func:`prepare_layer` (EPSG:4326).
    table : str
        "building", "compound" or "facility" (other tables have no parent to check).
    parents : geopandas.GeoDataFrame
        The parent table as it will be after the import (from the store, or the layer that
        replaces it in the same import), with its geometry for buildings and compounds.
    path : pathlib.Path
        The source file, for messages.
    first_row : int
        Row number of the first record in messages.
    tolerance_m : float
        How far (metres) a representative point may lie outside its parent's outline.

    Returns
    -------
    list of Problem
        An unknown parent or a row lying outside its parent, at most a few per kind.
    """
    if table not in _PARENTS or _PARENTS[table][1] not in layer.columns:
        return []
    parent, column, _ = _PARENTS[table]
    ids = layer[column]
    problems = unknown_parents(ids, set(parents[column].astype(str)), parent, path, first_row)
    if table in _NESTED and isinstance(parents, gpd.GeoDataFrame) and len(layer):
        metric = local_metric(layer)
        areas = parents.set_index(column).geometry.to_crs(metric)
        points = layer.geometry.representative_point().to_crs(metric).reset_index(drop=True)
        own = gpd.GeoSeries(areas.reindex(ids.astype(str)).to_numpy(), crs=metric)
        away = points.distance(own, align=False).to_numpy()  # NaN: no such parent
        for i in np.flatnonzero(away > tolerance_m)[:_MOST]:
            problems.append(
                Problem(
                    str(path),
                    int(i) + first_row,
                    "geometry",
                    Note(
                        "import_problem.outside_parent",
                        parent=parent,
                        id=str(ids.iloc[i]),
                        metres=float(away[i]),
                    ),
                )
            )
    return problems


class LayerOptions(TypedDict, total=False):
    """How :func:`plan_layer` reads a layer (its keyword arguments; each may be left out)."""

    mapping: Mapping[str, str] | None
    crs: str | None
    shift: str | None
    layer: str | None


@dataclass
class LayerPlan:
    """A checked layer ready to replace ``table`` (``layer`` is None when it cannot)."""

    table: str
    path: str
    mapping: dict[str, str]
    columns: list[str]
    layer: gpd.GeoDataFrame | None
    problems: list[Problem] = field(default_factory=list)
    layer_name: str | None = None
    """The layer read from a file that holds several (None: the file's only or first one)."""
    seen_change: int | None = None
    """The newest ``change_log`` id when the file was checked: an edit of the table saved
    after it refuses landing the plan (it would be overwritten unseen)."""

    @property
    def errors(self) -> list[Problem]:
        """Problems that refuse the import.

        Returns
        -------
        list of Problem
            The problems of severity "error".
        """
        return [p for p in self.problems if p.severity == "error"]

    @property
    def ready(self) -> bool:
        """Whether :func:`land_layer` may write it.

        Returns
        -------
        bool
            True when the layer was read and has no error.
        """
        return self.layer is not None and not self.errors


def plan_layer(
    store: Store,
    path: Path,
    table: str,
    *,
    mapping: Mapping[str, str] | None = None,
    crs: str | None = None,
    shift: str | None = None,
    layer: str | None = None,
) -> LayerPlan:
    """Read, map and check a layer for `table`; write nothing.

    Parameters
    ----------
    store : Store
        The database the layer is checked against (parents, records pointing at it).
    path : Path
        The file to read (GeoJSON, Shapefile, GeoPackage, CSV or Excel with coordinates, ...).
    table : str
        The table the layer would replace, one of :data:`LAYER_TABLES`.
    mapping : Mapping of str to str, optional
        field -> source column; guessed from the column names when None.
    crs : str, optional
        The CRS to assume when the file names none (as :func:`~mapgov.io.importers.prepare_layer`).
    shift : str, optional
        "gcj02" or "bd09" to undo a map provider's offset (as ``prepare_layer``).
    layer : str, optional
        The layer of a file that holds several (:func:`~mapgov.io.importers.list_layers`); the
        first when None.

    Returns
    -------
    LayerPlan
        The mapped, reprojected layer (None when it cannot be imported) and its problems.

    Raises
    ------
    DataFileError
        If the file cannot be read at all.
    ValidationError
        If `table` cannot be imported or the mapping names columns the file lacks.
    """
    if table not in LAYER_TABLES:
        msg = f"cannot import table {table!r}; tables: {', '.join(LAYER_TABLES)}"
        raise ValidationError(msg)
    path = Path(path)
    seen = store.last_change()
    frame = read_layer(path, layer=layer)
    columns = [str(c) for c in frame.columns if c != frame.geometry.name]
    chosen = dict(mapping) if mapping is not None else guess_mapping(columns, table)
    first_row = 2 if path.suffix.lower() in (".csv", ".txt", ".xlsx") else 1
    prepared, problems = prepare_layer(
        apply_mapping(frame, chosen, table),
        table,
        path=path,
        crs=crs,
        shift=shift,
        first_row=first_row,
    )
    plan = LayerPlan(
        table, str(path), chosen, columns, prepared, problems, layer_name=layer, seen_change=seen
    )
    if prepared is None:
        return plan
    layer = prepared
    if table in _PARENTS:
        parent, _, cols = _PARENTS[table]
        parents = store.read(parent, columns=cols)
        plan.problems += check_against_store(layer, table, parents, path=path, first_row=first_row)
    plan.problems += _foreign_keys(store, layer, table, path, first_row)
    plan.problems = first_per_place(plan.problems)
    return plan


def _foreign_keys(
    store: Store, layer: gpd.GeoDataFrame, table: str, path: Path, first_row: int
) -> list[Problem]:
    """What the store's foreign keys would refuse: a row naming a parent that does not exist,
    and records of other tables pointing at rows of `table` that the layer drops."""
    problems: list[Problem] = []
    for column, parent, key in _references(schema_table(table)):
        if column not in layer.columns:
            continue
        known = set(store.read(parent, columns=[key])[key].astype(str))
        problems += unknown_parents(layer[column], known, parent, path, first_row)
    for spec in TABLES:
        for column, parent, key in _references(spec):
            if parent != table or spec.name == table or key not in layer.columns:
                continue
            kept = set(layer[key].astype(str))
            used = store.read(spec.name, columns=[column])[column].dropna().astype(str)
            lost = sorted(set(used) - kept)
            if lost:
                msg = Note(
                    "import_problem.lost_children",
                    count=len(lost),
                    table=table,
                    child=spec.name,
                    examples=", ".join(lost[:3]),
                )
                problems.append(Problem(str(path), None, key, msg))
    return problems


def land_layer(store: Store, plan: LayerPlan) -> Store:
    """Replace the layer with a plan that is ready, all or nothing.

    Parameters
    ----------
    store : Store
        The database to write: the layer's table is replaced in one transaction.
    plan : LayerPlan
        A plan from :func:`plan_layer` that is :attr:`LayerPlan.ready`.

    Returns
    -------
    Store
        The store the layer was written to.

    Raises
    ------
    ValidationError
        If the plan has errors (nothing is written).
    """
    if not plan.ready or plan.layer is None:
        msg = f"{plan.path}: {len(plan.errors)} problem(s); nothing was imported"
        raise ValidationError(
            msg, key="error.import.refused", path=plan.path, count=len(plan.errors)
        )
    return import_layers(
        store, {plan.table: plan.layer}, source=plan.path, since_change=plan.seen_change
    )
