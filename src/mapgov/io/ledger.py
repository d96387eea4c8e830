"""The issue ledger (问题台账) of a community as a workbook: what staff hand to the street office.

:func:`community_ledger` reads the community's issues under the issue map's filters, with the
names of their compounds and buildings and whether each is overdue, residents' names and phones
masked for whoever may not see them (:func:`mapgov.domain.users.sees_personal_data`).
:func:`ledger_table` turns that into the sheet people read (headers and values in their
language); :func:`ledger_xlsx` writes it, typed text kept as text (:mod:`mapgov.io.exports`).
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any, Final

import pandas as pd

from mapgov.core.i18n import t, value_label
from mapgov.core.model import (
    CallbackRating,
    IssueCategory,
    IssueChannel,
    IssueSource,
    IssueStatus,
    Level,
)
from mapgov.domain import issue_reads, issues
from mapgov.domain.users import User, sees_personal_data
from mapgov.io.exports import frame_bytes
from mapgov.store import Store

__all__ = ["LEDGER_COLUMNS", "SHEET_HEADERS", "community_ledger", "ledger_table", "ledger_xlsx"]

LEDGER_COLUMNS: Final = (
    "issue_id",
    "compound_id",
    "building_id",
    "category",
    "source",
    "channel",
    "title",
    "description",
    "status",
    "level",
    "responsible_unit",
    "reported_at",
    "deadline",
    "resolved_at",
    "closed_at",
    "satisfaction",
    "reopen_count",
    "reporter_name",
    "reporter_phone",
)
"""Issue columns of the ledger, in the order of the sheet. Never ``ticket``: a field report's
ticket is its reporter's key to it, not the office's."""

SHEET_HEADERS: Final[dict[str, tuple[str, type[StrEnum] | None]]] = {
    "issue_id": ("issues.col.issue_id", None),
    "compound": ("issues.col.compound", None),
    "building": ("issues.col.building", None),
    "category": ("issues.col.category", IssueCategory),
    "source": ("issues.col.source", IssueSource),
    "channel": ("issues.field_report.channel", IssueChannel),
    "title": ("issues.col.title", None),
    "description": ("issues.col.description", None),
    "status": ("issues.col.status", IssueStatus),
    "overdue": ("issues.col.overdue", None),
    "level": ("issues.col.level", Level),
    "responsible_unit": ("issues.col.responsible_unit", None),
    "reported_at": ("issues.col.reported_at", None),
    "deadline": ("issues.col.deadline", None),
    "resolved_at": ("issues.col.resolved_at", None),
    "closed_at": ("issues.col.closed_at", None),
    "satisfaction": ("issues.col.satisfaction", CallbackRating),
    "reopen_count": ("issues.col.reopen_count", None),
    "reporter_name": ("issues.col.reporter", None),
    "reporter_phone": ("issues.col.phone", None),
}
"""Sheet column -> catalogue key of its header and the enum of its values (None: shown as is);
the ledger importer reads a sheet by these headers too (:mod:`mapgov.io.importers.mapping`)."""


def community_ledger(
    store: Store, community_id: str, *, user: User, today: dt.date, **filters: Any
) -> pd.DataFrame:
    """The community's issues under `filters` (those of :func:`issues.community_issues`).

    Parameters
    ----------
    store : Store
        The database whose issue ledger is exported, one row an issue.
    community_id : str
        The community.
    user : User
        Who reads the ledger (decides whether reporters are shown).
    today : datetime.date
        The day against which deadlines are overdue.
    **filters : Any
        Filters passed on to :func:`issues.community_issues` (``categories``, ``statuses``,
        ``levels``, ``date_from``, ``date_to``).

    Returns
    -------
    pandas.DataFrame
        :data:`LEDGER_COLUMNS` plus ``compound`` and ``building`` (names) and ``overdue``
        (bool), newest report first; reporters masked unless `user` may see them.
    """
    frame = issues.community_issues(store, community_id, columns=LEDGER_COLUMNS, **filters)
    frame = frame.assign(
        compound=frame["compound_id"].map(_names(store, "compound", frame["compound_id"])),
        building=frame["building_id"].map(_names(store, "building", frame["building_id"])),
        overdue=issues.overdue_mask(frame, today),
    )
    frame = issue_reads.mask_reporters(frame, full=sees_personal_data(user, community_id, store))
    return frame.sort_values(["reported_at", "issue_id"], ascending=False, ignore_index=True)


def _names(store: Store, table: str, ids: pd.Series) -> dict[str, str]:
    """Name by id of the rows of `table` that the ledger mentions (no geometry read)."""
    key = f"{table}_id"
    rows = store.read(table, where={key: ids.dropna().unique().tolist()}, columns=[key, "name"])
    return dict(zip(rows[key], rows["name"], strict=True))


def ledger_table(ledger: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The ledger as people read it: headers and coded values in `lang`, times to the minute,
    overdue issues marked.

    Parameters
    ----------
    ledger : pandas.DataFrame
        A frame of :func:`community_ledger`.
    lang : str
        The language of the headers and values.

    Returns
    -------
    pandas.DataFrame
        One column per ledger column, under its translated header.
    """
    columns: dict[str, list[object] | pd.Series] = {}
    for col, (key, enum) in SHEET_HEADERS.items():
        values = ledger[col]
        if col == "overdue":
            shown: list[object] | pd.Series = [t("issues.ledger.overdue_mark", lang) if v else None
                                               for v in values]  # fmt: skip
        elif col.endswith("_at"):
            shown = values.str.slice(0, 16).str.replace("T", " ", regex=False)
        elif enum is not None:
            shown = [value_label(enum, v, lang) or None for v in values]
        else:
            shown = values
        columns[t(key, lang)] = shown
    return pd.DataFrame(columns)


def ledger_xlsx(ledger: pd.DataFrame, lang: str) -> bytes:
    """The ledger as an Excel workbook (one sheet, headers in `lang`).

    Parameters
    ----------
    ledger : pandas.DataFrame
        The issues, as :func:`community_ledger` gives them.
    lang : str
        The language of the sheet (headers, categories, statuses ...).

    Returns
    -------
    bytes
        The ``.xlsx`` file.
    """
    return frame_bytes(ledger_table(ledger, lang), ".xlsx")
