"""Reading one data.police.uk CSV file into Parquet with DuckDB, checking it on the way.

A file is refused whole (nothing of it stored) when its shape is wrong: an unknown header, the
wrong delimiter, a last line cut short, a row with the wrong number of fields, a date that is not
ISO 8601 (Excel rewrites them), coordinates that are not numbers. A row whose words are unknown
(an ethnicity, outcome or gender string not in :mod:`openwitness.stats.vocabulary`) is refused
alone, and counted with the string named, so one new word does not hide a month of searches.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import duckdb

from openwitness.stats.errors import StatsInputError
from openwitness.stats.sources import DataFile
from openwitness.stats.vocabulary import (
    AGE_RANGES,
    BOOLEANS,
    GENDERS,
    HEADERS,
    OFFICER_DEFINED,
    OUTCOME_RENAMED,
    OUTCOMES,
    SEARCH_TYPES,
    SELF_DEFINED,
)

_ISO_DATE: Final = r"\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})?)?"
_NUMBER: Final = r"-?\d{1,3}(\.\d+)?"
#: (column, allowed values) checked on every stop-and-search row; blank is always allowed.
_WORDS: Final = (
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
#: Shape checks: a failure refuses the whole file, naming the first line where it happens.
_SHAPES: Final = {
    "stop-and-search": (("Date", _ISO_DATE, False), ("Latitude", _NUMBER, True),
                        ("Longitude", _NUMBER, True)),
    "street": (("Month", r"\d{4}-\d{2}", False), ("Latitude", _NUMBER, True),
               ("Longitude", _NUMBER, True)),
    "outcomes": (("Month", r"\d{4}-\d{2}", False), ("Latitude", _NUMBER, True),
                 ("Longitude", _NUMBER, True)),
}  # fmt: skip


@dataclass(frozen=True)
class Loaded:
    rows_read: int
    rows_refused: int
    refusals: list[dict[str, Any]]
    blank_columns: list[str]
    blank_counts: dict[str, int]


def _quote(column: str) -> str:
    return '"' + column.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def check_text(data: DataFile, path: Path) -> int:
    """Header, delimiter and a complete last line; returns the number of lines."""
    expected = HEADERS[data.kind]
    with path.open("rb") as handle:
        first = handle.readline(65536)
        try:
            text = first.decode("utf-8").lstrip("\ufeff").rstrip("\r\n")
        except UnicodeDecodeError:
            raise StatsInputError(data.name, "the header is not UTF-8 text", 1) from None
        header = next(csv.reader([text]), [])
        if tuple(header) != expected:
            for delimiter in (";", "\t", "|"):
                if tuple(next(csv.reader([text], delimiter=delimiter), [])) == expected:
                    raise StatsInputError(
                        data.name, f"fields are separated by {delimiter!r}, not commas "
                        "(data.police.uk files are comma-separated)", 1,
                    )  # fmt: skip
            unknown = [name for name in header if name not in expected]
            missing = [name for name in expected if name not in header]
            detail = (
                f"unknown column '{unknown[0]}'" if unknown
                else f"missing column '{missing[0]}'" if missing
                else "the columns are in another order"
            )  # fmt: skip
            raise StatsInputError(
                data.name, f"not the {data.kind} header ({detail})", 1,
                unknown[0] if unknown else (missing[0] if missing else None),
            )  # fmt: skip
        lines, last = 1, first[-1:]
        while chunk := handle.read(1 << 20):
            lines += chunk.count(b"\n")
            last = chunk[-1:]
    if last != b"\n":
        raise StatsInputError(
            data.name, "the last line is cut short (no line end): the file looks truncated",
            lines + (0 if last == b"" else 1),
        )  # fmt: skip
    return lines


def _read_sql(data: DataFile, path: Path) -> str:
    columns = ", ".join(f"{_literal(c)}: 'VARCHAR'" for c in HEADERS[data.kind])
    return (
        f"SELECT row_number() OVER () + 1 AS line, * FROM read_csv({_literal(str(path))}, "
        f"header=true, auto_detect=false, delim=',', quote='\"', escape='\"', "
        f"strict_mode=true, null_padding=false, columns={{{columns}}})"
    )


def _field_count_error(data: DataFile, message: str) -> StatsInputError:
    line = None
    for word in message.replace(":", " ").split():
        if word.isdigit():
            line = int(word)
            break
    return StatsInputError(
        data.name, "a row does not have the header's "
        f"{len(HEADERS[data.kind])} comma-separated fields (truncated, or not a police data file)",
        line,
    )  # fmt: skip


def load_rows(
    con: duckdb.DuckDBPyConnection, data: DataFile, path: Path, lines: int, target: Path
) -> Loaded:
    """Check every row in SQL and write the accepted ones to ``target`` as Parquet."""
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE raw AS {_read_sql(data, path)}")
    except duckdb.Error as exc:
        raise _field_count_error(data, str(exc)) from None
    rows_read = con.execute("SELECT count(*) FROM raw").fetchone()[0]  # type: ignore[index]
    if rows_read != lines - 1:
        raise StatsInputError(
            data.name, f"{lines - 1} lines but {rows_read} rows: a field holds a line break or "
            "a quote is unbalanced", None,
        )  # fmt: skip
    for column, pattern, may_be_blank in _SHAPES[data.kind]:
        blank_ok = "TRUE" if may_be_blank else "FALSE"
        bad = con.execute(
            f"SELECT line, {_quote(column)} FROM raw WHERE CASE WHEN {_quote(column)} IS NULL "
            f"THEN NOT {blank_ok} ELSE NOT regexp_full_match({_quote(column)}, ?) END "
            "ORDER BY line LIMIT 1",
            [pattern],
        ).fetchone()
        if bad is not None:
            shown = "blank" if bad[1] is None else f"'{bad[1][:40]}'"
            raise StatsInputError(
                data.name, f"{shown} is not in the published format"
                + (" (ISO 8601, e.g. 2019-01-31T22:05:00+00:00)" if column == "Date" else ""),
                int(bad[0]), column,
            )  # fmt: skip
    blank_counts = _blank_counts(con, data)
    refusals: list[dict[str, Any]] = []
    if data.kind == "stop-and-search":
        refusals = _refuse_unknown_words(con)
        _write_searches(con, data, target)
    else:
        _write_other(con, data, target)
    refused = sum(int(r["rows"]) for r in refusals)
    blank = [c for c, n in blank_counts.items() if n == rows_read and rows_read > 0]
    return Loaded(rows_read, refused, refusals, blank, blank_counts)


def _blank_counts(con: duckdb.DuckDBPyConnection, data: DataFile) -> dict[str, int]:
    header = HEADERS[data.kind]
    sums = ", ".join(f"count(*) - count({_quote(c)})" for c in header)
    row = con.execute(f"SELECT {sums} FROM raw").fetchone()
    assert row is not None
    return {column: int(value) for column, value in zip(header, row, strict=True)}


def _refuse_unknown_words(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Mark rows with a word this version does not know; return the reasons, grouped."""
    con.execute("CREATE OR REPLACE TEMP TABLE refused (line BIGINT, reason VARCHAR)")
    for column, allowed in _WORDS:
        con.execute(
            f"INSERT INTO refused SELECT line, 'unknown ' || {_literal(column.lower())} || ' ' || "
            f"chr(39) || left({_quote(column)}, 60) || chr(39) FROM raw "
            f"WHERE {_quote(column)} IS NOT NULL AND NOT list_contains(?, {_quote(column)}) "
            "AND line NOT IN (SELECT line FROM refused)",
            [sorted(allowed)],
        )
    rows = con.execute(
        "SELECT reason, count(*), min(line) FROM refused GROUP BY reason ORDER BY 3"
    ).fetchall()
    return [{"reason": r, "rows": int(n), "first_line": int(line)} for r, n, line in rows]


