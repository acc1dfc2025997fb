"""Reading the CSV files importers are given, with errors that name the file and the column."""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import IO, cast

from openwitness.core.errors import InvalidRequestError


class ImportFileError(InvalidRequestError):
    """A file to import is missing, is not UTF-8 text, or lacks the columns it needs."""


def _text(handle: IO[bytes], name: str) -> Iterator[str]:
    reader = io.TextIOWrapper(handle, encoding="utf-8-sig", newline="")
    lines = 0
    try:
        for text in reader:
            lines += 1
            yield text
    except UnicodeDecodeError as exc:
        raise ImportFileError(
            f"{name}: not UTF-8 text near line {lines + 1} ({exc.reason}); "
            "save the file as UTF-8 and try again"
        ) from None


def read_csv(path: Path, required: tuple[str, ...]) -> Iterator[dict[str, str]]:
    """Rows of a CSV file with a header row (``.gz`` is decompressed); the header must hold
    every ``required`` column."""
    if not path.is_file():
        raise ImportFileError(f"{path}: no such file")
    with path.open("rb") as raw:
        if path.suffix != ".gz":
            yield from read_csv_stream(raw, path.name, required)
            return
        with gzip.GzipFile(fileobj=raw) as unzipped:
            yield from read_csv_stream(cast(IO[bytes], unzipped), path.name, required)


def read_csv_stream(
    handle: IO[bytes], name: str, required: tuple[str, ...], header: list[str] | None = None
) -> Iterator[dict[str, str]]:
    """Rows of CSV bytes; ``header`` names the columns of a file that has no header row."""
    reader = csv.reader(_text(handle, name))
    try:
        columns = header or next(reader)
    except StopIteration:
        raise ImportFileError(f"{name}: the file is empty") from None
    except csv.Error as exc:
        raise ImportFileError(f"{name}: not CSV ({exc})") from None
    columns = [c.strip() for c in columns]
    missing = [c for c in required if c not in columns]
    if missing:
        raise ImportFileError(
            f"{name}: missing column(s) {', '.join(missing)}; found {', '.join(columns) or 'none'}"
        )
    try:
        for row in reader:
            if not row or (len(row) == 1 and not row[0].strip()):
                continue  # a blank line
            yield dict(zip(columns, (cell.strip() for cell in row), strict=False))
    except csv.Error as exc:
        raise ImportFileError(f"{name}: line {reader.line_num}: {exc}") from None


def parse_date(value: str) -> date | None:
    """``YYYY-MM-DD`` (a time after it is ignored); blank is None; raises ValueError if bad."""
    value = value.strip()
    if not value:
        return None
    return date.fromisoformat(value[:10])


def at_midnight(day: date | None) -> datetime | None:
    """A date as a UTC time (sources that give dates only)."""
    return datetime(day.year, day.month, day.day, tzinfo=UTC) if day else None
