"""Accounts (账号管理): accounts, wall-screen tokens and the audit log, for administrators."""

import streamlit as st

from mapgov import ui
from mapgov.core.i18n import t
from mapgov.ui import accounts

view = ui.current_view()
ui.page_header(view, "accounts")
ctx = accounts.controls(view)
if ctx is not None:
    people_tab, token_tab, audit_tab = st.tabs(
        [t(f"account_page.tab.{name}", view.lang) for name in ("accounts", "tokens", "audit")]
    )
    with people_tab:
        accounts.account_list(ctx)
        add_column, edit_column = st.columns(2, gap="large")
        with add_column:
            accounts.add_form(ctx)
        with edit_column:
            accounts.edit_section(ctx)
    with token_tab:
        accounts.token_section(ctx)
    with audit_tab:
        accounts.audit_section(ctx)
