"""What every edit of a community's records checks and stamps: the editor's right
(:func:`require_editor`), a phone number typed into a form (:func:`check_phone`), the row
an edit starts from as Python values (:func:`plain_row`), the time the change is
recorded at (:func:`edit_stamp`) and a new record's id when two are added at once
(:func:`insert_new`).

Shared by the issue ledger's workflow, the field reports, co-building, deliberation, the
party members' service (:mod:`mapgov.domain.members`) and the party-building edit forms
(:mod:`mapgov.domain.party_edits`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import numpy as np

from mapgov.core import clock
from mapgov.core.errors import PermissionDeniedError, StaleEditError, ValidationError
from mapgov.core.privacy import is_phone
from mapgov.domain.users import User, can_edit
from mapgov.store import Store

__all__ = ["check_phone", "edit_stamp", "plain_row", "require_editor"]


def require_editor(store: Store, user: User, community_id: str | None, what: str) -> None:
    """Refuse `user` unless they may change `community_id`'s records (:func:`can_edit`).

    Parameters
    ----------
    store : Store
        The database (for the community's street).
    user : User
        Who would make the change.
    community_id : str or None
        The community whose records would change.
    what : str
        What would change, for the message ("party branches", "party members' service").

    Raises
    ------
    PermissionDeniedError
        If the user is neither staff of the community nor an admin of its street
        (key ``error.edit.denied``).
    """
    if not can_edit(user, community_id, store):
        msg = (
            f"{user.name} ({user.role.value}) may not change {what} in community "
            f"{community_id}: only its staff and its street's admins may"
        )
        raise PermissionDeniedError(msg, key="error.edit.denied", user=user.name, role=user.role)


def edit_stamp(store: Store, at: dt.datetime | None) -> str:
    """When an edit is recorded, to the second, as ISO text.

    Parameters
    ----------
    store : Store
        The database, whose street's clock (:func:`mapgov.core.clock.now`: a demo keeps its
        own calendar) gives the time when `at` is None.
    at : datetime or None
        The time given by the caller, if any.

    Returns
    -------
    str
        ``YYYY-MM-DDTHH:MM:SS``.
    """
    return (at or clock.now(store)).replace(microsecond=0).isoformat()


def check_phone(phone: str | None, field: str) -> None:
    """Refuse a `phone` that is not a phone number (:func:`mapgov.core.privacy.is_phone`).

    Parameters
    ----------
    phone : str or None
        The number as typed, stripped; None or empty passes (a phone is never required).
    field : str
        The form's field, for the message (``reporter_phone``, ``poster_phone``).

    Raises
    ------
    ValidationError
        Key ``error.issue.bad_phone``.
    """
    if phone and not is_phone(phone):
        msg = f"{field} {phone!r} is not a phone number"
        raise ValidationError(msg, key="error.issue.bad_phone", phone=phone)


def plain_row(row: Mapping[str, Any]) -> dict[str, Any]:
    """A row read from the store as Python values: None for missing, int and float for
    numpy's numbers.

    Parameters
    ----------
    row : Mapping
        Column name to value, as ``frame.iloc[i].to_dict()`` gives it.

    Returns
    -------
    dict
        The same keys.

    Examples
    --------
    >>> plain_row({"n": np.int64(3), "x": float("nan"), "s": "a"})
    {'n': 3, 'x': None, 's': 'a'}
    """
    out = {}
    for k, v in row.items():
        value = v.item() if isinstance(v, np.generic) else v
        out[k] = None if isinstance(value, float) and np.isnan(value) else value
    return out


_Id = TypeVar("_Id", str, int)


def insert_new(make_id: Callable[[], _Id], write: Callable[[_Id], None], *, tries: int = 3) -> _Id:
    """Write a new record under the next free id, and under the one after that when somebody
    took it meanwhile (two staff adding at the same moment): ids are counted from what is
    stored, and the store refuses a second record with the same id.

    Parameters
    ----------
    make_id : callable
        The next free id, read afresh from the store at each try.
    write : callable
        Writes the record under the id it is given; raises
        :class:`~mapgov.core.errors.StaleEditError` keyed ``error.edit.exists`` when the id is
        taken.
    tries : int
        How many ids are tried.

    Returns
    -------
    str or int
        The id the record was written under.

    Raises
    ------
    StaleEditError
        When every id tried was taken, or the write was refused for another reason.
    """
    for attempt in range(tries):
        new = make_id()
        try:
            write(new)
        except StaleEditError as err:
            if err.key != "error.edit.exists" or attempt == tries - 1:
                raise
        else:
            return new
    raise AssertionError  # pragma: no cover (the loop returns or raises)
