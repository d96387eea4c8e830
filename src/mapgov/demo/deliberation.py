"""The four-step deliberation in the demo street (四步法民主议事协商).

Linfen's Sanyuan community reports twenty compound branches solving more than 200 matters in a
few years. Each demo street holds 40-80 matters over the 24 months up to `as_of`, on
compounds with a party branch (most) or their community's committee: most settled, some at
each step, a few withdrawn, a few rated unsatisfied and deliberated a second time, and some
answers overdue. Each matter's history is a row per step in ``deliberation_event`` and its
``version`` counts them, as if it had been worked through :mod:`mapgov.domain.deliberation`;
its rounds carry the three parties' positions and minutes in Chinese, its attendees are the
party members of the compound's branch and groups (else of its community), and about a third
link issues of the same compound reported before the question. Nothing is dated after
`as_of`. Draws come from a generator seeded by (seed, stream, tile).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
import pandas as pd

from mapgov.core.model import CallbackRating, MatterAction, MatterStatus

__all__ = ["build_deliberation"]

Row = dict[str, Any]


@dataclass(frozen=True)
class _Topic:
    """A matter as the branch sets it, with the three parties' positions and the answer."""

    title: str
    question: str
    branch: str
    committee: str
    residents: str
    decision: str
    unit: str  # "property" (the compound's company or committee) or a department
    answer: str
    categories: tuple[str, ...]  # the issue categories it may settle


