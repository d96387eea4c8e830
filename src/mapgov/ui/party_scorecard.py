"""The party page's section "物业企业评价": the property companies' ranking for a month with
each company's 6-month trend, the form that records a residents' evaluation (staff of the
community, admins) and the admins' form for a company's co-building agreement and branch.

Layout only: the figures come from :mod:`mapgov.domain.scorecard`, the table from
:mod:`mapgov.views.scorecard`; every save goes through the domain (rights checked there).
"""

from __future__ import annotations

import datetime as dt
from typing import Final

import pandas as pd
import streamlit as st

from mapgov.core import clock
from mapgov.core.errors import MapgovError
from mapgov.core.i18n import error_text, t
from mapgov.core.model import Role
from mapgov.domain import scorecard
from mapgov.domain.users import get_user
from mapgov.store import Store, open_store
from mapgov.ui.loaders import cached
from mapgov.ui.state import StreetView
from mapgov.ui.widgets import day_input, show_table, table_downloads
from mapgov.views import scorecard as views

__all__ = ["section"]

_KEY: Final = "mapgov.scorecard.{}"
_FLASH: Final = _KEY.format("flash")
_TREND_MONTHS: Final = 6


@cached(max_entries=16)
def _cards(
    store: Store, street_id: str, month: str, today: dt.date
) -> tuple[pd.DataFrame, pd.DataFrame]:
    frames = scorecard.load_scorecard_frames(store, street_id=street_id)
    card = scorecard.property_scorecard(frames, month, today)
    trend = scorecard.scorecard_trend(frames, month, today, months=_TREND_MONTHS)
    return card, trend


def _flash() -> None:
    shown = st.session_state.pop(_FLASH, None)
    if shown is None:
        return
    kind, text = shown
    (st.success if kind == "success" else st.error)(text)


def _column_config(lang: str) -> dict[str, object]:
    def col(name: str) -> str:
        return t(f"scorecard.col.{name}", lang)

    share = {
        col(c): st.column_config.NumberColumn(format="percent")
        for c in ("on_time_share", "satisfaction", "fee_collection_rate")
    }
    one = {
        col(c): st.column_config.NumberColumn(format="%.1f")
        for c in ("evaluation_score", "composite_score")
    }
    return {
        **share,
        **one,
        col("issues_per_100_households"): st.column_config.NumberColumn(format="%.2f"),
        col("households"): st.column_config.NumberColumn(format="%d"),
        col("evaluation_respondents"): st.column_config.NumberColumn(format="%d"),
        t("scorecard.trend", lang): st.column_config.LineChartColumn(
            t("scorecard.trend", lang),
            help=t("scorecard.trend_help", lang, n=_TREND_MONTHS),
        ),
    }


def _ranking(ctx: StreetView, month: str) -> None:
    lang = ctx.lang
    card, trend = _cards(ctx.store, ctx.street_id, month, ctx.today)
    if card.empty:
        st.info(t("scorecard.empty", lang))
        return
    table = views.scorecard_table(card, lang)
    table.insert(
        3,  # after rank, company and composite score
        t("scorecard.trend", lang),
        views.trend_values(trend, list(card["company"])),
    )
    show_table(
        table,
        hide_index=True,
        column_config=_column_config(lang),  # type: ignore[arg-type]
        key=_KEY.format("table"),
    )
    if bool(card["to_date"].iloc[0]):
        st.caption(t("scorecard.to_date_note", lang, day=ctx.today.isoformat()))
    table_downloads(
        views.scorecard_table(card, lang),
        texts="scorecard.download_",
        lang=lang,
        stem=f"property-scorecard-{month}",
        key=_KEY.format("download"),
    )
    with st.expander(t("scorecard.method_title", lang), icon=":material/info:"):
        st.markdown(t("scorecard.method", lang))


def _record(db: str, user_id: str, lang: str, version: int) -> None:
    """Submit callback of the evaluation form."""

    def value(name: str) -> object:
        return st.session_state.get(_KEY.format(f"eval.{version}.{name}"))

    store = open_store(db)
    try:
        user = get_user(store, user_id)
        respondents = value("respondents")
        scorecard.record_evaluation(
            store,
            user,
            str(value("compound")),
            str(value("period")),
            float(value("score")),  # type: ignore[arg-type]
            int(respondents) if isinstance(respondents, (int, float)) else 0,
            clock.now(store),
        )
    except MapgovError as err:
        st.session_state[_FLASH] = (
            "error",
            t("scorecard.refused", lang, message=error_text(err, lang)),
        )
        return
    st.session_state[_FLASH] = ("success", t("scorecard.recorded", lang))


