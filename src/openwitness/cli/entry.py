"""The ``witness`` command's entry point.

``witness verify`` is what anyone checking a receipt runs, often once per file in a script, on
a machine with no installation: it is parsed with the standard library's argparse and prints
plain lines, because importing typer and rich and building typer's parameters took ~200 ms of
a command whose check takes 2 (the same checks and messages: :mod:`openwitness.cli.verifying`).
``witness evidence``, which lodges footage from scripts, is given only its own commands.
Every other command goes to the full app in :mod:`openwitness.cli.main`.
"""

from __future__ import annotations

import os
import sys


def main() -> None:
    command = sys.argv[1:2]
    if command == ["verify"]:
        sys.exit(verify_quickly(sys.argv[2:]))
    if command == ["evidence"]:
        import typer

        from openwitness.cli import evidence

        group = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
        group.add_typer(evidence.app, name="evidence")
        group(args=sys.argv[1:], prog_name="witness")
        return
    from openwitness.cli.main import app

    app()


#: ANSI colours of the outcome's labels on a terminal, as the typer command shows them
_COLOURS = {"verified": "32", "NOT verified": "31", "NOT complete": "31", "warning": "33"}


def verify_quickly(args: list[str]) -> int:
    """``witness verify ARGS`` without typer; returns the exit status."""
    import argparse
    from pathlib import Path

    from openwitness.cli.verifying import DESCRIPTION, HELP, Stop, run

    parser = argparse.ArgumentParser(
        prog="witness verify",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("file", nargs="?", type=Path, help=HELP["file"])
    for name in ("receipt", "bundle", "checkpoint", "proof", "policy"):
        parser.add_argument(f"--{name}", type=Path, help=HELP[name])
    parser.add_argument("--key", help=HELP["key"])
    given = parser.parse_args(args)

    def say(label: str, text: str) -> None:
        out = sys.stderr if label == "warning" else sys.stdout
        if label and out.isatty() and "NO_COLOR" not in os.environ:
            label = f"\033[{_COLOURS[label]}m{label}:\033[0m"
        elif label:
            label += ":"
        print(f"{label} {text}" if label else text, file=out)

    try:
        run(given.receipt, given.file, given.bundle, given.key, given.checkpoint, given.proof,
            given.policy, say)  # fmt: skip
    except Stop as stop:
        if stop.message is not None:
            print(f"error: {stop.message}", file=sys.stderr)
        return stop.code
    return 0
