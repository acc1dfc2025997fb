"""`witness init`, `evidence`, and `log` through the real command, on SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import json
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from openwitness.core.config import Settings
from openwitness.ledger import merkle
from openwitness.ledger.checkpoint import open_checkpoint
from openwitness.ledger.note import parse_verifier_key
from openwitness.ledger.receipt import parse_receipt
from tests.support import MEDIA, env_for, require_shared

WITNESS = str(Path(sys.executable).parent / "witness")
PHOTO = MEDIA / "ianare__exif-samples/jpg/gps/DSCN0010.jpg"
VIDEO = MEDIA / "jcodec__jcodec/src/test/resources/metaedit/keyed.mp4"
VKEY = re.compile(r"^[^ +]+\+[0-9a-f]{8}\+[A-Za-z0-9+/=]{44}$")


def witness(settings: Settings, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [WITNESS, *args], env=env_for(settings), capture_output=True, text=True, timeout=120
    )
    if check and result.returncode != 0:
        raise AssertionError(f"witness {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    return result


@pytest.fixture
def home(settings: Settings) -> Settings:
    witness(settings, "init", "--origin", "cli.test/log")
    return settings


def test_init_creates_a_private_key_and_publishes_the_verifier_key(settings: Settings) -> None:
    first = witness(settings, "init", "--origin", "cli.test/log")
    assert "Initialised" in first.stdout
    key_file = settings.signer_key_path
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    vkey = witness(settings, "log", "key").stdout.strip()
    assert VKEY.match(vkey) and vkey.startswith("cli.test/log+")
    assert parse_verifier_key(vkey).name == "cli.test/log"
    # PRIVATE+KEY+<name>+<id>+<base64>: the base64 may itself contain "+" (or end with one)
    secret = key_file.read_text().strip().split("+", 4)[4]
    assert len(secret) == 44 and secret not in first.stdout + first.stderr
    again = witness(settings, "init")
    assert "Already initialised" in again.stdout and vkey in again.stdout
    assert witness(settings, "log", "key").stdout.strip() == vkey


def test_commands_before_init_say_what_to_do(settings: Settings) -> None:
    result = witness(settings, "log", "checkpoint", check=False)
    assert result.returncode == 1
    assert "run 'witness init' first" in result.stderr


def test_evidence_add_writes_receipts_and_show_reports_metadata(
    home: Settings, tmp_path: Path
) -> None:
    require_shared(PHOTO)
    photo = tmp_path / "photo.jpg"
    video = tmp_path / "clip.mp4"
    shutil.copy(PHOTO, photo)
    shutil.copy(VIDEO, video)
    added = witness(home, "evidence", "add", str(photo), str(video))
    assert added.stdout.count("stored") == 2
    receipts = [Path(f"{photo}.tlog-proof"), Path(f"{video}.tlog-proof")]
    vkey = parse_verifier_key(witness(home, "log", "key").stdout)
    for index, receipt_path in enumerate(receipts):
        receipt = parse_receipt(receipt_path.read_text())
        assert receipt.index == index
        checkpoint = open_checkpoint(receipt.checkpoint, vkey)
        assert merkle.verify_inclusion(
            merkle.leaf_hash(receipt.entry),
            index,
            checkpoint.size,
            receipt.proof,
            checkpoint.root_hash,
        )
    sha = json.loads(parse_receipt(receipts[1].read_text()).entry)["sha256"]
    shown = json.loads(witness(home, "evidence", "show", sha).stdout)
    assert shown["media_type"] == "video/mp4" and shown["log_index"] == 1
    assert shown["metadata"]["gps"]["lat"] == pytest.approx(33.9951, abs=1e-4)

    in_place = witness(home, "evidence", "add", str(photo))
    assert f"receipt: {photo}.tlog-proof" in in_place.stdout  # its own receipt, refreshed
    assert sorted(p.name for p in tmp_path.glob("*.tlog-proof")) == [
        "clip.mp4.tlog-proof",
        "photo.jpg.tlog-proof",
    ]
    again = witness(home, "evidence", "add", str(photo), "--receipt-dir", str(tmp_path / "r"))
    assert "already in the vault" in again.stdout and "log index 0" in again.stdout
    assert (tmp_path / "r" / "photo.jpg.tlog-proof").is_file()


def test_evidence_add_refuses_bad_files_and_says_why(home: Settings, tmp_path: Path) -> None:
    require_shared(PHOTO)
    text = tmp_path / "notes.jpg"
    text.write_text("not really a photo")
    empty = tmp_path / "empty.mp4"
    empty.touch()
    photo = tmp_path / "photo.jpg"
    shutil.copy(PHOTO, photo)
    result = witness(home, "evidence", "add", str(text), str(empty), str(photo), check=False)
    assert result.returncode == 1
    assert f"refused {text}: file type not accepted" in " ".join(result.stderr.split())
    assert "file is empty" in result.stderr
    assert "stored" in result.stdout  # the good file in the same call still went in
    assert not Path(f"{text}.tlog-proof").exists() and not Path(f"{empty}.tlog-proof").exists()
    big = Settings(home.home, home.database_url, max_upload_bytes=1000)
    too_big = witness(big, "evidence", "add", str(photo), check=False)
    assert too_big.returncode == 1 and "larger than the limit of 1,000 bytes" in too_big.stderr
    assert witness(home, "evidence", "show", "zz", check=False).stderr.count("64 hexadecimal") == 1


def test_log_checkpoint_and_proofs(home: Settings, tmp_path: Path) -> None:
    require_shared(PHOTO)
    files = [shutil.copy(PHOTO, tmp_path / "DSCN0010.jpg"), shutil.copy(VIDEO, tmp_path / "v.mp4")]
    witness(home, "evidence", "add", *map(str, files))
    vkey = parse_verifier_key(witness(home, "log", "key").stdout)
    note = witness(home, "log", "checkpoint").stdout
    checkpoint = open_checkpoint(note, vkey)
    assert checkpoint.size == 2
    lines = witness(home, "log", "proof", "inclusion", "--index", "1").stdout.split()
    proof = [base64.b64decode(line) for line in lines]
    receipt = parse_receipt(Path(f"{files[1]}.tlog-proof").read_text())
    assert merkle.verify_inclusion(
        merkle.leaf_hash(receipt.entry), 1, 2, proof, checkpoint.root_hash
    )
    as_json = json.loads(
        witness(home, "log", "proof", "consistency", "--old", "1", "--json").stdout
    )
    assert as_json["old"] == 1 and as_json["new"] == 2 and len(as_json["hashes"]) == 1
    beyond = witness(home, "log", "proof", "inclusion", "--index", "5", check=False)
    assert beyond.returncode == 1 and "index must be in 0..size-1" in beyond.stderr


def test_receipts_of_different_files_with_one_name_never_clobber(
    home: Settings, tmp_path: Path
) -> None:
    require_shared(PHOTO)
    first, second = tmp_path / "a" / "photo.jpg", tmp_path / "b" / "photo.jpg"
    for target, source in ((first, PHOTO), (second, VIDEO)):
        target.parent.mkdir()
        shutil.copy(source, target)
    receipts = tmp_path / "receipts"
    witness(home, "evidence", "add", str(first), str(second), "--receipt-dir", str(receipts))
    witness(home, "evidence", "add", str(second))  # also beside it, to read its sha
    names = sorted(p.name for p in receipts.iterdir())
    entry = json.loads(parse_receipt((receipts / "photo.jpg.tlog-proof").read_text()).entry)
    assert entry["size"] == PHOTO.stat().st_size
    video_sha = json.loads(parse_receipt(Path(f"{second}.tlog-proof").read_text()).entry)
    assert names == sorted(
        ["photo.jpg.tlog-proof", f"photo.jpg.{video_sha['sha256'][:12]}.tlog-proof"]
    )


def test_large_files_go_through_the_progress_bar_path(home: Settings, tmp_path: Path) -> None:
    """Over 16 MiB the CLI streams with a progress bar; the result is the same receipt."""
    require_shared(VIDEO)
    big = tmp_path / "long.mp4"
    padding = 17 * 1024 * 1024
    with big.open("wb") as out:  # the real video, then an ISO-BMFF 'free' box of padding
        out.write(VIDEO.read_bytes())
        out.write((padding + 8).to_bytes(4, "big") + b"free" + bytes(padding))
    added = witness(home, "evidence", "add", str(big))
    assert "stored" in added.stdout and "video/mp4" in added.stdout
    receipt = parse_receipt(Path(f"{big}.tlog-proof").read_text())
    assert json.loads(receipt.entry)["size"] == big.stat().st_size
