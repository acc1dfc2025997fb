"""`witness verify`: offline checks of receipts and of the log's history, and each rejection."""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from openwitness.core.config import Settings
from openwitness.ledger.checkpoint import Checkpoint
from openwitness.ledger.keys import load_signer
from openwitness.ledger.receipt import parse_receipt
from tests.cli.test_cli_evidence import witness
from tests.support import MEDIA, env_for, require_shared

PHOTOS = [
    MEDIA / "ianare__exif-samples/jpg/gps/DSCN0010.jpg",
    MEDIA / "jmathai__elodie/elodie/tests/files/with-location.jpg",
    MEDIA / "jmathai__elodie/elodie/tests/files/with-location-inv.jpg",
    MEDIA / "ianare__exif-samples/jpg/Canon_40D.jpg",
]


@pytest.fixture(scope="module")
def lodged_once(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str], str]:
    """Three photos lodged one at a time (so receipts carry sizes 1, 2, 3), and the key: built
    once, by the real CLI, and copied for each test (it takes ~7 s; a copy takes milliseconds)."""
    for photo in PHOTOS:
        require_shared(photo)
    base = tmp_path_factory.mktemp("lodged")
    settings = settings_in(base)
    witness(settings, "init", "--origin", "verify.test/log")
    names = []
    for photo in PHOTOS[:3]:
        copy = Path(shutil.copy(photo, base / photo.name))
        witness(settings, "evidence", "add", str(copy))
        names.append(copy.name)
    vkey = witness(settings, "log", "key").stdout.strip()
    return base, names, vkey


def settings_in(folder: Path) -> Settings:
    home = folder / "home"
    return Settings(home=home, database_url=f"sqlite:///{home / 'openwitness.db'}")


@pytest.fixture
def lodged(
    lodged_once: tuple[Path, list[str], str], tmp_path: Path
) -> tuple[Settings, list[Path], str]:
    """This test's own copy of the installation, the lodged files and their receipts."""
    base, names, vkey = lodged_once
    shutil.copytree(base, tmp_path, dirs_exist_ok=True)
    return settings_in(tmp_path), [tmp_path / name for name in names], vkey


def receipt_of(file: Path) -> Path:
    return Path(f"{file}.tlog-proof")


def verify(settings: Settings, *args: str) -> tuple[int, str]:
    result = witness(settings, "verify", *args, check=False)
    return result.returncode, " ".join((result.stdout + result.stderr).split())


def test_a_receipt_verifies_offline_with_a_pinned_key(
    lodged: tuple[Settings, list[Path], str], tmp_path: Path
) -> None:
    settings, files, vkey = lodged
    # Offline: no database, no data folder, only the file, the receipt and the key.
    shutil.rmtree(settings.home)
    code, out = verify(
        settings, str(files[0]), "--receipt", str(receipt_of(files[0])), "--key", vkey
    )
    assert code == 0, out
    assert out.startswith("verified:") and "is entry 0 of log verify.test/log" in out
    key_file = tmp_path / "log.vkey"
    key_file.write_text(vkey + "\n")
    code, out = verify(
        settings, str(files[2]), "--receipt", str(receipt_of(files[2])), "--key", str(key_file)
    )
    assert code == 0 and "entry 2" in out and "size 3" in out


def test_without_a_pinned_key_it_warns_and_uses_the_published_key(
    lodged: tuple[Settings, list[Path], str],
) -> None:
    settings, files, _ = lodged
    code, out = verify(settings, str(files[1]), "--receipt", str(receipt_of(files[1])))
    assert code == 0
    assert "warning: checking against this installation's own published key" in out


