"""Tables from the street office's spreadsheets, matched to the buildings of the database.

Two kinds of table are taken (``TABLE_KINDS``):

``figures``
    Household and party-member figures per building (户数, 人口, 老年人, 党员数, 楼栋长 ...).
    Each matched row updates its building; the change is audited in ``change_log``.
``ledger``
    The issue ledger (问题台账) kept in Excel before mapgov: each row becomes an issue on its
    building with its history (a ``report`` event, and a ``close`` event for closed rows), so
    that the figures of the wall screen count it. A row already in the ledger (same building,
    report time and title) is skipped, so the same sheet can be imported twice.

A row is matched to a building as :mod:`mapgov.io.importers.matching` says; rows that match
nothing, or more than one building, are listed with the reason, as are rows with bad values.
A row of the ledger's own workbook whose number names an issue of the same title is skipped
before it is matched.

Nothing is written while any row has an error (:attr:`TablePlan.errors`): :func:`plan_table`
checks and matches everything first, :func:`land_table` writes the plan in one transaction,
and refuses it if what it would write changed since the check (a building edited, the same
ledger rows imported meanwhile).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Final

import pandas as pd

from mapgov.core import clock, model
from mapgov.core.errors import StaleEditError, ValidationError
from mapgov.core.i18n import Note
from mapgov.core.privacy import is_masked, is_phone
from mapgov.io.importers.mapping import LEDGER_CHOICES, REQUIRED, apply_mapping, value_codes
from mapgov.io.importers.matching import BuildingMatcher, norm
from mapgov.io.importers.validate import Problem, whole_numbers
from mapgov.store import FormVersion, Rows, Store

__all__ = [
    "FIGURE_COUNTS",
    "FIGURE_TEXTS",
    "TABLE_KINDS",
    "TablePlan",
    "land_table",
    "plan_table",
]

TABLE_KINDS: Final = ("figures", "ledger")
FIGURE_COUNTS: Final = ("households", "residents", "elderly", "party_members", "units", "floors")
FIGURE_TEXTS: Final = ("building_head", "building_head_phone")
MAX_TITLE: Final = 120
_MAX_LISTED: Final = 500


def _rows(rows: Sequence[tuple[int, str, str]]) -> pd.DataFrame:
    """Rows listed with a reason (``row``, ``text``, ``reason``); the reasons stay the Notes
    they are (pandas would make them plain text), for the page to say in its reader's language."""
    row, text, reason = (list(c) for c in zip(*rows, strict=True)) if rows else ([], [], [])
    frame = pd.DataFrame({"row": pd.Series(row, dtype="int64"), "text": text})
    return frame.assign(reason=pd.Series(reason, dtype=object))


@dataclass
class TablePlan:
    """What an import of a table would do, found before anything is written.

    ``rows`` is the number of data rows; ``matched`` holds one record per row that will land
    (for ``figures`` the building's new values, for ``ledger`` the issue and its events);
    ``unmatched`` lists rows that matched no building (row, text, reason), ``skipped`` rows
    left out on purpose (already in the ledger), ``problems`` bad values with file, row and
    field. The import may go ahead only when ``errors`` is empty.
    """

    kind: str
    path: str
    rows: int
    matched: list[dict[str, object]] = field(default_factory=list)
    unmatched: pd.DataFrame = field(default_factory=lambda: _rows([]))
    skipped: pd.DataFrame = field(default_factory=lambda: _rows([]))
    problems: list[Problem] = field(default_factory=list)
    seen: FormVersion | None = None
    """For ``figures``: the buildings to update as they were when checked (an edit of one of
    them before the import lands refuses it: the sheet would overwrite it unseen)."""

    @property
    def errors(self) -> list[Problem]:
        """Problems that refuse the import (unmatched rows are errors too).

        Returns
        -------
        list of Problem
            The problems of severity "error", then one per unmatched row (at most 500).
        """
        out = [p for p in self.problems if p.severity == "error"]
        out += [
            Problem(self.path, int(r.row), "building", r.reason)
            for r in self.unmatched.head(_MAX_LISTED).itertuples()
        ]
        return out


