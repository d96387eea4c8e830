"""Warming the wall screen's caches at the server's start (issue 24): which streets, and that
the kiosk's first visit then reads and computes nothing the warm-up did.

The warm-up runs the page's own cached loaders, so the proof is that the page, opened after
it, calls none of the expensive computations behind them (counted by wrapping them).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import shutil
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from streamlit import cache_data
from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx
from streamlit.testing.v1 import AppTest

import mapgov.demo
import mapgov.domain.kpi
import mapgov.ui.wall_data
import mapgov.views.deck_poster
from mapgov.core import clock, visits
from mapgov.core.config import DB_ENV
from mapgov.domain import display_tokens
from mapgov.domain import issues_workflow as workflow
from mapgov.domain.users import get_user
from mapgov.serve import WARM_THREAD, quiet_warm_up, warm_when_running
from mapgov.store import open_store
from mapgov.ui import wall_data
from mapgov.views import wall
from tests.conftest import DEMO_PASSWORD, SEED

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 120


def _counting(
    monkeypatch: pytest.MonkeyPatch, calls: Counter[str], owner: object, name: str
) -> None:
    real: Callable[..., Any] = getattr(owner, name)

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls[name] += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(owner, name, counted)


def test_the_streets_of_the_live_display_tokens(page_db: Path, tmp_path: Path) -> None:
    store = open_store(page_db)
    assert wall_data.wall_streets(store) == ["S001"]  # the demo's wall screen
    path = tmp_path / "no-token.sqlite"
    shutil.copyfile(page_db, path)
    other = open_store(path)
    for label in display_tokens.list_display_tokens(other)["label"]:
        display_tokens.revoke_display_token(
            other, str(label), now=dt.datetime(2026, 11, 15, 9), actor="test"
        )
    # no live token: the first street, which /wall opens by default
    assert wall_data.wall_streets(other) == ["S001"]


def test_the_first_kiosk_visit_after_the_warm_up_computes_nothing_again(
    monkeypatch: pytest.MonkeyPatch, page_db: Path
) -> None:
    calls: Counter[str] = Counter()
    _counting(monkeypatch, calls, mapgov.domain.kpi, "load_frames")
    _counting(monkeypatch, calls, mapgov.domain.kpi, "headline")
    _counting(monkeypatch, calls, mapgov.ui.wall_data, "compound_health")
    _counting(monkeypatch, calls, mapgov.ui.wall_data.wall, "map_data")
    _counting(monkeypatch, calls, mapgov.ui.wall_data.deckmaps, "wall_deck")
    _counting(monkeypatch, calls, mapgov.views.deck_poster, "poster_svg")
    cache_data.clear()  # other tests may have cached the same street
    mapgov.views.deck_poster._poster_uri.cache_clear()
    assert wall_data.warm(page_db) == ["S001"]
    warmed = dict(calls)
    # the map's street, its deck and its picture, the ledger, the headline figures, this
    # month's and last month's health
    assert warmed == {
        "map_data": 1,
        "wall_deck": 1,
        "poster_svg": 1,
        "load_frames": 1,
        "headline": 1,
        "compound_health": 2,
    }
    monkeypatch.setenv(DB_ENV, str(page_db))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    token = mapgov.demo.wall_token(SEED, DEMO_PASSWORD)
    at.query_params.update({"kiosk": "1", "token": token})
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    html = "".join(h.proto.body for h in at.get("html"))
    assert html.count('class="mg-tile"') == len(wall.TILES)
    assert len(at.get("deck_gl_json_chart")) == 1
    assert dict(calls) == warmed  # the visit found every one of them cached


def test_no_runtime_no_warm_up() -> None:
    """Outside a server (no Streamlit runtime) the warm-up gives up when its wait ends."""
    assert warm_when_running(timeout_s=0.2) == []


def test_the_warm_up_writes_no_script_context_warnings_to_the_log() -> None:
    """Streamlit warns of every cached call outside a session; the warm-up's are no fault, and
    the server's log keeps the warnings of any other thread."""
    records: list[logging.LogRecord] = []
    handler = logging.Handler(logging.WARNING)
    handler.emit = records.append  # type: ignore[method-assign]
    logger = logging.getLogger(get_script_run_ctx.__module__)
    logger.addHandler(handler)
    try:
        assert quiet_warm_up() is quiet_warm_up()  # set once
        for name in (WARM_THREAD, "another-thread"):
            thread = threading.Thread(target=get_script_run_ctx, name=name)
            thread.start()
            thread.join()
    finally:
        logger.removeHandler(handler)
    assert [r.threadName for r in records] == ["another-thread"]
    assert "missing ScriptRunContext" in records[0].getMessage()


