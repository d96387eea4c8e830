"""The data page: bring a street office's own files in, check them, land them; export,
back up and restore.

Every import runs in two steps the user sees: **check** (read, map columns, reproject, validate
against the street; the plan is kept in the session and shown as a preview map and a list of
problems naming file, row and field) and **import** (only a plan without errors; one
transaction). Only administrators import, back up and restore (:mod:`mapgov.views.data`).

An upload is on the server's disk only while one step reads it
(:func:`mapgov.views.data.upload_file`); the session keeps what was read (columns, the checked plan)
until the import lands or the upload is removed, and a landed import empties its uploader, so
Streamlit lets the bytes go.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Final, TypeVar

import pandas as pd
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from mapgov.core import clock
from mapgov.core.errors import MapgovError
from mapgov.core.i18n import error_text, field_label, shown, t
from mapgov.core.model import Role
from mapgov.domain.users import User
from mapgov.io.importers import list_layers, read_layer, read_table
from mapgov.io.importers.mapping import FIELDS, REQUIRED
from mapgov.io.importers.osm import land_osm, read_osm
from mapgov.io.importers.plan import LAYER_TABLES, LayerPlan, land_layer
from mapgov.io.importers.read import SUFFIXES
from mapgov.io.importers.tables import TABLE_KINDS, TablePlan, land_table, plan_table
from mapgov.io.importers.validate import Problem
from mapgov.store import open_store
from mapgov.ui import auth
from mapgov.ui.state import PageView, View
from mapgov.ui.widgets import current_user, file_uploader, show_map, show_table
from mapgov.views import data as dataio
from mapgov.views import data_preview as previewmap
from mapgov.views.markup import md_text

__all__ = [
    "DataView",
    "backup_section",
    "controls",
    "export_section",
    "flash",
    "import_layer_section",
    "import_table_section",
    "osm_section",
]

_NONE: Final = ""  # "no column" in a mapping picker
_PLAN: Final = "data_io.plan.{}"
_FLASH: Final = "data_io.flash"
_READ: Final = "data_io.read.{}"
_ROUND: Final = "data_io.round.{}"  # a section's landed imports: each starts with no upload
T = TypeVar("T")
P = TypeVar("P")
PREVIEW_HEIGHT: Final = 420


@dataclass(frozen=True)
class DataView(PageView):
    """What the sections need: the view and who is working."""

    user: User | None

    @property
    def manager(self) -> bool:
        """Whether the user may import, back up and restore."""
        return dataio.can_manage(self.user, self.store)


def controls(view: View) -> DataView:
    """The sidebar part: who is working."""
    store = open_store(view.db)
    user = None
    if view.street_id is not None:
        user = current_user(store, view)
    return DataView(view, user)


# -- shared pieces ----------------------------------------------------------------------------
def flash() -> None:
    """The message of the last import, shown once after the rerun it caused, in a container
    drawn on every run: the tabs under it keep their place in the page, so the tab the user
    works in stays open (the message coming and going moved them, and Streamlit drew them
    anew on the first tab)."""
    message = st.session_state.pop(_FLASH, None)
    slot = st.container()
    if message:
        slot.success(message, icon=":material/check_circle:")


def _uploader(label: str, types: list[str], section: str, lang: str) -> dataio.Upload | None:
    """The section's file uploader; it comes back empty after the section's import or
    restore landed (a new key), so the session holds no upload once the work is done."""
    round_ = st.session_state.get(_ROUND.format(section), 0)
    return file_uploader(  # type: ignore[no-any-return]
        label, types=types, lang=lang, key=f"{section}.file.{round_}"
    )


def _forget(section: str) -> None:
    """Nothing of the section's last upload is kept: its checked plan, what was read."""
    st.session_state.pop(_PLAN.format(section), None)
    st.session_state.pop(_READ.format(section), None)


