"""Co-building in the demo street: resident units and the three lists, wishes, volunteering.

Per street: 24-31 resident units (驻区单位; one district counts 190 in about ten streets) with
one to three resources each; 8-12 needs per community, each with the history that brings it to
its state on `as_of` (every need and project state occurs in every street); 18-30 micro-wishes
(微心愿) per community over the last year, in every state; and a year of volunteer service
events. One district reports 2,240 events and 29,000 participants a year across some forty
communities: each demo community holds 45-65 events of about 13 people, busiest in March
(学雷锋月) and quietest around the Spring Festival.

Every step is also a row of the append-only history ``co_event``, and each need, project and
wish has ``version`` equal to the number of its events, as if it had been worked through
:mod:`mapgov.domain.cobuild`. Draws come from generators seeded by (seed, stream, tile), so a street
does not depend on how many streets are generated.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import shapely

from mapgov.core import model
from mapgov.demo.layout import Layout
from mapgov.demo.names import UNIT_NAMES, person_names, phones
from mapgov.demo.society import Society, street_id

__all__ = ["build_cobuilding"]

Row = dict[str, Any]

_UNIT_RESOURCES: Final[dict[str, tuple[model.CoopKind, ...]]] = {
    "university": (
        model.CoopKind.CHILD_EDUCATION,
        model.CoopKind.VOLUNTEERS,
        model.CoopKind.CULTURE_SPORTS,
    ),
    "institute": (model.CoopKind.REPAIRS, model.CoopKind.ENVIRONMENT, model.CoopKind.VOLUNTEERS),
    "company": (model.CoopKind.REPAIRS, model.CoopKind.EMPLOYMENT, model.CoopKind.VENUE_SHARING),
    "agency": (model.CoopKind.LEGAL_AID, model.CoopKind.VENUE_SHARING, model.CoopKind.VOLUNTEERS),
    "hospital": (model.CoopKind.HEALTH_SERVICE, model.CoopKind.ELDERLY_HELP),
    "school": (
        model.CoopKind.CHILD_EDUCATION,
        model.CoopKind.CULTURE_SPORTS,
        model.CoopKind.VENUE_SHARING,
    ),
}
_COOP_TITLES: Final[dict[model.CoopKind, tuple[str, str]]] = {
    model.CoopKind.ELDERLY_HELP: ("助老志愿服务", "独居老人定期探访和助餐送餐"),
    model.CoopKind.CHILD_EDUCATION: ("四点半课堂", "放学后课业辅导和假期托管"),
    model.CoopKind.HEALTH_SERVICE: ("健康义诊进社区", "血压血糖测量和慢病随访"),
    model.CoopKind.CULTURE_SPORTS: ("文体活动共建", "合唱、太极、广场舞培训和场地"),
    model.CoopKind.ENVIRONMENT: ("楼院环境美化", "绿化补植、墙面清洁和垃圾分类宣传"),
    model.CoopKind.REPAIRS: ("老旧设施维修", "楼道照明、管道和单元门维修"),
    model.CoopKind.LEGAL_AID: ("法律咨询服务", "邻里纠纷调解和法律援助"),
    model.CoopKind.EMPLOYMENT: ("就业帮扶", "招聘信息和技能培训"),
    model.CoopKind.VENUE_SHARING: ("场地共享", "会议室、操场和停车场错时开放"),
    model.CoopKind.VOLUNTEERS: ("志愿服务队", "在职党员志愿者参与小区治理"),
}
_PROGRESS_NOTES: Final = (
    "已制定实施方案，与社区确定服务时间",
    "首批服务已开展，居民反映良好",
    "完成过半，下周继续",
    "单位党员志愿者分两批入户",
    "材料已到位，开始施工",
)
_CANCEL_NOTES: Final = (
    "单位人员调整，暂时无法承接",
    "需求内容变化，重新对接",
    "场地条件不具备，另行安排",
)
_WITHDRAW_NOTES: Final = ("居民已自行解决", "并入其他项目办理", "需求重复登记")

# Final state of a need's story, with its share: "reopened" had its project cancelled,
# "unsatisfied" was rated unsatisfied by residents; both are open again.
_NEED_FATES: Final[tuple[tuple[str, float], ...]] = (
    ("open", 0.12),
    ("withdrawn", 0.04),
    ("reopened", 0.05),
    ("paired", 0.07),
    ("claimed", 0.07),
    ("in_progress", 0.2),
    ("completed", 0.08),
    ("rated", 0.33),
    ("unsatisfied", 0.04),
)
# Days between the last step and as_of, by fate (low, high).
_DWELL: Final[dict[str, tuple[int, int]]] = {
    "withdrawn": (1, 250),
    "reopened": (1, 40),
    "paired": (0, 6),
    "claimed": (0, 9),
    "in_progress": (0, 25),
    "completed": (0, 12),
    "rated": (0, 300),
    "unsatisfied": (1, 30),
}

_WISH_TITLES: Final = (
    ("一台助听器", "老人听力下降，希望有一台助听器"),
    ("一辆轮椅", "腿脚不便，出门需要轮椅"),
    ("孩子的护眼台灯", "孩子晚上写作业光线不好"),
    ("冬天的棉被", "家里被褥旧了，想要一床新棉被"),
    ("陪老人去医院复查", "子女在外地，需要有人陪同就医"),
    ("一套课外书", "孩子喜欢读书，想要一套课外读物"),
    ("上门理发", "卧床老人希望有人上门理发"),
    ("修好家里的水龙头", "独居老人家中水龙头漏水"),
    ("学会用智能手机", "想学会视频通话和手机挂号"),
    ("一个电饭煲", "家里电饭煲坏了"),
    ("一台电风扇", "夏天屋里太热"),
    ("辅导孩子数学", "孩子数学跟不上，希望有人辅导"),
    ("一副老花镜", "看不清药品说明书"),
    ("一次全面体检", "多年没有体检，想做一次检查"),
    ("换一个楼道灯泡", "单元楼道灯坏了，晚上看不见"),
    ("一个书包", "孩子上学的书包破了"),
    ("读报上门", "视力不好，希望有人读报聊天"),
    ("一台血压计", "需要每天测血压"),
)
_WISH_FATES: Final[tuple[tuple[model.WishStatus, float], ...]] = (
    (model.WishStatus.POSTED, 0.12),
    (model.WishStatus.CLAIMED, 0.15),
    (model.WishStatus.COMPLETED, 0.65),
    (model.WishStatus.CANCELLED, 0.08),
)

# volunteer kinds: (share, mean participants, hours low, hours high, title)
_VOLUNTEER: Final[dict[model.VolunteerKind, tuple[float, float, float, float, str]]] = {
    model.VolunteerKind.CLEAN_UP: (0.2, 17.0, 1.5, 3.0, "环境清洁日"),
    model.VolunteerKind.ELDERLY_VISIT: (0.15, 8.0, 2.0, 3.0, "关爱老人入户探访"),
    model.VolunteerKind.SAFETY_PATROL: (0.14, 10.0, 2.0, 4.0, "平安巡逻"),
    model.VolunteerKind.CIVILITY: (0.1, 12.0, 1.5, 2.5, "文明劝导"),
    model.VolunteerKind.PUBLICITY: (0.1, 14.0, 1.5, 3.0, "政策宣传进楼院"),
    model.VolunteerKind.HEALTH: (0.08, 10.0, 2.5, 4.0, "义诊健康服务"),
    model.VolunteerKind.CHILD_CARE: (0.08, 9.0, 2.0, 3.5, "四点半课堂志愿辅导"),
    model.VolunteerKind.CULTURE: (0.09, 20.0, 2.0, 3.0, "邻里文化活动"),
    model.VolunteerKind.REPAIR: (0.06, 7.0, 2.0, 4.0, "便民维修服务"),
}
# relative number of events per month (March: learn-from-Lei-Feng month; February: the
# Spring Festival; July and August: the heat)
_MONTH_WEIGHT: Final = (0.8, 0.5, 1.6, 1.0, 1.0, 1.0, 0.8, 0.8, 1.0, 1.1, 1.0, 1.0)


class _Index:
    """Lookups by tile, community and compound, built once (scanning every row per street
    made the build quadratic in the number of streets)."""

    def __init__(self, soc: Society, lay: Layout) -> None:
        self.service_cells: dict[int, list[int]] = {}
        for k, c in enumerate(lay.cells):
            if c.use != "residential":
                self.service_cells.setdefault(c.tile, []).append(k)
        self.compounds: dict[str, list[Row]] = {}  # community id -> compound rows
        self.compound_tile: dict[int, list[Row]] = {}
        for r in soc.compound_rows:
            self.compounds.setdefault(r["compound_id"].rsplit("-", 1)[0], []).append(r)
            self.compound_tile.setdefault(lay.compounds[r["index"]].tile, []).append(r)
        self.buildings: dict[str, list[Row]] = {}  # compound id -> building rows
        for b in soc.buildings:
            self.buildings.setdefault(b["compound_id"], []).append(b)
        self.members: dict[str, list[str]] = {}  # community id -> names of party members
        for m in soc.tables.get("party_member", []):
            if m["building_id"]:
                cid = m["building_id"].rsplit("-", 2)[0]
                self.members.setdefault(cid, []).append(m["name"])


class _History:
    """Events of one street, appended in the order of the stories (sorted later)."""

    def __init__(self) -> None:
        self.rows: list[Row] = []
        self.count: dict[tuple[str, str], int] = {}

    def add(
        self,
        entity: model.CoEntity,
        entity_id: str,
        action: model.CoAction,
        at: str,
        actor: str,
        frm: str | None,
        to: str | None,
        note: str | None = None,
    ) -> None:
        self.rows.append(
            {
                "entity": entity.value,
                "entity_id": entity_id,
                "at": at,
                "actor": actor,
                "action": action.value,
                "from_status": frm,
                "to_status": to,
                "note": note,
            }
        )
        key = (entity.value, entity_id)
        self.count[key] = self.count.get(key, 0) + 1

    def version(self, entity: model.CoEntity, entity_id: str) -> int:
        return self.count.get((entity.value, entity_id), 0)


@dataclass(frozen=True)
class _Street:
    """What every step of a street's build reads and adds to."""

    soc: Society
    lay: Layout
    index: _Index
    as_of: dt.date
    events: _History


