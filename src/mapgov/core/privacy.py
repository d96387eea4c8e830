"""Masking of residents' personal data (names, phone numbers): one rule for every way out.

Residents' names and phones are stored in full and shown in full only to those who need them
(see :func:`mapgov.domain.users.sees_personal_data`); everyone else sees ``张**`` / ``138****5678``.
:data:`PERSONAL` says which columns of which tables are personal (reporters, building heads,
party members, branch secretaries, grid workers' phones, units' contacts, wish posters and
claimants, the actor of a report event: the resident who reported, and the claimant heading the
note of a wish's claim event). Free text a resident or staff member wrote (an issue's title
and description, a history note, a wish) may hold a phone number too ("楼道灯坏了
13912345678"): :data:`PERSONAL_TEXT` names those columns, where :func:`mask_phones_in` masks
every phone (and identity card) number inside the text. Whatever reads such rows for someone
(a page, a card, an export, a download) passes them through :func:`mask_frame` or
:func:`mask_row` with `full` from :func:`~mapgov.domain.users.sees_personal_data` (the data
page's table exports: never full, since a file leaves the system; the issue ledger's download
is full only for those who see its reporters, and is logged).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any, Final

import pandas as pd

__all__ = [
    "PERSONAL",
    "PERSONAL_ROWS",
    "PERSONAL_TEXT",
    "SECRET",
    "is_masked",
    "is_phone",
    "mask_claim_note",
    "mask_frame",
    "mask_name",
    "mask_phone",
    "mask_phones_in",
    "mask_row",
    "without_secrets",
]


_PHONE: Final = re.compile(r"^[0-9+\-() ]{5,20}$")


def is_phone(text: str) -> bool:
    """Whether `text` looks like a phone number: 5 to 20 digits, spaces, ``+ - ( )``.

    >>> is_phone("0379-6321 5678"), is_phone("138 0000 1234"), is_phone("call me")
    (True, True, False)
    """
    return bool(_PHONE.match(text))


def is_masked(text: str) -> bool:
    """Whether `text` is a name or phone as :func:`mask_name` / :func:`mask_phone` show it
    (no real name or phone holds a star).

    >>> is_masked("张**"), is_masked("138****5678"), is_masked("张三丰")
    (True, True, False)
    """
    return "*" in text


def mask_name(name: str | None) -> str | None:
    """Keep the first character (the surname) and star the rest: ``张三丰`` -> ``张**``.

    A one-character name becomes ``*``; empty stays empty; anything that is not text
    (``None``, a missing value) gives ``None``.
    """
    if not isinstance(name, str):
        return None
    if not name:
        return name
    name = name.strip()
    if len(name) <= 1:
        return "*"
    return name[0] + "*" * (len(name) - 1)


def mask_phone(phone: str | None) -> str | None:
    """Keep the first three and last four digits: ``13812345678`` -> ``138****5678``.

    Numbers shorter than eight characters are starred whole except their last two; anything
    that is not text gives ``None``.
    """
    if not isinstance(phone, str):
        return None
    if not phone:
        return phone
    phone = phone.strip()
    if len(phone) >= 8:
        return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]
    return "*" * max(len(phone) - 2, 0) + phone[-2:]


PERSONAL: Final[dict[str, dict[str, Callable[[str | None], str | None]]]] = {
    "issue": {"reporter_name": mask_name, "reporter_phone": mask_phone},
    "building": {"building_head": mask_name, "building_head_phone": mask_phone},
    "party_member": {"name": mask_name, "phone": mask_phone},
    "party_org": {"secretary": mask_name, "secretary_phone": mask_phone},
    "grid": {"grid_worker_phone": mask_phone},
    "resident_unit": {"contact": mask_name, "phone": mask_phone},
    # a wish's claimant is whoever took it on: a party member, a cadre (or a unit's branch,
    # which cannot be told from a person in free text: masked alike)
    "micro_wish": {"poster_name": mask_name, "poster_phone": mask_phone, "claimed_by": mask_name},
}
"""table -> personal column -> how it is masked."""


def mask_claim_note(note: str | None) -> str | None:
    """The note of a wish's claim event (``"<claimant>"`` or ``"<claimant>: <remark>"``, as
    :func:`mapgov.domain.cobuild.claim_wish` writes it) with the claimant masked.

    >>> mask_claim_note("刘宇: 周六送到"), mask_claim_note("刘宇"), mask_claim_note(None)
    ('刘*: 周六送到', '刘*', None)
    """
    if not isinstance(note, str):
        return None
    who, sep, remark = note.partition(": ")
    return f"{mask_name(who)}{sep}{remark}"


_NUMBER_IN_TEXT: Final = re.compile(
    r"(?<![0-9A-Za-z])(?:"
    r"\d{17}[0-9Xx]"  # an identity card number
    r"|(?:\+?86[- ]?)?1[3-9]\d(?:[- ]?\d{4}){2}"  # a mobile number, spaced or not
    r"|0\d{2,3}[- ]?\d{7,8}"  # a fixed line with its area code
    r"|[2-8]\d{6,7}"  # a fixed line without it
    r")(?![0-9A-Za-z])"
)


def mask_phones_in(text: Any) -> Any:
    """Free text with every phone number (or identity card number) in it masked as
    :func:`mask_phone` masks one; anything that is not text is returned as it is.

    >>> mask_phones_in("楼道灯坏了，电话13912345678，或 0379-63215678")
    '楼道灯坏了，电话139****5678，或 037******5678'
    >>> mask_phones_in("3号楼2单元，5月12日起漏水 3 天"), mask_phones_in(None)
    ('3号楼2单元，5月12日起漏水 3 天', None)
    """
    if not isinstance(text, str):
        return text
    return _NUMBER_IN_TEXT.sub(lambda m: str(mask_phone(m.group(0))), text)


PERSONAL_TEXT: Final[dict[str, tuple[str, ...]]] = {
    "issue": ("title", "description"),
    "issue_event": ("note",),
    "micro_wish": ("title", "description"),
    "co_event": ("note",),
}
"""table -> free-text columns whose phone numbers are masked (:func:`mask_phones_in`)."""


PERSONAL_ROWS: Final[
    dict[str, tuple[str, dict[str, tuple[str, ...]], Callable[[str | None], str | None]]]
] = {
    # a report's actor is the resident who reported it (the ledger's reporter_name)
    "issue_event": ("actor", {"action": ("report",)}, mask_name),
    # a wish's claim event names its claimant (the wish's claimed_by) at the head of its note
    "co_event": ("note", {"entity": ("wish",), "action": ("claim",)}, mask_claim_note),
}
"""table -> (column, the columns and values of the rows where it names a resident, the mask)."""


SECRET: Final[dict[str, tuple[str, ...]]] = {"issue": ("ticket",)}
"""table -> columns that no page or export shows, to anyone: a field report's ticket is its
reporter's key to it (issue 20), not the staff's."""


def without_secrets(frame: pd.DataFrame, table: str) -> pd.DataFrame:
    """`frame` without the :data:`SECRET` columns of `table` (itself when it has none).

    Examples
    --------
    >>> issues = pd.DataFrame({"issue_id": [1], "ticket": ["K7QMX-3XPDA"]})
    >>> without_secrets(issues, "issue").columns.tolist()
    ['issue_id']
    """
    secret = [c for c in SECRET.get(table, ()) if c in frame.columns]
    return frame.drop(columns=secret) if secret else frame


def _mask(mask: Callable[[str | None], str | None]) -> Callable[[Any], Any]:
    return lambda v: mask(v) if isinstance(v, str) else v


def mask_frame(frame: pd.DataFrame, table: str, *, full: bool = False) -> pd.DataFrame:
    """Rows of `table` with their personal columns masked, unless `full`.

    Examples
    --------
    >>> events = pd.DataFrame({"actor": ["吴鹏海", "李工"], "action": ["report", "assign"]})
    >>> mask_frame(events, "issue_event")["actor"].tolist()
    ['吴**', '李工']
    """
    rules = PERSONAL.get(table, {})
    rows = PERSONAL_ROWS.get(table)
    texts = PERSONAL_TEXT.get(table, ())
    if full or (not rules and rows is None and not texts):
        return frame
    out = frame.copy()
    for column, mask in rules.items():
        if column in out.columns:
            out[column] = out[column].map(_mask(mask))
    for column in texts:
        if column in out.columns:
            out[column] = out[column].map(mask_phones_in)
    if rows is not None and {rows[0], *rows[1]} <= set(out.columns):
        column, where, row_mask = rows
        mine = pd.Series(True, index=out.index)
        for by, values in where.items():
            mine &= out[by].isin(values)
        out.loc[mine, column] = out.loc[mine, column].map(_mask(row_mask))
    return out


def mask_row(row: Mapping[str, Any], table: str, *, full: bool = False) -> dict[str, Any]:
    """One row of `table` (a mapping) with its personal values masked, unless `full`."""
    return mask_frame(pd.DataFrame([dict(row)]), table, full=full).iloc[0].to_dict()
