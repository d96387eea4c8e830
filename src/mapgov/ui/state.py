"""The view a user is looking at, carried in the URL query so that a link reopens it.

Three query parameters make a view: ``lang`` (``zh`` default, ``en``), ``street`` and
``community`` (ids; no ``community`` means the whole street). A value in the URL wins when it
is valid; otherwise the choice remembered in this session is used (Streamlit drops the query
string when the user switches pages), otherwise the default. The result is written back to
the URL on every run, so the address bar always names what is on screen.

Session state holds only these ids (``mapgov.<param>``) and the widgets' values.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Final

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from mapgov.core.errors import MapgovError
from mapgov.domain.users import User, get_user
from mapgov.store import Store, open_store

__all__ = [
    "COMMUNITY",
    "LANG",
    "STREET",
    "PageView",
    "StreetView",
    "View",
    "arrived",
    "current_view",
    "note_page",
    "picker",
    "resolve_choice",
    "resolve_one",
    "set_view",
    "write_params",
]

LANG: Final = "lang"
STREET: Final = "street"
COMMUNITY: Final = "community"

_REMEMBERED = "mapgov.{}"
_WIDGET = "mapgov.widget.{}"
_VIEW = "mapgov.view"
_PAGE = "mapgov.page"
_ARRIVED = "mapgov.arrived"
_AUTO = "mapgov.auto.{}"


@dataclass(frozen=True)
class View:
    """What the current run shows: language, database and place (ids only)."""

    lang: str
    db: str
    street_id: str | None
    community_id: str | None


@dataclass(frozen=True)
class PageView:
    """What one page's parts need for a run: the shell's :class:`View` first, then the page's
    own ids and small values (each page's context extends this)."""

    view: View

    @property
    def lang(self) -> str:
        """Language of the page."""
        return self.view.lang

    @property
    def store(self) -> Store:
        """The store (cheap to open: a connection per operation)."""
        return open_store(self.view.db)


@dataclass(frozen=True)
class StreetView(PageView):
    """A street's page worked on by a signed-in person (party, co-building): the street, the
    community on screen, who is working and the day (ids and small values only)."""

    street_id: str
    community_id: str | None
    user_id: str | None
    today: dt.date

    def user(self) -> User | None:
        """The person working, if the street has users."""
        return get_user(self.store, self.user_id) if self.user_id else None


def set_view(view: View) -> None:
    """Record the view that pages read with :func:`current_view` during this run."""
    st.session_state[_VIEW] = view


def current_view() -> View:
    """The view chosen by the app shell for this run.

    Raises
    ------
    MapgovError
        If a page runs without the shell (open the app through ``app.py``).
    """
    view = st.session_state.get(_VIEW)
    if not isinstance(view, View):
        msg = "pages run inside the app: start it with `streamlit run app.py`"
        raise MapgovError(msg)
    return view


def _write_param(name: str, value: str) -> None:
    if not value:
        if name in st.query_params:
            del st.query_params[name]
    elif st.query_params.get(name) != value:
        st.query_params[name] = value


def note_page(url_path: str) -> None:
    """Record the page this run shows (the shell calls it before running the page)."""
    st.session_state[_ARRIVED] = st.session_state.get(_PAGE) != url_path
    st.session_state[_PAGE] = url_path


def arrived() -> bool:
    """Whether this run is the first on its page since the session began or was elsewhere:
    the run where a page gives its widgets the values of its link, or the remembered ones."""
    return bool(st.session_state.get(_ARRIVED, True))


def write_params(values: Mapping[str, str], names: Sequence[str]) -> None:
    """Make the URL's parameters `names` say `values` (a name missing from `values` is
    removed), so that the address bar names what a page's own settings show."""
    for name in names:
        _write_param(name, values.get(name, ""))


def resolve_choice(name: str, options: Sequence[str], default: str) -> str:
    """The value of query parameter `name`: from the URL, else remembered, else `default`.

    Only values in `options` are accepted (an unknown id in a link falls back quietly). The
    chosen value is remembered in the session and written back to the URL; the empty string
    (e.g. "all communities") removes the parameter.

    Parameters
    ----------
    name
        Query parameter, e.g. :data:`STREET`.
    options
        Acceptable values; ``""`` among them stands for "no parameter".
    default
        Used when neither the URL nor the session names a valid value.

    Returns
    -------
    str
        The chosen value.
    """
    remembered_key = _REMEMBERED.format(name)
    auto = st.session_state.pop(_AUTO.format(name), None)
    candidates = []
    # a value that a page needing one (resolve_one) chose by itself names no choice here
    if name in st.query_params and st.query_params[name] != auto:
        candidates.append(st.query_params[name])
    if remembered_key in st.session_state:
        candidates.append(st.session_state[remembered_key])
    value = next((c for c in candidates if c in options), default)
    st.session_state[remembered_key] = value
    _write_param(name, value)
    return value


def resolve_one(name: str, options: Sequence[str], default: str) -> str:
    """The value of query parameter `name` on a page that needs one of `options` (e.g. one
    community) where other pages may have none (``""``: the whole street).

    A value the user chose (a link's, a pick in the sidebar) wins and is remembered, as in
    :func:`resolve_choice`. Otherwise the page takes `default` by itself: it is written to the
    URL, so the address and the picker say what is on screen, but it is not remembered, and
    :func:`resolve_choice` on the next page ignores it: a choice made for this page does not
    quietly narrow the others.
    """
    remembered_key = _REMEMBERED.format(name)
    auto_key = _AUTO.format(name)
    url = st.query_params.get(name, "")
    auto = st.session_state.get(auto_key)
    remembered = str(st.session_state.get(remembered_key, ""))
    if url in options and url != auto:  # a link (or the user's pick) names it
        value = url
        st.session_state[remembered_key] = value
        st.session_state.pop(auto_key, None)
    elif remembered in options:
        value = remembered
        st.session_state.pop(auto_key, None)
    elif url in options:  # this page's own choice, from its previous run
        value = url
    else:
        value = default
        st.session_state[auto_key] = value
    _write_param(name, value)
    return value


def _picked(name: str) -> None:
    """Widget callback: the user's pick becomes the URL's and the session's value."""
    value = st.session_state[_WIDGET.format(name)]
    st.session_state[_REMEMBERED.format(name)] = value
    st.session_state.pop(_AUTO.format(name), None)
    _write_param(name, value)


def picker(
    container: DeltaGenerator,
    name: str,
    *,
    label: str,
    options: Sequence[str],
    value: str,
    format_func: Callable[[str], str],
    horizontal: bool = False,
) -> None:
    """A selectbox (or horizontal radio) bound to query parameter `name`.

    Call :func:`resolve_choice` first and pass its result as `value`; a change by the user
    is written to the URL by a callback before the next run starts, so that run's
    :func:`resolve_choice` already sees it.

    Parameters
    ----------
    container
        Where to draw it (e.g. ``st.sidebar``).
    name
        Query parameter.
    label
        Translated label.
    options
        Values to offer.
    value
        The current value (one of `options`).
    format_func
        Display text of a value.
    horizontal
        Draw radio buttons in a row instead of a selectbox (for two or three options).
    """
    widget_key = _WIDGET.format(name)
    st.session_state[widget_key] = value
    draw = partial(container.radio, horizontal=True) if horizontal else container.selectbox
    draw(
        label,
        list(options),
        format_func=format_func,
        key=widget_key,
        on_change=_picked,
        args=(name,),
    )
