"""The party-building edit forms: a compound's branch and stars, its property management, a
building's party group and head, the responsibility zones of a compound's buildings.

Each save checks the editor's rights and refuses a form drawn from rows that changed since
(:func:`form_version`). :mod:`mapgov.domain.party` reads and counts what they write.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Final

from mapgov.core.errors import ValidationError
from mapgov.core.model import PartyLevel, PropertyMode, Star
from mapgov.domain.editing import check_phone, edit_stamp, plain_row, require_editor
from mapgov.domain.places import community_of_compound
from mapgov.domain.tenure import compound_edits
from mapgov.domain.users import User
from mapgov.store import FormVersion, Rows, Store

__all__ = [
    "FORMS",
    "assign_zone",
    "form_version",
    "set_branch",
    "set_building",
    "set_property",
]

FORMS: Final = ("branch", "property", "building", "zone")
"""The edit forms: a compound's branch and stars, its property management, a building's party
group and head, the responsibility zones of a compound's buildings."""


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
        return [
            ("property_management", {"compound_id": target}),
            ("property_tenure", {"compound_id": target}),
        ]
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
    return store.edit(ops, actor=user.name, at=edit_stamp(store, at), unchanged=rows, seen=version)


def set_branch(
    store: Store,
    user: User,
    compound_id: str,
    *,
    version: FormVersion,
    has_branch: bool,
    name: str | None = None,
    secretary: str | None = None,
    secretary_phone: str | None = None,
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
        The branch secretary's name (None: as it is; blank: the post is vacant).
    secretary_phone : str or None
        The secretary's phone (None: as it is; blank clears it). A new secretary never
        keeps the last one's number: given with the last one's number (the form still
        showing it), or with none, the phone is cleared. Refused (key
        ``error.issue.bad_phone``) when it is not a phone number, before anything is written.
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
    require_editor(store, user, community, "party branches")
    bad = set(stars) - {s.value for s in Star}
    if bad:
        msg = f"unknown stars {sorted(bad)}"
        raise ValidationError(msg)
    phone = None if secretary_phone is None else secretary_phone.strip()
    check_phone(phone, "secretary_phone")
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
                "secretary_phone": (phone or None) if secretary else None,
                "member_count": 0,
                "is_joint": 0,
                "established": edit_stamp(store, at)[:10],
            }
            if exists.empty:
                ops.append(("insert", "party_org", {"org_id": branch_id}, values))
            else:  # the compound's old branch comes back: with the name and secretary given
                given = {"name": name, "secretary": secretary}
                again = {k: values[k] for k, v in given.items() if v and v.strip()}
                if "secretary" in again:  # a new secretary: the number given, or none
                    again["secretary_phone"] = phone or None
                elif phone:
                    again["secretary_phone"] = phone
                if again:
                    ops.append(("update", "party_org", {"org_id": branch_id}, again))
            ops.append(
                ("update", "compound", {"compound_id": compound_id}, {"branch_id": branch_id})
            )
        else:
            changed = _branch_changes(store, branch_id, name, secretary, phone)
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
                {"awarded_on": edit_stamp(store, at)[:10]},
            )
            for s in sorted(set(stars) - have)
        ]
    return _write(store, user, ops, _branch_rows(store, compound_id), version, at)


def _branch_changes(
    store: Store, branch_id: str, name: str | None, secretary: str | None, phone: str | None
) -> dict[str, Any]:
    """What the branch form changes in an existing branch's row. None leaves a field as it
    is; a blank name too (a branch must have a name), while a blank secretary clears it (the
    post is vacant). A new secretary never keeps the last one's phone (see :func:`set_branch`)."""
    changed: dict[str, Any] = {}
    if secretary is not None:
        changed["secretary"] = secretary.strip() or None
    if phone is not None:
        changed["secretary_phone"] = phone or None
    if secretary is not None or phone is not None:
        now = plain_row(store.read("party_org", where={"org_id": branch_id}).iloc[0])
        who = changed.get("secretary", now["secretary"])
        new = who != now["secretary"] and phone in (None, now["secretary_phone"])
        if new or not who:  # the last secretary's number goes with them
            changed["secretary_phone"] = None
    if name and name.strip():
        changed["name"] = name.strip()
    return changed


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
    effective_on: dt.date | None = None,
    at: dt.datetime | None = None,
) -> int:
    """Set a compound's property management. A company mode needs a company name; red property
    needs a company. `version` is the property form's :func:`form_version`. Returns the number
    of fields changed; a :class:`~mapgov.core.errors.StaleEditError` if it changed since.

    A change of the company serving the compound (another company, or a company mode to or
    from another) is recorded in ``property_tenure`` in the same edit: the old company's
    tenure ends on `effective_on` and the new one's begins (:func:`mapgov.domain.tenure.
    tenure_edits`), so the scorecard counts each past month for the company serving then.

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
    effective_on : datetime.date or None
        The day a change of company takes effect: not after the day of the edit, nor before
        the compound's current company began (default: the day of the edit).
    at : datetime.datetime or None
        The time of the edit; None for now.

    Returns
    -------
    int
        How many of the form's fields the save changed (a change of company is one, however
        many tenure rows it writes); 0 when nothing was saved.

    Raises
    ------
    ValidationError
        For a company mode without a company, or an `effective_on` in the future (key
        ``error.edit.tenure_future``) or before the current company's start (key
        ``error.edit.tenure_before``).
    StaleEditError
        If the compound's property management or tenures changed since `version`.
    """
    require_editor(store, user, community_of_compound(store, compound_id), "property management")
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
    stamp = edit_stamp(store, at)
    today = dt.date.fromisoformat(stamp[:10])
    day = effective_on or today
    if day > today:
        msg = f"a change of company cannot take effect after today ({day} > {today})"
        raise ValidationError(
            msg, key="error.edit.tenure_future", day=day.isoformat(), today=today.isoformat()
        )
    now = store.read("property_management", where={"compound_id": compound_id})
    op = "update" if len(now) else "insert"
    ops: list[Op] = [(op, "property_management", {"compound_id": compound_id}, values)]
    stored = store.read("property_tenure", where={"compound_id": compound_id})
    ops += compound_edits(stored, now, compound_id, company, day)
    at = dt.datetime.fromisoformat(stamp)
    written = _write(store, user, ops, _form_rows(store, "property", compound_id), version, at)
    if not written or now.empty:
        return written
    # the form's fields the user changed (a new company is one, not the tenure rows behind it)
    before = plain_row(now.iloc[0])
    return sum(before[k] != v for k, v in values.items()) or written


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
        The building head's phone number; refused (key ``error.issue.bad_phone``) when it is
        not one, before anything is written.
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
    require_editor(store, user, community, "party groups and building heads")
    phone = (head_phone or "").strip() or None
    check_phone(phone, "building_head_phone")
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
    values["building_head_phone"] = phone
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
        require_editor(store, user, community_of_compound(store, cid), "responsibility zones")
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
