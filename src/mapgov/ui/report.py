"""The phone page ``/report`` (报事): a report from the field, and a ticket's progress.

Laid out for a phone (360-430 px): one column, full-width buttons, no sidebar. Everything it
shows and does comes from :mod:`mapgov.views.report`; this module only lays it out. The shell
runs it for anyone, signed in or not (:func:`mapgov.ui.shell.run_app`): it shows nothing of the
street but the names of its compounds and buildings, and a ticket's public progress.

Three screens, by the URL and the session:

- ``?ticket=K7QMX-3XPDA``: the ticket's status, public timeline and photos, and the callback
  once the issue is resolved;
- just after filing: the ticket, big and copyable, and what happens next;
- otherwise the report form (``?building=ID`` from a QR code fills in the place), with the
  open issue of the same building and category to follow instead, and a field to type a
  ticket.
"""

from __future__ import annotations

from typing import Final

import streamlit as st

from mapgov.core import clock
from mapgov.core.errors import MapgovError
from mapgov.core.i18n import error_text, t
from mapgov.core.model import CallbackRating
from mapgov.domain import reports
from mapgov.domain.accounts import Account
from mapgov.io.photos import MAX_BYTES
from mapgov.store import Store, open_store
from mapgov.ui import auth
from mapgov.ui.shell import language_switch
from mapgov.ui.state import View
from mapgov.ui.widgets import click_map, file_uploader, flash, md_text, say, show_table
from mapgov.views import report as presenter

__all__ = ["BUILDING_PARAM", "TICKET_PARAM", "report_page"]

BUILDING_PARAM: Final = "building"
"""Query parameter of a QR code's building (:func:`mapgov.io.qrsheets.report_url`)."""
TICKET_PARAM: Final = "ticket"
"""Query parameter of the ticket page."""
PHOTO_TYPES: Final = ["jpg", "jpeg", "png", "webp", "heic", "heif"]
"""What the photo picker offers (the content is checked anyway: mapgov.io.photos)."""
_FILED = "report.filed"
_FOLLOW = "report.follow"
_REPICK = "report.repick"
_LOCATED = "report.located"  # the building the phone's position picked (not a QR code)
_OUTCOME = "report.outcome"
MAP_HEIGHT: Final = 260
"""The compound map's height: a third of a phone's screen."""
_K = "report.field.{}"


def report_page(view: View) -> None:
    """The whole page: language, then the ticket, the filed report or the form."""
    lang = view.lang
    store = open_store(view.db)
    language_switch(lang, st.container())
    st.title(t("page.report.title", lang))
    ticket = st.query_params.get(TICKET_PARAM)
    if ticket:
        _ticket_section(store, view, str(ticket))
    elif st.session_state.get(_FILED):
        _done_section(str(st.session_state[_FILED]), lang)
    elif st.session_state.get(_FOLLOW):
        _follow_section(store, int(st.session_state[_FOLLOW]), lang)
    else:
        st.caption(t("page.report.lead", lang))
        _report_form(store, view)
        st.divider()
        _lookup(lang)


def _account(store: Store) -> Account | None:
    account = auth.session_user(store)
    return None if account is None or account.must_change_password else account


def _where(store: Store, view: View) -> str | None:
    """The building the report is about: the QR code's, else picked; None until chosen."""
    lang = view.lang
    st.subheader(t("report.where", lang))
    asked = st.query_params.get(BUILDING_PARAM)
    place = presenter.place_of(store, asked)
    if place is not None and st.session_state.get(_REPICK) != asked:
        located = st.session_state.get(_LOCATED) == asked
        st.markdown(
            t(
                "report.from_location" if located else "report.from_qr",
                lang,
                compound=md_text(place.compound),
                building=md_text(place.building),
            )
        )
        if st.button(t("report.other_place", lang), key="report.other", width="stretch"):
            st.session_state[_REPICK] = asked  # this QR code only: another one is taken
            st.rerun()
        return place.building_id
    if asked and place is None:
        st.warning(t("report.unknown_building", lang), icon=":material/help:")
    _locate(store, lang)
    streets = presenter.street_options(store, lang)
    if not streets:
        st.warning(t("error.no_street", lang))
        return None
    street_id = next(iter(streets))
    if len(streets) > 1:  # one street: no need to ask
        street_id = st.selectbox(
            t("report.street", lang),
            list(streets),
            format_func=streets.__getitem__,
            key=_K.format("street"),
        )
    compound_id = _choice(lang, "compound", presenter.compound_options(store, street_id), street_id)
    if compound_id is None:
        return None
    _tap_map(view, compound_id)
    buildings = presenter.building_options(store, compound_id)
    return _choice(lang, "building", buildings, compound_id)


