"""The /stats pages' reading of a request and of PoliceStats' answers: which force and period,
the headline in plain words, and each table as columns and rows.

A table is built once and used three ways (the page, its CSV and its JSON download), so what
someone downloads is exactly what the page showed them.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from openwitness.core.errors import InvalidRequestError
from openwitness.stats.service import PoliceStats
from openwitness.stats.vocabulary import AGE_RANGES, GROUPS

MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
FORCE = re.compile(r"^[a-z0-9-]{1,60}$")
ETHNICITIES = {"officer": "officer-defined", "self": "self-defined"}
#: the longest period a page shows (20 years: every month is a row of the monthly table)
MAX_MONTHS = 240
#: the group whose ratio to White is the page's headline (the largest, most-searched minority)
HEADLINE_GROUP = "Black"


class StatsQueryError(InvalidRequestError):
    """A force, period or ethnicity the page cannot show, said in words."""


@dataclass(frozen=True)
class Period:
    force: str
    start: str
    end: str
    ethnicity: str

    def params(self) -> dict[str, str]:
        return {"force": self.force, "from": self.start, "to": self.end,
                "ethnicity": self.ethnicity}  # fmt: skip


@dataclass
class Column:
    key: str
    label: str
    kind: str = "text"  # text | count | rate | ratio | share


@dataclass
class Table:
    name: str
    title: str
    caption: str
    columns: list[Column]
    rows: list[dict[str, Any]]
    source: Any = field(default=None, repr=False)  # the service's answer behind the table

    def csv(self) -> str:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow([c.key for c in self.columns])
        for row in self.rows:
            writer.writerow(["" if row.get(c.key) is None else row[c.key] for c in self.columns])
        return buffer.getvalue()

    def json(self, query: Mapping[str, str]) -> str:
        body = {
            "table": self.name, "title": self.title, "caption": self.caption,
            "query": dict(query), "columns": [c.key for c in self.columns], "rows": self.rows,
            "answer": self.source,
        }  # fmt: skip
        return json.dumps(body, indent=1, ensure_ascii=False)


# -- reading the request ---------------------------------------------------------------------


def month_name(month: str) -> str:
    return date(int(month[:4]), int(month[5:]), 1).strftime("%B %Y")


def shift(month: str, months: int) -> str:
    index = int(month[:4]) * 12 + int(month[5:]) - 1 + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def _month(value: str, what: str) -> str:
    if not MONTH.match(value):
        raise StatsQueryError(
            f"the {what} month '{value[:20]}' is not a month: write it as year-month, "
            "for example 2018-01"
        )
    return value


def ethnicity_of(value: str | None) -> str:
    value = (value or "officer").strip()
    if value not in ETHNICITIES:
        raise StatsQueryError("ethnicity is either officer-defined or self-defined")
    return value


def default_force(stats: PoliceStats) -> str:
    """The force with the most searches imported: the fullest first view."""
    grid = stats.coverage()["forces"]
    return str(max(grid, key=lambda f: (sum(m["rows"] for m in grid[f]["months"].values()), f)))


def period_of(stats: PoliceStats, params: Mapping[str, str]) -> Period:
    """The force and period asked for; what is left out defaults to the force's latest 12
    months (the year ending with its latest month with a file)."""
    forces = stats.forces()
    force = (params.get("force") or "").strip() or default_force(stats)
    if not FORCE.match(force) or force not in forces:
        raise StatsQueryError(
            f"there is no stop-and-search data for a force called '{force[:60]}': choose one "
            "of the forces in the list"
        )
    ethnicity = ethnicity_of(params.get("ethnicity"))
    start, end = (params.get("from") or "").strip(), (params.get("to") or "").strip()
    if not end:
        end = max(stats.coverage()["forces"][force]["months"])
    end = _month(end, "last")
    start = _month(start, "first") if start else shift(end, -11)
    if start > end:
        raise StatsQueryError(
            f"the period starts ({month_name(start)}) after it ends ({month_name(end)}): "
            "swap the two months"
        )
    if shift(start, MAX_MONTHS - 1) < end:
        raise StatsQueryError(f"a period can be at most {MAX_MONTHS // 12} years long")
    return Period(force, start, end, ethnicity)


def league_month(stats: PoliceStats, value: str | None) -> str:
    """The month asked for, or the month with files from the most forces (the latest such)."""
    if value and value.strip():
        return _month(value.strip(), "chosen")
    counts: dict[str, int] = {}
    for cells in stats.coverage()["forces"].values():
        for month in cells["months"]:
            counts[month] = counts.get(month, 0) + 1
    return max(counts, key=lambda m: (counts[m], m))


# -- plain words -------------------------------------------------------------------------------

#: The core's notes speak to the command line; on a page they point at the form instead.
_FOR_PAGES = {
    "(compare with --ethnicity self)": "(choose self-defined ethnicity above to compare)",
    " (witness stats coverage --json lists why)": " (the coverage data lists why)",
    "(witness stats coverage shows what there is)": "(the coverage table shows what there is)",
    "(witness stats import a census table)": "(the site's operator can import one)",
}


def for_pages(text: str) -> str:
    for old, new in _FOR_PAGES.items():
        text = text.replace(old, new)
    return text


def sentence(text: str) -> str:
    """A message from the core as a sentence on a page."""
    text = for_pages(text).strip()
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


def ratio_sentence(group: str, ratio: Mapping[str, Any]) -> str:
    """'Black people were searched 5.4 times as often as White people (95% interval ...)'."""
    if ratio.get("ratio") is None:
        return f"No {group} to White ratio can be given: {ratio.get('reason', 'no data')}."
    value, (low, high) = ratio["ratio"], ratio["ci95"]
    times = f"{value:.1f}" if value >= 1 else f"{value:.2f}"
    less = ": less often" if high < 1 else ""
    return (f"{group} people were searched {times} times as often as White people (95% interval "
            f"{low:.2f} to {high:.2f}) per resident{less}.")  # fmt: skip


def bounds_sentence(group: str, ratio: Mapping[str, Any], unknown: int, full: bool) -> str | None:
    """How far the ratio could move if the searches with no ethnicity were all of one group."""
    if ratio.get("ratio") is None or not ratio.get("bounds") or not unknown:
        return None
    low, high = ratio["bounds"]
    if not full:
        return f"Bounds: {low:.2f} to {high:.2f}."
    return (f"{unknown:,} searches have no ethnicity recorded. Had they all been searches of "
            f"{group} people the ratio would be {high:.2f}; had they all been of White people, "
            f"{low:.2f}.")  # fmt: skip


def headline(answer: Mapping[str, Any]) -> dict[str, Any]:
    """The page's opening words: the headline group first, then the others."""
    ratios = answer["rate_ratios"]
    groups = answer["groups"]
    unknown = groups["missing"]["searches"] + groups.get("Not stated", {}).get("searches", 0)
    order = [g for g in [HEADLINE_GROUP, *ratios] if g in ratios]
    sentences = [
        {"group": g, "text": ratio_sentence(g, ratios[g]),
         "bounds": bounds_sentence(g, ratios[g], unknown, full=i == 0)}
        for i, g in enumerate(dict.fromkeys(order))
    ]  # fmt: skip
    return {"lead": sentences[0] if sentences else None, "others": sentences[1:]}


