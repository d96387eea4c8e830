"""The demo street's facilities: which services each tile gets, where, and what they are called.

Service, school, park and market cells get their street-side facilities, compounds their own
(by era); one community per street is left under-served, so the life-circle analysis finds
real gaps. Drawn from generators seeded by (seed, stream 4, tile), like
:mod:`mapgov.demo.society`; rows are plain dicts in local metres.
"""

from __future__ import annotations

import numpy as np
from shapely.geometry import Point

from mapgov.core.model import FacilityKind, RoadKind
from mapgov.demo.layout import CompoundGeom, Frontage, Layout
from mapgov.demo.society import Row, frontage_road, street_id, street_name

__all__ = ["place_facilities"]

_KINDERGARTEN = ("阳光", "育才", "金色童年", "小太阳", "博雅", "启明星", "蒲公英", "童心")
_CELL_FACILITIES: dict[str, list[tuple[FacilityKind, float]]] = {
    "service": [
        (FacilityKind.PARTY_SERVICE_CENTER, 1.0),
        (FacilityKind.CLINIC, 1.0),
        (FacilityKind.ELDERLY_CARE, 0.9),
        (FacilityKind.CANTEEN, 0.9),
        (FacilityKind.CONVENIENCE_SERVICE, 0.8),
    ],
    "school": [(FacilityKind.PRIMARY_SCHOOL, 1.0), (FacilityKind.KINDERGARTEN, 0.7)],
    "park": [(FacilityKind.SPORTS_CULTURE, 1.0), (FacilityKind.SPORTS_CULTURE, 0.3)],
    "market": [(FacilityKind.MARKET, 1.0), (FacilityKind.CONVENIENCE_SERVICE, 0.5)],
}
_COMPOUND_FACILITIES: dict[str, tuple[tuple[FacilityKind, float, float, float], ...]] = {
    # kind: probability for (old, mid, new) compounds
    "all": (
        (FacilityKind.CONVENIENCE_SERVICE, 0.3, 0.3, 0.25),
        (FacilityKind.MARKET, 0.1, 0.15, 0.2),
        (FacilityKind.CANTEEN, 0.12, 0.06, 0.03),
        (FacilityKind.ELDERLY_CARE, 0.1, 0.07, 0.05),
        (FacilityKind.PARTY_SERVICE_CENTER, 0.08, 0.08, 0.08),
        (FacilityKind.KINDERGARTEN, 0.04, 0.12, 0.3),
        (FacilityKind.SPORTS_CULTURE, 0.05, 0.08, 0.14),
        (FacilityKind.CLINIC, 0.03, 0.04, 0.04),
    ),
}


def _frontage_point(rng: np.random.Generator, fr: Frontage) -> tuple[float, float]:
    u = rng.uniform(0.25, 0.75)
    along = fr.lo + u * (fr.hi - fr.lo)
    inward = {"N": -1.0, "S": 1.0, "E": -1.0, "W": 1.0}[fr.side]
    if fr.orient == "h":
        return along, fr.fence + inward
    return fr.fence + inward, along


def _facility_name(
    kind: FacilityKind, host: str, road: str, rng: np.random.Generator, *, in_compound: bool
) -> str:
    if kind == FacilityKind.PARTY_SERVICE_CENTER:
        return f"{host}党群服务站"
    if kind == FacilityKind.CANTEEN:
        return f"{host}助餐点" if in_compound else f"{host}幸福食堂"
    if kind == FacilityKind.CLINIC:
        return f"{host}卫生服务站"
    if kind == FacilityKind.KINDERGARTEN:
        return f"{rng.choice(_KINDERGARTEN)}幼儿园（{host}）"
    if kind == FacilityKind.PRIMARY_SCHOOL:
        return f"{road}小学"
    if kind == FacilityKind.ELDERLY_CARE:
        return f"{host}日间照料中心" if in_compound else f"{host}养老服务站"
    if kind == FacilityKind.MARKET:
        return f"{host}生活超市" if in_compound else f"{road}农贸市场"
    if kind == FacilityKind.SPORTS_CULTURE:
        return f"{host}健身场地" if in_compound else f"{host}文体广场"
    return f"{host}便民服务点"


def place_facilities(
    lay: Layout, seed: int, compound_names: list[str], community_names: list[str]
) -> list[Row]:
    """Choose and place the facilities of every tile, linking each one to its road.

    One community per street is under-served (no canteen or elderly care at its service centre,
    fewer shops in its compounds), and the river makes the other bank far away: the life-circle
    analysis then finds real gaps.
    """
    rows: list[Row] = []
    by_tile_cells: dict[int, list[int]] = {}
    for k, cell in enumerate(lay.cells):
        by_tile_cells.setdefault(cell.tile, []).append(k)
    by_tile_comps: dict[int, list[CompoundGeom]] = {}
    for comp in lay.compounds:
        by_tile_comps.setdefault(comp.tile, []).append(comp)
    for tile in range(lay.scale):
        rng = np.random.default_rng([seed, 4, tile])
        under = int(rng.integers(0, 4))
        street_done = False
        seq = 0

        def put(
            kind: FacilityKind,
            name: str,
            fr: Frontage,
            community: int,
            compound: CompoundGeom | None,
            rng: np.random.Generator = rng,
            tile: int = tile,
        ) -> None:
            nonlocal seq
            x, y = _frontage_point(rng, fr)
            if compound is not None and not compound.polygon.contains(Point(x, y)):
                return
            lay.add_link(x, y, fr, RoadKind.GATE_LINK, tile, None)
            seq += 1
            capacity = {
                FacilityKind.PRIMARY_SCHOOL: 1200,
                FacilityKind.KINDERGARTEN: 270,
                FacilityKind.CANTEEN: 120,
                FacilityKind.ELDERLY_CARE: 40,
            }.get(kind)
            rows.append(
                {
                    "facility_id": f"F-{street_id(tile)}-{seq:03d}",
                    "kind": kind.value,
                    "name": name,
                    "tile": tile,
                    "community": community,
                    "x": x,
                    "y": y,
                    "capacity": capacity,
                }
            )

        for k in by_tile_cells[tile]:
            cell = lay.cells[k]
            if cell.use == "residential":
                continue
            cname = community_names[4 * tile + cell.community]
            for kind, p in _CELL_FACILITIES[cell.use]:
                if cell.community == under and kind in (
                    FacilityKind.CANTEEN,
                    FacilityKind.ELDERLY_CARE,
                ):
                    continue
                if rng.random() > p:
                    continue
                side = str(rng.choice(["N", "S", "E", "W"]))
                fr = cell.frontages[side]
                road = frontage_road(lay, fr)
                put(
                    kind,
                    _facility_name(kind, cname, road, rng, in_compound=False),
                    fr,
                    cell.community,
                    None,
                )
            if cell.use == "service" and not street_done:
                street_done = True
                put(
                    FacilityKind.PARTY_SERVICE_CENTER,
                    f"{street_name(tile)[0]}党群服务中心",
                    cell.frontages["N"],
                    cell.community,
                    None,
                )
        era_col = {"old": 0, "mid": 1, "new": 2}
        for comp in by_tile_comps.get(tile, []):
            factor = 0.4 if comp.community == under else 1.0
            for kind, *ps in _COMPOUND_FACILITIES["all"]:
                if rng.random() < ps[era_col[comp.era]] * factor:
                    side = str(rng.choice(list(comp.frontages)))
                    fr = comp.frontages[side]
                    put(
                        kind,
                        _facility_name(kind, compound_names[comp.index], "", rng, in_compound=True),
                        fr,
                        comp.community,
                        comp,
                    )
    return rows