def _stamp(rng: np.random.Generator, day: dt.date) -> str:
    """An office-hours time on `day`."""
    minutes = int(rng.integers(8 * 60 + 30, 17 * 60 + 30))
    return f"{day.isoformat()}T{minutes // 60:02d}:{minutes % 60:02d}:00"


def _pick(rng: np.random.Generator, weighted: Sequence[tuple[Any, float]]) -> Any:
    p = np.array([w for _, w in weighted], dtype=float)
    return weighted[int(rng.choice(len(weighted), p=p / p.sum()))][0]


def _fates(rng: np.random.Generator, n: int, weighted: Sequence[tuple[Any, float]]) -> list[Any]:
    """`n` fates: every one at least once (in random order), the rest drawn by weight."""
    every = [f for f, _ in weighted]
    first = [every[int(k)] for k in rng.permutation(len(every))]
    rest = [_pick(rng, weighted) for _ in range(max(n - len(every), 0))]
    out = (first + rest)[:n]
    return [out[int(k)] for k in rng.permutation(len(out))]


def build_cobuilding(soc: Society, lay: Layout, seed: int, as_of: dt.date) -> None:
    """Add resident_unit, unit_resource, community_need, co_project, micro_wish,
    volunteer_event and co_event rows (unit rows carry local-metre ``x``, ``y``)."""
    events = _History()
    street = _Street(soc, lay, _Index(soc, lay), as_of, events)
    for tile in range(lay.scale):
        units = _units(street, tile, np.random.default_rng([seed, 8, tile]))
        _needs(street, tile, units, np.random.default_rng([seed, 14, tile]))
        _wishes(street, tile, units, np.random.default_rng([seed, 12, tile]))
        _volunteering(street, tile, units, np.random.default_rng([seed, 13, tile]))
    order = sorted(range(len(events.rows)), key=lambda k: (events.rows[k]["at"], k))
    for n, k in enumerate(order, start=1):
        soc.add("co_event", {"event_id": n, **events.rows[k]})
    for name, key, entity in (
        ("community_need", "need_id", model.CoEntity.NEED),
        ("co_project", "project_id", model.CoEntity.PROJECT),
        ("micro_wish", "wish_id", model.CoEntity.WISH),
    ):
        for row in soc.tables.get(name, []):
            row["version"] = events.version(entity, row[key])


