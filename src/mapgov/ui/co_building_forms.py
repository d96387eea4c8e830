"""The co-building page's forms (``/co-building``): a chosen project, need or wish with its
workflow steps and timeline (:func:`record_panel`), and the forms that file a need or a
resource, post a wish or log volunteer service (:func:`new_records`).

Buttons and forms appear only for those :func:`mapgov.domain.cobuild.allowed_actions` (or
:func:`mapgov.domain.users.can_edit`) allow. Every step goes through
:mod:`mapgov.domain.cobuild`, which checks the rights again and refuses a record changed since
it was drawn (the version travels in the callback's arguments); a refusal is shown in the
user's language and nothing is written. Form keys carry the record's version, so after a step
the next form starts empty, and a refused one keeps what was typed.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from functools import partial
from typing import Any, Final

import streamlit as st

from mapgov.core import model
from mapgov.core.errors import MapgovError
from mapgov.core.i18n import label, t
from mapgov.domain import cobuild
from mapgov.domain.users import User, can_edit, get_user, street_admin
from mapgov.store import open_store
from mapgov.ui import auth
from mapgov.ui.co_building import (
    ENTITIES,
    ENTITY,
    FLASH,
    KEY,
    TEXTS,
    co_frames,
    enum_text,
    record_key,
    refused,
)
from mapgov.ui.state import StreetView
from mapgov.ui.widgets import (
    action_forms,
    day_input,
    empty_fields,
    facts,
    flash,
    md_text,
    say,
)
from mapgov.views import accounts as av
from mapgov.views import co_building as cm
from mapgov.views.markup import steps_markdown

__all__ = ["field_key", "new_records", "record_panel"]

_FIELD = "mapgov.cob.form.{}.{}.{}.{}"  # action, record id, version, field
_NEW = "mapgov.cob.new.{}.{}"  # form, field
_STATUS: Final[dict[model.CoEntity, type[StrEnum]]] = {
    model.CoEntity.PROJECT: model.ProjectStatus,
    model.CoEntity.NEED: model.NeedStatus,
    model.CoEntity.WISH: model.WishStatus,
}
_ID_COLUMN: Final = {
    model.CoEntity.PROJECT: "project_id",
    model.CoEntity.NEED: "need_id",
    model.CoEntity.WISH: "wish_id",
}


def field_key(action: str, record_id: str, version: int, name: str) -> str:
    """Streamlit key of a workflow form's field (the record's version in it)."""
    return _FIELD.format(action, record_id, version, name)


def _value(action: str, record_id: str, version: int, name: str) -> Any:
    return st.session_state.get(field_key(action, record_id, version, name))


def _run_step(
    db: str, user_id: str, lang: str, *, entity: str, record_id: str, version: int, action: str
) -> None:
    """A workflow form's callback: one step with the version the form was drawn with."""
    store = open_store(db)
    a, e = model.CoAction(action), model.CoEntity(entity)

    def value(name: str) -> Any:
        return _value(action, record_id, version, name)

    note = value("note") or ""
    calls = {
        (model.CoEntity.PROJECT, model.CoAction.CLAIM): lambda u: cobuild.claim_project(
            store, u, record_id, version=version, note=note
        ),
        (model.CoEntity.PROJECT, model.CoAction.PROGRESS): lambda u: cobuild.progress_project(
            store, u, record_id, version=version, note=note
        ),
        (model.CoEntity.PROJECT, model.CoAction.COMPLETE): lambda u: cobuild.complete_project(
            store, u, record_id, version=version, note=note
        ),
        (model.CoEntity.PROJECT, model.CoAction.RATE): lambda u: cobuild.rate_project(
            store, u, record_id, version=version, rating=value("rating"), note=note
        ),
        (model.CoEntity.PROJECT, model.CoAction.CANCEL): lambda u: cobuild.cancel_project(
            store, u, record_id, version=version, reason=note
        ),
        (model.CoEntity.NEED, model.CoAction.CANCEL): lambda u: cobuild.cancel_need(
            store, u, record_id, version=version, reason=note
        ),
        (model.CoEntity.WISH, model.CoAction.CLAIM): lambda u: cobuild.claim_wish(
            store, u, record_id, version=version, claimed_by=value("claimed_by") or "", note=note
        ),
        (model.CoEntity.WISH, model.CoAction.COMPLETE): lambda u: cobuild.complete_wish(
            store, u, record_id, version=version, note=note
        ),
        (model.CoEntity.WISH, model.CoAction.CANCEL): lambda u: cobuild.cancel_wish(
            store, u, record_id, version=version, reason=note
        ),
    }
    try:
        calls[(e, a)](get_user(store, user_id))
    except MapgovError as err:
        refused(err, lang, "record")
        return
    text = t(TEXTS + "stepped", lang, entity=label(e, lang), id=record_id, action=label(a, lang))
    say(FLASH, "success", text, "record")


