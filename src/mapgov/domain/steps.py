"""What the form of a workflow step hands the domain, the same for every record.

Every step of an issue, a co-building project or need, or a micro-wish is taken from a form
the user saw: it carries the record's ``version`` as that form showed it (the store refuses
the step if someone saved first), and the step's time ``at`` (the street's now when None).
Most steps take a free ``note``; a cancellation takes its ``reason`` instead. A step function
takes them as keywords, ``**step: Unpack[Step]``, and reads them with :func:`step_fields`.
"""

from __future__ import annotations

import datetime as dt
from typing import NotRequired, Required, TypedDict

__all__ = ["Cancel", "Step", "cancel_fields", "step_fields"]


class Step(TypedDict, total=False):
    """The keywords of a step with a note."""

    version: Required[int]
    note: NotRequired[str]
    at: NotRequired[dt.datetime | None]


class Cancel(TypedDict, total=False):
    """The keywords of a cancellation, which must say why."""

    version: Required[int]
    reason: Required[str]
    at: NotRequired[dt.datetime | None]


def step_fields(step: Step) -> tuple[int, str, dt.datetime | None]:
    """(version, note, at) of `step`, with the defaults: no note, the street's now.

    Parameters
    ----------
    step : Step
        The keywords a step function received.

    Returns
    -------
    tuple of (int, str, datetime.datetime or None)
        The form's version, the note ("" if none) and the time (None: now).
    """
    return step["version"], step.get("note", ""), step.get("at")


def cancel_fields(cancel: Cancel) -> tuple[int, str, dt.datetime | None]:
    """(version, reason, at) of `cancel`.

    Parameters
    ----------
    cancel : Cancel
        The keywords a cancellation received.

    Returns
    -------
    tuple of (int, str, datetime.datetime or None)
        The form's version, the reason and the time (None: now).
    """
    return cancel["version"], cancel["reason"], cancel.get("at")