_TOPICS: Final = (
    _Topic(
        "老楼加装电梯费用分摊",
        "单元加装电梯，各楼层住户出资比例如何确定？",
        "支持加装，党员带头签字，按楼层梯度分摊",
        "同意协助报批，维保费用纳入物业服务",
        "一、二楼住户担心采光和噪音，希望给予补偿",
        "按楼层系数分摊，一楼不出资，二楼象征性出资；由业委会牵头报批",
        "区住建局",
        "已受理加装电梯申请，补贴资金按每台20万元拨付，施工前组织公示",
        ("elevator",),
    ),
    _Topic(
        "小区停车位划线和收费",
        "车位不足、乱停乱放，是否统一划线并收取停车费？",
        "先摸底车辆数，优先保障消防通道",
        "可以划线管理，收费用于道路维修",
        "希望收费标准公开，外来车辆限时停放",
        "统一划线，月租费公示，收入专款专用；消防通道设禁停标识",
        "物业",
        "已完成划线和禁停标识，收费标准在公示栏张贴",
        ("parking", "fire_access"),
    ),
    _Topic(
        "电动车集中充电棚建设",
        "楼道飞线充电隐患大，充电棚建在哪里？",
        "安全第一，党员先把车推出楼道",
        "可以提供场地，需解决电力增容",
        "充电要方便，价格要低",
        "在北门空地建充电棚，扫码充电，楼道禁止停放电动车",
        "街道城管办",
        "充电棚已建成投用，共40个充电口，楼道电动车已清理",
        ("fire_access", "stairwell_clutter"),
    ),
    _Topic(
        "楼道杂物清理",
        "楼道堆放杂物堵塞通道，怎么清理？",
        "党员楼栋长逐户劝导，先清自家",
        "物业配合清运，设置临时堆放点",
        "清理前要提前通知，贵重物品由住户自行处理",
        "限期一周自行清理，逾期由物业统一清运",
        "物业",
        "已清运杂物12车，楼道通行恢复，每月巡查一次",
        ("stairwell_clutter",),
    ),
    _Topic(
        "物业费调整",
        "物业提出上调物业费，居民意见不一，如何议定？",
        "先算清成本账，服务和收费要对等",
        "人工成本上涨，现行标准难以维持",
        "服务不到位不同意涨价，要求先整改",
        "物业公开收支，先整改保洁和安保，三个月后再议调价",
        "物业",
        "已公示年度收支，保洁增加一人，门岗实行24小时值守",
        ("property_service", "security_theft"),
    ),
    _Topic(
        "老化供水管网改造",
        "二次供水管道老化，经常停水漏水，如何改造？",
        "向街道争取老旧小区改造资金",
        "配合施工，协调停水时间",
        "施工期间要保证基本用水",
        "纳入老旧小区改造计划，分楼栋施工，提前三天通知停水",
        "市供水公司",
        "管网改造已完成，水压恢复正常",
        ("water_pipes",),
    ),
    _Topic(
        "小区路灯和楼道灯维修",
        "路灯和楼道灯长期不亮，夜间出行不便",
        "党员志愿者先排查坏灯位置",
        "列入维修计划，购买节能灯",
        "希望尽快修好，老人晚上不敢出门",
        "一周内完成排查，两周内全部更换为声控节能灯",
        "物业",
        "已更换路灯8盏、楼道灯36个",
        ("lighting", "facility_repair"),
    ),
    _Topic(
        "垃圾分类投放点设置",
        "垃圾桶位置离楼太近，夏天气味大",
        "按就近方便、远离窗户的原则选点",
        "增加清运频次",
        "投放点要有洗手池和照明",
        "投放点移至东侧绿化带旁，定时定点投放，每日清运两次",
        "街道环卫所",
        "投放点已迁移并加装洗手池，清运改为每日两次",
        ("sanitation",),
    ),
    _Topic(
        "文明养犬公约",
        "遛狗不拴绳、狗粪不清理，邻里矛盾多",
        "制定养犬公约，党员带头遵守",
        "配合登记犬只，设置宠物便便箱",
        "要求出门拴绳，大型犬限时遛",
        "通过文明养犬公约，设置两个便便箱，违者由业委会约谈",
        "社区居委会",
        "公约已张贴，登记犬只23只，投诉明显减少",
        ("pets", "neighbour_dispute"),
    ),
    _Topic(
        "公摊水电费分摊",
        "公摊电费每月数额不清，居民质疑",
        "请第三方核算，账目公开",
        "提供抄表记录",
        "要求按月公示，分摊方式透明",
        "每月张贴抄表单和分摊明细，半年审计一次",
        "物业",
        "已按月公示，首次审计未发现问题",
        ("shared_utility_fees",),
    ),
    _Topic(
        "违章搭建整治",
        "一楼住户私搭棚子占用公共绿地",
        "党员先拆，做好劝导",
        "协助拆除，恢复绿地",
        "拆除后希望种树建休闲区",
        "限期自行拆除，逾期由街道执法队依法拆除，原址建小游园",
        "街道综合执法队",
        "违建已拆除6处，小游园已建成",
        ("illegal_construction",),
    ),
    _Topic(
        "老年助餐点设置",
        "独居老人吃饭难，能否在小区设助餐点？",
        "利用党群服务站场地",
        "可以提供送餐服务",
        "价格要实惠，能送餐上门",
        "在党群服务站设助餐点，每餐12元，行动不便老人送餐上门",
        "社区居委会",
        "助餐点已开办，日均就餐40人次",
        ("elderly_care",),
    ),
    _Topic(
        "不动产证办理",
        "房改房多年未办不动产证，怎么推动？",
        "梳理历史遗留问题，向街道报告",
        "提供原始资料",
        "希望尽快办证，方便子女入学",
        "由街道牵头协调原产权单位和不动产登记中心，分批办理",
        "区不动产登记中心",
        "首批86户已办结，其余资料补齐后办理",
        ("property_certificate",),
    ),
    _Topic(
        "监控探头安装",
        "小区电动车被盗，要求安装监控",
        "争取平安社区项目资金",
        "负责日常维护",
        "出入口和车棚必须覆盖",
        "出入口、车棚安装监控12个，接入社区平台",
        "派出所",
        "监控已安装调试完毕，本季度未再发生盗窃",
        ("security_theft",),
    ),
)
_MINUTES: Final = (
    "{date}晚在党群服务站召开三方议事会，参会{n}人。支部书记介绍议题，业委会和居民代表"
    "分别发言，经充分讨论形成决议，会后公示。",
    "{date}在小区广场召开议事会，参会{n}人。各方陈述意见，党员代表做了解释说明，表决通过决议。",
    "{date}召开楼院议事会，参会{n}人。会前入户征求意见，会上逐条讨论，形成一致意见。",
)
_SECOND: Final = "第二轮：上次答复居民不满意，{date}再次召开议事会，参会{n}人，重新议定办理方案。"
_RATING_NOTES: Final = {
    CallbackRating.SATISFIED: ("居民满意", "问题解决得好", "办得快"),
    CallbackRating.BASICALLY_SATISFIED: ("基本满意，还需巩固", "解决了大部分问题"),
    CallbackRating.UNSATISFIED: ("落实不到位", "居民认为方案没有执行", "问题反复出现"),
}
_WITHDRAW: Final = ("并入老旧小区改造统一办理", "居民已协商解决", "与其他议题重复")


