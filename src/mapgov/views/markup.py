"""Text that people typed, made safe to put inside Markdown, a stored time as the pages show
it, and a record's history (an issue's, a deliberation matter's, a co-building record's) as
the pages list it, each step's note whole (no Streamlit here)."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from enum import StrEnum
from typing import Final, NamedTuple

import pandas as pd

from mapgov.core.i18n import coded_note, value_label
from mapgov.core.model import CallbackRating

__all__ = ["Step", "history_steps", "md_text", "minute", "steps_markdown"]

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


class Step(NamedTuple):
    """One step of a record's history as a page lists it: when (``YYYY-MM-DD HH:MM``), what
    happened (who, the step, the state after it: plain text), and what was noted."""

    when: str
    what: str
    note: str


def history_steps(
    events: pd.DataFrame,
    *,
    actions: type[StrEnum],
    states: type[StrEnum],
    lang: str,
    levels: type[StrEnum] | None = None,
) -> list[Step]:
    """A record's history (an issue's, a deliberation matter's, a co-building record's) as a
    page lists it with :func:`steps_markdown`.

    Parameters
    ----------
    events : pandas.DataFrame
        Its events, oldest first: ``at``, ``actor``, ``action``, ``to_status``, ``note`` (and
        ``from_level``, ``to_level`` with `levels`).
    actions, states : type of StrEnum
        The enums of its steps and of its states, whose labels in `lang` are shown.
    lang : str
        Language.
    levels : type of StrEnum or None
        The enum of the levels an issue moves between: a step that moves it says from where
        to where (社区 → 街道).

    Returns
    -------
    list of Step
        When; who (if known), the step, the state after it and a move between levels; the note
        (a rating's code in words).
    """
    moves = [""] * len(events)
    if levels is not None:
        moves = [
            f" · {value_label(levels, a, lang)} → {value_label(levels, b, lang)}"
            if isinstance(a, str) and isinstance(b, str) and a != b
            else ""
            for a, b in zip(events["from_level"], events["to_level"], strict=True)
        ]
    out = []
    for at, actor, action, state, note, move in zip(
        events["at"],
        events["actor"],
        events["action"],
        events["to_status"],
        events["note"],
        moves,
        strict=True,
    ):
        step = value_label(actions, action, lang)
        after = value_label(states, state, lang)
        what = (f"{step} → {after}" if after else step) + move
        if isinstance(actor, str) and actor:
            what = f"{actor} · {what}"
        out.append(Step(minute(at), what, coded_note(CallbackRating, note, lang)))
    return out


def steps_markdown(steps: Iterable[Step]) -> str:
    r"""A history as a Markdown list, oldest first: each step's time in bold and what happened
    on one line, its note whole on the next (a grid cut notes at its column's width, and a
    half-page column made them scroll). Every text is escaped (:func:`md_text`).

    Examples
    --------
    >>> steps_markdown([Step("2026-10-21 10:29", "孙凤英 · 出题", "加装*电梯*")]).splitlines()
    ['- **2026\\-10\\-21 10\\:29** · 孙凤英 · 出题  ', '  加装\\*电梯\\*']
    """
    lines = []
    for step in steps:
        line = f"- **{md_text(step.when)}** · {md_text(step.what)}"
        if step.note:
            line += f"  \n  {md_text(step.note)}"
        lines.append(line)
    return "\n".join(lines)
