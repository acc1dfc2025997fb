"""C2SP signed-note (https://c2sp.org/signed-note) with Ed25519 keys.

Hand-written because no maintained Python package implements the note format; the Ed25519
arithmetic itself comes from ``cryptography``. Key strings follow golang.org/x/mod/sumdb/note:
verifier keys ``<name>+<hex key id>+<base64(0x01 || public key)>`` and signer keys
``PRIVATE+KEY+<name>+<hex key id>+<base64(0x01 || seed)>``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

ALG_ED25519 = 0x01
MAX_SIGNATURES = 100
_EM_DASH = "\u2014 "
_B64 = re.compile(r"^[A-Za-z0-9+/]*={0,2}$")


def b64decode_strict(text: str) -> bytes:
    """Strict standard base64 (RFC 4648 §4): padding required, no other characters."""
    if len(text) % 4 or not _B64.match(text):
        raise ValueError("not standard base64")
    try:
        return base64.b64decode(text, validate=True)
    except binascii.Error as exc:
        raise ValueError("not standard base64") from exc


def _valid_name(name: str) -> bool:
    return bool(name) and "+" not in name and not any(ch.isspace() for ch in name)


def key_id(name: str, public_key: bytes) -> bytes:
    """SHA-256(name || 0x0A || 0x01 || public key)[:4], the id the spec recommends."""
    return hashlib.sha256(name.encode() + b"\n" + bytes([ALG_ED25519]) + public_key).digest()[:4]


@dataclass(frozen=True)
class Verifier:
    """A trusted public key: the name and key id that signature lines must carry."""

    name: str
    key_id: bytes
    public_key: Ed25519PublicKey

    @property
    def vkey(self) -> str:
        raw = self.public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)
        encoded = base64.b64encode(bytes([ALG_ED25519]) + raw).decode()
        return f"{self.name}+{self.key_id.hex()}+{encoded}"

    def __str__(self) -> str:
        return f"{self.name}+{self.key_id.hex()}"


def parse_verifier_key(vkey: str) -> Verifier:
    """Parse ``name+keyid+base64``; raises ValueError on any malformed or inconsistent key."""
    parts = vkey.strip().split("+", 2)
    if len(parts) != 3:
        raise ValueError("verifier key must be <name>+<hex key id>+<base64 key>")
    name, hex_id, encoded = parts
    if not _valid_name(name):
        raise ValueError("verifier key has an invalid name")
    if not re.fullmatch(r"[0-9a-f]{8}", hex_id):
        raise ValueError("verifier key id must be 8 lowercase hex digits")
    raw = b64decode_strict(encoded)
    if len(raw) != 33 or raw[0] != ALG_ED25519:
        raise ValueError("verifier key is not an Ed25519 key")
    if key_id(name, raw[1:]) != bytes.fromhex(hex_id):
        raise ValueError("verifier key id does not match its key")
    return Verifier(name, bytes.fromhex(hex_id), Ed25519PublicKey.from_public_bytes(raw[1:]))


@dataclass(frozen=True)
class Signer:
    """An Ed25519 private key with the name it signs under."""

    name: str
    private_key: Ed25519PrivateKey

    @classmethod
    def generate(cls, name: str) -> Signer:
        if not _valid_name(name):
            raise ValueError("key name must be non-empty, without spaces or '+'")
        return cls(name, Ed25519PrivateKey.generate())

    @cached_property
    def verifier(self) -> Verifier:
        """Derived once: the log signs a checkpoint for every batch of appends."""
        public_key = self.private_key.public_key()
        raw = public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)
        return Verifier(self.name, key_id(self.name, raw), public_key)

    def to_skey(self) -> str:
        seed = self.private_key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        encoded = base64.b64encode(bytes([ALG_ED25519]) + seed).decode()
        return f"PRIVATE+KEY+{self.name}+{self.verifier.key_id.hex()}+{encoded}"

    def sign_text(self, text: str) -> str:
        """Sign note text (which must end in a newline) and return the whole signed note."""
        _check_text(text)
        signature = self.private_key.sign(text.encode())
        encoded = base64.b64encode(self.verifier.key_id + signature).decode()
        return f"{text}\n{_EM_DASH}{self.name} {encoded}\n"


def parse_signer_key(skey: str) -> Signer:
    """Parse ``PRIVATE+KEY+name+keyid+base64(0x01 || seed)``; raises ValueError if malformed."""
    parts = skey.strip().split("+", 4)
    if len(parts) != 5 or parts[:2] != ["PRIVATE", "KEY"]:
        raise ValueError("signer key must be PRIVATE+KEY+<name>+<hex key id>+<base64 seed>")
    name, hex_id, encoded = parts[2:]
    raw = b64decode_strict(encoded)
    if not _valid_name(name) or len(raw) != 33 or raw[0] != ALG_ED25519:
        raise ValueError("signer key is not a well-formed Ed25519 key")
    signer = Signer(name, Ed25519PrivateKey.from_private_bytes(raw[1:]))
    if signer.verifier.key_id.hex() != hex_id:
        raise ValueError("signer key id does not match its key")
    return signer


def _check_text(text: str) -> None:
    if not text.endswith("\n"):
        raise ValueError("note text must end with a newline")
    if any(ord(ch) < 0x20 and ch != "\n" for ch in text):
        raise ValueError("note text contains control characters")


@dataclass(frozen=True)
class Signature:
    name: str
    key_id: bytes
    signature: bytes


@dataclass(frozen=True)
class Note:
    """A parsed (not yet verified) signed note."""

    text: str
    signatures: tuple[Signature, ...]


def parse_note(note: bytes | str) -> Note:
    """Split a signed note into text and signature lines; raises ValueError if malformed."""
    if isinstance(note, bytes):
        try:
            note = note.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ValueError("note is not valid UTF-8") from exc
    if any(ord(ch) < 0x20 and ch != "\n" for ch in note):
        raise ValueError("note contains control characters")
    split = note.rfind("\n\n")
    if split < 0 or not note.endswith("\n"):
        raise ValueError("note has no signature block")
    text, block = note[: split + 1], note[split + 2 :]
    lines = block.split("\n")[:-1]
    if not lines:
        raise ValueError("note has no signatures")
    if len(lines) > MAX_SIGNATURES:
        raise ValueError("note has too many signatures")
    signatures = []
    for line in lines:
        if not line.startswith(_EM_DASH):
            raise ValueError("malformed signature line")
        name, sep, encoded = line[len(_EM_DASH) :].rpartition(" ")
        if not sep or not _valid_name(name):
            raise ValueError("malformed signature line")
        raw = b64decode_strict(encoded)
        if len(raw) < 5:
            raise ValueError("signature too short")
        signatures.append(Signature(name, raw[:4], raw[4:]))
    return Note(text, tuple(signatures))


class NoteVerificationError(ValueError):
    """A note was rejected; the message says why in words a person can act on."""


def open_note(note: bytes | str, verifiers: Sequence[Verifier]) -> tuple[str, list[Verifier]]:
    """Verify a note against trusted keys; return its text and the keys that signed it.

    Signatures by unknown keys are ignored; one bad signature by a known key rejects the note.
    Error messages are phrased to follow the note's name ("checkpoint is not signed by …").
    """
    try:
        parsed = parse_note(note)
    except ValueError as exc:
        raise NoteVerificationError(f"is a malformed signed note: {exc}") from exc
    known = {(v.name, v.key_id): v for v in verifiers}
    verified: list[Verifier] = []
    for sig in parsed.signatures:
        verifier = known.get((sig.name, sig.key_id))
        if verifier is None:
            continue
        try:
            verifier.public_key.verify(sig.signature, parsed.text.encode())
        except InvalidSignature:
            raise NoteVerificationError(f"signature invalid for key {verifier}") from None
        verified.append(verifier)
    if not verified:
        names = ", ".join(str(v) for v in verifiers) or "none given"
        raise NoteVerificationError(f"is not signed by a trusted key ({names})")
    return parsed.text, verified


def verify_note(note: bytes, verifier_keys: Sequence[str]) -> bool:
    """True only for a well-formed note signed by a supplied key with no failing known signature.

    A malformed verifier key raises ValueError: that is the caller's configuration error, not a
    property of the note.
    """
    verifiers = [parse_verifier_key(k) for k in verifier_keys]
    try:
        open_note(note, verifiers)
    except NoteVerificationError:
        return False
    return True
