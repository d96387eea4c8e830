"""Masking of residents' names and phones."""

from __future__ import annotations

from typing import Any, Final

import pandas as pd
import pytest

from mapgov.core.i18n import t
from mapgov.core.privacy import mask_claim_note, mask_frame, mask_name, mask_phone, mask_phones_in
from mapgov.domain import cobuild, issue_reads, kpi, party
from mapgov.domain.users import can_edit, get_user, sees_personal_data
from mapgov.store import Store
from mapgov.views import co_building as cob_views
from mapgov.views import data as dataio
from mapgov.views import party_cards as partycards
from tests.conftest import AS_OF


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("张三丰", "张**"),
        ("李四", "李*"),
        ("欧阳修文", "欧***"),
        ("王", "*"),
        (" 赵六 ", "赵*"),
        (None, None),
        ("", ""),
        (float("nan"), None),
    ],
)
def test_mask_name_keeps_only_the_surname(name: str | None, masked: str | None) -> None:
    assert mask_name(name) == masked


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("13812345678", "138****5678"),
        ("0379-6521234", "037*****1234"),
        ("12345", "***45"),
        (None, None),
        ("", ""),
    ],
)
def test_mask_phone_keeps_prefix_and_last_four(phone: str | None, masked: str | None) -> None:
    assert mask_phone(phone) == masked
    if phone and len(phone) >= 8:
        assert phone[3:-4] not in (masked or "")


# -- one rule where data leaves the store, per role (issue 16, point 5) ---------------------------
# who sees community S001-C1's residents in full: whoever may change its records, its staff
# and the street's administrator (users.in_scope); the party page's cards show a head or
# secretary in full by the same rule (the edit form starts from those values)
FULL: Final = {"S001-C1-staff1": True, "S001-admin": True}
EDITS: Final = FULL
ROLES: Final = ("S001-leader", "S001-planner", "S001-C2-staff1", "S001-C1-staff1", "S001-admin")


def _reported(store: Store) -> tuple[int, str, str]:
    """An issue of community S001-C1 whose report event names its reporter: (id, building,
    reporter)."""
    found = store.query(
        "SELECT i.issue_id, i.building_id, i.reporter_name FROM issue i "
        "JOIN issue_event e ON e.issue_id = i.issue_id AND e.action = 'report' "
        "AND e.actor = i.reporter_name JOIN compound c ON c.compound_id = i.compound_id "
        "JOIN grid g ON g.grid_id = c.grid_id WHERE g.community_id = 'S001-C1' "
        "AND length(i.reporter_name) > 1 ORDER BY i.issue_id LIMIT 1"
    )
    row = found.iloc[0]
    return int(row["issue_id"]), str(row["building_id"]), str(row["reporter_name"])


@pytest.mark.parametrize("user_id", ROLES)
def test_an_issue_history_names_its_reporter_as_the_issue_does(
    demo_store: Store, user_id: str
) -> None:
    """The history's report actor is the reporter: masked exactly when the issue's reporter
    is (the leader saw 吴鹏海 under "Reported by: 吴**")."""
    issue_id, _, reporter = _reported(demo_store)
    user = get_user(demo_store, user_id)
    shown = issue_reads.get_issue(demo_store, issue_id, user=user, today=AS_OF)["reporter_name"]
    events = issue_reads.issue_timeline(demo_store, issue_id, user=user)
    actor = events[events["action"] == "report"]["actor"].iloc[0]
    assert actor == shown == (reporter if FULL.get(user_id) else mask_name(reporter))
    others = events[events["action"] != "report"]["actor"]
    assert not others.str.contains(r"\*").any()  # staff who worked it are named
    anonymous = issue_reads.issue_timeline(demo_store, issue_id)
    assert anonymous[anonymous["action"] == "report"]["actor"].iloc[0] == mask_name(reporter)


