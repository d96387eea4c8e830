"""Ten-minute life circle (十分钟生活圈): who can walk to each kind of service in time.

For each facility kind, the walking distance from every building to the nearest facility of
that kind is found in ONE multi-source Dijkstra pass over the walking network
(:mod:`mapgov.domain.lifecircle.network`): buildings enter the network through their own compound's
paths and gates, facilities through their access links. Thresholds come from a standard profile
shipped as data (``standards/gb50180.toml``) and can be overridden per kind, by tier, in metres, or
in minutes at a walking speed. The straight-line method (a KD-tree) is there for comparison: it
overstates coverage, because rivers, walls and gated compounds lengthen real walks.

All distances are metres, measured in the local UTM zone (:func:`mapgov.core.crs.local_metric`).
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import Final, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import shapely.ops
from scipy import sparse
from scipy.spatial import cKDTree

from mapgov.core.crs import WGS84
from mapgov.core.errors import ValidationError
from mapgov.core.model import FacilityKind
from mapgov.domain.lifecircle.network import (
    WalkGraph,
    multi_source_distances,
    point_xy,
    snap,
    walk_graph,
)
from mapgov.domain.locating import street_compounds
from mapgov.store import Store

__all__ = [
    "KINDS",
    "SUMMARY_COLUMNS",
    "Method",
    "Profile",
    "building_distances",
    "coverage_table",
    "load_profile",
    "service_areas",
    "summarize",
    "thresholds",
]

KINDS: Final = tuple(k.value for k in FacilityKind)
Method = Literal["network", "straight"]


@dataclass(frozen=True)
class Profile:
    """A life-circle standard: tier distances, each kind's tier, walking speeds (m/min)."""

    name: str
    tiers: dict[int, float]
    kind_tier: dict[str, int]
    walking_speed: float = 70.0
    speed_range: tuple[float, float] = (60.0, 80.0)
    meta: dict[str, object] = field(default_factory=dict)


def load_profile(name: str = "gb50180") -> Profile:
    """Load a standard profile shipped in ``mapgov/domain/lifecircle/standards/<name>.toml``.

    Parameters
    ----------
    name : str
        The profile's file name without ``.toml``.

    Returns
    -------
    Profile
        Its tiers, each kind's tier and the walking speeds.

    Raises
    ------
    ValidationError
        For a profile not shipped, or one naming an unknown facility kind.
    """
    try:
        text = (
            resources.files("mapgov.domain.lifecircle.standards")
            .joinpath(f"{name}.toml")
            .read_text("utf-8")
        )
    except FileNotFoundError as err:
        msg = f"no standard profile {name!r}"
        raise ValidationError(msg) from err
    data = tomllib.loads(text)
    kind_tier = {str(k): int(v) for k, v in data["kinds"].items()}
    unknown = set(kind_tier) - set(KINDS)
    if unknown:
        msg = f"profile {name}: unknown facility kinds {sorted(unknown)}"
        raise ValidationError(msg)
    return Profile(
        name=data["name"],
        tiers={int(k): float(v) for k, v in data["tiers"].items()},
        kind_tier=kind_tier,
        walking_speed=float(data.get("walking_speed", 70)),
        speed_range=(
            float(data.get("walking_speed_min", 60)),
            float(data.get("walking_speed_max", 80)),
        ),
    )


