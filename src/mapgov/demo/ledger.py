"""The issue ledger of the demo: about 5,000 issues a street over 24 months, with events.

Each issue gets a full timeline in fixed event slots (report, assign, start, [escalate,
restart], resolve, callback, [reopen, restart, resolve, callback], close); the slots that fall
after the demo's "now" are dropped, so recent issues are still open, and an issue's status,
level, deadline and timestamps are those of its last kept event. Everything is vectorised with
numpy: scale 100 (half a million issues, millions of events) takes seconds.

Realism: more issues in old compounds, in compounds without property management and in
summer; categories follow the season (pipes in winter and summer, sanitation and pets in
summer, lighting in winter) and the building (no elevator issues in walk-ups); most issues are
solved in the compound (小事不出小区), some are escalated, a few are stuck for months
(property certificates), and about one in twelve callbacks is unsatisfied and reopens the issue.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd

from mapgov.core import model
from mapgov.core.clock import DEMO_HOUR

__all__ = ["DAYS", "NOW_HOUR", "SLOTS", "generate_ledger"]

DAYS = 730  # 24 months
NOW_HOUR = DEMO_HOUR  # the demo's "now" is 18:00 on the as-of date, where its clock stays
ISSUES_PER_STREET = 5000

_CATS = [c for c in model.IssueCategory if c not in model.HELP_CATEGORIES]  # help: its own
# base shares, and how much summer (+) or winter (-) changes them
_CAT_BASE = {
    model.IssueCategory.PROPERTY_SERVICE: (12, 0.0),
    model.IssueCategory.SANITATION: (12, 0.45),
    model.IssueCategory.PARKING: (11, -0.1),
    model.IssueCategory.ELEVATOR: (6, 0.2),
    model.IssueCategory.WATER_PIPES: (9, -0.35),
    model.IssueCategory.LIGHTING: (6, -0.5),
    model.IssueCategory.SECURITY_THEFT: (5, 0.2),
    model.IssueCategory.FIRE_ACCESS: (5, -0.15),
    model.IssueCategory.ILLEGAL_CONSTRUCTION: (5, 0.1),
    model.IssueCategory.STAIRWELL_CLUTTER: (7, -0.1),
    model.IssueCategory.PETS: (4, 0.4),
    model.IssueCategory.NEIGHBOUR_DISPUTE: (5, 0.15),
    model.IssueCategory.PROPERTY_CERTIFICATE: (2, 0.0),
    model.IssueCategory.FACILITY_REPAIR: (7, 0.0),
    model.IssueCategory.ELDERLY_CARE: (3, -0.2),
    model.IssueCategory.SHARED_UTILITY_FEES: (3, 0.0),
}
# initial level shares per category: compound, grid, community, street
_LEVEL_P = {
    model.IssueCategory.NEIGHBOUR_DISPUTE: (0.7, 0.2, 0.08, 0.02),
    model.IssueCategory.STAIRWELL_CLUTTER: (0.8, 0.15, 0.05, 0.0),
    model.IssueCategory.PETS: (0.75, 0.2, 0.05, 0.0),
    model.IssueCategory.ILLEGAL_CONSTRUCTION: (0.15, 0.25, 0.35, 0.25),
    model.IssueCategory.PROPERTY_CERTIFICATE: (0.0, 0.05, 0.35, 0.6),
    model.IssueCategory.FIRE_ACCESS: (0.4, 0.35, 0.2, 0.05),
    model.IssueCategory.SHARED_UTILITY_FEES: (0.5, 0.2, 0.25, 0.05),
}
_LEVEL_DEFAULT = (0.58, 0.22, 0.15, 0.05)
_SLA_DAYS = np.array([5, 7, 15, 30])  # deadline after assignment, per level
_NONE = np.array(None, dtype=object)  # SQL NULL in np.where, as a 0-d array numpy's types take
_HANDLE_MEDIAN_DAYS = np.array([1.6, 3.5, 7.0, 16.0])

_SOURCES = list(model.DESK_SOURCES)  # QR codes are scanned live on the phone page
_SOURCE_P = np.array([0.3, 0.28, 0.2, 0.08, 0.06, 0.08])

_PHRASES: dict[model.IssueCategory, tuple[str, ...]] = {
    model.IssueCategory.PROPERTY_SERVICE: ("物业服务不到位", "物业保洁不及时", "物业人员态度差"),
    model.IssueCategory.SANITATION: ("垃圾清运不及时", "垃圾桶满溢异味", "化粪池外溢"),
    model.IssueCategory.PARKING: ("车辆乱停乱放", "电动车充电难", "车位不足占用消防通道"),
    model.IssueCategory.ELEVATOR: ("电梯故障停运", "电梯困人", "电梯年检过期"),
    model.IssueCategory.WATER_PIPES: ("水管漏水", "下水道堵塞", "水压不足", "水管冻裂"),
    model.IssueCategory.LIGHTING: ("楼道灯不亮", "路灯损坏", "单元门口照明不足"),
    model.IssueCategory.SECURITY_THEFT: ("电动车被盗", "单元门禁损坏", "监控探头失灵"),
    model.IssueCategory.FIRE_ACCESS: ("消防通道堵塞", "楼道消防器材缺失", "飞线充电"),
    model.IssueCategory.ILLEGAL_CONSTRUCTION: ("违章搭建", "私搭乱建占用绿地", "违规改造阳台"),
    model.IssueCategory.STAIRWELL_CLUTTER: ("楼道堆放杂物", "楼道小广告", "楼道堆放纸箱"),
    model.IssueCategory.PETS: ("犬只扰民", "宠物粪便未清理", "流浪猫聚集"),
    model.IssueCategory.NEIGHBOUR_DISPUTE: ("邻里噪音纠纷", "楼上漏水邻里纠纷", "公共空间占用纠纷"),
    model.IssueCategory.PROPERTY_CERTIFICATE: ("不动产证多年未办", "房产证办理遇阻"),
    model.IssueCategory.FACILITY_REPAIR: ("健身器材损坏", "单元门损坏", "路面破损", "屋顶漏水"),
    model.IssueCategory.ELDERLY_CARE: ("独居老人需要助餐", "老人就医陪护需求", "适老化改造需求"),
    model.IssueCategory.SHARED_UTILITY_FEES: ("公摊水电费分摊争议", "二次供水电费分摊"),
}
_DESCRIPTIONS = (
    "居民反映{p}，已持续一段时间，希望尽快解决。",
    "{p}，影响居民正常生活，请相关单位处理。",
    "楼栋长收集：{p}，多户居民意见较大。",
    "网格员巡查发现{p}，需协调处理。",
)
_ESCALATE_NOTES = (
    "涉及多个部门，小区层面无法协调",
    "需要专项资金支持",
    "问题复杂，需上级协调",
    "多次协调未果，申请提级办理",
)
_RESOLVE_NOTES = ("已维修完毕", "已协调处理", "已清理完毕", "已调解，双方达成一致", "已落实整改")
_STREET_UNITS: dict[model.IssueCategory, str] = {
    model.IssueCategory.ILLEGAL_CONSTRUCTION: "街道城管执法中队",
    model.IssueCategory.PROPERTY_CERTIFICATE: "区不动产登记中心",
    model.IssueCategory.SECURITY_THEFT: "街道平安建设办",
    model.IssueCategory.FIRE_ACCESS: "街道应急管理办",
    model.IssueCategory.ELDERLY_CARE: "街道社会事务办",
    model.IssueCategory.WATER_PIPES: "市水务集团",
}

SLOTS: tuple[tuple[model.EventAction, model.IssueStatus | None, model.IssueStatus], ...] = (
    (model.EventAction.REPORT, None, model.IssueStatus.REPORTED),
    (model.EventAction.ASSIGN, model.IssueStatus.REPORTED, model.IssueStatus.ASSIGNED),
    (model.EventAction.START, model.IssueStatus.ASSIGNED, model.IssueStatus.IN_PROGRESS),
    (model.EventAction.ESCALATE, model.IssueStatus.IN_PROGRESS, model.IssueStatus.ASSIGNED),
    (model.EventAction.START, model.IssueStatus.ASSIGNED, model.IssueStatus.IN_PROGRESS),
    (model.EventAction.RESOLVE, model.IssueStatus.IN_PROGRESS, model.IssueStatus.RESOLVED),
    (model.EventAction.CALLBACK, model.IssueStatus.RESOLVED, model.IssueStatus.CALLBACK),
    (model.EventAction.REOPEN, model.IssueStatus.CALLBACK, model.IssueStatus.ASSIGNED),
    (model.EventAction.START, model.IssueStatus.ASSIGNED, model.IssueStatus.IN_PROGRESS),
    (model.EventAction.RESOLVE, model.IssueStatus.IN_PROGRESS, model.IssueStatus.RESOLVED),
    (model.EventAction.CALLBACK, model.IssueStatus.RESOLVED, model.IssueStatus.CALLBACK),
    (model.EventAction.CLOSE, model.IssueStatus.CALLBACK, model.IssueStatus.CLOSED),
)
"""An issue's fixed event slots in order (as the module says): action, from status, to status."""
_RATINGS = list(model.CallbackRating)
_RATING_ZH = {
    model.CallbackRating.SATISFIED: "满意",
    model.CallbackRating.BASICALLY_SATISFIED: "基本满意",
    model.CallbackRating.UNSATISFIED: "不满意",
}
_LEVEL_ZH = {
    model.Level.COMPOUND: "小区",
    model.Level.GRID: "网格",
    model.Level.COMMUNITY: "社区",
    model.Level.STREET: "街道",
}


