"""Read the frames a health profile is computed from, for a street or a community."""

from __future__ import annotations

from typing import Any

import pandas as pd

from mapgov.core.model import EventAction
from mapgov.domain.health.profile import HealthFrames
from mapgov.domain.locating import street_compounds
from mapgov.store import Store

__all__ = ["load_health_frames"]

_ISSUE_COLUMNS = [
    "issue_id",
    "compound_id",
    "building_id",
    "category",
    "status",
    "deadline",
    "reported_at",
    "resolved_at",
    "closed_at",
]
_HISTORY = [a.value for a in EventAction if a is not EventAction.COMMENT]
_MAX_IN = 30_000


def load_health_frames(
    store: Store,
    *,
    street_id: str | None = None,
    community_id: str | None = None,
    life: pd.Series | None = None,
) -> HealthFrames:
    """The issues, their history, the compounds, buildings and property management of a
    street or community (everything without either).

    Parameters
    ----------
    store : Store
        The database to read.
    street_id : str or None
        Read this street's records.
    community_id : str or None
        Read this community's records.
    life : pandas.Series or None
        Each compound's life-circle completeness, where it was computed.

    Returns
    -------
    HealthFrames
        What :func:`~mapgov.domain.health.profile.monthly_signals` reads.
    """
    comps = street_compounds(
        store,
        ["compound_id", "grid_id", "name", "branch_id"],
        street_id=street_id,
        community_id=community_id,
    )
    names = store.read("community", columns=["community_id", "name"])
    comps = comps.merge(names.rename(columns={"name": "community_name"}), on="community_id")
    ids = list(comps["compound_id"])
    issues = store.read("issue", where={"compound_id": ids}, columns=_ISSUE_COLUMNS)
    where: dict[str, Any] = {"action": _HISTORY}
    issue_ids = issues["issue_id"].tolist()
    if (street_id or community_id) and len(issue_ids) <= _MAX_IN:
        where |= {"issue_id": issue_ids}
    events = store.read(
        "issue_event", where=where, columns=["event_id", "issue_id", "action", "at", "to_status"]
    )
    events = events[events["issue_id"].isin(issues["issue_id"])].reset_index(drop=True)
    buildings = store.read(
        "building",
        where={"compound_id": ids},
        columns=[
            "building_id",
            "compound_id",
            "households",
            "residents",
            "elderly",
            "party_group_id",
            "building_head",
        ],
    )
    prop = store.read("property_management", where={"compound_id": ids})
    return HealthFrames(
        issues=issues, events=events, compounds=comps, buildings=buildings, prop=prop, life=life
    )
