"""Read the frames a health profile is computed from, for a street or a community."""

from __future__ import annotations

import pandas as pd

from mapgov.domain.health.profile import HealthFrames
from mapgov.domain.ledger_reads import read_ledger
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
_BUILDING_COLUMNS = [
    "building_id",
    "compound_id",
    "households",
    "residents",
    "elderly",
    "party_group_id",
    "building_head",
]


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
    street_id, community_id : str or None
        As for :func:`~mapgov.domain.ledger_reads.read_ledger`.
    life : pandas.Series or None
        Each compound's life-circle completeness, where it was computed.

    Returns
    -------
    HealthFrames
        What :func:`~mapgov.domain.health.profile.monthly_signals` reads.
    """
    comps, issues, events, buildings, prop = read_ledger(
        store, _ISSUE_COLUMNS, _BUILDING_COLUMNS, street_id=street_id, community_id=community_id
    )
    return HealthFrames(
        issues=issues, events=events, compounds=comps, buildings=buildings, prop=prop, life=life
    )
