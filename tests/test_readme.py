"""The README's quick start is what CI runs: the test command in README.md is the one .ci/run
calls, and the install command installs the package that `witness serve` comes from."""

from __future__ import annotations

import re

from tests.support import REPO


def code_block_after(text: str, heading: str) -> str:
    after = text.split(heading, 1)[1]
    match = re.search(r"```sh\n(.*?)\n```", after, re.S)
    assert match, f"no sh code block after {heading!r}"
    return match.group(1).strip()


def test_ci_runs_the_readme_test_command() -> None:
    readme = (REPO / "README.md").read_text()
    command = code_block_after(readme, "To install the test dependencies")
    ci = [line for line in (REPO / ".ci/run").read_text().splitlines() if line.strip()]
    assert ci[-1] == command
    assert (REPO / command.split()[0]).stat().st_mode & 0o111, f"{command} is not executable"


def test_the_quick_start_installs_and_serves() -> None:
    readme = (REPO / "README.md").read_text()
    command = code_block_after(readme, "## Quick start")
    assert "pip install ." in command and command.endswith("witness serve")