@pytest.mark.parametrize("user_id", ROLES)
def test_building_heads_and_secretaries_are_masked_for_who_may_not_see_them(
    demo_store: Store, user_id: str
) -> None:
    """The issue map's building panel masks a building head and a zone member unless the user
    sees the community's residents; the party page's cards unless the user may edit them
    (``reveal``, the page's rule); an export masks them for everyone."""
    user = get_user(demo_store, user_id)
    full, edits = FULL.get(user_id, False), EDITS.get(user_id, False)
    shown = (sees_personal_data(user, "S001-C1", demo_store), can_edit(user, "S001-C1", demo_store))
    assert shown == (full, edits)
    blds = demo_store.query(
        "SELECT b.building_id, b.compound_id, b.building_head, b.building_head_phone, "
        "o.secretary, o.secretary_phone FROM building b "
        "JOIN compound c ON c.compound_id = b.compound_id "
        "JOIN party_org o ON o.org_id = c.branch_id "
        "JOIN grid g ON g.grid_id = c.grid_id WHERE g.community_id = 'S001-C1' "
        "AND b.building_head IS NOT NULL AND o.secretary IS NOT NULL "
        "AND b.building_id IN (SELECT building_id FROM zone_building) LIMIT 1"
    )
    b = blds.iloc[0]
    head, phone, secretary = b["building_head"], b["building_head_phone"], b["secretary"]

    def expect(value: str, mask: Any, *, shown: bool = full) -> str:
        return value if shown else mask(value)

    profile = issue_reads.building_profile(demo_store, b["building_id"], user=user, today=AS_OF)
    assert profile["building_head"] == expect(head, mask_name)
    assert profile["building_head_phone"] == expect(phone, mask_phone)
    frames = party.load(demo_store, street_id="S001")
    card = partycards.building_card(demo_store, frames, b["building_id"], reveal=edits)
    assert card["head"] == expect(head, mask_name, shown=edits)
    assert card["head_phone"] == expect(phone, mask_phone, shown=edits)
    assert ("*" in card["zone_member"]) != edits
    assert ("*" in profile["zone_member"]) != full
    compound = partycards.compound_card(
        demo_store, frames, b["compound_id"], reveal=edits, today=AS_OF
    )
    assert compound["secretary"] == expect(secretary, mask_name, shown=edits)
    for table, column, value in (
        ("building", "building_head", head),
        ("building", "building_head_phone", phone),
        ("party_org", "secretary", secretary),
    ):
        exported = dataio.masked(demo_store.read(table), table)  # what every export writes
        assert value not in set(exported[column])


def _claimed_wish(store: Store) -> dict[str, Any]:
    """A claimed wish of community S001-C1 whose claim event names a person and says more."""
    found = store.query(
        "SELECT w.wish_id, w.poster_name, w.poster_phone, w.claimed_by, e.note FROM micro_wish w "
        "JOIN co_event e ON e.entity = 'wish' AND e.entity_id = w.wish_id "
        "AND e.action = 'claim' WHERE w.community_id = 'S001-C1' AND w.poster_phone IS NOT NULL "
        "AND length(w.claimed_by) BETWEEN 2 AND 4 ORDER BY w.wish_id LIMIT 1"
    )
    return dict(found.iloc[0])


