"""Counting a batch's rows at import: unknown-word refusals and every per-month figure.

The answers (disproportionality, breakdowns) add up per-force-month counts; counting them once
at import, into each month's manifest, means answering reads a few small JSON files instead of
the Parquet rows. One pass over the batch (``GROUPING SETS``) gives, per file: the unknown-word
refusals (grouped by reason, with the first line) and, for the accepted rows, the counts by
officer-defined and self-defined (ONS) group and by each column the breakdowns tally.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

import duckdb

from openwitness.stats.vocabulary import (
    AGE_RANGES,
    BOOLEANS,
    GENDERS,
    OFFICER_DEFINED,
    OUTCOME_RENAMED,
    OUTCOMES,
    SEARCH_TYPES,
    SELF_DEFINED,
)

#: (column, allowed values) checked on every stop-and-search row; blank is always allowed.
WORDS: Final = (
    ("Type", SEARCH_TYPES),
    ("Gender", GENDERS),
    ("Age range", frozenset(AGE_RANGES)),
    ("Self-defined ethnicity", frozenset(SELF_DEFINED)),
    ("Officer-defined ethnicity", OFFICER_DEFINED),
    ("Outcome", OUTCOMES),
    ("Part of a policing operation", BOOLEANS),
    ("Outcome linked to object of search", BOOLEANS),
    ("Removal of more than just outer clothing", BOOLEANS),
)
#: Counted per accepted file: (key, expression over ``raw r`` and the joined maps). The first
#: two are the ethnicity groups; the rest are the columns ``figures.breakdowns`` tallies, as
#: the Parquet stores them (outcome as renamed, booleans as booleans).
COUNTED: Final = (
    ("officer", 'r."Officer-defined ethnicity"'),
    ("self", "s.grp"),
    ("outcome", 'coalesce(o.new, r."Outcome")'),
    ("outcome_linked", 'TRY_CAST(r."Outcome linked to object of search" AS BOOLEAN)'),
    ("more_than_outer_clothing",
     'TRY_CAST(r."Removal of more than just outer clothing" AS BOOLEAN)'),
    ("legislation", 'r."Legislation"'),
    ("age_range", 'r."Age range"'),
    ("gender", 'r."Gender"'),
)  # fmt: skip
TALLIED: Final = tuple(key for key, _ in COUNTED[2:])


@dataclass
class Counted:
    """One file's refusals and its accepted rows' counts ([value, count] pairs)."""

    refusals: list[dict[str, Any]] = field(default_factory=list)
    group_counts: dict[str, list[list[Any]]] = field(default_factory=dict)
    tallies: dict[str, list[list[Any]]] = field(default_factory=dict)

    @classmethod
    def nothing(cls, kind: str) -> Counted:
        """A file with no rows: every count present and empty, so figures need no Parquet."""
        if kind != "stop-and-search":
            return cls()
        return cls([], {key: [] for key, _ in COUNTED[:2]}, {key: [] for key in TALLIED})


def quote(column: str) -> str:
    return '"' + column.replace('"', '""') + '"'


def literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def reason_sql(kind: str) -> str:
    """The first unknown word of a row, as the refusal reason; NULL when the row is accepted."""
    if kind != "stop-and-search":
        return "CAST(NULL AS VARCHAR)"
    cases = []
    for column, allowed in WORDS:
        value = quote(column)
        words = ", ".join(literal(w) for w in sorted(allowed))
        cases.append(
            f"WHEN {value} IS NOT NULL AND {value} NOT IN ({words}) THEN "
            f"{literal('unknown ' + column.lower() + ' ')} || chr(39) || left({value}, 60) "
            "|| chr(39)"
        )
    return "CASE " + " ".join(cases) + " END"


def self_map() -> str:
    pairs = ", ".join(f"({literal(k)}, {literal(v)})" for k, v in SELF_DEFINED.items())
    return f"(VALUES {pairs}) s(published, grp)"


def renamed_map() -> str:
    pairs = ", ".join(f"({literal(k)}, {literal(v)})" for k, v in OUTCOME_RENAMED.items())
    return f"(VALUES {pairs}) o(old, new)"


def count_batch(con: duckdb.DuckDBPyConnection, kind: str) -> dict[str, Counted]:
    """Per accepted file (table ``accepted``) of the batch (table ``raw``), in one pass."""
    if kind != "stop-and-search":
        return {}
    keys = [key for key, _ in COUNTED]
    values = ", ".join(f"{sql} AS {key}" for key, sql in COUNTED)
    listed = ", ".join(keys)
    sets = ", ".join(["(filename, reason)", *(f"(filename, reason, {k})" for k in keys)])
    # every combination first (a few thousand rows per batch), then the sets from those: far
    # cheaper than the sets straight from the rows
    rows = con.execute(  # only constants and vocabulary words, quoted, go into the SQL
        f"""
        WITH combinations AS (
            SELECT filename, reason, {listed}, count(*) AS n, min(line) AS line
            FROM (SELECT r.filename, {reason_sql(kind)} AS reason,
                         r.rowid - a.first + 2 AS line, {values}
                  FROM raw r JOIN accepted a ON a.filename = r.filename
                  LEFT JOIN {self_map()} ON s.published = r."Self-defined ethnicity"
                  LEFT JOIN {renamed_map()} ON o.old = r."Outcome")
            GROUP BY ALL
        )
        SELECT filename, GROUPING({listed}), reason, {listed}, sum(n), min(line)
        FROM combinations GROUP BY GROUPING SETS ({sets})
        """  # noqa: S608
    ).fetchall()
    every = (1 << len(keys)) - 1
    counts: dict[str, dict[str, dict[Any, int]]] = {}
    reasons: dict[str, dict[str, list[int]]] = {}
    for filename, grouping, reason, *rest in rows:
        number, line = int(rest[-2]), int(rest[-1])
        if grouping == every:  # the (filename, reason) set
            counts.setdefault(filename, {})
            if reason is not None:
                reasons.setdefault(filename, {})[reason] = [number, line]
            continue
        if reason is not None:
            continue
        index = len(keys) - (every ^ grouping).bit_length()  # the one key grouped by
        by_value = counts.setdefault(filename, {}).setdefault(keys[index], {})
        by_value[rest[index]] = by_value.get(rest[index], 0) + number
    out: dict[str, Counted] = {}
    for filename, by_key in counts.items():  # a file with no rows has nothing to count
        refusals: list[dict[str, Any]] = [
            {"reason": r, "rows": n, "first_line": line}
            for r, (n, line) in sorted(reasons.get(filename, {}).items(), key=lambda kv: kv[1][1])
        ]
        out[filename] = Counted(
            refusals,
            {key: _pairs(by_key.get(key, {})) for key in keys[:2]},
            {key: _pairs(by_key.get(key, {})) for key in keys[2:]},
        )
    return out


def _pairs(counts: dict[Any, int]) -> list[list[Any]]:
    return sorted(
        ([k, n] for k, n in counts.items()), key=lambda kn: (kn[0] is None, str(kn[0] or ""))
    )
