"""The ``witness`` command's entry point.

``witness verify`` is what anyone checking a receipt runs, often once per file in a script, on
a machine with no installation, and ``witness evidence`` is what lodges footage from a script
or a laptop: each is given only its own commands, so it does not pay for importing and
building the whole CLI (75 commands, which typer assembles on every start). Every other
command goes to the full app in :mod:`openwitness.cli.main`.
"""

from __future__ import annotations

import sys


def main() -> None:
    command = sys.argv[1:2]
    if command == ["verify"]:
        import typer

        from openwitness.cli.verify import verify

        single = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
        single.command()(verify)
        single(args=sys.argv[2:], prog_name="witness verify")
        return
    if command == ["evidence"]:
        import typer

        from openwitness.cli import evidence

        group = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
        group.add_typer(evidence.app, name="evidence")
        group(args=sys.argv[1:], prog_name="witness")
        return
    from openwitness.cli.main import app

    app()
