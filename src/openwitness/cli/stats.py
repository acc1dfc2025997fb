"""``witness stats …``: public statistics from the open police data and the case records."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from openwitness.cli.common import console, err_console, fail
from openwitness.cli.stats_complaints import complaints
from openwitness.core.config import Settings
from openwitness.core.errors import OpenWitnessError

if TYPE_CHECKING:
    from openwitness.stats.service import PoliceStats
    from openwitness.stats.store import FileReport

app = typer.Typer(
    help="Public statistics: stop and search (import, coverage, disproportionality, reports) "
    "and complaint outcomes.",
    no_args_is_help=True,
)
app.command("complaints")(complaints)

AsJson = Annotated[bool, typer.Option("--json", help="The answer as JSON.")]
Force = Annotated[
    str, typer.Option("--force", help="Force as in the file names, e.g. metropolitan.")
]
From = Annotated[str, typer.Option("--from", help="First month, YYYY-MM.")]
To = Annotated[str, typer.Option("--to", help="Last month, YYYY-MM.")]
Ethnicity = Annotated[
    str,
    typer.Option(
        "--ethnicity",
        help="officer (the officer's perception, police grouping) or self (the person's own "
        "answer, ONS 2011 grouping).",
    ),
]


def police_stats() -> PoliceStats:
    from openwitness.stats.service import PoliceStats

    return PoliceStats(Settings.from_env().stats_dir)


def _show(report: FileReport) -> None:
    if report.status == "imported":
        note = f", {report.rows_refused:,} refused" if report.rows_refused else ""
        again = " (replaced the earlier import)" if report.replaced else ""
        err_console.print(
            f"imported {report.file}: {report.rows_read:,} rows read{note}{again}", highlight=False
        )
        for refusal in report.refusals:
            err_console.print(
                f"  refused {refusal['rows']:,} rows: {refusal['reason']} "
                f"(first at line {refusal['first_line']})", highlight=False,
            )  # fmt: skip
    elif report.status == "population":
        err_console.print(
            f"population table {report.file}: {report.rows_read} forces", highlight=False
        )
    elif report.status == "skipped":
        err_console.print(f"skipped {report.file}: {report.reason}", highlight=False)
    else:
        err_console.print(f"[red]refused[/red] {report.reason}", highlight=False)


@app.command("import")
def import_files(
    paths: Annotated[
        list[Path],
        typer.Argument(help="data.police.uk CSV files, folders of them, or the monthly zip."),
    ],
    as_json: AsJson = False,
    background: Annotated[
        bool,
        typer.Option(
            "--background",
            help="Queue it as a job for `witness jobs worker` (OPENWITNESS_JOBS=redis) and "
            "print the job's id; `witness jobs show ID` follows it.",
        ),
    ] = False,
) -> None:
    """Import data.police.uk files (stop and search, street crime, outcomes) and the population
    tables found beside them. Force and month come from each file's name; re-importing a
    force-month replaces it. A file is imported whole or not at all."""
    if background:
        _queue_import(paths)
        return
    try:
        reports = police_stats().import_paths(paths, progress=None if as_json else _show)
    except OpenWitnessError as exc:
        fail(str(exc))
    if as_json:
        print(json.dumps([r.as_dict() for r in reports], indent=2))
    imported = [r for r in reports if r.status == "imported"]
    refused = [r for r in reports if r.status == "refused"]
    if not as_json:
        rows = sum(r.rows_imported for r in imported)
        console.print(
            f"{len(imported)} files imported ({rows:,} rows), {len(refused)} refused, "
            f"{sum(r.status == 'skipped' for r in reports)} skipped", highlight=False,
        )  # fmt: skip
    if refused:
        raise typer.Exit(1)


def _queue_import(paths: list[Path]) -> None:
    from openwitness.cli.common import actor, services
    from openwitness.jobs.queue import JobQueue

    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        fail(f"no such file or folder: {missing[0]}", 2)
    with services() as svc:
        queue = JobQueue(svc)
        if not queue.background:
            fail("--background needs a job queue: set OPENWITNESS_JOBS=redis and run workers")
        job_id = queue.submit("stats.import", {"paths": [str(p.resolve()) for p in paths]}, actor())
    print(job_id)


@app.command("coverage")
def coverage(
    kind: Annotated[
        str, typer.Option("--kind", help="stop-and-search, street or outcomes.")
    ] = "stop-and-search",
    as_json: AsJson = False,
) -> None:
    """The force-by-month grid of imported files: a month with no file is missing, not zero."""
    try:
        grid = police_stats().coverage(kind)
    except OpenWitnessError as exc:
        fail(str(exc))
    if as_json:
        print(json.dumps(grid, indent=2))
        return
    if not grid["forces"]:
        console.print("nothing imported yet: witness stats import PATH", highlight=False)
        return
    years = sorted({m[:4] for m in grid["months"]})
    console.print("■ a file imported  · missing  (columns: January … December)", highlight=False)
    width = max(len(f) for f in grid["forces"])
    console.print(" " * width + "  " + "  ".join(f"{y:<12}" for y in years), highlight=False)
    for force, cells in grid["forces"].items():
        marks = "  ".join(
            "".join(
                "■" if f"{y}-{m:02d}" in cells["months"] else "·" for m in range(1, 13)
            ) for y in years
        )  # fmt: skip
        console.print(f"{force:<{width}}  {marks}", highlight=False)


def _number(value: Any, digits: int = 2) -> str:
    return "—" if value is None else f"{value:,.{digits}f}"


def _print_answer(answer: dict[str, Any]) -> None:
    from rich.table import Table

    months = answer["months"]
    console.print(
        f"{answer['force']}: {answer['searches']:,} searches in {len(months)} month(s) "
        f"({months[0]} … {months[-1]}), {answer['ethnicity']}-defined ethnicity",
        highlight=False,
    )
    if answer["missing_months"]:
        console.print(f"missing months: {', '.join(answer['missing_months'])}", highlight=False)
    table = Table("group", "searches", "residents", "per 1,000", "ratio to White", "95% CI",
                  "bounds")  # fmt: skip
    for group, row in answer["groups"].items():
        ratio = answer["rate_ratios"].get(group, {})
        ci, bounds = ratio.get("ci95"), ratio.get("bounds")
        table.add_row(
            group, f"{row['searches']:,}", _number(row.get("population"), 0),
            _number(row.get("rate_per_1000")),
            _number(ratio.get("ratio")),
            f"{ci[0]:.2f} to {ci[1]:.2f}" if ci else "",
            f"{bounds[0]:.2f} to {bounds[1]:.2f}" if bounds else "",
        )  # fmt: skip
    console.print(table)
    reasons: dict[str, list[str]] = {}
    for group, ratio in answer["rate_ratios"].items():
        if ratio.get("reason"):
            reasons.setdefault(ratio["reason"], []).append(group)
    for reason, groups in reasons.items():
        err_console.print(f"note: no ratio to White for {', '.join(groups)}: {reason}",
                          highlight=False)  # fmt: skip
    for warning in answer["warnings"]:
        err_console.print(f"note: {warning}", highlight=False)


@app.command("disproportionality")
def disproportionality(
    force: Annotated[str | None, typer.Option("--force", help="One force.")] = None,
    start: Annotated[str | None, typer.Option("--from", help="First month, YYYY-MM.")] = None,
    end: Annotated[str | None, typer.Option("--to", help="Last month, YYYY-MM.")] = None,
    month: Annotated[str | None, typer.Option("--month", help="One month, with --by.")] = None,
    by: Annotated[str | None, typer.Option("--by", help="force: each force.")] = None,
    ethnicity: Ethnicity = "officer",
    as_json: AsJson = False,
) -> None:  # fmt: skip
    """Search rates per 1,000 residents by ethnic group and the rate ratio against White, with
    its 95% interval (Katz) and bounds for the searches with no ethnicity recorded."""
    stats = police_stats()
    try:
        if by is not None or month is not None:
            if by != "force" or month is None or force is not None:
                fail("use --force F --from YYYY-MM --to YYYY-MM, or --month YYYY-MM --by force")
            answers = stats.by_force(month, ethnicity)
            if as_json:
                print(json.dumps(answers, indent=2))
                return
            for answer in answers:
                _print_answer(answer)
            return
        if force is None or start is None:
            fail("give --force and --from (and --to), or --month with --by force")
        answer = stats.disproportionality(force, start, end or start, ethnicity)
    except OpenWitnessError as exc:
        fail(str(exc))
    if as_json:
        print(json.dumps(answer, indent=2))
    else:
        _print_answer(answer)


@app.command("breakdowns")
def breakdowns(force: Force, start: From, end: To, as_json: AsJson = False) -> None:
    """No-further-action share, find rate, legislation with section 60 by month, removal of
    more than outer clothing, age and gender; each with its denominator."""
    try:
        answer = police_stats().breakdowns(force, start, end)
    except OpenWitnessError as exc:
        fail(str(exc))
    if as_json:
        print(json.dumps(answer, indent=2))
        return
    console.print(f"{force}: {answer['searches']:,} searches, {answer['from']} … {answer['to']}",
                  highlight=False)  # fmt: skip
    for key, label in (("no_further_action", "no further action"), ("find_rate", "find rate "
                       "(outcome linked to the object)"), ("more_than_outer_clothing",
                       "more than outer clothing removed")):  # fmt: skip
        part = answer[key]
        share = "—" if part["share"] is None else f"{part['share']:.1%}"
        console.print(f"{label}: {share} of {part['denominator']:,} with it recorded",
                      highlight=False)  # fmt: skip
    for row in answer["section_60_by_month"]:
        console.print(f"{row['month']}: {row['searches']:,} searches, {row['section_60']:,} "
                      "under section 60", highlight=False)  # fmt: skip
    for warning in answer["warnings"]:
        err_console.print(f"note: {warning}", highlight=False)


@app.command("report")
def report(
    force: Force,
    start: From,
    end: To,
    ethnicity: Ethnicity = "officer",
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", help="Folder to write into (default ./openwitness-report-F-FROM-TO/)."
        ),
    ] = None,
) -> None:
    """A self-contained HTML report and a PDF for one force and period: the figures with their
    intervals, both ethnicity definitions, breakdowns, charts, coverage, definitions, sources."""
    from openwitness.stats.report import write_report

    folder = output or Path(f"openwitness-report-{force}-{start}-{end}")
    try:
        html_path, pdf_path = write_report(police_stats(), force, start, end, folder, ethnicity)
    except OpenWitnessError as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"cannot write the report into {folder}: {exc.strerror or exc}")
    console.print(f"HTML report: {html_path}", highlight=False)
    console.print(f"PDF report: {pdf_path}", highlight=False)
