"""Which encoding a text file is in, decided so that mojibake is never imported.

mapgov reads UTF-8 (with or without a byte-order mark), UTF-16 (with or without one),
GB18030 (a superset of GBK and GB2312) and Big5. The decision, in order:

1. A byte-order mark names UTF-8 or UTF-16.
2. Text that is valid UTF-8 is UTF-8. Text that is *mostly* valid UTF-8 (most of its non-ASCII
   characters decode) is UTF-8 with damage: it is refused at the first bad byte.
3. Otherwise the candidates are UTF-16 LE / BE (when the bytes hold NULs) or GB18030, Big5 and
   Shift-JIS. A candidate stays if it decodes strictly and yields no control, private-use or
   unassigned character (a Big5 file read as GBK nearly always does). Among those left, the
   ones whose text uses only the scripts expected of that encoding are preferred (GBK read as
   Shift-JIS turns into half-width katakana; Big5 read as GBK into Greek, Cyrillic, pinyin and
   box-drawing signs), and charset-normalizer ranks the rest by how coherent each decoding is.
4. Shift-JIS is recognised in order to be refused by name: Japanese text must never be read
   as GBK (both decode the same bytes without error).

A refusal is a :class:`~mapgov.core.errors.DataFileError` naming the file, and the row and field
(the header's column name) of the first bad byte or character.
"""

from __future__ import annotations

import codecs
import csv
import io
import unicodedata
from pathlib import Path
from typing import Final

from charset_normalizer import from_bytes

from mapgov.core.errors import DataFileError
from mapgov.core.i18n import Note

__all__ = ["ACCEPTED", "decode_text", "detect_encoding"]

ACCEPTED: Final = "UTF-8, UTF-16, GB18030/GBK, Big5"
"""The encodings mapgov reads, as told to users."""

_LEGACY: Final = ("gb18030", "big5", "cp932")
_WIDE: Final = ("utf_16_le", "utf_16_be")
_NAMES: Final = {
    "utf_8": "UTF-8",
    "utf_16": "UTF-16",
    "utf_16_le": "UTF-16",
    "utf_16_be": "UTF-16",
    "gb18030": "GB18030/GBK",
    "big5": "Big5",
    "cp932": "Shift-JIS (Japanese)",
}
_REFUSED: Final = ("cp932",)
# Unicode ranges expected in Chinese tables: punctuation and signs that offices write
# (℃, №, Ⅱ, ①, ×, ㎡, ㈠), CJK ideographs and their punctuation, full-width forms.
_CHINESE: Final = (
    (0x00A0, 0x00FF),
    (0x2000, 0x22FF),
    (0x2460, 0x24FF),
    (0x25A0, 0x26FF),
    (0x3000, 0x303F),
    (0x3200, 0x4DBF),
    (0x4E00, 0x9FFF),
    (0xF900, 0xFAFF),
    (0xFE30, 0xFE4F),
    (0xFF01, 0xFF5E),
    (0xFFE0, 0xFFE6),
    (0x20000, 0x3134F),
)
_KANA: Final = ((0x3040, 0x30FF),)
_EXPECTED: Final = {"gb18030": _CHINESE, "big5": _CHINESE, "cp932": _CHINESE + _KANA}


def _bad_char(text: str) -> int | None:
    """Index of the first character that no clean text holds (controls other than tab and
    line ends, private use, unassigned, surrogates, the replacement character)."""
    for i, ch in enumerate(text):
        if ch in "\t\r\n":
            continue
        if unicodedata.category(ch) in ("Cc", "Co", "Cn", "Cs") or ch == "\ufffd":
            return i
    return None


def _expected(text: str, encoding: str) -> bool:
    ranges = _EXPECTED.get(encoding, ())
    for ch in text:
        code = ord(ch)
        if code < 0x80 or any(lo <= code <= hi for lo, hi in ranges):
            continue
        return False
    return True


def _mostly_utf8(data: bytes) -> bool:
    """Whether `data` reads as UTF-8 text with damage: more Chinese characters decode from it
    than bytes fail. Only characters of Chinese text count: GBK bytes often pair into valid
    two-byte UTF-8 (C7 B0 is U+01F0), but seldom into the three bytes of an ideograph."""
    text = data.decode("utf-8", errors="replace")
    bad = text.count("\ufffd")
    good = sum(
        1 for ch in text if ord(ch) >= 0x3000 and ch != "\ufffd" and _expected(ch, "gb18030")
    )
    return good > bad


def _where(prefix: str) -> tuple[int, int]:
    """Row (from 1, the header's) and column index at the end of the text `prefix`."""
    try:
        rows = list(csv.reader(io.StringIO(prefix + "\x00", newline="")))
    except csv.Error:  # not CSV-shaped up to here: count lines and commas
        lines = (prefix + "\x00").splitlines()
        return len(lines), lines[-1].count(",")
    return len(rows), max(len(rows[-1]) - 1, 0)


