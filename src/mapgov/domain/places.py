"""The place hierarchy for choosing a view: streets, their communities, and display names.

Read through the store; no Streamlit. The app's street and community pickers and the CLI list
the same places from here.
"""

from __future__ import annotations

from typing import Final

import geopandas as gpd
import pandas as pd

from mapgov.core.errors import ValidationError
from mapgov.store import Store

__all__ = [
    "PLACE_COLUMNS",
    "check_place",
    "community_areas",
    "community_list",
    "community_of_compound",
    "compound_areas",
    "display_name",
    "display_names",
    "street_list",
]

PLACE_COLUMNS: Final = ("name", "name_en")


def display_name(name: str, name_en: str | None, lang: str) -> str:
    """The name to show in `lang`: the English name in English when there is one.

    Parameters
    ----------
    name : str
        The Chinese name.
    name_en : str or None
        The English name (``None`` or blank: none).
    lang : str
        The display language (``"zh"`` or ``"en"``).

    Returns
    -------
    str
        `name_en` when `lang` is not Chinese and there is an English name, else `name`.

    Examples
    --------
    >>> display_name("王城社区", "Wangcheng", "en"), display_name("王城社区", None, "en")
    ('Wangcheng', '王城社区')
    >>> display_name("王城社区", "Wangcheng", "zh")
    '王城社区'
    """
    if lang != "zh" and isinstance(name_en, str) and name_en.strip():
        return name_en
    return name


def street_list(store: Store) -> pd.DataFrame:
    """All streets, by id: columns ``street_id``, ``name``, ``name_en`` (no geometry).

    Parameters
    ----------
    store : Store
        The database whose streets are listed.

    Returns
    -------
    pandas.DataFrame
        One row per street.
    """
    return store.read("street", columns=["street_id", *PLACE_COLUMNS])


def community_list(store: Store, street_id: str) -> pd.DataFrame:
    """Communities of one street, by id: ``community_id``, ``name``, ``name_en``.

    Parameters
    ----------
    store : Store
        The database to list them from.
    street_id : str
        The street whose communities are listed.

    Returns
    -------
    pandas.DataFrame
        One row per community of the street.
    """
    return store.read(
        "community", where={"street_id": street_id}, columns=["community_id", *PLACE_COLUMNS]
    )


def community_areas(store: Store, street_id: str) -> gpd.GeoDataFrame:
    """Community polygons of one street (EPSG:4326), with ``community_id`` and names.

    Parameters
    ----------
    store : Store
        The database holding the outlines (``community.geom``, WGS 84).
    street_id : str
        The street, whose communities' polygons are read.

    Returns
    -------
    geopandas.GeoDataFrame
        One polygon per community of the street.
    """
    return store.read(
        "community",
        where={"street_id": street_id},
        columns=["community_id", *PLACE_COLUMNS, "geom"],
    )


def compound_areas(
    store: Store, street_id: str, community_id: str | None = None
) -> gpd.GeoDataFrame:
    """Compound polygons of a street, or of one of its communities (EPSG:4326).

    Parameters
    ----------
    store : Store
        The database to read (grids and compounds).
    street_id : str
        The street whose compounds are drawn.
    community_id : str or None
        Only this community of the street (``None``: all its communities).

    Returns
    -------
    geopandas.GeoDataFrame
        ``compound_id``, ``name``, ``grid_id``, ``community_id`` and the geometry, ordered by
        ``compound_id``.
    """
    if community_id is not None:
        communities = [community_id]
    else:
        communities = community_list(store, street_id)["community_id"].tolist()
    grids = store.read(
        "grid", where={"community_id": communities}, columns=["grid_id", "community_id"]
    )
    compounds = store.read(
        "compound",
        where={"grid_id": grids["grid_id"].tolist()},
        columns=["compound_id", "name", "grid_id", "geom"],
    )
    return compounds.merge(grids, on="grid_id", how="left")


def community_of_compound(store: Store, compound_id: str) -> str:
    """The community a compound belongs to (through its grid).

    Parameters
    ----------
    store : Store
        The database holding compounds and grids.
    compound_id : str
        The compound.

    Returns
    -------
    str
        The ``community_id`` of the compound's grid.

    Raises
    ------
    ValidationError
        If there is no such compound (key ``error.issue.no_compound``).
    """
    comp = store.read("compound", where={"compound_id": compound_id}, columns=["grid_id"])
    if comp.empty:
        msg = f"no compound {compound_id!r}"
        raise ValidationError(msg, key="error.issue.no_compound", id=compound_id)
    grid = store.read("grid", where={"grid_id": comp.iloc[0]["grid_id"]}, columns=["community_id"])
    return str(grid.iloc[0]["community_id"])


def check_place(store: Store, street_id: str | None, community_id: str | None) -> None:
    """Check that the street exists and the community lies in it.

    Parameters
    ----------
    store : Store
        The database the ids must be in.
    street_id : str or None
        The street (``None``: not checked).
    community_id : str or None
        The community (``None``: not checked).

    Raises
    ------
    ValidationError
        If a given id is unknown, or the community belongs to another street.
    """
    if street_id is not None:
        found = store.read("street", where={"street_id": street_id}, columns=["street_id"])
        if found.empty:
            msg = f"no street with id {street_id!r}"
            raise ValidationError(msg)
    if community_id is not None:
        found = store.read("community", where={"community_id": community_id}, columns=["street_id"])
        if found.empty:
            msg = f"no community with id {community_id!r}"
            raise ValidationError(msg)
        owner = found["street_id"].iloc[0]
        if street_id is not None and owner != street_id:
            msg = f"community {community_id!r} belongs to street {owner!r}, not {street_id!r}"
            raise ValidationError(msg)


def display_names(frame: pd.DataFrame, lang: str) -> pd.Series:
    """:func:`display_name` of every row of a frame with ``name`` and ``name_en`` columns.

    Parameters
    ----------
    frame : pandas.DataFrame
        Places with a ``name`` column and optionally ``name_en``.
    lang : str
        The display language (``"zh"`` or ``"en"``).

    Returns
    -------
    pandas.Series
        The name to show of each row, on the frame's index.
    """
    english = frame["name_en"] if "name_en" in frame.columns else pd.Series(None, index=frame.index)
    return pd.Series(
        [display_name(n, e, lang) for n, e in zip(frame["name"], english, strict=True)],
        index=frame.index,
        dtype=object,
    )