@dataclass
class _Story:
    """One matter as it is written: its row, rounds, attendees, issues and events."""

    row: Row
    rounds: list[Row] = field(default_factory=list)
    attendees: list[Row] = field(default_factory=list)
    issues: list[Row] = field(default_factory=list)
    events: list[Row] = field(default_factory=list)


def _stamp(rng: np.random.Generator, day: dt.date) -> str:
    minutes = int(rng.integers(8 * 60 + 30, 17 * 60 + 30))
    return f"{day.isoformat()}T{minutes // 60:02d}:{minutes % 60:02d}:00"


def _event(story: _Story, at: str, actor: str, action: MatterAction, to: str, note: str) -> None:
    before = story.events[-1]["to_status"] if story.events else None
    story.events.append(
        {
            "matter_id": story.row["matter_id"],
            "at": at,
            "actor": actor,
            "action": action.value,
            "from_status": before,
            "to_status": to,
            "note": note,
        }
    )


def _members(tables: dict[str, pd.DataFrame]) -> dict[str, list[str]]:
    """The party members of each compound's branch and groups, by compound."""
    b = tables["building"]
    groups = b.dropna(subset=["party_group_id"])
    org_compound = dict(zip(groups["party_group_id"], groups["compound_id"], strict=True))
    comp = tables["compound"].dropna(subset=["branch_id"])
    org_compound.update(zip(comp["branch_id"], comp["compound_id"], strict=True))
    out: dict[str, list[str]] = {}
    for m in tables["party_member"].itertuples(index=False):
        where = org_compound.get(m.org_id)
        if where is not None:
            out.setdefault(str(where), []).append(str(m.member_id))
    return out


def _fate(rng: np.random.Generator, age: int) -> tuple[str, bool, bool]:
    """(how far it goes, a second round, an answer late) for a matter proposed `age` days
    ago: old ones mostly settle."""
    second = rng.random() < 0.12
    late = rng.random() < (0.35 if age < 150 else 0.03)
    if rng.random() < 0.05:
        return "withdrawn", False, False
    return "settled", second, late


def _withdraw(rng: np.random.Generator, story: _Story, actor: str, day: dt.date) -> None:
    when = _stamp(rng, day)
    _event(story, when, actor, MatterAction.WITHDRAW, "withdrawn", str(rng.choice(_WITHDRAW)))
    story.row.update(status="withdrawn", closed_at=when)


