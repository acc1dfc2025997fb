"""``witness account``, ``witness org`` and ``witness token``: who may use the API, as what."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.table import Table

from openwitness.cli.common import console, fail, services

account_app = typer.Typer(help="Create and list accounts.", no_args_is_help=True)
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


@account_app.command("create")
def create(
    username: Annotated[str, typer.Argument(help="Login name.")],
    role: Annotated[str, typer.Option(help="admin, caseworker or analyst.")],
    org: Annotated[str | None, typer.Option(help="Organisation id (caseworkers need one).")] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
) -> None:
    """Create an account; the password is asked for (never given as an argument)."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    with services() as svc:
        account = svc.accounts.create(username, password, role, org)
    console.print(f"created {account.role.value} account {account.username}", highlight=False)


@account_app.command("list")
def list_accounts() -> None:
    """List accounts with their roles and organisations."""
    with services() as svc:
        accounts = svc.accounts.list()
    table = Table("username", "role", "organisation")
    for account in accounts:
        table.add_row(account.username, account.role.value, account.organisation_id or "")
    console.print(table)


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
