"""The printable one-page party summary of a community (A4, escaped HTML).

One page is a promise: the figures, then the five gap lists (:data:`mapgov.domain.party.GAPS`),
most residents first. Each entry takes exactly one line of a three-column grid (a long name
is cut with an ellipsis, never wrapped), so the page's height follows from counts alone:
:func:`allot` shares :data:`LIST_LINES` lines among the lists, a short list whole, the long
ones cut alike. A cut list says how many entries it leaves out and where the whole list is
(the party page's gap lists, downloadable). A test prints the page in Chromium and counts
the pages of the PDF.
"""

from __future__ import annotations

import datetime as dt
import html
import math
from collections.abc import Sequence
from typing import Final

import pandas as pd

from mapgov.core.errors import ValidationError
from mapgov.domain.party import GAPS, GovFrames, coverage_figures, gap_lists, three_nos_text
from mapgov.views.shares import percent_text

__all__ = ["COLUMNS", "LIST_LINES", "MORE_TEXT", "allot", "community_summary_html"]

COLUMNS: Final = 3
"""Entries side by side in a printed list."""
LIST_LINES: Final = 34
"""Lines of list entries one A4 page holds below the title, the figures, the five list
headings and a note under each list (each line 4.6 mm; measured in Chromium with room to
spare, see tests/browser/test_browser_print.py)."""
MORE_TEXT: Final = (
    "The {shown} with the most residents; {more} more not listed: the whole list is on the "
    "party page under the gap lists (Excel or CSV download)."
)
"""Default note under a cut list ({shown}, {more}); the app passes its translation as
``labels["more"]``."""

_STYLE: Final = (
    "@page{size:A4;margin:12mm}"
    "*{box-sizing:border-box}"
    "body{margin:0;font-family:'Noto Sans CJK SC','Microsoft YaHei',sans-serif;font-size:9pt;"
    "line-height:4.6mm}"
    "h1{font-size:14pt;line-height:7mm;margin:0}"
    "p.date{margin:0 0 2mm}"
    "h2{font-size:10.5pt;line-height:6mm;margin:2mm 0 0}"
    "table{border-collapse:collapse;width:100%;margin:0 0 1mm}"
    "td,th{border:1px solid #999;padding:0 4pt;text-align:left;line-height:5mm;font-weight:normal}"
    "th{background:#eee}.n{text-align:right}"
    "ol{display:grid;grid-template-columns:repeat(3,minmax(0,1fr));grid-auto-flow:column;"
    "column-gap:4mm;list-style:none;margin:0;padding:0}"
    "li{display:flex;gap:2mm;height:4.6mm;white-space:nowrap;border-bottom:1px dotted #bbb}"
    "li .t{flex:1;overflow:hidden;text-overflow:ellipsis}"
    "li .r{color:#555}"
    "p.more{margin:0;font-size:8pt;color:#444}"
)


def allot(sizes: Sequence[int], lines: int = LIST_LINES, columns: int = COLUMNS) -> list[int]:
    """How many entries of each list to print: every list whole when they fit in `lines`
    lines of `columns` entries, else the long lists cut to the same number of lines.

    Examples
    --------
    >>> allot([2, 50, 5, 35, 1], lines=34, columns=3)
    [2, 50, 5, 35, 1]
    >>> allot([2, 90, 5, 60, 1], lines=34, columns=3)
    [2, 45, 5, 45, 1]
    >>> allot([0, 0], lines=5)
    [0, 0]
    """
    needed = [math.ceil(n / columns) for n in sizes]
    if sum(needed) <= lines:
        return list(sizes)
    cap = 0
    while sum(min(k, cap + 1) for k in needed) <= lines:
        cap += 1
    return [min(n, cap * columns) for n in sizes]


def _entries(frame: pd.DataFrame) -> list[tuple[str, int]]:
    if "compound_id" in frame.columns:
        names = [str(n) for n in frame["name"]]
    else:
        names = [f"{c} {n}" for c, n in zip(frame["compound_name"], frame["name"], strict=True)]
    return list(zip(names, (int(r) for r in frame["residents"]), strict=True))


def _list_html(
    entries: list[tuple[str, int]], shown: int, residents: str, more_text: str
) -> list[str]:
    e = html.escape
    rows = math.ceil(shown / COLUMNS)
    out = [f"<ol style='grid-template-rows:repeat({rows},4.6mm)'>"]
    for rank, (name, people) in enumerate(entries[:shown], start=1):
        out.append(
            f"<li title='{e(name)}'><span class='t'>{rank}. {e(name)}</span>"
            f"<span class='r'>{people:,} {e(residents)}</span></li>"
        )
    out.append("</ol>")
    if shown < len(entries):
        note = more_text.format(shown=f"{shown:,}", more=f"{len(entries) - shown:,}")
        out.append(f"<p class='more'>{e(note)}</p>")
    return out


def community_summary_html(
    frames: GovFrames, community_id: str, *, title: str, labels: dict[str, str], today: dt.date
) -> str:
    """A one-page printable summary of a community's coverage and gaps (A4, escaped HTML).

    Parameters
    ----------
    labels
        Translated labels for the figure and gap names (keys of
        :func:`mapgov.domain.party.coverage_figures` columns and of
        :data:`mapgov.domain.party.GAPS`, plus "compound", "building", "residents", "date";
        "dated", the date line with {day}; "counted", a gap's heading with {what} and {n} (in
        Chinese full-width brackets); and "more", the note under a cut list with the
        placeholders {shown} and {more}; default :data:`MORE_TEXT`).

    Raises
    ------
    ValidationError
        If there is no such community.
    """
    figs = coverage_figures(frames)
    row = figs[figs["community_id"] == community_id]
    if row.empty:
        msg = f"no community {community_id!r}"
        raise ValidationError(msg)
    r = row.iloc[0]
    gaps = gap_lists(frames, community_id=community_id)
    e = html.escape
    cells: list[tuple[str, str]] = []
    for key in ("share_branch", "share_group", "share_head", "share_zone"):
        value = r[key]
        cells.append((key, percent_text(value)))
    value = r["members_per_100_households"]
    cells.append(("members_per_100_households", "—" if pd.isna(value) else f"{value:.1f}"))
    three_nos = three_nos_text(r, labels)
    cells.append(("red_property", f"{int(r['red_property'])}"))
    cells.append(("three_nos", three_nos))
    cells.append(("joint_mechanism", f"{int(r['joint_mechanism'])}"))
    lines = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<title>{e(title)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{e(title)}</h1><p class='date'>"
        f"{e(labels.get('dated', 'Date: {day}').format(day=today.isoformat()))}</p>",
        "<table>",
    ]
    for i in range(0, len(cells), 2):
        pair = "".join(
            f"<th>{e(labels.get(key, key))}</th><td class='n'>{e(text)}</td>"
            for key, text in cells[i : i + 2]
        )
        lines.append(f"<tr>{pair}</tr>")
    lines.append("</table>")
    entries = {gap: _entries(gaps[gap]) for gap in GAPS}
    shown = allot([len(entries[gap]) for gap in GAPS])
    residents = labels.get("residents", "residents")
    more_text = labels.get("more", MORE_TEXT)
    for gap, n in zip(GAPS, shown, strict=True):
        count = three_nos if gap == "three_nos" else f"{len(entries[gap])}"
        heading = labels.get("counted", "{what} ({n})").format(what=labels.get(gap, gap), n=count)
        lines.append(f"<h2>{e(heading)}</h2>")
        if entries[gap]:
            lines.extend(_list_html(entries[gap], n, residents, more_text))
    lines.append("</body></html>")
    return "\n".join(lines)
