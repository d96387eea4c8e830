"""User-visible text in Simplified Chinese (default) and English.

Every string a user can read lives in one catalogue per language,
``mapgov/core/locales/<lang>.toml``. Tables in the TOML become dotted keys (``[page.wall]`` plus
``title = "..."`` is ``page.wall.title``). Both catalogues have exactly the same keys and the
same ``{placeholders}``; a test holds them to it. Labels of the enums in :mod:`mapgov.core.model`
are stored under ``<enum_snake>.<value>``, e.g. ``issue_status.assigned``.

No Streamlit here: pages and the CLI both translate through :func:`t` and :func:`label`.
"""

from __future__ import annotations

import re
import string
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from contextlib import suppress
from enum import Enum
from functools import cache
from importlib import resources
from pathlib import PurePath
from types import MappingProxyType
from typing import Any, Final

from mapgov.core.errors import DataFileError

__all__ = [
    "DEFAULT_LANG",
    "LANGS",
    "Note",
    "catalogue",
    "coded_note",
    "count_text",
    "enum_key",
    "error_text",
    "field_label",
    "join_clauses",
    "join_items",
    "label",
    "normalize_lang",
    "placeholders",
    "shown",
    "t",
    "value_label",
]

LANGS: Final = ("zh", "en")
DEFAULT_LANG: Final = "zh"


def normalize_lang(value: str | None) -> str:
    """The supported language closest to `value`, or the default.

    Parameters
    ----------
    value
        A language code such as ``"zh"``, ``"zh-CN"``, ``"EN_us"``; ``None`` or anything
        unknown gives :data:`DEFAULT_LANG`.

    Returns
    -------
    str
        One of :data:`LANGS`.
    """
    if not value:
        return DEFAULT_LANG
    primary = re.split(r"[-_]", value.strip().lower(), maxsplit=1)[0]
    return primary if primary in LANGS else DEFAULT_LANG


def join_items(items: Iterable[str], lang: str) -> str:
    """Words or names in running text: 甲、乙 in Chinese, "a, b" in English (``app.list_sep``).

    Examples
    --------
    >>> join_items(["党建", "物业"], "zh"), join_items(["party", "property"], "en")
    ('党建、物业', 'party, property')
    """
    return t("app.list_sep", lang).join(items)


def join_clauses(texts: Iterable[str], lang: str) -> str:
    """Whole phrases one after another: "；" between them in Chinese, "; " in English
    (``app.clause_sep``).

    Examples
    --------
    >>> join_clauses(["缺少一列", "第 3 行无坐标"], "zh")
    '缺少一列；第 3 行无坐标'
    """
    return t("app.clause_sep", lang).join(texts)


