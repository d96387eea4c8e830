"""Reading a street's or a community's issue ledger: its compounds, issues and history, and
the compounds' buildings and property management.

The wall's headline figures (:func:`mapgov.domain.kpi.load_frames`) and the compounds' health
(:func:`mapgov.domain.health.load.load_health_frames`) both start from these frames.
"""

from __future__ import annotations

from typing import Any, Final, NamedTuple

import pandas as pd

from mapgov.core.model import EventAction
from mapgov.domain.locating import street_compounds
from mapgov.store import Store

__all__ = ["Ledger", "read_ledger"]

_HISTORY: Final = [a.value for a in EventAction if a is not EventAction.COMMENT]
"""The events :func:`read_ledger` reads: all but comments."""
_MAX_IN: Final = 30_000
"""Most values in one SQL ``IN`` list (SQLite takes 32,766 parameters)."""


class Ledger(NamedTuple):
    """What :func:`read_ledger` reads, by name or unpacked in this order."""

    compounds: pd.DataFrame
    """compound_id, grid_id, name, branch_id, community_id, community_name (and its English
    ``community_name_en``, None where it has none)."""
    issues: pd.DataFrame
    """The compounds' issues (the columns asked for)."""
    events: pd.DataFrame
    """The issues' history but comments: [event_id, issue_id, action, at, to_status]."""
    buildings: pd.DataFrame
    """The compounds' buildings (the columns asked for)."""
    prop: pd.DataFrame
    """The compounds' ``property_management`` rows."""


def read_ledger(
    store: Store,
    issue_columns: list[str],
    building_columns: list[str],
    *,
    street_id: str | None = None,
    community_id: str | None = None,
) -> Ledger:
    """Read the compounds (with community_id and community_name), issues and issue history of a
    street or community (everything without either), and the compounds' buildings and property
    management.

    Parameters
    ----------
    store : Store
        The database to read.
    issue_columns : list of str
        The issue columns to read (``issue_id`` and ``compound_id`` among them).
    building_columns : list of str
        The building columns to read.
    street_id, community_id : str or None
        Read this street's, or this community's, records.

    Returns
    -------
    Ledger
        The compounds, their issues, every event of those issues but comments, the
        compounds' buildings and their property management.
    """
    comps = street_compounds(
        store,
        ["compound_id", "grid_id", "name", "branch_id"],
        street_id=street_id,
        community_id=community_id,
    )
    names = store.read("community", columns=["community_id", "name", "name_en"])
    names = names.rename(columns={"name": "community_name", "name_en": "community_name_en"})
    comps = comps.merge(names, on="community_id")
    issues = store.read(
        "issue", where={"compound_id": list(comps["compound_id"])}, columns=issue_columns
    )
    # every event that moves an issue on (comments do not): callbacks and reopenings for the
    # satisfaction rate, the rest for the status each issue had at the end of a period
    actions: dict[str, Any] = {"action": _HISTORY}
    issue_ids = issues["issue_id"].tolist()
    if (street_id or community_id) and len(issue_ids) <= _MAX_IN:
        # a street's events by the issue index; not the city's events, filtered after
        actions |= {"issue_id": issue_ids}
    events = store.read(
        "issue_event",
        where=actions,
        columns=["event_id", "issue_id", "action", "at", "to_status"],
    )
    events = events[events["issue_id"].isin(issues["issue_id"])].reset_index(drop=True)
    ids = list(comps["compound_id"])
    return Ledger(
        compounds=comps,
        issues=issues,
        events=events,
        buildings=store.read("building", where={"compound_id": ids}, columns=building_columns),
        prop=store.read("property_management", where={"compound_id": ids}),
    )