def _done(section: str) -> None:
    """The section's work landed: forget the upload and empty the uploader."""
    _forget(section)
    st.session_state[_ROUND.format(section)] = st.session_state.get(_ROUND.format(section), 0) + 1


def _read_once(
    section: str, upload: dataio.Upload, read: Callable[[Path], T], part: str | None = None
) -> T:
    """What `read` makes of the section's upload, computed once per upload, reader and `part`
    (a layer's name) (reading a large layer on every rerun would make each click wait for
    it); the file written for it is gone when it returns."""
    cache = st.session_state.setdefault(_READ.format(section), {})
    key = (_upload_id(upload), read.__name__, part)
    if key not in cache:
        if not any(k[0] == key[0] for k in cache):
            cache.clear()  # one upload at a time is enough to keep
        cache[key] = dataio.read_upload(upload, read)
    return cache[key]  # type: ignore[no-any-return]


def _layer_columns(path: Path, layer: str | None = None) -> list[str]:
    frame = read_layer(path, layer=layer)
    return [str(c) for c in frame.columns if c != frame.geometry.name]


def _upload_id(upload: object) -> str:
    """Identity of one upload: a new upload of a file with the same name is another one, and
    a plan checked on the old one must not be shown (or imported) for it."""
    return str(getattr(upload, "file_id", id(upload)))


def _problem_table(problems: list[Problem], lang: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            t("data_page.col.file", lang): [Path(p.path).name for p in problems],
            t("data_page.col.row", lang): [p.row if p.row is not None else "" for p in problems],
            t("data_page.col.field", lang): [field_label(p.field, lang) for p in problems],
            t("data_page.col.problem", lang): [shown(p.message, lang) for p in problems],
            t("data_page.col.severity", lang): [
                t(f"data_page.severity.{p.severity}", lang) for p in problems
            ],
        }
    )


def _mapping_editor(
    ctx: DataView, key: str, table: str, columns: list[str], guessed: dict[str, str]
) -> dict[str, str]:
    """One picker per field of `table`: which column of the file holds it. `key` names the
    upload too (:func:`_upload_id`), so that each file's columns are guessed afresh: a second
    file chosen after a first kept the first one's choices, and its other columns went
    unread."""
    st.markdown(f"**{t('data_page.mapping', ctx.lang)}**")
    st.caption(t("data_page.mapping_help", ctx.lang))
    chosen: dict[str, str] = {}
    fields = list(FIELDS[table])
    cells = st.columns(3)
    for i, field in enumerate(fields):
        options = [_NONE, *columns]
        default = guessed.get(field, _NONE)
        required = field in REQUIRED.get(table, ())
        name = t(f"data_page.field.{field}", ctx.lang) + (" *" if required else "")
        value = cells[i % 3].selectbox(
            name,
            options,
            index=options.index(default) if default in options else 0,
            format_func=lambda c: t("data_page.no_column", ctx.lang) if c == _NONE else c,
            key=f"{key}.map.{table}.{field}",
        )
        if value != _NONE:
            chosen[field] = value
    return chosen


def _refuse_unless_manager(ctx: DataView) -> bool:
    if ctx.manager:
        return False
    text = t("data_page.admin_only", ctx.lang)
    if ctx.user is not None and ctx.user.role == Role.ADMIN:  # of one street of several
        text = t("error.data.other_streets", ctx.lang)
    st.info(text, icon=":material/lock:")
    return True


@dataclass(frozen=True)
class _Start:
    """The first row of an import section: what to import, beside the file uploader."""

    key: str  # the section: its widgets' keys start with it
    name: (
        str  # the picker's key is ``<key>.<name>``, an option's text ``data_page.<name>.<option>``
    )
    label: str  # catalogue key of the picker's label
    options: tuple[str, ...]
    upload: str  # catalogue key of the uploader's label
    types: tuple[str, ...]  # file types the uploader takes
    help: str  # catalogue key of the help shown without a file (``{}``: the chosen option)


