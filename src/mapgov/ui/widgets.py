"""Pieces that pages lay out: headers, figure rows, maps, error display."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from enum import StrEnum
from functools import partial
from typing import Any, Final, TypeVar

import folium
import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from mapgov.core import clock
from mapgov.core.errors import MapgovError
from mapgov.core.i18n import error_text, join_items, label, t
from mapgov.core.model import Role
from mapgov.domain.issues import BuildingLocator
from mapgov.domain.places import display_name, display_names
from mapgov.domain.users import User
from mapgov.io import exports
from mapgov.store import Store, open_store
from mapgov.ui import auth
from mapgov.ui import loaders as data
from mapgov.ui.state import StreetView, View
from mapgov.views import maps as layers
from mapgov.views.markup import md_text

__all__ = [
    "COMPOUND_COLOR",
    "MAP_HEIGHT",
    "MISSING",
    "action_forms",
    "bulk_select",
    "choice_box",
    "click_map",
    "click_point",
    "community_map",
    "current_user",
    "day_input",
    "empty_fields",
    "facts",
    "file_uploader",
    "flash",
    "md_text",
    "metric_row",
    "page_header",
    "place_metrics",
    "say",
    "scope_header",
    "scope_title",
    "show_errors",
    "show_map",
    "show_table",
    "staff_at_home",
    "streamlit_words",
    "streamlit_words_css",
    "street_controls",
    "table_downloads",
    "take",
    "takes",
]

_T = TypeVar("_T")

MISSING: Final = "—"
"""How a table shows a missing value (Streamlit's own is the English word "None")."""

MAP_HEIGHT: Final = 520
COMPOUND_COLOR: Final = "#B8860B"


DAY_RANGE: Final = (dt.date(1900, 1, 1), dt.date(2099, 12, 31))
"""Bounds of a form's date field: wide, so that a day typed outside what the field allows
reaches the check that says why (Streamlit keeps the previous day of a field typed outside
its bounds, and the form submits that, with an English note under the field)."""


def day_input(
    where: Any, text: str, *, value: dt.date | None, key: str, hint: str | None = None
) -> None:
    """A form's date field whose day, typed or picked, is what the form submits: the domain
    refuses a day it does not take (after today, a deadline in the past) and says why."""
    where.date_input(
        text, value=value, min_value=DAY_RANGE[0], max_value=DAY_RANGE[1], key=key, help=hint
    )


def empty_fields(*keys: str) -> None:
    """Empty a saved form's text fields, by their widget keys: set to "", not dropped, so the
    browser's copy empties too (a key dropped from the session state is not sent, and the
    browser would show, and send again, what was typed). A refused save does not call it, so
    what was typed stays to be corrected."""
    for key in keys:
        st.session_state[key] = ""


def choice_box(label: str, options: Mapping[_T, str], *, key: str) -> _T:
    """A select box of `options` (value -> label) under `key` that shows its choice's label as
    it is now. The browser keeps a select box's choice as the label it was drawn with: when a
    step, a day or the language changes the chosen record's label, setting the choice again
    sends the new one (else the picker shows the old label until a reload). A choice no
    longer offered is dropped, and the first option is chosen. `options` must not be empty."""
    drawn_key = f"{key}.drawn"
    chosen = st.session_state.get(key)
    if chosen not in options:
        st.session_state.pop(key, None)
    else:
        drawn = st.session_state.get(drawn_key)
        if drawn is not None and drawn[0] == chosen and drawn[1] != options[chosen]:
            st.session_state[key] = chosen
    value: _T = st.selectbox(label, list(options), format_func=options.__getitem__, key=key)
    st.session_state[drawn_key] = (value, options[value])
    return value


def bulk_select(lang: str) -> bool:
    """Whether a multiselect offers Streamlit's "Select all" ("Select N matches" while
    typing): its words are English only (Streamlit 1.67 cannot translate them), so only on
    English pages. Pass it as ``select_all=``; a filter whose empty choice means "all" passes
    ``select_all=False`` in every language."""
    return lang == "en"


def click_point(value: object) -> tuple[float, float] | None:
    """(lat, lng) of ``last_object_clicked`` in a value of ``st_folium``, if there is one."""
    if not isinstance(value, dict):
        return None
    clicked = value.get("last_object_clicked")
    if not isinstance(clicked, dict) or clicked.get("lat") is None or clicked.get("lng") is None:
        return None
    return float(clicked["lat"]), float(clicked["lng"])


def _handle_click(
    value: object,
    seen: str,
    locator: Callable[[], BuildingLocator],
    choose: Callable[[str, str], None],
) -> bool:
    """Resolve a new click to a building or compound and choose it; True if it was new.

    ``seen`` is the session key of the last click handled (the same point is not handled
    twice).
    """
    point = click_point(value)
    if point is None or st.session_state.get(seen) == point:
        return False
    st.session_state[seen] = point
    hit = locator().locate(point[1], point[0])
    if hit.kind is not None and hit.id is not None:
        choose(hit.kind, hit.id)
    return True


def click_map(
    fmap: folium.Map,
    *,
    key: str,
    seen: str,
    locator: Callable[[], BuildingLocator],
    choose: Callable[[str, str], None],
    selection: folium.FeatureGroup | None,
    height: int = MAP_HEIGHT,
    on_new: Callable[[], None] | None = None,
) -> None:
    """Embed a folium map that sends clicks back; a click chooses what lies under it.

    The map sends only ``last_object_clicked`` (panning and zooming cause no rerun);
    ``selection`` (the chosen outline) is added to the map already on the page. A new click
    is resolved by ``locator`` (called then, in the run that handles it) and, on a building
    or compound, passed to ``choose(kind, id)``; ``seen`` is the session key of the last
    click handled. The click is handled in the map's ``on_change`` callback (then
    ``on_new`` runs too), so that the same run already shows the choice; a first value that
    no callback saw is handled after the map and the page runs again.
    """

    def on_change() -> None:  # the click value has just been copied to the map's key
        if _handle_click(st.session_state.get(key), seen, locator, choose) and on_new:
            on_new()

    value = st_folium(
        fmap,
        key=key,
        height=height,
        use_container_width=True,
        returned_objects=["last_object_clicked"],
        feature_group_to_add=selection,
        on_change=on_change,
    )
    if _handle_click(value, seen, locator, choose):  # no callback ran (first value)
        st.rerun()  # draw the outline and the panel of the new choice


def action_forms(
    actions: Sequence[StrEnum],
    lang: str,
    *,
    form_key: Callable[[str], str],
    fields: Callable[[Any], None],
    on_click: Callable[..., None],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> None:
    """A tab per workflow action, each a form: `fields` draws its inputs, then a submit
    button named after the action calls `on_click` with `args`, `kwargs` and ``action`` (the
    action's value). `form_key` names each form from the action's value. The page opens again
    on the tab last submitted while it is still offered: a refused step's message moves the
    tabs down, and Streamlit would show the first tab, hiding the form to correct."""
    last = form_key("submitted")
    chosen = st.session_state.get(last)
    offered = [a.value for a in actions]
    default = label(actions[offered.index(chosen)], lang) if chosen in offered else None
    tabs = st.tabs([label(a, lang) for a in actions], default=default)
    for tab, action in zip(tabs, actions, strict=True):
        with tab, st.form(form_key(action.value)):
            fields(action)
            st.form_submit_button(
                label(action, lang),
                type="primary",
                on_click=_submitted,
                args=(last, on_click, *args),
                kwargs={**kwargs, "action": action.value},
            )


def _submitted(last: str, on_click: Callable[..., None], *args: Any, **kwargs: Any) -> None:
    """A step's submit: remember its tab (:func:`action_forms`), then run the page's own
    callback."""
    st.session_state[last] = kwargs["action"]
    on_click(*args, **kwargs)


def say(key: str, kind: str, text: str, where: str) -> None:
    """Keep a form's outcome (``kind`` "success" or "error") for :func:`flash` at ``where``.

    The outcome is kept in the session under ``key`` because a form's callback runs before
    the rerun that draws the page: the message is shown by that run, beside the form.
    """
    st.session_state[key] = (kind, text, where)


def take(key: str, where: str) -> tuple[Any, ...] | None:
    """What a callback kept under `key` for `where` (its last item), once: it is dropped."""
    kept = st.session_state.get(key)
    if not kept or kept[-1] != where:
        return None
    del st.session_state[key]
    return tuple(kept)


def flash(key: str, where: str) -> None:
    """Show, once, the outcome that :func:`say` kept for the form at ``where``."""
    message = take(key, where)
    if message is None:
        return
    kind, text, _ = message
    if kind == "error":
        st.error(text, icon=":material/block:")
    else:
        st.success(text, icon=":material/check_circle:")


@contextmanager
def show_errors(lang: str) -> Iterator[None]:
    """Show a :class:`MapgovError` raised inside as ``st.error`` (no traceback).

    Other exceptions are bugs and propagate. Streamlit's own control flow (rerun, stop,
    page switch) is not a MapgovError and passes through untouched.
    """
    try:
        yield
    except MapgovError as err:
        st.error(t("error.message", lang, message=error_text(err, lang)), icon=":material/error:")


def page_header(view: View, page: str, *, title: str | None = None) -> None:
    """Title and one-line description of `page` (``wall``, ``issues`` ...), translated;
    `title` replaces the catalogue's when the page's settings name it (the life circle's)."""
    st.title(title or t(f"page.{page}.title", view.lang))
    st.caption(t(f"page.{page}.lead", view.lang))


def scope_title(view: View) -> str:
    """The place on screen, e.g. ``西工街道 · 王城社区`` (empty without a street)."""
    if view.street_id is None:
        return ""
    store = open_store(view.db)
    streets = data.street_list(store).set_index("street_id")
    street = streets.loc[view.street_id]
    street_name = display_name(street["name"], street["name_en"], view.lang)
    if view.community_id is None:
        return t("wall.scope_street", view.lang, street=street_name)
    communities = data.community_list(store, view.street_id).set_index("community_id")
    community = communities.loc[view.community_id]
    community_name = display_name(community["name"], community["name_en"], view.lang)
    return t("wall.scope_community", view.lang, street=street_name, community=community_name)


def scope_header(view: View) -> None:
    """The place on screen as a subheader (nothing without a street)."""
    title = scope_title(view)
    if title:
        st.subheader(title)


def place_metrics(view: View) -> None:
    """One row of headline counts (communities ... residents) of the place on screen."""
    counts = data.place_counts(open_store(view.db), view.street_id, view.community_id)
    metric_row(
        [
            (t(f"metric.{name}", view.lang), f"{value:,}", None)
            for name, value in counts.as_dict().items()
        ]
    )


def metric_row(
    items: Sequence[tuple[str, str, str | None]], notes: Mapping[int, str] | None = None
) -> None:
    """One row of figures, a column each: (label, value, help text or None); ``notes[i]``,
    where given, is a grey line under the i-th value (what the figure is of: the lowest
    score's compound, say), so that the value itself stays short enough to show whole."""
    for i, (column, (name, value, help_text)) in enumerate(
        zip(st.columns(len(items)), items, strict=True)
    ):
        note = (notes or {}).get(i)
        if note is None:
            column.metric(name, value, help=help_text)
        else:
            column.metric(name, value, note, delta_color="off", delta_arrow="off", help=help_text)


def show_map(fmap: folium.Map, *, key: str, height: int = MAP_HEIGHT) -> None:
    """Embed a folium map that sends nothing back (panning and zooming cause no rerun)."""
    st_folium(fmap, key=key, height=height, use_container_width=True, returned_objects=[])


def _made(table: pd.DataFrame, suffix: str, made: Callable[[], None] | None) -> bytes:
    """`table` as a file; `made` (an export's audit) runs when it is made."""
    if made is not None:
        made()
    return exports.frame_bytes(table, suffix)


def table_downloads(
    table: pd.DataFrame,
    *,
    texts: str,
    lang: str,
    stem: str,
    key: str,
    made: Callable[[], None] | None = None,
) -> None:
    """Two buttons in a row: `table` as an Excel workbook and as CSV (made on the click).

    The labels are the catalogue's ``{texts}excel`` and ``{texts}csv``; the files are named
    ``{stem}.xlsx`` and ``{stem}.csv``, the buttons' keys are `key` and the suffix. `made`
    runs on Streamlit's download thread when a file is made (it opens its own store).
    """
    with st.container(horizontal=True):
        for suffix, text in ((".xlsx", "excel"), (".csv", "csv")):
            st.download_button(
                t(texts + text, lang),
                partial(_made, table, suffix, made),  # on the click
                file_name=f"{stem}{suffix}",
                mime=exports.FORMATS[suffix],
                icon=":material/download:",
                key=f"{key}{suffix}",
                on_click="ignore",
            )


def community_map(view: View) -> None:
    """Map of the street: community outlines and compounds; the chosen community stands out."""
    if view.street_id is None:
        return
    store = open_store(view.db)
    areas = data.community_areas(store, view.street_id)
    if areas.empty:
        return
    areas = areas.assign(label=display_names(areas, view.lang))
    compounds = data.compound_areas(store, view.street_id)
    compounds = compounds.assign(label=display_names(compounds, view.lang))
    fmap = layers.base_map(bounds=tuple(areas.total_bounds))
    layers.outline_layer(
        areas,
        name="communities",
        tooltip_fields=["label"],
        tooltip_aliases=[t("sidebar.community", view.lang)],
        fill_opacity=0.04,
    ).add_to(fmap)
    chosen = areas[areas["community_id"] == view.community_id]
    if not chosen.empty:
        layers.outline_layer(chosen, name="chosen", fill_opacity=0.18, weight=4).add_to(fmap)
    if not compounds.empty:
        layers.outline_layer(
            compounds,
            name="compounds",
            tooltip_fields=["label"],
            tooltip_aliases=[t("metric.compounds", view.lang)],
            color=COMPOUND_COLOR,
            fill_color=COMPOUND_COLOR,
            fill_opacity=0.35,
            weight=1,
        ).add_to(fmap)
    show_map(fmap, key=f"community_map.{view.street_id}")
    st.caption(t("wall.map_caption", view.lang))


def street_controls(
    view: View, *, texts: str, scope_key: str, forget: Iterable[str]
) -> StreetView | None:
    """Draw a street page's sidebar part (who is working) and fix the place on screen.

    The note for a street without users is the catalogue's ``{texts}no_users`` (who is
    signed in is said by the shell, above). When the place (street, community) differs
    from the one kept under `scope_key`, the session keys in `forget` (choices made in the
    other place) are dropped.

    Returns
    -------
    StreetView or None
        ``None`` when there is no street.
    """
    if view.street_id is None:
        return None
    store = open_store(view.db)
    user = current_user(store, view)
    if user is None:
        st.sidebar.caption(t(texts + "no_users", view.lang))
    scope = (view.street_id, view.community_id)
    if st.session_state.get(scope_key) != scope:
        st.session_state[scope_key] = scope
        for key in forget:
            st.session_state.pop(key, None)
    return StreetView(
        view=view,
        street_id=view.street_id,
        community_id=view.community_id,
        user_id=user.user_id if user else None,
        today=clock.today(store),
    )


def staff_at_home(ctx: StreetView, texts: str) -> StreetView:
    """`ctx` kept to the working staff member's own community whatever the picker says (the
    returned view says so too, and the catalogue's ``{texts}own_community`` tells them);
    anyone else's `ctx` as it is."""
    user = ctx.user()
    if user is None or user.role is not Role.STAFF or user.community_id == ctx.community_id:
        return ctx
    view = dataclasses.replace(ctx.view, community_id=user.community_id)
    st.caption(t(texts + "own_community", ctx.lang))
    return dataclasses.replace(ctx, view=view, community_id=user.community_id)


def current_user(store: Store, view: View) -> User | None:
    """Who is working: the signed-in account (a :class:`~mapgov.domain.users.User`), or on the kiosk
    wall the display user of its token; None only if the sign-in gate was bypassed.

    Nothing in the URL or the session state chooses or raises it (``?user=`` is ignored).
    """
    return auth.signed_in_user(store, view.lang)


def show_table(data: pd.DataFrame, **kwargs: Any) -> None:
    """``st.dataframe`` with a missing value shown as :data:`MISSING` (a score nobody has
    given, a wish nobody has claimed), in every table of every page."""
    st.dataframe(data, placeholder=MISSING, **kwargs)


def facts(lines: Sequence[tuple[str, str]], lang: str, *, bullets: bool = False) -> None:
    """Lines of ``label: value`` in bold labels, the colon as `lang` writes it (full-width in
    Chinese), every card and panel alike. The values are Markdown already (:func:`md_text`
    for text users typed).

    Parameters
    ----------
    lines : sequence of (str, str)
        Each label and its value.
    lang : str
        ``zh`` or ``en``.
    bullets : bool
        A bulleted list instead of plain lines.
    """
    colon = t("app.colon", lang)
    shown = (f"**{md_text(k)}**{colon}{v}" for k, v in lines)
    st.markdown("\n".join(f"- {line}" for line in shown) if bullets else "  \n".join(shown))


_STREAMLIT_CSS: Final = """<style>
[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] p {{
  display: none; }}
[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"]::after {{
  content: "{choose}"; }}
[data-testid="stFileUploaderDropzoneInstructions"] {{ display: none; }}
[data-testid="stFileUploaderDropzone"] > div:not([data-testid]) > span:only-child {{
  visibility: hidden; position: relative; }}
[data-testid="stFileUploaderDropzone"] > div:not([data-testid]) > span:only-child::after {{
  content: "{drop}"; visibility: visible; position: absolute; top: 0; left: 50%;
  transform: translateX(-50%); white-space: nowrap; }}
@property --mapgov-date-size {{ syntax: "\\3c length>"; inherits: true; initial-value: 14px; }}
[data-testid="stDateInputField"] {{ --mapgov-date-size: 1em; }}
[data-testid="stDateInputField"] [role="spinbutton"][data-placeholder="true"] {{ font-size: 0; }}
[data-testid="stDateInputField"] [role="spinbutton"][data-placeholder="true"]::after {{
  font-size: var(--mapgov-date-size); }}
[data-testid="stDateInputField"] [data-placeholder="true"][data-type="year"]::after {{
  content: "{year}"; }}
[data-testid="stDateInputField"] [data-placeholder="true"][data-type="month"]::after {{
  content: "{month}"; }}
[data-testid="stDateInputField"] [data-placeholder="true"][data-type="day"]::after {{
  content: "{day}"; }}
{more}</style>"""
"""Streamlit (1.67) writes some words in English whatever the page's language: a file
uploader's button ("Upload"), its note ("1GB per file • CSV": :func:`file_uploader` puts a
caption under it instead) and, while a file is dragged over it, "Drag and drop files here";
an empty date's parts ("yyyy/mm/dd"). The sheet hides each and shows the page's word in its
place: the drop note over Streamlit's, hidden (the box keeps its size); a date's parts at the
field's size (``--mapgov-date-size``, the field's ``1em`` as a length, since the part itself
is made 0 high), so that "年/月/日" takes the room of its own characters. (The ``<`` of
``<length>`` is escaped: ``st.html`` drops a style sheet with a ``<`` followed by a letter.)"""

_QUICK_DATES_CSS: Final = """[data-testid="stDateInputQuickSelect"] { display: none; }
"""
"""A date range's calendar offers "Date range: Select..." with "Past Week", "Past Month" and
so on, in English whatever the page's language (and the chosen one's name is in no attribute a
sheet could read): not on a page in another language, where the calendar picks the range."""


def streamlit_words_css(lang: str) -> str:
    """The style sheet that shows `lang`'s words where Streamlit's own are English
    (:data:`_STREAMLIT_CSS`), for every uploader and date input of a page.

    Parameters
    ----------
    lang : str
        ``zh`` or ``en``.

    Returns
    -------
    str
        A ``<style>`` element.
    """
    keys = {
        "choose": "app.uploader.choose",
        "drop": "app.uploader.drop",
        "year": "app.date.year",
        "month": "app.date.month",
        "day": "app.date.day",
    }
    words = {name: t(key, lang).replace("\\", "").replace('"', "") for name, key in keys.items()}
    return _STREAMLIT_CSS.format(**words, more="" if lang == "en" else _QUICK_DATES_CSS)


def streamlit_words(lang: str) -> None:
    """Write :func:`streamlit_words_css` into the page: once in each run of a page (the
    shell does, before the page draws), whatever number of uploaders and dates it has."""
    st.html(streamlit_words_css(lang))


def takes(name: str, types: Iterable[str]) -> bool:
    """Whether a file called `name` ends in one of `types`, as Streamlit's uploader would
    take it (any case).

    Parameters
    ----------
    name : str
        The file's name, as the browser sent it.
    types : iterable of str
        Endings taken, without the dot (``csv``, ``osm.pbf``).

    Returns
    -------
    bool
        True if it ends in ``.<type>`` for one of them.

    Examples
    --------
    >>> takes("楼栋.CSV", ["csv", "xlsx"]), takes("街道.osm.pbf", ["pbf"]), takes("csv", ["csv"])
    (True, True, False)
    """
    folded = name.lower()
    return any(folded.endswith(f".{kind.lower()}") for kind in types)


def file_uploader(
    label: str,
    *,
    types: Sequence[str],
    lang: str,
    key: str,
    most_bytes: int | None = None,
    multiple: bool = False,
) -> Any:
    """``st.file_uploader`` in the page's language: a caption under it names the kinds of
    file taken (and the size, given `most_bytes`), and a file of another kind or size is
    refused with a message in `lang` that names it and what is taken, as if it had not been
    chosen.

    Streamlit's own refusal of a wrong kind is English ("application/pdf files are not
    allowed.", on the file's chip), and a file sent past it by hand makes the page raise:
    the uploader here takes any file and refuses a wrong ending itself. So with a file too
    large: Streamlit's refusal ("File must be 11.0MB or smaller.") is English and hidden on
    the chip, where a phone cannot hover, and the report went on without the photo. Its
    button's word is the page's through :func:`streamlit_words`.

    Parameters
    ----------
    label : str
        What to upload.
    types : sequence of str
        File name endings taken, without the dot.
    lang : str
        ``zh`` or ``en``.
    key : str
        The widget's key.
    most_bytes : int or None
        The largest file taken, in bytes, said in MB of a million bytes as phones count
        them (None: the server's limit, unsaid).
    multiple : bool
        Whether several files are taken at once.

    Returns
    -------
    UploadedFile, list of UploadedFile or None
        What ``st.file_uploader`` returns, without the files refused: None (or an empty
        list, given `multiple`) if none is left.
    """
    chosen = st.file_uploader(label, accept_multiple_files=multiple, key=key)
    kinds = join_items((x.upper() for x in types), lang)
    mb = None if most_bytes is None else f"{most_bytes / 1_000_000:g}"
    files: list[Any] = list(chosen or []) if multiple else [chosen] if chosen is not None else []
    taken = []
    for file in files:
        if not takes(file.name, types):
            text = t("app.uploader.refused", lang, file=md_text(file.name), kinds=kinds)
        elif most_bytes is not None and file.size > most_bytes:
            size = f"{file.size / 1_000_000:.1f}"
            text = t("app.uploader.too_big", lang, file=md_text(file.name), size=size, mb=mb)
        else:
            taken.append(file)
            continue
        st.error(text, icon=":material/block:")
    if mb is None:
        st.caption(t("app.uploader.kinds", lang, kinds=kinds))
    else:
        st.caption(t("app.uploader.kinds_size", lang, kinds=kinds, mb=mb))
    if multiple:
        return taken
    return taken[0] if taken else None
