"""The ``witness`` command's entry point.

``witness verify`` is what anyone checking a receipt runs, often once per file in a script, on
a machine with no installation: it is given only its own command, so it does not pay for
importing and building the whole CLI (74 commands, which typer assembles on every start).
Every other command goes to the full app in :mod:`openwitness.cli.main`.
"""

from __future__ import annotations

import sys


def main() -> None:
    if sys.argv[1:2] == ["verify"]:
        import typer

        from openwitness.cli.verify import verify

        single = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
        single.command()(verify)
        single(args=sys.argv[2:], prog_name="witness verify")
        return
    from openwitness.cli.main import app

    app()
