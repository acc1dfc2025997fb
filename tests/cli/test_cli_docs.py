"""Every command is documented in the README, and the README's commands are the ones CI runs."""

from __future__ import annotations

from typing import Any

import pytest
import typer.main
from typer.testing import CliRunner

from openwitness.cli.main import app
from tests.support import REPO


def command_paths(command: Any, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    if hasattr(command, "commands"):  # a group (typer may vendor its own click)
        return [
            path
            for name, sub in sorted(command.commands.items())
            for path in command_paths(sub, (*prefix, name))
        ]
    return [prefix]


COMMANDS = command_paths(typer.main.get_command(app))


def test_the_command_tree_is_what_the_readme_describes() -> None:
    assert ("evidence", "add") in COMMANDS and ("log", "proof", "consistency") in COMMANDS
    assert len(COMMANDS) == 75


@pytest.mark.parametrize("path", COMMANDS, ids=[" ".join(p) for p in COMMANDS])
def test_every_command_is_documented_and_has_help(path: tuple[str, ...]) -> None:
    readme = (REPO / "README.md").read_text()
    assert f"`witness {' '.join(path)}" in readme, f"witness {' '.join(path)} is not in README.md"
    result = CliRunner().invoke(app, [*path, "--help"])
    assert result.exit_code == 0 and "Usage:" in result.output


def test_the_command_tree_loads_without_the_database_layer() -> None:
    """Commands import the core when they run, so `witness verify` starts without SQLAlchemy,
    PyAV or pydantic (a structural check; timings are in bench/)."""
    import subprocess
    import sys

    probe = (
        "import sys, openwitness.cli.main; "
        "print(sorted({'sqlalchemy', 'av', 'pydantic'} & set(sys.modules)))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert loaded.stdout.strip() == "[]"


def test_every_json_option_is_a_flag() -> None:
    """`--json` takes no value anywhere (`--json` then an argument must not eat the argument)."""
    root = typer.main.get_command(app)
    found = []
    for path in COMMANDS:
        command: Any = root
        for name in path:
            command = command.commands[name]
        for param in command.params:
            if "--json" in getattr(param, "opts", []):
                found.append((path, param.is_flag))
    assert len(found) >= 10 and all(is_flag for _, is_flag in found), found