def _step_fields(
    entity: model.CoEntity, action: model.CoAction, *, record_id: str, version: int, lang: str
) -> None:
    f = TEXTS + "form."
    a = action.value
    if entity is model.CoEntity.PROJECT and action is model.CoAction.RATE:
        st.radio(
            t(f + "rating", lang),
            [r.value for r in model.CallbackRating],
            format_func=lambda v: label(model.CallbackRating(v), lang),
            horizontal=True,
            key=field_key(a, record_id, version, "rating"),
        )
    if entity is model.CoEntity.WISH and action is model.CoAction.CLAIM:
        st.text_input(
            t(f + "claimed_by", lang),
            max_chars=80,
            key=field_key(a, record_id, version, "claimed_by"),
        )
    note = (
        "reason"
        if action is model.CoAction.CANCEL
        else ("report" if action is model.CoAction.PROGRESS else "note")
    )
    st.text_area(t(f + note, lang), height=68, key=field_key(a, record_id, version, "note"))


def _step_forms(
    ctx: StreetView, entity: model.CoEntity, record: dict[str, Any], user: User
) -> None:
    lang = ctx.lang
    allowed = [
        a
        for a in cobuild.allowed_actions(ctx.store, entity, record, user)
        if a is not model.CoAction.PAIR
    ]
    if (
        entity is model.CoEntity.NEED
        and record["status"] == "open"
        and can_edit(user, record["community_id"], ctx.store)
    ):
        st.caption(t(TEXTS + "pair_hint", lang))
    if not allowed:
        if not can_edit(user, record.get("community_id"), ctx.store):
            st.caption(t(TEXTS + "read_only", lang, name=user.name, role=label(user.role, lang)))
        return
    key_id = str(record[_ID_COLUMN[entity]])
    version = int(record["version"])
    action_forms(
        allowed,
        lang,
        form_key=lambda a: KEY.format(f"form.{entity.value}.{a}.{key_id}"),
        fields=partial(_step_fields, entity, record_id=key_id, version=version, lang=lang),
        on_click=_run_step,
        args=(ctx.view.db, user.user_id, lang),
        kwargs={"entity": entity.value, "record_id": key_id, "version": version},
    )
    st.caption(t(TEXTS + "version", lang, version=version))


def _record_card(ctx: StreetView, entity: model.CoEntity, record: dict[str, Any]) -> None:
    lang = ctx.lang
    c = TEXTS + "card."
    frames = co_frames(ctx)
    names = cm.community_names(frames, lang)
    status = _STATUS[entity](record["status"])
    rows = [
        (t(c + "status", lang), md_text(label(status, lang))),
        (t(c + "title", lang), md_text(record.get("title"))),
        (t(c + "community", lang), md_text(names.get(record.get("community_id") or "", "—"))),
    ]
    if entity is model.CoEntity.PROJECT:
        units = frames.units.set_index("unit_id")["name"]
        need = record["need"]
        rows += [
            (t(c + "unit", lang), md_text(units.get(record["unit_id"], record["unit_id"]))),
            (t(c + "need", lang), md_text(f"{need['need_id']} · {need['title']}")),
            (t(c + "kind", lang), md_text(label(model.CoopKind(need["kind"]), lang))),
        ]
        if record.get("satisfaction"):
            rows.append(
                (
                    t(c + "satisfaction", lang),
                    md_text(label(model.CallbackRating(record["satisfaction"]), lang)),
                )
            )
    elif entity is model.CoEntity.NEED:
        rows.append((t(c + "kind", lang), md_text(label(model.CoopKind(record["kind"]), lang))))
        rows.append((t(c + "description", lang), md_text(record.get("description"))))
    else:
        rows += [
            (t(c + "description", lang), md_text(record.get("description"))),
            (t(c + "poster", lang), md_text(record.get("poster_name"))),
            (t(c + "claimed_by", lang), md_text(record.get("claimed_by"))),
        ]
    facts(rows, lang)