# -- units and their resources --------------------------------------------------------------
def _units(street: _Street, tile: int, rng: np.random.Generator) -> list[Row]:
    soc = street.soc
    sid = street_id(tile)
    cells = street.index.service_cells[tile]
    n_units = int(rng.integers(24, 32))
    order = rng.permutation(len(UNIT_NAMES))
    units: list[Row] = []
    for u in range(n_units):
        uname, ukind = UNIT_NAMES[int(order[u % len(order)])]
        cell = street.lay.cells[int(rng.choice(cells))]
        cid = soc.community_ids[4 * tile + cell.community]
        row: Row = {
            "unit_id": f"U-{sid}-{u + 1:02d}",
            "name": uname,
            "kind": ukind,
            "address": f"{soc.community_names[cid]}辖区",
            "contact": person_names(rng, 1)[0],
            "phone": phones(rng, 1)[0],
            "street_id": sid,
            "community_id": cid,
            "x": float(rng.uniform(cell.x0 + 20, cell.x1 - 20)),
            "y": float(rng.uniform(cell.yb + 20, cell.yt - 20)),
            "resources": [],
        }
        soc.add("resident_unit", row)
        units.append(row)
        offers = _UNIT_RESOURCES[ukind]
        kinds = rng.choice(offers, size=int(rng.integers(1, len(offers) + 1)), replace=False)
        for r, kind in enumerate(kinds):
            title, desc = _COOP_TITLES[model.CoopKind(kind)]
            back = int(rng.integers(30, 540)) if rng.random() < 0.85 else int(rng.integers(1, 30))
            at = _stamp(rng, street.as_of - dt.timedelta(days=back))
            staff = soc.staff[cid][int(rng.integers(0, 2))]
            res: Row = {
                "resource_id": f"R-{sid}-{u + 1:02d}-{r + 1}",
                "unit_id": row["unit_id"],
                "kind": str(kind),
                "title": f"{uname}{title}",
                "description": desc,
                "capacity": int(rng.integers(1, 12)) * 10,
                "filed_at": at,
                "filed_by": staff,
            }
            soc.add("unit_resource", res)
            row["resources"].append(res)
            rid = res["resource_id"]
            street.events.add(
                model.CoEntity.RESOURCE, rid, model.CoAction.FILE, at, staff, None, None
            )
    return units


