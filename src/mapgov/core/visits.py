"""Whether a visitor's page has run in this process since the server started.

``mapgov serve`` warms the wall screen's caches in a background thread once Streamlit is up
(:mod:`mapgov.serve`). The app calls :func:`note_visit` at the start of every run, and the
warm-up stops after its current step when it sees :data:`VISITED` set: sharing the two
cores with the very visit it prepares for slowed that visit's map down by a second or more
(issue 24). What it had not warmed yet, the visit computes itself, into the same caches.
"""

from __future__ import annotations

import threading
from typing import Final

__all__ = ["VISITED", "note_visit"]

VISITED: Final = threading.Event()
"""Set once a visitor's page has run."""


def note_visit() -> None:
    """Record that a visitor's page is running (the app calls this every run)."""
    VISITED.set()
