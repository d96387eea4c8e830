"""Shares as the pages show them: one rounding (half up) for a figure's text and for a table's
number column, so a headline and the total row of its table never disagree (no Streamlit here).

Python's ``f"{0.925:.0%}"`` gives ``92%`` (the binary float is just under 0.925 and ties go
to even) while a table column formatted ``"%.0f%%"`` shows ``93%`` for the same 37 of 40;
:func:`percent` and :func:`percent_text` both round 92.5 up to 93.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal

import pandas as pd

__all__ = ["percent", "percent_text"]


def percent(share: float | None, digits: int = 0) -> float:
    """`share` (0 to 1) in percent, rounded half up to `digits` decimals; NaN for none.

    The share is read as its shortest decimal (``0.145`` is 14.5, not 14.4999…), so a ratio
    of whole counts rounds as it would on paper.

    >>> percent(37 / 40), percent(0.145), percent(29 / 200, 1), percent(None)
    (93.0, 15.0, 14.5, nan)
    """
    if share is None or pd.isna(share):
        return math.nan
    step = Decimal(1).scaleb(-digits)
    return float((Decimal(str(float(share))) * 100).quantize(step, rounding=ROUND_HALF_UP))


def percent_text(share: float | None, digits: int = 0) -> str:
    """`share` as text: :func:`percent` with a ``%`` sign; a dash for none.

    >>> percent_text(37 / 40), percent_text(0.5887, 1), percent_text(float("nan"))
    ('93%', '58.9%', '—')
    """
    value = percent(share, digits)
    return "—" if math.isnan(value) else f"{value:.{digits}f}%"