# -- needs and projects -----------------------------------------------------------------------
def _need_places(
    soc: Society, lay: Layout, index: _Index, tile: int
) -> dict[str, list[tuple[Row, Any]]]:
    """Compounds of each community of `tile` with their local-metre polygons."""
    out: dict[str, list[tuple[Row, Any]]] = {}
    for r in index.compound_tile.get(tile, []):
        comp = lay.compounds[r["index"]]
        cid = soc.community_ids[4 * tile + comp.community]
        out.setdefault(cid, []).append((r, comp.polygon))
    return out


def _choose_unit(
    rng: np.random.Generator, units: list[Row], kind: model.CoopKind, place: Any
) -> tuple[Row, Row] | None:
    """A unit with a resource of `kind` (else of a related kind), nearer ones likelier."""
    for wanted in ({kind.value}, {k.value for k in model.RELATED_KINDS[kind]}):
        fitting = [(u, r) for u in units for r in u["resources"] if r["kind"] in wanted]
        if fitting:
            xy = np.array([(u["x"], u["y"]) for u, _ in fitting], dtype=float)
            dist = shapely.distance(place, shapely.points(xy))
            w = 1.0 / (1.0 + dist / 500.0) ** 2
            return fitting[int(rng.choice(len(fitting), p=w / w.sum()))]
    return None


