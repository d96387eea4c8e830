"""Who is working, and what their role lets them do.

Rules (checked here, not only in the pages):

- staff of a community may change that community's records (issues, party records, co-building)
  and see its residents' personal data unmasked;
- admins may do the same in every community of their street (:func:`community_street`); an
  admin with no street (the first one, made on the command line) in every street;
- leaders and planners read everything, masked;
- a wall screen's account (``display``) reads its street, masked, and changes nothing.

One rule, :func:`in_scope`, answers both questions (:func:`can_edit`,
:func:`sees_personal_data`): whoever may change a community's records sees them as they are,
and nobody else does.

Accounts (login, password, sessions) are :mod:`mapgov.domain.accounts`; a
:class:`~mapgov.domain.accounts.Account` is a :class:`User`, so these rules take either.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Final

from mapgov.core.errors import ValidationError
from mapgov.core.model import Role
from mapgov.store import Store

__all__ = [
    "User",
    "can_edit",
    "community_street",
    "get_user",
    "in_scope",
    "sees_personal_data",
    "street_admin",
]


@dataclass(frozen=True)
class User:
    """A person working in mapgov."""

    user_id: str
    name: str
    role: Role
    street_id: str | None = None
    community_id: str | None = None


def _users(store: Store, where: dict[str, object] | None = None) -> list[User]:
    frame = store.read("app_user", where=where)
    return [
        User(
            user_id=r.user_id,
            name=r.name,
            role=Role(r.role),
            street_id=r.street_id if isinstance(r.street_id, str) else None,
            community_id=r.community_id if isinstance(r.community_id, str) else None,
        )
        for r in frame.itertuples(index=False)
    ]


def get_user(store: Store, user_id: str) -> User:
    """The user called `user_id`.

    Parameters
    ----------
    store : Store
        The database to read.
    user_id : str
        The user's id (an account's login).

    Returns
    -------
    User
        The user, with role and scope.

    Raises
    ------
    ValidationError
        If there is no such user.
    """
    found = _users(store, {"user_id": user_id})
    if not found:
        msg = f"no user {user_id!r}"
        raise ValidationError(msg, key="error.issue.unknown_user", user=user_id)
    return found[0]


_STREETS: Final[dict[tuple[str, int], dict[str, str]]] = {}
_STREETS_LOCK: Final = threading.Lock()


def community_street(store: Store, community_id: str | None) -> str | None:
    """The street of `community_id` (None for None or an unknown community).

    Read once per database and data version (:meth:`~mapgov.store.Store.identity`), so that
    the rights checks of a page run do not read the community table each time.

    Parameters
    ----------
    store : Store
        The database whose communities are looked up.
    community_id : str or None
        The community.

    Returns
    -------
    str or None
        The id of its street.
    """
    if community_id is None:
        return None
    key = store.identity()
    streets = _STREETS.get(key)
    if streets is None:
        frame = store.read("community", columns=["community_id", "street_id"])
        streets = dict(zip(frame["community_id"], frame["street_id"], strict=True))
        with _STREETS_LOCK:
            if len(_STREETS) >= 8:  # old versions of a few databases
                _STREETS.clear()
            _STREETS[key] = streets
    return streets.get(community_id)


def in_scope(user: User, community_id: str | None, store: Store) -> bool:
    """Whether `community_id` is within what `user` manages: the community of a staff member,
    a community of an admin's street (any street for an admin with none); never for
    leaders, planners and wall screens.

    Parameters
    ----------
    user : User
        The person, by role and scope.
    community_id : str or None
        The community asked about (None: never in scope).
    store : Store
        The database that says which street a community is in.

    Returns
    -------
    bool
        True when `user` manages the community.
    """
    if community_id is None:
        return False
    if user.role == Role.STAFF:
        return user.community_id == community_id
    return street_admin(user, community_street(store, community_id))


def street_admin(user: User, street_id: str | None) -> bool:
    """Whether `user` administers `street_id` (an admin of it, or one with no street).

    Parameters
    ----------
    user : User
        The person.
    street_id : str or None
        The street (None: no street, never administered).

    Returns
    -------
    bool
        True for an administrator of that street or of every street.
    """
    return user.role == Role.ADMIN and street_id is not None and user.street_id in (None, street_id)


def can_edit(user: User, community_id: str | None, store: Store) -> bool:
    """Whether `user` may change the records (issues, party records, co-building) of
    `community_id` (:func:`in_scope`).

    Parameters
    ----------
    user : User
        Who would make the change.
    community_id : str or None
        Whose records would change.
    store : Store
        The database (for the community's street).

    Returns
    -------
    bool
        True when the change is allowed.
    """
    return in_scope(user, community_id, store)


def sees_personal_data(user: User, community_id: str | None, store: Store) -> bool:
    """Whether `user` sees residents' names and phones of `community_id` unmasked
    (:func:`in_scope`).

    Parameters
    ----------
    user : User
        Who is shown the data, by role and scope: staff see their community only.
    community_id : str or None
        Where the residents live; None for data of no one community, always masked.
    store : Store
        The database, that names the street of each community.

    Returns
    -------
    bool
        Whether names and phones are shown in full.
    """
    return in_scope(user, community_id, store)
