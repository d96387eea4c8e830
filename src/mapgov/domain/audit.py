"""The audit log: append-only entries of who did what to whom, and when.

Sign-ins, failures, lockouts, sign-outs and account changes are written by
:mod:`mapgov.domain.accounts`; every *view of unmasked personal data* (a panel or a file showing
residents' names and phones to a role allowed to see them in full) is written through
:func:`personal_view`, one entry per view of a panel or per file, never per cell. The table
cannot be changed or deleted (database triggers).

Every function takes ``now``; none reads the clock.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Final

import pandas as pd

from mapgov.core.model import AuditKind
from mapgov.domain.users import User
from mapgov.store import Store

__all__ = [
    "VIEW_WINDOW_MINUTES",
    "actor_of",
    "audit",
    "entry",
    "personal_view",
    "read_audit",
    "stamp",
]

VIEW_WINDOW_MINUTES: Final = 15
"""A panel drawn again for the same person within this many minutes is the same view (the
page reruns on every click inside it): it is logged once."""


def stamp(now: dt.datetime) -> str:
    """`now` as the log writes it: ISO 8601 to the second."""
    return now.replace(microsecond=0).isoformat()


def entry(
    kind: AuditKind,
    *,
    now: dt.datetime,
    actor: str,
    subject: str | None = None,
    detail: str | None = None,
    source: str | None = None,
) -> dict[str, Any]:
    """One audit row (for a store write that appends it in its own transaction)."""
    return {
        "at": stamp(now),
        "actor": actor,
        "kind": kind.value,
        "subject": subject,
        "detail": detail,
        "source": source,
    }


def audit(
    store: Store,
    kind: AuditKind,
    *,
    now: dt.datetime,
    actor: str,
    subject: str | None = None,
    detail: str | None = None,
    source: str | None = None,
) -> None:
    """Append one entry to the audit log (e.g. ``PERSONAL_DATA_VIEWED``: `actor` saw
    `subject`'s data). The log cannot be changed or deleted (database triggers)."""
    store.append_audit(
        [entry(kind, now=now, actor=actor, subject=subject, detail=detail, source=source)]
    )


def read_audit(
    store: Store,
    *,
    since: dt.date | dt.datetime | None = None,
    until: dt.date | dt.datetime | None = None,
) -> pd.DataFrame:
    """The audit log from `since` on and before `until` (a day means its start; pass the
    next day to include a whole day), oldest first.

    Returns
    -------
    DataFrame
        Columns ``audit_id, at, actor, kind, subject, detail, source``.
    """
    start = None if since is None else since.isoformat()
    end = None if until is None else until.isoformat()
    return store.audit_rows(since=start, until=end)


def actor_of(user: User) -> str:
    """How the log names `user`: the account's login (a plain user's id)."""
    return str(getattr(user, "login", "") or user.user_id)


def personal_view(
    store: Store,
    user: User,
    subject: str,
    *,
    now: dt.datetime,
    detail: str | None = None,
    source: str | None = None,
    window: int | None = VIEW_WINDOW_MINUTES,
) -> bool:
    """Record that `user` was shown `subject`'s personal data unmasked.

    Call it where unmasked data leaves the store for a page or a file, once per panel or
    file; only when the data was shown in full (a masked view is not personal data).

    Parameters
    ----------
    subject
        Whose data, as ``<table>:<id>``: ``building:B0001`` (its head, its zone member and
        its issues' reporters), ``issue_ledger:S001-C1``, ``party_org:…``, ``micro_wish:…``,
        ``backup:<database>``.
    detail
        What was shown (e.g. "building head, 3 reporters").
    window
        Minutes in which the same person seeing the same subject again is the same view and
        is not logged again; None logs every call (a file is one export each time).

    Returns
    -------
    bool
        Whether an entry was written.
    """
    actor = actor_of(user)
    if window is not None:
        recent = store.audit_rows(
            since=stamp(now - dt.timedelta(minutes=window)),
            subject=subject,
            kinds=[AuditKind.PERSONAL_DATA_VIEWED],
        )
        if (recent["actor"] == actor).any():
            return False
    audit(
        store,
        AuditKind.PERSONAL_DATA_VIEWED,
        now=now,
        actor=actor,
        subject=subject,
        detail=detail,
        source=source,
    )
    return True
