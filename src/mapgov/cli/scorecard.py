"""``mapgov scorecard``: the scorecards of the party page as a file.

``--property`` writes the property companies' scorecard of a month
(:func:`mapgov.domain.scorecard.property_scorecard`) with the page's columns and figures
(:func:`mapgov.views.scorecard.scorecard_table`), unrounded. ``--members`` writes the party
members' service points of a year (:func:`mapgov.io.member_scorecard.write_scorecard`: the
table the members' page downloads, names always masked). Registered in :data:`COMMANDS`.
"""

from __future__ import annotations

import argparse

from mapgov.cli.common import EXIT_OK, Commands, _db_option, _open, _path
from mapgov.core import clock
from mapgov.core.errors import ValidationError
from mapgov.store import Store

COMMANDS = Commands()
"""``scorecard``."""

_SUFFIXES = (".csv", ".xlsx")


def _arguments(p: argparse.ArgumentParser) -> None:
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument(
        "--property",
        action="store_true",
        help="the property companies' scorecard (物业企业评价)",
    )
    which.add_argument(
        "--members",
        action="store_true",
        help="party members' service points (党员百分考核), names masked",
    )
    p.add_argument(
        "--month",
        metavar="YYYY-MM",
        default=None,
        help="--property: the month (default: this month, counted to date)",
    )
    p.add_argument(
        "--year",
        metavar="YYYY",
        default=None,
        help="--members: the year counted (default: this year)",
    )
    p.add_argument("--street", default=None, help="one street's (default: all)")
    p.add_argument(
        "--community", default=None, help="--members: one community's members (default: all)"
    )
    p.add_argument("--lang", choices=("zh", "en"), default="zh", help="headers' language")
    p.add_argument("--out", type=_path, required=True, help="the file to write (.csv or .xlsx)")
    _db_option(p)


@COMMANDS.register("scorecard", _arguments)
def _run_scorecard(args: argparse.Namespace) -> int:
    """write a scorecard of the party page to a file

    --property: one row per property company for the month (this month to date by default):
    compounds, households, property issues per 100 households, on-time share, callback
    satisfaction, fee collection rate, residents' evaluation, party branch, co-building
    agreement, composite score and rank, as the party page shows them (full precision).
    --members: one row per registered party member for the year (this year by default): rank in
    the community, masked name, work unit, tasks and deliberation rounds counted per line of the
    points scheme (MAPGOV_MEMBER_POINTS, or the shipped one), points, as the members' page shows.
    """
    from mapgov.domain import scorecard  # lazy: pandas and the store
    from mapgov.io.exports import write_frame
    from mapgov.views.scorecard import scorecard_table

    if args.out.suffix.lower() not in _SUFFIXES:
        msg = f"--out must end in {', '.join(_SUFFIXES)}, not {args.out.name!r}"
        raise ValidationError(msg)
    store = _open(args)
    today = clock.today(store)  # the street's today (a demo keeps its own calendar)
    if args.members:
        return _members(args, store)
    if args.year or args.community:
        msg = "--year and --community go with --members; --property takes --month and --street"
        raise ValidationError(msg)
    month = args.month or f"{today:%Y-%m}"
    card = scorecard.property_scorecard(store, month, today, street_id=args.street)
    write_frame(scorecard_table(card, args.lang), args.out)
    counted = f"1-{today.day}, to date" if month == f"{today:%Y-%m}" else "whole month"
    print(f"{args.out}: {len(card)} property companies, {month} ({counted})")
    return EXIT_OK


def _members(args: argparse.Namespace, store: Store) -> int:
    """``--members``: the members' page's table, masked, for the year asked."""
    from mapgov.io.member_scorecard import write_scorecard

    if args.month:
        msg = "--month goes with --property; --members counts a year: --year YYYY"
        raise ValidationError(msg)
    write_scorecard(
        store,
        args.out,
        street_id=args.street,
        community_id=args.community,
        period=args.year,
        lang=args.lang,
    )
    year = args.year or f"{clock.today(store):%Y}"
    print(f"{args.out}: party members' service points, {year} (names masked)")
    return EXIT_OK
