"""The phone page ``/report`` without Streamlit: what it offers, files and shows (issue 20).

A resident scans a building's QR code (``/report?building=ID``) or picks the compound and the
building, chooses a category, describes the problem, may attach up to three photos and leave a
name and a phone, and files it: :func:`submit` checks every photo first (nothing is kept or
filed when one is bad), keeps them in the photo folder and files the report
(:func:`mapgov.domain.reports.file_report`); a rate limit's refusal is written to the audit
log before it is raised. The ticket it gives opens the ticket page (:func:`ticket_page`):
status, public timeline, photos, and the callback once the issue is resolved (:func:`rate`).

Everything a person typed that this module hands to the page for Markdown is escaped
(:func:`mapgov.views.markup.md_text`); nothing here names who reported or who handled an
issue. The page module :mod:`mapgov.ui.report` only lays these out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from mapgov.core import clock
from mapgov.core.errors import StaleEditError, StoreError, ValidationError
from mapgov.core.i18n import label, t
from mapgov.core.model import CallbackRating, IssueCategory, IssueStatus, Level
from mapgov.domain import issues_workflow, reports
from mapgov.domain.locating import BuildingLocator, Hit
from mapgov.domain.places import display_names, street_list
from mapgov.domain.users import User, can_edit
from mapgov.io import photos
from mapgov.store import Store
from mapgov.views import maps as layers
from mapgov.views.markup import md_text

__all__ = [
    "PAGE_PATH",
    "REFUSALS",
    "NearestBuilding",
    "Place",
    "Upload",
    "building_options",
    "category_options",
    "compound_map",
    "compound_options",
    "compound_shapes",
    "duplicate_markdown",
    "duplicate_of",
    "follow_view",
    "next_steps",
    "place_of",
    "rate",
    "rating_options",
    "reporter_for",
    "street_options",
    "submit",
    "tap_locator",
    "ticket_link",
    "ticket_page",
    "timeline_table",
]

PAGE_PATH: Final = "report"
"""The page's address (``/report``)."""
_TIMELINE: Final = {"at": "at", "step": "step", "status": "to_status"}
REFUSALS: Final = frozenset({"error.report.too_many_address", "error.report.too_many_building"})
"""The keys of a rate limit's refusal (audited with :func:`mapgov.domain.reports.refused`)."""


@dataclass(frozen=True)
class Upload:
    """A file the phone sent: its name (for messages) and its bytes, as received."""

    name: str
    data: bytes


@dataclass(frozen=True)
class Place:
    """Where a report is about: the building, its compound and street, with their names."""

    building_id: str
    building: str
    compound_id: str
    compound: str
    street_id: str


def street_options(store: Store, lang: str) -> dict[str, str]:
    """Street id -> name, for the street picker (shown only when there are several)."""
    streets = street_list(store)
    return dict(zip(streets["street_id"], display_names(streets, lang), strict=True))


def compound_options(store: Store, street_id: str) -> dict[str, str]:
    """Compound id -> name of the street's compounds, by name (names only, nothing else)."""
    communities = store.read("community", where={"street_id": street_id}, columns=["community_id"])
    grids = store.read(
        "grid", where={"community_id": communities["community_id"].tolist()}, columns=["grid_id"]
    )
    found = store.read(
        "compound", where={"grid_id": grids["grid_id"].tolist()}, columns=["compound_id", "name"]
    ).sort_values(["name", "compound_id"])
    return dict(zip(found["compound_id"], found["name"].astype(str), strict=True))


def building_options(store: Store, compound_id: str) -> dict[str, str]:
    """Building id -> name of a compound's buildings, by name."""
    found = store.read(
        "building", where={"compound_id": compound_id}, columns=["building_id", "name"]
    )
    found = found.sort_values(["name", "building_id"])
    return dict(zip(found["building_id"], found["name"].astype(str), strict=True))


