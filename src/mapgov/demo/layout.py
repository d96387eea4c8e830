"""Geometry of the demo street, built in a local metric frame (metres, y to the north).

A street is a tile of 8 x 6 blocks between road centre lines, cut in two by the Jian river
(涧河) running east-west, which roads cross only at two bridges. The four quadrants are the
communities; each community's twelve blocks are three grids. Most blocks hold one gated
compound (some are split into two small ones by an alley); three blocks per community are
public land (service centre, school, park or market). Compounds have gates on their fences,
links from the gates to the street, an internal spine and lanes between rows of buildings.

``--scale K`` lays K street tiles side by side; tiles in a column share their x lines and tiles
in a row share their y lines, so the whole network is one connected lattice. Every random draw
of a tile comes from a generator seeded by (seed, tile), so street 1 of a scaled-up demo is the
same as the street of scale 1.

Road pieces are split at every junction (lattice crossings, alleys, gate links, facility links)
so that each stored road row is one edge of the walking graph with shared end points.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from typing import Final, NamedTuple

import numpy as np
import shapely
from shapely.geometry import LineString, Point, Polygon, box

from mapgov.core.model import RoadKind

__all__ = [
    "BLOCK_COLS",
    "BLOCK_ROWS",
    "BuildingGeom",
    "CellGeom",
    "CompoundGeom",
    "Frontage",
    "Layout",
    "RoadLine",
    "build_layout",
]

BLOCK_COLS = 8
BLOCK_ROWS = 6  # three north of the river, three south
CORRIDOR_M = 72.0  # river and its banks between the two riverside roads
SETBACK_M = 11.0  # road centre line to compound fence
ALLEY_SETBACK_M = 5.0
MARGIN_M = 7.0  # fence to the nearest building
SPINE_CLEAR_M = 6.0  # half the width kept free around the internal spine
BRIDGE_COLS = (2, 6)
_MIN_PIECE_M = 0.05  # road pieces shorter than this are dropped: their ends meet anyway

Side = str  # "N", "S", "E", "W"


@dataclass
class RoadLine:
    """An axis-aligned road line before splitting: ``fixed`` is y for "h", x for "v"."""

    orient: str
    fixed: float
    a: float
    b: float
    kind: RoadKind
    name: str | None
    tile: int
    compound: int | None = None


@dataclass
class Frontage:
    """A side of a fenced area (compound or public block) and the road line it faces."""

    side: Side
    orient: str  # orientation of the road line faced
    line: float  # its fixed coordinate
    fence: float  # fixed coordinate of the fence on that side
    lo: float  # extent of the side along the road
    hi: float


@dataclass
class BuildingGeom:
    """One building footprint with its form."""

    polygon: Polygon
    floors: int
    form: str  # "slab" or "tower"
    length: float


@dataclass
class CompoundGeom:
    """One gated compound in local metres."""

    index: int
    tile: int
    community: int  # 0..3 within the tile
    cell: int  # index into Layout.cells
    half: int | None  # 0 west, 1 east for a split block
    polygon: Polygon
    era: str  # "old" | "mid" | "new"
    built_year: int
    frontages: dict[Side, Frontage]
    buildings: list[BuildingGeom] = field(default_factory=list)
    gates: list[tuple[float, float, Side]] = field(default_factory=list)
    paths: list[tuple[float, float, float, float]] = field(default_factory=list)


@dataclass
class CellGeom:
    """One block between road centre lines."""

    tile: int
    ci: int
    ri: int
    x0: float
    x1: float
    yb: float
    yt: float
    community: int
    use: str  # "residential" | "service" | "school" | "park" | "market"
    grid: int = 0
    split: bool = False
    territory: Polygon | None = None
    frontages: dict[Side, Frontage] = field(default_factory=dict)


@dataclass
class Layout:
    """Everything geometric about the demo, in local metres."""

    scale: int
    ncols: int
    xs: np.ndarray
    ys: np.ndarray
    cells: list[CellGeom]
    compounds: list[CompoundGeom]
    lines: list[RoadLine]
    river: list[Polygon]
    hsplit: dict[float, list[float]] = field(default_factory=dict)
    vsplit: dict[float, list[float]] = field(default_factory=dict)
    links: list[tuple[float, float, float, float, RoadKind, int, int | None]] = field(
        default_factory=list
    )
    _names: dict[tuple[str, float], list[tuple[float, float, str]]] = field(
        default_factory=dict, repr=False
    )

    def road_name(self, orient: str, fixed: float, at: float) -> str | None:
        """Name of the lattice road line through (`fixed`, `at`), if any."""
        if not self._names:
            for ln in self.lines:
                if ln.name:
                    self._names.setdefault((ln.orient, ln.fixed), []).append((ln.a, ln.b, ln.name))
        for a, b, name in self._names.get((orient, fixed), []):
            if a <= at <= b:
                return name
        return None

    def tile_bounds(self, tile: int) -> tuple[float, float, float, float]:
        """(xmin, ymin, xmax, ymax) of a street tile."""
        r, c = divmod(tile, self.ncols)
        x = self.xs[BLOCK_COLS * c : BLOCK_COLS * c + BLOCK_COLS + 1]
        y = self.ys[7 * r : 7 * r + 8]
        return (float(x[0]), float(y[-1]), float(x[-1]), float(y[0]))

    def add_link(
        self,
        x0: float,
        y0: float,
        fr: Frontage,
        kind: RoadKind,
        tile: int,
        compound: int | None,
    ) -> None:
        """Link a point on a fence straight to the road line it faces, splitting that road."""
        if fr.orient == "h":
            x1, y1 = x0, fr.line
            self.hsplit.setdefault(fr.line, []).append(x0)
        else:
            x1, y1 = fr.line, y0
            self.vsplit.setdefault(fr.line, []).append(y0)
        self.links.append((x0, y0, x1, y1, kind, tile, compound))

    def road_segments(self) -> list[tuple[LineString, RoadKind, str | None, int, int | None]]:
        """All road pieces split at every junction: (line, kind, name, tile, compound)."""
        out: list[tuple[LineString, RoadKind, str | None, int, int | None]] = []
        hs = {k: np.unique(np.asarray(v)) for k, v in self.hsplit.items()}
        vs = {k: np.unique(np.asarray(v)) for k, v in self.vsplit.items()}
        for ln in self.lines:
            pts = (hs if ln.orient == "h" else vs).get(ln.fixed, np.empty(0))
            inner = pts[(pts > ln.a) & (pts < ln.b)]
            cuts = [ln.a, *inner.tolist(), ln.b]
            for p, q in itertools.pairwise(cuts):
                if q - p < _MIN_PIECE_M:  # would vanish at 1 cm storage precision
                    continue
                if ln.orient == "h":
                    geom = LineString([(p, ln.fixed), (q, ln.fixed)])
                else:
                    geom = LineString([(ln.fixed, p), (ln.fixed, q)])
                out.append((geom, ln.kind, ln.name, ln.tile, ln.compound))
        for x0, y0, x1, y1, kind, tile, comp_index in self.links:
            out.append((LineString([(x0, y0), (x1, y1)]), kind, None, tile, comp_index))
        for comp in self.compounds:
            for x0, y0, x1, y1 in comp.paths:
                out.append(
                    (LineString([(x0, y0), (x1, y1)]), RoadKind.PATH, None, comp.tile, comp.index)
                )
        return out


def _lattice(seed: int, scale: int) -> tuple[int, int, np.ndarray, np.ndarray]:
    ncols = math.ceil(math.sqrt(scale))
    nrows = math.ceil(scale / ncols)
    widths = [
        np.random.default_rng([seed, 1, c]).uniform(170, 255, BLOCK_COLS) for c in range(ncols)
    ]
    heights = []
    for r in range(nrows):
        h = np.random.default_rng([seed, 2, r]).uniform(150, 225, BLOCK_ROWS)
        heights.append(np.concatenate([h[:3], [CORRIDOR_M], h[3:]]))
    xs = np.concatenate([[0.0], np.cumsum(np.concatenate(widths))])
    ys = np.concatenate([[0.0], -np.cumsum(np.concatenate(heights))])
    return ncols, nrows, xs, ys


def _grid_of(lc: int, lr: int, scheme: int) -> int:
    if scheme == 0:
        return 2 if lr == 2 else (0 if lc < 2 else 1)
    return 0 if lr == 0 else (1 if lc < 2 else 2)


def _road_kind_h(j: int) -> RoadKind:
    if j in (0, 7):
        return RoadKind.ARTERIAL
    if j in (3, 4):
        return RoadKind.SECONDARY
    return RoadKind.BRANCH


def _road_kind_v(i: int) -> RoadKind:
    if i in (0, 4, 8):
        return RoadKind.ARTERIAL
    return RoadKind.BRANCH


def _tile_lines(lay: Layout, tile: int, names: tuple[tuple[str, ...], tuple[str, ...]]) -> None:
    """Lattice lines of one tile; a tile owns its west and north edges, and its east and south
    edges only where no neighbouring tile exists to own them."""
    ew, ns = names
    r, c = divmod(tile, lay.ncols)
    x = lay.xs[BLOCK_COLS * c : BLOCK_COLS * c + BLOCK_COLS + 1]
    y = lay.ys[7 * r : 7 * r + 8]
    east_owned = c == lay.ncols - 1 or tile + 1 >= lay.scale
    south_owned = tile + lay.ncols >= lay.scale
    for j in range(8):
        if j == 7 and not south_owned:
            continue
        gj = 7 * r + j
        name = ("涧河北路" if j == 3 else "涧河南路") if j in (3, 4) else ew[gj % len(ew)]
        lay.lines.append(
            RoadLine("h", float(y[j]), float(x[0]), float(x[-1]), _road_kind_h(j), name, tile)
        )
    for i in range(BLOCK_COLS + 1):
        if i == BLOCK_COLS and not east_owned:
            continue
        gi = BLOCK_COLS * c + i
        name = ns[gi % len(ns)]
        kind = _road_kind_v(i)
        # north half, south half, and the bridge where there is one
        lay.lines.append(RoadLine("v", float(x[i]), float(y[3]), float(y[0]), kind, name, tile))
        lay.lines.append(RoadLine("v", float(x[i]), float(y[7]), float(y[4]), kind, name, tile))
        if i in BRIDGE_COLS:
            lay.lines.append(
                RoadLine(
                    "v",
                    float(x[i]),
                    float(y[4]),
                    float(y[3]),
                    RoadKind.BRIDGE,
                    f"{name}涧河桥",
                    tile,
                )
            )
    # junctions of the lattice split the lines through them
    for j in range(8):
        lay.hsplit.setdefault(float(y[j]), []).extend(float(v) for v in x)
    for i in range(BLOCK_COLS + 1):
        lay.vsplit.setdefault(float(x[i]), []).extend(float(v) for v in y)


def _river(lay: Layout, tile: int, rng: np.random.Generator) -> Polygon:
    r, c = divmod(tile, lay.ncols)
    x = lay.xs[BLOCK_COLS * c : BLOCK_COLS * c + BLOCK_COLS + 1]
    y = lay.ys[7 * r : 7 * r + 8]
    mid = (y[3] + y[4]) / 2
    t = np.linspace(float(x[0]), float(x[-1]), 60)
    phase = rng.uniform(0, 2 * math.pi)
    centre = mid + 9.0 * np.sin(t / 160.0 + phase)
    half = 13.0 + 3.0 * np.sin(t / 97.0 + phase * 2)
    ring = list(zip(t, centre + half, strict=True)) + list(
        zip(t[::-1], (centre - half)[::-1], strict=True)
    )
    return Polygon(ring)


def _frontages(
    x0: float,
    x1: float,
    yb: float,
    yt: float,
    west_line: float,
    east_line: float,
    west_set: float,
    east_set: float,
) -> dict[Side, Frontage]:
    X0, X1 = x0 + west_set, x1 - east_set  # noqa: N806 (fence coordinates)
    Y0, Y1 = yb + SETBACK_M, yt - SETBACK_M  # noqa: N806
    return {
        "N": Frontage("N", "h", yt, Y1, X0, X1),
        "S": Frontage("S", "h", yb, Y0, X0, X1),
        "W": Frontage("W", "v", west_line, X0, Y0, Y1),
        "E": Frontage("E", "v", east_line, X1, Y0, Y1),
    }


def _tile_cells(lay: Layout, tile: int, rng: np.random.Generator) -> list[CellGeom]:
    r, c = divmod(tile, lay.ncols)
    x = lay.xs[BLOCK_COLS * c : BLOCK_COLS * c + BLOCK_COLS + 1]
    y = lay.ys[7 * r : 7 * r + 8]
    mid = float((y[3] + y[4]) / 2)
    cells: list[CellGeom] = []
    for ri in range(BLOCK_ROWS):
        jt = ri if ri < 3 else ri + 1
        for ci in range(BLOCK_COLS):
            cell = CellGeom(
                tile,
                ci,
                ri,
                float(x[ci]),
                float(x[ci + 1]),
                float(y[jt + 1]),
                float(y[jt]),
                community=int(ci >= 4) + 2 * int(ri >= 3),
                use="residential",
            )
            tb = mid if ri == 2 else cell.yb
            tt = mid if ri == 3 else cell.yt
            cell.territory = box(cell.x0, tb, cell.x1, tt)
            cell.frontages = _frontages(
                cell.x0, cell.x1, cell.yb, cell.yt, cell.x0, cell.x1, SETBACK_M, SETBACK_M
            )
            cells.append(cell)
    for com in range(4):
        members = [k for k, cl in enumerate(cells) if cl.community == com]
        scheme = int(rng.integers(0, 2))
        for k in members:
            cl = cells[k]
            lc, lr = cl.ci % 4, cl.ri % 3
            if com >= 2:  # south of the river: count rows from the river outwards
                lr = cl.ri - 3
            cl.grid = _grid_of(lc, lr, scheme)
        public = rng.choice(members, size=3, replace=False)
        uses = [
            "service",
            *rng.choice(["school", "park", "market"], size=2, replace=False, p=[0.4, 0.35, 0.25]),
        ]
        for k, use in zip(public, uses, strict=True):
            cells[int(k)].use = str(use)
        residential = [
            k for k in members if cells[k].use == "residential" and cells[k].x1 - cells[k].x0 >= 190
        ]
        nsplit = int(rng.choice([0, 1, 1, 2]))
        for k in rng.choice(residential, size=min(nsplit, len(residential)), replace=False):
            cells[int(k)].split = True
    return cells


def _era(rng: np.random.Generator, *, split: bool) -> tuple[str, int]:
    if split:
        return "old", int(rng.integers(1978, 1998))
    u = rng.random()
    if u < 0.45:
        return "old", int(rng.integers(1980, 2000))
    if u < 0.75:
        return "mid", int(rng.integers(2000, 2010))
    return "new", int(rng.integers(2010, 2021))


class _Form(NamedTuple):
    """How the buildings of an era's compound are drawn (see :func:`_form`)."""

    form: str
    floors: tuple[int, ...]  # floor counts to draw from
    depth: tuple[float, float]  # range, m
    length: tuple[float, float]  # range, m
    gap: tuple[float, float, float] | None  # row gap: factor, low, high (None: a tower's)
    colgap: float
    keep: float


