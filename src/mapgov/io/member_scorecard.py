"""The party members' scorecard (党员百分考核) as a table and as a file (CSV or Excel).

:func:`scorecard_table` is the table the members page shows and downloads: one row per
registered member, ranked within the community, with the counts of each line of the scheme
and the total, under headers in the reader's language. :func:`write_scorecard` writes the same
table to a file for ``mapgov scorecard --members --out FILE``: a file leaves the system, so its
names are always masked.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from pathlib import Path
from typing import Final

import pandas as pd

from mapgov.core.i18n import t
from mapgov.domain import member_scores
from mapgov.domain.members import Scheme, load_scheme
from mapgov.domain.places import display_name
from mapgov.io import exports
from mapgov.store import Store

__all__ = ["COLUMNS", "community_ids", "scorecard_table", "write_scorecard"]

COUNTED: Final = ("volunteer", "co_project", "deliberation", "issue", "help", "other")
"""The lines whose counts the scorecard shows (the registration shows as its day)."""

COLUMNS: Final = (
    "rank",
    "community",
    "name",
    "work_unit",
    "points",
    *(f"n_{line}" for line in COUNTED),
    "registered_on",
)
"""The scorecard's columns, in order (headers: ``members_page.col.<column>``)."""


def community_ids(store: Store, street_id: str | None, community_id: str | None) -> list[str]:
    """The communities a scorecard covers: one, a street's, or (both None) every street's.

    Parameters
    ----------
    store : Store
        The database.
    street_id : str or None
        The street; None for all.
    community_id : str or None
        One community (wins over `street_id`).

    Returns
    -------
    list of str
        Community ids.
    """
    if community_id is not None:
        return [community_id]
    where = {"street_id": street_id} if street_id is not None else None
    return list(store.read("community", where=where, columns=["community_id"])["community_id"])


def scorecard_table(
    store: Store,
    communities: Collection[str],
    *,
    lang: str,
    scheme: Scheme | None = None,
    period: str | None = None,
    reveal: Collection[str] = (),
    today: dt.date | None = None,
) -> pd.DataFrame:
    """The scorecard of `communities`' registered members, headers in `lang`.

    Parameters
    ----------
    store : Store
        The database.
    communities : Collection of str
        The communities covered (:func:`community_ids`).
    lang : str
        Language of the headers and community names.
    scheme : Scheme or None
        The points scheme (default :func:`mapgov.domain.members.load_scheme`).
    period : str or None
        The year ``YYYY`` (default: this year on the street's calendar).
    reveal : Collection of str
        Communities whose members' names the reader sees in full; empty (the default) masks all.
    today : date or None
        The street's day (default: the store's clock).

    Returns
    -------
    DataFrame
        :data:`COLUMNS` under their translated headers, ranked within each community.
    """
    table = member_scores.ranking(
        store,
        communities,
        scheme=scheme or load_scheme(),
        period=period,
        reveal=reveal,
        today=today,
    )
    names = store.read(
        "community",
        where={"community_id": list(communities)},
        columns=["community_id", "name", "name_en"],
    )
    shown = {
        r.community_id: display_name(r.name, r.name_en, lang) for r in names.itertuples(index=False)
    }
    out = table.assign(community=table["community_id"].map(shown))[list(COLUMNS)]
    out = out.astype({"rank": int, "points": float})
    return out.rename(columns={c: t(f"members_page.col.{c}", lang) for c in COLUMNS})


def write_scorecard(
    store: Store,
    path: Path,
    *,
    street_id: str | None = None,
    community_id: str | None = None,
    period: str | None = None,
    lang: str = "zh",
    scheme: Scheme | None = None,
) -> Path:
    """Write the members' scorecard to `path` (``.csv`` or ``.xlsx``), names masked.

    Parameters
    ----------
    store : Store
        The database.
    path : Path
        The file; its suffix chooses the format.
    street_id, community_id : str or None
        What it covers (:func:`community_ids`; both None: every community).
    period : str or None
        The year ``YYYY`` (default: this year).
    lang : str
        Language of the headers.
    scheme : Scheme or None
        The points scheme (default: the shipped one or ``MAPGOV_MEMBER_POINTS``).

    Returns
    -------
    Path
        The file written.
    """
    table = scorecard_table(
        store,
        community_ids(store, street_id, community_id),
        lang=lang,
        scheme=scheme,
        period=period,
    )
    return exports.write_frame(table, Path(path))
