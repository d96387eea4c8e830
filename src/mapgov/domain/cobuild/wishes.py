"""Micro-wishes (微心愿): posted by a community, claimed and fulfilled, or cancelled.

:func:`post_wish`, :func:`claim_wish`, :func:`complete_wish`, :func:`cancel_wish`. Rights,
lifecycle and locking are checked by the shared machinery of
:mod:`mapgov.domain.cobuild.workflow`.
"""

from __future__ import annotations

import datetime as dt
from typing import Unpack

from mapgov.core.errors import (
    ValidationError,
)
from mapgov.core.model import (
    CoAction,
    CoEntity,
    WishStatus,
)
from mapgov.domain.cobuild.workflow import (
    MAX_NAME,
    MAX_TEXT,
    MAX_TITLE,
    _clean,
    _create,
    _open,
    _require,
)
from mapgov.domain.editing import check_phone, edit_stamp
from mapgov.domain.places import community_of_compound
from mapgov.domain.steps import Cancel, Step, cancel_fields, step_fields
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

    Parameters
    ----------
    store : Store
        Holds the wish wall.
    user : User
        Who puts it up for the resident (community staff, or a street admin).
    compound_id : str
        The compound whose wall it goes on; its community owns it.
    title : str
        The wish in a few words, required, at most 120 characters.
    description : str
        More about it, optional.
    building_id : str or None
        The poster's building, which must be in the compound.
    poster_name : str or None
        The resident who made the wish (personal data).
    poster_phone : str or None
        Their phone number (personal data).
    at : datetime.datetime or None
        When it was posted (default: the street's now).

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
    check_phone(phone, "poster_phone")
    stamp = edit_stamp(store, at)
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
    return _create(store, user, CoEntity.WISH, values, stamp)


def claim_wish(
    store: Store,
    user: User,
    wish_id: str,
    *,
    claimed_by: str,
    **step: Unpack[Step],
) -> int:
    """Record who claimed a posted wish (a party member, cadre or unit: `claimed_by`).

    Parameters
    ----------
    store : Store
        The database with the wish wall.
    user : User
        Who records the claim: staff of the wish's community or a street admin.
    wish_id : str
        A ``posted`` wish.
    claimed_by : str
        Who takes it on, at most 80 characters; it heads the event's note.
    **step : Unpack[Step]
        ``version``: the wish's version as the form showed it. ``note``: a remark on the claim,
        optional. ``at``: when it was claimed (default: the street's now).

    Returns
    -------
    int
        What the wish's version is now.
    """
    version, note, at = step_fields(step)
    who = _clean(claimed_by, "claimed_by", limit=MAX_NAME, required=True)
    text = _clean(note, "remark", limit=MAX_TEXT)
    stamp = edit_stamp(store, at)
    wish = _open(store, user, CoEntity.WISH, wish_id, action=CoAction.CLAIM, version=version)
    head = str(who).replace(": ", "：")  # the note's first ": " ends the claimant, masked up to it
    return wish.save(stamp, f"{head}: {text}" if text else head, claimed_by=who, claimed_at=stamp)


def complete_wish(store: Store, user: User, wish_id: str, **step: Unpack[Step]) -> int:
    """A claimed wish is fulfilled (圆梦).

    It leaves the wall's open wishes and counts among the fulfilled ones.

    Parameters
    ----------
    store : Store
        Where the wish is kept.
    user : User
        Who records the fulfilment, with edit rights on the community.
    wish_id : str
        A ``claimed`` wish.
    **step : Unpack[Step]
        ``version``: the version of the wish the user saw. ``note``: how it was fulfilled, may be
        empty. ``at``: when it was fulfilled; the street's clock by default.

    Returns
    -------
    int
        The wish's version after this step.
    """
    version, note, at = step_fields(step)
    stamp = edit_stamp(store, at)
    text = _clean(note, "remark", limit=MAX_TEXT)
    wish = _open(store, user, CoEntity.WISH, wish_id, action=CoAction.COMPLETE, version=version)
    return wish.save(stamp, text, completed_at=stamp)


def cancel_wish(store: Store, user: User, wish_id: str, **cancel: Unpack[Cancel]) -> int:
    """Withdraw a posted or claimed wish, saying why.

    Parameters
    ----------
    store : Store
        The street's database.
    user : User
        Who withdraws it (staff of the community or a street admin).
    wish_id : str
        A wish that is posted or claimed.
    **cancel : Unpack[Cancel]
        ``version``: which version of the wish the page was drawn from. ``reason``: why it is
        withdrawn (required). ``at``: the moment of withdrawal, now if not given.

    Returns
    -------
    int
        Its version after the withdrawal (for a later form).
    """
    version, reason, at = cancel_fields(cancel)
    stamp = edit_stamp(store, at)
    text = _clean(reason, "cancel_reason", limit=MAX_TEXT, required=True)
    wish = _open(store, user, CoEntity.WISH, wish_id, action=CoAction.CANCEL, version=version)
    return wish.save(stamp, text, cancelled_at=stamp)
