"""``witness import``: load other jurisdictions' complaint records whole, idempotently."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from openwitness.cli.common import actor, console, err_console, services

if TYPE_CHECKING:
    from openwitness.cases.importers.bulk import ImportReport, Progress
    from openwitness.services import Services

app = typer.Typer(
    help="Import complaint records (Chicago CPDP, New York CCRB).", no_args_is_help=True
)

DryRun = Annotated[
    bool, typer.Option("--dry-run", help="Check everything and report; write nothing.")
]
AsJson = Annotated[bool, typer.Option("--json", help="The report as JSON.")]


def _run(load: Callable[[Services, Progress], ImportReport], as_json: bool) -> None:
    from rich.progress import Progress as Bar

    with services() as svc, Bar(console=err_console, transient=True) as bar:
        tasks: dict[str, object] = {}

        def tick(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=max(total, 1))
            bar.update(tasks[stage], completed=done)  # type: ignore[arg-type]

        err_console.print("reading the files…", highlight=False)
        report = load(svc, tick)
    _print_report(report, as_json)


def _print_report(report: ImportReport, as_json: bool) -> None:
    from openwitness.cases.importers.bulk import KINDS

    if as_json:
        print(json.dumps(report.to_dict(), indent=2))
        return
    verb = "would add" if report.dry_run else "added"
    order = ("officers", "identifiers", "complaints", "allegations")
    added = (
        ", ".join(f"{report.added[what]:,} {what}" for what in order if report.added[what])
        or "nothing"
    )
    console.print(f"{report.source}: {verb} {added} in {report.seconds:.1f} s", highlight=False)
    there = ", ".join(
        f"{report.already_there[what]:,} {what}" for what in KINDS if report.already_there[what]
    )
    if there:
        console.print(f"already there: {there}", highlight=False)
    for file, row, reason in report.rejected:
        err_console.print(f"rejected {file} row {row}: {reason}", highlight=False)
    if report.rejected:
        err_console.print(f"{len(report.rejected):,} rows or values rejected", highlight=False)


@app.command("cpdp")
def import_cpdp(
    folder: Annotated[Path, typer.Argument(help="The CPDP 2018 release's folder of .csv.gz.")],
    dry_run: DryRun = False,
    as_json: AsJson = False,
) -> None:
    """Chicago's Citizens Police Data Project records (officers, unit history, complaints,
    accused officers with findings and penalties)."""
    _run(lambda svc, tick: svc.importers.cpdp(folder, actor(), dry_run, tick), as_json)


@app.command("ccrb")
def import_ccrb(
    archive: Annotated[Path, typer.Argument(help="The CCRB member-of-service release's zip.")],
    dry_run: DryRun = False,
    as_json: AsJson = False,
) -> None:
    """New York's CCRB member-of-service histories (officers and allegations)."""
    _run(lambda svc, tick: svc.importers.ccrb(archive, actor(), dry_run, tick), as_json)


Force = Annotated[str, typer.Option(help="Force id the records belong to ('witness force list').")]
Source = Annotated[
    str,
    typer.Option(
        help="Name of where the file came from (e.g. met-psd-2024); importing again "
        "under the same name adds only new rows."
    ),
]


@app.command("roster")
def import_roster(
    file: Annotated[Path, typer.Argument(help="Roster CSV (OpenWitness or OpenOversight layout).")],
    force: Force,
    source: Source,
    dry_run: DryRun = False,
    as_json: AsJson = False,
) -> None:
    """An officer roster: one officer a row, with collar, warrant, name, rank and unit."""
    _run(
        lambda svc, tick: svc.importers.roster(file, force, source, actor(), dry_run, tick),
        as_json,
    )


@app.command("complaints")
def import_complaints(
    file: Annotated[Path, typer.Argument(help="Complaint-history CSV, one allegation a row.")],
    force: Force,
    source: Source,
    dry_run: DryRun = False,
    as_json: AsJson = False,
) -> None:
    """A complaint history: complaints and their allegations, findings and results."""
    _run(
        lambda svc, tick: svc.importers.complaints(file, force, source, actor(), dry_run, tick),
        as_json,
    )
