"""Party-branch coverage and governance structure (党建全覆盖): figures, gaps and edits.

"Full coverage" is measured on places: a compound is covered when it has a party branch of its
own or a joint branch shared with neighbours; a building when it has a party group, a building
head (楼栋长), and lies in a party member's responsibility zone (党员责任区). Strength is read
from the five named stars of each branch, red property (a property company with a branch) and
the joint "1+3" mechanism (branch + owners' or self-managed committee + property company
meeting regularly).

Figures are pure functions over :class:`GovFrames`; :func:`load` reads them from the store.
The edits live in :mod:`mapgov.domain.party_edits` (and are named here too). Edits
(:func:`set_branch`, :func:`set_property`, :func:`set_building`, :func:`assign_zone`)
check the editor's rights (:func:`mapgov.domain.users.can_edit`) and go through the store's audited
``edit``: one transaction, every changed field logged with who and when. Each takes the
`version` its form was drawn from (:func:`form_version`) and is refused, with nothing written,
when those records changed since (optimistic locking, :mod:`mapgov.store.locks`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

import geopandas as gpd
import numpy as np
import pandas as pd

from mapgov.core.crs import WGS84
from mapgov.core.errors import ValidationError
from mapgov.core.model import PropertyMode, Star
from mapgov.core.privacy import mask_frame
from mapgov.domain.locating import street_compounds
from mapgov.domain.party_edits import (
    FORMS,
    assign_zone,
    form_version,
    set_branch,
    set_building,
    set_property,
)
from mapgov.store import Store

__all__ = [
    "FORMS",
    "GAPS",
    "THREE_NOS_TEXTS",
    "GovFrames",
    "assign_zone",
    "coverage_figures",
    "form_version",
    "gap_lists",
    "load",
    "set_branch",
    "set_building",
    "set_property",
    "three_nos_text",
]

GAPS: Final = ("no_branch", "no_group", "no_head", "no_zone", "three_nos")
_LEVELS: Final = ("street_id", "community_id", "grid_id")


@dataclass(frozen=True)
class GovFrames:
    """Compounds and buildings with everything coverage is computed from.

    compounds: compound_id, name, grid_id, community_id, street_id, branch_id, branch_name,
    is_joint, stars (0-5), star_<name> (bool, one per named star), mode, company, red_property,
    owners_committee, self_managed_committee, has_security, three_nos, joint_mechanism,
    buildings, households, residents, geometry.
    buildings: building_id, compound_id, name, grid_id, community_id, street_id, households,
    residents, elderly, party_members, has_group, has_head, in_zone, zone_member (masked),
    geometry.
    """

    compounds: gpd.GeoDataFrame
    buildings: gpd.GeoDataFrame


_BUILDING_COLUMNS: Final = [
    "building_id",
    "compound_id",
    "name",
    "households",
    "residents",
    "elderly",
    "party_members",
    "building_head",
    "party_group_id",
    "geom",
]
"""What :func:`load` reads of each building."""


def load(store: Store, *, street_id: str | None = None) -> GovFrames:
    """Read the governance frames of one street (or all streets).

    Zone members' names are masked for everyone: the figures are read by all.

    Parameters
    ----------
    store : Store
        The database to read.
    street_id : str or None
        The street; None reads all streets.

    Returns
    -------
    GovFrames
        Compounds, buildings (with zones and masked zone members), property management and branch
        stars.
    """
    columns = ["compound_id", "grid_id", "name", "branch_id", "geom"]
    comp = street_compounds(store, columns, street_id=street_id)
    ids = list(comp["compound_id"])
    b = store.read("building", where={"compound_id": ids}, columns=_BUILDING_COLUMNS)
    b = b.merge(comp[["compound_id", "grid_id", "community_id", "street_id"]], on="compound_id")
    zones = store.read("zone_building")
    zone_of = dict(zip(zones["building_id"], zones["zone_id"], strict=True))
    members = store.read("party_member", columns=["member_id", "name"])
    zinfo = store.read("responsibility_zone", columns=["zone_id", "member_id"]).merge(
        mask_frame(members, "party_member"), on="member_id"
    )
    member_of_zone = dict(zip(zinfo["zone_id"], zinfo["name"], strict=True))
    b["has_group"] = b["party_group_id"].notna()
    b["has_head"] = b["building_head"].fillna("").astype(str).str.strip() != ""
    b["zone_id"] = b["building_id"].map(zone_of)
    b["in_zone"] = b["zone_id"].notna()
    b["zone_member"] = b["zone_id"].map(member_of_zone)  # masked for all: figures are read by all
    b = b.drop(columns=["building_head", "party_group_id"])
    orgs = store.read(
        "party_org",
        where={"org_id": list(comp["branch_id"].dropna().unique())},
        columns=["org_id", "name", "is_joint"],
    )
    stars = store.read("branch_star", where={"org_id": list(orgs["org_id"])})
    comp = comp.merge(
        orgs.rename(columns={"org_id": "branch_id", "name": "branch_name"}),
        on="branch_id",
        how="left",
    )
    comp["is_joint"] = comp["is_joint"].fillna(0).astype(bool)
    per_branch = stars.groupby("org_id")["star"].agg(set)
    named = comp["branch_id"].map(per_branch)
    comp["stars"] = named.map(lambda s: len(s) if isinstance(s, set) else 0)
    for star in Star:
        comp[f"star_{star.value}"] = named.map(
            lambda s, v=star.value: isinstance(s, set) and v in s
        )
    prop = store.read("property_management", where={"compound_id": ids})
    comp = comp.merge(
        prop.drop(columns=["property_branch_id", "fee_collection_rate", "joint_meeting"]),
        on="compound_id",
        how="left",
    )
    comp["three_nos"] = (
        (comp["mode"] == PropertyMode.NONE.value)
        & (comp["owners_committee"] == 0)
        & (comp["self_managed_committee"] == 0)
        & (comp["has_security"] == 0)
    )
    comp["joint_mechanism"] = (
        comp["branch_id"].notna()
        & ((comp["owners_committee"] == 1) | (comp["self_managed_committee"] == 1))
        & (comp["mode"] == PropertyMode.COMPANY.value)
    )
    sums = b.groupby("compound_id")[["households", "residents"]].sum()
    comp = comp.join(sums, on="compound_id")
    comp["buildings"] = comp["compound_id"].map(b["compound_id"].value_counts()).fillna(0)
    comp[["households", "residents", "buildings"]] = (
        comp[["households", "residents", "buildings"]].fillna(0).astype(int)
    )
    return GovFrames(
        compounds=gpd.GeoDataFrame(comp, geometry="geometry", crs=WGS84),
        buildings=gpd.GeoDataFrame(b, geometry="geometry", crs=WGS84),
    )


def _ratio(num: float, den: float) -> float:
    return float(num / den) if den else np.nan


def coverage_figures(frames: GovFrames, *, by: str = "community_id") -> pd.DataFrame:
    """Coverage and strength per street, community or grid (`by`), plus an "ALL" row.

    Parameters
    ----------
    frames : GovFrames
        The governance frames of :func:`load`.
    by : str
        "street_id", "community_id" or "grid_id".

    Returns
    -------
    DataFrame
        One row per group: compounds, with_branch, share_branch, buildings, share_group,
        share_head, share_zone, party_members, members_per_100_households, stars_0 .. stars_5
        (branches by number of stars), star_<name> (branches holding each named star),
        mode_<mode> (compounds by property mode), red_property, three_nos (compounds known
        to be three-nos), property_unknown (compounds whose property management is not on
        record: they may or may not be three-nos, see :func:`three_nos_text`),
        joint_mechanism.
    """
    if by not in _LEVELS:
        msg = f"by must be one of {_LEVELS}, not {by!r}"
        raise ValidationError(msg)
    rows = []
    comps, blds = frames.compounds, frames.buildings
    groups = [*sorted(comps[by].unique()), "ALL"]
    for group in groups:
        c = comps if group == "ALL" else comps[comps[by] == group]
        b = blds if group == "ALL" else blds[blds[by] == group]
        branches = c.drop_duplicates("branch_id").dropna(subset=["branch_id"])
        row: dict[str, Any] = {
            by: group,
            "compounds": len(c),
            "with_branch": int(c["branch_id"].notna().sum()),
            "share_branch": _ratio(c["branch_id"].notna().sum(), len(c)),
            "buildings": len(b),
            "share_group": _ratio(b["has_group"].sum(), len(b)),
            "share_head": _ratio(b["has_head"].sum(), len(b)),
            "share_zone": _ratio(b["in_zone"].sum(), len(b)),
            "party_members": int(b["party_members"].sum()),
            "members_per_100_households": _ratio(
                100 * b["party_members"].sum(), b["households"].sum()
            ),
        }
        for n in range(6):
            row[f"stars_{n}"] = int((branches["stars"] == n).sum())
        for star in Star:
            row[f"star_{star.value}"] = int(branches[f"star_{star.value}"].sum())
        for mode in PropertyMode:
            row[f"mode_{mode.value}"] = int((c["mode"] == mode.value).sum())
        row["red_property"] = int((c["red_property"] == 1).sum())
        row["three_nos"] = int(c["three_nos"].sum())
        row["property_unknown"] = int(c["mode"].isna().sum())  # no row, or no mode
        row["joint_mechanism"] = int(c["joint_mechanism"].sum())
        rows.append(row)
    return pd.DataFrame(rows)


def gap_lists(frames: GovFrames, *, community_id: str | None = None) -> dict[str, pd.DataFrame]:
    """What is still uncovered, most residents first.

    Parameters
    ----------
    frames : GovFrames
        What :func:`load` read.
    community_id : str or None
        List the gaps of one community only.

    Returns
    -------
    dict
        "no_branch", "three_nos" and "property_unknown" (no property management on record:
        not known to be three-nos or not): compounds [compound_id, name, community_id,
        buildings, households, residents, mode]; "no_group", "no_head", "no_zone": buildings
        [building_id, compound_name, name, community_id, households, residents, party_members].
    """
    comps, blds = frames.compounds, frames.buildings
    if community_id:
        comps = comps[comps["community_id"] == community_id]
        blds = blds[blds["community_id"] == community_id]
    ccols = ["compound_id", "name", "community_id", "buildings", "households", "residents", "mode"]
    blds = blds.merge(
        comps[["compound_id", "name"]].rename(columns={"name": "compound_name"}), on="compound_id"
    )
    bcols = [
        "building_id",
        "compound_name",
        "name",
        "community_id",
        "households",
        "residents",
        "party_members",
    ]

    def _sort(frame: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
        return (
            pd.DataFrame(frame[cols])
            .sort_values("residents", ascending=False)
            .reset_index(drop=True)
        )

    return {
        "no_branch": _sort(comps[comps["branch_id"].isna()], ccols),
        "no_group": _sort(blds[~blds["has_group"]], bcols),
        "no_head": _sort(blds[~blds["has_head"]], bcols),
        "no_zone": _sort(blds[~blds["in_zone"]], bcols),
        "three_nos": _sort(comps[comps["three_nos"]], ccols),
        "property_unknown": _sort(comps[comps["mode"].isna()], ccols),
    }


THREE_NOS_TEXTS: Final[dict[str, str]] = {
    "three_nos_unknown": "unknown ({n} compounds without property information)",
    "three_nos_partly": "{k} (and {n} compounds without property information)",
}
"""English templates of :func:`three_nos_text`; the UI passes its catalogue's instead."""


