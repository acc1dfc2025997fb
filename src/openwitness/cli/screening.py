"""``witness screening``: exported group chats read and screened (``openwitness.screening``)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.markup import escape

from openwitness.cli.common import (
    actor,
    console,
    err_console,
    fail,
    services,
    write_atomically,
)

T = TypeVar("T")

ExportFile = Annotated[
    Path,
    typer.Argument(
        help="A WhatsApp .txt or .zip export, or a Telegram result.json.",
        exists=True,
        dir_okay=False,
    ),
]
ExportId = Annotated[int, typer.Argument(help="The export's number ('list').")]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON.")]

app = typer.Typer(
    help="Conduct screening: read exported WhatsApp and Telegram chats; train and judge the "
    "message classifier.",
    no_args_is_help=True,
)


@app.command("parse")
def parse(
    file: ExportFile,
    as_json: Annotated[bool, typer.Option("--json", help="Print the messages as JSON.")] = False,
) -> None:
    """Read an export and print its messages: time (local time as written; UTC for
    Telegram), author, text and kind (message, media or system). Reads only; nothing is
    kept. What had to be assumed (a day/month order no date decides) goes to stderr."""
    from openwitness.screening import ChatExportError
    from openwitness.screening.exports import open_export

    try:
        export = open_export(file)
    except ChatExportError as error:
        fail(str(error))
    for note in export.parsed.notes:
        err_console.print(f"note: {escape(note)}", highlight=False)
    messages = export.parsed.messages
    if as_json:
        print(json.dumps([m.to_dict() for m in messages], indent=1, ensure_ascii=False))
        return
    for message in messages:
        who = message.author or "(app)"
        text = message.text.replace("\n", "\n    ")
        console.print(
            f"{message.time}  [bold]{escape(who)}[/bold] [dim]{message.kind}[/dim]\n"
            f"    {escape(text)}",
            highlight=False,
        )
    kinds = {kind: sum(m.kind == kind for m in messages) for kind in ("message", "media", "system")}
    err_console.print(
        f"{len(messages):,} lines from {export.parsed.format}: "
        + ", ".join(f"{count:,} {kind}" for kind, count in kinds.items()),
        highlight=False,
    )


@app.command("score")
def score(
    file: ExportFile,
    top: Annotated[int, typer.Option(min=1, help="How many messages to show.")] = 20,
    as_json: AsJson = False,
) -> None:
    """Read an export and list the messages most likely hateful or violent first, each with
    its categories and whether the messages before it are why (scored with its context).
    Uses the model trained here ('train'), else the one shipped with OpenWitness. Reads
    only; nothing is kept."""
    from openwitness.core.config import Settings
    from openwitness.screening.classifier import load, model_path
    from openwitness.screening.exports import open_export
    from openwitness.screening.rank import score_chat

    export = _or_fail(lambda: open_export(file))
    model = _or_fail(lambda: load(model_path(Settings.from_env().home)))
    messages = export.parsed.messages
    ranked = score_chat(model, messages)[:top]
    if as_json:
        answer = [
            messages[s.index].to_dict()
            | {
                "index": s.index,
                "score": s.score,
                "flagged": s.flagged,
                "by_context": s.by_context,
                "scores": s.scores,
            }
            for s in ranked
        ]
        print(json.dumps(answer, indent=1, ensure_ascii=False))
        return
    for scored in ranked:
        message = messages[scored.index]
        reasons = ", ".join(scored.flagged) or "not flagged"
        context = " (with the messages before it)" if scored.by_context else ""
        console.print(
            f"{scored.score:.2f}  {message.time}  [bold]{escape(message.author or '')}[/bold]"
            f"  [dim]{reasons}{context}[/dim]\n    {escape(message.text)}",
            highlight=False,
        )


CorporaOption = Annotated[
    Path,
    typer.Option(
        help="The labelled corpora folder (../shared/data/abuse-text in a checkout).",
        exists=True,
        file_okay=False,
    ),
]


@app.command("train")
def train(
    corpora: CorporaOption,
    output: Annotated[
        Path | None,
        typer.Option(
            help="Where to write the model (default: the data folder's model).", dir_okay=False
        ),
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of the held-back split.")] = 0,
) -> None:
    """Train the message classifier on the training corpora only (never HateCheck, ETHOS or
    a test split) and write it; screening then uses it instead of the one shipped inside the
    package. The same corpora and seed give the same model."""
    from openwitness.core.config import Settings
    from openwitness.screening.classifier import save
    from openwitness.screening.classifier import train as fit
    from openwitness.screening.corpora import training_set

    target = output or Settings.from_env().home / "screening-model.joblib.xz"
    examples = _or_fail(lambda: training_set(corpora))
    model = fit(examples, seed, lambda line: err_console.print(line, highlight=False))
    save(model, target)
    thresholds = ", ".join(f"{k} {v:.3f}" for k, v in model.thresholds.items())
    console.print(
        f"trained on {len(examples):,} texts; flags at {thresholds}; written to {target}",
        highlight=False,
    )


@app.command("evaluate")
def evaluate(
    corpora: CorporaOption,
    model_file: Annotated[
        Path | None,
        typer.Option(
            "--model",
            help="Judge this model file (one written by 'train') instead of training one.",
            exists=True,
            dir_okay=False,
        ),
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of the training run.")] = 0,
    as_json: AsJson = False,
) -> None:
    """Train on the training corpora (or load --model), then judge it on the held-out test
    sets (HateCheck, ETHOS, EDOS's and Guest's test splits) beside a keyword list,
    alt-profanity-check and "flag everything": precision, recall and F1 per set and per
    category. The tables in docs/screening.md are this command's output."""
    from openwitness.screening.classifier import load
    from openwitness.screening.classifier import train as fit
    from openwitness.screening.corpora import training_set
    from openwitness.screening.evaluate import evaluate as judge

    def say(line: str) -> None:
        err_console.print(line, highlight=False)

    if model_file is not None:
        model = _or_fail(lambda: load(model_file))
    else:
        model = fit(_or_fail(lambda: training_set(corpora)), seed, say)
    result = _or_fail(lambda: judge(model, corpora, say))
    if as_json:
        print(json.dumps(result, indent=1))
        return
    _print_tables(result)


