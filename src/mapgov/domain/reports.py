"""Reports from the field (issue 20): filing one from a phone, and what its reporter is shown.

:func:`file_report` files a report from the phone page: by a signed-in grid worker or staff
member, or by a resident without an account (who may leave a name and a phone). It becomes an
issue of the ledger at ``reported`` with ``channel = 'phone'``, its photos (already checked and
kept by :mod:`mapgov.io.photos`) and a ticket (:func:`new_ticket`): the reporter's only key to
its status (:func:`ticket_view`) and to the callback
(:func:`mapgov.domain.issues_workflow.callback_by_ticket`). Anonymous reports are rate-limited
per address and per building, counted in the audit log inside the write that files them.

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
import re
import secrets
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final, Required, TypedDict

import pandas as pd

from mapgov.core import clock
from mapgov.core.errors import PermissionDeniedError, ValidationError
from mapgov.core.i18n import label
from mapgov.core.model import (
    AuditKind,
    CallbackRating,
    EventAction,
    IssueCategory,
    IssueChannel,
    IssueSource,
    IssueStatus,
    Level,
)
from mapgov.domain.audit import entry, stamp
from mapgov.domain.editing import check_phone
from mapgov.domain.issues_workflow import issue_building
from mapgov.domain.users import User, can_edit
from mapgov.store import Store

__all__ = [
    "ADDRESS_LIMIT",
    "BUILDING_LIMIT",
    "DUPLICATE_DAYS",
    "MAX_PHOTOS",
    "RESIDENT",
    "FieldReport",
    "Filed",
    "PhotoRow",
    "PublicIssue",
    "file_report",
    "followed",
    "issue_photos",
    "new_ticket",
    "open_duplicate",
    "public_timeline",
    "refused",
    "ticket_code",
    "ticket_view",
]

ADDRESS_LIMIT: Final = (10, 60)
"""Anonymous reports taken from one address: at most 10 in 60 seconds."""
BUILDING_LIMIT: Final = (20, 3600)
"""Anonymous reports taken about one building: at most 20 in an hour."""
MAX_PHOTOS: Final = 3
"""Photos a report takes."""
RESIDENT: Final = "居民"
"""The actor recorded for a report filed without an account."""
_TICKET_ALPHABET: Final = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read aloud over a phone
_TICKET: Final = re.compile(r"^[2-9A-HJ-NP-Z]{5}-[2-9A-HJ-NP-Z]{5}$")
_TITLE_CHARS: Final = 40
_PHOTO_NAME: Final = re.compile(r"^[0-9a-f]{64}$")

DUPLICATE_DAYS: Final = 7
"""How far back an open issue of the same building and category is offered to follow."""


class PublicIssue(TypedDict):
    """What the public report page may show of another resident's report: its id (to
    follow it), :class:`~mapgov.core.model.IssueCategory`, status and when it was reported."""

    issue_id: int
    category: str
    status: str
    reported_at: str


def open_duplicate(
    store: Store, *, building_id: str, category: str, today: dt.date
) -> PublicIssue | None:
    """The newest open issue of `building_id` and `category` reported in the last
    :data:`DUPLICATE_DAYS` days (today included), to follow instead of reporting it again.

    The public report page shows it to anyone who scans the building's code, so it carries
    nothing that a resident typed or that says who: free text names people and flats that
    no list of names can catch (:func:`followed`).

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
    PublicIssue or None
        That issue, or None when there is none.
    """
    since = (today - dt.timedelta(days=DUPLICATE_DAYS - 1)).isoformat()
    until = (today + dt.timedelta(days=1)).isoformat()
    found = store.read(
        "issue",
        where={"building_id": building_id, "category": category},
        columns=list(_PUBLIC),
    )
    recent = found[
        (found["reported_at"] >= since)
        & (found["reported_at"] < until)
        & (found["status"] != IssueStatus.CLOSED.value)
    ]
    if recent.empty:
        return None
    newest = recent.sort_values(["reported_at", "issue_id"]).iloc[-1]
    return _public(newest)


_PUBLIC: Final = tuple(PublicIssue.__annotations__)
"""The issue columns read for the public page: those of :class:`PublicIssue`, no more."""


def _public(row: pd.Series) -> PublicIssue:
    return PublicIssue(
        issue_id=int(row["issue_id"]),
        category=str(row["category"]),
        status=str(row["status"]),
        reported_at=str(row["reported_at"]),
    )


def followed(store: Store, issue_id: int) -> PublicIssue | None:
    """The issue a resident chose to follow instead of reporting it again, as anyone may see it.

    Its title and description are another resident's words, which may name them, a
    neighbour or a flat: they stay with the staff, as on the ticket page
    (:func:`ticket_view`).

    Parameters
    ----------
    store : Store
        The database whose issue ledger is read.
    issue_id : int
        The issue followed.

    Returns
    -------
    PublicIssue or None
        The issue; None for an unknown issue.
    """
    found = store.read("issue", where={"issue_id": int(issue_id)}, columns=list(_PUBLIC))
    if found.empty:
        return None
    return _public(found.iloc[0])


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


class PhotoRow(TypedDict):
    """A kept photo as the tables record it: its name (SHA-256) and size in pixels."""

    name: str
    width: int
    height: int


class FieldReport(TypedDict, total=False):
    """What a report from the phone page says: where, what, and who may be called back."""

    building_id: Required[str]
    category: Required[str]
    description: Required[str]
    reporter_name: str | None
    reporter_phone: str | None
    photos: Sequence[PhotoRow]


@dataclass(frozen=True)
class Filed:
    """A filed report: its issue and the ticket its reporter follows it by."""

    issue_id: int
    ticket: str


def new_ticket() -> str:
    """A new ticket: ten characters in two groups (``K7QMX-3XPDA``), from a cryptographic
    source, so that one report's ticket tells nothing of another's.

    Returns
    -------
    str
        The ticket, upper case, without 0, O, 1 or I.
    """
    chars = "".join(secrets.choice(_TICKET_ALPHABET) for _ in range(10))
    return f"{chars[:5]}-{chars[5:]}"


def _text(value: object, field: str, limit: int, *, required: bool = False) -> str | None:
    text = str(value or "").strip()
    if not text:
        if required:
            msg = f"{field} is required"
            raise ValidationError(msg, key="error.issue.required", field=field)
        return None
    if len(text) > limit:
        msg = f"{field} is longer than {limit} characters"
        raise ValidationError(msg, key="error.issue.too_long", field=field, limit=limit)
    return text


def _title(description: str) -> str:
    first = description.splitlines()[0].strip()
    return first if len(first) <= _TITLE_CHARS else first[: _TITLE_CHARS - 1] + "…"


def _limit_guard(building_id: str, source: str, now: dt.datetime) -> Any:
    """The check that refuses an anonymous report past :data:`ADDRESS_LIMIT` or
    :data:`BUILDING_LIMIT`, run inside the write that would file it."""

    def guard(con: Any) -> None:
        for (most, seconds), column, value, key in (
            (ADDRESS_LIMIT, "source", source, "error.report.too_many_address"),
            (BUILDING_LIMIT, "subject", building_id, "error.report.too_many_building"),
        ):
            since = stamp(now - dt.timedelta(seconds=seconds))
            row = con.execute(
                f"SELECT COUNT(*) FROM audit_log WHERE kind = ? AND actor = ? AND {column} = ? "
                "AND at > ?",
                [AuditKind.FIELD_REPORT.value, RESIDENT, value, since],
            ).fetchone()
            if int(row[0]) >= most:
                minutes = max(1, seconds // 60)
                msg = (
                    f"too many reports ({most} in {minutes} minutes) from here or about this "
                    "building; wait a while, or call the community"
                )
                raise ValidationError(msg, key=key, most=most, minutes=minutes)

    return guard


def file_report(
    store: Store,
    report: FieldReport,
    *,
    by: User | None,
    source: str,
    now: dt.datetime,
    at: dt.datetime | None = None,
) -> Filed:
    """File a report from the phone page as a new issue of the ledger, with a ticket.

    Parameters
    ----------
    store : Store
        The database to file it in.
    report : FieldReport
        The building, the category, the description (required), the reporter's name and
        phone (optional, personal data) and up to :data:`MAX_PHOTOS` photos already kept.
    by : User or None
        The signed-in grid worker or staff member who files it (they must be able to edit the
        building's community), or None for a resident without an account.
    source : str
        Where the report came from (``"web <address>"``): anonymous reports are limited per
        source.
    now : datetime.datetime
        The real time (the rate limits count real seconds, like sign-in lockouts).
    at : datetime.datetime or None
        The report's time in the ledger (default: the street's now, which a demo keeps on its
        own calendar).

    Returns
    -------
    Filed
        The new issue's id and its ticket.

    Raises
    ------
    ValidationError
        If a field is missing or wrong, there are too many photos, or a rate limit refuses an
        anonymous report (keys ``error.report.too_many_*``); nothing is filed.
    PermissionDeniedError
        If `by` may not edit the building's community.
    """
    building_id = str(report.get("building_id") or "")
    b, community_id = issue_building(store, building_id)
    if by is not None and not can_edit(by, community_id, store):
        msg = f"{by.name} may not report issues of community {community_id}"
        raise PermissionDeniedError(
            msg, key="error.issue.denied", user=by.name, role=by.role, action=EventAction.REPORT
        )
    if not report.get("category"):
        msg = "the category is required"
        raise ValidationError(msg, key="error.issue.required", field="category")
    try:
        category = IssueCategory(report.get("category")).value
    except ValueError as err:
        msg = f"unknown category: {err}"
        given = str(report.get("category"))
        raise ValidationError(msg, key="error.issue.bad_choice", value=given) from err
    description = _text(report.get("description"), "description", 2000, required=True)
    assert description is not None
    name = _text(report.get("reporter_name"), "reporter_name", 40)
    phone = _text(report.get("reporter_phone"), "reporter_phone", 20)
    check_phone(phone, "reporter_phone")
    photos = list(report.get("photos") or ())
    if len(photos) > MAX_PHOTOS:
        msg = f"{len(photos)} photos; a report takes at most {MAX_PHOTOS}"
        raise ValidationError(msg, key="error.report.too_many_photos", most=MAX_PHOTOS)
    if any(not _PHOTO_NAME.match(str(p["name"])) for p in photos):
        msg = "a photo is not one kept by mapgov.io.photos"
        raise ValidationError(msg, key="error.photo.name")
    when = (at or clock.now(store)).replace(microsecond=0).isoformat()
    actor = RESIDENT if by is None else by.name
    ticket = new_ticket()
    point = b["geometry"].representative_point()
    issue = {
        "compound_id": b["compound_id"],
        "building_id": building_id,
        "category": category,
        "source": (IssueSource.QR_CODE if by is None else IssueSource.GRID_WORKER).value,
        "level": Level.COMPOUND.value,
        "status": IssueStatus.REPORTED.value,
        "title": _title(description),
        "description": description,
        "reporter_name": name if by is None else (name or by.name),
        "reporter_phone": phone,
        "reported_at": when,
        "reopen_count": 0,
        "version": 1,
        "lon": round(point.x, 7),
        "lat": round(point.y, 7),
        "channel": IssueChannel.PHONE.value,
        "ticket": ticket,
    }
    event = {
        "at": when,
        "actor": actor,
        "action": EventAction.REPORT.value,
        "from_status": None,
        "to_status": IssueStatus.REPORTED.value,
        "note": None,
    }
    rows = [
        {
            "name": str(p["name"]),
            "width": int(p["width"]),
            "height": int(p["height"]),
            "added_at": when,
            "added_by": actor,
        }
        for p in photos
    ]
    logged = entry(
        AuditKind.FIELD_REPORT,
        now=now,
        actor=RESIDENT if by is None else by.user_id,
        subject=building_id,
        detail=ticket,
        source=source,
    )
    guard = _limit_guard(building_id, source, now) if by is None else None
    issue_id = store.insert_report(
        issue, {"events": [event], "photos": rows, "audit": [logged], "guard": guard}
    )
    return Filed(issue_id=issue_id, ticket=ticket)


def refused(store: Store, *, building_id: str, source: str, now: dt.datetime) -> None:
    """Note in the audit log that a rate limit refused an anonymous report.

    Parameters
    ----------
    store : Store
        The database whose audit log is written.
    building_id : str
        The building the refused report was about.
    source : str
        Where it came from.
    now : datetime.datetime
        The real time.
    """
    store.append_audit(
        [
            entry(
                AuditKind.REPORT_REFUSED,
                now=now,
                actor=RESIDENT,
                subject=building_id,
                source=source,
            )
        ]
    )


def ticket_code(typed: str) -> str:
    """A ticket as written on a note or read out on the phone, in the form it is stored:
    full-width characters (a Chinese keyboard's) as ASCII, spaces dropped, any dash as "-"
    and one put in the middle where it was left out, upper case.

    Parameters
    ----------
    typed : str
        What the resident typed.

    Returns
    -------
    str
        The ticket's stored form (``K7QMX-3XPDA``) if `typed` is one, else `typed` cleaned
        the same way (no report has it).

    Examples
    --------
    >>> ticket_code(" k7qmx－3xpda "), ticket_code("K7QMX 3XPDA")
    ('K7QMX-3XPDA', 'K7QMX-3XPDA')
    >>> ticket_code("ｋ７ｑｍｘ—３ｘｐｄａ"), ticket_code("K7QMX3XPDA")
    ('K7QMX-3XPDA', 'K7QMX-3XPDA')
    """
    code = unicodedata.normalize("NFKC", str(typed)).upper()
    code = re.sub(r"[\s]+", "", code)
    code = re.sub(r"[\u2010-\u2015\u2212_.·]+", "-", code)  # hyphens, dashes, minus, a dot
    if len(code) == 10 and code.isalnum():
        code = f"{code[:5]}-{code[5:]}"
    return code


def ticket_view(store: Store, ticket: str, *, lang: str) -> dict[str, Any] | None:
    """What the ticket page shows its holder: the report's status and public timeline.

    Parameters
    ----------
    store : Store
        The database to read.
    ticket : str
        The ticket as typed or scanned (case and spaces do not matter).
    lang : str
        The reader's language.

    Returns
    -------
    dict or None
        ``issue_id``, ``ticket``, ``status`` (code), ``status_label``, ``category_label``,
        ``building``, ``compound``, ``reported_at``, ``version``, ``satisfaction``,
        ``photos`` (names), ``timeline`` (:func:`public_timeline`) and ``can_rate`` (the
        callback is due); None when no report has this ticket. Nothing of who reported it
        or who handled it.
    """
    code = ticket_code(ticket)
    if not _TICKET.match(code):
        return None
    found = store.read(
        "issue",
        where={"ticket": code},
        columns=[
            "issue_id",
            "building_id",
            "compound_id",
            "category",
            "status",
            "reported_at",
            "version",
            "satisfaction",
        ],
    )
    if found.empty:
        return None
    row = found.iloc[0]
    building = store.read("building", where={"building_id": row["building_id"]}, columns=["name"])
    compound = store.read("compound", where={"compound_id": row["compound_id"]}, columns=["name"])
    status = IssueStatus(row["status"])
    issue_id = int(row["issue_id"])
    return {
        "issue_id": issue_id,
        "ticket": code,
        "status": status.value,
        "status_label": label(status, lang),
        "category_label": label(IssueCategory(row["category"]), lang),
        "building": "" if building.empty else str(building["name"].iloc[0]),
        "compound": "" if compound.empty else str(compound["name"].iloc[0]),
        "reported_at": str(row["reported_at"])[:16].replace("T", " "),
        "version": int(row["version"]),
        "satisfaction": row["satisfaction"] if isinstance(row["satisfaction"], str) else None,
        "photos": issue_photos(store, issue_id)["name"].tolist(),
        "timeline": public_timeline(store, issue_id, lang=lang),
        "can_rate": status is IssueStatus.RESOLVED,
    }


def issue_photos(store: Store, issue_id: int) -> pd.DataFrame:
    """The photos of an issue, oldest first.

    Parameters
    ----------
    store : Store
        The database to read.
    issue_id : int
        The issue.

    Returns
    -------
    pandas.DataFrame
        [name, width, height, added_at]: names to read from the photo folder
        (:func:`mapgov.io.photos.photo_folder`).
    """
    return store.read(
        "issue_photo",
        where={"issue_id": int(issue_id)},
        columns=["name", "width", "height", "added_at"],
        order_by="photo_id",
    )