def test_a_changed_byte_in_the_file_is_rejected(
    lodged: tuple[Settings, list[Path], str],
) -> None:
    settings, files, vkey = lodged
    data = bytearray(files[0].read_bytes())
    data[len(data) // 2] ^= 0x01
    files[0].write_bytes(bytes(data))
    code, out = verify(
        settings, str(files[0]), "--receipt", str(receipt_of(files[0])), "--key", vkey
    )
    assert code == 1
    assert out == "NOT verified: file does not match receipt: sha256 differs"


def test_a_receipt_for_another_file_is_rejected(lodged: tuple[Settings, list[Path], str]) -> None:
    settings, files, vkey = lodged
    code, out = verify(
        settings, str(files[0]), "--receipt", str(receipt_of(files[1])), "--key", vkey
    )
    assert code == 1 and "sha256 differs" in out


def _tamper(receipt: Path, old: str, new: str) -> None:
    text = receipt.read_text()
    assert old in text
    receipt.write_text(text.replace(old, new, 1))


def test_tampered_receipts_are_rejected_with_the_reason(
    lodged: tuple[Settings, list[Path], str],
) -> None:
    settings, files, vkey = lodged
    path = receipt_of(files[2])
    original = path.read_text()
    receipt = parse_receipt(original)

    def check(expected: str) -> None:
        code, out = verify(settings, str(files[2]), "--receipt", str(path), "--key", vkey)
        assert code == 1 and expected in out, out
        path.write_text(original)

    _tamper(path, "index 2", "index 1")
    check("inclusion proof does not lead to the signed root")
    flipped = bytearray(receipt.proof[0])
    flipped[0] ^= 0x80
    _tamper(path, base64.b64encode(receipt.proof[0]).decode(), base64.b64encode(flipped).decode())
    check("inclusion proof does not lead to the signed root")
    _tamper(path, "c2sp.org/tlog-proof@v1", "c2sp.org/tlog-proof@v2")
    check("not a c2sp.org/tlog-proof@v1 receipt")
    entry = receipt.entry.replace(b'"size":', b'"size":1')
    _tamper(path, base64.b64encode(receipt.entry).decode(), base64.b64encode(entry).decode())
    check("file does not match receipt: size differs")


def test_a_forged_checkpoint_is_rejected(lodged: tuple[Settings, list[Path], str]) -> None:
    settings, files, vkey = lodged
    path = receipt_of(files[2])
    receipt = parse_receipt(path.read_text())
    root_line = receipt.checkpoint.split("\n")[2]
    forged_root = base64.b64encode(bytes(32)).decode()
    _tamper(path, f"\n{root_line}\n", f"\n{forged_root}\n")
    code, out = verify(settings, str(files[2]), "--receipt", str(path), "--key", vkey)
    assert code == 1
    assert f"checkpoint signature invalid for key {'+'.join(vkey.split('+', 2)[:2])}" in out


def test_a_wrong_key_is_rejected(lodged: tuple[Settings, list[Path], str], tmp_path: Path) -> None:
    settings, files, _ = lodged
    other = Settings(tmp_path / "other", f"sqlite:///{tmp_path / 'other.db'}")
    witness(other, "init", "--origin", "verify.test/log")  # same name, different key
    other_key = witness(other, "log", "key").stdout.strip()
    code, out = verify(
        settings, str(files[0]), "--receipt", str(receipt_of(files[0])), "--key", other_key
    )
    assert code == 1 and "checkpoint is not signed by a trusted key" in out
    code, out = verify(
        settings, str(files[0]), "--receipt", str(receipt_of(files[0])), "--key", "nonsense"
    )
    assert code == 1 and "invalid verifier key" in out


def test_an_origin_that_does_not_match_the_key_is_refused(
    lodged: tuple[Settings, list[Path], str],
) -> None:
    settings, files, vkey = lodged
    signer = load_signer(settings)
    path = receipt_of(files[0])
    receipt = parse_receipt(path.read_text())
    body = receipt.checkpoint.split("\n\n")[0].split("\n")
    note = signer.sign_text(
        Checkpoint("another.log/x", int(body[1]), base64.b64decode(body[2])).text()
    )
    path.write_text(path.read_text().replace(receipt.checkpoint, note))
    code, out = verify(settings, str(files[0]), "--receipt", str(path), "--key", vkey)
    assert code == 1 and "checkpoint origin 'another.log/x' does not match" in out


def test_consistency_with_a_later_checkpoint(
    lodged: tuple[Settings, list[Path], str], tmp_path: Path
) -> None:
    settings, files, vkey = lodged
    later = Path(shutil.copy(PHOTOS[3], tmp_path / "later.jpg"))
    witness(settings, "evidence", "add", str(later))
    checkpoint = tmp_path / "later.checkpoint"
    checkpoint.write_text(witness(settings, "log", "checkpoint").stdout)
    proof = tmp_path / "later.proof"
    proof.write_text(witness(settings, "log", "proof", "consistency", "--old", "1").stdout)
    receipt = str(receipt_of(files[0]))
    args = ["--receipt", receipt, "--checkpoint", str(checkpoint), "--key", vkey]
    code, out = verify(settings, *args, "--proof", str(proof))
    assert code == 0 and "append-only extension of the receipt's log at size 1" in out
    json_proof = tmp_path / "later.json"
    json_proof.write_text(
        witness(settings, "log", "proof", "consistency", "--old", "1", "--json").stdout
    )
    assert verify(settings, *args, "--proof", str(json_proof))[0] == 0

    # A proof for other sizes fails, saying so rather than suspecting a rewritten log.
    wrong = tmp_path / "wrong.json"
    wrong.write_text(
        witness(settings, "log", "proof", "consistency", "--old", "2", "--json").stdout
    )
    code, out = verify(settings, *args, "--proof", str(wrong))
    assert code == 1
    assert out == "NOT verified: the proof is for size 2, the receipt's checkpoint is size 1"
    wrong.write_text(witness(settings, "log", "proof", "consistency", "--old", "2").stdout)
    code, out = verify(settings, *args, "--proof", str(wrong))
    assert code == 1 and "rewritten" not in out
    assert "the proof is not for the receipt's checkpoint, size 1, to size 4" in out
    later_json = json.loads(json_proof.read_text())
    json_proof.write_text(json.dumps({**later_json, "new": 3}))
    code, out = verify(settings, *args, "--proof", str(json_proof))
    assert code == 1 and "the proof is to size 3, the later checkpoint is size 4" in out


def test_a_rolled_back_checkpoint_is_rejected(
    lodged: tuple[Settings, list[Path], str], tmp_path: Path
) -> None:
    settings, files, vkey = lodged
    older = parse_receipt(receipt_of(files[1]).read_text()).checkpoint  # size 2
    checkpoint = tmp_path / "older.checkpoint"
    checkpoint.write_text(older)
    proof = tmp_path / "empty.proof"
    proof.write_text("")
    code, out = verify(
        settings,
        "--receipt",
        str(receipt_of(files[2])),
        "--checkpoint",
        str(checkpoint),
        "--proof",
        str(proof),
        "--key",
        vkey,
    )
    assert code == 1
    assert "later checkpoint has size 2, smaller than the receipt's 3" in out


def test_a_forked_log_under_the_same_key_is_detected(
    lodged: tuple[Settings, list[Path], str], tmp_path: Path
) -> None:
    """A dishonest operator rewrites history and signs it with the real key: caught."""
    settings, files, vkey = lodged
    fork = Settings(tmp_path / "fork", f"sqlite:///{tmp_path / 'fork.db'}")
    fork.key_dir.mkdir(parents=True)
    shutil.copy(settings.signer_key_path, fork.signer_key_path)
    shutil.copy(settings.verifier_key_path, fork.verifier_key_path)
    for photo in (PHOTOS[1], PHOTOS[0], PHOTOS[2], PHOTOS[3]):  # same files, other order
        witness(fork, "evidence", "add", str(shutil.copy(photo, tmp_path / f"f-{photo.name}")))
    checkpoint = tmp_path / "fork.checkpoint"
    checkpoint.write_text(witness(fork, "log", "checkpoint").stdout)
    proof = tmp_path / "fork.proof"
    proof.write_text(witness(fork, "log", "proof", "consistency", "--old", "1").stdout)
    code, out = verify(
        settings,
        "--receipt",
        str(receipt_of(files[0])),
        "--checkpoint",
        str(checkpoint),
        "--proof",
        str(proof),
        "--key",
        vkey,
    )
    assert code == 1 and "the log may have been rewritten" in out


def test_usage_errors(lodged: tuple[Settings, list[Path], str]) -> None:
    settings, files, vkey = lodged
    code, out = verify(settings, "--receipt", str(receipt_of(files[0])), "--key", vkey)
    assert code == 2 and "give the FILE" in out
    code, out = verify(
        settings, "--receipt", str(receipt_of(files[0])), "--proof", "x", "--key", vkey
    )
    assert code == 2 and "--checkpoint and --proof go together" in out
    code, out = verify(settings, str(files[0]), "--receipt", str(files[0]), "--key", vkey)
    assert code == 1 and "cannot read receipt" in out and "not a text file" in out
    missing = files[0].with_name("missing.jpg")
    code, out = verify(
        settings, str(missing), "--receipt", str(receipt_of(files[0])), "--key", vkey
    )
    assert (code, out) == (2, f"error: no such file: {missing}")
    code, out = verify(settings, str(files[0]), "--receipt", str(missing), "--key", vkey)
    assert (code, out) == (2, f"error: no such receipt: {missing}")
    receipt = str(receipt_of(files[0]))
    args = ["--receipt", receipt, "--checkpoint", str(missing), "--proof", receipt]
    code, out = verify(settings, *args, "--key", vkey)
    assert (code, out) == (2, f"error: no such checkpoint: {missing}")


def test_the_quick_start_of_verify_is_the_same_command_as_in_the_full_cli(
    tmp_path: Path,
) -> None:
    """`witness verify` starts with argparse, without typer (openwitness.cli.entry); its
    options must stay those of `witness verify` in the full app, and so must its help."""
    from typer.testing import CliRunner

    from openwitness.cli.main import app

    quick = witness(settings_in(tmp_path), "verify", "--help").stdout
    full = CliRunner().invoke(app, ["verify", "--help"], terminal_width=80).output
    assert quick.startswith("usage: witness verify [-h]") and "[file]" in quick

    def options(text: str) -> list[str]:
        return sorted(set(re.findall(r"--[a-z-]+", text)))

    assert options(quick) == options(full) and "--policy" in options(quick)
    assert "Exits 0 when verified, 1 when not." in quick and "Exits 0 when verified" in full
    code, out = verify(settings_in(tmp_path), "--receipt", str(tmp_path / "missing"))
    assert code == 2 and "give the FILE" in out


def test_the_quick_start_of_evidence_is_the_same_group_as_in_the_full_cli(
    tmp_path: Path,
) -> None:
    """`witness evidence ...` is built alone too (openwitness.cli.entry): the same commands
    and options as in the full app, and none of the capabilities it does not use loaded."""
    from typer.testing import CliRunner

    from openwitness.cli.main import app

    settings = settings_in(tmp_path)

    def names(text: str) -> list[str]:
        return sorted(set(re.findall(r"--[a-z-]+|(?<=│ )[a-z]+(?=\s{2,})", text)))

    for args in (["evidence", "--help"], ["evidence", "add", "--help"],
                 ["evidence", "previews", "--help"]):  # fmt: skip
        quick = witness(settings, *args).stdout
        full = CliRunner().invoke(app, args, terminal_width=80).output
        assert names(quick) == names(full), args
    group = names(witness(settings, "evidence", "--help").stdout)
    assert {"add", "show", "previews", "--help"} <= set(group)
    assert "--receipt-dir" in names(witness(settings, "evidence", "add", "--help").stdout)
    probe = (
        "import sys; sys.argv = ['witness', 'evidence', 'show', '00' * 32]\n"
        "from openwitness.cli.entry import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in ('duckdb', 'sklearn', 'numpy', 'openwitness.cli.stats',"
        " 'openwitness.screening.service') if m in sys.modules))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60,
        env=env_for(settings),
    )  # fmt: skip
    assert loaded.stdout.strip().splitlines()[-1] == "[]", loaded.stdout + loaded.stderr