def _needs(street: _Street, tile: int, units: list[Row], rng: np.random.Generator) -> None:
    soc = street.soc
    places = _need_places(soc, street.lay, street.index, tile)
    offered = {model.CoopKind(r["kind"]) for u in units for r in u["resources"]}
    servable = sorted(k for k in model.CoopKind if ({k} | model.RELATED_KINDS[k]) & offered)
    per_community = [int(rng.integers(8, 13)) for _ in range(4)]
    fates = _fates(rng, sum(per_community), _NEED_FATES)
    for k, n_needs in enumerate(per_community):
        cid = soc.community_ids[4 * tile + k]
        mine = places.get(cid, [])
        community_area = shapely.union_all([p for _, p in mine]) if mine else None
        for n in range(1, n_needs + 1):
            fate = fates.pop()
            if fate == "open" or not servable:
                kind = model.CoopKind(rng.choice(list(model.CoopKind)))
            else:
                kind = servable[int(rng.integers(0, len(servable)))]
            comp, poly = mine[int(rng.integers(0, len(mine)))] if mine else (None, None)
            if comp is not None and rng.random() < 0.3:
                comp, poly = None, community_area
            pair = _choose_unit(rng, units, kind, poly) if poly is not None else None
            if pair is None:
                fate = "open"
            _need_story(
                soc,
                rng,
                street.as_of,
                street.events,
                need_id=f"N-{cid}-{n:03d}",
                project_id=f"P-{cid}-{n:03d}",
                community_id=cid,
                compound=comp,
                kind=kind,
                fate=fate,
                unit=pair,
            )


