"""``witness evidence``: lodge files and look them up."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from openwitness.cli.common import console, err_console, services, write_atomically
from openwitness.core.errors import OpenWitnessError
from openwitness.ledger.entry import parse_entry
from openwitness.ledger.receipt import FILE_SUFFIX, parse_receipt

if TYPE_CHECKING:
    from openwitness.evidence.service import IngestResult, Vault

app = typer.Typer(help="Lodge evidence files in the vault and look them up.", no_args_is_help=True)

PROGRESS_THRESHOLD = 16 * 1024 * 1024


def _receipt_is_for(path: Path, sha256: str) -> bool:
    try:
        return parse_entry(parse_receipt(path.read_bytes()).entry).sha256 == sha256
    except (OSError, ValueError):
        return False


def receipt_path(file: Path, receipt_dir: Path | None, sha256: str) -> Path:
    """``<name>.tlog-proof`` beside the file or in --receipt-dir, never clobbering another's."""
    path = (receipt_dir or file.parent) / f"{file.name}{FILE_SUFFIX}"
    if path.exists() and not _receipt_is_for(path, sha256):
        path = path.with_name(f"{file.name}.{sha256[:12]}{FILE_SUFFIX}")
    return path


def _ingest(vault: Vault, file: Path) -> IngestResult:
    size = file.stat().st_size
    if size < PROGRESS_THRESHOLD:
        return vault.ingest_file(file)
    # Imported here: rich.progress is slow to import and only large files need it.
    from rich.progress import BarColumn, DownloadColumn, Progress, TransferSpeedColumn

    columns = ("{task.description}", BarColumn(), DownloadColumn(), TransferSpeedColumn())
    with Progress(*columns, console=err_console, transient=True) as progress:
        task = progress.add_task(file.name, total=size)
        return vault.ingest_file(file, lambda done: progress.update(task, completed=done))


@app.command("add")
def add(
    files: Annotated[list[Path], typer.Argument(help="Files to lodge (video, photo, audio, PDF).")],
    receipt_dir: Annotated[
        Path | None,
        typer.Option(help="Write receipts here instead of beside each file.", file_okay=False),
    ] = None,
) -> None:
    """Store files, append them to the public log, and write a .tlog-proof receipt for each."""
    refused = 0
    with services() as svc:
        for file in files:
            if not file.is_file():
                err_console.print(f"[red]refused[/red] {file}: not a readable file")
                refused += 1
                continue
            try:
                result = _ingest(svc.vault, file)
            except OpenWitnessError as exc:
                err_console.print(f"[red]refused[/red] {file}: {exc}", highlight=False)
                refused += 1
                continue
            path = receipt_path(file, receipt_dir, result.record.sha256)
            write_atomically(path, result.receipt.to_text())
            state = "stored" if result.created else "already in the vault"
            console.print(
                f"[green]{state}[/green] {file}  sha256 {result.record.sha256}  "
                f"{result.record.media_type}  log index {result.record.log_index}\n"
                f"  receipt: {path}",
                highlight=False,
            )
    if refused:
        raise typer.Exit(1)


@app.command("show")
def show(
    sha256: Annotated[str, typer.Argument(help="The file's SHA-256 (64 hex digits).")],
) -> None:
    """Show what the vault holds for a file: size, type, log index and extracted metadata."""
    with services() as svc:
        record = svc.vault.get(sha256)
        console.print_json(json.dumps(record.to_dict()))


@app.command("previews")
def previews(
    limit: Annotated[
        int | None, typer.Option(min=1, help="Make at most this many (oldest items first).")
    ] = None,
    background: Annotated[
        bool,
        typer.Option(
            "--background",
            help="Queue a job per item for `witness jobs worker` (OPENWITNESS_JOBS=redis) "
            "instead of making them here.",
        ),
    ] = False,
) -> None:
    """Make the thumbnails and perceptual hashes that photos and videos are missing.

    `witness serve` queues an item's preview as soon as it is uploaded; this catches up on
    items lodged with `witness evidence add` or before previews existed."""
    from openwitness.cli.common import actor

    with services() as svc:
        missing = svc.previews.missing(limit)
        if background:
            from openwitness.jobs.queue import JobQueue

            queue = JobQueue(svc)
            if not queue.background:
                err_console.print("--background needs OPENWITNESS_JOBS=redis and running workers")
                raise typer.Exit(2)
            for sha256 in missing:
                queue.submit("evidence.preview", {"sha256": sha256}, actor())
            console.print(f"{len(missing)} preview jobs queued", highlight=False)
            return
        made = failed = 0
        for number, sha256 in enumerate(missing, 1):
            preview = svc.previews.make(sha256)
            made += preview.state == "made"
            failed += preview.state == "failed"
            detail = preview.note if preview.state != "made" else f"phash {preview.phash}"
            err_console.print(
                f"[{number}/{len(missing)}] {sha256[:12]}  {preview.state}: {detail}",
                highlight=False,
            )
        console.print(f"{made} previews made, {failed} could not be made", highlight=False)
