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
from typing import Any, Final, NotRequired, TypedDict, Unpack

import pandas as pd

from mapgov.core.model import AuditKind
from mapgov.domain.users import User
from mapgov.store import Store

__all__ = [
    "VIEW_WINDOW_MINUTES",
    "Entry",
    "Stamp",
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


class Stamp(TypedDict):
    """Who makes a change, when and from where: what every audited change is given.

    ``now`` is the time of the change, ``actor`` who makes it (a login, ``cli:<user>``),
    ``source`` where from (``"cli"``, a page; optional).
    """

    now: dt.datetime
    actor: str
    source: NotRequired[str | None]


class Entry(Stamp, total=False):
    """The fields of one audit entry besides its kind: a :class:`Stamp`, `subject` (whom or
    what it concerns) and `detail` (what was done)."""

    subject: str | None
    detail: str | None


def stamp(now: dt.datetime) -> str:
    """`now` as the log writes it: ISO 8601 to the second.

    Parameters
    ----------
    now : datetime
        The time to write.

    Returns
    -------
    str
        ``YYYY-MM-DDTHH:MM:SS`` with the time zone of `now`.
    """
    return now.replace(microsecond=0).isoformat()


def entry(kind: AuditKind, **fields: Unpack[Entry]) -> dict[str, Any]:
    """One audit row (for a store write that appends it in its own transaction).

    Parameters
    ----------
    kind : AuditKind
        What happened.
    **fields : Entry
        ``now``, ``actor`` and, each None when not given, ``subject``, ``detail``, ``source``.

    Returns
    -------
    dict
        The row: ``at, actor, kind, subject, detail, source``.
    """
    return {
        "at": stamp(fields["now"]),
        "actor": fields["actor"],
        "kind": kind.value,
        "subject": fields.get("subject"),
        "detail": fields.get("detail"),
        "source": fields.get("source"),
    }


def audit(store: Store, kind: AuditKind, **fields: Unpack[Entry]) -> None:
    """Append one entry to the audit log (e.g. ``PERSONAL_DATA_VIEWED``: `actor` saw
    `subject`'s data). The log cannot be changed or deleted (database triggers).

    Parameters
    ----------
    store : Store
        The database to write.
    kind : AuditKind
        What happened.
    **fields : Entry
        ``now``, ``actor`` and the optional ``subject``, ``detail``, ``source``.
    """
    store.append_audit([entry(kind, **fields)])


def read_audit(
    store: Store,
    *,
    since: dt.date | dt.datetime | None = None,
    until: dt.date | dt.datetime | None = None,
) -> pd.DataFrame:
    """The audit log from `since` on and before `until` (a day means its start; pass the
    next day to include a whole day), oldest first.

    Parameters
    ----------
    store : Store
        The database to read.
    since : date or datetime, optional
        The first moment read (None: from the start).
    until : date or datetime, optional
        The moment the log is read up to, not included (None: to the end).

    Returns
    -------
    DataFrame
        Columns ``audit_id, at, actor, kind, subject, detail, source``. A field report's
        ``detail`` (its ticket: the reporter's key to it, secret from the staff) is left out.
    """
    start = None if since is None else since.isoformat()
    end = None if until is None else until.isoformat()
    rows = store.audit_rows(since=start, until=end)
    secret = rows["kind"] == AuditKind.FIELD_REPORT.value
    return rows.assign(detail=rows["detail"].where(~secret, None))


def actor_of(user: User) -> str:
    """How the log names `user`: the account's login (a plain user's id).

    Parameters
    ----------
    user : User
        The person acting (an :class:`~mapgov.domain.accounts.Account` or a plain user).

    Returns
    -------
    str
        The name the log gives them.
    """
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
    store : Store
        The database to write.
    user : User
        Who was shown the data.
    subject : str
        Whose data, as ``<table>:<id>``: ``building:B0001`` (its head, its zone member and
        its issues' reporters), ``issue_ledger:S001-C1``, ``party_org:…``, ``micro_wish:…``,
        ``backup:<database>``.
    now : datetime
        When it was shown.
    detail : str, optional
        What was shown (e.g. "building head, 3 reporters").
    source : str, optional
        Where it was shown (a page, a file).
    window : int or None
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