_FORMS: Final[dict[str, _Form]] = {
    # row gap: floors x 2.9 m x factor, kept within low-high; a tower's is 26-36 m
    "old": _Form("slab", (5, 6, 6, 7), (10.5, 12.5), (30, 70), (0.95, 15.0, math.inf), 9.0, 0.93),
    "mid": _Form("slab", (6, 7, 9, 11, 12), (12, 14), (28, 56), (1.05, 18.0, 30.0), 11.0, 0.9),
    "new": _Form("tower", (18, 24, 26, 30, 33), (17, 22), (22, 36), None, 14.0, 0.85),
}


def _form(rng: np.random.Generator, era: str) -> dict[str, float | int | str]:
    rule = _FORMS[era]
    floors = int(rng.choice(list(rule.floors)))
    row: dict[str, float | int | str] = {
        "form": rule.form,
        "floors": floors,
        "depth": rng.uniform(*rule.depth),
        "length": rng.uniform(*rule.length),
    }
    if rule.gap is None:
        row["gap"] = rng.uniform(26, 36)
    else:
        factor, low, high = rule.gap
        row["gap"] = float(np.clip(factor * floors * 2.9, low, high))
    return {**row, "colgap": rule.colgap, "keep": rule.keep}


def _columns(lo: float, hi: float, length: float, colgap: float) -> tuple[list[float], float]:
    width = hi - lo
    n = int((width + colgap) // (length + colgap))
    if n == 0:
        if width < 20:
            return [], length
        return [(lo + hi) / 2], width
    spare = width - n * length
    step = spare / (n + 1)
    return [lo + step * (k + 1) + length * (k + 0.5) for k in range(n)], length


def _fill_compound(comp: CompoundGeom, rng: np.random.Generator, narrow_side: Side) -> None:
    """Rows of buildings, the spine, the lanes between rows and the gates."""
    fr = comp.frontages
    X0, X1 = fr["W"].fence, fr["E"].fence  # noqa: N806
    Y0, Y1 = fr["S"].fence, fr["N"].fence  # noqa: N806
    spec = _form(rng, comp.era)
    depth, gap = float(spec["depth"]), float(spec["gap"])
    width = X1 - X0
    if width >= 120:
        xs = (X0 + X1) / 2 + rng.uniform(-10, 10)
        halves = [(X0 + MARGIN_M, xs - SPINE_CLEAR_M), (xs + SPINE_CLEAR_M, X1 - MARGIN_M)]
    elif narrow_side == "W":
        xs = X0 + 6.0
        halves = [(xs + SPINE_CLEAR_M, X1 - MARGIN_M)]
    else:
        xs = X1 - 6.0
        halves = [(X0 + MARGIN_M, xs - SPINE_CLEAR_M)]
    top, bottom = Y1 - MARGIN_M, Y0 + MARGIN_M
    nrow = max(1, int((top - bottom + gap) // (depth + gap)))
    spacing = (top - bottom - nrow * depth) / (nrow - 1) if nrow > 1 else 0.0
    row_tops = [top - k * (depth + spacing) for k in range(nrow)]
    lanes = [t - depth - spacing / 2 for t in row_tops[:-1]]
    inner = comp.polygon.buffer(-2.0)
    for rt in row_tops:
        for lo, hi in halves:
            centres, length = _columns(lo, hi, float(spec["length"]), float(spec["colgap"]))
            for cx in centres:
                if rng.random() > float(spec["keep"]):
                    continue
                ln = length * rng.uniform(0.7, 1.0)
                dx = rng.uniform(-2, 2)
                poly: Polygon = box(cx - ln / 2 + dx, rt - depth, cx + ln / 2 + dx, rt)
                if spec["form"] == "slab" and rng.random() < 0.12 and spacing > 14:
                    wing_w = rng.uniform(11, 15)
                    wx = cx - ln / 2 + dx if rng.random() < 0.5 else cx + ln / 2 + dx - wing_w
                    wing = box(wx, rt - depth - min(7.0, spacing / 2 - 3), wx + wing_w, rt)
                    poly = shapely.union(poly, wing).normalize()
                poly = shapely.affinity.rotate(poly, rng.uniform(-2.0, 2.0), origin="centroid")
                if not inner.contains(poly):
                    continue
                floors = int(spec["floors"])
                if comp.era != "old" and rng.random() < 0.3:
                    floors = int(np.clip(floors + rng.choice([-3, -2, 2, 3]), 4, 34))
                comp.buildings.append(BuildingGeom(poly, floors, str(spec["form"]), ln))
    if not comp.buildings:  # a compound has at least one building
        cx = (halves[0][0] + halves[0][1]) / 2
        ln = min(float(spec["length"]), halves[0][1] - halves[0][0])
        poly = box(cx - ln / 2, top - depth, cx + ln / 2, top)
        comp.buildings.append(BuildingGeom(poly, int(spec["floors"]), str(spec["form"]), ln))
    # spine (split at lanes) and lanes (split at the spine)
    ys_cut = [Y0, *sorted(lanes), Y1]
    comp.paths.extend((xs, a, xs, b) for a, b in itertools.pairwise(ys_cut))
    cand: list[tuple[Side, float]] = [("N", 2.0), ("S", 2.0)]
    mid_lane = lanes[len(lanes) // 2] if lanes else None
    if mid_lane is not None:
        cand += [("E", 1.0), ("W", 1.0)]
    k = int(rng.choice([1, 2, 3], p=[0.35, 0.45, 0.2]))
    weights = np.array([w for _, w in cand])
    order = rng.choice(len(cand), size=min(k, len(cand)), replace=False, p=weights / weights.sum())
    sides = {cand[int(i)][0] for i in order}
    for ly in lanes:
        left = X0 if (ly == mid_lane and "W" in sides) else X0 + 3.0
        right = X1 if (ly == mid_lane and "E" in sides) else X1 - 3.0
        if left < xs:
            comp.paths.append((left, ly, xs, ly))
        if right > xs:
            comp.paths.append((xs, ly, right, ly))
    boundary = comp.polygon.boundary
    for side in ("N", "S", "E", "W"):
        if side not in sides:
            continue
        if side in ("N", "S"):
            gx, gy = xs, (Y1 if side == "N" else Y0)
        else:
            assert mid_lane is not None
            gx, gy = (X1 if side == "E" else X0), mid_lane
        if boundary.distance(Point(gx, gy)) > 1e-6:
            continue
        comp.gates.append((gx, gy, side))
    if not comp.gates:
        comp.gates.append((xs, Y1, "N"))


def _tile_compounds(
    lay: Layout, tile: int, cells: list[CellGeom], first_cell: int, rng: np.random.Generator
) -> None:
    for k, cell in enumerate(cells):
        if cell.use != "residential":
            continue
        if cell.split:
            xm = (cell.x0 + cell.x1) / 2
            lay.lines.append(RoadLine("v", xm, cell.yb, cell.yt, RoadKind.BRANCH, None, tile))
            lay.hsplit.setdefault(cell.yt, []).append(xm)
            lay.hsplit.setdefault(cell.yb, []).append(xm)
            parts: list[tuple[int | None, dict[str, Frontage], str]] = [
                (
                    0,
                    _frontages(
                        cell.x0, xm, cell.yb, cell.yt, cell.x0, xm, SETBACK_M, ALLEY_SETBACK_M
                    ),
                    "W",
                ),
                (
                    1,
                    _frontages(
                        xm, cell.x1, cell.yb, cell.yt, xm, cell.x1, ALLEY_SETBACK_M, SETBACK_M
                    ),
                    "E",
                ),
            ]
        else:
            parts = [(None, cell.frontages, "W")]
        for half, fr, narrow in parts:
            era, year = _era(rng, split=cell.split)
            X0, X1 = fr["W"].fence, fr["E"].fence  # noqa: N806
            Y0, Y1 = fr["S"].fence, fr["N"].fence  # noqa: N806
            poly: Polygon = box(X0, Y0, X1, Y1)
            if X1 - X0 >= 120 and rng.random() < 0.3:
                cw, ch = rng.uniform(18, 30), rng.uniform(18, 30)
                corner = int(rng.integers(0, 4))
                # the cut box reaches 1 m past the fence so that no sliver is left
                cx0, cx1 = (X0 - 1, X0 + cw) if corner in (0, 3) else (X1 - cw, X1 + 1)
                cy0, cy1 = (Y0 - 1, Y0 + ch) if corner in (0, 1) else (Y1 - ch, Y1 + 1)
                poly = shapely.difference(poly, box(cx0, cy0, cx1, cy1)).normalize()
            comp = CompoundGeom(
                index=len(lay.compounds),
                tile=tile,
                community=cell.community,
                cell=first_cell + k,
                half=half,
                polygon=poly,
                era=era,
                built_year=year,
                frontages=fr,
            )
            _fill_compound(comp, rng, narrow)
            for gx, gy, side in comp.gates:
                lay.add_link(gx, gy, fr[side], RoadKind.GATE_LINK, tile, comp.index)
            lay.compounds.append(comp)


def build_layout(seed: int, scale: int) -> Layout:
    """Lay out `scale` street tiles deterministically from `seed` (local metres)."""
    from mapgov.demo.names import EW_ROADS, NS_ROADS

    ncols, _, xs, ys = _lattice(seed, scale)
    lay = Layout(scale=scale, ncols=ncols, xs=xs, ys=ys, cells=[], compounds=[], lines=[], river=[])
    for tile in range(scale):
        rng = np.random.default_rng([seed, 3, tile])
        _tile_lines(lay, tile, (EW_ROADS, NS_ROADS))
        lay.river.append(_river(lay, tile, rng))
        cells = _tile_cells(lay, tile, rng)
        first = len(lay.cells)
        lay.cells.extend(cells)
        _tile_compounds(lay, tile, cells, first, rng)
    return lay
