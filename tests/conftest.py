"""Shared fixtures: one demo street built once per test session with a fixed seed."""

from __future__ import annotations

import datetime as dt
import itertools
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from mapgov.core.config import DB_ENV
from mapgov.demo import build_demo
from mapgov.store import Store, open_store
from mapgov.store.postgres import release
from tests import pgcluster

SEED = 7
AS_OF = dt.date(2026, 11, 15)
DEMO_PASSWORD = "Luoyang-demo-2026"
"""Every account of the fixture's street signs in with it (``build_demo(password=...)``);
its wall's display token is ``mapgov.demo.wall_token(SEED, DEMO_PASSWORD)``."""


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Path to a scale-1 demo database (seed 7, as of 2026-11-15, accounts signing in with
    DEMO_PASSWORD), built once."""
    path = tmp_path_factory.mktemp("demo") / "mapgov.sqlite"
    build_demo(path, seed=SEED, scale=1, as_of=AS_OF, password=DEMO_PASSWORD)
    return path


@pytest.fixture(scope="session")
def demo_store(demo_db: Path) -> Store:
    """The demo database opened read-only by convention (do not write to it in tests)."""
    return open_store(demo_db)


@pytest.fixture
def work_store(demo_db: Path, tmp_path: Path) -> Store:
    """A private copy of the demo database that a test may write to."""
    copy = tmp_path / "work.sqlite"
    shutil.copyfile(demo_db, copy)
    return open_store(copy)


@pytest.fixture(scope="session")
def page_db(demo_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One copy of the demo database for the page tests that only read the street: they sign
    in, which writes sessions and audit rows, and ``demo_db`` must stay as built."""
    path = tmp_path_factory.mktemp("pages") / "mapgov.sqlite"
    shutil.copyfile(demo_db, path)
    return path


@pytest.fixture
def app_db(sqlite_app_db: Store) -> Store:
    """A private copy of the demo database (the page writes to it), opened by the app; a
    test module that runs on both backends overrides it with :func:`any_app_db`."""
    return sqlite_app_db


@pytest.fixture
def sqlite_app_db(monkeypatch: pytest.MonkeyPatch, demo_db: Path, tmp_path: Path) -> Store:
    """A private copy of the demo database (the page writes to it), opened by the app."""
    path = tmp_path / "mapgov.sqlite"
    shutil.copyfile(demo_db, path)
    monkeypatch.setenv(DB_ENV, str(path))
    return open_store(path)


