"""The street's clock: the one place in mapgov that reads the system clock.

A street keeps the calendar of Asia/Shanghai. A real (imported) street runs on the real clock.
A demo street (``meta.generator`` is :data:`DEMO_GENERATOR`) runs on its own calendar: its
ledgers were drawn up to :data:`DEMO_HOUR` o'clock on its ``as_of`` day, so its "now" stays
there, one second after the latest recorded step once people work on it (the events of an issue
stay in order). However late the demo is opened, its months stay whole, and every step recorded
on it lands in the month that the pages and the wall screen report on. (The real time of day is
not used: before 18:00 it would date a step before the generated steps of that afternoon.)

Logic takes `today` and `now` as arguments. The pages and the CLI obtain them here, once per
run: :func:`today` and :func:`now` for a store, :func:`system_now` for the real time of day
(a backup's file name, the wall screen's "refreshed at"). The write functions of the ledgers
stamp their steps with :func:`now` of their store unless they are given a time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING, Final
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from mapgov.store import Store

__all__ = [
    "DEMO_GENERATOR",
    "DEMO_HOUR",
    "TZ",
    "last_step",
    "now",
    "pinned_day",
    "street_now",
    "system_now",
    "today",
]

TZ: Final = ZoneInfo("Asia/Shanghai")
"""The street's time zone."""
DEMO_GENERATOR: Final = "mapgov demo"
"""``meta.generator`` of a database built by :func:`mapgov.demo.build_demo`."""
DEMO_HOUR: Final = 18
"""The hour of the ``as_of`` day at which the demo's generated ledgers end (its "now")."""
# where steps are recorded, each with the id column that orders them
_STEP_TABLES: Final = (
    ("issue_event", "event_id"),
    ("co_event", "event_id"),
    ("change_log", "change_id"),
)


def system_now() -> dt.datetime:
    """The real time in the street's time zone (Asia/Shanghai), to the second, without tzinfo.

    The only function of mapgov that reads the system clock.
    """
    return dt.datetime.now(TZ).replace(tzinfo=None, microsecond=0)


def pinned_day(meta: Mapping[str, str]) -> dt.date | None:
    """The day a demo street's calendar is pinned to (its ``as_of``); None for a real street.

    Examples
    --------
    >>> pinned_day({"generator": "mapgov demo", "as_of": "2026-11-15"})
    datetime.date(2026, 11, 15)
    >>> pinned_day({"generator": "mapgov import osm", "as_of": "2026-11-15"}) is None
    True
    >>> pinned_day({"generator": "mapgov demo", "as_of": "soon"}) is None  # unreadable: real
    True
    """
    if meta.get("generator") != DEMO_GENERATOR:
        return None
    try:
        return dt.date.fromisoformat(str(meta.get("as_of", ""))[:10])
    except ValueError:
        return None


def street_now(
    meta: Mapping[str, str], real: dt.datetime, last: dt.datetime | None = None
) -> dt.datetime:
    """The street's now, given the real now and the time of its latest recorded step.

    Parameters
    ----------
    meta
        The store's ``meta`` table (:meth:`Store.meta`).
    real
        The real now in the street's time zone (:func:`system_now`), without tzinfo.
    last
        When the latest step of the ledgers was recorded (:func:`last_step`), if any.

    Returns
    -------
    datetime.datetime
        `real` (to the second) for a real street. For a demo street: :data:`DEMO_HOUR` o'clock
        on its pinned day (:func:`pinned_day`), or one second after `last` if that is later.

    Examples
    --------
    >>> demo = {"generator": "mapgov demo", "as_of": "2026-11-15"}
    >>> street_now(demo, dt.datetime(2027, 3, 1, 9, 30))
    datetime.datetime(2026, 11, 15, 18, 0)
    >>> street_now(demo, dt.datetime(2027, 3, 1, 9, 30), last=dt.datetime(2026, 11, 15, 18, 0))
    datetime.datetime(2026, 11, 15, 18, 0, 1)
    >>> street_now({}, dt.datetime(2027, 3, 1, 9, 30), last=dt.datetime(2026, 11, 15, 18, 0))
    datetime.datetime(2027, 3, 1, 9, 30)
    """
    day = pinned_day(meta)
    if day is None:
        return real.replace(microsecond=0)
    pinned = dt.datetime.combine(day, dt.time(DEMO_HOUR))
    if last is not None and pinned <= last:
        return last.replace(microsecond=0) + dt.timedelta(seconds=1)
    return pinned


def last_step(store: Store) -> dt.datetime | None:
    """When the step recorded last (issue ledger, co-building history, change log) was taken.

    Steps are appended as they happen, so the last one is the one with the highest event id:
    an index look-up, where ``MAX(at)`` would read every event (3.2 million at scale 100).
    """
    times = []
    for table, order in _STEP_TABLES:
        last = store.query(f"SELECT at FROM {table} ORDER BY {order} DESC LIMIT 1")
        value = last["at"].iloc[0] if len(last) else None
        if isinstance(value, str) and value:
            times.append(dt.datetime.fromisoformat(value).replace(tzinfo=None))
    return max(times) if times else None


def now(store: Store) -> dt.datetime:
    """The store's street's now (:func:`street_now`), to the second."""
    meta = store.meta()
    if pinned_day(meta) is None:
        return system_now()  # a real street: no look-up of the last step
    return street_now(meta, system_now(), last_step(store))


def today(store: Store) -> dt.date:
    """The store's street's calendar day: what is "today" and "this month" on its pages."""
    return now(store).date()
