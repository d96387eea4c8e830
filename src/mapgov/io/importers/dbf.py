"""The text encoding of a Shapefile's attribute table (.dbf) that does not say what it is.

A Shapefile names its encoding in a ``.cpg`` file or in the dBASE header's language-driver
byte; GDAL reads those. Many Chinese offices hand over Shapefiles with neither, written in
GBK by desktop GIS: GDAL then reads the text as Latin-1 and every name turns into mojibake
(王城苑 → Íõ³ÇÔ·). For such a file the bytes of the field names and values are laid out as
CSV and decided by :func:`mapgov.io.importers.charset.detect_encoding`, the same rule as a CSV
upload: the layer is read in the encoding found, or refused naming the row and field.
"""

from __future__ import annotations

import struct
import zipfile
from pathlib import Path
from typing import Final

from mapgov.core.errors import DataFileError
from mapgov.io.importers.charset import detect_encoding

__all__ = ["dbf_encoding", "shapefile_encoding"]

_LDID: Final = 29  # offset of the language-driver byte in the dBASE header
_MAX_SCAN: Final = 64 * 1024 * 1024  # bytes of records read to decide


def _quoted(raw: bytes) -> bytes:
    # No lead or trail byte of GBK, Big5 or Shift-JIS is 0x22, so quoting stays whole.
    return b'"' + raw.replace(b'"', b'""') + b'"'


def _as_csv(data: bytes) -> bytes | None:
    """Field names and values of a dBASE table as CSV bytes (undecoded), None if unreadable."""
    if len(data) < 32:
        return None
    count, header_len, record_len = struct.unpack_from("<IHH", data, 4)
    names: list[bytes] = []
    widths: list[int] = []
    at = 32
    while at + 32 <= min(header_len, len(data)) and data[at] != 0x0D:
        names.append(data[at : at + 11].split(b"\x00", 1)[0])
        widths.append(data[at + 16])
        at += 32
    if not names or record_len < 1 or sum(widths) + 1 > record_len:
        return None
    lines = [b",".join(_quoted(n.strip()) for n in names)]
    end = min(len(data), header_len + min(count, _MAX_SCAN // record_len) * record_len)
    for start in range(header_len, end - record_len + 1, record_len):
        pos, cells = start + 1, []  # the first byte of a record is its deletion flag
        for width in widths:
            cells.append(_quoted(data[pos : pos + width].replace(b"\x00", b" ").strip()))
            pos += width
        lines.append(b",".join(cells))
    return b"\n".join(lines)


def dbf_encoding(data: bytes, path: Path) -> str | None:
    """The codec of a dBASE table's text when its header names none, else None (GDAL reads
    the language-driver byte itself).

    Parameters
    ----------
    data : bytes
        The ``.dbf`` file's contents.
    path : pathlib.Path
        The file named in a refusal (the Shapefile or its archive).

    Returns
    -------
    str or None
        A Python codec name, or None when the header names one or there is no text to decide.

    Raises
    ------
    DataFileError
        Naming `path`, the row (1 = the first record) and the field, where the text is not
        clean in any encoding mapgov reads (as for a CSV file).
    """
    if len(data) <= _LDID or data[_LDID] != 0:
        return None
    table = _as_csv(data)
    if table is None:
        return None
    try:
        codec = detect_encoding(table, path)
    except DataFileError as err:
        row = None if err.row is None else max(err.row - 1, 1)
        raise DataFileError(path, err.reason, row=row, field=err.field) from err
    return None if codec in ("utf_8", "utf_8_sig") and table.isascii() else codec


def shapefile_encoding(path: Path, layer: str | None) -> str | None:
    """The codec to read a Shapefile's (or a zipped one's) `layer` in, when neither a
    ``.cpg`` file nor the header says; None where GDAL knows or there is nothing to decide.

    Parameters
    ----------
    path : pathlib.Path
        A ``.shp`` file (its ``.dbf`` and ``.cpg`` beside it) or a ``.zip`` holding one.
    layer : str or None
        The layer (file stem) inside a zip holding several (``None``: the only one).

    Returns
    -------
    str or None
        A Python codec name, or None where there is nothing to decide.

    Raises
    ------
    DataFileError
        As :func:`dbf_encoding`.
    """
    suffix = path.suffix.lower()
    if suffix == ".shp":
        siblings = {p.name.lower(): p for p in path.parent.glob(f"{path.stem}.*")}
        stem = path.stem.lower()
        if f"{stem}.cpg" in siblings or f"{stem}.dbf" not in siblings:
            return None
        return dbf_encoding(siblings[f"{stem}.dbf"].read_bytes(), path)
    if suffix != ".zip":
        return None
    with zipfile.ZipFile(path) as zf:
        members = {Path(n).name.lower(): n for n in zf.namelist()}
        stems = [Path(n).stem for n in zf.namelist() if n.lower().endswith(".dbf")]
        stem = (layer or (stems[0] if len(stems) == 1 else "")).lower()
        if f"{stem}.cpg" in members or f"{stem}.dbf" not in members:
            return None
        return dbf_encoding(zf.read(members[f"{stem}.dbf"]), path)
