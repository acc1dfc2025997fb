"""`witness live` (the operator's view) and `witness verify --bundle`, through the real CLI."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from openwitness.core.config import Settings
from openwitness.services import open_services
from tests.cli.test_cli_evidence import witness
from tests.cli.test_cli_verify import settings_in
from tests.live.conftest import recorded_chunks, sha


@pytest.fixture
def recorded(tmp_path: Path) -> tuple[Settings, str, str]:
    """An installation holding a recording whose first four chunks arrived (then nothing)."""
    settings = settings_in(tmp_path)
    witness(settings, "init", "--origin", "live.test/log")
    svc = open_services(settings)
    try:
        started = svc.live.start()
        prev = None
        for seq, data in enumerate(recorded_chunks()[:4]):
            svc.live.add_chunk(
                started.id, started.token, seq, prev, sha(data), (seq + 1) * 1000, iter([data])
            )
            prev = sha(data)
    finally:
        svc.close()
    vkey = witness(settings, "log", "key").stdout.strip()
    return settings, started.id, vkey


def test_list_show_bundle_and_verify(recorded: tuple[Settings, str, str], tmp_path: Path) -> None:
    settings, recording, vkey = recorded
    listed = json.loads(witness(settings, "live", "list", "--json").stdout)
    assert [(r["recording"], r["chunks"], r["state"]) for r in listed] == [
        (recording, 4, "recording")
    ]
    shown = json.loads(witness(settings, "live", "show", recording, "--json").stdout)
    chunks = recorded_chunks()[:4]
    assert [c["sha256"] for c in shown["chunk_list"]] == [sha(c) for c in chunks]
    bundle, media = tmp_path / "r.bundle.json", tmp_path / "r.webm"
    witness(settings, "live", "bundle", recording, "-o", str(bundle), "--media", str(media))
    assert hashlib.sha256(media.read_bytes()).hexdigest() == sha(b"".join(chunks))
    ok = witness(settings, "verify", "--bundle", str(bundle), str(media), "--key", vkey)
    assert "chunks 0 to 3 of recording" in ok.stdout
    assert "is exactly these chunks end to end" in ok.stdout
    assert "no whole file" in ok.stdout


def test_verify_names_missing_and_tampered_chunks(
    recorded: tuple[Settings, str, str], tmp_path: Path
) -> None:
    settings, recording, vkey = recorded
    bundle = tmp_path / "r.bundle.json"
    witness(settings, "live", "bundle", recording, "-o", str(bundle))
    original = json.loads(bundle.read_text())
    gap = dict(original, chunks=[c for c in original["chunks"] if c["seq"] != 2])
    bundle.write_text(json.dumps(gap))
    missing = witness(settings, "verify", "--bundle", str(bundle), "--key", vkey, check=False)
    assert missing.returncode == 1
    assert "chunk 2 is missing" in missing.stdout
    # the recorder made six chunks; four reached the log
    bundle.write_text(json.dumps(dict(original, recorded_chunks=6)))
    short = witness(settings, "verify", "--bundle", str(bundle), "--key", vkey, check=False)
    assert short.returncode == 1 and "4 to 5" in short.stdout
    media = tmp_path / "r.webm"
    media.write_bytes(b"".join(recorded_chunks()[:4]).replace(b"webm", b"WEBM", 1))
    bundle.write_text(json.dumps(original))
    changed = witness(
        settings, "verify", "--bundle", str(bundle), str(media), "--key", vkey, check=False
    )
    assert changed.returncode == 1
    assert "its bytes for chunk 0 are not the logged chunk's" in changed.stdout
    both = witness(settings, "verify", "--bundle", str(bundle), "--receipt", str(bundle),
                   check=False)  # fmt: skip
    assert both.returncode == 2


def test_the_operator_ends_a_recording_cut_short(recorded: tuple[Settings, str, str]) -> None:
    settings, recording, _ = recorded
    ended = witness(settings, "live", "finish", recording)
    whole = sha(b"".join(recorded_chunks()[:4]))
    assert f"sha256 {whole}" in ended.stdout
    shown = json.loads(witness(settings, "live", "show", recording, "--json").stdout)
    assert shown["state"] == "finished" and shown["whole_sha256"] == whole
    unknown = witness(settings, "live", "show", "0" * 32, check=False)
    assert unknown.returncode == 1 and "no live recording" in unknown.stderr + unknown.stdout
