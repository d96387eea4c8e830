"""A compound's health profile (小区体检), month by month: each signal with its own scale, and
one score with the weights of a TOML profile.

The signals (see ``default.toml`` for each one's scale and the reason for its weight):
issues per 100 households, the share of issues due in the month that were late, repeats per
100 households (an issue of the same building and category as one reported within the 90 days
before it), callback satisfaction over three months, life-circle completeness, the branch,
party-group and building-head coverage, the property management and the elderly share.
A signal whose data are missing (no households on record, no issue due, no callback, no life
circle computed, no property row) is NaN: it is left out of the score and lowers the score's
confidence (the known weights' share of all weights), never the score itself.

Everything here reads frames and takes `today` as an input: a month that has not ended is
judged up to `today`, and a month of the past is judged with what was known at its end (no
event after it counts), so that the early warning can be backtested honestly.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, NoReturn

import numpy as np
import pandas as pd

from mapgov.core.errors import ValidationError
from mapgov.core.model import UNRESOLVED, EventAction, PropertyMode
from mapgov.core.toml_files import read_toml
from mapgov.domain.kpi import three_nos_mask

__all__ = [
    "REPEAT_DAYS",
    "SIGNALS",
    "HealthFrames",
    "HealthProfile",
    "Signal",
    "WarningRules",
    "load_profile",
    "month_spans",
    "monthly_signals",
    "score",
]

SIGNALS: Final = (
    "issues_per_100_households",
    "overdue_share",
    "repeats_per_100_households",
    "satisfaction",
    "life_circle",
    "branch",
    "party_group_coverage",
    "building_head_coverage",
    "property",
    "elderly_share",
)
"""The signals of a profile, in the order the page shows them."""

REPEAT_DAYS: Final = 90
"""An issue repeats one of the same building and category reported within this many days."""

_PROPERTY_VALUE: Final = {
    PropertyMode.COMPANY.value: 1.0,
    PropertyMode.OWNERS_COMMITTEE.value: 0.8,
    PropertyMode.SELF_MANAGED.value: 0.7,
    PropertyMode.NONE.value: 0.3,
}
"""The property signal by mode; a three-nos compound is 0 (see default.toml)."""


@dataclass(frozen=True)
class Signal:
    """One signal's place in the score: its weight and the values scoring 100 and 0."""

    key: str
    weight: float
    good: float
    bad: float
    reason: str


@dataclass(frozen=True)
class WarningRules:
    """When a compound is flagged (the ``[warning]`` table of a profile)."""

    history_months: int = 12
    min_history: int = 6
    alpha: float = 0.01
    min_issues: int = 3
    overdue_issues: int = 3
    score_drop: float = 10.0
    score_floor: float = 60.0


@dataclass(frozen=True)
class HealthProfile:
    """The weights, scales and warning rules a street scores its compounds by."""

    name: str
    signals: dict[str, Signal]
    warning: WarningRules


def load_profile(path: Path | str | None = None) -> HealthProfile:
    """The profile in `path` (a TOML file), or the one shipped with mapgov.

    Parameters
    ----------
    path : pathlib.Path or str or None
        A profile of the street's own; None: ``mapgov/domain/health/default.toml``.

    Returns
    -------
    HealthProfile
        Every signal of :data:`SIGNALS` with its weight, scale and reason, and the rules.

    Raises
    ------
    ValidationError
        For a file that is missing or not TOML, or a signal or rule that is missing, unknown,
        negative or not a number; the message names the file and the key.
    """
    where, data = read_toml(path, "mapgov.domain.health", "default.toml", _unusable)
    signals = _signals(where, data.get("signals"))
    rules = _rules(where, data.get("warning", {}))
    return HealthProfile(
        name=str(data.get("name", Path(where).stem)), signals=signals, warning=rules
    )


