"""The demo's help requests (十分钟办事圈): small help asked for with the 连心卡.

About one help request for every ten issues of the ledger (8-12%), spread over the same 24
months up to 18:00 on the as-of date, in the four help categories
(:data:`mapgov.core.model.HELP_CATEGORIES`). Each one is answered fast: the first action (the
assignment to the compound's responder) comes after a median of about seven minutes, about
four in five within ten, and one in twenty slow (half an hour to an hour and a half: a busy
evening). Work starts a few minutes later, the matter is resolved within a couple of hours,
called back during office hours of the next day and closed; one callback in ten is only
basically satisfied. Every request stays at compound level (小事不出小区). Steps after the
demo's "now" are dropped, as in :mod:`mapgov.demo.ledger`, so the last few requests are still
open.

Sources are those of a desk (building heads, visits, grid workers, the hotline): a card holder
phones or calls in, nobody scans a QR code. Ids continue the ledger's (the caller gives the
first); issues and events have the columns :func:`mapgov.demo.ledger.generate_ledger` returns.
"""

from __future__ import annotations

import datetime as dt
from typing import Final

import numpy as np
import pandas as pd

from mapgov.core import model
from mapgov.demo.ledger import DAYS, NOW_HOUR, SLOTS
from mapgov.demo.names import person_names, phones

__all__ = ["HELP_SHARE", "generate_help"]

HELP_SHARE: Final = (0.08, 0.12)
"""Help requests per issue of the street's ledger (drawn uniformly in this range)."""

_PHRASES: Final = {
    model.IssueCategory.HELP_UTILITY: (
        "停水了请帮忙看看",
        "家里突然停电",
        "水龙头关不住",
        "楼道电闸跳闸",
        "暖气片漏水",
    ),
    model.IssueCategory.HELP_ACCESS: (
        "楼道被电动车堵住",
        "单元门口被车辆堵住",
        "消防通道被占无法通行",
        "门禁失灵进不了单元门",
    ),
    model.IssueCategory.HELP_LOST_FOUND: (
        "捡到钥匙一串",
        "捡到钱包一个",
        "丢失电动车钥匙",
        "孩子书包落在小区广场",
    ),
    model.IssueCategory.HELP_ELDERLY: (
        "独居老人需要帮忙买药",
        "老人家中灯泡需要更换",
        "帮老人缴纳水电费",
        "老人腿脚不便需要帮忙取快递",
    ),
}
_CATS: Final = tuple(_PHRASES)
_CAT_P: Final = np.array([0.38, 0.22, 0.15, 0.25])  # of _CATS, in order
_RESOLVED: Final = {
    model.IssueCategory.HELP_UTILITY: "已上门维修，恢复正常",
    model.IssueCategory.HELP_ACCESS: "已联系车主挪车，通道畅通",
    model.IssueCategory.HELP_LOST_FOUND: "已联系失主认领",
    model.IssueCategory.HELP_ELDERLY: "已上门帮办完毕",
}
_DESCRIPTIONS: Final = (
    "居民拨打连心卡电话求助：{p}。",
    "{p}，请尽快来人帮忙。",
    "楼栋长代居民求助：{p}。",
)
_SOURCES: Final = (
    model.IssueSource.BUILDING_HEAD,
    model.IssueSource.WALK_IN,
    model.IssueSource.GRID_WORKER,
    model.IssueSource.HOTLINE_12345,
)
_SOURCE_P: Final = np.array([0.4, 0.35, 0.15, 0.1])
# slot: action, from_status, to_status; the ledger's path without escalation or reopening
_SLOTS: Final = (*SLOTS[:3], *SLOTS[-3:])
_NONE = np.array(None, dtype=object)


def _minutes(rng: np.random.Generator, n: int) -> np.ndarray:
    """(n, 6) minutes after the start of the window of each slot's time."""
    day = rng.integers(0, DAYS, n)
    report = day * 1440.0 + rng.uniform(7 * 60, 21.5 * 60, n)
    slow = rng.random(n) < 0.05
    respond = np.where(slow, rng.uniform(30, 90, n), rng.lognormal(np.log(7), 0.33, n))
    assign = report + np.maximum(respond, 1.0)
    start = assign + rng.lognormal(np.log(6), 0.5, n)
    resolve = start + rng.lognormal(np.log(80), 0.7, n)
    # called back during office hours of the next day, closed within a few hours
    callback = (np.floor(resolve / 1440) + 1) * 1440 + rng.uniform(9 * 60, 17 * 60, n)
    close = callback + rng.uniform(10, 240, n)
    return np.stack([report, assign, start, resolve, callback, close], axis=1)


