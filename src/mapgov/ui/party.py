"""Streamlit glue of the party-coverage page (``/party``): figures, map, card, gaps, edits.

The page calls, in order: :func:`controls` (the sidebar's "who is working"; returns a
:class:`StreetView`), :func:`mapgov.ui.party_figures.headline` (coverage and strength of the
place on screen), :func:`party_map_view` (the map with its two layer choices; a click picks a
compound, or a building and its compound), :func:`governance_card` (beside the map: the
chosen compound's card, its building, and the edit forms of :mod:`mapgov.ui.party_forms` for
those who may edit), then :mod:`mapgov.ui.party_figures`' breakdown (the figures by street,
community or grid), gap lists (with downloads) and printable one-page summary.

State. Session state holds ids only: the chosen target ``(kind, id)``, the last click handled,
one message to show after an edit, and widget values. The person working is the
signed-in account (:func:`mapgov.ui.widgets.current_user`), never a query parameter.

Caching. Loaders are :func:`mapgov.ui.loaders.cached` functions that take the store
(hashed as its path and data version), so an edit shows at once. The map is cached too: a
cached copy renders to the same Leaflet script, so streamlit-folium keeps its component (and
the view) across reruns; it only sends clicks back (``returned_objects``), so panning causes
no rerun.

Editing. Forms appear only for admins and the staff of the compound's community
(:func:`mapgov.domain.users.can_edit`); every save goes through :mod:`mapgov.domain.party` (rights
checked again there, every changed field written to ``change_log``). Widget keys carry the data
version, so after a save the forms start again from the stored values; a refused save keeps
what was typed and says why.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from functools import partial
from typing import Any, Final

import folium
import geopandas as gpd
import pandas as pd
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from mapgov.core.crs import WGS84
from mapgov.core.i18n import catalogue, join_clauses, join_items, label, t
from mapgov.core.model import PropertyMode, Star
from mapgov.domain import issues, party
from mapgov.domain.users import can_edit, sees_personal_data
from mapgov.store import Store, open_store
from mapgov.ui import auth
from mapgov.ui import party_forms as forms
from mapgov.ui.loaders import cached, cached_resource
from mapgov.ui.party_forms import FLASH
from mapgov.ui.state import StreetView, View
from mapgov.ui.widgets import click_map, facts, md_text, street_controls
from mapgov.views import maps
from mapgov.views import party as pm
from mapgov.views import party_cards as cards
from mapgov.views.deliberation import recent_line

__all__ = [
    "MAP_HEIGHT",
    "PANEL_HEIGHT",
    "controls",
    "governance_card",
    "map_key",
    "map_labels",
    "party_map_view",
    "place_names",
    "scoped_frames",
    "street_frames",
]

"""Query parameter naming who is working (the same as the issue map's)."""
MAP_HEIGHT: Final = 600
PANEL_HEIGHT: Final = MAP_HEIGHT + 150
"""Height of the card beside the map (it scrolls inside; the map stays in view)."""

KEY = "mapgov.party.{}"
TARGET: Final = KEY.format("target")  # ("building" | "compound", id)
CLICK: Final = KEY.format("click")  # (lat, lng) of the last click handled
SCOPE: Final = KEY.format("scope")  # the place the target belongs to
COMPOUND_LAYER: Final = KEY.format("compound_layer")
BUILDING_LAYER: Final = KEY.format("building_layer")
LEVEL: Final = KEY.format("level")
GAP_ORDER: Final = KEY.format("gap_order")
SUMMARY_COMMUNITY: Final = KEY.format("summary_community")

BUILDING: Final = "building"
COMPOUND: Final = "compound"
ALL: Final = "ALL"
LEVELS: Final = ("street_id", "community_id", "grid_id")
GAP_ROWS_SHOWN: Final = 8
"""Rows of a gap list shown at once (the list scrolls beyond)."""
DESCENDING: Final = "desc"
ASCENDING: Final = "asc"


# -- cached loaders (keys: store identity and plain values, never frames) ------------------
@cached(max_entries=8)
def street_frames(store: Store, street_id: str) -> party.GovFrames:
    """Cached :func:`mapgov.domain.party.load` of the street."""
    return party.load(store, street_id=street_id)


def scoped_frames(store: Store, street_id: str, community_id: str | None) -> party.GovFrames:
    """The street's frames cut to the community on screen (all of them for None)."""
    return cards.scoped(street_frames(store, street_id), community_id)


@cached(max_entries=16)
def place_names(store: Store, street_id: str, lang: str) -> dict[str, str]:
    """Cached display names of the street's places, by id."""
    return cards.place_names(store, street_id, lang)


@cached(max_entries=8)
def _zones(store: Store, street_id: str) -> pd.DataFrame:
    return cards.zone_table(store, street_frames(store, street_id))


@cached(max_entries=8)
def _zone_outlines(store: Store, street_id: str) -> gpd.GeoDataFrame:
    frames = street_frames(store, street_id)
    return pm.zone_outlines(frames.buildings, _zones(store, street_id))


@cached_resource(max_entries=16)
def _locator(store: Store, street_id: str, community_id: str | None) -> issues.BuildingLocator:
    """Read-only spatial index of the place on screen (shared by sessions, never mutated)."""
    frames = scoped_frames(store, street_id, community_id)
    return issues.BuildingLocator(frames.buildings, frames.compounds)


@cached(max_entries=64)
def _compound_card(
    store: Store, *, street_id: str, compound_id: str, reveal: bool, day: dt.date
) -> dict[str, Any]:
    frames = street_frames(store, street_id)
    return cards.compound_card(store, frames, compound_id, reveal=reveal, today=day)


@cached(max_entries=64)
def _building_card(store: Store, street_id: str, building_id: str, reveal: bool) -> dict[str, Any]:
    frames = street_frames(store, street_id)
    return cards.building_card(store, frames, building_id, reveal=reveal)


def map_labels(lang: str) -> dict[str, str]:
    """The map's texts from the catalogue (``party_page.map.*``; property modes as enums)."""
    texts = catalogue(lang)
    labels = {key: texts[f"party_page.map.{key}"] for key in pm.DEFAULT_LABELS}
    for mode in PropertyMode:
        if mode is not PropertyMode.NONE:
            labels[mode.value] = label(mode, lang)
    return labels


@cached(max_entries=16)
def _map(
    store: Store,
    *,
    street_id: str,
    community_id: str | None,
    compound_layer: str,
    building_layer: str,
    lang: str,
) -> folium.Map:
    """The map, pickled by the cache: every run gets an identical copy."""
    frames = scoped_frames(store, street_id, community_id)
    zones = None
    if building_layer == pm.BuildingLayer.ZONE.value:
        zones = _zone_outlines(store, street_id)
        if community_id is not None:
            inside = set(frames.buildings["zone_id"].dropna())
            zones = zones[zones["zone_id"].isin(inside)]
    return pm.party_map(
        frames.compounds,
        frames.buildings,
        compound_layer=compound_layer,
        building_layer=building_layer,
        zones=zones,
        labels=map_labels(lang),
    )


# -- the sidebar ---------------------------------------------------------------------------
def controls(view: View) -> StreetView | None:
    """Draw the page's sidebar part (who is working) and fix the place on screen
    (:func:`mapgov.ui.widgets.street_controls`; a compound chosen elsewhere is forgotten).

    The page shows the street, or the community chosen in the shell. Without users in the
    street the page still shows everything, read-only. A link naming a compound of the place
    (``?compound=ID``) opens its card, once.

    Returns
    -------
    StreetView or None
        ``None`` when there is no street.
    """
    ctx = street_controls(view, texts="party_page.", scope_key=SCOPE, forget=[TARGET])
    wanted = st.query_params.get(COMPOUND)  # a link naming a compound (the health card's)
    if ctx is not None and wanted is not None:
        del st.query_params[COMPOUND]
        if wanted in set(
            scoped_frames(ctx.store, ctx.street_id, ctx.community_id).compounds["compound_id"]
        ):
            _choose(COMPOUND, wanted)
    return ctx


# -- the map -------------------------------------------------------------------------------
def map_key(ctx: StreetView) -> str:
    """Streamlit key of the map (its click value is copied there)."""
    return KEY.format(f"map.{ctx.street_id}.{ctx.community_id or ALL}")


def _place_locator(db: str, street_id: str, community_id: str | None) -> issues.BuildingLocator:
    """The locator of the place on screen, from the store as it is when a click is handled."""
    return _locator(open_store(db), street_id, community_id)


def _choose(kind: str, target_id: str) -> None:
    """Choose a compound, or a building (and with it its compound)."""
    st.session_state[TARGET] = (kind, target_id)


def _target() -> tuple[str, str] | None:
    target = st.session_state.get(TARGET)
    return target if isinstance(target, tuple) and len(target) == 2 else None


def _chosen(ctx: StreetView) -> tuple[str | None, str | None]:
    """(compound id, building id or None) of the current target, if it is on screen."""
    target = _target()
    if target is None:
        return None, None
    frames = scoped_frames(ctx.store, ctx.street_id, ctx.community_id)
    kind, target_id = target
    if kind == BUILDING:
        rows = frames.buildings[frames.buildings["building_id"] == target_id]
        return (str(rows.iloc[0]["compound_id"]), target_id) if len(rows) else (None, None)
    rows = frames.compounds[frames.compounds["compound_id"] == target_id]
    return (target_id, None) if len(rows) else (None, None)


def _selection(ctx: StreetView) -> folium.FeatureGroup | None:
    compound_id, building_id = _chosen(ctx)
    if compound_id is None:
        return None
    frames = scoped_frames(ctx.store, ctx.street_id, ctx.community_id)
    shapes = [frames.compounds[frames.compounds["compound_id"] == compound_id][["geometry"]]]
    if building_id:
        shapes.append(
            frames.buildings[frames.buildings["building_id"] == building_id][["geometry"]]
        )
    return maps.selection_layer(gpd.GeoDataFrame(pd.concat(shapes), crs=WGS84))


def _layer_picker(
    column: DeltaGenerator, name: str, layers: type[StrEnum], key: str, lang: str
) -> str:
    """One layer choice (``compound_layer`` or ``building_layer``) as a row of radio buttons."""
    return str(
        column.radio(
            t(f"party_page.{name}", lang),
            [v.value for v in layers],
            format_func=lambda v: t(f"party_page.{name}_{v}", lang),
            horizontal=True,
            key=key,
        )
    )


def _layer_pickers(lang: str) -> tuple[str, str]:
    left, right = st.columns(2)
    return (
        _layer_picker(left, "compound_layer", pm.CompoundLayer, COMPOUND_LAYER, lang),
        _layer_picker(right, "building_layer", pm.BuildingLayer, BUILDING_LAYER, lang),
    )


def party_map_view(ctx: StreetView) -> None:
    """The two layer choices and the map; a click chooses what lies under it."""
    compound_layer, building_layer = _layer_pickers(ctx.lang)
    store = ctx.store
    if scoped_frames(store, ctx.street_id, ctx.community_id).compounds.empty:
        st.info(t("party_page.no_compounds", ctx.lang))
        return
    fmap = _map(
        store,
        street_id=ctx.street_id,
        community_id=ctx.community_id,
        compound_layer=compound_layer,
        building_layer=building_layer,
        lang=ctx.lang,
    )
    click_map(
        fmap,
        key=map_key(ctx),
        seen=CLICK,
        locator=partial(_place_locator, ctx.view.db, ctx.street_id, ctx.community_id),
        choose=_choose,
        selection=_selection(ctx),
        height=MAP_HEIGHT,
    )
    st.caption(t("party_page.map_caption", ctx.lang))


# -- the governance card -------------------------------------------------------------------


def _facts(rows: list[tuple[str, object]], lang: str) -> None:
    """A list of the card's facts: (catalogue name under ``party_page.card.``, value)."""
    c = "party_page.card."
    facts([(t(c + name, lang), md_text(value)) for name, value in rows], lang, bullets=True)


def _flash() -> None:
    message = st.session_state.pop(FLASH, None)
    if not message:
        return
    kind, text = message
    if kind == "error":
        st.error(text, icon=":material/block:")
    else:
        st.success(text, icon=":material/check_circle:")


def _yes_no(value: bool, lang: str) -> str:
    return t("party_page.card.yes" if value else "party_page.card.no", lang)


def _branch_text(card: dict[str, Any], lang: str) -> str:
    c = "party_page.card."
    if not card["has_branch"]:
        return t(c + "no_branch", lang)
    kind = t(c + ("joint" if card["is_joint"] else "own"), lang)
    text = f"{card['branch_name'] or ''} · {kind}".strip(" ·")
    if card["joint_with"]:
        text += " · " + t(c + "joint_with", lang, names=join_items(card["joint_with"], lang))
    return text


def _property_text(card: dict[str, Any], lang: str) -> str:
    if not card["mode_known"]:
        return t("party_page.fig.property_unknown", lang)
    parts = [label(PropertyMode(card["mode"]), lang)]
    if card["company"]:
        parts.append(card["company"])
    if card["red_property"]:
        parts.append(t("party_page.card.red_property", lang))
    return " · ".join(parts)


def _committees_text(card: dict[str, Any], lang: str) -> str:
    c = "party_page.card."
    return " · ".join(
        f"{t(c + name, lang)} {_yes_no(card[name], lang)}"
        for name in ("owners_committee", "self_managed_committee", "has_security")
    )


def _stars_line(card: dict[str, Any], lang: str) -> str:
    if not card["has_branch"]:
        return "—"
    named = join_items([label(Star(s), lang) for s in card["stars"]], lang)
    return f"{pm.stars_text(len(card['stars']))} {named}".strip()


def _compound_facts(ctx: StreetView, card: dict[str, Any]) -> None:
    lang = ctx.lang
    c = "party_page.card."
    names = place_names(ctx.store, ctx.street_id, lang)
    st.subheader(t(c + "title", lang, name=card["name"]))
    st.caption(
        t(
            c + "where",
            lang,
            community=names.get(card["community_id"], card["community_id"]),
            grid=names.get(card["grid_id"], card["grid_id"]),
        )
    )
    if card["three_nos"]:
        st.warning(t(c + "three_nos_warning", lang), icon=":material/warning:")
    if not card["has_branch"]:
        st.warning(t(c + "no_branch_warning", lang), icon=":material/flag:")
    items = [
        (t(c + "households", lang), card["households"]),
        (t(c + "residents", lang), card["residents"]),
        (t(c + "party_members", lang), card["party_members"]),
        (t(c + "open_issues", lang), card["open_issues"]),
    ]
    for column, (name, value) in zip(st.columns(len(items)), items, strict=True):
        column.metric(name, f"{value:,}")
    secretary = " ".join(v for v in (card["secretary"], card["secretary_phone"]) if v) or None
    members = card["branch_members"]
    gaps = {name: card[name] for name in ("no_group", "no_head", "no_zone")}
    _facts(
        [
            ("branch", _branch_text(card, lang)),
            ("secretary", secretary if card["has_branch"] else "—"),
            ("branch_members", members if card["has_branch"] else "—"),
            ("stars", _stars_line(card, lang)),
            ("property", _property_text(card, lang)),
            ("committees", _committees_text(card, lang)),
            ("joint_mechanism", _yes_no(card["joint_mechanism"], lang)),
            ("buildings", t(c + "building_gaps", lang, n=card["buildings"], **gaps)),
        ],
        lang,
    )
    matters = [recent_line(m, lang=lang) for m in card.get("recent_matters", [])]
    none = md_text(t("deliberation_page.card_no_matters", lang))
    listed = join_clauses(matters, lang) or none
    facts([(t("deliberation_page.card_matters", lang), listed)], lang, bullets=True)


def _building_facts(ctx: StreetView, card: dict[str, Any]) -> None:
    lang = ctx.lang
    c = "party_page.card."
    st.markdown(f"**{md_text(t(c + 'building_title', lang, name=card['name']))}**")
    head = " ".join(v for v in (card["head"], card["head_phone"]) if v) or t(c + "none", lang)
    zone = " · ".join(v for v in (card["zone_name"], card["zone_member"]) if v)
    people = t(
        c + "building_people_value",
        lang,
        households=card["households"],
        residents=card["residents"],
        members=card["party_members"],
    )
    _facts(
        [
            ("group", card["group_name"] or t(c + "none", lang)),
            ("head", head),
            ("zone", zone or t(c + "none", lang)),
            ("building_people", people),
        ],
        lang,
    )


def governance_card(ctx: StreetView) -> None:
    """The card beside the map: the chosen compound (and building), and the edit forms."""
    lang = ctx.lang
    _flash()
    compound_id, building_id = _chosen(ctx)
    if compound_id is None:
        st.info(t("party_page.card.hint", lang), icon=":material/touch_app:")
        return
    user = ctx.user()
    # the forms' versions before the data version: a save made in between refuses a form
    # that already shows it, never saves over one it does not show
    drawn = forms.form_versions(ctx.store, compound_id, building_id) if user is not None else {}
    store = ctx.store
    frames = street_frames(store, ctx.street_id)
    community = frames.compounds.set_index("compound_id").loc[compound_id, "community_id"]
    editor = user is not None and can_edit(user, str(community), ctx.store)
    reveal = user is not None and sees_personal_data(user, str(community), ctx.store)
    card = _compound_card(
        store,
        street_id=ctx.street_id,
        compound_id=compound_id,
        reveal=reveal,
        day=ctx.today,
    )
    if reveal and user is not None:  # secretaries, heads and zone members shown in full
        seen = f"compound {compound_id}: branch secretary" + (
            f"; building {building_id}: head, zone member" if building_id else ""
        )
        auth.note_personal_view(ctx.store, user, f"compound:{compound_id}", seen)
    _compound_facts(ctx, card)
    building = None
    if building_id:
        building = _building_card(store, ctx.street_id, building_id, reveal)
        st.divider()
        _building_facts(ctx, building)
    if not editor:
        if user is not None:
            role = label(user.role, lang)
            st.caption(t("party_page.read_only", lang, name=user.name, role=role))
        return
    assert user is not None
    zones = _zones(store, ctx.street_id)
    forms.edit_forms(ctx, user, card, building, drawn, zones, frames.buildings)