def _walk(
    rng: np.random.Generator, story: _Story, ctx: dict[str, Any], topic: _Topic, as_of: dt.date
) -> None:
    """Take the matter through its steps until `as_of` (or ``ctx["stop"]``) stops it."""
    row = story.row
    staff: list[str] = ctx["staff"]
    stop = ctx.get("stop")
    day = dt.date.fromisoformat(row["proposed_at"][:10])
    fate, second, late = _fate(rng, (as_of - day).days)
    if stop is not None:
        fate, second, late = "settled", False, False
    if stop == "proposed":
        return
    rounds = 2 if second else 1
    for round_no in range(1, rounds + 1):
        held = day + dt.timedelta(days=int(rng.integers(3, 21)))
        if held > as_of:
            return
        if fate == "withdrawn" and rng.random() < 0.5:
            _withdraw(rng, story, staff[0], held)
            return
        _round(rng, story, ctx, topic, held, round_no)
        due = held + dt.timedelta(days=int(rng.integers(15, 31)))
        answered = held + dt.timedelta(
            days=int(rng.integers(60, 150) if late else rng.integers(5, 28))
        )
        row.update(answer_due=due.isoformat())
        if fate == "withdrawn":
            if answered <= as_of:
                _withdraw(rng, story, staff[0], answered)
            return
        if answered > as_of or stop == "decided":
            return
        when = _stamp(rng, answered)
        unit = row["answer_unit"]
        reply = f"{unit}答复：{topic.answer}"
        _event(story, when, staff[-1], MatterAction.ANSWER, "answered", reply)
        row.update(status="answered", answer=reply, answered_at=when)
        rated = answered + dt.timedelta(days=int(rng.integers(2, 15)))
        if rated > as_of or stop == "answered":
            return
        last = round_no == rounds
        rating = (
            (CallbackRating.SATISFIED if rng.random() < 0.7 else CallbackRating.BASICALLY_SATISFIED)
            if last
            else CallbackRating.UNSATISFIED
        )
        when = _stamp(rng, rated)
        note = f"{rating.value}: {rng.choice(_RATING_NOTES[rating])}"
        to = "settled" if last else "proposed"
        _event(story, when, staff[0], MatterAction.RATE, to, note)
        row.update(status=to, rating=rating.value, rated_at=when)
        if last:
            row["closed_at"] = when
            return
        row.update(round_no=round_no + 1, decision=None, decided_at=None, answer_unit=None)
        row.update(answer_due=None, answer=None, answered_at=None)
        day = rated


def _round(
    rng: np.random.Generator,
    story: _Story,
    ctx: dict[str, Any],
    topic: _Topic,
    held: dt.date,
    round_no: int,
) -> None:
    row = story.row
    when = _stamp(rng, held)
    n = int(rng.integers(9, 36))
    pool: list[str] = ctx["members"]
    chosen = (
        sorted(rng.choice(pool, size=min(len(pool), int(rng.integers(2, 6))), replace=False))
        if pool
        else []
    )
    date = f"{held.month}月{held.day}日"
    minutes = (
        _SECOND.format(date=date, n=n)
        if round_no > 1
        else str(rng.choice(_MINUTES)).format(date=date, n=n)
    )
    decision = topic.decision if round_no == 1 else f"{topic.decision}；增加每周督办，限期落实"
    story.rounds.append(
        {
            "matter_id": row["matter_id"],
            "round_no": round_no,
            "held_on": held.isoformat(),
            "branch_position": topic.branch,
            "committee_position": topic.committee,
            "residents_position": topic.residents,
            "minutes": minutes,
            "attendance": n,
            "decision": decision,
            "recorded_by": ctx["staff"][0],
            "recorded_at": when,
        }
    )
    story.attendees += [
        {"matter_id": row["matter_id"], "round_no": round_no, "member_id": str(m)} for m in chosen
    ]
    unit = (ctx["company"] or "小区物管会") if topic.unit == "物业" else topic.unit
    _event(story, when, ctx["staff"][0], MatterAction.DELIBERATE, "decided", decision)
    row.update(status="decided", decision=decision, decided_at=when, answer_unit=unit)


