"""Who is working, and what their role lets them do.

Rules (checked here, not only in the pages):

- staff of a community may change that community's issues and see its residents' personal data;
- admins may change every community's issues but see personal data masked (they do not need it);
- leaders and planners read everything, masked;
- a wall screen's account (``display``) reads its street, masked, and changes nothing.

Accounts (login, password, sessions) are :mod:`mapgov.accounts`; a
:class:`~mapgov.accounts.Account` is a :class:`User`, so these rules take either.
"""

from __future__ import annotations

from dataclasses import dataclass

from mapgov.errors import ValidationError
from mapgov.model import ACCOUNT_ROLES, Role
from mapgov.store import Store

__all__ = ["User", "can_edit", "get_user", "list_users", "sees_personal_data"]


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


def list_users(store: Store, street_id: str | None = None) -> list[User]:
    """The users of a street (all users without `street_id`), leaders first, then planners,
    admins, staff, wall screens (:data:`~mapgov.model.ACCOUNT_ROLES`)."""
    users = _users(store, {"street_id": street_id} if street_id else None)
    order = {role: k for k, role in enumerate(ACCOUNT_ROLES)}
    return sorted(users, key=lambda u: (order[u.role], u.community_id or "", u.user_id))


def get_user(store: Store, user_id: str) -> User:
    """The user called `user_id`.

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


def can_edit(user: User, community_id: str | None) -> bool:
    """Whether `user` may change the issues of `community_id`."""
    if user.role == Role.ADMIN:
        return True
    return (
        user.role == Role.STAFF and community_id is not None and (user.community_id == community_id)
    )


def sees_personal_data(user: User, community_id: str | None) -> bool:
    """Whether `user` sees residents' names and phones of `community_id` unmasked."""
    return (
        user.role == Role.STAFF and community_id is not None and (user.community_id == community_id)
    )