def _day_weights(as_of: dt.date) -> np.ndarray:
    days = np.array([as_of - dt.timedelta(days=DAYS - 1 - d) for d in range(DAYS)])
    month = np.array([d.month for d in days])
    weekday = np.array([d.weekday() for d in days])
    season = 1 + 0.22 * np.cos(2 * np.pi * (month - 7) / 12)
    trend = np.linspace(0.85, 1.15, DAYS)
    week = np.where(weekday >= 5, 0.7, 1.0)
    # Spring Festival lull: fewer reports in early February
    festival = np.where((month == 2) & (np.array([d.day for d in days]) < 12), 0.6, 1.0)
    w = season * trend * week * festival
    return w / w.sum()


def _category_probs(as_of: dt.date) -> np.ndarray:
    """(DAYS, n_categories) category probabilities by day (seasonal)."""
    days = np.array([as_of - dt.timedelta(days=DAYS - 1 - d) for d in range(DAYS)])
    summer = np.cos(2 * np.pi * (np.array([d.month for d in days]) - 7) / 12)
    base = np.array([_CAT_BASE[c][0] for c in _CATS], dtype=float)
    amp = np.array([_CAT_BASE[c][1] for c in _CATS])
    p = base[None, :] * (1 + amp[None, :] * summer[:, None])
    return p / p.sum(axis=1, keepdims=True)


