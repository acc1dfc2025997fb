"""The front-end files the pages load are exactly what npm installs from the lock file."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.support import REPO

FRONTEND = REPO / "src/openwitness/web/frontend"
VENDOR = REPO / "src/openwitness/web/static/vendor"


def vendored_files() -> dict[Path, Path]:
    """vendored copy -> its path inside node_modules, as scripts/vendor_assets.py copies them."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "vendor_assets", REPO / "scripts/vendor_assets.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return {
        VENDOR / package / Path(name).name: Path(package) / name
        for package, names in module.FILES.items()
        for name in names
    }


def test_every_vendored_file_is_what_npm_installs_from_the_lock_file(tmp_path: Path) -> None:
    if shutil.which("npm") is None:
        if os.environ.get("OPENWITNESS_REQUIRE_NPM"):
            pytest.fail("npm is required here to check the vendored front-end files")
        pytest.skip("npm is not installed: cannot check the vendored front-end files")
    for name in ("package.json", "package-lock.json"):
        shutil.copy(FRONTEND / name, tmp_path / name)
    subprocess.run(
        ["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund"],
        cwd=tmp_path, check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    files = vendored_files()
    assert files, "nothing is vendored"
    for copy, installed in files.items():
        assert copy.read_bytes() == (tmp_path / "node_modules" / installed).read_bytes(), copy
    on_disk = {p for p in VENDOR.rglob("*") if p.is_file()}
    assert on_disk == set(files), "files in static/vendor that npm does not provide"
