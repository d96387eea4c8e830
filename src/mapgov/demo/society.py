"""People and organisations of the demo street: places, property, party.

Everything is drawn from generators seeded by (seed, stream, tile), so a street's content does
not depend on how many streets are generated. Output rows are plain dicts with local-metre
geometry; :mod:`mapgov.demo` turns them into frames in WGS 84.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mapgov.core.model import PartyLevel, PropertyMode, Star
from mapgov.demo.layout import CompoundGeom, Frontage, Layout
from mapgov.demo.names import (
    COMMUNITY_NAMES,
    COMPOUND_NAMES,
    STREET_NAMES,
    person_names,
    phones,
)

__all__ = [
    "Society",
    "build_society",
    "compound_names",
    "frontage_road",
    "street_id",
    "street_name",
]

Row = dict[str, Any]

_SIDE_ZH = {"N": "北门", "S": "南门", "E": "东门", "W": "西门"}
_STAR_OFFSET = {
    Star.STRONG_BRANCH: 0.12,
    Star.SERVING_PEOPLE: 0.1,
    Star.SAFETY_RULE_OF_LAW: 0.0,
    Star.CIVILITY_HAPPINESS: -0.05,
    Star.CO_BUILDING_SHARING: -0.18,
}
_PROPERTY_COMPANIES = (
    "洛阳王城物业服务有限公司",
    "河洛物业管理有限公司",
    "洛阳金谷园物业有限公司",
    "洛阳建业物业服务有限公司",
    "中州物业服务有限公司",
    "洛阳宏达物业管理有限公司",
    "牡丹城物业服务有限公司",
    "洛阳安居物业有限公司",
)


def street_name(tile: int) -> tuple[str, str]:
    """(Chinese, English) name of a street tile."""
    if tile < len(STREET_NAMES):
        return STREET_NAMES[tile]
    return f"第{tile + 1}街道", f"Street {tile + 1}"


def street_id(tile: int) -> str:
    """Stable id of a street tile."""
    return f"S{tile + 1:03d}"


@dataclass
class Society:
    """Rows for every table except the issue ledger, plus lookups the ledger needs."""

    tables: dict[str, list[Row]] = field(default_factory=dict)
    compound_ids: list[str] = field(default_factory=list)
    community_ids: list[str] = field(default_factory=list)  # per (tile, community) in order
    grid_ids: dict[tuple[int, int, int], str] = field(default_factory=dict)
    buildings: list[Row] = field(default_factory=list)
    building_geoms: list[Any] = field(default_factory=list)  # local metre polygons
    building_compound: list[int] = field(default_factory=list)
    compound_rows: list[Row] = field(default_factory=list)
    property_rows: list[Row] = field(default_factory=list)
    staff: dict[str, list[str]] = field(default_factory=dict)  # community id -> staff names
    grid_workers: dict[str, str] = field(default_factory=dict)  # grid id -> name
    community_names: dict[str, str] = field(default_factory=dict)
    grid_names: dict[str, str] = field(default_factory=dict)

    def add(self, name: str, row: Row) -> None:
        """Append a row to a table."""
        self.tables.setdefault(name, []).append(row)


def _community(tile: int, k: int) -> tuple[str, str, str]:
    n = 4 * tile + k
    zh, en = COMMUNITY_NAMES[n % len(COMMUNITY_NAMES)]
    if n >= len(COMMUNITY_NAMES):
        short = street_name(tile)[0].removesuffix("街道")
        zh, en = f"{short}{zh}", f"{en} ({street_name(tile)[1]})"
    return f"{street_id(tile)}-C{k + 1}", zh, en


def frontage_road(lay: Layout, fr: Frontage) -> str:
    """The name of the road along frontage `fr` (a default where the layout has none)."""
    return lay.road_name(fr.orient, fr.line, (fr.lo + fr.hi) / 2) or "西工"


# -- places, property, party -------------------------------------------------------------------
def compound_names(lay: Layout, seed: int) -> list[str]:
    """A name for every compound, unique within its street."""
    stems, old_suffix, new_suffix = COMPOUND_NAMES
    names: list[str] = []
    for tile in range(lay.scale):
        rng = np.random.default_rng([seed, 6, tile])
        comps = [c for c in lay.compounds if c.tile == tile]
        order = rng.permutation(len(stems))
        used: set[str] = set()
        for k, comp in enumerate(comps):
            stem = stems[int(order[k % len(stems)])]
            suffix = rng.choice(old_suffix if comp.era == "old" else new_suffix)
            name = f"{stem}{suffix}"
            while name in used:
                name = f"{name}二期"
            used.add(name)
            names.append(name)
    return names


def _property(rng: np.random.Generator, era: str, companies: list[str], red: set[str]) -> Row:
    if era == "new":
        mode = PropertyMode.COMPANY if rng.random() < 0.9 else PropertyMode.OWNERS_COMMITTEE
    elif era == "mid":
        mode = PropertyMode(
            rng.choice(["company", "owners_committee", "self_managed"], p=[0.65, 0.2, 0.15])
        )
    else:
        mode = PropertyMode(
            rng.choice(
                ["company", "owners_committee", "self_managed", "none"], p=[0.2, 0.1, 0.4, 0.3]
            )
        )
    company = str(rng.choice(companies)) if mode == PropertyMode.COMPANY else None
    owners = mode == PropertyMode.OWNERS_COMMITTEE or (
        mode == PropertyMode.COMPANY and rng.random() < 0.45
    )
    self_managed = mode == PropertyMode.SELF_MANAGED or (
        mode == PropertyMode.NONE and rng.random() < 0.2
    )
    security = mode != PropertyMode.NONE or rng.random() < 0.4
    is_red = company is not None and company in red
    fee = {
        PropertyMode.COMPANY: rng.uniform(0.75, 0.97) if is_red else rng.uniform(0.45, 0.9),
        PropertyMode.OWNERS_COMMITTEE: rng.uniform(0.6, 0.95),
        PropertyMode.SELF_MANAGED: rng.uniform(0.3, 0.8),
        PropertyMode.NONE: None,
    }[mode]
    return {
        "mode": mode.value,
        "company": company,
        "red_property": int(is_red),
        "owners_committee": int(owners),
        "self_managed_committee": int(self_managed),
        "has_security": int(security),
        "fee_collection_rate": None if fee is None else round(float(fee), 3),
    }


def _building_people(
    rng: np.random.Generator, comp: CompoundGeom, geom_floors: int, form: str, length: float
) -> Row:
    if form == "slab":
        units = max(1, round(length / 16))
        per_floor = 2
    else:
        units = 1 if length < 30 else 2
        per_floor = int(rng.choice([4, 6]))
    households = round(geom_floors * units * per_floor * rng.uniform(0.82, 0.97))
    residents = round(households * rng.uniform(2.35, 2.85))
    share = {"old": (0.2, 0.32), "mid": (0.14, 0.22), "new": (0.08, 0.15)}[comp.era]
    elderly = round(residents * rng.uniform(*share))
    members = int(rng.binomial(residents, 0.06 if comp.era == "old" else 0.04))
    return {
        "floors": geom_floors,
        "units": units,
        "households": households,
        "residents": residents,
        "elderly": elderly,
        "party_members": members,
    }


def _date(rng: np.random.Generator, start: dt.date, end: dt.date) -> str:
    days = (end - start).days
    return (start + dt.timedelta(days=int(rng.integers(0, max(days, 1))))).isoformat()


_FOUNDED: dict[PartyLevel, str | tuple[dt.date, dt.date] | None] = {
    PartyLevel.STREET_COMMITTEE: "1998-07-01",
    PartyLevel.COMMUNITY_COMMITTEE: "2001-07-01",
    PartyLevel.PROPERTY_BRANCH: (dt.date(2018, 1, 1), dt.date(2022, 12, 31)),
    PartyLevel.COMPOUND_BRANCH: (dt.date(2016, 1, 1), dt.date(2023, 6, 30)),
    PartyLevel.BUILDING_GROUP: None,
}
"""When each level of party organisation was founded: a day, or a range to draw it from."""


def _party_org(
    soc: Society,
    rng: np.random.Generator,
    org_id: str,
    level: PartyLevel,
    parent_id: str | None,
    name: str,
    **extra: Any,
) -> None:
    """Add a ``party_org`` row (not joint unless `extra` says so). Its secretary and their
    phone are drawn from `rng`, then its founding day when :data:`_FOUNDED` gives a range."""
    row = {
        "org_id": org_id,
        "level": level.value,
        "parent_id": parent_id,
        "name": name,
        "secretary": person_names(rng, 1)[0],
        "secretary_phone": phones(rng, 1)[0],
        "is_joint": 0,
        **extra,
    }
    founded = _FOUNDED[level]
    row["established"] = _date(rng, *founded) if isinstance(founded, tuple) else founded
    soc.add("party_org", row)


def build_society(lay: Layout, seed: int, as_of: dt.date) -> Society:
    """Rows for places, property management, party organisation, zones, gates and units."""
    soc = Society()
    cnames = compound_names(lay, seed)
    comps_by_tile: dict[int, list[CompoundGeom]] = {}
    for comp in lay.compounds:
        comps_by_tile.setdefault(comp.tile, []).append(comp)
    for tile in range(lay.scale):
        rng = np.random.default_rng([seed, 7, tile])
        sid = street_id(tile)
        zh, en = street_name(tile)
        soc.add(
            "street",
            {
                "street_id": sid,
                "name": zh,
                "name_en": en,
                "city": "洛阳市",
                "district": "西工区",
                "tile": tile,
            },
        )
        po_street = f"PO-{sid}"
        _party_org(soc, rng, po_street, PartyLevel.STREET_COMMITTEE, None, f"{zh}党工委")
        companies = list(rng.choice(_PROPERTY_COMPANIES, size=5, replace=False))
        red = set(companies[:2])
        for k, company in enumerate(sorted(red)):
            org_id = f"PO-{sid}-PM{k + 1}"
            _party_org(soc, rng, org_id, PartyLevel.PROPERTY_BRANCH, po_street, f"{company}党支部")
        red_branch = {company: f"PO-{sid}-PM{k + 1}" for k, company in enumerate(sorted(red))}
        for k in range(4):
            cid, czh, cen = _community(tile, k)
            soc.community_ids.append(cid)
            soc.community_names[cid] = czh
            soc.staff[cid] = person_names(rng, 4)
            soc.add(
                "community",
                {
                    "community_id": cid,
                    "street_id": sid,
                    "name": czh,
                    "name_en": cen,
                    "office_address": f"{czh}居委会",
                    "tile": tile,
                    "k": k,
                },
            )
            _party_org(
                soc, rng, f"PO-{cid}", PartyLevel.COMMUNITY_COMMITTEE, po_street, f"{czh}党委"
            )
            for g in range(3):
                gid = f"{cid}-G{g + 1}"
                soc.grid_ids[(tile, k, g)] = gid
                worker = person_names(rng, 1)[0]
                soc.grid_workers[gid] = worker
                soc.grid_names[gid] = f"{czh}第{g + 1}网格"
                soc.add(
                    "grid",
                    {
                        "grid_id": gid,
                        "community_id": cid,
                        "name": f"{czh}第{g + 1}网格",
                        "grid_worker": worker,
                        "grid_worker_phone": phones(rng, 1)[0],
                        "tile": tile,
                        "k": k,
                        "g": g,
                    },
                )
        _tile_compounds(
            soc, lay, comps_by_tile.get(tile, []), cnames, rng, companies, red_branch, as_of
        )
    _ensure_three_nos(soc, lay, seed)
    _upper_member_counts(soc, seed)
    return soc


def _is_three_nos(p: Row) -> bool:
    return (
        p["mode"] == PropertyMode.NONE.value
        and not p["owners_committee"]
        and not p["self_managed_committee"]
        and not p["has_security"]
    )


def _ensure_three_nos(soc: Society, lay: Layout, seed: int) -> None:
    """Every street keeps one to three three-nos compounds (三无小区): old ones, no property
    management, no committee, no security. Reports describe them as the last, hardest cases."""
    by_tile: dict[int, list[int]] = {}
    for k, row in enumerate(soc.compound_rows):
        by_tile.setdefault(lay.compounds[row["index"]].tile, []).append(k)
    for tile, rows in by_tile.items():
        rng = np.random.default_rng([seed, 11, tile])
        want = int(rng.integers(1, 4))
        have = sum(_is_three_nos(soc.property_rows[k]) for k in rows)
        old = [
            k
            for k in rows
            if lay.compounds[soc.compound_rows[k]["index"]].era == "old"
            and not _is_three_nos(soc.property_rows[k])
            and not soc.property_rows[k]["red_property"]
        ]
        for k in rng.permutation(old)[: max(0, want - have)]:
            soc.property_rows[int(k)].update(
                {
                    "mode": PropertyMode.NONE.value,
                    "company": None,
                    "red_property": 0,
                    "property_branch_id": None,
                    "owners_committee": 0,
                    "self_managed_committee": 0,
                    "has_security": 0,
                    "joint_meeting": 0,
                    "fee_collection_rate": None,
                }
            )


def _upper_member_counts(soc: Society, seed: int) -> None:
    """Members of street and community bodies: the party members living in their area."""
    by_community: dict[str, int] = {}
    for b in soc.buildings:
        cid = b["compound_id"].rsplit("-", 1)[0]
        by_community[cid] = by_community.get(cid, 0) + b["party_members"]
    by_branch: dict[str, int] = {}
    members_by_compound: dict[str, int] = {}
    for b in soc.buildings:
        members_by_compound[b["compound_id"]] = (
            members_by_compound.get(b["compound_id"], 0) + b["party_members"]
        )
    for r in soc.compound_rows:
        if r["branch_id"] is not None:
            by_branch[r["branch_id"]] = by_branch.get(r["branch_id"], 0) + members_by_compound.get(
                r["compound_id"], 0
            )
    rng = np.random.default_rng([seed, 10])
    for org in soc.tables["party_org"]:
        if org["level"] == PartyLevel.COMPOUND_BRANCH.value:
            org["member_count"] = by_branch.get(org["org_id"], 0)
        elif org["level"] == PartyLevel.COMMUNITY_COMMITTEE.value:
            org["member_count"] = by_community.get(org["org_id"].removeprefix("PO-"), 0)
        elif org["level"] == PartyLevel.STREET_COMMITTEE.value:
            sid = org["org_id"].removeprefix("PO-")
            org["member_count"] = sum(v for k, v in by_community.items() if k.startswith(f"{sid}-"))
        elif org["level"] == PartyLevel.PROPERTY_BRANCH.value:
            org["member_count"] = int(rng.integers(5, 16))
        org.setdefault("member_count", 0)


def _tile_compounds(
    soc: Society,
    lay: Layout,
    comps: list[CompoundGeom],
    cnames: list[str],
    rng: np.random.Generator,
    companies: list[str],
    red_branch: dict[str, str],
    as_of: dt.date,
) -> None:
    counters: dict[int, int] = {}
    joint_of: dict[int, str] = {}
    member_seq = 0
    for comp in comps:
        cell = lay.cells[comp.cell]
        cid = soc.community_ids[4 * comp.tile + comp.community]
        counters[comp.community] = counters.get(comp.community, 0) + 1
        comp_id = f"{cid}-{counters[comp.community]:02d}"
        soc.compound_ids.append(comp_id)
        grid_id = soc.grid_ids[(comp.tile, comp.community, cell.grid)]
        name = cnames[comp.index]
        prop = _property(rng, comp.era, companies, set(red_branch))
        prop["compound_id"] = comp_id
        prop["property_branch_id"] = red_branch.get(prop["company"] or "")
        # party branch: most compounds; the two halves of a split block often share one
        branch_id: str | None = None
        has_branch = rng.random() < (0.95 if comp.era != "old" else 0.85)
        if comp.half == 1 and comp.cell in joint_of:
            branch_id = joint_of[comp.cell]
        elif has_branch:
            branch_id = f"PO-{comp_id}"
            joint = comp.half == 0 and rng.random() < 0.5
            if joint:
                joint_of[comp.cell] = branch_id
            branch_name = f"{name}联合党支部" if joint else f"{name}党支部"
            level = PartyLevel.COMPOUND_BRANCH
            _party_org(soc, rng, branch_id, level, f"PO-{cid}", branch_name, is_joint=int(joint))
            strength = rng.random()
            for star, offset in _STAR_OFFSET.items():
                if rng.random() < np.clip(0.2 + 0.65 * strength + offset, 0.02, 0.97):
                    soc.add(
                        "branch_star",
                        {
                            "org_id": branch_id,
                            "star": star.value,
                            "awarded_on": _date(rng, dt.date(2019, 1, 1), as_of),
                        },
                    )
        prop["joint_meeting"] = int(
            branch_id is not None
            and prop["mode"] == PropertyMode.COMPANY.value
            and bool(prop["owners_committee"])
            and rng.random() < 0.75
        )
        soc.property_rows.append(prop)
        row = {
            "compound_id": comp_id,
            "grid_id": grid_id,
            "name": name,
            "address": f"{_nearest_road(lay, comp)}{int(rng.integers(1, 300))}号",
            "built_year": comp.built_year,
            "branch_id": branch_id,
            "index": comp.index,
        }
        soc.compound_rows.append(row)
        for g, (gx, gy, side) in enumerate(comp.gates):
            soc.add(
                "gate",
                {
                    "gate_id": f"{comp_id}-G{g + 1}",
                    "compound_id": comp_id,
                    "name": _SIDE_ZH[side],
                    "vehicle": int(g == 0),
                    "x": gx,
                    "y": gy,
                },
            )
        member_seq = _compound_buildings(soc, comp, comp_id, name, cid, branch_id, rng, member_seq)


def _nearest_road(lay: Layout, comp: CompoundGeom) -> str:
    _gx, _gy, side = comp.gates[0]
    return frontage_road(lay, comp.frontages[side])


def _compound_buildings(
    soc: Society,
    comp: CompoundGeom,
    comp_id: str,
    name: str,
    cid: str,
    branch_id: str | None,
    rng: np.random.Generator,
    member_seq: int,
) -> int:
    order = sorted(
        range(len(comp.buildings)),
        key=lambda i: (
            -round(comp.buildings[i].polygon.centroid.y, -1),
            comp.buildings[i].polygon.centroid.x,
        ),
    )
    rows: list[Row] = []
    heads = person_names(rng, len(order))
    head_phones = phones(rng, len(order))
    for n, i in enumerate(order, start=1):
        geom = comp.buildings[i]
        bid = f"{comp_id}-{n:02d}"
        people = _building_people(rng, comp, geom.floors, geom.form, geom.length)
        group_id = None
        if people["party_members"] >= 3 and rng.random() < (0.9 if branch_id else 0.25):
            group_id = f"PO-{bid}"
            parent, level = branch_id or f"PO-{cid}", PartyLevel.BUILDING_GROUP
            members = people["party_members"]
            _party_org(
                soc, rng, group_id, level, parent, f"{name}{n}号楼党小组", member_count=members
            )
        has_head = rng.random() < 0.92
        row = {
            "building_id": bid,
            "compound_id": comp_id,
            "name": f"{n}号楼",
            "number": n,
            **people,
            "building_head": heads[n - 1] if has_head else None,
            "building_head_phone": head_phones[n - 1] if has_head else None,
            "party_group_id": group_id,
            "built_year": comp.built_year + int(rng.integers(0, 3)),
            "estimated": 0,
        }
        rows.append(row)
        soc.buildings.append(row)
        soc.building_geoms.append(geom.polygon)
        soc.building_compound.append(comp.index)
    # responsibility zones: runs of 2-5 buildings, each in the care of one party member
    if branch_id is not None:
        k = 0
        zone_no = 0
        while k < len(rows):
            size = int(rng.integers(2, 6))
            chunk = rows[k : k + size]
            k += size
            if rng.random() > 0.85:
                continue
            zone_no += 1
            member_seq += 1
            mid = f"M-{comp_id}-{zone_no}"
            soc.add(
                "party_member",
                {
                    "member_id": mid,
                    "org_id": branch_id,
                    "name": person_names(rng, 1)[0],
                    "phone": phones(rng, 1)[0],
                    "in_service": int(rng.random() < 0.3),
                    "building_id": chunk[0]["building_id"],
                },
            )
            zid = f"Z-{comp_id}-{zone_no}"
            soc.add(
                "responsibility_zone",
                {"zone_id": zid, "member_id": mid, "name": f"{name}第{zone_no}责任区"},
            )
            for b in chunk:
                soc.add("zone_building", {"building_id": b["building_id"], "zone_id": zid})
    return member_seq
