"""Real data in and out: layers and tables from the files a street office has.

Read (:func:`read_layer`, :func:`read_table`), say which column holds what
(:func:`guess_mapping`, :func:`apply_mapping`), check (:func:`prepare_layer`: CRS, GCJ-02 /
BD-09, coordinates, geometry, values, each problem naming file, row and field), land all or
nothing (:func:`import_layers`), and export, back up and restore.
"""

from mapgov.io.importers.chinacrs import (
    bd09_to_wgs84,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    wgs84_to_gcj02,
)
from mapgov.io.importers.load import Backup, Restored, backup, import_layers, restore
from mapgov.io.importers.mapping import FIELDS, apply_mapping, guess_mapping
from mapgov.io.importers.read import list_layers, read_layer, read_table
from mapgov.io.importers.validate import Problem, prepare_layer

__all__ = [
    "FIELDS",
    "Backup",
    "Problem",
    "Restored",
    "apply_mapping",
    "backup",
    "bd09_to_wgs84",
    "gcj02_to_bd09",
    "gcj02_to_wgs84",
    "guess_mapping",
    "import_layers",
    "list_layers",
    "prepare_layer",
    "read_layer",
    "read_table",
    "restore",
    "wgs84_to_gcj02",
]