def record_panel(ctx: StreetView) -> None:
    """A project, need or wish chosen from the lists: what it is, the steps the user may
    take on it now (a form each), and its timeline."""
    lang = ctx.lang
    r = TEXTS + "record."
    st.subheader(t(r + "heading", lang))
    frames = co_frames(ctx)
    entity_value = st.segmented_control(
        t(r + "entity", lang),
        [e.value for e in ENTITIES],
        format_func=lambda v: t(f"{r}entity_{v}", lang),
        default=model.CoEntity.PROJECT.value,
        key=ENTITY,
    )
    entity = model.CoEntity(entity_value or model.CoEntity.PROJECT.value)
    user = ctx.user()
    options = cm.record_options(
        frames,
        entity,
        lang=lang,
        community_id=ctx.community_id,
        first=user.community_id if user else None,
    )
    flash(FLASH, "record")
    if not options:
        st.info(t(r + "none", lang))
        return
    key = record_key(entity)
    if st.session_state.get(key) not in options:
        st.session_state.pop(key, None)
    record_id = st.selectbox(
        t(r + "choose", lang, entity=label(entity, lang)),
        list(options),
        format_func=options.__getitem__,
        key=key,
    )
    record = cobuild.get(ctx.store, entity, record_id, user=user)
    if entity is model.CoEntity.WISH:
        subject = f"micro_wish:{record_id}"
        seen = av.SEEN_WISH
        auth.note_unmasked_view(ctx.store, user, record["community_id"], subject, seen)
    left, right = st.columns([1, 1], gap="medium")
    with left:
        _record_card(ctx, entity, record)
        if user is not None:
            _step_forms(ctx, entity, record, user)
    with right:
        st.markdown(f"**{md_text(t(r + 'timeline', lang))}**")
        events = cobuild.timeline(ctx.store, entity, record_id, user=user)
        st.markdown(steps_markdown(cm.timeline_steps(events, entity, lang=lang)))


# -- new records ---------------------------------------------------------------------------
def _new_key(form: str, name: str) -> str:
    return _NEW.format(form, name)


def _new(form: str, name: str) -> Any:
    return st.session_state.get(_new_key(form, name))


def _text(form: str, name: str) -> str:
    return str(_new(form, name) or "")


def _clear(form: str, *names: str) -> None:
    empty_fields(*(_new_key(form, name) for name in names))


_MAKERS: Final[dict[str, Callable[..., str]]] = {
    "need": cobuild.file_need,
    "resource": cobuild.file_resource,
    "wish": cobuild.post_wish,
    "volunteer": cobuild.log_volunteer,
}
"""The :mod:`mapgov.domain.cobuild` call of each "new record" form (it returns the new id)."""
_CLEARED: Final = {
    "need": ("title", "description"),
    "resource": ("title", "description"),
    "wish": ("title", "description", "poster_name", "poster_phone"),
    "volunteer": ("title", "organiser"),
}
"""The fields a form empties after a save (the choices stay for the next record)."""


def _new_fields(form: str) -> dict[str, Any]:
    """The keyword arguments of `form`'s call (:data:`_MAKERS`), read from its widgets."""
    new, text = partial(_new, form), partial(_text, form)
    fields: dict[str, Any] = {"title": text("title")}
    if form != "volunteer":
        fields["description"] = text("description")
    if form != "wish":
        fields["kind"] = new("kind")
    if form in ("need", "volunteer"):
        fields["community_id"] = new("community")
        fields["compound_id"] = new("compound") or None  # none: the whole community
    if form == "resource":
        fields["unit_id"] = new("unit")
    elif form == "wish":
        fields["compound_id"] = new("compound")
        fields["poster_name"] = text("poster_name") or None
        fields["poster_phone"] = text("poster_phone") or None
    elif form == "volunteer":
        fields["held_on"] = new("held_on")
        fields["participants"] = int(new("participants") or 0)
        fields["hours"] = float(new("hours") or 0)
        fields["organiser"] = text("organiser")
    return fields


def _create(db: str, user_id: str, lang: str, form: str) -> None:
    """A "new record" form's callback."""
    store = open_store(db)
    fields = _new_fields(form)
    try:
        new_id = _MAKERS[form](store, get_user(store, user_id), **fields)
    except MapgovError as err:
        refused(err, lang, f"new.{form}")
        return
    _clear(form, *_CLEARED[form])
    # named by what the user typed (eight wishes may all be 一辆轮椅), the number after it
    done = t(TEXTS + f"new.done_{form}", lang, id=new_id, title=md_text(fields["title"]))
    say(FLASH, "success", done, f"new.{form}")


def _editable(ctx: StreetView, user: User) -> dict[str, str]:
    names = cm.community_names(co_frames(ctx), ctx.lang)
    return {
        c: n
        for c, n in names.items()
        if can_edit(user, c, ctx.store) and ctx.community_id in (None, c)
    }


def _community_and_compound(
    ctx: StreetView, form: str, communities: dict[str, str], *, optional: bool
) -> None:
    lang = ctx.lang
    n = TEXTS + "new."
    left, right = st.columns(2)
    community = left.selectbox(
        t(n + "community", lang),
        list(communities),
        format_func=communities.__getitem__,
        key=_new_key(form, "community"),
    )
    comps = co_frames(ctx).compounds
    comps = comps[comps["community_id"] == community].sort_values("compound_id")
    choices = dict(zip(comps["compound_id"], comps["name"], strict=True))
    if optional:
        choices = {"": t(n + "whole_community", lang), **choices}
    right.selectbox(
        t(n + "compound", lang),
        list(choices),
        format_func=choices.__getitem__,
        key=_new_key(form, "compound"),
    )


