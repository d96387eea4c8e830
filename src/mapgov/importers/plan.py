"""One import of a layer, from file to database, in two steps the user sees.

:func:`plan_layer` reads the file, applies the column mapping, reprojects and checks it
(:func:`~mapgov.importers.prepare_layer`), and checks it against the rest of the street
(:func:`~mapgov.importers.validate.check_against_store`, and that no record in the database
would lose its parent); nothing is written. :func:`land_layer` writes a plan without errors,
all or nothing. The data page shows the plan (preview map, problems) between the two.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import geopandas as gpd

from mapgov.errors import ValidationError
from mapgov.importers.load import import_layers
from mapgov.importers.mapping import apply_mapping, guess_mapping
from mapgov.importers.read import read_layer
from mapgov.importers.validate import Problem, check_against_store, prepare_layer
from mapgov.store import Store

__all__ = ["LAYER_TABLES", "LayerPlan", "land_layer", "plan_layer"]

LAYER_TABLES: Final = ("compound", "building", "facility", "road")
_CHILDREN: Final = {  # table -> records elsewhere that point at its rows
    "compound": (("building", "compound_id"), ("issue", "compound_id")),
    "building": (("issue", "building_id"), ("party_member", "building_id"),
                 ("zone_building", "building_id")),
}  # fmt: skip
_PARENTS: Final = {
    "building": ("compound", ["compound_id", "geom"]),
    "compound": ("grid", ["grid_id"]),
    "facility": ("community", ["community_id"]),
}


@dataclass
class LayerPlan:
    """A checked layer ready to replace ``table`` (``layer`` is None when it cannot)."""

    table: str
    path: str
    mapping: dict[str, str]
    columns: list[str]
    layer: gpd.GeoDataFrame | None
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        """Problems that refuse the import."""
        return [p for p in self.problems if p.severity == "error"]

    @property
    def ready(self) -> bool:
        """Whether :func:`land_layer` may write it."""
        return self.layer is not None and not self.errors


def plan_layer(
    store: Store,
    path: Path,
    table: str,
    *,
    mapping: Mapping[str, str] | None = None,
    crs: str | None = None,
    shift: str | None = None,
) -> LayerPlan:
    """Read, map and check a layer for `table`; write nothing.

    Parameters
    ----------
    mapping
        field -> source column; guessed from the column names when None.
    crs, shift
        As :func:`~mapgov.importers.prepare_layer` takes them.

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
    frame = read_layer(path)
    columns = [str(c) for c in frame.columns if c != frame.geometry.name]
    chosen = dict(mapping) if mapping is not None else guess_mapping(columns, table)
    first_row = 2 if path.suffix.lower() in (".csv", ".txt", ".xlsx") else 1
    layer, problems = prepare_layer(
        apply_mapping(frame, chosen, table),
        table,
        path=path,
        crs=crs,
        shift=shift,
        first_row=first_row,
    )
    plan = LayerPlan(table, str(path), chosen, columns, layer, problems)
    if layer is None:
        return plan
    parent, cols = _PARENTS.get(table, (None, []))
    if parent is not None:
        parents = store.read(parent, columns=cols)
        plan.problems += check_against_store(layer, table, parents, path=path, first_row=first_row)
    key = f"{table}_id"
    for child, column in _CHILDREN.get(table, ()):
        if key not in layer.columns:
            break
        kept = set(layer[key].astype(str))
        used = store.query(f"SELECT DISTINCT {column} FROM {child} WHERE {column} IS NOT NULL")[
            column
        ]
        lost = sorted(set(used.astype(str)) - kept)
        if lost:
            plan.problems.append(
                Problem(
                    str(path),
                    None,
                    key,
                    f"{len(lost)} {table}(s) that {child} records in the database point at are "
                    f"not in this file (e.g. {', '.join(lost[:3])}); keep them in the file",
                )
            )
    return plan


def land_layer(store: Store, plan: LayerPlan) -> Store:
    """Replace the layer with a plan that is ready, all or nothing.

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
    return import_layers(store, {plan.table: plan.layer}, source=plan.path)
