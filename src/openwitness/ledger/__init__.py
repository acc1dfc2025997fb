"""The public transparency log: Merkle tree, signed checkpoints, receipts and their verification."""
