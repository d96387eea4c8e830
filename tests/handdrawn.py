"""A hand-drawn database with two streets and known answers (for place pickers and counts).

Street S1 (西工街道 / Xigong) has communities C1 (王城社区) and C2 (金谷社区, no English name);
street S2 (涧西街道 / Jianxi) has C3 (天津路社区). One grid per community. Compounds K1, K2 lie
in C1, K3 in C3; C2 has none. Buildings: B1, B2 in K1, B3 in K2, B4 in K3.

==========  ===========  =====  =========  =========  ==========  =========
area        communities  grids  compounds  buildings  households  residents
==========  ===========  =====  =========  =========  ==========  =========
S1          2            2      2          3          108         270
S1 / C1     1            1      2          3          108         270
S1 / C2     1            1      0          0          0           0
S2          1            1      1          1          10          25
everything  3            3      3          4          118         295
==========  ===========  =====  =========  =========  ==========  =========
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import shapely

from mapgov.store import write_database

__all__ = ["EXPECTED", "build_two_streets"]

EXPECTED = {
    ("S1", None): (2, 2, 2, 3, 108, 270),
    ("S1", "C1"): (1, 1, 2, 3, 108, 270),
    ("S1", "C2"): (1, 1, 0, 0, 0, 0),
    ("S2", None): (1, 1, 1, 1, 10, 25),
    (None, None): (3, 3, 3, 4, 118, 295),
}
"""(street, community) -> (communities, grids, compounds, buildings, households, residents)."""


def _box(dx: float, dy: float, size: float) -> shapely.Polygon:
    return shapely.box(112.40 + dx, 34.60 + dy, 112.40 + dx + size, 34.60 + dy + size)


def _frame(rows: dict[str, list[object]], geoms: list[shapely.Geometry]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(rows, geometry=geoms, crs="EPSG:4326")


def build_two_streets(path: Path) -> Path:
    """Write the database described in the module docstring at `path`."""
    tables = {
        "street": _frame(
            {
                "street_id": ["S1", "S2"],
                "name": ["西工街道", "涧西街道"],
                "name_en": ["Xigong", "Jianxi"],
            },
            [_box(0, 0, 0.02), _box(0.03, 0, 0.02)],
        ),
        "community": _frame(
            {
                "community_id": ["C1", "C2", "C3"],
                "street_id": ["S1", "S1", "S2"],
                "name": ["王城社区", "金谷社区", "天津路社区"],
                "name_en": ["Wangcheng", None, "Tianjin Road"],
            },
            [_box(0, 0, 0.01), _box(0.01, 0, 0.01), _box(0.03, 0, 0.01)],
        ),
        "grid": _frame(
            {
                "grid_id": ["G1", "G2", "G3"],
                "community_id": ["C1", "C2", "C3"],
                "name": ["一片区", "二片区", "三片区"],
            },
            [_box(0, 0, 0.01), _box(0.01, 0, 0.01), _box(0.03, 0, 0.01)],
        ),
        "compound": _frame(
            {
                "compound_id": ["K1", "K2", "K3"],
                "grid_id": ["G1", "G1", "G3"],
                "name": ["甲小区", "乙小区", "丙小区"],
            },
            [_box(0.001, 0.001, 0.003), _box(0.005, 0.001, 0.003), _box(0.031, 0.001, 0.003)],
        ),
        "building": _frame(
            {
                "building_id": ["B1", "B2", "B3", "B4"],
                "compound_id": ["K1", "K1", "K2", "K3"],
                "name": ["1号楼", "2号楼", "1号楼", "1号楼"],
                "floors": [6, 6, 11, 6],
                "households": [24, 36, 48, 10],
                "residents": [60, 90, 120, 25],
            },
            [
                _box(0.0012, 0.0012, 0.0005),
                _box(0.0020, 0.0012, 0.0005),
                _box(0.0052, 0.0012, 0.0005),
                _box(0.0312, 0.0012, 0.0005),
            ],
        ),
    }
    return write_database(Path(path), tables, {"as_of": "2026-11-15", "source": "hand-drawn"})
