"""Which source column holds which field: guesses from common Chinese and English names, and a
mapping the user can correct and save for next time.

A table exported from the data page (headers in the page's language: each field's label) and a
ledger workbook that mapgov itself wrote (:func:`mapgov.io.ledger.ledger_xlsx`) are read back by
their own headers, in either language: a sheet exported, corrected in Excel and imported again
finds every column. A ledger's coded columns (category, status ...) take their codes, their
labels in either language and the words offices write (:data:`LEDGER_CHOICES`, :func:`value_codes`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from enum import StrEnum
from pathlib import Path
from typing import Final

import pandas as pd

from mapgov.core import model
from mapgov.core.errors import ValidationError
from mapgov.core.i18n import LANGS, catalogue, enum_key, field_label, t
from mapgov.io.importers.matching import norm
from mapgov.io.ledger import SHEET_HEADERS

__all__ = [
    "FIELDS",
    "LEDGER_CHOICES",
    "REQUIRED",
    "apply_mapping",
    "guess_mapping",
    "load_mapping",
    "save_mapping",
    "value_codes",
]

# target table -> field -> names a source column may carry (lower case)
FIELDS: Final[dict[str, dict[str, tuple[str, ...]]]] = {
    "building": {
        "building_id": ("building_id", "楼栋编号", "楼栋id", "bid", "id", "编号"),
        "compound_id": ("compound_id", "小区编号", "小区id", "所属小区编号"),
        "name": ("name", "楼栋名称", "楼号", "名称", "building"),
        "number": ("number", "楼栋号", "序号", "no"),
        "floors": ("floors", "层数", "楼层", "levels", "building:levels", "storeys"),
        "units": ("units", "单元数", "单元"),
        "households": ("households", "户数", "住户数", "hh"),
        "residents": ("residents", "人口", "人数", "居民数", "常住人口", "population", "pop"),
        "elderly": ("elderly", "老年人", "老年人数", "60岁以上", "老人数"),
        "party_members": ("party_members", "党员数", "党员"),
        "building_head": ("building_head", "楼栋长", "楼长"),
        "building_head_phone": ("building_head_phone", "楼栋长电话", "楼长电话"),
        "built_year": ("built_year", "建成年份", "建成年代", "year"),
    },
    "compound": {
        "compound_id": ("compound_id", "小区编号", "小区id", "id", "编号"),
        "grid_id": ("grid_id", "网格编号", "网格", "片区编号"),
        "name": ("name", "小区名称", "名称", "小区"),
        "address": ("address", "地址", "addr"),
        "built_year": ("built_year", "建成年份", "建成年代", "year"),
    },
    "facility": {
        "facility_id": ("facility_id", "设施编号", "id", "编号"),
        "kind": ("kind", "类型", "类别", "设施类型", "type"),
        "name": ("name", "设施名称", "名称"),
        "address": ("address", "地址"),
        "community_id": ("community_id", "社区编号", "所属社区"),
        "capacity": ("capacity", "容量", "规模"),
    },
    "road": {
        "kind": ("kind", "道路等级", "类型", "highway", "type"),
        "name": ("name", "道路名称", "路名", "名称"),
        "compound_id": ("compound_id", "小区编号"),
    },
    # tables matched to buildings (mapgov.io.importers.tables)
    "figures": {
        "building_id": ("building_id", "楼栋编号", "楼栋id", "bid", "id"),
        "compound": ("compound", "小区", "小区名称", "所属小区", "院落"),
        "building": ("building", "楼栋", "楼栋名称", "楼号", "楼栋号", "楼"),
        "address": ("address", "地址", "楼栋地址", "详细地址"),
        "households": ("households", "户数", "住户数", "总户数"),
        "residents": ("residents", "人口", "人数", "居民数", "常住人口", "总人口", "population"),
        "elderly": ("elderly", "老年人", "老年人数", "60岁以上", "老人数"),
        "party_members": ("party_members", "党员数", "党员", "党员人数"),
        "units": ("units", "单元数", "单元"),
        "floors": ("floors", "层数", "楼层"),
        "building_head": ("building_head", "楼栋长", "楼长"),
        "building_head_phone": ("building_head_phone", "楼栋长电话", "楼长电话"),
    },
    "ledger": {
        "issue_id": ("issue_id", "问题编号"),
        "building_id": ("building_id", "楼栋编号", "楼栋id"),
        "compound": ("compound", "小区", "小区名称", "所属小区"),
        "building": ("building", "楼栋", "楼栋名称", "楼号"),
        "address": ("address", "地址", "问题地址", "详细地址", "发生地址"),
        "category": ("category", "问题类型", "问题类别", "类型", "类别", "分类"),
        "source": ("source", "来源", "问题来源", "渠道", "反映渠道"),
        "channel": ("channel", "报事方式", "录入方式"),
        "title": ("title", "标题", "问题", "事项", "问题标题", "诉求"),
        "description": ("description", "描述", "问题描述", "详情", "内容", "诉求内容"),
        "reporter_name": ("reporter_name", "反映人", "上报人", "诉求人", "姓名", "联系人"),
        "reporter_phone": ("reporter_phone", "联系电话", "电话", "手机", "手机号"),
        "reported_at": ("reported_at", "上报时间", "登记时间", "反映时间", "受理时间", "日期"),
        "status": ("status", "状态", "办理状态", "处理状态"),
        "level": ("level", "层级", "办理层级"),
        "responsible_unit": ("responsible_unit", "责任单位", "承办单位", "处理单位"),
        "deadline": ("deadline", "期限", "办理期限", "办结期限"),
        "closed_at": ("closed_at", "销号时间", "办结时间", "完成时间", "结案时间"),
        "resolved_at": ("resolved_at", "解决时间"),
        "satisfaction": ("satisfaction", "满意度", "回访结果", "评价"),
    },
}
REQUIRED: Final[dict[str, tuple[str, ...]]] = {
    "building": ("building_id", "compound_id", "name", "floors"),
    "compound": ("compound_id", "grid_id", "name"),
    "facility": ("facility_id", "kind", "name"),
    "road": ("kind",),
    "figures": (),
    "ledger": ("category", "title", "reported_at"),
}


def guess_mapping(columns: list[str], table: str) -> dict[str, str]:
    """field -> source column, for every field whose usual name appears among `columns`.

    Parameters
    ----------
    columns : list of str
        The file's column headers.
    table : str
        The table imported into (a key of :data:`FIELDS`).

    Returns
    -------
    dict[str, str]
        Source column by field; each column used at most once.

    Raises
    ------
    ValidationError
        If `table` is not one that can be imported.
    """
    if table not in FIELDS:
        msg = f"cannot import table {table!r}; tables: {', '.join(FIELDS)}"
        raise ValidationError(msg)
    lower = {str(c).strip().lower(): c for c in columns}
    out: dict[str, str] = {}
    used: set[str] = set()
    for target, names in FIELDS[table].items():
        for name in (*names, *_own_headers(table, target)):
            col = lower.get(name)
            if col is not None and col not in used:
                out[target] = col
                used.add(col)
                break
    return out


def _own_headers(table: str, field: str) -> tuple[str, ...]:
    """The headers mapgov's own files give `field` of `table`, in every language: a table
    exported from the data page (the field's label) and, for the ledger, its workbook."""
    labels = [field_label(field, lang) for lang in LANGS]
    if table == "ledger" and field in SHEET_HEADERS:
        labels += [t(SHEET_HEADERS[field][0], lang) for lang in LANGS]
    return tuple(label.strip().lower() for label in labels)


def apply_mapping(frame: pd.DataFrame, mapping: Mapping[str, str], table: str) -> pd.DataFrame:
    """Rename the mapped source columns to their fields and drop the others (geometry kept).

    Parameters
    ----------
    frame : pandas.DataFrame
        The file as read.
    mapping : Mapping[str, str]
        Source column by field.
    table : str
        The table imported into (a key of :data:`FIELDS`).

    Returns
    -------
    pandas.DataFrame
        The mapped columns under their field names, and the geometry if any.

    Raises
    ------
    ValidationError
        If a field is not one of the table's, or a source column is not in the file.
    """
    unknown = set(mapping) - set(FIELDS[table])
    if unknown:
        msg = f"{table} has no fields {sorted(unknown)}"
        raise ValidationError(msg)
    missing = [c for c in mapping.values() if c not in frame.columns]
    if missing:
        msg = f"the file has no columns {missing}"
        raise ValidationError(msg)
    geometry = getattr(frame, "_geometry_column_name", None)
    keep = {src: field for field, src in mapping.items()}
    return frame[[*keep, *([geometry] if geometry else [])]].rename(columns=keep)


def save_mapping(path: Path, table: str, mapping: Mapping[str, str]) -> None:
    """Remember a mapping (JSON, one entry per table) for the next import.

    Parameters
    ----------
    path : pathlib.Path
        The JSON file of saved mappings (created if missing).
    table : str
        The table the mapping is for.
    mapping : Mapping[str, str]
        Source column by field.
    """
    data = json.loads(path.read_text("utf-8")) if path.is_file() else {}
    data[table] = dict(mapping)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1), "utf-8")