def thresholds(
    profile: Profile,
    *,
    kinds: Iterable[str] | None = None,
    tier: int | None = None,
    metres: float | None = None,
    minutes: float | None = None,
    speed: float | None = None,
    overrides: Mapping[str, float] | None = None,
) -> dict[str, float]:
    """Walking threshold in metres for each kind.

    Precedence: `overrides` for a kind, then `metres` for all, then `minutes` x `speed`, then
    `tier`'s distance for all, then each kind's own tier in the profile.

    Parameters
    ----------
    profile : Profile
        The standard, from :func:`load_profile`.
    kinds : iterable of str or None
        The facility kinds (default: the profile's).
    tier : int or None
        One tier's distance for every kind.
    metres : float or None
        One distance for every kind.
    minutes : float or None
        A walking time, turned into metres at `speed`.
    speed : float or None
        Walking speed in metres a minute (default: the profile's).
    overrides : mapping of str to float or None
        Metres for single kinds.

    Returns
    -------
    dict of str to float
        Metres by kind.

    Raises
    ------
    ValidationError
        For an unknown kind or tier, a speed outside the profile's range, or a threshold that
        is not positive.
    """
    chosen = list(kinds) if kinds else list(KINDS)
    bad = [k for k in chosen if k not in KINDS]
    if bad:
        msg = f"unknown facility kinds {bad}; known: {', '.join(KINDS)}"
        raise ValidationError(msg)
    if tier is not None and tier not in profile.tiers:
        msg = f"tier must be one of {sorted(profile.tiers)} minutes, not {tier}"
        raise ValidationError(msg)
    if speed is not None and not profile.speed_range[0] <= speed <= profile.speed_range[1]:
        lo, hi = profile.speed_range
        msg = f"walking speed must be {lo:g} to {hi:g} m/min, not {speed:g}"
        raise ValidationError(msg)
    out: dict[str, float] = {}
    for kind in chosen:
        if overrides and kind in overrides:
            value = float(overrides[kind])
        elif metres is not None:
            value = float(metres)
        elif minutes is not None:
            value = float(minutes) * (speed or profile.walking_speed)
        elif tier is not None:
            value = profile.tiers[tier]
        else:
            value = profile.tiers[profile.kind_tier[kind]]
        if not value > 0:
            msg = f"threshold for {kind} must be positive, not {value:g}"
            raise ValidationError(msg)
        out[kind] = value
    return out


def building_distances(
    graph: WalkGraph,
    buildings: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    *,
    kinds: Iterable[str],
    limit: float = np.inf,
    method: Method = "network",
) -> pd.DataFrame:
    """Metres from every building to the nearest facility of each kind.

    Parameters
    ----------
    graph : WalkGraph
        The walking network (also gives the metric CRS).
    buildings : geopandas.GeoDataFrame
        Reads ``building_id`` and, if present, ``compound_id`` (to enter through its compound).
    facilities : geopandas.GeoDataFrame
        Reads ``kind``.
    kinds : iterable of str
        The kinds to answer.
    limit : float
        Do not search beyond this many metres (inf there); one pass answers every threshold up to
        it.
    method : str
        "network" (walking) or "straight" (as the crow flies).

    Returns
    -------
    DataFrame
        Index ``building_id``, one float column per kind (inf = none within `limit`).
    """
    kinds = list(kinds)
    out = pd.DataFrame(index=pd.Index(buildings["building_id"], name="building_id"))
    if method == "straight":
        b_xy = point_xy(buildings, graph.crs)  # the same points the network method enters
        f_xy = point_xy(facilities, graph.crs)
        located = np.isfinite(b_xy).all(axis=1)  # a row without a geometry reaches nothing
        f_located = np.isfinite(f_xy).all(axis=1)
        for kind in kinds:
            mask = (facilities["kind"].to_numpy() == kind) & f_located
            d = np.full(len(b_xy), np.inf)
            if mask.any():
                d[located] = cKDTree(f_xy[mask]).query(b_xy[located], distance_upper_bound=limit)[0]
            out[kind] = d
        return out
    if method != "network":
        msg = f"method must be 'network' or 'straight', not {method!r}"
        raise ValidationError(msg)
    groups = buildings["compound_id"].array if "compound_id" in buildings else None
    b_snap = snap(graph, buildings, groups)
    f_snap = snap(graph, facilities)
    for kind in kinds:
        sources = f_snap.subset(facilities["kind"].to_numpy() == kind)
        d = b_snap.distances(multi_source_distances(graph, sources, limit=limit), sources)
        out[kind] = np.where(d <= limit, d, np.inf)
    return out


