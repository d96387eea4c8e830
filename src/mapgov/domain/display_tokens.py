"""Wall-screen tokens: an administrator issues one per screen (labelled e.g. "指挥中心大屏")
that opens ``/wall?kiosk=1&token=...`` for its street only, read-only and masked.

A token is long and random (``secrets``), shown once and kept as its SHA-256 only
(:func:`~mapgov.domain.accounts.token_hash`); it works until revoked. A label names one live token
at a time: a revoked token's label may be given to a new one. Issuing and revoking are
appended to the audit log.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Unpack

import pandas as pd

from mapgov.core.errors import ValidationError
from mapgov.core.model import AuditKind, Role
from mapgov.domain.accounts import check_scope, token_hash
from mapgov.domain.audit import Stamp
from mapgov.domain.audit import entry as _entry
from mapgov.domain.audit import stamp as _stamp
from mapgov.store import Store

__all__ = ["add_display_token", "list_display_tokens", "revoke_display_token", "token_street"]


def add_display_token(
    store: Store,
    label: str,
    street_id: str,
    *,
    token: str | None = None,
    **by: Unpack[Stamp],
) -> str:
    """Issue a wall-screen token for `street_id`, labelled e.g. "指挥中心大屏".

    Parameters
    ----------
    store : Store
        The database to write.
    label : str
        The screen's name, unique among live tokens.
    street_id : str
        The street the token opens.
    token : str, optional
        Only for reproducible demo builds; default ``secrets.token_urlsafe(32)``.
    **by : Stamp
        ``now``, ``actor``, ``source``: when, by whom and from where (the audit log).

    Returns
    -------
    str
        The token: show it once; only its SHA-256 is stored.

    Raises
    ------
    ValidationError
        For an empty label or an unknown street.
    StaleEditError
        If a live token has that label (a revoked one's label may be given again).
    """
    label = label.strip()
    if not label:
        msg = "a display token needs a label"
        raise ValidationError(msg, key="error.account.token_label")
    check_scope(store, Role.DISPLAY, street_id, None)
    token = token or secrets.token_urlsafe(32)
    row = {
        "label": label,
        "street_id": street_id,
        "token_hash": token_hash(token),
        "created_at": _stamp(by["now"]),
        "created_by": by["actor"],
    }
    entry = _entry(AuditKind.TOKEN_ADDED, subject=label, detail=f"street={street_id}", **by)
    store.insert_display_token(row, [entry])
    return token


def revoke_display_token(
    store: Store, label: str, street_id: str | None = None, **by: Unpack[Stamp]
) -> None:
    """Revoke the live token `label` (of `street_id`, if given) from `now` on.

    Parameters
    ----------
    store : Store
        The database that holds the token.
    label : str
        The label of the live token to revoke.
    street_id : str, optional
        The street the token must belong to (None: any).
    **by : Stamp
        When it is revoked, by whom and from where.

    Raises
    ------
    ValidationError
        If there is no live token of that label (in that street).
    """
    entry = _entry(AuditKind.TOKEN_REVOKED, subject=label, **by)
    store.revoke_display_token(label, entry["at"], [entry], street_id=street_id)


def token_street(store: Store, token: str | None, *, now: dt.datetime) -> str | None:
    """The street a display token opens, or None (no, wrong or revoked token).

    Parameters
    ----------
    store : Store
        The database to read.
    token : str or None
        The token a wall screen's address carries.
    now : datetime
        The time of the request (a token revoked by then opens nothing).

    Returns
    -------
    str or None
        The street's id.
    """
    if not token:
        return None
    found = store.read("display_token", where={"token_hash": token_hash(token)})
    if found.empty:
        return None
    revoked = found["revoked_at"].iloc[0]
    if isinstance(revoked, str) and revoked <= _stamp(now):
        return None
    return str(found["street_id"].iloc[0])


def list_display_tokens(store: Store) -> pd.DataFrame:
    """The display tokens without their hashes: label, street, created, by, revoked.

    Parameters
    ----------
    store : Store
        The database to read.

    Returns
    -------
    DataFrame
        Columns ``label, street_id, created_at, created_by, revoked_at``.
    """
    return store.read(
        "display_token", columns=["label", "street_id", "created_at", "created_by", "revoked_at"]
    )
