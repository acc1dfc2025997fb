"""The figures: from the counts kept in the force-months' manifests, or computed by DuckDB over
their Parquet files (the map's points, and stores imported before the counts were kept).

Every answer names the force-months it rests on (``months``) and those missing in the period
asked (``missing_months``: no file is not zero), and carries ``warnings`` about columns blank or
broken at source. Definitions: docs/statistics.md.
"""

from __future__ import annotations

from typing import Any

import duckdb

from openwitness.stats.errors import UnknownPeriodError
from openwitness.stats.measures import rate_per_1000, rate_ratio, share
from openwitness.stats.store import Manifest, StatsStore
from openwitness.stats.tally import TALLIED
from openwitness.stats.tally import literal as _literal
from openwitness.stats.vocabulary import (
    GROUPS,
    NO_FURTHER_ACTION,
    NO_RESIDENT_RATE,
    NOT_STATED,
    SECTION_60,
)

_COLUMN_TITLE = {"officer": "Officer-defined ethnicity", "self": "Self-defined ethnicity"}
#: A month with this many searches and not one of a White person has a broken column.
_BROKEN_COLUMN_MIN_ROWS = 50
_MOSTLY_BLANK = 0.10


def _parquet(store: StatsStore, manifests: list[Manifest]) -> str:
    """The months' rows: from each data file, only the (force, month)s whose manifests name
    that file (a batch file may still hold a month re-imported since into a newer batch)."""
    by_file: dict[str, dict[str, list[str]]] = {}
    for m in manifests:
        by_file.setdefault(str(store.data_path(m)), {}).setdefault(m.force, []).append(m.month)
    parts = []
    for path, forces in by_file.items():
        which = " OR ".join(
            f"(force = {_literal(force)} AND month IN ({', '.join(map(_literal, months))}))"
            for force, months in forces.items()
        )
        parts.append(f"SELECT * FROM read_parquet({_literal(path)}) WHERE {which}")
    return "(" + " UNION ALL BY NAME ".join(parts) + ")"


def _query(store: StatsStore, manifests: list[Manifest], sql: str) -> list[tuple[Any, ...]]:
    """Run ``sql`` with ``{data}`` standing for the months' rows. A month re-imported while we
    read has its old file removed: read the manifests again and retry once."""
    for attempt in range(2):
        try:
            with duckdb.connect(config={"threads": 2}) as con:
                return con.execute(sql.format(data=_parquet(store, manifests))).fetchall()
        except duckdb.IOException:
            if attempt:
                raise
            manifests = [store.manifest(m.kind, m.force, m.month) or m for m in manifests]
    raise AssertionError("unreachable")


def _manifests(store: StatsStore, force: str, months: list[str]) -> list[Manifest]:
    found = [store.manifest("stop-and-search", force, month) for month in months]
    return [m for m in found if m is not None]


def _warnings(manifests: list[Manifest], column: str | None = None) -> list[str]:
    notes: list[str] = []
    rows = sum(m.rows_imported for m in manifests)
    blank_everywhere: dict[str, list[str]] = {}
    for manifest in manifests:
        for name in manifest.blank_columns:
            blank_everywhere.setdefault(name, []).append(manifest.month)
        if manifest.rows_refused:
            notes.append(
                f"{manifest.force} {manifest.month}: {manifest.rows_refused} rows were refused at "
                "import and are not counted (witness stats coverage --json lists why)"
            )
    for name, months in sorted(blank_everywhere.items()):
        if name in ("Policing operation",):
            continue
        notes.append(f"'{name}' is blank at source in {', '.join(months)}")
    if column and rows:
        blank = sum(m.blank_counts.get(column, 0) for m in manifests)
        if 0 < blank < rows and blank / rows >= _MOSTLY_BLANK:
            notes.append(
                f"'{column}' is blank for {blank:,} of {rows:,} searches ({blank / rows:.0%})"
            )
    return notes


def _group_counts(manifests: list[Manifest], ethnicity: str) -> dict[str, dict[str | None, int]]:
    """Searches by group per force-month, as counted at import (no Parquet to read)."""
    return {
        f"{m.force}/{m.month}": {group: int(n) for group, n in m.group_counts[ethnicity]}
        for m in manifests
    }