def _tracked_files(root: Path) -> dict[str, tuple[int, int]] | None:
    """(size, mtime) of every file git tracks under ``root``; None outside a git checkout."""
    try:
        out = subprocess.run(
            ["git", "ls-files", "-z"], cwd=root, capture_output=True, check=True, timeout=60
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    seen: dict[str, tuple[int, int]] = {}
    for name in filter(None, out.decode("utf-8", "surrogateescape").split("\0")):
        try:
            st = (root / name).stat()
        except OSError:
            continue  # deleted in the working tree before the run: not the suite's doing
        seen[name] = (st.st_size, st.st_mtime_ns)
    return seen


@pytest.fixture(scope="session", autouse=True)
def _suite_writes_no_tracked_file() -> Iterator[None]:
    """Tests write to temporary folders only: a tracked file changed by the run fails it.

    The one exception is the folder that ``make screenshots`` names in ``MAPGOV_SCREENSHOTS``
    (docs/), where it asks the wall's browser test to keep its picture."""
    root = Path(__file__).resolve().parents[1]
    before = _tracked_files(root)
    yield
    after = _tracked_files(root)
    if before is None or after is None:
        return
    asked = os.environ.get("MAPGOV_SCREENSHOTS")
    kept = (Path(asked).resolve(),) if asked else ()
    touched = sorted(
        name
        for name, stamp in after.items()
        if before.get(name) != stamp and (root / name).resolve().parent not in kept
    )
    assert touched == [], f"the test run wrote tracked files: {touched}"


# -- PostgreSQL: the tests that run on both backends ------------------------------------------
_numbers = itertools.count(1)


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[pgcluster.Cluster]:
    """A throwaway PostgreSQL + PostGIS server for the session (:mod:`tests.pgcluster`).

    Skips the tests that need it where PostgreSQL cannot be started, saying how to get it;
    under ``CI=true`` (or ``MAPGOV_REQUIRE_PG=1``) that is a failure instead. ``MAPGOV_SKIP_PG``
    skips them saying why (:func:`tests.pgcluster.skipped`): ``make test PG=0`` (a failure
    where PostgreSQL is required) and the faketime runs of ``make test-dates``."""
    skip = pgcluster.skipped(os.environ)
    if skip is not None:
        why, failure = skip
        if failure:
            pytest.fail(f"PostgreSQL is required here (CI=true or MAPGOV_REQUIRE_PG=1): {why}")
        pytest.skip(why)
    folder = Path(tempfile.mkdtemp(prefix="mapgov-pg-"))  # outside pytest's root-only folders
    try:
        with pgcluster.start(folder) as cluster:
            yield cluster
    except pgcluster.UnavailableError as err:
        if pgcluster.required(os.environ):
            pytest.fail(f"PostgreSQL is required here: {err}")
        pytest.skip(f"PostgreSQL tests skipped: {err}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_databases(pg_cluster: pgcluster.Cluster) -> Iterator[Callable[[str | None], str]]:
    """Makes a new, empty PostgreSQL database (or a copy of the database named as template)
    and returns its URL, for the session (or a module); each is dropped at the end of the
    session. A test takes :func:`pg_database`, whose databases go when the test ends."""
    import psycopg

    made: list[str] = []

    def make(template: str | None = None) -> str:
        name = f"mapgov_test_{os.getpid()}_{next(_numbers)}"
        with psycopg.connect(pg_cluster.admin_url, autocommit=True) as con:
            con.execute(f"CREATE DATABASE {name}" + (f" TEMPLATE {template}" if template else ""))
        made.append(name)
        return pg_cluster.url(name)

    yield make
    _drop(pg_cluster, made)


def _drop(cluster: pgcluster.Cluster, names: list[str]) -> None:
    """Close this process's connections to the databases `names`, then drop them."""
    import psycopg

    with psycopg.connect(cluster.admin_url, autocommit=True) as con:
        for name in names:
            release(cluster.url(name))
            con.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def pg_database(
    pg_databases: Callable[[str | None], str], pg_cluster: pgcluster.Cluster
) -> Iterator[Callable[[str | None], str]]:
    """Like :func:`pg_databases`, but the test's databases (and this process's pools of
    connections to them) go when the test ends: a suite of a few hundred of them stays
    within the server's connections."""
    made: list[str] = []

    def make(template: str | None = None) -> str:
        url = pg_databases(template)
        made.append(urlsplit(url).path.lstrip("/"))
        return url

    yield make
    _drop(pg_cluster, made)


@pytest.fixture(scope="session")
def pg_demo_template(pg_databases: Callable[[str | None], str]) -> str:
    """The name of a PostgreSQL database holding the demo street as ``demo_db`` does (same
    seed, day and password), built once; never opened, only copied."""
    url = pg_databases(None)
    build_demo(url, seed=SEED, scale=1, as_of=AS_OF, password=DEMO_PASSWORD)
    release(url)
    return urlsplit(url).path.lstrip("/")


@pytest.fixture
def pg_work_store(pg_database: Callable[[str | None], str], pg_demo_template: str) -> Store:
    """A private PostgreSQL copy of the demo street that a test may write to."""
    return open_store(pg_database(pg_demo_template))


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    """Runs a test once on each backend (the PostgreSQL run skips where it cannot start)."""
    return str(request.param)


@pytest.fixture
def any_app_db(
    backend: str, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Store:
    """A private copy of the demo street that the app opens (and writes to), on each backend."""
    if backend == "sqlite":
        return request.getfixturevalue("sqlite_app_db")
    url = request.getfixturevalue("pg_database")(request.getfixturevalue("pg_demo_template"))
    monkeypatch.setenv(DB_ENV, url)
    return open_store(url)


@pytest.fixture
def any_work_store(backend: str, request: pytest.FixtureRequest) -> Store:
    """A private copy of the demo street on each backend in turn."""
    return request.getfixturevalue("work_store" if backend == "sqlite" else "pg_work_store")
