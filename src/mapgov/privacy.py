"""Masking of residents' personal data (names, phone numbers).

Residents' names and phones are stored in full and shown in full only to those who need them
(see :func:`mapgov.users.sees_personal_data`); everyone else sees ``张**`` / ``138****5678``.
"""

from __future__ import annotations

__all__ = ["mask_name", "mask_phone"]


def mask_name(name: str | None) -> str | None:
    """Keep the first character (the surname) and star the rest: ``张三丰`` -> ``张**``.

    A one-character name becomes ``*``; empty stays empty; anything that is not text
    (``None``, a missing value) gives ``None``.
    """
    if not isinstance(name, str):
        return None
    if not name:
        return name
    name = name.strip()
    if len(name) <= 1:
        return "*"
    return name[0] + "*" * (len(name) - 1)


def mask_phone(phone: str | None) -> str | None:
    """Keep the first three and last four digits: ``13812345678`` -> ``138****5678``.

    Numbers shorter than eight characters are starred whole except their last two; anything
    that is not text gives ``None``.
    """
    if not isinstance(phone, str):
        return None
    if not phone:
        return phone
    phone = phone.strip()
    if len(phone) >= 8:
        return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]
    return "*" * max(len(phone) - 2, 0) + phone[-2:]
