"""QR sheets for reporting from the stairwell (扫码报事, issue 20): one A4 page per building.

Each page carries the building's name, its compound and community, the community office's
address and hotline, a QR code of the building's report address (``/report?building=ID``) and
that address in plain text for whoever cannot scan. The PDF is drawn with ReportLab, the
standard PDF library of Python: its QR code widget draws the code as vectors (sharp at any
printer's resolution) and its built-in Adobe Song font (``STSong-Light``) sets Chinese without
a font file, so the sheet is made offline on any machine and printed as it is.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final
from urllib.parse import quote, urlsplit

from reportlab.graphics import renderPDF
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from mapgov.core.errors import ValidationError
from mapgov.core.i18n import DEFAULT_LANG, t
from mapgov.domain.places import display_name
from mapgov.store import Store

__all__ = ["QR_SIDE_MM", "Sheet", "qr_pdf", "report_url", "sheets_of"]

QR_SIDE_MM: Final = 110
"""The printed side of the QR code (scanned from two metres in a dim stairwell)."""
_FONT: Final = "STSong-Light"  # Adobe's Chinese Song, known to every PDF reader


@dataclass(frozen=True)
class Sheet:
    """What one page says."""

    building_id: str
    building: str
    compound: str
    community: str
    office: str
    community_en: str | None = None
    """The community's English name, for a sheet in English (none: its Chinese name)."""


def report_url(base_url: str, building_id: str, lang: str | None = None) -> str:
    """The address a building's QR code opens (in `lang`, when it is not the default).

    Parameters
    ----------
    base_url : str
        Where residents reach mapgov, e.g. ``https://jiedao.example.cn`` (http or https).
    building_id : str
        The building.
    lang : str or None
        The language of the sheet: a sheet in English opens the report page in English.

    Returns
    -------
    str
        ``<base_url>/report?building=<id>`` (``&lang=<lang>`` added but in the default).

    Raises
    ------
    ValidationError
        If `base_url` is not an http(s) address.

    Examples
    --------
    >>> report_url("https://jiedao.example.cn/", "S001-C1-01-02")
    'https://jiedao.example.cn/report?building=S001-C1-01-02'
    >>> report_url("https://jiedao.example.cn", "S001-C1-01-02", "en")
    'https://jiedao.example.cn/report?building=S001-C1-01-02&lang=en'
    """
    parts = urlsplit(base_url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        msg = f"--base-url {base_url!r}: give the address residents open, e.g. https://host"
        raise ValidationError(msg, key="error.qr.base_url", url=base_url)
    url = f"{base_url.strip().rstrip('/')}/report?building={quote(building_id, safe='-_.')}"
    return url if lang is None or lang == DEFAULT_LANG else f"{url}&lang={quote(lang)}"


def sheets_of(
    store: Store, *, compound_id: str | None = None, community_id: str | None = None
) -> list[Sheet]:
    """The pages for the buildings of one compound or one community, in building order.

    Parameters
    ----------
    store : Store
        The database to read.
    compound_id : str, optional
        One compound's buildings.
    community_id : str, optional
        Every building of a community (give one of the two).

    Returns
    -------
    list of Sheet
        One a building.

    Raises
    ------
    ValidationError
        If neither or both are given, or the place does not exist or has no buildings.
    """
    if (compound_id is None) == (community_id is None):
        msg = "give one compound or one community"
        raise ValidationError(msg, key="error.qr.place")
    compounds = store.read("compound", columns=["compound_id", "grid_id", "name"])
    grids = store.read("grid", columns=["grid_id", "community_id"])
    communities = store.read(
        "community", columns=["community_id", "name", "name_en", "office_address"]
    )
    places = compounds.merge(grids, on="grid_id").merge(
        communities, on="community_id", suffixes=("", "_community")
    )
    chosen = places[
        places["compound_id"] == compound_id
        if compound_id is not None
        else places["community_id"] == community_id
    ]
    buildings = store.read(
        "building",
        where={"compound_id": list(chosen["compound_id"])},
        columns=["building_id", "compound_id", "name"],
    )
    if buildings.empty:
        what = compound_id or community_id
        msg = f"no buildings in {what!r}: check the compound or community id"
        raise ValidationError(msg, key="error.qr.no_buildings", place=str(what))
    rows = buildings.merge(chosen, on="compound_id", suffixes=("", "_compound"))
    return [
        Sheet(
            building_id=r.building_id,
            building=r.name,
            compound=r.name_compound,
            community=r.name_community,
            office=r.office_address if isinstance(r.office_address, str) else "",
            community_en=r.name_en if isinstance(r.name_en, str) else None,
        )
        for r in rows.itertuples(index=False)
    ]


def _page(pdf: canvas.Canvas, sheet: Sheet, url: str, *, hotline: str | None, lang: str) -> None:
    width, height = A4
    pdf.setFont(_FONT, 40)
    pdf.drawCentredString(width / 2, height - 45 * mm, t("qr.title", lang))
    pdf.setFont(_FONT, 22)
    pdf.drawCentredString(width / 2, height - 62 * mm, f"{sheet.compound} {sheet.building}")
    pdf.setFont(_FONT, 13)
    pdf.drawCentredString(
        width / 2, height - 72 * mm, display_name(sheet.community, sheet.community_en, lang)
    )
    widget = QrCodeWidget(url, barLevel="M")
    x0, y0, x1, y1 = widget.getBounds()
    side = QR_SIDE_MM * mm
    drawing = Drawing(side, side, transform=[side / (x1 - x0), 0, 0, side / (y1 - y0), 0, 0])
    drawing.add(widget)
    renderPDF.draw(drawing, pdf, (width - side) / 2, height - 80 * mm - side)
    # the address, for whoever cannot scan, large enough to type from in a dim stairwell
    size = 12.0
    while size > 8 and pdfmetrics.stringWidth(url, _FONT, size) > width - 30 * mm:
        size -= 0.5
    pdf.setFont(_FONT, size)
    pdf.drawCentredString(width / 2, height - 86 * mm - side, url)
    pdf.setFont(_FONT, 13)
    lines = [t("qr.how", lang), t("qr.then", lang)]
    if hotline:
        lines.append(t("qr.hotline", lang, phone=hotline))
    if sheet.office:
        lines.append(t("qr.office", lang, address=sheet.office))
    for i, line in enumerate(lines):
        pdf.drawCentredString(width / 2, height - 100 * mm - side - i * 8 * mm, line)
    pdf.showPage()


def qr_pdf(
    sheets: Sequence[Sheet], *, base_url: str, hotline: str | None = None, lang: str = "zh"
) -> bytes:
    """The A4 PDF of `sheets`, one page each.

    Parameters
    ----------
    sheets : sequence of Sheet
        The pages, from :func:`sheets_of`.
    base_url : str
        Where residents reach mapgov (:func:`report_url`).
    hotline : str, optional
        The community's phone number, printed on every page.
    lang : str
        The language of the page's text ("zh" by default).

    Returns
    -------
    bytes
        The PDF.
    """
    if _FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(_FONT))
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4, invariant=True)  # the same sheets, the same bytes
    pdf.setTitle(t("qr.title", lang))
    for sheet in sheets:
        url = report_url(base_url, sheet.building_id, lang)
        _page(pdf, sheet, url, hotline=hotline, lang=lang)
    pdf.save()
    return out.getvalue()
