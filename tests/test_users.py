"""Roles: who may change which community's issues, and who sees personal data."""

from __future__ import annotations

import pytest

from mapgov.errors import ValidationError
from mapgov.model import Role
from mapgov.store import Store
from mapgov.users import User, can_edit, get_user, list_users, sees_personal_data

STAFF_C1 = User("u1", "孙荣", Role.STAFF, "S001", "S001-C1")
ADMIN = User("u2", "管理员", Role.ADMIN, "S001")
LEADER = User("u3", "郭书记", Role.LEADER, "S001")
PLANNER = User("u4", "规划员", Role.PLANNER, "S001")


@pytest.mark.parametrize(
    ("user", "community", "edit", "sees"),
    [
        (STAFF_C1, "S001-C1", True, True),
        (STAFF_C1, "S001-C2", False, False),
        (ADMIN, "S001-C1", True, False),
        (ADMIN, "S001-C4", True, False),
        (LEADER, "S001-C1", False, False),
        (PLANNER, "S001-C1", False, False),
        (STAFF_C1, None, False, False),
    ],
)
def test_rights_per_role(user: User, community: str | None, edit: bool, sees: bool) -> None:
    assert can_edit(user, community) is edit
    assert sees_personal_data(user, community) is sees


def test_demo_users_cover_every_role_and_community(demo_store: Store) -> None:
    users = list_users(demo_store, "S001")
    roles = [u.role for u in users]
    assert roles[0] == Role.LEADER and roles[-1] == Role.STAFF
    assert {Role.LEADER, Role.PLANNER, Role.ADMIN, Role.STAFF} == set(roles)
    staff_communities = {u.community_id for u in users if u.role == Role.STAFF}
    communities = set(demo_store.read("community")["community_id"])
    assert staff_communities == communities
    assert get_user(demo_store, users[-1].user_id) == users[-1]
    with pytest.raises(ValidationError, match="no user"):
        get_user(demo_store, "nobody")
