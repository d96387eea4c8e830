"""Headline counts and the place lists, on a hand-drawn database and on the demo street."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from mapgov.core.errors import ValidationError
from mapgov.domain import places
from mapgov.domain.summary import PlaceCounts, place_counts
from mapgov.store import Store, open_store
from tests.handdrawn import EXPECTED, build_two_streets


@pytest.fixture(scope="module")
def two_streets(tmp_path_factory: pytest.TempPathFactory) -> Store:
    return open_store(build_two_streets(tmp_path_factory.mktemp("hand") / "two.sqlite"))


@pytest.mark.parametrize(("street", "community"), list(EXPECTED))
def test_counts_match_the_hand_drawn_answers(
    two_streets: Store, street: str | None, community: str | None
) -> None:
    counts = place_counts(two_streets, street_id=street, community_id=community)
    assert tuple(counts.as_dict().values()) == EXPECTED[street, community]


def test_counts_keep_display_order() -> None:
    counts = PlaceCounts(1, 2, 3, 4, 5, 6)
    assert list(counts.as_dict()) == [
        "communities",
        "grids",
        "compounds",
        "buildings",
        "households",
        "residents",
    ]


@pytest.mark.parametrize(
    ("street", "community", "match"),
    [
        ("S9", None, "no street with id 'S9'"),
        (None, "C9", "no community with id 'C9'"),
        ("S2", "C1", "community 'C1' belongs to street 'S1', not 'S2'"),
    ],
)
def test_unknown_or_mismatched_places_are_refused(
    two_streets: Store, street: str | None, community: str | None, match: str
) -> None:
    with pytest.raises(ValidationError, match=match):
        place_counts(two_streets, street_id=street, community_id=community)


def test_demo_street_counts_add_up(demo_store: Store) -> None:
    """The street's counts equal the sums over its communities and the whole tables."""
    street_id = places.street_list(demo_store)["street_id"].iloc[0]
    whole = place_counts(demo_store, street_id=street_id)
    parts = [
        place_counts(demo_store, street_id=street_id, community_id=c)
        for c in places.community_list(demo_store, street_id)["community_id"]
    ]
    for name, value in whole.as_dict().items():
        assert value == sum(p.as_dict()[name] for p in parts), name
    tables = demo_store.counts()
    assert whole.communities == tables["community"]
    assert whole.compounds == tables["compound"]
    assert whole.buildings == tables["building"]
    residents = demo_store.read("building", columns=["residents"])["residents"].sum()
    assert whole.residents == residents
    assert whole.residents > whole.households > whole.buildings > whole.compounds


def test_street_and_community_lists(two_streets: Store) -> None:
    streets = places.street_list(two_streets)
    assert list(streets.columns) == ["street_id", "name", "name_en"]
    assert streets["street_id"].tolist() == ["S1", "S2"]
    communities = places.community_list(two_streets, "S1")
    assert communities["community_id"].tolist() == ["C1", "C2"]
    assert places.community_list(two_streets, "S9").empty


def test_community_and_compound_areas(two_streets: Store) -> None:
    areas = places.community_areas(two_streets, "S1")
    assert areas.crs == "EPSG:4326"
    assert areas["community_id"].tolist() == ["C1", "C2"]
    compounds = places.compound_areas(two_streets, "S1")
    assert compounds["compound_id"].tolist() == ["K1", "K2"]
    assert set(compounds["community_id"]) == {"C1"}
    assert compounds.crs == "EPSG:4326"
    assert places.compound_areas(two_streets, "S1", "C2").empty
    assert places.compound_areas(two_streets, "S2")["compound_id"].tolist() == ["K3"]


@pytest.mark.parametrize(
    ("lang", "expected"),
    [("zh", ["王城社区", "金谷社区"]), ("en", ["Wangcheng", "金谷社区"])],
)
def test_display_names_fall_back_to_chinese(
    two_streets: Store, lang: str, expected: list[str]
) -> None:
    communities = places.community_list(two_streets, "S1")
    assert places.display_names(communities, lang).tolist() == expected


def test_display_names_without_an_english_column() -> None:
    frame = pd.DataFrame({"name": ["甲小区"]}, index=[7])
    names = places.display_names(frame, "en")
    assert names.tolist() == ["甲小区"]
    assert names.index.tolist() == [7]


def test_hand_drawn_database_is_a_real_store(tmp_path: Path) -> None:
    path = build_two_streets(tmp_path / "x.sqlite")
    assert open_store(path).counts()["building"] == 4
