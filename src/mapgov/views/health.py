"""What the compound health page (小区体检), its export and ``mapgov health`` show: the ranked
list with each compound's reasons, and the words of a flag."""

from __future__ import annotations

from typing import Final

import pandas as pd

from mapgov.core.i18n import t
from mapgov.domain.health.profile import SIGNALS
from mapgov.domain.health.report import HealthReport
from mapgov.domain.health.warning import FLAG_KINDS, Flag
from mapgov.domain.places import display_name

__all__ = [
    "SCORE_DECIMALS",
    "SIGNAL_DECIMALS",
    "flag_text",
    "health_table",
    "look_at_text",
    "month_text",
]

SCORE_DECIMALS: Final = 1
"""A health score's decimals, in the list and its downloads."""
SIGNAL_DECIMALS: Final = 3
"""A signal's decimals in the list and its downloads (a share to 0.1 percentage point)."""


def month_text(month: str, lang: str, *, judged: str | None = None) -> str:
    """``YYYY-MM`` as a reader says it: the month alone in the judged month's year.

    Parameters
    ----------
    month : str
        ``YYYY-MM``.
    lang : str
        ``zh`` or ``en``.
    judged : str or None
        The month the page is about: a month of its year is named without the year.

    Returns
    -------
    str
        E.g. ``9月`` / ``2025年12月``, ``Sep`` / ``Dec 2025``.

    Examples
    --------
    >>> month_text("2026-09", "zh", judged="2026-11"), month_text("2025-12", "en", judged="2026-11")
    ('9月', 'Dec 2025')
    """
    year, m = month.split("-")
    name = t(f"wall_screen.month.m{int(m)}", lang)
    if judged is not None and judged[:4] == year:
        return name
    return t("health.month_of_year", lang, month=name, year=year)


def look_at_text(keys: tuple[str, ...], lang: str) -> list[str]:
    """The context of a flag in words: what to look at besides the signal.

    Parameters
    ----------
    keys : tuple of str
        :attr:`Flag.look_at`.
    lang : str
        ``zh`` or ``en``.

    Returns
    -------
    list of str
        One phrase per key, e.g. ``无物业``, ``2 栋无党小组``.
    """
    out = []
    for key in keys:
        name, _, count = key.partition(":")
        out.append(t(f"health.look_at.{name}", lang, n=int(count or 0)))
    return out


_SCORE_FLAGS: Final = ("score_drop", "low_score")
"""Flags whose value is a health score, shown to one decimal as the list shows scores."""


def flag_text(flag: Flag, lang: str) -> str:
    """One flag in words: which signal, by how much, since when.

    Parameters
    ----------
    flag : Flag
        A flag of :func:`~mapgov.domain.health.warning.flags`.
    lang : str
        ``zh`` or ``en``.

    Returns
    -------
    str
        E.g. ``逾期问题 3 件，自 9月起``.
    """
    since = month_text(flag.since, lang, judged=flag.month)
    normal = 0.0 if flag.normal is None else flag.normal

    digits = 1 if flag.kind in _SCORE_FLAGS else 0  # a score as the list shows it (56.5)
    value, normal = round(flag.value, digits), round(normal, digits)
    return t(
        f"health.flag.{flag.kind}",
        lang,
        value=f"{value:.{digits}f}",
        normal=f"{normal:.{digits}f}",
        drop=f"{normal - value:.{digits}f}",  # of the figures shown, so that they add up
        since=since,
    )


def _community(compounds: pd.DataFrame, compound_id: object, lang: str) -> str:
    """The community of `compound_id` (in `compounds`, by id) by its name in `lang`."""
    if compound_id not in compounds.index:
        return ""
    row = compounds.loc[compound_id]
    return display_name(str(row["community_name"]), row.get("community_name_en"), lang)


def health_table(
    report: HealthReport, compounds: pd.DataFrame, lang: str, *, trend: bool = True
) -> pd.DataFrame:
    """The ranked list: worst score first, flagged compounds before the others.

    Parameters
    ----------
    report : HealthReport
        One month's health.
    compounds : pandas.DataFrame
        compound_id, name and community_name of the compounds listed.
    lang : str
        ``zh`` or ``en``: the headers and the words.
    trend : bool
        Add the months' scores as a list (the page's sparkline); an export leaves it out.

    Returns
    -------
    pandas.DataFrame
        Localized headers: rank, compound, community, score, confidence, flags, what to look
        at, each signal's value, the compound_id, and the trend when asked.
    """
    latest = report.latest()
    by_compound: dict[str, list[Flag]] = {}
    for flag in report.flags:
        by_compound.setdefault(flag.compound_id, []).append(flag)
    names = compounds.set_index("compound_id")
    sep = t("health.separator", lang)
    rows = []
    for cid, row in latest.iterrows():
        found = sorted(by_compound.get(str(cid), []), key=lambda f: FLAG_KINDS.index(f.kind))
        context = found[0].look_at if found else ()
        rows.append(
            {
                "compound_id": cid,
                "compound": names["name"].get(cid, cid),
                "community": _community(names, cid, lang),
                "score": row["score"],
                "confidence": row["confidence"],
                "flags": sep.join(flag_text(f, lang) for f in found),
                "look_at": sep.join(look_at_text(context, lang)),
                "flagged": bool(found),
                **{key: row[key] for key in SIGNALS},
            }
        )
    table = pd.DataFrame(rows)
    if table.empty:
        return table
    table = table.sort_values(
        ["flagged", "score", "compound_id"], ascending=[False, True, True], na_position="last"
    ).reset_index(drop=True)
    table.insert(0, "rank", range(1, len(table) + 1))
    if trend:
        scores = report.trend().reindex(table["compound_id"])
        table["trend"] = [
            [None if pd.isna(v) else round(float(v), 1) for v in values]
            for values in scores.to_numpy()
        ]
    # as a person reads them (the page formats them so; an export, here, keeps what it shows
    # rather than 71.80026869682042): a score to 0.1, a share or other signal to 0.001
    table["score"] = table["score"].astype(float).round(SCORE_DECIMALS)
    measured = ["confidence", *SIGNALS]
    table[measured] = table[measured].astype(float).round(SIGNAL_DECIMALS)
    table = table.drop(columns="flagged")
    return table.rename(columns={c: t(f"health.col.{c}", lang) for c in table.columns})
