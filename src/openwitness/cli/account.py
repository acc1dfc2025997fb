"""``witness account``, ``witness org`` and ``witness token``: who may use the API, as what."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.table import Table

from openwitness.cli.common import console, fail, services

account_app = typer.Typer(
    help="Create, list, disable and enable accounts; change passwords.", no_args_is_help=True
)
org_app = typer.Typer(help="Organisations that work cases together.", no_args_is_help=True)
token_app = typer.Typer(help="API tokens (Authorization: Bearer).", no_args_is_help=True)


@org_app.command("add")
def add_org(
    org_id: Annotated[str, typer.Argument(help="Stable id, e.g. hackney-law-centre.")],
    name: Annotated[str, typer.Option(help="The organisation's name.")],
) -> None:
    """Add an organisation (caseworkers belong to one)."""
    with services() as svc:
        svc.accounts.add_organisation(org_id, name)
    console.print(f"added organisation {org_id}", highlight=False)


PasswordStdin = Annotated[
    bool,
    typer.Option("--password-stdin", help="Read the password from standard input (one line)."),
]


def _read_password(from_stdin: bool) -> str:
    """A password from standard input or a hidden prompt asked twice; never from argv, where
    other users could read it in the process list and it would stay in shell history."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True))


@account_app.command("create")
def create(
    username: Annotated[str, typer.Argument(help="Login name.")],
    role: Annotated[str, typer.Option(help="admin, caseworker, analyst or screener.")],
    org: Annotated[
        str | None, typer.Option(help="Organisation id (caseworkers and screeners need one).")
    ] = None,
    password_stdin: PasswordStdin = False,
) -> None:
    """Create an account; the password is asked for (never given as an argument)."""
    password = _read_password(password_stdin)
    with services() as svc:
        account = svc.accounts.create(username, password, role, org)
    console.print(f"created {account.role.value} account {account.username}", highlight=False)


@account_app.command("list")
def list_accounts() -> None:
    """List accounts with their roles, organisations and whether they are disabled."""
    with services() as svc:
        accounts = svc.accounts.list()
    table = Table("username", "role", "organisation", "status")
    for account in accounts:
        status = "disabled" if account.disabled else "active"
        table.add_row(account.username, account.role.value, account.organisation_id or "", status)
    console.print(table)


@account_app.command("disable")
def disable(username: Annotated[str, typer.Argument(help="The account to cut off.")]) -> None:
    """Disable an account: it cannot sign in, and its browser sessions and API tokens stop
    working at once (enabling it again does not bring them back)."""
    with services() as svc:
        sessions, tokens = svc.accounts.disable(username)
    console.print(
        f"disabled {username}: ended {sessions} session(s), revoked {tokens} token(s)",
        highlight=False,
    )


@account_app.command("enable")
def enable(username: Annotated[str, typer.Argument(help="The account to let back in.")]) -> None:
    """Let a disabled account sign in again (it needs new API tokens)."""
    with services() as svc:
        changed = svc.accounts.enable(username)
    if not changed:
        fail(f"{username} is not disabled")
    console.print(f"enabled {username}", highlight=False)


@account_app.command("password")
def change_password(
    username: Annotated[str, typer.Argument(help="Whose password to change.")],
    password_stdin: PasswordStdin = False,
) -> None:
    """Set a new password (asked for twice, hidden; never given as an argument). The
    account's browser sessions end; its API tokens are kept (see `witness token revoke`)."""
    password = _read_password(password_stdin)
    with services() as svc:
        ended = svc.accounts.set_password(username, password)
    console.print(f"changed the password of {username}; ended {ended} session(s)", highlight=False)


@token_app.command("create")
def create_token(
    username: Annotated[str, typer.Argument(help="The account the token acts as.")],
    label: Annotated[str, typer.Option(help="What the token is for.")] = "cli",
) -> None:
    """Create an API token and print it once (only its hash is stored)."""
    with services() as svc:
        token = svc.accounts.create_token(username, label)
    print(token)


@token_app.command("revoke")
def revoke_tokens(username: Annotated[str, typer.Argument(help="Whose tokens to revoke.")]) -> None:
    """Revoke every token of an account."""
    with services() as svc:
        count = svc.accounts.revoke_tokens(username)
    if count == 0:
        fail(f"{username} had no active tokens")
    console.print(f"revoked {count} token(s) of {username}", highlight=False)
