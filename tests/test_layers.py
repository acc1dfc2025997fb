"""Data flows one way: interfaces (cli, api, web) over the core's services over storage. The
composition root (openwitness.app) builds the one app above both interfaces, so the web layer
may use the API's dependencies but the API never imports the web layer, and no capability of
the core imports an interface."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "openwitness"
INTERFACES = ("openwitness.api", "openwitness.web", "openwitness.cli", "openwitness.app")
CORE = (
    "accounts", "cases", "core", "evidence", "ledger", "live", "patterns", "screening", "stats",
    "storage", "witnessing", "jobs",
)  # fmt: skip


def imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def offending(folder: str, forbidden: tuple[str, ...]) -> list[str]:
    found = []
    for path in sorted((PACKAGE / folder).rglob("*.py")):
        for name in imported(path):
            if name.startswith(forbidden):
                found.append(f"{path.relative_to(PACKAGE)} imports {name}")
    return found


def test_the_api_never_imports_the_web_layer_or_the_composition_root() -> None:
    assert offending("api", ("openwitness.web", "openwitness.app")) == []


def test_the_web_layer_never_imports_the_composition_root() -> None:
    assert offending("web", ("openwitness.app",)) == []


@pytest.mark.parametrize("capability", CORE)
def test_the_core_never_imports_an_interface(capability: str) -> None:
    assert offending(capability, INTERFACES) == []


def test_the_check_can_fail() -> None:
    """The scan sees the composition root's own imports of both interfaces."""
    names = imported(PACKAGE / "app.py")
    assert any(n.startswith("openwitness.web") for n in names)
    assert any(n.startswith("openwitness.api") for n in names)
