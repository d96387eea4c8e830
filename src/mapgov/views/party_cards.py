"""The party page's figures and governance cards (no Streamlit, no map).

Moved out of :mod:`mapgov.views.party` (issue 17), which keeps the party map. Here: the frames of
one community (:func:`scoped`), the figure table of a place at a chosen level
(:func:`figure_table`), the governance card of a compound (:func:`compound_card`) and of a
building (:func:`building_card`), the responsibility zones a community's editors may assign
buildings to (:func:`zone_table`), and display names of places (:func:`place_names`). Personal
names are masked unless the caller says the user may see them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from mapgov.core.errors import ValidationError
from mapgov.core.model import PropertyMode, Star
from mapgov.core.privacy import mask_frame, mask_row
from mapgov.domain import deliberation, issue_reads, party
from mapgov.domain.places import display_name
from mapgov.store import Store

__all__ = [
    "building_card",
    "compound_card",
    "figure_table",
    "place_names",
    "scoped",
    "zone_table",
]


# -- figures -------------------------------------------------------------------------------
def scoped(frames: party.GovFrames, community_id: str | None) -> party.GovFrames:
    """`frames` of one community (all of them for ``None``)."""
    if community_id is None:
        return frames
    return party.GovFrames(
        compounds=frames.compounds[frames.compounds["community_id"] == community_id],
        buildings=frames.buildings[frames.buildings["community_id"] == community_id],
    )


def figure_table(frames: party.GovFrames, *, by: str) -> pd.DataFrame:
    """:func:`mapgov.domain.party.coverage_figures` of `frames` by `by`, total last.

    The total row (``"ALL"``) is dropped when there is one group only (it would repeat it).
    Branches are counted once per branch (a joint branch serves several compounds).
    """
    table = party.coverage_figures(frames, by=by)
    if (table[by] != "ALL").sum() <= 1:
        table = table[table[by] != "ALL"]
    return table.reset_index(drop=True)


def place_names(store: Store, street_id: str, lang: str) -> dict[str, str]:
    """Display names of the street, its communities and grids, by id (``ALL`` excluded)."""
    street = store.read("street", where={"street_id": street_id})
    names: dict[str, str] = {
        r.street_id: display_name(r.name, r.name_en, lang) for r in street.itertuples()
    }
    communities = store.read("community", where={"street_id": street_id})
    names.update(
        {r.community_id: display_name(r.name, r.name_en, lang) for r in communities.itertuples()}
    )
    grids = store.read(
        "grid",
        where={"community_id": list(communities["community_id"])},
        columns=["grid_id", "name"],
    )
    names.update(dict(zip(grids["grid_id"], grids["name"], strict=True)))
    return names


# -- cards ---------------------------------------------------------------------------------
def _text(value: object) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _one(frame: pd.DataFrame, key: str, value: str, what: str) -> pd.Series:
    rows = frame[frame[key] == value]
    if rows.empty:
        msg = f"no {what} {value!r}"
        raise ValidationError(msg, key=f"error.issue.no_{what}", id=value)
    return rows.iloc[0]


def compound_card(
    store: Store,
    frames: party.GovFrames,
    compound_id: str,
    *,
    reveal: bool,
    today: dt.date,
) -> dict[str, Any]:
    """Everything the governance card shows about a compound.

    Parameters
    ----------
    store
        Where the branch's secretary and the compound's issues are read.
    frames
        :func:`mapgov.domain.party.load` frames holding the compound.
    compound_id
        The compound.
    reveal
        Show the secretary's name and phone in full (the user may edit this community);
        otherwise they are masked like a resident's.
    today
        Day that makes an open issue overdue.

    Returns
    -------
    dict
        compound_id, name, community_id, grid_id, has_branch, branch_id, branch_name,
        is_joint, joint_with (names of the other compounds of a joint branch), secretary,
        secretary_phone, branch_members, stars (held :class:`~mapgov.core.model.Star` values, in
        order), mode, company, red_property, owners_committee, self_managed_committee,
        has_security, three_nos, joint_mechanism, buildings, households, residents,
        party_members, no_group, no_head, no_zone (buildings without), open_issues,
        overdue_issues, recent_matters (its latest deliberation matters:
        :func:`mapgov.domain.deliberation.recent_matters`).

    Raises
    ------
    ValidationError
        If the compound is not in `frames`.
    """
    c = _one(frames.compounds, "compound_id", compound_id, "compound")
    blds = frames.buildings[frames.buildings["compound_id"] == compound_id]
    branch_id = _text(c["branch_id"])
    summary = issue_reads.compound_summary(store, compound_id, today=today)
    return {
        "compound_id": compound_id,
        "name": c["name"],
        "community_id": c["community_id"],
        "grid_id": c["grid_id"],
        "has_branch": branch_id is not None,
        "branch_id": branch_id,
        "branch_name": _text(c["branch_name"]),
        "is_joint": bool(c["is_joint"]),
        **_branch_fields(store, frames, compound_id, branch_id, reveal=reveal),
        "stars": [s.value for s in Star if bool(c[f"star_{s.value}"])],
        "mode": _text(c["mode"]) or PropertyMode.NONE.value,
        "mode_known": bool(_text(c["mode"])),  # False: nothing on record ("none" for the form)
        "company": _text(c["company"]),
        "red_property": bool(c["red_property"] == 1),
        "owners_committee": bool(c["owners_committee"] == 1),
        "self_managed_committee": bool(c["self_managed_committee"] == 1),
        "has_security": bool(c["has_security"] == 1),
        "three_nos": bool(c["three_nos"]),
        "joint_mechanism": bool(c["joint_mechanism"]),
        "buildings": len(blds),
        "households": int(blds["households"].sum()),
        "residents": int(blds["residents"].sum()),
        "party_members": int(blds["party_members"].sum()),
        "no_group": int((~blds["has_group"].astype(bool)).sum()),
        "no_head": int((~blds["has_head"].astype(bool)).sum()),
        "no_zone": int((~blds["in_zone"].astype(bool)).sum()),
        "open_issues": int(summary["open_issues"]),
        "overdue_issues": int(summary["overdue_issues"]),
        "recent_matters": deliberation.recent_matters(store, compound_id),
    }


def _branch_fields(
    store: Store, frames: party.GovFrames, compound_id: str, branch_id: str | None, *, reveal: bool
) -> dict[str, Any]:
    """joint_with, secretary, secretary_phone (masked unless `reveal`) and branch_members of
    a compound's branch (empty and ``None`` without a branch)."""
    fields: dict[str, Any] = {
        "joint_with": [],
        "secretary": None,
        "secretary_phone": None,
        "branch_members": None,
    }
    if not branch_id:
        return fields
    org = store.read("party_org", where={"org_id": branch_id})
    if len(org):
        o = org.iloc[0]
        shown = mask_row(o, "party_org", full=reveal)
        fields["secretary"] = _text(shown["secretary"])
        fields["secretary_phone"] = _text(shown["secretary_phone"])
        fields["branch_members"] = None if pd.isna(o["member_count"]) else int(o["member_count"])
    others = frames.compounds[
        (frames.compounds["branch_id"] == branch_id)
        & (frames.compounds["compound_id"] != compound_id)
    ]
    fields["joint_with"] = [str(n) for n in others["name"]]
    return fields


