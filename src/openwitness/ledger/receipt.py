"""Receipts in the C2SP tlog-proof format (https://c2sp.org/tlog-proof, ``.tlog-proof``)."""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass

from openwitness.ledger.note import b64decode_strict

HEADER = "c2sp.org/tlog-proof@v1"
FILE_SUFFIX = ".tlog-proof"
_INDEX = re.compile(r"^index (0|[1-9][0-9]*)$")


class ReceiptFormatError(ValueError):
    """The text is not a well-formed tlog-proof."""


@dataclass(frozen=True)
class Receipt:
    """An entry, its index, its inclusion proof and the signed checkpoint it leads to."""

    entry: bytes
    index: int
    proof: tuple[bytes, ...]
    checkpoint: str

    def to_text(self) -> str:
        lines = [HEADER, "extra " + base64.b64encode(self.entry).decode(), f"index {self.index}"]
        lines += [base64.b64encode(h).decode() for h in self.proof]
        return "\n".join(lines) + "\n\n" + self.checkpoint


def parse_receipt(data: str | bytes) -> Receipt:
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ReceiptFormatError("receipt is not UTF-8 text") from exc
    head, sep, checkpoint = data.partition("\n\n")
    lines = head.split("\n")
    if not sep or lines[0] != HEADER:
        raise ReceiptFormatError(f"not a {HEADER} receipt")
    lines = lines[1:]
    if not lines or not lines[0].startswith("extra "):
        raise ReceiptFormatError("receipt has no extra line carrying the log entry")
    try:
        entry = b64decode_strict(lines.pop(0)[len("extra ") :])
        match = _INDEX.match(lines.pop(0)) if lines else None
        if match is None:
            raise ReceiptFormatError("receipt has no valid index line")
        proof = tuple(b64decode_strict(line) for line in lines)
    except ValueError as exc:
        raise ReceiptFormatError(f"receipt is malformed: {exc}") from exc
    if not checkpoint:
        raise ReceiptFormatError("receipt has no checkpoint")
    return Receipt(entry, int(match.group(1)), proof, checkpoint)
