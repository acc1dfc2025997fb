"""C2SP tlog-cosignature (Ed25519, ``cosignature/v1``) and tlog-policy (k-of-n witnesses).

A cosignature is a witness's signed statement that, at a time, the checkpoint is the largest
consistent one it has seen for the log. A policy names the logs and witnesses a verifier
trusts and how many witnesses must have cosigned ("2 of these 3"); with it a receipt proves
not only that the log signed the checkpoint but that the log showed the same history to
others, so it cannot show a court one history and the public another.

Hand-written, like :mod:`openwitness.ledger.note`, because no maintained Python package
implements these C2SP formats; the Ed25519 arithmetic comes from ``cryptography``.
"""

from __future__ import annotations

import base64
import hashlib
import re
import struct
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from openwitness.ledger.note import (
    NoteVerificationError,
    Verifier,
    b64decode_strict,
    open_note,
    parse_note,
    parse_verifier_key,
)

ALG_COSIGNATURE_V1 = 0x04
_NAME = re.compile(r"^[^\s+]+$")


class PolicyError(ValueError):
    """A policy file that cannot be used; the message names the line."""


def cosigner_key_id(name: str, public_key: bytes) -> bytes:
    return hashlib.sha256(
        name.encode() + b"\n" + bytes([ALG_COSIGNATURE_V1]) + public_key
    ).digest()[:4]


@dataclass(frozen=True)
class Cosigner:
    """A witness's Ed25519 key, with the name its cosignatures carry."""

    name: str
    private_key: Ed25519PrivateKey

    @property
    def public_bytes(self) -> bytes:
        return self.private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)

    @property
    def vkey(self) -> str:
        """``name+keyid+base64(0x04 || key)``: what logs and verifiers configure."""
        raw = bytes([ALG_COSIGNATURE_V1]) + self.public_bytes
        key = cosigner_key_id(self.name, self.public_bytes)
        return f"{self.name}+{key.hex()}+{base64.b64encode(raw).decode()}"

    def cosign(self, checkpoint_text: str, timestamp: int) -> str:
        """One note signature line (ending in a newline) over ``checkpoint_text``."""
        message = signed_message(checkpoint_text, timestamp)
        signature = self.private_key.sign(message)
        key = cosigner_key_id(self.name, self.public_bytes)
        body = key + struct.pack(">Q", timestamp) + signature
        return f"\u2014 {self.name} {base64.b64encode(body).decode()}\n"


def signed_message(checkpoint_text: str, timestamp: int) -> bytes:
    if not 0 < timestamp < 2**63:
        raise ValueError("a cosignature's timestamp must be a positive POSIX time")
    return f"cosignature/v1\ntime {timestamp}\n{checkpoint_text}".encode()


@dataclass(frozen=True)
class WitnessKey:
    """A witness as a verifier knows it: name, key id and public key."""

    name: str
    key_id: bytes
    public_key: Ed25519PublicKey


def parse_witness_key(vkey: str) -> WitnessKey:
    parts = vkey.strip().split("+", 2)
    if len(parts) != 3 or not _NAME.match(parts[0]):
        raise ValueError("a witness key must be <name>+<hex key id>+<base64 key>")
    name, hex_id, encoded = parts
    raw = b64decode_strict(encoded)
    if len(raw) != 33 or raw[0] != ALG_COSIGNATURE_V1:
        raise ValueError("a witness key must be an Ed25519 cosignature/v1 key (type 0x04)")
    if cosigner_key_id(name, raw[1:]).hex() != hex_id:
        raise ValueError("the witness key's id does not match its key")
    return WitnessKey(name, bytes.fromhex(hex_id), Ed25519PublicKey.from_public_bytes(raw[1:]))


def cosigned_by(note: str, witnesses: dict[str, WitnessKey]) -> dict[str, int]:
    """The witnesses (by the names ``witnesses`` gives them, as a policy does) whose valid
    cosignature the note carries, with its time. Lines from unknown keys are ignored; a bad
    one from a known key counts as absent."""
    parsed = parse_note(note)
    found: dict[str, int] = {}
    for label, witness in witnesses.items():
        for sig in parsed.signatures:
            if sig.name != witness.name or sig.key_id != witness.key_id:
                continue
            if len(sig.signature) != 8 + 64:
                continue
            (timestamp,) = struct.unpack(">Q", sig.signature[:8])
            try:
                witness.public_key.verify(sig.signature[8:], signed_message(parsed.text, timestamp))
            except (InvalidSignature, ValueError):
                continue
            found[label] = timestamp
    return found


