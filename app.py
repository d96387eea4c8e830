"""mapgov: one map of compound governance (小区治理一张图). Run: ``streamlit run app.py``.

The frame only: :func:`mapgov.ui.run_app` sets up navigation (wall screen at ``/`` and
``/wall``, then ``/issues``, ``/life-circle``, ``/party``, ``/data``), the language and place
from the URL query, and builds the demo database and offline assets on first start.
"""

from pathlib import Path

from mapgov import ui

ui.run_app(Path(__file__).parent)
