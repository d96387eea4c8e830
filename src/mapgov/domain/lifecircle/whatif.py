"""What if a facility were placed here, or closed? Who gains or loses walking reach, at once.

A planner drops up to :data:`MAX_CANDIDATES` candidate sites of one facility kind on the map,
and may close existing facilities of that kind; the answer is which buildings come within the
walking threshold and which fall out of it, with their residents and elderly, by community.

Everything that does not depend on the candidates is computed once per store data version,
kind, threshold and street, and kept (:func:`whatif_context`): the walking graph, the buildings
snapped onto it exactly as :func:`mapgov.domain.lifecircle.coverage.coverage_table` snaps them,
and each building's distance to the nearest existing facility of the kind, taken from
``coverage_table`` itself (so the figures agree with the life-circle page and ``mapgov
coverage``). A candidate then costs one snap and one Dijkstra pass bounded by the threshold from
where it enters the network: distance to the nearest facility is a minimum over facilities, so
the new distance is ``min(current, candidate's)``. Closing facilities costs one pass from the
facilities that remain (bounded too).

Distances are metres along the walking network, in the local UTM zone; coordinates given and
returned are WGS 84 longitude and latitude.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Final

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from mapgov.core.crs import WGS84, transform_xy
from mapgov.core.errors import ValidationError
from mapgov.core.model import FacilityKind
from mapgov.domain.lifecircle import coverage
from mapgov.domain.lifecircle.network import (
    Snapped,
    WalkGraph,
    multi_source_distances,
    snap,
    walk_graph,
)
from mapgov.store import Store

__all__ = [
    "ALL",
    "BUILDING_COLUMNS",
    "CANDIDATE_COLUMNS",
    "COMMUNITY_COLUMNS",
    "MAX_CANDIDATES",
    "SNAP_LIMIT_M",
    "WhatIfContext",
    "WhatIfResult",
    "clear_contexts",
    "threshold_for",
    "what_if",
    "whatif_context",
]

MAX_CANDIDATES: Final = 5
"""Most candidate sites weighed at once."""
SNAP_LIMIT_M: Final = 150.0
"""A candidate farther than this from every walkable road is refused (it stands in a field,
a river or another town: its snap would say nothing about the place clicked)."""
ALL: Final = "ALL"
"""Community id of the whole scope's row in :attr:`WhatIfResult.communities`."""
CANDIDATE_COLUMNS: Final = (
    "candidate",
    "lon",
    "lat",
    "snapped_lon",
    "snapped_lat",
    "snap_m",
    "buildings_gained",
    "residents_gained",
    "elderly_gained",
    "buildings_new",
    "residents_new",
    "elderly_new",
)
BUILDING_COLUMNS: Final = (
    "building_id",
    "name",
    "compound_id",
    "compound_name",
    "community_id",
    "residents",
    "elderly",
    "status",
    "candidate",
    "distance_before_m",
    "distance_after_m",
)
COMMUNITY_COLUMNS: Final = (
    "community_id",
    "community",
    "buildings_gained",
    "residents_gained",
    "elderly_gained",
    "buildings_lost",
    "residents_lost",
    "elderly_lost",
    "buildings_net",
    "residents_net",
    "elderly_net",
)
_CONTEXTS_KEPT: Final = 8
_REACH_KEPT: Final = 64
_WGS84_CRS: Final = pyproj.CRS.from_user_input(WGS84)


def threshold_for(kind: str, *, tier: int | None = None, metres: float | None = None) -> float:
    """The walking threshold in metres for `kind`: `metres`, else `tier`'s distance, else the
    kind's own tier in the GB 50180-2018 profile (as ``mapgov coverage`` sets it).

    Parameters
    ----------
    kind : str
        The facility kind.
    tier : int or None
        A life-circle tier in minutes (5, 10 or 15).
    metres : float or None
        A distance in metres.

    Returns
    -------
    float
        Metres.

    Raises
    ------
    ValidationError
        For an unknown kind or tier, or a distance that is not positive.
    """
    _check_kind(kind)
    profile = coverage.load_profile()
    return coverage.thresholds(profile, kinds=[kind], tier=tier, metres=metres)[kind]


def _check_kind(kind: str) -> None:
    if kind not in coverage.KINDS:
        msg = f"unknown facility kind {kind!r}; known: {', '.join(coverage.KINDS)}"
        raise ValidationError(msg, key="whatif.error.unknown_kind", kind=kind)