def _choice(
    frame: pd.DataFrame,
    column: str,
    plan: TablePlan,
    first_row: int,
    *,
    enum: type[StrEnum],
    words: Mapping[str, str] | None,
    default: str | None,
) -> list[str | None]:
    """`column`'s codes of `enum` (spelled as :func:`value_codes` reads them, `words` too);
    an unknown value is a problem that names the values accepted."""
    values = value_codes(enum, words)
    out: list[str | None] = []
    raw = frame[column] if column in frame.columns else pd.Series([""] * len(frame))
    for i, text in enumerate(raw):
        key = norm(text)
        if not key:
            out.append(default)
            continue
        code = values.get(key)
        if code is None:
            plan.problems.append(
                Problem(
                    plan.path,
                    i + first_row,
                    column,
                    Note(
                        "import_problem.unknown_choice",
                        text=str(text).strip(),
                        choices=tuple(enum),
                    ),
                )
            )
        out.append(code)
    return out


def _times(
    frame: pd.DataFrame, column: str, plan: TablePlan, first_row: int, *, required: bool
) -> list[str | None]:
    """ISO local timestamps ``YYYY-MM-DDTHH:MM:SS`` (a date alone means its 09:00)."""
    out: list[str | None] = []
    raw = frame[column] if column in frame.columns else pd.Series([""] * len(frame))
    for i, text in enumerate(raw):
        s = unicodedata.normalize("NFKC", str(text)).strip()
        if not s or s.lower() in ("nan", "nat", "none"):
            if required:
                plan.problems.append(
                    Problem(plan.path, i + first_row, column, Note("import_problem.empty"))
                )
            out.append(None)
            continue
        s = re.sub(r"(\d+)年(\d+)月(\d+)日?", r"\1-\2-\3", s)
        stamp = pd.to_datetime(s, errors="coerce", format="mixed")
        if pd.isna(stamp) or not 1990 <= stamp.year <= 2100:
            plan.problems.append(
                Problem(
                    plan.path,
                    i + first_row,
                    column,
                    Note("import_problem.not_a_date", text=str(text).strip()),
                )
            )
            out.append(None)
            continue
        if stamp.hour == stamp.minute == stamp.second == 0 and ":" not in s:
            stamp = stamp.replace(hour=9)
        out.append(stamp.strftime("%Y-%m-%dT%H:%M:%S"))
    return out


def _texts(frame: pd.DataFrame, column: str) -> list[str | None]:
    if column not in frame.columns:
        return [None] * len(frame)
    return [
        (str(v).strip() or None) if v is not None and not pd.isna(v) else None
        for v in frame[column]
    ]


def _own_issues(store: Store, frame: pd.DataFrame) -> dict[int, int]:
    """Position -> issue id of the rows that are issues of `store`'s ledger already: mapgov's
    own workbook read back, whose number names an issue with the same title (a sheet's own
    serial numbers in a ``编号`` column name nothing, or an issue of another title)."""
    if "issue_id" not in frame.columns:
        return {}
    numbers = [norm(v) for v in frame["issue_id"]]
    wanted = sorted({int(n) for n in numbers if n.isdigit()})
    if not wanted:
        return {}
    rows = store.read("issue", where={"issue_id": wanted}, columns=["issue_id", "title"])
    titles = dict(zip(rows["issue_id"].astype(int), rows["title"], strict=True))
    texts = _texts(frame, "title")
    return {
        i: int(n)
        for i, n in enumerate(numbers)
        if n.isdigit() and texts[i] is not None and titles.get(int(n)) == texts[i]
    }


def _unmasked(
    values: list[str | None],
    column: str,
    plan: TablePlan,
    left: str,
    skip: Collection[int] = (),
) -> list[str | None]:
    """`values` with the masked ones (``张**``, ``138****5678``: a name or phone as mapgov's
    exports show it) taken out as not given, and one note saying how many (rows at positions
    `skip` left out), and what is `left` instead (``"kept"``: the stored value, ``"unknown"``):
    a sheet exported, corrected and imported again must not write stars over names."""
    masked = [v is not None and is_masked(v) for v in values]
    if any(m for i, m in enumerate(masked) if i not in skip):
        count = sum(m for i, m in enumerate(masked) if i not in skip)
        note = Note(f"import_problem.masked_{left}", count=count)
        plan.problems.append(Problem(plan.path, None, column, note, severity="repaired"))
    return [None if m else v for v, m in zip(values, masked, strict=True)]


