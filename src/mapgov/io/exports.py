"""Tables out of mapgov: CSV (UTF-8 with BOM, so Excel opens Chinese text), Excel, GeoJSON.

Used by the CLI and by the pages' download buttons (as bytes). Infinite distances ("none within
reach") are written as empty cells; lists are joined with "、".

Text that people typed (an issue's title, a reporter's note) is never run by a spreadsheet as
a formula ("CSV injection"): an Excel cell holding ``=HYPERLINK(...)`` is written as text, and
in CSV a text cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a
leading apostrophe, which spreadsheets show as text and do not run.
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Final

import geopandas as gpd
import numpy as np
import pandas as pd
import xlsxwriter

from mapgov.core.crs import WGS84
from mapgov.core.errors import ValidationError

__all__ = ["FORMATS", "frame_bytes", "workbook_bytes", "write_file", "write_frame"]

FORMATS: Final = {
    ".csv": "text/csv",
    ".xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ".geojson": "application/geo+json",
}


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    """Cells a spreadsheet can hold: lists joined, infinities empty. Numbers keep every digit
    they were computed with (coordinates in the store are to 1e-7 degrees already)."""
    out = frame.copy()
    for col in out.columns:
        if col == getattr(out, "_geometry_column_name", None):
            continue
        if pd.api.types.is_float_dtype(out[col]):
            out[col] = out[col].where(np.isfinite(out[col]), None)
        elif out[col].dtype == object and out[col].map(lambda v: isinstance(v, list)).any():
            out[col] = out[col].map(lambda v: "、".join(map(str, v)) if isinstance(v, list) else v)
    return out


_FORMULA_START: Final = ("=", "+", "-", "@", "\t", "\r")


def _formula_like(table: pd.DataFrame, starts: tuple[str, ...]) -> dict[str, np.ndarray]:
    """Row positions, per text column, of cells that a spreadsheet would take as a formula."""
    found: dict[str, np.ndarray] = {}
    for col in table.columns:
        values = table[col]
        if values.dtype == object:  # text, numbers, None, lists: look at each cell
            hit = np.fromiter(
                (isinstance(v, str) and v.startswith(starts) for v in values), bool, len(values)
            )
        elif pd.api.types.is_string_dtype(values):
            hit = values.str.startswith(starts).fillna(False).to_numpy(bool)
        else:
            continue
        if hit.any():
            found[col] = np.flatnonzero(hit)
    return found


def _csv_safe(table: pd.DataFrame) -> pd.DataFrame:
    risky = _formula_like(table, _FORMULA_START)
    if not risky:
        return table
    out = table.copy()
    for col, rows in risky.items():
        values = out[col].astype(object).to_numpy(copy=True)
        values[rows] = ["'" + v for v in values[rows]]
        out[col] = values
    return out


_XLSX_OPTIONS: Final = {
    "in_memory": True,
    "constant_memory": True,  # rows streamed out as written: memory stays flat
    # text stays text: "=1+1" or "http://..." typed by a resident is not a formula or a link
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
    "default_date_format": "yyyy-mm-dd hh:mm:ss",
    "remove_timezone": True,
}


def _xlsx(table: pd.DataFrame) -> bytes:
    """Excel bytes, written row by row with XlsxWriter (about three times as fast as
    openpyxl through pandas: 100,000 issues in some 10 s rather than 33 s); every text cell is
    stored as text, so one that starts with ``=`` is never a formula."""
    return _book({"": table})


def workbook_bytes(sheets: Mapping[str, pd.DataFrame]) -> bytes:
    """An Excel workbook of several tables, one sheet each, written as :func:`frame_bytes`
    writes one (lists joined, infinities empty, text always text).

    Parameters
    ----------
    sheets : mapping of str to pandas.DataFrame
        Each sheet's name (empty: Excel's default name) and table; geometry columns are
        dropped.

    Returns
    -------
    bytes
        The ``.xlsx`` file.
    """
    tables = {}
    for name, frame in sheets.items():
        table = _plain(frame)
        if isinstance(table, gpd.GeoDataFrame):
            table = pd.DataFrame(table.drop(columns=table.geometry.name))
        tables[name] = table
    return _book(tables)


def _book(tables: Mapping[str, pd.DataFrame]) -> bytes:
    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf, _XLSX_OPTIONS)
    for name, table in tables.items():
        sheet = book.add_worksheet(name[:31] or None)
        sheet.write_row(0, 0, [str(c) for c in table.columns])
        cells = table.astype(object).where(table.notna(), None)
        for i, row in enumerate(cells.itertuples(index=False, name=None), start=1):
            sheet.write_row(i, 0, row)
    book.close()
    return buf.getvalue()


def frame_bytes(frame: pd.DataFrame, suffix: str) -> bytes:
    """`frame` encoded as ``.csv``, ``.xlsx`` or ``.geojson`` (GeoDataFrames only) bytes.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table (a GeoDataFrame for GeoJSON; elsewhere its geometry column is dropped).
    suffix : str
        The format: ``".csv"`` (UTF-8 with a BOM), ``".xlsx"`` or ``".geojson"`` (WGS 84).

    Returns
    -------
    bytes
        The encoded file.

    Raises
    ------
    ValidationError
        If the suffix is unknown, or GeoJSON is asked of a table without geometry.
    """
    suffix = suffix.lower()
    plain = _plain(frame)
    if suffix == ".geojson":
        if not isinstance(frame, gpd.GeoDataFrame):
            msg = "GeoJSON needs a table with geometry"
            raise ValidationError(msg)
        data = json.loads(plain.to_crs(WGS84).to_json(na="null", drop_id=True))
        return json.dumps(data, ensure_ascii=False).encode("utf-8")
    table = (
        pd.DataFrame(plain.drop(columns=plain.geometry.name))
        if isinstance(plain, gpd.GeoDataFrame)
        else plain
    )
    if suffix == ".csv":
        return _csv_safe(table).to_csv(index=False).encode("utf-8-sig")
    if suffix == ".xlsx":
        return _xlsx(table)
    msg = f"unknown output format {suffix!r}; use one of {', '.join(FORMATS)}"
    raise ValidationError(msg)


def write_frame(frame: pd.DataFrame, path: Path) -> Path:
    """Write `frame` to `path`, the format chosen by its suffix; all or nothing.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table to write.
    path : pathlib.Path
        The file to write (``.csv``, ``.xlsx`` or ``.geojson``).

    Returns
    -------
    pathlib.Path
        The path written.
    """
    path = Path(path)
    return write_file(frame_bytes(frame, path.suffix), path)


def write_file(data: bytes, path: Path) -> Path:
    """Write `data` to `path` all or nothing (a temporary file beside it, then renamed).

    Parameters
    ----------
    data : bytes
        Everything the file is to hold, written in one go.
    path : pathlib.Path
        The file to write; its folder must exist.

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    ValidationError
        If the folder does not exist.
    """
    path = Path(path)
    if not path.parent.is_dir():
        msg = f"cannot write {path}: directory {path.parent} does not exist"
        raise ValidationError(msg)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    tmp.replace(path)
    return path
