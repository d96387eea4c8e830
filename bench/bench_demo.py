"""Benchmark ``mapgov demo``: time, peak memory and size at several scales.

Usage::

    .venv/bin/python bench/bench_demo.py            # scales 1 and 100
    .venv/bin/python bench/bench_demo.py 1 10 100   # any scales from 1 to 1000

Each scale is built by a fresh ``python -m mapgov demo`` process into a temporary directory, so
the peak resident memory reported is that run's own (``os.wait4`` returns the child's rusage).
Scale 1 is always measured first, in the same run, as the baseline for the time ratio. CPU
seconds (user + system) are reported beside wall seconds: on a shared machine they move less.
Prints the machine and its load average, then a Markdown table for ``docs/benchmarks.md``.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from mapgov.store import open_store

__all__ = ["Run", "bench", "machine", "main", "table"]

SEED = 42
AS_OF = dt.date(2026, 11, 15)
# (table, column heading) of the rows reported
MAIN_TABLES = (
    ("community", "communities"),
    ("compound", "compounds"),
    ("building", "buildings"),
    ("issue", "issues"),
    ("issue_event", "issue events"),
)


@dataclass(frozen=True)
class Run:
    """One measured build."""

    scale: int
    seconds: float
    cpu_seconds: float
    peak_mb: float
    db_mb: float
    rows: dict[str, int]


def bench(scale: int, directory: Path) -> Run:
    """Build the demo at `scale` in a fresh process and measure it.

    Parameters
    ----------
    scale
        Demo scale (1..1000).
    directory
        Where to put the database (it is deleted after counting).

    Returns
    -------
    Run
        Wall time, CPU time (user + system) and peak RSS of the child, database size and row
        counts.

    Raises
    ------
    RuntimeError
        If the build fails (its stderr is included).
    """
    db = directory / f"scale-{scale}.sqlite"
    argv = [
        sys.executable,
        "-m",
        "mapgov",
        "demo",
        "--seed",
        str(SEED),
        "--scale",
        str(scale),
        "--as-of",
        AS_OF.isoformat(),
        "--db",
        str(db),
        "--quiet",
    ]
    with tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        child = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=err)
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)
        if child.returncode != 0:
            err.seek(0)
            msg = (
                f"scale {scale} failed ({child.returncode}): {err.read().decode(errors='replace')}"
            )
            raise RuntimeError(msg)
    rows = open_store(db).counts()
    db_mb = db.stat().st_size / 1e6
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    # ru_maxrss is in kilobytes on Linux (bytes on macOS)
    peak = usage.ru_maxrss / (1e6 if sys.platform == "darwin" else 1e3)
    return Run(scale, seconds, usage.ru_utime + usage.ru_stime, peak, db_mb, rows)


def machine() -> str:
    """One line about this machine: CPUs, memory, CPU model, Python."""
    memory = "?"
    model = platform.processor() or platform.machine()
    try:
        meminfo = Path("/proc/meminfo").read_text(encoding="utf-8")
        kb = int(
            next(line for line in meminfo.splitlines() if line.startswith("MemTotal")).split()[1]
        )
        memory = f"{kb / 2**20:.1f} GiB"
        cpuinfo = Path("/proc/cpuinfo").read_text(encoding="utf-8")
        model = next(
            (
                line.split(":", 1)[1].strip()
                for line in cpuinfo.splitlines()
                if line.startswith("model name")
            ),
            model,
        )
    except (OSError, StopIteration, ValueError):
        pass
    return (
        f"{os.cpu_count()} CPUs ({model}), {memory} RAM, {platform.system()} "
        f"{platform.release()}, Python {platform.python_version()}"
    )


def table(runs: list[Run]) -> str:
    """Markdown table of `runs`; time ratios are against the scale-1 run among them."""
    base = next(r.seconds for r in runs if r.scale == 1)
    head = [
        "scale",
        "seconds",
        "× scale 1",
        "CPU s",
        "peak MB",
        "database MB",
        *(title for _, title in MAIN_TABLES),
    ]
    lines = ["| " + " | ".join(head) + " |", "|" + "---:|" * len(head)]
    for r in runs:
        cells = [
            str(r.scale),
            f"{r.seconds:.1f}",
            f"{r.seconds / base:.1f}",
            f"{r.cpu_seconds:.1f}",
            f"{r.peak_mb:,.0f}",
            f"{r.db_mb:,.1f}",
            *(f"{r.rows.get(name, 0):,}" for name, _ in MAIN_TABLES),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Measure the scales in `argv` (default 1 and 100) and print the machine and the table."""
    args = sys.argv[1:] if argv is None else argv
    try:
        scales = [int(a) for a in args] or [1, 100]
    except ValueError:
        print(
            f"usage: {Path(__file__).name} [SCALE ...]  (integers from 1 to 1000)", file=sys.stderr
        )
        return 2
    scales = sorted({1, *scales})
    print(f"machine: {machine()}")
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"command: python -m mapgov demo --seed {SEED} --as-of {AS_OF} --scale K --quiet")
    print()
    runs = []
    with tempfile.TemporaryDirectory(prefix="mapgov-bench-") as tmp:
        for scale in scales:
            print(f"scale {scale} ...", file=sys.stderr, flush=True)
            runs.append(bench(scale, Path(tmp)))
            r = runs[-1]
            print(f"  {r.seconds:.1f} s, peak {r.peak_mb:,.0f} MB", file=sys.stderr, flush=True)
    print(table(runs))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
