"""Photos of reported issues: what a phone's file carries is not what mapgov keeps."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from mapgov.core.errors import ValidationError
from mapgov.io.photos import MAX_SIDE, THUMB_SIDE, PhotoFolder, intake, photo_folder

GPS_IFD = 0x8825
ORIENTATION = 0x0112
MAKE = 0x010F


def _phone_photo(size: tuple[int, int] = (4000, 3000), *, orientation: int = 1) -> bytes:
    """A JPEG as a phone writes it: GPS position, maker, orientation in its EXIF."""
    image = Image.new("RGB", size, (200, 60, 40))
    image.paste((20, 20, 220), (0, 0, size[0] // 4, size[1] // 4))  # a blue corner, top left
    exif = Image.Exif()
    exif[MAKE] = "PhoneMaker"
    exif[ORIENTATION] = orientation
    exif[GPS_IFD] = {1: "N", 2: (34.0, 40.0, 48.0), 3: "E", 4: (112.0, 25.0, 12.0)}
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif, quality=90)
    return out.getvalue()


def test_a_phone_photo_is_kept_without_its_location_or_device() -> None:
    data = _phone_photo()
    assert b"PhoneMaker" in data
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(GPS_IFD)  # the phone's file has it
    photo = intake(data, name="IMG_0001.jpg")
    for kept in (photo.data, photo.thumbnail):
        image = Image.open(io.BytesIO(kept))
        assert image.format == "JPEG"
        assert dict(image.getexif()) == {}
        assert "exif" not in image.info and "icc_profile" not in image.info
        assert b"PhoneMaker" not in kept
    assert (photo.width, photo.height) == (MAX_SIDE, MAX_SIDE * 3 // 4)
    assert max(Image.open(io.BytesIO(photo.thumbnail)).size) == THUMB_SIDE


def test_a_photo_taken_sideways_is_stored_upright() -> None:
    photo = intake(_phone_photo((800, 600), orientation=6))  # rotated 90° clockwise to view
    image = Image.open(io.BytesIO(photo.data))
    assert image.size == (600, 800)
    r, _, b = image.getpixel((image.width - 10, 10))  # the blue corner is now top right
    assert b > 150 and r < 100


@pytest.mark.parametrize(
    ("data", "key"),
    [
        (b"", "error.photo.empty"),
        (b"<svg onload=alert(1)></svg>", "error.photo.not_image"),
        (b"GIF89a" + b"\0" * 40, "error.photo.not_image"),
        (b"\xff\xd8\xff" + b"\0" * 100, "error.photo.not_image"),  # a JPEG's start, no picture
    ],
)
def test_what_is_not_a_photo_is_refused_by_its_content(data: bytes, key: str) -> None:
    with pytest.raises(ValidationError) as caught:
        intake(data, name="photo.jpg")
    assert caught.value.key == key
    assert "photo.jpg" in str(caught.value)


def test_a_gif_is_refused_by_its_format_whatever_its_name() -> None:
    out = io.BytesIO()
    Image.new("RGB", (10, 10)).save(out, format="GIF")
    with pytest.raises(ValidationError, match="GIF") as caught:
        intake(out.getvalue(), name="photo.jpg")
    assert caught.value.key == "error.photo.format"


def test_a_small_file_that_unpacks_into_a_huge_picture_is_refused() -> None:
    out = io.BytesIO()
    Image.new("1", (10_000, 10_000)).save(out, format="PNG")  # 100 megapixels in a few KB
    assert len(out.getvalue()) < 100_000
    with pytest.raises(ValidationError) as caught:
        intake(out.getvalue())
    assert caught.value.key == "error.photo.too_many_pixels"


def test_photos_are_kept_once_by_content_and_read_back(tmp_path: Path) -> None:
    folder = PhotoFolder(tmp_path / "street.photos")
    photo = intake(_phone_photo((640, 480)))
    name = folder.keep(photo)
    assert folder.keep(intake(_phone_photo((640, 480)))) == name  # the same picture: one file
    assert folder.read(name) == photo.data
    assert folder.read(name, thumbnail=True) == photo.thumbnail
    assert sorted(p.name for p in (tmp_path / "street.photos" / name[:2]).iterdir()) == [
        f"{name}.jpg",
        f"{name}.thumb.jpg",
    ]
    for bad in ("../../etc/passwd", name[:-1] + "G", ""):
        with pytest.raises(ValidationError):
            folder.read(bad)


def test_the_folder_sits_beside_the_database(tmp_path: Path) -> None:
    assert photo_folder(tmp_path / "street.sqlite").folder == tmp_path / "street.photos"
    assert photo_folder("postgresql://mapgov@/city").folder.parts[-2:] == ("data", "photos")


def test_a_file_over_twelve_megabytes_is_refused_and_the_message_says_the_true_limit() -> None:
    with pytest.raises(ValidationError) as caught:
        intake(b"\xff\xd8\xff" + b"\0" * 12_000_000, name="big.jpg")
    assert caught.value.key == "error.photo.too_large"
    assert "12.0 MB, more than 12 MB" in str(caught.value)  # 12,000,003 bytes: over 12 MB
