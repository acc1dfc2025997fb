"""policy.js, the browser's witness-policy check, run in Chromium on the Verify page: every
policy and cosigned checkpoint the Python checker (openwitness.ledger.cosignature) is given
here must get the same answer from the browser; then the Verify page itself, with a receipt
whose checkpoint carries cosignatures, under a 2-of-3 policy."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from openwitness.ledger.checkpoint import Checkpoint
from openwitness.ledger.cosignature import Cosigner, PolicyError, PolicyNotMet, parse_policy
from openwitness.ledger.entry import EvidenceEntry
from openwitness.ledger.note import Signer
from openwitness.ledger.receipt import Receipt

ORIGIN = "example.org/policy-test"
LOG = Signer.generate(ORIGIN)
OTHER_LOG = Signer.generate(ORIGIN)  # same name, another key: an impostor
WITNESSES = [
    Cosigner(f"w{i}.example", Ed25519PrivateKey.from_private_bytes(bytes([i]) * 32))
    for i in range(1, 5)
]
W = [w.vkey for w in WITNESSES]

POLICIES = [
    f"log {LOG.verifier.vkey}\nwitness A {W[0]}\nwitness B {W[1]}\nwitness C {W[2]}\n"
    "group two 2 A B C\nquorum two\n",
    f"# nested\nwitness W1 {W[0]}\nwitness W2 {W[1]}\nwitness W3 {W[2]}\nwitness W4 {W[3]}\n"
    "group X 2 W1 W2 W3\ngroup Y any W4\ngroup XY all X Y\nquorum XY\n",
    f"witness A {W[0]} https://w1.example/\nquorum A\n",
    "quorum none\n",
    f"log {LOG.verifier.vkey}\nquorum none\n",
    # refused, each naming its line as Python does
    "witness A x\nquorum A\n",
    "quorum B\n",
    "group G 2 A\nquorum G\n",
    "quorum none\nquorum none\n",
    "log nonsense\n",
    "",
    f"witness A {W[0]}\ngroup G 2 A\nquorum G\n",
    f"witness none {W[0]}\nquorum none\n",
    f"witness A {W[0]}\ngroup G any A A\nquorum G\n",
    f"witness A {LOG.verifier.vkey}\nquorum A\n",  # a log key is not a witness key
    f"witness A {W[0][:-2]}AA\nquorum A\n",  # key id no longer matches
    "frobnicate\n",
]

PARSE = """async (texts) => {
  const out = [];
  for (const text of texts) {
    try { await OW_POLICY.parse(text); out.push(null); }
    catch (e) { if (!(e instanceof TLOG.VerifyError)) throw e; out.push(e.message); }
  }
  return out;
}"""

CHECK = """async (cases) => {
  const out = [];
  for (const c of cases) {
    const policy = await OW_POLICY.parse(c.policy);
    try { out.push({ ok: true, cosigners: await OW_POLICY.check(policy, c.note) }); }
    catch (e) {
      if (!(e instanceof TLOG.VerifyError)) throw e;
      out.push({ ok: false, error: e.message });
    }
  }
  return out;
}"""


def python_parse(text: str) -> str | None:
    try:
        parse_policy(text)
    except PolicyError as error:
        return str(error)
    return None


def test_policies_are_read_exactly_as_python_reads_them(page: Any, site: str) -> None:
    page.goto(site + "/verify")
    browser = page.evaluate(PARSE, POLICIES)
    python = [python_parse(text) for text in POLICIES]
    assert sum(error is None for error in python) == 5  # the refusals are really refusals
    # the same verdict for each; the same words where the reason is the policy's structure
    assert [b is None for b in browser] == [p is None for p in python]
    for b, p in zip(browser, python, strict=True):
        if p is not None:
            assert b.split(":")[0] == p.split(":")[0]  # the same line named
            if "defined above" in p or "taken" in p or "twice" in p or "quorum" in p:
                assert b == p


def cosigned_notes() -> list[tuple[str, str]]:
    text = Checkpoint(ORIGIN, 7, hashlib.sha256(b"root").digest()).text()
    note = LOG.sign_text(text)
    other_text = Checkpoint(ORIGIN, 8, hashlib.sha256(b"root").digest()).text()

    def cosign(numbers: tuple[int, ...], over: str = text, when: int = 1_700_000_000) -> str:
        return "".join(WITNESSES[n - 1].cosign(over, when + n) for n in numbers)

    notes = [note + cosign(ns) for ns in [(1, 2, 3), (1, 2), (2, 3), (1,), (), (1, 2, 4), (4,)]]
    notes.append(note + cosign((1,)) + cosign((2,), over=other_text))  # one for another tree
    forged = WITNESSES[1].cosign(text, 5)
    flipped = "A" if forged[-6] != "A" else "B"
    notes.append(note + cosign((1,)) + forged[:-6] + flipped + forged[-5:])
    notes.append(OTHER_LOG.sign_text(text) + cosign((1, 2, 3)))  # signed by an impostor log
    return [(policy, n) for n in notes for policy in POLICIES[:5]]


def python_check(policy: str, note: str) -> dict[str, Any]:
    try:
        return {"ok": True, "cosigners": parse_policy(policy).check(note)}
    except PolicyNotMet as error:
        return {"ok": False, "error": str(error)}


def test_cosigned_checkpoints_meet_a_policy_exactly_when_python_says_so(
    page: Any, site: str
) -> None:
    cases = cosigned_notes()
    page.goto(site + "/verify")
    browser = page.evaluate(CHECK, [{"policy": p, "note": n} for p, n in cases])
    python = [python_check(p, n) for p, n in cases]
    assert 10 < sum(r["ok"] for r in python) < len(cases) - 10  # both verdicts are exercised
    assert browser == python


# -- the Verify page ---------------------------------------------------------------------------


def receipt_for(photo: bytes, witnesses: tuple[int, ...]) -> str:
    """A receipt for ``photo`` alone in a one-entry log, its checkpoint cosigned as given."""
    entry = EvidenceEntry(
        hashlib.sha256(photo).hexdigest(), len(photo), "image/jpeg",
        datetime(2026, 12, 1, 9, 30, tzinfo=UTC),
    ).to_bytes()  # fmt: skip
    text = Checkpoint(ORIGIN, 1, hashlib.sha256(b"\x00" + entry).digest()).text()
    cosignatures = "".join(WITNESSES[n - 1].cosign(text, 1_764_000_000 + n) for n in witnesses)
    return Receipt(entry, 0, (), LOG.sign_text(text) + cosignatures).to_text()


@pytest.mark.parametrize(
    ("witnesses", "heading", "says"),
    [
        ((1, 3), "Verified", "cosigned by A, C."),
        ((2,), "Does not verify", "valid cosignatures from: B)"),
    ],
)
def test_the_verify_page_applies_a_two_of_three_policy(
    page: Any, site: str, tmp_path: Path, witnesses: tuple[int, ...], heading: str, says: str
) -> None:
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(b"\xff\xd8\xff\xe0 a photo of an arrest")
    receipt = tmp_path / "photo.jpg.tlog-proof"
    receipt.write_text(receipt_for(photo.read_bytes(), witnesses))
    page.goto(site + "/verify")
    page.fill("#verify-key", "")  # the key comes from the policy's log line
    page.click("#verify-policy-details summary")
    page.fill("#verify-policy", POLICIES[0])
    page.set_input_files("#verify-file", str(photo))
    page.set_input_files("#verify-receipt", str(receipt))
    page.click("#verify-button")
    page.locator("#verify-result h2").wait_for()
    assert page.locator("#verify-result h2").text_content() == heading
    assert says in (page.locator("#verify-result").text_content() or "")


def test_a_broken_policy_is_named_before_anything_is_hashed(
    page: Any, site: str, tmp_path: Path
) -> None:
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(b"\xff\xd8\xff\xe0 another photo")
    receipt = tmp_path / "photo.jpg.tlog-proof"
    receipt.write_text(receipt_for(photo.read_bytes(), (1, 2)))
    page.goto(site + "/verify")
    page.click("#verify-policy-details summary")
    page.fill("#verify-policy", "witness A nonsense\nquorum A\n")
    page.set_input_files("#verify-file", str(photo))
    page.set_input_files("#verify-receipt", str(receipt))
    page.click("#verify-button")
    page.locator("#verify-result h2").wait_for()
    assert page.locator("#verify-result h2").text_content() == "Does not verify"
    assert (page.locator("#verify-result p").text_content() or "").startswith("policy line 1:")
