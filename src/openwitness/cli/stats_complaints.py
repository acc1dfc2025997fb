"""``witness stats complaints``: the public complaint figures (openwitness.stats.complaints)."""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from openwitness.cli.common import console, fail, services

SUPPRESSED = "<5"  # how a suppressed cell reads in the table
#: the summary is printed at least this wide (soft-wrapped), so no figure is cut short
SUMMARY_WIDTH = 110


def _cell(cell: dict[str, Any]) -> str:
    return SUPPRESSED if cell["suppressed"] else str(cell["count"])


def _group(figures: dict[str, Any], section: str, value: str) -> str:
    for cell in figures[section]:
        if cell["value"] == value:
            return _cell(cell)
    return "0"


def _median(figures: dict[str, Any]) -> str:
    median = figures["days_to_close"]["median"]
    return "-" if median is None else f"{median:g}"


def _summary(report: dict[str, Any]) -> Table:
    table = Table(title=f"Complaint outcomes on {report['as_of']}")
    for heading in ("force", "complaints", "allegations", "open", "overdue", "adverse",
                    "≤ written warning", "median days to close"):  # fmt: skip
        table.add_column(heading, justify="left" if heading == "force" else "right")
    rows = [(f["force"], f) for f in report["forces"]]
    if report["overall"] is not None:
        rows.append(("all shown", report["overall"]))
    for name, figures in rows:
        table.add_row(
            name,
            _cell(figures["complaints"]),
            _cell(figures["allegations"]),
            _group(figures, "status", "open"),
            _cell(figures["overdue"]),
            _cell(figures["adverse"]),
            _group(figures, "sanctions_after_adverse", "written-warning-or-less"),
            _median(figures),
        )
    return table


def _breakdown(figures: dict[str, Any], section: str, title: str) -> Table:
    table = Table(title=title)
    table.add_column("value")
    table.add_column("allegations", justify="right")
    for cell in figures[section]:
        table.add_row(cell["value"], _cell(cell))
    return table


def complaints(
    force: Annotated[str | None, typer.Option(help="Only this force (its id).")] = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Count overdue as of this day (YYYY-MM-DD).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON instead of tables.")] = False,
) -> None:
    """Complaint outcomes per force: categories, findings, sanctions, days to close, overdue
    (forces with too few complaints and cells under 5 withheld)."""
    from openwitness.stats.complaints import ComplaintStats

    day = None
    if as_of is not None:
        try:
            day = date.fromisoformat(as_of)
        except ValueError:
            fail(f"--as-of: {as_of!r} is not a date (YYYY-MM-DD)")
    with services() as svc:
        stats = ComplaintStats(svc.db, svc.settings.stats_min_cases)
        report = stats.report(force, day).to_dict()
    if as_json:
        print(json.dumps(report, indent=2, ensure_ascii=False))
        return
    Console(width=max(console.width, SUMMARY_WIDTH), soft_wrap=True).print(_summary(report))
    if force is not None and report["forces"]:
        figures = report["forces"][0]
        for section, title in (
            ("by_category", "Allegations by category"),
            ("by_final_finding", "Final findings"),
            ("by_final_result", "Final results"),
            ("sanctions_after_adverse", "Sanctions after an adverse finding"),
        ):
            console.print(_breakdown(figures, section, title))
    for entry in report["withheld"]:
        console.print(f"{entry['force']}: {entry['reason']}", highlight=False)
    console.print(
        f"{SUPPRESSED}: a count from 1 to 4, not shown; forces with fewer than "
        f"{report['min_complaints']} complaints are withheld",
        highlight=False,
    )
