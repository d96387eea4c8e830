"""A photo as a phone writes it, for the tests of the report page: a JPEG whose EXIF says
where it was taken (GPS), by which device, and which way up."""

from __future__ import annotations

import io
from typing import Final

from PIL import Image

GPS_IFD: Final = 0x8825
MAKE: Final = 0x010F
ORIENTATION: Final = 0x0112
MAKER: Final = "PhoneMaker"
"""The device name written in the EXIF (its bytes must not survive intake)."""


def phone_jpeg(
    size: tuple[int, int] = (1200, 900), colour: tuple[int, int, int] = (200, 60, 40)
) -> bytes:
    """A JPEG with a GPS position, the maker and the orientation in its EXIF."""
    image = Image.new("RGB", size, colour)
    exif = Image.Exif()
    exif[MAKE] = MAKER
    exif[ORIENTATION] = 1
    exif[GPS_IFD] = {1: "N", 2: (34.0, 40.0, 48.0), 3: "E", 4: (112.0, 25.0, 12.0)}
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif, quality=90)
    return out.getvalue()


def has_exif(data: bytes) -> bool:
    """Whether a JPEG carries any EXIF (or the maker's name anywhere in its bytes)."""
    image = Image.open(io.BytesIO(data))
    return bool(dict(image.getexif())) or "exif" in image.info or MAKER.encode() in data