@pytest.mark.parametrize("user_id", ROLES)
def test_a_wish_claimant_is_masked_wherever_its_poster_is(demo_store: Store, user_id: str) -> None:
    """The planner saw the wish list's posters as 陈** and its claimants as 刘宇: a claimant
    (and the head of the claim's note in the history) is masked for whoever sees the poster
    masked, in the list (shown and downloaded), the card, the history and every export."""
    wish = _claimed_wish(demo_store)
    wish_id, claimant = wish["wish_id"], wish["claimed_by"]
    user = get_user(demo_store, user_id)
    full = FULL.get(user_id, False)

    def expect(value: str, mask: Any) -> str:
        return value if full else mask(value)

    frames = cobuild.load(demo_store, street_id="S001", user=user)
    table = cob_views.list_table(frames, "wishes", AS_OF, lang="zh").set_index(
        t("co_building_page.col.wish_id")
    )
    row = table.loc[wish_id]
    assert row[t("co_building_page.col.poster_name")] == expect(wish["poster_name"], mask_name)
    assert row[t("co_building_page.col.claimed_by")] == expect(claimant, mask_name)
    shown_wishes = frames.wishes.set_index("wish_id").loc[wish_id]
    assert shown_wishes["poster_phone"] == expect(wish["poster_phone"], mask_phone)
    card = cobuild.get(demo_store, "wish", wish_id, user=user)
    assert (card["claimed_by"], card["poster_phone"]) == (
        expect(claimant, mask_name),
        expect(wish["poster_phone"], mask_phone),
    )
    history = cobuild.timeline(demo_store, "wish", wish_id, user=user)
    claim = history[history["action"] == "claim"]["note"].iloc[0]
    assert claim == expect(wish["note"], mask_claim_note)
    assert claim.startswith(expect(claimant, mask_name))
    events = frames.events
    note = events[(events["entity_id"] == wish_id) & (events["action"] == "claim")]["note"]
    assert note.tolist() == [claim]
    if not full:
        assert claimant not in claim
        ours = table[table.index.str.startswith("W-S001-C1-")]  # none of its claimants in full
        claimants = demo_store.read("micro_wish")["claimed_by"].dropna()
        assert (
            not ours[t("co_building_page.col.claimed_by")]
            .isin(claimants[claimants.str.len() > 1])
            .any()
        )
    for table_name, column in (("micro_wish", "claimed_by"), ("co_event", "note")):
        exported = dataio.masked(demo_store.read(table_name), table_name)  # every export
        assert claimant not in set(exported[column])
        assert not exported[column].dropna().str.startswith(claimant).any()


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("楼道灯坏了 13912345678", "楼道灯坏了 139****5678"),
        ("电话：139 1234 5678。", "电话：139******5678。"),
        ("+86 139-1234-5678", "+86**********5678"),
        ("座机0379-63215678或63215678", "座机037******5678或632*5678"),
        ("身份证41030219900101123X", "身份证410***********123X"),
        ("3号楼2单元 1203 室，5月12日起漏水", "3号楼2单元 1203 室，5月12日起漏水"),
        ("S001-C1-03-02 楼, 2026-11-15", "S001-C1-03-02 楼, 2026-11-15"),
        (None, None),
    ],
)
def test_phone_numbers_inside_free_text_are_masked(text: str | None, masked: str | None) -> None:
    assert mask_phones_in(text) == masked


def test_a_phone_typed_into_an_issue_is_masked_wherever_its_reporter_is(demo_store: Store) -> None:
    """A resident who writes their number into the report ("楼道灯坏了 13912345678") is masked
    in the title, the description, the history and on the wall's ticker, as the reporter is."""
    issues = pd.DataFrame(
        {
            "issue_id": [1],
            "title": ["楼道灯坏了 13912345678"],
            "description": ["晚上来电 13912345678"],
            "reporter_name": ["张三丰"],
            "reporter_phone": ["13912345678"],
            "status": ["closed"],
            "closed_at": ["2026-11-10T10:00:00"],
            "category": ["lighting"],
            "compound_id": ["S001-C1-01"],
            "satisfaction": ["satisfied"],
        }
    )
    shown = mask_frame(issues, "issue")
    assert "13912345678" not in shown.to_string()
    assert shown["title"].iloc[0] == "楼道灯坏了 139****5678"
    assert mask_frame(issues, "issue", full=True)["title"].iloc[0] == "楼道灯坏了 13912345678"
    events = pd.DataFrame({"actor": ["李工"], "action": ["comment"], "note": ["已电话13912345678"]})
    assert mask_frame(events, "issue_event")["note"].iloc[0] == "已电话139****5678"
    assert kpi.recent_closed(issues)["title"].tolist() == ["楼道灯坏了 139****5678"]


def test_the_report_page_shows_none_of_another_residents_words(work_store: Store) -> None:
    """On the open /report page an anonymous visitor is offered an open issue of the same
    building to follow: what its reporter typed (names, a phone) is not on the page, in the
    offer or once followed; its kind, day and status are."""
    from mapgov.views.report import duplicate_markdown, follow_view

    issue = work_store.read("issue", columns=["issue_id", "title", "status", "category"])
    open_ = issue[issue["status"] != "closed"].iloc[0]
    work_store.edit(
        [
            (
                "update",
                "issue",
                {"issue_id": int(open_["issue_id"])},
                {"title": "张三丰说灯坏了 13912345678"},
            )
        ],
        actor="test",
        at="2026-11-10T10:00:00",
    )
    line = duplicate_markdown(
        {"category": open_["category"], "status": open_["status"], "reported_at": "2026-11-10"},
        "zh",
    )
    followed = follow_view(work_store, int(open_["issue_id"]), lang="zh")
    assert followed is not None
    shown = " ".join([line, followed["heading"], followed["timeline"].to_string()])
    for word in ("张三丰", "张", "13912345678", "5678", "灯坏了"):
        assert word not in shown
    category = t(f"issue_category.{open_['category']}", "zh")
    assert category in line and category in followed["heading"]
