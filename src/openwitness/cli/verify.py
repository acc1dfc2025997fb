"""``witness verify``: check a receipt offline, with no database and no network (the checks
are in :mod:`openwitness.cli.verifying`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from openwitness.cli.common import console, err_console
from openwitness.cli.verifying import DESCRIPTION, HELP, Stop, run

STYLES = {"verified": "green", "NOT verified": "red", "NOT complete": "red", "warning": "yellow"}


def say(label: str, text: str) -> None:
    """One line of the outcome, its label coloured on a terminal (warnings on stderr)."""
    out = err_console if label == "warning" else console
    if label:
        out.print(f"[{STYLES[label]}]{label}:[/{STYLES[label]}] {text}", highlight=False)
    else:
        out.print(text, highlight=False)


def verify(
    receipt: Annotated[Path | None, typer.Option(help=HELP["receipt"], dir_okay=False)] = None,
    file: Annotated[Path | None, typer.Argument(help=HELP["file"], dir_okay=False)] = None,
    bundle: Annotated[Path | None, typer.Option(help=HELP["bundle"], dir_okay=False)] = None,
    key: Annotated[str | None, typer.Option(help=HELP["key"])] = None,
    checkpoint: Annotated[Path | None, typer.Option(help=HELP["checkpoint"])] = None,
    proof: Annotated[Path | None, typer.Option(help=HELP["proof"])] = None,
    policy: Annotated[Path | None, typer.Option(help=HELP["policy"], dir_okay=False)] = None,
) -> None:
    try:
        run(receipt, file, bundle, key, checkpoint, proof, policy, say)
    except Stop as stop:
        if stop.message is not None:
            err_console.print(f"[red]error:[/red] {stop.message}", highlight=False)
        raise typer.Exit(stop.code) from None


verify.__doc__ = DESCRIPTION  # the help, shared with the quick start (cli/entry.py)
