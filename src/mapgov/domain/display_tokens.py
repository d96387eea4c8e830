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

import pandas as pd

from mapgov.core.errors import ValidationError
from mapgov.core.model import AuditKind, Role
from mapgov.domain.accounts import check_scope, token_hash
from mapgov.domain.audit import entry as _entry
from mapgov.domain.audit import stamp as _stamp
from mapgov.store import Store

__all__ = ["add_display_token", "list_display_tokens", "revoke_display_token", "token_street"]


def add_display_token(
    store: Store,
    label: str,
    street_id: str,
    *,
    now: dt.datetime,
    actor: str,
    token: str | None = None,
    source: str | None = None,
) -> str:
    """Issue a wall-screen token for `street_id`, labelled e.g. "指挥中心大屏".

    Parameters
    ----------
    token
        Only for reproducible demo builds; default ``secrets.token_urlsafe(32)``.

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
        raise ValidationError(msg, key="error.account.bad_scope", reason="label")
    check_scope(store, Role.DISPLAY, street_id, None)
    token = token or secrets.token_urlsafe(32)
    row = {
        "label": label,
        "street_id": street_id,
        "token_hash": token_hash(token),
        "created_at": _stamp(now),
        "created_by": actor,
    }
    entry = _entry(
        AuditKind.TOKEN_ADDED,
        now=now,
        actor=actor,
        subject=label,
        detail=f"street={street_id}",
        source=source,
    )
    store.insert_display_token(row, [entry])
    return token


def revoke_display_token(
    store: Store,
    label: str,
    *,
    now: dt.datetime,
    actor: str,
    street_id: str | None = None,
    source: str | None = None,
) -> None:
    """Revoke the live token `label` (of `street_id`, if given) from `now` on.

    Raises
    ------
    ValidationError
        If there is no live token of that label (in that street).
    """
    entry = _entry(AuditKind.TOKEN_REVOKED, now=now, actor=actor, subject=label, source=source)
    store.revoke_display_token(label, _stamp(now), [entry], street_id=street_id)


def token_street(store: Store, token: str | None, *, now: dt.datetime) -> str | None:
    """The street a display token opens, or None (no, wrong or revoked token)."""
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
    """The display tokens without their hashes: label, street, created, by, revoked."""
    return store.read(
        "display_token", columns=["label", "street_id", "created_at", "created_by", "revoked_at"]
    )
