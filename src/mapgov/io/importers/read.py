"""Read a layer or a table from a file: GeoJSON, GeoPackage, zipped Shapefile, GeoParquet,
CSV (coordinates or WKT; UTF-8, UTF-16, GB18030/GBK or Big5, detected by
:mod:`mapgov.io.importers.charset`) and Excel (.xlsx). A Shapefile whose attribute table names
no encoding (no ``.cpg``, no language-driver byte) is decided the same way
(:mod:`mapgov.io.importers.dbf`).

Every failure is a :class:`~mapgov.core.errors.DataFileError` naming the file (and row and field
where they are known). Nothing here writes anything.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path
from typing import Final

import geopandas as gpd
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pyogrio
import shapely

from mapgov.core.errors import DataFileError
from mapgov.core.i18n import Note
from mapgov.io.importers.charset import decode_text
from mapgov.io.importers.dbf import shapefile_encoding

__all__ = ["MAX_BYTES", "SUFFIXES", "decode_text", "list_layers", "read_layer", "read_table"]

MAX_BYTES: Final = 512 * 1024 * 1024
SUFFIXES: Final = (
    ".geojson",
    ".json",
    ".gpkg",
    ".zip",
    ".shp",
    ".parquet",
    ".geoparquet",
    ".csv",
    ".txt",
    ".xlsx",
)
_GUARD: Final = re.compile(r"^'(?=[=+\-@\t\r])")
_LON: Final = ("lon", "lng", "longitude", "经度", "x", "point_x")
_LAT: Final = ("lat", "latitude", "纬度", "y", "point_y")
_WKT: Final = ("wkt", "geometry", "geom", "the_geom", "shape", "几何")


_NOT_A_FORMAT: Final = "not recognized as being in a supported file format"
"""What GDAL says of a file that is no layer at all (a cut-off GeoJSON, a renamed PDF)."""


def _unreadable(err: Exception, path: Path, key: str) -> Note:
    """Why GDAL (or arrow, or zip) could not read `path`, as a message may show it: a file of
    no format GDAL knows said so plainly (``import_problem.not_a_layer``); otherwise the first
    line of the library's words, with the server's temporary folder taken out (it named the
    upload's full path, and its advice to prefix a driver is for programmers)."""
    text = str(err)
    if _NOT_A_FORMAT in text:
        return Note("import_problem.not_a_layer", kind=path.suffix.lstrip(".").upper() or "?")
    first = text.splitlines()[0].split("; It might help")[0] if text else type(err).__name__
    first = first.replace(str(path), path.name).replace(str(path.parent), "")
    return Note(f"import_problem.{key}", err=first)


def _check_size(path: Path) -> None:
    """Refuse a file by what it holds, before reading it: its size, and for a zip or a
    GeoParquet file the size of what it unpacks to (a 5 MB zip can hold gigabytes)."""
    if not path.is_file():
        raise DataFileError(path, Note("import_problem.no_file"))
    if path.stat().st_size > MAX_BYTES:
        raise DataFileError(path, Note("import_problem.too_large", mb=MAX_BYTES // 2**20))
    if path.stat().st_size == 0:
        raise DataFileError(path, Note("import_problem.file_empty"))
    unpacked = _unpacked_size(path)
    if unpacked is not None and unpacked > MAX_BYTES:
        msg = Note("import_problem.unpacks_too_large", size=unpacked / 2**20, mb=MAX_BYTES // 2**20)
        raise DataFileError(path, msg)


def _unpacked_size(path: Path) -> int | None:
    """Bytes a zip's members or a Parquet file's columns take once unpacked (as their headers
    say, read without unpacking), None for other files or unreadable headers."""
    suffix = path.suffix.lower()
    try:
        if suffix == ".zip" and zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as zf:
                return sum(info.file_size for info in zf.infolist())
        if suffix in (".parquet", ".geoparquet"):
            meta = pq.ParquetFile(path).metadata
            return sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
    except (OSError, zipfile.BadZipFile, pa.ArrowException):
        return None  # the reader says what is wrong with it
    return None


def read_table(path: Path) -> pd.DataFrame:
    """A plain table (CSV or .xlsx), every column as text; rows are numbered from 2 in
    messages (row 1 is the header), as in a spreadsheet.

    Parameters
    ----------
    path : pathlib.Path
        A ``.csv``, ``.txt`` or ``.xlsx`` file.

    Returns
    -------
    pandas.DataFrame
        The rows under the header, every cell a string (empty cells ``""``).

    Raises
    ------
    DataFileError
        For a missing, empty, oversized, undecodable or malformed file.
    """
    path = Path(path)
    _check_size(path)
    suffix = path.suffix.lower()
    try:
        if suffix == ".xlsx":
            if not zipfile.is_zipfile(path):
                raise DataFileError(path, Note("import_problem.not_xlsx"))
            return pd.read_excel(path, dtype=str, engine="openpyxl").fillna("")
        text = decode_text(path.read_bytes(), path)
        table = pd.read_csv(
            io.StringIO(text), dtype=str, keep_default_na=False, skipinitialspace=True
        )
        return _unguarded(table)
    except DataFileError:
        raise
    except pd.errors.ParserError as err:
        raise DataFileError(path, Note("import_problem.malformed_table", err=str(err))) from err
    except (ValueError, OSError, zipfile.BadZipFile, KeyError) as err:
        raise DataFileError(path, Note("import_problem.unreadable_table", err=str(err))) from err


def _unguarded(table: pd.DataFrame) -> pd.DataFrame:
    """Text as it was before mapgov's CSV export guarded it: ``'=...`` back to ``=...``
    (:mod:`mapgov.io.exports` puts an apostrophe before text a spreadsheet would run)."""
    for col in table.columns:
        values = table[col]
        if values.str.startswith("'").any():
            table[col] = values.str.replace(_GUARD, "", n=1, regex=True)
    return table


def _find(columns: list[str], names: tuple[str, ...]) -> str | None:
    lower = {c.strip().lower(): c for c in columns}
    return next((lower[n] for n in names if n in lower), None)


def _csv_layer(path: Path) -> gpd.GeoDataFrame:
    table = read_table(path)
    cols = list(table.columns)
    wkt = _find(cols, _WKT)
    lon, lat = _find(cols, _LON), _find(cols, _LAT)
    if wkt:
        geoms = []
        for i, text in enumerate(table[wkt], start=2):
            try:
                geoms.append(shapely.from_wkt(text) if text.strip() else None)
            except shapely.errors.GEOSException as err:
                raise DataFileError(
                    path, Note("import_problem.not_wkt", text=text[:40]), row=i, field=wkt
                ) from err
        return gpd.GeoDataFrame(table.drop(columns=wkt), geometry=geoms, crs=None)
    if lon and lat:
        xs: list[float] = []
        ys: list[float] = []
        for col, out in ((lon, xs), (lat, ys)):
            for i, text in enumerate(table[col], start=2):
                try:
                    out.append(float(text))
                except ValueError as err:
                    raise DataFileError(
                        path, Note("import_problem.not_a_number", text=text), row=i, field=col
                    ) from err
        return gpd.GeoDataFrame(
            table.drop(columns=[lon, lat]), geometry=gpd.points_from_xy(xs, ys), crs=None
        )
    raise DataFileError(path, Note("import_problem.no_geometry_columns"))


_SINGLE: Final = (".csv", ".txt", ".xlsx", ".parquet", ".geoparquet")


def _source(path: Path) -> str:
    return f"/vsizip/{path}" if path.suffix.lower() == ".zip" else str(path)


def list_layers(path: Path) -> list[str]:
    """Names of the layers in a file, in the file's order (one for single-layer formats:
    the file's stem).

    Parameters
    ----------
    path : pathlib.Path
        A geographic file (GeoPackage, zipped Shapefile, GeoJSON ...).

    Returns
    -------
    list of str
        The layer names.

    Raises
    ------
    DataFileError
        If the file cannot be read.
    """
    path = Path(path)
    _check_size(path)
    if path.suffix.lower() in _SINGLE:
        return [path.stem]
    if path.suffix.lower() == ".zip" and not zipfile.is_zipfile(path):
        raise DataFileError(path, Note("import_problem.not_zip"))
    try:
        return [str(name) for name in pyogrio.list_layers(_source(path))[:, 0]]
    except Exception as err:  # GDAL reports failures in many ways
        raise DataFileError(path, _unreadable(err, path, "unreadable_layers")) from err


def read_layer(path: Path, *, layer: str | None = None) -> gpd.GeoDataFrame:
    """Read a geographic layer: `layer` by name, or the file's first. The CRS is kept as the
    file says (None if it says nothing: the caller must then be told which CRS it is in).

    Parameters
    ----------
    path : pathlib.Path
        A geographic file (one of :data:`SUFFIXES`).
    layer : str or None
        The layer to read (``None``: the file's first).

    Returns
    -------
    geopandas.GeoDataFrame
        The layer's rows and geometry.

    Raises
    ------
    DataFileError
        For a missing, empty, oversized, unknown, truncated or malformed file.
    """
    path = Path(path)
    _check_size(path)
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise DataFileError(
            path, Note("import_problem.unknown_suffix", suffixes=", ".join(SUFFIXES))
        )
    if suffix not in _SINGLE:
        names = list_layers(path)
        layer = names[0] if layer is None and names else layer
        if layer not in names:
            raise DataFileError(
                path, Note("import_problem.no_layer", layer=str(layer), layers=", ".join(names))
            )
    if suffix in (".csv", ".txt", ".xlsx"):
        return _csv_layer(path)
    try:
        if suffix in (".parquet", ".geoparquet"):
            return gpd.read_parquet(path)
        if suffix == ".zip" and not zipfile.is_zipfile(path):
            raise DataFileError(path, Note("import_problem.not_zip"))
        encoding = shapefile_encoding(path, layer) if suffix in (".zip", ".shp") else None
        frame = pyogrio.read_dataframe(_source(path), layer=layer, encoding=encoding)
    except DataFileError:
        raise
    except Exception as err:  # GDAL, arrow and zip report failures in many ways
        raise DataFileError(path, _unreadable(err, path, "unreadable_layer")) from err
    if not isinstance(frame, gpd.GeoDataFrame) or frame.geometry.isna().all():
        raise DataFileError(path, Note("import_problem.layer_no_geometry"))
    return frame