# The phone's position, asked of the browser only when the person taps the button (the
# browser then asks them). Streamlit's own inline components (no package, no network): the
# script is this module's constant, never data. Browsers give it only to a secure page
# (https, or the machine itself), so on a plain-http intranet the button says so.
_LOCATE_JS: Final = """
export default function(component) {
  const { data, parentElement, setTriggerValue } = component;
  let button = parentElement.querySelector("button");
  if (!button) {
    button = document.createElement("button");
    button.type = "button";
    parentElement.appendChild(button);
  }
  button.textContent = data.label;
  button.disabled = false;
  button.onclick = () => {
    if (!window.isSecureContext || !navigator.geolocation) {
      setTriggerValue("failed", "insecure");
      return;
    }
    button.disabled = true;
    button.textContent = data.busy;
    navigator.geolocation.getCurrentPosition(
      (pos) => {
        button.disabled = false;
        button.textContent = data.label;
        setTriggerValue("located", {
          lon: pos.coords.longitude, lat: pos.coords.latitude, accuracy: pos.coords.accuracy,
        });
      },
      (err) => {
        button.disabled = false;
        button.textContent = data.label;
        setTriggerValue("failed", String(err.code));
      },
      { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 },
    );
  };
}
"""
_LOCATE_CSS: Final = """
button {
  width: 100%; min-height: 2.75rem; border-radius: 0.5rem; cursor: pointer;
  border: 1px solid var(--st-border-color, #d5dae5); background: var(--st-background-color, #fff);
  color: var(--st-text-color, #31333f); font: inherit; font-size: 1rem;
}
button:disabled { opacity: 0.6; cursor: progress; }
"""
_LOCATE_BUTTON = st.components.v2.component("mapgov.locate", js=_LOCATE_JS, css=_LOCATE_CSS)
_LOCATE_FAILED: Final = {"1": "denied", "2": "unavailable", "3": "timeout", "insecure": "insecure"}


def _locate(store: Store, lang: str) -> None:
    """A button that asks the phone where it is and picks the building there."""
    result = _LOCATE_BUTTON(
        data={"label": t("report.locate.button", lang), "busy": t("report.locate.busy", lang)},
        key="report.locate",
        on_located_change=lambda: None,
        on_failed_change=lambda: None,
    )
    where = getattr(result, "located", None)
    failed = getattr(result, "failed", None)
    if isinstance(where, dict):
        try:
            lon, lat = float(where["lon"]), float(where["lat"])
        except (KeyError, TypeError, ValueError):
            lon = lat = float("nan")
        found = presenter.building_near(store, lon, lat)
        if found is None:
            st.warning(
                t("report.locate.none", lang, metres=presenter.LOCATE_REACH_M),
                icon=":material/location_off:",
            )
            return
        st.session_state.pop(_REPICK, None)
        st.session_state[_LOCATED] = found
        st.query_params[BUILDING_PARAM] = found
        st.rerun()
    elif failed is not None:
        why = _LOCATE_FAILED.get(str(failed), "unavailable")
        st.warning(t(f"report.locate.{why}", lang), icon=":material/location_off:")


def _tap_map(view: View, compound_id: str) -> None:
    """The compound's small map: a tap picks the building under or nearest it."""
    building_key = _K.format(f"building.{compound_id}")

    def choose(kind: str, target: str) -> None:
        if kind == "building":
            st.session_state[building_key] = target

    store = open_store(view.db)
    click_map(
        presenter.compound_map(store, compound_id, view.lang),
        key=f"report.map.{compound_id}",
        seen="report.map.seen",
        locator=lambda: presenter.tap_locator(store, compound_id),
        choose=choose,
        selection=None,
        height=MAP_HEIGHT,
    )
    st.caption(t("report.map_caption", view.lang))


