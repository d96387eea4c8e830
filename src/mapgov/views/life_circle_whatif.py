"""The life-circle page's "what if" scenario in the address: candidate sites and closed facilities.

A link carries ``wi_add`` (candidate sites, ``lon,lat`` pairs joined by ``;``, in degrees to
1e-7) and ``wi_close`` (facility ids joined by ``,``, each percent-encoded so that an id with a
comma survives). A link is read leniently, like the page's other settings
(:func:`mapgov.views.life_circle.state_from_query`): an unusable pair or an empty id is left
out, and only the first :data:`~mapgov.domain.lifecircle.whatif.MAX_CANDIDATES` sites and
:data:`MAX_CLOSED` ids are kept, so a hand-edited or stale link opens the page, never an error.
Whether a closed id is a facility of the kind is checked by
:func:`mapgov.domain.lifecircle.whatif.what_if`, which names it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final
from urllib.parse import quote, unquote

from mapgov.domain.lifecircle.whatif import MAX_CANDIDATES

__all__ = ["MAX_CLOSED", "WHATIF_KEYS", "Scenario", "scenario_from_query", "scenario_query"]

MAX_CLOSED: Final = 20
"""Most facilities a link closes at once."""
WHATIF_KEYS: Final = ("wi_add", "wi_close")
"""Query parameters of the scenario."""


@dataclass(frozen=True)
class Scenario:
    """Candidate sites as (lon, lat) in WGS 84 and ids of facilities to close. Hashable."""

    add: tuple[tuple[float, float], ...] = ()
    close: tuple[str, ...] = ()

    def with_site(self, lon: float, lat: float) -> Scenario:
        """This scenario with one more site (rounded to 1e-7 degrees, about 1 cm).

        Parameters
        ----------
        lon, lat
            The site in degrees.

        Returns
        -------
        Scenario
            A new scenario; the caller refuses a sixth site (``what_if`` says so).
        """
        return Scenario((*self.add, (round(lon, 7), round(lat, 7))), self.close)

    def without_site(self, number: int) -> Scenario:
        """This scenario without candidate `number` (1 for the first); the others keep
        their order (and so are numbered again from 1).

        Parameters
        ----------
        number
            The candidate's number.

        Returns
        -------
        Scenario
            A new scenario (the same one if there is no such candidate).
        """
        return Scenario(
            tuple(p for i, p in enumerate(self.add, start=1) if i != number), self.close
        )


def _site(text: str) -> tuple[float, float] | None:
    lon_text, sep, lat_text = text.partition(",")
    try:
        lon, lat = float(lon_text), float(lat_text)
    except ValueError:
        return None
    if not sep or not (math.isfinite(lon) and math.isfinite(lat)):
        return None
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        return None
    return round(lon, 7), round(lat, 7)


def scenario_from_query(query: Mapping[str, str]) -> Scenario:
    """The scenario a link names (leniently: see the module's text).

    Parameters
    ----------
    query
        The page's query parameters.

    Returns
    -------
    Scenario
        Empty when the link names none.

    Examples
    --------
    >>> q = {"wi_add": "112.4226,34.6793;oops;112.43,34.68", "wi_close": "F-1,,F%2C2"}
    >>> s = scenario_from_query(q)
    >>> s.add, s.close
    (((112.4226, 34.6793), (112.43, 34.68)), ('F-1', 'F,2'))
    >>> scenario_from_query({"wi_add": ";".join(["1,2"] * 9)}).add == ((1.0, 2.0),) * 5
    True
    """
    sites = [_site(part) for part in query.get("wi_add", "").split(";") if part.strip()]
    ids = [unquote(part).strip() for part in query.get("wi_close", "").split(",")]
    return Scenario(
        tuple(s for s in sites if s is not None)[:MAX_CANDIDATES],
        tuple(dict.fromkeys(i for i in ids if i))[:MAX_CLOSED],
    )


def scenario_query(scenario: Scenario) -> dict[str, str]:
    """The query that :func:`scenario_from_query` reads back as `scenario` (nothing for an
    empty one).

    Parameters
    ----------
    scenario
        The scenario.

    Returns
    -------
    dict of str to str
        ``wi_add`` and ``wi_close``, each only when there is something to carry.

    Examples
    --------
    >>> s = Scenario(((112.4226, 34.6793),), ("F-1", "F,2"))
    >>> scenario_query(s)
    {'wi_add': '112.4226,34.6793', 'wi_close': 'F-1,F%2C2'}
    >>> scenario_from_query(scenario_query(s)) == s
    True
    >>> scenario_query(Scenario())
    {}
    """
    query = {}
    if scenario.add:
        query["wi_add"] = ";".join(
            f"{round(lon, 7)!r},{round(lat, 7)!r}" for lon, lat in scenario.add
        )
    if scenario.close:
        query["wi_close"] = ",".join(quote(i, safe="") for i in scenario.close)
    return query