def building_card(
    store: Store, frames: party.GovFrames, building_id: str, *, reveal: bool
) -> dict[str, Any]:
    """What the governance card shows about a building (and its edit form starts from).

    `reveal` shows the building head's name and phone and the zone member's name in full;
    otherwise they are masked.

    Returns
    -------
    dict
        building_id, name, compound_id, compound_name, community_id, households, residents,
        party_members, has_group, group_name, head, head_phone, zone_id, zone_name,
        zone_member.
    """
    b = _one(frames.buildings, "building_id", building_id, "building")
    row = store.read(
        "building",
        where={"building_id": building_id},
        columns=["building_head", "building_head_phone", "party_group_id"],
    ).iloc[0]
    group_name = None
    if _text(row["party_group_id"]):
        org = store.read("party_org", where={"org_id": row["party_group_id"]}, columns=["name"])
        group_name = _text(org.iloc[0]["name"]) if len(org) else None
    row = mask_row(row, "building", full=reveal)
    head, phone = _text(row["building_head"]), _text(row["building_head_phone"])
    comp = _one(frames.compounds, "compound_id", b["compound_id"], "compound")
    return {
        "building_id": building_id,
        "name": b["name"],
        "compound_id": b["compound_id"],
        "compound_name": comp["name"],
        "community_id": b["community_id"],
        **{count: int(b[count]) for count in ("households", "residents", "party_members")},
        "has_group": bool(b["has_group"]),
        "group_name": group_name,
        "head": head,
        "head_phone": phone,
        **_zone_fields(store, _text(b["zone_id"]), reveal=reveal),
    }


def _zone_fields(store: Store, zone_id: str | None, *, reveal: bool) -> dict[str, Any]:
    """zone_id, zone_name and zone_member (masked unless `reveal`) of a building's zone."""
    if not zone_id:
        return {"zone_id": zone_id, "zone_name": None, "zone_member": None}
    zone = store.read("responsibility_zone", where={"zone_id": zone_id}).iloc[0]
    member = store.read("party_member", where={"member_id": zone["member_id"]}, columns=["name"])
    shown = mask_frame(member, "party_member", full=reveal)
    return {
        "zone_id": zone_id,
        "zone_name": _text(zone["name"]),
        "zone_member": _text(shown.iloc[0]["name"]) if len(shown) else None,
    }


def zone_table(store: Store, frames: party.GovFrames) -> pd.DataFrame:
    """The responsibility zones of the places in `frames`, with their community.

    A zone belongs to the community of its member's home building, else of its first
    building; zones with neither are left out.

    Returns
    -------
    DataFrame
        [zone_id, name, member_id, member (the full name: mask it for display as needed),
        community_id, buildings], ordered by zone id.
    """
    zones = store.read("responsibility_zone")
    members = store.read("party_member", columns=["member_id", "name", "building_id"])
    zones = zones.merge(members.rename(columns={"name": "member"}), on="member_id", how="left")
    community_of = dict(
        zip(frames.buildings["building_id"], frames.buildings["community_id"], strict=True)
    )
    placed = frames.buildings[frames.buildings["zone_id"].notna()]
    first = placed.groupby("zone_id")["community_id"].first()
    counts = placed.groupby("zone_id").size()
    home = zones["building_id"].map(community_of)
    zones["community_id"] = home.fillna(zones["zone_id"].map(first))
    zones["buildings"] = zones["zone_id"].map(counts).fillna(0).astype(int)
    zones = zones[zones["community_id"].notna()]
    return (
        zones[["zone_id", "name", "member_id", "member", "community_id", "buildings"]]
        .sort_values("zone_id")
        .reset_index(drop=True)
    )