def _evaluation_form(ctx: StreetView) -> None:
    lang = ctx.lang
    user = ctx.user()
    st.markdown(f"**{t('scorecard.form.title', lang)}**")
    if user is None or user.role not in (Role.STAFF, Role.ADMIN):
        st.caption(t("scorecard.form.who", lang))
        return
    compounds = scorecard.evaluable_compounds(ctx.store, user, ctx.street_id)
    if ctx.community_id is not None:  # the page shows one community: its compounds only
        compounds = compounds[compounds["community_id"] == ctx.community_id]
    if compounds.empty:
        st.caption(t("scorecard.form.none", lang))
        return
    version = ctx.store.data_version()
    label = {r.compound_id: f"{r.name} · {r.company}" for r in compounds.itertuples(index=False)}

    def key(name: str) -> str:
        return _KEY.format(f"eval.{version}.{name}")

    with st.form(_KEY.format(f"eval.{version}")):
        st.selectbox(
            t("scorecard.form.compound", lang),
            list(label),
            format_func=label.__getitem__,
            key=key("compound"),
        )
        left, mid, right = st.columns(3)
        left.selectbox(
            t("scorecard.form.period", lang), views.month_choices(ctx.today), key=key("period")
        )
        for column, name, bounds in (
            (mid, "score", {"min_value": 0.0, "max_value": 100.0, "value": 80.0, "step": 0.5}),
            (right, "respondents", {"min_value": 1, "value": 30, "step": 1}),
        ):
            column.number_input(t(f"scorecard.form.{name}", lang), key=key(name), **bounds)
        st.form_submit_button(
            t("scorecard.form.save", lang),
            type="primary",
            on_click=_record,
            args=(ctx.view.db, user.user_id, lang, version),
        )
    st.caption(t("scorecard.form.note", lang))


def _save_company(
    db: str, user_id: str, lang: str, *, version: int, company: str, row_version: int
) -> None:
    """Submit callback of the company form, with the row's version when it was drawn."""

    def value(name: str) -> object:
        return st.session_state.get(_KEY.format(f"company.{version}.{company}.{name}"))

    store = open_store(db)
    day = value("signed_on")
    try:
        scorecard.set_property_company(
            store,
            get_user(store, user_id),
            company,
            version=row_version,
            agreement_signed_on=day if value("signed") and isinstance(day, dt.date) else None,
            branch_id=str(value("branch") or "") or None,
            at=clock.now(store),
        )
    except MapgovError as err:
        st.session_state[_FLASH] = (
            "error",
            t("scorecard.refused", lang, message=error_text(err, lang)),
        )
        return
    st.session_state[_FLASH] = ("success", t("scorecard.company_saved", lang, company=company))


def _company_form(ctx: StreetView, companies: list[str]) -> None:
    lang = ctx.lang
    user = ctx.user()
    if user is None or user.role != Role.ADMIN or not companies:
        return
    with st.expander(t("scorecard.company.title", lang), icon=":material/handshake:"):
        company = st.selectbox(
            t("scorecard.company.company", lang), companies, key=_KEY.format("company.pick")
        )
        record = scorecard.company_record(ctx.store, company)
        version = ctx.store.data_version()
        row_version, signed = record["version"], record["agreement_signed_on"]
        branch = record["branch_id"]
        names = {"": t("scorecard.company.no_branch", lang), **record["branches"]}
        options = list(names)
        if branch is not None and branch not in names:
            options.append(branch)

        def key(name: str) -> str:
            return _KEY.format(f"company.{version}.{company}.{name}")

        with st.form(_KEY.format(f"company.{version}.{company}")):
            st.checkbox(
                t("scorecard.company.signed", lang),
                value=signed is not None,
                key=key("signed"),
            )
            day_input(
                st,
                t("scorecard.company.signed_on", lang),
                value=signed or ctx.today,
                key=key("signed_on"),
            )
            st.selectbox(
                t("scorecard.company.branch", lang),
                options,
                index=options.index(branch) if branch is not None else 0,
                format_func=lambda o: names.get(o, o),
                key=key("branch"),
            )
            st.form_submit_button(
                t("scorecard.form.save", lang),
                on_click=_save_company,
                args=(ctx.view.db, user.user_id, lang),
                kwargs={"version": version, "company": company, "row_version": row_version},
            )


def section(ctx: StreetView) -> None:
    """The section: heading, month picker, ranking with trends, then the forms."""
    lang = ctx.lang
    st.subheader(t("scorecard.heading", lang))
    st.caption(t("scorecard.intro", lang))
    _flash()
    months = views.month_choices(ctx.today)
    month = st.selectbox(
        t("scorecard.month", lang),
        months,
        format_func=lambda m: views.month_label(m, ctx.today, lang),
        key=_KEY.format("month"),
    )
    _ranking(ctx, str(month))
    _evaluation_form(ctx)
    card, _ = _cards(ctx.store, ctx.street_id, str(month), ctx.today)
    _company_form(ctx, sorted(card["company"]) if not card.empty else [])