def three_nos_text(row: pd.Series, labels: dict[str, str] | None = None) -> str:
    """The three-nos figure of a :func:`coverage_figures` row, as text.

    A compound without property management on record (an OpenStreetMap street, a new
    import) is not known to be three-nos, nor known not to be: the figure says so instead of
    counting it as none. `labels` holds the templates ``three_nos_unknown`` ({n}) and
    ``three_nos_partly`` ({k}, {n}) (default :data:`THREE_NOS_TEXTS`).

    Parameters
    ----------
    row : pandas.Series
        A row with ``compounds``, ``three_nos`` and ``property_unknown``.
    labels : dict of str to str or None
        The two templates, in the page's language.

    Returns
    -------
    str
        The count, with how many compounds are unknown when any are.

    Examples
    --------
    >>> three_nos_text(pd.Series({"compounds": 4, "three_nos": 1, "property_unknown": 0}))
    '1'
    >>> three_nos_text(pd.Series({"compounds": 4, "three_nos": 1, "property_unknown": 2}))
    '1 (and 2 compounds without property information)'
    >>> three_nos_text(pd.Series({"compounds": 4, "three_nos": 0, "property_unknown": 4}))
    'unknown (4 compounds without property information)'
    """
    texts = THREE_NOS_TEXTS | (labels or {})
    known, unknown = int(row["three_nos"]), int(row.get("property_unknown", 0))
    if not unknown:
        return f"{known:,}"
    if unknown >= int(row["compounds"]):
        return texts["three_nos_unknown"].format(n=f"{unknown:,}")
    return texts["three_nos_partly"].format(k=f"{known:,}", n=f"{unknown:,}")
