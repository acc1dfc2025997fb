"""``witness export``: de-identified allegations as CSV or JSON Lines."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer

from openwitness.cli.common import err_console, fail, services

app = typer.Typer(help="Export de-identified records (CSV or JSON Lines).", no_args_is_help=True)


@app.command("allegations")
def export_allegations(
    output: Annotated[
        Path | None, typer.Option(help="Write here (default: standard output).")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="csv or json (JSON Lines).")] = "csv",
    force: Annotated[str | None, typer.Option(help="Only this force.")] = None,
    officer: Annotated[int | None, typer.Option(help="Only this officer.")] = None,
    category: Annotated[
        str | None, typer.Option(help="Only this category (and its subcategories).")
    ] = None,
    status: Annotated[str | None, typer.Option(help="Only this status.")] = None,
    overdue: Annotated[bool, typer.Option("--overdue", help="Only overdue allegations.")] = False,
) -> None:
    """Every allegation with its outcome, one a row; no narrative, place or personal data."""
    from openwitness.cases import exports
    from openwitness.cases.access import Viewer
    from openwitness.cases.listing import Filters

    if fmt not in exports.FORMATS:
        fail(f"--format: one of {', '.join(exports.FORMATS)}")
    filters = Filters(
        force=force, officer=officer, category=category, status=status, overdue=overdue
    )
    encode = exports.as_csv if fmt == "csv" else exports.as_json_lines
    target = output.open("w", encoding="utf-8", newline="") if output else sys.stdout
    count = 0
    with services() as svc:
        try:
            records = exports.rows(svc.db, filters, Viewer.operator("cli"))

            def counted() -> Iterator[dict[str, Any]]:
                nonlocal count
                for record in records:
                    count += 1
                    yield record

            for chunk in encode(counted()):
                target.write(chunk)
        finally:
            if output:
                target.close()
    err_console.print(f"exported {count:,} allegations", highlight=False)