def place_of(store: Store, building_id: str | None) -> Place | None:
    """The building of a QR code's link with its compound and street; None if unknown."""
    if not building_id:
        return None
    building = store.read(
        "building", where={"building_id": str(building_id)}, columns=["name", "compound_id"]
    )
    if building.empty:
        return None
    compound_id = str(building["compound_id"].iloc[0])
    compound = store.read(
        "compound", where={"compound_id": compound_id}, columns=["name", "grid_id"]
    )
    grid = store.read(
        "grid", where={"grid_id": compound["grid_id"].iloc[0]}, columns=["community_id"]
    )
    community = store.read(
        "community", where={"community_id": grid["community_id"].iloc[0]}, columns=["street_id"]
    )
    return Place(
        building_id=str(building_id),
        building=str(building["name"].iloc[0]),
        compound_id=compound_id,
        compound=str(compound["name"].iloc[0]),
        street_id=str(community["street_id"].iloc[0]),
    )


class NearestBuilding(BuildingLocator):
    """A tap on the compound's small map picks the building under it, else the nearest one
    within `reach_m` metres (a fingertip is wider than a building's edge on a phone).

    Parameters
    ----------
    buildings
        ``building_id`` and geometry (EPSG:4326) of the compound's buildings.
    compounds
        The compound's outline.
    reach_m
        How far from a building a tap still picks it.
    """

    def __init__(
        self, buildings: gpd.GeoDataFrame, compounds: gpd.GeoDataFrame, *, reach_m: float = 40
    ) -> None:
        super().__init__(buildings, compounds)
        self._buildings = buildings
        self._reach_deg = reach_m / 111_000.0

    def locate(self, lon: float, lat: float) -> Hit:
        """The building under or nearest (lon, lat), within reach; else what lies there."""
        hit = super().locate(lon, lat)
        if hit.kind == "building" or self._buildings.empty:
            return hit
        gaps = shapely.distance(self._buildings.geometry.to_numpy(), shapely.Point(lon, lat))
        best = int(np.argmin(gaps))
        if gaps[best] <= self._reach_deg:
            return Hit("building", str(self._buildings["building_id"].iloc[best]))
        return hit


LOCATE_REACH_M: Final = 60
"""How far from a building the phone's reported position still picks it (a phone's GPS is
good to 5-30 m outdoors, worse in a stairwell)."""


def building_near(
    store: Store, lon: float, lat: float, *, reach_m: float = LOCATE_REACH_M
) -> str | None:
    """The building at or nearest the phone's position, within `reach_m` metres.

    Parameters
    ----------
    store : Store
        The database whose buildings are searched (every street's).
    lon, lat : float
        The position the browser reported (WGS84, as the W3C geolocation API gives it).
    reach_m : float
        How far a building may be from the position.

    Returns
    -------
    str or None
        Its ``building_id``; None when no building is that close (or the position is not a
        number).
    """
    if not (np.isfinite(lon) and np.isfinite(lat)) or abs(lat) > 90 or abs(lon) > 180:
        return None
    near = store.nearest("building", lon, lat, reach_m=reach_m)  # PostGIS does it there
    return None if near.empty else str(near["building_id"].iloc[0])


def compound_shapes(store: Store, compound_id: str) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """The compound's outline and its buildings (``building_id``, ``name``), EPSG:4326."""
    compound = store.read(
        "compound", where={"compound_id": compound_id}, columns=["compound_id", "geom"]
    )
    buildings = store.read(
        "building", where={"compound_id": compound_id}, columns=["building_id", "name", "geom"]
    )
    return compound, buildings


def tap_locator(store: Store, compound_id: str) -> NearestBuilding:
    """What resolves a tap on :func:`compound_map` to one of the compound's buildings."""
    compound, buildings = compound_shapes(store, compound_id)
    return NearestBuilding(buildings, compound)


def compound_map(store: Store, compound_id: str, lang: str) -> folium.Map:
    """A small map of one compound and its buildings (names on hover, escaped), offline: no
    tiles, the app's own Leaflet. A tap is resolved by :class:`NearestBuilding`."""
    compound, buildings = compound_shapes(store, compound_id)
    fmap = layers.base_map(bounds=tuple(compound.total_bounds))
    layers.outline_layer(compound, name="compound", fill_opacity=0.04).add_to(fmap)
    if not buildings.empty:
        layers.outline_layer(
            buildings.assign(label=layers.escaped(buildings["name"])),
            name="buildings",
            tooltip_fields=["label"],
            tooltip_aliases=[t("report.building", lang)],
            fill_opacity=0.35,
        ).add_to(fmap)
    return fmap