_RACE = r"""
import importlib._bootstrap, importlib.abc, importlib.machinery, json, sys, threading
from mapgov import serve

paused, go = threading.Event(), threading.Event()
seen = []

class Pause(importlib.abc.Loader):
    def __init__(self, loader):
        self.loader = loader

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module):
        paused.set()  # the script holds the package (half-run), its shell and this module
        go.wait()
        self.loader.exec_module(module)


class Watch(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        thread = threading.current_thread().name
        if thread == "script" and name == "mapgov.ui.wall_style":
            spec = importlib.machinery.PathFinder.find_spec(name, path, target)
            spec.loader = Pause(spec.loader)  # held when run, not here: under the import lock
            return spec
        if thread == "warm" and name.startswith("mapgov.ui."):
            seen.append(name)
        return None

sys.meta_path.insert(0, Watch())
failed, warmed = [], []

def script():
    try:
        from mapgov import ui  # app.py's import, on a visitor's first run
    except ImportError as err:
        failed.append(repr(err))

script_thread = threading.Thread(target=script, name="script")
script_thread.start()
paused.wait()
warm_thread = threading.Thread(target=lambda: warmed.append(serve._glue_warm()), name="warm")
warm_thread.start()
# until the warm-up waits for an import lock (on the package; the old import, once
# wall_data's own imports were done), read from CPython's own (private) record of who
# waits, by thread (3.11 to 3.13)
while warm_thread.is_alive() and not importlib._bootstrap._blocking_on.get(warm_thread.ident):
    warm_thread.join(0.01)
go.set()
script_thread.join()
warm_thread.join()
print(json.dumps({"failed": failed, "seen": seen, "warm": [w.__module__ for w in warmed]}))
"""


def test_the_warm_up_waits_for_a_visitor_importing_the_glue() -> None:
    """The warm-up began as the first visitor's script was importing the glue: the two
    threads deadlocked on the import locks, Python handed the script a half-run module, and
    the page showed an ImportError (a CI run saw it on the co-building page). A script is
    held half-way through the package here while the warm-up starts; the warm-up waits for
    the package whole and imports nothing of its own, and the script imports without error."""
    run = subprocess.run(
        [sys.executable, "-c", _RACE], capture_output=True, text=True, timeout=300, check=False
    )
    assert run.returncode == 0, run.stderr[-2000:]
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert result == {"failed": [], "seen": [], "warm": ["mapgov.ui.wall_data"]}


def test_the_warm_up_yields_to_a_visitor(monkeypatch: pytest.MonkeyPatch, page_db: Path) -> None:
    """A visit that starts while the warm-up runs stops it after its current step (the two
    would share the machine); the visit itself tells, on its first run."""
    calls: Counter[str] = Counter()
    _counting(monkeypatch, calls, mapgov.ui.wall_data.wall, "map_data")
    _counting(monkeypatch, calls, mapgov.domain.kpi, "load_frames")
    cache_data.clear()
    # the visitor comes once the street's map is read: nothing after it is warmed
    assert wall_data.warm(page_db, stop=lambda: calls["map_data"] > 0) == []
    assert dict(calls) == {"map_data": 1}
    visits.VISITED.clear()
    monkeypatch.setenv(DB_ENV, str(page_db))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.query_params.update({"kiosk": "1", "token": mapgov.demo.wall_token(SEED, DEMO_PASSWORD)})
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert visits.VISITED.is_set()
    assert calls["map_data"] == 1  # the visit found the warmed map in the cache


def _kiosk_deck(db: Path) -> tuple[dict[str, Any], str]:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.query_params.update({"kiosk": "1", "token": mapgov.demo.wall_token(SEED, DEMO_PASSWORD)})
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    (chart,) = at.get("deck_gl_json_chart")
    return json.loads(chart.proto.json), chart.proto.tooltip


def _issue_count(spec: dict[str, Any]) -> int:
    layer = next(layer for layer in spec["layers"] if layer["id"] == "wall-issues")
    return sum(int(row["v"]) for row in layer["data"])


def test_the_cached_map_keeps_its_tooltip_and_shows_an_issue_logged_since(
    monkeypatch: pytest.MonkeyPatch, page_db: Path, tmp_path: Path
) -> None:
    """The map's deck is kept as JSON between visits: a visit after an edit draws the new
    data (the cache belongs to one data version), and the hover text comes along."""
    db = tmp_path / "wall.sqlite"
    shutil.copyfile(page_db, db)
    monkeypatch.setenv(DB_ENV, str(db))
    cache_data.clear()
    spec, tooltip = _kiosk_deck(db)
    assert json.loads(tooltip)["html"] == "<b>{n}</b><br/>{v}"
    again, _ = _kiosk_deck(db)
    assert again == spec
    store = open_store(db)
    today = clock.today(store)
    building = store.read("building", columns=["building_id"])["building_id"].iloc[0]
    workflow.log_issue(store, get_user(store, "S001-admin"), building_id=building,
                       category="lighting", source="walk_in", title="楼道灯不亮",
                       at=dt.datetime.combine(today, dt.time(9)))  # fmt: skip
    after, _ = _kiosk_deck(db)
    assert _issue_count(after) == _issue_count(spec) + 1
