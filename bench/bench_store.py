"""Load on the store: N staff sessions at once against SQLite and PostgreSQL.

Usage::

    .venv/bin/python bench/bench_store.py                      # scale 1, N = 1, 10, 50
    .venv/bin/python bench/bench_store.py --scale 100 --rounds 10
    MAPGOV_TEST_PG=postgresql://... .venv/bin/python bench/bench_store.py   # a running server

Each session is a thread (as Streamlit serves each browser tab of one app server) that, round
after round, does what community staff do on the issue page:

map
    read its community's map data: the buildings and the issues on the map
    (:func:`mapgov.domain.issues.community_buildings`, :func:`~.community_issues`);
open
    open a building: its profile and issue ledger (:func:`~.building_issues`);
step
    move an issue a step: assign one of the first reported issues of its community
    (:func:`mapgov.domain.issues_workflow.assign`). Sessions of one community reach for the
    same issues, so some find that someone else assigned it first: that is a refusal, counted,
    and the session moves on.

Printed per backend, scale and N: operations per second over all sessions, p50 and p95 of each
operation in milliseconds, refusals, and "lost": assignments reported as saved that the ledger
does not hold (an ``assign`` event with the session's unit), which must be 0. SQLite works on
a copy of the demo file; PostgreSQL on a copy in a throwaway cluster (``tests/pgcluster.py``)
or the server of ``MAPGOV_TEST_PG``. The ratio column compares each PostgreSQL row with the
SQLite row of the same scale and N, measured in the same run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import shutil
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # tests.pgcluster

from mapgov.core.errors import MapgovError  # noqa: E402
from mapgov.demo import build_demo  # noqa: E402
from mapgov.domain import issue_reads  # noqa: E402
from mapgov.domain import issues as ledger  # noqa: E402
from mapgov.domain import issues_workflow as workflow  # noqa: E402
from mapgov.domain.users import get_user  # noqa: E402
from mapgov.store import Store, open_store  # noqa: E402
from mapgov.store.copy import copy_database  # noqa: E402
from mapgov.store.postgres import release  # noqa: E402
from tests import pgcluster  # noqa: E402

AS_OF = dt.date(2026, 11, 15)
OPS = ("map", "open", "step")


def _session(
    store: Store, login: str, rounds: int, seed: int, *, out: dict[str, list[float]], tally: dict
) -> None:
    user = get_user(store, login)
    community = str(user.community_id)
    rng = random.Random(seed)
    unit = f"bench-{login}-{seed}"
    for _ in range(rounds):
        t0 = time.perf_counter()
        buildings = ledger.community_buildings(store, community)
        ledger.community_issues(store, community)
        t1 = time.perf_counter()
        building = str(buildings["building_id"].iloc[rng.randrange(len(buildings))])
        issue_reads.building_issues(store, building, user=user, today=AS_OF)
        t2 = time.perf_counter()
        open_ones = ledger.community_issues(store, community, statuses=["reported"])
        pick = open_ones.head(5)
        if len(pick):
            row = pick.iloc[rng.randrange(len(pick))]
            issue = store.read("issue", where={"issue_id": int(row["issue_id"])}).iloc[0]
            try:
                workflow.assign(
                    store,
                    user,
                    int(issue["issue_id"]),
                    version=int(issue["version"]),
                    level="community",
                    responsible_unit=unit,
                    deadline=AS_OF + dt.timedelta(days=7),
                )
                tally["saved"][unit] += 1
            except MapgovError:  # someone else assigned it first: stale, or no longer reported
                tally["refused"][unit] += 1
        t3 = time.perf_counter()
        out["map"].append(t1 - t0)
        out["open"].append(t2 - t1)
        out["step"].append(t3 - t2)


def run(store: Store, sessions: int, rounds: int) -> dict[str, float]:
    """N sessions at once; their figures."""
    staff = store.read("app_user", where={"role": "staff"})["login"].tolist()
    times: dict[str, list[float]] = {op: [] for op in OPS}
    tally: dict[str, defaultdict[str, int]] = {
        "saved": defaultdict(int),
        "refused": defaultdict(int),
    }
    threads = [
        threading.Thread(
            target=_session,
            args=(store, staff[i % len(staff)], rounds, i),
            kwargs={"out": times, "tally": tally},
        )
        for i in range(sessions)
    ]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    events = store.query(
        "SELECT e.note, i.responsible_unit FROM issue_event e JOIN issue i USING (issue_id) "
        "WHERE e.action = 'assign' AND i.responsible_unit LIKE 'bench-%'"
    )
    held = events["responsible_unit"].value_counts().to_dict()
    lost = sum(max(n - held.get(unit, 0), 0) for unit, n in tally["saved"].items())
    figures = {"ops_s": 3 * sessions * rounds / wall}
    for op in OPS:
        ms = np.array(times[op]) * 1000
        figures[f"{op}_p50"] = float(np.percentile(ms, 50))
        figures[f"{op}_p95"] = float(np.percentile(ms, 95))
    figures["refused"] = sum(tally["refused"].values())
    figures["lost"] = lost
    return figures


def main() -> int:
    """Run the benchmark and print its table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=int, default=1)
    parser.add_argument("--sessions", type=int, nargs="+", default=[1, 10, 50])
    parser.add_argument("--rounds", type=int, default=4, help="rounds per session")
    parser.add_argument("--db", type=Path, help="an existing demo database of that scale")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="mapgov-bench-store-"))
    source = args.db
    if source is None:
        source = folder / "demo.sqlite"
        print(f"building the scale-{args.scale} demo ...", flush=True)
        build_demo(source, scale=args.scale, as_of=AS_OF)
    rows = []
    pg_folder = Path(tempfile.mkdtemp(prefix="mapgov-bench-pg-"))
    try:
        with pgcluster.start(pg_folder) as cluster:
            import psycopg

            for n in args.sessions:
                work = folder / f"work-{n}.sqlite"
                shutil.copyfile(source, work)
                lite = run(open_store(work), n, args.rounds)
                name = f"mapgov_bench_{n}"
                with psycopg.connect(cluster.admin_url, autocommit=True) as con:
                    con.execute(f"DROP DATABASE IF EXISTS {name}")
                    con.execute(f"CREATE DATABASE {name}")
                url = cluster.url(name)
                copy_database(open_store(source), url)
                pg = run(open_store(url), n, args.rounds)
                release(url)
                ratio = pg["ops_s"] / lite["ops_s"]
                rows += [("sqlite", n, lite, 1.0), ("postgresql", n, pg, ratio)]
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        shutil.rmtree(pg_folder, ignore_errors=True)
    head = (
        f"{'backend':<11}{'N':>4}{'ops/s':>8}{'ratio':>7}"
        + "".join(f"{op + ' p50':>10}{op + ' p95':>10}" for op in OPS)
        + f"{'refused':>9}{'lost':>6}"
    )
    print(f"\nscale {args.scale}, {args.rounds} rounds a session, times in ms")
    print(head)
    for backend, n, f, ratio in rows:
        print(
            f"{backend:<11}{n:>4}{f['ops_s']:>8.1f}{ratio:>7.2f}"
            + "".join(f"{f[op + '_p50']:>10.0f}{f[op + '_p95']:>10.0f}" for op in OPS)
            + f"{int(f['refused']):>9}{int(f['lost']):>6}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
