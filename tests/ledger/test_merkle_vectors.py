"""RFC 9162 Merkle hashing, proofs and verification against the published vectors.

Every vector in ``shared/vectors/merkle/*.json`` and ``shared/vectors/tlog/`` is its own test:
the values were copied from transparency-dev/merkle and transparency-dev/serverless-log, never
computed, so they are an independent oracle for :mod:`openwitness.ledger.merkle`.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from openwitness.ledger import merkle
from openwitness.ledger.checkpoint import open_checkpoint
from openwitness.ledger.note import parse_verifier_key, verify_note
from tests.conftest import VECTORS, require_shared

MERKLE = VECTORS / "merkle"
REFERENCE_FILE = MERKLE / "tdm_reference_8leaves.json"
PROBES_FILE = MERKLE / "tdm_testdata_probes.json"
SERVERLESS_FILE = VECTORS / "tlog" / "serverless_log_testdata.json"


def _load(path: Path) -> dict[str, Any]:
    # Collection-time loading: a missing shared folder yields a single skipped placeholder
    # rather than an import error (see ``_params``).
    if not path.exists():
        return {}
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def _params(items: list[Any], ids: list[str], path: Path) -> Any:
    if not items:
        return [pytest.param(None, marks=pytest.mark.skip(reason=f"{path} is missing"))]
    return [pytest.param(item, id=i) for item, i in zip(items, ids, strict=True)]


REF = _load(REFERENCE_FILE)
PROBES = _load(PROBES_FILE)
SERVERLESS = _load(SERVERLESS_FILE)


def h(hex_string: str) -> bytes:
    return bytes.fromhex(hex_string)


def hs(hex_strings: list[str]) -> list[bytes]:
    return [bytes.fromhex(x) for x in hex_strings]


REF_LEAVES = hs(REF.get("leaves_hex", []))
SL_LEAVES = hs(SERVERLESS.get("leaves_hex", []))


def test_vector_files_exist_and_have_expected_counts() -> None:
    """Guards against an empty parametrisation silently passing."""
    for path in (REFERENCE_FILE, PROBES_FILE, SERVERLESS_FILE):
        require_shared(path)
    assert len(REF_LEAVES) == 8
    assert len(REF["roots"]) == 9
    assert len(REF["hasher_vectors"]) == 4
    assert len(REF["inclusion"]) == 4
    assert len(REF["consistency"]) == 2
    assert len(PROBES["inclusion"]) + len(PROBES["consistency"]) == 53
    assert len(SL_LEAVES) == 5
    assert len(SERVERLESS["checkpoints"]) == 6


# -- the reference tree of 8 leaves ------------------------------------------------------------


@pytest.mark.parametrize(
    "case",
    _params(
        [
            (i, leaf, lh)
            for i, (leaf, lh) in enumerate(
                zip(REF_LEAVES, REF.get("leaf_hashes_hex", []), strict=True)
            )
        ],
        [f"leaf{i}" for i in range(len(REF_LEAVES))],
        REFERENCE_FILE,
    ),
)
def test_reference_leaf_hash(case: tuple[int, bytes, str]) -> None:
    _, leaf, expected = case
    assert merkle.leaf_hash(leaf) == h(expected)


_NODE_CASES = [
    (level, index, value)
    for level, row in enumerate(REF.get("node_hashes_hex_by_level", []))
    for index, value in enumerate(row)
]


@pytest.mark.parametrize(
    "case",
    _params(_NODE_CASES, [f"level{lv}-node{ix}" for lv, ix, _ in _NODE_CASES], REFERENCE_FILE),
)
def test_reference_node_hash_by_level(case: tuple[int, int, str]) -> None:
    level, index, expected = case
    width = 1 << level
    # The node is the MTH of the leaves it covers ...
    assert merkle.root(REF_LEAVES[index * width : (index + 1) * width]) == h(expected)
    # ... and the hash of its two children from the level below.
    if level > 0:
        below = REF["node_hashes_hex_by_level"][level - 1]
        left, right = h(below[2 * index]), h(below[2 * index + 1])
        assert merkle.node_hash(left, right) == h(expected)
    else:
        assert merkle.leaf_hash(REF_LEAVES[index]) == h(expected)


@pytest.mark.parametrize(
    "case",
    _params(
        REF.get("roots", []), [f"size{r['size']}" for r in REF.get("roots", [])], REFERENCE_FILE
    ),
)
def test_reference_root(case: dict[str, Any]) -> None:
    assert merkle.root(REF_LEAVES[: case["size"]]) == h(case["root_hex"])


@pytest.mark.parametrize(
    "case",
    _params(
        REF.get("hasher_vectors", []),
        [f"{v['kind']}-{v['desc'].replace(' ', '_')}" for v in REF.get("hasher_vectors", [])],
        REFERENCE_FILE,
    ),
)
def test_reference_hasher(case: dict[str, Any]) -> None:
    expected = h(case["hash_hex"])
    if case["kind"] == "empty_root":
        assert expected == merkle.EMPTY_ROOT
        assert merkle.root([]) == expected
    elif case["kind"] == "leaf_hash":
        data = h(case["input_hex"]) if "input_hex" in case else case["input_ascii"].encode()
        assert merkle.leaf_hash(data) == expected
    elif case["kind"] == "node_hash":
        left, right = case["left_ascii"].encode(), case["right_ascii"].encode()
        assert merkle.node_hash(left, right) == expected
    else:
        pytest.fail(f"unknown hasher vector kind {case['kind']!r}")


@pytest.mark.parametrize(
    "case",
    _params(
        REF.get("inclusion", []),
        [f"index{c['index']}-size{c['size']}" for c in REF.get("inclusion", [])],
        REFERENCE_FILE,
    ),
)
def test_reference_inclusion_proof(case: dict[str, Any]) -> None:
    index, size = case["index"], case["size"]
    leaves = REF_LEAVES[:size]
    proof, root, leaf = hs(case["proof_hex"]), h(case["root_hex"]), h(case["leaf_hash_hex"])
    assert merkle.leaf_hash(leaves[index]) == leaf
    assert merkle.root(leaves) == root
    assert merkle.inclusion_proof(leaves, index) == proof
    assert merkle.verify_inclusion(leaf, index, size, proof, root) is True


@pytest.mark.parametrize(
    "case",
    _params(
        REF.get("consistency", []),
        [f"old{c['old']}-new{c['new']}" for c in REF.get("consistency", [])],
        REFERENCE_FILE,
    ),
)
def test_reference_consistency_proof(case: dict[str, Any]) -> None:
    old, new = case["old"], case["new"]
    proof = hs(case["proof_hex"])
    old_root, new_root = h(case["old_root_hex"]), h(case["new_root_hex"])
    assert merkle.root(REF_LEAVES[:old]) == old_root
    assert merkle.root(REF_LEAVES[:new]) == new_root
    assert merkle.consistency_proof(REF_LEAVES[:new], old) == proof
    assert merkle.verify_consistency(old, new, old_root, new_root, proof) is True


# -- transparency-dev/merkle verifier probes ---------------------------------------------------


def _probe_id(probe: dict[str, Any]) -> str:
    return probe["file"].removeprefix("testdata/").removesuffix(".json")


@pytest.mark.parametrize(
    "probe",
    _params(
        PROBES.get("inclusion", []),
        [_probe_id(p) for p in PROBES.get("inclusion", [])],
        PROBES_FILE,
    ),
)
def test_inclusion_probe(probe: dict[str, Any]) -> None:
    result = merkle.verify_inclusion(
        h(probe["leaf_hash_hex"]),
        probe["index"],
        probe["size"],
        hs(probe["proof_hex"]),
        h(probe["root_hex"]),
    )
    assert result is probe["expect_valid"]


@pytest.mark.parametrize(
    "probe",
    _params(
        PROBES.get("consistency", []),
        [_probe_id(p) for p in PROBES.get("consistency", [])],
        PROBES_FILE,
    ),
)
def test_consistency_probe(probe: dict[str, Any]) -> None:
    result = merkle.verify_consistency(
        probe["old"],
        probe["new"],
        h(probe["old_root_hex"]),
        h(probe["new_root_hex"]),
        hs(probe["proof_hex"]),
    )
    assert result is probe["expect_valid"]


_HAPPY = [
    p for kind in ("inclusion", "consistency") for p in PROBES.get(kind, []) if p["expect_valid"]
]


@pytest.mark.parametrize("probe", _params(_HAPPY, [_probe_id(p) for p in _HAPPY], PROBES_FILE))
def test_valid_probe_is_what_we_generate_for_the_reference_leaves(probe: dict[str, Any]) -> None:
    """proofgen builds its valid probes over the same 8 reference leaves: we produce them too."""
    if "index" in probe:
        leaves = REF_LEAVES[: probe["size"]]
        assert merkle.leaf_hash(leaves[probe["index"]]) == h(probe["leaf_hash_hex"])
        assert merkle.inclusion_proof(leaves, probe["index"]) == hs(probe["proof_hex"])
        assert merkle.root(leaves) == h(probe["root_hex"])
    else:
        leaves = REF_LEAVES[: probe["new"]]
        assert merkle.consistency_proof(leaves, probe["old"]) == hs(probe["proof_hex"])
        assert merkle.root(REF_LEAVES[: probe["old"]]) == h(probe["old_root_hex"])
        assert merkle.root(leaves) == h(probe["new_root_hex"])


_SHORT_HASH_PROBES = [
    p
    for kind in ("inclusion", "consistency")
    for p in PROBES.get(kind, [])
    if any(len(x) != 64 for x in p["proof_hex"])
    or any(
        len(p.get(k, "0" * 64)) != 64
        for k in ("leaf_hash_hex", "root_hex", "old_root_hex", "new_root_hex")
    )
]


@pytest.mark.parametrize(
    "probe", _params(_SHORT_HASH_PROBES, [_probe_id(p) for p in _SHORT_HASH_PROBES], PROBES_FILE)
)
def test_probe_with_non_32_byte_hash_is_rejected_without_raising(probe: dict[str, Any]) -> None:
    """Garbage/short hashes must give a plain False, also as bytearray and memoryview-free lists."""
    assert probe["expect_valid"] is False
    if "index" in probe:
        args: tuple[Any, ...] = (
            bytearray(h(probe["leaf_hash_hex"])),
            probe["index"],
            probe["size"],
            tuple(bytearray(x) for x in hs(probe["proof_hex"])),
            bytearray(h(probe["root_hex"])),
        )
        assert merkle.verify_inclusion(*args) is False
        assert merkle.root_from_inclusion_proof(*args[:4]) is None
    else:
        assert (
            merkle.verify_consistency(
                probe["old"],
                probe["new"],
                bytearray(h(probe["old_root_hex"])),
                bytearray(h(probe["new_root_hex"])),
                tuple(hs(probe["proof_hex"])),
            )
            is False
        )


def test_short_hash_probes_are_present() -> None:
    """The probe set does include zero-length and 9-byte 'hashes' (WrongLeaf, garbage)."""
    require_shared(PROBES_FILE)
    lengths = {
        len(x) // 2
        for p in _SHORT_HASH_PROBES
        for x in [*p["proof_hex"], p.get("leaf_hash_hex", ""), p.get("old_root_hex", "")]
    }
    assert {0, 9} <= lengths


# -- serverless-log test log -------------------------------------------------------------------


@pytest.mark.parametrize(
    "case",
    _params(
        SERVERLESS.get("leaves", []),
        [f"leaf{x['index']}" for x in SERVERLESS.get("leaves", [])],
        SERVERLESS_FILE,
    ),
)
def test_serverless_leaf(case: dict[str, Any]) -> None:
    assert case["data_ascii"].encode() == h(case["data_hex"])
    assert SL_LEAVES[case["index"]] == h(case["data_hex"])


@pytest.mark.parametrize(
    "case",
    _params(
        SERVERLESS.get("roots", []),
        [f"size{r['size']}" for r in SERVERLESS.get("roots", [])],
        SERVERLESS_FILE,
    ),
)
def test_serverless_root(case: dict[str, Any]) -> None:
    assert merkle.root(SL_LEAVES[: case["size"]]) == h(case["root_hex"])


@pytest.mark.parametrize(
    "case",
    _params(
        SERVERLESS.get("checkpoints", []),
        [f"checkpoint{c['size']}" for c in SERVERLESS.get("checkpoints", [])],
        SERVERLESS_FILE,
    ),
)
def test_serverless_checkpoint(case: dict[str, Any]) -> None:
    """The signed checkpoint verifies and commits to the root we compute over the leaves."""
    verifier = parse_verifier_key(SERVERLESS["verifier_key"])
    checkpoint = open_checkpoint(case["signed_note"], verifier, origin=SERVERLESS["origin"])
    assert checkpoint.origin == SERVERLESS["origin"]
    assert checkpoint.size == case["size"]
    assert checkpoint.root_hash == h(case["root_hex"])
    assert checkpoint.root_hash == base64.b64decode(case["root_hash_b64"])
    assert checkpoint.root_hash == merkle.root(SL_LEAVES[: case["size"]])
    assert verify_note(case["signed_note"].encode(), [SERVERLESS["verifier_key"]]) is True


_SL_INCLUSION = [(i, n) for n in range(1, len(SL_LEAVES) + 1) for i in range(n)]
_SL_CONSISTENCY = [(o, n) for n in range(len(SL_LEAVES) + 1) for o in range(n + 1)]


def _sl_root(size: int) -> bytes:
    (entry,) = [r for r in SERVERLESS["roots"] if r["size"] == size]
    return h(entry["root_hex"])


@pytest.mark.parametrize(
    "case", _params(_SL_INCLUSION, [f"index{i}-size{n}" for i, n in _SL_INCLUSION], SERVERLESS_FILE)
)
def test_serverless_inclusion_against_published_root(case: tuple[int, int]) -> None:
    index, size = case
    proof = merkle.inclusion_proof(SL_LEAVES[:size], index)
    leaf = merkle.leaf_hash(SL_LEAVES[index])
    assert merkle.verify_inclusion(leaf, index, size, proof, _sl_root(size)) is True
    if size > 1:  # another published root must not match
        assert merkle.verify_inclusion(leaf, index, size, proof, _sl_root(size - 1)) is False


@pytest.mark.parametrize(
    "case",
    _params(_SL_CONSISTENCY, [f"old{o}-new{n}" for o, n in _SL_CONSISTENCY], SERVERLESS_FILE),
)
def test_serverless_consistency_between_published_roots(case: tuple[int, int]) -> None:
    old, new = case
    proof = merkle.consistency_proof(SL_LEAVES[:new], old)
    assert merkle.verify_consistency(old, new, _sl_root(old), _sl_root(new), proof) is True
    if 0 < old < new:  # swapping the published roots must fail
        assert merkle.verify_consistency(old, new, _sl_root(new), _sl_root(old), proof) is False