def _match_rows(
    store: Store,
    frame: pd.DataFrame,
    plan: TablePlan,
    first_row: int,
    *,
    skip: Collection[int] = (),
    compounds: dict[int, str] | None = None,
) -> list[str | None]:
    """The building each row names (None: skipped, or listed in ``plan.unmatched`` with why);
    given `compounds`, a row naming a compound and no building is matched to the compound
    (position -> compound id put there) and has no building."""
    named = {"building_id", "building", "address"} | (
        {"compound"} if compounds is not None else set()
    )
    if not named & set(frame.columns):
        plan.problems.append(
            Problem(plan.path, None, "building", Note("import_problem.no_building_column"))
        )
        return [None] * len(frame)
    matcher = BuildingMatcher(store)
    cols = [
        frame[c] if c in frame.columns else pd.Series([None] * len(frame))
        for c in ("building_id", "compound", "building", "address")
    ]
    out: list[str | None] = []
    unmatched: list[tuple[int, str, str]] = []
    for i, (bid, comp, bld, addr) in enumerate(zip(*cols, strict=True)):
        if i in skip:
            out.append(None)
            continue
        if compounds is not None and norm(comp) and not any(norm(v) for v in (bid, bld, addr)):
            whole, why = matcher.compound(comp)
            out.append(None)
            if whole is not None:
                compounds[i] = whole
                continue
        else:
            found, why = matcher.match(bid, comp, bld, addr)
            out.append(found)
            if found is not None:
                continue
        text = " ".join(str(v) for v in (bid, comp, bld, addr) if norm(v))
        unmatched.append((i + first_row, text, why))
    plan.unmatched = _rows(unmatched)
    return out


def _plan_figures(  # noqa: PLR0912 (one check per kind of figure)
    store: Store, frame: pd.DataFrame, plan: TablePlan, first_row: int
) -> None:
    targets = _match_rows(store, frame, plan, first_row)
    counts = {
        f: whole_numbers(frame[f], f, Path(plan.path), first_row, plan.problems)
        for f in FIGURE_COUNTS
        if f in frame.columns
    }
    texts = {
        f: _unmasked(_texts(frame, f), f, plan, "kept") for f in FIGURE_TEXTS if f in frame.columns
    }
    if not counts and not texts:
        plan.problems.append(
            Problem(plan.path, None, None, Note("import_problem.no_figure_column"))
        )
        return
    phones = texts.get("building_head_phone", [])
    for i, phone in enumerate(phones):
        if phone and not is_phone(phone):
            plan.problems.append(
                Problem(
                    plan.path,
                    i + first_row,
                    "building_head_phone",
                    Note("import_problem.not_a_phone", text=phone),
                )
            )
    current = store.read("building", columns=["building_id", "residents", "elderly"]).set_index(
        "building_id"
    )
    seen: dict[str, int] = {}
    for i, bid in enumerate(targets):
        if bid is None:
            continue
        row = i + first_row
        if bid in seen:
            plan.problems.append(
                Problem(
                    plan.path, row, "building", Note("import_problem.same_building", row=seen[bid])
                )
            )
            continue
        seen[bid] = row
        values: dict[str, object] = {}
        for f, series in counts.items():
            v = series.iloc[i]
            if not pd.isna(v):
                values[f] = int(v)
        for f, col in texts.items():
            if col[i] is not None:
                values[f] = col[i]
        residents = values.get("residents", current.at[bid, "residents"])
        elderly = values.get("elderly", current.at[bid, "elderly"])
        if int(elderly) > int(residents):  # type: ignore[call-overload]
            plan.problems.append(
                Problem(
                    plan.path,
                    row,
                    "elderly",
                    Note(
                        "import_problem.elderly_over_residents",
                        elderly=int(elderly),  # type: ignore[call-overload]
                        residents=int(residents),  # type: ignore[call-overload]
                    ),
                )
            )
            continue
        if {"households", "residents"} & set(values):
            values["estimated"] = 0  # counted figures replace an estimate
        if values:
            plan.matched.append({"building_id": bid, "row": row, "values": values})
    plan.seen = store.form_version(_buildings(plan))