_LAYER_START: Final = _Start(
    "layer", "table", "data_page.target", tuple(LAYER_TABLES), "data_page.upload_layer",
    tuple(s.lstrip(".") for s in SUFFIXES), "data_page.layer_help",
)  # fmt: skip
_TABLE_START: Final = _Start(
    "table", "kind", "data_page.table_kind", tuple(TABLE_KINDS), "data_page.upload_table",
    ("csv", "txt", "xlsx"), "data_page.kind_help.{}",
)  # fmt: skip


def _start(ctx: DataView, start: _Start) -> tuple[str, dataio.Upload] | None:
    """The first row of an import section (for managers; others are told why not): the
    chosen option and the uploaded file, or None without a file (then the option's help is
    shown, and what the section kept is forgotten)."""
    if _refuse_unless_manager(ctx):
        return None
    lang = ctx.lang
    left, right = st.columns([1, 2])
    target = left.selectbox(
        t(start.label, lang),
        start.options,
        format_func=lambda option: t(f"data_page.{start.name}.{option}", lang),
        key=f"{start.key}.{start.name}",
    )
    with right:
        file = _uploader(t(start.upload, lang), list(start.types), start.key, lang)
    if file is None:
        st.caption(t(start.help.format(target), lang))
        _forget(start.key)
        return None
    return target, file


def _check(
    ctx: DataView,
    key: str,
    upload: dataio.Upload,
    mapped: tuple[str, dict[str, str]],
    make_plan: Callable[[], P],
) -> tuple[str | None, P | None]:
    """The "remember the columns" box and the "check" button: a click makes the plan (an
    error is shown instead) and keeps it with the upload's id, and remembers the mapping
    (`mapped`: the target and its columns) if asked. Returns what is kept, (None, None) if
    nothing is, or the click failed."""
    lang = ctx.lang
    remember = st.checkbox(t("data_page.remember", lang), value=True, key=f"{key}.remember")
    if st.button(t("data_page.check", lang), key=f"{key}.check"):
        try:
            plan = make_plan()
        except MapgovError as err:
            st.error(md_text(error_text(err, lang)), icon=":material/error:")
            return None, None
        st.session_state[_PLAN.format(key)] = (_upload_id(upload), plan)
        if remember:
            dataio.remember_mapping(ctx.store, *mapped)
    kept: tuple[str | None, P | None] = st.session_state.get(_PLAN.format(key), (None, None))
    return kept


# -- layers -----------------------------------------------------------------------------------
def import_layer_section(ctx: DataView) -> None:
    """Upload a layer, map its columns, check it, see it on a map, import it."""
    lang = ctx.lang
    key = _LAYER_START.key
    picked = _start(ctx, _LAYER_START)
    if picked is None:
        return
    table, upload = picked
    with st.expander(t("data_page.coordinates", lang)):
        crs = st.text_input(t("data_page.crs", lang), key=f"{key}.crs", placeholder="EPSG:4490")
        shift = st.radio(
            t("data_page.shift", lang),
            ["", "gcj02", "bd09"],
            format_func=lambda s: t(f"data_page.shift_{s or 'none'}", lang),
            horizontal=True,
            key=f"{key}.shift",
        )
    try:
        names = _read_once(key, upload, list_layers)
        layer = None
        if len(names) > 1:  # a GeoPackage of several layers: say which one is read
            layer = st.selectbox(t("data_page.layer_pick", lang), names, key=f"{key}.layer")

        def columns_of(p: Path) -> list[str]:
            return _layer_columns(p, layer)

        columns = _read_once(key, upload, columns_of, layer)
    except MapgovError as err:
        st.error(md_text(error_text(err, lang)), icon=":material/error:")
        return
    guessed = dataio.starting_mapping(ctx.store, table, columns)
    # the pickers of another layer start afresh: its columns are not the first layer's
    picking = f"{key}.{_upload_id(upload)}" + ("" if layer is None else f".{layer}")
    mapping = _mapping_editor(ctx, picking, table, columns, guessed)

    def make_plan() -> LayerPlan:
        return dataio.plan_upload(ctx.store, upload, table, mapping=mapping, crs=crs or None,
                                  shift=shift or None, layer=layer)  # fmt: skip

    upload_id, plan = _check(ctx, key, upload, (table, mapping), make_plan)
    fresh = upload_id == _upload_id(upload) and getattr(plan, "layer_name", None) == layer
    if isinstance(plan, LayerPlan) and fresh and plan.table == table:
        _layer_report(ctx, plan)


