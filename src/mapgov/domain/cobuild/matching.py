"""Matching needs with resident units: the documented score of :mod:`mapgov.domain.cobuild`.

Distances are measured in the UTM zone of the street (:func:`mapgov.core.crs.local_metric`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Final

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from mapgov.core.crs import local_metric
from mapgov.core.errors import ValidationError
from mapgov.core.i18n import DEFAULT_LANG, label, t
from mapgov.core.model import RELATED_KINDS, CoEntity, CoopKind, NeedStatus
from mapgov.domain.cobuild.figures import ACTIVE, CoFrames, in_community, need_places

__all__ = [
    "FIT_EXACT",
    "FIT_RELATED",
    "NEAR_M",
    "WEIGHTS",
    "Candidate",
    "Reason",
    "match_open_needs",
    "rank_units",
    "reason_text",
]

FIT_EXACT: Final = 1.0
FIT_RELATED: Final = 0.5
WEIGHTS: Final = {"fit": 0.5, "near": 0.3, "light": 0.2}
NEAR_M: Final = 1000.0


@dataclass(frozen=True)
class Reason:
    """One reason for a candidate's place: a catalogue key (``cobuild.reason.*``) and its
    parameters (enum members among them are shown by their labels)."""

    key: str
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Candidate:
    """A unit that could serve a need, with the parts of its score."""

    need_id: str
    unit_id: str
    unit_name: str
    unit_kind: str
    community_id: str | None
    resource_id: str
    resource_title: str
    resource_kind: str
    fit: float
    distance_m: float
    active_projects: int
    score: float
    reasons: tuple[Reason, ...]


def reason_text(reason: Reason, lang: str = DEFAULT_LANG) -> str:
    """A reason in `lang`, e.g. "offers 市第一人民医院健康义诊进社区 (health checks)".

    The page lists a candidate's reasons with it.

    Parameters
    ----------
    reason : Reason
        One reason of a :class:`Candidate`.
    lang : str
        The language code of the text.

    Returns
    -------
    str
        The reason as a sentence fragment.
    """
    params = {k: label(v, lang) if isinstance(v, Enum) else v for k, v in reason.params.items()}
    return t(reason.key, lang, **params)


def _loads(projects: pd.DataFrame) -> pd.Series:
    """unit_id -> number of active projects."""
    return projects[projects["status"].isin(ACTIVE)]["unit_id"].value_counts()


def _best_resources(resources: pd.DataFrame, kind: CoopKind) -> pd.DataFrame:
    """Per unit, its resource that fits `kind` best: [unit_id, resource_id, title, kind, fit]."""
    related = {k.value for k in RELATED_KINDS[kind]}
    fit = np.where(
        resources["kind"] == kind.value,
        FIT_EXACT,
        np.where(resources["kind"].isin(related), FIT_RELATED, 0.0),
    )
    fitting = resources.assign(fit=fit)[fit > 0]
    fitting = fitting.sort_values(["unit_id", "fit", "resource_id"], ascending=[True, False, True])
    return fitting.drop_duplicates("unit_id")[["unit_id", "resource_id", "title", "kind", "fit"]]


def _rank(
    need: pd.Series,
    place: Any,
    *,
    units: gpd.GeoDataFrame,
    resources: pd.DataFrame,
    loads: pd.Series,
    limit: int | None,
) -> list[Candidate]:
    kind = CoopKind(need["kind"])
    best = _best_resources(resources, kind).merge(
        pd.DataFrame(
            {
                "unit_id": units["unit_id"].to_numpy(),
                "unit_name": units["name"].to_numpy(),
                "unit_kind": units["kind"].to_numpy(),
                "unit_community": units["community_id"].to_numpy(),
                "distance_m": shapely.distance(units.geometry.to_numpy(), place),
            }
        ),
        on="unit_id",
    )
    best["active"] = best["unit_id"].map(loads).fillna(0).astype(int)
    near = 1.0 / (1.0 + best["distance_m"] / NEAR_M)
    light = 1.0 / (1.0 + best["active"])
    best["score"] = WEIGHTS["fit"] * best["fit"] + WEIGHTS["near"] * near + WEIGHTS["light"] * light
    best = best.sort_values(["score", "distance_m", "unit_id"], ascending=[False, True, True])
    out = []
    for r in best.head(limit).itertuples(index=False):
        rkind = CoopKind(r.kind)
        fit_reason = (
            Reason("cobuild.reason.offers", {"resource": r.title, "kind": rkind})
            if r.fit == FIT_EXACT
            else Reason(
                "cobuild.reason.related", {"resource": r.title, "kind": rkind, "need_kind": kind}
            )
        )
        metres = int(round(float(r.distance_m), -1))
        out.append(
            Candidate(
                need_id=str(need["need_id"]),
                unit_id=r.unit_id,
                unit_name=r.unit_name,
                unit_kind=r.unit_kind,
                community_id=r.unit_community if isinstance(r.unit_community, str) else None,
                resource_id=r.resource_id,
                resource_title=r.title,
                resource_kind=r.kind,
                fit=float(r.fit),
                distance_m=float(r.distance_m),
                active_projects=int(r.active),
                score=float(r.score),
                reasons=(
                    fit_reason,
                    Reason("cobuild.reason.inside")
                    if r.distance_m == 0
                    else Reason("cobuild.reason.distance", {"metres": metres}),
                    Reason("cobuild.reason.free")
                    if r.active == 0
                    else Reason("cobuild.reason.busy", {"active": int(r.active)}),
                ),
            )
        )
    return out


def _metric(frames: CoFrames, needs: pd.DataFrame) -> tuple[gpd.GeoDataFrame, gpd.GeoSeries]:
    """Units and the needs' places in the UTM zone of the street."""
    places = need_places(frames, needs)
    crs = local_metric(frames.communities if len(frames.communities) else frames.units)
    return frames.units.to_crs(crs), places.to_crs(crs)


