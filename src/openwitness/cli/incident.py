"""``witness incident``: record police encounters and show them (the operator sees all)."""

from __future__ import annotations

import getpass
import json
from datetime import datetime
from typing import Annotated

import typer

from openwitness.cli.common import console, fail, services

app = typer.Typer(help="Police encounters: when, where, what happened.", no_args_is_help=True)


def _officer(value: str) -> tuple[int, str]:
    officer_id, _, role = value.partition(":")
    if not officer_id.isdigit():
        fail(f"--officer: {value!r} is not ID or ID:ROLE (e.g. 3:searching officer)")
    return int(officer_id), role or "involved"


@app.command("add")
def add(
    force: Annotated[str, typer.Option(help="Force id (see 'witness force list').")],
    at: Annotated[str, typer.Option(help="When, with a time zone: 2025-06-01T14:30+01:00.")],
    place: Annotated[str, typer.Option(help="Where, in words.")],
    encounter: Annotated[str, typer.Option("--type", help="stop-and-search, arrest, …")],
    narrative: Annotated[str, typer.Option(help="What happened and what was said.")],
    lat: Annotated[float | None, typer.Option(help="Latitude.")] = None,
    lon: Annotated[float | None, typer.Option(help="Longitude.")] = None,
    evidence: Annotated[list[str] | None, typer.Option(help="sha256 of a lodged file.")] = None,
    officer: Annotated[list[str] | None, typer.Option(help="Officer as ID or ID:ROLE.")] = None,
) -> None:
    """Record an incident with its evidence and officers."""
    try:
        occurred = datetime.fromisoformat(at)
    except ValueError:
        fail(f"--at: {at!r} is not a date and time (e.g. 2025-06-01T14:30+01:00)")
    from openwitness.cases.incidents import NewIncident
    from openwitness.evidence.custody import Entitlement

    new = NewIncident(
        force, occurred, place, encounter, narrative, lat, lon,
        tuple(evidence or ()), tuple(_officer(o) for o in officer or ()),
    )  # fmt: skip
    with services() as svc:
        # The operator holds the keys and the files: entitled to every item in the vault.
        incident = svc.incidents.add(
            new, f"cli:{getpass.getuser()}", None, Entitlement(None, privileged=True)
        )
    console.print(f"added incident {incident.id}", highlight=False)


@app.command("show")
def show(incident_id: Annotated[int, typer.Argument(help="Incident id.")]) -> None:
    """Show an incident in full (narrative and place included)."""
    with services() as svc:
        print(json.dumps(svc.incidents.get(incident_id).to_dict(), indent=2))