def _layer_report(ctx: DataView, plan: LayerPlan) -> None:
    lang = ctx.lang
    rows = 0 if plan.layer is None else len(plan.layer)
    errors, repaired = plan.errors, [p for p in plan.problems if p.severity != "error"]
    a, b, c = st.columns(3)
    a.metric(t("data_page.rows", lang), f"{rows:,}")
    b.metric(t("data_page.errors", lang), f"{len(errors):,}")
    c.metric(t("data_page.repaired", lang), f"{len(repaired):,}")
    if plan.layer is not None and rows:
        bad = [p.row for p in errors if p.row is not None]
        first = 2 if Path(plan.path).suffix.lower() in (".csv", ".txt", ".xlsx") else 1
        label = "name" if "name" in plan.layer.columns else None
        fmap = previewmap.preview_map(
            plan.layer, label=label, bad_rows=bad, first_row=first,
            tooltip_alias=t("data_page.field.name", lang),
        )  # fmt: skip
        show_map(fmap, key=f"data_io.preview.{plan.table}", height=PREVIEW_HEIGHT)
        st.caption(t("data_page.preview_caption", lang))
    if plan.problems:
        show_table(_problem_table(plan.problems, lang), hide_index=True, use_container_width=True)
    if not plan.ready:
        st.error(t("data_page.refused", lang, count=len(errors)), icon=":material/block:")
        return
    st.warning(
        t("data_page.replace_warning", lang, table=t(f"data_page.table.{plan.table}", lang),
          rows=rows, old=ctx.store.counts().get(plan.table, 0)),
        icon=":material/warning:",
    )  # fmt: skip
    if st.button(t("data_page.confirm", lang), type="primary", key="layer.confirm"):
        try:
            dataio.require_manager(ctx.user, "import", ctx.store)
            store = land_layer(ctx.store, plan)
        except MapgovError as err:
            st.error(md_text(error_text(err, lang)), icon=":material/error:")
            return
        _done("layer")
        st.session_state[_FLASH] = t(
            "data_page.imported", lang, rows=store.counts().get(plan.table, 0),
            table=t(f"data_page.table.{plan.table}", lang), file=Path(plan.path).name,
        )  # fmt: skip
        st.rerun()


# -- tables -----------------------------------------------------------------------------------
def import_table_section(ctx: DataView) -> None:
    """Upload figures per building or an issue ledger, match rows to buildings, import."""
    lang = ctx.lang
    picked = _start(ctx, _TABLE_START)
    if picked is None:
        return
    kind, upload = picked
    key = _TABLE_START.key
    try:
        frame = _read_once(key, upload, read_table)
    except MapgovError as err:
        st.error(md_text(error_text(err, lang)), icon=":material/error:")
        return
    columns = [str(c) for c in frame.columns]
    guessed = dataio.starting_mapping(ctx.store, kind, columns)
    mapping = _mapping_editor(ctx, f"{key}.{_upload_id(upload)}", kind, columns, guessed)

    def make_plan() -> TablePlan:
        return plan_table(ctx.store, frame, kind, path=upload.name, mapping=mapping)

    upload_id, plan = _check(ctx, key, upload, (kind, mapping), make_plan)
    if isinstance(plan, TablePlan) and upload_id == _upload_id(upload) and plan.kind == kind:
        _table_report(ctx, plan)


