"""A throwaway PostgreSQL + PostGIS cluster for the tests that run on both backends.

``MAPGOV_TEST_PG`` (a ``postgresql://`` URL of a server where the role may create databases)
uses a running server instead. Otherwise the cluster is made with Debian's PostgreSQL
(``postgresql-15``, ``postgresql-15-postgis-3``) in a temporary folder, on a Unix socket in
that folder (no TCP port), as an unprivileged user when the tests run as root (initdb refuses
root), and stopped at the end of the session.

Where PostgreSQL cannot be found, :func:`start` says why; the fixture then skips the tests
that need it, except under ``CI=true`` where a skipped PostgreSQL test is a failure.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import subprocess
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

URL_ENV = "MAPGOV_TEST_PG"
INSTALL_HINT = (
    "install Debian's postgresql-15 and postgresql-15-postgis-3 (`.ci/run` does), or set "
    f"{URL_ENV} to a postgresql:// URL; `make test PG=0` runs the suite without them"
)


SKIP_ENV = "MAPGOV_SKIP_PG"
SKIPS = {
    "1": "PostgreSQL tests skipped as asked (`make test PG=0`, for a machine where PostgreSQL "
    "cannot be installed)",
    "dates": "PostgreSQL tests are not run under faketime (`make test-dates`): the dated runs "
    "check mapgov's own calendar, which is the same Python code on both backends (no SQL date "
    "function), and `make test` runs these tests on PostgreSQL at today's date",
}
"""``MAPGOV_SKIP_PG`` -> why the PostgreSQL tests are skipped: ``1`` is ``make test PG=0``,
``dates`` the faketime runs of ``make test-dates``; any other value runs them."""


def required(env: Mapping[str, str]) -> bool:
    """Whether PostgreSQL must run here (``CI=true`` or ``MAPGOV_REQUIRE_PG=1``): a
    PostgreSQL test that cannot run is then a failure, not a skip."""
    return env.get("CI") == "true" or env.get("MAPGOV_REQUIRE_PG") == "1"


def skipped(env: Mapping[str, str]) -> tuple[str, bool] | None:
    """Why the environment `env` skips the PostgreSQL tests, and whether that skip is a
    failure; None when they run.

    The faketime runs skip them everywhere, CI included: PostgreSQL is not meant to run there.
    ``make test PG=0`` skips them, except where PostgreSQL is required (:func:`required`):
    CI's ``make test`` runs them.
    """
    why = SKIPS.get(env.get(SKIP_ENV, ""))
    if why is None:
        return None
    return why, required(env) and env.get(SKIP_ENV) != "dates"


class UnavailableError(RuntimeError):
    """PostgreSQL cannot be started here (the message says why and what to do)."""


@dataclass(frozen=True)
class Cluster:
    """A running server and how to reach it."""

    admin_url: str  # a database to run CREATE DATABASE from

    def url(self, database: str) -> str:
        """The URL of `database` on this server."""
        head, _, query = self.admin_url.partition("?")
        base = head.rsplit("/", 1)[0]
        return f"{base}/{database}" + (f"?{query}" if query else "")


def _bindir() -> Path:
    found = shutil.which("pg_config")
    if found:
        out = subprocess.run([found, "--bindir"], capture_output=True, text=True, check=False)
        candidate = Path(out.stdout.strip())
        if (candidate / "initdb").exists():
            return candidate
    dirs = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda d: int(d.split("/")[-2]))
    for directory in reversed(dirs):
        if (Path(directory) / "initdb").exists():
            return Path(directory)
    msg = f"no PostgreSQL server (initdb) found: {INSTALL_HINT}"
    raise UnavailableError(msg)


def _as_user() -> list[str]:
    """The command prefix that runs a server command as an unprivileged user."""
    if os.geteuid() != 0:
        return []
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            pwd.getpwnam(name)
            return ["runuser", "-u", name, "--"]
    msg = "running as root and no unprivileged user (postgres, nobody) to run PostgreSQL as"
    raise UnavailableError(msg)


def _run(cmd: list[str]) -> None:
    done = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=120)
    if done.returncode:
        msg = f"{' '.join(cmd)} failed: {done.stderr.strip() or done.stdout.strip()}"
        raise UnavailableError(msg)


@contextlib.contextmanager
def start(folder: Path) -> Iterator[Cluster]:
    """A running cluster for the block, in `folder` (or the server of ``MAPGOV_TEST_PG``).

    Raises
    ------
    UnavailableError
        If no server can be started or reached, saying why.
    """
    given = os.environ.get(URL_ENV)
    if given:
        yield Cluster(admin_url=given)
        return
    bindir = _bindir()
    if not glob.glob("/usr/share/postgresql/*/extension/postgis.control"):
        msg = f"PostGIS is not installed: {INSTALL_HINT}"
        raise UnavailableError(msg)
    prefix = _as_user()
    folder.mkdir(parents=True, exist_ok=True)
    if prefix:
        shutil.chown(folder, user=prefix[2])
    data = folder / "data"
    _run([*prefix, str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "mapgov",
          "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"])  # fmt: skip
    options = (
        f"-k {folder} -c listen_addresses='' -c fsync=off -c full_page_writes=off "
        "-c max_connections=200"  # a pool a test database, closed when the test ends
    )
    _run([*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-o", options,
          "-l", str(folder / "server.log"), "-w", "-t", "60", "start"])  # fmt: skip
    try:
        yield Cluster(admin_url=f"postgresql://mapgov@/postgres?host={folder}")
    finally:
        subprocess.run(
            [*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
            capture_output=True,
            check=False,
            timeout=60,
        )