def coverage_table(
    store: Store,
    limits: Mapping[str, float],
    *,
    method: Method = "network",
    graph: WalkGraph | None = None,
    street_id: str | None = None,
) -> gpd.GeoDataFrame:
    """Per building: its place, people, distance to each kind and whether it is covered.

    Parameters
    ----------
    store : Store
        Where buildings, facilities and roads come from.
    limits : mapping of str to float
        Threshold in metres per kind (see :func:`thresholds`).
    method : str
        "network" or "straight".
    graph : WalkGraph or None
        A walking graph already built from the store's roads (built here if not given).
    street_id : str or None
        Only this street's buildings (facilities of every street count: people cross streets).

    Returns
    -------
    GeoDataFrame
        building_id, name, compound_id, compound_name, community_id, street_id, residents,
        elderly, ``dist_<kind>`` (metres, inf if beyond the largest threshold),
        ``covered_<kind>`` (bool), ``complete`` (covered for every kind), geometry (EPSG:4326).
    """
    b = _buildings_with_places(store, street_id)
    fac = store.read("facility")
    graph = graph or walk_graph(store.read("road"))
    dist = building_distances(
        graph, b, fac, kinds=list(limits), limit=max(limits.values()), method=method
    )
    cols: dict[str, np.ndarray] = {}
    for kind, metres in limits.items():
        d = dist[kind].to_numpy()
        cols[f"dist_{kind}"] = d
        cols[f"covered_{kind}"] = d <= metres
    table = b.assign(**cols)
    table["complete"] = np.logical_and.reduce([cols[f"covered_{k}"] for k in limits])
    return table


def _buildings_with_places(store: Store, street_id: str | None) -> gpd.GeoDataFrame:
    comp = street_compounds(store, ["compound_id", "grid_id", "name"], street_id=street_id)
    b = store.read(
        "building",
        where={"compound_id": list(comp["compound_id"])},
        columns=["building_id", "compound_id", "name", "residents", "elderly", "geom"],
    )
    places = comp.rename(columns={"name": "compound_name"}).drop(columns="grid_id")
    return b.merge(places, on="compound_id")


SUMMARY_COLUMNS: Final = (
    "buildings",
    "buildings_covered",
    "share_buildings",
    "residents",
    "residents_covered",
    "share_residents",
    "elderly",
    "elderly_covered",
    "share_elderly",
    "share_complete",
)


def summarize(
    table: pd.DataFrame, kinds: Iterable[str], *, by: str = "community_id"
) -> pd.DataFrame:
    """Coverage per group (compound, community or street) and kind.

    Every figure is one product of a sparse (group x building) membership matrix with the
    buildings' columns (no loop over groups): a city of 400 communities and nine kinds is
    summed in a few milliseconds.

    Parameters
    ----------
    table : pandas.DataFrame
        A :func:`coverage_table`.
    kinds : iterable of str
        The kinds to sum, in the order of the rows.
    by : str
        "compound_id", "community_id" or "street_id".

    Returns
    -------
    DataFrame
        One row per group and kind (groups in sorted order, each with its kinds in the order
        given): `by`, kind, buildings, buildings_covered, share_buildings, residents,
        residents_covered, share_residents, elderly, elderly_covered, share_elderly, and the
        group's ``share_complete`` (residents reaching every kind). A row with group "ALL"
        covers the whole table, including rows without a group (which have no row of their
        own). Shares are NaN where the group has no residents (or no elderly). An empty table
        gives no rows.
    """
    kinds = list(kinds)
    codes, groups = pd.factorize(table[by], sort=True)  # -1: no group
    n_groups, n = len(groups), len(table)
    # one sparse (group x row) matrix sums every figure of every group at once; its last row
    # is ALL, which sums every row (rows without a group count for ALL only)
    grouped = np.flatnonzero(codes >= 0)
    member = sparse.csr_matrix(
        (
            np.ones(len(grouped) + n),
            (np.concatenate([codes[grouped], np.full(n, n_groups)]), np.r_[grouped, 0:n]),
        ),
        shape=(n_groups + 1, n),
    )
    res = table["residents"].to_numpy(dtype=float)
    eld = table["elderly"].to_numpy(dtype=float)
    cov = np.column_stack(
        [table[f"covered_{k}"].to_numpy(dtype=bool) for k in kinds] or [np.zeros(n, bool)]
    ).astype(float)[:, : len(kinds)]
    complete = table["complete"].to_numpy(dtype=bool) if "complete" in table else np.zeros(n, bool)
    # whole numbers: the sums are exact in float64, whatever their order
    base = member @ np.column_stack([np.ones(n), res, eld, res * complete])
    n_b, n_res, n_eld = base[:, 0:1], base[:, 1:2], base[:, 2:3]
    c_b = member @ cov
    c_res = member @ (cov * res[:, None])
    c_eld = member @ (cov * eld[:, None])
    k = len(kinds)
    with np.errstate(invalid="ignore", divide="ignore"):
        share_complete = (
            np.where(n_res != 0, base[:, 3:4] / n_res, np.nan)
            if "complete" in table
            else np.full((len(base), 1), np.nan)
        )
        figures = {
            "buildings": np.repeat(n_b, k, axis=1),
            "buildings_covered": c_b,
            "share_buildings": c_b / n_b,
            "residents": np.repeat(n_res, k, axis=1),
            "residents_covered": c_res,
            "share_residents": np.where(n_res != 0, c_res / n_res, np.nan),
            "elderly": np.repeat(n_eld, k, axis=1),
            "elderly_covered": c_eld,
            "share_elderly": np.where(n_eld != 0, c_eld / n_eld, np.nan),
            "share_complete": np.repeat(share_complete, k, axis=1),
        }
    present = base[:, 0] > 0  # ALL of an empty table has no row
    labels = np.append(np.asarray(groups, dtype=object), "ALL")[present]
    out: dict[str, object] = {
        by: np.repeat(labels, k).tolist(),
        "kind": kinds * len(labels),
    }
    for column, values in figures.items():
        flat = values[present].ravel()  # group by group, each group's kinds in order
        # counts and sums of whole numbers: int() of the sum, as a loop over groups would
        out[column] = flat if column.startswith("share") else np.trunc(flat).astype(np.int64)
    return pd.DataFrame(out)