def generate_help(
    rng: np.random.Generator,
    as_of: dt.date,
    buildings: pd.DataFrame,
    compounds: pd.DataFrame,
    first_issue_id: int,
    ledger_size: int,
) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """Help requests and their events for one street.

    Parameters
    ----------
    rng
        The street's generator for help requests (not the ledger's: the ledger stays the same).
    as_of
        The demo's date; requests span the 24 months up to 18:00 on it.
    buildings
        As for :func:`mapgov.demo.ledger.generate_ledger`.
    compounds
        As for :func:`mapgov.demo.ledger.generate_ledger`.
    first_issue_id
        Id of the first request (after the ledger's last issue).
    ledger_size
        The street's number of ledger issues; 8-12% as many requests are drawn.

    Returns
    -------
    (issues, events)
        The issue frame, and the event columns as arrays (without ``event_id``), ordered by
        report time then slot.
    """
    n = max(1, round(ledger_size * rng.uniform(*HELP_SHARE)))
    w = buildings["residents"].to_numpy(dtype=float)
    b = rng.choice(len(buildings), size=n, p=w / w.sum())
    comp = buildings["compound_pos"].to_numpy()[b]
    cat = rng.choice(len(_CATS), size=n, p=_CAT_P)
    times = _minutes(rng, n)
    now = (DAYS - 1) * 1440.0 + NOW_HOUR * 60
    keep_issue = times[:, 0] < now
    times, b, comp, cat = times[keep_issue], b[keep_issue], comp[keep_issue], cat[keep_issue]
    order = np.argsort(times[:, 0], kind="stable")
    times, b, comp, cat = times[order], b[order], comp[order], cat[order]
    n = len(times)
    kept = times < now
    last = kept.sum(axis=1) - 1
    base = np.datetime64(as_of - dt.timedelta(days=DAYS - 1), "s")

    def stamp(minutes: np.ndarray) -> np.ndarray:
        return np.datetime_as_string(base + (minutes * 60).astype("timedelta64[s]"), unit="s")

    cats = [_CATS[k] for k in cat]
    picks = rng.integers(0, 99, n)
    phrase = [_PHRASES[c][k % len(_PHRASES[c])] for c, k in zip(cats, picks, strict=True)]
    bname = buildings["name"].to_numpy()[b]
    cname = compounds["name"].to_numpy()[comp]
    desc = rng.integers(0, len(_DESCRIPTIONS), n)
    source = np.array([s.value for s in _SOURCES])[rng.choice(len(_SOURCES), n, p=_SOURCE_P)]
    heads = buildings["building_head"].to_numpy()[b]
    use_head = (source == model.IssueSource.BUILDING_HEAD.value) & pd.notna(heads)
    use_worker = source == model.IssueSource.GRID_WORKER.value
    resident = np.array(person_names(rng, n), dtype=object)
    reporter = np.where(
        use_head, heads, np.where(use_worker, compounds["grid_worker"].to_numpy()[comp], resident)
    )
    phone = np.where(
        use_head,
        buildings["building_head_phone"].to_numpy()[b],
        np.where(use_worker, _NONE, np.array(phones(rng, n), dtype=object)),
    )
    company = compounds["company"].to_numpy()[comp]
    unit = np.array(
        [
            c if isinstance(c, str) and c else f"{nm}党支部"
            for c, nm in zip(company, cname, strict=True)
        ],
        dtype=object,
    )
    status = np.array([s[2].value for s in _SLOTS])[last]
    basic = rng.random(n) < 0.1
    rating = np.where(
        basic,
        model.CallbackRating.BASICALLY_SATISFIED.value,
        model.CallbackRating.SATISFIED.value,
    )
    deadline = np.datetime_as_string(
        base + (times[:, 0] * 60).astype("timedelta64[s]") + np.timedelta64(1, "D"), unit="D"
    )
    ids = first_issue_id + np.arange(n)
    lon = buildings["lon"].to_numpy()[b] + rng.normal(0, 0.00004, n)
    lat = buildings["lat"].to_numpy()[b] + rng.normal(0, 0.00004, n)
    issues = pd.DataFrame(
        {
            "issue_id": ids,
            "compound_id": compounds["compound_id"].to_numpy()[comp],
            "building_id": buildings["building_id"].to_numpy()[b],
            "category": [c.value for c in cats],
            "source": source,
            "level": model.Level.COMPOUND.value,
            "status": status,
            "title": [f"{c}{bn}{p}" for c, bn, p in zip(cname, bname, phrase, strict=True)],
            "description": [
                _DESCRIPTIONS[k].format(p=p) for k, p in zip(desc, phrase, strict=True)
            ],
            "reporter_name": reporter,
            "reporter_phone": phone,
            "responsible_unit": np.where(last >= 1, unit, _NONE),
            "deadline": np.where(last >= 1, deadline, _NONE),
            "reported_at": stamp(times[:, 0]),
            "assigned_at": np.where(last >= 1, stamp(times[:, 1]), _NONE),
            "resolved_at": np.where(last >= 3, stamp(times[:, 3]), _NONE),
            "closed_at": np.where(last >= 5, stamp(times[:, 5]), _NONE),
            "satisfaction": np.where(last >= 4, rating, _NONE),
            "reopen_count": 0,
            "version": last + 1,
            "lon": np.round(lon, 7),
            "lat": np.round(lat, 7),
        }
    )
    rows, slots = np.nonzero(kept)
    staff = compounds["staff"].to_numpy()[comp][rows]
    pick = rng.integers(0, 4, len(rows))
    staff_actor = np.array([s[k % len(s)] for s, k in zip(staff, pick, strict=True)], dtype=object)
    actor = np.select(
        [slots == 0, np.isin(slots, [2, 3])], [reporter[rows], unit[rows]], staff_actor
    )
    notes = np.full(len(rows), None, dtype=object)
    for k, (i, s) in enumerate(zip(rows.tolist(), slots.tolist(), strict=True)):
        if s == 1:
            notes[k] = f"连心卡求助，分派至{unit[i]}，十分钟内响应"
        elif s == 3:
            notes[k] = _RESOLVED[cats[i]]
        elif s == 4:
            notes[k] = "回访：" + ("基本满意" if basic[i] else "满意")
        elif s == 5:
            notes[k] = "回访完成，销号"
    events = {
        "issue_id": ids[rows],
        "at": stamp(times[rows, slots]),
        "actor": actor,
        "action": np.array([s[0].value for s in _SLOTS])[slots],
        "from_status": np.array([s[1].value if s[1] else None for s in _SLOTS], dtype=object)[
            slots
        ],
        "to_status": np.array([s[2].value for s in _SLOTS])[slots],
        "from_level": np.full(len(rows), None, dtype=object),
        "to_level": np.where(slots == 1, model.Level.COMPOUND.value, _NONE),
        "note": notes,
    }
    return issues, events