def _need_story(
    soc: Society,
    rng: np.random.Generator,
    as_of: dt.date,
    events: _History,
    *,
    need_id: str,
    project_id: str,
    community_id: str,
    compound: Row | None,
    kind: model.CoopKind,
    fate: str,
    unit: tuple[Row, Row] | None,
) -> None:
    """Write one need (and its project) as the steps that bring it to `fate` by `as_of`."""
    title, desc = _COOP_TITLES[kind]
    place = compound["name"] if compound else soc.community_names[community_id]
    staff = soc.staff[community_id][:2]
    # the steps, as (days after filing, what) ...
    steps: list[tuple[int, str]] = [(0, "file")]
    t = 0
    if fate == "withdrawn":
        steps.append((t := t + int(rng.integers(15, 90)), "withdraw"))
    elif fate != "open":
        steps.append((t := t + int(rng.integers(3, 30)), "pair"))
        reach = {"paired": 0, "claimed": 1, "reopened": int(rng.integers(0, 3))}.get(fate, 2)
        if reach >= 1:
            steps.append((t := t + int(rng.integers(1, 7)), "claim"))
        if reach >= 2:
            steps.append((t := t + int(rng.integers(2, 11)), "start"))
            if fate != "reopened":
                for _ in range(int(rng.integers(0, 3))):
                    steps.append((t := t + int(rng.integers(7, 31)), "note"))
        if fate == "reopened":
            steps.append((t := t + int(rng.integers(5, 41)), "cancel"))
        if fate in ("completed", "rated", "unsatisfied"):
            steps.append((t := t + int(rng.integers(10, 46)), "complete"))
        if fate in ("rated", "unsatisfied"):
            steps.append((t := t + int(rng.integers(2, 15)), "rate"))
    # ... dated back from as_of so that the story ends `dwell` days before it
    if fate == "open":
        dwell = int(rng.integers(1, 45)) if rng.random() < 0.7 else int(rng.integers(45, 200))
    else:
        low, high = _DWELL[fate]
        dwell = int(rng.integers(low, high + 1))
    filed_day = as_of - dt.timedelta(days=dwell + t)
    when = {what: _stamp(rng, filed_day + dt.timedelta(days=d)) for d, what in steps}
    need: Row = {
        "need_id": need_id,
        "community_id": community_id,
        "compound_id": compound["compound_id"] if compound else None,
        "kind": kind.value,
        "title": f"{place}{title}需求",
        "description": desc,
        "status": model.NeedStatus.OPEN.value,
        "filed_at": when["file"],
        "filed_by": staff[0],
        "closed_at": None,
    }
    soc.add("community_need", need)

    def actor() -> str:
        return staff[int(rng.integers(0, len(staff)))]

    N, P = model.CoEntity.NEED, model.CoEntity.PROJECT  # noqa: N806
    events.add(
        N, need_id, model.CoAction.FILE, when["file"], staff[0], None, model.NeedStatus.OPEN.value
    )
    if "withdraw" in when:
        at = when["withdraw"]
        note = _WITHDRAW_NOTES[int(rng.integers(0, len(_WITHDRAW_NOTES)))]
        events.add(N, need_id, model.CoAction.CANCEL, at, actor(), "open", "cancelled", note)
        need.update(status=model.NeedStatus.CANCELLED.value, closed_at=at)
    if unit is None or "pair" not in when:
        return
    u, res = unit
    who = actor()
    project: Row = {
        "project_id": project_id,
        "need_id": need_id,
        "unit_id": u["unit_id"],
        "resource_id": res["resource_id"],
        "title": f"{place}{title}",
        "status": model.ProjectStatus.PAIRED.value,
        "paired_at": when["pair"],
        "paired_by": who,
    }
    soc.add("co_project", project)
    note = f"联席会议对接：{u['name']}"
    events.add(N, need_id, model.CoAction.PAIR, when["pair"], who, "open", "matched", note)
    events.add(P, project_id, model.CoAction.PAIR, when["pair"], who, None, "paired", note)
    need["status"] = model.NeedStatus.MATCHED.value
    status = model.ProjectStatus.PAIRED.value
    for _, what in steps[2:]:
        if what == "claim":
            events.add(P, project_id, model.CoAction.CLAIM, when[what], actor(), status, "claimed")
            status = "claimed"
            project["claimed_at"] = when[what]
        elif what == "start":
            events.add(
                P, project_id, model.CoAction.PROGRESS, when[what], actor(), status, "in_progress"
            )
            status = "in_progress"
            project["started_at"] = when[what]
        elif what == "cancel":
            at = when[what]
            reason = _CANCEL_NOTES[int(rng.integers(0, len(_CANCEL_NOTES)))]
            who = actor()
            events.add(P, project_id, model.CoAction.CANCEL, at, who, status, "cancelled", reason)
            events.add(N, need_id, model.CoAction.REOPEN, at, who, "matched", "open", reason)
            status = "cancelled"
            project["cancelled_at"] = at
            need["status"] = model.NeedStatus.OPEN.value
        elif what == "complete":
            at, who = when[what], actor()
            events.add(P, project_id, model.CoAction.COMPLETE, at, who, status, "completed")
            events.add(N, need_id, model.CoAction.COMPLETE, at, who, "matched", "done")
            status = "completed"
            project["completed_at"] = at
            need.update(status=model.NeedStatus.DONE.value, closed_at=at)
        elif what == "rate":
            at, who = when[what], actor()
            rating = (
                model.CallbackRating.UNSATISFIED
                if fate == "unsatisfied"
                else model.CallbackRating.SATISFIED
                if rng.random() < 0.78
                else model.CallbackRating.BASICALLY_SATISFIED
            )
            events.add(P, project_id, model.CoAction.RATE, at, who, status, "rated", rating.value)
            status = "rated"
            project.update(rated_at=at, satisfaction=rating.value)
            if rating == model.CallbackRating.UNSATISFIED:
                events.add(N, need_id, model.CoAction.REOPEN, at, who, "done", "open", rating.value)
                need.update(status=model.NeedStatus.OPEN.value, closed_at=None)
    # progress notes fall between the start and the next step: date them in order
    notes = [d for d, what in steps if what == "note"]
    for d in notes:
        at = _stamp(rng, filed_day + dt.timedelta(days=d))
        text = _PROGRESS_NOTES[int(rng.integers(0, len(_PROGRESS_NOTES)))]
        events.add(
            P, project_id, model.CoAction.PROGRESS, at, actor(), "in_progress", "in_progress", text
        )
    project["status"] = status