def caveats(answer: Mapping[str, Any], breakdowns: Mapping[str, Any] | None) -> list[str]:
    notes: list[str] = []
    missing = answer["missing_months"]
    if missing:
        notes.append(
            f"No file for {len(missing)} of the {len(missing) + len(answer['months'])} months "
            f"asked for ({', '.join(month_name(m) for m in missing)}): those months are "
            "missing from every figure, not counted as zero."
        )
    if answer.get("no_rate_reason"):
        notes.append(f"No per-resident rates: {answer['no_rate_reason']}.")
    for note in [*answer.get("warnings", []), *(breakdowns or {}).get("warnings", [])]:
        text = sentence(note)
        if text not in notes:
            notes.append(text)
    return notes


# -- tables ------------------------------------------------------------------------------------


def _ratio_cells(prefix: str, ratio: Mapping[str, Any] | None) -> dict[str, Any]:
    ratio = ratio or {}
    ci, bounds = ratio.get("ci95") or [None, None], ratio.get("bounds") or [None, None]
    return {f"{prefix}ratio": ratio.get("ratio"), f"{prefix}ci95_low": ci[0],
            f"{prefix}ci95_high": ci[1], f"{prefix}bound_low": bounds[0],
            f"{prefix}bound_high": bounds[1]}  # fmt: skip


