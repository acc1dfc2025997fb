"""Reading data.police.uk CSV files into Parquet with DuckDB, checking them on the way.

A file is refused whole (nothing of it stored) when its shape is wrong: an unknown header, the
wrong delimiter, a last line cut short, a row with the wrong number of fields, a date that is not
ISO 8601 (Excel rewrites them), coordinates that are not numbers. A row whose words are unknown
(an ethnicity, outcome or gender string not in :mod:`openwitness.stats.vocabulary`) is refused
alone, and counted with the string named, so one new word does not hide a month of searches.

Files are read in batches: one ``read_csv`` over many files (a month of every force is ~44
small files, and a DuckDB statement costs far more than a few thousand rows), one pass that
finds every file's shape failures and blank columns, one that counts unknown words and every
figure a month's answers need (kept in its manifest), and one ``COPY`` that writes the batch's
accepted rows to a single Parquet file, with ``force`` and ``month`` columns saying whose row
is whose. When the batch cannot be read as a whole (a file with a wrong field count), its files
are read one by one into the same table, so the error names its file and line and the others
still land in the one file.
"""

from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import duckdb

from openwitness.stats.errors import StatsInputError
from openwitness.stats.sources import DataFile
from openwitness.stats.tally import Counted, count_batch, reason_sql
from openwitness.stats.tally import literal as _literal
from openwitness.stats.tally import quote as _quote
from openwitness.stats.vocabulary import HEADERS

_ISO_DATE: Final = r"\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})?)?"
_NUMBER: Final = r"-?\d{1,3}(\.\d+)?"
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
    #: Accepted searches by ethnicity ("officer": officer-defined, "self": ONS group) as
    #: [group or None, count] pairs, so figures need not read the Parquet for counts.
    group_counts: dict[str, list[list[Any]]] = field(default_factory=dict)
    #: Accepted searches by outcome, find, clothing, legislation, age and gender (pairs).
    tallies: dict[str, list[list[Any]]] = field(default_factory=dict)


@dataclass(frozen=True)
class Checked:
    """A file whose text passed :func:`check_text`: ready for a batch."""

    data: DataFile
    path: Path
    lines: int
    sha256: str


def check_text(data: DataFile, path: Path) -> int:
    """Header, delimiter and a complete last line; returns the number of lines."""
    return check_file(data, path).lines


def check_file(data: DataFile, path: Path) -> Checked:
    """Header, delimiter and a complete last line, and the file's SHA-256, in one read."""
    expected = HEADERS[data.kind]
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        first = handle.readline(65536)
        digest.update(first)
        try:
            text = first.decode("utf-8").lstrip("\ufeff").rstrip("\r\n")
        except UnicodeDecodeError:
            raise StatsInputError(data.name, "the header is not UTF-8 text", 1) from None
        header = next(csv.reader([text]), [])
        if tuple(header) != expected:
            raise _header_error(data, text, header, expected)
        lines, last = 1, first[-1:]
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
            lines += chunk.count(b"\n")
            last = chunk[-1:]
    if last != b"\n":
        raise StatsInputError(
            data.name, "the last line is cut short (no line end): the file looks truncated",
            lines + (0 if last == b"" else 1),
        )  # fmt: skip
    return Checked(data, path, lines, digest.hexdigest())