def build_deliberation(
    tables: dict[str, pd.DataFrame], *, seed: int, as_of: dt.date
) -> dict[str, list[Row]]:
    """The deliberation tables of the demo, from its places, members, staff and issues.

    Parameters
    ----------
    tables
        The demo's frames so far: compound, grid, building, party_member, property_management,
        app_user and issue are read.
    seed
        Seed of every draw (with the street's number).
    as_of
        The demo's day: nothing is dated after it.

    Returns
    -------
    dict
        Rows of ``deliberation``, ``deliberation_round``, ``deliberation_attendee``,
        ``deliberation_issue`` and ``deliberation_event``, by table.
    """
    comp = tables["compound"].merge(
        tables["grid"][["grid_id", "community_id"]], on="grid_id", how="left"
    )
    comp["street_id"] = comp["community_id"].str.split("-").str[0]
    company = tables["property_management"].set_index("compound_id")["company"]
    users = tables["app_user"]
    staff = users[users["role"] == "staff"].groupby("community_id")["name"].agg(list)
    members = _members(tables)
    community_pool: dict[str, list[str]] = {}
    for cid, group in comp.groupby("community_id"):
        community_pool[str(cid)] = sorted(
            m for c in group["compound_id"] for m in members.get(c, [])
        )
    ledger = tables["issue"][["issue_id", "compound_id", "category", "reported_at"]]
    by_compound: dict[str, list[tuple[int, str, str]]] = {}
    for issue in ledger.itertuples(index=False):
        by_compound.setdefault(str(issue.compound_id), []).append(
            (int(issue.issue_id), str(issue.category), str(issue.reported_at))
        )
    stories: list[_Story] = []
    for tile, (_, street) in enumerate(comp.groupby("street_id", sort=True)):
        rng = np.random.default_rng([seed, 21, tile])
        weights = np.where(street["branch_id"].notna(), 3.0, 1.0)
        n = int(rng.integers(40, 81))
        ages = np.sort(rng.integers(0, 730, size=n))[::-1]
        recent = max(6, n // 6)  # some matters at each step on `as_of`
        ages[-recent:] = rng.integers(0, 40, size=recent)
        counters: dict[str, int] = {}
        # the newest three wait at each step: the question, the answer, the rating
        stops = {n - 3: ("proposed", 5), n - 2: ("decided", 50), n - 1: ("answered", 50)}
        for j, age in enumerate(ages):
            stop, age = stops.get(j, (None, age))
            k = int(rng.choice(len(street), p=weights / weights.sum()))
            c = street.iloc[k]
            cid, community = str(c["compound_id"]), str(c["community_id"])
            topic = _TOPICS[int(rng.integers(0, len(_TOPICS)))]
            counters[cid] = counters.get(cid, 0) + 1
            day = as_of - dt.timedelta(days=int(age))
            who = staff.get(community, ["社区工作人员"])
            ctx = {
                "staff": who,
                "members": members.get(cid) or community_pool.get(community, []),
                "company": company.get(cid) if isinstance(company.get(cid), str) else None,
                "stop": stop,
            }
            at = _stamp(rng, day)
            row = {
                "matter_id": f"D-{cid}-{counters[cid]:03d}",
                "compound_id": cid,
                "title": f"{c['name']}{topic.title}",
                "question": topic.question,
                "status": MatterStatus.PROPOSED.value,
                "round_no": 1,
                "proposed_at": at,
                "proposed_by": who[0],
            }
            story = _Story(row)
            _event(story, at, who[0], MatterAction.PROPOSE, "proposed", row["title"])
            _link(rng, story, by_compound.get(cid, []), topic, day, who[0])
            _walk(rng, story, ctx, topic, as_of)
            row["version"] = len(story.events)
            stories.append(story)
    events = [e for s in stories for e in s.events]
    return {
        "deliberation": [s.row for s in stories],
        "deliberation_round": [r for s in stories for r in s.rounds],
        "deliberation_attendee": [a for s in stories for a in s.attendees],
        "deliberation_issue": [i for s in stories for i in s.issues],
        "deliberation_event": [{"event_id": k, **e} for k, e in enumerate(events, start=1)],
    }


def _link(
    rng: np.random.Generator,
    story: _Story,
    issues: list[tuple[int, str, str]],
    topic: _Topic,
    day: dt.date,
    actor: str,
) -> None:
    """Link an issue or two of the compound (`issues`: its (id, category, reported_at)), of
    the topic's kinds, reported in the 120 days before the question."""
    if rng.random() > 0.4:
        return
    row = story.row
    start = (day - dt.timedelta(days=120)).isoformat()
    mine = [
        i
        for i, category, at in issues
        if category in topic.categories and start <= at < row["proposed_at"]
    ]
    if not mine:
        return
    picked = sorted(rng.choice(np.array(mine), size=min(len(mine), 2), replace=False))
    for issue_id in picked:
        story.issues.append({"matter_id": row["matter_id"], "issue_id": int(issue_id)})
        note = f"#{int(issue_id)}"
        _event(story, row["proposed_at"], actor, MatterAction.LINK_ISSUE, "proposed", note)