def _unusable(where: str, unreadable: bool, err: Exception) -> ValidationError:
    """The error for a profile that cannot be read or is not TOML."""
    what = "cannot read the health profile" if unreadable else "not a TOML file"
    msg = f"{where}: {what} ({err})"
    return ValidationError(msg, key="error.health.profile", file=where, detail=str(err))


def _refuse(where: str, key: str, why: str) -> NoReturn:
    msg = f"{where}: {key}: {why}"
    raise ValidationError(msg, key="error.health.profile", file=where, detail=f"{key}: {why}")


def _number(where: str, key: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        _refuse(where, key, "must be a number")
    return float(value)


def _signals(where: str, table: object) -> dict[str, Signal]:
    if not isinstance(table, dict):
        _refuse(where, "signals", "missing")
    unknown = sorted(set(table) - set(SIGNALS))
    if unknown:
        _refuse(where, f"signals.{unknown[0]}", f"not a signal (signals: {', '.join(SIGNALS)})")
    signals = {}
    for key in SIGNALS:
        entry = table.get(key)
        if not isinstance(entry, dict):
            _refuse(where, f"signals.{key}", "missing")
        weight, good, bad = (
            _number(where, f"signals.{key}.{field}", entry.get(field))
            for field in ("weight", "good", "bad")
        )
        if weight < 0:
            _refuse(where, f"signals.{key}.weight", "must not be negative")
        if good == bad:
            _refuse(where, f"signals.{key}", "good and bad must differ")
        signals[key] = Signal(key, weight, good, bad, str(entry.get("reason", "")))
    if sum(s.weight for s in signals.values()) <= 0:
        _refuse(where, "signals", "no signal has a weight")
    return signals


def _rules(where: str, table: object) -> WarningRules:
    if not isinstance(table, dict):
        _refuse(where, "warning", "must be a table")
    kept: dict[str, Any] = {}
    for field, default in vars(WarningRules()).items():
        value = _number(where, f"warning.{field}", table.get(field, default))
        if value < 0:
            _refuse(where, f"warning.{field}", "must not be negative")
        kept[field] = type(default)(value)
    if not 0 < kept["alpha"] < 1:
        _refuse(where, "warning.alpha", "must lie between 0 and 1")
    return WarningRules(**kept)


@dataclass(frozen=True)
class HealthFrames:
    """What a profile is computed from.

    issues: issue_id, compound_id, building_id, category, status, deadline, reported_at,
    resolved_at, closed_at; events: the issues' history but comments (issue_id, at, action,
    to_status, event_id); compounds: compound_id, branch_id; buildings: compound_id,
    households, residents, elderly, party_group_id, building_head; prop: property_management
    rows. `life` is each compound's life-circle completeness (0-1), where it was computed.
    """

    issues: pd.DataFrame
    events: pd.DataFrame
    compounds: pd.DataFrame
    buildings: pd.DataFrame
    prop: pd.DataFrame
    life: pd.Series | None = None


def month_spans(today: dt.date, months: int) -> list[tuple[str, dt.date, dt.date]]:
    """The last `months` months up to `today`'s, oldest first.

    Parameters
    ----------
    today : datetime.date
        The last day judged.
    months : int
        How many months.

    Returns
    -------
    list of (str, datetime.date, datetime.date)
        (``YYYY-MM``, first day, last day judged), the last one ending on `today`.

    Examples
    --------
    >>> [(m, str(a), str(b)) for m, a, b in month_spans(dt.date(2026, 3, 15), 2)]
    [('2026-02', '2026-02-01', '2026-02-28'), ('2026-03', '2026-03-01', '2026-03-15')]
    """
    spans = []
    first = today.replace(day=1)
    for _ in range(months):
        last = min(today, (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1))
        spans.append((first.strftime("%Y-%m"), first, last))
        first = (first - dt.timedelta(days=1)).replace(day=1)
    return spans[::-1]


def _day(series: pd.Series) -> pd.Series:
    return series.fillna("").astype(str).str.slice(0, 10)


def _repeats(issues: pd.DataFrame) -> pd.Series:
    """True for an issue whose building had one of the same category in the 90 days before."""
    has = issues["building_id"].notna()
    frame = issues.loc[has, ["building_id", "category", "reported_at"]].assign(
        at=pd.to_datetime(issues.loc[has, "reported_at"])
    )
    frame = frame.sort_values(["building_id", "category", "at"], kind="stable")
    before = frame.groupby(["building_id", "category"])["at"].shift()
    repeat = (frame["at"] - before) <= pd.Timedelta(days=REPEAT_DAYS)
    return repeat.reindex(issues.index, fill_value=False)


def _static(frames: HealthFrames) -> pd.DataFrame:
    """The signals that do not change by month, by compound_id."""
    ids = frames.compounds["compound_id"]
    b = frames.buildings
    by = b.groupby("compound_id")
    residents = by["residents"].sum().reindex(ids)
    out = pd.DataFrame(index=pd.Index(ids, name="compound_id"))
    out["households"] = by["households"].sum().reindex(ids).fillna(0)
    out["buildings"] = by.size().reindex(ids).fillna(0).astype(int)
    out["no_party_group"] = (
        b[b["party_group_id"].isna()].groupby("compound_id").size().reindex(ids).fillna(0)
    ).astype(int)
    out["branch"] = frames.compounds.set_index("compound_id")["branch_id"].notna().astype(float)
    out["party_group_coverage"] = by["party_group_id"].agg(lambda s: s.notna().mean()).reindex(ids)
    out["building_head_coverage"] = (
        by["building_head"].agg(lambda s: (s.fillna("").astype(str).str.strip() != "").mean())
    ).reindex(ids)
    out["elderly_share"] = by["elderly"].sum().reindex(ids) / residents.replace(0, np.nan)
    prop = frames.prop.set_index("compound_id")
    value = prop["mode"].map(_PROPERTY_VALUE).astype(float)
    if len(prop):
        value = value.where(~three_nos_mask(prop), 0.0)
    out["property"] = value.reindex(ids)
    out["property_mode"] = prop["mode"].reindex(ids)
    life = frames.life if frames.life is not None else pd.Series(dtype=float)
    out["life_circle"] = life.reindex(ids).astype(float)
    return out


def _per_month(mask: pd.Series, day: pd.Series, by: pd.Series, grid: pd.MultiIndex) -> pd.Series:
    """How many rows of `mask` fall in each (compound `by`, month of `day`) of `grid`.

    Parameters
    ----------
    mask : pandas.Series
        Which issues count.
    day : pandas.Series
        Their days (``YYYY-MM-DD``).
    by : pandas.Series
        Their compounds.
    grid : pandas.MultiIndex
        (compound_id, month) pairs to count for.

    Returns
    -------
    pandas.Series
        The counts on `grid`, 0 where none.
    """
    counts = mask.groupby([by, day.str.slice(0, 7)]).sum()
    return counts.reindex(grid, fill_value=0)


def _overdue(
    issues: pd.DataFrame,
    ev: pd.DataFrame,
    spans: list[tuple[str, dt.date, dt.date]],
    grid: pd.MultiIndex,
) -> tuple[pd.Series, pd.Series]:
    """Unresolved issues past their deadline at each month's end, and the month of the oldest
    such deadline, on `grid` (compound_id, month). `ev`: the history in order, with ``day``."""
    ids = grid.levels[0]
    steps = ev[ev["to_status"].notna() & (ev["day"] != "")]
    unresolved = {s.value for s in UNRESOLVED}
    compound_of = issues.set_index("issue_id")["compound_id"]
    deadline_of = pd.Series(_day(issues["deadline"]).to_numpy(), index=issues["issue_id"])
    # issues without a history are judged by their dates (kpi.status_on does the same)
    bare = issues[~issues["issue_id"].isin(steps["issue_id"])]
    bare_days = {c: _day(bare[c]) for c in ("reported_at", "resolved_at", "closed_at")}
    counts, oldest = [], []
    for month, _first, last in spans:
        b = last.isoformat()
        now = steps[steps["day"] <= b].drop_duplicates("issue_id", keep="last")
        status = now.set_index("issue_id")["to_status"]
        bare_open = (
            (bare_days["reported_at"] <= b)
            & ~((bare_days["resolved_at"] != "") & (bare_days["resolved_at"] <= b))
            & ~((bare_days["closed_at"] != "") & (bare_days["closed_at"] <= b))
        )
        open_ids = [*status[status.isin(unresolved)].index, *bare.loc[bare_open, "issue_id"]]
        due_by = deadline_of.reindex(open_ids)
        late_ids = due_by[(due_by != "") & (due_by < b)]
        cids = compound_of.reindex(late_ids.index)
        counts.append(cids.value_counts().reindex(ids, fill_value=0).rename(month))
        since = late_ids.groupby(cids.to_numpy()).min().str.slice(0, 7)
        oldest.append(since.reindex(ids).rename(month))
    return (
        pd.concat(counts, axis=1).stack().reindex(grid, fill_value=0),
        pd.concat(oldest, axis=1).stack(future_stack=True).reindex(grid),
    )


def _callbacks(
    ev: pd.DataFrame, compound_of: pd.Series, today: dt.date, months: int, grid: pd.MultiIndex
) -> tuple[pd.Series, pd.Series]:
    """Callbacks and reopenings of each month and the two before it, on `grid`."""
    ids = grid.levels[0]
    ev_month = ev["day"].str.slice(0, 7)
    ev_compound = ev["issue_id"].map(compound_of)
    back = [m for m, _, _ in month_spans(today, months + 2)]
    wide = pd.MultiIndex.from_product([ids, back], names=["compound_id", "month"])
    out = []
    for action in (EventAction.CALLBACK, EventAction.REOPEN):
        hit = (ev["action"] == action.value) & (ev["day"] <= today.isoformat())
        monthly = hit.groupby([ev_compound, ev_month]).sum().reindex(wide, fill_value=0)
        rolled = monthly.groupby(level="compound_id").transform(
            lambda x: x.rolling(3, min_periods=1).sum()
        )
        out.append(rolled.reindex(grid))
    return out[0], out[1]


def monthly_signals(frames: HealthFrames, today: dt.date, months: int = 12) -> pd.DataFrame:
    """Every compound's signals for each of the last `months` months up to `today`.

    Parameters
    ----------
    frames : HealthFrames
        The street's issues, history, compounds, buildings and property management.
    today : datetime.date
        The last day judged: the last month runs to it.
    months : int
        How many months, the last one `today`'s.

    Returns
    -------
    pandas.DataFrame
        One row per compound and month (``compound_id``, ``month``), with the signals of
        :data:`SIGNALS` (NaN where unknown) and the counts behind them: ``households``,
        ``issues``, ``due``, ``late``, ``repeats``, ``callbacks``, ``overdue_open`` (unresolved
        past their deadline at the month's end), ``overdue_since`` (the month of the oldest
        such deadline), ``buildings``, ``no_party_group``, ``property_mode`` and ``ledger``
        (False for a month before the street's first issue: its issue signals are unknown).
    """
    static = _static(frames)
    ids = static.index
    spans = month_spans(today, months)
    names = [m for m, _, _ in spans]
    end = today.isoformat()
    issues = frames.issues[frames.issues["compound_id"].isin(ids)].copy()
    issues["repeat"] = _repeats(issues) if len(issues) else pd.Series(dtype=bool)
    reported = _day(issues["reported_at"])
    deadline = _day(issues["deadline"])
    done = _day(issues["resolved_at"]).where(
        issues["resolved_at"].notna(), _day(issues["closed_at"])
    )
    by = issues["compound_id"]
    grid = pd.MultiIndex.from_product([ids, names], names=["compound_id", "month"])

    known = (reported != "") & (reported <= end)
    due = (deadline != "") & (deadline <= end)
    # late: not resolved by the deadline (judged once the deadline has passed)
    late = due & ((done == "") | (done > deadline))
    out = pd.DataFrame(
        {
            "issues": _per_month(known, reported, by, grid),
            "due": _per_month(due, deadline, by, grid),
            "late": _per_month(late, deadline, by, grid),
            "repeats": _per_month(known & issues["repeat"], reported, by, grid),
        }
    )
    ev = frames.events
    ev = ev[ev["issue_id"].isin(issues["issue_id"])]
    order = ["at", "event_id"] if "event_id" in ev else ["at"]
    ev = ev.assign(day=_day(ev["at"])).sort_values(order, kind="stable")
    compound_of = issues.set_index("issue_id")["compound_id"]
    out["overdue_open"], out["overdue_since"] = _overdue(issues, ev, spans, grid)
    out["callbacks"], out["reopens"] = _callbacks(ev, compound_of, today, months, grid)
    out = out.reset_index()
    out = out.merge(static, left_on="compound_id", right_index=True)
    # months before the street's ledger starts (an imported ledger, a new street) are not
    # months without issues: their issue signals are unknown
    first = reported[reported != ""].min() if (reported != "").any() else None
    out["ledger"] = out["month"] >= first[:7] if first else False
    households = out["households"].where((out["households"] > 0) & out["ledger"])
    out["issues_per_100_households"] = out["issues"] / households * 100
    out["repeats_per_100_households"] = out["repeats"] / households * 100
    out["overdue_share"] = out["late"] / out["due"].where((out["due"] > 0) & out["ledger"])
    cb = out["callbacks"].where(out["callbacks"] > 0)
    out["satisfaction"] = ((out["callbacks"] - out["reopens"]) / cb).clip(lower=0)
    counts = ["issues", "due", "late", "repeats", "overdue_open", "callbacks", "reopens"]
    out[counts] = out[counts].astype(int)
    return out.sort_values(["compound_id", "month"]).reset_index(drop=True)


def score(signals: pd.DataFrame, profile: HealthProfile) -> pd.DataFrame:
    """Each row's score (0-100) and confidence (0-1), with each signal's points.

    A signal scores 100 at its ``good`` value or better, 0 at ``bad`` or worse, on a straight
    line between. The score is the weighted mean of the known signals of positive weight;
    confidence is their weights' share of all positive weights.

    Parameters
    ----------
    signals : pandas.DataFrame
        Rows with the columns of :data:`SIGNALS` (NaN: unknown).
    profile : HealthProfile
        The weights and scales.

    Returns
    -------
    pandas.DataFrame
        `signals` with ``points_<signal>`` for each signal, ``score`` (NaN when nothing of
        weight is known) and ``confidence``.

    Examples
    --------
    >>> p = load_profile()
    >>> row = pd.DataFrame([{k: np.nan for k in SIGNALS} | {"branch": 1.0, "property": 0.3}])
    >>> out = score(row, p)
    >>> round(float(out["score"][0]), 1), round(float(out["confidence"][0]), 2)
    (65.0, 0.2)
    """
    out = signals.copy()
    total = np.zeros(len(out))
    known = np.zeros(len(out))
    weights = sum(s.weight for s in profile.signals.values() if s.weight > 0)
    for key, sig in profile.signals.items():
        value = out[key].astype(float)
        points = ((sig.bad - value) / (sig.bad - sig.good)).clip(0, 1) * 100
        out[f"points_{key}"] = points
        if sig.weight > 0:
            has = points.notna().to_numpy()
            total += np.where(has, points.fillna(0).to_numpy() * sig.weight, 0)
            known += np.where(has, sig.weight, 0)
    out["score"] = np.where(known > 0, total / np.where(known > 0, known, 1), np.nan)
    out["confidence"] = known / weights
    return out
