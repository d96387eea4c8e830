"""Opening the database and cached loaders for the pages.

Every page's loaders are made with :func:`cached` (or :func:`cached_resource` for a shared,
never mutated object such as the walking graph): a loader takes the store itself, and the cache
hashes it as its identity, ``(path, data_version)``. Every write bumps the version, so a cached
answer is never stale and nothing has to be cleared by hand. The other arguments are plain
strings, integers and small frozen values, never frames.

First start: when the database does not exist yet, :func:`ensure_database` builds the demo
street with a progress bar; :func:`ensure_assets` copies Leaflet into ``static/``.
"""

from __future__ import annotations

import functools
import inspect
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar, cast

import geopandas as gpd
import pandas as pd
import streamlit as st

from mapgov.core import clock
from mapgov.core.config import default_db_path
from mapgov.core.errors import MapgovError
from mapgov.core.i18n import t
from mapgov.domain import places, summary
from mapgov.io.assets import assets_installed, install_assets
from mapgov.store import SQLiteStore, Store

F = TypeVar("F", bound=Callable[..., Any])

__all__ = [
    "DEMO_SCALE",
    "DEMO_SEED",
    "cached",
    "cached_resource",
    "community_areas",
    "community_list",
    "compound_areas",
    "database_path",
    "ensure_assets",
    "ensure_database",
    "place_counts",
    "street_list",
]

DEMO_SEED = 42
DEMO_SCALE = 1

# One build at a time per server process: a second session waits, then finds the file.
_BUILD_LOCK = threading.Lock()
_ASSETS_LOCK = threading.Lock()


def _store_key(store: Store) -> tuple[str, int]:
    """How a cache hashes a store argument: its path and data version (new data, new key)."""
    return store.identity()


# Streamlit looks hash functions up by the argument's exact type: one entry per backend.
_HASH_FUNCS: dict[str | type[Any], Callable[[Any], Any]] = {
    SQLiteStore: _store_key,
    "mapgov.store.postgres.PostgresStore": _store_key,  # by name: psycopg only when used
}


def _keyed(cache: Callable[[Callable[..., Any]], Callable[..., Any]]) -> Callable[[F], F]:
    """Wrap `cache` so that every call reaches it with the arguments bound to the signature,
    defaults filled in: ``f(store, "S1")``, ``f(store, "S1", None)`` and
    ``f(store, street_id="S1")`` share one entry (Streamlit keys a call as it is written)."""

    def decorate(func: F) -> F:
        inner = cache(func)
        signature = inspect.signature(func)

        @functools.wraps(func)
        def call(*args: Any, **kwargs: Any) -> Any:
            bound = signature.bind(*args, **kwargs)
            bound.apply_defaults()
            return inner(*bound.args, **bound.kwargs)

        call.clear = inner.clear  # type: ignore[attr-defined]
        return cast("F", call)

    return decorate


def cached(*, max_entries: int) -> Callable[[F], F]:
    """``st.cache_data`` for a loader whose arguments include the store.

    The store is hashed as :meth:`~mapgov.store.SQLiteStore.identity`, so the cached answer
    belongs to one data version of one database; every write makes the next call a miss. The
    answer is pickled: each run gets its own copy.

    Parameters
    ----------
    max_entries
        How many answers the loader keeps (oldest dropped first).

    Returns
    -------
    Callable
        The decorator.
    """
    return _keyed(
        st.cache_data(max_entries=max_entries, show_spinner=False, hash_funcs=_HASH_FUNCS)
    )


def cached_resource(*, max_entries: int) -> Callable[[F], F]:
    """``st.cache_resource`` keyed like :func:`cached` (same parameter): one object shared
    by every session, never mutated by them, built again when the data version changes."""
    return _keyed(
        st.cache_resource(max_entries=max_entries, show_spinner=False, hash_funcs=_HASH_FUNCS)
    )


def database_path() -> Path | str:
    """The database to open: ``$MAPGOV_DB`` (a path or a ``postgresql://`` URL), else
    ``data/mapgov.sqlite`` in the project."""
    return default_db_path()


def ensure_assets(static_dir: Path) -> None:
    """Copy Leaflet into `static_dir` unless it is there already (first start)."""
    if assets_installed(static_dir):
        return
    with _ASSETS_LOCK:
        if not assets_installed(static_dir):
            install_assets(static_dir)


def ensure_database(path: Path | str, lang: str) -> None:
    """Build the demo database at `path` if there is none, showing the progress (a
    PostgreSQL database is built by ``mapgov demo`` or ``mapgov copy``: opening it tells).

    Parameters
    ----------
    path
        Database file. Its directory is created if needed.
    lang
        Language of the progress text.

    Raises
    ------
    MapgovError
        If the demo cannot be written there.
    """
    if isinstance(path, str):
        return
    if path.is_file():
        _upgrade(path, lang)
        return
    with _BUILD_LOCK:
        if path.is_file():  # another session built it while this one waited
            return
        from mapgov.demo import build_demo  # here: only a first start needs it

        path.parent.mkdir(parents=True, exist_ok=True)
        bar = st.progress(0.0, text=t("setup.building", lang, path=path))

        def report(stage: str, share: float) -> None:  # noqa: ARG001 (stage names: English)
            done = min(max(float(share), 0.0), 1.0)
            bar.progress(done, text=t("setup.stage", lang, percent=round(done * 100)))

        today = clock.system_now().date()
        build_demo(path, seed=DEMO_SEED, scale=DEMO_SCALE, as_of=today, progress=report)
        bar.empty()
        st.toast(t("setup.done", lang, path=path))


def _upgrade(path: Path, lang: str) -> None:
    """Migrate a database of an older mapgov in place (the old file is kept beside it)."""
    from mapgov.core.model import SCHEMA_VERSION
    from mapgov.store.migrate import migrate, schema_version_of

    try:
        if schema_version_of(path) >= SCHEMA_VERSION:
            return
    except MapgovError:
        return  # not a mapgov database: opening it says so
    with _BUILD_LOCK, st.spinner(t("setup.migrating", lang, path=path)):
        old, new = migrate(path)
    if old != new:
        st.toast(t("setup.migrated", lang, old=old, new=new))


@cached(max_entries=8)
def street_list(store: Store) -> pd.DataFrame:
    """Cached :func:`mapgov.domain.places.street_list`."""
    return places.street_list(store)


@cached(max_entries=64)
def community_list(store: Store, street_id: str) -> pd.DataFrame:
    """Cached :func:`mapgov.domain.places.community_list`."""
    return places.community_list(store, street_id)


@cached(max_entries=64)
def community_areas(store: Store, street_id: str) -> gpd.GeoDataFrame:
    """Cached :func:`mapgov.domain.places.community_areas`."""
    return places.community_areas(store, street_id)


@cached(max_entries=64)
def compound_areas(
    store: Store, street_id: str, community_id: str | None = None
) -> gpd.GeoDataFrame:
    """Cached :func:`mapgov.domain.places.compound_areas`."""
    return places.compound_areas(store, street_id, community_id)


@cached(max_entries=128)
def place_counts(
    store: Store, street_id: str | None, community_id: str | None
) -> summary.PlaceCounts:
    """Cached :func:`mapgov.domain.summary.place_counts`."""
    return summary.place_counts(store, street_id=street_id, community_id=community_id)