def _flatten(table: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for name, value in table.items():
        key = f"{prefix}{name}"
        if isinstance(value, Mapping):
            flat.update(_flatten(value, f"{key}."))
        elif isinstance(value, str):
            flat[key] = value
        else:
            msg = f"catalogue entry {key!r} must be text, not {type(value).__name__}"
            raise TypeError(msg)
    return flat


@cache
def catalogue(lang: str) -> Mapping[str, str]:
    """All entries of one language's catalogue, by dotted key (read once, read-only).

    Parameters
    ----------
    lang
        One of :data:`LANGS`.

    Raises
    ------
    KeyError
        If `lang` is not a supported language.
    """
    if lang not in LANGS:
        msg = f"unsupported language {lang!r}; choose one of {', '.join(LANGS)}"
        raise KeyError(msg)
    text = resources.files("mapgov.core").joinpath("locales", f"{lang}.toml").read_text("utf-8")
    return MappingProxyType(_flatten(tomllib.loads(text)))


def placeholders(text: str) -> frozenset[str]:
    """Names of the ``{placeholders}`` in a catalogue entry.

    Examples
    --------
    >>> sorted(placeholders("{n} 个小区，共 {households:,} 户"))
    ['households', 'n']
    """
    return frozenset(name for _, name, _, _ in string.Formatter().parse(text) if name)


def t(key: str, lang: str = DEFAULT_LANG, **fmt: Any) -> str:
    """The text for `key` in `lang`, formatted with `fmt`.

    Parameters
    ----------
    key
        Dotted catalogue key, e.g. ``"page.wall.title"``.
    lang
        One of :data:`LANGS` (pass user input through :func:`normalize_lang` first).
    **fmt
        Values for the entry's ``{placeholders}`` (``str.format`` syntax).

    Returns
    -------
    str
        The translated text.

    Raises
    ------
    KeyError
        If the catalogue has no such key, or a placeholder is not given: a missing
        translation is a bug, and the tests look for every key the code uses.

    Examples
    --------
    >>> t("page.wall.nav")
    '大屏'
    >>> t("page.wall.nav", "en")
    'Wall screen'
    """
    entries = catalogue(lang)
    try:
        text = entries[key]
    except KeyError:
        msg = f"no text for {key!r} in the {lang!r} catalogue"
        raise KeyError(msg) from None
    return text.format(**fmt)


class Note(str):
    """A message that is English text (what ``str``, logs and the command line show) and knows
    its catalogue entry, so that a page can say it in the reader's language (:func:`shown`).

    An importer's findings are Notes: their rows, fields and reasons reach the Chinese data page
    in Chinese, the command line in English, from the same entry of the catalogue. Values among
    the params are shown as :func:`error_text` shows an error's: a ``table``, ``parent`` or
    ``child`` as what the table holds, a ``column`` by its field's label, a Note in `lang` too;
    ``choices`` (enum members, the values a coded field takes) by their labels, in English too.

    Parameters
    ----------
    key : str
        The catalogue entry (present in every language with the same placeholders).
    **params : Any
        Values for its placeholders.

    Examples
    --------
    >>> n = Note("import_problem.same_building", row=4)
    >>> n, n.text("zh")
    ('the same building as row 4', '与第 4 行是同一栋楼')
    >>> "row 4" in n
    True
    """

    key: str
    params: tuple[tuple[str, Any], ...]

    def __new__(cls, key: str, **params: Any) -> Note:
        english = (
            {**params, "choices": _choices(params["choices"], "en")}
            if "choices" in params
            else params
        )
        self = super().__new__(cls, t(key, "en", **english))
        self.key = key
        self.params = tuple(params.items())
        return self

    def __reduce__(self) -> tuple[Any, ...]:  # pickled (a session's plan) as key and params
        return (_note, (self.key, self.params))

    def text(self, lang: str) -> str:
        """The message in `lang`.

        Parameters
        ----------
        lang : str
            One of :data:`LANGS`.

        Returns
        -------
        str
            The catalogue's text with the params filled in, shown in `lang`: in English the
            text itself (a table's code reads as English: "no compound 'K9'").
        """
        if lang == "en":
            return str(self)
        return t(self.key, lang, **_shown_params(self.key, dict(self.params), lang))


def _note(key: str, params: tuple[tuple[str, Any], ...]) -> Note:
    return Note(key, **dict(params))


def shown(message: object, lang: str = DEFAULT_LANG) -> str:
    """A message as a page shows it: a :class:`Note` in `lang`, other text as it is.

    Parameters
    ----------
    message : object
        A :class:`Note`, a plain string (a library's own words) or None.
    lang : str
        One of :data:`LANGS`.

    Returns
    -------
    str
        The text to show ("" for None).

    Examples
    --------
    >>> shown(Note("import_problem.empty"), "zh"), shown("as is", "zh"), shown(None)
    ('为空', 'as is', '')
    """
    if isinstance(message, Note):
        return message.text(lang)
    return "" if message is None else str(message)


def field_label(field: str | None, lang: str = DEFAULT_LANG) -> str:
    """A table's field as the data page names it (its mapping's label, else an issue form's),
    or the column's own name when the catalogue has none.

    Parameters
    ----------
    field : str or None
        A column of a mapgov table (``residents``, ``reporter_phone``, ``geometry``).
    lang : str
        One of :data:`LANGS`.

    Returns
    -------
    str
        Its label ("" for None).

    Examples
    --------
    >>> field_label("residents"), field_label("reporter_phone", "en"), field_label("gate_kind")
    ('人口', "Reporter's phone", 'gate_kind')
    """
    if not field:
        return ""
    for prefix in ("data_page.field", "issue_field"):
        if f"{prefix}.{field}" in catalogue(lang):
            return t(f"{prefix}.{field}", lang)
    return shown(field, lang)  # a file's own column, or a Note ("column 3")


def _choices(members: Iterable[Enum], lang: str) -> str:
    """The values a coded field takes, by their labels in `lang` (``已收集、已分派 ...``)."""
    return join_items((label(m, lang) for m in members), lang)


def _shown_params(key: str, params: dict[str, Any], lang: str) -> dict[str, Any]:
    """`params` of the entry `key` as `lang` shows them (see :func:`error_text`)."""
    out = dict(params)
    for name, value in params.items():
        if isinstance(value, Note):
            out[name] = value.text(lang)
        elif isinstance(value, Enum):
            try:
                out[name] = label(value, lang)
            except KeyError:
                out[name] = str(value.value)
        elif name == "field" and f"issue_field.{value}" in catalogue(lang):
            out[name] = t(f"issue_field.{value}", lang)
        elif name == "column":
            out[name] = field_label(str(value), lang)
        elif name in ("geometry", "geometries"):  # "Polygon / MultiPolygon", as GEOS names them
            out[name] = " / ".join(
                t(f"geometry_type.{g}", lang) if f"geometry_type.{g}" in catalogue(lang) else g
                for g in str(value).split(" / ")
            )
        elif name in ("table", "parent", "child") and (
            f"data_page.export_name.{value}" in catalogue(lang)
        ):
            out[name] = t(f"data_page.export_name.{value}", lang)
        elif name == "reason" and f"{key}_reason.{value}" in catalogue(lang):
            out[name] = t(f"{key}_reason.{value}", lang)  # a reason said in `lang` too
        elif name == "path" and value:
            out[name] = PurePath(str(value)).name  # the file, not the server's folders
        elif name == "choices":
            out[name] = _choices(value, lang)
        elif name == "fields" and isinstance(value, tuple | list):
            out[name] = join_items(
                (
                    t(f"error.edit.field.{f}", lang)
                    if f"error.edit.field.{f}" in catalogue(lang)
                    else f
                    for f in value
                ),
                lang,
            )
    return out


_DIGITS: Final = "零一二三四五六七八九"


def count_text(n: float, lang: str = DEFAULT_LANG) -> str:
    """A small count as a title writes it: Chinese numerals for whole numbers 1–99 in Chinese
    (十五分钟生活圈, as GB 50180-2018 names its circles), digits otherwise.

    Examples
    --------
    >>> [count_text(n, "zh") for n in (5, 10, 15, 20, 32)], count_text(15, "en")
    (['五', '十', '十五', '二十', '三十二'], '15')
    >>> count_text(7.5, "zh"), count_text(120, "zh")
    ('7.5', '120')
    """
    if lang != "zh" or n != int(n) or not 1 <= n <= 99:
        return f"{n:g}"
    tens, ones = divmod(int(n), 10)
    head = "" if tens == 0 else ("十" if tens == 1 else _DIGITS[tens] + "十")
    return head + (_DIGITS[ones] if ones else "")


def enum_key(member: Enum) -> str:
    """Catalogue key of an enum member: ``<enum_snake>.<value>``.

    Examples
    --------
    >>> from mapgov.core.model import IssueStatus
    >>> enum_key(IssueStatus.IN_PROGRESS)
    'issue_status.in_progress'
    """
    snake = re.sub(r"(?<!^)(?=[A-Z])", "_", type(member).__name__).lower()
    return f"{snake}.{member.value}"


def label(member: Enum, lang: str = DEFAULT_LANG) -> str:
    """Display label of an enum member from :mod:`mapgov.core.model`.

    Examples
    --------
    >>> from mapgov.core.model import FacilityKind, Star
    >>> label(FacilityKind.CANTEEN)
    '幸福食堂/助餐点'
    >>> label(Star.STRONG_BRANCH, "en")
    'Strong branch'
    """
    return t(enum_key(member), lang)


def value_label(enum: type[Enum], value: object, lang: str = DEFAULT_LANG) -> str:
    """Display label of a stored code of `enum`: "" for a missing one, the code itself for
    one the enum does not know (an imported ledger's own categories, say).

    Examples
    --------
    >>> from mapgov.core.model import IssueStatus
    >>> [value_label(IssueStatus, v, "en") for v in ("closed", None, "x")]
    ['Closed', '', 'x']
    """
    if not isinstance(value, str) or not value:
        return ""
    try:
        return label(enum(value), lang)
    except (ValueError, KeyError):
        return value


def coded_note(enum: type[Enum], note: object, lang: str = DEFAULT_LANG) -> str:
    """A history note that starts with a stored code of `enum` (a rating is kept as
    ``"satisfied: 电话回访…"``), with the code shown as its label; other notes as they are.

    Examples
    --------
    >>> from mapgov.core.model import CallbackRating
    >>> coded_note(CallbackRating, "basically_satisfied: 电话回访，基本满意", "zh")
    '基本满意：电话回访，基本满意'
    >>> [coded_note(CallbackRating, v, "en") for v in ("satisfied", None, "fixed: ok")]
    ['Satisfied', '', 'fixed: ok']
    """
    if not isinstance(note, str):
        return ""
    code, sep, rest = note.partition(": ")
    codes = {str(m.value) for m in enum}
    if code not in codes or (not sep and rest):
        return note
    name = value_label(enum, code, lang)
    if not sep:
        return name
    return f"{name}{t('app.colon', lang)}{rest}"


def _problems_text(problems: Sequence[object], lang: str) -> str:
    """What is wrong with a backup (:class:`mapgov.store.sqlite.Problem`), in `lang`: each
    problem from ``error.restore.problem.<code>``, tables by what they hold."""

    def name(table: str) -> str:
        wanted = f"data_page.export_name.{table}"
        return t(wanted, lang) if wanted in catalogue(lang) else table

    texts = []
    for problem in problems:
        key = f"error.restore.problem.{getattr(problem, 'code', '')}"
        if key not in catalogue(lang):
            texts.append(str(problem))
            continue
        names = join_items((name(n) for n in getattr(problem, "names", ())), lang)
        texts.append(t(key, lang, names=names, n=f"{getattr(problem, 'count', 0):,}"))
    return join_clauses(texts, lang)


def _shown_entry(entry: str, most: int = 90) -> str:
    """An archive entry's name as a message shows it: control characters as ``?``, a long
    name cut in its middle (the name comes from the file, whoever made it)."""
    shown = "".join(c if c.isprintable() else "?" for c in entry)
    if len(shown) > most:
        shown = f"{shown[: most // 2]}…{shown[-most // 2 :]}"
    return shown


def _file_error_text(err: DataFileError, key: str | None, params: dict[str, Any], lang: str) -> str:
    """A data file's error named by the file's own name (never the server's folder it was
    saved in), its row and field in `lang`, then the reason (from the catalogue if keyed)."""
    where = [err.path.name]
    if err.entry is not None:
        where.append(t("error.archive.entry", lang, entry=_shown_entry(err.entry)))
    if err.row is not None:
        where.append(t("error.file.row", lang, row=err.row))
    if err.field is not None:
        where.append(t("error.file.field", lang, field=field_label(err.field, lang)))
    reason = shown(err.reason, lang)
    if isinstance(params.get("problems"), tuple | list):
        params["problems"] = _problems_text(params["problems"], lang)
    if key and key in catalogue(lang):
        with suppress(KeyError):  # a param the text needs is missing: the English reason
            reason = t(key, lang, **params)
    return t("error.file.at", lang, where=t("error.file.sep", lang).join(where), reason=reason)


def error_text(err: Exception, lang: str = DEFAULT_LANG) -> str:
    """What to tell a user about `err`, in `lang`.

    A :class:`~mapgov.core.errors.MapgovError` with a catalogue ``key`` is rendered from the
    catalogue: enum members among its params become their labels, a ``field`` param becomes its
    ``issue_field`` label, a ``table`` param what the table holds (``data_page.export_name``),
    a ``path`` param the file's name only, a ``fields`` param (a tuple of columns) their
    ``error.edit.field`` labels in a list, a ``reason`` param its ``<key>_reason.<reason>``
    text when the catalogue has one. A :class:`~mapgov.core.errors.DataFileError` names its
    file by its name, its row and field in `lang`, then its reason.
    Anything else (or a key missing from the catalogue) falls back to
    the error's own English sentence.
    """
    key = getattr(err, "key", None)
    params: dict[str, Any] = dict(getattr(err, "params", {}) or {})
    if isinstance(err, DataFileError):
        return _file_error_text(err, key, params, lang)
    if not key or key not in catalogue(lang):
        return str(err)
    params = _shown_params(key, params, lang)
    try:
        return t(key, lang, **params)
    except KeyError:
        return str(err)
