"""``witness monitor``: follow another log and alert on a fork."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from openwitness.cli.common import console, err_console, fail
from openwitness.ledger.monitor import MonitorError, observe
from openwitness.ledger.note import parse_verifier_key

#: the exit status of a fork, apart from 1 (the log could not be read): what alerting keys on
FORK_EXIT = 3


def monitor(
    url: Annotated[str, typer.Argument(help="The log's base URL (it serves /checkpoint).")],
    key: Annotated[str, typer.Option(help="The log's verifier key (name+id+base64).")],
    state: Annotated[
        Path,
        typer.Option(help="Where the last good checkpoint is kept between runs.", dir_okay=False),
    ],
    every: Annotated[int, typer.Option(help="Check again every N seconds (0: once).", min=0)] = 0,
) -> None:
    """Check the log's latest checkpoint is signed by its key and extends the last one seen
    (a consistency proof); keep it as the new last one. A fork (a smaller tree, another root
    for the same size, or no proof linking them) prints a FORK line and exits 3, keeping the
    forked checkpoint beside the state file as evidence; an unreachable log exits 1."""
    try:
        verifier = parse_verifier_key(key)
    except ValueError as exc:
        fail(f"invalid verifier key: {exc}", 2)
    while True:
        stamp = f"{datetime.now(UTC):%Y-%m-%dT%H:%M:%SZ}"
        try:
            seen = observe(url, verifier, state)
        except MonitorError as exc:
            err_console.print(f"{stamp} error: {exc}", highlight=False)
            if not every:
                raise typer.Exit(1) from None
        else:
            if seen.fork is not None:
                console.print(f"{stamp} FORK {verifier.name}: {seen.fork}", highlight=False)
                raise typer.Exit(FORK_EXIT)
            before = "first seen" if seen.previous_size is None else f"was {seen.previous_size}"
            console.print(
                f"{stamp} ok {verifier.name}: size {seen.size} ({before})", highlight=False
            )
        if not every:
            return
        time.sleep(every)
