"""What every edit of a community's records checks and stamps: the editor's right
(:func:`require_editor`) and the time the change is recorded at (:func:`edit_stamp`).

Shared by the party members' service (:mod:`mapgov.domain.members`) and the party-building
edit forms (:mod:`mapgov.domain.party_edits`).
"""

from __future__ import annotations

import datetime as dt

from mapgov.core import clock
from mapgov.core.errors import PermissionDeniedError
from mapgov.domain.users import User, can_edit
from mapgov.store import Store

__all__ = ["edit_stamp", "require_editor"]


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