def category_options(lang: str) -> dict[str, str]:
    """Category value -> label, in the model's order."""
    return {c.value: label(c, lang) for c in IssueCategory}


def rating_options(lang: str) -> dict[str, str]:
    """Callback rating value -> label (满意 / 基本满意 / 不满意)."""
    return {r.value: label(r, lang) for r in CallbackRating}


def reporter_for(store: Store, account: User | None, building_id: str) -> User | None:
    """Who files a report: a signed-in account that may edit the building's community files
    as itself (no rate limit); anyone else, signed in or not, files as a resident (None)."""
    if account is None:
        return None
    _, community_id = issues_workflow.issue_building(store, building_id)
    return account if can_edit(account, community_id, store) else None


def submit(
    store: Store,
    db: Path | str,
    report: reports.FieldReport,
    uploads: Sequence[Upload],
    *,
    by: User | None,
    source: str,
    now: dt.datetime,
) -> reports.Filed:
    """File a report from the phone page, with its photos.

    Every photo is checked first (:func:`mapgov.io.photos.intake`: its content, its size; its
    metadata dropped): one bad photo refuses the whole report, saying which file and why, and
    nothing is kept or filed. Then the report is filed and, once it is, its photos are kept in
    the database's photo folder (named by content, so the names are known before): a rate
    limit's refusal of an anonymous report (audited, then raised) keeps no photo.

    Parameters
    ----------
    store
        The database to file it in.
    db
        The database's path or URL (its photo folder is beside it).
    report
        Building, category, description, name and phone (its ``photos`` are ignored: they
        come from `uploads`).
    uploads
        The files attached, at most :data:`mapgov.domain.reports.MAX_PHOTOS`.
    by
        The account filing it (:func:`reporter_for`), or None for a resident.
    source
        Where it came from (``"web <address>"``).
    now
        The real time (rate limits count real seconds).

    Returns
    -------
    Filed
        The new issue and its ticket.

    Raises
    ------
    ValidationError
        A bad photo (``error.photo.*``), too many photos, a missing or wrong field, or a rate
        limit (``error.report.too_many_*``).
    StoreError
        If the report was filed but its photos could not be written (the message gives the
        ticket).
    """
    if len(uploads) > reports.MAX_PHOTOS:
        msg = f"{len(uploads)} photos; a report takes at most {reports.MAX_PHOTOS}"
        raise ValidationError(msg, key="error.report.too_many_photos", most=reports.MAX_PHOTOS)
    checked = [photos.intake(u.data, name=u.name) for u in uploads]  # all, before filing
    rows: list[reports.PhotoRow] = [
        {"name": p.name, "width": p.width, "height": p.height} for p in checked
    ]
    try:
        filed = reports.file_report(
            store, {**report, "photos": rows}, by=by, source=source, now=now
        )
    except ValidationError as err:
        if by is None and err.key in REFUSALS:
            reports.refused(store, building_id=report["building_id"], source=source, now=now)
        raise
    # kept once filed: a refused report leaves no photo behind (nor fills the disk)
    folder = photos.photo_folder(db)
    try:
        for photo in checked:
            folder.keep(photo)
    except OSError as err:
        msg = f"report {filed.ticket} filed, but its photos were not kept: {err}"
        raise StoreError(
            msg, key="report.photos_not_kept", ticket=filed.ticket, reason=str(err)
        ) from err
    return filed


def duplicate_of(
    store: Store, building_id: str | None, category: str | None
) -> reports.PublicIssue | None:
    """The open issue of the building and category reported in the last days, to offer to
    follow before filing (:func:`mapgov.domain.reports.open_duplicate`, on the street's today);
    None until both are chosen, or when there is none."""
    if not building_id or not category:
        return None
    return reports.open_duplicate(
        store, building_id=building_id, category=category, today=clock.today(store)
    )


