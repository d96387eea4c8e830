"""Backtest of the compound early warning (小区体检预警) on a demo district.

Usage::

    .venv/bin/python bench/backtest_health.py              # scale 4 (four streets)
    .venv/bin/python bench/backtest_health.py --scale 10
    .venv/bin/python bench/backtest_health.py --db street.sqlite --today 2026-11-30

``--db`` backtests a street's own database as it is (its ledger imported with ``mapgov import
ledger``, say), on the day ``--today`` (default: the database's today); nothing is built.

Three ledgers are judged on the same compounds and buildings: the demo's own; one simulated
here by a separate model that the demo generator knows nothing of (:func:`simulated_ledger`):
each compound's issues are Poisson at a steady rate, except that one compound in five goes
through a bad spell (a regime shift: issues at 2.5 times the rate, and slower handling, for
three to six months) starting in a random month; and the same simulated ledger written as the
spreadsheet a street office keeps (楼栋编号, 问题标题, 问题类型, 办理状态, 上报时间, 办理期限,
办结时间: :func:`ledger_sheet`) and imported with ``mapgov import ledger``, judged on the
imported issues alone (:func:`imported_frames`). The import keeps only what such a sheet
holds: the report, the deadline and the final status with its date, not the steps between.

For each month m of the last year whose next month has ended, the flags raised at the end of m
(:func:`mapgov.domain.health.warning.flags`, with what was known then) are compared with what
happened in month m + 1:

- *rose*: the compound's issues or its late share of issues due rose from m to m + 1 (the
  issue's definition);
- *stayed high*: its issues in m + 1 were above its own mean of the twelve months before m.

Precision is the share of flagged compounds that then rose (or stayed high), recall the share
of those that rose (stayed high) which were flagged. The baseline flags, each month, as many
compounds as the warning did: those with the most issues in m (ties by id). Both are printed as
a Markdown table for ``docs/benchmarks.md``, with the time the computation took (CPU seconds).

The demo generator draws each building's issues from its households, the season and the
category mix; it does not compute the health score, nor raise a compound's issues when its
score is low (src/mapgov/demo/ledger.py). Its ledger has no regime shifts either: what a flag
could catch there is noise, which is what this backtest measures.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import itertools
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from mapgov.core import clock
from mapgov.core.config import DB_ENV
from mapgov.demo import build_demo
from mapgov.domain.health.load import load_health_frames
from mapgov.domain.health.profile import (
    HealthFrames,
    load_profile,
    month_spans,
    monthly_signals,
    score,
)
from mapgov.domain.health.warning import flags
from mapgov.store import open_store

__all__ = ["backtest", "imported_frames", "judge", "ledger_sheet", "main", "simulated_ledger"]

AS_OF = dt.date(2026, 11, 15)
SEED = 42


def backtest(db: Path, today: dt.date) -> tuple[pd.DataFrame, float]:
    """Precision and recall of the flags and of the baseline, month by month and in all.

    Parameters
    ----------
    db : pathlib.Path
        A mapgov database.
    today : datetime.date
        Its today: the months judged end before today's month.

    Returns
    -------
    (pandas.DataFrame, float)
        One row per (outcome, method) with flagged, hits, positives, precision and recall
        summed over the months; the CPU seconds the signals and flags took.
    """
    return judge(load_health_frames(open_store(db)), today)


def simulated_ledger(frames: HealthFrames, today: dt.date, *, seed: int = 7) -> HealthFrames:
    """`frames` with its ledger replaced by one of a separate model with regime shifts.

    Each compound has a steady monthly rate of 1.5 issues per 100 households (times a gamma
    factor of mean 1); one compound in five has a bad spell of 3-6 months, starting in a random
    month of the last 20, in which issues come at 2.5 times the rate and take three times as
    long to resolve (mean 15 days instead of 5 after the assignment, deadline 7 days after the
    report). Each issue has a report, an assignment two hours later and a resolution event.
    """
    rng = np.random.default_rng(seed)
    households = frames.buildings.groupby("compound_id")["households"].sum()
    buildings = frames.buildings.groupby("compound_id")["building_id"].apply(list)
    spans = month_spans(today, 26)
    rows: list[dict[str, object]] = []
    events: list[dict[str, object]] = []
    for cid in frames.compounds["compound_id"]:
        rate = 0.015 * float(households.get(cid, 0)) * rng.gamma(4.0, 0.25)
        bad = rng.random() < 0.2
        start = int(rng.integers(6, 26)) if bad else 99
        length = int(rng.integers(3, 7))
        for i, (_m, first, last) in enumerate(spans):
            spell = start <= i < start + length
            n = rng.poisson(rate * (2.5 if spell else 1.0) * (last.day / 30))
            for _ in range(n):
                day = first + dt.timedelta(days=int(rng.integers(0, last.day)))
                at = dt.datetime.combine(day, dt.time(9)) + dt.timedelta(
                    minutes=int(rng.integers(0, 600))
                )
                # resolved after the assignment (two hours after the report), never before
                done = at + dt.timedelta(hours=2, days=float(rng.exponential(15 if spell else 5)))
                iid = len(rows) + 1
                resolved = done.date() <= today
                rows.append(
                    {
                        "issue_id": iid,
                        "compound_id": cid,
                        "building_id": rng.choice(buildings.get(cid, [None])),
                        "category": str(rng.choice(["parking", "sanitation", "elevator", "pets"])),
                        "status": "resolved" if resolved else "assigned",
                        "deadline": (day + dt.timedelta(days=7)).isoformat(),
                        "reported_at": at.isoformat(timespec="seconds"),
                        "resolved_at": done.isoformat(timespec="seconds") if resolved else None,
                        "closed_at": None,
                    }
                )
                steps = [
                    ("report", at, "reported"),
                    ("assign", at + dt.timedelta(hours=2), "assigned"),
                ]
                if resolved:
                    steps.append(("resolve", done, "resolved"))
                for action, when, to in steps:
                    events.append(
                        {
                            "event_id": len(events) + 1,
                            "issue_id": iid,
                            "action": action,
                            "at": when.isoformat(timespec="seconds"),
                            "to_status": to,
                        }
                    )
    return HealthFrames(
        issues=pd.DataFrame(rows),
        events=pd.DataFrame(events),
        compounds=frames.compounds,
        buildings=frames.buildings,
        prop=frames.prop,
    )


_STATUS_WORDS = {"resolved": "已办结", "assigned": "已分派"}


def ledger_sheet(frames: HealthFrames) -> pd.DataFrame:
    """The ledger of `frames` as the spreadsheet a street office keeps: one row per issue,
    Chinese headers and status words, dates as typed (no ids of mapgov's)."""
    issues = frames.issues
    titles = {"parking": "乱停车", "sanitation": "垃圾清运不及时", "elevator": "电梯故障",
              "pets": "宠物扰民"}  # fmt: skip
    return pd.DataFrame(
        {
            "楼栋编号": issues["building_id"],
            "问题标题": [
                f"{titles[c]}（{i}）"
                for c, i in zip(issues["category"], issues["issue_id"], strict=True)
            ],
            "问题类型": issues["category"],
            "办理状态": issues["status"].map(_STATUS_WORDS),
            "上报时间": issues["reported_at"].str.replace("T", " "),
            "办理期限": issues["deadline"],
            "办结时间": issues["resolved_at"].fillna("").str.replace("T", " "),
        }
    )


def imported_frames(db: Path, sheet: pd.DataFrame, folder: Path) -> HealthFrames:
    """Import `sheet` into `db` with ``mapgov import ledger`` (as a street office would) and
    return the health frames of the imported issues alone."""
    before = set(open_store(db).read("issue", columns=["issue_id"])["issue_id"])
    path = folder / "问题台账.xlsx"
    sheet.to_excel(path, index=False)
    env = {**os.environ, DB_ENV: str(db)}
    command = [sys.executable, "-m", "mapgov", "import", "ledger", str(path), "--actor", "backtest"]
    subprocess.run(command, env=env, check=True, capture_output=True)
    frames = load_health_frames(open_store(db))
    kept = ~frames.issues["issue_id"].isin(before)
    issues = frames.issues[kept].reset_index(drop=True)
    events = frames.events[frames.events["issue_id"].isin(issues["issue_id"])]
    return dataclasses.replace(frames, issues=issues, events=events.reset_index(drop=True))


def judge(frames: HealthFrames, today: dt.date) -> tuple[pd.DataFrame, float]:
    """:func:`backtest` of the ledger in `frames` (same returns)."""
    profile = load_profile()
    started = time.process_time()
    scored = score(monthly_signals(frames, today, 26), profile)
    months = [m for m, _, _ in month_spans(today, 14)][:-1]  # m + 1 must have ended
    by = scored.set_index(["compound_id", "month"])
    cpu = time.process_time() - started
    rows = []
    for m, nxt in itertools.pairwise(months):
        raised = flags(scored, profile, m)
        found = {f.compound_id for f in raised}
        surge = {f.compound_id for f in raised if f.kind == "surge"}
        now = by.xs(m, level="month")
        later = by.xs(nxt, level="month")
        late_now = now["overdue_share"].fillna(0)
        rose = (later["issues"] > now["issues"]) | (later["overdue_share"].fillna(0) > late_now)
        history = scored[scored["month"] < m].groupby("compound_id").tail(12)
        normal = history.groupby("compound_id")["issues"].mean()
        high = later["issues"] > normal.reindex(later.index)
        k = len(found)
        base = set(now.sort_values(["issues"], ascending=False, kind="stable").index[:k])
        for outcome, truth in (("rose", rose), ("stayed high", high)):
            positive = set(truth[truth].index)
            methods = (("warning", found), ("most issues", base), ("surge flags only", surge))
            for method, chosen in methods:
                rows.append(
                    {
                        "month": m,
                        "outcome": outcome,
                        "method": method,
                        "flagged": len(chosen),
                        "hits": len(chosen & positive),
                        "positives": len(positive),
                    }
                )
    detail = pd.DataFrame(rows)
    total = detail.groupby(["outcome", "method"], sort=False)[
        ["flagged", "hits", "positives"]
    ].sum()
    total["precision"] = total["hits"] / total["flagged"].where(total["flagged"] > 0)
    total["recall"] = total["hits"] / total["positives"].where(total["positives"] > 0)
    return total.reset_index(), cpu


def main(argv: list[str] | None = None) -> int:
    """Build the demo at the scale asked (or read ``--db``), backtest it and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=4)
    parser.add_argument("--db", type=Path, help="backtest this database as it is")
    parser.add_argument("--today", type=dt.date.fromisoformat, help="with --db: its today")
    args = parser.parse_args(argv)
    if args.db is not None:
        store = open_store(args.db)
        today = args.today or clock.today(store)
        compounds = len(store.read("compound", columns=["compound_id"]))
        results = [(args.db.name, *judge(load_health_frames(store), today))]
        heading = f"{args.db} ({compounds} compounds), as of {today}"
    else:
        with tempfile.TemporaryDirectory() as tmp:
            db = Path(tmp) / "demo.sqlite"
            build_demo(db, seed=SEED, scale=args.scale, as_of=AS_OF, password="Backtest-2026-x")
            compounds = len(open_store(db).read("compound", columns=["compound_id"]))
            frames = load_health_frames(open_store(db))
            simulated = simulated_ledger(frames, AS_OF)
            results = [("demo ledger", *judge(frames, AS_OF))]
            results.append(("simulated ledger", *judge(simulated, AS_OF)))
            imported = imported_frames(db, ledger_sheet(simulated), Path(tmp))
            results.append(("simulated, imported from Excel", *judge(imported, AS_OF)))
        heading = f"demo scale {args.scale} ({compounds} compounds), as of {AS_OF}, seed {SEED}"
    load = os.getloadavg()[0]
    print(heading)
    print(f"load average {load:.2f}")
    print()
    print(
        "| ledger | outcome in m + 1 | method | flagged | hits | positives | precision | recall |"
    )
    print("|---|---|---|---:|---:|---:|---:|---:|")
    for name, table, _cpu in results:
        for r in table.itertuples():
            print(
                f"| {name} | {r.outcome} | {r.method} | {r.flagged} | {r.hits} | {r.positives} "
                f"| {r.precision:.0%} | {r.recall:.0%} |"
            )
    for name, _table, cpu in results:
        print(f"\n{name}: signals and flags over 26 months in {cpu:.2f} CPU s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
