"""Entry point of the ``witness`` command."""

from __future__ import annotations

import gc
import ipaddress
import socket
from typing import Annotated

import typer

from openwitness.cli import (
    account,
    case,
    evidence,
    export,
    force,
    importing,
    incident,
    jobs,
    live,
    log,
    officer,
    patterns,
    screening,
    stats,
)
from openwitness.cli.common import console, fail
from openwitness.cli.monitor import monitor
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
app.add_typer(export.app, name="export")
app.add_typer(stats.app, name="stats")
app.add_typer(live.app, name="live")
app.add_typer(patterns.app, name="patterns")
app.add_typer(screening.app, name="screening")
app.add_typer(jobs.app, name="jobs")
app.add_typer(account.account_app, name="account")
app.add_typer(account.org_app, name="org")
app.add_typer(account.token_app, name="token")
app.command("verify")(verify)
app.command("monitor")(monitor)
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
        typer.Option(
            help="Log name: its public URL without https:// (where /checkpoint and /tile/ are "
            "served), such as reports.example.org/witness. Fixed for the life of the log."
        ),
    ] = None,
) -> None:
    """Create the data folder, database, log key pair and the empty log (safe to run again)."""
    _initialise(origin)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to a public address


def _refuse_busy_port(host: str, port: int) -> None:
    """Say so before anything else is printed or set up, not after "Serving ..."."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except socket.gaierror as exc:
        fail(f"cannot listen on {host}: {exc.strerror}", code=2)
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does
        try:
            probe.bind(address)
        except OSError as exc:
            fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}")


@app.command("serve")
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    demo: Annotated[
        bool,
        typer.Option(
            "--demo",
            help="Serve a fictional demo data set from a separate demo data folder "
            "(<home>/demo, its own SQLite database and keys), seeded on first use; the real "
            "installation is not touched.",
        ),
    ] = False,
    forwarded_allow_ips: Annotated[
        str | None,
        typer.Option(
            "--forwarded-allow-ips",
            help="Addresses of reverse proxies whose X-Forwarded-For names the client "
            "(comma-separated IPs or networks, '*' for any). By default none is believed: "
            "rate limits count the connecting address. Default: OPENWITNESS_FORWARDED_ALLOW_IPS.",
        ),
    ] = None,
    allow_public_demo: Annotated[
        bool,
        typer.Option(
            "--allow-public-demo",
            help="Let --demo listen on an address other computers can reach (its accounts' "
            "passwords are published in the docs).",
        ),
    ] = False,
    workers: Annotated[
        int,
        typer.Option(
            help="Server processes behind the one address. More than one needs the limits "
            "shared (OPENWITNESS_REDIS_URL); PostgreSQL is recommended. The log has one "
            "sequence whatever the number.",
            min=1,
            max=64,
        ),
    ] = 1,
) -> None:
    """Run the web app and the API (initialising the data folder on first use)."""
    import uvicorn

    from openwitness.app import create_app

    if demo and not allow_public_demo and not _is_loopback(host):
        fail(
            f"the demo's accounts have published passwords, so it listens only on this computer "
            f"(127.0.0.1), not on {host}; add --allow-public-demo to serve it there anyway",
            code=2,
        )
    _refuse_busy_port(host, port)
    settings = Settings.from_env()
    if demo:
        from dataclasses import replace

        from openwitness.demo import DEMO_ORIGIN, seed_demo, summarise
        from openwitness.services import initialise

        # Never the real installation: its log is public and permanent, so demo records
        # get their own folder, database, log key and personal-data key.
        home = settings.home / "demo"
        settings = replace(
            settings,
            home=home,
            database_url=f"sqlite:///{home / 'openwitness.db'}",
            personal_data_key=None,
            intake_organisation="southside-law",
        )
        try:
            svc, _ = initialise(settings, DEMO_ORIGIN)
            try:
                summary = summarise(svc)
                if not summary.cases:
                    summary = seed_demo(svc)
            finally:
                svc.close()
        except OpenWitnessError as exc:
            fail(str(exc))
        console.print(f"Demo data folder: {home}", highlight=False)
        for line in summary.lines():
            console.print(line, highlight=False)
        console.print(
            "A bearer token for the API: OPENWITNESS_HOME="
            f"{home} OPENWITNESS_DATABASE_URL={settings.database_url} "
            "witness token create demo-caseworker",
            highlight=False,
        )
    elif not settings.signer_key_path.exists():
        _initialise(None)
    if workers > 1 and demo:
        fail("the demo runs as one process: leave out --workers", code=2)
    if workers > 1 and not settings.redis_url:
        fail(
            "several workers would each keep their own rate limits (a flood would get "
            f"{workers} times the budget): set OPENWITNESS_REDIS_URL, or use one worker",
            code=2,
        )
    try:
        # built here even with several workers: a bad setting fails now, not in each worker
        application = create_app(settings)
    except OpenWitnessError as exc:
        fail(str(exc))
    console.print(f"Serving OpenWitness on http://{host}:{port} (API docs at /docs)")
    from openwitness.api.access_log import uvicorn_log_config

    # What start-up made (modules, the app, its services) lives as long as the process: frozen,
    # the collector's full passes no longer walk it (they showed as ~50 ms stalls in bench/).
    gc.freeze()
    # uvicorn believes X-Forwarded-For from 127.0.0.1 unless told otherwise, so any local
    # process could pick the address rate limits count: only named proxies are believed.
    proxies = (
        settings.forwarded_allow_ips if forwarded_allow_ips is None else forwarded_allow_ips
    ).strip()
    if workers > 1:  # each worker process builds its own app from the same environment
        application.state.services.close()
        console.print(f"{workers} worker processes", highlight=False)
    uvicorn.run(
        "openwitness.app:create_app" if workers > 1 else application,
        factory=workers > 1,
        workers=workers if workers > 1 else None,
        host=host,
        port=port,
        log_level="info",
        log_config=uvicorn_log_config(),
        proxy_headers=bool(proxies),
        forwarded_allow_ips=proxies or None,
    )
