"""Small pieces the pages share: text made safe for Markdown, a map click read from st_folium."""

from __future__ import annotations

import math

import pytest

from mapgov.ui.widgets import click_point, md_text


@pytest.mark.parametrize(
    "typed",
    [
        "<img src=x onerror=alert(1)>",
        "# 标题\n* 一项\n> 引用",
        "[点我](javascript:alert(1))",
        "**粗体** _斜体_ `代码` ~~删~~ $x$",
        "1. 第一\r\n2. 第二",
        "   缩进的一行\n\n    更深的缩进",
    ],
)
def test_typed_text_is_one_line_of_plain_characters(typed: str) -> None:
    """What a resident or staff member typed shows as typed: every Markdown mark is escaped,
    and the text stays on its line (no heading, list, quote or code block can start)."""
    safe = md_text(typed)
    assert "\n" not in safe and "\r" not in safe
    for i, c in enumerate(safe):
        if c in "`*_{}[]()#+-.!|<>~$:":
            assert i > 0 and safe[i - 1] == "\\", (safe, i)
    # removing the escapes gives back the words, with line breaks as spaces
    assert safe.replace("\\", "") == typed.replace("\\", "").replace("\r", " ").replace("\n", " ")


def test_missing_values_show_a_dash() -> None:
    assert md_text(None) == md_text(math.nan) == md_text(float("nan")) == "—"
    assert md_text(0) == "0" and md_text("") == ""


def test_a_click_is_read_from_the_maps_value() -> None:
    value = {
        "last_object_clicked": {"lat": 34.67, "lng": 112.4},
        "last_object_clicked_tooltip": "x",
    }
    assert click_point(value) == (34.67, 112.4)
    for nothing in (None, {}, {"last_object_clicked": None}, {"last_object_clicked": {"lat": 1}},
                    {"last_object_clicked": {"lat": None, "lng": 2}}, "clicked"):  # fmt: skip
        assert click_point(nothing) is None
