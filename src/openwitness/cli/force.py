"""``witness force``: the police forces and departments records refer to."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from openwitness.cli.common import console, services

app = typer.Typer(help="List and add police forces and departments.", no_args_is_help=True)


@app.command("list")
def list_forces(
    country: Annotated[
        str | None, typer.Option(help="Only this country (ISO code, e.g. GB).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON as the API does.")] = False,
) -> None:
    """List forces with their stable ids (the UK's are built in)."""
    with services() as svc:
        forces = svc.forces.list(country)
    if as_json:
        print(json.dumps([f.to_dict() for f in forces], indent=2))
        return
    table = Table("id", "name", "country", "jurisdiction", "complaints body")
    for force in forces:
        table.add_row(
            force.id, force.name, force.country, force.jurisdiction, force.complaints_body or ""
        )
    console.print(table)


@app.command("add")
def add_force(
    force_id: Annotated[str, typer.Argument(help="Stable id, e.g. us-chicago-pd.")],
    name: Annotated[str, typer.Option(help="Full name of the force or department.")],
    country: Annotated[str, typer.Option(help="ISO 3166 two-letter country code, e.g. US.")],
) -> None:
    """Add another country's police department (UK forces are already there)."""
    with services() as svc:
        force = svc.forces.add(force_id, name, country)
    console.print(f"added force {force.id}: {force.name} ({force.country})", highlight=False)
