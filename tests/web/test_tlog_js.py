"""tlog.js, the browser's receipt verifier, against the shared RFC 9162 inclusion vectors
(transparency-dev/merkle), run in Chromium on the Verify page."""

from __future__ import annotations

import json
from typing import Any

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
