"""The README's quick start is what CI runs: the test command in README.md is the one .ci/run
calls, and the install command installs the package that `witness serve` comes from."""

from __future__ import annotations

import re
from importlib import metadata

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

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
    assert "pip install -c constraints.txt ." in command and command.endswith("witness serve")


def _pins() -> dict[str, str]:
    pins = {}
    for line in (REPO / "constraints.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, version = line.partition("==")
            assert version, f"constraints.txt: {line!r} is not name==version"
            pins[canonicalize_name(name)] = version
    return pins


def test_installs_use_the_tested_versions() -> None:
    """The quick start and the test command install with constraints.txt, which pins every
    package that OpenWitness and its test dependencies pull in, at the tested versions."""
    assert "-c constraints.txt" in (REPO / "scripts/test").read_text()
    assert (REPO / "scripts/lock").stat().st_mode & 0o111
    pins = _pins()
    assert "openwitness" not in pins
    needed: set[tuple[str, str]] = set()  # (package, extra) pairs already followed
    todo = [Requirement("openwitness[test]")]
    while todo:
        requirement = todo.pop()
        name = canonicalize_name(requirement.name)
        for extra in requirement.extras or {""}:
            if (name, extra) in needed:
                continue
            needed.add((name, extra))
            for text in metadata.requires(name) or []:
                sub = Requirement(text)
                if sub.marker is None or sub.marker.evaluate({"extra": extra}):
                    todo.append(sub)
    names = {name for name, _ in needed}
    names.discard("openwitness")
    assert sorted(names - set(pins)) == [], "unpinned: run scripts/lock"
    # This environment was installed from it (scripts/test does so).
    installed = {n: metadata.version(n) for n in names}
    assert {n: (v, pins[n]) for n, v in installed.items() if pins[n] != v} == {}