def _buildings(plan: TablePlan) -> list[Rows]:
    """The rows a figures plan updates, one group per building."""
    return [("building", {"building_id": m["building_id"]}) for m in plan.matched]


def _plan_ledger(store: Store, frame: pd.DataFrame, plan: TablePlan, first_row: int) -> None:
    for column in REQUIRED["ledger"]:
        if column not in frame.columns:
            plan.problems.append(Problem(plan.path, None, column, Note("import_problem.no_column")))
    if plan.problems:
        return
    own = _own_issues(store, frame)
    whole: dict[int, str] = {}  # rows of a whole compound's issue (no building)
    targets = _match_rows(store, frame, plan, first_row, skip=own, compounds=whole)
    category, source, channel, status, level, rating = (
        _choice(frame, column, plan, first_row, enum=enum, words=words, default=default)
        for column, enum, words, default in LEDGER_CHOICES
    )
    reported, closed, resolved = (
        _times(frame, c, plan, first_row, required=c == "reported_at")
        for c in ("reported_at", "closed_at", "resolved_at")
    )
    deadline = [
        s[:10] if s else None for s in _times(frame, "deadline", plan, first_row, required=False)
    ]
    titles, descriptions, units = (
        _texts(frame, c) for c in ("title", "description", "responsible_unit")
    )
    names, phones = (
        _unmasked(_texts(frame, c), c, plan, "unknown", skip=own)
        for c in ("reporter_name", "reporter_phone")
    )
    buildings = store.read("building", columns=["building_id", "compound_id", "geom"])
    where = buildings.set_index("building_id")
    areas = store.read("compound", columns=["compound_id", "geom"]).set_index("compound_id")
    existing = _ledger_keys(store)
    done_states = (model.IssueStatus.RESOLVED, model.IssueStatus.CALLBACK, model.IssueStatus.CLOSED)
    skipped: list[tuple[int, str, str]] = []
    for i, bid in enumerate(targets):
        row = i + first_row
        title = titles[i]
        if i in own:
            skipped.append((row, title or "", Note("import_problem.in_ledger_issue", issue=own[i])))
            continue
        phone = phones[i]
        plan.problems += _text_faults(plan.path, row, title, phone)
        if not title:
            continue
        if (bid is None and i not in whole) or None in (
            category[i],
            source[i],
            channel[i],
            status[i],
            level[i],
            reported[i],
        ):
            continue
        compound = whole[i] if bid is None else where.at[bid, "compound_id"]
        key = _ledger_key(bid, compound, reported[i], title)
        if key in existing:
            skipped.append((row, title, Note("import_problem.in_ledger")))
            continue
        existing.add(key)
        state = model.IssueStatus(status[i])  # type: ignore[arg-type]
        done = state in done_states
        closed_at = closed[i] if done else None
        resolved_at = (resolved[i] or closed_at) if done else None
        if state == model.IssueStatus.CLOSED and closed_at is None:
            plan.problems.append(
                Problem(plan.path, row, "closed_at", Note("import_problem.closed_needs_date"))
            )
            continue
        wrong = _out_of_order(reported[i], resolved_at, closed_at, bool(resolved[i]))
        if wrong:
            plan.problems.append(Problem(plan.path, row, *wrong))
            continue
        shape = areas.at[compound, "geometry"] if bid is None else where.at[bid, "geometry"]
        point = shape.representative_point()
        issue = {
            "compound_id": compound,
            "building_id": bid,
            "category": category[i],
            "source": source[i],
            "channel": channel[i],
            "level": level[i],
            "status": state.value,
            "title": title,
            "description": descriptions[i],
            "reporter_name": names[i],
            "reporter_phone": phone,
            "responsible_unit": units[i],
            "deadline": deadline[i],
            "reported_at": reported[i],
            "assigned_at": reported[i] if state != model.IssueStatus.REPORTED else None,
            "resolved_at": resolved_at,
            "closed_at": closed_at if state == model.IssueStatus.CLOSED else None,
            "satisfaction": rating[i]
            if state in (model.IssueStatus.CALLBACK, model.IssueStatus.CLOSED)
            else None,
            "reopen_count": 0,
            "version": 1,
            "lon": round(point.x, 7),
            "lat": round(point.y, 7),
        }
        plan.matched.append({"row": row, "issue": issue, "state": state.value})
    plan.skipped = _rows(skipped)