def duplicate_markdown(duplicate: reports.PublicIssue, lang: str) -> str:
    """The open issue of the same building and category, as one escaped Markdown line: its
    kind, day and status (nothing another resident typed: see
    :func:`mapgov.domain.reports.followed`)."""
    return t(
        "report.duplicate.found",
        lang,
        category=label(IssueCategory(duplicate["category"]), lang),
        status=label(IssueStatus(duplicate["status"]), lang),
        reported=md_text(str(duplicate["reported_at"])[:10]),
    )


def follow_view(store: Store, issue_id: int, *, lang: str) -> dict[str, Any] | None:
    """The open issue a resident chose to follow instead of reporting it again: a heading of
    its kind and day, its status and public timeline (no names, no notes, none of the words
    its reporter typed); None if unknown."""
    found = reports.followed(store, issue_id)
    if found is None:
        return None
    return {
        "heading": t(
            "report.duplicate.heading",
            lang,
            category=label(IssueCategory(found["category"]), lang),
            reported=md_text(str(found["reported_at"])[:10]),
        ),
        "status_label": label(IssueStatus(found["status"]), lang),
        "timeline": timeline_table(reports.public_timeline(store, int(issue_id), lang=lang), lang),
    }


def timeline_table(timeline: pd.DataFrame, lang: str) -> pd.DataFrame:
    """A public timeline (:func:`mapgov.domain.reports.public_timeline`) with the reader's
    column names, newest first."""
    names = {name: t(f"report.ticket.{key}", lang) for name, key in _TIMELINE.items()}
    return timeline.iloc[::-1].reset_index(drop=True).rename(columns=names)


def next_steps(lang: str) -> str:
    """What happens after filing: who looks at it, how long it takes, what the ticket is for."""
    return t("report.done.next", lang, days=issues_workflow.SLA_DAYS[Level.COMPOUND])


def ticket_link(ticket: str, lang: str) -> str:
    """The ticket page's address, relative to the app (``/report?ticket=...``)."""
    return f"/{PAGE_PATH}?ticket={ticket}&lang={lang}"


def ticket_page(store: Store, db: Path | str, ticket: str, *, lang: str) -> dict[str, Any] | None:
    """What the ticket page shows, or None for an unknown ticket.

    Returns
    -------
    dict or None
        :func:`mapgov.domain.reports.ticket_view`'s fields plus ``heading`` (escaped
        Markdown: compound, building, category, when), ``thumbnails`` (JPEG bytes of the
        photos that are kept) and ``rated`` (the rating's label, once given).
    """
    found = reports.ticket_view(store, ticket, lang=lang)
    if found is None:
        return None
    folder = photos.photo_folder(db)
    thumbnails = []
    for name in found["photos"]:
        try:
            thumbnails.append(folder.read(name, thumbnail=True))
        except ValidationError:
            continue  # a photo missing from the folder is left out, the rest is shown
    satisfaction = found["satisfaction"]
    return found | {
        "heading": t(
            "report.ticket.heading",
            lang,
            compound=md_text(found["compound"]),
            building=md_text(found["building"]),
            category=found["category_label"],
            reported=found["reported_at"],
        ),
        "thumbnails": thumbnails,
        "rated": label(CallbackRating(satisfaction), lang) if satisfaction else None,
        "timeline": timeline_table(found["timeline"], lang),
    }


def rate(store: Store, ticket: str, *, rating: str, version: int, note: str | None = None) -> int:
    """The resident's callback from the ticket page (:func:`callback_by_ticket`).

    Raises
    ------
    StaleEditError
        If the issue changed since the page was drawn (``error.report.stale``: said without
        the ledger's issue number, which is staff's).
    """
    text = (note or "").strip()
    try:
        if text:
            return issues_workflow.callback_by_ticket(
                store, ticket, rating=rating, version=version, note=text
            )
        return issues_workflow.callback_by_ticket(store, ticket, rating=rating, version=version)
    except StaleEditError as err:  # said without the ledger's issue number
        msg = f"the report of ticket {ticket} moved on since the page was drawn"
        raise StaleEditError(msg, key="error.report.stale") from err
