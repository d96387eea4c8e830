"""What the four-step deliberation reads: matters, their rounds and history, and figures.

The figures are pure functions over :class:`DelibFrames` (:func:`load` reads them), so that a
hand-made set of matters can be counted by hand in the tests:

- per community (:func:`community_figures`): matters, settled, withdrawn, open; the average
  days each step took, from the history (``proposed -> decided``: from the question, or from
  the unsatisfied rating that reopened it, to the round's decision; ``decided -> answered``;
  ``answered -> rated``); the share of ratings that were satisfied or basically satisfied;
  and the answers overdue (``decided`` and ``answer_due`` before today);
- the list of matters by step with an overdue flag (:func:`matter_list`);
- a compound's recent matters (:func:`recent_matters`), for its governance card.

The steps themselves are in :mod:`.workflow` and :mod:`.meeting`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import pandas as pd

from mapgov.core.model import MatterAction, MatterStatus
from mapgov.core.privacy import mask_frame
from mapgov.domain.locating import street_compounds
from mapgov.store import Store

__all__ = [
    "STEP_SPANS",
    "DelibFrames",
    "community_figures",
    "history",
    "linked_issues",
    "load",
    "matter_list",
    "recent_matters",
    "rounds",
    "step_days",
]

STEP_SPANS: Final = ("proposed", "decided", "answered")
"""The states whose time until the next step :func:`step_days` measures."""
_MATTER_COLUMNS: Final = [
    "matter_id",
    "compound_id",
    "title",
    "status",
    "round_no",
    "proposed_at",
    "proposed_by",
    "decided_at",
    "answer_unit",
    "answer_due",
    "answered_at",
    "rating",
    "rated_at",
    "closed_at",
    "version",
]


@dataclass(frozen=True)
class DelibFrames:
    """The matters of a place and their history.

    matters: the ``deliberation`` columns of :data:`_MATTER_COLUMNS` plus ``compound_name`` and
    ``community_id``. events: ``deliberation_event`` rows of those matters (event_id, matter_id,
    at, actor, action, from_status, to_status, note), oldest first.
    """

    matters: pd.DataFrame
    events: pd.DataFrame

    def only(self, matter_ids: list[str]) -> DelibFrames:
        """These frames kept to `matter_ids`.

        Parameters
        ----------
        matter_ids : list of str
            The matters to keep.

        Returns
        -------
        DelibFrames
            The matters and their events.
        """
        return DelibFrames(
            matters=self.matters[self.matters["matter_id"].isin(matter_ids)],
            events=self.events[self.events["matter_id"].isin(matter_ids)],
        )


def load(
    store: Store, *, street_id: str | None = None, community_id: str | None = None
) -> DelibFrames:
    """The matters of a street (or one community; every street without either) and their
    history.

    Parameters
    ----------
    store : Store
        The database to read.
    street_id : str or None
        Keep this street's matters.
    community_id : str or None
        Keep this community's matters.

    Returns
    -------
    DelibFrames
        Matters (newest question first) and their events.
    """
    comp = street_compounds(
        store, ["compound_id", "grid_id", "name"], street_id=street_id, community_id=community_id
    )
    matters = store.read(
        "deliberation", where={"compound_id": list(comp["compound_id"])}, columns=_MATTER_COLUMNS
    )
    places = comp[["compound_id", "name", "community_id"]].rename(columns={"name": "compound_name"})
    matters = matters.merge(places, on="compound_id", how="left")
    matters = matters.sort_values(["proposed_at", "matter_id"], ascending=False)
    events = store.read(
        "deliberation_event", where={"matter_id": list(matters["matter_id"])}, order_by="event_id"
    )
    return DelibFrames(matters=matters.reset_index(drop=True), events=events)


def step_days(events: pd.DataFrame) -> pd.DataFrame:
    """How long each step took, from the history: one row per step taken.

    A matter enters ``proposed`` when the question is set or an unsatisfied rating reopens
    it, ``decided`` at a round's decision, ``answered`` at the answer; the span ends at the
    next change of state (a withdrawal ends a span too, but is not counted: the step was not
    taken).

    Parameters
    ----------
    events : pandas.DataFrame
        ``deliberation_event`` rows (matter_id, at, action, from_status, to_status), in order.

    Returns
    -------
    pandas.DataFrame
        [matter_id, step (the state left), days (float)].
    """
    rows: list[tuple[str, str, float]] = []
    entered: dict[str, tuple[str, pd.Timestamp]] = {}
    for e in events.itertuples(index=False):
        if e.from_status == e.to_status:  # a linked issue: no step
            continue
        at = pd.Timestamp(e.at)
        before = entered.get(e.matter_id)
        counted = e.action != MatterAction.WITHDRAW.value
        if before is not None and before[0] in STEP_SPANS and counted:
            rows.append((e.matter_id, before[0], (at - before[1]).total_seconds() / 86400))
        entered[e.matter_id] = (str(e.to_status), at)
    return pd.DataFrame(rows, columns=["matter_id", "step", "days"])


def _overdue(matters: pd.DataFrame, today: dt.date) -> pd.Series:
    due = matters["answer_due"].fillna("9999-12-31").astype(str)
    return (matters["status"] == MatterStatus.DECIDED.value) & (due < today.isoformat())


def community_figures(frames: DelibFrames, today: dt.date) -> pd.DataFrame:
    """The deliberation figures of each community, and of all together (``"ALL"``, last).

    Parameters
    ----------
    frames : DelibFrames
        The matters and events to count (:func:`load`).
    today : datetime.date
        The day an answer past its due day is overdue.

    Returns
    -------
    pandas.DataFrame
        [community_id, matters, settled, withdrawn, open, days_proposed, days_decided,
        days_answered (average days in that state before the next step; NaN when none was
        taken), ratings, satisfied_share (satisfied or basically satisfied among the ratings
        given; NaN without any), overdue].
    """
    m = frames.matters.assign(overdue=_overdue(frames.matters, today))
    community = dict(zip(m["matter_id"], m["community_id"], strict=True))
    spans = step_days(frames.events)
    spans["community_id"] = spans["matter_id"].map(community)
    rated = frames.events[frames.events["action"] == MatterAction.RATE.value]
    rated = rated.assign(
        community_id=rated["matter_id"].map(community),
        satisfied=rated["to_status"] == MatterStatus.SETTLED.value,  # the answer was accepted
    )
    groups = [*sorted(m["community_id"].dropna().unique()), "ALL"]
    rows = []
    for cid in groups:
        pick = m if cid == "ALL" else m[m["community_id"] == cid]
        span = spans if cid == "ALL" else spans[spans["community_id"] == cid]
        rate = rated if cid == "ALL" else rated[rated["community_id"] == cid]
        status = pick["status"]
        closed = (MatterStatus.SETTLED.value, MatterStatus.WITHDRAWN.value)
        row: dict[str, Any] = {
            "community_id": cid,
            "matters": len(pick),
            "settled": int((status == MatterStatus.SETTLED.value).sum()),
            "withdrawn": int((status == MatterStatus.WITHDRAWN.value).sum()),
            "open": int((~status.isin(closed)).sum()),
        }
        for step in STEP_SPANS:
            days = span.loc[span["step"] == step, "days"]
            row[f"days_{step}"] = float(days.mean()) if len(days) else np.nan
        row["ratings"] = len(rate)
        row["satisfied_share"] = float(rate["satisfied"].mean()) if len(rate) else np.nan
        row["overdue"] = int(pick["overdue"].sum())
        rows.append(row)
    return pd.DataFrame(rows)


def matter_list(frames: DelibFrames, today: dt.date, *, status: str | None = None) -> pd.DataFrame:
    """The matters, newest question first, with whether their answer is overdue.

    Parameters
    ----------
    frames : DelibFrames
        The matters (:func:`load`).
    today : datetime.date
        The day an answer past its due day is overdue.
    status : str or None
        Keep the matters in this :class:`~mapgov.core.model.MatterStatus` (all for None).

    Returns
    -------
    pandas.DataFrame
        The matters' columns plus ``overdue`` (bool) and ``days_overdue`` (0 when not).
    """
    m = frames.matters
    if status is not None:
        m = m[m["status"] == MatterStatus(status).value]
    overdue = _overdue(m, today)
    due = pd.to_datetime(m["answer_due"], errors="coerce")
    late = (pd.Timestamp(today) - due).dt.days.where(overdue, 0).fillna(0).astype(int)
    return m.assign(overdue=overdue, days_overdue=late).reset_index(drop=True)


def rounds(
    store: Store, matter_id: str, *, reveal: bool, events: pd.DataFrame | None = None
) -> pd.DataFrame:
    """A matter's rounds of deliberation, first first, with the party members who attended.

    Parameters
    ----------
    store : Store
        The database to read.
    matter_id : str
        The matter.
    reveal : bool
        Show members' names in full (the user sees the community's personal data); otherwise
        masked like a resident's.
    events : pandas.DataFrame or None
        The matter's :func:`history`, where the caller has read it already (a page that shows
        it too); read here otherwise.

    Returns
    -------
    pandas.DataFrame
        The ``deliberation_round`` columns plus ``members`` (list of names), and the round's
        ``answer`` and residents' ``rating`` (the rate step's note: ``unsatisfied: 没落实``),
        None until given: the matter itself keeps only the present round's answer, and an
        unsatisfied rating starts the next round without it.
    """
    found = store.read("deliberation_round", where={"matter_id": matter_id}, order_by="round_no")
    who = store.read("deliberation_attendee", where={"matter_id": matter_id})
    names = store.read(
        "party_member", where={"member_id": list(who["member_id"])}, columns=["member_id", "name"]
    )
    if not reveal:
        names = mask_frame(names, "party_member")
    name_of = dict(zip(names["member_id"], names["name"], strict=True))
    per_round = {
        int(n): [str(name_of.get(m, m)) for m in group["member_id"]]
        for n, group in who.groupby("round_no")
    }
    steps = history(store, matter_id) if events is None else events
    # a round is answered once and rated once, in order: the n-th answer is round n's
    answers = dict(enumerate(steps.loc[steps["action"] == MatterAction.ANSWER.value, "note"], 1))
    ratings = dict(enumerate(steps.loc[steps["action"] == MatterAction.RATE.value, "note"], 1))
    return found.assign(
        members=[per_round.get(int(n), []) for n in found["round_no"]],
        answer=[answers.get(int(n)) for n in found["round_no"]],
        rating=[ratings.get(int(n)) for n in found["round_no"]],
    )


def history(store: Store, matter_id: str) -> pd.DataFrame:
    """Every step of a matter, oldest first.

    Parameters
    ----------
    store : Store
        The database to read.
    matter_id : str
        The matter.

    Returns
    -------
    pandas.DataFrame
        [event_id, at, actor, action, from_status, to_status, note].
    """
    return store.read(
        "deliberation_event",
        where={"matter_id": matter_id},
        columns=["event_id", "at", "actor", "action", "from_status", "to_status", "note"],
        order_by="event_id",
    )


def linked_issues(store: Store, matter_id: str, *, reveal: bool = False) -> pd.DataFrame:
    """The issues a matter settles.

    Parameters
    ----------
    store : Store
        The database to read.
    matter_id : str
        The matter.
    reveal : bool
        Show phone numbers in the titles in full (the community's own staff, who call the
        residents back); masked by default, as everyone else reads a matter.

    Returns
    -------
    pandas.DataFrame
        [issue_id, title, category, status], by number.
    """
    links = store.read("deliberation_issue", where={"matter_id": matter_id})
    linked = store.read(
        "issue",
        where={"issue_id": [int(i) for i in links["issue_id"]]},
        columns=["issue_id", "title", "category", "status"],
    )
    return linked if reveal else mask_frame(linked, "issue")


def recent_matters(store: Store, compound_id: str, *, limit: int = 3) -> list[dict[str, Any]]:
    """A compound's latest matters, for its governance card.

    Parameters
    ----------
    store : Store
        The database to read.
    compound_id : str
        The compound.
    limit : int
        How many at most.

    Returns
    -------
    list of dict
        matter_id, title, status and ``date`` (the day of its last step), latest first.
    """
    found = store.query(
        "SELECT d.matter_id, d.title, d.status, MAX(e.at) AS last_at "
        "FROM deliberation d JOIN deliberation_event e ON e.matter_id = d.matter_id "
        "WHERE d.compound_id = ? GROUP BY d.matter_id, d.title, d.status "
        "ORDER BY last_at DESC, d.matter_id DESC",
        [compound_id],
    ).head(limit)
    return [
        {
            "matter_id": str(r.matter_id),
            "title": str(r.title),
            "status": str(r.status),
            "date": str(r.last_at)[:10],
        }
        for r in found.itertuples(index=False)
    ]