def _write_searches(con: duckdb.DuckDBPyConnection, data: DataFile, target: Path) -> None:
    self_map = ", ".join(f"({_literal(k)}, {_literal(v)})" for k, v in SELF_DEFINED.items())
    renamed = ", ".join(f"({_literal(k)}, {_literal(v)})" for k, v in OUTCOME_RENAMED.items())
    con.execute(
        f"""
        COPY (
          SELECT {_literal(data.force)} AS force, {_literal(data.month)} AS month,
                 CAST(r.line AS INTEGER) AS line,
                 r."Type" AS type,
                 timezone('UTC', CAST(r."Date" AS TIMESTAMPTZ)) AS searched_at,
                 CAST(r."Part of a policing operation" AS BOOLEAN) AS operation,
                 r."Policing operation" AS operation_name,
                 CAST(r."Latitude" AS DOUBLE) AS latitude,
                 CAST(r."Longitude" AS DOUBLE) AS longitude,
                 r."Gender" AS gender, r."Age range" AS age_range,
                 r."Self-defined ethnicity" AS self_defined,
                 s.grp AS self_group,
                 r."Officer-defined ethnicity" AS officer_defined,
                 r."Legislation" AS legislation, r."Object of search" AS object_of_search,
                 r."Outcome" AS outcome_as_published,
                 coalesce(o.new, r."Outcome") AS outcome,
                 CAST(r."Outcome linked to object of search" AS BOOLEAN) AS outcome_linked,
                 CAST(r."Removal of more than just outer clothing" AS BOOLEAN)
                   AS more_than_outer_clothing
          FROM raw r
          LEFT JOIN (VALUES {self_map}) s(published, grp)
            ON s.published = r."Self-defined ethnicity"
          LEFT JOIN (VALUES {renamed}) o(old, new) ON o.old = r."Outcome"
          WHERE r.line NOT IN (SELECT line FROM refused)
          ORDER BY r.line
        ) TO {_literal(str(target))} (FORMAT parquet, COMPRESSION zstd)
        """
    )


def _write_other(con: duckdb.DuckDBPyConnection, data: DataFile, target: Path) -> None:
    names = ", ".join(
        f"{_quote(c)} AS {_quote(c.lower().replace(' ', '_'))}" for c in HEADERS[data.kind]
    )
    con.execute(
        f"COPY (SELECT {_literal(data.force)} AS force, {_literal(data.month)} AS file_month, "
        f"CAST(line AS INTEGER) AS line, {names} FROM raw ORDER BY line) "
        f"TO {_literal(str(target))} (FORMAT parquet, COMPRESSION zstd)"
    )
