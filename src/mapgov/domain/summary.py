"""Headline counts of an area: how many communities, grids, compounds, buildings, people.

The wall screen's first row of figures. Read through the store, walking the place hierarchy
down (street → community → grid → compound → building); no Streamlit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass

from mapgov.domain.places import check_place
from mapgov.store import Store

__all__ = ["PlaceCounts", "place_counts"]


@dataclass(frozen=True)
class PlaceCounts:
    """Counts of one area (a street, one community, or the whole database)."""

    communities: int
    grids: int
    compounds: int
    buildings: int
    households: int
    residents: int

    def as_dict(self) -> dict[str, int]:
        """Counts by name, in display order (the names are ``metric.<name>`` catalogue keys).

        Returns
        -------
        dict[str, int]
            ``communities``, ``grids``, ``compounds``, ``buildings``, ``households`` and
            ``residents``, each with its count.
        """
        return asdict(self)


def _ids(store: Store, name: str, key: str, where: Mapping[str, object] | None) -> list[str]:
    return store.read(name, where=where, columns=[key])[key].tolist()


def place_counts(
    store: Store, *, street_id: str | None = None, community_id: str | None = None
) -> PlaceCounts:
    """Count the places and people of a street, a community, or everything.

    Parameters
    ----------
    store : Store
        An open store.
    street_id : str or None
        Limit to this street (``None``: all streets).
    community_id : str or None
        Limit to this community (it must lie in `street_id` when both are given).

    Returns
    -------
    PlaceCounts
        ``households`` and ``residents`` are sums over the buildings.

    Raises
    ------
    ValidationError
        If an id is unknown or the community is not in the street.
    """
    check_place(store, street_id, community_id)
    if community_id is not None:
        communities = [community_id]
    else:
        where = {"street_id": street_id} if street_id is not None else None
        communities = _ids(store, "community", "community_id", where)
    grids = _ids(store, "grid", "grid_id", {"community_id": communities})
    compounds = _ids(store, "compound", "compound_id", {"grid_id": grids})
    buildings = store.read(
        "building",
        where={"compound_id": compounds},
        columns=["building_id", "households", "residents"],
    )
    return PlaceCounts(
        communities=len(communities),
        grids=len(grids),
        compounds=len(compounds),
        buildings=len(buildings),
        households=int(buildings["households"].sum()),
        residents=int(buildings["residents"].sum()),
    )