def _answer(
    store: StatsStore, force: str, months: list[str], manifests: list[Manifest], ethnicity: str,
    month_counts: dict[str, dict[str | None, int]],
) -> dict[str, Any]:  # fmt: skip
    present = sorted(m.month for m in manifests)
    counts: dict[str | None, int] = {}
    for manifest in manifests:
        for group, number in month_counts.get(f"{force}/{manifest.month}", {}).items():
            counts[group] = counts.get(group, 0) + number
    population = store.population()
    residents = population.of(ethnicity, force) if population else None
    no_rate = NO_RESIDENT_RATE.get(force)
    if no_rate is None and residents is None:
        no_rate = "no population table holds this force (witness stats import a census table)"
    groups: dict[str, dict[str, Any]] = {}
    for group in GROUPS:
        people = None if no_rate or residents is None else residents.get(group)
        groups[group] = {
            "searches": counts.get(group, 0),
            "population": people,
            "rate_per_1000": _round(rate_per_1000(counts.get(group, 0), people)),
        }
    unknown = counts.get(None, 0)
    groups["missing"] = {"searches": unknown}
    if ethnicity == "self":
        groups[NOT_STATED] = {"searches": counts.get(NOT_STATED, 0)}
        unknown += counts.get(NOT_STATED, 0)
    ratios = {}
    white = groups["White"]
    for group in GROUPS[1:]:
        if no_rate:
            ratios[group] = {"ratio": None, "ci95": None, "bounds": None, "reason": no_rate}
            continue
        this = groups[group]
        ratios[group] = rate_ratio(
            group, this["searches"], this["population"], white["searches"], white["population"],
            unknown,
        ).as_dict()  # fmt: skip
    column = _COLUMN_TITLE[ethnicity]
    warnings = _warnings(manifests, column)
    for manifest in manifests:
        by_group = month_counts.get(f"{force}/{manifest.month}", {})
        if manifest.rows_imported >= _BROKEN_COLUMN_MIN_ROWS and not by_group.get("White"):
            warnings.append(
                f"'{column}' never says White in {force} {manifest.month} "
                f"({manifest.rows_imported:,} searches): the column looks broken at source"
            )
    if ethnicity == "officer":
        warnings.append(
            "officer-defined ethnicity is the officer's perception; the census counts people's "
            "own answers (compare with --ethnicity self)"
        )
    return {
        "force": force,
        "ethnicity": ethnicity,
        "from": months[0],
        "to": months[-1],
        "months": present,
        "missing_months": [m for m in months if m not in present],
        "searches": sum(counts.values()),
        "rate_period_months": len(present),
        "groups": groups,
        "rate_ratios": ratios,
        "comparison_group": "White",
        "population_source": population.source if population and not no_rate else None,
        "no_rate_reason": no_rate,
        "warnings": warnings,
    }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def disproportionality(
    store: StatsStore, force: str, months: list[str], ethnicity: str
) -> dict[str, Any]:
    manifests = _manifests(store, force, months)
    if not manifests:
        known = sorted({m.force for m in store.manifests()})
        if force not in known:
            raise UnknownPeriodError(
                f"no stop-and-search data for force '{force}'"
                + (f" (forces with data: {', '.join(known)})" if known else " (nothing imported)")
            )
        raise UnknownPeriodError(
            f"no stop-and-search file for {force} in {months[0]} … {months[-1]}: every month "
            "of the period is missing (witness stats coverage shows what there is)"
        )
    counts = _group_counts(manifests, ethnicity)
    return _answer(store, force, months, manifests, ethnicity, counts)


def by_force(store: StatsStore, month: str, ethnicity: str) -> list[dict[str, Any]]:
    manifests = sorted(store.manifests_in_month(month), key=lambda m: m.force)
    if not manifests:
        raise UnknownPeriodError(f"no stop-and-search file for any force in {month}")
    counts = _group_counts(manifests, ethnicity)
    return [_answer(store, m.force, [month], [m], ethnicity, counts) for m in manifests]


def monthly(
    store: StatsStore, force: str, months: list[str], ethnicity: str
) -> list[dict[str, Any]]:
    """One disproportionality answer per month (missing months included, with no figures)."""
    manifests = _manifests(store, force, months)
    counts = _group_counts(manifests, ethnicity) if manifests else {}
    by_month = {m.month: m for m in manifests}
    series = []
    for month in months:
        if month in by_month:
            series.append(_answer(store, force, [month], [by_month[month]], ethnicity, counts))
        else:
            series.append({"force": force, "from": month, "to": month, "months": [],
                           "missing_months": [month], "searches": None})  # fmt: skip
    return series


