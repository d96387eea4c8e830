"""Small pieces the pages share: text made safe for Markdown, a map click read from st_folium,
the files an uploader takes, the sheet that covers Streamlit's own English words."""

from __future__ import annotations

import math
import re

import pytest

from mapgov.core.i18n import LANGS, t
from mapgov.ui.widgets import click_point, md_text, streamlit_words_css, takes


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


def test_a_file_is_taken_by_its_ending_in_any_case() -> None:
    assert takes("楼栋户数.CSV", ["csv", "xlsx"]) and takes("IMG_1.jpeg", ["jpg", "jpeg"])
    assert takes("街道.osm.pbf", ["pbf"]) and takes("街道.osm.bz2", ["osm.bz2"])
    for name in ("街道图.pdf", "csv", "table.csv.exe", "notes.txt "):
        assert not takes(name, ["csv"]), name


@pytest.mark.parametrize("lang", LANGS)
def test_streamlits_english_words_are_covered_in_the_pages_language(lang: str) -> None:
    """The sheet puts the catalogue's words where Streamlit's own are English: the uploader's
    button and its drop note, an empty date's parts (year, month, day)."""
    css = streamlit_words_css(lang)
    dates = [f"app.date.{part}" for part in ("year", "month", "day")]
    for key in ("app.uploader.choose", "app.uploader.drop", *dates):
        assert f'content: "{t(key, lang)}"' in css, key
    for part in ("year", "month", "day"):
        assert f'[data-placeholder="true"][data-type="{part}"]::after' in css
    # Chinese pages drop the calendar's English quick picks ("Past Week"), English ones keep them
    assert ('"stDateInputQuickSelect"] { display: none; }' in css) == (lang != "en")


def test_the_sheet_survives_streamlits_html_sanitizer() -> None:
    """``st.html`` drops a whole style sheet whose text has a ``<`` before a letter (DOMPurify
    guards against markup in text): only the sheet's own tags may have one."""
    for lang in LANGS:
        body = streamlit_words_css(lang).removeprefix("<style>").removesuffix("</style>")
        assert not re.search(r"<[/\w]", body), lang