def load_mapping(path: Path, table: str) -> dict[str, str] | None:
    """A saved mapping for `table`, if any.

    Parameters
    ----------
    path : pathlib.Path
        The JSON file of saved mappings.
    table : str
        The table the mapping is for.

    Returns
    -------
    dict[str, str] or None
        Source column by field, or None when none is saved.
    """
    if not path.is_file():
        return None
    return json.loads(path.read_text("utf-8")).get(table)


def value_codes(enum: type[StrEnum], extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The spellings a sheet may write for the values of `enum`, each to its code.

    Parameters
    ----------
    enum : type of StrEnum
        A coded column's enum (:mod:`mapgov.core.model`).
    extra : mapping or None
        More words offices write (``已结案`` for closed), each to its code.

    Returns
    -------
    dict
        Spelling (normalised: :func:`~mapgov.io.importers.matching.norm`) -> code: the codes,
        their Chinese and English labels and each part of a label written as ``a/b``, `extra`.
    """
    out = {norm(m.value): m.value for m in enum}
    for lang in LANGS:
        cat = catalogue(lang)
        for m in enum:
            text = cat.get(enum_key(m))
            if text:
                out[norm(text)] = m.value
                for part in re.split(r"[/／、]", text):
                    out.setdefault(norm(part), m.value)
    out.update({norm(k): v for k, v in (extra or {}).items()})
    return out


_STATUS_WORDS: Final = {
    "待办": "reported", "待处理": "reported", "未处理": "reported", "已受理": "reported",
    "处理中": "in_progress", "办理": "in_progress", "已分派": "assigned", "已交办": "assigned",
    "已解决": "resolved", "已处理": "resolved", "已完成": "resolved", "办结": "resolved",
    "已回访": "callback", "销号": "closed", "已关闭": "closed", "已结案": "closed",
    "结案": "closed",
}  # fmt: skip
_SOURCE_WORDS: Final = {
    "12345": "hotline_12345", "热线": "hotline_12345", "市长热线": "hotline_12345",
    "网格员": "grid_worker", "巡查": "grid_worker", "楼栋长": "building_head",
    "微心愿": "wish_wall", "心愿墙": "wish_wall", "议事会": "deliberation", "来电来访": "walk_in",
    "上门": "walk_in",
}  # fmt: skip
_RATING_WORDS: Final = {"较满意": "basically_satisfied", "一般": "basically_satisfied"}


LEDGER_CHOICES: Final[
    tuple[tuple[str, type[StrEnum], Mapping[str, str] | None, str | None], ...]
] = (
    ("category", model.IssueCategory, None, None),
    ("source", model.IssueSource, _SOURCE_WORDS, model.IssueSource.WALK_IN.value),
    ("channel", model.IssueChannel, None, model.IssueChannel.DESK.value),
    ("status", model.IssueStatus, _STATUS_WORDS, model.IssueStatus.REPORTED.value),
    ("level", model.Level, None, model.Level.COMPOUND.value),
    ("satisfaction", model.CallbackRating, _RATING_WORDS, None),
)
"""Coded columns of a ledger: column, its enum, other words for its values, value if empty."""
