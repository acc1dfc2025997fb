"""RFC 9162 §2.1 Merkle tree hashing, proofs and their verification.

Hand-written because the proof *generation* has to run over the persistent log's stored nodes
(O(log n) reads), which no library offers; the same generation code serves the in-memory
functions below and :mod:`openwitness.ledger.store`, so there is one implementation of each
algorithm. Verification follows RFC 9162 §2.1.3.2 and §2.1.4.2 line by line.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

#: A perfect, aligned subtree: (level, index) covers leaves [index << level, (index + 1) << level).
NodeKey = tuple[int, int]


def leaf_hash(entry: bytes) -> bytes:
    """SHA-256(0x00 || entry): the hash of one log entry."""
    return hashlib.sha256(b"\x00" + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || left || right): the hash of an interior node."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def _largest_power_of_two_below(n: int) -> int:
    """The k of RFC 9162: the largest power of two strictly smaller than n (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def range_blocks(start: int, end: int) -> list[NodeKey]:
    """Split leaves [start, end) into the perfect aligned subtrees whose fold is MTH(D[start:end]).

    Valid for every range that is a node of an RFC 9162 tree (all ranges proofs need): such a
    range starts on a multiple of the largest power of two it contains, so greedy left-to-right
    blocks coincide with the RFC's recursive split.
    """
    blocks: list[NodeKey] = []
    while start < end:
        level = (start & -start).bit_length() - 1 if start else (end - start).bit_length() - 1
        while (1 << level) > end - start:
            level -= 1
        blocks.append((level, start >> level))
        start += 1 << level
    return blocks


def fold_blocks(hashes: Sequence[bytes]) -> bytes:
    """Combine the hashes of :func:`range_blocks` (left to right) into the range's root."""
    result = hashes[-1]
    for left in reversed(hashes[:-1]):
        result = node_hash(left, result)
    return result


def inclusion_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """The leaf ranges whose hashes form PATH(index, D[0:size]), leaf's sibling first."""
    ranges: list[tuple[int, int]] = []
    lo, hi = 0, size
    while hi - lo > 1:
        k = _largest_power_of_two_below(hi - lo)
        if index < lo + k:
            ranges.append((lo + k, hi))
            hi = lo + k
        else:
            ranges.append((lo, lo + k))
            lo = lo + k
    ranges.reverse()
    return ranges


def consistency_ranges(old_size: int, new_size: int) -> list[tuple[int, int]]:
    """The leaf ranges whose hashes form PROOF(old_size, D[0:new_size]) (RFC 9162 §2.1.4.1)."""
    if old_size == 0 or old_size >= new_size:
        return []
    ranges: list[tuple[int, int]] = []
    m, lo, hi, complete = old_size, 0, new_size, True
    while True:
        n = hi - lo
        if m == n:
            if not complete:
                ranges.append((lo, hi))
            break
        k = _largest_power_of_two_below(n)
        if m <= k:
            ranges.append((lo + k, hi))
            hi = lo + k
        else:
            ranges.append((lo, lo + k))
            lo, m, complete = lo + k, m - k, False
    ranges.reverse()
    return ranges


def hashes_for_ranges(
    ranges: Iterable[tuple[int, int]], fetch: Callable[[set[NodeKey]], dict[NodeKey, bytes]]
) -> list[bytes]:
    """Hash each range from stored perfect subtrees, fetched in a single batch."""
    plans = [range_blocks(lo, hi) for lo, hi in ranges]
    nodes = fetch({key for plan in plans for key in plan})
    return [fold_blocks([nodes[key] for key in plan]) for plan in plans]


class _MemoryTree:
    """All perfect subtree hashes of a list of entries, level by level."""

    def __init__(self, leaves: Sequence[bytes]) -> None:
        level = [leaf_hash(entry) for entry in leaves]
        self.levels = [level]
        while len(level) > 1:
            level = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
            self.levels.append(level)

    def fetch(self, keys: set[NodeKey]) -> dict[NodeKey, bytes]:
        return {(lv, ix): self.levels[lv][ix] for lv, ix in keys}

    def range_hash(self, lo: int, hi: int) -> bytes:
        return hashes_for_ranges([(lo, hi)], self.fetch)[0]


def root(leaves: Sequence[bytes]) -> bytes:
    """MTH of the raw entries; SHA-256("") for an empty tree."""
    if not leaves:
        return EMPTY_ROOT
    return _MemoryTree(leaves).range_hash(0, len(leaves))


def inclusion_proof(leaves: Sequence[bytes], index: int) -> list[bytes]:
    """PATH(index, D[0:n]) for raw entries; raises ValueError for an index outside the tree."""
    if not 0 <= index < len(leaves):
        raise ValueError(f"index {index} is outside a tree of size {len(leaves)}")
    return hashes_for_ranges(inclusion_ranges(index, len(leaves)), _MemoryTree(leaves).fetch)


def consistency_proof(leaves: Sequence[bytes], old_size: int) -> list[bytes]:
    """PROOF(old_size, D[0:n]) for raw entries; raises ValueError unless 0 <= old_size <= n."""
    if not 0 <= old_size <= len(leaves):
        raise ValueError(f"old size {old_size} is outside 0..{len(leaves)}")
    ranges = consistency_ranges(old_size, len(leaves))
    return hashes_for_ranges(ranges, _MemoryTree(leaves).fetch) if ranges else []


def _all_hashes(*values: object) -> bool:
    return all(isinstance(v, bytes | bytearray) and len(v) == HASH_SIZE for v in values)


def _is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def root_from_inclusion_proof(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes]
) -> bytes | None:
    """RFC 9162 §2.1.3.2: the root the proof leads to, or None if it is malformed."""
    if not (_is_count(index) and _is_count(size) and index < size):
        return None
    if not _all_hashes(leaf_hash, *proof):
        return None
    fn, sn, r = index, size - 1, bytes(leaf_hash)
    for p in proof:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            r = node_hash(bytes(p), r)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, bytes(p))
        fn >>= 1
        sn >>= 1
    return r if sn == 0 else None