def _ledger_key(
    building: str | None, compound: str, reported: str | None, title: str
) -> tuple[str, str, str]:
    """What tells a ledger row from another (:func:`_ledger_keys`): its building, or its
    compound for an issue of the whole compound; its report time to the minute; its title."""
    return (building or compound, str(reported)[:16], title)


def _text_faults(path: str, row: int, title: str | None, phone: str | None) -> list[Problem]:
    """What is wrong with a ledger row's own text: an empty or overlong title, a phone that is
    not one."""
    if not title:
        return [Problem(path, row, "title", Note("import_problem.empty"))]
    out = []
    if len(title) > MAX_TITLE:
        out.append(Problem(path, row, "title", Note("import_problem.too_long", most=MAX_TITLE)))
    if phone and not is_phone(phone):
        note = Note("import_problem.not_a_phone", text=phone)
        out.append(Problem(path, row, "reporter_phone", note))
    return out


def _ledger_keys(store: Store) -> set[tuple[str, str, str]]:
    """(building, or compound for a whole compound's issue; report time to the minute; title)
    of every issue: the workbook shows times to the minute, and a row with the same three is an
    issue of the ledger already."""
    query = (
        "SELECT COALESCE(building_id, compound_id), substr(reported_at, 1, 16), title FROM issue"
    )
    return {(b, r, t) for b, r, t in store.query(query).itertuples(index=False)}


def _out_of_order(
    reported: str | None, resolved: str | None, closed: str | None, resolved_given: bool
) -> tuple[str, Note] | None:
    """The field and the fault when a row is resolved before its report or closed before its
    resolution (ISO times compare as text); None when the times are in order."""
    if resolved is not None and reported is not None and resolved < reported:
        return ("resolved_at" if resolved_given else "closed_at"), Note(
            "import_problem.before_report"
        )
    if closed is not None and resolved is not None and closed < resolved:
        return "closed_at", Note("import_problem.before_resolution")
    return None


def plan_table(
    store: Store,
    frame: pd.DataFrame,
    kind: str,
    *,
    path: Path | str,
    mapping: Mapping[str, str],
    first_row: int = 2,
) -> TablePlan:
    """Check and match every row of a table; write nothing.

    Parameters
    ----------
    store : Store
        The database whose buildings the rows are matched to (and whose ledger they join).
    frame : pandas.DataFrame
        The table as read (:func:`~mapgov.io.importers.read_table`: every column text).
    kind : str
        "figures" or "ledger".
    path : Path or str
        The file the table came from, for messages.
    mapping : Mapping of str to str
        field -> source column (:func:`~mapgov.io.importers.guess_mapping` with table `kind`).
    first_row : int
        Number of the first data row in messages (2 in a spreadsheet with a header).

    Returns
    -------
    TablePlan
        The rows that would land, the unmatched and skipped ones, and the problems.

    Raises
    ------
    ValidationError
        If `kind` is not one of :data:`TABLE_KINDS`.
    """
    if kind not in TABLE_KINDS:
        msg = f"cannot import a table of kind {kind!r}; kinds: {', '.join(TABLE_KINDS)}"
        raise ValidationError(msg)
    mapped = apply_mapping(pd.DataFrame(frame), mapping, kind).reset_index(drop=True)
    plan = TablePlan(kind=kind, path=str(path), rows=len(mapped))
    if kind == "figures":
        _plan_figures(store, mapped, plan, first_row)
    else:
        _plan_ledger(store, mapped, plan, first_row)
    plan.problems = plan.problems[:_MAX_LISTED]
    return plan


