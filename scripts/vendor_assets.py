#!/usr/bin/env python3
"""Copy the web app's front-end packages from npm into src/openwitness/web/static/vendor/.

The versions are pinned in src/openwitness/web/frontend/package-lock.json; this script runs
``npm ci`` there (the registry is the only download) and copies the few files the pages load,
with each package's licence. The copies are committed, so installing or running OpenWitness
never needs Node.js; tests/web/test_assets.py checks they are byte-for-byte what npm gives.

Run after changing package.json:  python3 scripts/vendor_assets.py
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

FRONTEND = Path(__file__).resolve().parent.parent / "src" / "openwitness" / "web" / "frontend"
VENDOR = FRONTEND.parent / "static" / "vendor"
# package -> the files the pages load (paths inside the package)
FILES = {
    "hash-wasm": ["dist/sha256.umd.min.js", "LICENSE"],
    "tus-js-client": ["dist/tus.min.js", "LICENSE"],
    "swagger-ui-dist": ["swagger-ui-bundle.js", "swagger-ui.css", "LICENSE", "NOTICE"],
}


def install(frontend: Path) -> None:
    subprocess.run(
        ["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund"], cwd=frontend, check=True
    )


def vendored(package: str, name: str) -> Path:
    return VENDOR / package / Path(name).name


def main() -> None:
    install(FRONTEND)
    for package, names in FILES.items():
        for name in names:
            target = vendored(package, name)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(FRONTEND / "node_modules" / package / name, target)
            print(f"{target.relative_to(FRONTEND.parent)}")


if __name__ == "__main__":
    sys.exit(main())
