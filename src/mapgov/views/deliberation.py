"""The deliberation page (``/deliberation``) without Streamlit: its tables and the matter's card.

Here: the figures by community (:func:`figure_table`), the matters of a step with their
overdue answers (:func:`matter_table`, :func:`overdue_style`), the matter picker's texts
(:func:`matter_options`), a matter's card (:func:`card_lines`, :func:`round_lines`) and linked
issues (:func:`issue_table`), and the line the party page's governance card shows per recent
matter (:func:`recent_line`); its history is listed as every record's is
(:func:`mapgov.views.markup.history_steps`). Text people typed
goes through :func:`~mapgov.views.markup.md_text` wherever it becomes Markdown; tables are
shown as data (never as HTML).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from enum import StrEnum
from typing import Any, Final

import pandas as pd
from pandas.io.formats.style import Styler

from mapgov.core.i18n import coded_note, t, value_label
from mapgov.core.model import (
    CallbackRating,
    DeliberationParty,
    IssueCategory,
    IssueStatus,
    MatterStatus,
)
from mapgov.domain import deliberation as delib
from mapgov.views.markup import md_text

__all__ = [
    "OVERDUE_COLOR",
    "card_lines",
    "figure_table",
    "issue_table",
    "matter_options",
    "matter_table",
    "overdue_style",
    "recent_line",
    "round_lines",
]

_P: Final = "deliberation_page."
OVERDUE_COLOR: Final = "#fde2e1"
"""Background of a matter whose answer is overdue, in the list."""


def _labels(values: pd.Series, enum: type[StrEnum], lang: str) -> list[str]:
    return [value_label(enum, v, lang) for v in values]


def _days(value: float) -> str:
    return "—" if value is None or math.isnan(value) else f"{value:.1f}"


def _day(value: object) -> str:
    return str(value)[:10] if isinstance(value, str) and value else "—"


def _headed(section: str, lang: str, columns: Mapping[str, Any]) -> pd.DataFrame:
    """A table of `columns`, headed by the texts of their keys under ``_P + section``."""
    return pd.DataFrame({t(_P + section + key, lang): values for key, values in columns.items()})


def figure_table(
    frames: delib.DelibFrames, today: dt.date, *, names: Mapping[str, str], lang: str
) -> pd.DataFrame:
    """:func:`mapgov.domain.deliberation.community_figures` with translated headers, community
    names, days to one decimal and the satisfied share in per cent (the total row last, left
    out when there is one community only).

    Parameters
    ----------
    frames : DelibFrames
        The matters and their history.
    today : datetime.date
        The day overdue answers are counted on.
    names : Mapping
        Community names by id.
    lang : str
        Language of the headers.

    Returns
    -------
    pandas.DataFrame
        One row per community.
    """
    table = delib.community_figures(frames, today)
    if (table["community_id"] != "ALL").sum() <= 1:
        table = table[table["community_id"] != "ALL"]
    total = t(_P + "fig.total", lang)
    share = table["satisfied_share"]
    return _headed(
        "fig.",
        lang,
        {
            "community": [total if c == "ALL" else names.get(c, c) for c in table["community_id"]],
            "matters": table["matters"].to_numpy(),
            "settled": table["settled"].to_numpy(),
            "open": table["open"].to_numpy(),
            "days_proposed": [_days(v) for v in table["days_proposed"]],
            "days_decided": [_days(v) for v in table["days_decided"]],
            "days_answered": [_days(v) for v in table["days_answered"]],
            "satisfied_share": ["—" if math.isnan(v) else f"{v:.0%}" for v in share],
            "overdue": table["overdue"].to_numpy(),
        },
    )


def matter_table(
    frames: delib.DelibFrames, today: dt.date, *, lang: str, status: str | None = None
) -> pd.DataFrame:
    """The matters of a step (all for None), newest question first, with translated headers;
    the last column says how many days an overdue answer is late (empty when not).

    Parameters
    ----------
    frames : DelibFrames
        The matters.
    today : datetime.date
        The day overdue answers are counted on.
    lang : str
        Language of headers and steps.
    status : str or None
        A :class:`~mapgov.core.model.MatterStatus` value.

    Returns
    -------
    pandas.DataFrame
        Number, compound, title, step, round, proposed, answer unit, due, days overdue.
    """
    m = delib.matter_list(frames, today, status=status)
    late = [
        t(_P + "list.late_days", lang, n=int(n)) if o else ""
        for n, o in zip(m["days_overdue"], m["overdue"], strict=True)
    ]
    return _headed(
        "list.",
        lang,
        {
            "matter_id": m["matter_id"].to_numpy(),
            "compound": m["compound_name"].to_numpy(),
            "title": m["title"].to_numpy(),
            "status": _labels(m["status"], MatterStatus, lang),
            "round": m["round_no"].to_numpy(),
            "proposed": [_day(v) for v in m["proposed_at"]],
            "answer_unit": [v if isinstance(v, str) else "" for v in m["answer_unit"]],
            "due": [_day(v) if isinstance(v, str) else "" for v in m["answer_due"]],
            "overdue": late,
        },
    )


def overdue_style(table: pd.DataFrame, *, lang: str) -> Styler:
    """`table` (:func:`matter_table`) with the rows of overdue answers highlighted.

    Parameters
    ----------
    table : pandas.DataFrame
        The list as :func:`matter_table` made it.
    lang : str
        Its language (names the overdue column).

    Returns
    -------
    pandas.io.formats.style.Styler
        The styled table.
    """
    column = t(_P + "list.overdue", lang)

    def paint(row: pd.Series) -> list[str]:
        late = bool(row[column])
        return [f"background-color: {OVERDUE_COLOR}" if late else "" for _ in row]

    return table.style.apply(paint, axis=1)


def matter_options(frames: delib.DelibFrames, *, lang: str) -> dict[str, str]:
    """The matter picker's texts by id: number, compound, title and step.

    Parameters
    ----------
    frames : DelibFrames
        The matters, newest first.
    lang : str
        Language of the steps.

    Returns
    -------
    dict
        ``matter_id`` -> text.
    """
    m = frames.matters
    return {
        str(r.matter_id): t(
            _P + "option",
            lang,
            id=r.matter_id,
            compound=r.compound_name,
            title=r.title,
            status=value_label(MatterStatus, r.status, lang),
        )
        for r in m.itertuples(index=False)
    }


def card_lines(record: Mapping[str, Any], *, lang: str) -> list[tuple[str, str]]:
    """The card's facts of a matter as (label, Markdown-safe value) pairs.

    Parameters
    ----------
    record : Mapping
        The matter (:func:`mapgov.domain.deliberation.matter`).
    lang : str
        Language of labels and codes.

    Returns
    -------
    list of tuple of (str, str)
        Labels and escaped values, in the card's order (the answer and rating only once
        given).
    """
    c = _P + "card."
    lines = [
        (t(c + "status", lang), value_label(MatterStatus, record["status"], lang)),
        (t(c + "round", lang), str(record["round_no"])),
        (t(c + "question", lang), md_text(record.get("question"))),
        (
            t(c + "proposed", lang),
            md_text(f"{_day(record['proposed_at'])} · {record['proposed_by']}"),
        ),
    ]
    if record.get("decision"):
        lines.append((t(c + "decision", lang), md_text(record["decision"])))
        due = f"{record.get('answer_unit') or '—'} · {_day(record.get('answer_due'))}"
        lines.append((t(c + "answer_unit", lang), md_text(due)))
    if record.get("answer"):
        answered = t(c + "dated", lang, text=record["answer"], day=_day(record.get("answered_at")))
        lines.append((t(c + "answer", lang), md_text(answered)))
    if record.get("rating"):
        rating = value_label(CallbackRating, record["rating"], lang)
        rated = t(c + "dated", lang, text=rating, day=_day(record.get("rated_at")))
        lines.append((t(c + "rating", lang), md_text(rated)))
    return lines


def round_lines(
    rounds: pd.DataFrame, *, lang: str, present: int = 0
) -> list[tuple[str, list[tuple[str, str]]]]:
    """Each round of deliberation as a heading and its (label, Markdown-safe value) facts.

    Parameters
    ----------
    rounds : pandas.DataFrame
        :func:`mapgov.domain.deliberation.rounds` (members' names masked or not).
    lang : str
        Language of the labels.
    present : int
        The matter's present round: its answer and rating are on the card
        (:func:`card_lines`); an earlier round shows what was answered and how residents
        rated it, which the matter itself no longer keeps.

    Returns
    -------
    list of tuple
        (heading, facts) per round, first round first.
    """
    c = _P + "round."
    out = []
    for r in rounds.itertuples(index=False):
        facts = [
            (
                value_label(DeliberationParty, p.value, lang),
                md_text(getattr(r, f"{p.value}_position")),
            )
            for p in DeliberationParty
        ]
        facts += [
            (t(c + "minutes", lang), md_text(r.minutes)),
            (t(c + "attendance", lang), str(r.attendance)),
            (t(c + "members", lang), md_text("、".join(r.members) if r.members else None)),
            (t(c + "decision", lang), md_text(r.decision)),
        ]
        if int(r.round_no) != present:
            card = _P + "card."
            if isinstance(getattr(r, "answer", None), str):
                facts.append((t(card + "answer", lang), md_text(r.answer)))
            if isinstance(getattr(r, "rating", None), str):
                rated = coded_note(CallbackRating, r.rating, lang)
                facts.append((t(card + "rating", lang), md_text(rated)))
        heading = t(c + "heading", lang, n=r.round_no, day=_day(r.held_on))
        out.append((heading, facts))
    return out


def issue_table(issues: pd.DataFrame, *, lang: str) -> pd.DataFrame:
    """The issues a matter settles, with translated headers, categories and states.

    Parameters
    ----------
    issues : pandas.DataFrame
        :func:`mapgov.domain.deliberation.linked_issues`.
    lang : str
        Language.

    Returns
    -------
    pandas.DataFrame
        Number, title, category, state.
    """
    return _headed(
        "issues.",
        lang,
        {
            "issue_id": [f"#{int(i)}" for i in issues["issue_id"]],
            "title": issues["title"].to_numpy(),
            "category": _labels(issues["category"], IssueCategory, lang),
            "status": _labels(issues["status"], IssueStatus, lang),
        },
    )


def recent_line(item: Mapping[str, Any], *, lang: str) -> str:
    """One recent matter on a compound's governance card: title, step, date (Markdown-safe).

    Parameters
    ----------
    item : Mapping
        One of :func:`mapgov.domain.deliberation.recent_matters`.
    lang : str
        Language of the step.

    Returns
    -------
    str
        The line.
    """
    return md_text(
        t(
            _P + "recent",
            lang,
            title=item["title"],
            status=value_label(MatterStatus, item["status"], lang),
            date=item["date"],
        )
    )