@dataclass(eq=False)
class WhatIfContext:
    """What every scenario of one kind and threshold shares (build with
    :func:`whatif_context`; read-only once built).

    Attributes
    ----------
    kind, metres
        The facility kind and the walking threshold in metres.
    graph
        The walking network.
    table
        The :func:`~mapgov.domain.lifecircle.coverage.coverage_table` of the scope for this kind
        and threshold (one row per building; ``dist_<kind>`` is the current distance).
    homes
        The buildings (rows of `table`) snapped onto `graph` as coverage snaps them.
    distance
        Current metres from each building to the nearest facility of the kind (inf beyond
        `metres`).
    facility_ids, facilities
        The existing facilities of the kind and where they enter the network.
    community_names
        Display name of each community id.
    district
        The streets' area (WGS 84): a candidate outside it is refused.
    """

    kind: str
    metres: float
    graph: WalkGraph
    table: gpd.GeoDataFrame
    homes: Snapped
    distance: np.ndarray
    facility_ids: np.ndarray
    facilities: Snapped
    community_names: dict[str, str]
    district: shapely.Geometry
    _reach: OrderedDict[tuple[float, float], tuple[np.ndarray, np.ndarray]] = field(
        default_factory=OrderedDict, repr=False
    )
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @cached_property
    def columns(self) -> dict[str, np.ndarray]:
        """The columns of :attr:`table` a result reads, as numpy arrays (made once).

        Returns
        -------
        dict of str to numpy.ndarray
            ``building_id``, ``name``, ``compound_id``, ``compound_name``, ``community_id``
            (objects), ``residents``, ``elderly`` (int64), ``geometry`` (shapely, WGS 84) and
            ``community_code`` (position in ``community_ids``; -1: none).
        """
        table = self.table.to_crs(WGS84)
        out = {
            c: table[c].to_numpy(dtype=object)
            for c in ("building_id", "name", "compound_id", "compound_name", "community_id")
        }
        out["residents"] = table["residents"].to_numpy(dtype=np.int64)
        out["elderly"] = table["elderly"].to_numpy(dtype=np.int64)
        out["geometry"] = table.geometry.to_numpy()
        codes, ids = pd.factorize(table["community_id"], sort=True)
        out["community_code"] = np.asarray(codes)
        out["community_ids"] = np.asarray(ids, dtype=object)
        return out

    @property
    def covered(self) -> np.ndarray:
        """Whether each building reaches a facility of the kind now.

        Returns
        -------
        numpy.ndarray
            One bool per row of :attr:`table`.
        """
        return self.distance <= self.metres

    def reach(self, where: Snapped) -> np.ndarray:
        """Metres from each building to a facility entering the network at `where` (one
        point), inf beyond the threshold: one Dijkstra pass bounded by it.

        Parameters
        ----------
        where : Snapped
            One snapped point.

        Returns
        -------
        numpy.ndarray
            One distance per row of :attr:`table`.
        """
        node = multi_source_distances(self.graph, where, limit=self.metres)
        d = self.homes.distances(node, where)
        return np.where(d <= self.metres, d, np.inf)

    def _cached_reach(self, key: tuple[float, float], where: Snapped) -> np.ndarray:
        """:meth:`reach`, kept for the last sites asked (only the buildings within reach)."""
        with self._lock:
            found = self._reach.get(key)
            if found is not None:
                self._reach.move_to_end(key)
        if found is None:
            d = self.reach(where)
            near = np.flatnonzero(np.isfinite(d))
            with self._lock:
                self._reach[key] = (near, d[near])
                while len(self._reach) > _REACH_KEPT:
                    self._reach.popitem(last=False)
            return d
        rows, metres = found
        d = np.full(len(self.distance), np.inf)
        d[rows] = metres
        return d


_CONTEXTS: OrderedDict[Hashable, WhatIfContext] = OrderedDict()
_CONTEXTS_LOCK = threading.Lock()


def clear_contexts() -> None:
    """Forget every kept context (they are also replaced when the data version changes)."""
    with _CONTEXTS_LOCK:
        _CONTEXTS.clear()