def _header_error(
    data: DataFile, text: str, header: list[str], expected: tuple[str, ...]
) -> StatsInputError:
    for delimiter in (";", "\t", "|"):
        if tuple(next(csv.reader([text], delimiter=delimiter), [])) == expected:
            return StatsInputError(
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
    return StatsInputError(
        data.name, f"not the {data.kind} header ({detail})", 1,
        unknown[0] if unknown else (missing[0] if missing else None),
    )  # fmt: skip


def _read_sql(kind: str, paths: list[Path]) -> str:
    columns = ", ".join(f"{_literal(c)}: 'VARCHAR'" for c in HEADERS[kind])
    files = ", ".join(_literal(str(p)) for p in paths)
    return (
        f"SELECT * FROM read_csv([{files}], header=true, auto_detect=false, delim=',', "
        f"quote='\"', escape='\"', strict_mode=true, null_padding=false, filename=true, "
        f"columns={{{columns}}})"
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


def _bad_shape(column: str, pattern: str, may_be_blank: bool) -> str:
    value = _quote(column)
    bad = f"NOT regexp_full_match({value}, {_literal(pattern)})"
    if column == "Date":  # the pattern admits e.g. month 13; the cast below must not fail
        bad += f" OR try_cast({value} AS TIMESTAMPTZ) IS NULL"
    return f"CASE WHEN {value} IS NULL THEN {'FALSE' if may_be_blank else 'TRUE'} ELSE {bad} END"


def load_batch(
    con: duckdb.DuckDBPyConnection, items: list[Checked], target: Path
) -> list[Loaded | StatsInputError]:
    """Check files of one kind and write every accepted file's rows to the one file ``target``
    (not written when no file is accepted).

    Returns, in order, what each file loaded or why it was refused whole."""
    if not items:
        return []
    con.execute("SET preserve_insertion_order = true")  # rowid order is line order
    unreadable: dict[int, StatsInputError] = {}
    try:
        con.execute(
            "CREATE OR REPLACE TEMP TABLE raw AS "
            + _read_sql(items[0].data.kind, [c.path for c in items])
        )
    except duckdb.Error as exc:
        if len(items) == 1:
            return [_field_count_error(items[0].data, str(exc))]
        unreadable = _read_one_by_one(con, items)
    readable = [item for i, item in enumerate(items) if i not in unreadable]
    try:
        loaded = iter(_check_and_write(con, readable, target) if readable else [])
        return [unreadable[i] if i in unreadable else next(loaded) for i in range(len(items))]
    finally:
        con.execute("DROP TABLE IF EXISTS raw")


def _read_one_by_one(
    con: duckdb.DuckDBPyConnection, items: list[Checked]
) -> dict[int, StatsInputError]:
    """Fill ``raw`` file by file (the batch could not be read as a whole); says which failed."""
    kind = items[0].data.kind
    columns = ", ".join(f"{_quote(c)} VARCHAR" for c in HEADERS[kind])
    con.execute(f"CREATE OR REPLACE TEMP TABLE raw ({columns}, filename VARCHAR)")
    failed: dict[int, StatsInputError] = {}
    for index, item in enumerate(items):
        try:
            con.execute("INSERT INTO raw " + _read_sql(kind, [item.path]))
        except duckdb.Error as exc:
            failed[index] = _field_count_error(item.data, str(exc))
    return failed


def _check_and_write(
    con: duckdb.DuckDBPyConnection, items: list[Checked], target: Path
) -> list[Loaded | StatsInputError]:
    kind = items[0].data.kind
    header = HEADERS[kind]
    shapes = _SHAPES[kind]
    summary_sql = ", ".join(
        ["count(*), min(rowid)"]
        + [f"min(rowid) FILTER (WHERE {_bad_shape(*s)}), "
           f"arg_min({_quote(s[0])}, rowid) FILTER (WHERE {_bad_shape(*s)})" for s in shapes]
        + [f"count(*) - count({_quote(c)})" for c in header]
    )  # fmt: skip
    summary = {
        row[0]: row[1:]
        for row in con.execute(
            f"SELECT filename, {summary_sql} FROM raw GROUP BY filename"
        ).fetchall()
    }
    results: list[Loaded | StatsInputError | None] = []
    first_rowid: dict[str, int] = {}
    for item in items:
        row = summary.get(str(item.path))
        rows_read = int(row[0]) if row else 0
        if rows_read != item.lines - 1:
            results.append(StatsInputError(
                item.data.name, f"{item.lines - 1} lines but {rows_read} rows: a field holds a "
                "line break or a quote is unbalanced", None,
            ))  # fmt: skip
            continue
        if row is not None:
            failure = _shape_failure(item.data, shapes, row[2 : 2 + 2 * len(shapes)], int(row[1]))
            if failure:
                results.append(failure)
                continue
            first_rowid[str(item.path)] = int(row[1])
        results.append(None)
    accepted = [item for item, r in zip(items, results, strict=True) if r is None]
    if not accepted:
        return [r for r in results if r is not None]
    con.execute(
        "CREATE OR REPLACE TEMP TABLE accepted (filename VARCHAR, first BIGINT, force VARCHAR, "
        "month VARCHAR)"
    )
    con.executemany(
        "INSERT INTO accepted VALUES (?, ?, ?, ?)",
        [(str(item.path), first_rowid.get(str(item.path), 0), item.data.force, item.data.month)
         for item in accepted],
    )  # fmt: skip
    counted = count_batch(con, kind)
    # a row's words are checked again only in files where some were unknown (most have none)
    refusing = [name for name, c in counted.items() if c.refusals]
    select = _select_searches(refusing) if kind == "stop-and-search" else _select_other(kind)
    con.execute(
        f"COPY ({select}) TO {_literal(str(target))} "
        "(FORMAT parquet, COMPRESSION snappy, PARQUET_VERSION V2)"
    )
    for i, item in enumerate(items):
        if results[i] is not None:
            continue
        row = summary.get(str(item.path))
        rows_read = int(row[0]) if row else 0
        blank_values = row[2 + 2 * len(shapes) :] if row else [0] * len(header)
        blank_counts = {c: int(n) for c, n in zip(header, blank_values, strict=True)}
        counts = counted.get(str(item.path)) or Counted.nothing(kind)
        refused = sum(int(r["rows"]) for r in counts.refusals)
        blank = [c for c, n in blank_counts.items() if n == rows_read and rows_read > 0]
        results[i] = Loaded(
            rows_read, refused, counts.refusals, blank, blank_counts, counts.group_counts,
            counts.tallies,
        )  # fmt: skip
    return [r for r in results if r is not None]


def _shape_failure(
    data: DataFile, shapes: tuple[tuple[str, str, bool], ...], found: tuple[Any, ...], first: int
) -> StatsInputError | None:
    for index, (column, _pattern, _blank) in enumerate(shapes):
        rowid, value = found[2 * index], found[2 * index + 1]
        if rowid is not None:
            shown = "blank" if value is None else f"'{value[:40]}'"
            return StatsInputError(
                data.name, f"{shown} is not in the published format"
                + (" (ISO 8601, e.g. 2019-01-31T22:05:00+00:00)" if column == "Date" else ""),
                int(rowid) - first + 2, column,
            )  # fmt: skip
    return None


def _select_searches(refusing: list[str]) -> str:
    """The stored columns, as published but typed (the groupings of docs/statistics.md are
    applied when counting, so the rows stay what the file said); rows with an unknown word are
    left out of the files in ``refusing`` (no other file has any)."""
    where = ""
    if refusing:
        names = ", ".join(_literal(name) for name in refusing)
        where = (
            f"WHERE CASE WHEN r.filename IN ({names}) THEN "
            f"{reason_sql('stop-and-search')} IS NULL ELSE true END"
        )
    return f"""
        SELECT a.force, a.month,
               CAST(r.rowid - a.first + 2 AS INTEGER) AS line,
               r."Type" AS type,
               CAST(r."Date" AS TIMESTAMPTZ) AS searched_at,
               CAST(r."Part of a policing operation" AS BOOLEAN) AS operation,
               r."Policing operation" AS operation_name,
               CAST(r."Latitude" AS DOUBLE) AS latitude,
               CAST(r."Longitude" AS DOUBLE) AS longitude,
               r."Gender" AS gender, r."Age range" AS age_range,
               r."Self-defined ethnicity" AS self_defined,
               r."Officer-defined ethnicity" AS officer_defined,
               r."Legislation" AS legislation, r."Object of search" AS object_of_search,
               r."Outcome" AS outcome,
               CAST(r."Outcome linked to object of search" AS BOOLEAN) AS outcome_linked,
               CAST(r."Removal of more than just outer clothing" AS BOOLEAN)
                 AS more_than_outer_clothing
        FROM raw r JOIN accepted a ON a.filename = r.filename
        {where}
    """


def _select_other(kind: str) -> str:
    names = ", ".join(
        f"r.{_quote(c)} AS {_quote(c.lower().replace(' ', '_'))}" for c in HEADERS[kind]
    )
    return (
        "SELECT a.force, a.month AS file_month, "
        f"CAST(r.rowid - a.first + 2 AS INTEGER) AS line, {names} "
        "FROM raw r JOIN accepted a ON a.filename = r.filename"
    )
