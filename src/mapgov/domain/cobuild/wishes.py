"""Micro-wishes (微心愿): posted by a community, claimed and fulfilled, or cancelled.

:func:`post_wish`, :func:`claim_wish`, :func:`complete_wish`, :func:`cancel_wish`. Rights,
lifecycle and locking are checked by the shared machinery of
:mod:`mapgov.domain.cobuild.workflow`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from mapgov.core.errors import (
    ValidationError,
)
from mapgov.core.model import (
    CoAction,
    CoEntity,
    WishStatus,
)
from mapgov.domain.cobuild.workflow import (
    _PHONE,
    _STEPS,
    MAX_NAME,
    MAX_TEXT,
    MAX_TITLE,
    _clean,
    _create,
    _open,
    _require,
    _stamp,
    _step,
)
from mapgov.domain.places import community_of_compound
from mapgov.domain.users import User
from mapgov.store import Store

__all__ = [
    "cancel_wish",
    "claim_wish",
    "complete_wish",
    "post_wish",
]


def post_wish(
    store: Store,
    user: User,
    *,
    compound_id: str,
    title: str,
    description: str = "",
    building_id: str | None = None,
    poster_name: str | None = None,
    poster_phone: str | None = None,
    at: dt.datetime | None = None,
) -> str:
    """Put a resident's micro-wish on the wish wall of their compound (optionally building).

    The poster's name and phone are stored in full and shown masked to whoever may not see
    the community's personal data.

    Returns
    -------
    str
        The new wish's id, ``W-<community>-<n>``.
    """
    community = community_of_compound(store, compound_id)
    _require(store, user, community, CoAction.POST, CoEntity.WISH)
    if building_id:
        b = store.read("building", where={"building_id": building_id}, columns=["compound_id"])
        if b.empty:
            msg = f"no building {building_id!r}"
            raise ValidationError(msg, key="error.issue.no_building", id=building_id)
        if b.iloc[0]["compound_id"] != compound_id:
            msg = f"building {building_id} is not in compound {compound_id}"
            raise ValidationError(
                msg, key="error.cobuild.wrong_building", building=building_id, compound=compound_id
            )
    phone = _clean(poster_phone, "poster_phone", limit=20)
    if phone and not _PHONE.match(phone):
        msg = f"poster_phone {phone!r} is not a phone number"
        raise ValidationError(msg, key="error.issue.bad_phone", phone=phone)
    stamp = _stamp(store, at)
    values = {
        "community_id": community,
        "compound_id": compound_id,
        "building_id": building_id or None,
        "title": _clean(title, "title", limit=MAX_TITLE, required=True),
        "description": _clean(description, "description", limit=MAX_TEXT),
        "poster_name": _clean(poster_name, "poster_name", limit=40),
        "poster_phone": phone,
        "status": WishStatus.POSTED.value,
        "posted_at": stamp,
        "posted_by": user.name,
        "version": 1,
    }
    return _create(
        store,
        user,
        CoEntity.WISH,
        values,
        CoAction.POST,
        stamp=stamp,
        prefix=f"W-{community}-",
        scope={"community_id": community},
    )


def _wish_step(
    store: Store,
    user: User,
    wish_id: str,
    *,
    version: int,
    action: CoAction,
    changes: Mapping[str, Any],
    note: str | None,
    stamp: str,
) -> int:
    wish = _open(store, user, CoEntity.WISH, wish_id, action=action, version=version)
    _, to = _STEPS[(CoEntity.WISH, action)]
    _step(store, user, stamp, [(CoEntity.WISH, wish, {"status": to, **changes}, action, note)])
    return int(version) + 1


def claim_wish(
    store: Store,
    user: User,
    wish_id: str,
    *,
    version: int,
    claimed_by: str,
    note: str = "",
    at: dt.datetime | None = None,
) -> int:
    """Record who claimed a posted wish (a party member, cadre or unit: `claimed_by`).
    Returns the wish's new version."""
    who = _clean(claimed_by, "claimed_by", limit=MAX_NAME, required=True)
    text = _clean(note, "note", limit=MAX_TEXT)
    stamp = _stamp(store, at)
    return _wish_step(
        store,
        user,
        wish_id,
        version=version,
        action=CoAction.CLAIM,
        changes={"claimed_by": who, "claimed_at": stamp},
        note=f"{who}: {text}" if text else who,
        stamp=stamp,
    )


def complete_wish(
    store: Store,
    user: User,
    wish_id: str,
    *,
    version: int,
    note: str = "",
    at: dt.datetime | None = None,
) -> int:
    """A claimed wish is fulfilled (圆梦). Returns the wish's new version."""
    stamp = _stamp(store, at)
    return _wish_step(
        store,
        user,
        wish_id,
        version=version,
        action=CoAction.COMPLETE,
        changes={"completed_at": stamp},
        note=_clean(note, "note", limit=MAX_TEXT),
        stamp=stamp,
    )


def cancel_wish(
    store: Store,
    user: User,
    wish_id: str,
    *,
    version: int,
    reason: str,
    at: dt.datetime | None = None,
) -> int:
    """Withdraw a posted or claimed wish, saying why. Returns the wish's new version."""
    stamp = _stamp(store, at)
    return _wish_step(
        store,
        user,
        wish_id,
        version=version,
        action=CoAction.CANCEL,
        changes={"cancelled_at": stamp},
        note=_clean(reason, "reason", limit=MAX_TEXT, required=True),
        stamp=stamp,
    )
