"""Fixtures of every browser test: a server on a copy of the demo database, chromium, a tab.

``playwright`` and ``browser`` are module-scoped (one chromium per test module), as are
``db`` (the module's private copy of the demo database, which its tests may read and write)
and ``server`` (``mapgov serve`` on that copy); a module that needs another database or
server defines a fixture of that name. Test modules take their set-up from here and from
``tests/browser/helpers.py`` only, never from one another.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Playwright, sync_playwright

from .helpers import (
    CHROMIUM,
    CHROMIUM_ARGS,
    VIEWPORT,
    Server,
    Visit,
    _require_chromium,
    _start,
    _stop,
    copy_db,
    new_tab,
)


@pytest.fixture(scope="module")
def db(demo_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private copy of the demo database for the test module."""
    return copy_db(demo_db, tmp_path_factory.mktemp("browser"))


@pytest.fixture(scope="module")
def server(db: Path) -> Iterator[Server]:
    """The app served on the module's copy of the demo database."""
    _require_chromium()
    running = _start(db)
    yield running
    _stop(running)


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    _require_chromium()
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    yield chromium
    chromium.close()


@pytest.fixture
def visit(browser: Browser) -> Iterator[Visit]:
    tab = new_tab(browser, viewport=VIEWPORT, locale="zh-CN")
    yield tab
    tab.page.context.close()
