"""``witness screening``: exported group chats read and screened (``openwitness.screening``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from openwitness.cli.common import console, err_console, fail

app = typer.Typer(
    help="Conduct screening: read exported WhatsApp and Telegram chats.",
    no_args_is_help=True,
)


@app.command("parse")
def parse(
    file: Annotated[
        Path,
        typer.Argument(
            help="A WhatsApp .txt or .zip export, or a Telegram result.json.",
            exists=True,
            dir_okay=False,
        ),
    ],
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