# -- micro-wishes -----------------------------------------------------------------------------
def _claimers(soc: Society, index: _Index, community_id: str, units: list[Row]) -> list[str]:
    members = index.members.get(community_id, [])
    local_units = [f"{u['name']}党支部" for u in units if u["community_id"] == community_id]
    return members + local_units + soc.staff[community_id][2:]


def _wishes(street: _Street, tile: int, units: list[Row], rng: np.random.Generator) -> None:
    soc, index, as_of, events = street.soc, street.index, street.as_of, street.events
    per_community = [int(rng.integers(18, 31)) for _ in range(4)]
    fates = _fates(rng, sum(per_community), _WISH_FATES)
    for k, n_wishes in enumerate(per_community):
        cid = soc.community_ids[4 * tile + k]
        comps = index.compounds.get(cid, [])
        claimers = _claimers(soc, index, cid, units)
        staff = soc.staff[cid][:2]
        for n in range(1, n_wishes + 1):
            fate: model.WishStatus = fates.pop()
            comp = comps[int(rng.integers(0, len(comps)))]
            blds = index.buildings[comp["compound_id"]]
            building = blds[int(rng.integers(0, len(blds)))]
            title, desc = _WISH_TITLES[int(rng.integers(0, len(_WISH_TITLES)))]
            claim_gap, done_gap = int(rng.integers(1, 13)), int(rng.integers(2, 26))
            span = {
                model.WishStatus.POSTED: 0,
                model.WishStatus.CLAIMED: claim_gap,
                model.WishStatus.COMPLETED: claim_gap + done_gap,
                model.WishStatus.CANCELLED: int(rng.integers(10, 41)),
            }[fate]
            dwell = {
                model.WishStatus.POSTED: (0, 25),
                model.WishStatus.CLAIMED: (0, 18),
                model.WishStatus.COMPLETED: (0, 330 - span),
                model.WishStatus.CANCELLED: (1, 300),
            }[fate]
            posted_day = as_of - dt.timedelta(days=span + int(rng.integers(*dwell)))
            wid = f"W-{cid}-{n:03d}"
            poster = person_names(rng, 1)[0]
            entered_by = staff[int(rng.integers(0, 2))]
            row: Row = {
                "wish_id": wid,
                "community_id": cid,
                "compound_id": comp["compound_id"],
                "building_id": building["building_id"],
                "title": title,
                "description": desc,
                "poster_name": poster,
                "poster_phone": phones(rng, 1)[0],
                "status": fate.value,
                "posted_at": _stamp(rng, posted_day),
                "posted_by": entered_by,
            }
            soc.add("micro_wish", row)
            W = model.CoEntity.WISH  # noqa: N806
            events.add(W, wid, model.CoAction.POST, row["posted_at"], entered_by, None, "posted")
            claimed = fate in (model.WishStatus.CLAIMED, model.WishStatus.COMPLETED)
            if claimed or (fate == model.WishStatus.CANCELLED and rng.random() < 0.4):
                at = _stamp(rng, posted_day + dt.timedelta(days=claim_gap))
                if fate == model.WishStatus.CANCELLED:
                    at = _stamp(rng, posted_day + dt.timedelta(days=min(claim_gap, span - 1)))
                who = claimers[int(rng.integers(0, len(claimers)))]
                row.update(claimed_by=who, claimed_at=at)
                events.add(W, wid, model.CoAction.CLAIM, at, entered_by, "posted", "claimed", who)
            if fate == model.WishStatus.COMPLETED:
                at = _stamp(rng, posted_day + dt.timedelta(days=span))
                row["completed_at"] = at
                events.add(W, wid, model.CoAction.COMPLETE, at, entered_by, "claimed", "completed")
            if fate == model.WishStatus.CANCELLED:
                at = _stamp(rng, posted_day + dt.timedelta(days=span))
                frm = "claimed" if row.get("claimed_at") else "posted"
                row["cancelled_at"] = at
                events.add(
                    W,
                    wid,
                    model.CoAction.CANCEL,
                    at,
                    entered_by,
                    frm,
                    "cancelled",
                    "心愿已由家人解决",
                )