def breakdowns(store: StatsStore, force: str, months: list[str]) -> dict[str, Any]:
    """NFA share, find rate, legislation and section 60 by month, clothing, age and gender."""
    manifests = _manifests(store, force, months)
    if not manifests:
        raise UnknownPeriodError(
            f"no stop-and-search file for {force} in {months[0]} … {months[-1]}"
        )

    tallied = _tallies_of(manifests)
    outcome, linked, clothing, legislation = (
        tallied[k] for k in ("outcome", "outcome_linked", "more_than_outer_clothing", "legislation")
    )
    per_month = tallied["by_month"]
    searches = sum(outcome.values())
    recorded_outcomes = searches - outcome.get("missing", 0)
    nfa = outcome.get(NO_FURTHER_ACTION, 0)
    linked_recorded = linked.get("True", 0) + linked.get("False", 0)
    clothing_recorded = clothing.get("True", 0) + clothing.get("False", 0)
    present = sorted(m.month for m in manifests)
    return {
        "force": force,
        "from": months[0],
        "to": months[-1],
        "months": present,
        "missing_months": [m for m in months if m not in present],
        "searches": searches,
        "outcomes": outcome,
        "no_further_action": {
            "searches": nfa, "denominator": recorded_outcomes,
            "share": _round(share(nfa, recorded_outcomes)),
        },
        "find_rate": {
            "linked": linked.get("True", 0), "denominator": linked_recorded,
            "share": _round(share(linked.get("True", 0), linked_recorded)),
        },
        "more_than_outer_clothing": {
            "searches": clothing.get("True", 0), "denominator": clothing_recorded,
            "share": _round(share(clothing.get("True", 0), clothing_recorded)),
        },
        "legislation": dict(sorted(legislation.items(), key=lambda kv: -kv[1])),
        "section_60_by_month": [
            {"month": m, "searches": n, "section_60": s60} for m, (n, s60) in per_month.items()
        ],
        "age_range": tallied["age_range"],
        "gender": tallied["gender"],
        "warnings": _warnings(manifests),
    }  # fmt: skip


def _key(value: Any) -> str:
    return "missing" if value is None else str(value)


def _tallies_of(manifests: list[Manifest]) -> dict[str, Any]:
    """The breakdown counts, added up from the manifests."""
    tallied: dict[str, Any] = {key: {} for key in TALLIED}
    for manifest in manifests:
        for key in TALLIED:
            into = tallied[key]
            for value, number in manifest.tallies.get(key, []):
                into[_key(value)] = into.get(_key(value), 0) + int(number)
    by_month: dict[str, tuple[int, int]] = {}
    for manifest in sorted(manifests, key=lambda m: m.month):
        if manifest.rows_imported:  # as from the rows: a month without any has no line
            section_60 = sum(int(n) for v, n in manifest.tallies["legislation"] if v == SECTION_60)
            by_month[manifest.month] = (manifest.rows_imported, section_60)
    tallied["by_month"] = by_month
    return tallied


def points(store: StatsStore, force: str, months: list[str]) -> list[tuple[float, float]]:
    manifests = _manifests(store, force, months)
    if not manifests:
        return []
    rows = _query(
        store, manifests,
        "SELECT longitude, latitude FROM {data} WHERE latitude IS NOT NULL "
        "AND longitude IS NOT NULL",
    )  # fmt: skip
    return [(float(x), float(y)) for x, y in rows]


def coverage(store: StatsStore, kind: str) -> dict[str, Any]:
    """The force-by-month grid: rows per force-month imported, and what was blank or refused."""
    cells: dict[str, dict[str, Any]] = {}
    all_months: set[str] = set()
    for manifest in store.manifests(kind):
        all_months.add(manifest.month)
        cells.setdefault(manifest.force, {})[manifest.month] = {
            "rows": manifest.rows_imported,
            "rows_refused": manifest.rows_refused,
            "refusals": manifest.refusals,
            "blank_columns": manifest.blank_columns,
            "source": manifest.source,
            "imported_at": manifest.imported_at,
        }
    span: list[str] = []
    if all_months:
        first, last = min(all_months), max(all_months)
        year, month = int(first[:4]), int(first[5:])
        while f"{year:04d}-{month:02d}" <= last:
            span.append(f"{year:04d}-{month:02d}")
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return {
        "kind": kind,
        "months": span,
        "forces": {
            force: {"months": by_month, "missing_months": [m for m in span if m not in by_month]}
            for force, by_month in sorted(cells.items())
        },
    }
