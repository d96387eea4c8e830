"""Streamlit glue of the party-coverage page (``/party``): figures, map, card, gaps, edits.

The page calls, in order: :func:`controls` (the sidebar's "who is working"; returns a
:class:`StreetView`), :func:`headline` (coverage and strength of the place on screen),
:func:`party_map_view` (the map with its two layer choices; a click picks a compound, or a
building and its compound), :func:`governance_card` (beside the map: the chosen compound's
card, its building, and the edit forms for those who may edit), :func:`breakdown` (the
figures by street, community or grid), :func:`gap_section` (the five gap lists with
downloads) and :func:`summary_section` (the printable one-page summary of a community).

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
from dataclasses import dataclass
from functools import partial
from typing import Any, Final, Literal

import folium
import geopandas as gpd
import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from mapgov.core import clock
from mapgov.core.crs import WGS84
from mapgov.core.i18n import catalogue, label, t
from mapgov.core.model import PropertyMode, Star
from mapgov.domain import issues, party
from mapgov.domain.places import display_names
from mapgov.domain.users import can_edit, sees_personal_data
from mapgov.io import exports
from mapgov.store import Store, open_store
from mapgov.ui import auth
from mapgov.ui import loaders as data
from mapgov.ui import party_forms as forms
from mapgov.ui.loaders import cached, cached_resource
from mapgov.ui.party_forms import FLASH, join_items
from mapgov.ui.state import StreetView, View
from mapgov.ui.widgets import click_point, current_user, md_text
from mapgov.views import maps
from mapgov.views import party as pm
from mapgov.views import party_print as partyprint

__all__ = [
    "MAP_HEIGHT",
    "PANEL_HEIGHT",
    "breakdown",
    "controls",
    "gap_section",
    "governance_card",
    "headline",
    "map_key",
    "map_labels",
    "party_map_view",
    "summary_section",
]

"""Query parameter naming who is working (the same as the issue map's)."""
MAP_HEIGHT: Final = 600
PANEL_HEIGHT: Final = MAP_HEIGHT + 150
"""Height of the card beside the map (it scrolls inside; the map stays in view)."""

_KEY = "mapgov.party.{}"
TARGET: Final = _KEY.format("target")  # ("building" | "compound", id)
CLICK: Final = _KEY.format("click")  # (lat, lng) of the last click handled
SCOPE: Final = _KEY.format("scope")  # the place the target belongs to
COMPOUND_LAYER: Final = _KEY.format("compound_layer")
BUILDING_LAYER: Final = _KEY.format("building_layer")
LEVEL: Final = _KEY.format("level")
GAP_ORDER: Final = _KEY.format("gap_order")
SUMMARY_COMMUNITY: Final = _KEY.format("summary_community")

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
def _frames(store: Store, street_id: str) -> party.GovFrames:
    return party.load(store, street_id=street_id)


def _scoped(store: Store, street_id: str, community_id: str | None) -> party.GovFrames:
    return pm.scoped(_frames(store, street_id), community_id)


@cached(max_entries=16)
def _names(store: Store, street_id: str, lang: str) -> dict[str, str]:
    return pm.place_names(store, street_id, lang)


@cached(max_entries=8)
def _zones(store: Store, street_id: str) -> pd.DataFrame:
    return pm.zone_table(store, _frames(store, street_id))


@cached(max_entries=8)
def _zone_outlines(store: Store, street_id: str) -> gpd.GeoDataFrame:
    frames = _frames(store, street_id)
    return pm.zone_outlines(frames.buildings, _zones(store, street_id))


@cached(max_entries=32)
def _figures(store: Store, street_id: str, community_id: str | None, by: str) -> pd.DataFrame:
    return pm.figure_table(_scoped(store, street_id, community_id), by=by)


@cached(max_entries=16)
def _gaps(store: Store, street_id: str, community_id: str | None) -> dict[str, pd.DataFrame]:
    return party.gap_lists(_frames(store, street_id), community_id=community_id)


@cached_resource(max_entries=16)
def _locator(store: Store, street_id: str, community_id: str | None) -> issues.BuildingLocator:
    """Read-only spatial index of the place on screen (shared by sessions, never mutated)."""
    frames = _scoped(store, street_id, community_id)
    return issues.BuildingLocator(frames.buildings, frames.compounds)


@cached(max_entries=64)
def _compound_card(
    store: Store, *, street_id: str, compound_id: str, reveal: bool, day: dt.date
) -> dict[str, Any]:
    frames = _frames(store, street_id)
    return pm.compound_card(store, frames, compound_id, reveal=reveal, today=day)


@cached(max_entries=64)
def _building_card(store: Store, street_id: str, building_id: str, reveal: bool) -> dict[str, Any]:
    frames = _frames(store, street_id)
    return pm.building_card(store, frames, building_id, reveal=reveal)


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
    frames = _scoped(store, street_id, community_id)
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
    """Draw the page's sidebar part (who is working) and fix the place on screen.

    The page shows the street, or the community chosen in the shell. Without users in the
    street the page still shows everything, read-only.

    Returns
    -------
    StreetView or None
        ``None`` when there is no street.
    """
    if view.street_id is None:
        return None
    store = open_store(view.db)
    st.sidebar.divider()
    st.sidebar.subheader(t("party_page.sidebar", view.lang))
    user = current_user(store, view)
    if user is None:
        st.sidebar.caption(t("party_page.no_users", view.lang))
    scope = (view.street_id, view.community_id)
    if st.session_state.get(SCOPE) != scope:
        st.session_state[SCOPE] = scope
        st.session_state.pop(TARGET, None)  # a compound elsewhere is not on screen
    return StreetView(
        view=view,
        street_id=view.street_id,
        community_id=view.community_id,
        user_id=user.user_id if user else None,
        today=clock.today(store),
    )


# -- figures -------------------------------------------------------------------------------
def _pct(value: Any) -> str:
    return "—" if value is None or pd.isna(value) else f"{float(value):.0%}"


def _place_column(table: pd.DataFrame, by: str, names: dict[str, str], lang: str) -> pd.Series:
    total = t("party_page.fig.total", lang)
    return table[by].map(lambda v: total if v == ALL else names.get(v, v))


def _three_nos_texts(lang: str) -> dict[str, str]:
    """The templates of :func:`mapgov.domain.party.three_nos_text` from the catalogue."""
    texts = catalogue(lang)
    return {key: texts[f"party_page.fig.{key}"] for key in party.THREE_NOS_TEXTS}


def _branch_count(row: pd.Series) -> int:
    return int(sum(row[f"stars_{n}"] for n in range(6)))


def _metrics(items: list[tuple[str, str, str | None]]) -> None:
    for column, (name, value, help_text) in zip(st.columns(len(items)), items, strict=True):
        column.metric(name, value, help=help_text)


def _headline(ctx: StreetView, row: pd.Series) -> None:
    lang = ctx.lang
    f = "party_page.fig."
    per_100 = row["members_per_100_households"]
    _metrics(
        [
            (
                t(f + "share_branch", lang),
                _pct(row["share_branch"]),
                t(
                    f + "share_branch_help",
                    lang,
                    n=int(row["with_branch"]),
                    of=int(row["compounds"]),
                ),
            ),
            (t(f + "share_group", lang), _pct(row["share_group"]), None),
            (t(f + "share_head", lang), _pct(row["share_head"]), None),
            (t(f + "share_zone", lang), _pct(row["share_zone"]), None),
            (
                t(f + "members_per_100_households", lang),
                "—" if pd.isna(per_100) else f"{float(per_100):.1f}",
                t(f + "members_help", lang, n=int(row["party_members"])),
            ),
        ]
    )
    _metrics(
        [
            (t(f + "branches", lang), f"{_branch_count(row):,}", t(f + "branches_help", lang)),
            (t(f + "five_star", lang), f"{int(row['stars_5']):,}", None),
            (t(f + "red_property", lang), f"{int(row['red_property']):,}", None),
            (
                t(f + "joint_mechanism", lang),
                f"{int(row['joint_mechanism']):,}",
                t(f + "joint_mechanism_help", lang),
            ),
            (
                t(f + "three_nos", lang),
                party.three_nos_text(row, _three_nos_texts(lang)),
                t(f + "three_nos_help", lang),
            ),
        ]
    )


def _coverage_table(table: pd.DataFrame, place: pd.Series, lang: str) -> pd.DataFrame:
    f = "party_page.fig."
    out = {t(f + "place", lang): place}
    for col in ("compounds", "with_branch"):
        out[t(f + col, lang)] = table[col].astype(int)
    out[t(f + "share_branch", lang)] = table["share_branch"] * 100
    out[t(f + "buildings", lang)] = table["buildings"].astype(int)
    for col in ("share_group", "share_head", "share_zone"):
        out[t(f + col, lang)] = table[col] * 100
    out[t(f + "party_members", lang)] = table["party_members"].astype(int)
    out[t(f + "members_per_100_households", lang)] = table["members_per_100_households"]
    return pd.DataFrame(out)


def _stars_table(table: pd.DataFrame, place: pd.Series, lang: str) -> pd.DataFrame:
    out: dict[str, Any] = {t("party_page.fig.place", lang): place}
    for n in range(6):
        out[pm.stars_text(n)] = table[f"stars_{n}"].astype(int)
    for star in Star:
        out[label(star, lang)] = table[f"star_{star.value}"].astype(int)
    return pd.DataFrame(out)


def _property_table(table: pd.DataFrame, place: pd.Series, lang: str) -> pd.DataFrame:
    f = "party_page.fig."
    out: dict[str, Any] = {t(f + "place", lang): place}
    for mode in PropertyMode:
        out[label(mode, lang)] = table[f"mode_{mode.value}"].astype(int)
    out[t(f + "property_unknown", lang)] = table["property_unknown"].astype(int)
    for col in ("red_property", "joint_mechanism", "three_nos"):
        out[t(f + col, lang)] = table[col].astype(int)
    return pd.DataFrame(out)


def _level_options(ctx: StreetView) -> list[str]:
    return list(LEVELS[1:]) if ctx.community_id else list(LEVELS)


def headline(ctx: StreetView) -> None:
    """Two rows of headline figures of the place on screen (coverage, then strength)."""
    store = ctx.store
    totals = _figures(store, ctx.street_id, ctx.community_id, "street_id")
    if totals.empty:
        st.info(t("party_page.no_compounds", ctx.lang))
        return
    _headline(ctx, totals.iloc[-1])


def breakdown(ctx: StreetView) -> None:
    """The figures by the level the user picks (street, community or grid), in three tabs."""
    lang = ctx.lang
    store = ctx.store
    st.subheader(t("party_page.fig.heading", lang))
    options = _level_options(ctx)
    if st.session_state.get(LEVEL) not in options:
        st.session_state[LEVEL] = options[1]  # communities of a street, grids of a community
    by = st.radio(
        t("party_page.fig.by", lang),
        options,
        format_func=lambda v: t(f"party_page.fig.by_{v}", lang),
        horizontal=True,
        key=LEVEL,
    )
    table = _figures(store, ctx.street_id, ctx.community_id, by)
    if table.empty:
        return
    place = _place_column(table, by, _names(store, ctx.street_id, lang), lang)
    percent = st.column_config.NumberColumn(format="%.0f%%")
    decimal = st.column_config.NumberColumn(format="%.1f")
    f = "party_page.fig."
    coverage, stars, prop = st.tabs(
        [t(f + "tab_coverage", lang), t(f + "tab_stars", lang), t(f + "tab_property", lang)]
    )
    with coverage:
        config = {
            t(f + c, lang): percent
            for c in ("share_branch", "share_group", "share_head", "share_zone")
        }
        config[t(f + "members_per_100_households", lang)] = decimal
        st.dataframe(
            _coverage_table(table, place, lang),
            hide_index=True,
            width="stretch",
            column_config=config,
        )
    with stars:
        st.dataframe(_stars_table(table, place, lang), hide_index=True, width="stretch")
        st.caption(t(f + "stars_caption", lang))
    with prop:
        st.dataframe(_property_table(table, place, lang), hide_index=True, width="stretch")


# -- the map -------------------------------------------------------------------------------
def map_key(ctx: StreetView) -> str:
    """Streamlit key of the map (its click value is copied there)."""
    return _KEY.format(f"map.{ctx.street_id}.{ctx.community_id or ALL}")


def _handle_click(db: str, street_id: str, community_id: str | None, value: object) -> bool:
    """Resolve a new click to a building (with its compound) or a compound; True if new."""
    point = click_point(value)
    if point is None or st.session_state.get(CLICK) == point:
        return False
    st.session_state[CLICK] = point
    store = open_store(db)
    hit = _locator(store, street_id, community_id).locate(point[1], point[0])
    if hit.kind is not None and hit.id is not None:
        st.session_state[TARGET] = (hit.kind, hit.id)
    return True


def _on_map_change(db: str, street_id: str, community_id: str | None, key: str) -> None:
    """st_folium's on_change: the click value has just been copied to the map's key."""
    _handle_click(db, street_id, community_id, st.session_state.get(key))


def _target() -> tuple[str, str] | None:
    target = st.session_state.get(TARGET)
    return target if isinstance(target, tuple) and len(target) == 2 else None


def _chosen(ctx: StreetView) -> tuple[str | None, str | None]:
    """(compound id, building id or None) of the current target, if it is on screen."""
    target = _target()
    if target is None:
        return None, None
    frames = _scoped(ctx.store, ctx.street_id, ctx.community_id)
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
    frames = _scoped(ctx.store, ctx.street_id, ctx.community_id)
    shapes = [frames.compounds[frames.compounds["compound_id"] == compound_id][["geometry"]]]
    if building_id:
        shapes.append(
            frames.buildings[frames.buildings["building_id"] == building_id][["geometry"]]
        )
    return maps.selection_layer(gpd.GeoDataFrame(pd.concat(shapes), crs=WGS84))


def _layer_pickers(lang: str) -> tuple[str, str]:
    left, right = st.columns(2)
    compound_layer = left.radio(
        t("party_page.compound_layer", lang),
        [v.value for v in pm.CompoundLayer],
        format_func=lambda v: t(f"party_page.compound_layer_{v}", lang),
        horizontal=True,
        key=COMPOUND_LAYER,
    )
    building_layer = right.radio(
        t("party_page.building_layer", lang),
        [v.value for v in pm.BuildingLayer],
        format_func=lambda v: t(f"party_page.building_layer_{v}", lang),
        horizontal=True,
        key=BUILDING_LAYER,
    )
    return str(compound_layer), str(building_layer)


def party_map_view(ctx: StreetView) -> None:
    """The two layer choices and the map; a click chooses what lies under it."""
    compound_layer, building_layer = _layer_pickers(ctx.lang)
    store = ctx.store
    if _scoped(store, ctx.street_id, ctx.community_id).compounds.empty:
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
    key = map_key(ctx)
    value = st_folium(
        fmap,
        key=key,
        height=MAP_HEIGHT,
        use_container_width=True,
        returned_objects=["last_object_clicked"],
        feature_group_to_add=_selection(ctx),
        on_change=partial(_on_map_change, ctx.view.db, ctx.street_id, ctx.community_id, key),
    )
    if _handle_click(ctx.view.db, ctx.street_id, ctx.community_id, value):
        st.rerun()  # no callback ran (first value): draw the card and the outline now
    st.caption(t("party_page.map_caption", ctx.lang))


# -- the governance card -------------------------------------------------------------------


def _facts(rows: list[tuple[str, object]]) -> None:
    st.markdown("\n".join(f"- **{md_text(name)}**: {md_text(value)}" for name, value in rows))


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
    names = _names(ctx.store, ctx.street_id, lang)
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
    _facts(
        [
            (t(c + "branch", lang), _branch_text(card, lang)),
            (t(c + "secretary", lang), secretary if card["has_branch"] else "—"),
            (t(c + "branch_members", lang), members if card["has_branch"] else "—"),
            (t(c + "stars", lang), _stars_line(card, lang)),
            (t(c + "property", lang), _property_text(card, lang)),
            (t(c + "committees", lang), _committees_text(card, lang)),
            (t(c + "joint_mechanism", lang), _yes_no(card["joint_mechanism"], lang)),
            (
                t(c + "buildings", lang),
                t(
                    c + "building_gaps",
                    lang,
                    n=card["buildings"],
                    no_group=card["no_group"],
                    no_head=card["no_head"],
                    no_zone=card["no_zone"],
                ),
            ),
        ]
    )


def _building_facts(ctx: StreetView, card: dict[str, Any]) -> None:
    lang = ctx.lang
    c = "party_page.card."
    st.markdown(f"**{md_text(t(c + 'building_title', lang, name=card['name']))}**")
    head = " ".join(v for v in (card["head"], card["head_phone"]) if v) or t(c + "none", lang)
    zone = " · ".join(v for v in (card["zone_name"], card["zone_member"]) if v)
    _facts(
        [
            (t(c + "group", lang), card["group_name"] or t(c + "none", lang)),
            (t(c + "head", lang), head),
            (t(c + "zone", lang), zone or t(c + "none", lang)),
            (
                t(c + "building_people", lang),
                t(
                    c + "building_people_value",
                    lang,
                    households=card["households"],
                    residents=card["residents"],
                    members=card["party_members"],
                ),
            ),
        ]
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
    frames = _frames(store, ctx.street_id)
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


# -- gap lists and the printable summary ---------------------------------------------------
def _gap_table(frame: pd.DataFrame, names: dict[str, str], lang: str) -> pd.DataFrame:
    """A gap list with translated headers and place names (ids kept, last)."""
    g = "party_page.gaps.col."
    community = frame["community_id"].map(lambda v: names.get(v, v))
    if "compound_id" in frame.columns:
        mode = frame["mode"].map(
            lambda v: label(PropertyMode(v), lang) if isinstance(v, str) and v else "—"
        )
        return pd.DataFrame(
            {
                t(g + "compound", lang): frame["name"],
                t(g + "community", lang): community,
                t(g + "buildings", lang): frame["buildings"].astype(int),
                t(g + "households", lang): frame["households"].astype(int),
                t(g + "residents", lang): frame["residents"].astype(int),
                t(g + "mode", lang): mode,
                t(g + "compound_id", lang): frame["compound_id"],
            }
        )
    return pd.DataFrame(
        {
            t(g + "compound", lang): frame["compound_name"],
            t(g + "building", lang): frame["name"],
            t(g + "community", lang): community,
            t(g + "households", lang): frame["households"].astype(int),
            t(g + "residents", lang): frame["residents"].astype(int),
            t(g + "party_members", lang): frame["party_members"].astype(int),
            t(g + "building_id", lang): frame["building_id"],
        }
    )


@dataclass(frozen=True)
class _GapQuery:
    """Which gap list, in which order and language (a cache key)."""

    street_id: str
    community_id: str | None
    gap: str
    ascending: bool
    lang: str


@cached(max_entries=64)
def _gap_table_cached(store: Store, query: _GapQuery) -> pd.DataFrame:
    frame = _gaps(store, query.street_id, query.community_id)[query.gap]
    frame = frame.sort_values("residents", ascending=query.ascending, kind="stable")
    return _gap_table(frame, _names(store, query.street_id, query.lang), query.lang)


def gap_section(ctx: StreetView) -> None:
    """The five gap lists (what is still uncovered), each sortable and downloadable."""
    lang = ctx.lang
    g = "party_page.gaps."
    store = ctx.store
    st.subheader(t(g + "title", lang))
    gaps = _gaps(store, ctx.street_id, ctx.community_id)
    order = st.radio(
        t(g + "order", lang),
        [DESCENDING, ASCENDING],
        format_func=lambda v: t(f"{g}order_{v}", lang),
        horizontal=True,
        key=GAP_ORDER,
    )
    # compounds without property management on record are not known to be three-nos or not
    unknown = len(gaps["property_unknown"])
    unknown_only = unknown and gaps["three_nos"].empty
    tabs = st.tabs(
        [
            t(g + "three_nos_unknown", lang)
            if gap == "three_nos" and unknown_only
            else t(f"{g}{gap}", lang, n=len(gaps[gap]))
            for gap in party.GAPS
        ]
    )
    for tab, gap in zip(tabs, party.GAPS, strict=True):
        with tab:
            if gap == "three_nos" and unknown:
                st.info(t(g + "property_unknown", lang, n=unknown), icon=":material/help:")
            if gaps[gap].empty:
                if not (gap == "three_nos" and unknown):
                    st.success(t(g + "none_left", lang), icon=":material/check_circle:")
                continue
            query = _GapQuery(
                street_id=ctx.street_id,
                community_id=ctx.community_id,
                gap=gap,
                ascending=order == ASCENDING,
                lang=lang,
            )
            table = _gap_table_cached(store, query)
            height: int | Literal["auto"] = "auto"
            if len(table) > GAP_ROWS_SHOWN:
                height = 38 + 35 * GAP_ROWS_SHOWN
            st.dataframe(table, hide_index=True, width="stretch", height=height)
            name = f"party-gaps-{gap}-{ctx.community_id or ctx.street_id}"
            with st.container(horizontal=True):
                for suffix, text in ((".xlsx", "excel"), (".csv", "csv")):
                    st.download_button(
                        t(g + text, lang),
                        partial(exports.frame_bytes, table, suffix),  # on the click
                        file_name=f"{name}{suffix}",
                        mime=exports.FORMATS[suffix],
                        icon=":material/download:",
                        key=_KEY.format(f"download.{gap}{suffix}"),
                        on_click="ignore",
                    )


def _summary_labels(lang: str) -> dict[str, str]:
    f = "party_page.fig."
    keys = ("share_branch", "share_group", "share_head", "share_zone")
    labels = {key: t(f + key, lang) for key in keys}
    labels["members_per_100_households"] = t(f + "members_per_100_households", lang)
    for key in ("red_property", "three_nos", "joint_mechanism"):
        labels[key] = t(f + key, lang)
    labels |= _three_nos_texts(lang)
    for gap in party.GAPS:
        labels[gap] = t(f"party_page.summary.{gap}", lang)
    for key in ("compound", "building", "residents", "date"):
        labels[key] = t(f"party_page.summary.{key}", lang)
    labels["more"] = t("party_page.summary.more", lang, shown="{shown}", more="{more}")
    return labels


@cached(max_entries=16)
def _summary(
    store: Store,
    *,
    street_id: str,
    community_id: str,
    title: str,
    lang: str,
    day: dt.date,
) -> str:
    frames = _frames(store, street_id)
    return partyprint.community_summary_html(
        frames, community_id, title=title, labels=_summary_labels(lang), today=day
    )


def summary_section(ctx: StreetView) -> None:
    """The one-page printable summary of a community: download it, or look at it first."""
    lang = ctx.lang
    s = "party_page.summary."
    store = ctx.store
    st.subheader(t(s + "heading", lang))
    names = _names(store, ctx.street_id, lang)
    communities = data.community_list(ctx.store, ctx.street_id)
    options = dict(zip(communities["community_id"], display_names(communities, lang), strict=True))
    if not options:
        return
    if ctx.community_id in options:
        community_id = ctx.community_id
    else:
        community_id = st.selectbox(
            t(s + "community", lang),
            list(options),
            format_func=options.__getitem__,
            key=SUMMARY_COMMUNITY,
        )
    assert community_id is not None
    title = t(
        s + "title",
        lang,
        street=names.get(ctx.street_id, ctx.street_id),
        community=options[community_id],
    )
    page = _summary(
        store,
        street_id=ctx.street_id,
        community_id=community_id,
        title=title,
        lang=lang,
        day=ctx.today,
    )
    st.download_button(
        t(s + "download", lang),
        page.encode("utf-8"),
        file_name=f"party-summary-{community_id}-{ctx.today.isoformat()}.html",
        mime="text/html",
        icon=":material/print:",
        type="primary",
        key=_KEY.format("download.summary"),
        on_click="ignore",
    )
    st.caption(t(s + "hint", lang))
    with st.expander(t(s + "preview", lang), icon=":material/visibility:"):
        st.iframe(page, height=720)
