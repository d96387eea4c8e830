"""``mapgov serve``: the dashboard, with mapgov loaded before the first visit.

``streamlit run app.py`` imports nothing of the app until a browser connects, so the first
visitor waits for mapgov, geopandas, pydeck and the rest (about 2 s on a 2-core machine)
before anything is drawn. The wall screen of a command room is exactly that first visitor,
every morning. :func:`serve` imports mapgov's computations and the libraries they use
(:func:`preload`) and then starts Streamlit's own command line in the same process: the app
script finds them loaded. Once Streamlit's runtime is up, a background thread also fills the
caches the wall screen's first visit reads (:func:`mapgov.ui.wall_data.warm`: the street, its
figures and compound health, about 2.5 s of Python at scale 1), so that the first visit after
a restart waits for its browser only (issue 24).
"""

from __future__ import annotations

import importlib
import logging
import pkgutil
import sys
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Final

import mapgov
from mapgov.core.config import LOOPBACK, default_db_path
from mapgov.core.visits import VISITED

__all__ = ["WARM_THREAD", "preload", "quiet_warm_up", "serve", "warm_when_running"]

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


def _register_components(runtime: Any) -> None:
    """Register the custom components (streamlit-folium's map) that importing the glue here
    declared: Streamlit registers a component only when it is declared inside a script run,
    and the module is not imported again by the app script."""
    from streamlit.components.v1.custom_component import CustomComponent

    registry = runtime.component_registry
    for module in list(sys.modules.values()):
        for value in list(getattr(module, "__dict__", {}).values()):
            if not isinstance(value, CustomComponent):
                continue
            if registry.get_component_path(value.name) is None:
                registry.register_component(value)


def _glue_warm() -> Callable[..., list[str]]:
    """Import the glue as the app script does, then return its warm-up.

    The package first, whole: a visitor whose script is importing it holds its lock until
    its ``__init__`` ends, and this waits for that holding no lock of its own. Importing
    ``mapgov.ui.wall_data`` straight away does not wait for a half-imported package: this
    thread would then hold that module and wait for the package's lock while the script,
    holding the package, waited for that module; Python breaks such a deadlock by handing
    the script the half-run module, and the visitor's page showed an ImportError.
    """
    importlib.import_module("mapgov.ui")
    from mapgov.ui.wall_data import warm

    return warm


GRACE_S = 3.0
"""Seconds the warm-up waits once the server is up, for a wall screen that reconnects."""


WARM_THREAD: Final = "mapgov-warm"
"""The name of the thread that warms the caches (:func:`warm_when_running`)."""
_CONTEXT_LOGGER: Final = "streamlit.runtime.scriptrunner_utils.script_run_context"


class _WarmUpIsNoSession(logging.Filter):
    """Drops Streamlit's "missing ScriptRunContext!" warnings from the warm-up's thread: the
    caches it fills need no browser session, and each warning would tell whoever reads the
    server's log of a fault that is not there."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.threadName != WARM_THREAD


def quiet_warm_up() -> logging.Filter:
    """Keep the warm-up's thread out of Streamlit's warnings about a missing script context.

    Returns
    -------
    logging.Filter
        The filter set on Streamlit's logger (once, however often this is called).
    """
    logger = logging.getLogger(_CONTEXT_LOGGER)
    for found in logger.filters:
        if isinstance(found, _WarmUpIsNoSession):
            return found
    quiet = _WarmUpIsNoSession()
    logger.addFilter(quiet)
    return quiet


def warm_when_running(timeout_s: float = 120.0, grace_s: float = GRACE_S) -> list[str]:
    """Wait for Streamlit's runtime, then fill the wall screen's caches; the streets warmed.

    A command room's screen stays open while the server restarts and reconnects at once:
    the warm-up would then share the two cores with the very visit it prepares for, and
    slowed its map down by 1-2 s (issue 24). So it waits `grace_s` first, and is left to
    the visitor who came in that time (:mod:`mapgov.core.visits`); one who comes later
    stops it after its current step, and computes the rest into the same caches.

    The glue (:mod:`mapgov.ui`) is imported only once the runtime exists (see
    :func:`preload`), and the caches then live in the runtime's storage, where the pages
    find them. The custom components that import declares are registered here (Streamlit
    registers them only when declared inside a script run: the folium maps would be blank).
    A missing database (the app builds the demo at its first visit) or any error leaves the
    caches cold: the first visitor then fills them, as without this.
    """
    from streamlit.runtime import Runtime

    deadline = time.monotonic() + timeout_s
    while not Runtime.exists():
        if time.monotonic() > deadline:
            return []
        time.sleep(0.05)
    db = default_db_path()
    if isinstance(db, Path) and not db.exists():
        return []
    if VISITED.wait(grace_s):
        print("mapgov: the wall screen's caches are left to the first visitor", flush=True)
        return []
    try:
        warm = _glue_warm()
        _register_components(Runtime.instance())
        began = time.monotonic()
        streets = warm(db, stop=VISITED.is_set)
    except Exception as err:  # a cold cache is no reason to stop serving
        print(f"mapgov: the wall screen's caches were not warmed: {err!r}", flush=True)
        return []
    seconds = time.monotonic() - began
    if not streets:
        print(f"mapgov: warm-up stopped for the first visitor ({seconds:.1f} s)", flush=True)
        return streets
    print(f"mapgov: wall screen ready for {', '.join(streets)} ({seconds:.1f} s)", flush=True)
    return streets


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
    quiet_warm_up()
    threading.Thread(target=warm_when_running, name=WARM_THREAD, daemon=True).start()
    options = ["--server.port", str(port), "--server.address", address]
    options += ["--server.headless", "true"]
    sys.argv = ["streamlit", "run", str(app), *options]
    try:
        streamlit_cli.main()
    except SystemExit as stop:
        return stop.code if isinstance(stop.code, int) else 0
    return 0
