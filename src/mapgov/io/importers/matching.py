"""Which building a spreadsheet row means (:mod:`mapgov.io.importers.tables` uses it for figures
and the old issue ledger).

A row is matched to a building by, in this order: its building id; the compound's name and
the building's name or number in two columns (``王城苑`` + ``3号楼`` / ``3栋`` / ``3``); one
column holding both (``王城苑3号楼``); an address that holds the compound's name or address and
ends with the building's number (``中州路12号王城苑3号楼``). A row that matches nothing, or more
than one building, gets the reason.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final

import numpy as np
import pandas as pd

from mapgov.core.i18n import Note
from mapgov.store import Store

__all__ = ["BuildingMatcher", "norm"]

_DESIGNATION: Final = re.compile(r"(\d+)\s*(?:号楼|号|栋|幢|座|#|楼)?$")


def norm(text: object) -> str:
    """Comparable text: full-width to half-width, no spaces, lower case.

    Parameters
    ----------
    text : object
        A cell as read (text, a number, None or NaN).

    Returns
    -------
    str
        ``""`` for an empty cell.
    """
    if text is None or (isinstance(text, float) and np.isnan(text)):
        return ""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text))).lower()


def _number(text: str) -> str | None:
    """``3号楼`` / ``3栋`` / ``3#`` / ``3`` -> ``"3"``; None when there is no number at the end."""
    m = _DESIGNATION.search(text)
    return str(int(m.group(1))) if m else None


class BuildingMatcher:
    """Finds the building a spreadsheet row means; see the module docstring for the rules.

    Parameters
    ----------
    store : Store
        The database whose compounds and buildings rows are matched against.
    """

    def __init__(self, store: Store) -> None:
        compounds = store.read("compound", columns=["compound_id", "name", "address"])
        buildings = store.read("building", columns=["building_id", "compound_id", "name", "number"])
        self._ids = {norm(b): b for b in buildings["building_id"]}
        self._compounds: dict[str, list[str]] = {}
        for cid, name, address in compounds.itertuples(index=False):
            for key in (norm(name), norm(address)):
                if key:
                    self._compounds.setdefault(key, []).append(cid)
        self._in_compound: dict[tuple[str, str], list[str]] = {}
        for bid, cid, name, number in buildings.itertuples(index=False):
            keys = {norm(name), _number(norm(name)) or ""}
            if number is not None and not pd.isna(number):
                keys.add(str(int(number)))
            for key in keys - {""}:
                self._in_compound.setdefault((cid, key), []).append(bid)
        # longest compound names first, so that 王城苑二期 wins over 王城苑
        self._compound_keys = sorted(self._compounds, key=len, reverse=True)

    def _in(self, compound_ids: list[str], building: str) -> list[str]:
        keys = {building, _number(building) or ""} - {""}
        found = {
            b for cid in compound_ids for k in keys for b in self._in_compound.get((cid, k), [])
        }
        return sorted(found)

    def _by_text(self, text: str) -> tuple[list[str], str]:
        """One text holding a compound (name or address) followed by a building."""
        for key in self._compound_keys:
            at = text.find(key)
            if at < 0:
                continue
            rest = text[at + len(key) :]
            if not rest:
                continue
            found = self._in(self._compounds[key], rest)
            if found:
                return found, ""
        return [], Note("import_problem.no_compound_then_building")

    def compound(self, compound: object) -> tuple[str | None, str]:
        """(compound_id, "") for a row that names one compound (by its name or address) and no
        building: an issue of the whole compound (its gate, its green), else (None, why not).

        Parameters
        ----------
        compound : object
            The compound's name or address as written in the row.

        Returns
        -------
        tuple of (str or None, str)
            The compound's id and "", or None and why no single compound fits (a
            :class:`~mapgov.core.i18n.Note`).
        """
        found = sorted(set(self._compounds.get(norm(compound), [])))
        if len(found) == 1:
            return found[0], ""
        if found:
            return None, Note("import_problem.ambiguous_compound", examples=", ".join(found[:3]))
        return None, Note("import_problem.no_compound", name=str(compound))

    def match(
        self,
        building_id: object = None,
        compound: object = None,
        building: object = None,
        address: object = None,
    ) -> tuple[str | None, str]:
        """(building_id, "") for a unique match, else (None, why not).

        Parameters
        ----------
        building_id : object, optional
            The building's id as written in the row; it wins over everything else.
        compound : object, optional
            The compound's name or address.
        building : object, optional
            The building's name or number (in `compound`), or a text naming both.
        address : object, optional
            An address naming the compound and the building, tried last.

        Returns
        -------
        tuple of (str or None, str)
            The building id and "", or None and why no single building fits (a
            :class:`~mapgov.core.i18n.Note`).
        """
        bid, comp, bld, addr = (norm(v) for v in (building_id, compound, building, address))
        if bid:
            if bid in self._ids:
                return self._ids[bid], ""
            return None, Note("import_problem.no_building_id", id=str(building_id))
        found: list[str] = []
        why = Note("import_problem.nothing_given")
        if comp and not (bld or addr):
            return None, Note("import_problem.compound_only", compound=str(compound))
        if comp and bld:
            ids = self._compounds.get(comp)
            if not ids:
                why = Note("import_problem.no_compound", name=str(compound))
            else:
                found = self._in(ids, bld)
                why = Note(
                    "import_problem.no_building_in", building=str(building), compound=str(compound)
                )
        elif bld:
            found, _ = self._by_text(bld)
            why = Note("import_problem.no_pair_in", text=str(building))
        if not found and addr:
            found, _ = self._by_text(addr)
            why = Note("import_problem.no_pair_in_address", text=str(address))
        if len(found) == 1:
            return found[0], ""
        if len(found) > 1:
            return None, Note("import_problem.ambiguous", examples=", ".join(found[:3]))
        return None, why
