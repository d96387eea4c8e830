"""Party-branch coverage and governance structure (党建全覆盖): figures, gaps and edits.

"Full coverage" is measured on places: a compound is covered when it has a party branch of its
own or a joint branch shared with neighbours; a building when it has a party group, a building
head (楼栋长), and lies in a party member's responsibility zone (党员责任区). Strength is read
from the five named stars of each branch, red property (a property company with a branch) and
the joint "1+3" mechanism (branch + owners' or self-managed committee + property company
meeting regularly).

Figures are pure functions over :class:`GovFrames`; :func:`load` reads them from the store.
Edits (:func:`set_branch`, :func:`set_property`, :func:`set_building`, :func:`assign_zone`)
check the editor's rights (:func:`mapgov.domain.users.can_edit`) and go through the store's audited
``edit``: one transaction, every changed field logged with who and when. Each takes the
`version` its form was drawn from (:func:`form_version`) and is refused, with nothing written,
when those records changed since (optimistic locking, :mod:`mapgov.store.locks`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Final

import geopandas as gpd
import numpy as np
import pandas as pd

from mapgov.core import clock
from mapgov.core.crs import WGS84
from mapgov.core.errors import PermissionDeniedError, ValidationError
from mapgov.core.model import PartyLevel, PropertyMode, Star
from mapgov.core.privacy import mask_frame
from mapgov.domain.locating import street_compounds
from mapgov.domain.places import community_of_compound
from mapgov.domain.users import User, can_edit
from mapgov.store import FormVersion, Rows, Store

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

FORMS: Final = ("branch", "property", "building", "zone")
"""The edit forms: a compound's branch and stars, its property management, a building's party
group and head, the responsibility zones of a compound's buildings."""
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

    def sort(frame: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
        return (
            pd.DataFrame(frame[cols])
            .sort_values("residents", ascending=False)
            .reset_index(drop=True)
        )

    return {
        "no_branch": sort(comps[comps["branch_id"].isna()], ccols),
        "no_group": sort(blds[~blds["has_group"]], bcols),
        "no_head": sort(blds[~blds["has_head"]], bcols),
        "no_zone": sort(blds[~blds["in_zone"]], bcols),
        "three_nos": sort(comps[comps["three_nos"]], ccols),
        "property_unknown": sort(comps[comps["mode"].isna()], ccols),
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


# -- edits ------------------------------------------------------------------------------------
def _require(store: Store, user: User, community_id: str, what: str) -> None:
    if not can_edit(user, community_id, store):
        msg = (
            f"{user.name} ({user.role.value}) may not change {what} in community "
            f"{community_id}: only its staff and its street's admins may"
        )
        raise PermissionDeniedError(msg, key="error.edit.denied", user=user.name, role=user.role)


def _now(store: Store, at: dt.datetime | None) -> str:
    """`at`, or the street's now (:func:`mapgov.core.clock.now`: a demo keeps its own calendar)."""
    return (at or clock.now(store)).replace(microsecond=0).isoformat()


def _branch_rows(store: Store, compound_id: str) -> list[Rows]:
    comp = store.read("compound", where={"compound_id": compound_id}, columns=["branch_id"])
    branch = comp["branch_id"].iloc[0] if len(comp) else None
    org = branch if isinstance(branch, str) else f"PO-{compound_id}"
    return [
        ("compound", {"compound_id": compound_id}),
        ("party_org", {"org_id": org}),
        ("branch_star", {"org_id": org}),
    ]


def _zone_rows(building_ids: list[str]) -> list[Rows]:
    return [("zone_building", {"building_id": b}) for b in building_ids]


def _form_rows(store: Store, form: str, target: str) -> list[Rows]:
    if form == "branch":
        return _branch_rows(store, target)
    if form == "property":
        return [("property_management", {"compound_id": target})]
    if form == "building":
        return [("building", {"building_id": target})]
    if form == "zone":
        blds = store.read("building", where={"compound_id": target}, columns=["building_id"])
        return _zone_rows(list(blds["building_id"]))
    msg = f"form must be one of {FORMS}, not {form!r}"
    raise ValidationError(msg)


def form_version(store: Store, form: str, target: str) -> FormVersion:
    """The version of what an edit form shows now: read it when the form is drawn, give it to
    the save.

    Parameters
    ----------
    store : Store
        The database the form is drawn from.
    form : str
        One of :data:`FORMS`.
    target : str
        The compound (branch, property, zone: the zones of its buildings) or the building.

    Returns
    -------
    FormVersion
        A token to hand back to the save, which refuses it if the rows changed meanwhile.
    """
    return store.form_version(_form_rows(store, form, target))


Op = tuple[str, str, dict[str, Any], dict[str, Any]]


def _write(  # noqa: PLR0917 (one edit: what, from what, by whom, when)
    store: Store,
    user: User,
    ops: list[Op],
    rows: list[Rows],
    version: FormVersion,
    at: dt.datetime | None,
) -> int:
    """Write `ops` if the `rows` they were drawn from are still as `version` saw them."""
    if not ops:
        return 0
    return store.edit(ops, actor=user.name, at=_now(store, at), unchanged=rows, seen=version)


def set_branch(
    store: Store,
    user: User,
    compound_id: str,
    *,
    version: FormVersion,
    has_branch: bool,
    name: str | None = None,
    secretary: str | None = None,
    stars: set[str] | frozenset[str] = frozenset(),
    at: dt.datetime | None = None,
) -> int:
    """Give a compound its own branch (or remove it) and set the branch's named stars.

    A compound in a joint branch keeps that branch; its stars are the joint branch's.
    `version` is the branch form's :func:`form_version`. Returns the number of fields changed.

    Parameters
    ----------
    store : Store
        Where the compounds and party organisations are kept.
    user : User
        Who edits: staff of the compound's community or a street admin.
    compound_id : str
        The compound.
    version : FormVersion
        The branch form's version.
    has_branch : bool
        Whether the compound has a branch of its own.
    name : str or None
        The branch's name (default: the compound's name with 党支部).
    secretary : str or None
        The branch secretary's name.
    stars : set of str
        The named stars the branch holds (:class:`~mapgov.core.model.Star` values).
    at : datetime.datetime or None
        When the change is made, the street's now by default.

    Returns
    -------
    int
        The number of fields changed (0: nothing to save).

    Raises
    ------
    StaleEditError
        If the compound, its branch or the branch's stars changed since `version`.
    """
    community = community_of_compound(store, compound_id)
    _require(store, user, community, "party branches")
    bad = set(stars) - {s.value for s in Star}
    if bad:
        msg = f"unknown stars {sorted(bad)}"
        raise ValidationError(msg)
    comp = store.read("compound", where={"compound_id": compound_id}).iloc[0]
    branch_id = comp["branch_id"] if isinstance(comp["branch_id"], str) else None
    ops: list[Op] = []
    if not has_branch:
        if branch_id:
            ops.append(("update", "compound", {"compound_id": compound_id}, {"branch_id": None}))
    else:
        if branch_id is None:
            branch_id = f"PO-{compound_id}"
            exists = store.read("party_org", where={"org_id": branch_id})
            values = {
                "level": PartyLevel.COMPOUND_BRANCH.value,
                "parent_id": f"PO-{community}",
                "name": (name or f"{comp['name']}党支部").strip(),
                "secretary": secretary,
                "member_count": 0,
                "is_joint": 0,
                "established": _now(store, at)[:10],
            }
            if exists.empty:
                ops.append(("insert", "party_org", {"org_id": branch_id}, values))
            else:  # the compound's old branch comes back: with the name and secretary given
                given = {"name": name, "secretary": secretary}
                again = {k: values[k] for k, v in given.items() if v and v.strip()}
                if again:
                    ops.append(("update", "party_org", {"org_id": branch_id}, again))
            ops.append(
                ("update", "compound", {"compound_id": compound_id}, {"branch_id": branch_id})
            )
        else:
            # None leaves a field as it is; a blank name too (a branch must have a name),
            # while a blank secretary clears it (the post is vacant)
            changed: dict[str, Any] = {}
            if secretary is not None:
                changed["secretary"] = secretary.strip() or None
            if name and name.strip():
                changed["name"] = name.strip()
            if changed:
                ops.append(("update", "party_org", {"org_id": branch_id}, changed))
        have = set(store.read("branch_star", where={"org_id": branch_id})["star"])
        ops += [
            ("delete", "branch_star", {"org_id": branch_id, "star": s}, {})
            for s in sorted(have - set(stars))
        ]
        ops += [
            (
                "insert",
                "branch_star",
                {"org_id": branch_id, "star": s},
                {"awarded_on": _now(store, at)[:10]},
            )
            for s in sorted(set(stars) - have)
        ]
    return _write(store, user, ops, _branch_rows(store, compound_id), version, at)


def set_property(
    store: Store,
    user: User,
    compound_id: str,
    *,
    version: FormVersion,
    mode: str,
    company: str | None = None,
    red_property: bool = False,
    owners_committee: bool = False,
    self_managed_committee: bool = False,
    has_security: bool = False,
    at: dt.datetime | None = None,
) -> int:
    """Set a compound's property management. A company mode needs a company name; red property
    needs a company. `version` is the property form's :func:`form_version`. Returns the number
    of fields changed; a :class:`~mapgov.core.errors.StaleEditError` if it changed since.

    Parameters
    ----------
    store : Store
        The database to write.
    user : User
        The editor, with rights on the compound's community.
    compound_id : str
        Whose property management is set.
    version : FormVersion
        What the property form read (:func:`form_version`).
    mode : str
        A :class:`~mapgov.core.model.PropertyMode` value.
    company : str or None
        The management company, required by the company modes.
    red_property : bool
        A red property company (红色物业), which needs a company.
    owners_committee : bool
        Whether an owners' committee exists.
    self_managed_committee : bool
        Whether it has a self-managed committee.
    has_security : bool
        Whether the compound has security.
    at : datetime.datetime or None
        The time of the edit; None for now.

    Returns
    -------
    int
        How many fields the save changed.
    """
    _require(store, user, community_of_compound(store, compound_id), "property management")
    mode = PropertyMode(mode).value
    company = (company or "").strip() or None
    if mode == PropertyMode.COMPANY.value and not company:
        msg = "a property company needs its name"
        raise ValidationError(msg, key="error.edit.company_needed")
    if mode != PropertyMode.COMPANY.value:
        company, red_property = None, False
    values = {
        "mode": mode,
        "company": company,
        "red_property": int(red_property),
        "owners_committee": int(owners_committee or mode == "owners_committee"),
        "self_managed_committee": int(self_managed_committee or mode == "self_managed"),
        "has_security": int(has_security),
    }
    exists = not store.read("property_management", where={"compound_id": compound_id}).empty
    op = "update" if exists else "insert"
    ops = [(op, "property_management", {"compound_id": compound_id}, values)]
    return _write(store, user, ops, _form_rows(store, "property", compound_id), version, at)


def set_building(
    store: Store,
    user: User,
    building_id: str,
    *,
    version: FormVersion,
    has_group: bool,
    head: str | None = None,
    head_phone: str | None = None,
    at: dt.datetime | None = None,
) -> int:
    """Give a building a party group (or remove it) and set its building head.

    `version` is the building form's :func:`form_version`; a
    :class:`~mapgov.core.errors.StaleEditError` if the building changed since.

    Parameters
    ----------
    store : Store
        The street's database.
    user : User
        Who saves the form (staff of the community, or an admin of its street).
    building_id : str
        The building.
    version : FormVersion
        The building form's token, read when the form was drawn.
    has_group : bool
        Whether the building has a party group.
    head : str or None
        The building head's name.
    head_phone : str or None
        The building head's phone number.
    at : datetime.datetime or None
        When it is saved (default: now).

    Returns
    -------
    int
        The count of fields written; 0 if the form changed nothing.
    """
    b = store.read("building", where={"building_id": building_id})
    if b.empty:
        msg = f"no building {building_id!r}"
        raise ValidationError(msg, key="error.issue.no_building", id=building_id)
    row = b.iloc[0]
    community = community_of_compound(store, row["compound_id"])
    _require(store, user, community, "party groups and building heads")
    ops: list[Op] = []
    group = row["party_group_id"] if isinstance(row["party_group_id"], str) else None
    if has_group and group is None:
        group = f"PO-{building_id}"
        comp = store.read("compound", where={"compound_id": row["compound_id"]}).iloc[0]
        parent = comp["branch_id"] if isinstance(comp["branch_id"], str) else f"PO-{community}"
        if store.read("party_org", where={"org_id": group}).empty:
            ops.append(
                (
                    "insert",
                    "party_org",
                    {"org_id": group},
                    {
                        "level": PartyLevel.BUILDING_GROUP.value,
                        "parent_id": parent,
                        "name": f"{comp['name']}{row['name']}党小组",
                        "member_count": int(row["party_members"]),
                        "is_joint": 0,
                    },
                )
            )
        values: dict[str, Any] = {"party_group_id": group}
    elif not has_group:
        values = {"party_group_id": None}
    else:
        values = {}
    values["building_head"] = (head or "").strip() or None
    values["building_head_phone"] = (head_phone or "").strip() or None
    ops.append(("update", "building", {"building_id": building_id}, values))
    return _write(store, user, ops, _form_rows(store, "building", building_id), version, at)


def assign_zone(
    store: Store,
    user: User,
    building_ids: list[str],
    zone_id: str | None,
    *,
    version: FormVersion,
    at: dt.datetime | None = None,
) -> int:
    """Put buildings into a member's responsibility zone (None: take them out of any zone).

    The zone and the buildings must be in communities the user may edit. `version` is the
    zone form's :func:`form_version` (of the buildings' compound); a
    :class:`~mapgov.core.errors.StaleEditError` if one of the buildings changed zone since.

    Parameters
    ----------
    store : Store
        The database with the zones.
    user : User
        Who assigns; they must be able to edit every building's community.
    building_ids : list of str
        The buildings to move.
    zone_id : str or None
        The responsibility zone to put them in, or None.
    version : FormVersion
        The zone form's :func:`form_version`.
    at : datetime.datetime or None
        When the assignment is made; the street's clock if None.

    Returns
    -------
    int
        The number of fields changed; buildings already in the zone change nothing.
    """
    if not building_ids:
        return 0
    b = store.read(
        "building",
        where={"building_id": list(building_ids)},
        columns=["building_id", "compound_id"],
    )
    missing = set(building_ids) - set(b["building_id"])
    if missing:
        msg = f"no buildings {sorted(missing)}"
        raise ValidationError(msg, key="error.issue.no_building", id=sorted(missing)[0])
    for cid in b["compound_id"].unique():
        _require(store, user, community_of_compound(store, cid), "responsibility zones")
    if zone_id is not None and store.read("responsibility_zone", where={"zone_id": zone_id}).empty:
        msg = f"no responsibility zone {zone_id!r}"
        raise ValidationError(msg)
    current = store.read("zone_building", where={"building_id": list(building_ids)})
    now_in = dict(zip(current["building_id"], current["zone_id"], strict=True))
    ops: list[Op] = []
    for bid in building_ids:
        if now_in.get(bid) == zone_id:
            continue
        if bid in now_in and zone_id is None:
            ops.append(("delete", "zone_building", {"building_id": bid}, {}))
        elif bid in now_in:
            ops.append(("update", "zone_building", {"building_id": bid}, {"zone_id": zone_id}))
        elif zone_id is not None:
            ops.append(("insert", "zone_building", {"building_id": bid}, {"zone_id": zone_id}))
    return _write(store, user, ops, _zone_rows(list(building_ids)), version, at)