def groups_table(answer: Mapping[str, Any]) -> Table:
    rows = []
    for group, row in answer["groups"].items():
        ratio = answer["rate_ratios"].get(group)
        note = "comparison group" if group == answer["comparison_group"] else ""
        if group == "missing":
            note = "no ethnicity recorded: counted in the bounds"
        elif group == "Not stated":
            note = "the person declined to say: counted in the bounds"
        elif ratio and ratio.get("reason"):
            note = ratio["reason"]
        rows.append({"group": group, "searches": row["searches"],
                     "population": row.get("population"), "rate_per_1000": row.get("rate_per_1000"),
                     **_ratio_cells("", ratio), "note": note})  # fmt: skip
    per = "a year" if answer["rate_period_months"] == 12 else (
        f"the {answer['rate_period_months']} month(s) with data")  # fmt: skip
    return Table(
        "groups", "Searches by ethnic group",
        f"{ETHNICITIES[answer['ethnicity']].capitalize()} ethnicity. Rates are searches per 1,000 "
        f"residents over {per}; ratios are against White, with a 95% interval and the bounds "
        "if every search with no ethnicity recorded were of the group, or of White people.",
        [Column("group", "Group"), Column("searches", "Searches", "count"),
         Column("population", "Residents (2011 Census)", "count"),
         Column("rate_per_1000", "Per 1,000 residents", "rate"),
         Column("ratio", "Ratio to White", "ratio"),
         Column("ci95_low", "95% interval from", "ratio"),
         Column("ci95_high", "95% interval to", "ratio"),
         Column("bound_low", "Lowest bound", "ratio"),
         Column("bound_high", "Highest bound", "ratio"), Column("note", "Note")],
        rows, answer,
    )  # fmt: skip


def monthly_table(series: Sequence[Mapping[str, Any]]) -> Table:
    rows = []
    for item in series:
        row: dict[str, Any] = {"month": item["from"], "searches": item["searches"]}
        groups = item.get("groups") or {}
        for group in (*GROUPS, "missing"):
            row[group.lower()] = groups[group]["searches"] if group in groups else None
        ratio = (item.get("rate_ratios") or {}).get(HEADLINE_GROUP)
        row.update(_ratio_cells("black_", ratio))
        row["note"] = "no file: missing, not zero" if item["searches"] is None else (
            (ratio or {}).get("reason", ""))  # fmt: skip
        rows.append(row)
    return Table(
        "monthly", "Month by month",
        "Searches each month by ethnic group, and the Black to White ratio per resident for the "
        "month alone (one month's rate, so wider intervals).",
        [Column("month", "Month"), Column("searches", "Searches", "count"),
         *(Column(g.lower(), g, "count") for g in GROUPS),
         Column("missing", "No ethnicity", "count"),
         Column("black_ratio", "Black to White", "ratio"),
         Column("black_ci95_low", "95% interval from", "ratio"),
         Column("black_ci95_high", "95% interval to", "ratio"), Column("note", "Note")],
        rows, series,
    )  # fmt: skip


def _shares(name: str, title: str, label: str, counts: Mapping[str, int], total: int,
            order: list[str] | None = None, source: Any = None) -> Table:  # fmt: skip
    keys = order or sorted(counts, key=lambda k: (k == "missing", -counts[k], k))
    keys = [k for k in keys if k in counts] + [k for k in counts if k not in keys]
    rows = [{"value": "not recorded" if k == "missing" else k, "searches": counts[k],
             "share": round(counts[k] / total, 4) if total else None} for k in keys]  # fmt: skip
    return Table(name, title, f"Share of all {total:,} searches (the denominator).",
                 [Column("value", label), Column("searches", "Searches", "count"),
                  Column("share", "Share", "share")], rows, source)  # fmt: skip


def breakdown_tables(b: Mapping[str, Any]) -> dict[str, Table]:
    total = b["searches"]
    measures = Table(
        "measures", "What searches found, and how far they went",
        "Each share has its own denominator: the searches for which the column was recorded.",
        [Column("measure", "Measure"), Column("count", "Searches", "count"),
         Column("denominator", "Out of", "count"), Column("share", "Share", "share")],
        [{"measure": "No further action", "count": b["no_further_action"]["searches"],
          "denominator": b["no_further_action"]["denominator"],
          "share": b["no_further_action"]["share"]},
         {"measure": "Find linked to the object of the search", "count": b["find_rate"]["linked"],
          "denominator": b["find_rate"]["denominator"], "share": b["find_rate"]["share"]},
         {"measure": "More than outer clothing removed",
          "count": b["more_than_outer_clothing"]["searches"],
          "denominator": b["more_than_outer_clothing"]["denominator"],
          "share": b["more_than_outer_clothing"]["share"]}],
        {k: b[k] for k in ("no_further_action", "find_rate", "more_than_outer_clothing")},
    )  # fmt: skip
    section_60 = Table(
        "section-60", "Section 60 searches by month",
        "Searches under section 60 of the Criminal Justice and Public Order Act 1994 (no "
        "suspicion needed inside an authorised area), out of all searches that month.",
        [Column("month", "Month"), Column("section_60", "Section 60", "count"),
         Column("searches", "All searches", "count"), Column("share", "Share", "share")],
        [{**m, "share": round(m["section_60"] / m["searches"], 4) if m["searches"] else None}
         for m in b["section_60_by_month"]],
        b["section_60_by_month"],
    )  # fmt: skip
    return {
        "measures": measures,
        "outcomes": _shares("outcomes", "Outcomes", "Outcome", b["outcomes"], total,
                            source=b["outcomes"]),
        "legislation": _shares("legislation", "Powers used", "Legislation", b["legislation"],
                               total, source=b["legislation"]),
        "section-60": section_60,
        "age": _shares("age", "Age", "Age range", b["age_range"], total,
                       [*AGE_RANGES, "missing"], b["age_range"]),
        "gender": _shares("gender", "Gender", "Gender", b["gender"], total, source=b["gender"]),
    }  # fmt: skip