def whatif_context(
    store: Store,
    kind: str,
    metres: float,
    *,
    street_id: str | None = None,
    graph: WalkGraph | None = None,
) -> WhatIfContext:
    """The shared part of every scenario of `kind` within `metres`, built once and kept.

    Kept per store identity (its path and data version: any edit makes a new one), kind,
    threshold and street; the last few are kept.

    Parameters
    ----------
    store : Store
        Where buildings, facilities, roads and streets come from.
    kind : str
        The facility kind.
    metres : float
        The walking threshold (see :func:`threshold_for`).
    street_id : str or None
        Only this street's buildings and area (facilities of every street count).
    graph : WalkGraph or None
        The walking graph of the store's roads, if already built (built here if not).

    Returns
    -------
    WhatIfContext
        Ready for :func:`what_if`.

    Raises
    ------
    ValidationError
        For an unknown kind or a threshold that is not positive.
    """
    _check_kind(kind)
    metres = float(metres)
    if not metres > 0:
        msg = f"the threshold must be a positive number of metres, not {metres:g}"
        raise ValidationError(msg, key="whatif.error.metres", metres=metres)
    key = (store.identity(), kind, metres, street_id)
    with _CONTEXTS_LOCK:
        found = _CONTEXTS.get(key)
        if found is not None:
            _CONTEXTS.move_to_end(key)
            return found
    built = _build_context(store, kind, metres, street_id, graph)
    with _CONTEXTS_LOCK:
        _CONTEXTS[key] = built
        while len(_CONTEXTS) > _CONTEXTS_KEPT:
            _CONTEXTS.popitem(last=False)
    return built


def _build_context(
    store: Store, kind: str, metres: float, street_id: str | None, graph: WalkGraph | None
) -> WhatIfContext:
    graph = graph or walk_graph(store.read("road"))
    table = coverage.coverage_table(store, {kind: metres}, graph=graph, street_id=street_id)
    table = table.reset_index(drop=True)
    homes = snap(graph, table, table["compound_id"].array if "compound_id" in table else None)
    fac = store.read("facility", columns=["facility_id", "kind", "geom"])
    fac = fac[fac["kind"].to_numpy() == kind]
    streets = store.read("street", columns=["street_id", "geom"])
    if street_id is not None:
        streets = streets[streets["street_id"] == street_id]
    district = shapely.union_all(streets.to_crs(WGS84).geometry.to_numpy())
    shapely.prepare(district)
    names = store.read("community", columns=["community_id", "name"])
    _ = graph.edge_geoms  # built now, not at the first candidate
    ctx = WhatIfContext(
        kind=kind,
        metres=metres,
        graph=graph,
        table=table,
        homes=homes,
        distance=table[f"dist_{kind}"].to_numpy(dtype=float),
        facility_ids=fac["facility_id"].to_numpy(dtype=object),
        facilities=snap(graph, fac),
        community_names=dict(zip(names["community_id"], names["name"], strict=True)),
        district=district,
    )
    _ = ctx.columns
    return ctx


@dataclass(frozen=True)
class WhatIfResult:
    """The answer to one scenario.

    Attributes
    ----------
    kind, metres
        The facility kind and the walking threshold in metres.
    closed
        The facilities closed, as given.
    candidates
        :data:`CANDIDATE_COLUMNS`, one row per candidate in the order given; ``candidate`` is
        its number (1 for the first); ``snap_m`` the metres from the point given to where it
        joins the walking network (``snapped_lon``/``snapped_lat``). ``*_gained``: what this
        candidate alone brings within reach (buildings not reached now); ``*_new``: what it
        adds to the candidates before it (a building reached by several counts once, for the
        first): the ``*_new`` columns sum to the totals gained.
    buildings
        GeoDataFrame of the buildings whose reach changes (EPSG:4326):
        :data:`BUILDING_COLUMNS`; ``status`` is "gained" (not reached now, reached in the
        scenario), "lost" (reached now, not after the closings and candidates) or "kept"
        (a closing would lose it, a candidate keeps it in reach); ``candidate`` is the number
        of the first candidate that reaches it (0 for lost); distances in metres (NaN beyond
        the threshold).
    communities
        :data:`COMMUNITY_COLUMNS`, one row per community with a building in scope (sorted by
        id), then the row ``ALL`` for the whole scope; ``*_net`` is gained minus lost.
    totals
        The ``ALL`` row's figures as a dict, plus ``buildings_kept``, ``residents_kept``,
        ``elderly_kept``.
    """

    kind: str
    metres: float
    closed: tuple[str, ...]
    candidates: pd.DataFrame
    buildings: gpd.GeoDataFrame
    communities: pd.DataFrame
    totals: dict[str, int]


