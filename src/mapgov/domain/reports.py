"""Reports from the field (issue 20): what a resident who reports is shown.

Two reads that the phone page builds on, both without personal data:

- :func:`open_duplicate`: before a new report is filed, an issue of the same building and
  category reported in the last days and still open, to follow instead of filing it again
  (FixMyStreet's duplicate suggestion): one stairwell light, one issue.
- :func:`public_timeline`: an issue's steps as the person who reported it may see them: what
  happened and when, in the reader's language, never who on the staff did it, never another
  resident's name or phone, never a staff note (notes may name people).
"""

from __future__ import annotations

import datetime as dt
from typing import Final

import pandas as pd

from mapgov.core.i18n import label
from mapgov.core.model import CallbackRating, EventAction, IssueStatus
from mapgov.store import Store

__all__ = ["DUPLICATE_DAYS", "open_duplicate", "public_timeline"]

DUPLICATE_DAYS: Final = 7
"""How far back an open issue of the same building and category is offered to follow."""


def open_duplicate(
    store: Store, *, building_id: str, category: str, today: dt.date
) -> dict[str, object] | None:
    """The newest open issue of `building_id` and `category` reported in the last
    :data:`DUPLICATE_DAYS` days (today included), to follow instead of reporting it again.

    Parameters
    ----------
    store : Store
        The database whose issue ledger is searched.
    building_id : str
        The building the new report is about.
    category : str
        Its :class:`~mapgov.core.model.IssueCategory`.
    today : datetime.date
        The street's today.

    Returns
    -------
    dict or None
        ``issue_id``, ``title``, ``status`` and ``reported_at`` of that issue (nothing of who
        reported it), or None when there is none.
    """
    since = (today - dt.timedelta(days=DUPLICATE_DAYS - 1)).isoformat()
    until = (today + dt.timedelta(days=1)).isoformat()
    found = store.read(
        "issue",
        where={"building_id": building_id, "category": category},
        columns=["issue_id", "title", "status", "reported_at"],
    )
    recent = found[
        (found["reported_at"] >= since)
        & (found["reported_at"] < until)
        & (found["status"] != IssueStatus.CLOSED.value)
    ]
    if recent.empty:
        return None
    newest = recent.sort_values(["reported_at", "issue_id"]).iloc[-1]
    return {
        "issue_id": int(newest["issue_id"]),
        "title": str(newest["title"]),
        "status": str(newest["status"]),
        "reported_at": str(newest["reported_at"]),
    }


def public_timeline(store: Store, issue_id: int, *, lang: str) -> pd.DataFrame:
    """The steps of an issue as the resident who reported it sees them.

    Parameters
    ----------
    store : Store
        The database to read.
    issue_id : int
        The issue.
    lang : str
        The reader's language.

    Returns
    -------
    pandas.DataFrame
        [at, step, status] oldest first: when, what happened (the action in words; for a
        callback its rating in words) and the status it left. No actor, no note.
    """
    events = store.read(
        "issue_event",
        where={"issue_id": int(issue_id)},
        columns=["event_id", "at", "action", "to_status", "note"],
    )

    def _step(action: str, note: object) -> str:
        said = label(EventAction(action), lang)
        if action == EventAction.CALLBACK.value and isinstance(note, str):
            code = note.split(":", 1)[0].strip()
            if code in {r.value for r in CallbackRating}:  # the rating, never the free text
                return f"{said}: {label(CallbackRating(code), lang)}"
        return said

    return pd.DataFrame(
        {
            "at": events["at"].str.slice(0, 16).str.replace("T", " "),
            "step": [_step(a, n) for a, n in zip(events["action"], events["note"], strict=True)],
            "status": [
                label(IssueStatus(s), lang) if isinstance(s, str) else ""
                for s in events["to_status"]
            ],
        }
    )
