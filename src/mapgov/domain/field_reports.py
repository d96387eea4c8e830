"""Reports from the field as staff and the wall count them (issue 20): the community's queue
of new reports (filed from a phone, not yet assigned: :func:`mapgov.domain.issues.is_new_report`)
and the wall's figures of them. Filing a report and what its reporter sees are
:mod:`mapgov.domain.reports`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from mapgov.core.model import IssueChannel
from mapgov.domain.issues import community_issues, is_new_report
from mapgov.store import Store

__all__ = ["NewReports", "new_report_count", "new_reports", "wall_counts"]


def new_report_count(store: Store, community_id: str) -> int:
    """How many new field reports (:func:`is_new_report`) a community has waiting.

    Parameters
    ----------
    store : Store
        The ledger's database.
    community_id : str
        The community whose compounds' issues are counted.

    Returns
    -------
    int
        Reports filed from a phone and not yet assigned.
    """
    return len(community_issues(store, community_id, new_only=True, columns=("issue_id",)))


def new_reports(store: Store, community_id: str) -> pd.DataFrame:
    """The new field reports of a community (:func:`is_new_report`), oldest first: the queue
    staff assign from. Nothing of who reported them (and never the reporter's ticket).

    Parameters
    ----------
    store : Store
        The ledger's database.
    community_id : str
        The community whose compounds' issues are listed.

    Returns
    -------
    pandas.DataFrame
        [issue_id, building_id, compound_id, category, source, title, reported_at,
        building, compound] (the last two: names).
    """
    frame = community_issues(
        store,
        community_id,
        new_only=True,
        columns=(
            "issue_id",
            "building_id",
            "compound_id",
            "category",
            "source",
            "title",
            "reported_at",
        ),
    ).sort_values(["reported_at", "issue_id"], ignore_index=True)
    names = {}
    for table in ("building", "compound"):
        key = f"{table}_id"
        rows = store.read(
            table, where={key: frame[key].dropna().unique().tolist()}, columns=[key, "name"]
        )
        names[table] = frame[key].map(dict(zip(rows[key], rows["name"], strict=True)))
    return frame.assign(building=names["building"], compound=names["compound"])


@dataclass(frozen=True)
class NewReports:
    """Reports from the field (issue 20) on the wall: ``waiting`` (from a phone, not yet
    assigned: :func:`mapgov.domain.issues.is_new_report`) and ``today`` (from a phone,
    received today, whatever has happened to them since)."""

    waiting: int
    today: int


def wall_counts(issues: pd.DataFrame, today: dt.date) -> NewReports:
    """The new field reports among `issues` (a street's or a community's).

    Parameters
    ----------
    issues : pandas.DataFrame
        Issues with ``channel``, ``status`` and ``reported_at``
        (:func:`mapgov.domain.kpi.load_frames`); frames without ``channel`` hold no field
        reports.
    today : datetime.date
        The wall's day.

    Returns
    -------
    NewReports
        How many wait to be assigned, and how many came in today.
    """
    if "channel" not in issues.columns or issues.empty:
        return NewReports(waiting=0, today=0)
    phone = issues["channel"] == IssueChannel.PHONE.value
    came_today = issues["reported_at"].astype(str).str.slice(0, 10) == today.isoformat()
    return NewReports(
        waiting=int(is_new_report(issues).sum()), today=int((phone & came_today).sum())
    )
