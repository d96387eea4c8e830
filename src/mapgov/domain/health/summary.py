"""The wall screen's share of compound health: flagged compounds this month, against last
month, and the compounds flagged this month that were not last month (new flags)."""

from __future__ import annotations

from collections.abc import Collection

from mapgov.domain.health.report import HealthReport
from mapgov.domain.kpi import Figure

__all__ = ["FLAGGED_KEY", "flagged_figure", "flagged_ids", "new_flags"]

FLAGGED_KEY = "flagged_compounds"
"""The key of the wall tile "预警小区"."""


def flagged_ids(report: HealthReport, compound_ids: Collection[str] | None = None) -> set[str]:
    """The compounds flagged in the report's month (of `compound_ids`, when given).

    Parameters
    ----------
    report : HealthReport
        One month's health.
    compound_ids : collection of str or None
        Keep these compounds only (a community's); None: all.

    Returns
    -------
    set of str
        Their ids.
    """
    found = {f.compound_id for f in report.flags}
    return found if compound_ids is None else found & set(compound_ids)


def flagged_figure(
    now: HealthReport, before: HealthReport | None, compound_ids: Collection[str] | None = None
) -> Figure:
    """The tile's figure: compounds flagged this month, last month's as the previous value
    (fewer is better).

    Parameters
    ----------
    now : HealthReport
        This month's health (to date).
    before : HealthReport or None
        Last month's, judged at its end; None: nothing to compare.
    compound_ids : collection of str or None
        The compounds on screen; None: all.

    Returns
    -------
    Figure
        Key :data:`FLAGGED_KEY`, a count.
    """
    previous = None if before is None else float(len(flagged_ids(before, compound_ids)))
    return Figure(
        FLAGGED_KEY,
        float(len(flagged_ids(now, compound_ids))),
        previous,
        "count",
        better="down",
    )


def new_flags(
    now: HealthReport, before: HealthReport, compound_ids: Collection[str] | None = None
) -> list[str]:
    """The compounds flagged this month that were not flagged last month, in id order.

    Parameters
    ----------
    now : HealthReport
        This month's health.
    before : HealthReport
        Last month's.
    compound_ids : collection of str or None
        The compounds on screen; None: all.

    Returns
    -------
    list of str
        Their ids.
    """
    return sorted(flagged_ids(now, compound_ids) - flagged_ids(before, compound_ids))
