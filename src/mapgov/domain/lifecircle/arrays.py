"""Vectorised run and range helpers shared by the walking network and its snapping index."""

from __future__ import annotations

import numpy as np

__all__ = ["ranges", "run_starts"]


def run_starts(ordered: np.ndarray) -> np.ndarray:
    """Where each run of equal values of a sorted array begins (a boolean mask).

    Examples
    --------
    >>> run_starts(np.array([3, 3, 5, 7, 7])).tolist()
    [True, False, True, True, False]
    """
    return np.concatenate([np.ones(min(len(ordered), 1), dtype=bool), ordered[1:] != ordered[:-1]])


def ranges(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """``np.concatenate([np.arange(s, s + c) for s, c in zip(starts, counts)])``, vectorised.

    Examples
    --------
    >>> ranges(np.array([10, 0, 5]), np.array([2, 0, 3])).tolist()
    [10, 11, 5, 6, 7]
    """
    counts = np.asarray(counts, dtype=np.int64)
    ends = np.cumsum(counts)
    return np.arange(ends[-1] if len(ends) else 0) + np.repeat(starts - (ends - counts), counts)
