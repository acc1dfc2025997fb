"""The worked example in docs/receipt.md is a real receipt that verifies (and stays so)."""

from __future__ import annotations

import re

import pytest

from openwitness.ledger.note import parse_verifier_key
from openwitness.ledger.verify import CheckpointInvalid, load_receipt, verify_receipt
from tests.support import REPO

DOC = (REPO / "docs" / "receipt.md").read_text()


def example() -> tuple[str, str]:
    receipt = next(b for b in re.findall(r"```\n(.*?)```", DOC, re.S) if "tlog-proof@v1" in b)
    vkey = re.search(r"^(example\.org/witness-log\+[0-9a-f]{8}\+\S+)$", DOC, re.M)
    assert vkey is not None
    return receipt, vkey.group(1)


def test_the_documented_receipt_verifies_with_the_documented_key() -> None:
    receipt, vkey = example()
    result = verify_receipt(load_receipt(receipt), parse_verifier_key(vkey))
    assert result.index == 2 and result.checkpoint.size == 3
    assert result.entry.sha256 in DOC and f"{result.entry.size:,}" in DOC


def test_the_documented_receipt_fails_with_a_changed_signature() -> None:
    receipt, vkey = example()
    forged = receipt.replace("tZJV5BRk", "tZJV5BRl")
    with pytest.raises(CheckpointInvalid, match="signature invalid"):
        verify_receipt(load_receipt(forged), parse_verifier_key(vkey))