def coverage_table(answer: Mapping[str, Any], coverage: Mapping[str, Any]) -> Table:
    cells = coverage["forces"].get(answer["force"], {}).get("months", {})
    rows = []
    for month in (m for m in _months(answer["from"], answer["to"])):
        cell = cells.get(month)
        rows.append(
            {
                "month": month,
                "status": "used" if cell else "missing (no file)",
                "rows": cell["rows"] if cell else None,
                "rows_refused": cell["rows_refused"] if cell else None,
                "blank_columns": "; ".join(cell["blank_columns"]) if cell else "",
            }
        )
    return Table(
        "coverage", "Coverage of the period",
        "One row per month asked for: a month with no published file is missing, never zero.",
        [Column("month", "Month"), Column("status", "Status"),
         Column("rows", "Searches imported", "count"),
         Column("rows_refused", "Rows refused", "count"),
         Column("blank_columns", "Columns blank at source")],
        rows, {"months": answer["months"], "missing_months": answer["missing_months"]},
    )  # fmt: skip


def _months(start: str, end: str) -> list[str]:
    months = [start]
    while months[-1] < end:
        months.append(shift(months[-1], 1))
    return months


def league_table(answers: Sequence[Mapping[str, Any]], names: Mapping[str, str]) -> Table:
    def order(a: Mapping[str, Any]) -> tuple[int, float, str]:
        ratio = a["rate_ratios"][HEADLINE_GROUP]["ratio"]
        return (ratio is None, -(ratio or 0), a["force"])

    rows = []
    for a in sorted(answers, key=order):
        ratio = a["rate_ratios"][HEADLINE_GROUP]
        rows.append({"force": a["force"], "name": names.get(a["force"], a["force"]),
                     "searches": a["searches"], "no_ethnicity": a["groups"]["missing"]["searches"],
                     "black_rate_per_1000": a["groups"]["Black"]["rate_per_1000"],
                     "white_rate_per_1000": a["groups"]["White"]["rate_per_1000"],
                     **_ratio_cells("black_", ratio), "note": ratio.get("reason", "")})  # fmt: skip
    return Table(
        "league", "Forces compared",
        "Every force with a file for the month, the highest Black to White ratio first; rates "
        "are searches per 1,000 residents in the month.",
        [Column("name", "Force"), Column("searches", "Searches", "count"),
         Column("no_ethnicity", "No ethnicity", "count"),
         Column("black_rate_per_1000", "Black per 1,000", "rate"),
         Column("white_rate_per_1000", "White per 1,000", "rate"),
         Column("black_ratio", "Black to White", "ratio"),
         Column("black_ci95_low", "95% interval from", "ratio"),
         Column("black_ci95_high", "95% interval to", "ratio"),
         Column("black_bound_low", "Lowest bound", "ratio"),
         Column("black_bound_high", "Highest bound", "ratio"), Column("note", "Note")],
        rows, answers,
    )  # fmt: skip


def shown(value: Any, kind: str) -> str:
    """A cell as the page shows it (the CSV keeps the unrounded value)."""
    if value is None or value == "":
        return "—" if kind != "text" else ""
    if kind == "count":
        return f"{value:,}"
    if kind == "rate":
        return f"{value:,.2f}"
    if kind == "ratio":
        return f"{value:.2f}"
    if kind == "share":
        return f"{value * 100:.1f}%"
    return str(value)


BREAKDOWN_TABLES = ("measures", "outcomes", "legislation", "section-60", "age", "gender")


def _breakdown(name: str) -> Callable[[PoliceStats, Period], Table]:
    def build(stats: PoliceStats, p: Period) -> Table:
        return breakdown_tables(stats.breakdowns(p.force, p.start, p.end))[name]

    return build


#: table name -> how to build it for a force and period
PERIOD_TABLES: dict[str, Callable[[PoliceStats, Period], Table]] = {
    "groups": lambda s, p: groups_table(s.disproportionality(p.force, p.start, p.end, p.ethnicity)),
    "monthly": lambda s, p: monthly_table(s.monthly(p.force, p.start, p.end, p.ethnicity)),
    "coverage": lambda s, p: coverage_table(
        s.disproportionality(p.force, p.start, p.end, p.ethnicity), s.coverage()
    ),
    **{name: _breakdown(name) for name in BREAKDOWN_TABLES},
}