def land_table(store: Store, plan: TablePlan, *, actor: str, at: dt.datetime | None = None) -> int:
    """Write a plan without errors in one transaction; return the number of rows written.

    Parameters
    ----------
    store : Store
        The database to write.
    plan : TablePlan
        A plan from :func:`plan_table` without :attr:`TablePlan.errors`.
    actor : str
        Who imports, recorded with every change and ledger event.
    at : datetime.datetime, optional
        Time of the import; the street's clock (:func:`mapgov.core.clock.now`) when None.

    Returns
    -------
    int
        The number of buildings updated or issues added.

    Raises
    ------
    ValidationError
        If the plan has errors (nothing is written).
    """
    if plan.errors:
        msg = f"{plan.path}: {len(plan.errors)} problem(s); nothing was imported"
        raise ValidationError(
            msg, key="error.import.refused", path=plan.path, count=len(plan.errors)
        )
    stamp = (at or clock.now(store)).replace(microsecond=0).isoformat()  # the street's clock
    if not plan.matched:
        return 0
    if plan.kind == "figures":
        ops = [
            ("update", "building", {"building_id": m["building_id"]}, m["values"])
            for m in plan.matched
        ]
        # refused if a building was edited after the check (named, with who and when)
        store.edit(ops, actor=actor, at=stamp, unchanged=_buildings(plan), seen=plan.seen)  # type: ignore[arg-type]
        return len(ops)
    _refuse_added_meanwhile(store, plan)
    note = f"imported from {Path(plan.path).name}"
    rows = []
    for m in plan.matched:
        issue = m["issue"]
        assert isinstance(issue, dict)
        where = f"{note}, row {m['row']}"
        reported = model.IssueStatus.REPORTED.value
        events = [
            _event(
                actor, model.EventAction.REPORT, issue["reported_at"], None, reported, note=where
            )
        ]
        if m["state"] != reported:
            action = _STATUS_ACTION[model.IssueStatus(str(m["state"]))]
            when = issue["closed_at"] or issue["resolved_at"] or issue["reported_at"]
            events.append(
                _event(
                    actor,
                    action,
                    when,
                    reported,
                    str(m["state"]),
                    note=f"{where}: status as the sheet has it",
                )
            )
        rows.append((issue, events))
    store.insert_issues(rows)
    return len(rows)


def _refuse_added_meanwhile(store: Store, plan: TablePlan) -> None:
    """Refuse a ledger plan whose rows joined the ledger after the check (the same sheet
    imported meanwhile, in another tab or by someone else): they would be there twice."""
    keys = _ledger_keys(store)
    for m in plan.matched:
        issue = m["issue"]
        assert isinstance(issue, dict)
        at = (issue["building_id"], issue["compound_id"], issue["reported_at"], issue["title"])
        if _ledger_key(*at) in keys:
            msg = (
                f"{plan.path}, row {m['row']}: {issue['title']!r} joined the ledger after this "
                "file was checked; nothing was imported, check the file again"
            )
            raise StaleEditError(msg, key="error.import.added", path=plan.path, row=m["row"])


_STATUS_ACTION: Final = {
    model.IssueStatus.ASSIGNED: model.EventAction.ASSIGN,
    model.IssueStatus.IN_PROGRESS: model.EventAction.START,
    model.IssueStatus.RESOLVED: model.EventAction.RESOLVE,
    model.IssueStatus.CALLBACK: model.EventAction.CALLBACK,
    model.IssueStatus.CLOSED: model.EventAction.CLOSE,
}
"""The action that moves an imported issue from reported to the status its row has: the
history's steps, which the wall and the compounds' health read (comments they skip)."""


def _event(
    actor: str,
    action: model.EventAction,
    at: str,
    from_status: str | None,
    to_status: str,
    *,
    note: str,
) -> dict[str, object]:
    return {
        "at": at,
        "actor": actor,
        "action": action.value,
        "from_status": from_status,
        "to_status": to_status,
        "note": note,
    }
