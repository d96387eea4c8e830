"""Shared fixtures: one demo street built once per test session with a fixed seed."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from mapgov.config import DB_ENV
from mapgov.demo import build_demo
from mapgov.store import Store, open_store

SEED = 7
AS_OF = dt.date(2026, 11, 15)


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Path to a scale-1 demo database (seed 7, as of 2026-11-15), built once."""
    path = tmp_path_factory.mktemp("demo") / "mapgov.sqlite"
    build_demo(path, seed=SEED, scale=1, as_of=AS_OF)
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


@pytest.fixture
def app_db(monkeypatch: pytest.MonkeyPatch, demo_db: Path, tmp_path: Path) -> Store:
    """A private copy of the demo database (the page writes to it), opened by the app."""
    path = tmp_path / "mapgov.sqlite"
    shutil.copyfile(demo_db, path)
    monkeypatch.setenv(DB_ENV, str(path))
    return open_store(path)
