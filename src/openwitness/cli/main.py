"""Entry point of the ``witness`` command."""

from __future__ import annotations

from typing import Annotated

import typer

from openwitness.cli import account, case, evidence, force, importing, incident, log, officer
from openwitness.cli.common import console, fail
from openwitness.cli.taxonomy import show_taxonomy
from openwitness.cli.verify import verify
from openwitness.core.config import Settings
from openwitness.core.errors import OpenWitnessError

app = typer.Typer(
    name="witness",
    help="OpenWitness: an evidence vault with a public transparency log and offline receipts.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(evidence.app, name="evidence")
app.add_typer(log.app, name="log")
app.add_typer(force.app, name="force")
app.add_typer(officer.app, name="officer")
app.add_typer(incident.app, name="incident")
app.add_typer(case.app, name="case")
app.add_typer(importing.app, name="import")
app.add_typer(account.account_app, name="account")
app.add_typer(account.org_app, name="org")
app.add_typer(account.token_app, name="token")
app.command("verify")(verify)
app.command("taxonomy")(show_taxonomy)


def _initialise(origin: str | None) -> None:
    from openwitness.services import initialise

    settings = Settings.from_env()
    try:
        svc, created = initialise(settings, origin)
    except OpenWitnessError as exc:
        fail(str(exc))
    svc.close()
    vkey = settings.verifier_key_path.read_text().strip()
    if created:
        console.print(f"Initialised OpenWitness in {settings.home}", highlight=False)
    else:
        console.print(f"Already initialised in {settings.home}", highlight=False)
    console.print(f"Log verifier key (publish it; people pin it to verify receipts):\n{vkey}")


@app.command("init")
def init(
    origin: Annotated[
        str | None,
        typer.Option(help="Log name, a schema-less URL such as example.org/witness-log."),
    ] = None,
) -> None:
    """Create the data folder, database, log key pair and the empty log (safe to run again)."""
    _initialise(origin)


@app.command("serve")
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
) -> None:
    """Run the web API (initialising the data folder on first use)."""
    import uvicorn

    from openwitness.api.app import create_app

    settings = Settings.from_env()
    if not settings.signer_key_path.exists():
        _initialise(None)
    try:
        application = create_app(settings)
    except OpenWitnessError as exc:
        fail(str(exc))
    console.print(f"Serving OpenWitness on http://{host}:{port} (API docs at /docs)")
    uvicorn.run(application, host=host, port=port, log_level="info")