# -- volunteer service --------------------------------------------------------------------------
def _day_weights(days: list[dt.date]) -> np.ndarray:
    w = np.array([_MONTH_WEIGHT[d.month - 1] * (1.5 if d.weekday() >= 5 else 1.0) for d in days])
    return w / w.sum()


def _volunteering(street: _Street, tile: int, units: list[Row], rng: np.random.Generator) -> None:
    soc, index, as_of = street.soc, street.index, street.as_of
    days = [as_of - dt.timedelta(days=k) for k in range(364, -1, -1)]
    p_day = _day_weights(days)
    kinds = list(_VOLUNTEER)
    p_kind = np.array([_VOLUNTEER[k][0] for k in kinds])
    p_kind /= p_kind.sum()
    for k in range(4):
        cid = soc.community_ids[4 * tile + k]
        cname = soc.community_names[cid]
        comps = index.compounds.get(cid, [])
        near = [u for u in units if u["community_id"] == cid] or units
        staff = soc.staff[cid][:2]
        n_events = int(rng.integers(45, 66))
        chosen = sorted(int(d) for d in rng.choice(len(days), size=n_events, p=p_day))
        for n, d in enumerate(chosen, start=1):
            kind = kinds[int(rng.choice(len(kinds), p=p_kind))]
            _, mean, h_low, h_high, title = _VOLUNTEER[kind]
            comp = comps[int(rng.integers(0, len(comps)))] if rng.random() < 0.8 else None
            place = comp["name"] if comp else cname
            unit = near[int(rng.integers(0, len(near)))] if rng.random() < 0.25 else None
            if unit is not None:
                organiser = f"{unit['name']}志愿服务队"
            elif comp is not None and rng.random() < 0.5:
                organiser = f"{comp['name']}志愿服务队"
            else:
                organiser = f"{cname}志愿服务队"
            held = days[d]
            late = min(int(rng.integers(0, 3)), (as_of - held).days)
            recorder = staff[int(rng.integers(0, 2))]
            recorded_at = _stamp(rng, held + dt.timedelta(days=late))
            vid = f"V-{cid}-{n:04d}"
            soc.add(
                "volunteer_event",
                {
                    "volunteer_event_id": vid,
                    "community_id": cid,
                    "compound_id": comp["compound_id"] if comp else None,
                    "held_on": held.isoformat(),
                    "title": f"{place}{title}",
                    "kind": kind.value,
                    "participants": max(3, int(rng.poisson(mean))),
                    "hours": math.floor(rng.uniform(h_low, h_high) * 2) / 2,
                    "organiser": organiser,
                    "unit_id": unit["unit_id"] if unit else None,
                    "recorded_by": recorder,
                    "recorded_at": recorded_at,
                },
            )
            street.events.add(
                model.CoEntity.VOLUNTEER, vid, model.CoAction.LOG, recorded_at, recorder, None, None
            )
