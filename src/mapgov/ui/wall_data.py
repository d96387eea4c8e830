"""The wall screen's data: loaders cached per data version, and their warm-up at start.

Every figure, map and panel of :mod:`mapgov.ui.wall` is read through these loaders. Their
keys are the store's identity and ids, never frames (:func:`mapgov.ui.loaders.cached`), so a
refresh without new data costs little and a write shows at the next refresh. ``mapgov
serve`` fills them once the server is up (:func:`warm`), for the command room's screen.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from mapgov.core import clock
from mapgov.core.i18n import DEFAULT_LANG, t
from mapgov.domain import cobuild, display_tokens, kpi, scorecard
from mapgov.domain.health.load import load_health_frames
from mapgov.domain.health.report import HealthReport, compound_health
from mapgov.store import Store, open_store
from mapgov.ui import loaders as data
from mapgov.ui.loaders import cached
from mapgov.views import deck as deckmaps
from mapgov.views import deck_poster as poster
from mapgov.views import scorecard as scorecard_views
from mapgov.views import wall
from mapgov.views.maps import Bounds

__all__ = [
    "MAP_HEIGHT",
    "MAP_STACK",
    "MAP_WIDTH",
    "POSTER_WIDTH",
    "DeckKey",
    "co_frames",
    "health_reports",
    "kiosk_deck",
    "ledger_frames",
    "life_circle",
    "map_base",
    "property_tile",
    "street_bounds",
    "tile_figures",
    "wall_deck",
    "wall_streets",
    "warm",
]

MAP_HEIGHT: Final = {True: 745, False: 600}
"""Height of the map in pixels, in kiosk mode and not. The kiosk's map (chart and poster) is
drawn this high and zoomed by its style sheet to the height the screen leaves it
(:data:`mapgov.ui.wall_style.KIOSK_CSS`): the same picture, larger or smaller."""
MAP_WIDTH: Final = {True: 1190, False: 820}
"""Width the map's view is fitted to (its column's width at 1920 px, and a typical laptop)."""
POSTER_WIDTH: Final = 1600
"""Width of the map's picture: wider than the map at 1920 px (its sides are clipped)."""
MAP_STACK: Final = "wall-map-stack"
"""Key of the box that holds the map's picture and the chart, one above the other."""


# -- cached loaders (keys: store identity and ids, never frames) ----------------------------
@cached(max_entries=16)
def ledger_frames(
    store: Store,
    street_id: str,
    community_id: str | None,
) -> kpi.Frames:
    return kpi.load_frames(store, street_id=street_id, community_id=community_id)


@cached(max_entries=16)
def co_frames(store: Store, street_id: str) -> cobuild.CoFrames:
    return cobuild.load(store, street_id=street_id)


@cached(max_entries=16)
def property_tile(
    store: Store, street_id: str, community_id: str | None, lang: str, today: dt.date
) -> str:
    frames = scorecard.load_scorecard_frames(store, street_id=street_id, community_id=community_id)
    return scorecard_views.wall_tile(frames, lang, today=today)


@cached(max_entries=16)
def life_circle(store: Store, street_id: str) -> wall.LifeCircle:
    return wall.life_circle(store, street_id)


