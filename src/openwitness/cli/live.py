"""``witness live``: the operator's view of live recordings (the recorder uses the /live page)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from openwitness.cli.common import console, services, write_atomically
from openwitness.core.files import replace_atomically
from openwitness.live.bundle import BUNDLE_SUFFIX

if TYPE_CHECKING:
    from openwitness.live.records import RecordingStatus

app = typer.Typer(
    help="Live recordings: list them, see how far each arrived, export their receipts.",
    no_args_is_help=True,
)

_STATES = {"recording": "recording", "cut_short": "cut short", "finished": "ended"}


def _when(status: RecordingStatus) -> str:
    return f"{status.started_at:%Y-%m-%d %H:%M:%S} UTC"


@app.command("list")
def list_recordings(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Every live recording, newest first: its state, chunks and seconds logged."""
    with services() as svc:
        recordings = svc.live.all()
    if as_json:
        console.print_json(json.dumps([status.to_dict() for status in recordings]))
        return
    if not recordings:
        console.print("no live recordings")
        return
    table = Table("recording", "state", "chunks", "seconds", "started")
    for status in recordings:
        table.add_row(
            status.id,
            _STATES[status.state],
            str(status.chunks),
            f"{status.logged_ms / 1000:.0f}",
            _when(status),
        )
    console.print(table)
    console.print(f"{len(recordings)} recording{'s' if len(recordings) != 1 else ''}")


@app.command("show")
def show(
    recording: Annotated[str, typer.Argument(help="The recording's id (32 hex digits).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """How far a recording arrived, and each chunk's hash and log index."""
    with services() as svc:
        status = svc.live.status_of(recording)
        chunks = svc.live.chunks(recording)
    if as_json:
        answer = status.to_dict()
        answer["chunk_list"] = [
            {"seq": c.seq, "sha256": c.sha256, "size": c.size, "log_index": c.log_index}
            for c in chunks
        ]
        console.print_json(json.dumps(answer))
        return
    console.print(
        f"recording {status.id}: {_STATES[status.state]}, {status.chunks} chunks "
        f"({status.size:,} bytes, about {status.logged_ms / 1000:.0f} s), started {_when(status)}",
        highlight=False,
    )
    if status.whole_sha256:
        console.print(f"whole file: sha256 {status.whole_sha256}", highlight=False)
    for chunk in chunks:
        console.print(
            f"  chunk {chunk.seq}: sha256 {chunk.sha256}  {chunk.size:,} bytes  "
            f"log index {chunk.log_index}",
            highlight=False,
        )


@app.command("bundle")
def bundle(
    recording: Annotated[str, typer.Argument(help="The recording's id (32 hex digits).")],
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Where to write the bundle.", dir_okay=False),
    ] = None,
    media: Annotated[
        Path | None,
        typer.Option(help="Also write the chunks end to end (the recording) here.", dir_okay=False),
    ] = None,
) -> None:
    """Write a recording's receipt bundle, for `witness verify --bundle` or the /verify page."""
    with services() as svc:
        status = svc.live.status_of(recording)
        answer = svc.live.bundle(recording)
        target = output or Path(f"recording-{recording}{BUNDLE_SUFFIX}")
        write_atomically(target, json.dumps(answer, indent=1) + "\n")
        console.print(f"bundle of {len(answer['chunks'])} chunks: {target}", highlight=False)
        if media is not None:
            replace_atomically(
                media, lambda tmp: _write_all(svc.live.media(recording, status.chunks), tmp)
            )
            console.print(f"recording ({status.size:,} bytes): {media}", highlight=False)


def _write_all(data: Iterator[bytes], target: Path) -> None:
    with target.open("wb") as out:
        for block in data:
            out.write(block)


@app.command("finish")
def finish(
    recording: Annotated[str, typer.Argument(help="The recording's id (32 hex digits).")],
) -> None:
    """Lodge what arrived of a recording as one file and end it (for one cut short)."""
    with services() as svc:
        status, whole = svc.live.finish_for_operator(recording)
    console.print(
        f"recording {status.id} ended: {status.chunks} chunks lodged as one file, sha256 "
        f"{whole.record.sha256}, log index {whole.record.log_index}",
        highlight=False,
    )