def rank_units(frames: CoFrames, need_id: str, *, limit: int | None = None) -> list[Candidate]:
    """The units that could serve a need, best first (see the module docstring for the score).

    Parameters
    ----------
    frames : CoFrames
        The street's records (:func:`load`): all its units are candidates, and their load is counted
        over all its projects.
    need_id : str
        The need (of any status: the panel may show the ranking of a need already paired).
    limit : int or None
        At most this many candidates (all without).

    Returns
    -------
    list of Candidate
        The candidates with their scores and reasons, best first.

    Raises
    ------
    ValidationError
        If the need is not in `frames`.
    """
    needs = frames.needs[frames.needs["need_id"] == need_id]
    if needs.empty:
        msg = f"no need {need_id!r}"
        raise ValidationError(msg, key="error.cobuild.not_found", entity=CoEntity.NEED, id=need_id)
    units, places = _metric(frames, needs)
    return _rank(
        needs.iloc[0],
        places.iloc[0],
        units=units,
        resources=frames.resources,
        loads=_loads(frames.projects),
        limit=limit,
    )


def match_open_needs(
    frames: CoFrames, *, limit: int = 3, community_id: str | None = None
) -> dict[str, list[Candidate]]:
    """For each open need (of `community_id`, if given), its best `limit` candidates.

    Needs without any candidate map to an empty list.

    Parameters
    ----------
    frames : CoFrames
        The records of the street, as :func:`load` reads them.
    limit : int
        How many candidates each need keeps.
    community_id : str or None
        Only the open needs of this community.

    Returns
    -------
    dict of str to list of Candidate
        By need id, in the order of the needs.
    """
    needs = in_community(frames.needs, community_id)
    needs = needs[needs["status"] == NeedStatus.OPEN.value]
    if needs.empty:
        return {}
    units, places = _metric(frames, needs)
    loads = _loads(frames.projects)
    return {
        str(need["need_id"]): _rank(
            need, places.loc[i], units=units, resources=frames.resources, loads=loads, limit=limit
        )
        for i, need in needs.iterrows()
    }
