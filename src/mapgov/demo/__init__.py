"""The demo street: a deterministic, believable street of Luoyang's Xigong district.

``build_demo(path, seed=42, scale=1)`` writes a complete database: about 4 communities,
12 grids, 40 compounds, 400 buildings, 50-80 facilities of the nine life-circle kinds, a
connected walking network with compound gates and internal paths, the party organisation,
property management, resident units with their three lists, micro-wishes and a year of
volunteer service (:mod:`mapgov.demo.cobuild`), and about 5,000 issues over the 24 months up
to `as_of` with their event histories, plus about 400 help requests of the ten-minute help
circle (:mod:`mapgov.demo.help`). ``scale=K`` lays out K streets (scale 100
is about 40,000 buildings and 500,000 issues). The same (seed, scale, as_of) always gives the
same tables, byte for byte.

Accounts: every demo user is an account whose login is its user id. With ``password=PW``
every account of the first street signs in with PW (hashed with salts drawn from the seed, so
the build stays byte for byte the same) and the wall has a display token,
:func:`wall_token`; without it nobody can sign in until :func:`issue_sign_ins` (what
``mapgov demo`` runs) gives one-time passwords.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import hashlib
import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from shapely.geometry import Point, box

from mapgov.core import clock
from mapgov.core.crs import WGS84
from mapgov.core.errors import ValidationError
from mapgov.core.model import Role
from mapgov.demo.cobuild import build_cobuilding
from mapgov.demo.deliberation import build_deliberation
from mapgov.demo.facilities import place_facilities
from mapgov.demo.help import generate_help
from mapgov.demo.layout import Layout, build_layout
from mapgov.demo.ledger import generate_ledger
from mapgov.demo.members import build_members
from mapgov.demo.property import property_tables
from mapgov.demo.society import build_society, compound_names, street_id
from mapgov.domain import accounts, display_tokens
from mapgov.store import TABLES, Store, write_database

__all__ = [
    "DEFAULT_SEED",
    "MAX_SCALE",
    "WALL_LABEL",
    "SignIn",
    "build_demo",
    "generate",
    "issue_sign_ins",
    "sign_in_sheet",
    "wall_token",
]

DEFAULT_SEED = 42
MAX_SCALE = 1000
FRAME_FILE = Path(__file__).resolve().parents[3] / "geo" / "demo_frame.geojson"
_FALLBACK_FRAME = {
    "lon": 112.4205,
    "lat": 34.6795,
    "rotation_deg": 3.5,
    "projected_crs": "EPSG:32649",
}

Progress = Callable[[str, float], None]
WALL_LABEL = "指挥中心大屏"
"""Label of the demo's display token (the command room's wall screen)."""
_FIRST_STREET = "S001"  # at scale K only its accounts sign in: 1,100 hashes would take minutes


def _accounts_stamp(as_of: dt.date) -> str:
    """When a demo's accounts and its wall's token were made: the start of its `as_of` day.

    The accounts' times are real, not the street's pinned calendar (accounts take the real
    time, :func:`mapgov.core.clock.system_now`): stamped at the demo's data hour
    (:data:`~mapgov.core.clock.DEMO_HOUR`, 18:00) they lay hours ahead of the real time of a
    demo built that morning, after the one-time passwords set at its build. The start of the
    day keeps the build byte for byte the same and is never later than any real time of it.
    """
    return dt.datetime.combine(as_of, dt.time()).isoformat()


def _frame() -> dict[str, Any]:
    """Anchor, rotation and projected CRS of the demo district (from geo/demo_frame.geojson)."""
    if not FRAME_FILE.is_file():  # installed without the repository: use the same numbers
        return dict(_FALLBACK_FRAME)
    data = json.loads(FRAME_FILE.read_text(encoding="utf-8"))
    feat = next(f for f in data["features"] if f["properties"].get("role") == "anchor")
    lon, lat = feat["geometry"]["coordinates"]
    props = feat["properties"]
    return {
        "lon": lon,
        "lat": lat,
        "rotation_deg": float(props["rotation_deg"]),
        "projected_crs": props["projected_crs"],
    }


class _Projector:
    """Local metres -> WGS 84: turn, shift to the anchor in UTM, unproject."""

    def __init__(self) -> None:
        fr = _frame()
        self.crs = fr["projected_crs"]
        to_utm = pyproj.Transformer.from_crs(WGS84, self.crs, always_xy=True)
        self.e0, self.n0 = to_utm.transform(fr["lon"], fr["lat"])
        theta = math.radians(fr["rotation_deg"])
        self.cos, self.sin = math.cos(theta), math.sin(theta)
        self.back = pyproj.Transformer.from_crs(self.crs, WGS84, always_xy=True)

    def coords(self, xy: np.ndarray) -> np.ndarray:
        x, y = xy[:, 0], xy[:, 1]
        e = x * self.cos - y * self.sin + self.e0
        n = x * self.sin + y * self.cos + self.n0
        lon, lat = self.back.transform(e, n)
        return np.column_stack([lon, lat])

    def geoms(self, geoms: list[Any] | np.ndarray) -> np.ndarray:
        arr = shapely.transform(np.asarray(geoms, dtype=object), self.coords)
        return shapely.set_precision(arr, 1e-7)


def _gdf(rows: list[dict[str, Any]], geoms: np.ndarray, columns: list[str]) -> gpd.GeoDataFrame:
    frame = pd.DataFrame(rows, columns=columns) if rows else pd.DataFrame(columns=columns)
    return gpd.GeoDataFrame(frame, geometry=list(geoms), crs=WGS84)


def _cols(name: str) -> list[str]:
    return [c for c in next(t for t in TABLES if t.name == name).column_names if c != "geom"]


def _frame_of(name: str, rows: list[dict[str, Any]]) -> pd.DataFrame:
    cols = _cols(name)
    return pd.DataFrame([{c: r.get(c) for c in cols} for r in rows], columns=cols)


def _validate(seed: int, scale: int) -> None:
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        msg = f"seed must be a non-negative integer, not {seed!r}"
        raise ValidationError(msg)
    if not isinstance(scale, int) or isinstance(scale, bool) or not 1 <= scale <= MAX_SCALE:
        msg = f"scale must be an integer from 1 to {MAX_SCALE}, not {scale!r}"
        raise ValidationError(msg)


def generate(
    *,
    seed: int = DEFAULT_SEED,
    scale: int = 1,
    as_of: dt.date,
    progress: Progress | None = None,
) -> dict[str, pd.DataFrame]:
    """Generate every table of the demo in memory.

    Parameters
    ----------
    seed
        Seed of every random draw.
    scale
        Number of streets (1 is one street of about 400 buildings).
    as_of
        The demo's date: its data end that day, issues cover the 24 months before it, and its
        calendar stays on it (:func:`mapgov.core.clock.pinned_day`).
    progress
        Called with (stage, share done).

    Returns
    -------
    dict
        Frames by table name, GeoDataFrames in EPSG:4326 for tables with geometry.
    """
    _validate(seed, scale)
    say = progress or (lambda _stage, _share: None)
    say("layout", 0.0)
    lay = build_layout(seed, scale)
    say("society", 0.1)
    soc = build_society(lay, seed, as_of)
    cnames = compound_names(lay, seed)
    community_names = [soc.community_names[c] for c in soc.community_ids]
    facilities = place_facilities(lay, seed, cnames, community_names)
    build_cobuilding(soc, lay, seed, as_of)
    proj = _Projector()
    say("geometry", 0.2)
    tables: dict[str, pd.DataFrame] = {}
    tables.update(_places(lay, soc, proj))
    tables.update(_things(lay, soc, proj, facilities))
    stamp = _accounts_stamp(as_of)
    users = [
        {**u, "login": u["user_id"], "enabled": 1, "created_at": stamp, "changed_at": stamp}
        for u in _users(soc)
    ]
    tables["app_user"] = _frame_of("app_user", users).assign(must_change_password=0, version=1)
    for name in (
        "party_org",
        "branch_star",
        "party_member",
        "responsibility_zone",
        "zone_building",
        "unit_resource",
        "community_need",
        "co_project",
        "micro_wish",
        "volunteer_event",
        "co_event",
    ):
        rows = soc.tables.get(name, [])
        if name == "party_org":  # parents before children
            depth = {
                "street_committee": 0,
                "property_branch": 1,
                "community_committee": 1,
                "compound_branch": 2,
                "building_group": 3,
            }
            rows = sorted(rows, key=lambda r: (depth[r["level"]], r["org_id"]))
        tables[name] = _frame_of(name, rows)
    say("issues", 0.35)
    issues, events = _ledger(lay, soc, tables, seed, as_of, say)
    tables["issue"] = issues
    tables["issue_event"] = events
    for name, rows in build_deliberation(tables, seed=seed, as_of=as_of).items():
        tables[name] = _frame_of(name, rows)
    for name, frame in build_members(tables, seed, as_of).items():  # party members' service
        tables[name] = _frame_of(name, frame.to_dict("records"))
    # property companies: agreements, branches and residents' quarterly evaluations (issue 21)
    tables.update(property_tables(tables["property_management"], seed, as_of))
    say("generated", 0.7)
    return tables


def _users(soc: Any) -> list[dict[str, Any]]:
    """Demo users: a leader, a planner and an admin per street, two staff per community."""
    rows: list[dict[str, Any]] = []
    secretaries = {o["org_id"]: o["secretary"] for o in soc.tables["party_org"]}
    for street in soc.tables["street"]:
        sid = street["street_id"]
        secretary = secretaries[f"PO-{sid}"]
        rows.append(
            {"user_id": f"{sid}-leader", "name": secretary, "role": "leader", "street_id": sid}
        )
        rows.append(
            {
                "user_id": f"{sid}-planner",
                "name": f"规划员{sid[1:]}",
                "role": "planner",
                "street_id": sid,
            }
        )
        rows.append(
            {
                "user_id": f"{sid}-admin",
                "name": f"管理员{sid[1:]}",
                "role": "admin",
                "street_id": sid,
            }
        )
    for cid in soc.community_ids:
        for k, name in enumerate(soc.staff[cid][:2], start=1):
            rows.append(
                {
                    "user_id": f"{cid}-staff{k}",
                    "name": name,
                    "role": "staff",
                    "street_id": cid.split("-")[0],
                    "community_id": cid,
                }
            )
    return rows


def _places(lay: Layout, soc: Any, proj: _Projector) -> dict[str, pd.DataFrame]:
    grid_rows = soc.tables["grid"]
    territories: dict[tuple[int, int, int], list[Any]] = {}
    for c in lay.cells:
        territories.setdefault((c.tile, c.community, c.grid), []).append(c.territory)
    grid_geoms = [
        shapely.union_all(territories.get((g["tile"], g["k"], g["g"]), [])) for g in grid_rows
    ]
    grid_w = proj.geoms(grid_geoms)
    grids = _gdf([{c: r[c] for c in _cols("grid")} for r in grid_rows], grid_w, _cols("grid"))
    com_rows = soc.tables["community"]
    com_geoms = [
        shapely.union_all(grid_w[grids["community_id"].to_numpy() == r["community_id"]])
        for r in com_rows
    ]
    communities = _gdf(
        [{c: r[c] for c in _cols("community")} for r in com_rows],
        np.asarray(com_geoms, dtype=object),
        _cols("community"),
    )
    street_rows = soc.tables["street"]
    street_geoms = [
        shapely.union_all(
            np.asarray(com_geoms, dtype=object)[
                communities["street_id"].to_numpy() == r["street_id"]
            ]
        )
        for r in street_rows
    ]
    streets = _gdf(
        [{c: r[c] for c in _cols("street")} for r in street_rows],
        np.asarray(street_geoms, dtype=object),
        _cols("street"),
    )
    comp_geoms = proj.geoms([lay.compounds[r["index"]].polygon for r in soc.compound_rows])
    compounds = _gdf(
        [{c: r.get(c) for c in _cols("compound")} for r in soc.compound_rows],
        comp_geoms,
        _cols("compound"),
    )
    buildings = _gdf(
        [{c: r.get(c) for c in _cols("building")} for r in soc.buildings],
        proj.geoms(soc.building_geoms),
        _cols("building"),
    )
    return {
        "street": streets,
        "community": communities,
        "grid": grids,
        "compound": compounds,
        "building": buildings,
        "property_management": _frame_of("property_management", soc.property_rows),
    }


def _things(
    lay: Layout, soc: Any, proj: _Projector, facilities: list[dict[str, Any]]
) -> dict[str, pd.DataFrame]:
    gates = soc.tables["gate"]
    segs = lay.road_segments()
    road_rows = [
        {
            "road_id": k + 1,
            "kind": kind.value,
            "name": name,
            "street_id": street_id(tile),
            "compound_id": soc.compound_ids[comp] if comp is not None else None,
        }
        for k, (_, kind, name, tile, comp) in enumerate(segs)
    ]
    fac_rows = [
        {**f, "address": None, "community_id": soc.community_ids[4 * f["tile"] + f["community"]]}
        for f in facilities
    ]
    units = soc.tables["resident_unit"]
    land: list[dict[str, Any]] = []
    land_geoms: list[Any] = []
    for tile, river in enumerate(lay.river):
        xmin, ymin, xmax, ymax = lay.tile_bounds(tile)
        land.append(
            {
                "landuse_id": f"L-{street_id(tile)}-W",
                "kind": "water",
                "name": "涧河",
                "street_id": street_id(tile),
            }
        )
        land_geoms.append(shapely.intersection(river, box(xmin, ymin, xmax, ymax)))
    names = {"park": "游园", "school": "学校", "service": "社区服务中心", "market": "市场"}
    for k, cell in enumerate(lay.cells):
        if cell.use == "residential":
            continue
        fr = cell.frontages
        land.append(
            {
                "landuse_id": f"L-{street_id(cell.tile)}-{k:03d}",
                "kind": cell.use,
                "name": names[cell.use],
                "street_id": street_id(cell.tile),
            }
        )
        land_geoms.append(box(fr["W"].fence, fr["S"].fence, fr["E"].fence, fr["N"].fence))
    return {
        "gate": _gdf(
            [{c: g.get(c) for c in _cols("gate")} for g in gates],
            proj.geoms([Point(g["x"], g["y"]) for g in gates]),
            _cols("gate"),
        ),
        "road": _gdf(road_rows, proj.geoms([s[0] for s in segs]), _cols("road")),
        "facility": _gdf(
            [{c: f.get(c) for c in _cols("facility")} for f in fac_rows],
            proj.geoms([Point(f["x"], f["y"]) for f in fac_rows]),
            _cols("facility"),
        ),
        "resident_unit": _gdf(
            [{c: u.get(c) for c in _cols("resident_unit")} for u in units],
            proj.geoms([Point(u["x"], u["y"]) for u in units]),
            _cols("resident_unit"),
        ),
        "landuse": _gdf(land, proj.geoms(land_geoms), _cols("landuse")),
    }


def _ledger(
    lay: Layout, soc: Any, tables: dict[str, pd.DataFrame], seed: int, as_of: dt.date, say: Progress
) -> tuple[pd.DataFrame, pd.DataFrame]:
    b = tables["building"]
    cents = shapely.centroid(b.geometry.to_numpy())
    b_lon, b_lat = shapely.get_x(cents), shapely.get_y(cents)
    comp = tables["compound"]
    c_cent = shapely.centroid(comp.geometry.to_numpy())
    c_spread = np.sqrt(shapely.area(comp.geometry.to_numpy())) / 5
    prop = tables["property_management"].set_index("compound_id")
    grids = tables["grid"].set_index("grid_id")
    comp_pos = {cid: k for k, cid in enumerate(comp["compound_id"])}
    tile_of_comp = np.array([lay.compounds[r["index"]].tile for r in soc.compound_rows])
    cframe = pd.DataFrame(
        {
            "compound_id": comp["compound_id"].to_numpy(),
            "name": comp["name"].to_numpy(),
            "era": [lay.compounds[r["index"]].era for r in soc.compound_rows],
            "mode": prop.loc[comp["compound_id"], "mode"].to_numpy(),
            "company": prop.loc[comp["compound_id"], "company"].to_numpy(),
            "red": prop.loc[comp["compound_id"], "red_property"].to_numpy(),
            "grid_name": grids.loc[comp["grid_id"], "name"].to_numpy(),
            "grid_worker": grids.loc[comp["grid_id"], "grid_worker"].to_numpy(),
            "community_id": grids.loc[comp["grid_id"], "community_id"].to_numpy(),
            "lon": shapely.get_x(c_cent),
            "lat": shapely.get_y(c_cent),
            "spread": c_spread,
        }
    )
    cframe["community_name"] = [soc.community_names[c] for c in cframe["community_id"]]
    cframe["staff"] = [soc.staff[c] for c in cframe["community_id"]]
    bframe = pd.DataFrame(
        {
            "building_id": b["building_id"].to_numpy(),
            "name": b["name"].to_numpy(),
            "residents": b["residents"].to_numpy(),
            "floors": b["floors"].to_numpy(),
            "building_head": b["building_head"].to_numpy(),
            "building_head_phone": b["building_head_phone"].to_numpy(),
            "compound_pos": [comp_pos[c] for c in b["compound_id"]],
            "lon": b_lon,
            "lat": b_lat,
        }
    )
    b_tile = tile_of_comp[bframe["compound_pos"].to_numpy()]
    issue_parts: list[pd.DataFrame] = []
    event_parts: list[dict[str, np.ndarray]] = []
    streets: list[tuple[pd.DataFrame, pd.DataFrame]] = []
    next_id = 1
    for tile in range(lay.scale):
        rng = np.random.default_rng([seed, 9, tile])
        cmask = tile_of_comp == tile
        cpos = np.flatnonzero(cmask)
        local = {int(p): k for k, p in enumerate(cpos)}
        bsub = bframe[b_tile == tile].copy()
        bsub["compound_pos"] = [local[int(p)] for p in bsub["compound_pos"]]
        issues, events = generate_ledger(
            rng, as_of, bsub.reset_index(drop=True), cframe[cmask].reset_index(drop=True), next_id
        )
        next_id += len(issues)
        issue_parts.append(issues)
        event_parts.append(events)
        streets.append((bsub.reset_index(drop=True), cframe[cmask].reset_index(drop=True)))
        if tile % 5 == 0:
            say("issues", 0.35 + 0.3 * (tile + 1) / lay.scale)
    # help requests (十分钟办事圈) after every street's ledger, from a generator of their own:
    # the ledger's issues and events keep their ids and draws
    for tile, (bsub, csub) in enumerate(streets):
        rng = np.random.default_rng([seed, 21, tile])
        issues, events = generate_help(rng, as_of, bsub, csub, next_id, len(issue_parts[tile]))
        next_id += len(issues)
        issue_parts.append(issues)
        event_parts.append(events)
    issues = pd.concat(issue_parts, ignore_index=True)
    events = pd.DataFrame({k: np.concatenate([e[k] for e in event_parts]) for k in event_parts[0]})
    events.insert(0, "event_id", np.arange(1, len(events) + 1))
    return issues, events


def build_demo(
    path: Path | str,
    *,
    seed: int = DEFAULT_SEED,
    scale: int = 1,
    as_of: dt.date,
    password: str | None = None,
    progress: Progress | None = None,
) -> Path | str:
    """Build the demo database at `path`, replacing it only when the new one is complete.

    Parameters
    ----------
    path
        Target SQLite file (its directory must exist and be writable), or the
        ``postgresql://`` URL of an existing database.
    seed, scale, as_of
        See :func:`generate`.
    password
        Every account of the first street signs in with it (no change asked), and the wall
        screen's display token is :func:`wall_token` (`seed`, `password`): for tests and
        demonstrations. None: no account has a password (see :func:`issue_sign_ins`).
    progress
        Called with (stage, share done), share from 0 to 1.

    Raises
    ------
    ValidationError
        For a bad seed or scale.
    StoreError
        If the database cannot be written; an existing file at `path` is left as it was.
    """
    _validate(seed, scale)
    say = progress or (lambda _stage, _share: None)
    tables = generate(seed=seed, scale=scale, as_of=as_of, progress=say)
    if password is not None:
        say("accounts", 0.7)
        _with_password(tables, seed=seed, as_of=as_of, password=password)

    def write_progress(stage: str, share: float) -> None:
        say(f"write:{stage}", 0.7 + 0.3 * share)

    meta = {
        "generator": clock.DEMO_GENERATOR,
        "seed": str(seed),
        "scale": str(scale),
        "as_of": as_of.isoformat(),
        "crs": WGS84,
        "projected_crs": _frame()["projected_crs"],
    }
    return write_database(path, tables, meta, progress=write_progress)


def wall_token(seed: int, password: str) -> str:
    """The display token of a demo built with `password` (derived, so tests know it)."""
    digest = hashlib.sha256(f"mapgov demo wall {seed} {password}".encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _with_password(
    tables: dict[str, pd.DataFrame], *, seed: int, as_of: dt.date, password: str
) -> None:
    """Give the first street's accounts `password` (salts from the seed) and the wall a token."""
    users = tables["app_user"]
    first = users["street_id"] == _FIRST_STREET
    users.loc[first, "password_hash"] = [
        accounts.hash_password(
            password, salt=hashlib.sha256(f"{seed}:{login}".encode()).digest()[:16]
        )
        for login in users.loc[first, "login"]
    ]
    stamp = _accounts_stamp(as_of)
    token = {
        "token_id": 1,
        "label": WALL_LABEL,
        "street_id": _FIRST_STREET,
        "token_hash": accounts.token_hash(wall_token(seed, password)),
        "created_at": stamp,
        "created_by": "demo",
    }
    tables["display_token"] = _frame_of("display_token", [token])


