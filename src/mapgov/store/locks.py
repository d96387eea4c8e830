"""Optimistic locking: a save is refused when what its form was drawn from has changed since.

Two kinds of record are locked:

* records with a ``version`` column (issues, co-building needs, projects and wishes): the form
  carries the version it showed; :func:`bump_version` checks and counts it up inside the write
  transaction.
* records without one (a compound's branch, stars and property management, a building's party
  group and head, the buildings of a responsibility zone): the form carries a
  :class:`FormVersion` made by :func:`form_version`, a digest of each group of rows it was drawn
  from (every column but geometry; no rows is a value too) and the newest ``change_log`` id at
  that moment. :func:`check_unchanged`, inside the write transaction, refuses the save when a
  group's digest differs: someone saved, an import rewrote the rows, a row came or went. The
  digest is the version, so a record changed and changed back is not refused (nothing of the
  other person's is lost then), while an import that rewrites rows is caught without any column
  to count on. The refusal names, from ``change_log``, the fields changed since, who changed them
  and when (an import that replaced a table leaves no such rows: then it says only that the
  record changed).
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Required, TypedDict

from mapgov.core.errors import StaleEditError, StoreError, ValidationError
from mapgov.store.schema import table

__all__ = [
    "FormVersion",
    "Report",
    "Rows",
    "bump_version",
    "check_unchanged",
    "form_version",
    "rows_name",
    "shown_record",
]

Rows = tuple[str, Mapping[str, Any]]
"""A table and the column values that pick its rows: ``("branch_star", {"org_id": "PO-K1"})``."""


@dataclass(frozen=True)
class FormVersion:
    """What a form was drawn from: a digest per group of rows, and the last change_log id.

    digests
        :func:`rows_name` of each group -> digest of its rows then.
    change_id
        The newest ``change_log`` row then: changes after it are what a refusal names.
    """

    digests: Mapping[str, str] = field(default_factory=dict)
    change_id: int = 0


class Landing(TypedDict, total=False):
    """How whole tables are landed (``Store.replace_tables``): what the import was (kept as
    ``meta.last_import``), a new description of the database in place of the old one, and the
    newest ``change_log`` id when the rows were checked (an edit since refuses the import)."""

    source: Required[str]
    meta: Mapping[str, str] | None
    since_change: int | None


class Report(TypedDict, total=False):
    """What lands with a report from the field (``Store.insert_report``): the issue's first
    events, its photos (``issue_photo`` rows without ``issue_id``), audit entries, and a guard
    run first inside the write transaction (raising refuses the whole report)."""

    events: Sequence[Mapping[str, Any]]
    photos: Sequence[Mapping[str, Any]]
    audit: Sequence[Mapping[str, Any]]
    guard: Callable[[Any], None] | None


def rows_name(rows: Rows) -> str:
    """``table:value,value``: the name of a group of rows (as ``change_log.record_key`` is)."""
    name, key = rows
    return f"{name}:{_record(key)}"


def _record(key: Mapping[str, Any]) -> str:
    return ",".join(str(v) for v in key.values())


_NAMED: Final = (
    "street",
    "community",
    "grid",
    "party_org",
    "compound",
    "building",
    "responsibility_zone",
    "resident_unit",
    "facility",
)
"""Tables whose ``name`` tells a user which record is meant (not people: a member's or an
account's name is personal data)."""

_NAME_BY_KEY: Final = {table(n).key[0]: n for n in _NAMED}
"""A key column (``org_id``) -> the table that names its records (``party_org``)."""


def shown_record(con: sqlite3.Connection, key: Mapping[str, Any]) -> str:
    """The record that `key` picks as a refusal names it: the name of what its one key
    column identifies (a branch ``PO-S001-C1-05`` is its name; a compound's property
    management, the compound's), else its id (an issue's number, a record gone since)."""
    record = _record(key)
    if len(key) != 1:
        return record
    ((column, value),) = key.items()
    named = _NAME_BY_KEY.get(column)
    if named is None:
        return record
    found = con.execute(f"SELECT name FROM {named} WHERE {column} = ?", [value]).fetchone()
    return str(found[0]) if found and found[0] else record


def _digest(con: sqlite3.Connection, rows: Rows) -> str:
    name, key = rows
    spec = table(name)
    unknown = [c for c in key if c not in spec.column_names]
    if unknown or not key:
        msg = f"cannot pick {name} rows by {unknown or 'nothing'}"
        raise StoreError(msg)
    cols = [c for c in spec.column_names if c != "geom"]
    where = " AND ".join(f"{c} = ?" for c in key)
    found = con.execute(
        f"SELECT {', '.join(cols)} FROM {name} WHERE {where}", list(key.values())
    ).fetchall()
    text = repr(sorted(repr(r) for r in found))
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def form_version(con: sqlite3.Connection, groups: Sequence[Rows]) -> FormVersion:
    """The :class:`FormVersion` of `groups` now, read in one snapshot."""
    con.execute("BEGIN")
    try:
        last = con.execute("SELECT COALESCE(MAX(change_id), 0) FROM change_log").fetchone()[0]
        digests = {rows_name(g): _digest(con, g) for g in groups}
    finally:
        con.rollback()
    return FormVersion(digests=digests, change_id=int(last))


def _when(at: str) -> str:
    return at.replace("T", " ")[:16]


def check_unchanged(con: sqlite3.Connection, groups: Sequence[Rows], seen: FormVersion) -> None:
    """Inside a write transaction: raise unless each group is as it was when `seen` was made.

    Raises
    ------
    StaleEditError
        Naming the first group that changed: its table and record (by its name where it has
        one: :func:`shown_record`), and (from ``change_log``)
        the fields changed since, by whom and when (key ``error.edit.changed``); or, with no
        such log, only that it changed (``error.edit.stale``). A group the form was not drawn
        from counts as changed.
    """
    for rows in groups:
        before = seen.digests.get(rows_name(rows))
        if before is not None and before == _digest(con, rows):
            continue
        name, key = rows
        record = _record(key)
        log = con.execute(
            "SELECT at, actor, field FROM change_log WHERE change_id > ? AND table_name = ? "
            "AND (record_key = ? OR substr(record_key, 1, ?) = ?) ORDER BY change_id",
            [seen.change_id, name, record, len(record) + 1, f"{record},"],
        ).fetchall()
        if not log or before is None:
            msg = f"{name} {record} was changed by someone else; reload it and try again"
            raise StaleEditError(
                msg, key="error.edit.stale", table=name, record=shown_record(con, key)
            )
        at, actor, _ = log[-1]
        fields = tuple(dict.fromkeys(f for _, _, f in log if f))
        msg = (
            f"{name} {record} was changed by {actor} at {_when(at)} ({', '.join(fields)}) after "
            "your form was drawn; your change was not saved: reload it and try again"
        )
        raise StaleEditError(
            msg,
            key="error.edit.changed",
            table=name,
            record=shown_record(con, key),
            who=actor,
            when=_when(at),
            fields=fields,
        )


def bump_version(con: sqlite3.Connection, name: str, key: Mapping[str, Any], version: int) -> None:
    """Inside a write transaction: raise unless the record is at `version`; then count it up."""
    spec = table(name)
    if "version" not in spec.column_names or not key:
        msg = f"table {name} has no version to lock on"
        raise StoreError(msg)
    where = " AND ".join(f"{c} = ?" for c in key)
    record = _record(key)
    cur = con.execute(
        f"UPDATE {name} SET version = version + 1 WHERE {where} AND version = ?",
        [*key.values(), int(version)],
    )
    if cur.rowcount:
        return
    row = con.execute(f"SELECT version FROM {name} WHERE {where}", list(key.values()))
    found = row.fetchone()
    if found is None:
        msg = f"no {name} {record}"
        raise ValidationError(msg, key="error.edit.not_found", table=name, record=record)
    msg = (
        f"{name} {record} was changed by someone else (version {found[0]}, you saw "
        f"{version}); reload it and try again"
    )
    raise StaleEditError(msg, key="error.edit.stale", table=name, record=shown_record(con, key))
