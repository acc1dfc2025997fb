"""Resident population by police force area and ethnic group: the denominators of every rate.

Two groupings are kept, because the two ethnicity columns of the search files are grouped
differently: officer-defined ethnicity follows the police convention (Chinese counted in Other),
self-defined ethnicity the ONS 2011 grouping (Chinese in Asian). A table is recognised by its
header, so a newer one in the same layout (or the simple long layout below) can be dropped in.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from openwitness.stats.errors import StatsInputError
from openwitness.stats.vocabulary import GROUPS, force_slug

_FULL_PREFIX: Final = "Ethnic Group: "
_FULL_COLUMNS: Final = {
    "White": "Ethnic Group: White; measures: Value",
    "Mixed": "Ethnic Group: Mixed; measures: Value",
    "Asian": "Ethnic Group: Asian; measures: Value",
    "Chinese": "Ethnic Group: Asian/Asian British: Chinese; measures: Value",
    "Black": "Ethnic Group: Black; measures: Value",
    "Other": "Ethnic Group: Other; measures: Value",
}
_FIVE_GROUP_HEADER: Final = (
    "Police force",
    "White",
    "Black (or Black British)",
    "Asian (or Asian British)",
    "Chinese",
    "Mixed",
    "Other",
)
#: The long layout for a newer table: one row per force, scheme and group.
LONG_HEADER: Final = ("force", "scheme", "group", "population")
SCHEMES: Final = ("officer", "self")


@dataclass(frozen=True)
class Population:
    """Residents by force slug, scheme ("officer" or "self") and group."""

    source: str
    counts: dict[str, dict[str, dict[str, int]]]  # scheme -> force -> group -> residents

    def of(self, scheme: str, force: str) -> dict[str, int] | None:
        return self.counts.get(scheme, {}).get(force)

    def to_json(self) -> str:
        return json.dumps({"source": self.source, "counts": self.counts}, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Population:
        data = json.loads(text)
        return cls(str(data["source"]), data["counts"])


def is_population_table(first_line: str) -> bool:
    header = next(csv.reader([first_line.lstrip("\ufeff")]), [])
    return _kind(header) is not None


def _kind(header: list[str]) -> str | None:
    if header[:1] == ["PFA16NM"] and all(col in header for col in _FULL_COLUMNS.values()):
        return "full"
    if tuple(header) == _FIVE_GROUP_HEADER:
        return "five"
    if tuple(header) == LONG_HEADER:
        return "long"
    return None


def _count(value: str, name: str, line: int, field: str) -> int:
    try:
        number = int(value.replace(",", ""))
    except ValueError:
        raise StatsInputError(name, f"'{value}' is not a whole number", line, field) from None
    if number < 0:
        raise StatsInputError(name, f"'{value}' is negative", line, field)
    return number


def _both(force: dict[str, int]) -> dict[str, dict[str, int]]:
    """Officer (police convention) and self (ONS) groupings from the five groups + Chinese."""
    officer = {g: force[g] for g in GROUPS}
    officer["Asian"] = force["Asian"] - force["Chinese"]
    officer["Other"] = force["Other"] + force["Chinese"]
    return {"officer": officer, "self": {g: force[g] for g in GROUPS}}


def parse_population(path: Path, name: str | None = None) -> Population:
    """Read one population table; errors name the file, line and field."""
    name = name or path.name
    text = path.read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        raise StatsInputError(name, "the file is empty", 1)
    kind = _kind(rows[0])
    if kind is None:
        raise StatsInputError(name, "not a population table this version knows", 1)
    counts: dict[str, dict[str, dict[str, int]]] = {scheme: {} for scheme in SCHEMES}
    header = rows[0]
    for number, row in enumerate(rows[1:], start=2):
        if not row:
            continue
        if len(row) != len(header):
            raise StatsInputError(
                name, f"{len(row)} fields where the header has {len(header)}", number
            )
        record = dict(zip(header, row, strict=True))
        if kind == "long":
            scheme = record["scheme"]
            if scheme not in SCHEMES or record["group"] not in GROUPS:
                raise StatsInputError(name, "unknown scheme or group", number, "scheme")
            by_group = counts[scheme].setdefault(record["force"], {})
            by_group[record["group"]] = _count(record["population"], name, number, "population")
            continue
        if kind == "full":
            force = force_slug(record["PFA16NM"])
            values = {g: _count(record[c], name, number, c) for g, c in _FULL_COLUMNS.items()}
        else:
            force = force_slug(record["Police force"])
            five = dict(
                zip(("White", "Black", "Asian", "Chinese", "Mixed", "Other"), row[1:], strict=True)
            )
            values = {g: _count(v, name, number, g) for g, v in five.items()}
            values["Asian"] += values["Chinese"]  # this table keeps Chinese out of Asian
        for scheme, groups in _both(values).items():
            counts[scheme][force] = groups
    return Population(name, counts)


def load(path: Path) -> Population | None:
    return Population.from_json(path.read_text()) if path.exists() else None