def _field(data: bytes, encoding: str, column: int) -> str:
    first = data.split(b"\n", 1)[0] if "16" not in encoding else data
    header = first.decode(encoding, errors="replace").split("\n", 1)[0]
    names = next(csv.reader([header]), [])
    if column < len(names) and names[column].strip("\ufeff \r"):
        return names[column].strip("\ufeff \r")
    return Note("import_problem.column", n=column + 1)


def _refuse_at(path: Path, data: bytes, encoding: str, prefix: str, msg: str) -> DataFileError:
    row, column = _where(prefix)
    return DataFileError(path, msg, row=row, field=_field(data, encoding, column))


def _bytes_error(path: Path, data: bytes, encoding: str, err: UnicodeDecodeError) -> DataFileError:
    bad = data[err.start : err.end + 1]
    prefix = data[: err.start].decode(encoding, errors="replace")
    msg = Note(
        "import_problem.bad_bytes", encoding=_NAMES[encoding], bytes=bad.hex(" "), accepted=ACCEPTED
    )
    return _refuse_at(path, data, encoding, prefix, msg)


def _clean(path: Path, data: bytes, encoding: str, skip: int = 0) -> str:
    """`data` decoded strictly as `encoding`, refused where it is not clean text."""
    try:
        text = data[skip:].decode(encoding)
    except UnicodeDecodeError as err:
        raise _bytes_error(path, data[skip:], encoding, err) from err
    at = _bad_char(text)
    if at is not None:
        msg = Note(
            "import_problem.control_character",
            code=f"{ord(text[at]):04X}",
            encoding=_NAMES[encoding],
        )
        raise _refuse_at(path, data[skip:], encoding, text[:at], msg)
    return text


def decode_text(data: bytes, path: Path) -> str:
    """Decode a CSV file's bytes, or refuse them naming file, row and field.

    Parameters
    ----------
    data : bytes
        The file's contents.
    path : pathlib.Path
        The file, named in a refusal.

    Returns
    -------
    str
        The text of the file (without a byte-order mark).

    Raises
    ------
    DataFileError
        For bytes that are not clean text in one of :data:`ACCEPTED`, text that is Shift-JIS,
        or binary content.
    """
    return _decide(data, path)[1]


def detect_encoding(data: bytes, path: Path) -> str:
    """The codec (a Python name: ``utf_8``, ``gb18030`` ...) that CSV-shaped `data` is in,
    decided and checked as :func:`decode_text` does.

    Parameters
    ----------
    data : bytes
        The bytes of a CSV-shaped file.
    path : pathlib.Path
        Where they come from (for the message of a refusal).

    Returns
    -------
    str
        The Python codec name.

    Raises
    ------
    DataFileError
        As :func:`decode_text`.
    """
    return _decide(data, path)[0]


def _decide(data: bytes, path: Path) -> tuple[str, str]:
    """(codec, text) of `data`, or a refusal."""
    if data.startswith(codecs.BOM_UTF8):
        return "utf_8_sig", _clean(path, data, "utf_8", skip=len(codecs.BOM_UTF8))
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf_16", _clean(path, data, "utf_16")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as err:
        if _mostly_utf8(data):
            raise _bytes_error(path, data, "utf_8", err) from err
    else:
        return "utf_8", _clean(path, data, "utf_8")
    candidates = _WIDE if b"\x00" in data else _LEGACY
    decoded: dict[str, str] = {}
    errors: dict[str, DataFileError] = {}
    reach: dict[str, int] = {}
    for encoding in candidates:
        try:
            decoded[encoding] = _clean(path, data, encoding)
        except DataFileError as err:
            errors[encoding] = err
            reach[encoding] = err.row or 0
    if not decoded:
        if candidates == _WIDE:
            raise DataFileError(path, Note("import_problem.binary"))
        raise errors[max(reach, key=lambda e: reach[e])]  # the one that read furthest
    preferred = [e for e, text in decoded.items() if _expected(text, e)] or list(decoded)
    best = preferred[0]
    if len(preferred) > 1:
        match = from_bytes(data, cp_isolation=preferred).best()
        if match is None or match.encoding not in preferred:
            names = " or ".join(_NAMES[e] for e in preferred)
            msg = Note("import_problem.which_encoding", encodings=names)
            raise DataFileError(path, msg)
        best = match.encoding
    if best in _REFUSED:
        msg = Note("import_problem.refused_encoding", encoding=_NAMES[best])
        raise DataFileError(path, msg)
    return best, decoded[best]
