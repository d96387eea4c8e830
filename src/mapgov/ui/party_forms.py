"""The party page's edit forms (beside the governance card): branch and stars, property
management, a building's party group and head, the responsibility zones of a compound's
buildings.

Each form is drawn with the version of the records it shows (:func:`form_versions`, read
before the page's data version) and sends it back with the save: a save from a form older
than the records is refused, says who changed what and when, and keeps what was typed. Widget
keys carry the data version, so after a save the forms start again from the stored values.
Every save goes through :mod:`mapgov.domain.party` (rights checked again there, every changed field
written to ``change_log``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from typing import TYPE_CHECKING, Any, Final

import pandas as pd
import streamlit as st

from mapgov.core.errors import MapgovError
from mapgov.core.i18n import error_text, join_items, label, t
from mapgov.core.model import PropertyMode, Star
from mapgov.domain import party
from mapgov.domain.users import User, get_user
from mapgov.store import FormVersion, Store, open_store
from mapgov.ui.widgets import bulk_select, day_input, md_text

if TYPE_CHECKING:
    from mapgov.ui.state import StreetView

__all__ = ["FLASH", "edit_forms", "form_versions"]

FLASH: Final = "mapgov.party.flash"  # ("success" | "error", text) shown once
_FORM = "mapgov.party.form.{}.{}.{}"  # form, target id, data version (+ ".field")


def form_versions(
    store: Store, compound_id: str, building_id: str | None
) -> dict[str, FormVersion]:
    """What each form is drawn from (:func:`mapgov.domain.party.form_version`), read now, never
    cached: the save sends it back."""
    targets = {"branch": compound_id, "property": compound_id, "zone": compound_id}
    if building_id:
        targets["building"] = building_id
    return {form: party.form_version(store, form, target) for form, target in targets.items()}


def _field(form: str, target: str, version: int, name: str) -> str:
    return f"{_FORM.format(form, target, version)}.{name}"


def _saved(lang: str, what: str, changed: int) -> None:
    if changed:
        st.session_state[FLASH] = ("success", t("party_page.saved", lang, what=what, n=changed))
    else:
        st.session_state[FLASH] = ("success", t("party_page.unchanged", lang, what=what))


def _refused(lang: str, err: MapgovError) -> None:
    st.session_state[FLASH] = (
        "error",
        t("party_page.refused", lang, message=error_text(err, lang)),
    )


_FLAGS: Final = {
    "branch": ("has_branch",),
    "property": ("red_property", "owners_committee", "self_managed_committee", "has_security"),
    "building": ("has_group",),
}
"""The yes/no fields of each form (checkboxes)."""
_PLAIN: Final = {"property": ("mode", "company"), "building": ("head", "head_phone")}
"""The fields of each form saved as they are typed or chosen."""
_SETTERS: Final[dict[str, Callable[..., int]]] = {
    "branch": party.set_branch,
    "property": party.set_property,
    "building": party.set_building,
}


def _fields(form: str, value: Callable[[str], Any]) -> dict[str, Any]:
    """What the branch, property or building form saves, by field, read with `value`."""
    fields: dict[str, Any] = {name: bool(value(name)) for name in _FLAGS[form]}
    fields |= {name: value(name) for name in _PLAIN.get(form, ())}
    if form == "property":
        fields["effective_on"] = value("effective_on")  # None: the day of the save
    if form == "branch":
        fields["name"] = (value("name") or "").strip() or None
        fields["secretary"] = (value("secretary") or "").strip()  # blank: the post is vacant
        fields["secretary_phone"] = (value("secretary_phone") or "").strip()
        fields["stars"] = set(value("stars") or ())
    return fields


def _save(
    db: str,
    user_id: str,
    lang: str,
    *,
    form: str,
    target: str,
    version: int,
    drawn: FormVersion,
) -> None:
    """Submit callback of every form: one call into :mod:`mapgov.domain.party`, with the version of
    the records the form was drawn from (a stale form is refused and says who changed what)."""

    def value(name: str) -> Any:
        return st.session_state.get(_field(form, target, version, name))

    store = open_store(db)
    try:
        user = get_user(store, user_id)
        if form == "zone":
            buildings = list(value("buildings") or ())
            changed = party.assign_zone(
                store, user, buildings, value("zone") or None, version=drawn
            )
        else:
            changed = _SETTERS[form](store, user, target, version=drawn, **_fields(form, value))
    except MapgovError as err:
        _refused(lang, err)
        return
    _saved(lang, t(f"party_page.form.{form}", lang), changed)


@contextmanager
def _form(
    ctx: StreetView, user: User, form: str, *, target: str, version: int, drawn: FormVersion
) -> Iterator[Callable[[str], str]]:
    """One edit form: yields the key of a field by name, then draws the save button, whose
    callback gets the version of the records the form was drawn from."""
    with st.form(_FORM.format(form, target, version)):
        yield partial(_field, form, target, version)
        st.form_submit_button(
            t("party_page.form.save", ctx.lang),
            type="primary",
            on_click=_save,
            args=(ctx.view.db, user.user_id, ctx.lang),
            kwargs={"form": form, "target": target, "version": version, "drawn": drawn},
        )


def _branch_fields(card: dict[str, Any], key: Callable[[str], str], lang: str) -> None:
    f = "party_page.form."
    st.checkbox(t(f + "has_branch", lang), value=card["has_branch"], key=key("has_branch"))
    st.text_input(
        t(f + "branch_name", lang),
        value=card["branch_name"] or "",
        placeholder=t(f + "branch_name_placeholder", lang, name=card["name"]),
        max_chars=60,
        key=key("name"),
    )
    _person_fields(
        card, key, lang, ("secretary", "secretary_phone"), help_key="secretary_phone_help"
    )
    st.multiselect(
        t(f + "stars", lang),
        [s.value for s in Star],
        default=card["stars"],
        format_func=lambda v: label(Star(v), lang),
        key=key("stars"),
        select_all=bulk_select(lang),
    )
    if card["is_joint"]:
        st.caption(t(f + "joint_note", lang, names=join_items(card["joint_with"], lang) or "—"))


def _property_fields(
    card: dict[str, Any], key: Callable[[str], str], lang: str, today: dt.date
) -> None:
    f = "party_page.form."
    modes = [m.value for m in PropertyMode]
    st.selectbox(
        t(f + "mode", lang),
        modes,
        index=modes.index(card["mode"]),
        format_func=lambda v: label(PropertyMode(v), lang),
        key=key("mode"),
    )
    st.text_input(
        t(f + "company", lang), value=card["company"] or "", max_chars=80, key=key("company")
    )
    columns = st.columns(2)
    flags = ("red_property", "has_security", "owners_committee", "self_managed_committee")
    for i, name in enumerate(flags):  # two a column
        columns[i // 2].checkbox(t(f + name, lang), value=card[name], key=key(name))
    day_input(
        st,
        t(f + "effective_on", lang),
        value=today,
        hint=t(f + "effective_on_help", lang),
        key=key("effective_on"),
    )
    st.caption(t(f + "property_note", lang))


def _person_fields(
    record: dict[str, Any],
    key: Callable[[str], str],
    lang: str,
    fields: tuple[str, str],
    *,
    help_key: str | None = None,
) -> None:
    """A person's name and phone side by side (支部书记 / 楼栋长 and their phones), filled
    from `record`'s fields of the same names."""
    f = "party_page.form."
    name, phone = fields
    left, right = st.columns(2)
    left.text_input(t(f + name, lang), value=record[name] or "", max_chars=40, key=key(name))
    right.text_input(
        t(f + phone, lang),
        value=record[phone] or "",
        max_chars=20,
        help=t(f + help_key, lang) if help_key else None,
        key=key(phone),
    )