def _submit(ctx: StreetView, user: User, form: str) -> None:
    st.form_submit_button(
        t(TEXTS + f"new.submit_{form}", ctx.lang),
        type="primary",
        on_click=_create,
        args=(ctx.view.db, user.user_id, ctx.lang, form),
    )


def _kind_box(ctx: StreetView, form: str, enum: type[StrEnum]) -> None:
    st.selectbox(
        t(TEXTS + "new.kind", ctx.lang),
        [k.value for k in enum],
        format_func=enum_text(enum, ctx.lang),
        key=_new_key(form, "kind"),
    )


def _title_fields(ctx: StreetView, form: str) -> None:
    st.text_input(t(TEXTS + "new.title", ctx.lang), max_chars=120, key=_new_key(form, "title"))
    st.text_area(
        t(TEXTS + "new.description", ctx.lang), height=68, key=_new_key(form, "description")
    )


_SERVICE_NUMBERS: Final = {"participants": (1, 10_000, 10, 1), "hours": (0.5, 24.0, 2.0, 0.5)}
"""Lowest, highest, first value and step of a volunteer service's numbers."""


def _volunteer_fields(ctx: StreetView, form: str) -> None:
    """A volunteer service's title, day, participants, hours and organiser."""
    n = TEXTS + "new."
    st.text_input(t(n + "title", ctx.lang), max_chars=120, key=_new_key(form, "title"))
    left, *numbers = st.columns(3)
    day_input(left, t(n + "held_on", ctx.lang), value=ctx.today, key=_new_key(form, "held_on"))
    for column, (name, (low, high, first, step)) in zip(
        numbers, _SERVICE_NUMBERS.items(), strict=True
    ):
        column.number_input(
            t(n + name, ctx.lang),
            min_value=low,
            max_value=high,
            value=first,
            step=step,
            key=_new_key(form, name),
        )
    st.text_input(t(n + "organiser", ctx.lang), max_chars=80, key=_new_key(form, "organiser"))


def new_records(ctx: StreetView) -> None:
    """Forms to file a need or a resource, post a wish and log volunteer service (for the
    staff of a community and administrators; others see none)."""
    user = ctx.user()
    if user is None:
        return
    communities = _editable(ctx, user)
    if not communities:
        return
    lang = ctx.lang
    n = TEXTS + "new."
    st.subheader(t(n + "heading", lang))
    forms = ["need", "resource", "wish", "volunteer"]
    tabs = st.tabs([t(n + f"tab_{form}", lang) for form in forms])
    frames = co_frames(ctx)
    mine = {
        c for c in frames.units["community_id"].dropna().unique() if can_edit(user, c, ctx.store)
    }
    loose = frames.units["community_id"].isna() & frames.units["street_id"].map(
        lambda s: street_admin(user, s if isinstance(s, str) else None)
    )  # units of no community: their street's administrators file for them
    units = frames.units[frames.units["community_id"].isin(mine) | loose]
    for tab, form in zip(tabs, forms, strict=True):
        with tab:
            flash(FLASH, f"new.{form}")
            if form == "resource" and units.empty:
                st.caption(t(n + "no_units", lang))
                continue
            with st.form(KEY.format(f"new.{form}")):
                if form == "need":
                    _community_and_compound(ctx, form, communities, optional=True)
                    _kind_box(ctx, form, model.CoopKind)
                    _title_fields(ctx, form)
                elif form == "resource":
                    choices = dict(zip(units["unit_id"], units["name"], strict=True))
                    st.selectbox(
                        t(n + "unit", lang),
                        list(choices),
                        format_func=choices.__getitem__,
                        key=_new_key(form, "unit"),
                    )
                    _kind_box(ctx, form, model.CoopKind)
                    _title_fields(ctx, form)
                elif form == "wish":
                    _community_and_compound(ctx, form, communities, optional=False)
                    _title_fields(ctx, form)
                    left, right = st.columns(2)
                    left.text_input(
                        t(n + "poster_name", lang), max_chars=40, key=_new_key(form, "poster_name")
                    )
                    right.text_input(
                        t(n + "poster_phone", lang),
                        max_chars=20,
                        key=_new_key(form, "poster_phone"),
                    )
                else:
                    _community_and_compound(ctx, form, communities, optional=True)
                    _kind_box(ctx, form, model.VolunteerKind)
                    _volunteer_fields(ctx, form)
                _submit(ctx, user, form)
    st.caption(t(n + "logged", lang, name=user.name))