@dataclasses.dataclass(frozen=True)
class SignIn:
    """One line of the sheet ``mapgov demo`` prints: who signs in how."""

    login: str
    role: str
    scope: str
    password: str


def sign_in_sheet(store: Store, password: str) -> list[SignIn]:
    """The accounts of a demo built with `password` that sign in with it."""
    return [
        SignIn(a.login, a.role.value, a.community_id or a.street_id or "", password)
        for a in accounts.list_accounts(store)
        if a.has_password
    ]


def issue_sign_ins(store: Store, *, now: dt.datetime) -> tuple[list[SignIn], str]:
    """Give the first street's accounts random one-time passwords (each must be changed at
    the first sign-in) and the wall a random display token; audited, actor "demo".

    Returns
    -------
    (list of SignIn, str)
        The passwords and the token: print them once, they are stored only as hashes.
    """
    sheet = []
    for account in accounts.list_accounts(store):
        if account.street_id != _FIRST_STREET or account.role == Role.DISPLAY:
            continue
        one_time = accounts.set_password(store, account.login, now=now, actor="demo", source="demo")
        scope = account.community_id or account.street_id or ""
        sheet.append(SignIn(account.login, account.role.value, scope, one_time or ""))
    token = display_tokens.add_display_token(
        store, WALL_LABEL, _FIRST_STREET, now=now, actor="demo", source="demo"
    )
    return sheet, token
