"""Keeping the property tenures in step with an import (``property_tenure``).

An import that replaces ``property_management`` writes, in the same transaction, the tenures
that follow from it (:func:`mapgov.domain.tenure.tenure_after`): a compound whose company
changed has its open tenure closed on the day and the new company's opened. This measures
that step alone, on synthetic tables of `n` compounds (every compound served by a company with
one open tenure), two ways in the same process:

- **unchanged**: the import brings the same companies (the baseline: reading and comparing);
- **all changed**: every compound's company changes (a new contract for the whole street).

Every figure is the fastest of ``--repeat`` runs. The ratio is all changed / unchanged at the
same size; the last column is the time per changed compound, which stays flat when the work
grows linearly with the compounds (it grew with their square before 2026-12-07).

    .venv/bin/python bench/bench_tenure.py                 # 400 and 4,000 compounds
    .venv/bin/python bench/bench_tenure.py --sizes 400 4000 8000 --repeat 3
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import time
from collections.abc import Callable

import pandas as pd

from mapgov.domain.tenure import tenure_after

DAY = dt.date(2026, 11, 15)
COMPANIES = 50
"""Companies the compounds are shared among (a street at scale 100 has about 3,987
compounds)."""


def tables(n: int) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """``property_tenure`` and ``property_management`` of `n` compounds, and an import that
    gives every compound another company."""
    ids = [f"K{i:05d}" for i in range(n)]
    before = pd.DataFrame(
        {"compound_id": ids, "mode": "company", "company": [f"A{i % COMPANIES}" for i in range(n)]}
    )
    after = before.assign(company=[f"B{i % COMPANIES}" for i in range(n)])
    tenure = pd.DataFrame(
        {
            "compound_id": ids,
            "company": before["company"],
            "started_on": "2020-01-01",
            "ended_on": None,
        }
    )
    return tenure, before, after


def fastest(run: Callable[[], object], repeat: int) -> float:
    """The fastest of `repeat` calls of `run`, in seconds."""
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - started)
    return best


def main() -> None:
    """Print the machine's load and the Markdown table for ``docs/benchmarks.md``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[400, 4000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print()
    print("| compounds | unchanged s | all changed s | × unchanged | ms per changed compound |")
    print("|---:|---:|---:|---:|---:|")
    for n in args.sizes:
        tenure, before, after = tables(n)
        out = tenure_after(tenure, before, after, DAY)
        assert len(out) == 2 * n  # one closed and one opened each
        assert out["ended_on"].notna().sum() == n
        same = fastest(lambda t=tenure, b=before: tenure_after(t, b, b, DAY), args.repeat)
        changed = fastest(
            lambda t=tenure, b=before, a=after: tenure_after(t, b, a, DAY), args.repeat
        )
        print(
            f"| {n:,} | {same:.3f} | {changed:.2f} | {changed / same:.0f} | "
            f"{1000 * changed / n:.2f} |"
        )
    print()
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
