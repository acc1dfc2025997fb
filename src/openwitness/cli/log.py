"""``witness log``: the public log's checkpoint, key and proofs."""

from __future__ import annotations

import base64
import json
from typing import Annotated

import typer

from openwitness.cli.common import console, err_console, fail, services
from openwitness.core.config import Settings
from openwitness.core.errors import OpenWitnessError
from openwitness.ledger.keys import published_verifier_key

app = typer.Typer(help="Inspect the public transparency log.", no_args_is_help=True)
proof_app = typer.Typer(help="Print Merkle proofs from the log.", no_args_is_help=True)
app.add_typer(proof_app, name="proof")


def _print_hashes(hashes: list[bytes], as_json: bool, **fields: int) -> None:
    encoded = [base64.b64encode(h).decode() for h in hashes]
    if as_json:
        print(json.dumps({**fields, "hashes": encoded}))
    else:
        for line in encoded:
            print(line)


@app.command("checkpoint")
def checkpoint() -> None:
    """Print the latest signed checkpoint (C2SP tlog-checkpoint)."""
    with services() as svc:
        print(svc.log.latest_checkpoint(), end="")


@app.command("key")
def key() -> None:
    """Print the log's verifier key (<name>+<key id>+<base64>) for people to pin."""
    try:
        print(published_verifier_key(Settings.from_env()))
    except OpenWitnessError as exc:
        fail(str(exc))


@proof_app.command("inclusion")
def inclusion(
    index: Annotated[int, typer.Option(help="Entry index (0-based).", min=0)],
    size: Annotated[
        int | None, typer.Option(help="Tree size; default: the latest checkpoint.", min=1)
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON as the API does.")] = False,
) -> None:
    """Print the inclusion proof of an entry, one base64 hash a line."""
    with services() as svc:
        size = size if size is not None else svc.log.latest_size()
        _print_hashes(svc.log.inclusion_proof(index, size), as_json, index=index, size=size)


@proof_app.command("consistency")
def consistency(
    old: Annotated[int, typer.Option(help="The earlier tree size (e.g. from a receipt).", min=0)],
    new: Annotated[
        int | None, typer.Option(help="The later tree size; default: the latest.", min=0)
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON as the API does.")] = False,
) -> None:
    """Print the consistency proof between two tree sizes, one base64 hash a line."""
    with services() as svc:
        new = new if new is not None else svc.log.latest_size()
        _print_hashes(svc.log.consistency_proof(old, new), as_json, old=old, new=new)


@app.command("publish")
def publish(
    target: Annotated[
        str,
        typer.Argument(
            help="A folder, or s3://bucket/prefix?endpoint=… (credentials from AWS_* variables).",
            show_default=False,
        ),
    ],
) -> None:
    """Write the log as static C2SP tlog-tiles files (checkpoint, tiles, entry bundles) for
    any static host or CDN; run it again to add only what is new. The checkpoint is written
    last, and one that does not extend the checkpoint already there is refused."""
    from openwitness.ledger.publish import destination_for
    from openwitness.ledger.publish import publish as publish_log

    with services() as svc:
        done = publish_log(
            svc.log, destination_for(target), lambda line: err_console.print(line, highlight=False)
        )
        console.print(
            f"{target}: size {done.size:,} (was {done.previous_size:,}); "
            f"{done.tiles:,} tiles and {done.entry_bundles:,} entry bundles written",
            highlight=False,
        )


@app.command("cosign")
def cosign() -> None:
    """Ask each witness in OPENWITNESS_WITNESS_POLICY to cosign the latest checkpoint (what
    `witness serve` does every few seconds); their cosignatures are added to it, and so to
    receipts. Exits 1 if a witness refused or could not be reached."""
    with services() as svc:
        if svc.cosigning is None:
            fail("no witnesses are configured: set OPENWITNESS_WITNESS_POLICY to a policy file")
        outcomes = svc.cosigning.collect()
    for outcome in outcomes:
        mark = "[green]ok[/green]" if outcome.status == 200 else f"[red]{outcome.status}[/red]"
        console.print(f"{mark} {outcome.witness}: {outcome.message}", highlight=False)
    if any(outcome.status != 200 for outcome in outcomes):
        raise typer.Exit(1)


@app.command("witness-key")
def witness_key() -> None:
    """Print this server's witness key (name+id+base64, cosignature/v1) for other logs'
    policies; it is made on first use and is not the log key."""
    from openwitness.ledger.keys import load_signer
    from openwitness.witnessing.keys import load_or_create, witness_name

    settings = Settings.from_env()
    try:
        origin = load_signer(settings).name
        print(load_or_create(settings.witness_key_path, witness_name(origin)).vkey)
    except OpenWitnessError as exc:
        fail(str(exc))
