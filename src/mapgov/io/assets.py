"""Offline web assets: Leaflet served by the app itself, never from a CDN.

Leaflet comes from the ``xstatic-leaflet`` package (installed from the package registry with
mapgov). :func:`install_assets` copies its script, stylesheet and marker images into the app's
``static/`` folder, which Streamlit serves at ``/app/static/`` when
``server.enableStaticServing`` is on (see ``.streamlit/config.toml``). The map builders in
:mod:`mapgov.views.maps` point folium at :data:`LEAFLET_URL`.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Final

from xstatic.pkg import leaflet

from mapgov.core.errors import MapgovError

__all__ = [
    "LEAFLET_CSS",
    "LEAFLET_DIR",
    "LEAFLET_FILES",
    "LEAFLET_JS",
    "LEAFLET_URL",
    "STATIC_URL",
    "assets_installed",
    "install_assets",
    "leaflet_source",
]

STATIC_URL: Final = "/app/static"
"""Where Streamlit serves the app's ``static/`` folder."""
LEAFLET_DIR: Final = "leaflet"
"""Sub-folder of ``static/`` that holds Leaflet."""
LEAFLET_URL: Final = f"{STATIC_URL}/{LEAFLET_DIR}"
LEAFLET_JS: Final = "leaflet.js"
LEAFLET_CSS: Final = "leaflet.css"
LEAFLET_FILES: Final = (
    LEAFLET_JS,
    LEAFLET_CSS,
    "images/layers.png",
    "images/layers-2x.png",
    "images/marker-icon.png",
    "images/marker-icon-2x.png",
    "images/marker-shadow.png",
)
"""Files copied, relative to Leaflet's ``dist`` folder (the CSS finds the images itself)."""


def leaflet_source() -> Path:
    """Folder of Leaflet's distribution files inside the installed ``xstatic-leaflet``.

    Returns
    -------
    pathlib.Path
        The folder holding every file of :data:`LEAFLET_FILES`.

    Raises
    ------
    MapgovError
        If the installed ``xstatic-leaflet`` lacks a file.
    """
    base = Path(leaflet.BASE_DIR)
    missing = [name for name in LEAFLET_FILES if not (base / name).is_file()]
    if missing:
        msg = f"xstatic-leaflet at {base} lacks {', '.join(missing)}; reinstall it"
        raise MapgovError(msg)
    return base


def assets_installed(static_dir: Path) -> bool:
    """Whether every Leaflet file is present under ``static_dir/leaflet``.

    Parameters
    ----------
    static_dir : pathlib.Path
        The app's static folder.

    Returns
    -------
    bool
        True when every file of :data:`LEAFLET_FILES` is there.
    """
    target = Path(static_dir) / LEAFLET_DIR
    return all((target / name).is_file() for name in LEAFLET_FILES)


def install_assets(static_dir: Path) -> list[Path]:
    """Copy Leaflet's script, stylesheet and images into ``static_dir/leaflet``.

    Existing files are overwritten, so running it again repairs a damaged copy. Each file is
    written beside its target and then renamed, so a server reading it meanwhile never sees
    half a file.

    Parameters
    ----------
    static_dir : pathlib.Path
        The app's static folder: ``static/`` beside ``app.py``. Created if missing.

    Returns
    -------
    list of pathlib.Path
        The files written, in :data:`LEAFLET_FILES` order.

    Raises
    ------
    MapgovError
        If Leaflet is not installed or the folder cannot be written.
    """
    source = leaflet_source()
    target = Path(static_dir) / LEAFLET_DIR
    written: list[Path] = []
    try:
        for name in LEAFLET_FILES:
            dest = target / name
            dest.parent.mkdir(parents=True, exist_ok=True)
            partial = dest.with_name(f".{dest.name}.partial")
            shutil.copyfile(source / name, partial)
            partial.replace(dest)
            written.append(dest)
    except OSError as err:
        msg = f"cannot write web assets to {target}: {err}"
        raise MapgovError(msg) from err
    return written
