"""``witness officer``: officer records and their identifiers over time."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Annotated

import typer

from openwitness.cli.common import actor, console, fail, services

app = typer.Typer(help="Officer records: identifiers over time, merging.", no_args_is_help=True)


def _date(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        fail(f"--since: {value!r} is not a date (YYYY-MM-DD)")


@app.command("add")
def add(
    force: Annotated[str, typer.Option(help="Force id (see 'witness force list').")],
    collar: Annotated[str | None, typer.Option(help="Collar/shoulder number.")] = None,
    name: Annotated[str | None, typer.Option(help="Name, when known.")] = None,
    warrant: Annotated[str | None, typer.Option(help="Warrant number.")] = None,
    rank: Annotated[str | None, typer.Option(help="Rank.")] = None,
    unit: Annotated[str | None, typer.Option(help="Unit or team.")] = None,
    since: Annotated[str | None, typer.Option(help="Date these were seen (YYYY-MM-DD).")] = None,
) -> None:
    """Add an officer, e.g. one known only by force and collar number."""
    fields = {"collar": collar, "name": name, "warrant": warrant, "rank": rank, "unit": unit}
    with services() as svc:
        identifiers = {k: v for k, v in fields.items() if v is not None}
        officer = svc.officers.add(force, identifiers, actor(), _date(since))
    console.print(f"added officer {officer.id}: {officer.label}", highlight=False)


@app.command("update")
def update(
    officer_id: Annotated[int, typer.Argument(help="Officer id.")],
    kind: Annotated[str, typer.Argument(help="name, collar, warrant, rank, unit or alias.")],
    value: Annotated[str, typer.Argument(help="The new value.")],
    since: Annotated[str | None, typer.Option(help="Valid from (YYYY-MM-DD).")] = None,
) -> None:
    """Record a new identifier value; the previous one is kept, closed at --since."""
    with services() as svc:
        officer = svc.officers.update(officer_id, kind, value, actor(), _date(since))
    console.print(f"officer {officer.id}: {officer.label}", highlight=False)


@app.command("photo")
def photo(
    officer_id: Annotated[int, typer.Argument(help="Officer id.")],
    sha256: Annotated[str, typer.Argument(help="sha256 of an image lodged in the vault.")],
) -> None:
    """Link a photo of the officer (lodge it first with 'witness evidence add')."""
    with services() as svc:
        from openwitness.evidence.custody import Entitlement

        # The operator holds the files: entitled to every item in the vault.
        who = Entitlement(None, privileged=True)
        officer = svc.officers.add_photo(officer_id, sha256, actor(), who)
    console.print(f"officer {officer.id}: {len(officer.photos)} photo(s)", highlight=False)


@app.command("merge")
def merge(
    keep: Annotated[int, typer.Argument(help="The record to keep.")],
    other: Annotated[int, typer.Argument(help="The record of the same officer to fold in.")],
) -> None:
    """Merge two records of the same officer, keeping both histories."""
    with services() as svc:
        officer = svc.officers.merge(keep, other, actor())
    console.print(f"merged officer {other} into {officer.id}: {officer.label}", highlight=False)


@app.command("show")
def show(officer_id: Annotated[int, typer.Argument(help="Officer id.")]) -> None:
    """An officer's identifiers over time, photos, allegations with outcomes, co-accused
    officers, unresolved and overdue counts, and the history of changes to the record."""
    from openwitness.cases.history import history

    with services() as svc:
        officer = svc.officers.get(officer_id)
        changes = history(svc.db, "officer", officer_id)
        record = svc.listings.officer_record(officer_id)
    print(json.dumps({**officer.to_dict(), "record": record, "changes": changes}, indent=2))


@app.command("list")
def list_officers(
    force: Annotated[str | None, typer.Option(help="Only this force.")] = None,
    collar: Annotated[str | None, typer.Option(help="Anyone who ever held this number.")] = None,
) -> None:
    """List officers, optionally by force and collar number (past numbers included)."""
    with services() as svc:
        for officer in svc.officers.find(force, collar):
            print(f"{officer.id}\t{officer.label}")