def _building_fields(building: dict[str, Any], key: Callable[[str], str], lang: str) -> None:
    f = "party_page.form."
    st.checkbox(t(f + "has_group", lang), value=building["has_group"], key=key("has_group"))
    _person_fields(building, key, lang, ("head", "head_phone"))


def _zone_fields(
    card: dict[str, Any],
    building: dict[str, Any] | None,
    key: Callable[[str], str],
    lang: str,
    *,
    zones: pd.DataFrame,
    buildings: pd.DataFrame,
) -> None:
    f = "party_page.form."
    zones = zones[zones["community_id"] == card["community_id"]]
    zone_text = {
        z.zone_id: t(
            f + "zone_option",
            lang,
            name=z.name or z.zone_id,
            member=z.member or "—",
            n=int(z.buildings),
        )
        for z in zones.itertuples()
    }
    blds = buildings[buildings["compound_id"] == card["compound_id"]]
    zone_names = dict(zip(zones["zone_id"], zones["name"], strict=True))
    none = t(f + "no_zone", lang)
    building_text = {
        b.building_id: f"{b.name} · {zone_names.get(b.zone_id, b.zone_id) if b.in_zone else none}"
        for b in blds.itertuples()
    }
    st.selectbox(
        t(f + "zone", lang),
        ["", *zone_text],
        format_func=lambda z: zone_text.get(z, t(f + "take_out", lang)),
        index=1 if zone_text else 0,
        key=key("zone"),
    )
    st.multiselect(
        t(f + "zone_buildings", lang, compound=card["name"]),
        list(building_text),
        default=[building["building_id"]] if building else [],
        format_func=building_text.__getitem__,
        key=key("buildings"),
        select_all=bulk_select(lang),
    )


def edit_forms(  # noqa: PLR0917 (the card's parts)
    ctx: StreetView,
    user: User,
    card: dict[str, Any],
    building: dict[str, Any] | None,
    drawn: dict[str, FormVersion],
    zones: pd.DataFrame,
    buildings: pd.DataFrame,
) -> None:
    """The forms under the card, each drawn from `drawn` (:func:`form_versions`); `zones`
    (:func:`mapgov.views.party.zone_table`) and `buildings` (the street's) feed the zone form."""
    lang = ctx.lang
    f = "party_page.form."
    version = ctx.store.data_version()
    st.markdown(f"**{md_text(t(f + 'title', lang))}**")
    names = ["branch", "property", *(["building"] if building else []), "zone"]
    tabs = st.tabs([t(f + name, lang) for name in names])
    for tab, name in zip(tabs, names, strict=True):
        target = building["building_id"] if building and name == "building" else card["compound_id"]
        form = _form(ctx, user, name, target=target, version=version, drawn=drawn[name])
        with tab, form as key:
            if name == "branch":
                _branch_fields(card, key, lang)
            elif name == "property":
                _property_fields(card, key, lang, ctx.today)
            elif name == "building" and building is not None:
                _building_fields(building, key, lang)
            else:
                _zone_fields(card, building, key, lang, zones=zones, buildings=buildings)
    st.caption(t(f + "logged", lang, name=user.name))
