"""Opening the database and cached loaders for the pages.

Loaders are ``st.cache_data`` functions keyed by the store's identity, ``(path,
data_version)``: every write bumps the version, so a cached answer is never stale and nothing
has to be cleared by hand. Keys are plain strings and integers, never frames.

First start: when the database does not exist yet, :func:`ensure_database` builds the demo
street with a progress bar; :func:`ensure_assets` copies Leaflet into ``static/``.
"""

from __future__ import annotations

import threading
from pathlib import Path

import geopandas as gpd
import pandas as pd
import streamlit as st

from mapgov.core import clock
from mapgov.core.config import default_db_path
from mapgov.core.errors import MapgovError
from mapgov.core.i18n import t
from mapgov.domain import places, summary
from mapgov.io.assets import assets_installed, install_assets
from mapgov.store import Store, open_store

__all__ = [
    "DEMO_SCALE",
    "DEMO_SEED",
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


def database_path() -> Path:
    """The database to open: ``$MAPGOV_DB``, else ``data/mapgov.sqlite`` in the project."""
    return default_db_path()


def ensure_assets(static_dir: Path) -> None:
    """Copy Leaflet into `static_dir` unless it is there already (first start)."""
    if assets_installed(static_dir):
        return
    with _ASSETS_LOCK:
        if not assets_installed(static_dir):
            install_assets(static_dir)


def ensure_database(path: Path, lang: str) -> None:
    """Build the demo database at `path` if there is none, showing the progress.

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


@st.cache_data(max_entries=8, show_spinner=False)
def _street_list(path: str, version: int) -> pd.DataFrame:  # noqa: ARG001 (version: cache key)
    return places.street_list(open_store(path))


@st.cache_data(max_entries=64, show_spinner=False)
def _community_list(path: str, version: int, street_id: str) -> pd.DataFrame:  # noqa: ARG001
    return places.community_list(open_store(path), street_id)


@st.cache_data(max_entries=64, show_spinner=False)
def _community_areas(path: str, version: int, street_id: str) -> gpd.GeoDataFrame:  # noqa: ARG001
    return places.community_areas(open_store(path), street_id)


@st.cache_data(max_entries=64, show_spinner=False)
def _compound_areas(
    path: str,
    version: int,  # noqa: ARG001 (cache key)
    street_id: str,
    community_id: str | None,
) -> gpd.GeoDataFrame:
    return places.compound_areas(open_store(path), street_id, community_id)


@st.cache_data(max_entries=128, show_spinner=False)
def _place_counts(
    path: str,
    version: int,  # noqa: ARG001 (cache key)
    street_id: str | None,
    community_id: str | None,
) -> summary.PlaceCounts:
    return summary.place_counts(open_store(path), street_id=street_id, community_id=community_id)


def street_list(store: Store) -> pd.DataFrame:
    """Cached :func:`mapgov.domain.places.street_list`."""
    return _street_list(*store.identity())


def community_list(store: Store, street_id: str) -> pd.DataFrame:
    """Cached :func:`mapgov.domain.places.community_list`."""
    return _community_list(*store.identity(), street_id)


def community_areas(store: Store, street_id: str) -> gpd.GeoDataFrame:
    """Cached :func:`mapgov.domain.places.community_areas`."""
    return _community_areas(*store.identity(), street_id)


def compound_areas(
    store: Store, street_id: str, community_id: str | None = None
) -> gpd.GeoDataFrame:
    """Cached :func:`mapgov.domain.places.compound_areas`."""
    return _compound_areas(*store.identity(), street_id, community_id)


def place_counts(
    store: Store, street_id: str | None, community_id: str | None
) -> summary.PlaceCounts:
    """Cached :func:`mapgov.domain.summary.place_counts`."""
    return _place_counts(*store.identity(), street_id, community_id)
