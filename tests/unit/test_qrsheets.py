"""QR sheets (扫码报事): one A4 page per building, read back from the PDF."""

from __future__ import annotations

import io
from pathlib import Path

import pypdf
import pytest

from mapgov.cli import main
from mapgov.core.errors import ValidationError
from mapgov.io.qrsheets import qr_pdf, report_url, sheets_of
from mapgov.store import Store

COMPOUND = "S001-C1-01"
COMMUNITY = "S001-C1"


def test_mapgov_qr_writes_one_page_per_building(
    demo_store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "楼栋二维码.pdf"
    db = str(demo_store.path)
    args = ["qr", "--db", db, "--compound", COMPOUND, "--base-url", "https://jd.example.cn/"]
    assert main([*args, "--hotline", "0379-6000-1234", "--out", str(out)]) == 0
    buildings = demo_store.read("building", where={"compound_id": COMPOUND})
    reader = pypdf.PdfReader(io.BytesIO(out.read_bytes()))
    assert len(reader.pages) == len(buildings) > 1
    assert f"{len(buildings)} pages" in capsys.readouterr().out
    for page, (bid, name) in zip(
        reader.pages, buildings[["building_id", "name"]].itertuples(index=False), strict=True
    ):
        text = page.extract_text()
        assert f"https://jd.example.cn/report?building={bid}" in text
        assert name in text
        assert "扫码报事" in text
        assert "0379-6000-1234" in text
        width, height = (float(v) for v in page.mediabox.upper_right)
        assert (round(width), round(height)) == (595, 842)  # A4 in points


def test_a_sheet_in_english_opens_the_english_page_and_names_the_community_so(
    demo_store: Store, tmp_path: Path
) -> None:
    """The audit's English sheet printed the community in Chinese and its code opened the
    Chinese form."""
    out = tmp_path / "qr-en.pdf"
    args = ["qr", "--db", str(demo_store.path), "--compound", COMPOUND, "--lang", "en"]
    assert main([*args, "--base-url", "https://jd.example.cn", "--out", str(out)]) == 0
    community = demo_store.read("community", where={"community_id": COMPOUND.rsplit("-", 1)[0]})
    (first, *_) = pypdf.PdfReader(io.BytesIO(out.read_bytes())).pages
    text = first.extract_text()
    assert "&lang=en" in text
    lines = [line.strip() for line in text.splitlines()]
    assert community["name_en"].iloc[0] in lines and community["name"].iloc[0] not in lines


def test_a_community_gets_every_building_and_the_same_sheets_give_the_same_pdf(
    demo_store: Store,
) -> None:
    sheets = sheets_of(demo_store, community_id=COMMUNITY)
    compounds = demo_store.query(
        "SELECT COUNT(*) AS n FROM building b JOIN compound c USING (compound_id) "
        "JOIN grid g USING (grid_id) WHERE g.community_id = ?",
        [COMMUNITY],
    )
    assert len(sheets) == int(compounds["n"].iloc[0])
    assert {s.community for s in sheets} == {
        demo_store.read("community", where={"community_id": COMMUNITY})["name"].iloc[0]
    }
    first = qr_pdf(sheets[:3], base_url="http://192.168.1.20:8501")
    assert first == qr_pdf(sheets[:3], base_url="http://192.168.1.20:8501")


def test_bad_places_and_addresses_are_refused_with_what_to_do(demo_store: Store) -> None:
    with pytest.raises(ValidationError, match="no buildings in 'K-NOWHERE'"):
        sheets_of(demo_store, compound_id="K-NOWHERE")
    with pytest.raises(ValidationError, match="one compound or one community"):
        sheets_of(demo_store)
    for bad in ("jd.example.cn", "javascript:alert(1)", "ftp://jd.example.cn"):
        with pytest.raises(ValidationError, match="https://"):
            report_url(bad, "S001-C1-01-01")
    assert report_url("https://a.cn", "楼 1") == "https://a.cn/report?building=%E6%A5%BC%201"
