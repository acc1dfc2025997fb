"""tlog.js, the browser's receipt verifier, run in Chromium on the Verify page: against the
shared RFC 9162 inclusion vectors (transparency-dev/merkle), and against every signed-note,
checkpoint and verifier-key vector the Python verifier is tested with (tests/ledger/test_note.py),
each expected to give the answer Python gives."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from openwitness.ledger.checkpoint import CheckpointError, open_checkpoint, parse_checkpoint_text
from openwitness.ledger.note import Signer, parse_verifier_key
from tests.support import VECTORS, require_shared

CHECK = """async (cases) => {
  const bytes = (h) => Uint8Array.from(h.match(/../g) || [], (x) => parseInt(x, 16));
  const out = [];
  for (const c of cases) {
    const root = await TLOG.inclusionRoot(
      BigInt(c.index), BigInt(c.size), bytes(c.leaf_hash_hex), c.proof_hex.map(bytes));
    out.push(root !== null && TLOG.hex(root) === c.root_hex);
  }
  return out;
}"""


def inclusion_cases() -> list[dict[str, Any]]:
    reference = json.loads(
        require_shared(VECTORS / "merkle/tdm_reference_8leaves.json").read_text()
    )
    probes = json.loads(require_shared(VECTORS / "merkle/tdm_testdata_probes.json").read_text())
    cases = [{**c, "expect_valid": True} for c in reference["inclusion"]]
    for case in list(cases):  # each valid proof with one bit of one hash flipped must fail
        if case["proof_hex"]:
            flipped = [("0" if h[0] != "0" else "1") + h[1:] for h in case["proof_hex"][:1]]
            cases.append(
                {**case, "proof_hex": flipped + case["proof_hex"][1:], "expect_valid": False}
            )
    return cases + probes["inclusion"]


def test_inclusion_proofs_verify_exactly_as_the_vectors_say(page: Any, site: str) -> None:
    cases = inclusion_cases()
    assert len(cases) > 30
    page.goto(site + "/verify")
    results = page.evaluate(CHECK, cases)
    wrong = [
        c["desc"] if "desc" in c else (c["index"], c["size"])
        for c, ok in zip(cases, results, strict=True)
        if ok != c["expect_valid"]
    ]
    assert wrong == []


# -- signed notes, checkpoints and keys: every vector tests/ledger/test_note.py runs -----------

OPEN = """async (cases) => {
  const out = [];
  for (const c of cases) {
    try {
      const pinned = await TLOG.parseKey(c.vkey);
      if (c.note === undefined) { out.push({ ok: true, name: pinned.name }); continue; }
      const cp = await TLOG.openCheckpoint(c.note, pinned);
      out.push({ ok: true, origin: cp.origin, size: cp.size.toString(), root: TLOG.hex(cp.root) });
    } catch (e) {
      if (!(e instanceof TLOG.VerifyError)) throw e;
      out.push({ ok: false, error: e.message });
    }
  }
  return out;
}"""

#: Errors raised only after the signature was accepted: the note is not this log's checkpoint.
AFTER_SIGNATURE = ("checkpoint body is malformed", "checkpoint is for log", "not 32 bytes")


def note_vectors(name: str) -> list[dict[str, Any]]:
    vectors: list[dict[str, Any]] = json.loads(
        require_shared(VECTORS / "notes" / name).read_text(encoding="utf-8")
    )["vectors"]
    return vectors


def note_text(vector: dict[str, Any]) -> str:
    return base64.b64decode(vector["note_b64"]).decode("utf-8")


def signed_checkpoint_cases() -> list[tuple[str, dict[str, str], str]]:
    """(label, {vkey, note}, expectation): 'open' with an expected body, 'origin' (refused
    for its origin only), 'signature' (refused before its body is looked at) or 'body'."""
    cases: list[tuple[str, dict[str, str], str]] = []
    for v in note_vectors("checkpoint_vectors.json"):
        name = parse_verifier_key(v["verifier_key"]).name
        case = {"vkey": v["verifier_key"], "note": note_text(v)}
        # tlog.js, like open_checkpoint without origin=, expects the key's name as origin.
        opens = v["valid"] and name == v["expected_origin"]
        cases.append((v["id"], case, "open" if opens else "origin"))
        other = Signer.generate(name).verifier.vkey  # same name, another key
        cases.append((f"{v['id']}-another-key", {**case, "vkey": other}, "signature"))
    for v in note_vectors("signed_note_vectors.json"):
        if v["verifier_key"]:  # tlog.js always has a pinned key
            expect = "body" if v["valid"] else "signature"
            cases.append((v["id"], {"vkey": v["verifier_key"], "note": note_text(v)}, expect))
    for v in note_vectors("signing_vectors.json"):
        case = {"vkey": v["verifier_key"], "note": v["expected_signed_note"]}
        try:
            origin = parse_checkpoint_text(v["text"]).origin
        except CheckpointError:
            cases.append((v["id"], case, "body"))  # signed text that is not a checkpoint
            continue
        opens = origin == parse_verifier_key(v["verifier_key"]).name
        cases.append((v["id"], case, "open" if opens else "origin"))
    # Bodies the parser refuses, or roots that are not SHA-256, signed for real under their
    # own origin, so that only the body can be the reason.
    bodies = [(v["id"], v["text"]) for v in note_vectors("checkpoint_parse_vectors.json")]
    root = base64.b64encode(bytes(32)).decode()
    bodies += [
        ("leading-zero-size", f"Log\n0123\n{root}\n"),
        ("negative-size", f"Log\n-1\n{root}\n"),
        ("unpadded-root", f"Log\n1\n{root.rstrip('=')}\n"),
        ("space-in-size", f"Log\n 1\n{root}\n"),
    ]
    for label, text in bodies:
        if not text.endswith("\n"):
            continue  # no signed note can carry it (its text ends with a newline)
        try:
            signer = Signer.generate(text.split("\n", 1)[0])
        except ValueError:  # an origin no key can be named: refused for its origin, then
            signer = Signer.generate("parse-vector-log")
        case = {"vkey": signer.verifier.vkey, "note": signer.sign_text(text)}
        cases.append((label, case, "body"))
    good = Signer.generate("Log")
    control = {"vkey": good.verifier.vkey, "note": good.sign_text(f"Log\n7\n{root}\n")}
    cases.append(("control", control, "open"))
    return cases


def test_checkpoints_and_signed_notes_open_exactly_as_in_python(page: Any, site: str) -> None:
    cases = signed_checkpoint_cases()
    assert len(cases) >= 40
    page.goto(site + "/verify")
    results = page.evaluate(OPEN, [case for _, case, _ in cases])
    wrong = []
    for (label, case, expect), got in zip(cases, results, strict=True):
        error = got.get("error", "")
        if expect == "open":
            checkpoint = open_checkpoint(case["note"], parse_verifier_key(case["vkey"]))
            fine = got["ok"] and (got["origin"], int(got["size"]), got["root"]) == (
                checkpoint.origin,
                checkpoint.size,
                checkpoint.root_hash.hex(),
            )
        elif expect == "origin":
            fine = not got["ok"] and error.startswith("checkpoint is for log")
            with pytest.raises(CheckpointError, match="origin"):  # Python agrees
                open_checkpoint(case["note"], parse_verifier_key(case["vkey"]))
        elif expect == "signature":
            fine = not got["ok"] and not any(e in error for e in AFTER_SIGNATURE)
        else:
            fine = not got["ok"] and any(e in error for e in (*AFTER_SIGNATURE, "base64"))
        if not fine:
            wrong.append((label, expect, got))
    assert wrong == []


def test_verifier_keys_parse_exactly_as_in_python(page: Any, site: str) -> None:
    vectors = note_vectors("vkey_vectors.json")
    page.goto(site + "/verify")
    results = page.evaluate(OPEN, [{"vkey": v["vkey"]} for v in vectors])
    wrong = []
    for vector, got in zip(vectors, results, strict=True):
        try:
            expected: str | None = parse_verifier_key(vector["vkey"]).name
        except ValueError:
            expected = None
        if (got.get("name") if got["ok"] else None) != expected:
            wrong.append((vector["vkey"], expected, got))
    assert wrong == []