def _pick(rng: np.random.Generator, probs: np.ndarray) -> np.ndarray:
    """One index per row of a (n, k) probability table."""
    u = rng.random(len(probs))[:, None]
    return np.minimum((np.cumsum(probs, axis=1) < u).sum(axis=1), probs.shape[1] - 1)


def generate_ledger(
    rng: np.random.Generator,
    as_of: dt.date,
    buildings: pd.DataFrame,
    compounds: pd.DataFrame,
    first_issue_id: int,
) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """Issues and their events for one street.

    Parameters
    ----------
    rng
        The street's generator.
    as_of
        The demo's date; issues span the 24 months up to 18:00 on it.
    buildings
        One row per building: building_id, compound_pos (row in `compounds`), name,
        residents, floors, building_head, building_head_phone, lon, lat.
    compounds
        One row per compound: compound_id, name, era, mode, company, red, community_name,
        grid_name, grid_worker, staff (list of names), lon, lat, spread (degrees).
    first_issue_id
        Id of the street's first issue.

    Returns
    -------
    (issues, events)
        The issue frame, and the event columns as arrays (without ``event_id``).
    """
    nb = len(buildings)
    n = max(1, round(rng.normal(ISSUES_PER_STREET, 150)))
    era = compounds["era"].to_numpy()
    mode = compounds["mode"].to_numpy()
    comp_factor = np.where(era == "old", 1.45, np.where(era == "mid", 1.05, 0.8)) * np.select(
        [
            mode == model.PropertyMode.NONE.value,
            mode == model.PropertyMode.SELF_MANAGED.value,
            compounds["red"].to_numpy().astype(bool),
        ],
        [1.6, 1.2, 0.8],
        1.0,
    )
    b_comp = buildings["compound_pos"].to_numpy()
    w = buildings["residents"].to_numpy(dtype=float) * comp_factor[b_comp]
    w = w / w.sum()
    on_building = rng.random(n) < 0.88
    b = rng.choice(nb, size=n, p=w)
    comp = b_comp[b]
    # timing of the report
    day = rng.choice(DAYS, size=n, p=_day_weights(as_of))
    hour = rng.uniform(7.5, 20.5, n)
    t_report = day * 24.0 + hour  # hours since the start of the window
    # nothing is reported after the demo's "now" (18:00 on the as-of date)
    before_now = t_report <= (DAYS - 1) * 24.0 + NOW_HOUR
    n = int(before_now.sum())
    t_report, day, b, on_building = (
        t_report[before_now],
        day[before_now],
        b[before_now],
        on_building[before_now],
    )
    comp = b_comp[b]
    cat = _pick(rng, _category_probs(as_of)[day])
    # no elevator issues in buildings without elevators (walk-ups below 8 floors)
    no_lift = (buildings["floors"].to_numpy()[b] < 8) & (
        cat == _CATS.index(model.IssueCategory.ELEVATOR)
    )
    cat[no_lift] = _CATS.index(model.IssueCategory.STAIRWELL_CLUTTER)
    cat_values = np.array([c.value for c in _CATS])[cat]
    level_p = np.array([_LEVEL_P.get(c, _LEVEL_DEFAULT) for c in _CATS])
    lvl0 = _pick(rng, level_p[cat])
    escalate = (rng.random(n) < 0.09) & (lvl0 < 3)
    lvl1 = np.where(escalate, lvl0 + 1, lvl0)
    source = rng.choice(len(_SOURCES), size=n, p=_SOURCE_P)
    # durations (hours)
    t_assign = t_report + rng.lognormal(np.log(6), 0.8, n)
    t_start = t_assign + rng.lognormal(np.log(10), 0.9, n)
    handle = rng.lognormal(np.log(_HANDLE_MEDIAN_DAYS[lvl1] * 24), 0.75, n)
    stuck = rng.random(n) < np.where(
        np.isin(
            cat_values,
            [
                model.IssueCategory.PROPERTY_CERTIFICATE.value,
                model.IssueCategory.ILLEGAL_CONSTRUCTION.value,
            ],
        ),
        0.25,
        0.012,
    )
    handle = np.where(stuck, rng.uniform(60, 400, n) * 24, handle)
    t_escalate = t_start + 0.4 * handle
    t_restart = t_escalate + rng.lognormal(np.log(8), 0.6, n)
    t_resolve = np.where(escalate, t_restart + 0.6 * handle, t_start + handle)
    deadline0 = t_assign + _SLA_DAYS[lvl0] * 24
    deadline1 = np.where(escalate, t_escalate + _SLA_DAYS[lvl1] * 24, deadline0)
    late = t_resolve > deadline1
    t_callback = t_resolve + rng.lognormal(np.log(30), 0.6, n)
    p_unsat = np.where(late, 0.18, 0.06) * np.where(comp_factor[comp] > 1.3, 1.3, 1.0)
    u = rng.random(n)
    rating1 = np.where(u < p_unsat, 2, np.where(u < p_unsat + 0.14, 1, 0))
    reopen = rating1 == 2
    t_reopen = t_callback + rng.uniform(0.1, 2, n)
    t_restart2 = t_reopen + rng.lognormal(np.log(12), 0.6, n)
    t_resolve2 = t_restart2 + 0.6 * rng.lognormal(np.log(_HANDLE_MEDIAN_DAYS[lvl1] * 24), 0.7, n)
    t_callback2 = t_resolve2 + rng.lognormal(np.log(30), 0.6, n)
    rating2 = np.where(rng.random(n) < 0.78, 0, 1)
    deadline2 = t_reopen + _SLA_DAYS[lvl1] * 24
    t_close = np.where(reopen, t_callback2, t_callback) + rng.uniform(2, 48, n)

    times = np.stack(
        [
            t_report,
            t_assign,
            t_start,
            t_escalate,
            t_restart,
            t_resolve,
            t_callback,
            t_reopen,
            t_restart2,
            t_resolve2,
            t_callback2,
            t_close,
        ],
        axis=1,
    )
    valid = np.ones_like(times, dtype=bool)
    valid[:, 3] = valid[:, 4] = escalate
    valid[:, 7:11] = reopen[:, None]
    now = (DAYS - 1) * 24.0 + NOW_HOUR
    kept = valid & (times <= now)
    # a prefix of the valid slots is kept (times increase along valid slots)
    last = np.where(kept, np.arange(times.shape[1])[None, :], -1).max(axis=1)
    status = np.array([s[2].value for s in SLOTS])[last]
    level_now = np.where(escalate & kept[:, 3], lvl1, lvl0)
    deadline_now = np.where(
        reopen & kept[:, 7], deadline2, np.where(escalate & kept[:, 3], deadline1, deadline0)
    )
    resolved_slot = np.where(reopen & kept[:, 9], 9, 5)
    has_resolved = np.isin(
        status,
        [
            model.IssueStatus.RESOLVED.value,
            model.IssueStatus.CALLBACK.value,
            model.IssueStatus.CLOSED.value,
        ],
    )
    cb_slot = np.where(reopen & kept[:, 10], 10, 6)
    has_cb = kept[np.arange(n), cb_slot] | kept[:, 6]
    rating_now = np.where(reopen & kept[:, 10], rating2, rating1)

    base = np.datetime64(as_of - dt.timedelta(days=DAYS - 1), "s")

    def stamp(hours: np.ndarray) -> np.ndarray:
        return np.datetime_as_string(base + (hours * 3600).astype("timedelta64[s]"), unit="s")

    def day_stamp(hours: np.ndarray) -> np.ndarray:
        return np.datetime_as_string(base + (hours * 3600).astype("timedelta64[s]"), unit="D")

    # sort the street's issues by report time, so ids follow time
    order = np.argsort(t_report, kind="stable")
    ids = first_issue_id + np.arange(n)

    bname = buildings["name"].to_numpy()[b]
    cname = compounds["name"].to_numpy()[comp]
    phrases = [_PHRASES[_CATS[c]] for c in cat]
    pick = rng.integers(0, 1 << 30, n)
    phrase = [p[k % len(p)] for p, k in zip(phrases, pick, strict=True)]
    title = [
        f"{cn}{bn if ob else ''}{ph}"
        for cn, bn, ob, ph in zip(cname, bname, on_building, phrase, strict=True)
    ]
    desc_pick = rng.integers(0, len(_DESCRIPTIONS), n)
    description = [_DESCRIPTIONS[k].format(p=p) for k, p in zip(desc_pick, phrase, strict=True)]
    from mapgov.demo.names import person_names, phones

    resident = np.array(person_names(rng, n), dtype=object)
    resident_phone = np.array(phones(rng, n), dtype=object)
    heads = buildings["building_head"].to_numpy()[b]
    head_phones = buildings["building_head_phone"].to_numpy()[b]
    workers = compounds["grid_worker"].to_numpy()[comp]
    src = np.array([s.value for s in _SOURCES])[source]
    use_head = (src == model.IssueSource.BUILDING_HEAD.value) & pd.notna(heads)
    use_worker = src == model.IssueSource.GRID_WORKER.value
    reporter = np.where(use_head, heads, np.where(use_worker, workers, resident))
    reporter_phone = np.where(use_head, head_phones, np.where(use_worker, _NONE, resident_phone))
    unit = _responsible_units(compounds, comp, level_now, cat_values)
    spread = compounds["spread"].to_numpy()[comp]
    lon = np.where(
        on_building,
        buildings["lon"].to_numpy()[b],
        compounds["lon"].to_numpy()[comp] + rng.normal(0, 1, n) * spread,
    )
    lat = np.where(
        on_building,
        buildings["lat"].to_numpy()[b],
        compounds["lat"].to_numpy()[comp] + rng.normal(0, 1, n) * spread,
    )
    lon = lon + rng.normal(0, 0.00004, n)
    lat = lat + rng.normal(0, 0.00004, n)
    level_values = np.array([lv.value for lv in model.LEVEL_ORDER])
    issues = (
        pd.DataFrame(
            {
                "compound_id": compounds["compound_id"].to_numpy()[comp],
                "building_id": np.where(on_building, buildings["building_id"].to_numpy()[b], _NONE),
                "category": cat_values,
                "source": src,
                "level": level_values[level_now],
                "status": status,
                "title": title,
                "description": description,
                "reporter_name": reporter,
                "reporter_phone": reporter_phone,
                "responsible_unit": np.where(last >= 1, unit, _NONE),
                "deadline": np.where(last >= 1, day_stamp(deadline_now), _NONE),
                "reported_at": stamp(t_report),
                "assigned_at": np.where(last >= 1, stamp(t_assign), _NONE),
                "resolved_at": np.where(
                    has_resolved, stamp(times[np.arange(n), resolved_slot]), _NONE
                ),
                "closed_at": np.where(
                    status == model.IssueStatus.CLOSED.value, stamp(t_close), _NONE
                ),
                "satisfaction": np.where(
                    has_cb, np.array([r.value for r in _RATINGS])[rating_now], _NONE
                ),
                "reopen_count": (reopen & kept[:, 7]).astype(int),
                "version": kept.sum(axis=1),
                "lon": np.round(lon, 7),
                "lat": np.round(lat, 7),
            }
        )
        .iloc[order]
        .reset_index(drop=True)
    )
    issues.insert(0, "issue_id", ids)

    # events, in issue order then slot order
    kept_o = kept[order]
    rows, slots = np.nonzero(kept_o)
    src_idx = order[rows]
    staff = compounds["staff"].to_numpy()[comp][src_idx]
    actor_pick = rng.integers(0, 4, len(rows))
    staff_actor = np.array(
        [s[k % len(s)] for s, k in zip(staff, actor_pick, strict=True)], dtype=object
    )
    action = np.array([s[0].value for s in SLOTS])[slots]
    reporter_actor = np.where(
        src[src_idx] == model.IssueSource.HOTLINE_12345.value, "12345热线", reporter[src_idx]
    )
    handler = np.asarray(unit, dtype=object)[src_idx]
    actor = np.select(
        [slots == 0, np.isin(slots, [2, 4, 5, 8, 9])], [reporter_actor, handler], staff_actor
    )
    from_level = np.full(len(rows), None, dtype=object)
    to_level = np.full(len(rows), None, dtype=object)
    is_assign = slots == 1
    to_level[is_assign] = level_values[lvl0[src_idx][is_assign]]
    is_esc = slots == 3
    from_level[is_esc] = level_values[lvl0[src_idx][is_esc]]
    to_level[is_esc] = level_values[lvl1[src_idx][is_esc]]
    notes = _event_notes(
        rng,
        slots,
        src_idx,
        unit,
        deadline0,
        deadline1,
        deadline2,
        rating1,
        rating2,
        lvl1,
        day_stamp,
    )
    events = {
        "issue_id": ids[rows],
        "at": stamp(times[src_idx, slots]),
        "actor": actor,
        "action": action,
        "from_status": np.array([s[1].value if s[1] else None for s in SLOTS], dtype=object)[slots],
        "to_status": np.array([s[2].value for s in SLOTS])[slots],
        "from_level": from_level,
        "to_level": to_level,
        "note": notes,
    }
    return issues, events


