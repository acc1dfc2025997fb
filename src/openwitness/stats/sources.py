"""Finding the police data in what a person points at: one file, a folder tree, or the monthly
archive zip. A file's force and month come from its name, never from its contents: dates are
UTC, so in summer months the first local hour of the month falls on the previous day.

Zips are read member by member, streamed to a temporary file under a size limit, after their
central directory has been checked for paths that escape the archive's folder.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Final

from openwitness.stats.errors import StatsInputError
from openwitness.stats.population import is_population_table

_DATA_NAME: Final = re.compile(
    r"(?P<month>\d{4}-\d{2})-(?P<force>[a-z0-9]+(?:-[a-z0-9]+)*)-"
    r"(?P<kind>stop-and-search|street|outcomes)\.csv"
)
_LOOKS_LIKE_DATA: Final = re.compile(r".*-(stop-and-search|street|outcomes)\.csv", re.IGNORECASE)
#: Default limits for archives: a month of every force, street data included, is ~1.5 GB.
ZIP_MEMBER_MAX_BYTES: Final = 1 << 30
ZIP_TOTAL_MAX_BYTES: Final = 16 << 30


@dataclass(frozen=True)
class DataFile:
    """A police data file: where to read it, and what its name says it holds."""

    name: str  # as shown to the person (path inside a folder or zip)
    kind: str  # stop-and-search | street | outcomes
    force: str
    month: str  # YYYY-MM


@dataclass(frozen=True)
class Found:
    """What a walk found: data files, population tables, skipped and refused names."""

    data: list[tuple[DataFile, Path]]
    population: list[tuple[str, Path]]
    skipped: list[tuple[str, str]]  # (name, why)
    refused: list[StatsInputError]


def parse_name(name: str) -> DataFile:
    """The kind, force and month a data.police.uk file name states; refused when it does not."""
    base = PurePosixPath(name).name
    match = _DATA_NAME.fullmatch(base)
    if match is None:
        raise StatsInputError(
            name, "the name is not a data.police.uk file name "
            "(YYYY-MM-<force>-stop-and-search.csv, …-street.csv or …-outcomes.csv)",
        )  # fmt: skip
    month = match["month"]
    if not 1 <= int(month[5:]) <= 12 or not 1900 < int(month[:4]) < 2200:
        raise StatsInputError(name, f"'{month}' in the name is not a month")
    return DataFile(name, match["kind"], match["force"], month)


def _first_line(path: Path) -> str:
    with path.open("rb") as handle:
        return handle.readline(65536).decode("utf-8", "replace")


def _classify(name: str, path: Path, found: Found, explicit: bool) -> None:
    base = PurePosixPath(name).name
    if base.lower().endswith(".csv"):
        if _DATA_NAME.fullmatch(base) or _LOOKS_LIKE_DATA.fullmatch(base) or explicit:
            if is_population_table(_first_line(path)):
                found.population.append((name, path))
                return
            try:
                found.data.append((parse_name(name), path))
            except StatsInputError as exc:
                found.refused.append(exc)
            return
        if is_population_table(_first_line(path)):
            found.population.append((name, path))
            return
        found.skipped.append(
            (name, "a CSV file that is neither police data nor a population table")
        )
        return
    if explicit:
        found.refused.append(StatsInputError(name, "not a .csv file or a .zip archive"))
    else:
        found.skipped.append((name, "not police data"))


@contextmanager
def walk(
    paths: list[Path],
    member_max_bytes: int = ZIP_MEMBER_MAX_BYTES,
    total_max_bytes: int = ZIP_TOTAL_MAX_BYTES,
) -> Iterator[Found]:
    """Everything importable under the paths; zip members are extracted to a temporary folder
    that is removed when the caller is done."""
    found = Found([], [], [], [])
    scratch = Path(tempfile.mkdtemp(prefix="openwitness-stats-"))
    try:
        for path in paths:
            if path.is_dir():
                for child in sorted(p for p in path.rglob("*") if p.is_file()):
                    name = str(child.relative_to(path.parent))
                    if child.suffix.lower() == ".zip":
                        _unzip(child, name, scratch, found, member_max_bytes, total_max_bytes)
                    else:
                        _classify(name, child, found, explicit=False)
            elif not path.exists():
                found.refused.append(StatsInputError(str(path), "no such file or folder"))
            elif path.suffix.lower() == ".zip":
                _unzip(path, path.name, scratch, found, member_max_bytes, total_max_bytes)
            else:
                _classify(path.name, path, found, explicit=True)
        yield found
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _escapes(member: str) -> bool:
    posix = PurePosixPath(member.replace("\\", "/"))
    return posix.is_absolute() or ".." in posix.parts or bool(re.match(r"[A-Za-z]:", member))


def _unzip(
    archive: Path, name: str, scratch: Path, found: Found, member_max: int, total_max: int
) -> None:
    try:
        handle = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError) as exc:
        found.refused.append(StatsInputError(name, f"not a readable zip archive ({exc})"))
        return
    with handle:
        members = [info for info in handle.infolist() if not info.is_dir()]
        for info in members:
            if _escapes(info.filename):
                found.refused.append(StatsInputError(
                    name, f"member '{info.filename}' has a path that escapes the archive's "
                    "folder: nothing in this archive was imported",
                ))  # fmt: skip
                return
        declared = sum(info.file_size for info in members)
        if declared > total_max or any(info.file_size > member_max for info in members):
            found.refused.append(StatsInputError(
                name, f"the archive inflates to {declared:,} bytes, beyond the limit "
                f"({total_max:,} in all, {member_max:,} a file): nothing in it was imported",
            ))  # fmt: skip
            return
        folder = scratch / f"zip{len(list(scratch.iterdir()))}"
        for index, info in enumerate(members):
            label = f"{name}:{info.filename}"
            target = folder / str(index) / PurePosixPath(info.filename).name
            target.parent.mkdir(parents=True)
            problem = _extract(handle, info, target, min(member_max, info.file_size))
            if problem:
                found.refused.append(StatsInputError(
                    label, f"{problem}: this file and the rest of the archive were not imported"
                ))  # fmt: skip
                return
            _classify(label, target, found, explicit=False)


def _extract(handle: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path, limit: int) -> str:
    """Stream one member out, stopping as soon as it passes its declared size; says what was
    wrong, or nothing."""
    written = 0
    try:
        with handle.open(info) as source, target.open("wb") as sink:
            while chunk := source.read(1 << 20):
                written += len(chunk)
                if written > limit:
                    return "it inflates beyond the size its archive declares"
                sink.write(chunk)
    except (zipfile.BadZipFile, EOFError, OSError, ValueError) as exc:
        return f"it is damaged ({exc})"
    return ""
