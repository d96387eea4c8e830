"""A backend's faults raised as the :class:`StoreError` that says what they mean.

Each backend knows its own faults (:func:`mapgov.store.sqlite.fault_of`,
:func:`mapgov.store.postgres.server_fault`); :func:`translate_faults` is the one way every
store module applies them around its work.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import TypeVar

from mapgov.core.errors import StoreError

__all__ = ["translate_faults"]

_E = TypeVar("_E", bound=BaseException)


@contextlib.contextmanager
def translate_faults(
    errors: type[_E], meaning: Callable[[_E], StoreError | None]
) -> Iterator[None]:
    """Raise an error of type `errors` met inside the block as what `meaning` makes of it.

    Parameters
    ----------
    errors : type
        The backend's error class whose faults `meaning` knows.
    meaning : callable
        The :class:`StoreError` an error of `errors` means, or None for an error that is
        mapgov's own (such as a bad query): that one, like any other error, goes on as it is.

    Yields
    ------
    None
        The block runs; a :class:`StoreError` it leads to is raised from the error.
    """
    try:
        yield
    except errors as err:
        fault = meaning(err)
        if fault is None:
            raise
        raise fault from err
