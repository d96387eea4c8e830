"""The ten-minute help circle on the issue page: the section under the map and a request's
response time in the panel (figures from :mod:`mapgov.domain.help`, words from
:mod:`mapgov.views.help`)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from mapgov.core import clock
from mapgov.core.i18n import t
from mapgov.domain import help as help_circle
from mapgov.store import Store
from mapgov.ui.issues import KEY, IssueView
from mapgov.ui.loaders import cached
from mapgov.ui.widgets import md_text
from mapgov.views import help as help_view

__all__ = ["help_section", "response_row"]


@cached(max_entries=16)
def _frames(store: Store, street_id: str) -> help_circle.HelpFrames:
    return help_circle.load(store, street_id=street_id)


def help_section(ctx: IssueView) -> None:
    """The expander "十分钟办事圈": the street's share within ten minutes and median, then the
    table by compound of the page's community, for a period the user picks."""
    lang = ctx.lang
    street_id = ctx.view.street_id
    if street_id is None:
        return
    with st.expander(t("help.title", lang), icon=":material/timer:"):
        st.caption(t("help.caption", lang))
        period = st.radio(
            t("help.period_label", lang),
            list(help_view.PERIODS),
            format_func=lambda p: t(f"help.period.{p}", lang),
            horizontal=True,
            key=KEY.format("help.period"),
        )
        span = help_view.span_of(str(period), ctx.today)
        whole, table = help_circle.summary(
            _frames(ctx.store, street_id),
            now=clock.now(ctx.store),
            span=span,
            community_id=ctx.community_id,
        )
        st.markdown(md_text(help_view.street_line(whole, lang)))
        st.markdown(f"**{md_text(t('help.community', lang, community=ctx.community_name))}**")
        if table.empty:
            st.caption(t("help.no_compound", lang))
        else:
            # a static table: small, and no second data grid beside the panel's
            st.table(help_view.compound_table(table, lang).set_index(t("help.col.compound", lang)))


def response_row(
    store: Store, reported_at: str, events: pd.DataFrame, lang: str
) -> tuple[str, str]:
    """The panel's fact "响应时间" of a help request, from its history."""
    text = help_view.response_text(reported_at, events, now=clock.now(store), lang=lang)
    return t("help.panel.response", lang), text
