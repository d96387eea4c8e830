"""The layout in the docs names every module of the code (issue 17: "where is X?" has one
answer, and the docs give it)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src" / "mapgov"
MODULES = sorted(
    path.relative_to(SRC)
    for path in SRC.rglob("*.py")
    if path.name not in {"__init__.py", "__main__.py"}
)


def _layout(text: str, heading: str) -> str:
    """The first fenced block after `heading`."""
    after = text[text.index(heading) :]
    return after.split("```", 2)[1]


def test_every_module_is_found() -> None:
    assert len(MODULES) > 150 and Path("domain/editing.py") in MODULES


@pytest.mark.parametrize("module", MODULES, ids=str)
def test_the_architecture_names_every_module(module: Path) -> None:
    """By its path inside its layer (``kpi.py``, ``cobuild/figures.py``)."""
    layout = _layout((ROOT / "docs" / "architecture.md").read_text(encoding="utf-8"), "```")
    name = "/".join(module.parts[1:])
    assert re.search(rf"(?<![\w/]){re.escape(name)}\b", layout), name


@pytest.mark.parametrize("module", MODULES, ids=str)
def test_the_readme_layout_names_every_module(module: Path) -> None:
    """By its name (``kpi``, ``figures.py``) in the README's repository layout."""
    layout = _layout((ROOT / "README.md").read_text(encoding="utf-8"), "## Repository layout")
    assert re.search(rf"\b{re.escape(module.stem)}\b", layout), module
