"""Text that people typed, made safe to put inside Markdown, and a stored time as the pages
show it (no Streamlit here)."""

from __future__ import annotations

import math
import re
from typing import Final

__all__ = ["md_text", "minute"]

_MD_SPECIAL: Final = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")


def md_text(value: object) -> str:
    """Data text safe inside Markdown, on one line: HTML stays text, no markup is interpreted.

    Names, titles and descriptions that people typed go through this before
    ``st.markdown``; a missing value (None, NaN) shows as a dash.
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return _MD_SPECIAL.sub(r"\\\1", str(value)).replace("\r", " ").replace("\n", " ")


def minute(value: object) -> str:
    """A stored time (ISO 8601) as the pages show times: ``YYYY-MM-DD HH:MM``; empty for none.

    >>> minute("2026-12-07T06:09:10"), minute(None)
    ('2026-12-07 06:09', '')
    """
    if value is None or (isinstance(value, float) and math.isnan(value)) or value == "":
        return ""
    return str(value).replace("T", " ")[:16]