def _choice(lang: str, what: str, options: dict[str, str], within: str) -> str | None:
    """A select box of names with nothing chosen at first (its key names what it is within:
    a new compound starts with no building)."""
    chosen: str | None = st.selectbox(
        t(f"report.{what}", lang),
        list(options),
        index=None,
        format_func=options.__getitem__,
        placeholder=t("report.choose", lang),
        key=_K.format(f"{what}.{within}"),
    )
    return chosen


def _report_form(store: Store, view: View) -> None:
    lang = view.lang
    account = _account(store)
    building_id = _where(store, view)
    st.subheader(t("report.what", lang))
    categories = presenter.category_options(lang)
    category = st.selectbox(
        t("report.category", lang),
        list(categories),
        index=None,
        format_func=categories.__getitem__,
        placeholder=t("report.choose", lang),
        key=_K.format("category"),
    )
    duplicate = presenter.duplicate_of(store, building_id, category)
    if duplicate is not None:
        with st.container(border=True):
            st.markdown(presenter.duplicate_markdown(duplicate, lang))
            st.caption(t("report.duplicate.lead", lang))
            if st.button(
                t("report.duplicate.follow", lang),
                key="report.follow_button",
                icon=":material/visibility:",
                width="stretch",
            ):
                st.session_state[_FOLLOW] = duplicate["issue_id"]
                st.rerun()
    description = st.text_area(
        t("report.description", lang),
        placeholder=t("report.description_help", lang),  # a phone has no hover help
        max_chars=2000,
        key=_K.format("description"),
    )
    files = file_uploader(
        t("report.photos", lang, most=reports.MAX_PHOTOS),
        types=PHOTO_TYPES,
        lang=lang,
        most_bytes=MAX_BYTES,
        multiple=True,
        key=_K.format("photos"),
    )
    if files:  # said by the run that received them: the upload is done
        st.caption(t("report.attached", lang, n=len(files), most=reports.MAX_PHOTOS))
    by = presenter.reporter_for(store, account, building_id) if building_id else None
    name = phone = ""
    if by is None:
        st.subheader(t("report.who", lang))
        name = st.text_input(t("report.name", lang), max_chars=40, key=_K.format("name"))
        phone = st.text_input(t("report.phone", lang), max_chars=20, key=_K.format("phone"))
        st.caption(t("report.privacy", lang))
    else:
        st.info(t("report.staff_note", lang, name=md_text(by.name)))
    label = "report.submit_anyway" if duplicate is not None else "report.submit"
    if not st.button(
        t(label, lang),
        key="report.submit",
        type="primary",
        icon=":material/send:",
        width="stretch",
    ):
        return
    if not building_id:
        st.error(t("report.no_building", lang), icon=":material/block:")
        return
    if not category:
        st.error(t("report.no_category", lang), icon=":material/block:")
        return
    if not str(description or "").strip():
        st.error(t("report.no_description", lang), icon=":material/block:")
        return
    uploads = [presenter.Upload(f.name, f.getvalue()) for f in files or []]
    if len(uploads) > reports.MAX_PHOTOS:
        st.error(t("report.too_many", lang, most=reports.MAX_PHOTOS), icon=":material/block:")
        return
    report: reports.FieldReport = {
        "building_id": building_id,
        "category": str(category or ""),
        "description": str(description),
        "reporter_name": name or None,
        "reporter_phone": phone or None,
    }
    try:
        filed = presenter.submit(
            store,
            view.db,
            report,
            uploads,
            by=by,
            source=auth.request_source(),
            now=clock.system_now(),
        )
    except MapgovError as err:
        st.error(error_text(err, lang), icon=":material/block:")
        return
    st.session_state[_FILED] = filed.ticket
    st.rerun()