def service_areas(
    graph: WalkGraph,
    facilities: gpd.GeoDataFrame,
    metres: float,
    *,
    width_m: float = 20.0,
) -> gpd.GeoDataFrame:
    """The area each facility serves within `metres` of walking, drawn from reached edges.

    Each edge is kept for the part of its length that is within reach (an edge reached from
    one end is cut where the remaining distance runs out; the facility's own edge is walked
    both ways from where it enters it), then the kept pieces are buffered by
    `width_m` / 2 and unioned. This is the area along the network, not a circle.

    Parameters
    ----------
    graph : WalkGraph
        The walking network.
    facilities : geopandas.GeoDataFrame
        The facilities whose areas are drawn.
    metres : float
        How far one walks.
    width_m : float
        The width of the drawn band along each edge, in metres.

    Returns
    -------
    GeoDataFrame
        The facilities' columns plus geometry = service area polygon (EPSG:4326).
    """
    f_snap = snap(graph, facilities)
    f_xy = point_xy(facilities, graph.crs)
    polys = []
    starts, ends = graph.edge_start, graph.edge_end
    lengths = graph.edge_length
    for k in range(len(facilities)):
        one = f_snap.subset(slice(k, k + 1))
        d = multi_source_distances(graph, one, limit=metres)
        reach_a = np.clip(metres - d[starts], 0, None)  # metres left at the start node
        reach_b = np.clip(metres - d[ends], 0, None)
        keep = (reach_a > 0) | (reach_b > 0)
        pieces = []
        for e in np.flatnonzero(keep):
            line = graph.edge_geoms[e]
            a, b = min(reach_a[e], lengths[e]), min(reach_b[e], lengths[e])
            if a + b >= lengths[e]:
                pieces.append(line)
                continue
            if a > 0:
                pieces.append(shapely.ops.substring(line, 0, a))
            if b > 0:
                pieces.append(shapely.ops.substring(line, lengths[e] - b, lengths[e]))
        if one.link[0] <= metres:  # the point, and its own edge both ways from it
            pieces.append(shapely.Point(f_xy[k]))
            e, left = one.edge[0], metres - one.link[0]
            lo, hi = max(one.along[0] - left, 0.0), min(one.along[0] + left, lengths[e])
            if hi > lo:
                pieces.append(shapely.ops.substring(graph.edge_geoms[e], lo, hi))
        polys.append(
            shapely.union_all(shapely.buffer(np.asarray(pieces, dtype=object), width_m / 2))
            if pieces
            else None
        )
    out = gpd.GeoDataFrame(
        facilities.drop(columns=facilities.geometry.name),
        geometry=gpd.GeoSeries(polys, index=facilities.index, crs=graph.crs),
        crs=graph.crs,
    )
    return out.to_crs(WGS84)
