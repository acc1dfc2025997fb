"""What every command shares: settings, opening the services, and turning errors into words."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import typer
from rich.console import Console

from openwitness.core.config import Settings
from openwitness.core.errors import OpenWitnessError

if TYPE_CHECKING:
    from openwitness.services import Services

console = Console(soft_wrap=True)
err_console = Console(stderr=True, soft_wrap=True)


def fail(message: str, code: int = 1) -> NoReturn:
    err_console.print(f"[red]error:[/red] {message}", highlight=False)
    raise typer.Exit(code)


@contextmanager
def services() -> Iterator[Services]:
    """Open the installation named by the environment; expected errors become one line."""
    # Imported here so that commands which need no database (verify, log key) start fast.
    from openwitness.services import open_services

    try:
        opened = open_services(Settings.from_env())
    except OpenWitnessError as exc:
        fail(str(exc))
    try:
        yield opened
    except OpenWitnessError as exc:
        fail(str(exc))
    finally:
        opened.close()


def write_atomically(path: Path, text: str) -> None:
    """Write a file so that it is either absent or complete, never half-written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