@dataclass
class Policy:
    """A parsed tlog-policy file."""

    logs: list[Verifier] = field(default_factory=list)
    witnesses: dict[str, WitnessKey] = field(default_factory=dict)
    urls: dict[str, str] = field(default_factory=dict)
    groups: dict[str, tuple[int, list[str]]] = field(default_factory=dict)
    quorum: str | None = None

    def satisfied(self, cosigned: set[str], name: str | None = None) -> bool:
        name = self.quorum if name is None else name
        if name == "none":
            return True
        if name in self.witnesses:
            return name in cosigned
        threshold, members = self.groups[name or ""]
        return sum(self.satisfied(cosigned, member) for member in members) >= threshold

    def check(self, note: str) -> list[str]:
        """The names of the witnesses that cosigned; raises PolicyNotMet (a ValueError)
        unless a listed log signed the note and the quorum is met."""
        if self.logs:
            try:
                open_note(note, self.logs)
            except NoteVerificationError as error:
                raise PolicyNotMet(f"the checkpoint {error}") from None
        cosigned = set(cosigned_by(note, self.witnesses))
        if not self.satisfied(cosigned):
            have = ", ".join(sorted(cosigned)) or "none"
            raise PolicyNotMet(
                f"the checkpoint is not cosigned by enough witnesses for the policy "
                f"(quorum {self.quorum}; valid cosignatures from: {have})"
            )
        return sorted(cosigned)


class PolicyNotMet(ValueError):
    """A checkpoint the policy does not accept; the message says what is missing."""


def parse_policy(text: str, require_quorum: bool = True) -> Policy:
    """Parse a C2SP tlog-policy file: log, witness, group and exactly one quorum line (none
    needed where only its ``log`` lines are read: the logs a witness follows)."""
    policy = Policy()
    for number, raw in enumerate(text.split("\n"), start=1):
        words = raw.split()
        if not words or words[0].startswith("#"):
            continue
        where = f"policy line {number}"
        kind, args = words[0], words[1:]
        try:
            if kind == "log" and 1 <= len(args) <= 2:
                policy.logs.append(parse_verifier_key(args[0]))
            elif kind == "witness" and 2 <= len(args) <= 3:
                _new_name(policy, args[0], where)
                policy.witnesses[args[0]] = parse_witness_key(args[1])
                if len(args) == 3:
                    policy.urls[args[0]] = args[2]
            elif kind == "group" and len(args) >= 3:
                _new_name(policy, args[0], where)
                members = args[2:]
                if len(set(members)) != len(members):
                    raise PolicyError(f"{where}: a member is listed twice")
                for member in members:
                    if member not in policy.witnesses and member not in policy.groups:
                        raise PolicyError(f"{where}: {member!r} is not defined above")
                threshold = _threshold(args[1], len(members), where)
                policy.groups[args[0]] = (threshold, members)
            elif kind == "quorum" and len(args) == 1:
                if policy.quorum is not None:
                    raise PolicyError(f"{where}: a second quorum line")
                if args[0] != "none" and args[0] not in policy.witnesses | policy.groups:
                    raise PolicyError(f"{where}: {args[0]!r} is not defined above")
                policy.quorum = args[0]
            else:
                raise PolicyError(f"{where}: not a log, witness, group or quorum line")
        except ValueError as error:
            if isinstance(error, PolicyError):
                raise
            raise PolicyError(f"{where}: {error}") from None
    if policy.quorum is None and require_quorum:
        raise PolicyError("the policy has no quorum line (use 'quorum none' for no witnesses)")
    return policy


def _new_name(policy: Policy, name: str, where: str) -> None:
    if name == "none" or name in policy.witnesses or name in policy.groups:
        raise PolicyError(f"{where}: the name {name!r} is taken")


def _threshold(word: str, members: int, where: str) -> int:
    if word == "all":
        return members
    if word == "any":
        return 1
    if not word.isdigit() or not 1 <= int(word) <= members:
        raise PolicyError(f"{where}: the threshold must be all, any or 1 to {members}")
    return int(word)
