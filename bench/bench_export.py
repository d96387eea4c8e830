"""Benchmark the Excel export against pandas' openpyxl writer and CSV, in one run.

Usage::

    .venv/bin/python bench/bench_export.py [--db DB] [--rows N] [--repeat R]

The issue table of the database (default: the demo at data/mapgov.sqlite) is repeated up to
N rows (default 100,000), as the data page exports it (:func:`mapgov.io.exports.frame_bytes`);
the data page first says its headers, codes and flags in the page's language
(:func:`mapgov.views.data.in_words`), timed on its own.
Baseline: the same cells through ``DataFrame.to_excel`` with openpyxl, which mapgov used
before. Prints the best of R runs of each, its ratio to the baseline and the bytes written.
"""

from __future__ import annotations

import argparse
import io
import os
import time
from collections.abc import Callable

import pandas as pd

from mapgov.io import exports
from mapgov.store import open_store
from mapgov.views.data import in_words


def _openpyxl(table: pd.DataFrame) -> bytes:
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as xl:
        table.to_excel(xl, index=False)
    return buf.getvalue()


def _best(write: Callable[[], bytes | pd.DataFrame], repeat: int) -> tuple[float, str]:
    """The best time of `repeat` runs, and the bytes written (a table: none)."""
    best, size = float("inf"), "–"
    for _ in range(repeat):
        start = time.perf_counter()
        out = write()
        best = min(best, time.perf_counter() - start)
        size = f"{len(out):,}" if isinstance(out, bytes) else "–"
    return best, size


def main() -> None:
    """Print one Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="data/mapgov.sqlite")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    issues = open_store(args.db).read("issue")
    table = pd.concat([issues] * (args.rows // len(issues) + 1), ignore_index=True)
    table = table.head(args.rows)
    plain = exports._plain(table)
    runs = {
        "openpyxl via pandas (baseline)": lambda: _openpyxl(plain),
        "mapgov .xlsx (XlsxWriter, row by row)": lambda: exports.frame_bytes(table, ".xlsx"),
        "mapgov .csv": lambda: exports.frame_bytes(table, ".csv"),
        "words for the page (zh: headers, codes, flags)": lambda: in_words(table, "issue", "zh"),
    }
    print(
        f"{len(table):,} issue rows x {len(table.columns)} columns; load {os.getloadavg()[0]:.2f}"
    )
    print("| writer | seconds | vs baseline | bytes |\n|---|---:|---:|---:|")
    base = None
    for name, write in runs.items():
        seconds, size = _best(write, args.repeat)
        base = base or seconds
        print(f"| {name} | {seconds:.2f} | {seconds / base:.2f} | {size} |")


if __name__ == "__main__":
    main()
