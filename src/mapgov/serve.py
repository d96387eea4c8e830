"""``mapgov serve``: the dashboard, with mapgov loaded before the first visit.

``streamlit run app.py`` imports nothing of the app until a browser connects, so the first
visitor waits for mapgov, geopandas, pydeck and the rest (about 2 s on a 2-core machine)
before anything is drawn. The wall screen of a command room is exactly that first visitor,
every morning. :func:`serve` imports mapgov's computations and the libraries they use
(:func:`preload`) and then starts Streamlit's own command line in the same process: the app
script finds them loaded.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from collections.abc import Iterable
from pathlib import Path

import mapgov
from mapgov.core.config import LOOPBACK

__all__ = ["preload", "serve"]

_NOT_PRELOADED = ("mapgov.ui", "mapgov.serve", "mapgov.__main__")
SIGN_IN_HINT = (
    "mapgov: every page asks for a sign-in. `mapgov demo` printed the demo's logins and "
    "one-time passwords once, when it built the street; `mapgov user list` lists the logins "
    "and `mapgov user passwd LOGIN` sets a new one-time password (add --db DB for another "
    "database)."
)
"""What ``make run`` prints before the server starts: how to sign in."""
# Loaded by the glue on its first run, safe to load before the runtime: folium's plugins
# (streamlit-folium imports them all, compiling their templates) and Streamlit's emoji table
# (`st.set_page_config` reads it to tell an emoji icon from a file). About 0.4 s together.
_LIBRARIES = ("folium.plugins", "streamlit.emojis")


def preload() -> list[str]:
    """Import every module of mapgov but the Streamlit glue (:mod:`mapgov.ui`); their names.

    The glue stays for the app script to import: a custom component (streamlit-folium's
    map) declared before Streamlit's runtime exists is never registered with it, and its
    frame then 404s. (That is also why this module is not in :mod:`mapgov.ui`, whose
    package imports the glue.) The rest (geopandas, pydeck, folium, scipy and mapgov's own
    computations) is most of the waiting.
    """
    names: list[str] = []
    for library in _LIBRARIES:
        importlib.import_module(library)
    packages: list[tuple[Iterable[str], str]] = [(mapgov.__path__, "mapgov.")]
    while packages:  # not pkgutil.walk_packages: it imports every package it passes
        path, prefix = packages.pop()
        for module in pkgutil.iter_modules(path, prefix):
            if module.name.startswith(_NOT_PRELOADED):
                continue
            loaded = importlib.import_module(module.name)
            names.append(module.name)
            if module.ispkg:
                packages.append((loaded.__path__, f"{module.name}."))
    return names


def serve(app: Path, *, port: int, address: str = LOOPBACK) -> int:
    """Preload, then ``streamlit run app --server.port port --server.address address
    --server.headless true``.

    The address is loopback unless another is given: Streamlit alone listens on every
    interface, which would put the dashboard on the office network without TLS.

    Returns
    -------
    int
        Streamlit's exit status (when the server stops).
    """
    # The launcher is the one module outside mapgov.ui that touches Streamlit (pyproject's
    # per-file ignore says why it cannot live there); importing it loads nothing of Streamlit.
    from streamlit.web import cli as streamlit_cli

    preload()
    print(SIGN_IN_HINT, flush=True)
    options = ["--server.port", str(port), "--server.address", address]
    options += ["--server.headless", "true"]
    sys.argv = ["streamlit", "run", str(app), *options]
    try:
        streamlit_cli.main()
    except SystemExit as stop:
        return stop.code if isinstance(stop.code, int) else 0
    return 0