@cached(max_entries=8)
def health_reports(store: Store, street_id: str, day: dt.date) -> tuple[HealthReport, HealthReport]:
    """This month's compound health to date and last month's at its end (only the flags are
    read: one month each), with the life circle the page and ``mapgov health`` use."""
    life = life_circle(store, street_id).by_compound()
    frames = load_health_frames(store, street_id=street_id, life=life)
    last = (day.replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m")
    return (
        compound_health(frames, day, months=1),
        compound_health(frames, day, month=last, months=1),
    )


@cached(max_entries=8)
def map_base(store: Store, street_id: str, lang: str) -> deckmaps.WallMapData:
    return wall.map_data(store, street_id, lang)


@dataclass(frozen=True)
class DeckKey:
    """What of the wall's settings the map's deck depends on (a cache key)."""

    metric: str
    kiosk: bool
    basemap: bool
    transition_ms: int

    @classmethod
    def of(cls, settings: wall.WallSettings) -> DeckKey:
        """The key of a wall's settings (the tour flies from stop to stop in 1.5 s)."""
        return cls(settings.metric, settings.kiosk, settings.basemap, 1500 if settings.tour else 0)


@cached(max_entries=16)
def wall_deck(
    store: Store,
    street_id: str,
    lang: str,
    today: dt.date,
    *,
    key: DeckKey,
    focus: str | None,
    bounds: Bounds,
    street_bounds: Bounds,
) -> deckmaps.DeckJson:
    """The map's deck as JSON (:func:`deckmaps.wall_deck`): the same for every visit and
    refresh until the data, the day or the view change, so it is built and written once."""
    base = map_base(store, street_id, lang)
    frames = ledger_frames(store, street_id, None)
    life = life_circle(store, street_id) if key.metric == "life_complete" else None
    values = wall.compound_figures(frames, key.metric, today=today, life=life)
    drawn = wall.with_figures(
        base, values, key.metric, wall.recent_points(frames.issues, today), lang
    )
    camera = deckmaps.wall_view(
        bounds,
        width_px=MAP_WIDTH[key.kiosk],
        height_px=MAP_HEIGHT[key.kiosk],
        transition_ms=key.transition_ms,
    )
    deck = deckmaps.wall_deck(
        drawn,
        metric=key.metric,
        view=camera,
        bounds=street_bounds,
        focus=focus,
        issue_label=t("wall_screen.issue_cells", lang),
        basemap_style=deckmaps.CARTO_DARK if key.basemap else None,
    )
    return deckmaps.DeckJson.of(deck)


@cached(max_entries=16)
def tile_figures(
    store: Store, street_id: str, community_id: str | None, today: dt.date
) -> list[kpi.Figure]:
    """The headline and co-building tiles' figures: they change with the data and the day
    only, so a refresh without new data reads them here instead of counting again."""
    frames = ledger_frames(store, street_id, community_id)
    life = life_circle(store, street_id).share(community_id)
    figures = kpi.headline(frames, today=today, life_complete=life)
    co = co_frames(store, street_id)
    return figures + cobuild.wall_figures(co, today, community_id=community_id)


def street_bounds(base: deckmaps.WallMapData) -> Bounds:
    areas = base.communities if not base.communities.empty else base.compounds
    return tuple(float(v) for v in areas.total_bounds)  # type: ignore[return-value]


# -- warming the caches at the server's start ----------------------------------------------
def wall_streets(store: Store) -> list[str]:
    """The streets that wall screens show: those of the live display tokens, else the first
    street (the one ``/wall`` opens by default)."""
    tokens = display_tokens.list_display_tokens(store)
    live = tokens[tokens["revoked_at"].isna()] if not tokens.empty else tokens
    streets = sorted({str(s) for s in live["street_id"]}) if not live.empty else []
    if not streets:
        listed = data.street_list(store)
        streets = [str(listed["street_id"].iloc[0])] if not listed.empty else []
    return streets


def kiosk_deck(store: Store, street_id: str, lang: str, today: dt.date) -> None:
    """The deck a kiosk's first visit draws (its default settings: the whole street), and
    the map's picture shown until WebGL has drawn it (kept by :mod:`mapgov.views.deck_poster`
    per deck and size)."""
    base = map_base(store, street_id, lang)
    if base.communities.empty and base.compounds.empty:
        return
    key = DeckKey.of(wall.WallSettings(kiosk=True))
    bounds = street_bounds(base)
    deck = wall_deck(
        store, street_id, lang, today, key=key, focus=None, bounds=bounds, street_bounds=bounds
    )
    poster.poster_html(
        deck.to_json(),
        width_px=POSTER_WIDTH,
        height_px=MAP_HEIGHT[True],
        stack=f".st-key-{MAP_STACK}",
    )


def warm(
    db: Path | str, *, lang: str = DEFAULT_LANG, stop: Callable[[], bool] | None = None
) -> list[str]:
    """Fill the caches that a wall screen's first visit reads, for :func:`wall_streets`.

    ``mapgov serve`` runs this once the server is up (:mod:`mapgov.serve`), so that the
    command room's screen, the first visitor after a restart, finds the street read, the
    figures counted and the compound health judged (about 2.5 s of Python at scale 1) and
    waits only for its browser. The same cached loaders as the page, with the same
    arguments as a kiosk visit (the whole street, in `lang`), the map's first.

    Parameters
    ----------
    db
        The database the server serves.
    lang
        The kiosk's language.
    stop
        Asked before each step: True ends the warm-up there (a visitor came: the two would
        share the machine, and the visitor computes what is left into the same caches).

    Returns
    -------
    list of str
        The streets warmed whole.
    """
    store = open_store(db)
    stopped = stop or (lambda: False)
    warmed: list[str] = []
    for street_id in wall_streets(store):
        today = clock.today(store)  # a demo keeps its own calendar
        steps: list[tuple[Callable[..., object], tuple[object, ...]]] = [
            (map_base, (store, street_id, lang)),  # the map first: what a visit waits for
            (kiosk_deck, (store, street_id, lang, today)),
            (ledger_frames, (store, street_id, None)),
            (tile_figures, (store, street_id, None, today)),
            (health_reports, (store, street_id, today)),
            (property_tile, (store, street_id, None, lang, today)),
            (data.place_counts, (store, street_id, None)),
            (data.community_list, (store, street_id)),
        ]
        for step, args in steps:
            if stopped():
                return warmed
            step(*args)
        warmed.append(street_id)
    return warmed
