"""``mapgov health``: the compound health list (小区体检) of a month, as the page shows it."""

from __future__ import annotations

import argparse

from mapgov.cli.common import EXIT_OK, Commands, _db_option, _open, _path
from mapgov.core.errors import ValidationError

__all__ = ["COMMANDS"]

COMMANDS = Commands()


def _health_arguments(p: argparse.ArgumentParser) -> None:
    _db_option(p, "database (default: data/…)")
    p.add_argument("--month", default=None, metavar="YYYY-MM", help="the month (default: this)")
    p.add_argument("--street", default=None, metavar="ID", help="one street (default: all)")
    p.add_argument(
        "--no-life-circle",
        action="store_true",
        help="leave the life circle out (unknown: it lowers the confidence, not the score)",
    )
    p.add_argument("--lang", choices=("zh", "en"), default="zh", help="headers and words")
    p.add_argument("--out", type=_path, required=True, help="the list (.csv or .xlsx)")


@COMMANDS.register("health", _health_arguments)
def _run_health(args: argparse.Namespace) -> int:
    """compound health: every compound's score, warnings and what to look at, in a month

    The same list as the 小区体检 page: the worst and the flagged first, each signal's value,
    the score of the documented profile and its data completeness.
    """
    from mapgov.core import clock
    from mapgov.domain.health.load import load_health_frames
    from mapgov.domain.health.report import compound_health
    from mapgov.io.exports import write_frame
    from mapgov.views.health import health_table
    from mapgov.views.wall import life_circle

    if args.out.suffix.lower() not in (".csv", ".xlsx"):
        msg = f"--out must end in .csv or .xlsx, not {args.out.name!r}"
        raise ValidationError(msg)
    store = _open(args)
    today = clock.today(store)
    life = None if args.no_life_circle else life_circle(store, args.street).by_compound()
    frames = load_health_frames(store, street_id=args.street, life=life)
    report = compound_health(frames, today, month=args.month)
    table = health_table(report, frames.compounds, args.lang, trend=False)
    write_frame(table, args.out)
    flagged = sum(1 for _ in {f.compound_id for f in report.flags})
    print(
        f"compound health {report.month}: {len(table)} compounds, {flagged} flagged -> {args.out}"
    )
    return EXIT_OK