def _or_fail(step: Callable[[], T]) -> T:
    from openwitness.core.errors import OpenWitnessError

    try:
        return step()
    except OpenWitnessError as error:
        fail(str(error))


def _difference(model: dict[str, Any], scores: dict[str, Any]) -> str:
    interval = scores.get("model_f1_difference_ci95")
    if interval is None:
        return ""
    low, high = interval
    return f"{model['f1'] - scores['f1']:+.3f} [{low:+.3f}, {high:+.3f}]"


def _print_tables(result: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    wide = Console(width=max(console.width, 120), soft_wrap=True)

    flags = Table(title="Flag (hateful) against each set's own label", title_justify="left")
    columns = (
        "set",
        "n (positive)",
        "method",
        "precision",
        "recall",
        "F1",
        "model's F1 - this [95%]",
    )
    for column in columns:
        flags.add_column(column, justify="left" if column in ("set", "method") else "right")
    for name, entry in result["sets"].items():
        for method, scores in entry["methods"].items():
            if scores is None:
                flags.add_row(name, "", method, "not installed", "", "")
                continue
            flags.add_row(
                name,
                f"{entry['n']:,} ({entry['positives']:,})",
                method,
                f"{scores['precision']:.3f}",
                f"{scores['recall']:.3f}",
                f"{scores['f1']:.3f}",
                _difference(entry["methods"]["model"], scores),
            )
    wide.print(flags)
    per_category = Table(title="Categories (the model only)", title_justify="left")
    for column in ("set", "category", "n (positive)", "precision", "recall", "F1"):
        per_category.add_column(
            column, justify="left" if column in ("set", "category") else "right"
        )
    for name, entry in result["sets"].items():
        for category, scores in entry["categories"].items():
            per_category.add_row(
                name,
                category,
                f"{scores['n']:,} ({scores['positives']:,})",
                f"{scores['precision']:.3f}",
                f"{scores['recall']:.3f}",
                f"{scores['f1']:.3f}",
            )
    wide.print(per_category)


@app.command("add")
def add(
    file: ExportFile,
    case: Annotated[int | None, typer.Option(help="The case (complaint id) it belongs to.")] = None,
    organisation: Annotated[
        str | None, typer.Option("--org", help="The organisation that holds it.")
    ] = None,
    as_json: AsJson = False,
) -> None:
    """Lodge an export as evidence: the file is logged (it gets a receipt) only once it has
    been read as an export; every photo, video, voice note and document in a zip is lodged
    too and linked to its message; photos get perceptual hashes; every message is scored.
    Participants' names and numbers are sealed. The same file lodged again is the same
    screening."""
    with services() as svc:
        if case is not None:
            svc.cases.get(case)  # a missing case is refused before anything is logged
        lodged = svc.screening.add(
            file,
            actor(),
            organisation,
            case,
            lambda line: err_console.print(line, highlight=False),
        )
    from openwitness.cli.evidence import receipt_path

    receipt = receipt_path(file, None, lodged.sha256)
    write_atomically(receipt, lodged.receipt)
    if as_json:
        print(json.dumps(lodged.to_dict() | {"receipt_file": str(receipt)}, indent=1))
        return
    console.print(
        f"export {lodged.export_id}: {lodged.messages:,} lines, {lodged.flagged:,} flagged; "
        f"log entry {lodged.log_index}, SHA-256 {lodged.sha256}; "
        f"{lodged.attachments_lodged:,} attachment(s) lodged, "
        f"{lodged.attachments_kept_in_export:,} kept in the export only",
        highlight=False,
    )
    console.print(f"  receipt: {receipt}", highlight=False)
    for note in lodged.notes:
        err_console.print(f"note: {escape(note)}", highlight=False)


@app.command("list")
def list_exports(
    as_json: AsJson = False,
) -> None:
    """The exports lodged here, with their counts of messages and flags."""
    from openwitness.cases.access import Viewer

    with services() as svc:
        exports = svc.screening_review.exports(Viewer.operator(actor()))
    if as_json:
        print(json.dumps(exports, indent=1))
        return
    for export in exports:
        console.print(
            f"{export['id']}  {export['lodged_at']}  {escape(export['file_name'])}  "
            f"{export['messages']:,} lines, {export['flagged']:,} flagged",
            highlight=False,
        )


@app.command("show")
def show(
    export_id: ExportId,
    top: Annotated[int, typer.Option(min=1, help="How many messages to show.")] = 20,
    as_json: AsJson = False,
) -> None:
    """A lodged export's messages, highest score first, with who wrote them (unsealed: the
    command line runs on the server, which holds the key)."""
    from openwitness.cases.access import Viewer

    operator = Viewer.operator(actor())
    with services() as svc:
        export = svc.screening_review.export(export_id, operator)
        ranked = svc.screening_review.ranked(export_id, operator, top)
    if as_json:
        print(json.dumps(export | {"ranked": ranked}, indent=1, ensure_ascii=False))
        return
    console.print(
        f"{escape(export['file_name'])}: {export['messages']:,} lines, {export['flagged']:,} "
        f"flagged; SHA-256 {export['sha256']}",
        highlight=False,
    )
    for message in ranked:
        reasons = ", ".join(message["flagged"] or []) or "not flagged"
        console.print(
            f"{message['score']:.2f}  {message['time']}  [bold]{escape(message['author'] or '')}"
            f"[/bold]  [dim]{reasons}[/dim]\n    {escape(message['text'])}",
            highlight=False,
        )


@app.command("photo")
def photo(
    image: Annotated[
        Path, typer.Argument(help="A photograph to look for.", exists=True, dir_okay=False)
    ],
    as_json: AsJson = False,
) -> None:
    """Find a photograph in the lodged exports, even re-compressed, resized or lightly
    cropped (perceptual hashes), closest first."""
    from openwitness.cases.access import Viewer

    with services() as svc:
        found = svc.screening_review.find_photo(image, Viewer.operator(actor()))
    if as_json:
        print(json.dumps(found, indent=1))
        return
    if not found:
        console.print("not found in any lodged export", highlight=False)
    for match in found:
        console.print(
            f"export {match['export']}: {escape(match['member'])} "
            f"({match['distance']} bits apart of 128)",
            highlight=False,
        )


@app.command("decide")
def decide(
    export_id: ExportId,
    position: Annotated[int, typer.Argument(help="The message's position ('show --json').")],
    decision: Annotated[str, typer.Argument(help="confirmed or dismissed.")],
    note: Annotated[str | None, typer.Option(help="Why, in a few words.")] = None,
) -> None:
    """Record a reviewer's decision on a screened message: confirmed (it is what it was
    flagged for) or dismissed. Earlier decisions stay in the history."""
    from openwitness.cases.access import Viewer

    with services() as svc:
        made = svc.screening_review.decide(
            export_id, position, decision, note, Viewer.operator(actor())
        )
    console.print(
        f"message {position} of export {export_id}: {made['decision']} by {made['decided_by']}",
        highlight=False,
    )


@app.command("report")
def report(
    export_id: ExportId,
    output: Annotated[Path, typer.Argument(help="The folder to write into.", file_okay=False)],
) -> None:
    """Write the screening report of an export as HTML and PDF: the export's SHA-256, log
    entry and checkpoint (so it can be checked against the exact file), who sent what share
    of the flagged messages, flags by month, the flagged messages with reviewers' decisions,
    and the decision history. It names participants: keep it as you keep the chat."""
    from openwitness.cases.access import Viewer
    from openwitness.screening.report import write_screening_report

    with services() as svc:
        html, pdf = write_screening_report(
            svc.screening_review, svc.log, export_id, Viewer.operator(actor()), output
        )
    console.print(f"report: {html}\n        {pdf}", highlight=False)
