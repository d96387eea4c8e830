"""Backtest of the compound early warning (小区体检预警) on a demo district.

Usage::

    .venv/bin/python bench/backtest_health.py              # scale 4 (four streets)
    .venv/bin/python bench/backtest_health.py --scale 10

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
import os
import tempfile
import time
from pathlib import Path

import pandas as pd

from mapgov.demo import build_demo
from mapgov.domain.health.load import load_health_frames
from mapgov.domain.health.profile import load_profile, month_spans, monthly_signals, score
from mapgov.domain.health.warning import flags
from mapgov.store import open_store

__all__ = ["backtest", "main"]

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
    store = open_store(db)
    profile = load_profile()
    started = time.process_time()
    frames = load_health_frames(store)
    scored = score(monthly_signals(frames, today, 26), profile)
    months = [m for m, _, _ in month_spans(today, 14)][:-1]  # m + 1 must have ended
    by = scored.set_index(["compound_id", "month"])
    cpu = time.process_time() - started
    rows = []
    for m, nxt in zip(months[:-1], months[1:], strict=True):
        found = {f.compound_id for f in flags(scored, profile, m)}
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
            for method, chosen in (("warning", found), ("most issues", base)):
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
        table, cpu = backtest(db, AS_OF)
    load = os.getloadavg()[0]
    print(f"demo scale {args.scale} ({compounds} compounds), as of {AS_OF}, seed {SEED}")
    print(f"signals and flags over 26 months: {cpu:.2f} CPU s; load average {load:.2f}")
    print()
    print("| outcome in m + 1 | method | flagged | hits | positives | precision | recall |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for r in table.itertuples():
        print(
            f"| {r.outcome} | {r.method} | {r.flagged} | {r.hits} | {r.positives} "
            f"| {r.precision:.0%} | {r.recall:.0%} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
