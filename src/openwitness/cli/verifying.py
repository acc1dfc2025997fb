"""What ``witness verify`` does, written without typer or rich: the checks and the lines they
print go through a :class:`Report`, so the typer command (:mod:`openwitness.cli.verify`) and
the quick start (:mod:`openwitness.cli.entry`, argparse) print the same thing, and checking a
receipt does not wait for the whole CLI's libraries to import."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

from openwitness.core.config import Settings
from openwitness.core.errors import OpenWitnessError
from openwitness.ledger.cosignature import Policy, PolicyError, PolicyNotMet, parse_policy
from openwitness.ledger.keys import published_verifier_key
from openwitness.ledger.note import Verifier, parse_verifier_key
from openwitness.ledger.verify import (
    VerificationError,
    load_receipt,
    verify_consistency,
    verify_receipt,
)
from openwitness.live.bundle import describe_numbers, verify_bundle

DESCRIPTION = """\
Verify a receipt offline: the file's hash, the inclusion proof and the signed checkpoint.

With --checkpoint and --proof, also verify that the log at that later checkpoint still
contains the receipt's log (it was only appended to). With --bundle, verify a live
recording: every chunk, the chain between them and the whole file, naming any chunk that is
missing; FILE is then the recording. With --policy, the checkpoint must also carry enough
witnesses' cosignatures (the log's key then comes from the policy unless --key is given).
Exits 0 when verified, 1 when not.
"""

#: each argument's help, for the typer command and the quick start's argparse alike
HELP = {
    "file": "The evidence file the receipt (or bundle) is for.",
    "receipt": "The .tlog-proof receipt.",
    "bundle": "A live recording's receipt bundle (.bundle.json), instead of --receipt.",
    "key": "The log's verifier key (or a file holding it) that you trust.",
    "checkpoint": "A later signed checkpoint, to check the log was only appended to.",
    "proof": "Consistency proof from the receipt's size to --checkpoint's.",
    "policy": "A C2SP tlog-policy file: the log keys you trust and how many witnesses must "
    "have cosigned the receipt's checkpoint (e.g. 2 of 3).",
}


class Stop(Exception):
    """End ``witness verify`` with ``code``: 2 for a usage error, 1 for anything not verified;
    ``message``, if any, is printed as an error."""

    def __init__(self, code: int, message: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def fail(message: str, code: int = 1) -> NoReturn:
    raise Stop(code, message)


#: prints one line: ("verified" | "NOT verified" | "NOT complete" | "warning" | "", text)
Report = Callable[[str, str], None]


def _read(path: Path, what: str) -> str:
    """A missing or unreadable file is a usage error (2); one that is not text cannot be it."""
    _require_file(path, what)
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        fail(f"cannot read {what} {path}: {exc.strerror or exc}", 2)
    except UnicodeDecodeError:
        fail(f"cannot read {what} {path}: it is not a text file")


def _require_file(path: Path, what: str) -> None:
    if not path.exists():
        fail(f"no such {what}: {path}", 2)
    if not path.is_file():
        fail(f"the {what} {path} is not a file", 2)


def _pinned_key(key: str | None, say: Report) -> Verifier:
    if key is None:
        try:
            text = published_verifier_key(Settings.from_env())
        except OpenWitnessError:
            fail("no key to check the checkpoint against: pass the log's key with --key")
        say(
            "warning",
            "checking against this installation's own published key; "
            "pin the log's key with --key (obtained independently) for a check that does not "
            "trust this server",
        )
    else:
        text = _read(Path(key), "key file") if Path(key).is_file() else key
    try:
        return parse_verifier_key(text)
    except ValueError as exc:
        fail(f"invalid verifier key: {exc}")


def _read_proof(path: Path) -> tuple[list[bytes], tuple[int, int] | None]:
    """A consistency proof as printed by `witness log proof` (base64 lines, or its --json,
    which also names the sizes it is for)."""
    text = _read(path, "proof").strip()
    sizes = None
    try:
        if text.startswith("{"):
            answer = json.loads(text)
            lines = answer["hashes"]
            if isinstance(answer.get("old"), int) and isinstance(answer.get("new"), int):
                sizes = (answer["old"], answer["new"])
        else:
            lines = text.split()
        return [base64.b64decode(line, validate=True) for line in lines], sizes
    except (ValueError, KeyError, TypeError, binascii.Error):
        fail(f"proof file {path} is not a list of base64 hashes")


def run(
    receipt: Path | None,
    file: Path | None,
    bundle: Path | None,
    key: str | None,
    checkpoint: Path | None,
    proof: Path | None,
    policy: Path | None,
    say: Report,
) -> None:
    """Verify; returns when everything checked out, else raises :class:`Stop`."""
    if (receipt is None) == (bundle is None):
        fail("give --receipt, or --bundle for a live recording (one of them)", 2)
    if bundle is not None:
        if checkpoint is not None or proof is not None or policy is not None:
            fail("--checkpoint, --proof and --policy go with --receipt, not --bundle", 2)
        _verify_bundle(bundle, file, key, say)
        return
    assert receipt is not None
    if (checkpoint is None) != (proof is None):
        fail("--checkpoint and --proof go together", 2)
    if file is None and checkpoint is None:
        fail("give the FILE to check against the receipt, or --checkpoint and --proof", 2)
    if file is not None:
        _require_file(file, "file")
    receipt_text = _read(receipt, "receipt")
    if checkpoint is not None and proof is not None:
        later_note = _read(checkpoint, "checkpoint")
        hashes, proof_sizes = _read_proof(proof)
    trusted = _read_policy(policy) if policy is not None else None
    pinned = (
        _policy_key(trusted, receipt_text) if trusted and key is None else _pinned_key(key, say)
    )
    try:
        parsed_receipt = load_receipt(receipt_text.encode())
        result = verify_receipt(parsed_receipt, pinned, file)
        cosigners = trusted.check(parsed_receipt.checkpoint) if trusted else None
        if checkpoint is not None and proof is not None:
            old, new = verify_consistency(parsed_receipt, later_note, hashes, pinned, proof_sizes)
    except (VerificationError, PolicyNotMet) as exc:
        say("NOT verified", str(exc))
        raise Stop(1) from None
    what = f"{file.name} (sha256 {result.entry.sha256})" if file else "the receipt's entry"
    say(
        "verified",
        f"{what} is entry {result.index} of log "
        f"{result.checkpoint.origin}, received {result.entry.received_at:%Y-%m-%d %H:%M:%S} UTC, "
        f"in the checkpoint of size {result.checkpoint.size} signed by key {pinned}",
    )
    if cosigners is not None:
        say(
            "verified",
            "the checkpoint meets the policy: cosigned by "
            f"{', '.join(cosigners) or 'no witness (the policy asks for none)'}",
        )
    if checkpoint is not None:
        say(
            "verified",
            f"the log at size {new.size} is an append-only extension "
            f"of the receipt's log at size {old.size}",
        )


def _read_policy(path: Path) -> Policy:
    try:
        return parse_policy(_read(path, "policy"))
    except PolicyError as exc:
        fail(f"policy {path}: {exc}", 2)


def _policy_key(policy: Policy, receipt_text: str) -> Verifier:
    """The policy's key for the log the receipt names (its checkpoint's origin line)."""
    origin = receipt_text.partition("\n\n")[2].split("\n", 1)[0]
    for log in policy.logs:
        if log.name == origin:
            return log
    fail(f"the policy lists no key for the log {origin!r}: add a 'log' line or pass --key")


def _verify_bundle(bundle: Path, file: Path | None, key: str | None, say: Report) -> None:
    if file is not None:
        _require_file(file, "file")
    text = _read(bundle, "bundle")
    pinned = _pinned_key(key, say)
    try:
        result = verify_bundle(text, pinned, file)
    except VerificationError as exc:
        say("NOT verified", str(exc))
        raise Stop(1) from None
    seqs = describe_numbers([chunk.entry.seq for chunk in result.chunks])
    say(
        "verified",
        f"chunks {seqs} of recording {result.recording} "
        f"({result.size:,} bytes), each in log {pinned.name} and chained to the one before, "
        f"in checkpoints up to size {result.checkpoint_size} signed by key {pinned}",
    )
    if result.whole is not None:
        say(
            "verified",
            f"the whole recording (sha256 {result.whole.entry.sha256}) "
            f"is entry {result.whole.index}"
            + (
                ", and is its chunks end to end"
                if result.file_checked
                else ", as long as its chunks together (give the recording to check its bytes)"
            ),
        )
    else:
        say("", "the recording was not ended: there is no whole file, only its chunks")
    if file is not None and result.file_checked:
        say("verified", f"{file.name} is exactly these chunks end to end")
    for note in result.notes:
        say("", note)
    if result.missing:
        many = len(result.missing) > 1
        say(
            "NOT complete",
            f"chunk{'s' if many else ''} "
            f"{describe_numbers(result.missing)} {'are' if many else 'is'} missing from the "
            "bundle (never logged, or left out of it)",
        )
        raise Stop(1)