def _done_section(ticket: str, lang: str) -> None:
    st.success(t("report.done.title", lang), icon=":material/check_circle:")
    st.caption(t("report.done.ticket", lang))
    st.markdown(f"## {md_text(ticket)}")
    st.code(ticket, language=None)  # a copy button on the phone
    st.write(presenter.next_steps(lang))
    st.markdown(t("report.done.link", lang, url=presenter.ticket_link(ticket, lang)))
    if st.button(t("report.done.again", lang), key="report.again", width="stretch"):
        st.session_state.pop(_FILED, None)
        st.rerun()


def _follow_section(store: Store, issue_id: int, lang: str) -> None:
    shown = presenter.follow_view(store, issue_id, lang=lang)
    st.subheader(t("report.duplicate.title", lang))
    if shown is not None:
        st.markdown(f"**{shown['heading']}**")
        st.metric(t("report.ticket.status", lang), shown["status_label"])
        st.caption(t("report.ticket.timeline", lang))
        show_table(shown["timeline"], hide_index=True, width="stretch")
    if st.button(t("report.duplicate.back", lang), key="report.back", width="stretch"):
        st.session_state.pop(_FOLLOW, None)
        st.rerun()


def _ticket_section(store: Store, view: View, ticket: str) -> None:
    lang = view.lang
    shown = presenter.ticket_page(store, view.db, ticket, lang=lang)
    if shown is None:
        st.error(t("error.report.no_ticket", lang), icon=":material/search_off:")
        _lookup(lang)
        return
    st.subheader(t("report.ticket.title", lang))
    st.markdown(f"`{shown['ticket']}`")
    st.markdown(shown["heading"])
    st.metric(t("report.ticket.status", lang), shown["status_label"])
    flash(_OUTCOME, shown["ticket"])
    if shown["can_rate"]:
        _rate_form(view, shown)
    elif shown["rated"]:
        st.caption(t("report.ticket.rated", lang, rating=shown["rated"]))
    st.caption(t("report.ticket.timeline", lang))
    show_table(shown["timeline"], hide_index=True, width="stretch")
    if shown["thumbnails"]:
        st.caption(t("report.ticket.photos", lang))
        st.image(shown["thumbnails"], width=120)


def _rate_form(view: View, shown: dict[str, object]) -> None:
    lang = view.lang
    ratings = presenter.rating_options(lang)
    with st.form("report.rate"):
        st.markdown(f"**{t('report.ticket.rate_title', lang)}**")
        st.radio(
            t("report.ticket.rating", lang),
            list(ratings),
            format_func=ratings.__getitem__,
            key="report.rating",
        )
        st.text_area(t("report.ticket.note", lang), max_chars=500, key="report.note")
        st.form_submit_button(
            t("report.ticket.rate_submit", lang),
            type="primary",
            width="stretch",
            on_click=_do_rate,
            args=(view, str(shown["ticket"]), int(str(shown["version"]))),
        )


def _do_rate(view: View, ticket: str, version: int) -> None:
    """The callback's answer, with the version the page showed (a stale one is refused)."""
    lang = view.lang
    rating = str(st.session_state.get("report.rating") or "")
    note = str(st.session_state.get("report.note") or "")
    try:
        presenter.rate(open_store(view.db), ticket, rating=rating, version=version, note=note)
    except MapgovError as err:
        say(_OUTCOME, "error", error_text(err, lang), ticket)
        return
    reopened = rating == CallbackRating.UNSATISFIED.value
    done = "report.ticket.reopened" if reopened else "report.ticket.thanks"
    say(_OUTCOME, "success", t(done, lang), ticket)


def _lookup(lang: str) -> None:
    """A field to type a ticket (from a note, read out on the phone)."""
    st.subheader(t("report.lookup", lang))
    with st.form("report.lookup", border=False):
        st.text_input(t("report.lookup_field", lang), key="report.lookup_ticket", max_chars=20)
        st.form_submit_button(
            t("report.lookup_submit", lang),
            icon=":material/search:",
            width="stretch",
            on_click=_do_lookup,
        )


def _do_lookup() -> None:
    typed = reports.ticket_code(str(st.session_state.get("report.lookup_ticket") or "").strip())
    if typed:
        st.query_params[TICKET_PARAM] = typed
        st.session_state.pop(_FILED, None)
        st.session_state.pop(_FOLLOW, None)
