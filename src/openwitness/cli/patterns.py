"""``witness patterns``: early warning on the allegations loaded here (``openwitness.patterns``)."""

from __future__ import annotations

import enum
import json
from pathlib import Path
from typing import Annotated, Any

import typer

from openwitness.cli.common import actor, console, err_console, fail, services


class Label(enum.StrEnum):
    """An allegation in the next 12 months: any, or one found proven."""

    ANY = "any"
    SUSTAINED = "sustained"


app = typer.Typer(
    help="Early warning: officers whose pattern of allegations needs action.",
    no_args_is_help=True,
)


@app.command("evaluate")
def evaluate(
    label: Annotated[
        Label, typer.Option(help="What is predicted: any allegation, or a sustained one.")
    ] = Label.ANY,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    seed: Annotated[int, typer.Option(help="Seed of the model and the bootstrap.")] = 0,
    report: Annotated[
        Path | None,
        typer.Option(
            help="Also write an HTML report (charts, tables) into this folder.", file_okay=False
        ),
    ] = None,
) -> None:
    """The rolling evaluation on the records loaded here: each year's model is trained on the
    years before it only and flags as many officers as each threshold rule; precision, recall
    and the difference in hits with a 95% paired bootstrap interval, per year and pooled."""
    from openwitness.patterns.evaluate import evaluate as run
    from openwitness.patterns.records import load_records

    with services() as svc:
        err_console.print("reading the allegations…", highlight=False)
        records = load_records(svc.db)
        err_console.print(
            f"{len(records.day):,} allegations against {len(set(records.officer.tolist())):,} "
            "officers; training and testing a model per year…",
            highlight=False,
        )
        result = run(records, label.value, seed)
    if report is not None:
        from openwitness.patterns.report import write_report

        err_console.print(f"report: {write_report(result, report)}", highlight=False)
    if as_json:
        console.print_json(json.dumps(result.to_dict()))
        return
    from rich.table import Table

    table = Table(
        "year", "officers", "with label", "AUC-PR", "rule", "budget", "rule prec.",
        "model prec.", title=f"label: {label.value} allegation in the next 12 months",
    )  # fmt: skip
    for year in result.years:
        for name, figures in year.rules.items():
            table.add_row(
                str(year.year), f"{year.officers:,}", f"{year.positives:,}",
                f"{year.average_precision:.3f}", name, f"{figures['budget']:,}",
                f"{figures['rule_precision']:.3f}", f"{figures['model_precision']:.3f}",
            )  # fmt: skip
    console.print(table)
    _print_pooled(result.pooled["rules"])
    top = ", ".join(f"{name} {weight:.2f}" for name, weight in result.importance[:6])
    console.print(f"features that matter most: {top}", highlight=False)


@app.command("flags")
def flags(
    label: Annotated[
        Label, typer.Option(help="What is predicted: any allegation, or a sustained one.")
    ] = Label.SUSTAINED,
    as_of: Annotated[
        str | None,
        typer.Option(help="The day to flag as of (YYYY-MM-DD; default: the last record)."),
    ] = None,
    top: Annotated[
        int | None,
        typer.Option(min=1, help="How many to flag (default: as many as ≥ 3 in 12 months)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """The officers whose record most needs looking at as of a day, each with the facts that
    drove the flag, from a model trained for that day (not kept: the pages and the API use the
    one 'witness patterns train' keeps). A flag is a reason to look at a record, never a
    finding."""
    from datetime import date

    from openwitness.patterns.flags import flag
    from openwitness.patterns.records import load_records

    try:
        day = date.fromisoformat(as_of) if as_of else None
    except ValueError:
        fail(f"--as-of must be a date such as 2015-01-01, not {as_of!r}", 2)
    with services() as svc:
        flagged_on, found = flag(load_records(svc.db), label.value, day, top)
    if as_json:
        console.print_json(
            json.dumps({"as_of": flagged_on.isoformat(), "label": label.value,
                        "flags": [f.to_dict() for f in found]})
        )  # fmt: skip
        return
    console.print(f"{len(found)} officers flagged as of {flagged_on} ({label.value}):")
    for item in found:
        peers = "" if item.peer_percentile is None else f", peer percentile {item.peer_percentile}"
        console.print(f"officer {item.officer_id}: score {item.score:.2f}{peers}", highlight=False)
        for fact in item.facts:
            console.print(f"  - {fact.words}", highlight=False)


def _print_pooled(rules: dict[str, dict[str, Any]]) -> None:
    for name, pooled in rules.items():
        console.print(
            f"pooled, {name}: {pooled['budget']:,} flags; rule precision "
            f"{pooled['rule_precision']:.3f}, model {pooled['model_precision']:.3f}; "
            f"{pooled['hits_difference_pct']:+.1f}% hits ({_interval(pooled)})",
            highlight=False,
        )


def _interval(pooled: dict[str, Any]) -> str:
    low, high = pooled["hits_difference_ci95"]
    if low is None or high is None:  # stored as null when it could not be computed
        return "no 95% interval: too few hits to resample"
    return f"95% interval {low:+.1f}% to {high:+.1f}%"


@app.command("train")
def train(
    label: Annotated[
        Label, typer.Option(help="What is predicted: any allegation, or a sustained one.")
    ] = Label.SUSTAINED,
    seed: Annotated[int, typer.Option(help="Seed of the model and the bootstrap.")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Train the model the pages and the API flag officers with, and keep it as a new
    version together with the rolling evaluation run on the same records. Flags are then
    recomputed by that model whenever the allegations change; train again to learn from new
    years."""
    with services() as svc:
        info = svc.early_warning.train(
            label.value, actor(), seed, lambda words: err_console.print(words, highlight=False)
        )
    if as_json:
        console.print_json(json.dumps(info.to_dict()))
        return
    console.print(
        f"model {info.id} ({info.label}), trained on the records to {info.records_to}, "
        f"SHA-256 {info.sha256}",
        highlight=False,
    )
    _print_pooled(info.evaluation["rules"])


@app.command("models")
def models(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """The trained models, newest first: each version with its evaluation."""
    with services() as svc:
        found = svc.early_warning.models()
    if as_json:
        console.print_json(json.dumps([info.to_dict() for info in found]))
        return
    if not found:
        console.print("no model yet: train one with 'witness patterns train'")
        return
    for info in found:
        better = info.evaluation["rules"]["rule>=3/12m"]
        console.print(
            f"model {info.id}: {info.label}, trained {info.trained_at:%Y-%m-%d %H:%M} UTC by "
            f"{info.trained_by} on the records to {info.records_to}; against ≥ 3 in 12 "
            f"months {better['hits_difference_pct']:+.1f}% hits ({_interval(better)})",
            highlight=False,
        )


@app.command("export")
def export(
    model: Annotated[int, typer.Argument(min=1, help="The model number (patterns models).")],
    folder: Annotated[Path, typer.Argument(help="Where to write the two files.", file_okay=False)],
) -> None:
    """Write a model version as files to publish together: the model as saved (.pkl) and its
    description with the whole evaluation and the model file's SHA-256 (.json)."""
    with services() as svc:
        written = svc.early_warning.export(model, folder)
    for path in written:
        console.print(str(path), highlight=False)
