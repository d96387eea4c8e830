"""One table of the schema (:class:`Table`) and the column forms its CHECKs take.

The forms are few on purpose: :func:`mapgov.store.schema.schema_rules` reads every CHECK back
as a pandas test for imports' dry runs, and refuses one it does not know.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

__all__ = ["Table", "count", "flag", "one_of"]


_ENUMS: dict[frozenset[str], type[StrEnum]] = {}
"""The enums that CHECKs were made from, by their values (:attr:`Table.coded`)."""


def one_of(column: str, enum: type[StrEnum], *, nullable: bool = False) -> str:
    """A CHECK that `column` holds one of `enum`'s values (or NULL when `nullable`)."""
    _ENUMS.setdefault(frozenset(v.value for v in enum), enum)
    values = ", ".join(f"'{v.value}'" for v in enum)
    check = f"{column} IN ({values})"
    if nullable:
        check = f"{column} IS NULL OR {check}"
    return f"CHECK ({check})"


@dataclass(frozen=True)
class Table:
    """One table: its name, its column definitions in order, and its constraints."""

    name: str
    columns: tuple[tuple[str, str], ...]
    constraints: tuple[str, ...] = ()

    @property
    def column_names(self) -> tuple[str, ...]:
        """Column names in definition order."""
        return tuple(c for c, _ in self.columns)

    @property
    def key(self) -> tuple[str, ...]:
        """The primary key's columns (the first column where none is declared): the order
        in which rows are read, the same on every backend."""
        for constraint in self.constraints:
            m = re.match(r"PRIMARY KEY \(([^)]*)\)", constraint)
            if m:
                return tuple(c.strip() for c in m.group(1).split(","))
        own = tuple(c for c, ddl in self.columns if "PRIMARY KEY" in ddl)
        return own or self.column_names[:1]

    @property
    def enums(self) -> dict[str, frozenset[str]]:
        """Columns restricted to a list of values by a CHECK, with their values."""
        out: dict[str, frozenset[str]] = {}
        for col, ddl in self.columns:
            m = re.search(rf"{col} IN \(('[^)]*)\)", ddl)  # quoted values only
            if m:
                out[col] = frozenset(v.strip().strip("'") for v in m.group(1).split(","))
        return out

    @property
    def coded(self) -> dict[str, type[StrEnum]]:
        """Columns holding an enum's codes (made by :func:`one_of`), with the enum."""
        return {c: _ENUMS[v] for c, v in self.enums.items() if v in _ENUMS}

    @property
    def flags(self) -> tuple[str, ...]:
        """The 0/1 columns (made by :func:`flag`)."""
        return tuple(c for c, ddl in self.columns if f"CHECK ({c} IN (0, 1))" in ddl)

    @property
    def non_negative(self) -> tuple[str, ...]:
        """Columns with a CHECK that they are not negative."""
        return tuple(c for c, ddl in self.columns if f"CHECK ({c} >= 0)" in ddl)

    @property
    def has_geometry(self) -> bool:
        """Whether the table has a ``geom`` column (WKB, EPSG:4326)."""
        return "geom" in self.column_names

    def ddl(self) -> str:
        """``CREATE TABLE`` statement."""
        parts = [f"{c} {t}" for c, t in self.columns] + list(self.constraints)
        return f"CREATE TABLE {self.name} (\n  " + ",\n  ".join(parts) + "\n)"


def flag(name: str) -> tuple[str, str]:
    """A 0/1 column `name`, 0 by default."""
    return (name, f"INTEGER NOT NULL DEFAULT 0 CHECK ({name} IN (0, 1))")


def count(name: str) -> tuple[str, str]:
    """A count column `name`: not negative, 0 by default."""
    return (name, f"INTEGER NOT NULL DEFAULT 0 CHECK ({name} >= 0)")