def verify_inclusion(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> bool:
    """True only if ``proof`` shows the leaf at ``index`` in the tree of ``size`` with ``root``."""
    try:
        if not _all_hashes(root):
            return False
        computed = root_from_inclusion_proof(leaf_hash, index, size, list(proof))
        return computed is not None and computed == bytes(root)
    except (TypeError, ValueError):
        return False


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """RFC 9162 §2.1.4.2: True only if the tree of ``new_size`` extends the one of ``old_size``."""
    try:
        proof = list(proof)
        if not (_is_count(old_size) and _is_count(new_size) and old_size <= new_size):
            return False
        if not _all_hashes(old_root, new_root, *proof):
            return False
        old_root, new_root = bytes(old_root), bytes(new_root)
        if old_size == new_size:
            return not proof and old_root == new_root
        if old_size == 0:
            return not proof  # the empty tree is a prefix of every tree
        if not proof:
            return False
        path = [bytes(p) for p in proof]
        if old_size & (old_size - 1) == 0:  # a power of two: old root is the first node
            path.insert(0, old_root)
        fn, sn = old_size - 1, new_size - 1
        while fn & 1:
            fn >>= 1
            sn >>= 1
        fr = sr = path[0]
        for c in path[1:]:
            if sn == 0:
                return False
            if fn & 1 or fn == sn:
                fr = node_hash(c, fr)
                sr = node_hash(c, sr)
                if not fn & 1:
                    while not fn & 1 and fn != 0:
                        fn >>= 1
                        sn >>= 1
            else:
                sr = node_hash(sr, c)
            fn >>= 1
            sn >>= 1
        return sn == 0 and fr == old_root and sr == new_root
    except (TypeError, ValueError):
        return False
