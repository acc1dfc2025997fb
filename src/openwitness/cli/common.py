"""What every command shares: settings, opening the services, and turning errors into words."""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, NoReturn

import typer
from rich.console import Console

from openwitness.core.config import Settings
from openwitness.core.errors import OpenWitnessError
from openwitness.core.files import write_atomically as write_atomically  # re-exported

if TYPE_CHECKING:
    from openwitness.services import Services

console = Console(soft_wrap=True)
err_console = Console(stderr=True, soft_wrap=True)


def actor() -> str:
    """Who a change made from the command line is recorded as: the operator's login."""
    return f"cli:{getpass.getuser()}"


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
