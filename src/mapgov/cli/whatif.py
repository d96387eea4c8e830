"""``mapgov whatif``: who gains or loses walking reach if a facility is placed or closed.

The figures of the life-circle page's "what if" mode
(:func:`mapgov.domain.lifecircle.whatif.what_if`): per candidate site, by community and in
total; ``--out`` writes them (:func:`mapgov.io.whatif.scenario_bytes`). Registered in
:data:`COMMANDS`.
"""

from __future__ import annotations

import argparse
import math
import unicodedata
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from mapgov.cli.common import EXIT_OK, Commands, _db_option, _open, _path, _positive
from mapgov.core.errors import ValidationError
from mapgov.core.model import FacilityKind

if TYPE_CHECKING:
    from mapgov.domain.lifecircle.whatif import WhatIfResult

__all__ = ["COMMANDS"]

COMMANDS = Commands()
"""``whatif``."""

_SUFFIXES = (".csv", ".xlsx", ".geojson")
_KINDS = tuple(k.value for k in FacilityKind)


def _lonlat(text: str) -> tuple[float, float]:
    lon_text, sep, lat_text = text.partition(",")
    try:
        lon, lat = float(lon_text), float(lat_text)
    except ValueError:
        lon = lat = math.nan
    if not sep or not (-180 <= lon <= 180 and -90 <= lat <= 90):
        msg = f"takes LON,LAT in degrees (e.g. 112.4226,34.6793), not {text!r}"
        raise argparse.ArgumentTypeError(msg)
    return lon, lat


def _kind(text: str) -> str:
    if text not in _KINDS:
        msg = f"unknown facility kind {text!r}; known: {', '.join(_KINDS)}"
        raise argparse.ArgumentTypeError(msg)
    return text


def _arguments(p: argparse.ArgumentParser) -> None:
    _db_option(p, "database (default: data/…)")
    p.add_argument("--kind", type=_kind, required=True, metavar="KIND", help="facility kind")
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument(
        "--add",
        type=_lonlat,
        action="append",
        metavar="LON,LAT",
        help="a candidate site in WGS 84 degrees (repeat for up to five)",
    )
    what.add_argument(
        "--close",
        action="append",
        metavar="FACILITY_ID",
        help="an existing facility of the kind to close (repeat for several)",
    )
    limit = p.add_mutually_exclusive_group()
    limit.add_argument("--tier", type=int, choices=(5, 10, 15), help="life-circle tier in minutes")
    limit.add_argument("--metres", type=_positive, help="threshold in metres")
    p.add_argument("--street", default=None, metavar="ID", help="one street (default: all)")
    p.add_argument("--lang", choices=("zh", "en"), default="zh", help="headers of --out")
    p.add_argument(
        "--out", type=_path, default=None, help="write the scenario (.xlsx, .csv or .geojson)"
    )


@COMMANDS.register("whatif", _arguments)
def _run_whatif(args: argparse.Namespace) -> int:
    """what if: who gains or loses walking reach if a facility is placed or closed

    Each --add LON,LAT is a candidate site of --kind, snapped to the nearest walkable road;
    the buildings it brings within the threshold (the kind's GB 50180-2018 tier, or --tier or
    --metres) are counted with their residents and elderly, per candidate and by community.
    Each --close FACILITY_ID counts who would no longer reach a facility of the kind. --out
    writes the scenario: .xlsx (candidates, communities, buildings), .csv (communities) or
    .geojson (changed buildings and candidate points).
    """
    from mapgov.domain.lifecircle import whatif  # lazy: geopandas
    from mapgov.io.exports import write_file
    from mapgov.io.whatif import scenario_bytes

    if args.out is not None and args.out.suffix.lower() not in _SUFFIXES:
        msg = f"--out must end in {', '.join(_SUFFIXES)}, not {args.out.name!r}"
        raise ValidationError(msg)
    add = args.add or []
    if len(add) > whatif.MAX_CANDIDATES:
        msg = f"at most {whatif.MAX_CANDIDATES} --add at once, not {len(add)}"
        raise ValidationError(msg)
    store = _open(args)
    metres = whatif.threshold_for(args.kind, tier=args.tier, metres=args.metres)
    ctx = whatif.whatif_context(store, args.kind, metres, street_id=args.street)
    result = whatif.what_if(ctx, add, args.close or [])
    print("\n".join(_report_lines(result)))
    if args.out is not None:
        write_file(scenario_bytes(result, args.out.suffix, args.lang), args.out)
        print(f"\nscenario: {args.out}")
    return EXIT_OK


_Column = tuple[str, str, Callable[[Any], object]]
"""A column of a printed table: header, width and alignment (``<10``), a row's value."""

_CANDIDATES: tuple[_Column, ...] = (
    ("candidate", "<10", lambda c: c.candidate),
    ("lon,lat", ">24", lambda c: f"{c.lon:.6f},{c.lat:.6f}"),
    ("to road m", ">11", lambda c: f"{c.snap_m:.1f}"),
    ("buildings", ">11", lambda c: c.buildings_gained),
    ("residents", ">11", lambda c: c.residents_gained),
    ("elderly", ">9", lambda c: c.elderly_gained),
    ("new res.", ">10", lambda c: c.residents_new),
)
_COMMUNITIES: tuple[_Column, ...] = (
    ("community", "<14", lambda r: r.community),
    ("bldg +", ">8", lambda r: r.buildings_gained),
    ("res. +", ">9", lambda r: r.residents_gained),
    ("eld. +", ">8", lambda r: r.elderly_gained),
    ("bldg -", ">8", lambda r: r.buildings_lost),
    ("res. -", ">9", lambda r: r.residents_lost),
    ("eld. -", ">8", lambda r: r.elderly_lost),
    ("res. net", ">10", lambda r: r.residents_net),
)


def _cell(value: object, width: str) -> str:
    """`value` padded to `width` (``<10``) on a terminal: a Chinese character takes two."""
    text = str(value)
    wide = sum(unicodedata.east_asian_width(c) in "WF" for c in text)
    return f"{text:{width[0]}{max(int(width[1:]) - wide, 0)}}"


def _table(columns: tuple[_Column, ...], rows: Iterable[Any]) -> list[str]:
    """A blank line, the header and a line a row, in fixed-width columns."""
    lines = ["", "".join(_cell(head, width) for head, width, _ in columns)]
    lines += ["".join(_cell(value(r), width) for _, width, value in columns) for r in rows]
    return lines


def _report_lines(result: WhatIfResult) -> list[str]:
    """The scenario as lines of text: candidates, communities, totals."""
    lines = [f"what if: {result.kind} within {result.metres:g} m of walking"]
    if result.closed:
        lines.append("closed: " + ", ".join(result.closed))
    if len(result.candidates):
        lines += _table(_CANDIDATES, result.candidates.itertuples())
    return lines + _table(_COMMUNITIES, result.communities.itertuples())
