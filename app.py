"""mapgov: one map of compound governance (小区治理一张图). Run: ``streamlit run app.py``.

The frame only: :func:`mapgov.ui.run_app` sets up navigation (wall screen at ``/`` and
``/wall``, then ``/issues``, ``/life-circle``, ``/party``, ``/data``), the language and place
from the URL query, and builds the demo database and offline assets on first start.

``streamlit run`` finds :data:`app` here and serves it: Streamlit's pages plus the route that
sets the session cookie from the server, out of the page scripts' reach
(:mod:`mapgov.session_cookie`). Streamlit then runs this file once per visit and rerun, as
``__main__``, to draw the page; the glue is imported only there (a custom component declared
before Streamlit's runtime exists would not be registered).
"""

from pathlib import Path

import streamlit as st

from mapgov.session_cookie import ROUTES

app = st.App(__file__, routes=ROUTES)

if __name__ == "__main__":
    from mapgov import ui

    ui.run_app(Path(__file__).parent)
