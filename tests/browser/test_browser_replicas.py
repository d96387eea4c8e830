"""Two app servers on one PostgreSQL database behind nginx, as deploy/ ships them (issue 19).

nginx (Debian's package) is started with ``deploy/nginx/mapgov.conf``, its upstream pointed at
two ``mapgov serve`` replicas on a throwaway PostgreSQL database, both with the same cookie
secret (``deploy/systemd/mapgov@.service``). A person signs in through nginx; the page's
websocket goes through upgraded; a change written by someone else shows on the next run; and
when the replica that served the person stops, the other one serves them, still signed in.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from mapgov.core.i18n import t
from mapgov.domain import accounts
from mapgov.store import open_store
from tests.browser import helpers as tb
from tests.conftest import DEMO_PASSWORD

pytestmark = pytest.mark.browser

SITE = tb.ROOT / "deploy" / "nginx" / "mapgov.conf"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
SECRET = "one-secret-for-every-replica-of-this-test"


def _nginx_conf(folder: Path, port: int, replicas: list[tb.Server]) -> Path:
    """The shipped site, its upstream pointed at `replicas`, inside a minimal nginx.conf."""
    site = SITE.read_text(encoding="utf-8")
    upstream = "".join(f"    server {r.url.removeprefix('http://')};\n" for r in replicas)
    site, n = re.subn(r"(    server 127\.0\.0\.1:\d+;\n)+", upstream, site)
    assert n == 1, "deploy/nginx/mapgov.conf: no upstream server lines to point at the replicas"
    site = site.replace("listen 80;", f"listen 127.0.0.1:{port};")
    temp = "".join(
        f"{kind}_temp_path {folder / kind};\n" for kind in ("client_body", "proxy", "fastcgi")
    )
    conf = folder / "nginx.conf"
    conf.write_text(
        "daemon off;\nmaster_process off;\n"
        f"pid {folder / 'nginx.pid'};\nerror_log {folder / 'error.log'};\n"
        "events { worker_connections 256; }\n"
        "http {\n"
        "log_format upstream '$request $status $upstream_addr';\n"
        f"access_log {folder / 'access.log'} upstream;\n"
        f"{temp}uwsgi_temp_path {folder / 'uwsgi'};\nscgi_temp_path {folder / 'scgi'};\n"
        f"{site}\n}}\n",
        encoding="utf-8",
    )
    return conf


@pytest.fixture(scope="module")
def pg_url(pg_databases: Callable[[str | None], str], pg_demo_template: str) -> str:
    return pg_databases(pg_demo_template)


@pytest.fixture(scope="module")
def replicas(pg_url: str) -> Iterator[list[tb.Server]]:
    tb._require_chromium()
    started = [tb._start(pg_url, {"STREAMLIT_SERVER_COOKIE_SECRET": SECRET}) for _ in range(2)]
    yield started
    for server in started:
        tb._stop(server)


@pytest.fixture(scope="module")
def proxy(replicas: list[tb.Server]) -> Iterator[tuple[str, Path]]:
    """nginx in front of the replicas: (its URL, its access log)."""
    if not Path(NGINX).exists():
        reason = "nginx is missing: install it with `apt-get install -y nginx` (.ci/run does)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    folder = Path(tempfile.mkdtemp(prefix="mapgov-nginx-"))
    port = tb._free_port()
    conf = _nginx_conf(folder, port, replicas)
    said = folder / "nginx.out"
    with said.open("w") as out:
        process = subprocess.Popen(
            [NGINX, "-c", str(conf), "-p", str(folder)], stdout=out, stderr=subprocess.STDOUT
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while not _healthy(url) and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)  # the interval of asking nginx whether it answers yet
        if process.poll() is not None:
            pytest.fail(f"nginx exited: {said.read_text()}")
        yield url, folder / "access.log"
    finally:
        process.terminate()
        process.wait(timeout=20)
        shutil.rmtree(folder, ignore_errors=True)


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=5) as response:
            return response.status == 200
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


def test_a_session_through_nginx_survives_the_loss_of_its_replica(
    browser: Browser,
    proxy: tuple[str, Path],
    replicas: list[tb.Server],
    pg_url: str,
) -> None:
    url, log = proxy
    context = browser.new_context(viewport=tb.VIEWPORT, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(tb.UI_TIMEOUT_MS)
    expect.set_options(timeout=tb.UI_TIMEOUT_MS)
    store = open_store(pg_url)
    name = accounts.get_account(store, tb.LEADER).name
    page.goto(f"{url}/issues")
    page.get_by_label(t("auth.login")).fill(tb.LEADER)
    page.get_by_label(t("auth.password")).fill(DEMO_PASSWORD)
    page.get_by_role("button", name=t("auth.submit"), exact=True).click()
    expect(page.locator("h1").first).to_have_text(t("page.issues.title"))
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar).to_contain_text(name)
    tb.expect_session_cookie(page, present=True)

    # someone else (another server, an administrator) renames the account: the next run shows it
    with store.transaction() as con:
        con.execute("UPDATE app_user SET name = ? WHERE user_id = ?", ("王主任", tb.LEADER))
    page.reload()
    expect(page.get_by_test_id("stSidebar")).to_contain_text("王主任")

    # the page's websocket went through nginx, upgraded, to one replica (nginx logs it when
    # it closes: the reload above closed the first one)
    lines = log.read_text(encoding="utf-8").splitlines()
    stream = [line for line in lines if line.startswith("GET /_stcore/stream")]
    assert stream, lines[-20:]
    assert all(" 101 " in line for line in stream), stream
    served = {line.rsplit(" ", 1)[1] for line in stream}
    assert len(served) == 1
    addresses = {r.url.removeprefix("http://"): r for r in replicas}
    assert served <= set(addresses), (served, addresses)

    # the replica that served the session stops: nginx sends the tab to the other one, and the
    # session (kept in the database, not in the replica) still signs the person in
    gone = addresses[served.pop()]
    tb._stop(gone)
    page.reload()
    expect(page.locator("h1").first).to_have_text(t("page.issues.title"))
    expect(page.get_by_test_id("stSidebar")).to_contain_text("王主任")
    expect(page.get_by_label(t("auth.password"))).to_have_count(0)
    context.close()