def _responsible_units(
    compounds: pd.DataFrame, comp: np.ndarray, level: np.ndarray, cat_values: np.ndarray
) -> list[str]:
    company = compounds["company"].to_numpy()[comp]
    cname = compounds["name"].to_numpy()[comp]
    mode = compounds["mode"].to_numpy()[comp]
    grid = compounds["grid_name"].to_numpy()[comp]
    community = compounds["community_name"].to_numpy()[comp]
    out: list[str] = []
    for k in range(len(comp)):
        lv = level[k]
        if lv == 0:
            if company[k] is not None and company[k] == company[k]:
                out.append(str(company[k]))
            elif mode[k] == model.PropertyMode.SELF_MANAGED.value:
                out.append(f"{cname[k]}物管会")
            elif mode[k] == model.PropertyMode.OWNERS_COMMITTEE.value:
                out.append(f"{cname[k]}业委会")
            else:
                out.append(f"{cname[k]}党支部")
        elif lv == 1:
            out.append(f"{grid[k]}")
        elif lv == 2:
            out.append(f"{community[k]}居委会")
        else:
            out.append(_STREET_UNITS.get(model.IssueCategory(cat_values[k]), "街道综合治理办"))
    return out


def _event_notes(
    rng: np.random.Generator,
    slots: np.ndarray,
    src_idx: np.ndarray,
    unit: list[str],
    deadline0: np.ndarray,
    deadline1: np.ndarray,
    deadline2: np.ndarray,
    rating1: np.ndarray,
    rating2: np.ndarray,
    lvl1: np.ndarray,
    day_stamp: Any,
) -> np.ndarray:
    notes = np.full(len(slots), None, dtype=object)
    d0 = day_stamp(deadline0)
    d1 = day_stamp(deadline1)
    d2 = day_stamp(deadline2)
    esc_pick = rng.integers(0, len(_ESCALATE_NOTES), len(slots))
    res_pick = rng.integers(0, len(_RESOLVE_NOTES), len(slots))
    for k, (s, i) in enumerate(zip(slots.tolist(), src_idx.tolist(), strict=True)):
        if s == 1:
            notes[k] = f"分派至{unit[i]}，限{d0[i]}前办结"
        elif s == 3:
            notes[k] = (
                f"{_ESCALATE_NOTES[esc_pick[k]]}，提级至"
                f"{_LEVEL_ZH[model.LEVEL_ORDER[lvl1[i]]]}，限{d1[i]}前办结"
            )
        elif s in (5, 9):
            notes[k] = _RESOLVE_NOTES[res_pick[k]]
        elif s == 6:
            notes[k] = f"回访：{_RATING_ZH[_RATINGS[rating1[i]]]}"
        elif s == 10:
            notes[k] = f"再次回访：{_RATING_ZH[_RATINGS[rating2[i]]]}"
        elif s == 7:
            notes[k] = f"居民不满意，重新办理，限{d2[i]}前办结"
        elif s == 11:
            notes[k] = "回访完成，销号"
    return notes
