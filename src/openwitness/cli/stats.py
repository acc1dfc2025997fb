"""``witness stats …``: public statistics from the open police data and the case records."""

from __future__ import annotations

import typer

from openwitness.cli.stats_complaints import complaints

app = typer.Typer(
    help="Public statistics: stop and search (import, coverage, disproportionality, reports) "
    "and complaint outcomes.",
    no_args_is_help=True,
)
app.command("complaints")(complaints)