def _snap_candidates(
    ctx: WhatIfContext, points: Sequence[tuple[float, float]], snap_limit: float
) -> tuple[Snapped, np.ndarray, np.ndarray]:
    """Snap the candidates; their snapped (lon, lat) and snap distances. Refuses points
    outside the district or too far from a road, naming the point."""
    lon = np.array([p[0] for p in points], dtype=float)
    lat = np.array([p[1] for p in points], dtype=float)
    for i in range(len(points)):
        number = i + 1
        if not (np.isfinite(lon[i]) and np.isfinite(lat[i])) or not shapely.contains_xy(
            ctx.district, lon[i], lat[i]
        ):
            msg = f"candidate {number} ({lon[i]:.6f}, {lat[i]:.6f}) lies outside the district"
            raise ValidationError(
                msg,
                key="whatif.error.outside",
                number=number,
                lon=f"{lon[i]:.6f}",
                lat=f"{lat[i]:.6f}",
            )
    sites = snap(ctx.graph, gpd.GeoSeries(shapely.points(lon, lat), crs=WGS84))
    for i, link in enumerate(sites.link):
        if not link <= snap_limit:
            number = i + 1
            msg = (
                f"candidate {number} ({lon[i]:.6f}, {lat[i]:.6f}) is {link:,.0f} m from the "
                f"nearest walkable road, more than {snap_limit:g} m"
            )
            raise ValidationError(
                msg,
                key="whatif.error.far",
                number=number,
                metres=f"{link:,.0f}",
                limit=f"{snap_limit:g}",
            )
    on = shapely.line_interpolate_point(ctx.graph.edge_geoms[sites.edge], sites.along)
    x, y = transform_xy(shapely.get_x(on), shapely.get_y(on), ctx.graph.crs, _WGS84_CRS)
    return sites, np.column_stack([x, y]), sites.link


def _after_closing(ctx: WhatIfContext, close: Sequence[str]) -> np.ndarray:
    """Distances once `close` are gone (the current ones if none are)."""
    if not close:
        return ctx.distance
    ids = pd.Index(ctx.facility_ids)
    for facility_id in close:
        if facility_id not in ids:
            msg = f"there is no {ctx.kind} with facility id {facility_id!r}"
            raise ValidationError(
                msg,
                key="whatif.error.unknown_facility",
                facility_id=facility_id,
                kind=FacilityKind(ctx.kind),
            )
    keep = ~np.isin(ctx.facility_ids, list(close))
    remaining = ctx.facilities.subset(keep)
    node = multi_source_distances(ctx.graph, remaining, limit=ctx.metres)
    d = ctx.homes.distances(node, remaining)
    return np.where(d <= ctx.metres, d, np.inf)


def what_if(
    ctx: WhatIfContext,
    add: Sequence[tuple[float, float]] = (),
    close: Sequence[str] = (),
    *,
    snap_limit: float = SNAP_LIMIT_M,
) -> WhatIfResult:
    """Who gains and who loses walking reach if facilities of the context's kind are placed
    at `add` and those in `close` are closed.

    Parameters
    ----------
    ctx : WhatIfContext
        From :func:`whatif_context`.
    add : sequence of (float, float)
        Candidate sites as (lon, lat) in WGS 84, at most :data:`MAX_CANDIDATES`.
    close : sequence of str
        Ids of existing facilities of the kind to close.
    snap_limit : float
        Metres a candidate may lie from the nearest walkable road.

    Returns
    -------
    WhatIfResult
        Per candidate, per changed building and per community.

    Raises
    ------
    ValidationError
        For more than :data:`MAX_CANDIDATES` candidates, a candidate outside the district or
        farther than `snap_limit` from a road, or a closed id that is not a facility of the
        kind; each message names the point or id.
    """
    if len(add) > MAX_CANDIDATES:
        msg = f"at most {MAX_CANDIDATES} candidate sites at once, not {len(add)}"
        raise ValidationError(msg, key="whatif.error.too_many", most=MAX_CANDIDATES, given=len(add))
    close = tuple(dict.fromkeys(str(c) for c in close))
    base = _after_closing(ctx, close)
    n, k = len(ctx.distance), len(add)
    reach = np.full((k, n), np.inf)
    snapped_xy = np.zeros((k, 2))
    link = np.zeros(k)
    if k:
        sites, snapped_xy, link = _snap_candidates(ctx, add, snap_limit)
        for j in range(k):
            key = (float(add[j][0]), float(add[j][1]))
            reach[j] = ctx._cached_reach(key, sites.subset(slice(j, j + 1)))
    reached = reach <= ctx.metres  # (k, n)
    first = np.where(reached.any(axis=0), reached.argmax(axis=0) + 1, 0) if k else np.zeros(n, int)
    before = ctx.covered
    after = (base <= ctx.metres) | (first > 0)
    gained = after & ~before
    lost = before & ~after
    kept = before & (base > ctx.metres) & (first > 0)
    return _result(
        ctx,
        close=close,
        add=add,
        snapped_xy=snapped_xy,
        link=link,
        reach=reach,
        first=first,
        base=base,
        changes=(gained, lost, kept),
    )


