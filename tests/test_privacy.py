"""Masking of residents' names and phones."""

from __future__ import annotations

import pytest

from mapgov.privacy import mask_name, mask_phone


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("张三丰", "张**"),
        ("李四", "李*"),
        ("欧阳修文", "欧***"),
        ("王", "*"),
        (" 赵六 ", "赵*"),
        (None, None),
        ("", ""),
        (float("nan"), None),
    ],
)
def test_mask_name_keeps_only_the_surname(name: str | None, masked: str | None) -> None:
    assert mask_name(name) == masked


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("13812345678", "138****5678"),
        ("0379-6521234", "037*****1234"),
        ("12345", "***45"),
        (None, None),
        ("", ""),
    ],
)
def test_mask_phone_keeps_prefix_and_last_four(phone: str | None, masked: str | None) -> None:
    assert mask_phone(phone) == masked
    if phone and len(phone) >= 8:
        assert phone[3:-4] not in (masked or "")