def _listing(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    frame = frame.assign(reason=[shown(r, lang) for r in frame["reason"]])
    return frame.rename(
        columns={
            "row": t("data_page.col.row", lang),
            "text": t("data_page.col.text", lang),
            "reason": t("data_page.col.problem", lang),
        }
    )


def _table_report(ctx: DataView, plan: TablePlan) -> None:
    lang = ctx.lang
    a, b, c, d = st.columns(4)
    a.metric(t("data_page.rows", lang), f"{plan.rows:,}")
    b.metric(t("data_page.matched", lang), f"{len(plan.matched):,}")
    c.metric(t("data_page.unmatched", lang), f"{len(plan.unmatched):,}")
    d.metric(t("data_page.skipped", lang), f"{len(plan.skipped):,}")
    if len(plan.unmatched):
        st.markdown(f"**{t('data_page.unmatched_rows', lang)}**")
        show_table(_listing(plan.unmatched, lang), hide_index=True, use_container_width=True)
    if plan.problems:
        st.markdown(f"**{t('data_page.problems', lang)}**")
        show_table(_problem_table(plan.problems, lang), hide_index=True, use_container_width=True)
    if len(plan.skipped):
        with st.expander(t("data_page.skipped_rows", lang, count=len(plan.skipped))):
            show_table(_listing(plan.skipped, lang), hide_index=True, use_container_width=True)
    if plan.errors:
        # as the two lists above count them: problems, and rows that matched no building
        count, rows = sum(p.severity == "error" for p in plan.problems), len(plan.unmatched)
        if rows and count:
            text = t("data_page.refused_unmatched", lang, count=count, rows=rows)
        elif rows:
            text = t("data_page.refused_rows", lang, rows=rows)
        else:
            text = t("data_page.refused", lang, count=count)
        st.error(text, icon=":material/block:")
        return
    if not plan.matched:
        st.info(t("data_page.nothing_new", lang), icon=":material/info:")
        return
    if st.button(t("data_page.confirm", lang), type="primary", key="table.confirm"):
        assert ctx.user is not None
        try:
            written = land_table(ctx.store, plan, actor=ctx.user.user_id)
        except MapgovError as err:
            st.error(md_text(error_text(err, lang)), icon=":material/error:")
            return
        _done("table")
        st.session_state[_FLASH] = t(
            f"data_page.landed.{plan.kind}", lang, rows=written, file=Path(plan.path).name
        )
        st.rerun()


# -- OpenStreetMap ----------------------------------------------------------------------------
def osm_section(ctx: DataView) -> None:
    """A whole street from an OpenStreetMap extract: read and report, preview, import."""
    lang = ctx.lang
    if _refuse_unless_manager(ctx):
        return
    upload = _uploader(t("data_page.upload_osm", lang), ["pbf", "osm", "gz", "bz2"], "osm", lang)
    if upload is None:
        st.caption(t("data_page.osm_help", lang))
        _forget("osm")
        return
    if st.button(t("data_page.check", lang), key="osm.check"):
        try:
            with st.spinner(t("data_page.reading", lang)):
                tables, report = dataio.read_upload(upload, read_osm)
        except MapgovError as err:
            st.error(md_text(error_text(err, lang)), icon=":material/error:")
            return
        found = (Path(upload.name).name, tables, report)
        st.session_state[_PLAN.format("osm")] = (_upload_id(upload), found)
    upload_id, found = st.session_state.get(_PLAN.format("osm"), (None, None))
    if found is None or upload_id != _upload_id(upload):
        return
    file_name, tables, report = found
    counts = report.counts
    cells = st.columns(5)
    for cell, name in zip(cells, ("community", "compound", "building", "road", "facility"),
                          strict=True):  # fmt: skip
        cell.metric(t(f"data_page.osm_count.{name}", lang), f"{counts.get(name, 0):,}")
    compounds = tables.get("compound")
    if compounds is not None and len(compounds):
        fmap = previewmap.preview_map(
            compounds, label="name" if "name" in compounds.columns else None,
            tooltip_alias=t("data_page.field.name", lang),
        )  # fmt: skip
        show_map(fmap, key="data_io.preview.osm", height=PREVIEW_HEIGHT)
    with st.expander(t("data_page.osm_report", lang), expanded=False):
        st.code("\n".join(report.lines(lang)), language=None)
    replace = st.checkbox(t("data_page.osm_replace", lang), key="osm.replace")
    st.caption(t("data_page.osm_replace_help", lang))
    if st.button(t("data_page.confirm", lang), type="primary", key="osm.confirm"):
        try:
            with st.spinner(t("data_page.importing", lang)):
                land_osm(tables, Path(ctx.view.db), source=f"osm:{file_name}", replace=replace)
        except MapgovError as err:
            st.error(md_text(error_text(err, lang)), icon=":material/error:")
            return
        _done("osm")
        st.cache_data.clear()  # every place changed
        st.session_state[_FLASH] = t(
            "data_page.osm_landed", lang, file=file_name,
            buildings=counts.get("building", 0), compounds=counts.get("compound", 0),
        )  # fmt: skip
        st.rerun()


# -- export, backup, restore ------------------------------------------------------------------
def _offer(
    where: DeltaGenerator,
    lang: str,
    *,
    check: Callable[[], object],
    file: tuple[str, str],
    make: Callable[[], bytes],
    key: str,
) -> bool:
    """A download button for `file` (name, MIME type), made by `make` when clicked, offered
    only if `check` passes; otherwise its error, in the reader's language. Whether offered."""
    try:
        check()
    except MapgovError as err:
        st.error(md_text(error_text(err, lang)), icon=":material/error:")
        return False
    name, mime = file
    where.download_button(
        t("data_page.download", lang, file=name),
        make,
        file_name=name,
        mime=mime,
        on_click="ignore",
        key=key,
        use_container_width=True,
    )
    return True


def _export_file(db: str, table: str, suffix: str, lang: str) -> bytes:
    """The file, made when the download button is clicked (on Streamlit's own thread), its
    spreadsheet headers in the page's language."""
    return dataio.export_bytes(open_store(db), table, suffix, lang)


def export_section(ctx: DataView) -> None:
    """Any table as Excel, CSV, GeoJSON or GeoPackage, personal data masked.

    The file is made only when the button is clicked (Streamlit's deferred download): the
    issues of a city (half a million rows, 160 MB of CSV) take seconds to write, and were
    otherwise written before the page showed, again after every change to the data, and
    held in memory for as long as the page was open.
    """
    lang = ctx.lang
    counts = ctx.store.counts()
    left, mid, right = st.columns([2, 1, 1], vertical_alignment="bottom")
    table = left.selectbox(
        t("data_page.export_table", lang),
        dataio.EXPORT_TABLES,
        format_func=lambda name: dataio.export_choice(name, counts.get(name, 0), lang),
        key="export.table",
    )
    suffix = mid.selectbox(t("data_page.format", lang), dataio.EXPORT_FORMATS, key="export.fmt")
    name = dataio.export_file_name(table, suffix, clock.today(ctx.store).isoformat(), lang)
    offered = _offer(
        right,
        lang,
        check=partial(dataio.check_export, table, suffix, counts.get(table, 0)),
        file=(name, dataio.EXPORT_MIME[suffix]),
        make=partial(_export_file, ctx.view.db, table, suffix, lang),
        key="export.download",
    )
    if offered:
        st.caption(t("data_page.export_help", lang))


def _qr_file(db: str, options: dict[str, str | None], lang: str) -> bytes:
    """The QR sheets, made when the download button is clicked."""
    return dataio.qr_sheet_bytes(open_store(db), lang=lang, **options)  # type: ignore[arg-type]


def qr_section(ctx: DataView) -> None:
    """QR sheets for reporting by phone (扫码报事): one A4 page per building of the sidebar's
    community, or of one of its compounds, with the address residents open."""
    lang, community = ctx.lang, ctx.view.community_id
    if community is None and ctx.user is not None:  # staff: their own, whatever is on screen
        community = ctx.user.community_id
    if community is None:
        st.info(t("data_page.qr.pick_community", lang), icon=":material/info:")
        return
    compounds = dataio.qr_compounds(ctx.store, community)
    left, right = st.columns(2, vertical_alignment="bottom")
    compound = left.selectbox(
        t("data_page.qr.compound", lang),
        [None, *compounds],
        format_func=lambda cid: compounds[cid] if cid else t("data_page.qr.all", lang),
        key="qr.compound",
    )
    base = right.text_input(t("data_page.qr.base_url", lang), key="qr.base_url")
    hotline = left.text_input(t("data_page.qr.hotline", lang), key="qr.hotline")
    if not base.strip():
        st.caption(t("data_page.qr.help", lang))
        return
    options = {"community_id": community, "compound_id": compound}
    options |= {"base_url": base, "hotline": hotline}
    _offer(
        right,
        lang,
        check=partial(
            dataio.check_qr,
            ctx.store,
            community_id=community,
            compound_id=compound,
            base_url=base,
        ),
        file=(f"qr-{compound or community}.pdf", "application/pdf"),
        make=partial(_qr_file, ctx.view.db, options, lang),
        key="qr.download",
    )


def _backup_file(db: str, user: User | None) -> bytes:
    """The backup, made when its button is clicked (a copy of the whole database: the
    session does not keep hundreds of megabytes between clicks)."""
    store = open_store(db)
    data = dataio.backup_bytes(store, user)  # refused to anyone but an administrator
    if user is not None:  # every resident's name and phone leaves in this file
        auth.note_personal_view(store, user, "backup", "whole database", export=True)
    return data


def backup_section(ctx: DataView) -> None:
    """A full backup to download, and a restore from one (administrators)."""
    lang = ctx.lang
    if _refuse_unless_manager(ctx):
        return
    st.markdown(f"**{t('data_page.backup', lang)}**")
    size = Path(ctx.view.db).stat().st_size if Path(ctx.view.db).is_file() else 0
    photos = ctx.store.counts().get("issue_photo", 0)
    st.download_button(
        t("data_page.download_backup", lang, mb=f"{size / 2**20:,.1f}", photos=f"{photos:,}"),
        partial(_backup_file, ctx.view.db, ctx.user),
        file_name=dataio.backup_file_name(clock.system_now().date().isoformat()),
        mime="application/zip",
        on_click="ignore",
        key="backup.download",
    )
    st.markdown(f"**{t('data_page.restore', lang)}**")
    st.caption(t("data_page.restore_help", lang))
    upload = _uploader(
        t("data_page.upload_backup", lang), list(dataio.BACKUP_TYPES), "restore", lang
    )
    if upload is None:
        return
    sure = st.checkbox(t("data_page.restore_sure", lang), key="restore.sure")
    if st.button(t("data_page.restore_now", lang), type="primary", disabled=not sure,
                 key="restore.go"):  # fmt: skip
        try:
            with st.spinner(t("data_page.restoring", lang)):
                done = dataio.restore_upload(upload, ctx.view.db, ctx.user)
        except MapgovError as err:
            st.error(md_text(error_text(err, lang)), icon=":material/error:")
            return
        _done("restore")
        st.cache_data.clear()  # the backup may carry a data version already cached
        added = done.photos
        said = t(
            "data_page.backup_photos.restored", lang, file=upload.name, added=added.added,
            kept=added.kept,
        )  # fmt: skip
        if added.missing:
            said += " " + t("data_page.backup_photos.missing", lang, n=len(added.missing))
        st.session_state[_FLASH] = said
        st.rerun()