def _result(
    ctx: WhatIfContext,
    *,
    close: tuple[str, ...],
    add: Sequence[tuple[float, float]],
    snapped_xy: np.ndarray,
    link: np.ndarray,
    reach: np.ndarray,
    first: np.ndarray,
    base: np.ndarray,
    changes: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> WhatIfResult:
    gained, lost, kept = changes
    cols = ctx.columns
    res, eld = cols["residents"], cols["elderly"]
    before = ctx.covered
    rows = []
    for j in range(len(add)):
        alone = (reach[j] <= ctx.metres) & ~before
        new = gained & (first == j + 1)
        rows.append(
            (
                j + 1,
                float(add[j][0]),
                float(add[j][1]),
                round(float(snapped_xy[j, 0]), 7),
                round(float(snapped_xy[j, 1]), 7),
                round(float(link[j]), 1),
                int(alone.sum()),
                int(res[alone].sum()),
                int(eld[alone].sum()),
                int(new.sum()),
                int(res[new].sum()),
                int(eld[new].sum()),
            )
        )
    candidates = pd.DataFrame(rows, columns=list(CANDIDATE_COLUMNS))
    changed = gained | lost | kept
    after = np.minimum(base, reach.min(axis=0, initial=np.inf))
    status = np.where(gained, "gained", np.where(lost, "lost", "kept"))[changed]
    buildings = gpd.GeoDataFrame(
        {
            **{c: cols[c][changed] for c in BUILDING_COLUMNS[:5]},
            "residents": res[changed],
            "elderly": eld[changed],
            "status": status,
            "candidate": first[changed],
            "distance_before_m": _metres(ctx.distance[changed]),
            "distance_after_m": _metres(after[changed]),
        },
        geometry=cols["geometry"][changed],
        crs=WGS84,
    )
    communities = _by_community(ctx, gained, lost, res, eld)
    totals = {c: int(communities[c].iloc[-1]) for c in COMMUNITY_COLUMNS[2:]}
    totals |= {
        "buildings_kept": int(kept.sum()),
        "residents_kept": int(res[kept].sum()),
        "elderly_kept": int(eld[kept].sum()),
    }
    return WhatIfResult(ctx.kind, ctx.metres, close, candidates, buildings, communities, totals)


def _metres(d: np.ndarray) -> np.ndarray:
    return np.where(np.isfinite(d), np.round(d, 1), np.nan)


def _by_community(
    ctx: WhatIfContext, gained: np.ndarray, lost: np.ndarray, res: np.ndarray, eld: np.ndarray
) -> pd.DataFrame:
    codes, ids = ctx.columns["community_code"], ctx.columns["community_ids"]
    n_groups = len(ids)
    slot = np.where(codes >= 0, codes, n_groups)  # no community: the ALL row only

    def sums(mask: np.ndarray, weight: np.ndarray | None) -> np.ndarray:
        w = mask.astype(np.int64) if weight is None else np.where(mask, weight, 0)
        per = np.bincount(slot, weights=w, minlength=n_groups + 1)[:n_groups]
        return np.append(per, w.sum()).astype(np.int64)

    figures = {
        "buildings_gained": sums(gained, None),
        "residents_gained": sums(gained, res),
        "elderly_gained": sums(gained, eld),
        "buildings_lost": sums(lost, None),
        "residents_lost": sums(lost, res),
        "elderly_lost": sums(lost, eld),
    }
    for what in ("buildings", "residents", "elderly"):
        figures[f"{what}_net"] = figures[f"{what}_gained"] - figures[f"{what}_lost"]
    labels = [*map(str, ids), ALL]
    return pd.DataFrame(
        {
            "community_id": labels,
            "community": [ctx.community_names.get(c, c) for c in labels[:-1]] + [ALL],
            **figures,
        }
    )[list(COMMUNITY_COLUMNS)]
