"""Street scope of the rights (issue 15, point 4): staff change and see unmasked their own
community only, administrators the communities of their own street only, whatever a page
offers; a forged library call is refused and writes nothing.

On the hand-drawn two streets (tests/handdrawn.py): S1 has C1 (compounds K1, K2; buildings
B1-B3) and C2; S2 has C3 (compound K3, building B4).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

import pytest

from mapgov.core.errors import PermissionDeniedError, ValidationError
from mapgov.core.model import Role
from mapgov.core.privacy import mask_name, mask_phone
from mapgov.domain import cobuild, display_tokens, issue_reads, party
from mapgov.domain import issues_workflow as workflow
from mapgov.domain.users import User
from mapgov.store import Store, open_store
from mapgov.views import accounts as account_admin
from tests.handdrawn import build_two_streets

NOW: Final = dt.datetime(2026, 11, 14, 9, 30)
TODAY: Final = NOW.date()
STAFF_C1: Final = User("staff.c1", "孙荣", Role.STAFF, "S1", "C1")
ADMIN_S1: Final = User("admin.s1", "西工管理员", Role.ADMIN, "S1")
ADMIN_S2: Final = User("admin.s2", "涧西管理员", Role.ADMIN, "S2")
LEADER_S2: Final = User("leader.s2", "涧西书记", Role.LEADER, "S2")
REPORTER: Final = ("张三丰", "13812345678")


@pytest.fixture
def two_streets(tmp_path: Path) -> Store:
    return open_store(build_two_streets(tmp_path / "two.sqlite"))


def _writes(store: Store) -> dict[str, int]:
    return {k: v for k, v in store.counts().items() if k not in {"meta"}}


def _edits_of_b4(store: Store, user: User) -> list[Callable[[], Any]]:
    """Every kind of change to community C3 (street S2) a page can offer, as library calls."""

    def drawn(form: str, target: str) -> Any:
        return party.form_version(store, form, target)

    return [
        lambda: workflow.log_issue(
            store, user, building_id="B4", category="lighting", source="hotline_12345",
            title="楼道灯不亮", at=NOW,
        ),
        lambda: party.set_branch(
            store, user, "K3", version=drawn("branch", "K3"), has_branch=True, at=NOW
        ),
        lambda: party.set_property(
            store, user, "K3", version=drawn("property", "K3"), mode="none", at=NOW
        ),
        lambda: party.set_building(
            store, user, "B4", version=drawn("building", "B4"), has_group=False,
            head="李四", head_phone="13900001111", at=NOW,
        ),
        lambda: cobuild.file_need(
            store, user, community_id="C3", kind="elderly_help", title="助餐点", at=NOW
        ),
        lambda: cobuild.post_wish(store, user, compound_id="K3", title="轮椅", at=NOW),
    ]  # fmt: skip


@pytest.mark.parametrize("user", [STAFF_C1, ADMIN_S1, LEADER_S2], ids=lambda u: u.user_id)
def test_a_forged_call_on_another_community_is_refused_and_writes_nothing(
    two_streets: Store, user: User
) -> None:
    before = _writes(two_streets)
    for k, edit in enumerate(_edits_of_b4(two_streets, user)):
        with pytest.raises(PermissionDeniedError):
            edit()
        assert _writes(two_streets) == before, k


def test_the_administrator_of_the_street_makes_the_same_changes(two_streets: Store) -> None:
    before = _writes(two_streets)
    edits = _edits_of_b4(two_streets, ADMIN_S2)
    for edit in edits[:1] + edits[2:]:  # a branch needs the community's party body: none here
        edit()
    after = _writes(two_streets)
    for table in ("issue", "community_need", "micro_wish", "change_log"):
        assert after[table] > before[table], table


def test_residents_are_unmasked_for_the_street_admin_and_the_community_staff_only(
    two_streets: Store,
) -> None:
    name, phone = REPORTER
    b4 = workflow.log_issue(
        two_streets, ADMIN_S2, building_id="B4", category="lighting", source="hotline_12345",
        title="楼道灯不亮", reporter_name=name, reporter_phone=phone, at=NOW,
    )  # fmt: skip
    b1 = workflow.log_issue(
        two_streets, STAFF_C1, building_id="B1", category="lighting", source="hotline_12345",
        title="楼道灯不亮", reporter_name=name, reporter_phone=phone, at=NOW,
    )  # fmt: skip
    masked = (mask_name(name), mask_phone(phone))
    for user, on_b4, on_b1 in (
        (ADMIN_S2, REPORTER, masked),
        (ADMIN_S1, masked, REPORTER),
        (STAFF_C1, masked, REPORTER),
        (LEADER_S2, masked, masked),
    ):
        for issue_id, expected in ((b4, on_b4), (b1, on_b1)):
            shown = issue_reads.get_issue(two_streets, issue_id, user=user, today=TODAY)
            assert (shown["reporter_name"], shown["reporter_phone"]) == expected, user.user_id
            assert bool(workflow.allowed_actions(two_streets, shown, user)) == (
                expected == REPORTER
            ), user.user_id


def test_a_label_revoked_in_one_street_does_not_revoke_its_namesake_in_another(
    two_streets: Store,
) -> None:
    """Labels may be given again once revoked (issue 15): an administrator of S1 revoking
    "大屏" again must not reach the live "大屏" of S2."""
    admin_s1, admin_s2 = ADMIN_S1, ADMIN_S2
    mine = account_admin.add_token(two_streets, admin_s1, "大屏", now=NOW)
    account_admin.revoke_token(two_streets, admin_s1, "大屏", now=NOW)
    theirs = account_admin.add_token(two_streets, admin_s2, "大屏", now=NOW)
    later = NOW + dt.timedelta(minutes=1)
    with pytest.raises(ValidationError, match="no live display token"):
        account_admin.revoke_token(two_streets, admin_s1, "大屏", now=NOW)
    assert display_tokens.token_street(two_streets, theirs, now=later) == "S2"
    assert display_tokens.token_street(two_streets, mine, now=later) is None
