"""Vectorised run and range helpers shared by the walking network and its snapping index."""

from __future__ import annotations

import numpy as np

__all__ = ["ranges", "run_starts"]


def run_starts(ordered: np.ndarray) -> np.ndarray:
    """Where each run of equal values of a sorted array begins (a boolean mask).

    Parameters
    ----------
    ordered : numpy.ndarray
        A one-dimensional array whose equal values are adjacent (sorted).

    Returns
    -------
    numpy.ndarray
        A boolean mask of the same length: ``True`` where a run begins.

    Examples
    --------
    >>> run_starts(np.array([3, 3, 5, 7, 7])).tolist()
    [True, False, True, True, False]
    """
    return np.concatenate([np.ones(min(len(ordered), 1), dtype=bool), ordered[1:] != ordered[:-1]])


def ranges(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """``np.concatenate([np.arange(s, s + c) for s, c in zip(starts, counts)])``, vectorised.

    Parameters
    ----------
    starts : numpy.ndarray
        The first value of each range (integers).
    counts : numpy.ndarray
        The length of each range (non-negative integers, as many as `starts`).

    Returns
    -------
    numpy.ndarray
        The ranges one after the other (``int64``), ``counts.sum()`` values.

    Examples
    --------
    >>> ranges(np.array([10, 0, 5]), np.array([2, 0, 3])).tolist()
    [10, 11, 5, 6, 7]
    """
    counts = np.asarray(counts, dtype=np.int64)
    ends = np.cumsum(counts)
    return np.arange(ends[-1] if len(ends) else 0) + np.repeat(starts - (ends - counts), counts)
