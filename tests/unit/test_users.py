"""Roles: who may change which community's issues, and who sees personal data."""

from __future__ import annotations

import pytest

from mapgov.core.errors import ValidationError
from mapgov.core.model import Role
from mapgov.domain.users import (
    User,
    can_edit,
    community_street,
    get_user,
    sees_personal_data,
)
from mapgov.store import Store, open_store
from tests.handdrawn import build_two_streets

STAFF_C1 = User("u1", "孙荣", Role.STAFF, "S1", "C1")
ADMIN_S1 = User("u2", "管理员", Role.ADMIN, "S1")
ADMIN_S2 = User("u5", "涧西管理员", Role.ADMIN, "S2")
ADMIN_ALL = User("u6", "总管理员", Role.ADMIN)  # made on the command line, no street
LEADER = User("u3", "郭书记", Role.LEADER, "S1")
PLANNER = User("u4", "规划员", Role.PLANNER, "S1")
WALL = User("u7", "大屏", Role.DISPLAY, "S1")


@pytest.fixture(scope="module")
def two_streets(tmp_path_factory: pytest.TempPathFactory) -> Store:
    """Street S1 with communities C1, C2; street S2 with C3 (tests/handdrawn.py)."""
    return open_store(build_two_streets(tmp_path_factory.mktemp("hand") / "two.sqlite"))


# one rule (users.in_scope) answers both questions: who may change a community's records sees
# its residents unmasked, and nobody else does
@pytest.mark.parametrize(
    ("user", "mine"),
    [
        (STAFF_C1, {"C1"}),
        (ADMIN_S1, {"C1", "C2"}),
        (ADMIN_S2, {"C3"}),  # an administrator of the other street
        (ADMIN_ALL, {"C1", "C2", "C3"}),
        (LEADER, set()),
        (PLANNER, set()),
        (WALL, set()),
    ],
)
def test_rights_per_role(two_streets: Store, user: User, mine: set[str]) -> None:
    for community in ("C1", "C2", "C3", "C9", None):
        expected = community in mine
        assert can_edit(user, community, two_streets) is expected, community
        assert sees_personal_data(user, community, two_streets) is expected, community


def test_community_street_follows_the_data(two_streets: Store) -> None:
    assert [community_street(two_streets, c) for c in ("C1", "C2", "C3", "C9", None)] == [
        "S1",
        "S1",
        "S2",
        None,
        None,
    ]


def test_demo_users_cover_every_role_and_community(demo_store: Store) -> None:
    rows = demo_store.read("app_user", where={"street_id": "S001"})
    roles = set(rows["role"])
    assert {Role.LEADER, Role.PLANNER, Role.ADMIN, Role.STAFF} <= roles
    staff_communities = set(rows.loc[rows["role"] == Role.STAFF, "community_id"])
    communities = set(demo_store.read("community")["community_id"])
    assert staff_communities == communities
    staff = rows[rows["role"] == Role.STAFF].iloc[0]
    user = get_user(demo_store, staff["user_id"])
    assert (user.role, user.community_id) == (Role.STAFF, staff["community_id"])
    with pytest.raises(ValidationError, match="no user"):
        get_user(demo_store, "nobody")
