"""Backtest of the compound early warning (小区体检预警) on a demo district.

Usage::

    .venv/bin/python bench/backtest_health.py              # scale 4 (four streets)
    .venv/bin/python bench/backtest_health.py --scale 10

Two ledgers are judged on the same compounds and buildings: the demo's own, and one simulated
here by a separate model that the demo generator knows nothing of (:func:`simulated_ledger`):
each compound's issues are Poisson at a steady rate, except that one compound in five goes
through a bad spell (a regime shift: issues at 2.5 times the rate, and slower handling, for
three to six months) starting in a random month.

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
import datetime as dt
import itertools
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

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

__all__ = ["backtest", "judge", "main", "simulated_ledger"]

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
    long to resolve (mean 15 days instead of 5, deadline 7 days after the report). Each issue
    has a report, an assignment two hours later and a resolution event.
    """
    rng = np.random.default_rng(seed)
    households = frames.buildings.groupby("compound_id")["households"].sum()
    buildings = frames.buildings.groupby("compound_id")["building_id"].apply(list)
    spans = month_spans(today, 26)
    rows, events = [], []
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
                done = at + dt.timedelta(days=float(rng.exponential(15 if spell else 5)))
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
    """Build the demo at the scale asked, backtest it and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=4)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "demo.sqlite"
        build_demo(db, seed=SEED, scale=args.scale, as_of=AS_OF, password="Backtest-2026-x")
        compounds = len(open_store(db).read("compound", columns=["compound_id"]))
        frames = load_health_frames(open_store(db))
        results = [("demo ledger", *judge(frames, AS_OF))]
        results.append(("simulated ledger", *judge(simulated_ledger(frames, AS_OF), AS_OF)))
    load = os.getloadavg()[0]
    print(f"demo scale {args.scale} ({compounds} compounds), as of {AS_OF}, seed {SEED}")
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
