"""A receipt from `witness evidence add` passes an independent verifier written from the C2SP
specs alone (../shared/tools/verify_tlog_proof.py, which shares no code with OpenWitness)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from openwitness.core.config import Settings
from tests.cli.test_cli_evidence import witness
from tests.support import MEDIA, SHARED, require_shared

VERIFIER = SHARED / "tools" / "verify_tlog_proof.py"
PHOTO = MEDIA / "ianare__exif-samples/jpg/hdr/iphone_hdr_YES.jpg"


def independent(file: Path, receipt: Path, vkey: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(VERIFIER), str(file), str(receipt), vkey],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_receipts_pass_the_independent_c2sp_verifier(
    sqlite_settings: Settings, tmp_path: Path
) -> None:
    require_shared(VERIFIER)
    require_shared(PHOTO)
    witness(sqlite_settings, "init", "--origin", "conformance.test/log")
    files = [shutil.copy(p, tmp_path / p.name) for p in sorted(MEDIA.rglob("*.jpg"))[:5]]
    witness(
        sqlite_settings, "evidence", "add", *map(str, files), "--receipt-dir", str(tmp_path / "r")
    )
    vkey = witness(sqlite_settings, "log", "key").stdout.strip()
    for file in map(Path, files):
        result = independent(file, tmp_path / "r" / f"{file.name}.tlog-proof", vkey)
        assert result.returncode == 0, result.stdout + result.stderr
        assert result.stdout.startswith("ok index=")
    # And it rejects a receipt for a changed file, so the check above is a real one.
    changed = tmp_path / "changed.jpg"
    changed.write_bytes(Path(files[0]).read_bytes() + b"\0")
    result = independent(changed, tmp_path / "r" / f"{Path(files[0]).name}.tlog-proof", vkey)
    assert result.returncode == 1 and "REJECT" in result.stdout
