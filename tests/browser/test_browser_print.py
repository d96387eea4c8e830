"""The printable party summary printed by Chromium to A4 PDF: one page, and a cut list says so.

No server: the page is the HTML the download button serves (:mod:`mapgov.views.party_print`), set
into a tab and printed with ``page.pdf(format="A4")``, as a browser's print dialog does. The
pages of the PDF are counted from its page objects.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import Browser

from mapgov.core.i18n import LANGS
from mapgov.domain import party
from mapgov.store import Store
from mapgov.ui.party_figures import _summary_labels
from mapgov.views import party_print as partyprint

pytestmark = [pytest.mark.browser]

DAY = dt.date(2026, 11, 15)
_PAGE_OBJECT = re.compile(rb"/Type\s*/Page(?![a-zA-Z])")


def _pages(browser: Browser, page_html: str) -> int:
    """Pages of `page_html` printed to A4 by Chromium."""
    context = browser.new_context()
    try:
        tab = context.new_page()
        tab.set_content(page_html, wait_until="load")
        pdf = tab.pdf(format="A4", prefer_css_page_size=True)
    finally:
        context.close()
    return len(_PAGE_OBJECT.findall(pdf))


def _whole_street_as_one(frames: party.GovFrames) -> party.GovFrames:
    """The demo street's compounds and buildings as one community, names four times as long:
    every gap list longer than a page holds."""
    comps, blds = frames.compounds.copy(), frames.buildings.copy()
    comps["community_id"] = "ALL"
    blds["community_id"] = "ALL"
    comps["name"] = comps["name"] * 4
    blds["name"] = blds["name"] * 4
    return party.GovFrames(compounds=comps, buildings=blds)


@pytest.mark.parametrize("lang", LANGS)
def test_the_demo_summary_prints_on_one_page_with_every_list_whole(
    demo_store: Store, browser: Browser, lang: str
) -> None:
    frames = party.load(demo_store, street_id="S001")
    labels = _summary_labels(lang)
    everywhere = party.gap_lists(frames)
    busiest = everywhere["no_group"]["community_id"].value_counts().index[0]
    gaps = party.gap_lists(frames, community_id=busiest)
    page = partyprint.community_summary_html(
        frames, busiest, title="七一路 · 一社区", labels=labels, today=DAY
    )
    assert _pages(browser, page) == 1
    for gap in ("no_group", "no_head", "no_zone"):
        for compound, name in zip(gaps[gap]["compound_name"], gaps[gap]["name"], strict=True):
            assert f"{compound} {name}" in page
    note = labels["more"].split("{")[0]
    assert note not in page


@pytest.mark.parametrize("lang", LANGS)
def test_a_summary_too_long_for_a_page_is_cut_and_says_how_many_more(
    demo_store: Store, browser: Browser, lang: str
) -> None:
    frames = _whole_street_as_one(party.load(demo_store, street_id="S001"))
    labels = _summary_labels(lang)
    gaps = party.gap_lists(frames, community_id="ALL")
    page = partyprint.community_summary_html(
        frames, "ALL", title="七一路 · 全街道" * 3, labels=labels, today=DAY
    )
    assert _pages(browser, page) == 1
    shown = partyprint.allot([len(gaps[g]) for g in party.GAPS])
    cut = [(len(gaps[g]), n) for g, n in zip(party.GAPS, shown, strict=True) if n < len(gaps[g])]
    assert cut  # the street's lists do not fit whole
    for total, n in cut:
        assert labels["more"].format(shown=f"{n:,}", more=f"{total - n:,}") in page
