"""Demo party members' service: in-service members registered with their home community
(在职党员到社区报到) and the service tasks they took over the last two years.

Most in-service members (about nine in ten) registered 1-3 years before the demo's day, each
with a believable work unit; each then took a few tasks a year: volunteer events of the
community, co-building projects, issues of the ledger and help-card calls, most of them done,
a few dropped, the newest still open. Every day is on or before `as_of`; the same seed gives the
same rows. Deliberation attendance is not made here: the points read it from the deliberation
tables, whatever fills them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Final

import numpy as np
import pandas as pd

from mapgov.core.model import HELP_CATEGORIES, ServiceKind, ServiceStatus

__all__ = ["WORK_UNITS", "build_members"]

WORK_UNITS: Final = (
    "区教育局",
    "市第一人民医院",
    "工商银行西工支行",
    "区人力资源和社会保障局",
    "市供电公司",
    "区税务局",
    "市第二中学",
    "区市场监督管理局",
    "市自来水公司",
    "区卫生健康委员会",
    "建设银行涧西支行",
    "市中心医院",
    "区住房和城乡建设局",
    "区财政局",
    "市实验小学",
    "中国移动城区分公司",
    "区城市管理局",
    "市公安局西工分局",
)
"""Where in-service members work: district bureaus, hospitals, schools, banks, utilities."""

_KINDS: Final = (
    (ServiceKind.VOLUNTEER, 0.4),
    (ServiceKind.ISSUE, 0.2),
    (ServiceKind.HELP, 0.2),
    (ServiceKind.CO_PROJECT, 0.14),
    (ServiceKind.OTHER, 0.06),
)
_TITLES: Final = {
    ServiceKind.VOLUNTEER: "参加志愿服务：{title}",
    ServiceKind.CO_PROJECT: "参与共建项目：{title}",
    ServiceKind.ISSUE: "协助办理：{title}",
    ServiceKind.HELP: "连心卡帮办：{title}",
    ServiceKind.OTHER: "{title}",
}
_OTHER: Final = ("政策宣讲进楼院", "协助人口普查入户", "文明城市创建劝导", "反诈宣传进小区")


def _community_of_compound(tables: dict[str, pd.DataFrame]) -> dict[str, str]:
    grid = dict(zip(tables["grid"]["grid_id"], tables["grid"]["community_id"], strict=True))
    comp = tables["compound"]
    return {c: grid[g] for c, g in zip(comp["compound_id"], comp["grid_id"], strict=True)}


_Refs = dict[tuple[ServiceKind, str], list[tuple[str, str, str]]]
"""(kind, community) -> (ref, title, day) of what a task of that kind there can refer to."""


def _choices(tables: dict[str, pd.DataFrame], as_of: dt.date) -> _Refs:
    """What tasks can refer to, by community: (ref, title, day) of each candidate."""
    end = as_of.isoformat() + "~"
    of_compound = _community_of_compound(tables)
    found: _Refs = {}

    def add(kind: ServiceKind, community: str, ref: str, title: str, day: str) -> None:
        if day <= end:
            found.setdefault((kind, community), []).append((ref, title, day[:10]))

    for r in tables["volunteer_event"].itertuples(index=False):
        add(ServiceKind.VOLUNTEER, r.community_id, r.volunteer_event_id, r.title, r.held_on)
    needs = tables["community_need"].set_index("need_id")["community_id"]
    for r in tables["co_project"].itertuples(index=False):
        add(ServiceKind.CO_PROJECT, needs[r.need_id], r.project_id, r.title, r.paired_at)
    issues = tables["issue"]
    help_categories = {c.value for c in HELP_CATEGORIES}
    for r in issues[issues["closed_at"].notna()].itertuples(index=False):
        kind = ServiceKind.HELP if r.category in help_categories else ServiceKind.ISSUE
        add(kind, of_compound[r.compound_id], str(r.issue_id), r.title, r.reported_at)
    for (kind, community), issued in list(found.items()):
        # a community with no help requests in its ledger: its issues stand in for them
        if kind is ServiceKind.ISSUE and (ServiceKind.HELP, community) not in found:
            found[ServiceKind.HELP, community] = issued
    return found


def build_members(
    tables: dict[str, pd.DataFrame], seed: int, as_of: dt.date
) -> dict[str, pd.DataFrame]:
    """Registrations and service tasks of the demo street's in-service party members.

    Parameters
    ----------
    tables : dict
        The demo's frames so far: ``party_member``, ``building``, ``compound``, ``grid``,
        ``app_user``, ``volunteer_event``, ``community_need``, ``co_project``, ``issue``.
    seed : int
        Seed of the draws.
    as_of : date
        The demo's day: nothing is dated after it.

    Returns
    -------
    dict
        ``member_registration`` and ``member_service`` frames.
    """
    rng = np.random.default_rng([seed, 21, 3])
    of_compound = _community_of_compound(tables)
    building = dict(
        zip(tables["building"]["building_id"], tables["building"]["compound_id"], strict=True)
    )
    users = tables["app_user"]
    staff = users[users["role"] == "staff"].groupby("community_id")["name"].first().to_dict()
    choices = _choices(tables, as_of)
    kinds = [k for k, _ in _KINDS]
    weights = np.array([w for _, w in _KINDS])
    regs: list[dict[str, Any]] = []
    tasks: list[dict[str, Any]] = []
    members = tables["party_member"]
    for m in members[members["in_service"] == 1].sort_values("member_id").itertuples(index=False):
        if not isinstance(m.building_id, str) or rng.random() > 0.9:
            continue
        community = of_compound[building[m.building_id]]
        registered = as_of - dt.timedelta(days=int(rng.integers(60, 1100)))
        clerk = staff.get(community, "社区工作人员")
        regs.append(
            {
                "member_id": m.member_id,
                "community_id": community,
                "registered_on": registered.isoformat(),
                "work_unit": WORK_UNITS[int(rng.integers(len(WORK_UNITS)))],
                "recorded_by": clerk,
                "version": 1,
            }
        )
        start = max(registered, as_of - dt.timedelta(days=730))
        for _ in range(int(rng.poisson(3.5 * (as_of - start).days / 365))):
            kind = kinds[int(rng.choice(len(kinds), p=weights))]
            task = _task(rng, kind, choices.get((kind, community), []), start, as_of)
            if task is not None:
                tasks.append({"member_id": m.member_id, "recorded_by": clerk, **task})
    tasks.sort(key=lambda r: (r["taken_on"], r["member_id"]))
    services = pd.DataFrame(tasks)
    if len(services):
        services.insert(0, "service_id", np.arange(1, len(services) + 1))
    services["version"] = 1
    return {"member_registration": pd.DataFrame(regs), "member_service": services}


def _task(
    rng: np.random.Generator,
    kind: ServiceKind,
    candidates: list[tuple[str, str, str]],
    start: dt.date,
    as_of: dt.date,
) -> dict[str, Any] | None:
    """One task of `kind` between `start` and `as_of` (None when nothing fits)."""
    fits = [c for c in candidates if c[2] >= start.isoformat()]
    if kind is ServiceKind.OTHER:
        day = start + dt.timedelta(days=int(rng.integers(0, max((as_of - start).days, 1))))
        ref, title = None, _OTHER[int(rng.integers(len(_OTHER)))]
    elif fits:
        ref, title, when = fits[int(rng.integers(len(fits)))]
        day = dt.date.fromisoformat(when)
    else:
        return None
    taken = max(start, day - dt.timedelta(days=int(rng.integers(0, 4))))
    age = (as_of - taken).days
    draw = rng.random()
    if age < 20 and draw < 0.6:
        status, done = ServiceStatus.TAKEN, None
    elif draw < 0.08:
        status, done = ServiceStatus.DROPPED, None
    else:
        status = ServiceStatus.DONE
        done = min(as_of, max(day, taken) + dt.timedelta(days=int(rng.integers(0, 6)))).isoformat()
    return {
        "kind": kind.value,
        "title": _TITLES[kind].format(title=title)[:120],
        "ref_id": ref,
        "status": status.value,
        "taken_on": taken.isoformat(),
        "done_on": done,
    }
